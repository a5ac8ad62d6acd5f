#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# When a core-mm symbol the driver needs is missing from the kernel, the
# module refuses to load and the kernel log names the symbol.  Simulated
# with require_symbol=<a name no kernel has>; a normal load works after.
set -u
name=ksmdev_no_such_core_mm_symbol
rmmod ksmdev 2>/dev/null
if insmod "$KTEST_KO" require_symbol=$name 2>/tmp/insmod.err; then
	echo "FAIL: the module loaded although $name is missing"
	rmmod ksmdev
	insmod "$KTEST_KO"
	exit 1
fi
if grep -q '^ksmdev ' /proc/modules; then
	echo "FAIL: ksmdev is loaded after a refused load"
	exit 1
fi
dmesg | grep -q "core-mm symbol $name not found in this kernel; ksmdev cannot load" || {
	echo "FAIL: the kernel log does not name the missing symbol:"
	dmesg | tail -n 5
	exit 1
}
[ -e /dev/ksm ] && { echo "FAIL: /dev/ksm exists after a refused load"; exit 1; }
insmod "$KTEST_KO" || { echo "FAIL: a normal load failed afterwards"; exit 1; }
[ -e /dev/ksm ] || { echo "FAIL: no /dev/ksm after a normal load"; exit 1; }
echo "refused with: $(cat /tmp/insmod.err)"
