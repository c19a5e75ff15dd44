//! README's "Weirds" table lists exactly the kinds of the catalogue, each with its doc line,
//! and no other text in README or ARCHITECTURE.md names a kind that does not exist.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::BTreeMap;

use sporfri::weird::Weird;

fn read(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The rows of README's "### Weirds" table: kind name → description.
fn readme_table(readme: &str) -> BTreeMap<String, String> {
    let section = readme
        .split_once("\n### Weirds\n")
        .expect("README has a ### Weirds section")
        .1;
    let section = section.split("\n#").next().unwrap_or_default();
    let mut rows = BTreeMap::new();
    for line in section.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = line.trim_matches('|').split(" | ").map(str::trim).collect();
        assert_eq!(cells.len(), 2, "a row of two cells: {line}");
        let name = cells[0].trim_matches('`').to_owned();
        let old = rows.insert(name.clone(), cells[1].to_owned());
        assert!(old.is_none(), "{name} listed twice");
    }
    rows
}

#[test]
fn readme_lists_exactly_the_kinds_that_exist() {
    let rows = readme_table(&read("README.md"));
    let catalogue: BTreeMap<String, String> = Weird::ALL
        .iter()
        .map(|w| (w.name().to_owned(), w.doc().to_owned()))
        .collect();
    let missing: Vec<_> = catalogue
        .keys()
        .filter(|k| !rows.contains_key(*k))
        .collect();
    let extra: Vec<_> = rows
        .keys()
        .filter(|k| !catalogue.contains_key(*k))
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "README's Weirds table misses {missing:?} and lists kinds that do not exist: {extra:?}"
    );
    for (name, doc) in &catalogue {
        assert_eq!(&rows[name], doc, "README's description of {name}");
    }
}

/// A word in backticks shaped like a kind (`dns.something`) whose layer is a weird layer must
/// be a kind: the prose may not name one that nothing emits (README once named
/// `dns.malformed`).
#[test]
fn prose_names_only_kinds_that_exist() {
    let layers: Vec<&str> = Weird::ALL
        .iter()
        .filter_map(|w| w.name().split_once('.').map(|(layer, _)| layer))
        .collect();
    for file in ["README.md", "ARCHITECTURE.md"] {
        let text = read(file);
        for quoted in text.split('`').skip(1).step_by(2) {
            // `flow.evicted_table_full=884736` in the benchmark table: the name before `=`.
            let name = quoted.split('=').next().unwrap_or_default();
            let Some((layer, what)) = name.split_once('.') else {
                continue;
            };
            let shaped = what
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if layers.contains(&layer) && shaped && !what.is_empty() {
                assert!(
                    Weird::from_name(name).is_some(),
                    "{file} names `{name}`, which is not a kind of the catalogue"
                );
            }
        }
    }
}
