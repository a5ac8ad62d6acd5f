# SPDX-License-Identifier: GPL-2.0-only
#
# lib.sh - shell helpers of the preload tests (tests/guest/preload/*.sh).
# Sourced, not run.  Sets $top, $shim, $tmp and the programs of helpers/
# ($helper, $builder, $stress); kills what the test started (pids in
# $kp_pids), stops the scanner and removes $tmp on exit.
#
# The debug log of the shim (KSMDEV_PRELOAD_DEBUG=1) has lines
#   ksmdev-preload[PID]: register|unregister KIND 0xSTART LENGTH ok|ERROR

top=${KTEST_TOP:?KTEST_TOP is not set}
shim=$top/build/lib/libksmdev-preload.so
helper=$top/build/tests/guest/preload/helpers/ksm-helper
builder=$top/build/tests/guest/preload/helpers/arena-builder
stress=$top/build/tests/guest/preload/helpers/malloc-stress
sysfs=/sys/kernel/mm/ksmdev
kp_pids=

# kp_verbose=1 in the environment (run.sh --env kp_verbose=1): progress
# goes to the results channel too, shown by run.sh as the test runs.
kp_t0=$(date +%s)
say() {
	if [ -n "${kp_verbose:-}" ] && [ -w /dev/ttyS1 ]; then
		echo "$*" | sed "s/^/KTEST LOG [$(($(date +%s) - kp_t0))s] /" >/dev/ttyS1
	fi
}

fail() {
	echo "FAIL: $*" >&2
	say "FAIL: $*"
	exit 1
}

skip() {
	echo "SKIP: $*"
	exit 77
}

info() {
	echo "$*"
	say "$*"
}

# need FILE...: skip unless each is built.
need() {
	for f in "$@"; do
		[ -x "$f" ] || [ -f "$f" ] || skip "$f is not built"
	done
}

kp_cleanup() {
	for p in $kp_pids; do
		kill -9 "$p" 2>/dev/null
	done
	wait 2>/dev/null
	[ -x "$helper" ] && [ -e /dev/ksm ] && "$helper" stop 2>/dev/null
	[ -n "${tmp:-}" ] && rm -rf "$tmp"
}

# kp_init NAME: temporary directory, cleanup on exit.
kp_init() {
	need "$shim" "$helper"
	[ -e /dev/ksm ] || fail "/dev/ksm does not exist (module not loaded?)"
	tmp=$(mktemp -d "/tmp/$1.XXXXXX") || fail "mktemp"
	chmod 755 "$tmp"
	trap kp_cleanup EXIT
	trap 'exit 1' INT TERM
}

# sysval NAME: /sys/kernel/mm/ksmdev/NAME in $v.
sysval() {
	read -r v <"$sysfs/$1"
}

# wait_line FILE PATTERN SECS [PID]: until a line of FILE matches the
# (grep -E) PATTERN; fails after SECS (times $KTEST_SLOW, the debug
# kernel's slowness factor) or when PID died.
wait_line() {
	_secs=$(($3 * ${KTEST_SLOW:-1}))
	[ "$_secs" -gt 0 ] || _secs=$3	# as ktest_slow(): 0 means 1
	_end=$(($(date +%s) + _secs))
	while ! grep -Eq "$2" "$1" 2>/dev/null; do
		if [ "$(date +%s)" -gt $_end ]; then
			fail "no line matching '$2' in $1 after $_secs s"
		fi
		if [ -n "${4:-}" ] && ! kill -0 "$4" 2>/dev/null; then
			fail "process $4 died before printing '$2'; its output:
$(cat "$1" "$1.err" "$1.log" 2>/dev/null)"
		fi
		sleep 0.2
	done
}

# field LINE NAME: the value of NAME=value in LINE.
field() {
	case " $1" in
	*" $2="*) _f=${1#*"$2="}; echo "${_f%% *}" ;;
	esac
}

# debug_lines LOG PID WHAT KIND: "START LENGTH" of the successful
# WHAT (register/unregister) lines of KIND logged by PID.
debug_lines() {
	sed -n "s/^ksmdev-preload\[$2\]: $3 $4 \(0x[0-9a-f]*\) \([0-9]*\) ok\$/\1 \2/p" "$1"
}

# failed_lines LOG: (un)registrations of the debug log that did not succeed.
failed_lines() {
	grep -E '^ksmdev-preload\[[0-9]+\]: (register|unregister|skip) ' "$1" | grep -v ' ok$'
}

# anon_maps PID: "START END" (decimal) of every anonymous private mapping.
anon_maps() {
	while read -r range perms _off _dev inode name; do
		case $perms in
		*p) ;;
		*) continue ;;
		esac
		[ "$inode" = 0 ] || continue
		case ${name:-} in
		"" | "[heap]" | "[anon:"*) ;;
		*) continue ;;
		esac
		echo "$((0x${range%-*})) $((0x${range#*-}))"
	done <"/proc/$1/maps"
}

# heap_line PID: "START END" (decimal) of the [heap] mapping, empty if none.
heap_line() {
	while read -r range _perms _off _dev _inode name; do
		if [ "${name:-}" = "[heap]" ]; then
			echo "$((0x${range%-*})) $((0x${range#*-}))"
			return
		fi
	done <"/proc/$1/maps"
}

# brk_cover LOG PID: "START END" (decimal) of the brk coverage PID
# registered, failing unless its brk registrations are contiguous.
brk_cover() {
	debug_lines "$1" "$2" register brk | {
		lo=
		hi=
		while read -r s l; do
			s=$((s))
			if [ -z "$lo" ]; then
				lo=$s
			elif [ "$s" != "$hi" ]; then
				echo "gap"
				exit
			fi
			hi=$((s + l))
		done
		echo "$lo $hi"
	}
}

# in_ranges ADDR: ADDR (decimal) lies in one of the "START END" lines on stdin.
in_ranges() {
	while read -r s e; do
		[ "$1" -ge "$s" ] && [ "$1" -lt "$e" ] && return 0
	done
	return 1
}
