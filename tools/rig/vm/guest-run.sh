#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# guest-run.sh - PID 1 inside the test guest (the host's root, read-only).
#
# Copies the project tree (read-only at /run/ksmdev/src) to /run/ksmdev/tree,
# owned by root and readable by every user, so that a test's unprivileged
# steps can run its programs whatever the clone's path and modes on the
# host; then loads ksmdev.ko, then by $ktest_mode runs the in-guest tests (group by
# group: $ktest_groups, or all), the demo or a shell; finally kills every
# leftover process, unloads the module, copies the kernel log to the
# results channel and powers off.
#
# Results channel (/dev/ttyS1) protocol, one line each, read by run.sh:
#   KTEST LOG <text>                 free text (shown in demo mode)
#   KTEST RESULT <test> PASS|FAIL|SKIP <seconds>
#   KTEST RMMOD OK|FAIL
#   KTEST DONE
#
# Kernel log: before the first load of ksmdev the line
# "ksmdev-ktest: first load of ksmdev" goes into the kernel log, so that
# run.sh can tell reports raised while booting (not ours) from those after.
# On a kernel with kmemleak (the debug kernel), leaks known at that point
# are cleared, and after the final rmmod two scans must find nothing new:
# that is the test "kmemleak_after_rmmod".

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/tmp LANG=C.UTF-8
src=/run/ksmdev/src
top=/run/ksmdev/tree
exec 3>/dev/ttyS1

res() { echo "KTEST $*" >&3; }
log() { res "LOG $*"; }

# Kernel-log patterns that fail a run (the host checks the console too).
bad='BUG:|WARNING:|Oops|Bad page|general protection|soft lockup|hard LOCKUP|rcu: INFO|self-detected stall|hung_task|list_add corruption|kernel BUG|list_del corruption|UBSAN:|KASAN:'
# Each program started costs about 0.1 s in an emulated guest: what runs
# between two tests uses shell builtins where it can.
# uptime_cs: the uptime in hundredths of a second, in $up (no fork).
uptime_cs() {
	read -r up _ </proc/uptime
	up=${up%.*}${up#*.}
	while :; do
		case $up in
		0?*) up=${up#0} ;;
		*) break ;;
		esac
	done
}
# problems_since MARK: how many kernel-log lines after the line MARK
# report a problem, in $problems (the last five in /tmp/problems); a log
# that no longer holds MARK counts as one.
problems_since() {
	problems=$(dmesg | awk -v mark="$1" -v bad="$bad" '
		$0 ~ mark"$" { n = 0; on = 1; next }
		on && $0 ~ bad { line[n++ % 5] = $0 }
		END {
			if (!on) { print "the kernel log lost the start of the test" > "/tmp/problems"; print 1; exit }
			for (i = n > 5 ? n - 5 : 0; i < n; i++) print line[i % 5] > "/tmp/problems"
			print n
		}')
}

finish() {
	# Leftover test processes must not keep the module busy: as PID 1 we
	# can kill everything else at once.
	kill -9 -1 2>/dev/null
	sleep 0.3
	if grep -q '^ksmdev ' /proc/modules; then
		if rmmod ksmdev 2>/tmp/rmmod.err; then
			res "RMMOD OK"
		else
			res "RMMOD FAIL $(cat /tmp/rmmod.err)"
		fi
	fi
	[ "$ktest_mode" = test ] && kmemleak_check
	dmesg | sed 's/^/KTEST DMESG /' >&3
	res DONE
	sync
	echo o >/proc/sysrq-trigger
	busybox poweroff -f 2>/dev/null
	# PID 1 must not exit while the power-off completes: that would
	# panic ("Attempted to kill init") and print a misleading trace.
	while :; do sleep 1; done
}

kmemleak=/sys/kernel/debug/kmemleak

# Leaks kmemleak already suspects before our first load are the booted
# kernel's own: report how many, then mark them as known.
kmemleak_baseline() {
	[ -w $kmemleak ] || return 0
	echo scan >$kmemleak 2>/dev/null
	n=$(grep -c '^unreferenced object' $kmemleak)
	log "kmemleak: $n suspected leaks from boot, before ksmdev was loaded (cleared, not counted)"
	echo clear >$kmemleak
}

# After the last rmmod: scan twice (an object may sit in a register or on
# a stack during one scan) and fail on any new suspected leak.
kmemleak_check() {
	[ -w $kmemleak ] || return 0
	t0=$(date +%s)
	echo scan >$kmemleak; sleep 5; echo scan >$kmemleak
	n=$(grep -c '^unreferenced object' $kmemleak)
	if [ "$n" -eq 0 ]; then
		res "RESULT kmemleak_after_rmmod PASS $(($(date +%s) - t0))"
	else
		log "kmemleak: $n suspected leaks after the tests and rmmod:"
		head -n 200 $kmemleak | sed 's/^/KTEST LOG kmemleak: /' >&3
		res "RESULT kmemleak_after_rmmod FAIL $(($(date +%s) - t0))"
	fi
}

# The tree as the tests see it: the sources but for an in-place build's
# objects in driver/, and of build/ only what the tests run (not the
# guest runs' logs, the other kernels' modules or check-newcomer's root);
# of build/kmod/ only this kernel's modules.  Timestamps are kept (a test
# asks make whether the build is up to date), owners and write permission
# for others are not.
stage_tree() {
	mkdir -p "$top/build/kmod/$ktest_abi/test" &&
	tar -C "$src" -cf - --exclude=./.git --exclude=./.cache --exclude=./build \
		--exclude='./driver/*.o' --exclude='./driver/*.ko' \
		--exclude='./driver/.*' --exclude='./driver/*.mod*' --exclude=./driver/Module.symvers \
		--exclude=./driver/modules.order . |
		tar -C "$top" -xf - --no-same-owner --no-same-permissions &&
	for d in lib tools examples tests install; do
		[ ! -d "$src/build/$d" ] || echo "./build/$d"
	done | tar -C "$src" -cf - -T - |
		tar -C "$top" -xf - --no-same-owner --no-same-permissions &&
	cp "$src/build/kmod/$ktest_abi/ksmdev.ko" "$top/build/kmod/$ktest_abi/" &&
	{ cp "$src/build/kmod/$ktest_abi/test/"*.ko "$top/build/kmod/$ktest_abi/test/" 2>/dev/null ||
	  [ ! -d "$src/tests/kmod" ]; } &&
	chmod -R a+rX,go-w "$top"
}
t0=$(date +%s.%N)
if ! stage_tree 2>/tmp/stage.err; then
	log "cannot copy the project tree to $top: $(cat /tmp/stage.err)"
	res "RESULT stage_tree FAIL 0"
	finish
fi
log "project tree copied to $top in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"

ktest_ko=$top/build/kmod/$ktest_abi/ksmdev.ko
export KTEST_KO=$ktest_ko KTEST_KMOD_DIR=$top/build/kmod/$ktest_abi KTEST_TOP=$top \
	KTEST_KERNEL=$ktest_kernel

[ "$ktest_mode" = test ] && kmemleak_baseline
echo "ksmdev-ktest: first load of ksmdev" >/dev/kmsg
if ! insmod "$ktest_ko" 2>/tmp/insmod.err; then
	log "insmod $ktest_ko failed: $(cat /tmp/insmod.err)"
	res "RESULT insmod FAIL 0"
	finish
fi
res "RESULT insmod PASS 0"

ntest=0
run_one() {		# run_one <name> <command...>
	name=$1; shift
	ntest=$((ntest + 1))
	mark="ksmdev-ktest: test $ntest $name"
	echo "$mark" >/dev/kmsg
	uptime_cs; t0=$up
	timeout -k 5 "${KTEST_TIMEOUT:-180}" "$@" >/tmp/"$name".log 2>&1
	rc=$?
	uptime_cs; t1=$up
	: >/tmp/problems
	problems_since "$mark"
	if [ "$problems" != 0 ]; then
		echo "kernel log reported a problem during this test:" >>/tmp/"$name".log
		cat /tmp/problems >>/tmp/"$name".log
		rc=1
	fi
	case $rc in
	0) verdict=PASS ;;
	77) verdict=SKIP ;;
	124) verdict=FAIL; echo "timed out" >>/tmp/"$name".log ;;
	*) verdict=FAIL ;;
	esac
	if [ $verdict != PASS ] || [ -n "${ktest_verbose:-}" ]; then
		sed "s/^/KTEST LOG $name: /" /tmp/"$name".log >&3
	fi
	# A test must not leave processes behind; then every test must leave
	# the module unloadable, and the next test starts with a fresh one.
	# This shell is PID 1 and runs nothing in the background: whatever
	# else lives now (a timed-out shell test's children holding /dev/ksm
	# open, say) is left over, and would keep the module from unloading.
	# (rmmod is retried while they exit.)
	kill -9 -1 2>/dev/null
	reload_module || { verdict=FAIL; res "LOG $name: rmmod ksmdev failed afterwards"; }
	res "RESULT $name $verdict $(((t1 - t0 + 50) / 100))"
}

reload_module() {
	if [ -d /sys/module/ksmdev ]; then
		i=0
		until rmmod ksmdev 2>/tmp/rmmod.err; do
			i=$((i + 1))
			[ $i -ge 50 ] && { cat /tmp/rmmod.err; return 1; }
			sleep 0.1
		done
	fi
	insmod "$ktest_ko"
}

case "$ktest_mode" in
test)
	# Group by group: the directories of tests/guest/ but helpers/ (or
	# the groups run.sh was given), then by name within a group.  A test
	# is a program built from <group>/<name>.c or a script <group>/<name>.sh.
	groups=$(echo "${ktest_groups:-}" | tr , ' ')
	if [ -z "$groups" ]; then
		for d in "$top"/tests/guest/*/; do
			d=$(basename "$d")
			[ "$d" = helpers ] || groups="$groups $d"
		done
	fi
	for g in $groups; do
		for src in "$top/tests/guest/$g"/*; do
			case $src in
			*.c) name=$(basename "$src" .c); t=$top/build/tests/guest/$g/$name ;;
			*.sh) name=$(basename "$src" .sh); t=$src ;;
			*) continue ;;
			esac
			[ -x "$t" ] || continue
			echo "$name" | grep -Eq -- "$ktest_filter" || continue
			echo "$name" | grep -Eq -- "${ktest_skip:-^$}" && continue
			run_one "$name" "$t"
		done
	done
	;;
demo)
	sh "$top/tools/rig/demo/demo.sh" 2>&1 | sed 's/^/KTEST LOG /' >&3
	;;
bench)
	"$top/build/tools/ksmdev-bench" ${ktest_bench:-all} 2>&1 | sed 's/^/KTEST LOG /' >&3
	;;
shell)
	echo "ksmdev guest shell: module loaded; tree at $top; exit to power off"
	cd "$top" && setsid sh -c 'exec sh -i </dev/ttyS0 >/dev/ttyS0 2>&1'
	;;
*)
	log "unknown mode $ktest_mode"
	;;
esac
finish
