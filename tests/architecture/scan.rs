//! Reads the crate's source for the paths it names: which module each file belongs to, and
//! which other modules it reaches through `crate::`, `super::` or (in the binary) `sporfri::`.
//!
//! No parser: comments and literals are blanked (keeping every line break, so line numbers
//! hold), items under `#[cfg(test)]` are dropped, and what is left is searched for paths.
//! Good enough for `use` lines and qualified paths, which is how this crate names other
//! modules; a path built by a macro from pieces would escape it, and none does.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// One source file, read and classified.
pub struct SourceFile {
    /// Path relative to `src/`, with `/` separators (`flow/analyze.rs`).
    pub rel: String,
    /// The module path of the file within its crate (`["flow", "analyze"]`; `[]` for a root).
    pub module: Vec<String>,
    /// True for the binary (`main.rs`, `cli/`): it names the library as `sporfri::`.
    pub binary: bool,
    /// Test-only: `tests.rs`, `*_tests.rs`, or declared under `#[cfg(test)]`.
    pub test_only: bool,
    /// The text with comments, literals and `#[cfg(test)]` items blanked out.
    pub code: String,
}

/// A reference from a file to a module path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Reference {
    /// Line of the reference, from 1.
    pub line: usize,
    /// The absolute module path named, as far as it goes (`["flow", "table", "MAX_FLOWS"]`).
    pub path: Vec<String>,
}

/// Every `.rs` file under `src`, classified.
pub fn read_crate(src: &Path) -> Vec<SourceFile> {
    let mut paths = Vec::new();
    walk(src, &mut paths);
    paths.sort();
    let mut test_mods = BTreeSet::new();
    let mut files = Vec::new();
    for p in &paths {
        let rel = p
            .strip_prefix(src)
            .expect("under src")
            .to_string_lossy()
            .replace('\\', "/");
        let text = fs::read_to_string(p).unwrap_or_else(|e| panic!("{rel}: {e}"));
        let (code, declared) = drop_test_items(&blank(&text));
        let module = module_of(&rel);
        // Files a `#[cfg(test)] mod x;` declares are test-only whatever their name.
        for name in declared {
            test_mods.insert([module.clone(), vec![name]].concat());
        }
        let name = rel.rsplit('/').next().unwrap_or(&rel);
        files.push(SourceFile {
            module,
            binary: rel == "main.rs" || rel.starts_with("cli/"),
            test_only: name == "tests.rs" || name.ends_with("_tests.rs"),
            rel,
            code,
        });
    }
    for f in &mut files {
        if test_mods.iter().any(|m| f.module.starts_with(m)) {
            f.test_only = true;
        }
    }
    files
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            walk(&path, out);
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
}

/// The module path of a file given relative to `src/`: `flow/analyze.rs` → `flow::analyze`,
/// `flow/mod.rs` → `flow`, `lib.rs` and `main.rs` → the root.
pub fn module_of(rel: &str) -> Vec<String> {
    let stem = rel.strip_suffix(".rs").unwrap_or(rel);
    let mut parts: Vec<String> = stem.split('/').map(str::to_owned).collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    if parts == ["lib"] || parts == ["main"] {
        parts.clear();
    }
    parts
}

/// The text with comments and the insides of string and character literals replaced by
/// spaces; line breaks stay where they were.
pub fn blank(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let at = |i: usize| chars.get(i).copied().unwrap_or('\0');
    let keep_lines = |c: char| if c == '\n' { '\n' } else { ' ' };
    while i < chars.len() {
        let c = chars[i];
        if c == '/' && at(i + 1) == '/' {
            while i < chars.len() && chars[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && at(i + 1) == '*' {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && at(i + 1) == '*' {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if chars[i] == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(keep_lines(chars[i]));
                    i += 1;
                }
            }
        } else if c == 'r' && (at(i + 1) == '"' || at(i + 1) == '#') && raw_start(&chars, i) {
            // A raw string r"..." or r#"..."# (or br"..."); `r#ident`, a raw identifier, is
            // left alone below.
            let mut j = i + 1;
            while at(j) == '#' {
                j += 1;
            }
            if at(j) != '"' {
                out.push(c);
                i += 1;
                continue;
            }
            let close: Vec<char> = chars[i + 1..=j].iter().rev().copied().collect();
            out.extend(&chars[i..=j]);
            j += 1;
            while j < chars.len() && !chars[j..].starts_with(&close) {
                out.push(keep_lines(chars[j]));
                j += 1;
            }
            out.extend(&close);
            i = j + close.len();
        } else if c == '"' {
            out.push('"');
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    out.push(' ');
                    i += 1;
                }
                if let Some(&e) = chars.get(i) {
                    out.push(keep_lines(e));
                }
                i += 1;
            }
            out.push('"');
            i += 1;
        } else if c == '\'' && (at(i + 1) == '\\' || at(i + 2) == '\'') {
            // A character literal ('x', '\n', '\u{1F600}'); a lifetime ('a) has no closing quote.
            out.push('\'');
            i += 1;
            while i < chars.len() && chars[i] != '\'' {
                if chars[i] == '\\' {
                    out.push(' ');
                    i += 1;
                }
                out.push(' ');
                i += 1;
            }
            out.push('\'');
            i += 1;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn before(chars: &[char], i: usize) -> char {
    i.checked_sub(1)
        .and_then(|p| chars.get(p))
        .copied()
        .unwrap_or(' ')
}

/// Whether the `r` at `i` can open a raw string: it starts a token, or follows a `b` that does.
fn raw_start(chars: &[char], i: usize) -> bool {
    let prev = before(chars, i);
    !ident(prev) || prev == 'b' && !ident(before(chars, i - 1))
}

fn ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Blanks every item under `#[cfg(test)]` out of already [`blank`]ed code; returns the code
/// and the names of the test modules declared as `mod name;` (files of their own).
pub fn drop_test_items(code: &str) -> (String, Vec<String>) {
    const MARK: &str = "#[cfg(test)]";
    let mut out: Vec<char> = code.chars().collect();
    let mut test_mods = Vec::new();
    let mark: Vec<char> = MARK.chars().collect();
    let mut from = 0;
    while let Some(pos) = out[from..].windows(mark.len()).position(|w| w == mark) {
        let start = from + pos;
        let mut i = start + MARK.chars().count();
        // Further attributes of the same item.
        loop {
            let j = skip_space(&out, i);
            if out.get(j) == Some(&'#') && out.get(j + 1) == Some(&'[') {
                i = matching(&out, j + 1, '[', ']') + 1;
            } else {
                break;
            }
        }
        let rest: String = out[i..].iter().take(200).collect();
        let words: Vec<&str> = rest
            .split(|c: char| !ident(c) && c != ';')
            .filter(|w| !w.is_empty())
            .collect();
        let decl = match words.as_slice() {
            ["mod", name, ..] if name.ends_with(';') => Some(name.trim_end_matches(';')),
            ["pub", "mod", name, ..] if name.ends_with(';') => Some(name.trim_end_matches(';')),
            _ => None,
        };
        let end = if let Some(name) = decl {
            test_mods.push(name.to_owned());
            i + rest.find(';').unwrap_or(0) + 1
        } else {
            // Up to the item's end: its first `;`, or the block its first `{` opens.
            let mut j = i;
            while j < out.len() && out[j] != ';' && out[j] != '{' {
                j += 1;
            }
            if out.get(j) == Some(&'{') {
                matching(&out, j, '{', '}') + 1
            } else {
                j + 1
            }
        };
        let end = end.min(out.len());
        for c in &mut out[start..end] {
            if *c != '\n' {
                *c = ' ';
            }
        }
        from = end;
    }
    (out.into_iter().collect(), test_mods)
}

fn skip_space(chars: &[char], mut i: usize) -> usize {
    while chars.get(i).is_some_and(|c| c.is_whitespace()) {
        i += 1;
    }
    i
}

/// The index of the bracket closing the one at `open`.
fn matching(chars: &[char], open: usize, l: char, r: char) -> usize {
    let mut depth = 0usize;
    for (i, &c) in chars.iter().enumerate().skip(open) {
        if c == l {
            depth += 1;
        } else if c == r {
            depth -= 1;
            if depth == 0 {
                return i;
            }
        }
    }
    chars.len()
}

/// The module paths a file names, resolved to absolute paths in its crate (the library's for
/// `sporfri::` in the binary): `crate::a::b`, `super::b`, `super::super::b`, and each leaf of a
/// group `crate::{a::b, c}`.
pub fn references(file: &SourceFile) -> Vec<Reference> {
    let chars: Vec<char> = file.code.chars().collect();
    let mut refs = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !ident(chars[i]) || ident(before(&chars, i)) || before(&chars, i) == ':' {
            i += 1;
            continue;
        }
        let (word, mut after) = word_at(&chars, i);
        let base = match word.as_str() {
            "crate" if !file.binary => Some(Vec::new()),
            "sporfri" if file.binary => Some(Vec::new()),
            "super" => {
                let mut base = file.module.clone();
                base.pop();
                // super::super::: one more step up each.
                while chars.get(after..after + 2) == Some(&[':', ':'][..])
                    && word_at(&chars, after + 2).0 == "super"
                {
                    base.pop();
                    after = word_at(&chars, after + 2).1;
                }
                Some(base)
            }
            _ => None,
        };
        match base {
            Some(base) if chars.get(after..after + 2) == Some(&[':', ':'][..]) => {
                let line = chars[..i].iter().filter(|&&c| c == '\n').count() + 1;
                let (tails, end) = path_tails(&chars, after + 2);
                for tail in tails {
                    let mut path = base.clone();
                    path.extend(tail);
                    refs.push(Reference { line, path });
                }
                i = end;
            }
            _ => i = after,
        }
    }
    refs
}

fn word_at(chars: &[char], mut i: usize) -> (String, usize) {
    let mut w = String::new();
    while let Some(&c) = chars.get(i).filter(|&&c| ident(c)) {
        w.push(c);
        i += 1;
    }
    (w, i)
}

/// The path segments from `i` (just after `crate::`), one list per leaf of a `{...}` group;
/// and where the path ends.
fn path_tails(chars: &[char], mut i: usize) -> (Vec<Vec<String>>, usize) {
    let mut segs = Vec::new();
    loop {
        i = skip_space(chars, i);
        match chars.get(i) {
            Some('{') => {
                let close = matching(chars, i, '{', '}');
                let mut tails = Vec::new();
                let mut j = i + 1;
                while j < close {
                    let (inner, end) = path_tails(chars, j);
                    tails.extend(inner.into_iter().map(|t| [segs.clone(), t].concat()));
                    j = skip_space(chars, end);
                    if chars.get(j) != Some(&',') {
                        break;
                    }
                    j += 1;
                }
                return (tails, close + 1);
            }
            Some(&c) if ident(c) => {
                let (w, after) = word_at(chars, i);
                if w != "self" {
                    segs.push(w);
                }
                i = after;
                if chars.get(i..i + 2) != Some(&[':', ':'][..]) {
                    return (vec![segs], i);
                }
                i += 2;
            }
            _ => return (vec![segs], i),
        }
    }
}
