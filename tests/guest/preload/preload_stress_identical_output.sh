#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# preload_stress_identical_output.sh - the shim never changes what a
# program computes.  malloc-stress (4 threads, every allocation function,
# mmap/mremap/munmap including partial unmaps, blocks verified before
# each free, move and rewrite, a checksum of all it read) prints the same
# bytes with and without the shim, and exits 0 both times.  The shimmed
# run has the scanner running flat out and waits halfway until its live
# blocks merged (pages_merged above 0, within 120 s times KTEST_SLOW)
# before the second half frees, moves and writes them.  It runs with
# KSMDEV_PRELOAD_DEBUG=1: no registration and no unregistration may fail
# (no overlap, no unknown region), and when it has exited no region is
# left.

set -u
. "${KTEST_TOP:?KTEST_TOP is not set}/tests/guest/preload/helpers/lib.sh"

need "$stress"
kp_init preload_stress_identical_output

args="-t 4 -n ${KP_STRESS_OPS:-600}"

info "== without the shim: malloc-stress $args"
"$stress" $args >"$tmp/plain.out" 2>"$tmp/plain.err"
rc=$?
[ $rc = 0 ] || fail "without the shim: exit $rc: $(cat "$tmp/plain.out" "$tmp/plain.err")"
cat "$tmp/plain.out"

info "== with the shim, scanner flat out"
"$helper" start 100000 0 || fail "cannot start the scanner"
LD_PRELOAD="$shim" KSMDEV_PRELOAD_DEBUG=1 "$stress" $args -w "$tmp/go" \
	>"$tmp/shim.out" 2>"$tmp/shim.err" &
stressed=$!
kp_pids=$stressed
# Halfway it makes $tmp/go.halfway and waits for $tmp/go: let it go on
# once it is there and something merged.
i=0 limit=$((1200 * ${KTEST_SLOW:-1}))
while :; do
	read -r merged <"$sysfs/pages_merged"
	[ "$merged" -gt 0 ] && [ -e "$tmp/go.halfway" ] && break
	kill -0 "$stressed" 2>/dev/null || break
	i=$((i + 1))
	[ $i -ge $limit ] && { : >"$tmp/go"; fail "nothing merged while the shimmed program ran"; }
	sleep 0.1
done
: >"$tmp/go"
wait "$stressed"
rc=$?
kp_pids=
[ -e "$tmp/go.halfway" ] || fail "with the shim: it never got halfway (exit $rc)"
info "pages_merged $merged halfway"
"$helper" stop
[ $rc = 0 ] || fail "with the shim: exit $rc: $(cat "$tmp/shim.out"; grep -v '^ksmdev-preload' "$tmp/shim.err")"
cmp -s "$tmp/plain.out" "$tmp/shim.out" || fail "output differs with the shim:
$(diff "$tmp/plain.out" "$tmp/shim.out")"
info "output identical"

other=$(grep -v '^ksmdev-preload\[' "$tmp/shim.err")
[ -z "$other" ] || fail "stderr with the shim: $other"
bad=$(failed_lines "$tmp/shim.err")
[ -z "$bad" ] || fail "failed (un)registrations:
$(echo "$bad" | head -n 20)"
awk '$2 == "register" || $2 == "unregister" { n[$3 " " $2]++ }
	END { split("brk arena mmap-chunk mmap", k, " ")
	      for (i = 1; i <= 4; i++)
		printf "%s: %d registrations, %d unregistrations\n", k[i],
		       n[k[i] " register"], n[k[i] " unregister"] }' "$tmp/shim.err" >"$tmp/counts"
info "$(cat "$tmp/counts")"
for k in arena mmap-chunk mmap; do
	grep -q "^$k: [1-9]" "$tmp/counts" || fail "no $k registered"
done

sysval regions
[ "$v" = 0 ] || fail "$v regions left after the program exited"
echo "PASS"
exit 0
