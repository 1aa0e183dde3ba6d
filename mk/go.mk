# SPDX-License-Identifier: GPL-2.0
#
# The Go package (bindings/go, module tsmon): a pure-Go reader of the
# region (no cgo), with libtsmon's semantics and the standard library only.
#
#   make go          the package, and its commands fixture-dump, tsmon-ring
#                    and tsmon-bench in build/go/bin
#   make gotest      go vet, go test (layout and constants against the C
#                    headers, cursors, seqlock, clock rules, no allocation
#                    on the read paths), then fixture-dump against
#                    libtsmon's dump on every fixture region (host)
#   make gobench     Now() of the package next to time.Now(), on a region
#                    of a synchronised clock
#
# Debian's toolchain only (Go 1.19), offline: no module proxy, no checksum
# database, caches under build/.

GO_DIR		:= bindings/go
GO		:= $(firstword $(wildcard /usr/lib/go-1.19/bin/go) go)
GO_ENV		= env GOENV=off GOFLAGS=-mod=mod GOPROXY=off GOSUMDB=off \
		  GOTOOLCHAIN=local CGO_ENABLED=0 \
		  GOCACHE=$(CURDIR)/$(B)/go-cache GOPATH=$(CURDIR)/$(B)/gopath
GO_BIN		:= $(B)/go/bin

.PHONY: go gotest gobench

HOSTCHECK	+= gotest
BENCH		+= gobench

go:
	@$(GO_ENV) $(GO) version | grep -q ' go1\.19' || \
		{ echo "go: $(GO) is not Go 1.19: $$($(GO) version)"; exit 1; }
	@mkdir -p $(GO_BIN)
	cd $(GO_DIR) && $(GO_ENV) $(GO) build -o $(CURDIR)/$(GO_BIN)/ ./cmd/...

gotest: go fixtures
	cd $(GO_DIR) && $(GO_ENV) $(GO) vet ./...
	cd $(GO_DIR) && $(GO_ENV) $(GO) test -count=1 ./...
	tests/fixtures/run.sh go $(GO_BIN)/fixture-dump

gobench: go $(B)/tests/cli/mkregion
	$(MKREGION) $(BENCH_SYNC) $(BENCH_REGION)
	$(GO_BIN)/tsmon-bench $(BENCH_REGION)
