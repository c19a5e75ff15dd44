//! Embeds every file under `signatures/` into the binary (`$OUT_DIR/signatures_embedded.rs`), so
//! attribution needs no files at run time, and compiles the built-in signatures: parsed and
//! checked here by the library's own format code (`build/attribute.rs`), written as Rust statics
//! (`$OUT_DIR/signatures_compiled.rs`) with the hash of the embedded files, so start-up neither
//! parses TOML nor hashes the set. A broken built-in file fails the build with every
//! `file:line: message`. A missing or empty directory embeds and compiles nothing.

#[path = "build/attribute.rs"]
mod attribute;
#[path = "build/emit.rs"]
mod emit;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use attribute::SignatureError;
use attribute::signatures::{Signatures, SourceFile, kind_of};
use sha2::{Digest, Sha256};

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

/// SHA-256 over (path, text) pairs as `attribute::provenance::files_sha256` computes it: in
/// path order, the path, a NUL byte, the text's length as u64 big-endian, the text.
fn files_sha256(files: &[(String, String)]) -> String {
    let mut sorted: Vec<(&str, &str)> = files.iter().map(|(p, t)| (&**p, &**t)).collect();
    sorted.sort_unstable();
    let mut h = Sha256::new();
    for (path, text) in sorted {
        h.update(path.as_bytes());
        h.update([0]);
        h.update((text.len() as u64).to_be_bytes());
        h.update(text.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Write `code` to `$OUT_DIR/name` unless it is there already (an unchanged file keeps the
/// crate from recompiling).
fn write_out(name: &str, code: &str) {
    let out = std::env::var("OUT_DIR").unwrap_or_else(|_| ".".to_owned());
    let dest = Path::new(&out).join(name);
    if std::fs::read_to_string(&dest).ok().as_deref() != Some(code)
        && let Err(e) = std::fs::write(&dest, code)
    {
        panic!("cannot write {}: {e}", dest.display());
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
    println!("cargo:rerun-if-changed=build");
    for f in [
        "category",
        "checker",
        "citation",
        "endpoints",
        "matcher",
        "name",
        "signatures",
        "site",
    ] {
        println!("cargo:rerun-if-changed=src/attribute/{f}.rs");
    }
    let mut paths = Vec::new();
    walk(&root, &mut paths);
    paths.sort();
    let mut code = String::from(
        "/// Every file under `signatures/` at build time: (path relative to it, contents).\n\
         pub static FILES: &[(&str, &str)] = &[\n",
    );
    // (path relative to `signatures/`, text) of every text file.
    let mut texts = Vec::new();
    for path in paths {
        let Ok(rel) = path.strip_prefix(&root) else {
            continue;
        };
        let rel = rel.to_string_lossy().replace('\\', "/");
        // Only text files can be embedded as &str; skip anything else (images, archives).
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        // The path is spelled from the crate's directory at compile time, not this script's
        // absolute path: a build directory shared between two checkouts (CI builds the checkout
        // and a clean clone with one target dir) may reuse this output without rerunning us.
        let _ = writeln!(
            code,
            "    ({rel:?}, include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/signatures/\", {rel:?}))),"
        );
        texts.push((rel, text));
    }
    code.push_str("];\n");
    write_out("signatures_embedded.rs", &code);
    let files: Vec<SourceFile> = texts
        .iter()
        .filter_map(|(rel, text)| {
            Some(SourceFile {
                path: format!("signatures/{rel}"),
                kind: kind_of(rel)?,
                text: text.clone(),
            })
        })
        .collect();
    let sigs = match Signatures::from_files(&files) {
        Ok(s) => s,
        Err(SignatureError::Invalid(problems)) => {
            for p in &problems {
                eprintln!("{p}");
            }
            eprintln!(
                "error: {} problem(s) in the built-in signatures (sporfri signatures check \
                 --dir signatures says the same)",
                problems.len()
            );
            std::process::exit(1);
        }
        Err(e) => {
            eprintln!("error: the built-in signatures: {e:?}");
            std::process::exit(1);
        }
    };
    let compiled = emit::rust_source(&sigs, &files_sha256(&texts), texts.len());
    write_out("signatures_compiled.rs", &compiled);
}
