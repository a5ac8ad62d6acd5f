#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# preload_no_device.sh - without a usable device the shim does nothing
# and says nothing.  KSMDEV_DEVICE=/nonexistent (no such file) and
# KSMDEV_DEVICE=/dev/null (not a ksmdev device): malloc-stress, python3
# and sh under the shim write nothing to stderr, exit 0 and print what
# they print without the shim; no area is ever created.

set -u
. "${KTEST_TOP:?KTEST_TOP is not set}/tests/guest/preload/helpers/lib.sh"

need "$stress"
kp_init preload_no_device

# compare NAME CMD...: the same stdout, empty stderr and exit 0, with and
# without the shim pointed at $dev.
compare() {
	name=$1
	shift
	"$@" >"$tmp/$name.plain" 2>"$tmp/$name.plain.err"
	rc=$?
	[ $rc = 0 ] || fail "$name without the shim: exit $rc: $(cat "$tmp/$name.plain.err")"
	env LD_PRELOAD="$shim" KSMDEV_DEVICE="$dev" "$@" >"$tmp/$name.shim" 2>"$tmp/$name.shim.err"
	rc=$?
	[ $rc = 0 ] || fail "$name with the shim (KSMDEV_DEVICE=$dev): exit $rc: $(cat "$tmp/$name.shim.err")"
	[ ! -s "$tmp/$name.shim.err" ] ||
		fail "$name with the shim (KSMDEV_DEVICE=$dev) wrote to stderr: $(cat "$tmp/$name.shim.err")"
	cmp -s "$tmp/$name.plain" "$tmp/$name.shim" ||
		fail "$name output differs with the shim (KSMDEV_DEVICE=$dev):
$(diff "$tmp/$name.plain" "$tmp/$name.shim")"
	info "$name with KSMDEV_DEVICE=$dev: same output, empty stderr, exit 0"
}

for dev in /nonexistent /dev/null; do
	compare stress "$stress" -t 1 -n 300
	if command -v python3 >/dev/null; then
		compare python python3 -c 'd = {i: str(i) * 20 for i in range(20000)}; print(len(d), sum(map(len, d.values())))'
	fi
	compare sh sh -c 'x=$(seq 1000 | tr "\n" " "); echo ${#x}'
done

"$helper" areas >"$tmp/areas"
[ ! -s "$tmp/areas" ] || fail "areas were created: $(cat "$tmp/areas")"
sysval regions
[ "$v" = 0 ] || fail "regions=$v"
echo "PASS"
exit 0
