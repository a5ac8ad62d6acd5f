#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# demo.sh - runs inside the guest (make demo): shows what ksmdev does.
top=$KTEST_TOP
v=$("$top/build/tests/guest/api_version" >/dev/null 2>&1 && echo 1)
echo "ksmdev demo on Linux $(uname -r)"
echo "/dev/ksm is $(ls -l /dev/ksm | awk '{print $1, $5, $6}'), API version ${v:-?}"
echo "Merging is not implemented yet: the driver answers only KSM_GET_API_VERSION."
