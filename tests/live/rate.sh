#!/usr/bin/env bash
# Drop-free rate (documented in README § Performance, not a timed test): tcpreplay sends a
# mixed capture (TLS, QUIC, DNS, plain HTTP, IPv6; browsers and the lab) from a "phone"
# namespace into a veth pair at a fixed rate for a while; `sporfri live` captures on the AP
# side with a dashboard (`sporfri tui`, in tmux) attached. Prints, per rate, the rate tcpreplay
# reached, what sporfri captured and lost (kernel, interface, channel), and sporfri's CPU.
#
#   sudo tests/live/rate.sh SPORFRI SECONDS RATE... [-- extra `sporfri live` options]
#   e.g. sudo tests/live/rate.sh target/release/sporfri 60 50000 100000 150000 200000
#
# Needs tcpreplay and tmux (Debian packages). Traffic stays between the two namespaces this
# script makes; everything is torn down on exit.
set -euo pipefail
SPORFRI=$(realpath "$1") SECS=$2
shift 2
RATES=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do RATES+=("$1"); shift; done
[ $# -gt 0 ] && shift
EXTRA=("$@")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CAPS=(
    "$ROOT/captures/lab-borger-home.pcapng"
    "$ROOT/tests/captures/firefox-102.13.0esr-blog-cloudflare-com.pcap"
    "$ROOT/tests/captures/chromium-115.0.5790.110-google-de-fragmented.pcap"
    "$ROOT/tests/captures/wikipedia.pcap"
    "$ROOT/tests/captures/dns-edns-ecs.pcap"
    "$ROOT/tests/captures/pipelined-requests.pcap"
    "$ROOT/tests/captures/tls-1.2-stream-keylog.pcap"
)
AP="sporfri-live-rate-ap-$$" PHONE="sporfri-live-rate-ph-$$"
source "$ROOT/tests/live/common.sh"
TMUX_SOCK="sporfri-live-rate-$$"
veth_pair "$AP" "$PHONE"

cpu_ticks() { # PID: user+system clock ticks
    awk '{print $14 + $15}' "/proc/$1/stat"
}

printf '%8s %9s %7s %10s %7s %6s %8s %5s\n' rate sent_pps Mbit/s captured kernel ifdrop channel cpu%
best=0
for rate in "${RATES[@]}"; do
    rm -rf "$OUT/db" "$OUT/db.sock"
    ip netns exec "$AP" "$SPORFRI" live -i vs --format jsonl --stats-every 3600 --db "$OUT/db" \
        "${EXTRA[@]}" >"$OUT/live.jsonl" 2>"$OUT/live.err" &
    live=$!
    PIDS+=($live)
    for _ in $(seq 1 100); do [ -S "$OUT/db.sock" ] && break; sleep 0.1; done
    # The dashboard, attached over the control socket as a tester would have it.
    tmux -L "$TMUX_SOCK" new -d -x 160 -y 48 -s t "$SPORFRI tui --db $OUT/db"
    sleep 1
    before=$(cpu_ticks "$live")
    ip netns exec "$PHONE" tcpreplay -i vc --pps="$rate" --duration="$SECS" --loop=0 \
        --preload-pcap "${CAPS[@]}" >"$OUT/tcpreplay.out" 2>&1 || true
    after=$(cpu_ticks "$live")
    sleep 1
    # What the tester sees: the dashboard's header with the live run's counts.
    tmux -L "$TMUX_SOCK" capture-pane -p -t t | head -2 >"$OUT/screen"
    kill -TERM "$live"
    wait "$live" || true
    tmux -L "$TMUX_SOCK" kill-server 2>/dev/null || true
    hz=$(getconf CLK_TCK)
    read -r sent_pps mbps < <(python3 -c '
import re, sys
t = open(sys.argv[1]).read()
m = re.search(r"Rated: [\d.]+ Bps, ([\d.]+) Mbps, ([\d.]+) pps", t)
print(m.group(2), m.group(1)) if m else print("?", "?")
' "$OUT/tcpreplay.out")
    [ "$sent_pps" != "?" ] || { cat "$OUT/tcpreplay.out"; exit 1; }
    read -r captured kernel ifdrop channel < <(python3 -c '
import json, sys
end = [json.loads(l) for l in open(sys.argv[1]) if "\"event\":\"end\"" in l][-1]
s = end["stats"]
print(s["captured"], s["kernel_dropped"], s["if_dropped"], s["channel_dropped"])
' "$OUT/live.jsonl")
    cpu=$(python3 -c "print(round(100 * ($after - $before) / $hz / $SECS))")
    printf '%8s %9s %7s %10s %7s %6s %8s %5s\n' "$rate" "$sent_pps" "$mbps" "$captured" \
        "$kernel" "$ifdrop" "$channel" "$cpu"
    sed 's/^/         dashboard: /' "$OUT/screen"
    if [ $((kernel + ifdrop + channel)) -eq 0 ]; then best=$rate; fi
done
echo "highest rate with no drop (kernel, interface, channel): $best packets/s"
