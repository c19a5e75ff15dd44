#!/usr/bin/env python3
"""Measure the built-in signatures on captures against the bundled public lists.

For every capture: `sporfri replay --format jsonl` gives the names a device contacted (and the
CNAME cloaking sporfri claims); `sporfri signatures lookup` gives each name's registrable domain,
owner and category. Those are compared with third-party-web, v2fly and the NextDNS list in
tests/coverage/lists/ (see README.md there for what each number means). Every number is printed
with its denominator; `-v` lists the names behind each one.

Usage: python3 tests/coverage/coverage.py [-v] [--sporfri BIN] [CAPTURE ...]
       (default captures: captures/*.pcapng and tests/captures/*.pcap*)
"""

import argparse
import glob
import ipaddress
import json
import os
import subprocess
import sys

from lists import (TPW_TRACKING, V2FLY_BACKGROUND, V2FLY_OWNER, holds, nextdns, third_party_web,
                   v2fly, v2fly_rules)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TRACKING = {"analytics", "advertising", "session-replay", "social"}  # attribute::TRACKING_CATEGORIES
NOT_INTERNET = (".local", ".arpa", ".localhost", ".lan", ".home", ".internal")
# Names reserved for documentation and testing (RFC 2606, RFC 6761): nobody owns them, so they
# are left out of the denominators (the lab's replica sites are *.test).
RESERVED = (".test", ".example", ".invalid", "example.com", "example.net", "example.org")


def contacts(sporfri, capture):
    """(name, cloaked target or None) of every internet contact in a capture."""
    out = subprocess.run([sporfri, "replay", "--format", "jsonl", capture], capture_output=True,
                         text=True, env={**os.environ, "SPORFRI_SIGNATURES_OVERLAY": "/nonexistent"})
    for line in out.stdout.splitlines():
        r = json.loads(line)
        name = r["name"].rstrip(".").lower()
        if r.get("scope") != "internet" or "." not in name or name.endswith(NOT_INTERNET):
            continue
        try:
            ipaddress.ip_address(name)
            continue
        except ValueError:
            pass
        reserved = any(name == x.lstrip(".") or name.endswith("." + x.lstrip(".")) for x in RESERVED)
        yield name, reserved, (r.get("cloaked") or {}).get("target")


def lookup(sporfri, name):
    """The `signatures lookup` rows of a name (built-in set only)."""
    out = subprocess.run([sporfri, "signatures", "lookup", "--no-overlay", name],
                         capture_output=True, text=True)
    rows = {}
    for line in out.stdout.splitlines():
        key, _, value = line.partition(" ")
        if key and key not in rows:
            rows[key] = value.strip()
    return rows


class Lists:
    def __init__(self):
        self.tpw = third_party_web()
        self.v2 = v2fly()
        self.rules = v2fly_rules()
        self.nx = nextdns()
        self.tpw_index = {}
        for name, (owner, cat, doms) in self.tpw.items():
            for d in doms:
                self.tpw_index.setdefault(d, (name, owner, cat))

    def tpw_entity(self, host):
        key = holds(self.tpw_index, host)
        return self.tpw_index[key] if key else None

    def tracking_votes(self, host):
        """Which lists call host tracking."""
        votes = []
        ent = self.tpw_entity(host)
        if ent and ent[2] in TPW_TRACKING:
            votes.append("third-party-web")
        for f, entries in self.v2.items():
            key = holds(entries, host)
            if key is not None and (f.startswith("category-ads") or "@ads" in entries[key]):
                votes.append("v2fly")
                break
        if holds(self.nx, host):
            votes.append("nextdns")
        return votes

    def background(self, host):
        return any(holds(self.v2[f], host) for f in V2FLY_BACKGROUND if f in self.v2)

    def owners(self, host):
        """(list, owner word) for every list that names an owner of host."""
        out = []
        ent = self.tpw_entity(host)
        if ent:
            out.append(("third-party-web " + ent[0], ent[1]))
        for f, word in V2FLY_OWNER.items():
            ruled = any(r.search(host) for r in self.rules.get(f, []))
            if f in self.v2 and (holds(self.v2[f], host) or ruled):
                out.append(("v2fly " + f, word))
        return out


def agrees(word, ours):
    """A list's owner word agrees with sporfri's organisation, parent or service text."""
    w = word.lower().replace(" ", "")
    alias = {"meta": ["meta", "facebook"], "google": ["google", "alphabet"],
             "microsoft": ["microsoft"], "oath": ["yahoo", "oath"], "aol": ["yahoo", "aol"]}
    first = word.lower().split()[0].strip(",.()/") if word.strip() else w
    candidates = alias.get(first, [first])
    return any(c in ours for c in candidates) or w in ours.replace(" ", "")


def pct(n, d):
    return f"{n}/{d} = {100 * n / d:.0f} %" if d else f"{n}/0 (no such names)"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-v", action="store_true", help="list the names behind each number")
    ap.add_argument("--sporfri", default=os.path.join(ROOT, "target", "debug", "sporfri"))
    ap.add_argument("captures", nargs="*")
    a = ap.parse_args()
    caps = a.captures or sorted(glob.glob(os.path.join(ROOT, "captures", "*.pcapng"))
                                + glob.glob(os.path.join(ROOT, "tests", "captures", "*.pcap"))
                                + glob.glob(os.path.join(ROOT, "tests", "captures", "*.pcapng")))
    names, cloaks = set(), {}
    for c in caps:
        for name, reserved, target in contacts(a.sporfri, c):
            if target:  # a lab site's own (reserved) name can still be cloaked
                cloaks[name] = target
            if not reserved:
                names.add(name)
    lists = Lists()
    facts = {n: lookup(a.sporfri, n) for n in sorted(names)}
    reg = {}
    for n, f in facts.items():
        if "registrable" in f:
            reg.setdefault(f["registrable"], []).append(n)
    owned = [r for r, ns in reg.items() if any(not facts[n].get("org", "unknown").startswith("unknown") for n in ns)]
    conflicts, compared = [], 0
    for n, f in facts.items():
        org = f.get("org", "")
        if org.startswith("unknown") or not org:
            continue
        ours = (org + " " + f.get("service", "")).lower()
        for lst, word in lists.owners(n):
            compared += 1
            if not agrees(word, ours):
                conflicts.append(f"{n}: sporfri {org!r}, {lst} says {word!r}")
    tracked = {n: lists.tracking_votes(n) for n in names}
    two = [n for n, v in tracked.items() if len(v) >= 2]
    two_ok = [n for n in two if facts[n].get("category") in TRACKING]
    one = [n for n, v in tracked.items() if v]
    one_ok = [n for n in one if facts[n].get("category") in TRACKING]
    bg = [n for n in names if lists.background(n)]
    bg_ok = [n for n in bg if facts[n].get("category") == "os-background"]
    supported = [n for n, t in cloaks.items() if holds(lists.nx, t) or lists.tracking_votes(t)]
    print(f"captures: {len(caps)}; internet host names: {len(names)}; registrable domains: {len(reg)}")
    print(f"owner named for registrable domains: {pct(len(owned), len(reg))}")
    print(f"owner conflicts with the lists: {len(conflicts)} of {compared} comparisons")
    print(f"tracking category where two or more lists say tracking: {pct(len(two_ok), len(two))}")
    print(f"  (one or more lists say tracking: {pct(len(one_ok), len(one))})")
    print(f"os-background where a v2fly OS list names the host: {pct(len(bg_ok), len(bg))}")
    print(f"cloaking claims a list supports: {pct(len(supported), len(cloaks))}")
    for c in conflicts:
        print("  conflict: " + c)
    if a.v:
        for r, ns in sorted(reg.items()):
            print(f"  {r:<32} {'owner' if r in owned else 'NO OWNER':<9} {', '.join(ns)}")
        for n in sorted(one):
            print(f"  tracking {n}: lists {tracked[n]}, sporfri {facts[n].get('category', '-')}")
        for n in sorted(bg):
            print(f"  background {n}: sporfri {facts[n].get('category', '-')}")
        for n, t in sorted(cloaks.items()):
            print(f"  cloaked {n} -> {t}: {'supported' if n in supported else 'NOT SUPPORTED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
