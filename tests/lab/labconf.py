#!/usr/bin/env python3
"""Configuration and ground truth for the sporfri real-browser lab (see lab.sh, README.md).

  labconf.py gen WORK [--net public|private] [--blocker none|pihole]
      write WORK/{Caddyfile,dnsmasq.conf,certs/,home/.pki/nssdb,chrome-flags,firefox-prefs.js,
      addresses,resolver,variant.tsv}
  labconf.py gen - [OPTIONS]   print only variant.tsv
  labconf.py trust NSSDIR CA   a fresh NSS database in NSSDIR trusting CA
  labconf.py truth WORK OUT    turn the servers' own logs in WORK into OUT (kind<TAB>name lines)

Everything is derived from hosts.tsv (and blocklist.tsv) beside this file. The lab variants:
  --net public     servers on documentation ranges (203.0.113.0/24, 2001:db8:113::/64), the default
  --net private    the same servers renumbered onto private ranges (10.113.0.0/24, fd00:113::/64),
                   as a lab mirror or a staging site behind split-horizon DNS is
  --blocker pihole the resolver answers the names of blocklist.tsv as a DNS blocker does
                   (Pi-hole, AdGuard Home): 0.0.0.0 / :: or NXDOMAIN
Only the standard library is used.
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
# The private variant's renumbering: documentation prefix -> private prefix (RFC 1918, RFC 4193).
PRIVATE = [
    ("203.0.113.", "10.113.0."),
    ("198.51.100.", "10.53.0."),
    ("2001:db8:113::", "fd00:113::"),
    ("2001:db8:53::", "fd00:53::"),
]
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


# The variant being generated (set by main from the command line).
NET = "public"
BLOCKER = "none"


def renumber(addr):
    """A lab address as the current network variant has it."""
    if NET != "private":
        return addr
    for public, private in PRIVATE:
        if addr.startswith(public):
            return private + addr[len(public):]
    return addr


def rows(file):
    """Tab-separated rows of a lab table, comments and blank lines left out."""
    with open(os.path.join(LAB, file), encoding="utf-8") as f:
        return [line.rstrip("\n").split("\t") for line in f
                if not line.startswith("#") and line.strip()]


def hosts():
    """Rows of hosts.tsv as dicts, with the variant's addresses."""
    out = []
    for name, v4, v6, serve, group, role in rows("hosts.tsv"):
        v4, v6 = (a if a == "-" else renumber(a) for a in (v4, v6))
        out.append(dict(name=name, v4=v4, v6=v6, serve=serve, group=group, role=role))
    return out


def blocked():
    """name -> "sinkhole" | "nxdomain": what the blocking resolver answers (none without one)."""
    if BLOCKER == "none":
        return {}
    return {name: answer for name, answer, _why in rows("blocklist.tsv")}


def resolver():
    """The lab resolver's IPv4 and IPv6 address in the current variant."""
    return renumber(DNS_IPV4), renumber(DNS_IPV6)


def server_addresses():
    """Every address the internet namespace must own (servers and the resolver)."""
    out = list(resolver())
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
    v4, v6 = resolver()
    out = ["no-resolv", "no-hosts", "no-poll", "bind-interfaces",
           f"listen-address={v4}", f"listen-address={v6}", "port=53", "user=root",
           "log-queries", f"log-facility={work}/dnsmasq.log", "cache-size=0",
           # Names outside the lab do not exist: NXDOMAIN, as for a typo on the real internet.
           "address=/#/"]
    block = blocked()
    for name, answer in sorted(block.items()):
        if answer == "sinkhole":
            # Pi-hole's default (NULL) blocking: A 0.0.0.0, AAAA ::, NODATA for other types
            # (local= keeps dnsmasq >= 2.86 from forwarding the HTTPS query instead)
            out += [f"address=/{name}/0.0.0.0", f"address=/{name}/::", f"local=/{name}/"]
        elif answer == "nxdomain":
            # Pi-hole's NXDOMAIN mode, AdGuard Home's "NXDOMAIN" blocking mode
            out.append(f"address=/{name}/")
        else:
            raise SystemExit(f"blocklist.tsv: {name}: unknown answer {answer}")
    for h in hosts():
        if h["name"] in block:
            continue  # the blocker answers before the lab's authoritative data
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


def firefox_prefs():
    """user.js of the Firefox profile: the lab's resolver sees every name (DoH off), HTTP/3 on and
    forced for the hosts.tsv serve=quic origins as Chromium's --origin-to-force-quic-on does, and
    accepted on the lab CA (Firefox turns HTTP/3 off when a chain ends at a root it did not ship).
    Background services keep their defaults: a fresh Firefox's own lookups are part of what the
    lab records (README: browser background)."""
    quic = ",".join(f'{h["name"]};h3=":443"' for h in hosts() if h["serve"] == "quic")
    prefs = [
        ("network.trr.mode", 5),
        ("network.http.http3.enable", True),
        ("network.http.http3.disable_when_third_party_roots_found", False),
        ("network.http.http3.alt-svc-mapping-for-testing", quic),
        # Marionette's "recommended" prefs would switch most background services off; the lab
        # wants a fresh Firefox as a user gets it (Chromium keeps its own flags, see lab.sh)
        ("remote.prefs.recommended", False),
        ("marionette.port", 2828),
        ("browser.shell.checkDefaultBrowser", False),
    ]
    def value(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int):
            return str(v)
        return json.dumps(v)
    return "".join(f'user_pref("{k}", {value(v)});\n' for k, v in prefs)


def variant_tsv():
    """What a capture of this variant needs to be checked: key<TAB>value lines."""
    lines = [("net", NET), ("blocker", BLOCKER)]
    lines += [("resolver", a) for a in resolver()]
    lines += [("server", a) for a in server_addresses()[2:]]
    lines += [("blocklist", f"{n}\t{a}") for n, a in sorted(blocked().items())]
    return "".join(f"{k}\t{v}\n" for k, v in lines)


def gen(work):
    ca = make_certs(work)
    files = {
        "Caddyfile": caddyfile(work),
        "dnsmasq.conf": dnsmasq_conf(work),
        "chrome-flags": chrome_flags(work) + "\n",
        "firefox-prefs.js": firefox_prefs(),
        "addresses": "\n".join(server_addresses()) + "\n",
        "resolver": "".join(f"nameserver {a}\n" for a in resolver()[:1]),
        "variant.tsv": variant_tsv(),
    }
    for name, text in files.items():
        with open(os.path.join(work, name), "w") as f:
            f.write(text)
    nss = os.path.join(work, "home", ".pki", "nssdb")
    os.makedirs(nss, exist_ok=True)
    trust_ca(nss, ca)


def trust_ca(nss, ca):
    """A fresh NSS database at nss (Chromium's ~/.pki/nssdb, or a Firefox profile) that trusts the
    lab CA for TLS servers."""
    run("certutil", "-N", "-d", f"sql:{nss}", "--empty-password")
    run("certutil", "-A", "-d", f"sql:{nss}", "-t", "C,,", "-n", "sporfri lab CA", "-i", ca)


DNS_QUERY = re.compile(r"query\[[^\]]+\] (\S+) from ")
DNS_ANSWER = re.compile(r"(?:config|cached|reply) (\S+) is (\S+)")
SINKHOLE = re.compile(r"^(0\.0\.0\.0|::|127\.\d+\.\d+\.\d+|::1)$")


def blocked_names(answers):
    """blocked<TAB>name<TAB>sinkhole|nxdomain for each name the resolver did not answer with an
    address, from dnsmasq's own answer lines: a blocker's 0.0.0.0 / :: (or loopback), or NXDOMAIN
    (a blocker's, or for a name the lab does not know, such as a browser's background lookups).
    A name that got any real answer (an address, a CNAME) is not blocked."""
    out = set()
    for name, values in answers.items():
        if any(not (v == "NXDOMAIN" or v.startswith("NODATA") or SINKHOLE.match(v)) for v in values):
            continue
        if any(SINKHOLE.match(v) for v in values):
            out.add(("blocked", f"{name}\tsinkhole"))
        elif "NXDOMAIN" in values:
            out.add(("blocked", f"{name}\tnxdomain"))
    return out


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
    the names the resolver did not answer (blocked<TAB>name<TAB>sinkhole|nxdomain),
    and (lab decryption) every request URL and every cookie caddy set:
    request<TAB>URL and cookie<TAB>host<TAB>name<TAB>lifetime_s ("" for a session cookie), with
    the kinds request-h3 / cookie-h3 for HTTP/3 and request-http / cookie-http for plain HTTP."""
    lines = set()
    answers = {}
    with open(os.path.join(work, "dnsmasq.log"), encoding="utf-8", errors="replace") as f:
        for line in f:
            m = DNS_QUERY.search(line)
            if m:
                lines.add(("dns", m.group(1).lower()))
            m = DNS_ANSWER.search(line)
            if m:
                answers.setdefault(m.group(1).lower(), set()).add(m.group(2))
    lines |= blocked_names(answers)
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
    global NET, BLOCKER
    if len(argv) >= 3 and argv[1] == "gen":
        opts = argv[3:]
        while opts:
            if len(opts) < 2 or opts[0] not in ("--net", "--blocker"):
                sys.stderr.write(__doc__)
                return 2
            if opts[0] == "--net" and opts[1] in ("public", "private"):
                NET = opts[1]
            elif opts[0] == "--blocker" and opts[1] in ("none", "pihole"):
                BLOCKER = opts[1]
            else:
                sys.stderr.write(f"labconf.py: bad {opts[0]} {opts[1]}\n")
                return 2
            opts = opts[2:]
        if argv[2] == "-":
            sys.stdout.write(variant_tsv())  # the variant alone, for a capture made without it
        else:
            gen(argv[2])
    elif len(argv) == 4 and argv[1] == "trust":
        trust_ca(argv[2], argv[3])
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
