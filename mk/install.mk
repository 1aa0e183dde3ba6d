# SPDX-License-Identifier: GPL-2.0
#
# Installation: make install, DKMS, and the checks that prove both.
#
#   make install [PREFIX=/usr/local] [DESTDIR=]   library, headers, .pc,
#                        man pages, CLI, udev rule, modules-load.d entry,
#                        systemd units
#   make uninstall       the same files, removed
#   make dkms-install    as root: the module source into /usr/src/tsmon-VERSION,
#                        then dkms add + build + install for KVER (default:
#                        the running kernel; KVER=all: every kernel with headers)
#   make dkms-uninstall  dkms remove, and the source tree
#   make installcheck    install into a scratch prefix, then build and run a
#                        program with nothing but pkg-config's flags
#   make dkmscheck       make dkms-install for every kernel of the matrix
#                        into a private DKMS tree (touches nothing outside
#                        build/)

PREFIX		?= /usr/local
BINDIR		?= $(PREFIX)/bin
LIBDIR		?= $(PREFIX)/lib
INCLUDEDIR	?= $(PREFIX)/include
MANDIR		?= $(PREFIX)/share/man
PKGCONFIGDIR	?= $(LIBDIR)/pkgconfig
DATADIR		?= $(PREFIX)/share
# Prometheus alerting rules and the Grafana dashboard (contrib/).
PROMRULESDIR	?= $(DATADIR)/tsmon/prometheus
GRAFANADIR	?= $(DATADIR)/tsmon/grafana
# udev, systemd and modules-load.d only read their own directories: a
# /usr/local install puts its files under /etc, a /usr install (packages)
# where the distribution's own go.
ifeq ($(PREFIX),/usr)
UDEVRULESDIR	?= /lib/udev/rules.d
MODULESLOADDIR	?= /usr/lib/modules-load.d
SYSTEMDUNITDIR	?= /lib/systemd/system
else
UDEVRULESDIR	?= /etc/udev/rules.d
MODULESLOADDIR	?= /etc/modules-load.d
SYSTEMDUNITDIR	?= /etc/systemd/system
endif
INSTALL		?= install

MAN3		:= $(wildcard man/man3/*.3)
MAN7		:= $(wildcard man/man7/*.7)
MAN8		:= $(wildcard man/man8/*.8)
UNITS		:= $(wildcard systemd/*.service)

# The module's DKMS source tree: what Kbuild needs and nothing else.
DKMS_FILES	:= Kbuild VERSION $(wildcard kmod/*.c kmod/*.h) \
		   include/uapi/tsmon/abi.h include/uapi/tsmon/netlink.h \
		   include/tsmon/names.h
DKMS_SRCDIR	?= /usr/src/tsmon-$(VERSION)

.PHONY: install uninstall dkms-source dkms-install dkms-uninstall \
	installcheck dkmscheck versioncheck

$(B)/libtsmon.pc: lib/libtsmon.pc.in VERSION
	@mkdir -p $(B)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' \
	    $< > $@.tmp
	mv $@.tmp $@

# The .pc file depends on PREFIX: always regenerate it on install.
install: lib cli
	@rm -f $(B)/libtsmon.pc
	$(MAKE) --no-print-directory $(B)/libtsmon.pc
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) \
		$(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(INCLUDEDIR)/tsmon \
		$(DESTDIR)$(MANDIR)/man3 $(DESTDIR)$(MANDIR)/man7 \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(UDEVRULESDIR) \
		$(DESTDIR)$(MODULESLOADDIR)
	$(INSTALL) -m 0755 $(B)/tsmon $(DESTDIR)$(BINDIR)/tsmon
	$(INSTALL) -m 0644 $(LIB_SO) $(DESTDIR)$(LIBDIR)/
	ln -sf libtsmon.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libtsmon.so.$(SOVERSION)
	ln -sf libtsmon.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libtsmon.so
	$(INSTALL) -m 0644 $(LIB_A) $(DESTDIR)$(LIBDIR)/libtsmon.a
	$(INSTALL) -m 0644 $(B)/libtsmon.pc $(DESTDIR)$(PKGCONFIGDIR)/libtsmon.pc
	$(INSTALL) -m 0644 include/tsmon/tsmon.h include/uapi/tsmon/abi.h \
		include/uapi/tsmon/netlink.h $(DESTDIR)$(INCLUDEDIR)/tsmon/
	$(INSTALL) -m 0644 $(MAN3) $(DESTDIR)$(MANDIR)/man3/
	$(INSTALL) -m 0644 $(MAN7) $(DESTDIR)$(MANDIR)/man7/
	$(INSTALL) -m 0644 $(MAN8) $(DESTDIR)$(MANDIR)/man8/
	$(INSTALL) -m 0644 udev/60-tsmon.rules $(DESTDIR)$(UDEVRULESDIR)/60-tsmon.rules
	$(INSTALL) -m 0644 systemd/modules-load.d/tsmon.conf $(DESTDIR)$(MODULESLOADDIR)/tsmon.conf
	$(INSTALL) -d $(DESTDIR)$(PROMRULESDIR) $(DESTDIR)$(GRAFANADIR)
	$(INSTALL) -m 0644 contrib/prometheus/tsmon.rules.yml $(DESTDIR)$(PROMRULESDIR)/tsmon.rules.yml
	$(INSTALL) -m 0644 contrib/grafana/tsmon-dashboard.json $(DESTDIR)$(GRAFANADIR)/tsmon-dashboard.json
	$(INSTALL) -d $(DESTDIR)$(SYSTEMDUNITDIR)
	@# The units name /usr/bin/tsmon: point them at where it went.
	@for u in $(UNITS); do \
		echo "install $$u -> $(DESTDIR)$(SYSTEMDUNITDIR)/"; \
		sed 's|/usr/bin/tsmon|$(BINDIR)/tsmon|g' $$u > \
			$(DESTDIR)$(SYSTEMDUNITDIR)/$${u##*/}.tmp && \
		chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/$${u##*/}.tmp && \
		mv $(DESTDIR)$(SYSTEMDUNITDIR)/$${u##*/}.tmp \
			$(DESTDIR)$(SYSTEMDUNITDIR)/$${u##*/} || exit 1; \
	done

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/tsmon \
	      $(DESTDIR)$(LIBDIR)/libtsmon.so.$(VERSION) \
	      $(DESTDIR)$(LIBDIR)/libtsmon.so.$(SOVERSION) \
	      $(DESTDIR)$(LIBDIR)/libtsmon.so $(DESTDIR)$(LIBDIR)/libtsmon.a \
	      $(DESTDIR)$(PKGCONFIGDIR)/libtsmon.pc \
	      $(DESTDIR)$(INCLUDEDIR)/tsmon/tsmon.h \
	      $(DESTDIR)$(INCLUDEDIR)/tsmon/abi.h \
	      $(DESTDIR)$(INCLUDEDIR)/tsmon/netlink.h \
	      $(DESTDIR)$(UDEVRULESDIR)/60-tsmon.rules \
	      $(DESTDIR)$(MODULESLOADDIR)/tsmon.conf \
	      $(addprefix $(DESTDIR)$(MANDIR)/man3/,$(notdir $(MAN3))) \
	      $(addprefix $(DESTDIR)$(MANDIR)/man7/,$(notdir $(MAN7))) \
	      $(addprefix $(DESTDIR)$(MANDIR)/man8/,$(notdir $(MAN8))) \
	      $(addprefix $(DESTDIR)$(SYSTEMDUNITDIR)/,$(notdir $(UNITS))) \
	      $(DESTDIR)$(PROMRULESDIR)/tsmon.rules.yml \
	      $(DESTDIR)$(GRAFANADIR)/tsmon-dashboard.json
	-rmdir $(DESTDIR)$(PROMRULESDIR) $(DESTDIR)$(GRAFANADIR) \
		$(DESTDIR)$(DATADIR)/tsmon 2>/dev/null

# ---------------------------------------------------------------- DKMS
# dkms.conf carries dh_dkms' placeholder #MODULE_VERSION#: the staged copy
# gets the version from VERSION.
dkms-source:
	$(INSTALL) -d $(DESTDIR)$(DKMS_SRCDIR)
	tar -cf - $(DKMS_FILES) | tar -xf - -C $(DESTDIR)$(DKMS_SRCDIR)
	sed 's|#MODULE_VERSION#|$(VERSION)|' dkms.conf > $(DESTDIR)$(DKMS_SRCDIR)/dkms.conf

# DKMS_ARGS: extra dkms options (dkmscheck points them at a private tree).
DKMS_ARGS	?=
DKMS		= dkms $(1) -m tsmon -v $(VERSION) $(DKMS_ARGS)

dkms-install: dkms-source
	@$(call DKMS,status) 2>/dev/null | grep -q . || $(call DKMS,add)
	$(if $(filter all,$(KVER)),dkms autoinstall $(DKMS_ARGS),\
		$(call DKMS,build) -k $(KVER) && $(call DKMS,install) -k $(KVER))

dkms-uninstall:
	-dkms remove -m tsmon -v $(VERSION) --all
	rm -rf $(DKMS_SRCDIR)

# ---------------------------------------------------------------- checks
IC		:= $(CURDIR)/$(B)/installcheck

installcheck: lib cli
	rm -rf $(IC)
	$(MAKE) --no-print-directory install PREFIX=$(IC)/prefix \
		UDEVRULESDIR=$(IC)/prefix/udev MODULESLOADDIR=$(IC)/prefix/modules-load.d \
		SYSTEMDUNITDIR=$(IC)/prefix/systemd
	$(MAKE) --no-print-directory install DESTDIR=$(IC)/dest PREFIX=/usr \
		LIBDIR=/usr/lib/x86_64-linux-gnu
	tests/install/check-tree.sh $(IC)/dest /usr /usr/lib/x86_64-linux-gnu
	tests/install/pkgconfig.sh $(IC)/prefix $(VERSION)
	@rm -f $(B)/libtsmon.pc

# A private DKMS tree under build/: dkms add, build and install for every
# kernel of the matrix, each by the DKMS of its own Debian release (in its
# build root for a kernel of another release), then check what it built
# (the version, each kernel's vermagic, a warning-free build log). DKMS 3
# looks for the headers under the install tree: a link points it at them.
DK		:= $(CURDIR)/$(B)/dkms

dkmscheck:
	rm -rf $(DK)
	@mkdir -p $(DK)/tree $(DK)/install
	@set -e; for n in $(KNAMES); do \
		k=$$($(MATRIX) get $$n kver); \
		echo "== dkms: $$n ($$k)"; \
		mkdir -p $(DK)/install/$$k; \
		ln -sfn /lib/modules/$$k/build $(DK)/install/$$k/build; \
		$(MATRIX) run $$n make --no-print-directory dkms-install KVER=$$k \
			DKMS_SRCDIR=$(DK)/src/tsmon-$(VERSION) \
			DKMS_ARGS="--dkmstree $(DK)/tree --sourcetree $(DK)/src --installtree $(DK)/install --no-depmod" \
			> $(DK)/dkms-$$k.log 2>&1 || { cat $(DK)/dkms-$$k.log; exit 1; }; \
	done
	tests/install/dkms.sh $(DK) $(VERSION) $(KNAMES)

# Every place that carries the version carries VERSION's.
versioncheck: lib cli
	tests/install/version.sh $(VERSION)

HOSTCHECK	+= versioncheck installcheck dkmscheck
