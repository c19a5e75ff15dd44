#!/usr/bin/env python3
"""Build the seed corpora of every fuzz target from the shared test captures.

Usage: python3 fuzz/seed.py   (from the project root; needs tshark for the payload targets)
Writes fuzz/corpus/<target>/ (ignored by git).
"""
import hashlib
import pathlib
import struct
import subprocess

ROOT = pathlib.Path(__file__).resolve().parent
CAPS = sorted(p for p in (ROOT.parent / "tests" / "captures").iterdir() if p.suffix in (".pcap", ".pcapng"))
LINKS = [0, 1, 9, 12, 14, 50, 101, 108, 113, 228, 229, 239, 276]
PIPE_LINKS = [1, 1, 1, 101, 113, 276]


def put(target, data):
    d = ROOT / "corpus" / target
    d.mkdir(parents=True, exist_ok=True)
    (d / hashlib.sha1(data).hexdigest()).write_bytes(data)


def pcap_frames(path):
    b = path.read_bytes()
    magic = b[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        return None, []
    link = struct.unpack(e + "I", b[20:24])[0]
    frames, off = [], 24
    while off + 16 <= len(b):
        caplen = struct.unpack(e + "I", b[off + 8:off + 12])[0]
        frames.append(b[off + 16:off + 16 + caplen])
        off += 16 + caplen
    return link, frames


def tshark_hex(path, display_filter, field):
    out = subprocess.run(
        ["tshark", "-r", str(path), "-Y", display_filter, "-T", "fields", "-e", field],
        capture_output=True, text=True, check=False).stdout
    for line in out.splitlines():
        for h in line.split(","):
            h = h.replace(":", "").strip()
            if h:
                yield bytes.fromhex(h)


for cap in CAPS:
    put("capture", cap.read_bytes()[:65536])
    link, frames = pcap_frames(cap)
    if link is not None:
        if link in LINKS:
            for f in frames[:64]:
                put("link", bytes([LINKS.index(link)]) + f)
        if link in PIPE_LINKS:
            pick = PIPE_LINKS.index(link)
            blob = b"".join(bytes([pick, 1, len(f) >> 8, len(f) & 0xFF]) + f for f in frames[:200])
            put("pipeline", blob)
    for p in tshark_hex(cap, "dns", "udp.payload"):
        put("dns", p)
    for p in tshark_hex(cap, "dns and tcp.len > 0", "tcp.payload"):
        put("dns", p)
    for p in tshark_hex(cap, "tls.handshake.type == 1 and tcp", "tcp.payload"):
        put("tls", p)
    for p in tshark_hex(cap, "quic or gquic", "udp.payload"):
        put("quic", p)
    for p in tshark_hex(cap, "gquic", "udp.payload"):
        # The whole packet, and its frames after a Q043 (26 bytes) or Q046 (30 bytes) header
        # and hash: a fuzzer cannot forge the hash to reach them.
        put("gquic", p)
        put("gquic", p[26:])
        put("gquic", p[30:])
    for p in tshark_hex(cap, "http", "tcp.payload"):
        put("http", p)

# h3: hand-made HTTP/3 connections (control and encoder streams, RFC 9204's QPACK examples,
# reordering, GOAWAY, close), kept in the regression corpus.
for seed in sorted((ROOT / "regressions" / "h3").iterdir()):
    put("h3", seed.read_bytes())

for t in sorted((ROOT / "corpus").iterdir()):
    print(t.name, len(list(t.iterdir())))
