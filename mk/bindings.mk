# SPDX-License-Identifier: GPL-2.0
#
# The Rust crate (mk/rust.mk) and the Go package (mk/go.mk) against the
# live module, on each of Debian 12's two kernels.
#
#   make bindingcheck KV=<kernel>
#                       a step, a leap second, a TAI change and a PHC step:
#                       `tsmon ring --json`, the crate and the package print
#                       the same records; the three fixture dumps of
#                       /dev/tsmon agree (tests/bindings/guest.sh)

.PHONY: bindingcheck

VMBOTH		+= bindingcheck

bindingcheck: lib cli rust go $(B)/tests/fixtures/dump $(B)/tests/helpers/clockctl
	tests/vm/run --kernel $(KV) -- tests/bindings/guest.sh
