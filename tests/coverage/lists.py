"""The public lists the coverage and source checks compare against (tests/coverage/lists/)."""

import csv
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
LISTS = os.path.join(HERE, "lists")
# v2fly files whose entries mean "the device's own background traffic".
V2FLY_BACKGROUND = {
    "connectivity-check", "category-ntp", "apple-update", "apple-pki", "microsoft-pki",
    "googlefcm", "google-play", "android", "icloud", "icloudprivaterelay",
    "google-trust-services",
}
# v2fly files that name one owner (file → owner word used to compare owners).
V2FLY_OWNER = {
    "google": "google", "android": "google", "googlefcm": "google", "google-play": "google",
    "youtube": "google", "firebase": "google", "google-trust-services": "google",
    "apple": "apple", "apple-update": "apple", "apple-pki": "apple", "icloud": "apple",
    "icloudprivaterelay": "apple", "microsoft": "microsoft", "microsoft-pki": "microsoft",
    "bing": "microsoft", "linkedin": "microsoft", "github": "microsoft", "facebook": "meta",
    "meta": "meta", "whatsapp": "meta", "amazon": "amazon", "akamai": "akamai",
    "cloudflare": "cloudflare", "yandex": "yandex", "huawei": "huawei", "mozilla": "mozilla",
    "tiktok": "bytedance", "adguard": "adguard", "adjust": "adjust", "unity": "unity",
    "samsung": "samsung", "xiaomi": "xiaomi", "digicert": "digicert", "wikimedia": "wikimedia",
    "netflix": "netflix", "aws": "amazon",
}
TPW_TRACKING = {"ad", "analytics"}


def third_party_web():
    """Entities of third-party-web: name → (owner word, category, domains without '*.')."""
    text = open(os.path.join(LISTS, "third-party-web", "entities.js"), encoding="utf-8").read()
    out = {}
    for block in re.split(r"\n  \{\n", text)[1:]:
        name = re.search(r"^\s*name: '((?:[^'\\]|\\.)*)'", block, re.M)
        if not name:
            continue
        company = re.search(r"^\s*company: '((?:[^'\\]|\\.)*)'", block, re.M)
        category = re.search(r"^\s*category: '([^']*)'", block, re.M)
        doms = re.search(r"^\s*domains: \[(.*?)\]", block, re.M | re.S)
        domains = re.findall(r"'([^']*)'", doms.group(1)) if doms else []
        n = name.group(1).replace("\\'", "'")
        owner = (company.group(1) if company else n).replace("\\'", "'")
        out[n] = (owner, category.group(1) if category else "", [d.lower().removeprefix("*.") for d in domains])
    return out


def v2fly():
    """Every v2fly file (bundled and excerpts): file → {domain: attributes}."""
    out = {}
    for sub in ("v2fly-domain-list", "v2fly-extra"):
        d = os.path.join(LISTS, sub)
        for f in sorted(os.listdir(d)):
            if f in ("LICENSE", "SOURCE"):
                continue
            entries = out.setdefault(f, {})
            for line in open(os.path.join(d, f), encoding="utf-8"):
                line = line.split("#")[0].strip()
                if not line or line.startswith(("include:", "regexp:", "keyword:")):
                    continue
                parts = line.split()
                dom = parts[0]
                if ":" in dom:
                    kind, dom = dom.split(":", 1)
                    if kind not in ("domain", "full"):
                        continue
                entries[dom.lower()] = {p for p in parts[1:] if p.startswith("@")}
    return out


def v2fly_rules():
    """The `regexp:` rules of every v2fly file: file → compiled patterns (v2fly matches a rule
    against the whole host name)."""
    out = {}
    for sub in ("v2fly-domain-list", "v2fly-extra"):
        d = os.path.join(LISTS, sub)
        for f in sorted(os.listdir(d)):
            if f in ("LICENSE", "SOURCE"):
                continue
            for line in open(os.path.join(d, f), encoding="utf-8"):
                line = line.strip()
                if line.startswith("regexp:"):
                    out.setdefault(f, []).append(re.compile(line.removeprefix("regexp:").split()[0]))
    return out


def nextdns():
    path = os.path.join(LISTS, "nextdns-cname-cloaking", "domains")
    return {l.strip().lower() for l in open(path, encoding="utf-8") if l.strip() and not l.startswith("#")}


def reference():
    with open(os.path.join(LISTS, "third-parties.tsv"), encoding="utf-8") as f:
        return {row["domain"].lower(): row for row in csv.DictReader(f, delimiter="\t")}


def suffixes(host):
    """host and each parent domain with at least two labels."""
    labels = host.split(".")
    return [".".join(labels[i:]) for i in range(len(labels) - 1)]


def holds(entries, host):
    """The entry of `entries` (a set or dict of domains) that covers host, or None."""
    return next((s for s in suffixes(host) if s in entries), None)
