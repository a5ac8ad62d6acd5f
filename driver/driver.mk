# SPDX-License-Identifier: GPL-2.0-only
#
# ksmdev.ko, built by the kernel's Kbuild (driver/Kbuild): in place
# against KDIR (`make module`, `make sparse`), or out of tree for each test
# kernel, build/kmod/<abi>/ksmdev.ko with the test-only modules of
# tests/kmod/ in build/kmod/<abi>/test/ (`make kmods`, and the guest runs).
# Included by the top-level Makefile.

.PHONY: module module-if-headers sparse kmods driver-check

## KDIR: the headers `make module` builds against (the running kernel's, else 6.1's)
RUNNING_KDIR := /lib/modules/$(shell uname -r)/build
DEFAULT_ABI   = $(shell cat $(KSMDEV_CACHE)/kernels/6.1.abi 2>/dev/null)
ifeq ($(wildcard $(RUNNING_KDIR)/Makefile),)
KDIR ?= /usr/src/linux-headers-$(DEFAULT_ABI)
else
KDIR ?= $(RUNNING_KDIR)
endif

# What Kbuild builds the driver from (also what install-dkms ships).
DRIVER_SRCS   := driver/Kbuild $(filter-out %.mod.c,$(wildcard driver/*.c)) $(wildcard driver/*.h)
TEST_KMOD_SRCS := $(wildcard tests/kmod/Kbuild tests/kmod/*.c)

# $(call kbuild,KERNEL_TREE,MODULE_DIR): Kbuild for the modules in
# MODULE_DIR; the driver's Kbuild finds the uapi header through KSMDEV_TOP.
kbuild = $(MAKE) -C $(1) M=$(2) KSMDEV_TOP=$(TOP)

# Kernel tree for an ABI: the debug kernel's build tree in the cache, or the
# Debian headers package.
kdir_of = $(if $(wildcard $(KSMDEV_CACHE)/kernels/$(1)/build/Makefile),$(KSMDEV_CACHE)/kernels/$(1)/build,/usr/src/linux-headers-$(1))

module: ## driver/ksmdev.ko, in place, against exactly KDIR
	@test -f $(KDIR)/Makefile || { echo "make: no kernel headers at KDIR=$(KDIR);" \
		"install linux-headers-\$$(uname -r) or run tools/rig/setup.sh" >&2; exit 1; }
	$(call kbuild,$(KDIR),$(TOP)/driver) modules

# What plain `make` does: the module where there are headers to build it
# against, else a word on what was skipped and how to build it.
module-if-headers:
ifneq ($(wildcard $(KDIR)/Makefile),)
	@$(MAKE) -s module
else
	@echo "make: skipped driver/ksmdev.ko: no kernel headers at KDIR=$(KDIR)." >&2
	@echo "make:   for this kernel: apt-get install linux-headers-$$(uname -r), then make module;" >&2
	@echo "make:   for the test kernels: make setup, then make kmods (or make check)." >&2
endif

sparse: ## the driver under sparse (C=2), against KDIR
	$(call kbuild,$(KDIR),$(TOP)/driver) C=2 modules

kmods: ## ksmdev.ko and the test modules per KSMDEV_KERNELS kernel (build/kmod/)
	@for s in $(KSMDEV_KERNELS); do \
		abi=$$(cat $(KSMDEV_CACHE)/kernels/$$s.abi) || exit 1; \
		$(MAKE) -s $(BUILD)/kmod/$$abi/ksmdev.ko || exit 1; \
	done

# Out of tree: symbolic links to the sources in build/kmod/<abi>/.  Also
# rebuilt when that kernel's configuration changes (the debug kernel is
# rebuilt in place when its config fragment changes): a module of the old
# one may compile another kernel's code (current_user_ns() without
# CONFIG_USER_NS is init_user_ns).
.SECONDEXPANSION:
$(BUILD)/kmod/%/ksmdev.ko: $(DRIVER_SRCS) include/uapi/linux/ksmdev.h $(TEST_KMOD_SRCS) \
			   $$(wildcard $$(call kdir_of,$$*)/.config)
	@mkdir -p $(dir $@)/test
	@rm -f $(dir $@)*.mod.c
	@# A source file that went away (moved, split) leaves its link and object.
	@find $(dir $@) -maxdepth 1 -name '*.[ch]' -xtype l -delete
	@for o in $(dir $@)*.o; do case $$o in *ksmdev.o|*.mod.o) continue ;; esac; \
		[ -e $${o%.o}.c ] || rm -f $$o; done
	@ln -sf $(addprefix $(TOP)/,$(DRIVER_SRCS)) $(dir $@)
	+$(call kbuild,$(call kdir_of,$*),$(dir $@)) -s modules
ifneq ($(wildcard tests/kmod/Kbuild),)
	@ln -sf $(addprefix $(TOP)/,$(TEST_KMOD_SRCS)) $(dir $@)test/
	+$(call kbuild,$(call kdir_of,$*),$(dir $@)test) -s modules
endif

# The driver's own structure, on each test kernel's build: every symbol
# carries the ksmdev_ prefix, and the files form the layers ksmdev.h lists.
driver-check: kmods ## check the built driver's symbol prefix and file layering
	@for s in $(KSMDEV_KERNELS); do \
		abi=$$(cat $(KSMDEV_CACHE)/kernels/$$s.abi) || exit 1; \
		KDIR=$(call kdir_of,$$abi) driver/check-symbols.sh $(BUILD)/kmod/$$abi/ksmdev.ko || exit 1; \
		driver/check-layers.sh $(BUILD)/kmod/$$abi || exit 1; \
	done
