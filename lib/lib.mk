# SPDX-License-Identifier: GPL-2.0-only
#
# libksmdev (shared and static, with its pkg-config file) and the
# LD_PRELOAD shim.  Included by the top-level Makefile.

.PHONY: lib preload

LIB_SRCS   := lib/ksmdev.c
LIB_HDRS   := lib/include/ksmdev.h include/uapi/linux/ksmdev.h
LIB_SO     := $(BUILD)/lib/libksmdev.so.$(VERSION)
LIB_A      := $(BUILD)/lib/libksmdev.a
LIB_PIC_O  := $(BUILD)/lib/ksmdev.pic.o
LIB_O      := $(BUILD)/lib/ksmdev.o
LIB_CFLAGS := -fvisibility=hidden -std=gnu11
SHIM       := $(BUILD)/lib/libksmdev-preload.so

# Linking with the library of the build tree, and finding it there when
# run (LIB_RPATH: relative to the program, $ORIGIN/../lib for build/tools/,
# so that the tree runs wherever it is: the guest runs a copy of it).
# LINK_WITH_LIB: a program of one source, $<, that runs from the tree
# (examples, demo, bench).
LIB_LDLIBS    := -L$(BUILD)/lib -lksmdev
up_to_build    = $(subst $(space),,$(foreach d,$(subst /, ,$(patsubst $(BUILD)/%,%,$(@D))),../))
LIB_RPATH      = -Wl,-rpath,'$$ORIGIN/$(up_to_build)lib'
LINK_WITH_LIB  = $(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -o $@ $< $(LIB_LDLIBS) $(LIB_RPATH)

# The shim's compile and link line (also for its test build with a mock
# device): no SONAME, nothing exported but the interposed functions.
LINK_SHIM = $(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) $(LDFLAGS) -fvisibility=hidden -fPIC -shared

# libksmdev.pc from libksmdev.pc.in for the PREFIX/LIBDIR/INCLUDEDIR
# given (the build's, or install's).
PC_SUBST = sed -e 's|@prefix@|$(PREFIX)|' -e 's|@libdir@|$(LIBDIR)|' \
	-e 's|@includedir@|$(INCLUDEDIR)|' -e 's|@version@|$(VERSION)|' libksmdev.pc.in

lib: $(LIB_SO) $(LIB_A) $(BUILD)/lib/libksmdev.pc ## libksmdev.so, libksmdev.a, libksmdev.pc (build/lib/)

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

$(BUILD)/lib/libksmdev.pc: libksmdev.pc.in Makefile lib/lib.mk
	@mkdir -p $(dir $@)
	$(PC_SUBST) >$@

# The LD_PRELOAD shim (see lib/preload/ksmdev-preload.c).
preload: $(SHIM) ## the LD_PRELOAD shim libksmdev-preload.so (build/lib/)

$(SHIM): lib/preload/ksmdev-preload.c include/uapi/linux/ksmdev.h
	@mkdir -p $(dir $@)
	$(LINK_SHIM) -o $@ $< -lpthread
