#!/usr/bin/env python3
"""Configuration and ground truth for the sporfri real-browser lab (see lab.sh, README.md).

  labconf.py gen WORK          write WORK/{Caddyfile,dnsmasq.conf,certs/,home/.pki/nssdb,chrome-flags}
  labconf.py truth WORK OUT    turn the servers' own logs in WORK into OUT (kind<TAB>name lines)

Everything is derived from hosts.tsv beside this file. Only the standard library is used.
"""
import base64
import hashlib
import json
import os
import re
import subprocess
import sys

LAB = os.path.dirname(os.path.abspath(__file__))
DNS_IPV4 = "198.51.100.53"
DNS_IPV6 = "2001:db8:53::53"
# HTTPS record (RFC 9460) rdata: priority 1, target ".", alpn="h3","h2".
HTTPS_RR_H3 = "0001" "00" "0001" "0006" "02" + b"h3".hex() + "02" + b"h2".hex()
# Content types for lab files whose paths carry no extension (as the real services' URLs do).
CONTENT_TYPES = [
    ("/css2", "text/css; charset=utf-8"),
    ("/gtag/js", "application/javascript"),
    ("/embed/*", "text/html; charset=utf-8"),
    ("/login", "text/html; charset=utf-8"),
    ("*.woff2", "font/woff2"),
]
# Cookies the lab's third parties set (lab decryption, issue 11), as the real services do, with
# Max-Age lifetimes (or none: a session cookie). "beacon": only on answers to beacons (paths
# without a file: 204); "all": on every answer of that host. The truth takes the cookies from
# caddy's access log (the headers it really sent), not from this table.
COOKIES = {
    "www.facebook.com": ("beacon", [
        "fr=lab-fr-1; Domain=.facebook.com; Path=/; Max-Age=7776000; Secure; HttpOnly; SameSite=None",
    ]),
    "region1.google-analytics.com": ("beacon", [
        "_ga_collect=lab-ga-1; Path=/; Max-Age=63072000; Secure; SameSite=None",
    ]),
    "borger.sc.omtrdc.net": ("beacon", [
        "s_vi=lab-vi-1; Path=/; Max-Age=63072000; Secure; SameSite=None",
        "s_sess=lab-sess-1; Path=/; Secure; SameSite=None",
    ]),
    "consent.cookiebot.com": ("all", [
        "CookieConsentBulkTicket=lab-cb-1; Path=/; Max-Age=31536000; Secure; HttpOnly; SameSite=None",
    ]),
}


def hosts():
    """Rows of hosts.tsv as dicts."""
    rows = []
    with open(os.path.join(LAB, "hosts.tsv"), encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            name, v4, v6, serve, group, role = line.rstrip("\n").split("\t")
            rows.append(dict(name=name, v4=v4, v6=v6, serve=serve, group=group, role=role))
    return rows


def server_addresses():
    """Every address the internet namespace must own (servers and the resolver)."""
    out = [DNS_IPV4, DNS_IPV6]
    for h in hosts():
        for a in (h["v4"], h["v6"]):
            if a != "-" and a not in out:
                out.append(a)
    return out


def run(*cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def make_certs(work):
    """A lab CA and one ECDSA certificate per organisation group covering its names."""
    d = os.path.join(work, "certs")
    os.makedirs(d, exist_ok=True)
    ca_key, ca_crt = os.path.join(d, "ca.key"), os.path.join(d, "ca.crt")
    run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
        "-nodes", "-keyout", ca_key, "-out", ca_crt, "-days", "30",
        "-subj", "/O=sporfri lab/CN=sporfri lab CA",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    groups = {}
    for h in hosts():
        if h["serve"] != "http":
            groups.setdefault(h["group"], []).append(h["name"])
    for group, names in groups.items():
        key, csr, crt = (os.path.join(d, f"{group}.{x}") for x in ("key", "csr", "crt"))
        ext = os.path.join(d, f"{group}.ext")
        with open(ext, "w") as f:
            f.write("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                    "extendedKeyUsage=serverAuth\nsubjectAltName=" +
                    ",".join(f"DNS:{n}" for n in names) + "\n")
        run("openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
            "-nodes", "-keyout", key, "-out", csr, "-subj", f"/O=sporfri lab {group}/CN={names[0]}")
        run("openssl", "x509", "-req", "-in", csr, "-CA", ca_crt, "-CAkey", ca_key,
            "-CAcreateserial", "-days", "30", "-extfile", ext, "-out", crt)
    return ca_crt


def caddyfile(work):
    """One site block per served name (the CNAME alias is served by its target's block)."""
    site = os.path.join(LAB, "site")
    certs = os.path.join(work, "certs")
    aliases = {}
    for h in hosts():
        if h["serve"].startswith("cname:"):
            aliases.setdefault(h["serve"][6:], []).append(h["name"])
    out = ["{", "\tadmin off", "\tauto_https off", "\tgrace_period 1s",
           f"\tstorage file_system {work}/caddy-data",
           "\tlog {", f"\t\toutput file {work}/caddy.log", "\t\tformat json", "\t\tlevel DEBUG", "\t}",
           "\tservers {", "\t\tprotocols h1 h2 h3",
           # Set-Cookie (and Cookie) headers in the access log, unredacted: the cookie truth
           "\t\tlog_credentials", "\t}", "}", ""]
    for h in hosts():
        serve, name = h["serve"], h["name"]
        if serve.startswith("cname:"):
            continue
        if serve == "http":
            # plain HTTP only (port 80); the pixel's answer sets a cookie, as real ones do
            out += [f"http://{name} {{", f"\tbind {h['v4']} {h['v6']}", f"\troot * {site}/{name}",
                    "\t@missing not file {path} {path}/index.html",
                    '\theader @missing Set-Cookie "UID=lab-visitor-1; Path=/; Max-Age=63072000"',
                    "\trespond @missing 204", "\tfile_server", "\tlog", "}", ""]
            continue
        names = [name] + aliases.get(name, [])
        out.append(", ".join(f"https://{n}" for n in names) + " {")
        # bound to the host's own addresses: a wildcard UDP socket would answer QUIC from the
        # link address, which the browser's connected socket refuses
        out.append(f"\tbind {h['v4']} {h['v6']}")
        out.append(f"\ttls {certs}/{h['group']}.crt {certs}/{h['group']}.key")
        out.append(f"\troot * {site}/{name}")
        out.append("\theader Access-Control-Allow-Origin *")
        for i, (path, ctype) in enumerate(CONTENT_TYPES):
            out.append(f"\t@type{i} path {path}")
            out.append(f'\theader @type{i} Content-Type "{ctype}"')
        out.append("\t@missing not file {path} {path}/index.html")
        where, cookies = COOKIES.get(name, ("all", []))
        for c in cookies:
            matcher = "@missing " if where == "beacon" else ""
            out.append(f'\theader {matcher}+Set-Cookie "{c}"')
        out += ["\trespond @missing 204", "\tfile_server", "\tlog", "}", ""]
    return "\n".join(out)


def dnsmasq_conf(work):
    out = ["no-resolv", "no-hosts", "no-poll", "bind-interfaces",
           f"listen-address={DNS_IPV4}", f"listen-address={DNS_IPV6}", "port=53", "user=root",
           "log-queries", f"log-facility={work}/dnsmasq.log", "cache-size=0",
           # Names outside the lab do not exist: NXDOMAIN, as for a typo on the real internet.
           "address=/#/"]
    for h in hosts():
        if h["serve"].startswith("cname:"):
            out.append(f"cname={h['name']},{h['serve'][6:]},300")
        else:
            out.append(f"host-record={h['name']},{h['v4']},{h['v6']},300")
        if h["serve"] in ("https-rr", "quic"):
            out.append(f"dns-rr={h['name']},65,{HTTPS_RR_H3}")
    return "\n".join(out) + "\n"


def spki_hash(crt):
    """base64 SHA-256 of a certificate's SubjectPublicKeyInfo (Chromium's SPKI pin format)."""
    pub = subprocess.run(["openssl", "x509", "-in", crt, "-pubkey", "-noout"], check=True,
                         capture_output=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "der"], input=pub, check=True,
                         capture_output=True).stdout
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


def chrome_flags(work):
    """Chromium switches: origins forced onto QUIC (hosts.tsv serve=quic), and the lab's server
    keys. Chromium's QUIC refuses certificates that chain to a locally added root (the NSS trust
    that TLS over TCP uses), so the lab's own keys are accepted by SPKI pin."""
    quic = [h["name"] for h in hosts() if h["serve"] == "quic"]
    certs = os.path.join(work, "certs")
    pins = sorted(spki_hash(os.path.join(certs, f)) for f in os.listdir(certs)
                  if f.endswith(".crt") and f != "ca.crt")
    return ("--origin-to-force-quic-on=" + ",".join(f"{n}:443" for n in quic) + "\n" +
            "--ignore-certificate-errors-spki-list=" + ",".join(pins))


def gen(work):
    ca = make_certs(work)
    with open(os.path.join(work, "Caddyfile"), "w") as f:
        f.write(caddyfile(work))
    with open(os.path.join(work, "dnsmasq.conf"), "w") as f:
        f.write(dnsmasq_conf(work))
    with open(os.path.join(work, "chrome-flags"), "w") as f:
        f.write(chrome_flags(work) + "\n")
    with open(os.path.join(work, "addresses"), "w") as f:
        f.write("\n".join(server_addresses()) + "\n")
    nss = os.path.join(work, "home", ".pki", "nssdb")
    os.makedirs(nss, exist_ok=True)
    run("certutil", "-N", "-d", f"sql:{nss}", "--empty-password")
    run("certutil", "-A", "-d", f"sql:{nss}", "-t", "C,,", "-n", "sporfri lab CA", "-i", ca)


DNS_QUERY = re.compile(r"query\[[^\]]+\] (\S+) from ")


def max_age(header):
    """The lifetime a Set-Cookie header gives, in seconds ("" for a session cookie)."""
    for attr in header.split(";")[1:]:
        k, _, v = attr.strip().partition("=")
        if k.lower() == "max-age":
            return v.strip()
    return ""


def request_lines(e):
    """request / cookie truth lines of one caddy access-log entry; the kind says how the request
    travelled: "" HTTPS over TCP (HTTP/1.1, HTTP/2), "-h3" HTTP/3, "-http" plain HTTP."""
    req = e.get("request", {})
    tls = req.get("tls")
    host = (req.get("host") or "").lower()
    if not tls:
        suffix, scheme = "-http", "http"
    elif req.get("proto") == "HTTP/3.0":
        suffix, scheme = "-h3", "https"
    else:
        suffix, scheme = "", "https"
    lines = {(f"request{suffix}", f"{scheme}://{host}{req.get('uri', '')}")}
    headers = e.get("resp_headers") or {}
    for key, values in headers.items():
        if key.lower() != "set-cookie":
            continue
        for v in values:
            name = v.split("=", 1)[0].strip()
            lines.add((f"cookie{suffix}", f"{host}\t{name}\t{max_age(v)}"))
    return lines


def truth(work, out):
    """kind<TAB>name from the servers' logs: dnsmasq queries, caddy handshakes and requests,
    and (lab decryption) every request URL and every cookie caddy set:
    request<TAB>URL and cookie<TAB>host<TAB>name<TAB>lifetime_s ("" for a session cookie), with
    the kinds request-h3 / cookie-h3 for HTTP/3 and request-http / cookie-http for plain HTTP."""
    lines = set()
    with open(os.path.join(work, "dnsmasq.log"), encoding="utf-8", errors="replace") as f:
        for line in f:
            m = DNS_QUERY.search(line)
            if m:
                lines.add(("dns", m.group(1).lower()))
    with open(os.path.join(work, "caddy.log"), encoding="utf-8", errors="replace") as f:
        for line in f:
            try:
                e = json.loads(line)
            except ValueError:
                continue
            logger = e.get("logger", "")
            if logger == "events" and e.get("name") == "tls_get_certificate":
                # every ClientHello the server saw, also those it could not answer; ALPN "h3"
                # is only ever offered inside QUIC
                hello = e.get("data", {}).get("client_hello", {})
                name = (hello.get("ServerName") or "").lower()
                if name:
                    quic = "h3" in (hello.get("SupportedProtos") or [])
                    lines.add(("quic" if quic else "sni", name))
            if logger.startswith("http.log.access"):
                lines |= request_lines(e)
                req = e.get("request", {})
                tls = req.get("tls")
                if not tls:
                    lines.add(("http", req.get("host", "")))
                elif req.get("proto") == "HTTP/3.0" and tls.get("server_name"):
                    lines.add(("quic", tls["server_name"].lower()))
                elif tls.get("server_name"):
                    lines.add(("sni", tls["server_name"].lower()))
    with open(out, "w", encoding="utf-8") as f:
        for kind, name in sorted(lines):
            f.write(f"{kind}\t{name}\n")


def main(argv):
    if len(argv) == 3 and argv[1] == "gen":
        gen(argv[2])
    elif len(argv) == 4 and argv[1] == "truth":
        truth(argv[2], argv[3])
    elif len(argv) == 2 and argv[1] == "addresses":
        print("\n".join(server_addresses()))
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
