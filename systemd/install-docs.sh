#!/usr/bin/env bash
# Install sporfri's manual pages and shell completions (bash, zsh, fish), made by the binary
# itself from its argument definitions.
#
#   systemd/install-docs.sh [--binary PATH] [--prefix DIR]
#
# --binary: the sporfri to ask (default: sporfri on PATH); --prefix: where to install (default
# /usr/local; e.g. ~/.local for one user). Safe to run again: pages of subcommands that no longer
# exist are removed, everything else is replaced.
set -euo pipefail

BINARY=sporfri PREFIX=/usr/local
while [ $# -gt 0 ]; do
    case $1 in
    --binary) BINARY=$2; shift 2 ;;
    --prefix) PREFIX=$2; shift 2 ;;
    -h | --help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "install-docs.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
command -v "$BINARY" >/dev/null || { echo "install-docs.sh: no sporfri at $BINARY" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$BINARY" man --dir "$tmp/man" >/dev/null
for shell in bash zsh fish; do
    "$BINARY" completions "$shell" >"$tmp/$shell"
done

man1=$PREFIX/share/man/man1
mkdir -p "$man1"
rm -f "$man1"/sporfri.1 "$man1"/sporfri-*.1
install -m 0644 "$tmp"/man/*.1 "$man1"/
install -D -m 0644 "$tmp/bash" "$PREFIX/share/bash-completion/completions/sporfri"
install -D -m 0644 "$tmp/zsh" "$PREFIX/share/zsh/site-functions/_sporfri"
install -D -m 0644 "$tmp/fish" "$PREFIX/share/fish/vendor_completions.d/sporfri.fish"
echo "installed $(ls "$tmp"/man | wc -l) manual pages in $man1 and completions for bash, zsh, fish under $PREFIX/share"
# Refresh the man index where there is one (apropos, man -k); pages are found without it too.
if [ "$(id -u)" = 0 ] && command -v mandb >/dev/null; then
    mandb -q 2>/dev/null || true
fi
