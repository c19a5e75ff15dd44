#!/usr/bin/env bash
# Build sporfri's Debian packages (cargo-deb; metadata in Cargo.toml [package.metadata.deb]).
#
#   pkg/deb.sh [--target TRIPLE]... [--docs-from BINARY] [--no-build]
#
# Without --target: a package for this machine. --target aarch64-unknown-linux-gnu: the
# Raspberry Pi's (arm64), cross-built (README § Appliance: cross compiler, libpcap-dev:arm64).
# Manual pages and shell completions come from a sporfri that runs here (--docs-from, default a
# dev build of this tree): they are made from the argument tree, the same on every architecture.
# --no-build packages binaries already built with `cargo build --release --features live`.
# Prints the path of each package; they are in target/debian/.
set -euo pipefail
cd "$(dirname "$0")/.."

TARGETS=() DOCS_FROM="" BUILD=1
while [ $# -gt 0 ]; do
    case $1 in
    --target) TARGETS+=("$2"); shift 2 ;;
    --docs-from) DOCS_FROM=$2; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    -h | --help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "deb.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=("")
command -v cargo-deb >/dev/null || {
    echo "deb.sh: cargo-deb is missing: cargo install --locked cargo-deb" >&2
    exit 1
}

target_dir=$(cargo metadata --no-deps --format-version 1 |
    sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
[ -n "$target_dir" ] || { echo "deb.sh: cargo metadata names no target directory" >&2; exit 1; }
if [ -z "$DOCS_FROM" ]; then
    cargo build -q --features live --bin sporfri
    DOCS_FROM=$target_dir/debug/sporfri
fi

for triple in "${TARGETS[@]}"; do
    # cargo-deb reads assets named target/release/... from the target's own release directory.
    release=$target_dir/${triple:+$triple/}release
    docs=$release/pkg-docs
    rm -rf "$docs"
    mkdir -p "$docs"
    "$DOCS_FROM" man --dir "$docs/man" >/dev/null
    # Compressed here: cargo-deb compresses only files from the source tree.
    gzip -9n "$docs"/man/*.1
    "$DOCS_FROM" completions bash >"$docs/sporfri.bash"
    "$DOCS_FROM" completions zsh >"$docs/_sporfri"
    "$DOCS_FROM" completions fish >"$docs/sporfri.fish"
    # Stripped: line tables stay in the build, the Pi gets the small binary.
    args=(--locked --strip)
    [ -z "$triple" ] || args+=(--target "$triple")
    [ "$BUILD" = 1 ] || args+=(--no-build)
    cargo deb "${args[@]}" | tail -n 1
done
