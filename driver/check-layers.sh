#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# check-layers.sh - check that the driver's files form the layers that
# ksmdev.h lists: each file uses (calls, or reads and writes variables of)
# only files listed before it, so no two files call each other.
#
# Usage: driver/check-layers.sh [DIR]
#
# DIR holds the object files of a build (default: the directory of this
# script, after `make module`); the order is read from the "Layering"
# block of ksmdev.h next to this script.  The references are taken from
# the objects themselves (nm: what each file leaves undefined and another
# defines), so inlined helpers of ksmdev.h and compat.h do not count, and
# every real call or variable access does.  -v prints every reference.
# NM overrides the nm program.  Exit status: 0 layered, 1 a reference goes
# up or sideways, 2 usage or build error.

here=$(cd "$(dirname "$0")" && pwd)
verbose=
[ "$1" = -v ] && { verbose=1; shift; }
dir=${1:-$here}
nm=${NM:-nm}

order=$(sed -n '/^ \* Layering/,/^ \*$/p' "$here/ksmdev.h" |
	sed -n 's/^ \*   *\([a-z0-9_]*\)\.c\( .*\)*$/\1/p')
if [ -z "$order" ]; then
	echo "$0: no Layering block in $here/ksmdev.h" >&2
	exit 2
fi

tmp=$(mktemp) || exit 2
trap 'rm -f "$tmp"' EXIT
rank=0
for f in $order; do
	o=$dir/$f.o
	if [ ! -f "$o" ]; then
		echo "$0: $o missing (build the module first)" >&2
		exit 2
	fi
	rank=$((rank + 1))
	"$nm" "$o" | awk -v f="$f" -v r="$rank" '
		$1 == "U" { print "use", f, r, $2; next }
		NF == 3 && $2 ~ /^[TDBR]$/ { print "def", f, r, $3, $2 }' >>"$tmp" || exit 2
done
# Every object of the module must be in the list.
for o in "$dir"/*.o; do
	b=$(basename "$o" .o)
	case $b in ksmdev|*.mod) continue ;; esac
	printf '%s\n' $order | grep -qx "$b" || {
		echo "$0: $b.c is not in the Layering block of ksmdev.h" >&2
		exit 2
	}
done

awk -v verbose="$verbose" '
NR == FNR {
	if ($1 == "def") {
		file[$4] = $2; rank[$4] = $3; kind[$4] = ($5 == "T") ? "calls" : "uses"
	}
	next
}
$1 == "use" && ($4 in file) {
	what = kind[$4] == "calls" ? $4 "()" : "the variable " $4
	if (verbose)
		print "  " $2 ".c " kind[$4] " " what " of " file[$4] ".c"
	if ($3 <= rank[$4]) {
		print "up: " $2 ".c " kind[$4] " " what " of " file[$4] ".c"
		bad = 1
	}
	if (!(($2, file[$4]) in seen)) {
		seen[$2, file[$4]] = 1
		dep[$2] = dep[$2] " " file[$4] ".c"
	}
}
END {
	for (f in dep)
		print "  " f ".c uses" dep[f] | "sort"
	close("sort")
	exit bad
}' "$tmp" "$tmp"
rc=$?
if [ $rc -eq 0 ]; then
	echo "layers ok, bottom up:" $order
else
	echo "layers broken: the files above do not keep the order of ksmdev.h:" $order
fi
exit $rc
