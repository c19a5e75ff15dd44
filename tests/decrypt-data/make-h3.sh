#!/bin/sh
# Regenerate the HTTP/3 captures with key logs used by tests/decrypt.rs (needs dumpcap, openssl,
# python3 with aioquic 1.7). Each capture: h3lab.py's aioquic client and server on 127.0.0.1,
# recorded on lo; the client writes the NSS key log.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/k.pem" -out "$tmp/c.pem" -days 3650 \
  -subj "/CN=lab.example" -addext "subjectAltName=DNS:lab.example,DNS:www.facebook.com" 2>/dev/null
port=8443
for suite in aes128 aes256 chacha; do
  name=h3-$suite
  dumpcap -q -i lo -f "udp port $port" -w "$tmp/$name.pcapng" 2>/dev/null & dump=$!
  sleep 1
  python3 "$here/h3lab.py" $port "$tmp/c.pem" "$tmp/k.pem" "$here/$name.keys" $suite
  sleep 1
  kill $dump; wait $dump 2>/dev/null || true
  # pcap, like the other lab captures: the key log stays beside it.
  editcap -F pcap "$tmp/$name.pcapng" "$here/$name.pcap"
done
# A client that migrates: the AES-128 capture with the client's port changed from its switch to
# a new connection ID on.
python3 "$here/migrate.py" "$here/h3-aes128.pcap" "$here/h3-migrated.pcap" 50123
cp "$here/h3-aes128.keys" "$here/h3-migrated.keys"
rm -rf "$tmp"
