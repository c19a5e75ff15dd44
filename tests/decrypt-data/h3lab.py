"""An HTTP/3 lab for sporfri's QUIC decryption tests: an aioquic server and client in one process
on 127.0.0.1, a stack sporfri's code was not written against (QPACK by ls-qpack, with the
dynamic table and Huffman strings; 8-byte connection IDs both ways).

The client makes three requests on one connection: the first two, then a key update and a switch
to a connection ID the server announced (NEW_CONNECTION_ID), then the third. Every response sets
cookies (Max-Age, Expires, a session cookie); `/tr` answers 204 like a tracking pixel. The key log
(NSS format) goes to KEYS.

Usage: h3lab.py PORT CERT KEY KEYS SUITE   (SUITE: aes128, aes256 or chacha)
"""
import asyncio
import ssl
import sys

from aioquic.asyncio import connect, serve
from aioquic.asyncio.protocol import QuicConnectionProtocol
from aioquic.h3.connection import H3_ALPN, H3Connection
from aioquic.h3.events import DataReceived, HeadersReceived
from aioquic.quic.configuration import QuicConfiguration
from aioquic.tls import CipherSuite

DATE = b"Tue, 01 Jan 2030 00:00:00 GMT"
COOKIES = [
    b"lab_id=abc123; Max-Age=34560000; Domain=.lab.example; Path=/; Secure; HttpOnly; SameSite=None",
    b"lab_session=xyz; Path=/; SameSite=Lax",
    b"lab_exp=1; Expires=Thu, 31 Jan 2030 00:00:00 GMT; Path=/",
]
SUITES = {
    "aes128": CipherSuite.AES_128_GCM_SHA256,
    "aes256": CipherSuite.AES_256_GCM_SHA384,
    "chacha": CipherSuite.CHACHA20_POLY1305_SHA256,
}
REQUESTS = [
    ("lab.example", "/index.html"),
    ("www.facebook.com", "/tr?id=4242&ev=PageView&dl=https%3A%2F%2Fwww.borger.dk%2Fpage"),
    ("lab.example", "/after-key-update?cid=new"),
]


class Server(QuicConnectionProtocol):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.h3 = H3Connection(self._quic)

    def quic_event_received(self, event):
        for ev in self.h3.handle_event(event):
            if isinstance(ev, HeadersReceived):
                path = dict(ev.headers).get(b":path", b"/")
                status = b"204" if path.startswith(b"/tr") else b"200"
                headers = [(b":status", status), (b"date", DATE),
                           (b"content-type", b"text/html; charset=utf-8")]
                headers += [(b"set-cookie", c) for c in COOKIES]
                body = b"" if status == b"204" else b"<html>lab</html>" * 200
                self.h3.send_headers(ev.stream_id, headers)
                self.h3.send_data(ev.stream_id, body, end_stream=True)
        self.transmit()


class Client(QuicConnectionProtocol):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.h3 = H3Connection(self._quic)
        self.done = {}

    def quic_event_received(self, event):
        for ev in self.h3.handle_event(event):
            if isinstance(ev, (HeadersReceived, DataReceived)) and ev.stream_ended:
                self.done[ev.stream_id].set_result(True)

    async def get(self, authority, path):
        stream_id = self._quic.get_next_available_stream_id()
        self.done[stream_id] = asyncio.get_event_loop().create_future()
        self.h3.send_headers(stream_id, [
            (b":method", b"GET"), (b":scheme", b"https"),
            (b":authority", authority.encode()), (b":path", path.encode()),
            (b"user-agent", b"h3lab"), (b"referer", b"https://www.borger.dk/page"),
            (b"cookie", b"consent=1; _fbp=fb.1.2"),
        ], end_stream=True)
        self.transmit()
        await asyncio.wait_for(self.done[stream_id], 5)


async def main(port, cert, key, keys, suite):
    server_conf = QuicConfiguration(is_client=False, alpn_protocols=H3_ALPN)
    server_conf.load_cert_chain(cert, key)
    server = await serve("127.0.0.1", port, configuration=server_conf, create_protocol=Server)
    client_conf = QuicConfiguration(is_client=True, alpn_protocols=H3_ALPN,
                                    server_name="lab.example", verify_mode=ssl.CERT_NONE,
                                    cipher_suites=[SUITES[suite]])
    with open(keys, "w") as log:
        client_conf.secrets_log_file = log
        async with connect("127.0.0.1", port, configuration=client_conf,
                           create_protocol=Client) as client:
            for authority, path in REQUESTS[:2]:
                await client.get(authority, path)
            client._quic.request_key_update()
            client._quic.change_connection_id()
            client.transmit()
            await asyncio.sleep(0.2)
            await client.get(*REQUESTS[2])
            await asyncio.sleep(0.2)
    server.close()


if __name__ == "__main__":
    port, cert, key, keys, suite = sys.argv[1:6]
    asyncio.run(main(int(port), cert, key, keys, suite))
