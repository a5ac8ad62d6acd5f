# SPDX-License-Identifier: GPL-2.0-only
#
# lib.sh - shell helpers of the ksmctl tests (tests/guest/ksmctl/*.sh).
# Sourced, not run.  Sets $top, $ksmctl, $example, $sysfs and $nobody;
# kc_init makes $tmp and, when the test exits, kills the processes in
# $pids, runs the test's at_exit, gives /dev/ksm back mode 0660 and
# removes $tmp.  kc runs ksmctl; the expect_* functions check what the
# last kc printed.  The checks a test writes in python import
# ksmctl_output.py from this directory, which is on PYTHONPATH.

top=${KTEST_TOP:?KTEST_TOP is not set}
ksmctl=$top/build/tools/ksmctl
example=$top/build/examples/ksmdev-example
sysfs=/sys/kernel/mm/ksmdev
nobody=65534
pids=
# (No __pycache__: the tree is read-only in the guest.)
export PYTHONPATH="$top/tests/guest/ksmctl/helpers" PYTHONDONTWRITEBYTECODE=1

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

skip() {
	echo "SKIP: $*"
	exit 77
}

step() {
	echo "== $*"
}

# need FILE...: skip unless each is built.
need() {
	for f in "$@"; do
		[ -e "$f" ] || skip "$f is not built"
	done
}

# need_cmd COMMAND...: skip unless each is installed.
need_cmd() {
	for c in "$@"; do
		command -v "$c" >/dev/null || skip "no $c"
	done
}

# at_exit: what the test undoes on exit besides the common cleanup; the
# test redefines it.
at_exit() {
	:
}

# shellcheck disable=SC2317 # invoked by the trap
kc_cleanup() {
	for p in $pids; do
		kill -9 "$p" 2>/dev/null
	done
	wait 2>/dev/null
	at_exit
	[ -e /dev/ksm ] && chmod 0660 /dev/ksm
	rm -rf "$tmp"
}

# kc_init NAME: $tmp, a new directory /tmp/NAME.XXXXXX that other users
# can read; the cleanup on exit.
kc_init() {
	tmp=$(mktemp -d "/tmp/$1.XXXXXX") || exit 1
	chmod 755 "$tmp"
	trap kc_cleanup EXIT
	trap 'exit 1' INT TERM
}

# slurp FILE: its contents, less the last newline, in $text (no fork).
slurp() {
	text=
	_nl=
	while IFS= read -r _line || [ -n "$_line" ]; do
		text=$text$_nl$_line
		_nl='
'
	done <"$1"
}

# kc [-u UID] [-o NAME] WANT ARGS...: run ksmctl (as UID) with stdout to
# $tmp/NAME (default out) and stderr to $tmp/err; fail unless it exits WANT.
kc() {
	as=
	out=out
	while :; do
		case $1 in
		-u) as="setpriv --reuid=$2 --regid=$2 --clear-groups"; shift 2 ;;
		-o) out=$2; shift 2 ;;
		*) break ;;
		esac
	done
	want=$1
	shift
	$as "$ksmctl" "$@" >"$tmp/$out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" -ne "$want" ]; then
		slurp "$tmp/$out"
		o=$text
		slurp "$tmp/err"
		fail "ksmctl $* ${as:+(as $as)}: exit $rc, want $want
--- stdout:
$o
--- stderr:
$text"
	fi
}

# expect_out TEXT [NAME]: the last kc printed TEXT (to $tmp/NAME).
expect_out() {
	slurp "$tmp/${2:-out}"
	[ "$text" = "$1" ] || fail "stdout of the last ksmctl: '$text', want '$1'"
}

# expect_no_out: the last kc printed nothing.
expect_no_out() {
	[ ! -s "$tmp/out" ] || { slurp "$tmp/out"; fail "ksmctl wrote to stdout: $text"; }
}

# expect_err TEXT: the last kc's stderr is TEXT.
expect_err() {
	slurp "$tmp/err"
	[ "$text" = "$1" ] || fail "stderr of the last ksmctl: '$text', want '$1'"
}

# expect_err_has PATTERN: the last kc's stderr holds the (case-pattern) PATTERN.
expect_err_has() {
	slurp "$tmp/err"
	case $text in
	*$1*) ;;
	*) fail "stderr of the last ksmctl: '$text', want it to contain '$1'" ;;
	esac
}
