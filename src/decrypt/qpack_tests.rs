//! QPACK decoding against the examples of RFC 9204 Appendix B, and its limits.

#![allow(clippy::unwrap_used)]

use super::*;
use crate::decrypt::keylog::unhex;

fn h(s: &str) -> Vec<u8> {
    unhex(s.replace(' ', "").as_bytes()).unwrap()
}

fn fields(d: Decoded) -> Vec<(String, String)> {
    let Decoded::Fields(f) = d else {
        panic!("blocked")
    };
    f.into_iter()
        .map(|(n, v)| (String::from_utf8(n).unwrap(), String::from_utf8(v).unwrap()))
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

#[test]
fn rfc9204_b1_literal_with_static_name_reference() {
    let mut d = QpackDecoder::default();
    let got = d
        .decode(&h("0000 510b 2f69 6e64 6578 2e68 746d 6c"))
        .unwrap();
    assert_eq!(fields(got), pairs(&[(":path", "/index.html")]));
}

#[test]
fn rfc9204_b2_to_b5_dynamic_table() {
    let mut d = QpackDecoder::default();
    d.set_max_capacity(220);
    // B.2: the section arrives before the inserts it needs: blocked, then decodable.
    let section = h("0381 10 11");
    assert_eq!(d.decode(&section).unwrap(), Decoded::Blocked);
    d.encoder_stream(&h(
        "3fbd01 c00f 7777 772e 6578 616d 706c 652e 636f 6d c10c 2f73 616d 706c 652f 7061 7468",
    ))
    .unwrap();
    assert_eq!((d.inserted(), d.table_size()), (2, 106));
    let want = pairs(&[(":authority", "www.example.com"), (":path", "/sample/path")]);
    assert_eq!(fields(d.decode(&section).unwrap()), want);
    // B.3: Insert With Literal Name.
    d.encoder_stream(&h(
        "4a63 7573 746f 6d2d 6b65 790c 6375 7374 6f6d 2d76 616c 7565",
    ))
    .unwrap();
    assert_eq!(d.table_size(), 160);
    // B.4: Duplicate, then a section with relative and static references.
    d.encoder_stream(&h("02")).unwrap();
    assert_eq!(d.table_size(), 217);
    let got = d.decode(&h("0500 80 c1 81")).unwrap();
    let want = pairs(&[
        (":authority", "www.example.com"),
        (":path", "/"),
        ("custom-key", "custom-value"),
    ]);
    assert_eq!(fields(got), want);
    // B.5: Insert With Name Reference to a dynamic entry evicts the oldest.
    d.encoder_stream(&h("810d 6375 7374 6f6d 2d76 616c 7565 32"))
        .unwrap();
    assert_eq!((d.inserted(), d.table_size()), (5, 215));
    assert_eq!(d.absolute(0), Err(QpackError::BadIndex));
    assert_eq!(d.absolute(4).unwrap().1, b"custom-value2");
}

#[test]
fn huffman_strings_and_split_instructions() {
    let mut d = QpackDecoder::default();
    // RFC 7541 C.4.1's Huffman "www.example.com" as the value of static :authority.
    let section = h("0000 50 8c f1e3 c2e5 f23a 6ba0 ab90 f4ff");
    assert_eq!(
        fields(d.decode(&section).unwrap()),
        pairs(&[(":authority", "www.example.com")])
    );
    // Literal name (Huffman "custom-key", RFC 7541 C.4.3) and a literal value.
    let section = h("0000 2f01 25a8 49e9 5ba9 7d7f 03 616263");
    assert_eq!(
        fields(d.decode(&section).unwrap()),
        pairs(&[("custom-key", "abc")])
    );
    // Encoder instructions one byte at a time.
    let mut d = QpackDecoder::default();
    d.set_max_capacity(220);
    for b in h("3fbd01 4a63 7573 746f 6d2d 6b65 790c 6375 7374 6f6d 2d76 616c 7565") {
        d.encoder_stream(&[b]).unwrap();
    }
    assert_eq!(d.inserted(), 1);
    assert_eq!(
        fields(d.decode(&h("0200 80")).unwrap()),
        pairs(&[("custom-key", "custom-value")])
    );
}

#[test]
fn sections_before_settings_wait_unless_static() {
    let mut d = QpackDecoder::default();
    assert_eq!(d.decode(&h("0200 80")).unwrap(), Decoded::Blocked);
    assert!(matches!(
        d.decode(&h("0000 d1")).unwrap(),
        Decoded::Fields(_)
    ));
    d.set_max_capacity(0);
    assert_eq!(d.decode(&h("0200 80")), Err(QpackError::Malformed));
}

#[test]
fn bad_input_is_an_error_never_a_panic() {
    let mut d = QpackDecoder::default();
    d.set_max_capacity(220);
    d.encoder_stream(&h("3fbd01 c00f 7777 772e 6578 616d 706c 652e 636f 6d"))
        .unwrap();
    for (section, err) in [
        ("0000 ff24", QpackError::BadIndex),       // static index 99
        ("0200 81", QpackError::BadIndex),         // relative index before entry 0
        ("0201 10", QpackError::BadIndex),         // post-base index at the RIC
        ("0000 510b 2f69", QpackError::Malformed), // value cut short
        ("0000 5f ffffffffffffffffffff", QpackError::Malformed), // integer overflow
        ("0e00", QpackError::Malformed),           // RIC beyond the full range
        (
            "0000 508c ffff ffff ffff ffff ffff ffff",
            QpackError::Huffman,
        ),
    ] {
        assert_eq!(d.decode(&h(section)), Err(err), "{section}");
    }
    assert_eq!(d.encoder_stream(&h("03")), Err(QpackError::BadIndex));
}

#[test]
fn limits_are_errors() {
    let mut d = QpackDecoder::default();
    assert_eq!(
        d.encoder_stream(&h("3fe2ff03")), // capacity 65537
        Err(QpackError::TableTooLarge)
    );
    let mut d = QpackDecoder::default();
    d.set_max_capacity(100);
    assert_eq!(d.encoder_stream(&h("3f46")), Err(QpackError::TableTooLarge)); // 101 > 100
    // An insert announcing more bytes than MAX_ENCODER_PENDING waits, then fails.
    let mut d = QpackDecoder::default();
    let mut insert = h("4a 6375 7374 6f6d 2d6b 6579 7f"); // value length follows
    let mut len = 2 * MAX_ENCODER_PENDING as u64 - 127;
    while len >= 0x80 {
        insert.push((len as u8 & 0x7f) | 0x80);
        len >>= 7;
    }
    insert.push(len as u8);
    d.encoder_stream(&insert).unwrap();
    let chunk = vec![b'x'; 16 * 1024];
    let mut result = Ok(());
    for _ in 0..5 {
        result = d.encoder_stream(&chunk);
        if result.is_err() {
            break;
        }
    }
    assert_eq!(result, Err(QpackError::InstructionTooLarge));
    // A section referring again and again to a large entry is cut at MAX_FIELD_SECTION_BYTES.
    let mut d = QpackDecoder::default();
    d.set_max_capacity(MAX_QPACK_TABLE);
    let mut es = h("3fe1ff03"); // capacity 65536
    es.extend_from_slice(&h("41 78 7f")); // insert literal name "x", value length ...
    let value_len: u64 = 60_000;
    let mut rest = value_len - 127;
    while rest >= 0x80 {
        es.push((rest as u8 & 0x7f) | 0x80);
        rest >>= 7;
    }
    es.push(rest as u8);
    es.extend(std::iter::repeat_n(b'v', value_len as usize));
    d.encoder_stream(&es).unwrap();
    assert_eq!(d.inserted(), 1);
    let mut section = h("0200");
    section.extend(std::iter::repeat_n(0x80, 5));
    assert_eq!(d.decode(&section), Err(QpackError::SectionTooLarge));
    section.truncate(2 + 4);
    assert!(matches!(d.decode(&section).unwrap(), Decoded::Fields(f) if f.len() == 4));
}
