/* bench/insns.c - instructions per operation, counted by callgrind.
 *
 * Built once per backend (-DLAZY_MMU_ARCH_<X>) as an ordinary host program
 * over bench/nullinsn.h (each privileged instruction is one `nop`), in the
 * release configuration unless the build says otherwise.  bench/run.sh runs
 * it under `valgrind --tool=callgrind`, reads the inclusive instruction
 * count (Ir) of every bench function below, and does the arithmetic.
 *
 * METHOD
 *   Every measurement is a pair of out-of-line functions NAME__a and NAME__b
 *   that run the same loop body NA and NB times; the driver calls each of
 *   them CALLS times with the same setup around every call.  Then
 *       per iteration = (Ir(NAME__b) - Ir(NAME__a)) / (CALLS * (NB - NA))
 *   which cancels everything paid once per call (prologue, epilogue, the
 *   call itself, the first update of a section that starts a new range).
 *   From that the per-iteration cost of a baseline loop is subtracted:
 *   the same loop with an empty body ("loop"), or one that computes the same
 *   arguments (entry pointer, new entry, va) and hands them to an empty asm
 *   ("args").  What is left is the operation itself.  The functions are
 *   noinline and noipa (gcc) so no caller knowledge leaks into them; the
 *   library's own code is compiled exactly as a kernel would inline it.
 *
 *   The binary prints one descriptor line per measurement:
 *     BENCH <name> <baseline> <calls> <na> <nb> <description>
 *   and the script pairs it with callgrind's counts.
 */
#include <stdint.h>
#include <stdio.h>

#define LAZY_MMU_INSN_HEADER "nullinsn.h" /* the instructions: one nop each */

#if defined(LAZY_MMU_ARCH_PARAVIRT)
struct lazy_mmu_paravirt_op;
size_t bench_hypercall(void *hv, const struct lazy_mmu_paravirt_op *ops, size_t n);
#define LAZY_MMU_PARAVIRT_COMMIT bench_hypercall
#endif

#include "lazymmu.h"

/* flatten: the a and b copies of a measurement must inline the library
 * alike (its static inline functions; never its noinline slow paths), or
 * their difference is not the operation - gcc's size heuristics once kept
 * lazy_mmu_set_pte out of line in one copy of a debug build only. */
#if defined(__clang__)
#define BENCH_FN __attribute__((noinline, flatten, used))
#else
#define BENCH_FN __attribute__((noinline, noipa, flatten, used))
#endif
#define BARRIER() __asm__ __volatile__("" : : : "memory")
#define SINK(x) __asm__ __volatile__("" : : "r"(x) : "memory")
#define SINK2(a, b) __asm__ __volatile__("" : : "r"(a), "r"(b) : "memory")
#define SINK3(a, b, c) __asm__ __volatile__("" : : "r"(a), "r"(b), "r"(c) : "memory")

#define PAGES 4096u
#define BASE_VA ((uintptr_t)0x7f0000000000ull)
#define VA(i) (BASE_VA + ((uintptr_t)(i) << LAZY_MMU_PAGE_SHIFT))

/* Entry values: frame 0x100000 + i (+ 0x10000 in odd generations for a
 * remap), bit 0 valid, bit 1 writable (protect flips it: same frame). */
static uint64_t remap_base(unsigned gen)
{
    return ((0x100000ull + (gen & 1u) * 0x10000ull) << 12) | 3u;
}
static uint64_t protect_base(unsigned gen)
{
    return (0x100000ull << 12) | ((gen & 1u) ? 1u : 3u);
}

static struct lazy_mmu ctx;
static uint64_t ptes[PAGES];

#if defined(LAZY_MMU_ARCH_PARAVIRT)
/* The hypervisor: applies every op (as a real one would, minus the trap). */
BENCH_FN size_t bench_hypercall(void *hv, const struct lazy_mmu_paravirt_op *ops, size_t n)
{
    size_t k;
    (void)hv;
    for (k = 0; k < n; k++)
        if ((ops[k].ptr & LAZY_MMU_PARAVIRT_CMD_MASK) == LAZY_MMU_PARAVIRT_SET)
            *(uint64_t *)(uintptr_t)(ops[k].ptr & ~(uint64_t)LAZY_MMU_PARAVIRT_CMD_MASK) =
                ops[k].val;
    return n;
}
#endif

/* The floor: an out-of-line function with set_pte's arguments that does
 * nothing, and one that does the store. */
BENCH_FN void plain_call(struct lazy_mmu *m, uint64_t *ptep, uint64_t pte, uintptr_t va)
{
    (void)m;
    (void)ptep;
    (void)pte;
    (void)va;
    BARRIER();
}
BENCH_FN void plain_set(struct lazy_mmu *m, uint64_t *ptep, uint64_t pte, uintptr_t va)
{
    (void)m;
    (void)va;
    *(volatile uint64_t *)ptep = pte;
}

/* One measurement: NAME__a and NAME__b, the loop BODY run na / nb times.
 * The body sees m, ptes (p), base (the new entry of page 0), va0, i. */
#define BENCH(name, na, nb, body) \
    BENCH_FN void name##__a(struct lazy_mmu *m, uint64_t *p, uint64_t base, uintptr_t va0) \
    { \
        unsigned long i; \
        (void)m; (void)p; (void)base; (void)va0; \
        for (i = 0; i < (na); i++) { \
            BARRIER(); \
            body; \
            BARRIER(); \
        } \
    } \
    BENCH_FN void name##__b(struct lazy_mmu *m, uint64_t *p, uint64_t base, uintptr_t va0) \
    { \
        unsigned long i; \
        (void)m; (void)p; (void)base; (void)va0; \
        for (i = 0; i < (nb); i++) { \
            BARRIER(); \
            body; \
            BARRIER(); \
        } \
    }

#define PTEP (&p[i])
#define PTE (base + ((uint64_t)i << 12))
#define PVA (va0 + ((uintptr_t)i << LAZY_MMU_PAGE_SHIFT))

/* Long loops for the constant-cost operations; runs within one batch (and
 * below every backend's full-flush threshold) for the per-update ones. */
#define LA 1000
#define LB 2000
#define RA 16
#define RB 32

/* Baselines. */
BENCH(loop, LA, LB, (void)0)
BENCH(args, LA, LB, SINK3(PTEP, PTE, PVA))
BENCH(args2, LA, LB, SINK2(PTEP, PTE))
BENCH(args_run, RA, RB, SINK3(PTEP, PTE, PVA))
/* The floor. */
BENCH(store, LA, LB, (*(volatile uint64_t *)PTEP = PTE))
BENCH(call, LA, LB, plain_call(m, PTEP, PTE, PVA))
BENCH(call_store, LA, LB, plain_set(m, PTEP, PTE, PVA))
/* The generic layer. */
BENCH(
    pair, LA, LB, do {
        lazy_mmu_state_t s_ = lazy_mmu_enter(m);
        BARRIER();
        lazy_mmu_leave(m, s_);
    } while (0))
BENCH(
    nested, LA, LB, do {
        lazy_mmu_state_t s_ = lazy_mmu_enter(m);
        BARRIER();
        lazy_mmu_leave(m, s_);
    } while (0))
BENCH(flush, LA, LB, lazy_mmu_flush(m))
BENCH(is_active, LA, LB, SINK(lazy_mmu_is_active(m)))
/* Updates. */
BENCH(lazy_remap, RA, RB, lazy_mmu_set_pte(m, PTEP, PTE, PVA))
BENCH(lazy_protect, RA, RB, lazy_mmu_set_pte(m, PTEP, PTE, PVA))
BENCH(eager_remap, LA, LB, lazy_mmu_set_pte(m, PTEP, PTE, PVA))
BENCH(eager_protect, LA, LB, lazy_mmu_set_pte(m, PTEP, PTE, PVA))

/* Whole sections of N remaps, per update: lazy (enter, N set_pte, leave
 * with its publish) against N eager set_pte.  N = 32 stays below every
 * threshold; N = 4096 passes all of them, so most of its updates take the
 * path of a batch that already invalidates everything. */
#define SECTION_BENCH(n)                                                                           \
    BENCH_FN void section##n##_lazy(struct lazy_mmu *m, uint64_t *p, uint64_t base, uintptr_t va0) \
    {                                                                                              \
        unsigned long i;                                                                           \
        lazy_mmu_state_t s = lazy_mmu_enter(m);                                                    \
        for (i = 0; i < (n); i++) {                                                                \
            BARRIER();                                                                             \
            lazy_mmu_set_pte(m, PTEP, PTE, PVA);                                                   \
            BARRIER();                                                                             \
        }                                                                                          \
        lazy_mmu_leave(m, s);                                                                      \
    }                                                                                              \
    BENCH_FN void section##n##_eager(struct lazy_mmu *m, uint64_t *p, uint64_t base,               \
                                     uintptr_t va0)                                                \
    {                                                                                              \
        unsigned long i;                                                                           \
        for (i = 0; i < (n); i++) {                                                                \
            BARRIER();                                                                             \
            lazy_mmu_set_pte(m, PTEP, PTE, PVA);                                                   \
            BARRIER();                                                                             \
        }                                                                                          \
    }                                                                                              \
    BENCH_FN void section##n##_args(struct lazy_mmu *m, uint64_t *p, uint64_t base, uintptr_t va0) \
    {                                                                                              \
        unsigned long i;                                                                           \
        (void)m;                                                                                   \
        for (i = 0; i < (n); i++) {                                                                \
            BARRIER();                                                                             \
            SINK3(PTEP, PTE, PVA);                                                                 \
            BARRIER();                                                                             \
        }                                                                                          \
    }
SECTION_BENCH(32)
SECTION_BENCH(4096)

typedef void (*bench_fn)(struct lazy_mmu *, uint64_t *, uint64_t, uintptr_t);

static unsigned gen;

static void fill(uint64_t (*basefn)(unsigned))
{
    unsigned i;
    for (i = 0; i < PAGES; i++)
        ptes[i] = basefn(gen) + ((uint64_t)i << 12);
}

/* Runs a / b `calls` times each.  Setup per call: "none", "section" (the
 * call runs inside an open section that is left after it), "nested" (inside
 * two: the pair measured is the third level) ; remap/protect choose the new
 * entries, alternating so every update changes the entry. */
enum setup { S_NONE, S_SECTION, S_NESTED };

static void run(bench_fn a, bench_fn b, unsigned calls, enum setup st,
                uint64_t (*basefn)(unsigned))
{
    bench_fn f[2] = {a, b};
    unsigned c, k;
    for (k = 0; k < 2; k++) {
        for (c = 0; c < calls; c++) {
            lazy_mmu_state_t s1, s2;
            uint64_t base;
            fill(basefn);
            gen++;
            base = basefn(gen);
            if (st != S_NONE)
                s1 = lazy_mmu_enter(&ctx);
            if (st == S_NESTED)
                s2 = lazy_mmu_enter(&ctx);
            f[k](&ctx, ptes, base, BASE_VA);
            if (st == S_NESTED)
                lazy_mmu_leave(&ctx, s2);
            if (st != S_NONE)
                lazy_mmu_leave(&ctx, s1);
        }
    }
}

#define DESCRIBE(name, baseline, calls, na, nb, what) \
    printf("BENCH %s %s %u %u %u %s\n", #name, baseline, (unsigned)(calls), \
           (unsigned)(na), (unsigned)(nb), what)
#define RUN(name, baseline, calls, na, nb, setup, basefn, what) \
    do { \
        run(name##__a, name##__b, calls, setup, basefn); \
        DESCRIBE(name, baseline, calls, na, nb, what); \
    } while (0)

int main(void)
{
    unsigned c;

    lazy_mmu_init(&ctx);
    gen = 0;
    fill(remap_base);

    RUN(loop, "-", 1, LA, LB, S_NONE, remap_base, "empty loop");
    RUN(args, "loop", 1, LA, LB, S_NONE, remap_base, "computing set_pte's arguments");
    RUN(args_run, "loop", 8, RA, RB, S_NONE, remap_base, "computing set_pte's arguments");
    RUN(args2, "loop", 1, LA, LB, S_NONE, remap_base, "computing a store's address and value");
    RUN(store, "args2", 1, LA, LB, S_NONE, remap_base, "plain store");
    RUN(call, "args", 1, LA, LB, S_NONE, remap_base, "plain call (noinline, 4 args, empty)");
    RUN(call_store, "args", 1, LA, LB, S_NONE, remap_base, "plain call that stores");
    RUN(pair, "loop", 1, LA, LB, S_NONE, remap_base, "empty enter/leave pair (outermost)");
    RUN(nested, "loop", 1, LA, LB, S_NESTED, remap_base,
        "empty enter/leave pair (nested, depth 3)");
    RUN(flush, "loop", 1, LA, LB, S_SECTION, remap_base, "lazy_mmu_flush, nothing pending");
    RUN(is_active, "loop", 1, LA, LB, S_SECTION, remap_base, "lazy_mmu_is_active");
    RUN(lazy_remap, "args_run", 8, RA, RB, S_SECTION, remap_base,
        "lazy set_pte, remap run (valid->valid, new frame)");
    RUN(lazy_protect, "args_run", 8, RA, RB, S_SECTION, protect_base,
        "lazy set_pte, protect run (valid->valid, same frame)");
    RUN(eager_remap, "args", 1, LA, LB, S_NONE, remap_base, "eager set_pte, remap");
    RUN(eager_protect, "args", 1, LA, LB, S_NONE, protect_base, "eager set_pte, protect");

#define SECTION_RUN(n, calls)                                                                      \
    do {                                                                                           \
        for (c = 0; c < (calls); c++) {                                                            \
            fill(remap_base);                                                                      \
            gen++;                                                                                 \
            section##n##_lazy(&ctx, ptes, remap_base(gen), BASE_VA);                               \
            fill(remap_base);                                                                      \
            gen++;                                                                                 \
            section##n##_eager(&ctx, ptes, remap_base(gen), BASE_VA);                              \
            section##n##_args(&ctx, ptes, remap_base(gen), BASE_VA);                               \
        }                                                                                          \
        printf("SECTION section%d_lazy section%d_eager section%d_args %d %d\n", n, n, n, calls,    \
               n);                                                                                 \
    } while (0)
    SECTION_RUN(32, 8);
    SECTION_RUN(4096, 2);
    return lazy_mmu_is_active(
        &ctx); /* every section was left (public API: the fields are private) */
}
