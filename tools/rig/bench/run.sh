#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# run.sh - make bench: boot each test kernel once, run ksmdev-bench in it
# (in-kernel KSM and ksmdev one after the other, same boot), keep the
# table, a JSON file and the W4 series, and plot W4 (gnuplot) to PNG.
#
# Usage: tools/rig/bench/run.sh [quick|w1|w8]   (KSMDEV_KERNELS selects
#        kernels; w1: only the W1/W5/W6 rounds, w8: only the fork-shared
#        passes, printed, no table or plot)

set -eu
top=$(cd "$(dirname "$0")/../../.." && pwd)
cache=${KSMDEV_CACHE:-$top/.cache}
mode=${1:-all}
out=$top/build/bench
mkdir -p "$out"

for s in ${KSMDEV_KERNELS:-6.1 6.12}; do
	log=$out/bench-$s.log
	"$top/tools/rig/vm/run.sh" --kernel "$s" --mode bench --mem 2048 \
		--timeout 3000 --env "ktest_bench=$mode" | tee "$log.raw"
	grep -v '^\[' "$log.raw" >"$log" || true
	case $mode in w1|w8) continue ;; esac
	sed -n 's/^BENCHJSON //p' "$log" >"$out/bench-$s.json"
	[ -s "$out/bench-$s.json" ] || { echo "bench: no result for $s" >&2; exit 1; }
	awk '$1 == "W4SERIES" { print $2, $3, $4 }' "$log" >"$out/w4-$s.dat"
	if command -v gnuplot >/dev/null; then
		gnuplot <<GP
set terminal pngcairo size 900,500
set output "$out/w4-$s.png"
set title "W4: 8 processes x 32 MiB, half duplicated, a tenth rewritten (Linux $s guest)"
set xlabel "seconds since scanner start"
set ylabel "pages saved (pages_sharing)" noenhanced
set key left top
plot "< awk '\$1==\"ksm\"' $out/w4-$s.dat" using 2:3 with lines lw 2 title "in-kernel KSM", \
     "< awk '\$1==\"ksmdev\"' $out/w4-$s.dat" using 2:3 with lines lw 2 title "ksmdev"
GP
	fi
	awk '/^ksmdev vs in-kernel KSM/ { p = 1 } /^BENCHJSON/ { p = 0 } p' "$log" >"$out/table-$s.txt"
done
echo "bench: results in $out (table-*.txt, bench-*.json, w4-*.png)"
