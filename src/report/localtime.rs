//! Copenhagen local time without a time-zone database: Denmark follows the EU rule (since 1996),
//! CEST (UTC+2) from the last Sunday of March 01:00 UTC to the last Sunday of October 01:00 UTC,
//! CET (UTC+1) otherwise. Earlier years get the same rule, which is what a report of a modern
//! capture needs.

use time::{Date, Month, OffsetDateTime, Weekday};

use super::When;
use crate::time::Timestamp;

/// Seconds of the UTC offset in Copenhagen at `unix_secs`: 3600 (CET) or 7200 (CEST).
pub fn copenhagen_offset(unix_secs: i64) -> i64 {
    let Ok(t) = OffsetDateTime::from_unix_timestamp(unix_secs) else {
        return 3600;
    };
    let year = t.year();
    match (
        switch_at(year, Month::March),
        switch_at(year, Month::October),
    ) {
        (Some(start), Some(end)) if (start..end).contains(&unix_secs) => 7200,
        _ => 3600,
    }
}

/// 01:00 UTC on the last Sunday of `month` in `year`, as Unix seconds.
fn switch_at(year: i32, month: Month) -> Option<i64> {
    // Both months have 31 days.
    let last = Date::from_calendar_date(year, month, 31).ok()?;
    let back = i64::from(last.weekday().number_days_from_sunday());
    let sunday = last.midnight().assume_utc().unix_timestamp() - back * 86_400;
    debug_assert!(
        OffsetDateTime::from_unix_timestamp(sunday)
            .map_or(true, |d| d.weekday() == Weekday::Sunday)
    );
    Some(sunday + 3600)
}

/// `2026-11-27 10:37:56.120646 CET` for a packet time.
pub fn copenhagen(ts: Timestamp) -> String {
    let secs = i64::try_from(ts.secs()).unwrap_or(i64::MAX);
    let offset = copenhagen_offset(secs);
    let micros = (ts.0 % 1_000_000_000) / 1_000;
    let zone = if offset == 7200 { "CEST" } else { "CET" };
    match OffsetDateTime::from_unix_timestamp(secs.saturating_add(offset)) {
        Ok(t) => format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:06} {zone}",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            micros
        ),
        Err(_) => format!("@{}", ts.0),
    }
}

/// Both renderings of an instant.
pub fn when(ts: Timestamp) -> When {
    When {
        utc: ts.rfc3339(),
        local: copenhagen(ts),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> i64 {
        let t = crate::session::ts::parse(s).unwrap_or_default();
        i64::try_from(t.secs()).unwrap_or_default()
    }

    #[test]
    fn summer_time_starts_on_the_last_sunday_of_march_at_one_utc() {
        // 2024-03-31 is the last Sunday of March 2024.
        assert_eq!(copenhagen_offset(at("2024-03-31T00:59:59Z")), 3600);
        assert_eq!(copenhagen_offset(at("2024-03-31T01:00:00Z")), 7200);
        // 2026-03-29 (not the 31st, a Tuesday).
        assert_eq!(copenhagen_offset(at("2026-03-29T00:59:59Z")), 3600);
        assert_eq!(copenhagen_offset(at("2026-03-29T01:00:00Z")), 7200);
    }

    #[test]
    fn summer_time_ends_on_the_last_sunday_of_october_at_one_utc() {
        assert_eq!(copenhagen_offset(at("2024-10-27T00:59:59Z")), 7200);
        assert_eq!(copenhagen_offset(at("2024-10-27T01:00:00Z")), 3600);
        // 2026-10-25: the 31st is a Saturday.
        assert_eq!(copenhagen_offset(at("2026-10-25T00:59:59Z")), 7200);
        assert_eq!(copenhagen_offset(at("2026-10-25T01:00:00Z")), 3600);
        // 2020-10-25: the 31st is a Saturday too; 2021-10-31 is itself the last Sunday.
        assert_eq!(copenhagen_offset(at("2021-10-31T00:30:00Z")), 7200);
        assert_eq!(copenhagen_offset(at("2021-10-31T01:30:00Z")), 3600);
    }

    #[test]
    fn winter_and_summer_renderings() {
        let t = |s| crate::session::ts::parse(s).unwrap_or_default();
        assert_eq!(
            copenhagen(t("2026-11-27T09:37:56.120646Z")),
            "2026-11-27 10:37:56.120646 CET"
        );
        assert_eq!(
            copenhagen(t("2026-07-01T22:30:00Z")),
            "2026-07-02 00:30:00.000000 CEST"
        );
        // New Year's Eve crosses the date line in local time.
        assert_eq!(
            copenhagen(t("2025-12-31T23:15:00Z")),
            "2026-01-01 00:15:00.000000 CET"
        );
        // 02:30 local on the spring-forward day does not exist: 01:30 UTC is 03:30 CEST.
        assert_eq!(
            copenhagen(t("2024-03-31T01:30:00Z")),
            "2024-03-31 03:30:00.000000 CEST"
        );
    }

    #[test]
    fn out_of_range_times_do_not_panic() {
        assert_eq!(copenhagen_offset(i64::MAX), 3600);
        let s = copenhagen(Timestamp(u64::MAX));
        assert!(!s.is_empty());
    }
}
