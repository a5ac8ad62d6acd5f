# SPDX-License-Identifier: GPL-2.0-only
#
# ksmdev top-level build: the variables every part shares, then one
# fragment per part, each next to what it builds.
#
#   lib/lib.mk               libksmdev and the preload shim
#   examples/examples.mk     the example program
#   tools/ksmctl/ksmctl.mk   ksmctl
#   driver/driver.mk         ksmdev.ko: in place (KDIR) and per test kernel
#   tests/tests.mk           unit and guest test programs, unit-check
#   packaging/install.mk     install and uninstall
#   tools/rig/rig.mk         the rig: setup, guest runs, packages, bench
#
# Narrow the loop with KSMDEV_KERNELS="6.1", KSMDEV_TEST_GROUPS="driver"
# (directories of tests/guest/) and KSMDEV_TESTS="regex".

TOP        := $(CURDIR)
BUILD      := $(TOP)/build

KSMDEV_CACHE ?= $(TOP)/.cache
export KSMDEV_CACHE
KSMDEV_KERNELS ?= 6.1 6.12
export KSMDEV_KERNELS
KSMDEV_TEST_GROUPS ?=
export KSMDEV_TEST_GROUPS
KSMDEV_TESTS ?=
export KSMDEV_TESTS

CC       ?= cc
CFLAGS   ?= -O2 -g
WARN     := -Wall -Wextra -Wno-unused-parameter -Werror=implicit-function-declaration
CPPFLAGS += -I$(TOP)/include/uapi -I$(TOP)/lib/include -D_GNU_SOURCE

# The release: the library's version and SONAME, the DKMS package's
# version (dkms.conf and debian/changelog must agree; package-check checks).
VERSION    := 1.0.0
SOMAJOR    := 1

PREFIX     ?= /usr/local
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR     ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
DESTDIR    ?=

.PHONY: all userspace clean

all: module userspace

include lib/lib.mk
include examples/examples.mk
include tools/ksmctl/ksmctl.mk
include driver/driver.mk
include tests/tests.mk
include packaging/install.mk
include tools/rig/rig.mk

userspace: lib examples ksmctl preload guest-tests unit-tests

clean:
	rm -rf $(BUILD)
	-$(call kbuild,$(KDIR),$(TOP)/driver) -s clean 2>/dev/null
