//! HTTP dates (RFC 9110 §5.6.7) as Unix seconds, for cookie lifetimes.

/// Unix seconds of an HTTP date (RFC 9110 §5.6.7 IMF-fixdate, RFC 850 and asctime forms, and
/// the dashed `Wed, 21-Oct-2026 07:28:00 GMT` that Set-Cookie often uses).
pub fn http_date(s: &str) -> Option<i64> {
    let words = s.split([' ', '-', ',']).filter(|w| !w.is_empty());
    // Find day, month, year and hh:mm:ss among the words, whatever the order.
    let mut day = None;
    let mut month = None;
    let mut year = None;
    let mut hms = None;
    for w in words {
        if w.contains(':') {
            let t: Vec<u32> = w.split(':').filter_map(|x| x.parse().ok()).collect();
            if let [h, m, s] = t.as_slice() {
                hms = Some((*h, *m, *s));
            }
        } else if let Ok(n) = w.parse::<i64>() {
            if day.is_none() && n <= 31 && w.len() <= 2 {
                day = Some(n as u32);
            } else {
                year = Some(match n {
                    0..70 => 2000 + n,
                    70..100 => 1900 + n,
                    _ => n,
                });
            }
        } else if month.is_none() {
            month = month_of(w);
        }
    }
    let (h, mi, sec) = hms?;
    let days = days_from_civil(year?, month?, day?);
    Some(days * 86_400 + i64::from(h) * 3600 + i64::from(mi) * 60 + i64::from(sec))
}

/// The month number of an English month name or its first three letters.
fn month_of(word: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let m = word.get(..3)?.to_ascii_lowercase();
    MONTHS.iter().position(|x| *x == m).map(|i| i as u32 + 1)
}

/// The Date header among a head's headers, as Unix seconds.
pub fn date_of<'h>(mut headers: impl Iterator<Item = (&'h [u8], &'h [u8])>) -> Option<i64> {
    headers
        .find(|(n, _)| n.eq_ignore_ascii_case(b"date"))
        .and_then(|(_, v)| http_date(&String::from_utf8_lossy(v)))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates_in_three_forms() {
        assert_eq!(
            http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777)
        );
        assert_eq!(
            http_date("Sunday, 06-Nov-94 08:49:37 GMT"),
            Some(784_111_777)
        );
        assert_eq!(http_date("Sun Nov  6 08:49:37 1994"), Some(784_111_777));
        assert_eq!(http_date("garbage"), None);
        assert_eq!(http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
    }

    #[test]
    fn date_header_is_found_by_name() {
        let headers = [
            (&b"Content-Type"[..], &b"text/html"[..]),
            (b"DATE", b"Sun, 06 Nov 1994 08:49:37 GMT"),
        ];
        assert_eq!(date_of(headers.into_iter()), Some(784_111_777));
        assert_eq!(date_of(std::iter::empty()), None);
    }
}
