#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# deb-check.sh - the Debian packages build, hold what they should, and
# lintian finds no error in them.
#
# Copies the source tree (git's tracked and untracked-but-not-ignored
# files, so work in progress is included and build/ and .cache/ are not)
# to a temporary directory, runs `dpkg-buildpackage -us -uc -b` there,
# checks the contents and relations of libksmdev1, libksmdev-dev,
# ksmdev-dkms and ksmdev-tools, and runs lintian on the result.  Lintian's
# warnings are shown; an error fails the check.
#
# With --install (root only), the packages are then installed with apt-get
# into a throw-away copy of this machine's root (an overlay of / on a
# tmpfs, in a private mount namespace, chrooted): the maintainer scripts
# run for real (group ksmdev, DKMS builds and installs the module for the
# test kernels), the installed ksmctl, pkg-config file, headers, shim and
# man pages are used from the system paths, and a purge must leave no file
# behind.  Nothing of it reaches the real root.
#
# The temporary directory is removed at the end (KSMDEV_KEEP=1 keeps it).
# Installs the build dependencies and lintian when they are missing and we
# are root; otherwise prints the apt-get line and fails.  Exit 0 pass, 1 fail.
#
# Usage: tools/rig/package/deb-check.sh [--install]

set -eu

top=$(cd "$(dirname "$0")/../../.." && pwd)
cache=${KSMDEV_CACHE:-$top/.cache}
kernels=${KSMDEV_KERNELS:-6.1 6.12}
install=
case "${1:-}" in
--install) install=1 ;;
"") ;;
*) echo "usage: $0 [--install]" >&2; exit 2 ;;
esac

say() { printf 'deb-check: %s\n' "$*"; }
die() { say "FAIL: $*" >&2; exit 1; }

# ------------------------------------------------------------ tools

need=
for p in build-essential dpkg-dev debhelper dh-dkms lintian; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q ' installed$' ||
		need="$need $p"
done
if [ -n "$need" ]; then
	[ "$(id -u)" = 0 ] ||
		die "missing packages; run: sudo apt-get install --no-install-recommends$need"
	say "installing$need"
	# shellcheck disable=SC2086 # a list of package names
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need \
		>/dev/null 2>&1 || {
		apt-get update -qq >/dev/null
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			$need >/dev/null
	} || die "cannot install$need"
fi

# ------------------------------------------------------------ copy, build

tmp=$(mktemp -d /tmp/ksmdev-deb-check.XXXXXX)
# shellcheck disable=SC2317 # invoked by the trap
cleanup() {
	if [ -n "${KSMDEV_KEEP:-}" ]; then say "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

src=$tmp/ksmdev
mkdir "$src"
if git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	# Tracked files deleted in the work tree are left out.
	# shellcheck disable=SC2016 # $f belongs to the inner sh
	(cd "$top" && git ls-files -z --cached --others --exclude-standard |
		xargs -0 -r sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
		tar --null -T - -cf -) | tar -C "$src" -xf -
else
	(cd "$top" && tar --exclude=./build --exclude=./.cache --exclude=./.git -cf - .) |
		tar -C "$src" -xf -
fi

t0=$(date +%s)
if ! (cd "$src" && dpkg-buildpackage -us -uc -b) >"$tmp/build.log" 2>&1; then
	tail -n 60 "$tmp/build.log" >&2
	die "dpkg-buildpackage -us -uc -b failed (log above)"
fi
say "dpkg-buildpackage -us -uc -b: ok ($(($(date +%s) - t0))s)"

version=$(cd "$src" && dpkg-parsechangelog -S Version)
mk_version=$(sed -n 's/^VERSION *:= *//p' "$src/Makefile")
[ "$version" = "$mk_version" ] ||
	die "debian/changelog is at $version but the Makefile's VERSION is $mk_version"
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
changes=$tmp/ksmdev_${version}_$arch.changes
[ -f "$changes" ] || die "no $changes"

# ------------------------------------------------------------ contents

failures=0
fail() {
	say "FAIL: $*" >&2
	failures=$((failures + 1))
}

deb() {			# deb <package>: its .deb file, or nothing
	for f in "$tmp/${1}_${version}"_*.deb; do [ -f "$f" ] && echo "$f"; done
}
for p in libksmdev1 libksmdev-dev ksmdev-dkms ksmdev-tools; do
	[ -n "$(deb $p)" ] || fail "package $p was not built"
done

expect() {		# expect <package> <path>...: each path is in the package
	pkg=$1; shift
	f=$(deb "$pkg")
	[ -n "$f" ] || return 0
	dpkg-deb -c "$f" | awk '{ p = $6; sub(/^\./, "", p); print p }' >"$tmp/$pkg.list"
	for p; do
		grep -qx -- "$p" "$tmp/$pkg.list" || fail "$pkg does not contain $p"
	done
}

expect libksmdev1 "/usr/lib/$ma/libksmdev.so.$version" "/usr/lib/$ma/libksmdev.so.1"
expect libksmdev-dev /usr/include/ksmdev.h /usr/include/linux/ksmdev.h \
	"/usr/lib/$ma/libksmdev.so" "/usr/lib/$ma/libksmdev.a" \
	"/usr/lib/$ma/pkgconfig/libksmdev.pc" /usr/share/man/man7/ksmdev.7.gz \
	/usr/share/man/man3/ksmdev_open.3.gz
expect ksmdev-dkms "/usr/src/ksmdev-$version/dkms.conf" \
	"/usr/src/ksmdev-$version/driver/Kbuild" "/usr/src/ksmdev-$version/driver/main.c" \
	"/usr/src/ksmdev-$version/include/uapi/linux/ksmdev.h" \
	/lib/udev/rules.d/60-ksmdev.rules /etc/modules-load.d/ksmdev.conf \
	/etc/modprobe.d/ksmdev.conf
expect ksmdev-tools /usr/sbin/ksmctl /usr/bin/ksmdev-run /usr/share/man/man8/ksmctl.8.gz

# Nothing of the build tree in what is shipped.
for p in libksmdev1 libksmdev-dev ksmdev-dkms ksmdev-tools; do
	[ -f "$tmp/$p.list" ] || continue
	bad=$(grep -E '\.(o|ko|cmd)$|\.mod(\.c)?$|Module\.symvers|modules\.order' "$tmp/$p.list" || true)
	[ -z "$bad" ] || fail "$p ships build products: $bad"
done

# The pieces fit together: the .pc file, the shim, the maintainer scripts.
f=$(deb libksmdev-dev)
if [ -n "$f" ]; then
	dpkg-deb -x "$f" "$tmp/dev"
	grep -qx "libdir=/usr/lib/$ma" "$tmp/dev/usr/lib/$ma/pkgconfig/libksmdev.pc" ||
		fail "libksmdev.pc does not say libdir=/usr/lib/$ma"
	[ "$(readlink "$tmp/dev/usr/lib/$ma/libksmdev.so")" = libksmdev.so.1 ] ||
		fail "libksmdev-dev's libksmdev.so does not point to libksmdev.so.1"
fi
f=$(deb ksmdev-tools)
if [ -n "$f" ]; then
	dpkg-deb -f "$f" Depends | grep -q 'libksmdev1 (>= ' ||
		fail "ksmdev-tools does not depend on libksmdev1: $(dpkg-deb -f "$f" Depends)"
	grep -q "^/usr/lib/$ma/.*/libksmdev-preload\.so\$" "$tmp/ksmdev-tools.list" ||
		fail "ksmdev-tools has no libksmdev-preload.so in a directory of its own"
fi
f=$(deb ksmdev-dkms)
if [ -n "$f" ]; then
	dpkg-deb -e "$f" "$tmp/dkms-control"
	grep -q 'addgroup --system' "$tmp/dkms-control/postinst" ||
		fail "ksmdev-dkms's postinst does not create the group ksmdev"
	grep -q 'common.postinst' "$tmp/dkms-control/postinst" ||
		fail "ksmdev-dkms's postinst does not build the module with DKMS"
	grep -q 'dkms remove' "$tmp/dkms-control/prerm" ||
		fail "ksmdev-dkms's prerm does not remove the module from DKMS"
	dpkg-deb -f "$f" Depends | grep -q 'dkms' ||
		fail "ksmdev-dkms does not depend on dkms: $(dpkg-deb -f "$f" Depends)"
fi

for f in "$tmp"/*.deb; do
	say "built $(basename "$f") ($(du -k "$f" | cut -f1) KiB)"
done

# ------------------------------------------------------------ lintian

t0=$(date +%s)
lrc=0
lintian --fail-on error --tag-display-limit 0 "$changes" >"$tmp/lintian.log" 2>&1 || lrc=$?
grep -v 'running with root privileges' "$tmp/lintian.log" | sed 's/^/deb-check: lintian: /'
nerr=$(grep -c '^E: ' "$tmp/lintian.log" || true)
nwarn=$(grep -c '^W: ' "$tmp/lintian.log" || true)
say "lintian: $nerr error(s), $nwarn warning(s) ($(($(date +%s) - t0))s)"
if [ "$lrc" != 0 ] || [ "$nerr" != 0 ]; then
	fail "lintian reports errors (exit $lrc)"
fi

[ $failures = 0 ] || die "$failures check(s) failed"
[ -n "$install" ] || { say ok; exit 0; }

# ------------------------------------------------------------ install

[ "$(id -u)" = 0 ] || die "--install needs root (mount namespace, overlay, chroot)"
abis=
for s in $kernels; do
	abis="$abis $(cat "$cache/kernels/$s.abi" 2>/dev/null)" ||
		die "kernel $s is not set up (no $cache/kernels/$s.abi); run tools/rig/setup.sh"
done

# Runs in the chroot, as root of the copy.
cat >"$tmp/in-root.sh" <<'EOS'
set -u
version=$1 ma=$2; shift 2
abis=$*
export DEBIAN_FRONTEND=noninteractive PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
n=0
bad() { echo "FAIL: $*"; n=$((n + 1)); }
step() { echo "== $*"; }

step apt-get install
apt-get install -y --no-install-recommends /tmp/debs/*.deb >/tmp/apt.log 2>&1 ||
	{ cat /tmp/apt.log; echo "FAIL: apt-get install"; exit 1; }
sed -n '/Setting up ksmdev-dkms/,$p' /tmp/apt.log | grep -v '^readelf: Warning'
getent group ksmdev >/dev/null || bad "postinst did not create the group ksmdev"
[ -n "$(dkms status -m ksmdev -v "$version" 2>/dev/null)" ] ||
	bad "the postinst did not add ksmdev/$version to DKMS"
for abi in $abis; do
	dkms status -m ksmdev -v "$version" -k "$abi" 2>/dev/null | grep -q ': installed' ||
		dkms install ksmdev/"$version" -k "$abi" >/tmp/dkms-"$abi".log 2>&1 ||
		{ tail -n 30 /tmp/dkms-"$abi".log; bad "dkms install ksmdev/$version -k $abi"; }
	ko=$(ls /lib/modules/"$abi"/updates/dkms/ksmdev.ko* 2>/dev/null | head -n 1)
	if [ -z "$ko" ]; then
		bad "no /lib/modules/$abi/updates/dkms/ksmdev.ko*"
	else
		[ "$(modinfo -F vermagic "$ko" | cut -d' ' -f1)" = "$abi" ] || bad "$ko: wrong vermagic"
		modinfo -k "$abi" -F filename ksmdev | grep -q updates/dkms ||
			bad "modprobe would not find ksmdev for $abi (depmod?)"
		echo "module for $abi: $ko"
	fi
done
grep -qx ksmdev /etc/modules-load.d/ksmdev.conf || bad "modules-load.d does not name ksmdev"
grep -q 'GROUP="ksmdev"' /lib/udev/rules.d/60-ksmdev.rules || bad "udev rule: no GROUP=ksmdev"

step tools and library from the system paths
ksmctl --version || bad "ksmctl --version"
ldd /usr/sbin/ksmctl | grep -q "libksmdev.so.1 => /.*/$ma/libksmdev.so.1" ||
	bad "ksmctl does not find libksmdev.so.1 in the system: $(ldd /usr/sbin/ksmctl | grep ksmdev)"
if readelf -d /usr/sbin/ksmctl | grep -Eq 'RPATH|RUNPATH'; then bad "ksmctl has an RPATH"; fi
flags=$(pkg-config --cflags --libs libksmdev) || bad "pkg-config libksmdev"
# shellcheck disable=SC2086
cc -Wall -o /tmp/example /tmp/ksmdev-example.c $flags || bad "example does not build with pkg-config"
ldd /tmp/example | grep -q "libksmdev.so.1 => /.*/$ma/libksmdev.so.1" || bad "example: $(ldd /tmp/example)"
# shellcheck disable=SC2086
cc -static -o /tmp/example-static /tmp/ksmdev-example.c $(pkg-config --static --cflags --libs libksmdev) ||
	bad "example does not link statically"
# Without /dev/ksm here the shim only says, when asked, that it is idle.
out=$(KSMDEV_PRELOAD_DEBUG=1 ksmdev-run true 2>&1) || bad "ksmdev-run true failed: $out"
case "$out" in
*"ksmdev-preload["*) ;;
*) bad "ksmdev-run did not preload the shim: $out" ;;
esac
case "$out" in *ld.so*) bad "ksmdev-run: $out" ;; esac
for page in ksmctl.8 ksmdev.7 ksmdev_open.3; do
	man -w "${page%.*}" >/dev/null 2>&1 || bad "no man page ${page%.*}"
done

step apt-get purge
apt-get purge -y ksmdev-dkms ksmdev-tools libksmdev-dev libksmdev1 >/tmp/purge.log 2>&1 ||
	{ cat /tmp/purge.log; bad "apt-get purge"; }
[ -z "$(dkms status -m ksmdev 2>/dev/null)" ] || bad "DKMS still has ksmdev: $(dkms status -m ksmdev)"
left=$(find /lib/modules /usr/src /etc /lib/udev /usr/lib /usr/include /usr/bin /usr/sbin \
	/usr/share/man /var/lib/dkms -name '*ksmdev*' 2>/dev/null)
[ -z "$left" ] || bad "left after purge: $left"
[ $n = 0 ] && echo "install check: ok"
exit $((n != 0))
EOS

# Runs in the private mount namespace.
cat >"$tmp/in-ns.sh" <<'EOS'
set -eu
tmp=$1; shift
r=$tmp/ovl/root
mount -t tmpfs tmpfs "$tmp/ovl"
mkdir "$tmp/ovl/upper" "$tmp/ovl/work" "$r"
mount -t overlay overlay -o "lowerdir=/,upperdir=$tmp/ovl/upper,workdir=$tmp/ovl/work" "$r"
mount -t proc proc "$r/proc"
mount --rbind /sys "$r/sys"
mount --rbind /dev "$r/dev"
mount -t tmpfs tmpfs "$r/run"
mount -t tmpfs tmpfs "$r/tmp"
mkdir "$r/tmp/debs"
for f in "$tmp"/*.deb; do
	case "$f" in *-dbgsym_*) ;; *) cp "$f" "$r/tmp/debs/" ;; esac
done
cp "$tmp/in-root.sh" "$tmp/ksmdev/examples/ksmdev-example.c" "$r/tmp/"
exec chroot "$r" /bin/sh /tmp/in-root.sh "$@"
EOS

mkdir "$tmp/ovl"
t0=$(date +%s)
# shellcheck disable=SC2086 # $abis is a list
if unshare --mount --propagation private /bin/sh "$tmp/in-ns.sh" "$tmp" "$version" "$ma" $abis \
	>"$tmp/install.log" 2>&1; then
	sed 's/^/deb-check: install: /' "$tmp/install.log"
	say "install, use, purge in a copy of / : ok ($(($(date +%s) - t0))s)"
else
	sed 's/^/deb-check: install: /' "$tmp/install.log" >&2
	die "install, use, purge in a copy of /"
fi
say ok
