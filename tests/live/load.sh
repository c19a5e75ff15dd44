#!/usr/bin/env bash
# Load run (documented, not a timed test): DNS queries at increasing rates from a "phone"
# namespace to dnsmasq in an "ap" namespace, sporfri capturing on the AP side of the veth pair;
# prints, per rate, what sporfri captured and dropped, and the highest rate with zero drops.
#
#   sudo tests/live/load.sh SPORFRI [RATE...]        (default rates: 1000 5000 20000 50000)
#
# Traffic stays between the two namespaces this script makes (10.231.0.0/30) and is bounded:
# 5 seconds per rate. Each query asks for one of 5000 names, so contacts and the DNS cache grow.
set -euo pipefail
SPORFRI=$1
shift
RATES=("$@")
[ ${#RATES[@]} -gt 0 ] || RATES=(1000 5000 20000 50000)
AP="sporfri-live-load-ap-$$" PHONE="sporfri-live-load-ph-$$" AP_IP=10.231.0.1 SECS=5
source "$(dirname "$0")/common.sh"
veth_pair "$AP" "$PHONE"
ip -n "$AP" addr add "$AP_IP/30" dev vs
ip -n "$PHONE" addr add 10.231.0.2/30 dev vc
ip netns exec "$AP" dnsmasq -k -C /dev/null --no-resolv --no-hosts --bind-interfaces \
    --listen-address="$AP_IP" --address=/load.test/"$AP_IP" --user=root --cache-size=0 \
    --dns-forward-max=10000 --pid-file="$OUT/dnsmasq.pid" >/dev/null 2>&1 &
PIDS+=($!)
sleep 1

cat >"$OUT/send.py" <<'PY'
import socket, struct, sys, time
ip, rate, secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setblocking(False)
def query(n):
    name = b"".join(bytes([len(p)]) + p for p in (b"n%d" % (n % 5000), b"load", b"test"))
    return struct.pack(">HHHHHH", n & 0xFFFF, 0x0100, 1, 0, 0, 0) + name + b"\0\0\1\0\1"
n, start = 0, time.monotonic()
while (now := time.monotonic() - start) < secs:
    due = min(int(now * rate), n + 1000)
    while n < due:
        try:
            s.sendto(query(n), (ip, 53))
        except BlockingIOError:
            pass
        n += 1
print(n)
PY

best=0
printf '%8s %8s %9s %8s %8s %8s %8s\n' rate sent captured kernel ifdrop channel contacts
for rate in "${RATES[@]}"; do
    rm -rf "$OUT/db"
    ip netns exec "$AP" "$SPORFRI" live -i vs --format jsonl --stats-every 60 --db "$OUT/db" \
        >"$OUT/live.jsonl" 2>"$OUT/live.err" &
    pid=$!
    PIDS+=($pid)
    for _ in $(seq 1 50); do grep -q "live on" "$OUT/live.err" && break; sleep 0.1; done
    sent=$(ip netns exec "$PHONE" python3 "$OUT/send.py" "$AP_IP" "$rate" "$SECS")
    sleep 2
    kill -TERM "$pid"
    wait "$pid" || true
    read -r captured kernel ifdrop channel contacts < <(python3 -c '
import json, sys
end = [json.loads(l) for l in open(sys.argv[1]) if "\"event\":\"end\"" in l][-1]
s = end["stats"]
print(s["captured"], s["kernel_dropped"], s["if_dropped"], s["channel_dropped"], end["contacts"])
' "$OUT/live.jsonl")
    printf '%8s %8s %9s %8s %8s %8s %8s\n' "$rate" "$sent" "$captured" "$kernel" "$ifdrop" "$channel" "$contacts"
    if [ $((kernel + ifdrop + channel)) -eq 0 ]; then best=$rate; fi
done
echo "highest rate with zero drops: $best queries/s (each query also has an answer on the wire)"
