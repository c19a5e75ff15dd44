#!/usr/bin/env bash
# Turn a Raspberry Pi / Debian box into the sporfri test access point, from the Debian package.
#
#   sudo systemd/install.sh [--deb FILE] [--ap wlan0] [--uplink eth0] [--ssid NAME]
#                           [--passphrase P] [--country CC] [--channel N] [--no-ap]
#
# Installs the package FILE, or builds one from this tree for this machine first (pkg/deb.sh, as
# the invoking user: needs Rust, cargo-deb and libpcap-dev), with apt (which brings libpcap,
# hostapd, dnsmasq, nftables, iw); then runs sporfri-ap-setup with the Wi-Fi options, which
# writes the access point's configuration, starts everything and prints the network to join.
# --no-ap installs only sporfri and starts its service on --ap (a box that already is an access
# point). Safe to run again; it also moves an install made by earlier versions of this script
# (/usr/local/bin/sporfri, units in /etc/systemd/system, hostapd@sporfri) to the package.
set -euo pipefail

DEB="" WITH_AP=1 AP="" SETUP=()
while [ $# -gt 0 ]; do
    case $1 in
    --deb) DEB=$2; shift 2 ;;
    --ap) AP=$2; SETUP+=(--ap "$2"); shift 2 ;;
    --uplink | --ssid | --passphrase | --country | --channel) SETUP+=("$1" "$2"); shift 2 ;;
    --no-ap) WITH_AP=0; shift ;;
    -h | --help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
[ "$(id -u)" = 0 ] || { echo "install.sh: run as root (sudo)" >&2; exit 1; }
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(dirname "$HERE")
say() { printf '\n== %s\n' "$*"; }

if [ -z "$DEB" ]; then
    say "Building the package (pkg/deb.sh)"
    BUILDER=${SUDO_USER:-root}
    if ! sudo -u "$BUILDER" bash -lc 'command -v cargo && command -v cargo-deb' >/dev/null; then
        echo "install.sh: cargo or cargo-deb not found for $BUILDER. Install Rust (rustup, >= 1.85)" >&2
        echo "and cargo-deb (cargo install --locked cargo-deb), and libpcap-dev; or pass --deb FILE." >&2
        exit 1
    fi
    DEB=$(sudo -u "$BUILDER" bash -lc "cd '$REPO' && pkg/deb.sh" | tail -n 1)
fi
[ -f "$DEB" ] || { echo "install.sh: no package at $DEB" >&2; exit 1; }
DEB=$(realpath "$DEB")

# What an earlier install.sh left: a binary in /usr/local/bin and unit copies in /etc that would
# shadow the package's, and hostapd@sporfri. The access point's SSID and passphrase carry over.
OLD_HOSTAPD=/etc/hostapd/sporfri.conf
if [ -f /etc/systemd/system/sporfri.service ] &&
    grep -q '^ExecStart=/usr/local/bin/sporfri' /etc/systemd/system/sporfri.service; then
    say "Moving the install of an earlier install.sh to the package"
    systemctl disable --now sporfri.service hostapd@sporfri.service 2>/dev/null || true
    rm -f /etc/systemd/system/sporfri.service /usr/local/bin/sporfri
    if grep -qs 'Prepares the test access point' /etc/systemd/system/sporfri-ap.service; then
        systemctl disable sporfri-ap.service 2>/dev/null || true
        rm -f /etc/systemd/system/sporfri-ap.service
    fi
    rm -f /usr/local/share/man/man1/sporfri.1 /usr/local/share/man/man1/sporfri-*.1 \
        /usr/local/share/bash-completion/completions/sporfri \
        /usr/local/share/zsh/site-functions/_sporfri \
        /usr/local/share/fish/vendor_completions.d/sporfri.fish \
        /usr/local/share/doc/sporfri/systemd.md
    systemctl daemon-reload 2>/dev/null || true
fi
if [ -f "$OLD_HOSTAPD" ]; then
    for key in ssid wpa_passphrase; do
        value=$(sed -n "s/^$key=//p" "$OLD_HOSTAPD" | tail -n 1)
        flag=--ssid
        [ "$key" = ssid ] || flag=--passphrase
        if [ -n "$value" ] && ! printf '%s\n' "${SETUP[@]}" | grep -qx -- "$flag"; then
            SETUP+=("$flag" "$value")
        fi
    done
fi

say "Installing $(basename "$DEB")"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y --reinstall "$DEB"
# The earlier file stays as a record until the new one is in place.
[ ! -f "$OLD_HOSTAPD" ] || mv "$OLD_HOSTAPD" "$OLD_HOSTAPD.sporfri-old"

if [ "$WITH_AP" = 1 ]; then
    say "Access point (sporfri-ap-setup)"
    sporfri-ap-setup "${SETUP[@]}"
else
    say "sporfri alone, on ${AP:-the interface in /etc/default/sporfri}"
    if [ -n "$AP" ]; then
        sed -i "s|^SPORFRI_INTERFACE=.*|SPORFRI_INTERFACE=$AP|" /etc/default/sporfri
    fi
    if [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ]; then
        usermod -a -G sporfri "$SUDO_USER"
    fi
    systemctl enable sporfri.service
    if [ -d /run/systemd/system ]; then systemctl restart sporfri.service; fi
    echo "sporfri watches $(sed -n 's/^SPORFRI_INTERFACE=//p' /etc/default/sporfri); follow it with: journalctl -fu sporfri"
fi
