//! The regression corpus: inputs kept from the fuzz runs (`fuzz/regressions/<target>/`), run
//! through exactly the fuzz targets' code on every `cargo test`. A crash the fuzzer finds is
//! minimised (`cargo fuzz tmin`) and added here under a name that says what it was.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use sporfri::fuzzing;

#[test]
fn every_kept_fuzz_input_runs_without_panicking() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
    let mut ran = 0;
    for target in fuzzing::TARGETS {
        let dir = root.join(target);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            panic!("{} is missing", dir.display());
        };
        for entry in entries.flatten() {
            let data = std::fs::read(entry.path()).unwrap();
            assert!(fuzzing::run(target, &data), "unknown target {target}");
            ran += 1;
        }
    }
    assert!(ran >= 8 * 10, "only {ran} regression inputs");
}
