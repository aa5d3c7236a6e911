# SPDX-License-Identifier: GPL-2.0
#
# kcache: out-of-tree module, userspace library and tools, tests in a VM.
#   make                 kcache.ko (W=1) + libkcache + kcachectl, against KDIR (no test code)
#   make check           install deps, then run every test in qemu on the stock and debug kernels
#   make check-stock / check-debug / check-harness
#   make style / sparse  checkpatch --strict / sparse on our sources
#   make demo / bench / bench-hitratio

TOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
RUNNING_KDIR := /lib/modules/$(shell uname -r)/build
DEBIAN_KDIR := $(lastword $(sort $(wildcard /lib/modules/*-amd64/build)))
KDIR ?= $(if $(wildcard $(RUNNING_KDIR)/Makefile),$(RUNNING_KDIR),$(DEBIAN_KDIR))
W ?= 1

.PHONY: all module userlib selftests clean style sparse deps check check-stock check-debug \
	check-harness demo bench bench-hitratio install

all: module userlib

module:
	$(MAKE) -C $(KDIR) M=$(TOP) W=$(W) modules

userlib:
	$(MAKE) -C $(TOP)/userlib

selftests: userlib
	$(MAKE) -C $(TOP)/selftests

install: module
	$(MAKE) -C $(KDIR) M=$(TOP) modules_install

clean:
	$(MAKE) -C $(KDIR) M=$(TOP) clean 2>/dev/null || true
	$(MAKE) -C $(TOP)/userlib clean
	$(MAKE) -C $(TOP)/selftests clean
	rm -rf $(TOP)/build

deps:
	@$(TOP)/scripts/deps.sh

style: deps
	@$(TOP)/scripts/style.sh

# also against the debug kernel, if cached, where the KUnit suites build
sparse: deps
	@$(TOP)/scripts/sparse.sh $(KDIR)
	@d=$$($(TOP)/scripts/debug-kernel.sh --cached-only) && $(TOP)/scripts/sparse.sh $$d/build || \
		echo "sparse: debug kernel not built yet, KUnit suites not checked"

check: deps
	@$(TOP)/selftests/vm/check.sh all

check-stock: deps
	@$(TOP)/selftests/vm/check.sh stock

check-debug: deps
	@$(TOP)/selftests/vm/check.sh debug

check-harness: deps
	@$(TOP)/selftests/vm/check.sh harness

demo: deps
	@$(TOP)/selftests/vm/check.sh demo

bench: deps
	@KCACHE_DEPS_BENCH=1 $(TOP)/scripts/deps.sh
	@$(TOP)/selftests/vm/check.sh bench

bench-hitratio:
	@TRACES=$(TRACES) CAPACITIES=$(CAPACITIES) $(TOP)/scripts/bench-hitratio.sh
