#!/usr/bin/env bash
# Real live-capture test in two private network namespaces joined by a veth pair.
#
#   netns.sh SPORFRI OUTDIR SCENARIO [extra sporfri live args...]
#   SCENARIO: basic   one round of DNS + HTTP + TLS traffic
#             outage  a round, the capture interface down and up again, a second round
#             keylog  a round, plus an HTTPS request by curl writing its TLS key log to
#                     OUTDIR/keys.log (pass --keylog OUTDIR/keys.log to sporfri)
#             recreate  a round, the veth pair deleted and made anew (new ifindex: libpcap's
#                     handle is dead and must be reopened), a second round, then SIGTERM while
#                     the interface is down (shutdown must not hang in libpcap)
#             baseline  first an idle baseline session (`live --baseline`: the phone looks up
#                     bg1 and sends a TLS hello for bg2), then the session under test with the
#                     extra args (e.g. --against 1): bg1 and early before `sporfri mark visit`,
#                     bg2, a tracker (www.google-analytics.com) and visit after it
#
# NETNS_PREFIX (default sporfri) starts the namespaces' names.
#
# "phone" namespace (10.231.0.2, veth vc) → "ap" namespace (10.231.0.1, veth vs) where dnsmasq,
# python's http.server and openssl s_server answer and `sporfri live -i vs` watches. No route
# leads out of the namespaces: no packet reaches any other host. Everything is torn down on exit,
# also on failure (trap). Output: OUTDIR/live.jsonl (stdout), OUTDIR/live.err (stderr),
# OUTDIR/traffic.log.
set -euo pipefail

SPORFRI=$1 OUT=$2 SCENARIO=$3
shift 3
ID="$$-${SCENARIO}"
PREFIX=${NETNS_PREFIX:-sporfri}
AP="$PREFIX-ap-$ID" PHONE="$PREFIX-ph-$ID"
AP_IP=10.231.0.1 PHONE_IP=10.231.0.2
PIDS=()

cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    ip netns del "$AP" 2>/dev/null || true
    ip netns del "$PHONE" 2>/dev/null || true
}
trap cleanup EXIT INT TERM

mkdir -p "$OUT/www"
echo hello >"$OUT/www/index.html"
in_ap() { ip netns exec "$AP" "$@"; }
in_phone() { ip netns exec "$PHONE" "$@"; }

ip netns add "$AP"
ip netns add "$PHONE"
in_ap ip link set lo up
in_phone ip link set lo up
make_link() {
    ip link add vc netns "$PHONE" type veth peer name vs netns "$AP"
    in_ap ip addr add "$AP_IP/30" dev vs
    in_phone ip addr add "$PHONE_IP/30" dev vc
    in_ap ip link set vs up
    in_phone ip link set vc up
}
make_link

# Servers in the AP namespace, bound to its own address only. Background jobs are started
# without the helper functions so that $! is the process itself, not a subshell.
ip netns exec "$AP" dnsmasq -k -C /dev/null --no-resolv --no-hosts --bind-interfaces \
    --listen-address="$AP_IP" --address=/example.test/"$AP_IP" \
    --address=/google-analytics.com/"$AP_IP" --user=root \
    --pid-file="$OUT/dnsmasq.pid" >"$OUT/dnsmasq.log" 2>&1 &
PIDS+=($!)
ip netns exec "$AP" python3 -m http.server 80 --bind "$AP_IP" --directory "$OUT/www" >"$OUT/http.log" 2>&1 &
PIDS+=($!)
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=sporfri.test \
    -keyout "$OUT/key.pem" -out "$OUT/cert.pem" >/dev/null 2>&1
ip netns exec "$AP" openssl s_server -www -accept "$AP_IP:443" -cert "$OUT/cert.pem" -key "$OUT/key.pem" \
    >"$OUT/tls.log" 2>&1 &
PIDS+=($!)

wait_for() { # PATTERN FILE SECONDS
    for _ in $(seq 1 $(($3 * 10))); do
        grep -q -- "$1" "$2" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "netns.sh: timed out waiting for '$1' in $2" >&2
    cat "$2" >&2 || true
    return 1
}

start_live() { # NAME [sporfri live args...]: OUT/NAME.jsonl, OUT/NAME.err, SPORFRI_PID
    local name=$1
    shift
    ip netns exec "$AP" "$SPORFRI" live -i vs --format jsonl --db "$OUT/db" "$@" \
        >"$OUT/$name.jsonl" 2>"$OUT/$name.err" &
    SPORFRI_PID=$!
    PIDS+=($SPORFRI_PID)
    wait_for "live on vs" "$OUT/$name.err" 10
}

stop_live() { # SIGTERM, then at most 10 s for sporfri to end
    kill -TERM "$SPORFRI_PID"
    for _ in $(seq 1 100); do
        kill -0 "$SPORFRI_PID" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$SPORFRI_PID" 2>/dev/null; then
        echo "netns.sh: sporfri did not end within 10 s of SIGTERM" >&2
        exit 1
    fi
    local rc=0
    wait "$SPORFRI_PID" || rc=$?
    echo "netns.sh: sporfri exited $rc"
    return "$rc"
}

hello() { # NAME: a TLS client hello naming NAME (the handshake itself fails: another name)
    in_phone timeout 5 openssl s_client -connect "$AP_IP:443" -servername "$1" </dev/null
}

lookup() { # NAME
    in_phone dig +time=2 +tries=2 @"$AP_IP" "$1" A
}

if [ "$SCENARIO" = baseline ]; then
    # The phone on its own: the idle baseline (session 1).
    start_live idle --baseline --label "phone idle"
    sleep 1 # servers up
    { lookup bg1.example.test; hello bg2.example.test; } >>"$OUT/traffic.log" 2>&1
    sleep 1
    stop_live >>"$OUT/traffic.log"
    # The session under test (session 2): the phone's own names, then the visit.
    start_live live "$@" --label "phone visit"
    sleep 0.5
    { lookup bg1.example.test; lookup early.example.test; } >>"$OUT/traffic.log" 2>&1
    sleep 0.5
    "$SPORFRI" mark visit --db "$OUT/db" >"$OUT/mark.log" 2>&1
    sleep 0.5
    {
        hello bg2.example.test
        lookup www.google-analytics.com
        hello www.google-analytics.com
        lookup visit.example.test
    } >>"$OUT/traffic.log" 2>&1
    sleep 1.5 # let the last batch and publication through
    stop_live
    exit 0
fi

start_live live "$@"
sleep 1 # servers up

traffic() { # ROUND
    local r=$1
    {
        in_phone dig +time=2 +tries=2 @"$AP_IP" "dns$r.example.test" A
        in_phone curl -sS -m 5 -o /dev/null -H "Host: http$r.example.test" "http://$AP_IP/"
        in_phone timeout 5 openssl s_client -connect "$AP_IP:443" \
            -servername "tls$r.example.test" </dev/null
        if [ "$SCENARIO" = keylog ]; then
            # the key log grows while sporfri runs, as a test browser's does
            in_phone env SSLKEYLOGFILE="$OUT/keys.log" curl -sS -k -m 5 -o /dev/null \
                --resolve "keys$r.example.test:443:$AP_IP" "https://keys$r.example.test/?page=$r"
        fi
    } >>"$OUT/traffic.log" 2>&1
}

traffic 1
# A consent mark while the session records: goes over the control socket beside the database.
"$SPORFRI" mark consent-accepted --db "$OUT/db" >"$OUT/mark.log" 2>&1
# Reads while the session records go through the same socket (a second process).
sleep 0.3
"$SPORFRI" sessions list --format jsonl --db "$OUT/db" >"$OUT/during-list.jsonl" 2>"$OUT/during.err"
"$SPORFRI" report 1 --format json --db "$OUT/db" >"$OUT/during-report.json" 2>>"$OUT/during.err"
if [ "$SCENARIO" = outage ]; then
    sleep 1.5
    in_ap ip link set vs down
    sleep 3
    in_ap ip link set vs up
    wait_for "capture interface back" "$OUT/live.err" 15
    sleep 0.5
    traffic 2
elif [ "$SCENARIO" = recreate ]; then
    sleep 1.5
    in_ap ip link del vs
    sleep 2
    make_link
    wait_for "capture interface back" "$OUT/live.err" 15
    sleep 0.5
    traffic 2
    sleep 1.5
    in_ap ip link set vs down
    sleep 1
fi
sleep 1.5 # let the last batch and publication through
stop_live
