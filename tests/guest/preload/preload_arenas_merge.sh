#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# preload_arenas_merge.sh - the LD_PRELOAD shim registers the main arena
# (brk) and every thread arena of an unmodified program, and their pages
# merge.  arena-builder builds the same 4 MiB linked list of 256-byte
# nodes in its main thread (brk) and in 8 threads (8 thread arenas).
#
#  1. Two instances without the shim: nothing is registered, nothing
#     merges (regions and pages_sharing stay 0 with the scanner on).
#  2. Two instances under the shim with KSMDEV_PRELOAD_DEBUG=1: the log
#     shows contiguous brk registrations covering the [heap] line of
#     /proc/PID/maps (and the main list), and 64 MiB arena registrations
#     at 64 MiB-aligned addresses inside anonymous mappings, one holding
#     each thread's list; no registration failed.  With the scanner on,
#     pages_sharing reaches half of the duplicate pages (16 of the 18
#     lists are copies); then each instance checks and rewrites its lists
#     (copy-on-write of merged pages) and exits 0 only if intact.

set -u
. "${KTEST_TOP:?KTEST_TOP is not set}/tests/guest/preload/helpers/lib.sh"

need "$builder"
kp_init preload_arenas_merge

threads=8
mib=4
ppl=$((mib * 256))			# pages per list
lists=$((threads + 1))
dup=$((2 * lists * ppl - 2 * ppl))	# all but one thread and one main layout
want=$((dup / 2))

# start NAME [ENV...]: an arena-builder instance in the background.
start() {
	name=$1
	shift
	env "$@" "$builder" -t $threads -m $mib >"$tmp/$name" 2>"$tmp/$name.err" &
	pid=$!
	kp_pids="$kp_pids $pid"
}

# finish PID NAME: (after SIGUSR1) the instance must find its data intact.
finish() {
	wait "$1"
	rc=$?
	grep -q '^CHECKED .* bad_nodes=0$' "$tmp/$2" ||
		fail "$2: data not intact: $(cat "$tmp/$2" "$tmp/$2.err")"
	[ $rc = 0 ] || fail "$2 exited with $rc: $(cat "$tmp/$2.err")"
}

# ------------------------------------------------------------ no shim

info "== without the shim"
start plain1
p1=$pid
start plain2
p2=$pid
wait_line "$tmp/plain1" '^READY' 60 "$p1"
wait_line "$tmp/plain2" '^READY' 60 "$p2"
"$helper" start 100000 1000 || fail "cannot start the scanner"
sleep 3
sysval pages_sharing
[ "$v" = 0 ] || fail "pages_sharing=$v without the shim"
sysval regions
[ "$v" = 0 ] || fail "regions=$v without the shim"
info "pages_sharing=0 regions=0 after 3 s of scanning"
"$helper" stop
kill -USR1 "$p1" "$p2"
finish "$p1" plain1
finish "$p2" plain2

# ------------------------------------------------------------ with the shim

info "== with the shim"
start shim1 LD_PRELOAD="$shim" KSMDEV_PRELOAD_DEBUG=1
s1=$pid
start shim2 LD_PRELOAD="$shim" KSMDEV_PRELOAD_DEBUG=1
s2=$pid
wait_line "$tmp/shim1" '^READY' 60 "$s1"
wait_line "$tmp/shim2" '^READY' 60 "$s2"

for n in 1 2; do
	eval "pid=\$s$n"
	log=$tmp/shim$n.err
	out=$tmp/shim$n
	bad=$(failed_lines "$log")
	[ -z "$bad" ] || fail "shim$n: failed registrations:
$bad"

	# brk: the registrations cover the heap and the main thread's list.
	heap=$(heap_line "$pid")
	[ -n "$heap" ] || fail "shim$n: no [heap] in /proc/$pid/maps"
	cover=$(brk_cover "$log" "$pid")
	case $cover in
	"" | gap) fail "shim$n: brk registrations missing or not contiguous:
$(debug_lines "$log" "$pid" register brk)" ;;
	esac
	set -- $heap $cover
	[ "$3" -le "$1" ] && [ "$4" -ge "$2" ] ||
		fail "shim$n: brk registrations [$3, $4) do not cover [heap] [$1, $2)"
	first=$(field "$(grep '^READY' "$out")" first)
	echo "$cover" | in_ranges $((first)) || fail "shim$n: main list $first not in brk coverage"
	nbrk=$(debug_lines "$log" "$pid" register brk | wc -l)
	info "shim$n: [heap] $(printf '%#x-%#x' "$1" "$2") covered by $nbrk brk registrations $(printf '%#x-%#x' "$3" "$4")"

	# arenas: aligned 64 MiB reservations inside anonymous mappings.
	anon_maps "$pid" >"$tmp/anon$n"
	debug_lines "$log" "$pid" register arena >"$tmp/arenas$n"
	narenas=$(wc -l <"$tmp/arenas$n")
	[ "$narenas" -ge $threads ] || fail "shim$n: $narenas arena registrations, want >= $threads"
	: >"$tmp/arena-ranges$n"
	while read -r s l; do
		s=$((s))
		[ "$l" = 67108864 ] || fail "shim$n: arena registration of $l bytes"
		[ $((s % 67108864)) = 0 ] || fail "shim$n: arena at $(printf '%#x' $s) is not 64 MiB-aligned"
		in_ranges "$s" <"$tmp/anon$n" ||
			fail "shim$n: arena $(printf '%#x' $s) is not an anonymous mapping of /proc/$pid/maps"
		echo "$s $((s + l))" >>"$tmp/arena-ranges$n"
	done <"$tmp/arenas$n"
	grep '^LIST' "$out" | while read -r line; do
		f=$(field "$line" first)
		in_ranges $((f)) <"$tmp/arena-ranges$n" ||
			fail "shim$n: thread list at $f is in no registered arena"
	done || exit 1
	info "shim$n: $narenas arena heaps registered, each thread's list inside one"
done

"$helper" start 100000 1000 || fail "cannot start the scanner"
info "waiting for pages_sharing >= $want (half of $dup duplicate pages)"
stats=$("$helper" wait-sharing $want 60) || fail "not merged enough: $stats"
info "merged: $stats"
"$helper" wait-scans 1 30 >/dev/null
sysval pages_sharing
info "pages_sharing=$v after one more full scan ($(((v * 100) / dup))% of the $dup duplicate pages)"
kill -USR1 "$s1" "$s2"
finish "$s1" shim1
finish "$s2" shim2
info "both instances checked and rewrote their lists: intact"
echo "PASS"
exit 0
