//! DHCPv4 (RFC 2131/2132): the client's MAC, host name and vendor class, which name a device
//! in a session ("Annas-iPhone", "android-dhcp-14"). Only the options sporfri shows are kept.
//!
//! Option overload (option 52: more options in `sname`/`file`) is not followed: clients put
//! their host name in the main options in practice.

use std::net::Ipv4Addr;

use crate::weird::Weird;

use super::Parsed;

/// Fixed BOOTP header length up to the magic cookie.
const BOOTP_LEN: usize = 236;
/// RFC 2131 magic cookie after the fixed header.
const MAGIC: [u8; 4] = [99, 130, 83, 99];
/// Options walked per message (pads count): a bound on work for hostile input.
pub const MAX_OPTIONS: usize = 256;

/// UDP ports of DHCPv4: server 67, client 68.
pub const PORTS: [u16; 2] = [67, 68];

/// DHCP message type (option 53); unknown values are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MessageType(pub u8);

impl MessageType {
    /// DHCPDISCOVER.
    pub const DISCOVER: MessageType = MessageType(1);
    /// DHCPOFFER.
    pub const OFFER: MessageType = MessageType(2);
    /// DHCPREQUEST.
    pub const REQUEST: MessageType = MessageType(3);
    /// DHCPACK.
    pub const ACK: MessageType = MessageType(5);
    /// DHCPINFORM.
    pub const INFORM: MessageType = MessageType(8);
}

/// The parts of one DHCP message that identify a device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dhcp<'a> {
    /// 1 = request (client to server), 2 = reply.
    pub op: u8,
    /// Transaction id.
    pub xid: u32,
    /// Client hardware address when it is an Ethernet MAC (htype 1, hlen 6).
    pub client_mac: Option<[u8; 6]>,
    /// `ciaddr`: the client's current address (0.0.0.0 when it has none).
    pub client_ip: Ipv4Addr,
    /// `yiaddr`: the address the server gives (replies).
    pub your_ip: Ipv4Addr,
    /// Option 53.
    pub message_type: Option<MessageType>,
    /// Option 12, bytes as sent.
    pub host_name: Option<&'a [u8]>,
    /// Option 60, bytes as sent.
    pub vendor_class: Option<&'a [u8]>,
    /// Option 50.
    pub requested_ip: Option<Ipv4Addr>,
    /// Option 61, bytes as sent (usually type 1 followed by the MAC).
    pub client_id: Option<&'a [u8]>,
}

impl Dhcp<'_> {
    /// The host name as text (lossy UTF-8, control characters dropped).
    pub fn host_name_text(&self) -> Option<String> {
        self.host_name.map(text)
    }

    /// The vendor class as text (lossy UTF-8, control characters dropped).
    pub fn vendor_class_text(&self) -> Option<String> {
        self.vendor_class.map(text)
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b)
        .chars()
        .filter(|c| !c.is_control())
        .collect()
}

fn ipv4(b: &[u8]) -> Option<Ipv4Addr> {
    let a: [u8; 4] = b.try_into().ok()?;
    Some(Ipv4Addr::from(a))
}

/// Parse a UDP payload as DHCPv4. Not a BOOTP message with the DHCP cookie: `NotThis`.
pub fn parse(payload: &[u8]) -> Parsed<Dhcp<'_>> {
    let (Some(head), Some(cookie)) = (
        payload.get(..BOOTP_LEN),
        payload.get(BOOTP_LEN..BOOTP_LEN + 4),
    ) else {
        return Parsed::NotThis;
    };
    if cookie != MAGIC {
        return Parsed::NotThis;
    }
    let (op, htype, hlen) = match head {
        [op @ (1 | 2), htype, hlen, ..] => (*op, *htype, *hlen),
        _ => return Parsed::NotThis,
    };
    let word = |at: usize| {
        head.get(at..at + 4)
            .and_then(ipv4)
            .unwrap_or(Ipv4Addr::UNSPECIFIED)
    };
    let mut msg = Dhcp {
        op,
        xid: u32::from(word(4)),
        client_mac: None,
        client_ip: word(12),
        your_ip: word(16),
        message_type: None,
        host_name: None,
        vendor_class: None,
        requested_ip: None,
        client_id: None,
    };
    if htype == 1 && hlen == 6 {
        msg.client_mac = head.get(28..34).and_then(|m| m.try_into().ok());
    }
    match options(payload.get(BOOTP_LEN + 4..).unwrap_or_default(), &mut msg) {
        Ok(()) => Parsed::Done(msg),
        Err(weird) => Parsed::Malformed(weird),
    }
}

fn options<'a>(mut rest: &'a [u8], msg: &mut Dhcp<'a>) -> Result<(), Weird> {
    for _ in 0..MAX_OPTIONS {
        let (code, after) = match rest {
            [] | [255, ..] => return Ok(()),
            [0, after @ ..] => {
                rest = after;
                continue;
            }
            [code, after @ ..] => (*code, after),
        };
        let (&len, after) = after.split_first().ok_or(Weird::DhcpTruncatedOption)?;
        let len = usize::from(len);
        let value = after.get(..len).ok_or(Weird::DhcpTruncatedOption)?;
        rest = after.get(len..).unwrap_or_default();
        let nonempty = (!value.is_empty()).then_some(value);
        match code {
            53 => msg.message_type = value.first().map(|&t| MessageType(t)),
            12 => msg.host_name = nonempty,
            60 => msg.vendor_class = nonempty,
            50 => msg.requested_ip = ipv4(value),
            61 => msg.client_id = nonempty,
            _ => {}
        }
    }
    Err(Weird::DhcpTooManyOptions)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;

    const MAC: [u8; 6] = [0x02, 0x11, 0x22, 0x33, 0x44, 0x55];

    fn message(op: u8, options: &[u8]) -> Vec<u8> {
        let mut v = vec![0u8; BOOTP_LEN];
        v[0] = op;
        v[1] = 1;
        v[2] = 6;
        v[4..8].copy_from_slice(&0xdead_beefu32.to_be_bytes());
        v[16..20].copy_from_slice(&[192, 168, 1, 23]);
        v[28..34].copy_from_slice(&MAC);
        v.extend_from_slice(&MAGIC);
        v.extend_from_slice(options);
        v
    }

    #[test]
    fn a_request_names_the_device() {
        let mut opts = vec![53, 1, 3, 61, 7, 1];
        opts.extend_from_slice(&MAC);
        opts.extend_from_slice(&[50, 4, 192, 168, 1, 23, 0, 0]);
        opts.extend_from_slice(&[12, 12]);
        opts.extend_from_slice(b"Annas-iPhone");
        opts.extend_from_slice(&[60, 15]);
        opts.extend_from_slice(b"android-dhcp-14");
        opts.push(255);
        let msg = message(1, &opts);
        let m = parse(&msg).done().unwrap();
        assert_eq!(m.op, 1);
        assert_eq!(m.xid, 0xdead_beef);
        assert_eq!(m.client_mac, Some(MAC));
        assert_eq!(m.your_ip, Ipv4Addr::new(192, 168, 1, 23));
        assert_eq!(m.message_type, Some(MessageType::REQUEST));
        assert_eq!(m.host_name_text().as_deref(), Some("Annas-iPhone"));
        assert_eq!(m.vendor_class_text().as_deref(), Some("android-dhcp-14"));
        assert_eq!(m.requested_ip, Some(Ipv4Addr::new(192, 168, 1, 23)));
        assert_eq!(m.client_id.unwrap().len(), 7);
    }

    #[test]
    fn no_end_option_and_empty_names_are_tolerated() {
        let msg = message(2, &[53, 1, 5, 12, 0]);
        let m = parse(&msg).done().unwrap();
        assert_eq!(m.message_type, Some(MessageType::ACK));
        assert_eq!(m.host_name, None);
    }

    #[test]
    fn control_characters_never_reach_the_text() {
        let msg = message(1, &[12, 4, b'a', 0x1b, b'[', b'b', 255]);
        let m = parse(&msg).done().unwrap();
        assert_eq!(m.host_name_text().as_deref(), Some("a[b"));
    }

    #[test]
    fn other_payloads_are_not_dhcp() {
        assert_eq!(parse(&[]), Parsed::NotThis);
        assert_eq!(parse(&[1; 239]), Parsed::NotThis);
        let mut bad_cookie = message(1, &[255]);
        bad_cookie[BOOTP_LEN] = 0;
        assert_eq!(parse(&bad_cookie), Parsed::NotThis);
        assert_eq!(parse(&message(3, &[255])), Parsed::NotThis);
    }

    #[test]
    fn a_truncated_option_is_malformed() {
        assert_eq!(
            parse(&message(1, &[12, 10, b'a'])),
            Parsed::Malformed(Weird::DhcpTruncatedOption)
        );
        assert_eq!(
            parse(&message(1, &[12])),
            Parsed::Malformed(Weird::DhcpTruncatedOption)
        );
    }

    #[test]
    fn max_options_bounds_the_walk() {
        let at_limit = vec![0u8; MAX_OPTIONS - 1];
        assert!(parse(&message(1, &at_limit)).done().is_some());
        let over = vec![0u8; MAX_OPTIONS + 1];
        assert_eq!(
            parse(&message(1, &over)),
            Parsed::Malformed(Weird::DhcpTooManyOptions)
        );
    }

    #[test]
    fn every_prefix_and_byte_flip_is_answered_without_panic() {
        let mut opts = vec![53, 1, 3, 12, 3];
        opts.extend_from_slice(b"Wii");
        opts.push(255);
        let msg = message(1, &opts);
        for n in 0..=msg.len() {
            let _ = parse(&msg[..n]);
        }
        for i in BOOTP_LEN..msg.len() {
            let mut m = msg.clone();
            m[i] ^= 0xff;
            let _ = parse(&m);
        }
    }

    /// Frame 26 of the test capture Teredo.pcap is a Wii's DHCPREQUEST (tshark: host name "Wii").
    #[test]
    fn a_real_request_from_a_capture() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/captures/Teredo.pcap");
        let bytes = std::fs::read(path).unwrap();
        let mut at = 24;
        let mut frame = 0;
        let payload = loop {
            let len = u32::from_le_bytes(bytes[at + 8..at + 12].try_into().unwrap()) as usize;
            let data = &bytes[at + 16..at + 16 + len];
            frame += 1;
            at += 16 + len;
            if frame == 26 {
                let ihl = usize::from(data[14] & 0x0f) * 4;
                break data[14 + ihl + 8..].to_vec();
            }
        };
        let m = parse(&payload).done().unwrap();
        assert_eq!(m.message_type, Some(MessageType::REQUEST));
        assert_eq!(m.client_mac, Some([0x00, 0x1a, 0xe9, 0x9d, 0x53, 0xb7]));
        assert_eq!(m.host_name_text().as_deref(), Some("Wii"));
        assert_eq!(m.requested_ip, Some(Ipv4Addr::new(192, 168, 2, 18)));
        assert_eq!(m.vendor_class, None);
    }
}
