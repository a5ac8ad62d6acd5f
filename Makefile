# SPDX-License-Identifier: GPL-2.0-only
#
# ksmdev top-level build: the variables every part shares, then one
# fragment per part, each next to what it builds.  `make help` lists the
# targets and knobs (from the `## ` comments in these files).
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

empty      :=
space      := $(empty) $(empty)

# make names files by their paths, and to make a path with a space is two
# words: in a tree whose path has one (a clone in "~/my projects/"), make
# runs again with TOP naming the tree through a symbolic link in a private
# temporary directory, which goes when that make ends.
ifneq ($(words $(CURDIR)),1)
ifeq ($(origin TOP),undefined)
KSMDEV_RELINK_TOP := 1
endif
endif

ifdef KSMDEV_RELINK_TOP
.PHONY: $(or $(MAKECMDGOALS),all) relink-top
$(or $(MAKECMDGOALS),all): relink-top ; @:
relink-top:
	@d=$$(mktemp -d "$${TMPDIR:-/tmp}/ksmdev-top.XXXXXX") && ln -s "$$PWD" "$$d/top" || exit 1; \
	$(MAKE) --no-print-directory TOP="$$d/top" $(MAKECMDGOALS); rc=$$?; \
	rm -rf "$$d"; exit $$rc
else

TOP        := $(CURDIR)
BUILD      := $(TOP)/build

## KSMDEV_CACHE: where setup keeps the test kernels (default .cache/)
KSMDEV_CACHE ?= $(TOP)/.cache
export KSMDEV_CACHE
## KSMDEV_KERNELS: the test kernels guest runs boot (default "6.1 6.12")
KSMDEV_KERNELS ?= 6.1 6.12
export KSMDEV_KERNELS
## KSMDEV_TEST_GROUPS: guest test groups to run (directories of tests/guest/; default all)
KSMDEV_TEST_GROUPS ?=
export KSMDEV_TEST_GROUPS
## KSMDEV_TESTS: a regex; only the guest tests whose name matches run
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

## PREFIX, LIBDIR, INCLUDEDIR, MANDIR, DESTDIR...: where install puts things
PREFIX     ?= /usr/local
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR     ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
DESTDIR    ?=

.PHONY: all userspace help clean

all: userspace module-if-headers ## the library, tools and tests; the driver where KDIR has headers

include lib/lib.mk
include examples/examples.mk
include tools/ksmctl/ksmctl.mk
include driver/driver.mk
include tests/tests.mk
include packaging/install.mk
include tools/rig/rig.mk

userspace: lib examples ksmctl preload guest-tests unit-tests ## everything but the driver

help: ## this list
	@echo "Targets:"
	@awk -F ':.*## ' '/^[a-z][^:=]*:.*## / { printf "  %-22s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)
	@echo "Knobs (make NAME=value, or the environment):"
	@sed -n 's/^## \([A-Z][A-Za-z_, .]*\): \(.*\)/  \1: \2/p' $(MAKEFILE_LIST)

clean: ## remove build/ and the in-place module build
	rm -rf $(BUILD)
	-$(call kbuild,$(KDIR),$(TOP)/driver) -s clean 2>/dev/null

endif # KSMDEV_RELINK_TOP
