#!/usr/bin/env bash
# lab.sh - the sporfri real-browser lab: real browsers through a simulated access-point link.
#
# Usage:
#   tests/lab/lab.sh run [--out DIR] [--engine chromium|firefox] [--net public|private]
#                        [--blocker none|pihole] [SCENARIO...]
#                                         capture SCENARIOs (default: home login)
#   tests/lab/lab.sh matrix [--out DIR]   every capture the project keeps (captures/README.md) and
#                                         .ci/lab checks: both browsers, idle, home and login on the
#                                         default variant, home on --net private and --blocker pihole
#   tests/lab/lab.sh cleanup              remove what an interrupted run left behind
#
# Variants (the defaults first; README.md "Variants"):
#   --engine   chromium: Debian's headless Chromium | firefox: Debian's Firefox ESR, headless,
#              driven by Marionette
#   --net      public: servers on documentation ranges | private: the same servers on
#              10.113.0.0/24 and fd00:113::/64 (a lab mirror, split-horizon DNS)
#   --blocker  none | pihole: the resolver answers the names of blocklist.tsv with 0.0.0.0 / ::
#              or NXDOMAIN, as Pi-hole and AdGuard Home do
#
# Scenarios (replica pages in tests/lab/site/, names in tests/lab/hosts.tsv):
#   home    http://borger.test/              typed bare name: plain-HTTP landing page, then the
#                                            portal's front page and its third parties
#   login   https://www.borger.test/log-ind/  a log-in page with fewer third parties
#   idle    about:blank                      the idle baseline (issue 18): a fresh browser on a
#                                            blank page for LAB_IDLE_S (10) seconds, no site
#
# For each scenario DIR gets lab-borger-SCENARIO[-firefox][-private][-pihole].pcapng (the idle
# baseline: lab-idle[-firefox][-private][-pihole].pcapng) (captured on
# the link between the phone and the internet, where an access point sees it; the browser's TLS
# key log is injected into it as a pcapng Decryption Secrets Block) and beside it: .keys, the same
# key log as the browser wrote it (SSLKEYLOGFILE); .lab.tsv, the variant (engine and browser
# version, addresses, blocklist); .truth.tsv, kind<TAB>name from the servers' own logs (dnsmasq
# queries and answers; caddy TLS handshakes, requests and the cookies it set); .oracle.tsv /
# .oracle.flows.tsv: tshark's extraction of the capture without its secrets
# (tests/tools/oracle.sh, or $ORACLE).
#
# SAFETY: no packet leaves the lab. Two network namespaces are created (sporfri-lab-phone,
# sporfri-lab-net), joined only to each other by one veth pair made inside them: no interface in
# the host's namespace, no route to the host, no NAT, no forwarding. The "internet" namespace owns
# every server address (documentation ranges 203.0.113.0/24, 198.51.100.0/24, 2001:db8::/32, or
# with --net private 10.113.0.0/24, 10.53.0.0/24, fd00:113::/64, fd00:53::/64) and
# answers every name itself - including real tracker names such as www.googletagmanager.com, which
# are served by the lab's own caddy with certificates from a lab CA made for this run. Names the
# lab does not know get NXDOMAIN; addresses it does not own are unreachable.
#
# Processes are started by this script only, recorded by PID in /run/sporfri-lab/pids and ended
# by PID (the browser by its own process group) on exit, Ctrl-C or TERM; `cleanup` does the same for
# a run that was killed, then deletes the namespaces.
set -euo pipefail

LAB=$(cd "$(dirname "$0")" && pwd)
NS_PHONE=sporfri-lab-phone
NS_NET=sporfri-lab-net
STATE=/run/sporfri-lab
PHONE_MAC=02:1a:b0:00:00:10
AP_MAC=02:1a:b0:00:00:01
CHROMIUM=${CHROMIUM:-chromium}
FIREFOX=${FIREFOX:-firefox-esr}
ENGINE=chromium
NET=public
BLOCKER=none
PY=$(command -v python3)
ORACLE=${ORACLE:-$LAB/../tools/oracle.sh}
VIRTUAL_TIME_MS=${LAB_VIRTUAL_TIME_MS:-10000}
# Firefox has no virtual time: the page counts as loaded once its resources stop growing for
# SETTLE_MS (real time), within BUDGET_MS
SETTLE_MS=${LAB_SETTLE_MS:-1500}
BUDGET_MS=${LAB_BUDGET_MS:-15000}
BROWSER_TIMEOUT_S=${LAB_BROWSER_TIMEOUT_S:-60}
# the idle baseline: how long the fresh browser stays on about:blank
IDLE_S=${LAB_IDLE_S:-10}

log() { printf 'lab: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# --- process bookkeeping -----------------------------------------------------------------------

track() { echo "$1 $2" >>"$STATE/pids"; }

# Ends one recorded process (and its process group when it leads one) if it is still the one we
# started: the command line must still contain the recorded name (PIDs can be reused).
end_pid() {
  local pid=$1 name=$2 i
  [ -r "/proc/$pid/cmdline" ] || return 0
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$name" || return 0
  if [ "$(ps -o pgid= -p "$pid" | tr -d ' ')" = "$pid" ]; then
    kill -TERM -- "-$pid" 2>/dev/null || true
  else
    kill -TERM "$pid" 2>/dev/null || true
  fi
  for i in $(seq 50); do
    [ -e "/proc/$pid" ] || return 0
    sleep 0.1
  done
  kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
}

stop_tracked() {
  [ -f "$STATE/pids" ] || return 0
  local pid name
  # newest first: the browser and the capture before the servers they talk to
  tac "$STATE/pids" | while read -r pid name; do end_pid "$pid" "$name"; done
  : >"$STATE/pids"
}

# Anything still running inside our own namespaces was started by this lab.
stop_namespace_pids() {
  local ns pid
  for ns in "$NS_PHONE" "$NS_NET"; do
    ip netns list | grep -qw "$ns" || continue
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
  done
}

cleanup() {
  stop_tracked
  stop_namespace_pids
  local ns
  for ns in "$NS_PHONE" "$NS_NET"; do
    if ip netns list | grep -qw "$ns"; then ip netns del "$ns"; fi
    rm -rf "/etc/netns/$ns"
  done
  if [ -f "$STATE/work" ]; then rm -rf "$(cat "$STATE/work")"; fi
  rm -rf "$STATE"
}

# --- the network -------------------------------------------------------------------------------

in_net() { ip netns exec "$NS_NET" "$@"; }

make_network() {
  ip netns add "$NS_PHONE"
  ip netns add "$NS_NET"
  local ns
  for ns in "$NS_PHONE" "$NS_NET"; do
    # addresses usable at once (no duplicate-address wait), no forwarding anywhere
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
      net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0
    ip -n "$ns" link set lo up
  done
  # the veth pair is created inside the phone namespace and its peer moved straight to the
  # internet namespace: it never exists in the host's namespace
  ip -n "$NS_PHONE" link add lab-phone address "$PHONE_MAC" type veth \
    peer name lab-net address "$AP_MAC" netns "$NS_NET"
  # no segmentation/checksum offload: the capture shows MTU-sized frames with real checksums, as
  # a Wi-Fi access point sees them (a 2 KB ClientHello is split over two TCP segments)
  ip netns exec "$NS_PHONE" ethtool -K lab-phone tx off tso off gso off gro off >/dev/null 2>&1
  ip netns exec "$NS_NET" ethtool -K lab-net tx off tso off gso off gro off >/dev/null 2>&1
  ip -n "$NS_PHONE" addr add 192.168.77.10/24 dev lab-phone
  ip -n "$NS_PHONE" addr add 2001:db8:77::10/64 dev lab-phone nodad
  ip -n "$NS_PHONE" link set lab-phone up
  ip -n "$NS_PHONE" route add default via 192.168.77.1
  ip -n "$NS_PHONE" -6 route add default via 2001:db8:77::1
  ip -n "$NS_NET" addr add 192.168.77.1/24 dev lab-net
  ip -n "$NS_NET" addr add 2001:db8:77::1/64 dev lab-net nodad
  ip -n "$NS_NET" link set lab-net up
  local a
  while read -r a; do
    case "$a" in
      *:*) ip -n "$NS_NET" addr add "$a/128" dev lo nodad ;;
      *) ip -n "$NS_NET" addr add "$a/32" dev lo ;;
    esac
  done <"$WORK/addresses"
  mkdir -p "/etc/netns/$NS_PHONE"
  cp "$WORK/resolver" "/etc/netns/$NS_PHONE/resolv.conf"
  # the safety claim, checked: the only non-loopback link of each namespace is the veth pair
  # (server addresses sit on the internet side's loopback), and the internet namespace has no default route
  [ -z "$(ip -n "$NS_NET" route show default)" ] || die "internet namespace has a default route"
  [ -z "$(ip -n "$NS_NET" -6 route show default)" ] || die "internet namespace has an IPv6 default route"
}

# Waits up to 10 s until a socket matching the ss filter exists in the internet namespace.
wait_listen() {
  local i
  for i in $(seq 100); do
    if in_net ss -Hln "$@" | grep -q .; then return 0; fi
    sleep 0.1
  done
  die "no listener for: $*"
}

start_servers() {
  : >"$WORK/dnsmasq.log"
  : >"$WORK/caddy.log"
  # started with `ip netns exec` itself (not a shell function), so that $! is the server's PID
  ip netns exec "$NS_NET" dnsmasq --keep-in-foreground -C "$WORK/dnsmasq.conf" --pid-file="$WORK/dnsmasq.pid" \
    2>>"$WORK/dnsmasq.err" &
  track $! dnsmasq
  ip netns exec "$NS_NET" env HOME="$WORK" XDG_CONFIG_HOME="$WORK" XDG_DATA_HOME="$WORK" \
    caddy run --config "$WORK/Caddyfile" --adapter caddyfile 2>>"$WORK/caddy.err" &
  track $! caddy
  wait_listen -u 'sport = :53'
  wait_listen -t 'sport = :443'
  wait_listen -u 'sport = :443'
  wait_listen -t 'sport = :80'
}

start_capture() {
  local out=$1 i
  rm -f "$out"
  ip netns exec "$NS_NET" dumpcap -q -i lab-net -w "$out" 2>>"$WORK/dumpcap.err" &
  track $! dumpcap
  for i in $(seq 100); do
    [ -s "$out" ] && { sleep 0.3; return 0; }
    sleep 0.1
  done
  die "dumpcap did not start (see $WORK/dumpcap.err)"
}

# Runs the browser once in the phone namespace: its own process group, a hard timeout; the page's
# DOM ends up in PROFILE.dom.html, the TLS key log in PROFILE.keys.
browse() {
  case "$ENGINE" in
    chromium) browse_chromium "$@" ;;
    firefox) browse_firefox "$@" ;;
  esac
}

browse_chromium() {
  local url=$1 profile=$2 rc=0
  rm -rf "$profile" "$profile.keys"
  [ "$url" = about:blank ] && { idle_chromium "$profile"; return; }
  # SSLKEYLOGFILE: Chromium appends the secrets of every TLS and QUIC connection (NSS key log)
  # shellcheck disable=SC2046
  ip netns exec "$NS_PHONE" env HOME="$WORK/home" SSLKEYLOGFILE="$profile.keys" setsid timeout -k 5 "$BROWSER_TIMEOUT_S" "$CHROMIUM" \
    --headless=new --no-sandbox --disable-background-networking --disable-component-update \
    --no-first-run --no-default-browser-check --disable-sync --disable-gpu \
    --disable-dev-shm-usage --user-data-dir="$profile" \
    $(cat "$WORK/chrome-flags") \
    --virtual-time-budget="$VIRTUAL_TIME_MS" --dump-dom "$url" \
    >"$profile.dom.html" 2>"$profile.err" &
  local pid=$!
  track "$pid" timeout
  wait "$pid" || rc=$?
  return "$rc"
}

# The idle baseline: Chromium started on about:blank (no virtual time, no --dump-dom, so it stays
# open), ended after IDLE_S seconds of real time by the timeout's TERM - its expected end.
idle_chromium() {
  local profile=$1 rc=0
  # shellcheck disable=SC2046
  ip netns exec "$NS_PHONE" env HOME="$WORK/home" SSLKEYLOGFILE="$profile.keys" setsid timeout -s TERM -k 5 "$IDLE_S" "$CHROMIUM" \
    --headless=new --no-sandbox --disable-background-networking --disable-component-update \
    --no-first-run --no-default-browser-check --disable-sync --disable-gpu \
    --disable-dev-shm-usage --user-data-dir="$profile" \
    $(cat "$WORK/chrome-flags") about:blank \
    >"$profile.out" 2>"$profile.err" &
  local pid=$!
  track "$pid" timeout
  wait "$pid" || rc=$?
  # 124: the timeout ended it, as intended
  [ "$rc" = 124 ] && rc=0
  # nothing was loaded: the page is the blank one
  echo '<html><head></head><body></body></html>' >"$profile.dom.html"
  : >>"$profile.keys"
  return "$rc"
}

# Firefox ESR: a fresh profile (user.js from labconf.py, an NSS database trusting the lab CA),
# started headless with Marionette and no page; marionette.py opens the URL as a user would type
# it, waits until the page has settled, writes the DOM and quits Firefox.
browse_firefox() {
  local url=$1 profile=$2 expect=$3 rc=0 settle=$SETTLE_MS budget=$BUDGET_MS
  # the idle baseline: about:blank, "settled" only after IDLE_S seconds without anything loading
  if [ "$url" = about:blank ]; then settle=$((IDLE_S * 1000)); budget=$(((IDLE_S + 10) * 1000)); fi
  rm -rf "$profile" "$profile.keys"
  mkdir -p "$profile"
  cp "$WORK/firefox-prefs.js" "$profile/user.js"
  "$PY" "$LAB/labconf.py" trust "$profile" "$WORK/certs/ca.crt"
  # SSLKEYLOGFILE: NSS appends the secrets of every TLS and QUIC connection
  ip netns exec "$NS_PHONE" env HOME="$WORK/home" SSLKEYLOGFILE="$profile.keys" MOZ_HEADLESS=1 \
    setsid timeout -k 5 "$BROWSER_TIMEOUT_S" "$FIREFOX" --headless --marionette --no-remote \
    --profile "$profile" >"$profile.out" 2>"$profile.err" &
  local pid=$!
  track "$pid" timeout
  ip netns exec "$NS_PHONE" timeout -k 5 "$BROWSER_TIMEOUT_S" "$PY" "$LAB/marionette.py" "$url" \
    "$profile.dom.html" --expect "$expect" --settle-ms "$settle" --budget-ms "$budget" \
    2>>"$profile.err" || rc=$?
  if [ "$rc" = 0 ]; then
    wait "$pid" || rc=$?
  else
    end_pid "$pid" timeout
  fi
  return "$rc"
}

# One scenario: fresh servers, capture, one browser visit, then ground truth from the logs.
scenario() {
  local name=$1 url=$2 out=$3 t0 attempt
  local base="$out/lab-borger-$name$(variant_suffix)"
  [ "$name" = idle ] && base="$out/lab-idle$(variant_suffix)"
  local pcap="$base.pcapng"
  for attempt in 1 2; do
    t0=$(date +%s%N)
    start_servers
    start_capture "$pcap"
    if browse "$url" "$WORK/profile-$name" "$(landing_of "$name")"; then
      sleep 1 # the browser's closing packets (FIN, QUIC CONNECTION_CLOSE) reach the wire
      stop_tracked
      break
    fi
    log "$name: browser failed (attempt $attempt): $(tail -3 "$WORK/profile-$name.err" | tr '\n' ' ')"
    stop_tracked
    [ "$attempt" = 2 ] && die "$name: browser failed twice"
  done
  grep -q '</html>' "$WORK/profile-$name.dom.html" || die "$name: no page was loaded"
  chmod 644 "$pcap"
  "$PY" "$LAB/labconf.py" truth "$WORK" "$pcap.truth.tsv"
  # the second reference: tshark's extraction, as for every other bundled capture (before the
  # secrets go in, so that it stays the metadata view)
  if [ -f "$ORACLE" ]; then
    bash "$ORACLE" "$pcap" >"$pcap.oracle.tsv" 2>/dev/null
    bash "$ORACLE" -f "$pcap" >"$pcap.oracle.flows.tsv" 2>/dev/null
  else
    log "$ORACLE not found: no .oracle.tsv written"
  fi
  # lab decryption: the key log beside the capture, and inside it (Decryption Secrets Block), so
  # that `sporfri replay` decrypts the file without --keylog
  local keys="$base.keys"
  # an idle browser may open no TLS connection at all (the lab answers its names NXDOMAIN)
  [ -s "$WORK/profile-$name.keys" ] || [ "$name" = idle ] || die "$name: $ENGINE wrote no key log"
  cp "$WORK/profile-$name.keys" "$keys"
  chmod 644 "$keys"
  if [ -s "$keys" ]; then
    editcap --inject-secrets "tls,$keys" "$pcap" "$pcap.tmp"
    mv "$pcap.tmp" "$pcap"
  fi
  chmod 644 "$pcap"
  # dns-answers: the truth has the resolver's answers (blocked lines; captures made before the lab
  # recorded them have no such line)
  { printf 'engine\t%s\nbrowser\t%s\ndns-answers\tin-truth\n' "$ENGINE" "$(browser_version)"
    cat "$WORK/variant.tsv"; } >"$pcap.lab.tsv"
  cp "$WORK/dnsmasq.log" "$WORK/$name.dnsmasq.log"
  cp "$WORK/caddy.log" "$WORK/$name.caddy.log"
  log "$name: $(wc -c <"$pcap") bytes, $(wc -l <"$pcap.truth.tsv") truth lines," \
    "$(( ($(date +%s%N) - t0) / 1000000 )) ms -> $pcap"
}

# The address the page must end on (the home page's landing page moves on by script).
landing_of() {
  case "$1" in
    home) echo "https://www.borger.test/" ;;
    login) echo "https://www.borger.test/log-ind/" ;;
    idle) echo "about:blank" ;;
  esac
}

# File-name suffix of the variant: nothing for the defaults, so the default captures keep their names.
variant_suffix() {
  local s=""
  [ "$ENGINE" = chromium ] || s="$s-$ENGINE"
  [ "$NET" = public ] || s="$s-$NET"
  [ "$BLOCKER" = none ] || s="$s-$BLOCKER"
  echo "$s"
}

browser_version() {
  case "$ENGINE" in
    chromium) "$CHROMIUM" --version 2>/dev/null | grep -v 'unexpected operator' | head -1 ;;
    firefox) "$FIREFOX" --version 2>/dev/null | head -1 ;;
  esac
}

url_of() {
  case "$1" in
    home) echo "http://borger.test/" ;;
    login) echo "https://www.borger.test/log-ind/" ;;
    idle) echo "about:blank" ;;
    *) die "unknown scenario $1 (home, login, idle)" ;;
  esac
}

main_run() {
  local out=.
  local scenarios=()
  while [ $# -gt 0 ]; do
    case "$1" in
      --out) out=$2; shift 2 ;;
      --engine) ENGINE=$2; shift 2 ;;
      --net) NET=$2; shift 2 ;;
      --blocker) BLOCKER=$2; shift 2 ;;
      -*) die "unknown option $1" ;;
      *) url_of "$1" >/dev/null; scenarios+=("$1"); shift ;;
    esac
  done
  case "$ENGINE" in chromium | firefox) ;; *) die "--engine chromium|firefox, not $ENGINE" ;; esac
  case "$NET" in public | private) ;; *) die "--net public|private, not $NET" ;; esac
  case "$BLOCKER" in none | pihole) ;; *) die "--blocker none|pihole, not $BLOCKER" ;; esac
  [ ${#scenarios[@]} -gt 0 ] || scenarios=(home login)
  local browser=$CHROMIUM
  [ "$ENGINE" = firefox ] && browser=$FIREFOX
  mkdir -p "$out"
  out=$(cd "$out" && pwd)
  local t
  for t in ip dnsmasq caddy dumpcap editcap "$browser" certutil openssl setsid ss ethtool; do
    command -v "$t" >/dev/null || die "missing tool: $t (tests/lab/README.md lists the packages)"
  done
  if [ -d "$STATE" ] || ip netns list | grep -qE "sporfri-lab-"; then
    log "leftovers of an earlier run: cleaning up first"
    cleanup
  fi
  mkdir -p "$STATE"
  WORK=$(mktemp -d /tmp/sporfri-lab.XXXXXX)
  echo "$WORK" >"$STATE/work"
  : >"$STATE/pids"
  trap 'rc=$?; trap - EXIT INT TERM; [ -n "${LAB_KEEP_WORK:-}" ] && rm -f "$STATE/work" && log "work dir kept: $WORK"; cleanup; exit $rc' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  "$PY" "$LAB/labconf.py" gen "$WORK" --net "$NET" --blocker "$BLOCKER"
  make_network
  local s
  for s in "${scenarios[@]}"; do scenario "$s" "$(url_of "$s")" "$out"; done
}

# The lab's matrix: one lab run per variant (each builds and removes its own namespaces).
main_matrix() {
  local out=.
  while [ $# -gt 0 ]; do
    case "$1" in
      --out) out=$2; shift 2 ;;
      *) die "matrix: unknown argument $1" ;;
    esac
  done
  local engine t0
  for engine in chromium firefox; do
    t0=$(date +%s%N)
    bash "$0" run --out "$out" --engine "$engine" idle home login
    bash "$0" run --out "$out" --engine "$engine" --net private home
    bash "$0" run --out "$out" --engine "$engine" --blocker pihole home
    log "matrix: $engine in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
  done
}

[ "$(id -u)" = 0 ] || die "needs root (network namespaces)"
case "${1:-}" in
  run) shift; main_run "$@" ;;
  matrix) shift; main_matrix "$@" ;;
  cleanup) cleanup ;;
  *) sed -n '2,26p' "$0" >&2; exit 2 ;;
esac
