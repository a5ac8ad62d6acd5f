#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# preload_disable.sh - KSMDEV_PRELOAD_DISABLE=1 turns the shim off with
# /dev/ksm present: no area, no region, no output even with
# KSMDEV_PRELOAD_DEBUG=1, the program's data intact.  KSMDEV_PRELOAD_DISABLE=0
# leaves it on (an area with regions of the program's pid).

set -u
. "${KTEST_TOP:?KTEST_TOP is not set}/tests/guest/preload/helpers/lib.sh"

need "$builder"
kp_init preload_disable

# run NAME DISABLE: arena-builder (2 threads, 1 MiB lists) under the shim
# with KSMDEV_PRELOAD_DISABLE=DISABLE; areas of its pid in $tmp/NAME.areas.
run() {
	env LD_PRELOAD="$shim" KSMDEV_PRELOAD_DEBUG=1 KSMDEV_PRELOAD_DISABLE="$2" \
		"$builder" -t 2 -m 1 >"$tmp/$1" 2>"$tmp/$1.err" &
	pid=$!
	kp_pids=$pid
	wait_line "$tmp/$1" '^READY' 60 "$pid"
	"$helper" areas | grep "^pid=$pid " >"$tmp/$1.areas"
	kill -USR1 "$pid"
	wait "$pid" || fail "$1: exit $?: $(cat "$tmp/$1.err")"
	kp_pids=
	grep -q 'bad_nodes=0$' "$tmp/$1" || fail "$1: $(cat "$tmp/$1")"
}

run off 1
[ ! -s "$tmp/off.err" ] || fail "KSMDEV_PRELOAD_DISABLE=1: stderr: $(cat "$tmp/off.err")"
[ ! -s "$tmp/off.areas" ] || fail "KSMDEV_PRELOAD_DISABLE=1: area: $(cat "$tmp/off.areas")"
info "KSMDEV_PRELOAD_DISABLE=1: no area, no output"

run on 0
grep -q 'regions=[1-9]' "$tmp/on.areas" || fail "KSMDEV_PRELOAD_DISABLE=0: no area with regions"
grep -q '^ksmdev-preload\[[0-9]*\]: enabled' "$tmp/on.err" || fail "KSMDEV_PRELOAD_DISABLE=0: no debug log"
info "KSMDEV_PRELOAD_DISABLE=0: $(cat "$tmp/on.areas")"
echo "PASS"
exit 0
