"""Make a capture of a client that migrates: from the first packet in which the client
addresses the server by a new connection ID (after h3lab.py's switch), the client's UDP port
changes, in both directions, as a NAT rebinding or a network change would do it (RFC 9000 §9).

Usage: migrate.py IN.pcap OUT.pcap NEW_PORT   (little-endian pcap, Ethernet, IPv4, UDP)
"""
import struct
import sys


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def main(src, dst, new_port):
    b = open(src, "rb").read()
    out = bytearray(b[:24])
    at, server_port, client_port, first_dcid, moved = 24, 8443, None, None, False
    while at + 16 <= len(b):
        incl = struct.unpack("<I", b[at + 8 : at + 12])[0]
        rec = bytearray(b[at : at + 16 + incl])
        frame = rec[16:]
        ip = 14
        ihl = (frame[ip] & 0x0F) * 4
        udp = ip + ihl
        sport, dport = struct.unpack("!HH", frame[udp : udp + 4])
        payload = frame[udp + 8 :]
        if dport == server_port and payload and payload[0] & 0xC0 == 0x40:
            client_port = sport
            dcid = bytes(payload[1:9])
            first_dcid = first_dcid or dcid
            moved = moved or dcid != first_dcid
        if moved and client_port in (sport, dport):
            if sport == client_port:
                frame[udp : udp + 2] = struct.pack("!H", new_port)
            else:
                frame[udp + 2 : udp + 4] = struct.pack("!H", new_port)
            frame[udp + 6 : udp + 8] = b"\0\0"
            pseudo = frame[ip + 12 : ip + 20] + struct.pack("!BBH", 0, 17, len(frame) - udp)
            frame[udp + 6 : udp + 8] = struct.pack("!H", checksum(bytes(pseudo + frame[udp:])) or 0xFFFF)
        out += rec[:16] + frame
        at += 16 + incl
    open(dst, "wb").write(out)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
