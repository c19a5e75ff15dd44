//! Report rules of issue 15: the frame with decrypted requests, blocked attempts, names the
//! browser or OS contacts on its own.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use super::tests::{contact, session};
use super::*;

/// Issue 15.6: the frame said "never page contents" in sessions whose requests were decrypted.
#[test]
fn the_frame_admits_decrypted_requests() {
    let mut s = session(&[], None);
    let cs = [contact(
        "a.example",
        Party::Third,
        None,
        Phase::BeforeConsent,
        1,
        2,
    )];
    let plain = build(&s, &cs, None, Meta::current(vec![]));
    assert!(
        plain
            .frame
            .iter()
            .any(|p| p.contains("never page contents"))
    );
    s.stats.requests = 3;
    let decrypted = build(&s, &cs, None, Meta::current(vec![]));
    assert!(
        !decrypted
            .frame
            .iter()
            .any(|p| p.contains("never page contents")),
        "{:?}",
        decrypted.frame
    );
    assert!(
        decrypted
            .frame
            .iter()
            .any(|p| p.contains("decrypted 3 request(s)"))
    );
    assert_eq!(plain.frame.len(), decrypted.frame.len());
}
