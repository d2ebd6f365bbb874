/* bench/rounds.c - the other CPUs' side of a workload: remote rounds (IPIs,
 * SBI calls) and the invalidations the receivers run, for one backend (built
 * once per backend with -DLAZY_MMU_ARCH_<X>; `make bench-rounds`).
 *
 * Four CPUs share a simulated window; CPU 0 changes N pages, the three
 * others have every page cached and read on after each round, and every run
 * ends with nothing stale on any CPU.  Three ways to make the changes:
 *   lazy    one section for all N updates (lazymmu);
 *   per-op  one section per operation of 8 pages, the way Linux ends each
 *           munmap/mprotect with its flush_tlb_range;
 *   eager   no section: every update is its own visibility point.
 * x86_64's round is IPIs (three per round), riscv64's the SBI RFENCE call
 * (lazy_mmu_sbi_shootdown: one per round); aarch64's
 * TLBI ...IS and the paravirt hypervisor reach every CPU without one.
 * Prints one Markdown table, and one rounds-check line per cell with
 * N <= the threshold (one round for a section, N eager).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LAZY_MMU_SIMULATE 1
#define LAZY_MMU_STATS 1
#define LAZY_MMU_DEBUG 1
struct lazy_mmu;
struct lazy_mmu_shootdown;
static void bench_round(struct lazy_mmu *m, const struct lazy_mmu_shootdown *sd);
#define LAZY_MMU_SHOOTDOWN(m, sd) bench_round((m), (sd))
#define LAZY_MMU_SIM_PAGES 4096
#include "lazymmu.h"

#if defined(LAZY_MMU_ARCH_X86_64)
#define NAME "x86_64"
#define HOOK 1
#define MAP_OWES 0 /* no invalid entry is cached */
#elif defined(LAZY_MMU_ARCH_RISCV64)
#define NAME "riscv64"
#define HOOK 1
#define MAP_OWES (!LAZY_MMU_RISCV64_SVVPTC) /* invalid entries may be cached */
#elif defined(LAZY_MMU_ARCH_AARCH64)
#define NAME "aarch64"
#define HOOK 0
#define MAP_OWES 0
#else
#define NAME "paravirt"
#define HOOK 0
#define MAP_OWES 0
#endif

#define CPUS 4u
#define WINDOW 4096u
#define OP_PAGES 8u
#define BASE ((uintptr_t)0x40000000u)
#define VA(i) (BASE + (uintptr_t)(i) * LAZY_MMU_PAGE_SIZE)

static struct lazy_mmu_sim sim;
static struct lazy_mmu ctx, rx[CPUS];
static unsigned long rounds, ipis;

static __attribute__((unused)) void bench_round(struct lazy_mmu *m,
                                                const struct lazy_mmu_shootdown *sd)
{
    unsigned c, p;
    rounds++;
#if defined(LAZY_MMU_ARCH_RISCV64)
    lazy_mmu_sbi_shootdown(m, sd, ((1ul << CPUS) - 1) & ~1ul, 0);
    (void)c;
#elif defined(LAZY_MMU_ARCH_PARAVIRT)
    (void)m, (void)sd, (void)c; /* never called: the hypervisor flushes */
#else
    (void)m;
    for (c = 1; c < CPUS; c++) {
        lazy_mmu_shootdown_apply(&rx[c], sd);
        ipis++;
    }
#endif
    for (c = 1; c < CPUS; c++) /* the others read on */
        for (p = 0; p < WINDOW; p++)
            (void)lazy_mmu_sim_access_on(&sim, c, VA(p));
}

enum op { REMAP, UNMAP, MAP };
static const char *const op_name[] = {"remap", "unmap", "map"};
enum shape { CONTIG, SCATTER, RANDOM };
static const char *const shape_name[] = {"contiguous", "every 7th", "random"};
enum way { LAZY, PER_OP, EAGER };

static unsigned page_of(enum shape sh, unsigned i)
{
    static unsigned perm[WINDOW];
    static int ready;
    if (!ready) { /* a fixed permutation: the same pages every run */
        unsigned k, s = 12345;
        for (k = 0; k < WINDOW; k++)
            perm[k] = k;
        for (k = WINDOW - 1; k > 0; k--) {
            unsigned j, t;
            s = s * 1103515245u + 12345u;
            j = (s >> 8) % (k + 1);
            t = perm[k], perm[k] = perm[j], perm[j] = t;
        }
        ready = 1;
    }
    return sh == CONTIG ? i : sh == SCATTER ? (i * 7) % WINDOW : perm[i];
}

static lazy_mmu_pte_t entry(unsigned page, unsigned version)
{
    return ((lazy_mmu_pte_t)(0x100000u + page + 0x10000u * version) << 12) | 3u;
}

struct cell {
    unsigned long rounds, ipis, sbi, rx_page, rx_full, page_invals, full_invals;
};

static struct cell run(enum op op, enum shape sh, unsigned n, enum way way)
{
    struct cell r;
    unsigned i, c, p;
    lazy_mmu_state_t s;

    lazy_mmu_sim_init(&sim, BASE, WINDOW);
    lazy_mmu_sim_set_cpus(&sim, CPUS);
    lazy_mmu_init(&ctx);
    lazy_mmu_sim_attach(&ctx, &sim);
    for (c = 1; c < CPUS; c++) {
        lazy_mmu_init(&rx[c]);
        lazy_mmu_sim_attach_cpu(&rx[c], &sim, c);
    }
    for (p = 0; p < WINDOW; p++) {
        lazy_mmu_sim_poke(&sim, VA(p), op == MAP ? 0 : entry(p, 0));
        for (c = 0; c < CPUS; c++)
            (void)lazy_mmu_sim_access_on(&sim, c, VA(p));
    }
    memset(&sim.n, 0, sizeof sim.n);
    lazy_mmu_reset_stats(&ctx);
    for (c = 1; c < CPUS; c++)
        lazy_mmu_reset_stats(&rx[c]);
    rounds = ipis = 0;

    for (i = 0; i < n; i++) {
        unsigned pg = page_of(sh, i);
        lazy_mmu_pte_t v = op == UNMAP ? 0 : entry(pg, 1);
        if (way == LAZY && i == 0)
            s = lazy_mmu_enter(&ctx);
        if (way == PER_OP && i % OP_PAGES == 0)
            s = lazy_mmu_enter(&ctx);
        lazy_mmu_set_pte(&ctx, lazy_mmu_sim_ptep(&sim, VA(pg)), v, VA(pg));
        if ((way == LAZY && i == n - 1) ||
            (way == PER_OP && (i % OP_PAGES == OP_PAGES - 1 || i == n - 1)))
            lazy_mmu_leave(&ctx, s);
    }
    for (p = 0; p < WINDOW; p++)
        for (c = 0; c < CPUS; c++)
            (void)lazy_mmu_sim_access_on(&sim, c, VA(p));
    if (lazy_mmu_sim_stale(&sim) != 0 || sim.violation) {
        fprintf(stderr, "rounds: %s %s n=%u way %d: %zu stale, %s\n", op_name[op], shape_name[sh],
                n, (int)way, lazy_mmu_sim_stale(&sim), sim.violation ? sim.violation : "");
        exit(1);
    }
    memset(&r, 0, sizeof r);
    r.rounds = rounds;
    r.ipis = ipis;
    r.sbi = sim.n.sbi_rfence;
    for (c = 1; c < CPUS; c++) {
        r.rx_page += lazy_mmu_get_stats(&rx[c])->page_invals;
        r.rx_full += lazy_mmu_get_stats(&rx[c])->full_invals;
    }
    r.page_invals = lazy_mmu_get_stats(&ctx)->page_invals;
    r.full_invals = lazy_mmu_get_stats(&ctx)->full_invals;
    return r;
}

static const char *round_word(void)
{
#if defined(LAZY_MMU_ARCH_RISCV64)
    return "SBI calls";
#else
    return "IPIs";
#endif
}

int main(void)
{
    static const unsigned sizes[] = {1, 8, 32, 64, 512};
    const unsigned long t = LAZY_MMU_FLUSH_ALL_THRESHOLD;
    const int hook = HOOK;
    unsigned o, sh, k;

    printf("\n#### %s (threshold %lu; 3 other CPUs)\n\n", NAME, t);
    if (!hook) {
        printf("Invalidations reach every CPU without a round on this backend: 0 rounds "
               "for every workload.\n\n");
    }
    printf("| op | pages | N | rounds lazy / per-op / eager | %s lazy / per-op / eager | "
           "receivers' invalidations lazy (page+full) / eager |\n",
           round_word());
    printf("|---|---|---:|---|---|---|\n");
    for (o = 0; o < 3; o++)
        for (sh = 0; sh < 3; sh++)
            for (k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
                unsigned n = sizes[k];
                struct cell l = run((enum op)o, (enum shape)sh, n, LAZY);
                struct cell p = run((enum op)o, (enum shape)sh, n, PER_OP);
                struct cell e = run((enum op)o, (enum shape)sh, n, EAGER);
#if defined(LAZY_MMU_ARCH_RISCV64)
                unsigned long lw = l.sbi, pw = p.sbi, ew = e.sbi;
#else
                unsigned long lw = l.ipis, pw = p.ipis, ew = e.ipis;
#endif
                printf("| %s | %s | %u | %lu / %lu / %lu | %lu / %lu / %lu | %lu+%lu / %lu+%lu |\n",
                       op_name[o], shape_name[sh], n, l.rounds, p.rounds, e.rounds, lw, pw, ew,
                       l.rx_page, l.rx_full, e.rx_page, e.rx_full);
                if (n <= t) {
                    /* Rounds are owed when anything was invalidated. */
                    int owes = o != MAP || MAP_OWES;
                    unsigned long want_l = hook && owes ? 1 : 0, want_e = hook && owes ? n : 0;
                    fprintf(stderr,
                            "rounds-check %s %s %s n=%u lazy=%lu want %lu eager=%lu want %lu %s\n",
                            NAME, op_name[o], shape_name[sh], n, l.rounds, want_l, e.rounds, want_e,
                            l.rounds == want_l && e.rounds == want_e ? "meets" : "misses");
                }
            }
    return 0;
}
