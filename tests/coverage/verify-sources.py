#!/usr/bin/env python3
"""Check every domain of signatures/orgs/*.toml against the list its source cites.

A source citing third-party-web (entity 'X'), a v2fly file or the NextDNS list must be borne out
by that list: the list holds the domain, or (when the source says "(lists Y)") the parent or
sub-domain Y, or (v2fly) one of the file's `regexp:` rules matches a sub-domain of it. A source citing the shared reference needs a row for the domain (or its "row Y").
Documents cannot be checked offline and are counted. Exit status 1 when a citation fails.

Usage: python3 tests/coverage/verify-sources.py [signatures-dir]
"""

import os
import re
import sys
import tomllib

from lists import nextdns, reference, third_party_web, v2fly, v2fly_rules

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


# A signature domain covers its sub-domains; a v2fly rule that matches a sub-domain of it
# (this probe label prepended) bears the citation out.
PROBE = "probe-label"


def check(domain, source, tpw, v2, nx, ref, rules):
    """(kind, problem or None) for one domain and its source."""
    m = re.search(r"\blists ([a-z0-9.<>-]+)\)", source)
    named = m.group(1) if m else domain
    if "third-party-web" in source:
        ent = re.search(r"entity '((?:[^']|'(?! \())*)'", source)
        if not ent or ent.group(1) not in tpw:
            return "third-party-web", f"no entity {ent.group(1) if ent else '?'}"
        doms = tpw[ent.group(1)][2]
        if "<country>" in named:  # www.google.<country>: the entity lists the domain's www host
            named = named.replace("<country>", domain.split(".", 1)[1])
        if named in doms:
            return "third-party-web", None
        return "third-party-web", f"entity {ent.group(1)!r} has no {named}"
    if "v2fly" in source:
        f = re.search(r"data/([a-z0-9-]+) @", source).group(1)
        if f not in v2:
            return "v2fly", f"no bundled copy of data/{f}"
        if named in v2[f] or any(r.search(f"{PROBE}.{named}") for r in rules.get(f, [])):
            return "v2fly", None
        return "v2fly", f"data/{f} has no {named}"
    if "nextdns" in source:
        return "nextdns", None if named in nx else f"NextDNS list has no {named}"
    if "third-parties.tsv" in source:
        row = re.search(r"row ([a-z0-9.-]+)", source)
        key = row.group(1) if row else named
        return "shared reference", None if key in ref else f"no row {key}"
    return "document", None


def main():
    sig = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "signatures")
    tpw, v2, nx, ref, rules = third_party_web(), v2fly(), nextdns(), reference(), v2fly_rules()
    kinds, problems = {}, []
    for name in sorted(os.listdir(os.path.join(sig, "orgs"))):
        with open(os.path.join(sig, "orgs", name), "rb") as f:
            doc = tomllib.load(f)
        for s in doc.get("service", []):
            blocks = [(s["source"], s["domains"])] + [(a["source"], a["domains"]) for a in s.get("also", [])]
            for source, domains in blocks:
                for d in domains:
                    kind, problem = check(d, source, tpw, v2, nx, ref, rules)
                    kinds[kind] = kinds.get(kind, 0) + 1
                    if problem:
                        problems.append(f"orgs/{name}: {d}: {problem} (source: {source})")
    total = sum(kinds.values())
    print(f"{total} domains: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))
    print(f"documents are not checked offline; {len(problems)} list citation(s) not borne out")
    for p in problems:
        print("  " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
