//! Session bundles: one session with everything a report needs (its record and marks, contacts,
//! requests, the signatures it was attributed with, its devices' labels) in one file, so sessions
//! recorded on many appliances can be surveyed in one database.
//!
//! A bundle is gzip'd JSON lines. The first line is a flat header anyone can read with `zcat |
//! head -1` (format, bundle version, the store schema its records are in, the exporting sporfri);
//! then one `session` line, at most one `signatures` line, `device-label`, `contact` and
//! `request` lines, and an `end` line with the counts and the SHA-256 of every line before it.
//! Reading checks all of it before anything is written ([`read`] returns the whole bundle or an
//! error naming the line), so a damaged bundle imports nothing. A bundle in a newer schema is
//! refused before its records are parsed. Plain (gunzipped) JSON lines read the same.

use std::collections::{BTreeMap, HashSet};
use std::io::{self, BufRead, BufReader, Read, Write};

use flate2::Compression;
use flate2::bufread::GzDecoder;
use flate2::write::GzEncoder;
use ring::digest::{Context, SHA256};
use serde::{Deserialize, Serialize};

use super::SCHEMA_VERSION;
use crate::attribute::SignatureSet;
use crate::contact::MAX_CONTACTS;
use crate::session::{ContactRecord, MAX_REQUESTS, RequestEntry, Session, SessionId};

/// The header's `format`: what makes a file a bundle.
pub const BUNDLE_FORMAT: &str = "sporfri-session-bundle";
/// The layout of the lines this build writes (bumped when a line kind changes meaning).
pub const BUNDLE_VERSION: u32 = 1;
/// Longest line read (a signatures line carries copies of overlay files): past it the bundle
/// is refused rather than read into memory.
pub const MAX_LINE: usize = 64 << 20;

/// The first line of a bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleHeader {
    /// Always [`BUNDLE_FORMAT`].
    pub format: String,
    /// [`BUNDLE_VERSION`] of the writer.
    pub bundle_version: u32,
    /// The store schema its records are in ([`SCHEMA_VERSION`] of the writer).
    pub schema: u32,
    /// The exporting sporfri's version.
    pub sporfri_version: String,
    /// When it was exported (wall clock, RFC 3339).
    pub exported: String,
    /// The session's number in the exporting database.
    pub session: SessionId,
}

/// One session as it travels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bundle {
    /// Who wrote it, in which schema.
    pub header: BundleHeader,
    /// The session record, marks included.
    pub session: Session,
    /// What its contacts were attributed with; `None` for a session recorded before sessions
    /// stored it.
    pub signatures: Option<SignatureSet>,
    /// The tester's labels of the session's devices.
    pub device_labels: BTreeMap<String, String>,
    /// Its contacts, with their evidence.
    pub contacts: Vec<ContactRecord>,
    /// Its HTTP requests (plain, and decrypted by lab decryption).
    pub requests: Vec<RequestEntry>,
}

/// The lines after the header.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
enum Line {
    Session {
        session: Box<Session>,
    },
    Signatures {
        signatures: Box<SignatureSet>,
    },
    DeviceLabel {
        device: String,
        label: String,
    },
    Contact {
        contact: Box<ContactRecord>,
    },
    Request {
        request: Box<RequestEntry>,
    },
    End {
        contacts: u64,
        requests: u64,
        /// SHA-256 (hex) of every byte before this line.
        sha256: String,
    },
}

/// Why a bundle could not be read. Each says where; the caller says that nothing was imported.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// The file could not be read or decompressed.
    #[error("line {line} (near byte {offset} of the file): {cause}")]
    Read {
        /// Line being read (1 is the header).
        line: u64,
        /// Compressed bytes read from the file so far.
        offset: u64,
        /// Cause, said in the message (not also a `source()`: a printed chain says it once).
        cause: io::Error,
    },
    /// The file is not a bundle.
    #[error(
        "not a sporfri session bundle ({why}); make one with `sporfri sessions export ID --bundle FILE`"
    )]
    NotABundle {
        /// What was found instead.
        why: String,
    },
    /// Written by a newer sporfri.
    #[error(
        "the bundle was written by sporfri {by} in {what} {found}, newer than this sporfri \
         reads ({supported}): import it with sporfri {by} or newer"
    )]
    TooNew {
        /// `store schema` or `bundle version`.
        what: &'static str,
        /// The writer's sporfri version.
        by: String,
        /// Version found.
        found: u32,
        /// Newest this build reads.
        supported: u32,
    },
    /// A line is not what it should be.
    #[error("line {line}: {why}")]
    Damaged {
        /// Line number (1 is the header).
        line: u64,
        /// What is wrong.
        why: String,
    },
    /// The file ends before its end line.
    #[error(
        "the bundle ends after line {line}, before its end line: it was cut short (an \
         interrupted copy?)"
    )]
    Truncated {
        /// Last line read.
        line: u64,
    },
    /// Writing the bundle failed.
    #[error("cannot write the bundle: {cause}")]
    Write {
        /// Cause, said in the message (not also a `source()`: a printed chain says it once).
        cause: io::Error,
    },
}

/// Write `bundle` as gzip'd JSON lines.
pub fn write(out: impl Write, bundle: &Bundle) -> Result<(), BundleError> {
    let mut w = Writer {
        gz: GzEncoder::new(out, Compression::default()),
        hash: Context::new(&SHA256),
    };
    w.line(&bundle.header)?;
    w.line(&Tagged::new("session", Named::Session(&bundle.session)))?;
    if let Some(set) = &bundle.signatures {
        w.line(&Tagged::new("signatures", Named::Signatures(set)))?;
    }
    for (device, label) in &bundle.device_labels {
        let (device, label) = (device.clone(), label.clone());
        w.line(&Line::DeviceLabel { device, label })?;
    }
    for c in &bundle.contacts {
        w.line(&Tagged::new("contact", Named::Contact(c)))?;
    }
    for r in &bundle.requests {
        w.line(&Tagged::new("request", Named::Request(r)))?;
    }
    let end = Line::End {
        contacts: bundle.contacts.len() as u64,
        requests: bundle.requests.len() as u64,
        sha256: hex(w.hash.clone().finish().as_ref()),
    };
    w.line(&end)?;
    let gz =
        w.gz.finish()
            .map_err(|cause| BundleError::Write { cause })?;
    let mut out = gz;
    out.flush().map_err(|cause| BundleError::Write { cause })
}

/// The compressor and the hash of what went into it.
struct Writer<W: Write> {
    gz: GzEncoder<W>,
    hash: Context,
}

impl<W: Write> Writer<W> {
    fn line<T: Serialize>(&mut self, value: &T) -> Result<(), BundleError> {
        let mut text =
            serde_json::to_vec(value).map_err(|e| BundleError::Write { cause: e.into() })?;
        text.push(b'\n');
        self.hash.update(&text);
        self.gz
            .write_all(&text)
            .map_err(|cause| BundleError::Write { cause })
    }
}

/// A record line written by reference (the shape of [`Line`]'s variants, without a clone).
#[derive(Serialize)]
struct Tagged<'a, T> {
    kind: &'static str,
    #[serde(flatten)]
    record: Named<'a, T>,
}

impl<'a, T> Tagged<'a, T> {
    fn new(kind: &'static str, record: Named<'a, T>) -> Self {
        Tagged { kind, record }
    }
}

/// The record under its kind's name: `{"session": ...}`.
#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
enum Named<'a, T> {
    Session(&'a T),
    Signatures(&'a T),
    Contact(&'a T),
    Request(&'a T),
}

/// Read a whole bundle, checking every line, its order and its checksum; nothing is returned
/// unless all of it is sound.
pub fn read(input: impl Read) -> Result<Bundle, BundleError> {
    let mut file = BufReader::new(Counting {
        inner: input,
        read: 0,
    });
    let gzip = {
        let head = file.fill_buf().map_err(|cause| BundleError::Read {
            line: 1,
            offset: 0,
            cause,
        })?;
        head.starts_with(&[0x1f, 0x8b])
    };
    if gzip {
        Reader::new(BufReader::new(GzDecoder::new(file))).bundle()
    } else {
        Reader::new(file).bundle()
    }
}

/// Counts the bytes read from the file, to say where a damaged stream broke.
struct Counting<R> {
    inner: R,
    read: u64,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        Ok(n)
    }
}

/// Where the compressed reader is in the file, whatever wraps it.
trait Offset {
    fn offset(&self) -> u64;
}

impl<R> Offset for BufReader<Counting<R>> {
    fn offset(&self) -> u64 {
        self.get_ref().read
    }
}

impl<R> Offset for BufReader<GzDecoder<BufReader<Counting<R>>>> {
    fn offset(&self) -> u64 {
        self.get_ref().get_ref().get_ref().read
    }
}

/// Reads lines, counting them and hashing every byte.
struct Reader<R> {
    input: R,
    line: u64,
    hash: Context,
    buf: Vec<u8>,
}

impl<R: BufRead + Offset> Reader<R> {
    fn new(input: R) -> Self {
        Reader {
            input,
            line: 0,
            hash: Context::new(&SHA256),
            buf: Vec::new(),
        }
    }

    fn damaged(&self, why: impl Into<String>) -> BundleError {
        BundleError::Damaged {
            line: self.line,
            why: why.into(),
        }
    }

    /// The next line (without its newline); `None` at the end of the file. The hash covers
    /// the lines returned before the current one.
    fn next(&mut self) -> Result<Option<&[u8]>, BundleError> {
        if !self.buf.is_empty() {
            self.hash.update(&self.buf);
        }
        self.buf.clear();
        self.line += 1;
        let limit = MAX_LINE as u64 + 1;
        let n = (&mut self.input)
            .take(limit)
            .read_until(b'\n', &mut self.buf)
            .map_err(|cause| BundleError::Read {
                line: self.line,
                offset: self.input.offset(),
                cause,
            })?;
        if n == 0 {
            self.line -= 1;
            return Ok(None);
        }
        if self.buf.last() != Some(&b'\n') {
            if self.buf.len() > MAX_LINE {
                return Err(self.damaged(format!("longer than {MAX_LINE} bytes")));
            }
            return Err(self.damaged("the last line has no end (the file was cut short?)"));
        }
        Ok(self.buf.split_last().map(|(_, text)| text))
    }

    fn bundle(mut self) -> Result<Bundle, BundleError> {
        let header = self.header()?;
        let mut body = Body::default();
        loop {
            let Some(text) = self.next()? else {
                return Err(BundleError::Truncated { line: self.line });
            };
            let line: Line = serde_json::from_slice(text)
                .map_err(|e| self.damaged(format!("not a bundle line: {e}")))?;
            if let Line::End {
                contacts,
                requests,
                sha256,
            } = line
            {
                let hashed = hex(self.hash.clone().finish().as_ref());
                self.end(&body, (contacts, requests), &sha256, &hashed)?;
                break;
            }
            body.take(line, header.session)
                .map_err(|why| self.damaged(why))?;
        }
        // A second member or junk after the end line is not part of what the checksum covers.
        if self.next()?.is_some_and(|t| !t.is_empty()) {
            return Err(self.damaged("content after the end line"));
        }
        let session = body.session.ok_or_else(|| BundleError::Damaged {
            line: 2,
            why: "no session line".to_owned(),
        })?;
        Ok(Bundle {
            header,
            session: *session,
            signatures: body.signatures.map(|s| *s),
            device_labels: body.labels,
            contacts: body.contacts,
            requests: body.requests,
        })
    }

    /// The first line: refused as not a bundle, or as too new, before any record is parsed.
    fn header(&mut self) -> Result<BundleHeader, BundleError> {
        let not = |why: &str| BundleError::NotABundle {
            why: why.to_owned(),
        };
        let text = self.next()?.ok_or_else(|| not("the file is empty"))?;
        let v: serde_json::Value =
            serde_json::from_slice(text).map_err(|_| not("its first line is not JSON"))?;
        if v.get("format").and_then(|f| f.as_str()) != Some(BUNDLE_FORMAT) {
            return Err(not("its first line names no sporfri-session-bundle format"));
        }
        let by = v
            .get("sporfri_version")
            .and_then(|s| s.as_str())
            .unwrap_or("unknown")
            .to_owned();
        let number = |k: &str| v.get(k).and_then(serde_json::Value::as_u64);
        for (what, key, supported) in [
            ("bundle version", "bundle_version", BUNDLE_VERSION),
            ("store schema", "schema", SCHEMA_VERSION),
        ] {
            let found = number(key).ok_or_else(|| self.damaged(format!("no {key}")))?;
            if found > u64::from(supported) {
                return Err(BundleError::TooNew {
                    what,
                    by,
                    found: u32::try_from(found).unwrap_or(u32::MAX),
                    supported,
                });
            }
        }
        serde_json::from_value(v).map_err(|e| self.damaged(format!("a bad header: {e}")))
    }

    fn end(
        &self,
        body: &Body,
        (contacts, requests): (u64, u64),
        sha256: &str,
        hashed: &str,
    ) -> Result<(), BundleError> {
        let have = (body.contacts.len() as u64, body.requests.len() as u64);
        if have != (contacts, requests) {
            return Err(self.damaged(format!(
                "the end line counts {contacts} contacts and {requests} requests, the bundle \
                 has {} and {}: lines are missing",
                have.0, have.1
            )));
        }
        if sha256 != hashed {
            return Err(self.damaged(
                "the checksum of the lines before the end line does not match: the bundle was \
                 changed or damaged",
            ));
        }
        Ok(())
    }
}

/// The records read so far, checked as they come.
#[derive(Default)]
struct Body {
    session: Option<Box<Session>>,
    signatures: Option<Box<SignatureSet>>,
    labels: BTreeMap<String, String>,
    contacts: Vec<ContactRecord>,
    keys: HashSet<Vec<u8>>,
    requests: Vec<RequestEntry>,
}

impl Body {
    fn take(&mut self, line: Line, id: SessionId) -> Result<(), String> {
        let of = |n: SessionId, what: &str| {
            if n == id {
                Ok(())
            } else {
                Err(format!(
                    "a {what} of session {n} in the bundle of session {id}"
                ))
            }
        };
        match line {
            Line::Session { session } if self.session.is_none() => {
                of(session.id, "session record")?;
                self.session = Some(session);
            }
            Line::Session { .. } => return Err("a second session line".to_owned()),
            _ if self.session.is_none() => return Err("the session line must come first".into()),
            Line::Signatures { signatures } if self.signatures.is_none() => {
                self.signatures = Some(signatures);
            }
            Line::Signatures { .. } => return Err("a second signatures line".to_owned()),
            Line::DeviceLabel { device, label } => {
                self.labels.insert(device, label);
            }
            Line::Contact { contact } => {
                of(contact.session, "contact")?;
                if self.contacts.len() >= MAX_CONTACTS {
                    return Err(format!("more than {MAX_CONTACTS} contacts"));
                }
                if !self.keys.insert(contact.key()) {
                    return Err(format!(
                        "a second contact for {} on {}",
                        contact.name, contact.device
                    ));
                }
                self.contacts.push(*contact);
            }
            Line::Request { request } => {
                of(request.session, "request")?;
                if self.requests.len() >= MAX_REQUESTS {
                    return Err(format!("more than {MAX_REQUESTS} requests"));
                }
                self.requests.push(*request);
            }
            // The reader ends at the first end line; one here would be a second.
            Line::End { .. } => return Err("a second end line".to_owned()),
        }
        Ok(())
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
