//! Attribution benchmark: lookups per second for 1M names against the built-in signatures (half
//! of them under a signature domain, half unknown), by `lookup` and by the full `attribute`.
//!
//! Run: `cargo bench --bench attribute`. With an empty built-in set (no `signatures/` at build
//! time) it measures the test fixtures instead and says so.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use sporfri::attribute::{Attributor, Facts, builtin_layer};

const NAMES: usize = 1_000_000;

fn main() {
    let builtin = builtin_layer().expect("built-in signatures load");
    let (attributor, set) = if builtin.signatures.domain_count() > 0 {
        let n = builtin.signatures.domain_count();
        (
            Attributor::from_layers(vec![builtin], None).unwrap(),
            format!("built-in set ({n} domains)"),
        )
    } else {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/signatures/good");
        (
            Attributor::load(&[&dir], None).unwrap(),
            "test fixtures (the built-in set is empty)".to_owned(),
        )
    };
    let domains: Vec<String> = attributor.layers()[0]
        .signatures
        .services()
        .iter()
        .flat_map(|s| s.domains.iter().cloned())
        .collect();
    let names: Vec<String> = (0..NAMES)
        .map(|i| {
            if i % 2 == 0 && !domains.is_empty() {
                format!("a{}.b.{}", i % 97, domains[i % domains.len()])
            } else {
                format!("host{i}.cdn{}.unknown-vendor{}.example", i % 13, i % 1000)
            }
        })
        .collect();
    let started = Instant::now();
    let mut hits = 0usize;
    for n in &names {
        hits += usize::from(black_box(attributor.lookup(n)).is_some());
    }
    report("lookup", started, hits, &set);
    let started = Instant::now();
    let mut hits = 0usize;
    for n in &names {
        let facts = Facts {
            name: n,
            ..Facts::default()
        };
        hits += usize::from(black_box(attributor.attribute(&facts)).org.is_some());
    }
    report("attribute", started, hits, &set);
}

fn report(what: &str, started: Instant, hits: usize, set: &str) {
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{what}: {NAMES} names in {secs:.3} s ({:.0} lookups/s), {hits} matched, against the {set}",
        NAMES as f64 / secs
    );
}
