//! Link layers, IP, tunnels and transport: arbitrary frames of every supported link type.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sporfri::wire::Parsed;
use sporfri::wire::link::{self, LinkType};

const LINKS: [u32; 13] = [0, 1, 9, 12, 14, 50, 101, 108, 113, 228, 229, 239, 276];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, frame)) = data.split_first() else {
        return;
    };
    let link_type = LinkType(LINKS[usize::from(pick) % LINKS.len()]);
    if let Parsed::Done(f) = link::decode(link_type, frame) {
        let _ = link::transport(&f.ip);
        let _ = link::transport(&link::unwrap_tunnels(f.ip));
    }
});
