//! JSON lines: one object per contact, fields documented in the README.

use std::io::{self, Write};

use serde::Serialize;

use crate::contact::Contact;
use crate::session::BaselineFacts;

/// Write one JSON object per contact.
pub fn write(out: &mut impl Write, contacts: &[&Contact]) -> io::Result<()> {
    for c in contacts {
        serde_json::to_writer(&mut *out, *c)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// A contact of a recorded session with what its baseline and visit mark say of it.
#[derive(Serialize)]
struct Recorded<'a> {
    #[serde(flatten)]
    contact: &'a Contact,
    #[serde(flatten)]
    baseline: &'a BaselineFacts,
}

/// Write one JSON object per contact of a recorded session: the contact's fields and the
/// session's `in_baseline`, `baseline_id`, `before_visit`, `background`, ... (a contact the
/// session has no record of gets them as "not compared").
pub fn write_with(
    out: &mut impl Write,
    contacts: &[(&Contact, Option<&BaselineFacts>)],
) -> io::Result<()> {
    let none = BaselineFacts::default();
    for (c, facts) in contacts {
        let line = Recorded {
            contact: c,
            baseline: facts.unwrap_or(&none),
        };
        serde_json::to_writer(&mut *out, &line)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}
