#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# installed_layout.sh - ksmdev as `make install` lays it out, used from
# there and from nowhere else.
#
# Installs into a staging root (DESTDIR=/tmp/..., PREFIX=/usr) with the
# Makefile's install targets: install-lib, install-ksmctl, install-preload,
# install-conf, install-dkms.  Then, with only PATH, LD_LIBRARY_PATH,
# PKG_CONFIG_SYSROOT_DIR/PKG_CONFIG_LIBDIR and KSMDEV_PRELOAD_LIB pointing
# into the staging root (never into the tree):
#   module   the driver as installed: $KTEST_KO copied to
#            lib/modules/<uname -r>/updates/ksmdev.ko, depmod on the staging
#            root, then loaded the way systemd-modules-load does, by the
#            names in the installed modules-load.d file, with modprobe -d
#            and the installed modprobe.d; the options line of that file,
#            uncommented, loads too and sets every parameter it names; and
#            it names every parameter the module has, and no other
#   ksmctl   status and info (info's numbers are the driver's sysfs ones),
#            linked against the installed libksmdev.so.1, with no RPATH
#   library  the example built through the installed libksmdev.pc against
#            the installed headers, run against the installed library:
#            four identical 4 MiB buffers merge
#   preload  python3 under the installed ksmdev-run, with the installed shim
#            mapped: its identical buffers merge
# and `make uninstall uninstall-dkms` removes everything installed.
#
# A part whose artifacts are not built yet (ksmctl, the shim) or whose
# install target does not exist yet is skipped with a message; the library
# part must pass.  Leaves ksmdev loaded.  Exit 0 pass, 1 fail, 77 skip.

set -u
# shellcheck source=../helpers/staging.sh
. "${KTEST_TOP:?KTEST_TOP is not set}/tests/guest/helpers/staging.sh"

ko=${KTEST_KO:?KTEST_KO is not set}
prefix=/usr
libdir=$prefix/lib
work=/tmp/installed_layout
inst=$work/root
kver=$(uname -r)
sysfs=/sys/kernel/mm/ksmdev

skipped=
t0=$(date +%s)
section() {
	echo "== $* [$(($(date +%s) - t0))s]"
}
oneline() {		# oneline <text>: its lines joined by spaces
	echo "$1" | tr '\n' ' ' | sed 's/ $//'
}
skip_part() {		# skip_part <part> <why>
	echo "SKIP part $1: $2"
	skipped="$skipped $1"
}

need_tools make cc pkg-config depmod modprobe rmmod insmod readelf ldd

pids=
# shellcheck disable=SC2317 # invoked by the trap
cleanup() {
	for p in $pids; do
		kill -9 "$p" 2>/dev/null
	done
	wait 2>/dev/null
	grep -q '^ksmdev ' /proc/modules || insmod "$ko" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 1' INT TERM

rm -rf "$work"
mkdir -p "$work" || die "cannot create $work"

# ------------------------------------------------------------ install

section install

need_built_lib "$prefix"

# mk <target...>: make in the tree, installing into the staging root; the
# output is in $work/make.log.
mk() {
	make -s -C "$top" "$@" DESTDIR="$inst" PREFIX="$prefix" LIBDIR="$libdir" \
		>"$work/make.log" 2>&1
}
no_target() {		# no_target <target>: make knows no such target
	grep -q "No rule to make target '$1'" "$work/make.log"
}

# install_part <part> <target> <needed file>...: 0 if installed; 1 when
# skipped (a file not built yet, no such target yet) or failed.
install_part() {
	part=$1 target=$2
	shift 2
	for f; do
		[ -e "$top/$f" ] || { skip_part "$part" "no $f (not built or not written yet)"; return 1; }
	done
	mk "$target" && return 0
	if no_target "$target"; then
		skip_part "$part" "the Makefile has no '$target' target yet"
	else
		cat "$work/make.log" >&2
		fail "make $target DESTDIR=$inst PREFIX=$prefix failed"
	fi
	return 1
}

# Everything at once when it is all there (make is slow in the guest);
# otherwise part by part, to tell what is missing.
if mk install install-dkms; then
	have_ksmctl=1 have_preload=1 have_conf=1 have_dkms=1
else
	rm -rf "$inst"
	have_ksmctl=0 have_preload=0 have_conf=0 have_dkms=0
	if ! mk install-lib; then
		no_target install-lib || { cat "$work/make.log" >&2; die "make install-lib failed"; }
		info "no install-lib target: installing with 'make install'"
		mk install || { cat "$work/make.log" >&2; die "make install failed"; }
		[ -x "$inst$prefix/sbin/ksmctl" ] && have_ksmctl=1
	fi
	[ $have_ksmctl = 1 ] ||
		{ install_part ksmctl install-ksmctl build/install/ksmctl && have_ksmctl=1; }
	install_part preload install-preload build/lib/libksmdev-preload.so tools/ksmdev-run &&
		have_preload=1
	install_part conf install-conf udev/60-ksmdev.rules && have_conf=1
	install_part dkms install-dkms dkms.conf && have_dkms=1
fi

info "installed:"
(cd "$inst" && find . ! -type d | sort | sed 's/^\./    /')

# Nothing below may reach into the tree.
case "$inst" in "$top"/*) die "the staging root is inside the tree" ;; esac
export PATH="$inst$prefix/sbin:$inst$prefix/bin:$PATH"
export LD_LIBRARY_PATH="$inst$libdir"

# ------------------------------------------------------------ module

section module

if [ $have_dkms = 1 ]; then
	src=$inst/usr/src/ksmdev-$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$top/dkms.conf")
	for f in dkms.conf driver/Kbuild driver/main.c include/uapi/linux/ksmdev.h; do
		[ -f "$src/$f" ] || fail "install-dkms did not install $src/$f"
	done
fi

moddir=$inst/lib/modules/$kver/updates
install -D -m 644 "$ko" "$moddir/ksmdev.ko" || die "cannot copy $ko to $moddir"
depmod -b "$inst" "$kver" 2>"$work/depmod.err" || {
	cat "$work/depmod.err" >&2
	die "depmod -b $inst $kver failed"
}
confdir=$inst/etc/modprobe.d
if [ $have_conf = 0 ]; then
	confdir=$work/no-modprobe.d
	mkdir -p "$confdir"
fi
modprobe_inst() {
	modprobe -d "$inst" -C "$1" "$2"
}

# The module guest-run.sh loaded goes; the installed one comes.
i=0
while grep -q '^ksmdev ' /proc/modules; do
	rmmod ksmdev 2>/dev/null && break
	i=$((i + 1))
	[ $i -ge 50 ] && die "rmmod ksmdev failed"
	sleep 0.1
done

# As systemd-modules-load: each module name in the installed file.
loadfile=$inst/etc/modules-load.d/ksmdev.conf
if [ $have_dkms = 1 ]; then
	names=$(sed -e 's/[#;].*//' -e 's/[[:space:]]//g' "$loadfile" | grep -v '^$')
	[ "$names" = ksmdev ] || fail "$loadfile names '$names', expected ksmdev"
else
	names=ksmdev
fi
where=$(modprobe -d "$inst" -C "$confdir" --show-depends ksmdev 2>/dev/null | awk '{ print $2 }')
[ "$where" = "$moddir/ksmdev.ko" ] ||
	fail "modprobe -d $inst finds ksmdev at '$where', expected $moddir/ksmdev.ko"
for n in $names; do
	modprobe_inst "$confdir" "$n" || die "modprobe -d $inst -C $confdir $n failed"
done
[ -c /dev/ksm ] || die "/dev/ksm did not appear after loading the installed module"
info "loaded $moddir/ksmdev.ko with modprobe (options from $confdir)"

# The installed modprobe.d file describes every parameter of the module
# ("# name=..."), sets none, and its commented-out options line names
# only parameters the module has; loaded with that line, each parameter
# has the value the line gives.
if [ $have_conf = 1 ]; then
	params=$(modinfo -F parm "$moddir/ksmdev.ko" | cut -d: -f1 | sort)
	described=$(sed -n 's/^#[[:space:]]\{1,\}\([a-z_]*\)=.*/\1/p' "$confdir/ksmdev.conf" | sort)
	if [ "$described" = "$params" ]; then
		info "module parameters, all described in modprobe.d: $(oneline "$params")"
	else
		fail "$confdir/ksmdev.conf describes '$(oneline "$described")'," \
			"the module has '$(oneline "$params")'"
	fi
	grep -q '^[^#]' "$confdir/ksmdev.conf" && fail "$confdir/ksmdev.conf sets something"
	line=$(sed -n 's/^#[[:space:]]*\(options[[:space:]]\{1,\}ksmdev[[:space:]].*\)/\1/p' \
		"$confdir/ksmdev.conf")
	[ -n "$line" ] || fail "$confdir/ksmdev.conf has no '#options ksmdev ...' line"
	for p in $(echo "$line" | tr ' ' '\n' | sed -n 's/=.*//p'); do
		echo "$params" | grep -qx "$p" || fail "the options line names $p, which ksmdev does not have"
	done

	mkdir -p "$work/options.d"
	echo "$line" >"$work/options.d/ksmdev.conf"
	rmmod ksmdev || die "rmmod ksmdev failed"
	modprobe_inst "$work/options.d" ksmdev || die "modprobe with the options line failed"
	for kv in $(echo "$line" | cut -d' ' -f3-); do
		p=${kv%%=*} want=${kv#*=}
		got=$(cat "/sys/module/ksmdev/parameters/$p" 2>/dev/null)
		case "$p:$want:$got" in
		*:0:N | *:1:Y) ;;
		max_kernel_pages:0:*)
			# 0 stands for a quarter of RAM, which the module writes back.
			quarter=$(awk -v ps="$(getconf PAGESIZE)" \
				'$1 == "MemTotal:" { print int($2 * 1024 / ps / 4) }' /proc/meminfo)
			if [ "$got" -lt $((quarter - 1)) ] || [ "$got" -gt $((quarter + 1)) ]; then
				fail "max_kernel_pages=0 gives '$got', not a quarter of RAM ($quarter pages)"
			fi ;;
		max_user_pages:0:*)
			# 0 stands for a quarter of max_kernel_pages.
			cap=$(cat /sys/module/ksmdev/parameters/max_kernel_pages)
			[ "$got" = $((cap / 4)) ] ||
				fail "max_user_pages=0 gives '$got', not a quarter of max_kernel_pages ($cap)" ;;
		*) [ "$want" = "$got" ] || fail "parameter $p is '$got' after loading with $p=$want" ;;
		esac
	done
	rmmod ksmdev || die "rmmod ksmdev failed"
	modprobe_inst "$confdir" ksmdev || die "reloading the installed module failed"
	grep -q 'GROUP="ksmdev"' "$inst/lib/udev/rules.d/60-ksmdev.rules" ||
		fail "the installed udev rule does not give /dev/ksm to the group ksmdev"
fi

# ------------------------------------------------------------ ksmctl

section ksmctl

# elf_from_staging <file>: it finds libksmdev.so.1 in the staging root, and
# has no RPATH/RUNPATH.
elf_from_staging() {
	resolved=$(ldd "$1" | awk '$1 == "libksmdev.so.1" { print $3 }')
	[ "$resolved" = "$inst$libdir/libksmdev.so.1" ] ||
		fail "$1: libksmdev.so.1 resolves to '$resolved', expected $inst$libdir/libksmdev.so.1"
	expect_no_rpath "$1"
}

if [ $have_ksmctl = 1 ]; then
	ksmctl=$(command -v ksmctl)
	[ "$ksmctl" = "$inst$prefix/sbin/ksmctl" ] || fail "ksmctl is '$ksmctl', not the installed one"
	elf_from_staging "$ksmctl"
	ksmctl status >"$work/status.out" 2>&1 || fail "ksmctl status exited with $?"
	sed 's/^/    ksmctl status: /' "$work/status.out"
	ksmctl info >"$work/info.out" 2>&1 || fail "ksmctl info exited with $?"
	sed 's/^/    ksmctl info: /' "$work/info.out"
	read -r want_run <"$sysfs/run"
	read -r want_npages <"$sysfs/pages_to_scan"
	read -r want_sleep <"$sysfs/sleep_usecs"
	want="flags $want_run, pages_to_scan $want_npages, sleep_time $want_sleep"
	grep -qx "$want" "$work/info.out" || fail "ksmctl info does not say '$want' as sysfs does"
fi

# ------------------------------------------------------------ library

section library

pcdir=$inst$libdir/pkgconfig
flags=$(PKG_CONFIG_SYSROOT_DIR="$inst" PKG_CONFIG_LIBDIR="$pcdir" PKG_CONFIG_PATH='' \
	pkg-config --cflags --libs libksmdev) || die "pkg-config finds no libksmdev in $pcdir"
info "pkg-config --cflags --libs libksmdev: $flags"
exe=$work/ksmdev-example
# shellcheck disable=SC2086 # $flags is a list of words
cc -O2 -Wall -MD -MF "$work/example.d" -o "$exe" "$top/examples/ksmdev-example.c" $flags \
	>"$work/cc.log" 2>&1 || {
	cat "$work/cc.log" >&2
	die "cannot build the example with the installed library"
}
hdrs=$(tr ' ' '\n' <"$work/example.d" | grep 'ksmdev\.h$' | sort -u)
[ "$(echo "$hdrs" | grep -c "^$inst$prefix/include/")" = 2 ] ||
	fail "the example's ksmdev headers are not the installed ones: $(oneline "$hdrs")"
elf_from_staging "$exe"
"$exe" 4 4 >"$work/example.out" 2>&1 || fail "ksmdev-example exited with $?"
sed 's/^/    example: /' "$work/example.out"
line=$(grep 'pages_sharing=' "$work/example.out" | tail -n 1)
sharing=$(echo "$line" | tr ' ' '\n' | sed -n 's/^pages_sharing=\([0-9]*\)$/\1/p')
want=$((3 * 4 * 1048576 / $(getconf PAGESIZE)))
[ "${sharing:-0}" -ge $want ] ||
	fail "the example merged pages_sharing=${sharing:-?}, expected at least $want"

# ------------------------------------------------------------ preload

section preload

if [ $have_preload = 1 ] && ! command -v python3 >/dev/null 2>&1; then
	skip_part preload "no python3"
	have_preload=0
fi
if [ $have_preload = 1 ]; then
	shim=$(find "$inst" -name libksmdev-preload.so | head -n 1)
	[ -n "$shim" ] || fail "install-preload installed no libksmdev-preload.so"
	[ "$(command -v ksmdev-run)" = "$inst$prefix/bin/ksmdev-run" ] ||
		fail "ksmdev-run is '$(command -v ksmdev-run)', not the installed one"
	export KSMDEV_PRELOAD_LIB="$shim"
	# The example left the scanner running; ksmctl says so again if it can.
	[ $have_ksmctl = 1 ] && { ksmctl start 20000 1000 >/dev/null || fail "ksmctl start failed"; }
	# Four copies (and the original) of 8 MiB whose pages differ from each
	# other: at least three copies' worth is saved.  The program reports
	# what it saw.
	KSMDEV_PRELOAD_DEBUG=1 timeout 150 ksmdev-run python3 - "$sysfs" >"$work/preload.out" \
		2>"$work/preload.err" <<'EOF'
import sys, time
sysfs = sys.argv[1]
def stat(name):
    with open(f"{sysfs}/{name}") as f:
        return int(f.read())
shim = [l.split()[-1] for l in open("/proc/self/maps") if "libksmdev-preload" in l]
print("shim mapped from:", shim[0] if shim else "nothing")
npages = 2048
base = stat("pages_sharing")
data = b"".join(b"%-16d" % i * 256 for i in range(npages))
bufs = [bytearray(data) for _ in range(4)]
want = 3 * npages
t0 = time.time()
while stat("pages_sharing") - base < want and time.time() - t0 < 120:
    time.sleep(0.5)
got = stat("pages_sharing") - base
print(f"pages_sharing grew by {got} in {time.time() - t0:.1f}s (want {want})")
assert all(b == data for b in bufs), "a buffer changed"
sys.exit(0 if got >= want else 1)
EOF
	rc=$?
	sed 's/^/    preload: /' "$work/preload.out"
	grep -c 'register' "$work/preload.err" | sed 's/^/    preload: debug lines with "register": /'
	grep -q "^shim mapped from: $shim\$" "$work/preload.out" ||
		fail "ksmdev-run did not preload $shim (does it honour KSMDEV_PRELOAD_LIB?)"
	[ $rc = 0 ] || {
		tail -n 20 "$work/preload.err" >&2
		fail "python3 under ksmdev-run did not merge (exit $rc)"
	}
	[ $have_ksmctl = 1 ] && ksmctl stop >/dev/null
fi

# ------------------------------------------------------------ uninstall

section uninstall

rm -rf "$inst/lib/modules"
targets=uninstall
[ $have_dkms = 1 ] && targets="$targets uninstall-dkms"
# shellcheck disable=SC2086
mk $targets || { cat "$work/make.log" >&2; fail "make $targets failed"; }
left=$(find "$inst" ! -type d)
[ -z "$left" ] || fail "make $targets left files behind:
$left"

[ -n "$skipped" ] && info "parts skipped:$skipped"
finish "$work"
