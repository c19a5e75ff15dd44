#!/usr/bin/env bash
# Turn a Raspberry Pi / Debian box into the sporfri test access point.
#
#   sudo systemd/install.sh [--ap wlan0] [--uplink eth0] [--ssid NAME] [--passphrase P]
#                           [--binary PATH] [--no-ap]
#
# Installs libpcap, hostapd, dnsmasq and nftables; builds sporfri with --features live (or takes
# --binary); installs it to /usr/local/bin with the two capture capabilities, with its manual pages
# and shell completions (install-docs.sh); installs the units and example configs; starts
# everything and prints the Wi-Fi network to join.
# --no-ap installs only sporfri and its service (for a box that already is an access point).
# Safe to run again: existing /etc files are kept (a .sporfri-new copy is written beside them).
set -euo pipefail

AP=wlan0 UPLINK="" SSID="" PASS="" BINARY="" WITH_AP=1
while [ $# -gt 0 ]; do
    case $1 in
    --ap) AP=$2; shift 2 ;;
    --uplink) UPLINK=$2; shift 2 ;;
    --ssid) SSID=$2; shift 2 ;;
    --passphrase) PASS=$2; shift 2 ;;
    --binary) BINARY=$2; shift 2 ;;
    --no-ap) WITH_AP=0; shift ;;
    -h | --help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
[ "$(id -u)" = 0 ] || { echo "install.sh: run as root (sudo)" >&2; exit 1; }
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(dirname "$HERE")

say() { printf '\n== %s\n' "$*"; }
# Install a config file unless the admin already has one.
put() { # SRC DEST MODE
    if [ -e "$2" ] && ! cmp -s "$1" "$2"; then
        install -m "$3" "$1" "$2.sporfri-new"
        echo "kept existing $2 (new version in $2.sporfri-new)"
    else
        install -D -m "$3" "$1" "$2"
        echo "installed $2"
    fi
}

say "Packages"
apt-get update -qq
PKGS=(libpcap0.8 libcap2-bin iproute2)
[ -n "$BINARY" ] || PKGS+=(libpcap-dev build-essential pkg-config)
[ "$WITH_AP" = 1 ] && PKGS+=(hostapd dnsmasq nftables iw)
DEBIAN_FRONTEND=noninteractive apt-get install -y "${PKGS[@]}"

say "sporfri binary"
if [ -z "$BINARY" ]; then
    BUILDER=${SUDO_USER:-root}
    if ! sudo -u "$BUILDER" bash -lc 'command -v cargo' >/dev/null; then
        echo "install.sh: cargo not found for $BUILDER. Install Rust (rustup, Rust >= 1.85), or" >&2
        echo "build elsewhere and pass --binary PATH (cargo build --release --features live)." >&2
        exit 1
    fi
    sudo -u "$BUILDER" bash -lc "cd '$REPO' && cargo build --release --features live"
    BINARY="$REPO/target/release/sporfri"
fi
install -m 0755 "$BINARY" /usr/local/bin/sporfri
# Testers may run `sporfri live` by hand without root; the service gets the same two
# capabilities through AmbientCapabilities instead.
setcap cap_net_raw,cap_net_admin+eip /usr/local/bin/sporfri
/usr/local/bin/sporfri live --help >/dev/null || {
    echo "install.sh: $BINARY was built without --features live" >&2
    exit 1
}

say "Manual pages and shell completions"
"$HERE/install-docs.sh" --binary /usr/local/bin/sporfri --prefix /usr/local

say "User and service"
getent group sporfri >/dev/null || groupadd --system sporfri
getent passwd sporfri >/dev/null ||
    useradd --system --gid sporfri --home-dir /var/lib/sporfri --no-create-home \
        --shell /usr/sbin/nologin sporfri
[ -n "${SUDO_USER:-}" ] && usermod -a -G sporfri "$SUDO_USER" && echo "added $SUDO_USER to group sporfri"
install -D -m 0644 "$HERE/README.md" /usr/local/share/doc/sporfri/systemd.md
sed "s/^SPORFRI_INTERFACE=.*/SPORFRI_INTERFACE=$AP/" "$HERE/sporfri.default" >/tmp/sporfri.default.$$
put /tmp/sporfri.default.$$ /etc/default/sporfri 0644
rm -f /tmp/sporfri.default.$$
install -m 0644 "$HERE/sporfri.service" /etc/systemd/system/sporfri.service

if [ "$WITH_AP" = 1 ]; then
    say "Access point on $AP"
    iw list 2>/dev/null | grep -q '\* AP$' || echo "warning: no Wi-Fi adapter reports AP mode (iw list)"
    [ -n "$UPLINK" ] || UPLINK=$(ip route show default | awk '{for (i=1;i<NF;i++) if ($i=="dev") {print $(i+1); exit}}')
    [ -n "$UPLINK" ] || { echo "install.sh: no default route; pass --uplink IF" >&2; exit 1; }
    [ -n "$SSID" ] || SSID="sporfri-$(hostname -s)"
    [ -n "$PASS" ] || PASS=$(tr -dc 'a-km-zA-HJ-NP-Z2-9' </dev/urandom | head -c 16)
    tmp=$(mktemp -d)
    sed -e "s/^interface=.*/interface=$AP/" -e "s/^ssid=.*/ssid=$SSID/" \
        -e "s/^wpa_passphrase=.*/wpa_passphrase=$PASS/" "$HERE/hostapd.conf" >"$tmp/hostapd.conf"
    sed -e "s/^interface=.*/interface=$AP/" "$HERE/dnsmasq.conf" >"$tmp/dnsmasq.conf"
    sed -e "s/^define AP = .*/define AP = \"$AP\"/" \
        -e "s/^define UPLINK = .*/define UPLINK = \"$UPLINK\"/" "$HERE/nftables.conf" >"$tmp/sporfri.nft"
    put "$tmp/hostapd.conf" /etc/hostapd/sporfri.conf 0600
    put "$tmp/dnsmasq.conf" /etc/dnsmasq.d/sporfri.conf 0644
    put "$tmp/sporfri.nft" /etc/nftables.d/sporfri.nft 0644
    rm -rf "$tmp"
    install -m 0644 "$HERE/sporfri-ap.service" /etc/systemd/system/sporfri-ap.service
    # The passphrase actually in use (the file may have been kept from an earlier run).
    PASS=$(sed -n 's/^wpa_passphrase=//p' /etc/hostapd/sporfri.conf)
    SSID=$(sed -n 's/^ssid=//p' /etc/hostapd/sporfri.conf)
fi

say "Starting"
systemctl daemon-reload
if [ "$WITH_AP" = 1 ]; then
    systemctl unmask hostapd.service >/dev/null 2>&1 || true
    systemctl enable --now sporfri-ap.service hostapd@sporfri.service
    systemctl restart dnsmasq.service
    systemctl enable dnsmasq.service
fi
systemctl enable --now sporfri.service
systemctl --no-pager --lines=0 status sporfri.service || true

say "Done"
echo "sporfri watches $AP; follow it with: journalctl -fu sporfri"
if [ "$WITH_AP" = 1 ]; then
    echo "Join this Wi-Fi network with the phone under test:"
    echo "    SSID:       $SSID"
    echo "    Passphrase: $PASS"
fi
