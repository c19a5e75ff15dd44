//! DHCP: the host name and vendor class a device announces.

use crate::observation::{DeviceId, Observation};
use crate::stats::Counters;
use crate::weird::Weird;
use crate::wire::Parsed;
use crate::wire::dhcp;

use crate::flow::segment::{Segment, Sink};

pub(super) fn is_dhcp(seg: &Segment<'_>) -> bool {
    matches!((seg.src.port(), seg.dst.port()), (67 | 68, 67 | 68))
}

/// A DHCP message: the client's host name and vendor class name the device.
pub(super) fn dhcp_message(seg: &Segment<'_>, weirds: &mut Counters, sink: &mut impl Sink) {
    match dhcp::parse(seg.payload) {
        Parsed::Done(m) => {
            let (host_name, vendor_class) = (m.host_name_text(), m.vendor_class_text());
            if host_name.is_none() && vendor_class.is_none() {
                return;
            }
            let device = match m.client_mac {
                Some(mac) => DeviceId::Mac(mac),
                None => seg.src_device,
            };
            sink.observe(Observation::Dhcp {
                ts: seg.ts,
                device,
                host_name,
                vendor_class,
            });
        }
        Parsed::Malformed(w) => weirds.bump(w),
        Parsed::Incomplete { .. } => weirds.bump(Weird::DhcpTruncated),
        Parsed::NotThis => {}
    }
}
