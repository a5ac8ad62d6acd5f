# SPDX-License-Identifier: GPL-2.0-only
#
# staging.sh - shell helpers of the tests that install ksmdev into a
# staging root and use it from there (install/installed_layout.sh,
# library/library_installed_example.sh).  Sourced, not run.  Sets $top.
#
# Such a test checks everything it can before it gives its verdict: fail
# reports a failed check and counts it, die ends the test at once, and
# finish exits 1 if any check failed (0 otherwise).

top=${KTEST_TOP:?KTEST_TOP is not set}
failures=0

fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

die() {
	echo "FAIL: $*" >&2
	exit 1
}

info() {
	echo "$*"
}

# need_tools TOOL...: skip the test unless each is installed.
need_tools() {
	for tool in "$@"; do
		command -v "$tool" >/dev/null 2>&1 || {
			echo "SKIP: $tool is not available"
			exit 77
		}
	done
}

# need_built_lib PREFIX: die unless `make lib` on the host left the
# library up to date for PREFIX (the tree is read-only in the guest: the
# install targets only copy what is built).
need_built_lib() {
	make -s -q -C "$top" lib PREFIX="$1" ||
		die "the library in $top/build/lib is missing or out of date; run 'make lib' on the host"
}

# expect_no_rpath FILE: the ELF file FILE has no RPATH or RUNPATH.
expect_no_rpath() {
	if readelf -d "$1" | grep -Eq 'RPATH|RUNPATH'; then
		fail "$1 has an RPATH/RUNPATH: $(readelf -d "$1" | grep -E 'RPATH|RUNPATH')"
	fi
}

# finish DIR...: the verdict.  With a failed check, exit 1 and keep the
# directories DIR for a look; else remove them, say "ok" and exit 0.
finish() {
	if [ "$failures" -ne 0 ]; then
		echo "$failures check(s) failed; files kept in $*" >&2
		exit 1
	fi
	rm -rf "$@"
	info ok
	exit 0
}
