#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# guest-run.sh - PID 1 inside the test guest (the host's root, read-only).
#
# Loads ksmdev.ko, then by $ktest_mode runs the in-guest tests, the demo or
# a shell; finally kills every leftover process, unloads the module, copies
# the kernel log to the results channel and powers off.
#
# Results channel (/dev/ttyS1) protocol, one line each, read by run.sh:
#   KTEST LOG <text>                 free text (shown in demo mode)
#   KTEST RESULT <test> PASS|FAIL|SKIP <seconds>
#   KTEST RMMOD OK|FAIL
#   KTEST DONE

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/tmp LANG=C.UTF-8
top=$ktest_top
exec 3>/dev/ttyS1

res() { echo "KTEST $*" >&3; }
log() { res "LOG $*"; }

# Kernel-log patterns that fail a run (the host checks the console too).
bad='BUG:|WARNING:|Oops|Bad page|general protection|soft lockup|hard LOCKUP|rcu: INFO|self-detected stall|hung_task|list_add corruption|kernel BUG|list_del corruption|UBSAN:|KASAN:'
kernel_problems() { dmesg | grep -cE "$bad"; }

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
	dmesg | sed 's/^/KTEST DMESG /' >&3
	res DONE
	sync
	echo o >/proc/sysrq-trigger
	busybox poweroff -f
}

export KTEST_KO=$ktest_ko KTEST_KMOD_DIR=$ktest_kmod_dir KTEST_TOP=$top \
	KTEST_KERNEL=$ktest_kernel

if ! insmod "$ktest_ko" 2>/tmp/insmod.err; then
	log "insmod $ktest_ko failed: $(cat /tmp/insmod.err)"
	res "RESULT insmod FAIL 0"
	finish
fi
res "RESULT insmod PASS 0"

run_one() {		# run_one <name> <command...>
	name=$1; shift
	before=$(kernel_problems)
	t0=$(date +%s)
	timeout -k 5 "${KTEST_TIMEOUT:-180}" "$@" >/tmp/"$name".log 2>&1
	rc=$?
	t1=$(date +%s)
	after=$(kernel_problems)
	if [ "$after" != "$before" ]; then
		echo "kernel log reported a problem during this test:" >>/tmp/"$name".log
		dmesg | grep -E "$bad" | tail -n 5 >>/tmp/"$name".log
		rc=1
	fi
	case $rc in
	0) verdict=PASS ;;
	77) verdict=SKIP ;;
	124) verdict=FAIL; echo "timed out" >>/tmp/"$name".log ;;
	*) verdict=FAIL ;;
	esac
	if [ $verdict != PASS ]; then
		sed "s/^/KTEST LOG $name: /" /tmp/"$name".log >&3
	fi
	# A test must not leave processes behind; then every test must leave
	# the module unloadable, and the next test starts with a fresh one.
	pkill -9 -f "$top/build/tests/guest/" 2>/dev/null
	reload_module || { verdict=FAIL; res "LOG $name: rmmod ksmdev failed afterwards"; }
	res "RESULT $name $verdict $((t1 - t0))"
}

reload_module() {
	if grep -q '^ksmdev ' /proc/modules; then
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
	for t in "$top"/build/tests/guest/* "$top"/tests/guest/*.sh; do
		[ -x "$t" ] || continue
		name=$(basename "$t" .sh)
		echo "$name" | grep -Eq -- "$ktest_filter" || continue
		run_one "$name" "$t"
	done
	;;
demo)
	sh "$top/tools/demo.sh" 2>&1 | sed 's/^/KTEST LOG /' >&3
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
