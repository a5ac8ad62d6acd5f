# SPDX-License-Identifier: GPL-2.0-only
#
# The development rig: setting up the test kernels, the guest runs (check,
# vm-check, demo, vm-shell, stress, the debug kernel), the package checks,
# the benchmarks, the newcomer check, and the demo and bench programs the
# guest runs.
# Nothing here is installed.  Included by the top-level Makefile.

.PHONY: setup check vm-check package-check demo vm-shell bench bench-quick stress \
	check-debug check-debug-quick guest-build check-newcomer

## KSMDEV_PARALLEL: vm-check boots the kernels side by side when set
KSMDEV_PARALLEL ?=

RUN_VM := tools/rig/vm/run.sh

# In a recipe: -jN for the machine's N cores, unless make was given -j.
NPROC := $(shell nproc 2>/dev/null || echo 1)
PAR = $$(case " $$MAKEFLAGS " in *" -j"*) ;; *) echo -j$(NPROC) ;; esac)

# The demo and bench programs, built with the examples.
examples: $(BUILD)/tools/ksmdev-demo $(BUILD)/tools/ksmdev-bench

$(BUILD)/tools/ksmdev-demo: tools/rig/demo/ksmdev-demo.c $(LIB_SO)
	@mkdir -p $(dir $@)
	$(LINK_WITH_LIB)

$(BUILD)/tools/ksmdev-bench: tools/rig/bench/ksmdev-bench.c $(LIB_SO)
	@mkdir -p $(dir $@)
	$(LINK_WITH_LIB)

setup: ## install the build's packages, fetch the test kernels into KSMDEV_CACHE
	@tools/rig/setup.sh

# What a guest uses of the tree besides the module: the guest sees the
# host's / and runs the programs where the build put them.
guest-build: lib examples ksmctl preload guest-tests ## everything a guest run uses but the module

check: setup ## setup, build, unit tests, driver checks, package checks, guest tests on each kernel
	@$(MAKE) -s $(PAR) userspace
	@$(MAKE) -s unit-check
	@$(MAKE) -s $(PAR) driver-check
	@$(MAKE) -s package-check
	@$(MAKE) -s vm-check

# Build the module for each test kernel, then boot each kernel once and
# run every in-guest test in it, one kernel after the other: each guest's
# two vCPUs get the machine's two cores (overcommitted TCG vCPUs starve
# long enough to trip the guest's lockup detectors).  KSMDEV_PARALLEL=1
# boots them side by side instead (faster on machines with more cores);
# every output line says which kernel it is from.
vm-check: guest-build kmods ## the guest tests on each KSMDEV_KERNELS kernel
	@mkdir -p $(BUILD)/vm; fail=0; \
	for s in $(KSMDEV_KERNELS); do \
		if [ -z "$(KSMDEV_PARALLEL)" ]; then \
			$(RUN_VM) --kernel $$s --mode test || fail=1; \
		else \
			( $(RUN_VM) --kernel $$s --mode test; \
			  echo $$? >$(BUILD)/vm/check-$$s.rc ) & \
		fi; \
	done; wait; \
	if [ -n "$(KSMDEV_PARALLEL)" ]; then for s in $(KSMDEV_KERNELS); do \
		[ "$$(cat $(BUILD)/vm/check-$$s.rc 2>/dev/null)" = 0 ] || fail=1; \
	done; fi; \
	[ $$fail = 0 ] && echo "vm-check: all kernels passed" || echo "vm-check: FAILED"; \
	exit $$fail

# The driver through DKMS for each test kernel; the Debian packages built,
# checked with lintian, and (as root) installed into a throw-away copy of
# / and purged.
package-check: ## DKMS build for each kernel, the Debian packages and lintian
	@tools/rig/package/dkms-check.sh
	@tools/rig/package/deb-check.sh

# The first kernel of KSMDEV_KERNELS only.
GUEST_KERNEL = $(firstword $(KSMDEV_KERNELS))

demo: setup ## boot the first kernel, show merging
	@$(MAKE) -s $(PAR) guest-build kmods KSMDEV_KERNELS=$(GUEST_KERNEL)
	@$(RUN_VM) --kernel $(GUEST_KERNEL) --mode demo

vm-shell: setup ## an interactive guest (first kernel) with the module loaded
	@$(MAKE) -s $(PAR) guest-build kmods KSMDEV_KERNELS=$(GUEST_KERNEL)
	@$(RUN_VM) --kernel $(GUEST_KERNEL) --mode shell

# Benchmarks against in-kernel KSM (not part of check); bench-quick is short.
bench: ## ksmdev against in-kernel KSM on each kernel (not in check)
bench-quick: ## a short bench
bench bench-quick: setup
	@$(MAKE) -s lib examples kmods
	@tools/rig/bench/run.sh $(if $(filter bench-quick,$@),quick,all)

# Long reliability runs: the stress, fuzz and resource tests with a longer
# stress duration (seconds) and more fuzzed ioctls, on each kernel.
## DURATION, CALLS: stress's seconds of stress_integrity and fuzzed ioctls (600, 200000)
DURATION ?= 600
CALLS    ?= 200000
stress: setup ## long stress, fuzz and resource runs on each kernel (not in check)
	@$(MAKE) -s guest-build kmods
	@fail=0; for s in $(KSMDEV_KERNELS); do \
		KSMDEV_TESTS='^stress_|^fuzz_|^resources_' $(RUN_VM) --kernel $$s \
		  --timeout $$(( $(DURATION) + 900 )) \
		  --env "KSMDEV_STRESS_SECONDS=$(DURATION) KSMDEV_FUZZ_CALLS=$(CALLS) KTEST_TIMEOUT=$$(( $(DURATION) + 300 ))" \
		  || fail=1; \
	done; exit $$fail

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
check-debug: ## the guest tests on the KASAN/lockdep/kmemleak 6.1 kernel
check-debug-quick: ## the same, the driver group only (CI)
check-debug check-debug-quick: setup
	@$(MAKE) -s guest-build
	@tools/rig/debug-kernel/build.sh
	@$(MAKE) -s kmods KSMDEV_KERNELS=6.1-debug
	@$(if $(filter check-debug-quick,$@),KSMDEV_TEST_GROUPS=driver) \
		$(RUN_VM) --kernel 6.1-debug --mode test --timeout 5400 --cpu max,la57=off \
		  --env "KTEST_TIMEOUT=1200 KTEST_SLOW=4"

# A newcomer's first hour: make demo and make check in a clone of HEAD on a
# bare Debian 12 root (debootstrap minbase + git + make, cached as a
# tarball in KSMDEV_NEWCOMER_DIR, default build/newcomer/), chrooted, with
# a clean environment and the newcomer's own kernel downloads.  Root only;
# as long as a fresh make check; not part of check or CI.
## KSMDEV_NEWCOMER_DIR: check-newcomer's work dir: root, tarball, log (default build/newcomer/)
check-newcomer: ## make demo + make check in a clone on a bare Debian 12 chroot (root; long, not in CI)
	@tools/rig/newcomer/run.sh
