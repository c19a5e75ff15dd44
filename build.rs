//! Embeds every file under `signatures/` into the binary (`$OUT_DIR/signatures_embedded.rs`), so
//! attribution needs no files at run time. A missing or empty directory embeds nothing.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out);
        } else if path.is_file() {
            out.push(path);
        }
    }
}

fn main() {
    let manifest = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".to_owned());
    let root = Path::new(&manifest).join("signatures");
    // A directory is scanned recursively for changes. A missing path would make every build
    // rerun this script and recompile the crate, so until `signatures/` exists watch the package
    // directory instead (which notices it appearing).
    if root.is_dir() {
        println!("cargo:rerun-if-changed=signatures");
    } else {
        println!("cargo:rerun-if-changed=.");
    }
    println!("cargo:rerun-if-changed=build.rs");
    let mut files = Vec::new();
    walk(&root, &mut files);
    files.sort();
    let mut code = String::from(
        "/// Every file under `signatures/` at build time: (path relative to it, contents).\n\
         pub static FILES: &[(&str, &str)] = &[\n",
    );
    for path in files {
        let Ok(rel) = path.strip_prefix(&root) else {
            continue;
        };
        let rel = rel.to_string_lossy().replace('\\', "/");
        // Only text files can be embedded as &str; skip anything else (images, archives).
        if std::fs::read_to_string(&path).is_err() {
            continue;
        }
        // The path is spelled from the crate's directory at compile time, not this script's
        // absolute path: a build directory shared between two checkouts (CI builds the checkout
        // and a clean clone with one target dir) may reuse this output without rerunning us.
        let _ = writeln!(
            code,
            "    ({rel:?}, include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/signatures/\", {rel:?}))),"
        );
    }
    code.push_str("];\n");
    let out = std::env::var("OUT_DIR").unwrap_or_else(|_| ".".to_owned());
    let dest = Path::new(&out).join("signatures_embedded.rs");
    if std::fs::read_to_string(&dest).ok().as_deref() != Some(code.as_str())
        && let Err(e) = std::fs::write(&dest, code)
    {
        panic!("cannot write {}: {e}", dest.display());
    }
}
