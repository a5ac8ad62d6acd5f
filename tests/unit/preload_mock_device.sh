#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# preload_mock_device.sh - the shim asks the device only what the driver
# accepts; checked on the host, without the driver.
#
# The shim is built with tests/unit/helpers/mock-ksm.c, a stand-in for
# /dev/ksm at KSMDEV_DEVICE=/mock/ksm that applies the driver's
# registration rules (page-aligned, at least one page, no overlap within
# a process, removal by exact start) and writes "MOCK: ..." for every call
# the driver would refuse.  With KSMDEV_PRELOAD_DEBUG=1, under that shim:
#   malloc-stress (4 threads, three seeds) prints what it prints without
#     the shim and exits 0;
#   arena-builder -f (the main arena, two thread arenas, and a fork child
#     that registers everything again in an area of its own) finds its
#     data intact and exits 0;
#   sh running ordinary programs (fork, exec, pipes) exits 0;
# and in every run the shim enabled itself on the mock, registered at
# least one range, logged no failed registration or removal, and the mock
# reported no refused call.  The regions the mock lists at exit as no
# longer mapped ("MOCK: unmapped ...") are not counted: the brk coverage
# ahead of the break and arena heaps not yet seen deleted are, by design,
# among them.
#
# Exit 0 pass, 1 fail.

set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
shim=$top/build/tests/unit/helpers/libksmdev-preload-mock.so
helpers=$top/build/tests/guest/preload/helpers
stress=$helpers/malloc-stress
builder=$helpers/arena-builder

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

for f in "$shim" "$stress" "$builder"; do
	[ -f "$f" ] || fail "$f is not built (make unit-tests)"
done
tmp=$(mktemp -d /tmp/preload_mock_device.XXXXXX) || fail "mktemp"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM
# ld.so splits LD_PRELOAD at ':' and ' ': preload a copy from $tmp, whatever
# the tree's path holds.
cp "$shim" "$tmp/" || fail "cannot copy $shim to $tmp"
shim=$tmp/${shim##*/}

mocked() {
	env LD_PRELOAD="$shim" KSMDEV_DEVICE=/mock/ksm KSMDEV_PRELOAD_DEBUG=1 "$@"
}

# check NAME: the debug log $tmp/NAME.err of a run under the mock.
check() {
	log=$tmp/$1.err
	grep -q '^ksmdev-preload\[[0-9]*\]: enabled: device /mock/ksm' "$log" ||
		fail "$1: the shim did not enable itself on the mock:
$(head -n 5 "$log")"
	grep -Eq '^ksmdev-preload\[[0-9]+\]: register .* ok$' "$log" ||
		fail "$1: the shim registered nothing"
	bad=$(grep -E '^ksmdev-preload\[[0-9]+\]: (register|unregister|skip) ' "$log" |
		grep -v ' ok$')
	[ -z "$bad" ] || fail "$1: registrations the mock refused:
$bad"
	bad=$(grep '^MOCK: ' "$log" | grep -v '^MOCK: unmapped region ')
	[ -z "$bad" ] || fail "$1: calls the driver would refuse:
$bad"
	echo "$1: $(grep -Ec ' (register|unregister) .* ok$' "$log") registrations and removals, none refused"
}

for seed in 1 2 3; do
	name=malloc-stress-$seed
	"$stress" -t 4 -n 3000 -s $seed >"$tmp/$name.plain" 2>&1 ||
		fail "$name without the shim: $(cat "$tmp/$name.plain")"
	mocked "$stress" -t 4 -n 3000 -s $seed >"$tmp/$name.out" 2>"$tmp/$name.err" ||
		fail "$name under the mock: exit $?: $(grep -v '^ksmdev-preload' "$tmp/$name.err")"
	cmp -s "$tmp/$name.plain" "$tmp/$name.out" ||
		fail "$name: the output differs under the shim:
$(diff "$tmp/$name.plain" "$tmp/$name.out")"
	check "$name"
done

# arena-builder -f: parent and child each print READY once built, then
# wait for SIGUSR1 to check their data.
mocked "$builder" -t 2 -m 4 -f 1 >"$tmp/arena.out" 2>"$tmp/arena.err" &
pid=$!
i=0
while [ "$(grep -c '^READY ' "$tmp/arena.out")" -lt 2 ]; do
	i=$((i + 1))
	if [ $i -gt 300 ] || ! kill -0 $pid 2>/dev/null; then
		kill -9 $pid 2>/dev/null
		fail "arena-builder: not ready after 60 s: $(cat "$tmp/arena.out" "$tmp/arena.err")"
	fi
	sleep 0.2
done
for p in $(sed -n 's/^READY pid=\([0-9]*\) .*/\1/p' "$tmp/arena.out"); do
	kill -USR1 "$p"
done
wait $pid || fail "arena-builder under the mock: exit $?: $(cat "$tmp/arena.out")"
grep -q '^ksmdev-preload\[[0-9]*\]: fork child: own area' "$tmp/arena.err" ||
	fail "arena-builder: the fork child made no area of its own"
check arena

mocked sh -c 'ls -l / | sort -r | head -n 3; cat /etc/passwd | wc -l' \
	>"$tmp/sh.out" 2>"$tmp/sh.err" || fail "sh under the mock: exit $?"
check sh
