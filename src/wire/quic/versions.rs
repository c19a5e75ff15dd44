//! Which QUIC versions sporfri reads, and how: the salt of their Initial keys, the frames and
//! the handshake message inside, or the Google QUIC header that carries an unencrypted hello.
//!
//! Sources of the constants (read, not copied):
//! - IETF: RFC 9000/9001 (v1), RFC 9369 (v2), draft-ietf-quic-tls-22 §5.2, -23 §5.2 and -29
//!   §5.2 (the three draft salts; drafts 33 and 34 already use the v1 salt); the sample packets
//!   of draft-ietf-quic-tls-22 (a draft-21 packet) and -27 Appendix A, which the tests open;
//!   draft-ietf-quic-invariants before -05 for draft-21's CID lengths in one byte.
//! - Meta's mvfst: `quic/handshake/HandshakeLayer.h` (`kQuicDraft23Salt`, `kQuicDraft29Salt`,
//!   `kQuicV1Salt`), `getQuicVersionSalt` (v1 and `QUIC_V1_ALIAS` take the v1 salt, every other
//!   version the draft-23 salt) and `FizzCryptoFactory::makeInitialTrafficSecret` of the
//!   `MVFST_D24` era (0xfaceb001 "never updated the salt": draft-22); `quic/QuicConstants.h` for
//!   the numbers (`MVFST` 0xfaceb002, `QUIC_V1_ALIAS` 0xfaceb003, `MVFST_EXPERIMENTAL` 0xfaceb00e,
//!   `MVFST_ALIAS` 0xfaceb010, `MVFST_EXPERIMENTAL2/3` 0xfaceb011/0xfaceb013).
//! - Google: Wireshark's `epan/dissectors/packet-quic.c` (`quic_derive_initial_secrets`: the
//!   Q050, T050 and T051 salts; those versions carry Google QUIC frames,
//!   `quic_process_payload`) and `packet-gquic.c` (Q043 public header, Q046 long header, the
//!   CRYPTO frame of Q050 carrying a CHLO, T050/T051 carrying TLS); Chromium's QUIC crypto
//!   design document ("QUIC Crypto", the tag-value CHLO).
//! - The version space that is QUIC at all: the QUIC working group's version registry (wiki
//!   "QUIC Versions") and Wireshark's `quic_version_vals`.

/// QUIC version 1 (RFC 9000).
pub const VERSION_1: u32 = 0x0000_0001;
/// QUIC version 2 (RFC 9369).
pub const VERSION_2: u32 = 0x6b33_43cf;
/// The version field of a Version Negotiation packet.
pub const VERSION_NEGOTIATION: u32 = 0;
/// Google QUIC Q043 ("Q043" in ASCII).
pub const Q043: u32 = 0x5130_3433;
/// Google QUIC Q046.
pub const Q046: u32 = 0x5130_3436;
/// Google QUIC Q050.
pub const Q050: u32 = 0x5130_3530;
/// Google QUIC T050 (TLS handshake).
pub const T050: u32 = 0x5430_3530;
/// Google QUIC T051.
pub const T051: u32 = 0x5430_3531;

/// mvfst's version numbers in its sources (`MVFST_D24`, `MVFST`, `QUIC_V1_ALIAS`,
/// `MVFST_EXPERIMENTAL`, `MVFST_ALIAS`, `MVFST_EXPERIMENTAL2`, `MVFST_EXPERIMENTAL3`).
pub const MVFST: [u32; 7] = [
    0xface_b001,
    0xface_b002,
    0xface_b003,
    0xface_b00e,
    0xface_b010,
    0xface_b011,
    0xface_b013,
];

/// The HKDF-Extract salt of a version's Initial secrets (and its key labels).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Salt {
    /// draft-ietf-quic-tls-21 and -22, mvfst 0xfaceb001.
    Draft22,
    /// draft-ietf-quic-tls-23 to -28, and mvfst's own versions.
    Draft23,
    /// draft-ietf-quic-tls-29 to -32.
    Draft29,
    /// RFC 9001 (and drafts 33 and 34).
    V1,
    /// RFC 9369: its own salt and `quicv2` key labels.
    V2,
    /// Google Q050.
    Q050,
    /// Google T050.
    T050,
    /// Google T051.
    T051,
}

/// The frame format inside a decrypted Initial.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameFormat {
    /// RFC 9000 §19 frames (CRYPTO is type 0x06).
    Ietf,
    /// Google QUIC frames (CRYPTO is type 0x08 from Q048 on, the handshake otherwise rides on
    /// stream 1 in STREAM frames).
    Google,
}

/// The handshake message the crypto stream starts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handshake {
    /// A TLS 1.3 ClientHello handshake message.
    Tls,
    /// A Google QUIC crypto tag-value message (`CHLO`).
    Chlo,
}

/// How a version protects its Initial packets (IETF long header with 8-bit CID lengths).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Protected {
    /// Salts to try, in order: more than one only where the sources leave the salt open
    /// (the AEAD tag tells which is right, so a wrong guess never yields a name).
    pub salts: &'static [Salt],
    /// Frames inside.
    pub frames: FrameFormat,
    /// Message on the crypto stream.
    pub handshake: Handshake,
    /// Both CID lengths share one byte, each `n + 3` when not 0 (draft-21 and older).
    pub nibble_cids: bool,
}

/// How sporfri reads the client's first packets of a version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// Initial packets protected with keys derived from the DCID.
    Protected(Protected),
    /// Google Q046: invariant long header (CID lengths in one byte), unencrypted hello.
    Q046,
    /// Google Q043: public header (no long-header form bit), unencrypted hello.
    Q043,
}

const fn ietf(salts: &'static [Salt]) -> Reading {
    Reading::Protected(Protected {
        salts,
        frames: FrameFormat::Ietf,
        handshake: Handshake::Tls,
        nibble_cids: false,
    })
}

const fn google(salts: &'static [Salt], handshake: Handshake) -> Reading {
    Reading::Protected(Protected {
        salts,
        frames: FrameFormat::Google,
        handshake,
        nibble_cids: false,
    })
}

/// How to read `version`, when sporfri can.
pub fn reading(version: u32) -> Option<Reading> {
    // v1 first: it is nearly all QUIC, and this runs for every long-header packet.
    match version {
        VERSION_1 => Some(ietf(&[Salt::V1])),
        VERSION_2 => Some(ietf(&[Salt::V2])),
        // draft-21 differs from -22 only in packing the CID lengths into one byte (its
        // sample packet is the one of draft-ietf-quic-tls-22 Appendix A).
        0xff00_0015 => Some(Reading::Protected(Protected {
            salts: &[Salt::Draft22],
            frames: FrameFormat::Ietf,
            handshake: Handshake::Tls,
            nibble_cids: true,
        })),
        0xff00_0016 => Some(ietf(&[Salt::Draft22])),
        0xff00_0017..=0xff00_001c => Some(ietf(&[Salt::Draft23])),
        0xff00_001d..=0xff00_0020 => Some(ietf(&[Salt::Draft29])),
        0xff00_0021..=0xff00_0022 => Some(ietf(&[Salt::V1])),
        0xface_b001 => Some(ietf(&[Salt::Draft22])),
        0xface_b003 => Some(ietf(&[Salt::V1])),
        // mvfst gives every other version of its own the draft-23 salt; the later aliases of
        // v1 (`QUIC_V1_ALIAS2`, `MVFST_PRIMING`) speak v1 transport parameters, so the v1
        // salt is tried second. 0xfaceb000 (draft-17 era) is not read.
        0xface_b002..=0xface_b0ff => Some(ietf(&[Salt::Draft23, Salt::V1])),
        Q050 => Some(google(&[Salt::Q050], Handshake::Chlo)),
        T050 => Some(google(&[Salt::T050], Handshake::Tls)),
        T051 => Some(google(&[Salt::T051], Handshake::Tls)),
        Q046 => Some(Reading::Q046),
        Q043 => Some(Reading::Q043),
        _ => None,
    }
}

/// QUIC version 2 rotates the long-header type bits (RFC 9369 §3.2).
pub fn rotates_type_bits(version: u32) -> bool {
    version == VERSION_2
}

/// The version is QUIC's, whether or not sporfri reads it: the standard space, IETF drafts
/// (and v2's), the GREASE pattern, and the registered implementation ranges.
pub fn is_quic_version(version: u32) -> bool {
    let [a, b, c, d] = version.to_be_bytes();
    let google = (a == b'Q' || a == b'T') && b == b'0' && c.is_ascii_digit() && d.is_ascii_digit();
    google
        || (1..=0xffff).contains(&version)
        || version >> 8 == 0x00ff_0000
        || version & 0x0f0f_0f0f == 0x0a0a_0a0a
        || matches!(version, VERSION_2 | 0x709a_50c4 | 0xff02_0000 | 0x5052_4f58)
        || matches!(version >> 8, 0x45_4747 | 0x51_474f | 0x91_c170 | 0xfa_ceb0)
        || matches!(
            version,
            0x5043_5130..=0x5043_5131
                | 0x5c10_0000..=0x5c10_000f
                | 0xabcd_0000..=0xabcd_000f
                | 0xf0f0_f0f0..=0xf0f0_f0ff
                | 0xf0f0_f1f0..=0xf0f0_f1ff
                | 0xf0f0_f2f0..=0xf0f0_f2ff
                | 0xf123_f0c0..=0xf123_f0cf
                | 0x0700_7000..=0x0700_700f
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_published_version_has_its_salt() {
        let salt = |v| match reading(v) {
            Some(Reading::Protected(p)) => p.salts.first().copied(),
            _ => None,
        };
        assert_eq!(salt(VERSION_1), Some(Salt::V1));
        assert_eq!(salt(VERSION_2), Some(Salt::V2));
        assert_eq!(salt(0xff00_0015), Some(Salt::Draft22), "draft-21");
        assert_eq!(salt(0xff00_0014), None, "draft-20 has another salt");
        assert_eq!(salt(0xff00_0016), Some(Salt::Draft22));
        for d in 23..=28 {
            assert_eq!(salt(0xff00_0000 | d), Some(Salt::Draft23), "draft-{d}");
        }
        for d in 29..=32 {
            assert_eq!(salt(0xff00_0000 | d), Some(Salt::Draft29), "draft-{d}");
        }
        assert_eq!(salt(0xff00_0021), Some(Salt::V1));
        assert_eq!(salt(0xff00_0022), Some(Salt::V1));
        assert_eq!(salt(0xff00_0023), None, "no draft-35");
        assert_eq!(salt(0xface_b001), Some(Salt::Draft22));
        assert_eq!(salt(0xface_b002), Some(Salt::Draft23));
        assert_eq!(salt(0xface_b003), Some(Salt::V1));
        assert_eq!(salt(0xface_b00e), Some(Salt::Draft23));
        assert_eq!(salt(0xface_b000), None);
        assert_eq!(salt(Q050), Some(Salt::Q050));
        assert_eq!(salt(T050), Some(Salt::T050));
        assert_eq!(salt(T051), Some(Salt::T051));
        assert_eq!(reading(Q046), Some(Reading::Q046));
        assert_eq!(reading(Q043), Some(Reading::Q043));
        assert_eq!(reading(0x5130_3434), None, "Q044 is not read");
    }

    #[test]
    fn quic_version_space() {
        for v in [
            VERSION_1,
            VERSION_2,
            0x709a_50c4,
            0xff00_0015,
            0x1a2a_3a4a,
            0xface_b013,
            0x5130_3434,
            0x5430_3438,
            0x5147_4f01,
            0xabcd_0001,
            0x91c1_7007,
            0x0700_7001,
        ] {
            assert!(is_quic_version(v), "{v:#x}");
        }
        for v in [
            0,
            0x1234_5678,
            0xc0c0_c0c0,
            0x5130_4141,
            0xface_c001,
            0x0001_0000,
        ] {
            assert!(!is_quic_version(v), "{v:#x}");
        }
    }
}
