//! The pcap/pcapng reader over arbitrary file bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sporfri::capture::{FileSource, PacketSource};

fuzz_target!(|data: &[u8]| {
    let reader = Box::new(std::io::Cursor::new(data.to_vec()));
    if let Ok(mut source) = FileSource::from_reader(reader, "fuzz", data.len() as u64) {
        while let Ok(Some(_)) = source.next_packet() {}
    }
});
