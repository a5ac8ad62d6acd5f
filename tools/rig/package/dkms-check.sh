#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# dkms-check.sh - ksmdev.ko builds through DKMS, for every test kernel.
#
# `make install-dkms` stages the DKMS source tree (dkms.conf, driver/,
# include/uapi/linux/ksmdev.h) under a temporary DESTDIR; then a private
# DKMS tree (dkms --dkmstree/--sourcetree/--installtree, all under that
# temporary directory) adds ksmdev/<version> and runs `dkms build -k <abi>`
# for each kernel in $KSMDEV_KERNELS (default 6.1 6.12, ABIs from
# $KSMDEV_CACHE/kernels/<series>.abi), checking that a ksmdev.ko for that
# kernel comes out.  Nothing is written to /usr/src, /var/lib/dkms or
# /lib/modules: DKMS's signing key, when it makes one, goes to the
# temporary directory too, which is removed at the end.
#
# Installs the Debian package dkms when it is missing and we are root;
# otherwise prints the apt-get line and fails.  Exit 0 pass, 1 fail.

set -eu

top=$(cd "$(dirname "$0")/../../.." && pwd)
cache=${KSMDEV_CACHE:-$top/.cache}
kernels=${KSMDEV_KERNELS:-6.1 6.12}

say() { printf 'dkms-check: %s\n' "$*"; }
die() { say "FAIL: $*" >&2; exit 1; }

if ! command -v dkms >/dev/null 2>&1; then
	[ "$(id -u)" = 0 ] ||
		die "dkms is not installed; run: sudo apt-get install --no-install-recommends dkms"
	say "installing dkms"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends dkms \
		>/dev/null 2>&1 || {
		apt-get update -qq >/dev/null
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			dkms >/dev/null
	} || die "cannot install dkms"
fi

conf_value() {		# conf_value <NAME>: its value in dkms.conf, unquoted
	sed -n "s/^$1=\"\{0,1\}\([^\"]*\)\"\{0,1\}\$/\1/p" "$top/dkms.conf"
}
name=$(conf_value PACKAGE_NAME)
version=$(conf_value PACKAGE_VERSION)
mk_version=$(sed -n 's/^VERSION *:= *//p' "$top/Makefile")
[ "$name" = ksmdev ] || die "dkms.conf: PACKAGE_NAME is '$name', expected ksmdev"
[ "$version" = "$mk_version" ] ||
	die "dkms.conf: PACKAGE_VERSION is '$version' but the Makefile's VERSION is '$mk_version'"

tmp=$(mktemp -d /tmp/ksmdev-dkms-check.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM

# The source tree exactly as `make install-dkms` lays it out.
srcroot=$tmp/root/usr/src
make -s -C "$top" install-dkms DESTDIR="$tmp/root" DKMSDIR="/usr/src/$name-$version" \
	>"$tmp/install.log" 2>&1 || {
	cat "$tmp/install.log" >&2
	die "make install-dkms DESTDIR=$tmp/root failed"
}
src=$srcroot/$name-$version
for f in dkms.conf driver/Kbuild driver/main.c include/uapi/linux/ksmdev.h; do
	[ -f "$src/$f" ] || die "make install-dkms did not install $f into $src"
done
# Build products of an in-place `make module` must not be shipped.
junk=$(cd "$src" && find . -name '*.o' -o -name '*.ko' -o -name '*.mod*' -o -name '.*.cmd' \
	-o -name Module.symvers -o -name modules.order)
[ -z "$junk" ] || die "make install-dkms installed build products: $junk"

# DKMS reads its signing key and certificate paths from the environment
# when /etc/dkms/framework.conf does not set them: keep them private.
mok_signing_key=$tmp/mok.key
mok_certificate=$tmp/mok.pub
export mok_signing_key mok_certificate

dkms() {
	command dkms --dkmstree "$tmp/dkms" --sourcetree "$srcroot" \
		--installtree "$tmp/modules" "$@"
}
mkdir -p "$tmp/dkms" "$tmp/modules"
dkms add -m "$name" -v "$version" >"$tmp/add.log" 2>&1 || {
	cat "$tmp/add.log" >&2
	die "dkms add -m $name -v $version failed"
}

fail=0
for s in $kernels; do
	abi=$(cat "$cache/kernels/$s.abi" 2>/dev/null) ||
		die "kernel $s is not set up (no $cache/kernels/$s.abi); run tools/rig/setup.sh"
	t0=$(date +%s)
	if ! dkms build -m "$name" -v "$version" -k "$abi" >"$tmp/build-$abi.log" 2>&1; then
		cat "$tmp/build-$abi.log" >&2
		for log in "$tmp/dkms/$name/$version/build/make.log" \
			"$tmp/dkms/$name/$version/$abi"/*/log/make.log; do
			[ -f "$log" ] && { echo "---- $log" >&2; tail -n 40 "$log" >&2; }
		done
		say "FAIL: dkms build -k $abi"
		fail=1
		continue
	fi
	ko=$(find "$tmp/dkms/$name/$version/$abi" -path '*/module/ksmdev.ko*' | head -n 1)
	if [ -z "$ko" ]; then
		say "FAIL: dkms build -k $abi produced no ksmdev.ko"
		fail=1
		continue
	fi
	vermagic=$(modinfo -F vermagic "$ko" 2>/dev/null | cut -d' ' -f1)
	modname=$(modinfo -F name "$ko" 2>/dev/null)
	if [ "$vermagic" != "$abi" ] || [ "$modname" != ksmdev ]; then
		say "FAIL: $ko has name '$modname' and vermagic '$vermagic', expected ksmdev and $abi"
		fail=1
		continue
	fi
	say "ok: dkms build $name/$version -k $abi -> $(basename "$ko") ($(($(date +%s) - t0))s)"
done
exit $fail
