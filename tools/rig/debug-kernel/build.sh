#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# build.sh - build (once) the debug kernel that `make check-debug` boots.
#
# Source: Debian's linux-source-6.1 (/usr/src/linux-source-6.1.tar.xz).
# Config: x86_64 defconfig + kernel/configs/kvm_guest.config +
#         tools/rig/debug-kernel/debug.config (KASAN, lockdep, DEBUG_VM,
#         PAGE_TABLE_CHECK, KMEMLEAK, ...); every option the fragment asks
#         for is verified after olddefconfig.
# Output, in the git-ignored cache ($KSMDEV_CACHE, default .cache/):
#   debug-kernel/linux-<ver>/    the build tree (modules build against it)
#   kernels/<abi>/boot/vmlinuz-<abi>, kernels/<abi>/lib/modules/<abi>/
#   kernels/6.1-debug.abi        the ABI string, as tools/rig/setup.sh writes
#                                for the Debian kernels
# The build is skipped when a stamp matches the source package version and
# the config fragment.  The build time is kept in
# debug-kernel/build-seconds.

set -eu

top=$(cd "$(dirname "$0")/../../.." && pwd)
cache=${KSMDEV_CACHE:-$top/.cache}
frag=$top/tools/rig/debug-kernel/debug.config
tarball=/usr/src/linux-source-6.1.tar.xz
work=$cache/debug-kernel
jobs=${KSMDEV_JOBS:-$(nproc)}

say() { echo "debug-kernel: $*"; }
die() { echo "debug-kernel: $*" >&2; exit 1; }

# Build dependencies (tools/rig/setup.sh has installed the rest).
need=
for p in linux-source-6.1 flex bison bc libelf-dev libssl-dev cpio kmod; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q ' installed$' ||
		need="$need $p"
done
if [ -n "$need" ]; then
	[ "$(id -u)" -eq 0 ] || die "missing packages; run: sudo apt-get install$need"
	say "installing:$need"
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need \
		>/dev/null 2>&1 || { apt-get update -qq >/dev/null;
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need >/dev/null; }
fi
[ -f "$tarball" ] || die "$tarball missing (package linux-source-6.1)"

srcver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
key=$( { echo "$srcver"; cat "$frag"; } | sha256sum | cut -c1-16)
mkdir -p "$work" "$cache/kernels"
if [ "$(cat "$work/stamp" 2>/dev/null)" = "$key" ] &&
	abi=$(cat "$cache/kernels/6.1-debug.abi" 2>/dev/null) &&
	[ -f "$cache/kernels/$abi/boot/vmlinuz-$abi" ] &&
	[ -f "$cache/kernels/$abi/build/Module.symvers" ]; then
	say "up to date ($abi, built in $(cat "$work/build-seconds" 2>/dev/null || echo ?) s)"
	exit 0
fi

start=$(date +%s)
say "unpacking linux-source-6.1 $srcver"
rm -rf "$work/src.part"
mkdir -p "$work/src.part"
tar -C "$work/src.part" -xf "$tarball"
src=$(echo "$work"/src.part/linux-source-*)
cd "$src"

say "configuring (defconfig + kvm_guest.config + $(basename "$frag"))"
make -s x86_64_defconfig >/dev/null
scripts/kconfig/merge_config.sh -m .config kernel/configs/kvm_guest.config "$frag" >/dev/null
make -s olddefconfig >/dev/null
missing=
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*) grep -qxF "$line" .config || missing="$missing ${line%%=*}" ;;
	"# CONFIG_"*" is not set")
		opt=${line#\# }; opt=${opt%% *}
		grep -q "^$opt=" .config && missing="$missing $opt(should be off)" ;;
	esac
done <"$frag"
[ -z "$missing" ] || die "the kernel's Kconfig refused:$missing"

say "building bzImage and modules with -j$jobs (about 15-25 minutes on 2 cores)"
make -s -j"$jobs" bzImage modules >"$work/build.log" 2>&1 ||
	{ tail -n 40 "$work/build.log" >&2; die "kernel build failed (log: $work/build.log)"; }
abi=$(make -s kernelrelease)

kroot=$cache/kernels/$abi
rm -rf "$kroot"
mkdir -p "$kroot/boot"
cp arch/x86/boot/bzImage "$kroot/boot/vmlinuz-$abi"
cp .config "$kroot/boot/config-$abi"
make -s INSTALL_MOD_PATH="$kroot" modules_install >/dev/null
rm -f "$kroot/lib/modules/$abi/build" "$kroot/lib/modules/$abi/source"

# Keep the tree under a stable name; modules build against it.
final=$work/linux-$abi
rm -rf "$final"
cd /
mv "$src" "$final"
rm -rf "$work/src.part"
# Relative, so that the whole cache directory can move.
ln -sfn "../../debug-kernel/linux-$abi" "$kroot/build"

secs=$(( $(date +%s) - start ))
echo "$secs" >"$work/build-seconds"
echo "$abi" >"$cache/kernels/6.1-debug.abi"
echo "$key" >"$work/stamp"
say "built $abi in $secs s"
