#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# run.sh - boot a Debian test kernel under QEMU (TCG), load ksmdev.ko and run
# the in-guest tests, the demo, or an interactive shell.
#
# The guest's root is the host's / shared read-only over 9p (virtio): the
# guest runs the host's programs and libraries; /tmp, /run and /dev are
# fresh in the guest.  The project tree is a second share, mounted at
# /run/ksmdev/src wherever the clone is (no host path goes to the guest:
# a path with a space, or below a directory only its owner may enter,
# such as /root, makes no difference); the guest runs its tests from a copy
# every user can read (guest-run.sh).  A tiny busybox initramfs loads the
# 9p modules of that kernel, mounts the shares and makes the host root the
# root, running tools/rig/vm/guest-run.sh as PID 1.
#
# Channels: ttyS0 carries the kernel console (saved to console.log);
# ttyS1 carries test results, streamed to our stdout.
#
# The run fails when a test fails, the guest times out, the kernel log shows
# a BUG/WARNING/Oops/... line, or rmmod ksmdev fails at the end.
#
# Usage: run.sh --kernel 6.1|6.12 [--mode test|demo|shell|bench]
#               [--timeout SECS] [--mem MiB] [--smp N] [--cpu MODEL] [--kvm]
# Environment: KSMDEV_TEST_GROUPS (e.g. "driver"), KSMDEV_TESTS (a regex
# of test names), KSMDEV_TESTS_SKIP (a regex of names not to run).
# --env "NAME=value ..." passes variables to the guest's tests
# (KTEST_TIMEOUT, KTEST_SLOW; ktest_verbose=1 shows the output of tests
# that pass too).

set -u

top=$(cd "$(dirname "$0")/../../.." && pwd)
cache=${KSMDEV_CACHE:-$top/.cache}
series=6.1
mode=test
timeout_s=${KSMDEV_VM_TIMEOUT:-900}
mem=${KSMDEV_VM_MEM:-1536}
smp=${KSMDEV_VM_SMP:-2}
accel=tcg
cpu=${KSMDEV_VM_CPU:-max}
extra_env=

while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) series=$2; shift 2 ;;
	--mode) mode=$2; shift 2 ;;
	--timeout) timeout_s=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--kvm) accel=kvm; shift ;;
	--cpu) cpu=$2; shift 2 ;;
	--env) extra_env="$extra_env $2"; shift 2 ;;
	*) echo "run.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
done

abi=$(cat "$cache/kernels/$series.abi" 2>/dev/null) ||
	{ echo "run.sh: kernel $series not set up; run tools/rig/setup.sh" >&2; exit 1; }
kroot=$cache/kernels/$abi
vmlinuz=$kroot/boot/vmlinuz-$abi
ko=$top/build/kmod/$abi/ksmdev.ko
[ -f "$ko" ] || { echo "run.sh: $ko not built" >&2; exit 1; }

# The test groups to run (directories of tests/guest/), all when empty;
# the kernel command line carries them comma-separated.
groups=
for g in ${KSMDEV_TEST_GROUPS:-}; do
	[ "$g" != helpers ] && [ -d "$top/tests/guest/$g" ] ||
		{ echo "run.sh: no test group '$g' in tests/guest/" >&2; exit 2; }
	groups=${groups:+$groups,}$g
done

out=$top/build/vm/$abi
mkdir -p "$out"

# ------------------------------------------------------------ initramfs
# Cached per kernel ABI; rebuilt when its inputs change.
initrd=$out/initramfs.cpio.gz
init_src=$top/tools/rig/vm/initramfs-init
if [ ! -f "$initrd" ] || [ "$init_src" -nt "$initrd" ] || [ "$0" -nt "$initrd" ]; then
	stage=$(mktemp -d "$out/initrd.XXXXXX")
	mkdir -p "$stage"/{bin,proc,sys,dev,host,lib/modules}
	cp /bin/busybox "$stage/bin/busybox"
	cp "$init_src" "$stage/init"
	chmod +x "$stage/init"
	: >"$stage/modules.list"
	for m in virtio_pci 9pnet_virtio 9p; do
		modprobe -d "$kroot" -S "$abi" --show-depends "$m" 2>/dev/null |
			awk '$1 == "insmod" { print $2 }'
	done | awk '!seen[$0]++' | while read -r path; do
		name=$(basename "$path")
		case "$name" in
		*.xz) xz -dc "$path" >"$stage/lib/modules/${name%.xz}"; name=${name%.xz} ;;
		*.zst) zstd -qdc "$path" >"$stage/lib/modules/${name%.zst}"; name=${name%.zst} ;;
		*) cp "$path" "$stage/lib/modules/$name" ;;
		esac
		echo "$name" >>"$stage/modules.list"
	done
	(cd "$stage" && find . | cpio -o -H newc --quiet | gzip -1) >"$initrd.tmp.$$"
	mv "$initrd.tmp.$$" "$initrd"
	rm -rf "$stage"
fi

# ------------------------------------------------------------ boot
cmdline="console=ttyS0 loglevel=7 panic=-1 oops=panic ktest_mode=$mode ktest_abi=$abi \
ktest_kernel=$series ktest_groups=$groups ktest_filter=${KSMDEV_TESTS:-.} ktest_skip=${KSMDEV_TESTS_SKIP:-^$} $extra_env"

qemu=(qemu-system-x86_64 -accel "$accel" -m "$mem" -smp "$smp"
	-cpu "$cpu" -no-reboot -nodefaults -display none
	-kernel "$vmlinuz" -initrd "$initrd" -append "$cmdline"
	-virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap"
	-virtfs "local,path=${top//,/,,},mount_tag=ksmdevtree,security_model=none,readonly=on,multidevs=remap")

if [ "$mode" = shell ]; then
	results=$out/shell-results.log
	exec "${qemu[@]}" -serial mon:stdio -serial "file:$results"
fi

marker='ksmdev-ktest: first load of ksmdev'

# One boot.  Each keeps its own logs (runs may go on in parallel);
# latest-<mode> points at the newest.
boot_once() {
	run_dir=$out/runs/$mode-$(date +%Y%m%d-%H%M%S)-$$-$1
	mkdir -p "$run_dir"
	ln -sfn "$run_dir" "$out/latest-$mode"
	ls -1dt "$out"/runs/* 2>/dev/null | tail -n +31 | xargs -r rm -rf
	console=$run_dir/console.log
	results=$run_dir/results.log
	: >"$console"
	: >"$results"
	start=$(date +%s)
	timeout -k 10 "$timeout_s" "${qemu[@]}" -monitor none \
		-serial "file:$console" -chardev stdio,id=res,signal=off -serial chardev:res \
		</dev/null | stdbuf -oL tr -d '\r' | tee "$results" | sed -un 's/^KTEST //p' |
		while IFS= read -r line; do
			case "$line" in
			LOG\ *) if [ "$mode" = test ]; then echo "[$series]   ${line#LOG }"; else echo "${line#LOG }"; fi ;;
			DMESG\ *) ;;
			*) echo "[$series] $line" ;;
			esac
		done
	qrc=${PIPESTATUS[0]}
	elapsed=$(( $(date +%s) - start ))
}

# A guest that dies while the kernel boots, before guest-run.sh first
# loads ksmdev, has run none of our code: booted again, up to
# KSMDEV_BOOT_TRIES times in all.  Seen with Debian's 6.12 under TCG: an
# "Oops: int3" in sched_clock_cpu() from an interrupt while the kernel
# patches its own text at boot (2026-12-02, one boot in about ten).
# Anything after the marker counts as it always did.
tries=${KSMDEV_BOOT_TRIES:-3}
try=1
while :; do
	boot_once "$try"
	grep -aq "$marker" "$console" && break
	grep -q '^KTEST RESULT' "$results" && break
	[ "$qrc" = 124 ] || [ "$qrc" = 137 ] && break
	[ "$try" -ge "$tries" ] && break
	echo "[$series] note: the guest died while booting, before ksmdev was loaded (boot $try of $tries; booting again):"
	grep -aE 'Oops|BUG:|Kernel panic|RIP:' "$console" | head -n 5 | sed "s/^/[$series]   /"
	try=$((try + 1))
done

fail=0
if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
	echo "[$series] FAIL: guest timed out after ${timeout_s}s"
	fail=1
fi
if ! grep -q '^KTEST DONE' "$results"; then
	echo "[$series] FAIL: guest did not finish (crash, panic or timeout)"
	fail=1
fi
if grep -q '^KTEST RESULT .* FAIL' "$results"; then
	fail=1
fi
if [ "$mode" = test ] && ! grep -q '^KTEST RESULT' "$results"; then
	echo "[$series] FAIL: no test ran"
	fail=1
fi
if grep -q '^KTEST RMMOD FAIL' "$results"; then
	echo "[$series] FAIL: rmmod ksmdev failed at the end of the run"
	fail=1
fi
bad='BUG:|WARNING:|Oops|Bad page|general protection|soft lockup|hard LOCKUP|rcu: INFO|self-detected stall|hung_task|list_add corruption|kernel BUG|list_del corruption|UBSAN:|KASAN:|kmemleak:.*new suspected'
# Reports raised while the kernel booted, before guest-run.sh first loaded
# ksmdev, are the kernel's own: shown, not counted.  Everything after the
# marker counts.
if grep -aq "$marker" "$console"; then
	sed -n "1,/$marker/p" "$console" >"$run_dir/console-boot.log"
	sed -n "/$marker/,\$p" "$console" >"$run_dir/console-tests.log"
else
	: >"$run_dir/console-boot.log"
	cp "$console" "$run_dir/console-tests.log"
fi
if grep -aEq "$bad" "$run_dir/console-boot.log"; then
	echo "[$series] note: the kernel reported problems while booting, before ksmdev was loaded (not counted):"
	grep -aE "$bad" "$run_dir/console-boot.log" | head -n 10 | sed "s/^/[$series]   /"
fi
if grep -aEq "$bad" "$run_dir/console-tests.log"; then
	echo "[$series] FAIL: kernel log reports a problem:"
	grep -aE "$bad" "$run_dir/console-tests.log" | head -n 20 | sed "s/^/[$series]   /"
	fail=1
fi
if [ "$fail" -ne 0 ]; then
	echo "[$series] ---- guest kernel log ($console) ----"
	tail -n 200 "$console" | sed "s/^/[$series] | /"
	echo "[$series] ---- end of guest kernel log ----"
	# Last, where a CI log's tail shows it: what failed.
	grep '^KTEST RESULT .* FAIL' "$results" | sed "s/^KTEST RESULT /[$series] failed test: /"
	echo "[$series] FAILED ($abi, ${elapsed}s)"
	exit 1
fi
echo "[$series] ok ($abi, ${elapsed}s)"
exit 0
