# imapshift's make targets. `make test` is what CI (.ci/run) runs.
#
#   make test    install Dovecot and Chromium when missing, then run every test;
#                tests that need them fail instead of skipping
#                (IMAPSHIFT_REQUIRE_DOVECOT=1, IMAPSHIFT_REQUIRE_CHROMIUM=1)
#   make build   bin/imapshift
#   make demo    run the built-in demo
#   make vet     gofmt check + go vet
#   make check-tree  no tracked file over 1 MB or binary (part of make test)
#   make crashtest  the kill -9 / restart test against Dovecot (minutes)
#   make bench   the benchmark (cmd/imapshift-bench), then its rerun rows
#                (no-op and incremental, LAN and RTT +20 ms, medians of 3)
#   make bench-scale  10 folders of 100,000 messages (1M), initial sync and no-op

# Go from its default install location; dovecot lives in /usr/sbin, which a
# non-root PATH often lacks.
export PATH := /usr/local/go/bin:$(PATH):/usr/sbin:/sbin
SHELL := /bin/bash
GO ?= go
DOVECOT_PKGS := dovecot-core dovecot-imapd
# apt-get needs root; elsewhere try sudo without a password prompt.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo "sudo -n")
APT := $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get

.DEFAULT_GOAL := build
.PHONY: test build demo vet bench bench-scale deps dovecot chromium check-tree crashtest

# Dovecot (dovecot + doveadm from dovecot-core, imap + imap-login from
# dovecot-imapd) is needed by the end-to-end tests; install it when missing.
# `apt-get update` runs only when the first install attempt fails.
dovecot deps:
	@if command -v dovecot >/dev/null 2>&1 && command -v doveadm >/dev/null 2>&1 && \
		{ [ -x /usr/lib/dovecot/imap-login ] || [ -x /usr/libexec/dovecot/imap-login ]; }; then \
		exit 0; \
	fi; \
	echo "make: installing $(DOVECOT_PKGS)"; \
	$(APT) install -y --no-install-recommends $(DOVECOT_PKGS) </dev/null || \
	{ $(APT) update </dev/null && $(APT) install -y --no-install-recommends $(DOVECOT_PKGS) </dev/null; } || \
	{ echo "make: could not install $(DOVECOT_PKGS)" >&2; exit 1; }

# Headless Chromium loads the live status page in a test (--dump-dom,
# --screenshot); install Debian's chromium when missing.
chromium:
	@if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then \
		exit 0; \
	fi; \
	echo "make: installing chromium"; \
	$(APT) install -y chromium </dev/null || \
	{ $(APT) update </dev/null && $(APT) install -y chromium </dev/null; } || \
	{ echo "make: could not install chromium" >&2; exit 1; }

# `go test ./...` hides the output of passing packages, so the harness also
# appends its "SKIP: dovecot not available" lines to IMAPSHIFT_SKIP_LOG and
# they are printed here. (With IMAPSHIFT_REQUIRE_DOVECOT=1 a missing Dovecot
# is a failure, never a skip.)
test: dovecot chromium check-tree
	@skiplog=$$(mktemp); \
	echo "IMAPSHIFT_REQUIRE_DOVECOT=1 IMAPSHIFT_REQUIRE_CHROMIUM=1 $(GO) test -count=1 -timeout 20m ./..."; \
	IMAPSHIFT_REQUIRE_DOVECOT=1 IMAPSHIFT_REQUIRE_CHROMIUM=1 IMAPSHIFT_SKIP_LOG=$$skiplog $(GO) test -count=1 -timeout 20m ./...; \
	rc=$$?; \
	if [ -s "$$skiplog" ]; then echo "--- skipped:" >&2; cat "$$skiplog" >&2; fi; \
	rm -f "$$skiplog"; \
	exit $$rc

# Nothing built goes into git: no tracked file over 1 MB, no binary.
check-tree:
	@bash .ci/check-tree

# Without cgo, as released (Containerfile): a static binary starts faster.
build:
	CGO_ENABLED=0 $(GO) build -o bin/imapshift ./cmd/imapshift

demo:
	$(GO) run ./cmd/imapshift demo

vet:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt -l: not formatted:" >&2; echo "$$out" >&2; exit 1; fi
	$(GO) vet ./...

bench:
	$(GO) run ./cmd/imapshift-bench $(BENCHARGS)
	$(GO) run ./cmd/imapshift-bench -reruns $(BENCHARGS)

bench-scale:
	$(GO) run ./cmd/imapshift-bench -scale -scale-folders 10 -scale-n 100000 $(BENCHARGS)

# The kill test: a sync of 3,000 messages between two Dovecots is killed
# with SIGKILL at IMAPSHIFT_CRASHTEST_POINTS points and restarted at once;
# host2 is checked for duplicates and losses after every rerun.
crashtest: dovecot
	IMAPSHIFT_CRASHTEST=1 IMAPSHIFT_REQUIRE_DOVECOT=1 $(GO) test -count=1 -timeout 30m -run TestKillRestartExactlyOnce -v ./cmd/imapshift/
