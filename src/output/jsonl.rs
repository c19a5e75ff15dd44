//! JSON lines: one object per contact, fields documented in the README.

use std::io::{self, Write};

use crate::contact::Contact;

/// Write one JSON object per contact.
pub fn write(out: &mut impl Write, contacts: &[&Contact]) -> io::Result<()> {
    for c in contacts {
        serde_json::to_writer(&mut *out, *c)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}
