//! The whole pipeline (engine, flows, reassembly, contacts, extraction) fed with arbitrary
//! packets: the input is split into frames, each with a link type and a timestamp step.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sporfri::capture::Packet;
use sporfri::contact::Contacts;
use sporfri::flow::Engine;
use sporfri::output::extract::Extraction;
use sporfri::time::Timestamp;
use sporfri::wire::link::LinkType;

const LINKS: [u32; 6] = [1, 1, 1, 101, 113, 276];

fuzz_target!(|data: &[u8]| {
    let mut engine = Engine::new();
    let mut contacts = Contacts::default();
    let mut extraction = Extraction::new(true);
    let mut ts = 1_700_000_000_000_000_000u64;
    let mut rest = data;
    // Frame: [link pick][time step][len hi][len lo] bytes...
    while let [pick, step, hi, lo, tail @ ..] = rest {
        let len = (usize::from(*hi) << 8 | usize::from(*lo)).min(tail.len());
        let (frame, next) = tail.split_at(len);
        ts += u64::from(*step) * 100_000_000;
        let packet = Packet {
            ts: Timestamp(ts),
            link: LinkType(LINKS[usize::from(*pick) % LINKS.len()]),
            data: frame,
            orig_len: len as u32,
        };
        engine.ingest(&packet, &mut |o| {
            contacts.observe(&o);
            extraction.observe(&o);
        });
        rest = next;
    }
    engine.finish(&mut |o| {
        contacts.observe(&o);
        extraction.observe(&o);
    });
    let _ = contacts.sorted();
});
