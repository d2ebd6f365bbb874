# make fuzz / make tsan: the fuzzer and the concurrency test (tests/fuzz/,
# tests/concurrency/).  Included by the Makefile after the test
# configurations (BACKENDS, VARIANTS, DEFS_*, WARN, HDRS, BUILD).
#
#   make fuzz [FUZZ_SECONDS=60] [FUZZ_JOBS=2] [FUZZ_CONFIGS="x86_64 ..."]
#       one libFuzzer target per configuration, each fuzzed FUZZ_SECONDS
#       from its seed corpus tests/fuzz/corpus/<config>/, FUZZ_JOBS at once;
#       fails on any crash and prints the crashing input's operations.
#   make fuzz-corpus    re-derive the seed corpora (tests/fuzz/make-corpus.sh)
#   make fuzz-planted [PLANTED_SECONDS=120] [PLANTED_RUNS=3]
#                       time the fuzzer takes to find a planted bug (not CI)
#   make tsan           tests/concurrency/run.sh: one context per thread under
#                       ThreadSanitizer, and its negative control
#
# Debian 12 packages beyond `make test`'s: libclang-rt-14-dev (clang's
# libFuzzer, ASan and UBSan runtimes: only a Recommends of clang, so
# --no-install-recommends leaves it out).  TSan with gcc needs libtsan2,
# which gcc already depends on.

.PHONY: fuzz fuzz-build fuzz-corpus fuzz-planted tsan

# The scripts get their configurations from the Makefile's DEFS_<name>, one
# NAME=FLAGS argument each, so the table is written once.
config_args = $(foreach c,$(1),'$(c)=$(DEFS_$(c))')

FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_JOBS    ?= 2
FUZZ_CONFIGS ?= $(BACKENDS) $(VARIANTS)
FUZZ_BUILD   := $(BUILD)/fuzz
FUZZ_FLAGS   := -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined \
                -fno-sanitize-recover=all
FUZZ_SRCS    := tests/fuzz/fuzz_lazymmu.c tests/fuzz/fuzz_model.h

# Say which package is missing instead of a linker error per target.
$(FUZZ_BUILD)/toolchain.ok:
	@mkdir -p $(@D)
	@printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
	    'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
	    'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }' \
	    > $(@D)/probe.c
	@$(FUZZ_CC) $(FUZZ_FLAGS) $(@D)/probe.c -o $(@D)/probe 2> $(@D)/probe.log || { \
	    cat $(@D)/probe.log >&2; \
	    echo "fuzz: $(FUZZ_CC) cannot link -fsanitize=fuzzer; Debian 12:" \
	         "apt-get install --no-install-recommends clang libclang-rt-14-dev" >&2; \
	    exit 1; }
	@touch $@

$(FUZZ_BUILD)/fuzz-%: $(FUZZ_SRCS) $(HDRS) | $(FUZZ_BUILD)/toolchain.ok
	$(FUZZ_CC) $(WARN) $(FUZZ_FLAGS) $(DEFS_$*) -DFUZZ_CONFIG='"$*"' -I. $< -o $@

fuzz-build: $(FUZZ_CONFIGS:%=$(FUZZ_BUILD)/fuzz-%)

fuzz: fuzz-build
	tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_JOBS) $(FUZZ_CONFIGS)

fuzz-corpus: fuzz-build
	tests/fuzz/make-corpus.sh $(FUZZ_BUILD) $(FUZZ_CONFIGS)

PLANTED_SECONDS ?= 120
PLANTED_RUNS    ?= 3
fuzz-planted: $(FUZZ_BUILD)/toolchain.ok
	FUZZ_CC="$(FUZZ_CC)" tests/fuzz/planted.sh $(FUZZ_BUILD) $(PLANTED_SECONDS) $(PLANTED_RUNS) \
	    $(call config_args,$(FUZZ_CONFIGS))

# gcc by default: its TSan runtime comes with it.
TSAN_CC ?= $(CC)
TSAN_CONFIGS ?= $(BACKENDS) $(VARIANTS)
tsan:
	CC="$(TSAN_CC)" TSAN_OUT=$(BUILD)/tsan tests/concurrency/run.sh $(call config_args,$(TSAN_CONFIGS))
