#!/usr/bin/env bash
# Prepare a Debian x86-64 machine to cross-build sporfri for the Raspberry Pi (arm64), run the
# arm64 build under emulation and build the Debian packages. Safe to run again.
#
#   sudo pkg/cross-setup.sh
#
# - the arm64 cross compiler and C library, libpcap-dev for both architectures (multiarch); arm64
#   programs run with the multiarch libc6:arm64 (see .cargo/config.toml);
# - qemu-user 10 from bookworm-backports (the arm64 test suite was run with it) and a binfmt_misc
#   entry for arm64 programs, so that programs the tests start (the sporfri binary) run too;
# - the Rust target aarch64-unknown-linux-gnu, cargo-deb, lintian.
# The linker, runner and library paths for the target are in .cargo/config.toml.
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "cross-setup.sh: run as root" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive
CARGO_DEB_VERSION=3.8.0

. /etc/os-release
qemu_from=()
if [ "${VERSION_CODENAME:-}" = bookworm ]; then
    if ! grep -rqs '^[^#]*bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
        echo "deb http://deb.debian.org/debian bookworm-backports main" \
            >/etc/apt/sources.list.d/bookworm-backports.list
    fi
    qemu_from=(-t bookworm-backports)
fi
dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
    gcc-aarch64-linux-gnu libc6-dev-arm64-cross libc6:arm64 pkg-config libpcap-dev libpcap-dev:arm64 \
    lintian mmdebstrap arch-test systemd-container iproute2 >/dev/null
apt-get install -y -qq --no-install-recommends "${qemu_from[@]}" qemu-user >/dev/null

# Programs started by the arm64 tests are arm64 too: the kernel hands them to qemu-aarch64.
binfmt=/proc/sys/fs/binfmt_misc
[ -e "$binfmt/register" ] || mount -t binfmt_misc binfmt_misc "$binfmt"
if [ ! -e "$binfmt/qemu-aarch64" ]; then
    grep -v '^#' /usr/share/qemu/binfmt.d/qemu-aarch64.conf >"$binfmt/register"
fi

# The arm64 standard library comes from the Rust project's own server, which a machine that only
# reaches the package registries cannot fetch from: then everything but the arm64 build is set up
# and the caller (.ci/pi) says which steps it could not run.
if command -v rustup >/dev/null; then
    rustup target list --installed | grep -qx aarch64-unknown-linux-gnu ||
        rustup target add aarch64-unknown-linux-gnu ||
        echo "cross-setup: the Rust target aarch64-unknown-linux-gnu could not be installed" >&2
fi
if [ "$(cargo deb --version 2>/dev/null)" != "cargo-deb $CARGO_DEB_VERSION" ]; then
    cargo install -q --locked cargo-deb --version "$CARGO_DEB_VERSION"
fi
echo "cross-setup: $(aarch64-linux-gnu-gcc --version | head -n 1); $(qemu-aarch64 --version | head -n 1);" \
    "$(cargo deb --version); binfmt qemu-aarch64 $(head -n 1 "$binfmt/qemu-aarch64")"
