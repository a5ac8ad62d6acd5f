#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# preload_ksmdev_run.sh - the wrapper tools/ksmdev-run: finds the shim in
# the tree (../build/lib), through a symbolic link to itself and through
# KSMDEV_PRELOAD_LIB; puts it first in LD_PRELOAD keeping what was there;
# --debug, --min and --device set the shim's variables; usage errors exit
# 2, a missing library 127; the program's exit status passes through; and
# a program run by it has its heap registered (an area of its pid).

set -u
. "${KTEST_TOP:?KTEST_TOP is not set}/tests/guest/preload/helpers/lib.sh"

run=$top/tools/ksmdev-run
need "$run" "$builder"
kp_init preload_ksmdev_run

# kr WANT ARGS...: run ksmdev-run, stdout to $tmp/out, stderr to $tmp/err.
kr() {
	want=$1
	shift
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ $rc = "$want" ] || fail "$*: exit $rc, want $want; stderr: $(cat "$tmp/err")"
}

# var NAME: the value of NAME in the env(1) output in $tmp/out.
var() {
	sed -n "s/^$1=//p" "$tmp/out"
}

real_shim=$(cd -P "$(dirname "$shim")" && pwd)/$(basename "$shim")

kr 0 "$run" env
[ "$(var LD_PRELOAD)" = "$real_shim" ] || fail "LD_PRELOAD=$(var LD_PRELOAD), want $real_shim"
[ -z "$(var KSMDEV_PRELOAD_DEBUG)" ] || fail "KSMDEV_PRELOAD_DEBUG set without --debug"
[ ! -s "$tmp/err" ] || fail "stderr without --debug: $(cat "$tmp/err")"
info "finds $real_shim in the tree"

kr 0 env LD_PRELOAD=/lib/x86_64-linux-gnu/libc.so.6 "$run" --debug --min 1M --device /dev/ksm -- env
[ "$(var LD_PRELOAD)" = "$real_shim:/lib/x86_64-linux-gnu/libc.so.6" ] ||
	fail "LD_PRELOAD=$(var LD_PRELOAD): the shim must come first, the old value kept"
[ "$(var KSMDEV_PRELOAD_DEBUG)" = 1 ] || fail "--debug: KSMDEV_PRELOAD_DEBUG=$(var KSMDEV_PRELOAD_DEBUG)"
[ "$(var KSMDEV_PRELOAD_MIN)" = 1M ] || fail "--min: KSMDEV_PRELOAD_MIN=$(var KSMDEV_PRELOAD_MIN)"
[ "$(var KSMDEV_DEVICE)" = /dev/ksm ] || fail "--device: KSMDEV_DEVICE=$(var KSMDEV_DEVICE)"
grep -q '^ksmdev-preload\[[0-9]*\]: enabled: device /dev/ksm, area fd [0-9]*, min 1048576,' "$tmp/err" ||
	fail "--debug --min 1M: no such 'enabled' line: $(cat "$tmp/err")"
info "--debug --min --device set the variables; LD_PRELOAD kept after the shim"

kr 0 env LD_PRELOAD="$real_shim" "$run" env
[ "$(var LD_PRELOAD)" = "$real_shim" ] || fail "the shim twice in LD_PRELOAD: $(var LD_PRELOAD)"

mkdir "$tmp/bin" && ln -s "$run" "$tmp/bin/ksmdev-run" || fail "symlink"
kr 0 "$tmp/bin/ksmdev-run" env
[ "$(var LD_PRELOAD)" = "$real_shim" ] || fail "through a symbolic link: LD_PRELOAD=$(var LD_PRELOAD)"
kr 0 env PATH="$tmp/bin:$PATH" ksmdev-run env
[ "$(var LD_PRELOAD)" = "$real_shim" ] || fail "found in PATH: LD_PRELOAD=$(var LD_PRELOAD)"

cp "$shim" "$tmp/other.so"
kr 0 env KSMDEV_PRELOAD_LIB="$tmp/other.so" "$run" env
[ "$(var LD_PRELOAD)" = "$tmp/other.so" ] || fail "KSMDEV_PRELOAD_LIB: LD_PRELOAD=$(var LD_PRELOAD)"
kr 127 env KSMDEV_PRELOAD_LIB=/nonexistent.so "$run" true
cp "$run" "$tmp/lonely-ksmdev-run"
kr 127 "$tmp/lonely-ksmdev-run" true
grep -q 'cannot find libksmdev-preload.so' "$tmp/err" || fail "no library: $(cat "$tmp/err")"
info "KSMDEV_PRELOAD_LIB wins; a missing library exits 127"

kr 2 "$run"
kr 2 "$run" --min
kr 2 "$run" --min 12x true
kr 2 "$run" --bogus true
kr 0 "$run" --help
grep -q '^Usage: ksmdev-run' "$tmp/out" || fail "--help: $(cat "$tmp/out")"
kr 0 "$run" --version
kr 3 "$run" sh -c 'exit 3'
kr 127 "$run" /nonexistent/program
info "usage errors exit 2; exit status of the program passes through"

"$run" "$builder" -t 1 -m 1 >"$tmp/b" 2>"$tmp/b.err" &
pid=$!
kp_pids=$pid
wait_line "$tmp/b" '^READY' 60 "$pid"
"$helper" areas | grep "^pid=$pid " >"$tmp/areas" || fail "no area of pid $pid"
info "a program run by ksmdev-run: $(cat "$tmp/areas")"
kill -USR1 "$pid"
wait "$pid" || fail "arena-builder: exit $?: $(cat "$tmp/b.err")"
kp_pids=
echo "PASS"
exit 0
