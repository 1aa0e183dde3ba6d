# SPDX-License-Identifier: GPL-2.0
#
# Debian packages: make deb builds tsmon-dkms, libtsmon0, libtsmon-dev and
# tsmon into build/deb/ with dpkg-buildpackage from a copy of the tree, and
# lintian must report no error. make debcheck KV=<kernel> installs them in
# a guest: DKMS builds the module there, modprobe loads it, tsmon works.
# The guest's kernel must be one whose headers the host has (the guest's
# root is the host's); make check runs it once, on ONCE_KV.

DEB_DIR		:= $(B)/deb
DEB_SRC		:= $(DEB_DIR)/src/tsmon-$(VERSION)
DEB_CHANGES	:= $(DEB_DIR)/src/tsmon_$(VERSION)_$(shell dpkg --print-architecture 2>/dev/null)_$(shell dpkg --print-architecture 2>/dev/null).changes

.PHONY: deb debcheck

# dpkg-buildpackage writes next to the source tree: build a copy under
# build/ so that nothing lands outside it.
deb:
	rm -rf $(DEB_DIR)
	mkdir -p $(DEB_SRC)
	tar --exclude=./build --exclude=./.git -cf - . | tar -xf - -C $(DEB_SRC)
	cd $(DEB_SRC) && dpkg-buildpackage -us -uc -b > ../build.log 2>&1 || \
		{ tail -n 60 ../build.log; exit 1; }
	lintian --fail-on error --tag-display-limit 0 --info --display-experimental \
		$(DEB_DIR)/src/*.changes 2>&1 | tee $(DEB_DIR)/lintian.log
	mv $(DEB_DIR)/src/*.deb $(DEB_DIR)/
	@ls -l $(DEB_DIR)/*.deb

debcheck:
	@ls $(DEB_DIR)/*.deb > /dev/null 2>&1 || $(MAKE) --no-print-directory deb
	tests/vm/run --kernel $(KV) --writable --mem 2048 --timeout 1800 -- \
		tests/install/deb_guest.sh $(DEB_DIR)

HOSTCHECK	+= deb
VMONCE		+= debcheck
