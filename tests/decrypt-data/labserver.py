"""A tiny TLS lab server for sporfri's decryption tests: HTTP/2 (python-h2) or HTTP/1.1 over TLS.

Every response sets two cookies (one with Max-Age, one with Expires) so the tests can check the
lifetimes; `/tr` answers 204 like a tracking pixel. Usage: labserver.py PORT CERT KEY
"""
import socket
import ssl
import sys
import threading

import h2.config
import h2.connection
import h2.events

DATE = "Tue, 01 Jan 2030 00:00:00 GMT"
COOKIES = [
    "lab_id=abc123; Max-Age=34560000; Domain=.lab.example; Path=/; Secure; HttpOnly; SameSite=None",
    "lab_session=xyz; Path=/; SameSite=Lax",
    "lab_exp=1; Expires=Thu, 31 Jan 2030 00:00:00 GMT; Path=/",
]


def respond(path):
    status = "204" if path.startswith("/tr") else "200"
    body = b"" if status == "204" else b"<html>lab</html>" * 200
    return status, body


def serve_h2(conn):
    h2c = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=False))
    h2c.initiate_connection()
    conn.sendall(h2c.data_to_send())
    while True:
        data = conn.recv(65535)
        if not data:
            return
        for event in h2c.receive_data(data):
            if isinstance(event, h2.events.RequestReceived):
                path = dict(event.headers).get(b":path", b"/").decode()
                status, body = respond(path)
                headers = [(":status", status), ("date", DATE), ("content-type", "text/html; charset=utf-8")]
                headers += [("set-cookie", c) for c in COOKIES]
                h2c.send_headers(event.stream_id, headers, end_stream=not body)
                if body:
                    h2c.send_data(event.stream_id, body, end_stream=True)
            elif isinstance(event, h2.events.ConnectionTerminated):
                conn.sendall(h2c.data_to_send())
                return
        conn.sendall(h2c.data_to_send())


def serve_h1(conn):
    buf = b""
    while True:
        data = conn.recv(65535)
        if not data:
            return
        buf += data
        while b"\r\n\r\n" in buf:
            head, buf = buf.split(b"\r\n\r\n", 1)
            path = head.split(b" ")[1].decode()
            status, body = respond(path)
            lines = [f"HTTP/1.1 {status} X", f"Date: {DATE}", "Content-Type: text/html"]
            lines += [f"Set-Cookie: {c}" for c in COOKIES]
            lines += [f"Content-Length: {len(body)}", "", ""]
            conn.sendall("\r\n".join(lines).encode() + body)


def handle(raw, ctx):
    with ctx.wrap_socket(raw, server_side=True) as conn:
        if conn.selected_alpn_protocol() == "h2":
            serve_h2(conn)
        else:
            serve_h1(conn)


def main():
    port, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ctx.set_alpn_protocols(["h2", "http/1.1"])
    ctx.set_ciphers("ECDHE+AESGCM:ECDHE+CHACHA20")
    srv = socket.create_server(("127.0.0.1", port))
    while True:
        raw, _ = srv.accept()
        threading.Thread(target=handle, args=(raw, ctx), daemon=True).start()


if __name__ == "__main__":
    main()
