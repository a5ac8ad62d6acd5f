#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# preload_fork_child.sh - after fork() the shim gives the child an area of
# its own at its first allocation and registers again what the parent had
# registered (the child inherited that memory, not the registrations).
#
# arena-builder -f builds a 2 MiB list, forks, and then parent and child
# each build the same 4 MiB list in the main arena, at the same addresses
# (same heap state, same allocation sequence), so the two copies merge
# only across the two processes.  Checked: the debug log of the child
# (its own pid) shows its own area, the parent's brk coverage registered
# again and its own brk growth; KSM_LIST_AREAS lists an area of the
# child's pid; with the scanner on, half of the child's new list pages at
# least are merged in the child's area (with the parent's copy: within one
# process no two pages are equal); then both check and rewrite all their
# data and exit 0.

set -u
. "${KTEST_TOP:?KTEST_TOP is not set}/tests/guest/preload/helpers/lib.sh"

need "$builder"
kp_init preload_fork_child

mib=4
ppl=$((mib * 256))
want=$((ppl / 2))

env LD_PRELOAD="$shim" KSMDEV_PRELOAD_DEBUG=1 "$builder" -t 0 -m $mib -f 2 \
	>"$tmp/out" 2>"$tmp/log" &
parent=$!
kp_pids=$parent
wait_line "$tmp/out" '^READY .*who=parent' 60 "$parent"
wait_line "$tmp/out" '^READY .*who=child' 60 "$parent"
child=$(field "$(grep '^READY .*who=child' "$tmp/out")" pid)
[ -n "$child" ] && [ "$child" != "$parent" ] || fail "no child pid in: $(cat "$tmp/out")"
kp_pids="$parent $child"
info "parent $parent, child $child"

bad=$(failed_lines "$tmp/log")
[ -z "$bad" ] || fail "failed registrations:
$bad"
grep -q "^ksmdev-preload\[$child\]: fork child: own area fd [0-9]*\$" "$tmp/log" ||
	fail "the child logged no area of its own:
$(grep "^ksmdev-preload\[$child\]" "$tmp/log")"

# The child registered again the parent's brk coverage as the fork found
# it, then grew it for its own list.
pcover=$(brk_cover "$tmp/log" "$parent")
case $pcover in "" | gap) fail "parent brk registrations: $pcover" ;; esac
debug_lines "$tmp/log" "$child" register brk >"$tmp/child-brk"
pfirst=$(debug_lines "$tmp/log" "$parent" register brk | head -n 1)
grep -qx "$pfirst" "$tmp/child-brk" ||
	fail "the child did not register the parent's first brk range again ($pfirst)"
ccover=$(brk_cover "$tmp/log" "$child")
case $ccover in "" | gap) fail "child brk registrations: $ccover" ;; esac
first=$(field "$(grep '^READY .*who=child' "$tmp/out")" first)
echo "$ccover" | in_ranges $((first)) || fail "child's list at $first is not in its brk coverage"
info "child re-registered $(grep -c "^ksmdev-preload\[$child\]: register" "$tmp/log") ranges;" \
	"its list at $first lies in its brk coverage"

"$helper" areas >"$tmp/areas"
grep -q "^pid=$child " "$tmp/areas" || fail "no area of pid $child: $(cat "$tmp/areas")"
grep -q "^pid=$parent " "$tmp/areas" || fail "no area of pid $parent: $(cat "$tmp/areas")"

"$helper" start 100000 1000 || fail "cannot start the scanner"
i=0
while :; do
	"$helper" areas >"$tmp/areas"
	cline=$(grep "^pid=$child " "$tmp/areas")
	merged=$(field "$cline" merged)
	[ "${merged:-0}" -ge $want ] && break
	i=$((i + 1))
	[ $i -gt 300 ] && fail "child's area merged ${merged:-?} pages, want >= $want: $(cat "$tmp/areas")"
	sleep 0.2
done
"$helper" wait-scans 1 30 >/dev/null
"$helper" areas >"$tmp/areas"
info "$(grep "^pid=$child " "$tmp/areas") (child)"
info "$(grep "^pid=$parent " "$tmp/areas") (parent)"
info "global: $("$helper" stats)"

kill -USR1 "$parent" "$child"
wait "$parent"
rc=$?
grep -q "^CHECKED pid=$child who=child bad_nodes=0\$" "$tmp/out" || fail "child: $(cat "$tmp/out")"
grep -q "^CHECKED pid=$parent who=parent bad_nodes=0\$" "$tmp/out" || fail "parent: $(cat "$tmp/out")"
[ $rc = 0 ] || fail "arena-builder exited with $rc: $(cat "$tmp/out")"
info "parent and child checked and rewrote their data: intact"
echo "PASS"
exit 0
