# Sourced by the measurement scripts of tests/live (load.sh, latency.sh, rate.sh): a private
# work directory $OUT, and everything the script starts or makes (processes in PIDS, network
# namespaces in NAMESPACES, a tmux server named TMUX_SOCK) removed on exit, also on failure.
OUT=$(mktemp -d "/tmp/sporfri-$(basename "$0" .sh).XXXXXX")
PIDS=()
NAMESPACES=()
TMUX_SOCK=""
cleanup() {
    if [ -n "$TMUX_SOCK" ]; then tmux -L "$TMUX_SOCK" kill-server 2>/dev/null || true; fi
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    for ns in "${NAMESPACES[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
    rm -rf "$OUT"
}
trap cleanup EXIT INT TERM

# netns NAME: a new network namespace with its loopback up, removed on exit.
netns() {
    ip netns add "$1"
    NAMESPACES+=("$1")
    ip -n "$1" link set lo up
}

# veth_pair AP PHONE: two new namespaces joined by a veth pair, `vs` in AP and `vc` in PHONE,
# both up and without addresses.
veth_pair() {
    netns "$1"
    netns "$2"
    ip link add vc netns "$2" type veth peer name vs netns "$1"
    ip -n "$1" link set vs up
    ip -n "$2" link set vc up
}
