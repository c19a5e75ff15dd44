//! The catalogue of weirds: every kind of malformed input or limit hit that is counted instead
//! of logged, in the style of Zeek's weird catalogue.
//!
//! A kind has a stable name (`<layer>.<what>`, as printed with the results, sent by live and
//! kept with sessions) and one doc line saying what happened. Nothing can count a kind that is
//! not listed here: the parsers, the flow engine and the decryption analyzer all speak
//! [`Weird`], never free strings. README's "Weirds" table lists exactly these kinds, checked
//! by a test.
//!
//! Names never change once released: a stored session or a script may grep for them. A new
//! kind gets a new name; a kind nothing emits any more is removed with its README row.

use std::fmt;

/// Declares [`Weird`] with its names and doc lines from one list, so the three cannot drift.
macro_rules! catalogue {
    ($( #[doc = $doc:literal] $variant:ident = $name:literal, )*) => {
        /// One kind of counted event: malformed input or a limit that was hit.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Weird {
            $( #[doc = $doc] $variant, )*
        }

        impl Weird {
            /// Every kind, in catalogue order (sorted by name).
            pub const ALL: &'static [Weird] = &[$( Weird::$variant, )*];

            /// The stable name, such as `dns.truncated_name`.
            pub const fn name(self) -> &'static str {
                match self {
                    $( Weird::$variant => $name, )*
                }
            }

            /// The one-line description of what happened.
            pub fn doc(self) -> &'static str {
                match self {
                    $( Weird::$variant => $doc.trim(), )*
                }
            }
        }
    };
}

catalogue! {
    /// A TLS record failed to decrypt with the logged secret; the connection is no longer followed.
    DecryptBadRecord = "decrypt.bad_record",
    /// An HTTP/2 frame (in decrypted TLS) was malformed; the connection's HTTP/2 is no longer followed.
    DecryptH2BadFrame = "decrypt.h2_bad_frame",
    /// An HTTP/2 header block exceeded its bound; the connection's HTTP/2 is no longer followed.
    DecryptH2HeaderBlockTooLarge = "decrypt.h2_header_block_too_large",
    /// An HTTP/2 connection opened more streams than are followed at once; the new one is not followed.
    DecryptH2StreamsFull = "decrypt.h2_streams_full",
    /// An HTTP/3 frame's payload did not parse; the stream is no longer followed.
    DecryptH3BadFrame = "decrypt.h3_bad_frame",
    /// An HTTP/3 frame was longer than is buffered; the stream is no longer followed.
    DecryptH3FrameTooLarge = "decrypt.h3_frame_too_large",
    /// More HTTP/3 requests waited for their responses than are kept; the oldest went out without one.
    DecryptH3RequestsFull = "decrypt.h3_requests_full",
    /// An HTTP/3 response came on a stream whose request was not seen.
    DecryptH3ResponseWithoutRequest = "decrypt.h3_response_without_request",
    /// Too many bytes of a QUIC stream waited past a gap; the stream is no longer followed.
    DecryptH3StreamGapTooLarge = "decrypt.h3_stream_gap_too_large",
    /// A QUIC connection opened more streams than are followed at once; the new one is not followed.
    DecryptH3StreamsFull = "decrypt.h3_streams_full",
    /// An encrypted handshake record could not be opened and was skipped (application data may still decrypt).
    DecryptHandshakeRecordSkipped = "decrypt.handshake_record_skipped",
    /// HPACK decoding of an HTTP/2 header block failed; the connection's HTTP/2 is no longer followed.
    DecryptHpackError = "decrypt.hpack_error",
    /// More decrypted HTTP/1.x requests waited for their responses than are kept; one was dropped.
    DecryptHttpPendingFull = "decrypt.http_pending_full",
    /// The key log held no secret for a TLS connection's client random; it is not decrypted.
    DecryptNoKey = "decrypt.no_key",
    /// Decrypted application data outgrew its buffer; the connection is no longer followed.
    DecryptPlainBufferFull = "decrypt.plain_buffer_full",
    /// A QPACK Huffman-coded string did not decode; the direction is no longer followed.
    DecryptQpackBadHuffman = "decrypt.qpack_bad_huffman",
    /// A QPACK field referred to an entry that is not in the table; the direction is no longer followed.
    DecryptQpackBadIndex = "decrypt.qpack_bad_index",
    /// A QPACK field section still waited for table entries when the connection ended; its request is lost.
    DecryptQpackBlockedAtEnd = "decrypt.qpack_blocked_at_end",
    /// More QPACK field sections waited for table entries than are kept; the new one was dropped.
    DecryptQpackBlockedFull = "decrypt.qpack_blocked_full",
    /// A QPACK encoder instruction was longer than is buffered; the direction is no longer followed.
    DecryptQpackInstructionTooLarge = "decrypt.qpack_instruction_too_large",
    /// A QPACK field section or instruction was cut short or impossible; the direction is no longer followed.
    DecryptQpackMalformed = "decrypt.qpack_malformed",
    /// A QPACK field section decoded to more than is kept; the direction is no longer followed.
    DecryptQpackSectionTooLarge = "decrypt.qpack_section_too_large",
    /// A QPACK field section needed table entries from an encoder stream that is no longer followed.
    DecryptQpackTableLost = "decrypt.qpack_table_lost",
    /// A QPACK encoder set a table capacity above the limit; the direction is no longer followed.
    DecryptQpackTableTooLarge = "decrypt.qpack_table_too_large",
    /// A QUIC 0-RTT packet could not be decrypted: the key log held no early secret.
    DecryptQuic0rttSkipped = "decrypt.quic_0rtt_skipped",
    /// A decrypted QUIC packet's frames were malformed.
    DecryptQuicBadFrame = "decrypt.quic_bad_frame",
    /// A QUIC packet did not decrypt with the logged secrets.
    DecryptQuicBadPacket = "decrypt.quic_bad_packet",
    /// A QUIC connection announced more connection IDs than are kept; the new one is not followed.
    DecryptQuicCidsFull = "decrypt.quic_cids_full",
    /// The table of decrypted QUIC connections was full; the oldest was ended.
    DecryptQuicEvicted = "decrypt.quic_evicted",
    /// The key log held no secret for a QUIC connection; it is not decrypted.
    DecryptQuicNoKey = "decrypt.quic_no_key",
    /// A decrypted QUIC packet held more frames than are read.
    DecryptQuicTooManyFrames = "decrypt.quic_too_many_frames",
    /// A QUIC short-header packet matched no connection ID being followed.
    DecryptQuicUnknownConnection = "decrypt.quic_unknown_connection",
    /// A decrypted QUIC packet held a frame type sporfri does not know; the rest of the packet is skipped.
    DecryptQuicUnknownFrame = "decrypt.quic_unknown_frame",
    /// A TLS connection negotiated a cipher suite sporfri cannot decrypt.
    DecryptUnsupportedSuite = "decrypt.unsupported_suite",
    /// A DHCP message carried more options than are read.
    DhcpTooManyOptions = "dhcp.too_many_options",
    /// A DHCP message ended before its fixed header did.
    DhcpTruncated = "dhcp.truncated",
    /// A DHCP option's length ran past the end of the message.
    DhcpTruncatedOption = "dhcp.truncated_option",
    /// A DNS A record's data was not 4 bytes.
    DnsBadA = "dns.bad_a",
    /// A DNS AAAA record's data was not 16 bytes.
    DnsBadAaaa = "dns.bad_aaaa",
    /// A DNS CNAME record's target name could not be read within its data.
    DnsBadCname = "dns.bad_cname",
    /// A DNS name used a reserved label type (neither a label nor a compression pointer).
    DnsBadLabelType = "dns.bad_label_type",
    /// A DNS message's question could not be read.
    DnsBadQuestion = "dns.bad_question",
    /// A DNS SVCB/HTTPS record's data was malformed.
    DnsBadSvcb = "dns.bad_svcb",
    /// A DNS-over-TCP stream's length prefixes did not frame messages; the stream is dropped.
    DnsBadTcpFraming = "dns.bad_tcp_framing",
    /// A DNS name's compression pointers looped or chained too deep.
    DnsNamePointerLoop = "dns.name_pointer_loop",
    /// A packet to or from a DNS port was not a DNS message.
    DnsNotDns = "dns.not_dns",
    /// A DNS message was shorter than its 12-byte header.
    DnsShortHeader = "dns.short_header",
    /// A DNS-over-TCP message was longer than the stream buffer holds.
    DnsTcpMessageExceedsBuffer = "dns.tcp_message_exceeds_buffer",
    /// A DNS-over-TCP length prefix announced fewer bytes than a DNS header.
    DnsTcpShortLength = "dns.tcp_short_length",
    /// A DNS-over-TCP length prefix was zero.
    DnsTcpZeroLength = "dns.tcp_zero_length",
    /// A DNS message announced more questions than are read.
    DnsTooManyQuestions = "dns.too_many_questions",
    /// A DNS message held more resource records than are read; the rest are skipped.
    DnsTooManyRecords = "dns.too_many_records",
    /// A DNS message ended before it was complete.
    DnsTruncated = "dns.truncated",
    /// A DNS name ran past the end of the message.
    DnsTruncatedName = "dns.truncated_name",
    /// A DNS question ran past the end of the message.
    DnsTruncatedQuestion = "dns.truncated_question",
    /// A DNS resource record ran past the end of the message.
    DnsTruncatedRecord = "dns.truncated_record",
    /// A CNAME chain in the DNS cache was longer than is followed.
    DnsCacheChainTooLong = "dns_cache.chain_too_long",
    /// The DNS cache's table of names with ECH configs was full; the oldest entry was evicted.
    DnsCacheEchEvicted = "dns_cache.ech_evicted",
    /// The DNS cache's table of addresses was full; the oldest entry was evicted.
    DnsCacheEvicted = "dns_cache.evicted",
    /// One address resolved from more names than are kept; the oldest name was dropped.
    DnsCacheNamesPerAddressFull = "dns_cache.names_per_address_full",
    /// An Ethernet frame was shorter than its header.
    EthernetTruncatedHeader = "ethernet.truncated_header",
    /// The flow table was full; the least recently seen flows were evicted.
    FlowEvictedTableFull = "flow.evicted_table_full",
    /// A Google QUIC packet's frames could not be read.
    GquicBadFrame = "gquic.bad_frame",
    /// A Google QUIC packet's message authentication hash did not match.
    GquicBadHash = "gquic.bad_hash",
    /// A Google QUIC handshake message's tag offsets were out of order or out of bounds.
    GquicBadTagOffset = "gquic.bad_tag_offset",
    /// A Google QUIC handshake message was not a client hello (CHLO).
    GquicNotChlo = "gquic.not_chlo",
    /// A Google QUIC handshake message announced more tags than are read.
    GquicTooManyTags = "gquic.too_many_tags",
    /// A Google QUIC packet ended before its header did.
    GquicTruncated = "gquic.truncated",
    /// An HTTP chunk was not followed by its CRLF.
    HttpBadChunk = "http.bad_chunk",
    /// An HTTP chunk-size line was not a hexadecimal size.
    HttpBadChunkSize = "http.bad_chunk_size",
    /// An HTTP chunked body was malformed; the direction is no longer followed.
    HttpBadChunkedBody = "http.bad_chunked_body",
    /// An HTTP Content-Length header was not a number, or several disagreed.
    HttpBadContentLength = "http.bad_content_length",
    /// Bytes that looked like an HTTP request did not parse as one.
    HttpBadRequest = "http.bad_request",
    /// An HTTP response head did not parse.
    HttpBadResponse = "http.bad_response",
    /// An HTTP message used a transfer encoding other than chunked; its body cannot be framed.
    HttpBadTransferEncoding = "http.bad_transfer_encoding",
    /// An HTTP chunk-size line was longer than is read.
    HttpChunkLineTooLong = "http.chunk_line_too_long",
    /// An HTTP chunk size overflowed.
    HttpChunkSizeOverflow = "http.chunk_size_overflow",
    /// An HTTP chunked body outgrew the buffer before it could be framed; the direction is no longer followed.
    HttpChunkedBodyNotFollowed = "http.chunked_body_not_followed",
    /// An HTTP message head outgrew the stream buffer.
    HttpHeadExceedsBuffer = "http.head_exceeds_buffer",
    /// An HTTP message head was longer than is parsed.
    HttpHeadTooLarge = "http.head_too_large",
    /// A stream expected to carry HTTP did not.
    HttpNotHttp = "http.not_http",
    /// More plain-HTTP requests waited for their responses than are kept; one was dropped.
    HttpPendingFull = "http.pending_full",
    /// An HTTP message head had more header fields than are parsed.
    HttpTooManyHeaders = "http.too_many_headers",
    /// An HTTP chunked body's trailers were longer than are read.
    HttpTrailersTooLarge = "http.trailers_too_large",
    /// The IP fragment table was full; the oldest datagram being reassembled was evicted.
    IpfragEvicted = "ipfrag.evicted",
    /// IP fragments of one datagram disagreed on its end; the datagram was dropped.
    IpfragInconsistent = "ipfrag.inconsistent",
    /// IP fragments of one datagram overlapped with different bytes.
    IpfragOverlap = "ipfrag.overlap",
    /// A datagram's IP fragments did not all arrive in time; it was dropped.
    IpfragTimeout = "ipfrag.timeout",
    /// A reassembled IP datagram would exceed the largest IP packet.
    IpfragTooLarge = "ipfrag.too_large",
    /// A datagram came in more IP fragments than are kept.
    IpfragTooManyFragments = "ipfrag.too_many_fragments",
    /// An IPv4 header's version or header length was invalid.
    Ipv4BadHeader = "ipv4.bad_header",
    /// An IPv4 packet was shorter than its header.
    Ipv4TruncatedHeader = "ipv4.truncated_header",
    /// An IPv6 packet chained more extension headers than are read.
    Ipv6TooManyExtHeaders = "ipv6.too_many_ext_headers",
    /// An IPv6 extension header ran past the end of the packet.
    Ipv6TruncatedExtHeader = "ipv6.truncated_ext_header",
    /// An IPv6 packet was shorter than its header.
    Ipv6TruncatedHeader = "ipv6.truncated_header",
    /// A captured frame was empty.
    LinkEmptyFrame = "link.empty_frame",
    /// A frame stacked more link-layer headers (VLAN, MPLS, PPPoE) than are read.
    LinkTooManyHeaders = "link.too_many_headers",
    /// A captured frame ended inside its link-layer headers.
    LinkTruncated = "link.truncated",
    /// A loopback (BSD null) frame was shorter than its header.
    LoopbackTruncatedHeader = "loopback.truncated_header",
    /// An MPLS label stack ran past the end of the frame.
    MplsTruncatedHeader = "mpls.truncated_header",
    /// An NFLOG frame's TLVs were malformed.
    NflogBadTlv = "nflog.bad_tlv",
    /// An NFLOG frame was shorter than its header.
    NflogTruncatedHeader = "nflog.truncated_header",
    /// A PPP frame was shorter than its header.
    PppTruncatedHeader = "ppp.truncated_header",
    /// A PPPoE frame was shorter than its header.
    PppoeTruncatedHeader = "pppoe.truncated_header",
    /// A QUIC long header announced a connection ID longer than QUIC allows.
    QuicBadCidLength = "quic.bad_cid_length",
    /// The TLS client hello reassembled from QUIC CRYPTO frames did not parse.
    QuicBadClientHello = "quic.bad_client_hello",
    /// A decrypted QUIC Initial packet's frames could not be read.
    QuicBadFrame = "quic.bad_frame",
    /// A QUIC client hello's CRYPTO data was larger than is reassembled.
    QuicCryptoTooBig = "quic.crypto_too_big",
    /// A QUIC client hello came in more CRYPTO pieces than are kept.
    QuicCryptoTooFragmented = "quic.crypto_too_fragmented",
    /// A QUIC Initial packet did not decrypt with any Initial salt of its version.
    QuicDecryptFailed = "quic.decrypt_failed",
    /// The table of QUIC connections awaiting their client hello was full; the oldest was evicted.
    QuicEvicted = "quic.evicted",
    /// A QUIC long-header packet had its fixed bit clear.
    QuicFixedBitClear = "quic.fixed_bit_clear",
    /// A QUIC connection's first CRYPTO data was not a TLS client hello.
    QuicNotClientHello = "quic.not_client_hello",
    /// A QUIC packet expected to be an Initial was another packet type.
    QuicNotInitial = "quic.not_initial",
    /// A QUIC Initial packet carried more CRYPTO frames than are read.
    QuicTooManyCryptoFrames = "quic.too_many_crypto_frames",
    /// A QUIC packet ended before its protected header and sample did.
    QuicTruncated = "quic.truncated",
    /// A client spoke a QUIC version sporfri cannot read (counted once per flow); see `hidden`.
    QuicUnreadableVersion = "quic.unreadable_version",
    /// A server answered with QUIC Version Negotiation; the client's next Initial starts over.
    QuicVersionNegotiation = "quic.version_negotiation",
    /// A Linux cooked capture (SLL) frame was shorter than its header.
    SllTruncatedHeader = "sll.truncated_header",
    /// A Linux cooked capture v2 (SLL2) frame was shorter than its header.
    Sll2TruncatedHeader = "sll2.truncated_header",
    /// A TCP header's data offset was invalid.
    TcpBadHeader = "tcp.bad_header",
    /// More out-of-order TCP segments waited than are kept; the stream's gap is not filled.
    TcpPendingFull = "tcp.pending_full",
    /// A TCP stream's reassembly buffer was full; further bytes were not kept.
    TcpStreamBufferFull = "tcp.stream_buffer_full",
    /// A TCP segment was shorter than its header.
    TcpTruncatedHeader = "tcp.truncated_header",
    /// A TLS ALPN extension was malformed.
    TlsBadAlpn = "tls.bad_alpn",
    /// A TLS client hello's fixed fields did not parse.
    TlsBadClientHello = "tls.bad_client_hello",
    /// A TLS hello extension's length ran past the extensions.
    TlsBadExtension = "tls.bad_extension",
    /// A TLS hello's extensions length disagreed with the hello's.
    TlsBadExtensionsLength = "tls.bad_extensions_length",
    /// A TLS server hello did not parse.
    TlsBadServerHello = "tls.bad_server_hello",
    /// A TLS server_name extension was malformed.
    TlsBadSni = "tls.bad_sni",
    /// A TLS supported_versions extension was malformed.
    TlsBadSupportedVersions = "tls.bad_supported_versions",
    /// A TLS record had length zero.
    TlsEmptyRecord = "tls.empty_record",
    /// A TLS hello outgrew the stream buffer before it was complete.
    TlsHelloExceedsBuffer = "tls.hello_exceeds_buffer",
    /// A TLS hello spread over records was interrupted by a record of another type.
    TlsHelloInterrupted = "tls.hello_interrupted",
    /// A TLS hello announced a length larger than is reassembled.
    TlsHelloTooLarge = "tls.hello_too_large",
    /// A TLS hello had bytes after its extensions.
    TlsHelloTrailingData = "tls.hello_trailing_data",
    /// A TLS handshake expected to start with a client hello started with another message.
    TlsNotClientHello = "tls.not_client_hello",
    /// A TLS handshake expected to start with a server hello started with another message.
    TlsNotServerHello = "tls.not_server_hello",
    /// A TLS record was longer than TLS allows.
    TlsRecordTooLarge = "tls.record_too_large",
    /// A packet ended inside its transport (TCP/UDP) header.
    TransportTruncated = "transport.truncated",
    /// A UDP header's length was below the header's own 8 bytes.
    UdpBadLength = "udp.bad_length",
    /// A UDP datagram was shorter than its header.
    UdpTruncatedHeader = "udp.truncated_header",
    /// A VLAN tag ran past the end of the frame.
    VlanTruncatedHeader = "vlan.truncated_header",
}

impl fmt::Display for Weird {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Weird {
    /// The kind of this stable name, if it is one.
    pub fn from_name(name: &str) -> Option<Weird> {
        Weird::ALL.iter().copied().find(|w| w.name() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_sorted_unique_and_shaped_layer_dot_what() {
        let names: Vec<&str> = Weird::ALL.iter().map(|w| w.name()).collect();
        assert!(names.windows(2).all(|p| p[0] < p[1]), "{names:?}");
        for name in names {
            let (layer, what) = name.split_once('.').expect("a dot");
            let word = |s: &str| {
                !s.is_empty()
                    && s.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            };
            assert!(word(layer) && word(what), "{name}");
        }
    }

    #[test]
    fn every_kind_has_a_doc_line_and_its_name_back() {
        for &w in Weird::ALL {
            assert!(!w.doc().is_empty() && !w.doc().contains('\n'), "{w}");
            assert!(w.doc().ends_with('.'), "{w}: {}", w.doc());
            assert_eq!(Weird::from_name(w.name()), Some(w));
        }
        assert_eq!(Weird::from_name("dns.malformed"), None);
    }
}
