#!/bin/sh
# Install the Debian packages wattson needs to build and test, and only
# when one is missing: a machine that already has them is not touched, so
# `make test` stays fast and works offline once set up.
set -eu

PKGS="build-essential cmake pkg-config libncurses-dev liblua5.4-dev \
libevent-dev libpci-dev clang libclang-rt-14-dev tmux valgrind \
clang-format python3 libi2c-dev metis libmetis-dev darknet libjpeg-dev \
libpng-dev strace gzip util-linux libzstd-dev libisal-dev iproute2 \
iputils-ping ethtool prometheus libjansson-dev chromium"

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing="$missing $p"
    fi
done

[ -z "$missing" ] && exit 0

echo "deps: installing missing Debian packages:$missing" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "deps: need root (or sudo) to install:$missing" >&2
        exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq $missing
