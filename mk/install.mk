# mk/install.mk - `make install` / `make uninstall` for lazymmu.
#
# Included from the Makefile; also usable on its own:
#     make -f mk/install.mk install PREFIX=/opt/cross DESTDIR=/tmp/stage
#
# Installs, under $(DESTDIR):
#     $(INCLUDEDIR)/lazymmu/lazymmu.h        so embedders write
#     $(INCLUDEDIR)/lazymmu/arch/...         #include <lazymmu/lazymmu.h>
#     $(DATADIR)/pkgconfig/lazymmu.pc        pkg-config --cflags lazymmu
#     $(DATADIR)/cmake/lazymmu/*.cmake       find_package(lazymmu)
#
# lazymmu.h reaches its parts through relative includes ("arch/select.h",
# "arch/generic/...", "arch/<x>/types.h", "arch/<x>/insn.h" or ".../sim.h"),
# so arch/ is installed whole beside it.  That includes the simulator
# (arch/<x>/sim.h over arch/sim/model.h) that a hosted build with
# LAZY_MMU_SIMULATE=1 (an embedder's own unit tests of code that maps
# pages) includes; a freestanding build never does, so it costs a kernel
# nothing, while leaving it out would make a documented configuration fail
# to compile.
#
# The library is headers only and picks its backend from the compiler's
# target, so nothing here is architecture-specific: the pkg-config and CMake
# files go under share/, not lib/, where one copy serves the native compiler
# and every cross compiler (Debian's cross pkg-config searches
# /usr/share/pkgconfig too).
#
# The version is read from lazymmu.h's LAZY_MMU_VERSION_* macros; it is
# written nowhere else.  `make install` builds nothing.

ifndef LAZYMMU_INSTALL_MK
LAZYMMU_INSTALL_MK := 1

# Including this file must not change the including Makefile's default goal.
lazymmu__saved_goal := $(.DEFAULT_GOAL)

PREFIX     ?= /usr/local
INCLUDEDIR ?= $(PREFIX)/include
DATADIR    ?= $(PREFIX)/share
INSTALL    ?= install

# The repository root: the directory above this file, wherever make runs.
lazymmu__top := $(patsubst %/mk/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))

lazymmu__ver = $(shell sed -n 's/^\#define LAZY_MMU_VERSION_$(1) \([0-9][0-9]*\).*/\1/p' $(lazymmu__top)/lazymmu.h)
LAZYMMU_VERSION_MAJOR := $(call lazymmu__ver,MAJOR)
LAZYMMU_VERSION := $(LAZYMMU_VERSION_MAJOR).$(call lazymmu__ver,MINOR).$(call lazymmu__ver,PATCH)

# Relative to the repository root; arch/ is listed at install time so a new
# backend directory needs no change here.
lazymmu__arch_hdrs = $(shell cd $(lazymmu__top) && find arch -name '*.h' | LC_ALL=C sort)

lazymmu__inc   = $(DESTDIR)$(INCLUDEDIR)/lazymmu
lazymmu__pcdir = $(DESTDIR)$(DATADIR)/pkgconfig
lazymmu__cmdir = $(DESTDIR)$(DATADIR)/cmake/lazymmu

# In lazymmu.pc, an include directory under the prefix is written relative
# to ${prefix}, as pkg-config users expect.
lazymmu__pc_includedir = $(patsubst $(PREFIX)/%,$${prefix}/%,$(INCLUDEDIR))
# lazymmuConfig.cmake finds the headers from its own place, so the installed
# tree still works after DESTDIR staging or a move.
lazymmu__cm_includedir = $${CMAKE_CURRENT_LIST_DIR}/$(shell realpath -ms --relative-to=$(DATADIR)/cmake/lazymmu $(INCLUDEDIR))

.PHONY: install uninstall

install:
	@case "$(LAZYMMU_VERSION)" in [0-9]*.[0-9]*.[0-9]*) ;; \
	 *) echo "install: no LAZY_MMU_VERSION_MAJOR/MINOR/PATCH in lazymmu.h" >&2; exit 1;; esac
	@case "$(PREFIX)$(INCLUDEDIR)$(DATADIR)" in /*) ;; \
	 *) echo "install: PREFIX, INCLUDEDIR and DATADIR must be absolute paths" >&2; exit 1;; esac
	$(INSTALL) -d $(lazymmu__inc)
	$(INSTALL) -m 644 $(lazymmu__top)/lazymmu.h $(lazymmu__inc)/lazymmu.h
	cd $(lazymmu__top) && for f in $(lazymmu__arch_hdrs); do \
	    $(INSTALL) -d "$(lazymmu__inc)/$${f%/*}" && \
	    $(INSTALL) -m 644 "$$f" "$(lazymmu__inc)/$$f" || exit 1; \
	done
	$(INSTALL) -d $(lazymmu__pcdir)
	sed -e 's|@prefix@|$(PREFIX)|g' -e 's|@includedir@|$(lazymmu__pc_includedir)|g' \
	    -e 's|@VERSION@|$(LAZYMMU_VERSION)|g' \
	    $(lazymmu__top)/lazymmu.pc.in > $(lazymmu__pcdir)/lazymmu.pc
	chmod 644 $(lazymmu__pcdir)/lazymmu.pc
	$(INSTALL) -d $(lazymmu__cmdir)
	sed -e 's|@LAZYMMU_CONFIG_INCLUDE_DIR@|$(lazymmu__cm_includedir)|g' \
	    $(lazymmu__top)/cmake/lazymmuConfig.cmake.in > $(lazymmu__cmdir)/lazymmuConfig.cmake
	sed -e 's|@LAZYMMU_VERSION@|$(LAZYMMU_VERSION)|g' \
	    -e 's|@LAZYMMU_VERSION_MAJOR@|$(LAZYMMU_VERSION_MAJOR)|g' \
	    $(lazymmu__top)/cmake/lazymmuConfigVersion.cmake.in > $(lazymmu__cmdir)/lazymmuConfigVersion.cmake
	chmod 644 $(lazymmu__cmdir)/lazymmuConfig.cmake $(lazymmu__cmdir)/lazymmuConfigVersion.cmake
	$(INSTALL) -m 644 $(lazymmu__top)/cmake/lazymmuOptions.cmake $(lazymmu__cmdir)/lazymmuOptions.cmake

# Removes exactly what install puts there, then those of lazymmu's own
# directories that are left empty; shared directories (include/,
# share/pkgconfig/, share/cmake/) are never removed, and nothing is removed
# recursively.
uninstall:
	rm -f $(lazymmu__inc)/lazymmu.h $(addprefix $(lazymmu__inc)/,$(lazymmu__arch_hdrs))
	rm -f $(lazymmu__pcdir)/lazymmu.pc
	rm -f $(lazymmu__cmdir)/lazymmuConfig.cmake $(lazymmu__cmdir)/lazymmuConfigVersion.cmake \
	      $(lazymmu__cmdir)/lazymmuOptions.cmake
	if [ -d $(lazymmu__inc)/arch ]; then find $(lazymmu__inc)/arch -depth -type d -empty -delete; fi
	for d in $(lazymmu__inc) $(lazymmu__cmdir); do [ ! -d "$$d" ] || rmdir "$$d" 2>/dev/null || true; done

.DEFAULT_GOAL := $(lazymmu__saved_goal)

endif
