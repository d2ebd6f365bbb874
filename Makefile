# lazymmu - build, test and demo.  `make test` runs everything CI runs.
# The library itself needs no build: lazymmu.h and arch/ are the product.

CC      ?= cc
BUILD   := build
BACKENDS := x86_64 aarch64 riscv64 paravirt
SUITES  := $(sort $(patsubst tests/test_%.c,%,$(wildcard tests/test_*.c)))
HDRS    := lazymmu.h $(wildcard arch/*.h arch/*/*.h)

WARN    := -std=c11 -Wall -Wextra -Werror -pedantic
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   := $(shell pkg-config --libs check 2>/dev/null)

# Test configurations: each backend as shipped, plus the variants its config
# macros select.  Every suite runs on the four backends; the suites in
# VARIANT_SUITES also run on the variants; SUITE_CONFIGS_<suite> narrows a
# suite that only means something on some configurations.
DEFS_x86_64   := -DLAZY_MMU_ARCH_X86_64
DEFS_aarch64  := -DLAZY_MMU_ARCH_AARCH64
DEFS_riscv64  := -DLAZY_MMU_ARCH_RISCV64
DEFS_paravirt := -DLAZY_MMU_ARCH_PARAVIRT
DEFS_x86_64_global   := -DLAZY_MMU_ARCH_X86_64 -DLAZY_MMU_X86_64_GLOBAL_PAGES=1
DEFS_riscv64_svinval := -DLAZY_MMU_ARCH_RISCV64 -DLAZY_MMU_RISCV64_SVINVAL=1
DEFS_riscv64_svvptc  := -DLAZY_MMU_ARCH_RISCV64 -DLAZY_MMU_RISCV64_SVVPTC=1
DEFS_x86_64_ept      := -DLAZY_MMU_ARCH_X86_64 -DLAZY_MMU_STAGE2=1
DEFS_aarch64_s2      := -DLAZY_MMU_ARCH_AARCH64 -DLAZY_MMU_STAGE2=1
DEFS_x86_64_pkru     := -DLAZY_MMU_ARCH_X86_64 -DLAZY_MMU_X86_64_PKRU=1
DEFS_aarch64_nsh     := -DLAZY_MMU_ARCH_AARCH64 -DLAZY_MMU_AARCH64_NONSHAREABLE=1
DEFS_x86_64_invlpgb  := -DLAZY_MMU_ARCH_X86_64 -DLAZY_MMU_X86_64_INVLPGB=1
DEFS_x86_64_invpcid  := -DLAZY_MMU_ARCH_X86_64 -DLAZY_MMU_X86_64_INVPCID=1
DEFS_aarch64_range   := -DLAZY_MMU_ARCH_AARCH64 -DLAZY_MMU_AARCH64_TLBIRANGE=1
# The same with the threshold of the per-page build: range TLBIs below it,
# one VMALLE1IS past it, which the suites that cross the threshold inside
# their window need (the range default, 65535 pages, lies beyond it).
DEFS_aarch64_range_t511 := -DLAZY_MMU_ARCH_AARCH64 -DLAZY_MMU_AARCH64_TLBIRANGE=1 \
                           -DLAZY_MMU_FLUSH_ALL_THRESHOLD=511
VARIANTS := x86_64_global riscv64_svinval riscv64_svvptc x86_64_ept aarch64_s2 x86_64_pkru aarch64_nsh x86_64_invlpgb x86_64_invpcid aarch64_range_t511
VARIANT_SUITES := contract model smp
SUITE_CONFIGS_paravirt := paravirt
SUITE_CONFIGS_stage2 := x86_64_ept aarch64_s2
SUITE_CONFIGS_invlpgb := x86_64_invlpgb
SUITE_CONFIGS_spaces := $(BACKENDS) $(VARIANTS)
SUITE_CONFIGS_tables := $(BACKENDS) riscv64_svinval riscv64_svvptc aarch64_nsh x86_64_invlpgb x86_64_invpcid aarch64_range
SUITE_CONFIGS_range := aarch64_range aarch64_range_t511
configs_of = $(or $(SUITE_CONFIGS_$(1)),$(BACKENDS) $(if $(filter $(1),$(VARIANT_SUITES)),$(VARIANTS)))

# Two builds of the unit tests: optimised, and under ASan+UBSan.
FLAGS_plain := -O2 -g
FLAGS_asan  := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

.PHONY: all help test unit unit-asan unit-plain compile-check qemu-test demo clean FORCE
all: $(BUILD)/plain/run-tests $(BUILD)/demo/demo

help:
	@echo 'make demo               eager vs lazy hardware operations, every backend (seconds)'
	@echo 'make test               everything below that is a test (about 20 min on 2 cores)'
	@echo '  make unit             the Check suites, optimised (about 1 min);'
	@echo '                        one suite: CK_RUN_SUITE=smp-riscv64 build/plain/run-tests'
	@echo '                        one case:  CK_RUN_CASE=rounds (with CK_RUN_SUITE)'
	@echo '  make unit-asan        the same under ASan + UBSan'
	@echo '  make compile-check    lazymmu.h alone, C99/C11/C++, gcc/clang, hosted and freestanding'
	@echo '  make insn-check       every insn.h primitive checked in the disassembly'
	@echo '  make docs-snippets    every C block of README.md and docs/ compiles'
	@echo '  make docs-numbers     the sizes and thresholds the docs quote are the code'"'"'s'
	@echo '  make consume-test     pkg-config, CMake and Meson consumers'
	@echo '  make qemu-test        the bare-metal kernels under QEMU, SMP ones included'
	@echo '  make tsan             one context per thread under ThreadSanitizer'
	@echo '  make fuzz             libFuzzer per configuration (FUZZ_SECONDS=60)'
	@echo 'make bench              every figure, written to docs/bench/ (needs valgrind, gnuplot-nox)'
	@echo '  make bench-peers      lazymmu against the peers, simulated MMU (seconds)'
	@echo '  make bench-rounds     remote rounds per workload, 4 simulated CPUs (seconds)'
	@echo '  make bench-spaces     flushes per ASID/PCID vs other spaces, 4 simulated CPUs (seconds)'
	@echo '  make bench-insns-peers  instructions per update against the peers (callgrind)'
	@echo '  make bench-sizes      LAZY_MMU_BATCH_MAX / threshold on scattered remaps (seconds)'
	@echo 'make pv-demo            the paravirt embedding example'
	@echo 'make install PREFIX=... / make uninstall   headers, pkg-config (share/pkgconfig), CMake'
	@echo 'make clean'

# The last lines of `make test` are Check's summary of the optimised run.
test: compile-check insn-check docs-snippets docs-numbers consume-test pv-demo qemu-test tsan fuzz unit-asan unit-plain

# make install / make uninstall (PREFIX, DESTDIR): mk/install.mk.
include mk/install.mk
# make fuzz / make tsan (FUZZ_SECONDS, FUZZ_JOBS): mk/reliability.mk.
include mk/reliability.mk

.PHONY: consume-test docs-snippets docs-numbers
# The library consumed every way an embedder can (pkg-config, CMake
# add_subdirectory and find_package, Meson subproject).
consume-test:
	CC="$(CC)" tests/consume/run.sh
# Every C block of README.md and docs/ compiles.
docs-snippets:
	CC="$(CC)" tests/docs-snippets.sh
# The context sizes, thresholds and batch sizes the documents quote are the
# code's (each checked by the compiler, per backend).
docs-numbers:
	CC="$(CC)" tests/docs-numbers.sh

# Check's default per-test timeout is 4 s; one paravirt failure test under
# ASan took 3.6 s on a loaded 2-core machine.  Tests never time anything, so
# the limit only has to catch a hang: 60 s unless the caller says otherwise.
CK_DEFAULT_TIMEOUT ?= 60
export CK_DEFAULT_TIMEOUT
unit: unit-plain
unit-plain: $(BUILD)/plain/run-tests
	$<
unit-asan: $(BUILD)/asan/run-tests
	ASAN_OPTIONS=detect_leaks=0 $<

# tests/main.c learns the suites from this generated list; rewritten only
# when the set of suites changes.
$(BUILD)/suites.h: FORCE
	@mkdir -p $(BUILD)
	@{ $(foreach s,$(SUITES),$(foreach b,$(call configs_of,$(s)),echo 'SUITE($(s), $(b))';)) } > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

define suite_obj
$(BUILD)/$(3)/$(1)-$(2).o: tests/test_$(1).c $(wildcard tests/*.h) $(HDRS)
	@mkdir -p $$(@D)
	$$(CC) $(WARN) $$(FLAGS_$(3)) -I. -Itests $$(CHECK_CFLAGS) $$(DEFS_$(2)) -DTEST_ARCH=$(2) -c $$< -o $$@
endef

define variant
$(foreach s,$(SUITES),$(foreach b,$(call configs_of,$(s)),$(eval $(call suite_obj,$(s),$(b),$(1)))))
$(BUILD)/$(1)/main.o: tests/main.c $(BUILD)/suites.h
	@mkdir -p $$(@D)
	$$(CC) $(WARN) $$(FLAGS_$(1)) -I$(BUILD) $$(CHECK_CFLAGS) -c $$< -o $$@
$(BUILD)/$(1)/run-tests: $(BUILD)/$(1)/main.o $(foreach s,$(SUITES),$(foreach b,$(call configs_of,$(s)),$(BUILD)/$(1)/$(s)-$(b).o))
	$$(CC) $$(FLAGS_$(1)) $$^ $$(CHECK_LIBS) -o $$@
endef
$(eval $(call variant,plain))
$(eval $(call variant,asan))

# lazymmu.h alone, every way an embedder may compile it.
compile-check:
	tests/compile-check.sh

# The real instruction wrappers (arch/*/insn.h) compiled by every compiler and
# cross compiler in each configuration, checked in the disassembly: mnemonics,
# operands, immediates.  tests/insn-check.sh --planted shows the checks bite.
.PHONY: insn-check
insn-check:
	tests/insn-check.sh

# Bare-metal kernels under QEMU (examples/qemu/*/).
qemu-test:
	@if [ -f examples/qemu/Makefile ]; then $(MAKE) -C examples/qemu test; \
	else echo "qemu-test: no kernels yet"; fi

# Figures, not tests: instruction counts (callgrind), simulated hardware
# operations, QEMU wall time; writes docs/bench/.  Needs valgrind, gnuplot-nox.
.PHONY: bench
bench:
	CC="$(CC)" bench/run.sh

# Instructions per update, lazymmu against the same strategies, counted by
# callgrind (bench/insns_peers.c): part 5 of `make bench` alone, printed, and
# docs/bench/ left as it is.  Needs valgrind; no gnuplot, no QEMU.
.PHONY: bench-insns-peers
bench-insns-peers:
	CC="$(CC)" bench/run.sh insns-peers

# lazymmu against the strategies a kernel would otherwise write (mmu_gather,
# arm64/riscv64 range flushes, Xen PV batches, eager), on the simulated MMU:
# modelled costs, every run verified.  No valgrind, no QEMU; a few seconds.
.PHONY: bench-peers
bench-peers: $(BUILD)/peers/peers
	$< $(BUILD)/peers/peers.tsv
# One object per backend: a translation unit holds exactly one backend.
define peers_obj
$(BUILD)/peers/$(1).o: bench/peers_backend.c bench/peers.h $(HDRS)
	@mkdir -p $$(@D)
	$$(CC) $(WARN) -O2 -I. $$(DEFS_$(1)) -DLAZY_MMU_SIMULATE=1 -DLAZY_MMU_DEBUG=1 -c $$< -o $$@
endef
$(foreach b,$(BACKENDS),$(eval $(call peers_obj,$(b))))
$(BUILD)/peers/main.o: bench/peers.c bench/peers.h
	@mkdir -p $(@D)
	$(CC) $(WARN) -O2 -c $< -o $@
$(BUILD)/peers/peers: $(BUILD)/peers/main.o $(BACKENDS:%=$(BUILD)/peers/%.o)
	$(CC) $^ -o $@

# The other CPUs' side: remote rounds (IPIs, SBI calls) per workload, lazy
# vs one section per 8-page operation vs eager, on a 4-CPU simulated MMU
# (bench/rounds.c).  Part 7 of `make bench`; a few seconds.
.PHONY: bench-rounds
bench-rounds: $(BACKENDS:%=$(BUILD)/rounds/%)
	@for b in $(BACKENDS); do $(BUILD)/rounds/$$b || exit 1; done
define rounds_bin
$(BUILD)/rounds/$(1): bench/rounds.c $(HDRS)
	@mkdir -p $$(@D)
	$$(CC) $(WARN) -O2 -I. $$(DEFS_$(1)) $$< -o $$@
endef
$(foreach b,$(BACKENDS),$(eval $(call rounds_bin,$(b))))

# Address spaces: what a section in one ASID / PCID issues (all-spaces vs
# per-space forms) and how many of another space's cached entries it keeps,
# per configuration, on a 4-CPU simulated MMU (bench/spaces.c).  Part 8 of
# `make bench`; a second.
SPACES_CONFIGS := x86_64 x86_64_invpcid aarch64 riscv64 riscv64_svinval paravirt
.PHONY: bench-spaces
bench-spaces: $(SPACES_CONFIGS:%=$(BUILD)/spaces/%)
	@h=--header; for c in $(SPACES_CONFIGS); do $(BUILD)/spaces/$$c $$h || exit 1; h=; done
define spaces_bin
$(BUILD)/spaces/$(1): bench/spaces.c $(HDRS)
	@mkdir -p $$(@D)
	$$(CC) $(WARN) -O2 -I. $$(DEFS_$(1)) $$< -o $$@
endef
$(foreach c,$(SPACES_CONFIGS),$(eval $(call spaces_bin,$(c))))

# The two sizes a kernel may set, on one section of scattered remaps: where
# the threshold is well above the ranges kept apart (aarch64: 511 / 64), a
# full flush from BATCH_MAX + a few pages; with BATCH_MAX raised to the
# threshold, per-page TLBIs up to it (bench/sizes.c).  Part 9 of `make bench`.
SIZES_CONFIGS := x86_64 riscv64 aarch64 aarch64_batch512
DEFS_aarch64_batch512 := -DLAZY_MMU_ARCH_AARCH64 -DLAZY_MMU_BATCH_MAX=512
.PHONY: bench-sizes
bench-sizes: $(SIZES_CONFIGS:%=$(BUILD)/sizes/%)
	@h=--header; for c in $(SIZES_CONFIGS); do $(BUILD)/sizes/$$c $$h || exit 1; h=; done
define sizes_bin
$(BUILD)/sizes/$(1): bench/sizes.c $(HDRS) examples/workload.h
	@mkdir -p $$(@D)
	$$(CC) $(WARN) -O2 -I. -DLAZY_MMU_SIM_PAGES=32768 -DSIZES_NAME='"$(1)"' $$(DEFS_$(1)) $$< -o $$@
endef
$(foreach c,$(SIZES_CONFIGS),$(eval $(call sizes_bin,$(c))))

demo: $(BUILD)/demo/demo
	$(BUILD)/demo/demo

# The paravirt embedding example: a guest that supplies its own hypercall
# (the real paravirt backend, no simulator).
.PHONY: pv-demo
pv-demo: $(BUILD)/demo/pv-demo
	$(BUILD)/demo/pv-demo
$(BUILD)/demo/pv-demo: examples/paravirt_guest.c $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(WARN) -O2 -I. $< -o $@
# One object per backend: a translation unit holds exactly one backend.
define demo_obj
$(BUILD)/demo/$(1).o: examples/demo_backend.c examples/demo.h examples/workload.h $(HDRS)
	@mkdir -p $$(@D)
	$$(CC) $(WARN) -O2 -I. $$(DEFS_$(1)) -DDEMO_ARCH=$(1) -c $$< -o $$@
endef
$(foreach b,$(BACKENDS),$(eval $(call demo_obj,$(b))))
$(BUILD)/demo/main.o: examples/demo.c examples/demo.h examples/workload.h
	@mkdir -p $(@D)
	$(CC) $(WARN) -O2 -c $< -o $@
$(BUILD)/demo/demo: $(BUILD)/demo/main.o $(BACKENDS:%=$(BUILD)/demo/%.o)
	$(CC) $^ -o $@

clean:
	rm -rf $(BUILD)
	@if [ -f examples/qemu/Makefile ]; then $(MAKE) -C examples/qemu clean; fi
