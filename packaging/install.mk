# SPDX-License-Identifier: GPL-2.0-only
#
# Installing and uninstalling.  Included by the top-level Makefile.
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

.PHONY: install install-lib install-ksmctl install-preload install-conf install-dkms \
	uninstall uninstall-lib uninstall-ksmctl uninstall-preload uninstall-conf uninstall-dkms

install: install-lib install-ksmctl install-preload install-conf ## install-lib, -ksmctl, -preload and -conf
uninstall: uninstall-lib uninstall-ksmctl uninstall-preload uninstall-conf ## what install put

# The .pc file is written for the PREFIX/LIBDIR given to install.
install-lib: $(LIB_SO) $(LIB_A) ## the library, its headers, libksmdev.pc, man pages 3 and 7
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR)/linux \
		$(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(MANDIR)/man3 $(DESTDIR)$(MANDIR)/man7
	install -m 755 $(LIB_SO) $(DESTDIR)$(LIBDIR)/
	install -m 644 $(LIB_A) $(DESTDIR)$(LIBDIR)/
	ln -sf libksmdev.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libksmdev.so.$(SOMAJOR)
	ln -sf libksmdev.so.$(SOMAJOR) $(DESTDIR)$(LIBDIR)/libksmdev.so
	install -m 644 lib/include/ksmdev.h $(DESTDIR)$(INCLUDEDIR)/ksmdev.h
	install -m 644 include/uapi/linux/ksmdev.h $(DESTDIR)$(INCLUDEDIR)/linux/ksmdev.h
	$(PC_SUBST) >$(DESTDIR)$(PKGCONFIGDIR)/libksmdev.pc
	chmod 644 $(DESTDIR)$(PKGCONFIGDIR)/libksmdev.pc
	install -m 644 $(MAN3) $(DESTDIR)$(MANDIR)/man3/
	install -m 644 $(MAN7) $(DESTDIR)$(MANDIR)/man7/

# build/install/ksmctl: the copy without an rpath into build/ (`make ksmctl`).
install-ksmctl: $(BUILD)/install/ksmctl ## ksmctl to SBINDIR, ksmctl(8)
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8
	install -m 755 $(BUILD)/install/ksmctl $(DESTDIR)$(SBINDIR)/ksmctl
	install -m 644 $(MAN_KSMCTL) $(DESTDIR)$(MANDIR)/man8/

# The shim goes to a directory of its own (no SONAME: it is no library to
# link with, and the linker's directories are for those); ksmdev-run is
# told where.
install-preload: $(SHIM) tools/ksmdev-run ## the shim to PRELOADDIR, ksmdev-run to BINDIR, their man pages
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(PRELOADDIR)
	install -m 644 $(SHIM) $(DESTDIR)$(PRELOADDIR)/
	sed -e 's|@LIBDIR@|$(PRELOADDIR)|g' tools/ksmdev-run >$(DESTDIR)$(BINDIR)/ksmdev-run
	chmod 755 $(DESTDIR)$(BINDIR)/ksmdev-run
	for m in $(MAN_PRELOAD:man/%=%); do \
		install -D -m 644 man/$$m $(DESTDIR)$(MANDIR)/$$m || exit 1; done

# The device's group and mode for udev; the module parameters, commented out.
install-conf: ## the udev rule, modprobe.d/ksmdev.conf
	install -d $(DESTDIR)$(UDEVDIR) $(DESTDIR)$(SYSCONFDIR)/modprobe.d
	install -m 644 udev/60-ksmdev.rules $(DESTDIR)$(UDEVDIR)/60-ksmdev.rules
	install -m 644 packaging/modprobe.d/ksmdev.conf $(DESTDIR)$(SYSCONFDIR)/modprobe.d/ksmdev.conf

# Then: sudo dkms install ksmdev/$(VERSION).  modules-load.d comes with it:
# only an installed module can be loaded at boot.
install-dkms: ## the DKMS source tree to DKMSDIR, modules-load.d/ksmdev.conf
	install -d $(DESTDIR)$(DKMSDIR)/driver $(DESTDIR)$(DKMSDIR)/include/uapi/linux \
		$(DESTDIR)$(SYSCONFDIR)/modules-load.d
	install -m 644 dkms.conf $(DESTDIR)$(DKMSDIR)/dkms.conf
	install -m 644 $(DRIVER_SRCS) $(DESTDIR)$(DKMSDIR)/driver/
	install -m 644 include/uapi/linux/ksmdev.h $(DESTDIR)$(DKMSDIR)/include/uapi/linux/
	install -m 644 packaging/modules-load.d/ksmdev.conf \
		$(DESTDIR)$(SYSCONFDIR)/modules-load.d/ksmdev.conf

uninstall-lib: ## what install-lib put
	rm -f $(DESTDIR)$(LIBDIR)/libksmdev.so.$(VERSION) \
	      $(DESTDIR)$(LIBDIR)/libksmdev.so.$(SOMAJOR) \
	      $(DESTDIR)$(LIBDIR)/libksmdev.so $(DESTDIR)$(LIBDIR)/libksmdev.a \
	      $(DESTDIR)$(INCLUDEDIR)/ksmdev.h $(DESTDIR)$(INCLUDEDIR)/linux/ksmdev.h \
	      $(DESTDIR)$(PKGCONFIGDIR)/libksmdev.pc
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man3/,$(notdir $(MAN3))) \
	      $(addprefix $(DESTDIR)$(MANDIR)/man7/,$(notdir $(MAN7)))

uninstall-ksmctl: ## what install-ksmctl put
	rm -f $(DESTDIR)$(SBINDIR)/ksmctl $(DESTDIR)$(MANDIR)/man8/$(notdir $(MAN_KSMCTL))

uninstall-preload: ## what install-preload put
	rm -f $(DESTDIR)$(BINDIR)/ksmdev-run $(DESTDIR)$(PRELOADDIR)/libksmdev-preload.so \
	      $(addprefix $(DESTDIR)$(MANDIR)/,$(MAN_PRELOAD:man/%=%))
	rmdir $(DESTDIR)$(PRELOADDIR) 2>/dev/null || true

uninstall-conf: ## what install-conf put
	rm -f $(DESTDIR)$(UDEVDIR)/60-ksmdev.rules $(DESTDIR)$(SYSCONFDIR)/modprobe.d/ksmdev.conf

# After `sudo dkms remove ksmdev/$(VERSION) --all`.
uninstall-dkms: ## what install-dkms put
	rm -rf $(DESTDIR)$(DKMSDIR)
	rm -f $(DESTDIR)$(SYSCONFDIR)/modules-load.d/ksmdev.conf
