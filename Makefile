# SPDX-License-Identifier: GPL-2.0
#
# kcache: out-of-tree module, userspace library and tools, tests in a VM.
#   make                 kcache.ko (W=1) + libkcache + kcachectl, against KDIR (no test code)
#   make install         module (+ depmod), libkcache, headers, libkcache.pc, kcachectl, man
#                        pages, bash completion, udev rule; DESTDIR and PREFIX (/usr/local)
#   make dkms-install / dkms-uninstall   the module's sources under DKMS (/usr/src/kcache-V)
#   make check           install deps, then every test: qemu on Debian's 6.1, 6.12 (backports)
#                        and 6.1 PREEMPT_RT kernels and on the debug kernel; dkms build; install
#   make check-stock / check-bpo / check-rt / check-kernels / check-debug / check-harness
#   make check-dkms / check-install   the host-side parts of make check
#   make style / sparse  checkpatch --strict / sparse on our sources
#   make htmldocs        Documentation/ with Sphinx and kernel-doc, into build/htmldocs
#   make demo / bench / bench-hitratio
#   make bench-insns     guest instructions per GET, MGET, SET and null ioctl, by function

TOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
RUNNING_KDIR := /lib/modules/$(shell uname -r)/build
DEBIAN_KDIR := $(lastword $(sort $(wildcard /lib/modules/*-amd64/build)))
KDIR ?= $(if $(wildcard $(RUNNING_KDIR)/Makefile),$(RUNNING_KDIR),$(DEBIAN_KDIR))
W ?= 1
PREFIX ?= /usr/local
VERSION := $(shell $(TOP)/scripts/version.sh)
# the kernel release KDIR builds for (Debian's headers lack System.map and kernel.release)
KVER = $(shell sed -n 's/.*UTS_RELEASE "\(.*\)"/\1/p' $(KDIR)/include/generated/utsrelease.h)
UDEVRULESDIR ?= /usr/lib/udev/rules.d
DKMS_SRC = $(DESTDIR)/usr/src/kcache-$(VERSION)


.PHONY: all module userlib selftests clean style sparse deps check check-stock check-debug \
	check-harness check-bpo check-rt check-kernels check-dkms check-install demo bench \
	bench-insns bench-hitratio htmldocs install install-module install-userlib dkms-install dkms-uninstall version

all: module userlib

module:
	$(MAKE) -C $(KDIR) M=$(TOP) W=$(W) KCACHE_VERSION=$(VERSION) modules

userlib:
	$(MAKE) -C $(TOP)/userlib KCACHE_VERSION=$(VERSION)

version:
	@echo $(VERSION)

selftests: userlib
	$(MAKE) -C $(TOP)/selftests

# Nothing of the tests is installed. depmod (and the kcache group of the udev rule) are
# for the live system only: in a DESTDIR, the package's postinst does them (a DESTDIR
# modules.dep would list kcache alone). The
# module is not signed (Debian's headers hold no signing key; DKMS signs with its own).
install: install-module install-userlib

install-module: module
	$(MAKE) -C $(KDIR) M=$(TOP) INSTALL_MOD_PATH=$(DESTDIR) INSTALL_MOD_DIR=updates \
		CONFIG_MODULE_SIG_ALL= modules_install
	$(if $(DESTDIR),@echo "install: not running depmod in DESTDIR",depmod -a $(KVER))

install-userlib: userlib
	$(MAKE) -C $(TOP)/userlib KCACHE_VERSION=$(VERSION) PREFIX=$(PREFIX) install
	$(if $(wildcard $(TOP)/udev/60-kcache.rules),install -D -m 644 \
		$(TOP)/udev/60-kcache.rules $(DESTDIR)$(UDEVRULESDIR)/60-kcache.rules)
	$(if $(DESTDIR),,$(if $(wildcard $(TOP)/udev/60-kcache.rules),getent group kcache \
		>/dev/null || groupadd --system kcache; udevadm control --reload 2>/dev/null || true))

# The module's sources only (Kbuild, kmod/, uapi/), with the version written in.
dkms-install:
	rm -rf $(DKMS_SRC)
	install -d $(DKMS_SRC)/kmod $(DKMS_SRC)/uapi/linux
	install -m 644 $(TOP)/Kbuild $(DKMS_SRC)/
	install -m 644 $(TOP)/kmod/*.c $(TOP)/kmod/*.h $(DKMS_SRC)/kmod/
	install -m 644 $(TOP)/uapi/linux/kcache.h $(DKMS_SRC)/uapi/linux/
	echo $(VERSION) > $(DKMS_SRC)/VERSION
	sed 's/@VERSION@/$(VERSION)/' $(TOP)/dkms.conf > $(DKMS_SRC)/dkms.conf
	$(if $(DESTDIR),,dkms add kcache/$(VERSION))

dkms-uninstall:
	-dkms remove kcache/$(VERSION) --all
	rm -rf $(DKMS_SRC)

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

check-bpo check-rt check-kernels check-dkms check-install: check-%: deps
	@$(TOP)/selftests/vm/check.sh $*

demo: deps
	@$(TOP)/selftests/vm/check.sh demo

bench: deps
	@KCACHE_DEPS_BENCH=1 $(TOP)/scripts/deps.sh
	@$(TOP)/selftests/vm/check.sh bench

htmldocs:
	@KCACHE_DEPS_DOCS=1 $(TOP)/scripts/deps.sh
	@$(TOP)/scripts/htmldocs.sh

bench-insns: deps
	@$(TOP)/selftests/vm/check.sh insns

bench-hitratio:
	@TRACES=$(TRACES) CAPACITIES=$(CAPACITIES) $(TOP)/scripts/bench-hitratio.sh
