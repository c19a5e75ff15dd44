//! Packet time. The engine never reads a clock: every instant comes from a packet.

use std::fmt;

/// Nanoseconds since the Unix epoch, UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(pub u64);

impl Timestamp {
    /// From seconds and nanoseconds since the epoch.
    pub fn from_parts(secs: u64, nanos: u64) -> Self {
        Timestamp(secs.saturating_mul(1_000_000_000).saturating_add(nanos))
    }

    /// Whole seconds since the epoch.
    pub fn secs(self) -> u64 {
        self.0 / 1_000_000_000
    }

    /// This instant plus `secs` seconds.
    pub fn plus_secs(self, secs: u64) -> Self {
        Timestamp(self.0.saturating_add(secs.saturating_mul(1_000_000_000)))
    }

    /// Nanoseconds from `earlier` to `self` (0 if `earlier` is later).
    pub fn since(self, earlier: Timestamp) -> u64 {
        self.0.saturating_sub(earlier.0)
    }

    /// RFC 3339 in UTC with microseconds, e.g. `2024-05-01T12:00:00.123456Z`.
    pub fn rfc3339(self) -> String {
        let secs = i64::try_from(self.secs()).unwrap_or(i64::MAX);
        let micros = (self.0 % 1_000_000_000) / 1_000;
        match time::OffsetDateTime::from_unix_timestamp(secs) {
            // Written digit by digit: every contact prints two of these, and `format!` with
            // padding costs about 3,000 instructions each (README § Performance).
            Ok(t) => {
                let mut out = String::with_capacity(27);
                let year = u32::try_from(t.year()).unwrap_or(0);
                push_padded(&mut out, year, 4);
                for (sep, n) in [
                    ('-', u32::from(u8::from(t.month()))),
                    ('-', u32::from(t.day())),
                    ('T', u32::from(t.hour())),
                    (':', u32::from(t.minute())),
                    (':', u32::from(t.second())),
                ] {
                    out.push(sep);
                    push_padded(&mut out, n, 2);
                }
                out.push('.');
                push_padded(&mut out, u32::try_from(micros).unwrap_or(0), 6);
                out.push('Z');
                out
            }
            Err(_) => format!("@{}", self.0),
        }
    }
}

/// `n` in decimal, zero-padded to `width` digits (a wider number in full), as `{:0width$}`.
fn push_padded(out: &mut String, n: u32, width: u32) {
    let mut div = 10u32.saturating_pow(width.saturating_sub(1));
    while n / div >= 10 && div < 1_000_000_000 {
        div *= 10;
    }
    while div > 0 {
        out.push(char::from(b'0' + (n / div % 10) as u8));
        div /= 10;
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.rfc3339())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_utc_with_micros() {
        let t = Timestamp::from_parts(1_700_000_000, 123_456_789);
        assert_eq!(t.rfc3339(), "2023-11-14T22:13:20.123456Z");
    }

    #[test]
    fn rfc3339_is_what_format_wrote() {
        // The padded `format!` this replaced, as the reference.
        let reference = |t: Timestamp| {
            let secs = i64::try_from(t.secs()).unwrap();
            let d = time::OffsetDateTime::from_unix_timestamp(secs).unwrap();
            format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
                d.year(),
                u8::from(d.month()),
                d.day(),
                d.hour(),
                d.minute(),
                d.second(),
                (t.0 % 1_000_000_000) / 1_000
            )
        };
        let mut secs = 0u64;
        while secs < 253_402_300_799 {
            for nanos in [0, 999, 1_000, 7_000_000, 999_999_999] {
                let t = Timestamp::from_parts(secs, nanos);
                assert_eq!(t.rfc3339(), reference(t), "{secs} {nanos}");
            }
            secs = secs * 3 + 86_399;
        }
        assert_eq!(Timestamp(u64::MAX).rfc3339().len(), 27);
        push_padded_widths();
    }

    fn push_padded_widths() {
        for (n, width, want) in [
            (0, 4, "0000"),
            (7, 2, "07"),
            (12345, 4, "12345"),
            (5, 6, "000005"),
        ] {
            let mut s = String::new();
            push_padded(&mut s, n, width);
            assert_eq!(s, want);
        }
    }

    #[test]
    fn arithmetic_saturates() {
        assert_eq!(Timestamp(5).since(Timestamp(9)), 0);
        assert_eq!(Timestamp(u64::MAX).plus_secs(3), Timestamp(u64::MAX));
    }
}
