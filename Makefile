# SPDX-License-Identifier: GPL-2.0-only
#
# ksmdev top-level build.
#
#   make                 driver for KDIR, library, tools, tests
#   make module KDIR=..  driver/ksmdev.ko against exactly those headers
#   make check           setup, build, unit tests, in-guest tests on 6.1 and 6.12
#   make demo            setup, build, boot the default guest, show merging
#   make vm-shell        interactive guest with the module and tools present
#
# Narrow the loop with KSMDEV_KERNELS="6.1" and KSMDEV_TESTS="regex".

TOP        := $(CURDIR)
BUILD      := $(TOP)/build
KSMDEV_CACHE ?= $(TOP)/.cache
export KSMDEV_CACHE

KSMDEV_KERNELS ?= 6.1 6.12
export KSMDEV_KERNELS
KSMDEV_TESTS ?=
export KSMDEV_TESTS

CC       ?= cc
CFLAGS   ?= -O2 -g
WARN     := -Wall -Wextra -Wno-unused-parameter -Werror=implicit-function-declaration
CPPFLAGS += -I$(TOP)/include/uapi -I$(TOP)/lib/include -D_GNU_SOURCE

# Default module target: the running kernel's headers when they exist,
# otherwise the headers of the default (6.1) test kernel from setup.
RUNNING_KDIR := /lib/modules/$(shell uname -r)/build
DEFAULT_ABI   = $(shell cat $(KSMDEV_CACHE)/kernels/6.1.abi 2>/dev/null)
ifeq ($(wildcard $(RUNNING_KDIR)/Makefile),)
KDIR ?= /usr/src/linux-headers-$(DEFAULT_ABI)
else
KDIR ?= $(RUNNING_KDIR)
endif

DRIVER_SRCS := $(wildcard $(TOP)/driver/*.c $(TOP)/driver/*.h) $(TOP)/driver/Kbuild \
	       $(TOP)/include/uapi/linux/ksmdev.h

# ---------------------------------------------------------------- userspace

GUEST_TEST_SRCS := $(wildcard tests/guest/*.c)
GUEST_TESTS     := $(patsubst tests/guest/%.c,$(BUILD)/tests/guest/%,$(GUEST_TEST_SRCS))
GUEST_HELPER    := tests/guest/helpers/ktest.c
UNIT_TEST_SRCS  := $(wildcard tests/unit/*.c)
UNIT_TESTS      := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(UNIT_TEST_SRCS))

.PHONY: all module userspace guest-tests unit-tests check unit-check vm-check \
	demo vm-shell setup clean sparse

all: module userspace

userspace: guest-tests unit-tests

guest-tests: $(GUEST_TESTS)

unit-tests: $(UNIT_TESTS)

$(BUILD)/tests/guest/%: tests/guest/%.c $(GUEST_HELPER) tests/guest/helpers/ktest.h \
		include/uapi/linux/ksmdev.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests/guest/helpers $(CFLAGS) $(WARN) -o $@ $< $(GUEST_HELPER) -lpthread

$(BUILD)/tests/unit/%: tests/unit/%.c include/uapi/linux/ksmdev.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -o $@ $< -lcmocka

# ---------------------------------------------------------------- driver

# Build in place, against exactly $(KDIR).
module:
	@test -f $(KDIR)/Makefile || { echo "make: no kernel headers at KDIR=$(KDIR);" \
		"install linux-headers-\$$(uname -r) or run tools/setup.sh" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(TOP)/driver KSMDEV_TOP=$(TOP) modules

sparse:
	$(MAKE) -C $(KDIR) M=$(TOP)/driver KSMDEV_TOP=$(TOP) C=2 modules

# Out-of-tree copy per test kernel ABI: build/kmod/<abi>/ksmdev.ko and the
# test-only modules in build/kmod/<abi>/test/.
$(BUILD)/kmod/%/ksmdev.ko: $(DRIVER_SRCS) $(wildcard tests/kmod/*.c tests/kmod/Kbuild)
	@mkdir -p $(dir $@)/test
	@for f in $(TOP)/driver/*.c $(TOP)/driver/*.h $(TOP)/driver/Kbuild; do \
		[ -e $$f ] && ln -sf $$f $(dir $@) || true; done
	@for f in $(TOP)/tests/kmod/*.c $(TOP)/tests/kmod/Kbuild; do \
		[ -e $$f ] && ln -sf $$f $(dir $@)/test/ || true; done
	$(MAKE) -s -C /usr/src/linux-headers-$* M=$(dir $@) KSMDEV_TOP=$(TOP) modules
	@if [ -e $(TOP)/tests/kmod/Kbuild ]; then \
		$(MAKE) -s -C /usr/src/linux-headers-$* M=$(dir $@)test KSMDEV_TOP=$(TOP) modules; fi

# ---------------------------------------------------------------- tests

setup:
	@tools/setup.sh

unit-check: unit-tests
	@fail=0; for t in $(UNIT_TESTS); do \
		if $$t >$$t.log 2>&1; then echo "unit: PASS $$(basename $$t)"; \
		else echo "unit: FAIL $$(basename $$t)"; cat $$t.log; fail=1; fi; \
	done; exit $$fail

# Build the module for each test kernel, then boot each kernel once and
# run every in-guest test in it.
vm-check: guest-tests
	@fail=0; for s in $(KSMDEV_KERNELS); do \
		abi=$$(cat $(KSMDEV_CACHE)/kernels/$$s.abi) || exit 1; \
		$(MAKE) -s $(BUILD)/kmod/$$abi/ksmdev.ko || exit 1; \
		tools/vm/run.sh --kernel $$s --mode test || fail=1; \
	done; exit $$fail

check: setup
	@$(MAKE) -s unit-tests guest-tests
	@$(MAKE) -s unit-check
	@$(MAKE) -s vm-check

demo: setup
	@$(MAKE) -s guest-tests
	@s=$(firstword $(KSMDEV_KERNELS)); abi=$$(cat $(KSMDEV_CACHE)/kernels/$$s.abi) && \
		$(MAKE) -s $(BUILD)/kmod/$$abi/ksmdev.ko && \
		tools/vm/run.sh --kernel $$s --mode demo

vm-shell: setup
	@$(MAKE) -s guest-tests
	@s=$(firstword $(KSMDEV_KERNELS)); abi=$$(cat $(KSMDEV_CACHE)/kernels/$$s.abi) && \
		$(MAKE) -s $(BUILD)/kmod/$$abi/ksmdev.ko && \
		tools/vm/run.sh --kernel $$s --mode shell

clean:
	rm -rf $(BUILD)
	-$(MAKE) -s -C $(KDIR) M=$(TOP)/driver clean 2>/dev/null
