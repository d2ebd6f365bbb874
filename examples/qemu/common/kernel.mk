# examples/qemu/common/kernel.mk - the build, boot and check rules every
# QEMU kernel shares, included by examples/qemu/<arch>/Makefile.  The
# architecture's Makefile keeps only its facts; before the include it sets
#   CROSS          its toolchain prefix (empty: the host's); CC defaults to
#                  $(CROSS)gcc unless given, NM and OBJDUMP to $(CROSS)'s
#   ARCH_FLAGS     code generation (compile, assemble and link)
#   ARCH_LINK      link-only flags
#   LDFLAGS        to override the default below (with lld: -fuse-ld=lld)
#   QEMU, QEMU_FLAGS  the emulator and what every boot of it has
#   QFLAGS_<name>  what the boots of <name>.elf add (SMP, a CPU model)
#   TIMEOUT, TRACE_TIMEOUT  seconds for a boot, and for a traced one
#   KERNELS        the .elf files `make all` builds (LINKED: what the link
#                  rule makes, if not those)
#   VARIANTS       the object builds beside the plain ones, as <src>-<v>.o:
#                  <v> is words joined by '-', each word's defines in
#                  DEFS_<word> (neg, time, nohook, early are here)
#   CHECKS         `make test`'s verdicts, MODE:KERNEL[:FLAGS] each, in order
#                  (common/check.sh; FLAGS names a variable whose QEMU flags
#                  replace QFLAGS_<kernel>)
# and after it each kernel's objects (kernel.elf: start.o arch.o ...).
ROOT := ../../..
COMMON := ../common

ifeq ($(origin CC),default)
CC := $(CROSS)gcc
endif
OBJDUMP ?= $(CROSS)objdump
NM ?= $(CROSS)nm
TIMEOUT ?= 60
TRACE_TIMEOUT ?= $(TIMEOUT)

WARN := -std=c11 -Wall -Wextra -Werror -pedantic
CPPFLAGS := -I$(ROOT) -I$(COMMON)
CFLAGS ?=
# The one LOAD segment is RWX on purpose (code and data share one mapping);
# GNU ld >= 2.39 would warn.
LDFLAGS ?= -Wl,--no-warn-rwx-segments
# Link-only flags stay out of the compile lines: clang -Werror rejects them.
LINK = $(ARCH_FLAGS) -nostdlib -nostartfiles -static -T kernel.ld -Wl,--build-id=none $(ARCH_LINK)
LINKED ?= $(KERNELS)

# The variants every architecture builds: the negative controls (writes
# around the library, kernel.h), the release build of common/timing.c that
# prints the TIME lines (the rest keeps kernel.h's debug + stats
# configuration), the SMP kernels' controls (common/smp.c).
DEFS_neg := -DKERNEL_NEGATIVE_CONTROL
DEFS_time := -DLAZY_MMU_DEBUG=0 -DLAZY_MMU_STATS=0
DEFS_nohook := -DKERNEL_SMP_NO_HOOK
DEFS_early := -DKERNEL_SMP_EARLY
defs = $(foreach w,$(subst -, ,$(1)),$(DEFS_$(w)))

.DEFAULT_GOAL := all
.PHONY: all test run run-smp clean
# Keep every object and intermediate image (x86_64's .elf64 is gdb's).
.SECONDARY:
all: $(KERNELS)

vpath %.c $(COMMON)
BUILD_DEPS := Makefile $(COMMON)/kernel.mk
COMPILE = $(CC) $(ARCH_FLAGS) $(WARN) $(CFLAGS) $(CPPFLAGS) -MMD -MP
%.o: %.c $(BUILD_DEPS)
	$(COMPILE) -c $< -o $@
%.o: %.S $(BUILD_DEPS)
	$(CC) $(ARCH_FLAGS) $(CFLAGS) $(CPPFLAGS) -MMD -MP -c $< -o $@
define variant_rule
%-$(1).o: %.c $$(BUILD_DEPS)
	$$(COMPILE) $$(call defs,$(1)) -c $$< -o $$@
endef
$(foreach v,$(VARIANTS),$(eval $(call variant_rule,$(v))))
# common/smp.c, the SMP kernels' checks, as smp-common[-<v>].o: x86_64 and
# aarch64 have an smp.c of their own (bring-up).
smp-common.o: $(COMMON)/smp.c $(BUILD_DEPS)
	$(COMPILE) -c $< -o $@
smp-common-%.o: $(COMMON)/smp.c $(BUILD_DEPS)
	$(COMPILE) $(call defs,$*) -c $< -o $@
# common/facts.c, the facts kernels' harness, as facts-common.o: every
# architecture has a facts.c of its own (its experiments).
facts-common.o: $(COMMON)/facts.c $(BUILD_DEPS)
	$(COMPILE) -c $< -o $@
# common/peers.c (PEER lines), in kernel.elf only: the driver in the debug +
# stats configuration, its timed half as a release build; built any other
# way it does nothing.
peers.o: $(COMMON)/peers.c $(BUILD_DEPS)
	$(COMPILE) -DKERNEL_PEERS -c $< -o $@
peers-time.o: $(COMMON)/peers.c $(BUILD_DEPS)
	$(COMPILE) -DPEERS_TIMED $(DEFS_time) -c $< -o $@

$(LINKED): kernel.ld
	$(CC) $(LINK) $(LDFLAGS) -o $@ $(filter %.o,$^)

# `make test`: one verdict line per word MODE:KERNEL[:FLAGS] of CHECKS, in
# order (FLAGS: the variable whose QEMU flags replace QFLAGS_<kernel>); every
# check runs, and the status says whether all held.
field = $(word $(1),$(subst :, ,$(2)))
test: $(KERNELS)
	@ok=0; \
	$(foreach c,$(CHECKS),$(call check,$(call field,1,$(c)),$(call field,2,$(c)),$($(call field,3,$(c))))) \
	exit $$ok

# One verdict line per call: common/check.sh boots the kernel and judges it.
CHECK = QEMU="$(QEMU) $(QEMU_FLAGS)" TIMEOUT=$(TIMEOUT) TRACE_TIMEOUT=$(TRACE_TIMEOUT) \
	NM="$(NM)" OBJDUMP="$(OBJDUMP)" sh $(COMMON)/check.sh
check = $(CHECK) $(1) $(2) $(if $(3),$(3),$(QFLAGS_$(basename $(2)))) || ok=1;

# A kernel by hand: make run [RUN=kernel-neg.elf]; QEMU's exit status last.
RUN ?= kernel.elf
run: $(RUN)
	timeout $(TIMEOUT) $(QEMU) $(QEMU_FLAGS) $(QFLAGS_$(basename $(RUN))) -kernel $(RUN); \
	echo "qemu exit status $$?"
run-smp:
	@$(MAKE) --no-print-directory run RUN=kernel-smp.elf

clean:
	rm -f *.o *.d *.elf *.elf64 *.log *.status *.dis *.trace

# The compiler writes the .d files (-MMD); make must never try to remake
# them, which it would through smp-common-%.o and its built-in link rule.
%.d: ;
-include $(wildcard *.d)
