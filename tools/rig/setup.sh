#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# setup.sh - make this machine able to build ksmdev and boot its test kernels.
#
# Idempotent and quiet when nothing is missing.  It
#   1. installs the Debian packages the build and the guest runner need
#      (as root with apt-get; otherwise it prints the exact sudo line and
#      stops),
#   2. resolves each test kernel through its Debian metapackage
#      (linux-image-amd64 -> 6.1, linux-image-6.12-amd64 -> 6.12), so the
#      rig follows Debian's security updates instead of pinning an ABI,
#   3. installs linux-headers-<abi> for each, and
#   4. downloads each linux-image-<abi> with apt-get download and unpacks
#      it with dpkg -x into the cache ($KSMDEV_CACHE, default .cache/).
#
# Output: $KSMDEV_CACHE/kernels/<series>.abi holds the ABI string of the
# kernel for each series; $KSMDEV_CACHE/kernels/<abi>/ the unpacked image.
#
# Usage: tools/rig/setup.sh [series...]     (default: 6.1 6.12)

set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
cache=${KSMDEV_CACHE:-$top/.cache}
series_list=${*:-${KSMDEV_KERNELS:-6.1 6.12}}

say() { printf 'setup: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

metapackage() {
	case "$1" in
	6.1)  echo linux-image-amd64 ;;
	6.12) echo linux-image-6.12-amd64 ;;
	*)    die "unknown test kernel series '$1' (known: 6.1 6.12)" ;;
	esac
}

as_root() {
	if [ "$(id -u)" -ne 0 ]; then
		say "missing packages; run:"
		say "  sudo $*"
		say "then run this command again."
		exit 1
	fi
	"$@"
}

apt_updated=
apt_update_once() {
	[ -n "$apt_updated" ] && return 0
	as_root apt-get update -qq >/dev/null
	apt_updated=1
}

# Packages whose absence we can detect with dpkg-query.
missing_pkgs() {
	for p in "$@"; do
		st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
		case "$st" in *" installed") ;; *) echo "$p" ;; esac
	done
}

install_pkgs() {
	miss=$(missing_pkgs "$@")
	[ -z "$miss" ] && return 0
	# shellcheck disable=SC2086
	if [ "$(id -u)" -ne 0 ]; then
		as_root apt-get install -y --no-install-recommends $miss
	fi
	say "installing:" $miss
	if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends $miss >/dev/null 2>&1; then
		apt_update_once
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends $miss >/dev/null
	fi
}

# Base toolchain and rig packages.
install_pkgs gcc make libc6-dev pkg-config libcmocka-dev qemu-system-x86 \
	busybox-static cpio kmod xz-utils sparse python3 apt-utils dpkg-dev \
	util-linux procps gnuplot-nox \
	dkms debhelper dh-dkms lintian build-essential fakeroot sqlite3

# Resolve a series to its current ABI through the metapackage.
resolve_abi() {
	meta=$(metapackage "$1")
	dep=$(apt-cache depends "$meta" 2>/dev/null |
		sed -n 's/^ *Depends: linux-image-\([0-9].*\)$/\1/p' | head -n1)
	if [ -z "$dep" ]; then
		apt_update_once
		dep=$(apt-cache depends "$meta" 2>/dev/null |
			sed -n 's/^ *Depends: linux-image-\([0-9].*\)$/\1/p' | head -n1)
	fi
	[ -n "$dep" ] || die "cannot resolve $meta to a kernel ABI (apt sources?)"
	echo "$dep"
}

mkdir -p "$cache/kernels"
for s in $series_list; do
	abi=$(resolve_abi "$s")
	install_pkgs "linux-headers-$abi"
	kdir="$cache/kernels/$abi"
	if [ ! -f "$kdir/boot/vmlinuz-$abi" ]; then
		say "fetching linux-image-$abi"
		tmp=$(mktemp -d "$cache/dl.XXXXXX")
		if ! (cd "$tmp" && apt-get download -qq "linux-image-$abi" >/dev/null 2>&1); then
			apt_update_once
			(cd "$tmp" && apt-get download -qq "linux-image-$abi" >/dev/null)
		fi
		rm -rf "$kdir.part"
		dpkg -x "$tmp"/linux-image-*.deb "$kdir.part"
		rm -rf "$tmp"
		# Module dependency data for the guest runner's modprobe.
		depmod -b "$kdir.part" "$abi"
		rm -rf "$kdir"
		mv "$kdir.part" "$kdir"
	fi
	# A reader may need the ABI without asking apt again.
	echo "$abi" >"$cache/kernels/$s.abi.tmp"
	mv "$cache/kernels/$s.abi.tmp" "$cache/kernels/$s.abi"
done
