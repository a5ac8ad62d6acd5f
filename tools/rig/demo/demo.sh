#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# demo.sh - runs inside the guest (make demo).
echo "ksmdev on Linux $(uname -r): /dev/ksm $(stat -c '%A %U:%G' /dev/ksm)"
exec "$KTEST_TOP/build/tools/ksmdev-demo"
