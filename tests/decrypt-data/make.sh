#!/bin/sh
# Regenerate the lab captures with key logs used by tests/decrypt.rs (needs tcpdump, curl with
# nghttp2, openssl, python3 with h2). Each capture: curl against labserver.py on 127.0.0.1,
# recorded on lo; curl writes the NSS key log (SSLKEYLOGFILE).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/k.pem" -out "$tmp/c.pem" -days 3650 \
  -subj "/CN=lab.example" -addext "subjectAltName=DNS:lab.example,DNS:www.facebook.com" 2>/dev/null
port=8443
python3 "$here/labserver.py" $port "$tmp/c.pem" "$tmp/k.pem" & server=$!
sleep 1
capture() { # name, curl options...
  name=$1; shift
  rm -f "$here/$name.keys"
  tcpdump -U -i lo -w "$here/$name.pcap" -s 0 "tcp port $port" 2>/dev/null & dump=$!
  sleep 1
  SSLKEYLOGFILE="$here/$name.keys" curl -sk -o /dev/null "$@" \
    --resolve lab.example:$port:127.0.0.1 --resolve www.facebook.com:$port:127.0.0.1 \
    -e https://www.borger.dk/page -b "consent=1; _fbp=fb.1.2" \
    "https://lab.example:$port/index.html" \
    "https://www.facebook.com:$port/tr?id=4242&ev=PageView&dl=https%3A%2F%2Fwww.borger.dk%2Fpage"
  sleep 1
  kill $dump; wait $dump 2>/dev/null || true
}
capture tls13-h2-aes128 --http2 --tls13-ciphers TLS_AES_128_GCM_SHA256
capture tls13-h2-chacha --http2 --tls13-ciphers TLS_CHACHA20_POLY1305_SHA256
capture tls13-h1-aes256 --http1.1 --tls13-ciphers TLS_AES_256_GCM_SHA384
capture tls12-h2-aes256 --http2 --tls-max 1.2 --ciphers ECDHE-RSA-AES256-GCM-SHA384
capture tls12-h1-chacha --http1.1 --tls-max 1.2 --ciphers ECDHE-RSA-CHACHA20-POLY1305
# TLS 1.3 KeyUpdate (requested, so both sides update) between two HTTP/1.1 requests.
rm -f "$here/tls13-keyupdate.keys"
tcpdump -U -i lo -w "$here/tls13-keyupdate.pcap" -s 0 "tcp port $port" 2>/dev/null & dump=$!
sleep 1
( printf 'GET /first HTTP/1.1\r\nHost: lab.example\r\n\r\n'; sleep 0.5; printf 'K\n'; sleep 0.5
  printf 'GET /second HTTP/1.1\r\nHost: lab.example\r\n\r\n'; sleep 1 ) |
  openssl s_client -connect 127.0.0.1:$port -servername lab.example -tls1_3 -alpn http/1.1 \
    -keylogfile "$here/tls13-keyupdate.keys" >/dev/null 2>&1 || true
sleep 1
kill $dump; wait $dump 2>/dev/null || true
kill $server
rm -rf "$tmp"
