//! The crate's layering, checked on its source (ARCHITECTURE.md draws the same table).
//!
//! Every module sits in a layer and names the modules it may use; a module may use only
//! those, and they sit in lower layers, so dependencies point one way. Test code (`tests.rs`,
//! `*_tests.rs`, anything under `#[cfg(test)]`) may reach further: a test of the DNS cache may
//! build its input with the flow table's constants. Inside a module, its files form no cycle
//! either, except the few listed in [`CYCLES`] with the reason they stay.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

#[path = "architecture/scan.rs"]
mod scan;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use scan::{Reference, SourceFile, read_crate, references};

/// The layers, lowest first; in each, the modules and what each may use.
///
/// The main line is the data's way through the program: `wire` parses, `flow` (driving the
/// `decrypt` analyzer) keeps state and raises observations in the `observation` vocabulary,
/// `attribute` applies policy, `contact` and `session` aggregate, `store` persists, and the
/// front ends (`cli`, `tui`, `report`, `output`) present. The vocabulary sits low, beside
/// `capture`: the analyzers that raise observations and the policy that reads them both
/// import it, and it imports no analyzer.
const LAYERS: &[&[(&str, &[&str])]] = &[
    // Leaves: time values, English text helpers, the catalogue of weirds.
    &[("time", &[]), ("text", &[]), ("weird", &[])],
    // Pure parsers over borrowed bytes; the weird counters.
    &[("wire", &["time", "weird"]), ("stats", &["weird"])],
    // Packets in; the vocabulary the analyzers speak.
    &[
        ("capture", &["time", "wire"]),
        ("observation", &["time", "wire"]),
    ],
    // The lab decryption analyzer (TLS, HTTP/1.x, HTTP/2 from a key log): the flow engine
    // feeds it records and it raises observations; it knows no flow table.
    &[(
        "decrypt",
        &["time", "stats", "weird", "wire", "observation"],
    )],
    // State: the flow table, reassembly, the DNS cache, the analyzers' engine.
    &[(
        "flow",
        &[
            "time",
            "stats",
            "weird",
            "wire",
            "capture",
            "observation",
            "decrypt",
        ],
    )],
    // Policy: signatures, sites, parties.
    &[("attribute", &["time", "text", "wire", "observation"])],
    // Contacts per device.
    &[(
        "contact",
        &["time", "text", "wire", "observation", "attribute"],
    )],
    // Sessions: what a recording keeps (evidence, requests, marks, counters).
    &[(
        "session",
        &["time", "text", "observation", "attribute", "contact"],
    )],
    // The one loop (source → engine → consumer).
    &[(
        "pipeline",
        &[
            "time",
            "capture",
            "observation",
            "decrypt",
            "flow",
            "contact",
            "session",
        ],
    )],
    // Persistence (sled), the only module that touches the database.
    &[(
        "store",
        &["time", "observation", "attribute", "contact", "session"],
    )],
    // The control socket of a recording process; `control::Database` reads a database through
    // its owner's socket or, with no owner, from the store itself, so it sits above the store.
    &[(
        "control",
        &["time", "observation", "attribute", "session", "store"],
    )],
    // Live capture on the access point: threads around the pipeline, the store writer.
    &[(
        "live",
        &[
            "time",
            "stats",
            "wire",
            "capture",
            "observation",
            "decrypt",
            "attribute",
            "contact",
            "session",
            "pipeline",
            "control",
            "store",
        ],
    )],
    // Presentation: replay's output, reports, the dashboard.
    &[
        (
            "output",
            &[
                "time",
                "text",
                "observation",
                "attribute",
                "contact",
                "session",
            ],
        ),
        (
            "report",
            &["time", "text", "observation", "attribute", "session"],
        ),
        (
            "tui",
            &[
                "time",
                "text",
                "capture",
                "observation",
                "attribute",
                "session",
                "pipeline",
                "control",
                "store",
            ],
        ),
    ],
    // Entry points: the binary's commands, the fuzz targets' harness.
    &[
        (
            "cli",
            &[
                "time",
                "text",
                "capture",
                "observation",
                "decrypt",
                "flow",
                "attribute",
                "contact",
                "session",
                "pipeline",
                "control",
                "store",
                "live",
                "output",
                "report",
                "tui",
            ],
        ),
        (
            "fuzzing",
            &[
                "time",
                "stats",
                "wire",
                "capture",
                "observation",
                "decrypt",
                "flow",
                "contact",
                "pipeline",
                "output",
            ],
        ),
    ],
];

/// Cycles between the files of one module that stay, each with its reason: `(module, files)`.
const CYCLES: &[(&str, &[&str])] = &[
    // Being taken apart (#16): listed here until they are, so the check guards the rest.
    ("attribute", &["attributor", "provenance"]),
    // The survey's row types live beside its builder, whose `finish` calls the matrix that
    // reads those rows (#24, merged as it came): a leaf with the row types would end it.
    ("report", &["survey", "survey_matrix"]),
];

fn src() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The layer of each module, and what it may use.
fn table() -> BTreeMap<&'static str, (usize, &'static [&'static str])> {
    let mut t = BTreeMap::new();
    for (layer, modules) in LAYERS.iter().enumerate() {
        for &(name, uses) in *modules {
            assert!(t.insert(name, (layer, uses)).is_none(), "{name} twice");
        }
    }
    t
}

/// The top-level module a file belongs to (`cli` for the binary); `None` for `lib.rs`.
fn owner(file: &SourceFile) -> Option<String> {
    if file.binary {
        return Some("cli".to_owned());
    }
    file.module.first().cloned()
}

/// Every cross-module reference of non-test code the table does not allow, as
/// `file:line: owner -> path`.
fn layer_violations(files: &[SourceFile]) -> Vec<String> {
    let table = table();
    let mut bad = Vec::new();
    for file in files.iter().filter(|f| !f.test_only) {
        let Some(me) = owner(file) else { continue };
        let allowed = table.get(me.as_str()).map_or(&[][..], |(_, uses)| *uses);
        for Reference { line, path } in references(file) {
            let Some(target) = path.first() else { continue };
            if *target == me || (file.binary && target == "cli") {
                continue;
            }
            if !allowed.contains(&target.as_str()) {
                bad.push(format!(
                    "src/{}:{line}: {me} -> {}",
                    file.rel,
                    path.join("::")
                ));
            }
        }
    }
    bad
}

/// The files (child modules) of each module and which siblings each names.
fn sibling_graph(files: &[SourceFile]) -> BTreeMap<String, BTreeMap<String, BTreeSet<String>>> {
    let children: BTreeSet<(String, String)> = files
        .iter()
        .filter(|f| f.module.len() >= 2 && !f.binary)
        .map(|f| (f.module[0].clone(), f.module[1].clone()))
        .collect();
    let mut graph: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for file in files.iter().filter(|f| !f.test_only && !f.binary) {
        let [top, me, ..] = file.module.as_slice() else {
            continue;
        };
        let edges = graph.entry(top.clone()).or_default();
        let mine = edges.entry(me.clone()).or_default();
        for r in references(file) {
            if let [t, child, ..] = r.path.as_slice() {
                if t == top && child != me && children.contains(&(t.clone(), child.clone())) {
                    mine.insert(child.clone());
                }
            }
        }
    }
    graph
}

/// The cycles (strongly connected sets of two or more) of a graph, each sorted.
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    // Two nodes share a cycle when each reaches the other.
    let reach = |from: &String| {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.clone()];
        while let Some(n) = todo.pop() {
            for next in graph.get(&n).into_iter().flatten() {
                if seen.insert(next.clone()) {
                    todo.push(next.clone());
                }
            }
        }
        seen
    };
    let reaches: BTreeMap<&String, BTreeSet<String>> =
        graph.keys().map(|n| (n, reach(n))).collect();
    let mut found: BTreeSet<Vec<String>> = BTreeSet::new();
    for (n, r) in &reaches {
        let set: Vec<String> = reaches
            .iter()
            .filter(|(m, mr)| r.contains(**m) && mr.contains(*n))
            .map(|(m, _)| (*m).clone())
            .collect();
        if set.len() >= 2 {
            found.insert(set);
        }
    }
    found.into_iter().collect()
}

/// The files that may name the `pcap` crate: the live interface and `replay --filter`'s BPF.
const LIBPCAP: &[&str] = &["capture/filter.rs", "capture/interface.rs"];

#[test]
fn only_the_capture_edge_touches_libpcap() {
    let files = read_crate(&src());
    let mut users: Vec<&str> = files
        .iter()
        .filter(|f| !f.test_only)
        .filter(|f| {
            f.code.match_indices("pcap::").any(|(at, _)| {
                let before = f.code[..at].chars().next_back();
                !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
            })
        })
        .map(|f| f.rel.as_str())
        .collect();
    users.sort_unstable();
    assert_eq!(users, LIBPCAP, "files that name the pcap crate");
}

#[test]
fn every_module_has_a_place_in_the_table() {
    let files = read_crate(&src());
    let modules: BTreeSet<String> = files.iter().filter_map(owner).collect();
    let table = table();
    let listed: BTreeSet<String> = table.keys().map(|m| (*m).to_owned()).collect();
    assert_eq!(modules, listed, "modules in src/ vs. LAYERS");
}

/// The table as ARCHITECTURE.md draws it: the first code block under "## Layers", columns
/// layer (7 characters), module (13), then what it may use (continued on lines with no module).
fn documented_table() -> BTreeMap<String, (usize, BTreeSet<String>)> {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("ARCHITECTURE.md"))
            .expect("ARCHITECTURE.md");
    let section = doc.split("## Layers").nth(1).expect("a Layers section");
    let block = section.split("```").nth(1).expect("a code block");
    let mut table = BTreeMap::new();
    let (mut layer, mut module) = (None, None);
    for line in block.lines().skip(2) {
        let col = |from: usize, to: usize| {
            line.chars()
                .skip(from)
                .take(to.saturating_sub(from))
                .collect::<String>()
        };
        if let Ok(l) = col(0, 7).trim().parse::<usize>() {
            layer = Some(l);
        }
        let name = col(7, 20).trim().to_owned();
        if !name.is_empty() {
            let l = layer.expect("a layer before its modules");
            table.insert(name.clone(), (l, BTreeSet::new()));
            module = Some(name);
        }
        let m = module.clone().expect("a module before what it uses");
        let uses = &mut table.get_mut(&m).expect("inserted").1;
        uses.extend(
            col(20, line.chars().count())
                .split_whitespace()
                .map(str::to_owned),
        );
    }
    table
}

#[test]
fn architecture_md_draws_this_table() {
    let code: BTreeMap<String, (usize, BTreeSet<String>)> = table()
        .into_iter()
        .map(|(m, (l, uses))| {
            (
                m.to_owned(),
                (l, uses.iter().map(|u| (*u).to_owned()).collect()),
            )
        })
        .collect();
    assert_eq!(
        documented_table(),
        code,
        "ARCHITECTURE.md's layer table vs. LAYERS"
    );
}

#[test]
fn the_table_points_one_way() {
    let table = table();
    for (name, (layer, uses)) in &table {
        for used in *uses {
            let (theirs, _) = table
                .get(used)
                .unwrap_or_else(|| panic!("{name} may use {used}, which is not in the table"));
            assert!(
                theirs < layer,
                "{name} (layer {layer}) may use {used} (layer {theirs}): not a lower layer"
            );
        }
    }
}

#[test]
fn modules_use_only_what_their_layer_allows() {
    let bad = layer_violations(&read_crate(&src()));
    assert!(
        bad.is_empty(),
        "uses the layering does not allow (see LAYERS in tests/architecture.rs):\n{}",
        bad.join("\n")
    );
}

#[test]
fn the_files_of_a_module_form_no_cycle() {
    let graph = sibling_graph(&read_crate(&src()));
    let mut bad = Vec::new();
    let mut found = Vec::new();
    for (module, edges) in &graph {
        for cycle in cycles(edges) {
            let accepted = CYCLES.iter().any(|(m, files)| {
                m == module && files.iter().copied().eq(cycle.iter().map(String::as_str))
            });
            if !accepted {
                bad.push(format!("{module}: {}", cycle.join(" <-> ")));
            }
            found.push((module.clone(), cycle));
        }
    }
    // A listed cycle that is gone is taken off the list, so the list stays the truth.
    for (module, files) in CYCLES {
        let present = found.iter().any(|(m, cycle)| {
            m == module && files.iter().copied().eq(cycle.iter().map(String::as_str))
        });
        if !present {
            bad.push(format!(
                "{module}: {} is listed in CYCLES but is no cycle any more",
                files.join(" <-> ")
            ));
        }
    }
    assert!(
        bad.is_empty(),
        "cycles between the files of a module:\n{}",
        bad.join("\n")
    );
}

/// The scanner itself: a check that cannot see a violation proves nothing.
mod scanner {
    use super::scan::{SourceFile, blank, drop_test_items, module_of, references};
    use super::{cycles, layer_violations};
    use std::collections::{BTreeMap, BTreeSet};

    fn file(rel: &str, text: &str) -> SourceFile {
        let (code, _) = drop_test_items(&blank(text));
        SourceFile {
            rel: rel.to_owned(),
            module: module_of(rel),
            binary: rel.starts_with("cli/"),
            test_only: false,
            code,
        }
    }

    fn paths(f: &SourceFile) -> Vec<String> {
        references(f)
            .into_iter()
            .map(|r| format!("{}:{}", r.line, r.path.join("::")))
            .collect()
    }

    #[test]
    fn finds_use_lines_groups_and_qualified_paths() {
        let f = file(
            "session/evidence.rs",
            "use crate::contact::Touched;\nuse crate::{observation::{Via, FlowKey}, time};\n\
             const N: usize = crate::flow::table::MAX_FLOWS;\nuse super::ts;\n",
        );
        assert_eq!(
            paths(&f),
            [
                "1:contact::Touched",
                "2:observation::Via",
                "2:observation::FlowKey",
                "2:time",
                "3:flow::table::MAX_FLOWS",
                "4:session::ts"
            ]
        );
    }

    #[test]
    fn resolves_super_from_nested_files() {
        let f = file(
            "tui/view/detail.rs",
            "use super::super::model::Model;\nuse super::style;",
        );
        assert_eq!(paths(&f), ["1:tui::model::Model", "2:tui::view::style"]);
        let top = file("flow/mod.rs", "fn f() { super::wire::parse(); }");
        assert_eq!(paths(&top), ["1:wire::parse"]);
    }

    #[test]
    fn skips_comments_strings_and_test_code() {
        let f = file(
            "wire/dns.rs",
            "// crate::flow in a comment\n/* crate::store /* nested */ crate::tui */\n\
             const S: &str = \"crate::session\";\nconst R: &str = r#\"crate::\"report\"#;\n\
             const C: char = '\"'; fn f<'a>(x: &'a str) {}\n\
             #[cfg(test)]\nmod tests { use crate::flow::Engine; }\n\
             #[cfg(test)]\n#[path = \"x_tests.rs\"]\nmod x;\nuse crate::time::Timestamp;\n",
        );
        assert_eq!(paths(&f), ["11:time::Timestamp"]);
        assert_eq!(
            drop_test_items(&blank("#[cfg(test)]\nmod dns_tests;")).1,
            ["dns_tests"]
        );
    }

    #[test]
    fn the_binary_names_the_library_as_sporfri() {
        let f = file(
            "cli/replay.rs",
            "use sporfri::flow::Engine;\nuse crate::cli::common;",
        );
        assert_eq!(paths(&f), ["1:flow::Engine"]);
    }

    #[test]
    fn a_use_against_the_direction_is_a_violation() {
        let files = [
            file("decrypt/h1.rs", "use crate::flow::http::Exchanges;"),
            file("flow/http.rs", "use crate::decrypt::KeyLog;"),
            file(
                "wire/dns.rs",
                "#[cfg(test)]\nmod tests { use crate::flow::Engine; }",
            ),
        ];
        assert_eq!(
            layer_violations(&files),
            ["src/decrypt/h1.rs:1: decrypt -> flow::http::Exchanges"]
        );
    }

    #[test]
    fn finds_cycles() {
        let g: BTreeMap<String, BTreeSet<String>> =
            [("a", "b"), ("b", "c"), ("c", "a"), ("d", "a")]
                .into_iter()
                .map(|(x, y)| (x.to_owned(), BTreeSet::from([y.to_owned()])))
                .collect();
        assert_eq!(cycles(&g), [vec!["a", "b", "c"]]);
    }
}
