# SPDX-License-Identifier: GPL-2.0
#
# The Rust crate (bindings/rust): a pure-Rust reader of the region, with
# libtsmon's semantics and no dependencies.
#
#   make rust        the crate and its examples (release) in build/rust
#   make rusttest    cargo test (layout against the C header, cursors,
#                    seqlock, clock model), then the crate's fixture dump
#                    against libtsmon's on every fixture region (host)
#   make rustbench   now() of the crate against libtsmon's tsmon_now() and
#                    clock_gettime(CLOCK_REALTIME), in one process
#
# Debian's toolchain only (rustc 1.63, cargo 0.66), offline: a rustup
# toolchain earlier on PATH is never used, and the crates.io index never
# fetched (Cargo.lock lists the crate alone).

RUST_DIR	:= bindings/rust
CARGO_ENV	= env PATH=/usr/bin:/bin RUSTC=/usr/bin/rustc \
		  CARGO_HOME=$(CURDIR)/$(B)/cargo-home
CARGO_FLAGS	:= --offline --locked --manifest-path $(RUST_DIR)/Cargo.toml
CARGO		= $(CARGO_ENV) CARGO_TARGET_DIR=$(CURDIR)/$(B)/rust /usr/bin/cargo
# The bench links libtsmon (RUSTFLAGS): a target directory of its own, so
# that the flags do not invalidate the other builds.
CARGO_BENCH	= $(CARGO_ENV) CARGO_TARGET_DIR=$(CURDIR)/$(B)/rust/ffi-bench \
		  RUSTFLAGS="-L native=$(CURDIR)/$(B) -C link-arg=-Wl,-rpath,$(CURDIR)/$(B)" \
		  /usr/bin/cargo

.PHONY: rust rusttest rustbench

HOSTCHECK	+= rusttest
BENCH		+= rustbench

rust:
	$(CARGO) build $(CARGO_FLAGS) --release --lib --examples

rusttest: rust fixtures
	$(CARGO) test $(CARGO_FLAGS)
	tests/fixtures/run.sh rust $(B)/rust/release/examples/fixture_dump

rustbench: lib $(B)/tests/cli/mkregion
	$(MKREGION) $(BENCH_SYNC) $(BENCH_REGION)
	$(CARGO_BENCH) build $(CARGO_FLAGS) --release --features ffi-bench --example bench
	$(B)/rust/ffi-bench/release/examples/bench $(BENCH_REGION)
