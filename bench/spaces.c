/* bench/spaces.c - address spaces: what a section's invalidations in one
 * ASID / PCID cost the others, for one configuration (built once per
 * configuration with -DLAZY_MMU_ARCH_<X> and its variant macros; `make
 * bench-spaces`).
 *
 * Four CPUs share a simulated window of two address spaces, A (pages
 * [0, HALF)) and B (pages [HALF, WINDOW)); every page is mapped and cached
 * on every CPU, and every CPU runs A.  CPU 0 remaps 1, 8, T and T + 1 pages
 * of A in one section (T: LAZY_MMU_FLUSH_ALL_THRESHOLD), once with its
 * context in LAZY_MMU_SPACE_ALL and once in space A (lazy_mmu_set_space);
 * then T + 1 in LAZY_MMU_SPACE_INACTIVE, with every CPU running a third
 * space and A's translations cached from when A last ran.  The other CPUs
 * apply each round (LAZY_MMU_SHOOTDOWN) with lazy_mmu_shootdown_apply, as
 * IPI handlers would (riscv64 too, so that their forms are counted) and
 * read on in A.
 *
 * Counted by the simulator over all four CPUs: per-page and full
 * invalidations in their all-spaces form and in their per-space form (x86
 * without INVPCID: INVLPG and the CR3 reload act on the current PCID, the
 * per-space forms; the global flush is the all-spaces one; paravirt: the
 * ops of the hypercalls, a per-page op counted by the pages it names), and
 * barriers; remote rounds by LAZY_MMU_STATS; and how many of B's cached
 * entries survived the section.  Every run then ends with nothing stale on
 * any CPU and every page reading back what was last written (INACTIVE: after
 * the kernel's switch to A on every CPU, lazy_mmu_sim_flush_space_on, CPU 0
 * first); else it exits 1.  Prints one Markdown table (its header with
 * --header) and one spaces-check line: in space A, T + 1 remaps issued no
 * all-spaces full flush and kept every entry of B.
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
#if defined(LAZY_MMU_ARCH_PARAVIRT)
struct lazy_mmu_paravirt_op;
static size_t bench_paravirt_commit(void *hv, const struct lazy_mmu_paravirt_op *ops, size_t n);
#define LAZY_MMU_PARAVIRT_COMMIT bench_paravirt_commit
#endif
#define HALF 1024u
#define WINDOW (2 * HALF)
#define LAZY_MMU_SIM_PAGES WINDOW
#include "lazymmu.h"

#if defined(LAZY_MMU_ARCH_X86_64)
#define NAME (LAZY_MMU_X86_64_INVPCID ? "x86_64+INVPCID" : "x86_64")
#elif defined(LAZY_MMU_ARCH_RISCV64)
#define NAME (LAZY_MMU_RISCV64_SVINVAL ? "riscv64+Svinval" : "riscv64")
#elif defined(LAZY_MMU_ARCH_AARCH64)
#define NAME "aarch64"
#else
#define NAME "paravirt"
#endif

#define CPUS 4u
#define BASE ((uintptr_t)0x40000000u)
#define VA(i) (BASE + (uintptr_t)(i) * LAZY_MMU_PAGE_SIZE)
#define SPACE_A 5u
#define SPACE_B 6u
#define SPACE_C 7u /* what the CPUs run while A is inactive */

static struct lazy_mmu_sim sim;
static struct lazy_mmu ctx, rx[CPUS];
static unsigned long rounds;

#if defined(LAZY_MMU_ARCH_PARAVIRT)
/* The hypervisor's side: the ops by kind (pages for the per-page ones). */
static struct {
    unsigned long invlpg, inval_all, invlpg_asid, inval_asid;
} pv;

static size_t bench_paravirt_commit(void *hv, const struct lazy_mmu_paravirt_op *ops, size_t n)
{
    size_t k;
    for (k = 0; k < n; k++) {
        uint64_t cmd = ops[k].ptr & LAZY_MMU_PARAVIRT_CMD_MASK;
        if (cmd == LAZY_MMU_PARAVIRT_INVLPG)
            pv.invlpg += (unsigned long)ops[k].val;
        else if (cmd == LAZY_MMU_PARAVIRT_INVLPG_ASID)
            pv.invlpg_asid += (uint32_t)ops[k].val;
        pv.inval_all += cmd == LAZY_MMU_PARAVIRT_INVAL_ALL;
        pv.inval_asid += cmd == LAZY_MMU_PARAVIRT_INVAL_ASID;
    }
    return lazy_mmu_sim_hypercall(hv, ops, n);
}
#endif

static __attribute__((unused)) void bench_round(struct lazy_mmu *m,
                                                const struct lazy_mmu_shootdown *sd)
{
    unsigned c, p;
    rounds++;
#if defined(LAZY_MMU_ARCH_PARAVIRT)
    (void)m, (void)sd, (void)c, (void)p; /* never called: the hypervisor flushes */
#else
    (void)m;
    for (c = 1; c < CPUS; c++) {
        lazy_mmu_shootdown_apply(&rx[c], sd);
        for (p = 0; p < HALF; p++) /* it reads on in A */
            (void)lazy_mmu_sim_access_on(&sim, c, VA(p));
    }
#endif
}

/* Not global: aarch64 sets nG (bit 11); x86's G (8), riscv's G (5) and the
 * rest stay clear. */
static lazy_mmu_pte_t entry(unsigned page, unsigned version)
{
    lazy_mmu_pte_t e = ((lazy_mmu_pte_t)(0x100000u + page + 0x10000u * version) << 12) | 3u;
#if defined(LAZY_MMU_ARCH_AARCH64)
    e |= (lazy_mmu_pte_t)1 << 11;
#endif
    return e;
}

/* This configuration's invalidation forms, from the model's counts. */
struct forms {
    unsigned long page_all, page_space, full_all, full_space, barriers;
};

static struct forms forms_of(const struct lazy_mmu_sim_counts *n)
{
    struct forms f;
    memset(&f, 0, sizeof f);
#if defined(LAZY_MMU_ARCH_X86_64)
#if LAZY_MMU_X86_64_INVPCID
    f.page_all = n->invlpg;
    f.page_space = n->invpcid_addr;
    f.full_all = n->cr3_reload + n->global_flush;
    f.full_space = n->invpcid_single;
#else
    f.page_space = n->invlpg; /* the current PCID's (and global entries) */
    f.full_all = n->global_flush;
    f.full_space = n->cr3_reload; /* the current PCID's */
#endif
    f.barriers = n->mfence + n->tlbsync;
#elif defined(LAZY_MMU_ARCH_AARCH64)
    f.page_all = n->tlbi_va;
    f.page_space = n->tlbi_va_asid;
    f.full_all = n->tlbi_all;
    f.full_space = n->tlbi_asid;
    f.barriers = n->dsb_ishst + n->dsb_ish + n->isb;
#elif defined(LAZY_MMU_ARCH_RISCV64)
    f.page_all = n->sfence_va + n->sinval;
    f.page_space = n->sfence_va_asid + n->sinval_asid;
    f.full_all = n->sfence_all;
    f.full_space = n->sfence_asid;
    f.barriers = n->sfence_w_inval + n->sfence_inval_ir;
#else
    (void)n;
    f.page_all = pv.invlpg;
    f.page_space = pv.invlpg_asid;
    f.full_all = pv.inval_all;
    f.full_space = pv.inval_asid;
#endif
    return f;
}

/* Entries of B cached, over every CPU. */
static unsigned long b_cached(void)
{
    unsigned long k = 0;
    unsigned c, p;
    for (c = 0; c < CPUS; c++)
        for (p = HALF; p < WINDOW; p++)
            k += sim.tlb_state[c][p] != LAZY_MMU_SIM_EMPTY;
    return k;
}

enum mode { ALL, IN_A, INACTIVE };
static const char *const mode_name[] = {"ALL", "A", "INACTIVE"};

struct cell {
    struct forms f;
    unsigned long rounds, b_before, b_after;
};

static struct cell run(unsigned n, enum mode mode)
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
    lazy_mmu_sim_set_space(&sim, VA(0), HALF, SPACE_A);
    lazy_mmu_sim_set_space(&sim, VA(HALF), HALF, SPACE_B);
    for (p = 0; p < WINDOW; p++) {
        lazy_mmu_sim_poke(&sim, VA(p), entry(p, 0));
        for (c = 0; c < CPUS; c++)
            (void)lazy_mmu_sim_access_on(&sim, c, VA(p));
    }
    for (c = 0; c < CPUS; c++)
        lazy_mmu_sim_load_space(&sim, c, mode == INACTIVE ? SPACE_C : SPACE_A);
    if (mode != ALL)
        lazy_mmu_set_space(&ctx, mode == IN_A ? SPACE_A : LAZY_MMU_SPACE_INACTIVE);
    memset(&sim.n, 0, sizeof sim.n);
#if defined(LAZY_MMU_ARCH_PARAVIRT)
    memset(&pv, 0, sizeof pv);
#endif
    lazy_mmu_reset_stats(&ctx);
    rounds = 0;
    memset(&r, 0, sizeof r);
    r.b_before = b_cached();

    s = lazy_mmu_enter(&ctx);
    for (i = 0; i < n; i++)
        lazy_mmu_set_pte(&ctx, lazy_mmu_sim_ptep(&sim, VA(i)), entry(i, 1), VA(i));
    lazy_mmu_leave(&ctx, s);

    r.f = forms_of(&sim.n);
    r.rounds = lazy_mmu_get_stats(&ctx)->shootdowns;
    r.b_after = b_cached();

    if (mode == INACTIVE) { /* the kernel's switch to A, on every CPU */
        for (c = 0; c < CPUS; c++)
            lazy_mmu_sim_flush_space_on(&sim, c, SPACE_A);
        for (c = 0; c < CPUS; c++)
            lazy_mmu_sim_load_space(&sim, c, SPACE_A);
    }
    if (lazy_mmu_sim_stale(&sim) != 0 || sim.violation || r.rounds != rounds) {
        fprintf(stderr,
                "spaces: %s remap %u in %s: %zu stale, %s (rounds: %lu by the hook, %lu by the "
                "stats)\n",
                NAME, n, mode_name[mode], lazy_mmu_sim_stale(&sim),
                sim.violation ? sim.violation : "no violation", rounds, r.rounds);
        exit(1);
    }
    for (p = 0; p < WINDOW; p++)
        for (c = 0; c < CPUS; c++)
            if (lazy_mmu_sim_access_on(&sim, c, VA(p)) != entry(p, p < n ? 1u : 0u)) {
                fprintf(stderr, "spaces: %s remap %u in %s: CPU %u reads page %u wrong\n", NAME, n,
                        mode_name[mode], c, p);
                exit(1);
            }
    return r;
}

static void kept(char *buf, size_t len, const struct cell *r)
{
    if (r->b_after == r->b_before)
        snprintf(buf, len, "100%% (%lu/%lu)", r->b_after, r->b_before);
    else /* rounded down: 100% only when every entry stayed */
        snprintf(buf, len, "%lu.%lu%% (%lu/%lu)", 100 * r->b_after / r->b_before,
                 1000 * r->b_after / r->b_before % 10, r->b_after, r->b_before);
}

static void row(const char *workload, enum mode mode, const struct cell *r)
{
    char k[64];
    kept(k, sizeof k, r);
    printf("| %s | %s | %s | %lu / %lu | %lu / %lu | %lu | %lu | %s |\n", NAME, workload,
           mode_name[mode], r->f.page_all, r->f.page_space, r->f.full_all, r->f.full_space,
           r->f.barriers, r->rounds, k);
}

int main(int argc, char **argv)
{
    const unsigned t = LAZY_MMU_FLUSH_ALL_THRESHOLD;
    const unsigned sizes[] = {1, 8, t, t + 1};
    struct cell full = {{0, 0, 0, 0, 0}, 0, 0, 0}, r;
    char workload[32];
    unsigned k, mode;

    if (argc > 2 || (argc == 2 && strcmp(argv[1], "--header") != 0)) {
        fprintf(stderr, "usage: spaces [--header]\n");
        return 2;
    }
    if (argc == 2) {
        printf(
            "| config | workload | space | per-page invalidations all-spaces / per-space | "
            "full flushes all-spaces / per-space | barriers | remote rounds | B entries kept |\n");
        printf("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |\n");
    }
    for (k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        unsigned n = sizes[k];
        if (n == t)
            snprintf(workload, sizeof workload, "remap T = %u", n);
        else if (n == t + 1)
            snprintf(workload, sizeof workload, "remap T+1 = %u", n);
        else
            snprintf(workload, sizeof workload, "remap %u", n);
        for (mode = ALL; mode <= IN_A; mode++) {
            r = run(n, (enum mode)mode);
            row(workload, (enum mode)mode, &r);
            if (n == t + 1 && mode == IN_A)
                full = r;
        }
    }
    r = run(t + 1, INACTIVE);
    snprintf(workload, sizeof workload, "remap T+1 = %u", t + 1);
    row(workload, INACTIVE, &r);

    fprintf(stderr,
            "spaces-check %s: remap T+1 = %u in space A: %lu all-spaces full flushes (want 0), "
            "%lu per-space (want >= 1), B entries kept %lu/%lu (want all): %s\n",
            NAME, t + 1, full.f.full_all, full.f.full_space, full.b_after, full.b_before,
            full.f.full_all == 0 && full.f.full_space >= 1 && full.b_after == full.b_before
                ? "meets"
                : "misses");
    return 0;
}
