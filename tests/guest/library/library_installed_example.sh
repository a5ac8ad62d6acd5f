#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# library_installed_example.sh - libksmdev as a user gets it: `make install`
# into a staging root, pkg-config against that root, the example built with
# those flags only, run against the installed shared object, and merging 4
# identical 4 MiB buffers as the example reports it.  Also: the installed
# file list, the exported symbols and their version, the SONAME, and that
# `make uninstall` removes every installed file.
#
# Runs in the guest, where the tree ($KTEST_TOP) is read-only: the install
# target only copies what `make lib` built on the host (it fails if the
# library is out of date, rather than rebuild in the tree).  Everything this
# test writes goes to /tmp.  Exit 0 pass, 1 fail, 77 skip.

set -u
# shellcheck source=../helpers/staging.sh
. "${KTEST_TOP:?KTEST_TOP is not set}/tests/guest/helpers/staging.sh"

inst=/tmp/inst
prefix=/usr
work=/tmp/library_installed_example
nbuf=4
mib=4

need_tools make pkg-config cc objdump nm ldd readelf install
[ -e /dev/ksm ] || die "/dev/ksm does not exist (module not loaded?)"

rm -rf "$inst" "$work"
mkdir -p "$work" || die "cannot create $work"

# The public functions, from the header's declarations (not its comments).
funcs=$(sed -n 's/^[a-z_][a-z0-9_ ]*[ *]\(ksmdev_[a-z0-9_]*\)(.*/\1/p' \
	"$top/lib/include/ksmdev.h" | sort -u)
nfuncs=$(echo "$funcs" | wc -l)
[ "$nfuncs" -ge 10 ] || die "found only $nfuncs functions in lib/include/ksmdev.h"
info "public functions in ksmdev.h: $nfuncs"

# ------------------------------------------------------------ install

need_built_lib "$prefix"
make -s -C "$top" install DESTDIR="$inst" PREFIX="$prefix" >"$work/install.log" 2>&1 || {
	cat "$work/install.log" >&2
	die "make install DESTDIR=$inst PREFIX=$prefix failed"
}

lib=$inst$prefix/lib
inc=$inst$prefix/include
man=$inst$prefix/share/man
pcdir=$lib/pkgconfig

expect_file() {
	if [ ! -f "$1" ] || [ -L "$1" ]; then
		fail "not installed as a regular file: $1"
	fi
}
expect_link() {		# expect_link <path> <target>
	if [ ! -L "$1" ]; then
		fail "not installed as a symbolic link: $1"
	elif [ "$(readlink "$1")" != "$2" ]; then
		fail "$1 -> $(readlink "$1"), expected -> $2"
	fi
}

expect_file "$lib/libksmdev.so.1.0.0"
expect_link "$lib/libksmdev.so.1" libksmdev.so.1.0.0
expect_link "$lib/libksmdev.so" libksmdev.so.1
expect_file "$lib/libksmdev.a"
expect_file "$inc/ksmdev.h"
expect_file "$inc/linux/ksmdev.h"
expect_file "$pcdir/libksmdev.pc"
expect_file "$man/man7/ksmdev.7"
cmp -s "$inc/ksmdev.h" "$top/lib/include/ksmdev.h" ||
	fail "installed ksmdev.h differs from lib/include/ksmdev.h"
cmp -s "$inc/linux/ksmdev.h" "$top/include/uapi/linux/ksmdev.h" ||
	fail "installed linux/ksmdev.h differs from include/uapi/linux/ksmdev.h"

# One man page per public function, and none for anything else.
for f in $funcs; do
	expect_file "$man/man3/$f.3"
done
for p in "$man"/man3/*.3; do
	[ -e "$p" ] || continue
	name=$(basename "$p" .3)
	echo "$funcs" | grep -qx "$name" || fail "man page for no public function: $p"
done

# ------------------------------------------------------------ shared object

so=$lib/libksmdev.so.1.0.0
soname=$(objdump -p "$so" | awk '$1 == "SONAME" { print $2 }')
[ "$soname" = libksmdev.so.1 ] || fail "SONAME is '$soname', expected libksmdev.so.1"

# Defined global dynamic symbols: "addr g DF .text size VERSION name".
objdump -T "$so" >"$work/dynsym.txt" || fail "objdump -T $so failed"
awk '$2 == "g" && $4 != "*UND*" && $4 != "*ABS*" { print $NF, $(NF - 1) }' \
	"$work/dynsym.txt" | sort >"$work/exported.txt"
# Each function at the version node the map file gives it; the map must
# name exactly the header's functions.
awk '/^LIBKSMDEV_[0-9.]+ *[{]/ { v = $1 }
     /^[ \t]+[a-z_0-9]+;/ { gsub(/[ \t;]/, ""); print $0, v }' \
	"$KTEST_TOP/lib/libksmdev.map" | sort >"$work/expected.txt"
for f in $funcs; do echo "$f"; done | sort >"$work/header.txt"
# Every exported function is declared in the header (the header also has
# static inline wrappers, which are not exported).
cut -d' ' -f1 "$work/expected.txt" | sort | comm -23 - "$work/header.txt" >"$work/undeclared.txt"
[ -s "$work/undeclared.txt" ] &&
	fail "lib/libksmdev.map exports functions the header does not declare: $(cat "$work/undeclared.txt")"
if ! cmp -s "$work/exported.txt" "$work/expected.txt"; then
	fail "exported symbols (name version) differ from the map file's:"
	diff "$work/expected.txt" "$work/exported.txt" | sed 's/^/    /' >&2
fi
for v in $(cut -d' ' -f2 "$work/expected.txt" | sort -u); do
	grep -q "$v *$v\$" "$work/dynsym.txt" ||
		fail "no version definition $v in $so"
done

# The static library defines the same functions as the shared one.
nm -g --defined-only "$lib/libksmdev.a" 2>/dev/null |
	awk '$2 == "T" { print $3 }' | sort >"$work/static.txt"
cut -d' ' -f1 "$work/expected.txt" | sort >"$work/funcs.txt"
cmp -s "$work/static.txt" "$work/funcs.txt" || {
	fail "libksmdev.a does not define exactly the exported functions:"
	diff "$work/funcs.txt" "$work/static.txt" | sed 's/^/    /' >&2
}

# ------------------------------------------------------------ pkg-config

info "installed libksmdev.pc:"
sed 's/^/    /' "$pcdir/libksmdev.pc"
flags=$(PKG_CONFIG_SYSROOT_DIR="$inst" PKG_CONFIG_PATH="$pcdir" \
	PKG_CONFIG_LIBDIR="$pcdir" pkg-config --cflags --libs libksmdev) ||
	die "pkg-config --cflags --libs libksmdev found nothing in $pcdir"
info "pkg-config --cflags --libs libksmdev: $flags"
pc_ok=1
case " $flags " in
*" -lksmdev "*) ;;
*) fail "pkg-config flags lack -lksmdev"; pc_ok=0 ;;
esac
case " $flags " in
*" -I$inc "*) ;;
*) fail "pkg-config flags lack -I$inc (the .pc file names the wrong include dir)"; pc_ok=0 ;;
esac
case " $flags " in
*" -L$lib "*) ;;
*) fail "pkg-config flags lack -L$lib (the .pc file names the wrong lib dir)"; pc_ok=0 ;;
esac
if [ $pc_ok = 0 ]; then
	# Go on with the flags the .pc file should have given, to check the rest.
	flags="-I$inc -L$lib -lksmdev"
	info "continuing with: $flags"
fi

# ------------------------------------------------------------ build, link

exe=$work/ksmdev-example
# shellcheck disable=SC2086 # $flags is a list of words
cc -O2 -Wall -o "$exe" "$top/examples/ksmdev-example.c" $flags \
	>"$work/cc.log" 2>&1 || {
	cat "$work/cc.log" >&2
	die "cannot build the example with the installed library"
}
# The headers must come from the staging root, never from the tree.
# shellcheck disable=SC2086
cc -M "$top/examples/ksmdev-example.c" $flags 2>/dev/null | tr ' ' '\n' |
	grep 'ksmdev\.h$' | sort -u >"$work/headers.txt"
grep -qx "$inc/ksmdev.h" "$work/headers.txt" ||
	fail "the example did not include $inc/ksmdev.h: $(cat "$work/headers.txt")"
grep -qx "$inc/linux/ksmdev.h" "$work/headers.txt" ||
	fail "the example did not include $inc/linux/ksmdev.h: $(cat "$work/headers.txt")"
if grep -q "^$top/" "$work/headers.txt"; then
	fail "the example included headers from the tree: $(grep "^$top/" "$work/headers.txt")"
fi
expect_no_rpath "$exe"

resolved=$(LD_LIBRARY_PATH=$lib ldd "$exe" | awk '$1 == "libksmdev.so.1" { print $3 }')
info "libksmdev.so.1 => $resolved"
[ "$resolved" = "$lib/libksmdev.so.1" ] ||
	fail "libksmdev.so.1 resolves to '$resolved', expected $lib/libksmdev.so.1"
# Without the staging root on the path it must not be found anywhere else.
if ldd "$exe" | grep 'libksmdev\.so\.1' | grep -vq 'not found'; then
	fail "libksmdev.so.1 resolves without LD_LIBRARY_PATH: $(ldd "$exe" | grep libksmdev)"
fi

# ------------------------------------------------------------ run

LD_LIBRARY_PATH=$lib "$exe" "$nbuf" "$mib" >"$work/example.out" 2>&1
rc=$?
sed 's/^/    example: /' "$work/example.out"
[ $rc = 0 ] || fail "ksmdev-example exited with $rc"

line=$(grep 'saved_bytes=' "$work/example.out" | tail -n 1)
field() {
	echo "$line" | tr ' ' '\n' | sed -n "s/^$1=\([0-9][0-9]*\)\$/\1/p"
}
saved=$(field saved_bytes)
sharing=$(field pages_sharing)
shared=$(field pages_shared)
if [ -z "$saved" ] || [ -z "$sharing" ] || [ -z "$shared" ]; then
	fail "no 'pages_shared=N pages_sharing=M saved_bytes=B' line in the example's output"
else
	psize=$(getconf PAGESIZE)
	per_buf=$((mib * 1048576 / psize))
	want=$(((nbuf - 1) * per_buf))
	info "pages_shared=$shared pages_sharing=$sharing saved_bytes=$saved" \
		"(page size $psize, want pages_sharing >= $want)"
	[ "$saved" = $((sharing * psize)) ] ||
		fail "saved_bytes=$saved is not pages_sharing*$psize=$((sharing * psize))"
	[ "$sharing" -ge "$want" ] ||
		fail "pages_sharing=$sharing, expected at least $want ($nbuf identical buffers of $per_buf pages)"
	# Every page of a buffer differs from the others: one KSM page each.
	[ "$shared" = "$per_buf" ] ||
		fail "pages_shared=$shared, expected $per_buf (one per distinct page)"
fi

# ------------------------------------------------------------ uninstall

make -s -C "$top" uninstall DESTDIR="$inst" PREFIX="$prefix" >"$work/uninstall.log" 2>&1 || {
	cat "$work/uninstall.log" >&2
	fail "make uninstall DESTDIR=$inst PREFIX=$prefix failed"
}
left=$(find "$inst" ! -type d)
[ -z "$left" ] || fail "make uninstall left files behind:
$left"

finish "$inst" "$work"
