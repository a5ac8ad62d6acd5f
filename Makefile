# SPDX-License-Identifier: GPL-2.0-only
#
# ksmdev top-level build.
#
#   make                 driver for KDIR, library, tools, tests
#   make module KDIR=..  driver/ksmdev.ko against exactly those headers
#   make check           setup, build, unit tests, in-guest tests on 6.1 and 6.12
#   make check-debug     the in-guest tests on a KASAN/lockdep/kmemleak 6.1 kernel
#   make check-debug-quick   the same without the library/ksmctl/shim tests (CI)
#   make demo            setup, build, boot the default guest, show merging
#   make vm-shell        interactive guest with the module and tools present
#
# Narrow the loop with KSMDEV_KERNELS="6.1", KSMDEV_TEST_GROUPS="driver"
# (directories of tests/guest/) and KSMDEV_TESTS="regex".

TOP        := $(CURDIR)
BUILD      := $(TOP)/build
KSMDEV_CACHE ?= $(TOP)/.cache
export KSMDEV_CACHE

KSMDEV_KERNELS ?= 6.1 6.12
export KSMDEV_KERNELS
KSMDEV_TESTS ?=
export KSMDEV_TESTS
KSMDEV_TEST_GROUPS ?=
export KSMDEV_TEST_GROUPS
KSMDEV_PARALLEL ?=

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

DRIVER_SRCS := $(filter-out %.mod.c,$(wildcard $(TOP)/driver/*.c $(TOP)/driver/*.h)) \
	       $(TOP)/driver/Kbuild \
	       $(TOP)/include/uapi/linux/ksmdev.h

# ---------------------------------------------------------------- userspace

# The guest tests, one directory per group (tests/guest/<group>/); the
# C helpers all of them link are in tests/guest/helpers/.
GUEST_GROUPS    := $(filter-out helpers,$(notdir $(patsubst %/,%,$(wildcard tests/guest/*/))))
GUEST_TEST_SRCS := $(wildcard $(GUEST_GROUPS:%=tests/guest/%/*.c))
GUEST_TESTS     := $(patsubst tests/guest/%.c,$(BUILD)/tests/guest/%,$(GUEST_TEST_SRCS))
GUEST_HELPER    := tests/guest/helpers/ktest.c
UNIT_TEST_SRCS  := $(wildcard tests/unit/*.c)
UNIT_TESTS      := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(UNIT_TEST_SRCS))
UNIT_SCRIPTS    := $(wildcard tests/unit/*.sh)

.PHONY: all module userspace guest-tests unit-tests check check-debug check-debug-quick unit-check vm-check package-check preload stress \
	demo vm-shell setup clean sparse lib install uninstall examples ksmctl bench bench-quick

all: module userspace

userspace: lib examples ksmctl preload guest-tests unit-tests

# ---------------------------------------------------------------- library

VERSION    := 1.0.0
SOMAJOR    := 1
PREFIX     ?= /usr/local
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR     ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
DESTDIR    ?=

LIB_SRCS   := lib/ksmdev.c
LIB_HDRS   := lib/include/ksmdev.h include/uapi/linux/ksmdev.h
LIB_SO     := $(BUILD)/lib/libksmdev.so.$(VERSION)
LIB_A      := $(BUILD)/lib/libksmdev.a
LIB_PIC_O  := $(BUILD)/lib/ksmdev.pic.o
LIB_O      := $(BUILD)/lib/ksmdev.o
LIB_CFLAGS := -fvisibility=hidden -std=gnu11

lib: $(LIB_SO) $(LIB_A) $(BUILD)/lib/libksmdev.pc

$(LIB_PIC_O): $(LIB_SRCS) $(LIB_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) $(LIB_CFLAGS) -fPIC -c -o $@ $<

$(LIB_O): $(LIB_SRCS) $(LIB_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) $(LIB_CFLAGS) -c -o $@ $<

$(LIB_SO): $(LIB_PIC_O) lib/libksmdev.map
	$(CC) $(CFLAGS) $(LDFLAGS) -shared -Wl,-soname,libksmdev.so.$(SOMAJOR) \
		-Wl,--version-script=lib/libksmdev.map -o $@ $(LIB_PIC_O)
	ln -sf libksmdev.so.$(VERSION) $(BUILD)/lib/libksmdev.so.$(SOMAJOR)
	ln -sf libksmdev.so.$(SOMAJOR) $(BUILD)/lib/libksmdev.so

$(LIB_A): $(LIB_O)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/lib/libksmdev.pc: libksmdev.pc.in Makefile
	@mkdir -p $(dir $@)
	sed -e 's|@prefix@|$(PREFIX)|' -e 's|@libdir@|$(LIBDIR)|' \
	    -e 's|@includedir@|$(INCLUDEDIR)|' -e 's|@version@|$(VERSION)|' $< >$@

# The LD_PRELOAD shim: no SONAME, nothing exported but the interposed
# allocator and mmap functions (see lib/preload/ksmdev-preload.c).
preload: $(BUILD)/lib/libksmdev-preload.so

$(BUILD)/lib/libksmdev-preload.so: lib/preload/ksmdev-preload.c include/uapi/linux/ksmdev.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) $(LDFLAGS) -fvisibility=hidden -fPIC -shared \
		-o $@ $< -lpthread

examples: $(BUILD)/examples/ksmdev-example $(BUILD)/tools/ksmdev-demo $(BUILD)/tools/ksmdev-bench

$(BUILD)/tools/ksmdev-bench: tools/rig/bench/ksmdev-bench.c $(LIB_SO)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -o $@ $< -L$(BUILD)/lib -lksmdev -Wl,-rpath,$(BUILD)/lib

$(BUILD)/examples/%: examples/%.c $(LIB_SO)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -o $@ $< -L$(BUILD)/lib -lksmdev -Wl,-rpath,$(BUILD)/lib

$(BUILD)/tools/ksmdev-demo: tools/rig/demo/ksmdev-demo.c $(LIB_SO)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -o $@ $< -L$(BUILD)/lib -lksmdev -Wl,-rpath,$(BUILD)/lib

# ---------------------------------------------------------------- install
#
#   make install        install-lib install-ksmctl install-preload install-conf
#   make install-dkms   the DKMS source tree, and loading the module at boot
#
# DESTDIR stages everything (packaging, tests).  The system paths (udev,
# /etc, /usr/src) do not follow PREFIX: udev, systemd-modules-load,
# modprobe and dkms look only there.  Installing only copies what the
# build made (the tree may be read-only in the guest); each uninstall-X
# removes what install-X put.

BINDIR     ?= $(PREFIX)/bin
SBINDIR    ?= $(PREFIX)/sbin
PRELOADDIR ?= $(LIBDIR)/ksmdev
SYSCONFDIR ?= /etc
UDEVDIR    ?= /lib/udev/rules.d
DKMSDIR    ?= /usr/src/ksmdev-$(VERSION)

MAN3         := $(wildcard man/man3/*.3)
MAN7         := man/man7/ksmdev.7
MAN_KSMCTL   := man/man8/ksmctl.8
MAN_PRELOAD  := $(wildcard man/man8/ksmdev-run.8 man/man7/ksmdev-preload.7)
DKMS_SOURCES  = driver/Kbuild $(filter-out %.mod.c,$(wildcard driver/*.c)) $(wildcard driver/*.h)

.PHONY: install-lib install-ksmctl install-preload install-conf install-dkms \
	uninstall-lib uninstall-ksmctl uninstall-preload uninstall-conf uninstall-dkms

install: install-lib install-ksmctl install-preload install-conf
uninstall: uninstall-lib uninstall-ksmctl uninstall-preload uninstall-conf

# The .pc file is written for the PREFIX/LIBDIR given to install.
install-lib: $(LIB_SO) $(LIB_A)
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR)/linux \
		$(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(MANDIR)/man3 $(DESTDIR)$(MANDIR)/man7
	install -m 755 $(LIB_SO) $(DESTDIR)$(LIBDIR)/
	install -m 644 $(LIB_A) $(DESTDIR)$(LIBDIR)/
	ln -sf libksmdev.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libksmdev.so.$(SOMAJOR)
	ln -sf libksmdev.so.$(SOMAJOR) $(DESTDIR)$(LIBDIR)/libksmdev.so
	install -m 644 lib/include/ksmdev.h $(DESTDIR)$(INCLUDEDIR)/ksmdev.h
	install -m 644 include/uapi/linux/ksmdev.h $(DESTDIR)$(INCLUDEDIR)/linux/ksmdev.h
	sed -e 's|@prefix@|$(PREFIX)|' -e 's|@libdir@|$(LIBDIR)|' \
	    -e 's|@includedir@|$(INCLUDEDIR)|' -e 's|@version@|$(VERSION)|' \
	    libksmdev.pc.in >$(DESTDIR)$(PKGCONFIGDIR)/libksmdev.pc
	chmod 644 $(DESTDIR)$(PKGCONFIGDIR)/libksmdev.pc
	install -m 644 $(MAN3) $(DESTDIR)$(MANDIR)/man3/
	install -m 644 $(MAN7) $(DESTDIR)$(MANDIR)/man7/

# build/install/ksmctl: the copy without an rpath into build/ (`make ksmctl`).
install-ksmctl: $(BUILD)/install/ksmctl
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8
	install -m 755 $(BUILD)/install/ksmctl $(DESTDIR)$(SBINDIR)/ksmctl
	install -m 644 $(MAN_KSMCTL) $(DESTDIR)$(MANDIR)/man8/

# The shim goes to a directory of its own (no SONAME: it is no library to
# link with, and the linker's directories are for those); ksmdev-run is
# told where.
install-preload: $(BUILD)/lib/libksmdev-preload.so tools/ksmdev-run
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(PRELOADDIR)
	install -m 644 $(BUILD)/lib/libksmdev-preload.so $(DESTDIR)$(PRELOADDIR)/
	sed -e 's|@LIBDIR@|$(PRELOADDIR)|g' tools/ksmdev-run >$(DESTDIR)$(BINDIR)/ksmdev-run
	chmod 755 $(DESTDIR)$(BINDIR)/ksmdev-run
	for m in $(MAN_PRELOAD:man/%=%); do \
		install -D -m 644 man/$$m $(DESTDIR)$(MANDIR)/$$m || exit 1; done

# The device's group and mode for udev; the module parameters, commented out.
install-conf:
	install -d $(DESTDIR)$(UDEVDIR) $(DESTDIR)$(SYSCONFDIR)/modprobe.d
	install -m 644 udev/60-ksmdev.rules $(DESTDIR)$(UDEVDIR)/60-ksmdev.rules
	install -m 644 packaging/modprobe.d/ksmdev.conf $(DESTDIR)$(SYSCONFDIR)/modprobe.d/ksmdev.conf

# Then: sudo dkms install ksmdev/$(VERSION).  modules-load.d comes with it:
# only an installed module can be loaded at boot.
install-dkms:
	install -d $(DESTDIR)$(DKMSDIR)/driver $(DESTDIR)$(DKMSDIR)/include/uapi/linux \
		$(DESTDIR)$(SYSCONFDIR)/modules-load.d
	install -m 644 dkms.conf $(DESTDIR)$(DKMSDIR)/dkms.conf
	install -m 644 $(DKMS_SOURCES) $(DESTDIR)$(DKMSDIR)/driver/
	install -m 644 include/uapi/linux/ksmdev.h $(DESTDIR)$(DKMSDIR)/include/uapi/linux/
	install -m 644 packaging/modules-load.d/ksmdev.conf \
		$(DESTDIR)$(SYSCONFDIR)/modules-load.d/ksmdev.conf

uninstall-lib:
	rm -f $(DESTDIR)$(LIBDIR)/libksmdev.so.$(VERSION) \
	      $(DESTDIR)$(LIBDIR)/libksmdev.so.$(SOMAJOR) \
	      $(DESTDIR)$(LIBDIR)/libksmdev.so $(DESTDIR)$(LIBDIR)/libksmdev.a \
	      $(DESTDIR)$(INCLUDEDIR)/ksmdev.h $(DESTDIR)$(INCLUDEDIR)/linux/ksmdev.h \
	      $(DESTDIR)$(PKGCONFIGDIR)/libksmdev.pc
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man3/,$(notdir $(MAN3))) \
	      $(addprefix $(DESTDIR)$(MANDIR)/man7/,$(notdir $(MAN7)))

uninstall-ksmctl:
	rm -f $(DESTDIR)$(SBINDIR)/ksmctl $(DESTDIR)$(MANDIR)/man8/$(notdir $(MAN_KSMCTL))

uninstall-preload:
	rm -f $(DESTDIR)$(BINDIR)/ksmdev-run $(DESTDIR)$(PRELOADDIR)/libksmdev-preload.so \
	      $(addprefix $(DESTDIR)$(MANDIR)/,$(MAN_PRELOAD:man/%=%))
	rmdir $(DESTDIR)$(PRELOADDIR) 2>/dev/null || true

uninstall-conf:
	rm -f $(DESTDIR)$(UDEVDIR)/60-ksmdev.rules $(DESTDIR)$(SYSCONFDIR)/modprobe.d/ksmdev.conf

# After `sudo dkms remove ksmdev/$(VERSION) --all`.
uninstall-dkms:
	rm -rf $(DESTDIR)$(DKMSDIR)
	rm -f $(DESTDIR)$(SYSCONFDIR)/modules-load.d/ksmdev.conf

# Programs the preload tests run (not tests themselves): ordinary programs
# with no ksmdev code, and ksm-helper for driving the device.
PRELOAD_HELPERS := $(patsubst %.c,$(BUILD)/%,$(wildcard tests/guest/preload/helpers/*.c))

guest-tests: $(GUEST_TESTS) $(PRELOAD_HELPERS)

$(BUILD)/tests/guest/preload/helpers/%: tests/guest/preload/helpers/%.c include/uapi/linux/ksmdev.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -o $@ $< -lpthread

unit-tests: $(UNIT_TESTS) $(BUILD)/tests/unit/helpers/libksmdev-preload-mock.so $(PRELOAD_HELPERS)

# The shim with a mock /dev/ksm linked in (tests/unit/helpers/mock-ksm.c):
# its syscall() calls go to the mock (preload_mock_device.sh).
$(BUILD)/tests/unit/helpers/libksmdev-preload-mock.so: lib/preload/ksmdev-preload.c \
		tests/unit/helpers/mock-ksm.c include/uapi/linux/ksmdev.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) $(LDFLAGS) -fvisibility=hidden -fPIC -shared \
		-Wl,--wrap=syscall -o $@ $(filter %.c,$^) -lpthread

$(BUILD)/tests/guest/%: tests/guest/%.c $(GUEST_HELPER) tests/guest/helpers/ktest.h \
		include/uapi/linux/ksmdev.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests/guest/helpers $(CFLAGS) $(WARN) -o $@ $< $(GUEST_HELPER) -lpthread

# Unit tests of the library link its object with the kernel side (open,
# ioctl, close) replaced at link time by the test's __wrap_ functions.
UNIT_WRAP := -Wl,--wrap=ioctl -Wl,--wrap=open -Wl,--wrap=close

$(BUILD)/tests/unit/lib_%: tests/unit/lib_%.c $(LIB_O)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -o $@ $< $(LIB_O) $(UNIT_WRAP) -lcmocka

$(BUILD)/tests/unit/%: tests/unit/%.c include/uapi/linux/ksmdev.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -o $@ $< -lcmocka

# ---------------------------------------------------------------- ksmctl

KSMCTL_SRCS := $(wildcard tools/ksmctl/*.c)
KSMCTL_HDRS := $(wildcard tools/ksmctl/*.h)

# build/tools/ksmctl runs from the tree (rpath to build/lib: tests, guest);
# build/install/ksmctl is the copy `make install` puts in $(SBINDIR), with
# no rpath into the build tree.  `make ksmctl` builds both, so the install
# target (which only copies, also from the read-only tree in the guest)
# finds it.
ksmctl: $(BUILD)/tools/ksmctl $(BUILD)/install/ksmctl

$(BUILD)/tools/ksmctl: $(KSMCTL_SRCS) $(KSMCTL_HDRS) $(LIB_HDRS) $(LIB_SO)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) $(LDFLAGS) -std=gnu11 -o $@ $(KSMCTL_SRCS) \
		-L$(BUILD)/lib -lksmdev -Wl,-rpath,$(BUILD)/lib

$(BUILD)/install/ksmctl: $(KSMCTL_SRCS) $(KSMCTL_HDRS) $(LIB_HDRS) $(LIB_SO)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) $(LDFLAGS) -std=gnu11 -o $@ $(KSMCTL_SRCS) \
		-L$(BUILD)/lib -lksmdev

# Unit tests of ksmctl link only its pure parts, no libksmdev:
# tests/unit/ksmctl_X.c with tools/ksmctl/X.c (X = cli, format).
$(BUILD)/tests/unit/ksmctl_%: tests/unit/ksmctl_%.c tools/ksmctl/%.c tools/ksmctl/%.h \
		include/uapi/linux/ksmdev.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itools/ksmctl $(CFLAGS) $(WARN) -o $@ $< tools/ksmctl/$*.c -lcmocka

# ---------------------------------------------------------------- driver

# Build in place, against exactly $(KDIR).
module:
	@test -f $(KDIR)/Makefile || { echo "make: no kernel headers at KDIR=$(KDIR);" \
		"install linux-headers-\$$(uname -r) or run tools/rig/setup.sh" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(TOP)/driver KSMDEV_TOP=$(TOP) modules

sparse:
	$(MAKE) -C $(KDIR) M=$(TOP)/driver KSMDEV_TOP=$(TOP) C=2 modules

# Kernel tree for an ABI: the debug kernel's build tree in the cache, or the
# Debian headers package.
kdir_of = $(if $(wildcard $(KSMDEV_CACHE)/kernels/$(1)/build/Makefile),$(KSMDEV_CACHE)/kernels/$(1)/build,/usr/src/linux-headers-$(1))

# Out-of-tree copy per test kernel ABI: build/kmod/<abi>/ksmdev.ko and the
# test-only modules in build/kmod/<abi>/test/.
$(BUILD)/kmod/%/ksmdev.ko: $(DRIVER_SRCS) $(wildcard tests/kmod/*.c tests/kmod/Kbuild)
	@mkdir -p $(dir $@)/test
	@rm -f $(dir $@)*.mod.c
	@for f in $(filter-out %.mod.c,$(wildcard $(TOP)/driver/*.c)) $(TOP)/driver/*.h \
			$(TOP)/driver/Kbuild; do \
		[ -e $$f ] && ln -sf $$f $(dir $@) || true; done
	@for f in $(TOP)/tests/kmod/*.c $(TOP)/tests/kmod/Kbuild; do \
		[ -e $$f ] && ln -sf $$f $(dir $@)/test/ || true; done
	$(MAKE) -s -C $(call kdir_of,$*) M=$(dir $@) KSMDEV_TOP=$(TOP) modules
	@if [ -e $(TOP)/tests/kmod/Kbuild ]; then \
		$(MAKE) -s -C $(call kdir_of,$*) M=$(dir $@)test KSMDEV_TOP=$(TOP) modules; fi

# ---------------------------------------------------------------- tests

setup:
	@tools/rig/setup.sh

unit-check: unit-tests
	@fail=0; for t in $(UNIT_TESTS) $(UNIT_SCRIPTS); do n=$$(basename $$t .sh); \
		if $$t >$(BUILD)/tests/unit/$$n.log 2>&1; then echo "unit: PASS $$n"; \
		else echo "unit: FAIL $$n"; cat $(BUILD)/tests/unit/$$n.log; fail=1; fi; \
	done; exit $$fail

# Build the module for each test kernel, then boot each kernel once and
# run every in-guest test in it, one kernel after the other: each guest's
# two vCPUs get the machine's two cores (overcommitted TCG vCPUs starve
# long enough to trip the guest's lockup detectors).  KSMDEV_PARALLEL=1
# boots them side by side instead (faster on machines with more cores);
# every output line says which kernel it is from.
vm-check: lib examples ksmctl preload guest-tests
	@for s in $(KSMDEV_KERNELS); do \
		abi=$$(cat $(KSMDEV_CACHE)/kernels/$$s.abi) || exit 1; \
		$(MAKE) -s $(BUILD)/kmod/$$abi/ksmdev.ko || exit 1; \
	done
	@mkdir -p $(BUILD)/vm; fail=0; \
	for s in $(KSMDEV_KERNELS); do \
		if [ -z "$(KSMDEV_PARALLEL)" ]; then \
			tools/rig/vm/run.sh --kernel $$s --mode test || fail=1; \
		else \
			( tools/rig/vm/run.sh --kernel $$s --mode test; \
			  echo $$? >$(BUILD)/vm/check-$$s.rc ) & \
		fi; \
	done; wait; \
	if [ -n "$(KSMDEV_PARALLEL)" ]; then for s in $(KSMDEV_KERNELS); do \
		[ "$$(cat $(BUILD)/vm/check-$$s.rc 2>/dev/null)" = 0 ] || fail=1; \
	done; fi; \
	[ $$fail = 0 ] && echo "vm-check: all kernels passed" || echo "vm-check: FAILED"; \
	exit $$fail

check: setup
	@$(MAKE) -s lib examples ksmctl preload unit-tests guest-tests
	@$(MAKE) -s unit-check
	@$(MAKE) -s package-check
	@$(MAKE) -s vm-check

# The driver through DKMS for each test kernel; the Debian packages built,
# checked with lintian, and (as root) installed into a throw-away copy of
# / and purged.
package-check:
	@tools/rig/package/dkms-check.sh
	@tools/rig/package/deb-check.sh

demo: setup
	@$(MAKE) -s lib examples ksmctl preload guest-tests
	@s=$(firstword $(KSMDEV_KERNELS)); abi=$$(cat $(KSMDEV_CACHE)/kernels/$$s.abi) && \
		$(MAKE) -s $(BUILD)/kmod/$$abi/ksmdev.ko && \
		tools/rig/vm/run.sh --kernel $$s --mode demo

# Benchmarks against in-kernel KSM (not part of check); bench-quick is short.
bench bench-quick: setup
	@$(MAKE) -s lib examples
	@for s in $(KSMDEV_KERNELS); do abi=$$(cat $(KSMDEV_CACHE)/kernels/$$s.abi) && \
		$(MAKE) -s $(BUILD)/kmod/$$abi/ksmdev.ko || exit 1; done
	@tools/rig/bench/run.sh $(if $(filter bench-quick,$@),quick,all)

# The whole in-guest suite on a debug kernel built from Debian's
# linux-source-6.1 with KASAN, lockdep, DEBUG_VM, PAGE_TABLE_CHECK,
# KMEMLEAK... (built once into the cache: tools/rig/debug-kernel/build.sh).
# Everything is slower there: generous guest and per-test time limits.
# 5-level paging is off in that guest: with it, 6.1's KASAN reports a wild
# access in rcu_is_watching() from an interrupt during identify_cpu() at
# boot, before any module is loaded.
# check-debug-quick, what CI runs, runs only the driver's group of tests
# (check runs the library, ksmctl, shim and install groups on both
# kernels) and the kmemleak scan after rmmod.  Measured on the 2-core
# machine (2026-12-01): the quick run 14 minutes, the tests it leaves out
# another 20, so the whole suite about 34 minutes.
check-debug check-debug-quick: setup
	@$(MAKE) -s lib examples ksmctl preload guest-tests
	@tools/rig/debug-kernel/build.sh
	@abi=$$(cat $(KSMDEV_CACHE)/kernels/6.1-debug.abi) && \
		$(MAKE) -s $(BUILD)/kmod/$$abi/ksmdev.ko && \
		$(if $(filter check-debug-quick,$@),KSMDEV_TEST_GROUPS=driver) \
		tools/rig/vm/run.sh --kernel 6.1-debug --mode test --timeout 5400 --cpu max,la57=off \
		  --env "KTEST_TIMEOUT=1200 KTEST_SLOW=4"

# Long reliability runs: the stress, fuzz and resource tests with a longer
# stress duration (seconds) and more fuzzed ioctls, on each kernel.
DURATION ?= 600
CALLS    ?= 200000
stress: setup
	@$(MAKE) -s lib examples ksmctl preload guest-tests
	@fail=0; for s in $(KSMDEV_KERNELS); do abi=$$(cat $(KSMDEV_CACHE)/kernels/$$s.abi) || exit 1; \
		$(MAKE) -s $(BUILD)/kmod/$$abi/ksmdev.ko || exit 1; \
		KSMDEV_TESTS='^stress_|^fuzz_|^resources_' tools/rig/vm/run.sh --kernel $$s \
		  --timeout $$(( $(DURATION) + 900 )) \
		  --env "KSMDEV_STRESS_SECONDS=$(DURATION) KSMDEV_FUZZ_CALLS=$(CALLS) KTEST_TIMEOUT=$$(( $(DURATION) + 300 ))" \
		  || fail=1; \
	done; exit $$fail

vm-shell: setup
	@$(MAKE) -s lib examples ksmctl preload guest-tests
	@s=$(firstword $(KSMDEV_KERNELS)); abi=$$(cat $(KSMDEV_CACHE)/kernels/$$s.abi) && \
		$(MAKE) -s $(BUILD)/kmod/$$abi/ksmdev.ko && \
		tools/rig/vm/run.sh --kernel $$s --mode shell

clean:
	rm -rf $(BUILD)
	-$(MAKE) -s -C $(KDIR) M=$(TOP)/driver clean 2>/dev/null
