//! Timestamps in session records: RFC 3339 strings in UTC with microseconds, as everywhere
//! else in sporfri's output, so the database, `sessions export` and `replay` agree.

use serde::{Deserialize, Deserializer, Serializer};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::time::Timestamp;

/// Parse an RFC 3339 time (any offset) into packet time; `None` if it is not one or is
/// before 1970.
pub fn parse(s: &str) -> Option<Timestamp> {
    let t = OffsetDateTime::parse(s, &Rfc3339).ok()?;
    u64::try_from(t.unix_timestamp_nanos()).ok().map(Timestamp)
}

/// Serialize a timestamp as RFC 3339.
pub fn serialize<S: Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&t.rfc3339())
}

/// Deserialize an RFC 3339 timestamp.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
    let s = String::deserialize(d)?;
    parse(&s).ok_or_else(|| serde::de::Error::custom(format!("not an RFC 3339 time: {s:?}")))
}

/// The same for optional timestamps.
pub mod opt {
    use super::*;

    /// Serialize as RFC 3339 or null.
    pub fn serialize<S: Serializer>(t: &Option<Timestamp>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&t.rfc3339()),
            None => s.serialize_none(),
        }
    }

    /// Deserialize RFC 3339 or null.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(s) => parse(&s)
                .map(Some)
                .ok_or_else(|| serde::de::Error::custom(format!("not an RFC 3339 time: {s:?}"))),
        }
    }
}
