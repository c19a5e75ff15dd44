//! `replay --filter BPF`: the packets libpcap's filter accepts, as `live --filter` captures them
//! (cargo feature `live`); without libpcap, or with `--label`, a clear bad-argument error.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use common::sporfri;

const LAB: &str = "captures/lab-borger-home.pcapng";

/// Recording a filtered capture would give a session whose report cannot say what the filter
/// left out: refused, whatever the build.
#[test]
fn a_filter_is_not_recorded_as_a_session() {
    let (code, out, err) = sporfri(&[
        "replay",
        LAB,
        "--filter",
        "udp",
        "--label",
        "x",
        "--db",
        "/nonexistent/sporfri-filter-db",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("a session records the whole capture"), "{err}");
    assert!(out.is_empty());
    assert!(!std::path::Path::new("/nonexistent/sporfri-filter-db").exists());
}

#[cfg(not(feature = "live"))]
#[test]
fn without_libpcap_a_filter_is_a_clear_error() {
    let (code, out, err) = sporfri(&["replay", LAB, "--filter", "udp"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("built without libpcap"), "{err}");
    assert!(out.is_empty(), "no contact from an unfiltered run: {out}");
}

#[cfg(feature = "live")]
mod live {
    use super::{LAB, sporfri};

    /// Contacts (name, via) of a filtered replay, and its stderr.
    fn filtered(expr: &str) -> (Vec<(String, Vec<String>)>, String) {
        let (code, out, err) = sporfri(&["replay", LAB, "--format", "jsonl", "--filter", expr]);
        assert_eq!(code, 0, "{err}");
        let contacts = out
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .map(|c| {
                let via = c["via"].as_array().unwrap().iter();
                let via = via.map(|v| v.as_str().unwrap().to_owned()).collect();
                (c["name"].as_str().unwrap().to_owned(), via)
            })
            .collect();
        (contacts, err)
    }

    /// Packets tshark's display filter `display` keeps (the same packets as the BPF expression
    /// on this capture: it has no tunnels or ICMP errors quoting headers), or `None` without
    /// tshark.
    fn tshark_count(display: &str) -> Option<usize> {
        let out = std::process::Command::new("tshark")
            .args(["-r", LAB, "-Y", display])
            .output()
            .ok()?;
        assert!(out.status.success(), "{out:?}");
        Some(String::from_utf8_lossy(&out.stdout).lines().count())
    }

    #[test]
    fn only_dns_packets_give_only_dns_evidence() {
        let (contacts, err) = filtered("udp port 53");
        assert!(contacts.len() >= 10, "{contacts:?}");
        for (name, via) in &contacts {
            assert_eq!(via, &["dns"], "{name}");
        }
        // Every DNS packet of the capture, as counted by another reader.
        let accepted = tshark_count("udp.port == 53").unwrap_or(168);
        assert!(
            err.contains(&format!(
                "--filter \"udp port 53\" accepted {accepted} of 637 packets"
            )),
            "{err}"
        );
    }

    #[test]
    fn without_dns_packets_no_contact_is_seen_by_dns() {
        let (all, _) = filtered("ip or ip6");
        let (contacts, err) = filtered("not port 53");
        assert!(contacts.len() >= 10, "{contacts:?}");
        for (name, via) in &contacts {
            assert!(!via.iter().any(|v| v == "dns"), "{name}: {via:?}");
            // Without the DNS answers that named them, some flows show as server addresses.
            let address = name.parse::<std::net::IpAddr>().is_ok();
            assert!(address || all.iter().any(|(n, _)| n == name), "{name}");
        }
        let accepted = tshark_count("!(udp.port == 53 || tcp.port == 53)").unwrap_or(469);
        assert!(
            err.contains(&format!("accepted {accepted} of 637 packets")),
            "{err}"
        );
    }

    #[test]
    fn a_wrong_expression_is_a_bad_argument_before_any_analysis() {
        let (code, out, err) = sporfri(&["replay", LAB, "--filter", "port banana"]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("BPF filter \"port banana\""), "{err}");
        assert!(out.is_empty());
    }
}
