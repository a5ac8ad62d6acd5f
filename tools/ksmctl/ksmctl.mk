# SPDX-License-Identifier: GPL-2.0-only
#
# ksmctl.  Included by the top-level Makefile.
#
# build/tools/ksmctl runs from the tree (rpath to build/lib: tests, guest);
# build/install/ksmctl is the copy `make install` puts in $(SBINDIR), with
# no rpath into the build tree.  `make ksmctl` builds both, so the install
# target (which only copies, also from the read-only tree in the guest)
# finds it.

.PHONY: ksmctl

KSMCTL_SRCS := $(wildcard tools/ksmctl/*.c)
KSMCTL_HDRS := $(wildcard tools/ksmctl/*.h)
KSMCTL_LINK  = $(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) $(LDFLAGS) -std=gnu11 -o $@ $(KSMCTL_SRCS) \
	$(LIB_LDLIBS)

ksmctl: $(BUILD)/tools/ksmctl $(BUILD)/install/ksmctl ## ksmctl, to run from the tree and to install

$(BUILD)/tools/ksmctl $(BUILD)/install/ksmctl: $(KSMCTL_SRCS) $(KSMCTL_HDRS) $(LIB_HDRS) $(LIB_SO)
	@mkdir -p $(dir $@)
	$(KSMCTL_LINK) $(if $(filter $(BUILD)/tools/%,$@),$(LIB_RPATH))
