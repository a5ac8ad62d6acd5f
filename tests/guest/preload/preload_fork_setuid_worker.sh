#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# preload_fork_setuid_worker.sh - a root parent under the shim forks two
# workers that become user 1000, as a server drops privileges in its
# workers: their memory goes to user 1000's merge domain, never to root's.
#
# arena-builder -f 1 -w 2 -u 1000 -e: the parent (root) builds a 1 MiB
# list, forks; worker0 changes user at once, worker1 first allocates a
# 1 MiB block (registered while it is still root) and then changes user;
# then the parent and both workers build the same 4 MiB list at the same
# addresses.  Checked:
#  - KSM_LIST_AREAS: each worker's area is uid 1000's, in domain
#    (1 << 63) | 1000 (user 1000's, as root sees it); the parent's is root's;
#  - worker0's shim made its area as user 1000 (fork child, first
#    allocation); worker1's saw the change of user and made its areas
#    again ("credentials changed"); no registration failed;
#  - with the scanner on, the workers' lists merge with each other (at
#    least half of each list's pages), while the parent's identical list
#    merges with nothing: its area has 0 pages merged;
#  - all three check and rewrite their data (and worker1 its early block).

set -u
. "${KTEST_TOP:?KTEST_TOP is not set}/tests/guest/preload/helpers/lib.sh"

need "$builder"
kp_init preload_fork_setuid_worker

mib=4
ppl=$((mib * 256))
want=$((ppl / 2))
uid=1000
user_domain=0x80000000000003e8	# (1 << 63) | 1000
root_domain=0x8000000000000000

env LD_PRELOAD="$shim" KSMDEV_PRELOAD_DEBUG=1 "$builder" -t 0 -m $mib -f 1 -w 2 -u $uid -e \
	>"$tmp/out" 2>"$tmp/log" &
parent=$!
kp_pids=$parent
for who in parent worker0 worker1; do
	wait_line "$tmp/out" "^READY .*who=$who " 60 "$parent"
done
w0=$(field "$(grep '^READY .*who=worker0 ' "$tmp/out")" pid)
w1=$(field "$(grep '^READY .*who=worker1 ' "$tmp/out")" pid)
[ -n "$w0" ] && [ -n "$w1" ] || fail "no worker pids in: $(cat "$tmp/out")"
kp_pids="$parent $w0 $w1"
info "parent $parent, workers $w0 $w1"

bad=$(failed_lines "$tmp/log")
[ -z "$bad" ] || fail "failed registrations:
$bad"
grep -q "^ksmdev-preload\[$w0\]: fork child: own area fd [0-9]*\$" "$tmp/log" ||
	fail "worker0 logged no area of its own:
$(grep "^ksmdev-preload\[$w0\]" "$tmp/log")"
grep -q "^ksmdev-preload\[$w1\]: credentials changed: own area fd [0-9]*\$" "$tmp/log" ||
	fail "worker1 did not make its areas again after its change of user:
$(grep "^ksmdev-preload\[$w1\]" "$tmp/log")"

"$helper" areas >"$tmp/areas"
for w in "$w0" "$w1"; do
	line=$(grep "^pid=$w " "$tmp/areas") || fail "no area of worker $w: $(cat "$tmp/areas")"
	[ "$(grep -c "^pid=$w " "$tmp/areas")" = 1 ] ||
		fail "worker $w has more than one area: $(cat "$tmp/areas")"
	[ "$(field "$line" uid)" = $uid ] && [ "$(field "$line" domain)" = "$user_domain" ] ||
		fail "worker $w's area is not in user $uid's domain ($user_domain): $line"
done
pline=$(grep "^pid=$parent " "$tmp/areas") || fail "no area of the parent: $(cat "$tmp/areas")"
[ "$(field "$pline" uid)" = 0 ] && [ "$(field "$pline" domain)" = $root_domain ] ||
	fail "the parent's area is not in root's domain: $pline"

"$helper" start 100000 1000 || fail "cannot start the scanner"
i=0
while :; do
	"$helper" areas >"$tmp/areas"
	m0=$(field "$(grep "^pid=$w0 " "$tmp/areas")" merged)
	m1=$(field "$(grep "^pid=$w1 " "$tmp/areas")" merged)
	[ "${m0:-0}" -ge $want ] && [ "${m1:-0}" -ge $want ] && break
	i=$((i + 1))
	[ $i -gt 300 ] && fail "workers merged ${m0:-?} and ${m1:-?} pages, want >= $want each: $(cat "$tmp/areas")"
	sleep 0.2
done
"$helper" wait-scans 2 60 >/dev/null
"$helper" areas >"$tmp/areas"
info "$(grep "^pid=$w0 " "$tmp/areas") (worker0)"
info "$(grep "^pid=$w1 " "$tmp/areas") (worker1)"
pline=$(grep "^pid=$parent " "$tmp/areas")
info "$pline (parent)"
[ "$(field "$pline" merged)" = 0 ] ||
	fail "root's identical list merged (with the workers' memory?): $pline"

kill -USR1 "$parent" "$w0" "$w1"
wait "$parent"
rc=$?
for w in "$w0 who=worker0" "$w1 who=worker1" "$parent who=parent"; do
	grep -q "^CHECKED pid=$w bad_nodes=0\$" "$tmp/out" || fail "$w: $(cat "$tmp/out") $(cat "$tmp/log" | grep -v '^ksmdev-preload')"
done
[ $rc = 0 ] || fail "arena-builder exited with $rc: $(cat "$tmp/out")"
info "workers and parent checked and rewrote their data: intact"
echo "PASS"
exit 0
