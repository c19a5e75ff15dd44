#!/usr/bin/env bash
# The Raspberry Pi's budget, measured on an x86-64 machine (README § Appliance, "The Pi's budget"):
# instructions per packet of the arm64 release build (valgrind's callgrind for arm64, run inside
# qemu-aarch64) beside the x86-64 build (callgrind natively), per thread, on the replay
# benchmark's mixes; and the heap peak of both (massif). Not a timing: nothing is timed under
# emulation.
#
#   pkg/pi-budget.sh [--size-mb 40]
#
# Needs pkg/cross-setup.sh done, valgrind (x86-64), and both release builds with live capture:
# `pkg/deb.sh` and `pkg/deb.sh --target aarch64-unknown-linux-gnu` make them. Debian's
# valgrind:arm64 is fetched with apt-get download and unpacked into target/pi-budget (not
# installed: it would replace the machine's own valgrind).
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=40
while [ $# -gt 0 ]; do
    case $1 in
    --size-mb) SIZE=$2; shift 2 ;;
    -h | --help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "pi-budget.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
target_dir=$(cargo metadata --no-deps --format-version 1 |
    sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
x86=$target_dir/release/sporfri
arm=$target_dir/aarch64-unknown-linux-gnu/release/sporfri
for b in "$x86" "$arm"; do [ -x "$b" ] || { echo "pi-budget.sh: build $b first (pkg/deb.sh)" >&2; exit 1; }; done
work=$target_dir/pi-budget
mkdir -p "$work"

# valgrind for arm64, unpacked.
vg=$work/valgrind-arm64
if [ ! -x "$vg/usr/bin/valgrind.bin" ]; then
    (cd "$work" && apt-get download -q valgrind:arm64 >/dev/null 2>&1)
    dpkg-deb -x "$work"/valgrind_*_arm64.deb "$vg"
fi
arm_valgrind() {
    VALGRIND_LIB=$vg/usr/libexec/valgrind qemu-aarch64 "$vg/usr/bin/valgrind.bin" "$@"
}

# The benchmark's mixes: SIZE MB and SIZE/4 MB of all traces, SIZE/4 MB QUIC, SIZE/4 MB QUIC-free.
cargo bench -q --profile dev --bench replay -- --size-mb "$SIZE" --keep --rounds 1 >/dev/null
quarter=$((SIZE / 4))
mixes=("all traces:bench-1-${quarter}mb.pcap" "QUIC traces only:bench-2-${quarter}mb.pcap"
    "QUIC-free traces only:bench-3-${quarter}mb.pcap" "all traces:bench-0-${SIZE}mb.pcap")

# Instructions of each thread: callgrind's "totals" per thread file, in thread order.
threads() { # PREFIX
    for f in "$1".*-0[1-9]; do sed -n 's/^totals: //p' "$f"; done | paste -sd' '
}
packets() { "$x86" replay --null "$1" 2>&1 | sed -n 's/^sporfri: \([0-9]*\) packets.*/\1/p' | head -n 1; }
heap_peak() { # massif file -> MB (useful + allocator overhead)
    awk -F= '/^mem_heap_B/ {h = $2} /^mem_heap_extra_B/ {if (h + $2 > m) m = h + $2} END {printf "%.1f", m / 1e6}' "$1"
}

printf '| mix | size | packets | arch | analysis thread: instructions (per packet) | reader thread (per packet) | signatures load | heap peak |\n'
printf '|---|---:|---:|---|---:|---:|---:|---:|\n'
for mix in "${mixes[@]}"; do
    label=${mix%%:*} file=$target_dir/bench/${mix#*:}
    n=$(packets "$file")
    for arch in x86-64 arm64; do
        out=$work/$arch-$(basename "$file" .pcap)
        rm -f "$out".*
        if [ "$arch" = arm64 ]; then run=(arm_valgrind) bin=$arm; else run=(valgrind) bin=$x86; fi
        "${run[@]}" --tool=callgrind --separate-threads=yes --callgrind-out-file="$out.cg.%p" \
            "$bin" replay --format jsonl "$file" >/dev/null 2>"$out.err"
        "${run[@]}" --tool=massif --massif-out-file="$out.massif" \
            "$bin" replay --format jsonl "$file" >/dev/null 2>>"$out.err"
        # Threads in start order: 1 the analysis (main), 2 the signature load, 3 the reader.
        read -r main sigs reader <<<"$(threads "$out.cg")"
        printf '| %s | %s | %s | %s | %s (%d) | %s (%d) | %s | %s MB |\n' "$label" \
            "$(basename "$file" | sed 's/.*-\([0-9]*mb\).pcap/\1/')" "$n" "$arch" \
            "$main" $((main / n)) "$reader" $((reader / n)) "$sigs" "$(heap_peak "$out.massif")"
    done
done
echo "Marginal cost per packet: the difference of the two 'all traces' rows over their packets."
