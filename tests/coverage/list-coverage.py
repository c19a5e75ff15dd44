#!/usr/bin/env python3
"""How much of the bundled public lists the built-in signatures cover (no traffic involved).

coverage.py measures names that devices in captures contacted; the project has no captures of
phones, so those numbers say little about phones. This script measures breadth instead: every
domain that third-party-web files under an ad or analytics entity, and every entry of the v2fly
OS lists, is looked up in signatures/orgs/*.toml (a domain matches itself and its sub-domains, the
longest listed suffix wins, as in attribute::signatures). It prints how many get a signature, a
tracking category, or `os-background`. A high number here means the data knows the lists' names,
not that a phone's traffic is named: the lists are web-centric and weight every domain equally.

Usage: python3 tests/coverage/list-coverage.py [-v] [signatures-dir]
"""

import os
import sys
import tomllib

from lists import TPW_TRACKING, V2FLY_BACKGROUND, suffixes, third_party_web, v2fly

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TRACKING = {"analytics", "advertising", "session-replay", "social"}  # attribute::TRACKING_CATEGORIES


def signatures(sig):
    """domain → category of every service domain in signatures/orgs/."""
    out = {}
    for name in sorted(os.listdir(os.path.join(sig, "orgs"))):
        with open(os.path.join(sig, "orgs", name), "rb") as f:
            doc = tomllib.load(f)
        for s in doc.get("service", []):
            for d in s["domains"] + [d for a in s.get("also", []) for d in a["domains"]]:
                out[d] = s["category"]
    return out


def category(sigs, host):
    """The category of the longest signature suffix of host, or None."""
    return next((sigs[s] for s in suffixes(host) if s in sigs), None)


def pct(n, d):
    return f"{n}/{d} = {100 * n / d:.0f} %" if d else f"{n}/0"


def main():
    verbose = "-v" in sys.argv[1:]
    args = [a for a in sys.argv[1:] if a != "-v"]
    sigs = signatures(args[0] if args else os.path.join(ROOT, "signatures"))
    tracking = sorted({d for _, cat, doms in third_party_web().values() if cat in TPW_TRACKING
                       for d in doms if "." in d})
    named = [d for d in tracking if category(sigs, d)]
    tracked = [d for d in named if category(sigs, d) in TRACKING]
    v2 = v2fly()
    background = sorted({d for f in V2FLY_BACKGROUND if f in v2 for d in v2[f] if "." in d})
    bg_named = [d for d in background if category(sigs, d)]
    bg_ok = [d for d in bg_named if category(sigs, d) == "os-background"]
    print("third-party-web ad/analytics domains (list entries, not traffic):")
    print(f"  with a signature: {pct(len(named), len(tracking))}")
    print(f"  with a tracking category: {pct(len(tracked), len(tracking))}"
          f" (of those with a signature: {pct(len(tracked), len(named))})")
    print("v2fly OS list entries (" + ", ".join(sorted(f for f in V2FLY_BACKGROUND if f in v2)) + "):")
    print(f"  with a signature: {pct(len(bg_named), len(background))}")
    print(f"  os-background: {pct(len(bg_ok), len(background))}"
          f" (of those with a signature: {pct(len(bg_ok), len(bg_named))})")
    if verbose:
        for d in named:
            if d not in tracked:
                print(f"  tracking list entry {d}: sporfri {category(sigs, d)}")
        for d in bg_named:
            if d not in bg_ok:
                print(f"  OS list entry {d}: sporfri {category(sigs, d)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
