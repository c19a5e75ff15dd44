//! The ClientHello body: fixed fields through tls-parser, extensions walked by hand.
//!
//! tls-parser drops an extensions block whose length overruns the body and would stop silently
//! at a broken extension, so the block is taken as raw bytes and every length is checked here.

use super::{ClientHello, MAX_ALPN_PROTOCOLS, MAX_SUPPORTED_VERSIONS};
use crate::weird::Weird;
use crate::wire::Parsed;

const EXT_SERVER_NAME: u16 = 0x0000;
const EXT_ALPN: u16 = 0x0010;
const EXT_SUPPORTED_VERSIONS: u16 = 0x002b;
const EXT_ECH: u16 = 0xfe0d;
const SERVER_NAME_HOST: u8 = 0;

/// Parse a complete ClientHello body (after the 4-byte handshake header).
pub(super) fn parse_body(body: &[u8]) -> Parsed<ClientHello> {
    let Ok((rest, contents)) = tls_parser::parse_tls_handshake_client_hello(body) else {
        return Parsed::Malformed(Weird::TlsBadClientHello);
    };
    let extensions = match (contents.ext, rest.is_empty()) {
        (Some(ext), true) => ext,
        // Very old clients send no extensions block at all.
        (None, true) => &[][..],
        (Some(_), false) => return Parsed::Malformed(Weird::TlsHelloTrailingData),
        (None, false) => return Parsed::Malformed(Weird::TlsBadExtensionsLength),
    };
    let mut hello = ClientHello {
        legacy_version: contents.version.0,
        ..ClientHello::default()
    };
    match read_extensions(extensions, &mut hello) {
        Ok(()) => Parsed::Done(hello),
        Err(weird) => Parsed::Malformed(weird),
    }
}

/// Walk the extension TLVs; unknown and GREASE types are skipped, the first of a repeated
/// known type wins.
fn read_extensions(block: &[u8], hello: &mut ClientHello) -> Result<(), Weird> {
    let mut r = Reader(block);
    while !r.is_empty() {
        let (Some(ext_type), Some(len)) = (r.u16(), r.u16()) else {
            return Err(Weird::TlsBadExtension);
        };
        let data = r.take(usize::from(len)).ok_or(Weird::TlsBadExtension)?;
        match ext_type {
            EXT_SERVER_NAME if hello.sni.is_none() => hello.sni = server_name(data)?,
            EXT_ALPN if hello.alpn.is_empty() => hello.alpn = alpn(data)?,
            EXT_SUPPORTED_VERSIONS if hello.supported_versions.is_empty() => {
                hello.supported_versions = supported_versions(data)?;
            }
            EXT_ECH => hello.ech_extension = true,
            _ => {}
        }
    }
    Ok(())
}

/// RFC 6066 §3: the first host_name entry, verbatim (lossy UTF-8); empty names count as absent.
fn server_name(data: &[u8]) -> Result<Option<String>, Weird> {
    if data.is_empty() {
        return Ok(None);
    }
    let mut list = Reader(data).whole_vector_u16().ok_or(Weird::TlsBadSni)?;
    while !list.is_empty() {
        let name_type = list.u8().ok_or(Weird::TlsBadSni)?;
        let name = list.vector_u16().ok_or(Weird::TlsBadSni)?;
        if name_type == SERVER_NAME_HOST && !name.0.is_empty() {
            return Ok(Some(String::from_utf8_lossy(name.0).into_owned()));
        }
    }
    Ok(None)
}

/// RFC 7301 §3.1: protocol ids in order, at most [`MAX_ALPN_PROTOCOLS`].
fn alpn(data: &[u8]) -> Result<Vec<String>, Weird> {
    let mut list = Reader(data).whole_vector_u16().ok_or(Weird::TlsBadAlpn)?;
    let mut protocols = Vec::new();
    while !list.is_empty() {
        let id = list.vector_u8().ok_or(Weird::TlsBadAlpn)?;
        if protocols.len() < MAX_ALPN_PROTOCOLS {
            protocols.push(String::from_utf8_lossy(id.0).into_owned());
        }
    }
    Ok(protocols)
}

/// RFC 8446 §4.2.1: the offered versions, GREASE removed, at most [`MAX_SUPPORTED_VERSIONS`].
fn supported_versions(data: &[u8]) -> Result<Vec<u16>, Weird> {
    let mut list = Reader(data)
        .whole_vector_u8()
        .ok_or(Weird::TlsBadSupportedVersions)?;
    let mut versions = Vec::new();
    while !list.is_empty() {
        let v = list.u16().ok_or(Weird::TlsBadSupportedVersions)?;
        if !is_grease(v) && versions.len() < MAX_SUPPORTED_VERSIONS {
            versions.push(v);
        }
    }
    Ok(versions)
}

/// RFC 8701 GREASE values: 0x0a0a, 0x1a1a, ..., 0xfafa.
pub(super) fn is_grease(v: u16) -> bool {
    let [hi, lo] = v.to_be_bytes();
    hi == lo && lo & 0x0f == 0x0a
}

/// A cursor over bytes; every read checks the length.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, tail) = self.0.split_at_checked(n)?;
        self.0 = tail;
        Some(head)
    }

    fn u8(&mut self) -> Option<u8> {
        self.take(1)?.first().copied()
    }

    fn u16(&mut self) -> Option<u16> {
        let &[a, b] = self.take(2)? else {
            return None;
        };
        Some(u16::from_be_bytes([a, b]))
    }

    /// A vector with a u8 length prefix.
    fn vector_u8(&mut self) -> Option<Reader<'a>> {
        let len = self.u8()?;
        self.take(usize::from(len)).map(Reader)
    }

    /// A vector with a u16 length prefix.
    fn vector_u16(&mut self) -> Option<Reader<'a>> {
        let len = self.u16()?;
        self.take(usize::from(len)).map(Reader)
    }

    /// A u8-prefixed vector that fills the rest of the bytes exactly.
    fn whole_vector_u8(mut self) -> Option<Reader<'a>> {
        let v = self.vector_u8()?;
        self.is_empty().then_some(v)
    }

    /// A u16-prefixed vector that fills the rest of the bytes exactly.
    fn whole_vector_u16(mut self) -> Option<Reader<'a>> {
        let v = self.vector_u16()?;
        self.is_empty().then_some(v)
    }
}
