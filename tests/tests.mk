# SPDX-License-Identifier: GPL-2.0-only
#
# The test programs: unit tests (tests/unit/, run on the host by
# unit-check) and guest tests (tests/guest/<group>/, run in the guest by
# vm-check, tools/rig/rig.mk).  Included by the top-level Makefile.

.PHONY: guest-tests unit-tests unit-check

# ---------------------------------------------------------------- guest

# The guest tests, one directory per group (tests/guest/<group>/); the
# C helpers all of them link are in tests/guest/helpers/.
GUEST_GROUPS    := $(filter-out helpers,$(notdir $(patsubst %/,%,$(wildcard tests/guest/*/))))
GUEST_TEST_SRCS := $(wildcard $(GUEST_GROUPS:%=tests/guest/%/*.c))
GUEST_TESTS     := $(patsubst tests/guest/%.c,$(BUILD)/tests/guest/%,$(GUEST_TEST_SRCS))
GUEST_HELPER    := tests/guest/helpers/ktest.c

# Programs the preload tests run (not tests themselves): ordinary programs
# with no ksmdev code, and ksm-helper for driving the device.
PRELOAD_HELPERS := $(patsubst %.c,$(BUILD)/%,$(wildcard tests/guest/preload/helpers/*.c))

# A test directly in tests/guest/ is in no group: the runner would never
# run it.
STRAY_GUEST_TESTS := $(wildcard tests/guest/*.c tests/guest/*.sh)

guest-tests: $(GUEST_TESTS) $(PRELOAD_HELPERS) ## the guest test programs (build/tests/guest/<group>/)
ifneq ($(STRAY_GUEST_TESTS),)
	@echo "make: $(STRAY_GUEST_TESTS): not in a group; move to tests/guest/<group>/" >&2; exit 1
endif

$(BUILD)/tests/guest/%: tests/guest/%.c $(GUEST_HELPER) tests/guest/helpers/ktest.h \
		include/uapi/linux/ksmdev.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests/guest/helpers $(CFLAGS) $(WARN) -o $@ $< $(GUEST_HELPER) -lpthread

$(BUILD)/tests/guest/preload/helpers/%: tests/guest/preload/helpers/%.c include/uapi/linux/ksmdev.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -o $@ $< -lpthread

# ---------------------------------------------------------------- unit

UNIT_TEST_SRCS  := $(wildcard tests/unit/*.c)
UNIT_TESTS      := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(UNIT_TEST_SRCS))
UNIT_SCRIPTS    := $(wildcard tests/unit/*.sh)
MOCK_SHIM       := $(BUILD)/tests/unit/helpers/libksmdev-preload-mock.so

unit-tests: $(UNIT_TESTS) $(MOCK_SHIM) $(PRELOAD_HELPERS) ## the unit test programs (build/tests/unit/)

# Unit tests of the library link its object with the kernel side (open,
# ioctl, close) replaced at link time: tests/unit/helpers/lib-wrap.c
# hands those calls to the test's mock_ functions.
UNIT_WRAP := -Wl,--wrap=ioctl -Wl,--wrap=open -Wl,--wrap=close

$(BUILD)/tests/unit/lib_%: tests/unit/lib_%.c tests/unit/helpers/lib-wrap.c \
		tests/unit/helpers/lib-wrap.h $(LIB_O)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests/unit/helpers $(CFLAGS) $(WARN) -o $@ $< \
		tests/unit/helpers/lib-wrap.c $(LIB_O) $(UNIT_WRAP) -lcmocka

# Unit tests of ksmctl link only its pure parts, no libksmdev:
# tests/unit/ksmctl_X.c with tools/ksmctl/X.c (X = cli, format).
$(BUILD)/tests/unit/ksmctl_%: tests/unit/ksmctl_%.c tools/ksmctl/%.c tools/ksmctl/%.h \
		include/uapi/linux/ksmdev.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itools/ksmctl $(CFLAGS) $(WARN) -o $@ $< tools/ksmctl/$*.c -lcmocka

$(BUILD)/tests/unit/%: tests/unit/%.c include/uapi/linux/ksmdev.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -o $@ $< -lcmocka

# The shim with a mock /dev/ksm linked in (tests/unit/helpers/mock-ksm.c):
# its syscall() calls go to the mock (preload_mock_device.sh).
$(MOCK_SHIM): lib/preload/ksmdev-preload.c tests/unit/helpers/mock-ksm.c \
		include/uapi/linux/ksmdev.h
	@mkdir -p $(dir $@)
	$(LINK_SHIM) -Wl,--wrap=syscall -o $@ $(filter %.c,$^) -lpthread

# Each unit test, program or script, on the host; its output in
# build/tests/unit/<name>.log, shown when it fails.
unit-check: unit-tests ## run the unit tests
	@fail=0; for t in $(UNIT_TESTS) $(UNIT_SCRIPTS); do n=$$(basename $$t .sh); \
		if $$t >$(BUILD)/tests/unit/$$n.log 2>&1; then echo "unit: PASS $$n"; \
		else echo "unit: FAIL $$n"; cat $(BUILD)/tests/unit/$$n.log; fail=1; fi; \
	done; exit $$fail
