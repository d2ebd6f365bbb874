/* arch/sim/model.h - the simulated MMU that each backend's sim.h builds on.
 * SPDX-License-Identifier: MIT
 *
 * Hosted builds with LAZY_MMU_SIMULATE run a backend's real policy against
 * arch/<backend>/sim.h instead of its insn.h: the same instruction names,
 * acting on this model, which is deliberately no more forgiving than the
 * architecture it plays.  Page-table memory (pt[]) is what loads and stores
 * see; the walker reads its own view (walk[]).  The TLB caches every
 * translation it walks until it is invalidated, so a missing invalidation
 * is a stale read.  An invalidation that takes effect only at a later
 * instruction (TLBI at DSB ISH, SINVAL.VMA at SFENCE.INVAL.IR) is queued
 * until that one runs.  Violations are recorded (first message kept) rather
 * than trapped so tests can assert on them; every hardware-level operation
 * is counted in .n.  The window: npages consecutive pages from base, pt[i]
 * mapping base + i * LAZY_MMU_PAGE_SIZE; stores outside pt[] are plain
 * stores, invalidations outside the window are counted only.
 *
 * Several CPUs (lazy_mmu_sim_set_cpus, at most LAZY_MMU_SIM_CPUS) share the
 * tables and each has its own TLB; an instruction acts on the CPU of the
 * context that issues it (lazy_mmu_sim_attach_cpu), a broadcast form on
 * every CPU.  A translation left stale in any CPU's TLB is stale.
 *
 * Address spaces: page i of the window belongs to the space (ASID / PCID)
 * space[i] (lazy_mmu_sim_set_space; 0 at init), and a CPU caches its
 * translation tagged so unless the entry is global.  A per-space form drops
 * the entries of the ASID it names only, so a wrong or missing ASID leaves
 * the right one stale; cur_space[c] is the space loaded on CPU c, which
 * the forms that act on "the current" space (x86 INVLPG, CR3 reload) use.
 * Which entries an invalidation drops is a selector: an ASID, or
 * LAZY_MMU_SIM_SEL_ANY, with LAZY_MMU_SIM_SEL_NONGLOBAL when global entries
 * stay.  Two selectors queued for one page before either completes merge
 * into the wider one - the one place the model errs towards dropping.
 *
 * What differs between architectures the backend's sim.h states before it
 * includes this file, as facts about the architecture taken from its
 * manuals - never from the library's own facts or policy, so that a wrong
 * policy cannot make the model agree with it.  All are required:
 *
 *   LAZY_MMU_SIM_NAME           what its violation messages start with
 *   LAZY_MMU_SIM_VALID(pte)     the entry is valid (may be cached, counts as live)
 *   LAZY_MMU_SIM_WALKER_LAGS    a store reaches the walker only at a barrier
 *   LAZY_MMU_SIM_CACHES_INVALID a walk may cache a fault (unless .svvptc)
 *   LAZY_MMU_SIM_CHECK_BBM      break-before-make, on LAZY_MMU_SIM_OA_MASK
 *   LAZY_MMU_SIM_IS_GLOBAL(pte)    a valid entry is global (every address space's)
 *   LAZY_MMU_SIM_S2_TLB         stage 2 only entries are cached apart (s2tlb[])
 *   LAZY_MMU_SIM_IS_TABLE(pte)  a valid entry one level up points to a table
 *                               (else it is a block: arch/sim/dirs.h)
 *   LAZY_MMU_SIM_TABLE_PTE(j)   such a pointer, to the table page of span j
 *
 * and the hooks it needs (a function a hook names is declared before this
 * file is included and defined after it):
 *
 *   LAZY_MMU_SIM_FIELDS              members added to struct lazy_mmu_sim
 *   LAZY_MMU_SIM_ON_INIT(s)          last thing lazy_mmu_sim_init does
 *   LAZY_MMU_SIM_ON_ATTACH(m, s)     last thing lazy_mmu_sim_attach does
 *   LAZY_MMU_SIM_ON_STORE(s, i, pte) a CPU store to pt[i] is about to land
 */
#ifndef LAZY_MMU_SIM_MODEL_H
#define LAZY_MMU_SIM_MODEL_H

#include <string.h>

#ifndef LAZY_MMU_SIM_PAGES
#define LAZY_MMU_SIM_PAGES 8192
#endif
#ifndef LAZY_MMU_SIM_CPUS
#define LAZY_MMU_SIM_CPUS 4
#endif

#if !defined(LAZY_MMU_SIM_NAME) || !defined(LAZY_MMU_SIM_VALID) || \
    !defined(LAZY_MMU_SIM_WALKER_LAGS) || !defined(LAZY_MMU_SIM_CACHES_INVALID) || \
    !defined(LAZY_MMU_SIM_CHECK_BBM) || !defined(LAZY_MMU_SIM_IS_GLOBAL) || \
    !defined(LAZY_MMU_SIM_S2_TLB) || !defined(LAZY_MMU_SIM_IS_TABLE) || !defined(LAZY_MMU_SIM_TABLE_PTE)
#error "lazymmu sim: a backend's sim.h states every fact before including arch/sim/model.h"
#endif
#ifndef LAZY_MMU_SIM_FIELDS
#define LAZY_MMU_SIM_FIELDS
#endif
#ifndef LAZY_MMU_SIM_ON_INIT
#define LAZY_MMU_SIM_ON_INIT(s) ((void)0)
#endif
#ifndef LAZY_MMU_SIM_ON_ATTACH
#define LAZY_MMU_SIM_ON_ATTACH(m, s) ((void)0)
#endif
#ifndef LAZY_MMU_SIM_ON_STORE
#define LAZY_MMU_SIM_ON_STORE(s, i, pte) ((void)0)
#endif

#define LAZY_MMU_SIM_EMPTY 0
#define LAZY_MMU_SIM_CACHED 1 /* a valid translation */
#define LAZY_MMU_SIM_GLOBAL 2 /* a valid translation with the global bit set */
#define LAZY_MMU_SIM_NEG 3    /* an invalid entry, cached (a cached fault) */

/* Invalidation selectors (above): an ASID in the low 16 bits, or ANY. */
#define LAZY_MMU_SIM_SEL_ANY 0x10000u
#define LAZY_MMU_SIM_SEL_NONGLOBAL 0x20000u
#define LAZY_MMU_SIM_SEL_LEAF 0x40000u /* a leaf-only form: walk caches stay */

/* Pages under one directory entry (arch/sim/dirs.h): a table page's worth. */
#define LAZY_MMU_SIM_SPAN 512
#define LAZY_MMU_SIM_DIRS ((LAZY_MMU_SIM_PAGES + LAZY_MMU_SIM_SPAN - 1) / LAZY_MMU_SIM_SPAN)

/* Hardware-level operations, by instruction: every backend's, in one struct,
 * so that code reading sim.n compiles the same for each. */
struct lazy_mmu_sim_counts {
    unsigned long stores, walks;
    unsigned long invlpg, cr3_reload, global_flush;            /* x86_64 */
    unsigned long invlpgb, tlbsync, mfence;                    /* x86_64 INVLPGB */
    unsigned long invpcid_addr, invpcid_single;                 /* x86_64 INVPCID 0, 1 */
    unsigned long dsb_ishst, dsb_ish, isb, tlbi_va, tlbi_all;   /* aarch64 */
    unsigned long tlbi_va_asid, tlbi_asid;                      /* aarch64 VAE1IS, ASIDE1IS */
    unsigned long tlbi_range;                                   /* aarch64 RVA(A)(L)E1IS */
    unsigned long tlbi_leaf; /* aarch64: of the TLBIs above, the last-level forms */
    unsigned long sfence_va, sfence_all, sfence_w_inval, sinval, sfence_inval_ir; /* riscv64 */
    unsigned long sfence_va_asid, sfence_asid, sinval_asid;     /* riscv64, rs2 = ASID */
    unsigned long sbi_rfence;                                   /* riscv64 SBI */
    unsigned long hypercalls, hypercall_ops;                    /* paravirt */
    unsigned long violations;
#if defined(LAZY_MMU_STAGE2) && LAZY_MMU_STAGE2
    unsigned long invept_single, invept_all; /* x86_64 EPT: INVEPT type 1, 2 */
    unsigned long tlbi_ipa, tlbi_s12_all;    /* aarch64: IPAS2E1IS, VMALLS12E1IS */
#endif
};

struct lazy_mmu_sim {
    uintptr_t base;
    size_t npages;
    /* With LAZY_MMU_SIM_CACHES_INVALID: the modelled harts implement RISC-V
     * Svvptc, so invalid->valid reaches the walker without a fence and no
     * fault is cached.  Tests flip it to play harts other than the build's. */
    bool svvptc;
    unsigned ncpus; /* CPUs with a TLB: 1 until lazy_mmu_sim_set_cpus */
    unsigned cpu;   /* the CPU whose instruction runs now */
    bool need_isb; /* maintenance completed, no context synchronisation yet */
    bool inval_all_pending;
    uint32_t inval_all_sel;
    const char *violation; /* the first rule broken, NULL while none */
    struct lazy_mmu_sim_counts n;
    size_t ndirty, ninval;
    /* Page-aligned, as a real table is: every 512 entries from pt[0] are
     * one 4 KiB table page (which aarch64's runs of entries care about). */
    lazy_mmu_pte_t pt[LAZY_MMU_SIM_PAGES] __attribute__((aligned(4096)));
    lazy_mmu_pte_t walk[LAZY_MMU_SIM_PAGES];
    lazy_mmu_pte_t tlb[LAZY_MMU_SIM_CPUS][LAZY_MMU_SIM_PAGES];
    unsigned char tlb_state[LAZY_MMU_SIM_CPUS][LAZY_MMU_SIM_PAGES];
    unsigned char dirty[LAZY_MMU_SIM_PAGES];  /* pt[i] not yet seen by walks:
                                                 1 + the CPU that stored it */
    unsigned char inval[LAZY_MMU_SIM_PAGES];  /* invalidation issued, not done */
    uint32_t inval_sel[LAZY_MMU_SIM_PAGES];   /* ... of what (a selector) */
    uint16_t space[LAZY_MMU_SIM_PAGES];       /* the page's address space */
    uint16_t tlb_tag[LAZY_MMU_SIM_CPUS][LAZY_MMU_SIM_PAGES]; /* cached for */
    uint32_t cur_space[LAZY_MMU_SIM_CPUS];    /* loaded on each CPU */
    unsigned dirty_list[LAZY_MMU_SIM_PAGES];
    unsigned inval_list[LAZY_MMU_SIM_PAGES];
#if LAZY_MMU_SIM_S2_TLB
    bool s12_all_pending; /* invalidation of both stages issued, not complete */
    size_t ns2inval;
    lazy_mmu_pte_t s2tlb[LAZY_MMU_SIM_PAGES];       /* stage 2 only entries */
    unsigned char s2_cached[LAZY_MMU_SIM_PAGES];
    unsigned char s2inval[LAZY_MMU_SIM_PAGES];      /* issued, not done */
    unsigned s2inval_list[LAZY_MMU_SIM_PAGES];
#endif
    /* The directory level, off until lazy_mmu_sim_use_dirs (dirs.h). */
    bool dirs;
    lazy_mmu_pte_t dir[LAZY_MMU_SIM_DIRS] __attribute__((aligned(64)));
    lazy_mmu_pte_t dir_walk[LAZY_MMU_SIM_DIRS];
    unsigned char dir_dirty[LAZY_MMU_SIM_DIRS];
    unsigned char wc[LAZY_MMU_SIM_CPUS][LAZY_MMU_SIM_DIRS];
    unsigned char blk[LAZY_MMU_SIM_CPUS][LAZY_MMU_SIM_DIRS];
    lazy_mmu_pte_t blk_tlb[LAZY_MMU_SIM_CPUS][LAZY_MMU_SIM_DIRS];
    uint16_t dir_tag[LAZY_MMU_SIM_CPUS][LAZY_MMU_SIM_DIRS];
    LAZY_MMU_SIM_FIELDS
};

/* The directory level's part of the model (dirs.h, below). */
static inline void lazy_mmu__sim_dirs_init(struct lazy_mmu_sim *s);
static inline void lazy_mmu__sim_dirs_drop(struct lazy_mmu_sim *s, unsigned c, size_t j, uint32_t sel);
static inline bool lazy_mmu__sim_dirs_order(struct lazy_mmu_sim *s);

static inline void lazy_mmu_sim_init(struct lazy_mmu_sim *s, uintptr_t base, size_t npages)
{
    unsigned i;
    LAZY_MMU__CHECK(npages <= LAZY_MMU_SIM_PAGES && (base & LAZY_MMU__PAGE_MASK) == 0,
                    "lazy_mmu_sim_init: window too large or misaligned");
    s->base = base;
    s->npages = npages;
    s->svvptc = s->need_isb = s->inval_all_pending = false;
    s->ncpus = 1;
    s->cpu = 0;
    s->violation = NULL;
    memset(&s->n, 0, sizeof s->n);
    s->ndirty = s->ninval = 0;
    /* Only the window: a test that re-inits a small one often stays cheap. */
    memset(s->pt, 0, npages * sizeof s->pt[0]);
    memset(s->walk, 0, npages * sizeof s->walk[0]);
    for (i = 0; i < LAZY_MMU_SIM_CPUS; i++) {
        memset(s->tlb[i], 0, npages * sizeof s->tlb[i][0]);
        memset(s->tlb_state[i], LAZY_MMU_SIM_EMPTY, npages);
    }
    memset(s->dirty, 0, npages);
    memset(s->inval, 0, npages);
    memset(s->space, 0, npages * sizeof s->space[0]);
    memset(s->cur_space, 0, sizeof s->cur_space);
    s->inval_all_sel = LAZY_MMU_SIM_SEL_ANY;
    lazy_mmu__sim_dirs_init(s);
#if LAZY_MMU_SIM_S2_TLB
    memset(s->s2tlb, 0, npages * sizeof s->s2tlb[0]);
    memset(s->s2_cached, 0, npages);
    memset(s->s2inval, 0, npages);
    s->s12_all_pending = false;
    s->ns2inval = 0;
#endif
    LAZY_MMU_SIM_ON_INIT(s);
}

/* Each CPU's TLB starts empty; the tables are shared. */
static inline void lazy_mmu_sim_set_cpus(struct lazy_mmu_sim *s, unsigned n)
{
    LAZY_MMU__CHECK(n >= 1 && n <= LAZY_MMU_SIM_CPUS, "lazy_mmu_sim_set_cpus: 1 .. LAZY_MMU_SIM_CPUS");
    s->ncpus = n;
}

/* m's instructions run on CPU cpu of s. */
static inline void lazy_mmu_sim_attach_cpu(struct lazy_mmu *m, struct lazy_mmu_sim *s, unsigned cpu)
{
    LAZY_MMU__CHECK(cpu < s->ncpus, "lazy_mmu_sim_attach_cpu: no such CPU (lazy_mmu_sim_set_cpus)");
    m->sim = s;
    m->sim_cpu = cpu;
    LAZY_MMU_SIM_ON_ATTACH(m, s);
}

static inline void lazy_mmu_sim_attach(struct lazy_mmu *m, struct lazy_mmu_sim *s)
{
    lazy_mmu_sim_attach_cpu(m, s, 0);
}

static inline lazy_mmu_pte_t *lazy_mmu_sim_ptep(struct lazy_mmu_sim *s, uintptr_t va)
{
    return &s->pt[(va - s->base) >> LAZY_MMU_PAGE_SHIFT];
}

static inline void lazy_mmu_sim_violation(struct lazy_mmu_sim *s, const char *what)
{
    s->n.violations++;
    if (!s->violation)
        s->violation = what;
}

/* Index of va in the window, or npages when outside. */
static inline size_t lazy_mmu__sim_index(const struct lazy_mmu_sim *s, uintptr_t va)
{
    uintptr_t i = (va - s->base) >> LAZY_MMU_PAGE_SHIFT;
    return va >= s->base && i < s->npages ? (size_t)i : s->npages;
}

/* Boot-time setup: an entry the walker already sees, bypassing the library. */
static inline void lazy_mmu_sim_poke(struct lazy_mmu_sim *s, uintptr_t va, lazy_mmu_pte_t pte)
{
    size_t i = lazy_mmu__sim_index(s, va);
    if (i < s->npages)
        s->pt[i] = s->walk[i] = pte;
}

/* The architecture's own test, not lazy_mmu__arch_pte_valid: a backend that
 * got it wrong would otherwise be judged by its own mistake. */
static inline bool lazy_mmu__sim_valid(lazy_mmu_pte_t pte)
{
    return LAZY_MMU_SIM_VALID(pte);
}

/* Pages [first, first + n) of the window belong to address space asid. */
static inline void lazy_mmu_sim_set_space(struct lazy_mmu_sim *s, uintptr_t va, size_t n,
                                          uint16_t asid)
{
    size_t i = lazy_mmu__sim_index(s, va);
    for (; n != 0 && i < s->npages; n--, i++)
        s->space[i] = asid;
}

/* The kernel loads space asid on CPU cpu, keeping its TLB (a CR3 write with
 * bit 63 set, TTBR0 / satp with that ASID and no flush). */
static inline void lazy_mmu_sim_load_space(struct lazy_mmu_sim *s, unsigned cpu, uint32_t asid)
{
    s->cur_space[cpu] = asid;
}

/* Does selector sel drop CPU c's entry for page i? */
static inline bool lazy_mmu__sim_selects(const struct lazy_mmu_sim *s, unsigned c, size_t i,
                                         uint32_t sel)
{
    switch (s->tlb_state[c][i]) {
    case LAZY_MMU_SIM_EMPTY:
        return false;
    case LAZY_MMU_SIM_GLOBAL:
        return !(sel & LAZY_MMU_SIM_SEL_NONGLOBAL);
    default:
        return (sel & LAZY_MMU_SIM_SEL_ANY) || s->tlb_tag[c][i] == (sel & 0xffffu);
    }
}

/* What both a and b drop, and more: the wider of two selectors (global
 * entries kept, or walk caches kept, only if both keep them). */
static inline uint32_t lazy_mmu__sim_sel_union(uint32_t a, uint32_t b)
{
    const uint32_t keep = a & b & (LAZY_MMU_SIM_SEL_NONGLOBAL | LAZY_MMU_SIM_SEL_LEAF);
    if ((a & LAZY_MMU_SIM_SEL_ANY) || (b & LAZY_MMU_SIM_SEL_ANY) || ((a ^ b) & 0xffffu))
        return LAZY_MMU_SIM_SEL_ANY | keep;
    return (a & 0xffffu) | keep;
}

/* What sel selects of page i, on the running CPU or with every on all. */
static inline void lazy_mmu__sim_drop_sel_on(struct lazy_mmu_sim *s, size_t i, bool every,
                                             uint32_t sel)
{
    unsigned c;
    /* The second bound is ncpus's own limit, spelled out for the compiler. */
    for (c = 0; c < s->ncpus && c < LAZY_MMU_SIM_CPUS; c++) {
        if (!every && c != s->cpu)
            continue;
        if (lazy_mmu__sim_selects(s, c, i, sel))
            s->tlb_state[c][i] = LAZY_MMU_SIM_EMPTY;
        if (s->dirs)
            lazy_mmu__sim_dirs_drop(s, c, i / LAZY_MMU_SIM_SPAN, sel);
    }
}

/* On the running CPU, or with every on all of them (a broadcast form). */
static inline void lazy_mmu__sim_drop_on(struct lazy_mmu_sim *s, size_t i, bool every)
{
    lazy_mmu__sim_drop_sel_on(s, i, every, LAZY_MMU_SIM_SEL_ANY);
}

static inline void lazy_mmu__sim_drop(struct lazy_mmu_sim *s, size_t i)
{
    lazy_mmu__sim_drop_on(s, i, false);
}

/* An invalidation by address that needs no completion: outside the window
 * it has nothing to drop. */
static inline void lazy_mmu__sim_drop_va(struct lazy_mmu_sim *s, uintptr_t va)
{
    size_t i = lazy_mmu__sim_index(s, va);
    if (i < s->npages)
        lazy_mmu__sim_drop(s, i);
}

static inline void lazy_mmu__sim_drop_all_sel_on(struct lazy_mmu_sim *s, bool every, uint32_t sel)
{
    size_t i;
    for (i = 0; i < s->npages; i++)
        lazy_mmu__sim_drop_sel_on(s, i, every, sel);
}

static inline void lazy_mmu__sim_drop_all_on(struct lazy_mmu_sim *s, bool every)
{
    unsigned c;
    for (c = 0; c < s->ncpus && c < LAZY_MMU_SIM_CPUS; c++)
        if (every || c == s->cpu) {
            memset(s->tlb_state[c], LAZY_MMU_SIM_EMPTY, s->npages);
            memset(s->wc[c], 0, sizeof s->wc[c]);
            memset(s->blk[c], LAZY_MMU_SIM_EMPTY, sizeof s->blk[c]);
        }
}


static inline void lazy_mmu__sim_drop_all(struct lazy_mmu_sim *s)
{
    lazy_mmu__sim_drop_all_on(s, false);
}

/* Every walker now sees this CPU's earlier stores - another CPU's only
 * once that CPU's own barrier has made them visible (the model takes the
 * latest moment the architecture allows). */
static inline bool lazy_mmu__sim_order_stores(struct lazy_mmu_sim *s)
{
    size_t k, kept = 0, n = s->ndirty;
    for (k = 0; k < n; k++) {
        unsigned i = s->dirty_list[k];
        if (s->dirty[i] != 1 + s->cpu) {
            s->dirty_list[kept++] = i;
            continue;
        }
        s->dirty[i] = 0;
        s->walk[i] = s->pt[i];
    }
    s->ndirty = kept;
    return lazy_mmu__sim_dirs_order(s) || kept != n;
}

/* The kernel's switch to space asid on CPU cpu orders that CPU's stores
 * for its walker, drops the space's entries there and synchronises its
 * context (the ISB after a TTBR write): what LAZY_MMU_SPACE_INACTIVE
 * leaves to it. */
static inline void lazy_mmu_sim_flush_space_on(struct lazy_mmu_sim *s, unsigned cpu, uint32_t asid)
{
    const unsigned self = s->cpu;
    s->cpu = cpu;
    (void)lazy_mmu__sim_order_stores(s);
    lazy_mmu__sim_drop_all_sel_on(s, false, asid | LAZY_MMU_SIM_SEL_NONGLOBAL);
    s->need_isb = false;
    s->cpu = self;
}

/* Issue an invalidation of va's page that completes later: once on the list. */
static inline void lazy_mmu__sim_queue(struct lazy_mmu_sim *s, uintptr_t va, unsigned char *issued,
                                       unsigned *list, size_t *n)
{
    size_t i = lazy_mmu__sim_index(s, va);
    if (i < s->npages && !issued[i]) {
        issued[i] = 1;
        list[(*n)++] = (unsigned)i;
    }
}

/* An invalidation of va's page, of what sel selects, completing later. */
static inline void lazy_mmu__sim_queue_inval_sel(struct lazy_mmu_sim *s, uintptr_t va, uint32_t sel)
{
    size_t i = lazy_mmu__sim_index(s, va);
    if (i >= s->npages)
        return;
    s->inval_sel[i] = s->inval[i] ? lazy_mmu__sim_sel_union(s->inval_sel[i], sel) : sel;
    lazy_mmu__sim_queue(s, va, s->inval, s->inval_list, &s->ninval);
}

static inline void lazy_mmu__sim_queue_inval(struct lazy_mmu_sim *s, uintptr_t va)
{
    lazy_mmu__sim_queue_inval_sel(s, va, LAZY_MMU_SIM_SEL_ANY);
}

/* An invalidation of every page, of what sel selects, completing later. */
static inline void lazy_mmu__sim_queue_all(struct lazy_mmu_sim *s, uint32_t sel)
{
    s->inval_all_sel = s->inval_all_pending ? lazy_mmu__sim_sel_union(s->inval_all_sel, sel) : sel;
    s->inval_all_pending = true;
}

/* Issued invalidations take effect: on this CPU, or on every CPU. */
static inline bool lazy_mmu__sim_complete_invals_on(struct lazy_mmu_sim *s, bool every)
{
    bool any = s->ninval != 0 || s->inval_all_pending;
    while (s->ninval) {
        size_t i = s->inval_list[--s->ninval];
        s->inval[i] = 0;
        lazy_mmu__sim_drop_sel_on(s, i, every, s->inval_sel[i]);
    }
    if (s->inval_all_pending) {
        lazy_mmu__sim_drop_all_sel_on(s, every, s->inval_all_sel);
        s->inval_all_pending = false;
    }
    return any;
}

static inline bool lazy_mmu__sim_complete_invals(struct lazy_mmu_sim *s)
{
    return lazy_mmu__sim_complete_invals_on(s, false);
}

#if LAZY_MMU_SIM_S2_TLB
static inline void lazy_mmu__sim_queue_s2_inval(struct lazy_mmu_sim *s, uintptr_t ipa)
{
    lazy_mmu__sim_queue(s, ipa, s->s2inval, s->s2inval_list, &s->ns2inval);
}

/* After the stage 1 invalidations: stage 2 ones complete, but not before a
 * walk on another PE has refilled, from the old stage 2 entry, the combined
 * entry of every page whose stage 2 invalidation was still outstanding. */
static inline bool lazy_mmu__sim_complete_s2(struct lazy_mmu_sim *s)
{
    bool any = s->ns2inval != 0 || s->s12_all_pending;
    while (s->ns2inval) {
        size_t i = s->s2inval_list[--s->ns2inval];
        s->s2inval[i] = 0;
        if (s->s2_cached[i] && !s->s12_all_pending) {
            s->tlb[s->cpu][i] = s->s2tlb[i];
            s->tlb_state[s->cpu][i] = LAZY_MMU_SIM_CACHED;
        }
        s->s2_cached[i] = 0;
    }
    if (s->s12_all_pending) {
        memset(s->s2_cached, 0, s->npages);
        lazy_mmu__sim_drop_all_on(s, true); /* an IS form: every PE */
        s->s12_all_pending = false;
    }
    return any;
}
#endif

#if LAZY_MMU_SIM_CHECK_BBM
/* Could a translation of a, still live, use another output address than b? */
static inline bool lazy_mmu__sim_oa_differs(lazy_mmu_pte_t a, lazy_mmu_pte_t b)
{
    return lazy_mmu__sim_valid(a) && ((a ^ b) & (lazy_mmu_pte_t)LAZY_MMU_SIM_OA_MASK) != 0;
}

/* Is page i's space loaded on some CPU (a walker may read its entry)? */
static inline bool lazy_mmu__sim_space_live(const struct lazy_mmu_sim *s, size_t i)
{
    unsigned c;
    for (c = 0; c < s->ncpus; c++)
        if (s->cur_space[c] == s->space[i])
            return true;
    return false;
}

/* ... in any CPU's TLB, where that CPU can use it: an entry of a space
 * not loaded there is never looked up until the kernel's switch drops it. */
static inline bool lazy_mmu__sim_tlb_oa_differs(const struct lazy_mmu_sim *s, size_t i,
                                               lazy_mmu_pte_t pte)
{
    unsigned c;
    for (c = 0; c < s->ncpus; c++)
        if (s->tlb_state[c][i] != LAZY_MMU_SIM_EMPTY &&
            (s->tlb_state[c][i] == LAZY_MMU_SIM_GLOBAL || s->tlb_tag[c][i] == s->cur_space[c]) &&
            lazy_mmu__sim_oa_differs(s->tlb[c][i], pte))
            return true;
    return false;
}
#endif

#include "dirs.h"

static inline void lazy_mmu__sim_store(struct lazy_mmu_sim *s, lazy_mmu_pte_t *ptep,
                                       lazy_mmu_pte_t pte)
{
    size_t i;

    s->n.stores++;
    if (lazy_mmu__sim_is_dir(s, ptep)) {
        lazy_mmu__sim_dirs_store(s, (size_t)(ptep - s->dir), pte);
        return;
    }
    if (ptep < s->pt || ptep >= s->pt + s->npages) {
        *ptep = pte;
        return;
    }
    i = (size_t)(ptep - s->pt);
    LAZY_MMU_SIM_ON_STORE(s, i, pte);
#if LAZY_MMU_SIM_CHECK_BBM
    /* Break-before-make: no translation with another output address may be
     * live (in memory, in the walker's view, in the TLB or as a stage 2
     * entry) when a valid entry is written. */
    if (lazy_mmu__sim_valid(pte) &&
        ((lazy_mmu__sim_space_live(s, i) &&
          (lazy_mmu__sim_oa_differs(s->pt[i], pte) || lazy_mmu__sim_oa_differs(s->walk[i], pte))) ||
         lazy_mmu__sim_tlb_oa_differs(s, i, pte)))
        lazy_mmu_sim_violation(s, LAZY_MMU_SIM_NAME ": break-before-make violated");
#if LAZY_MMU_SIM_S2_TLB
    if (lazy_mmu__sim_valid(pte) && s->s2_cached[i] && lazy_mmu__sim_oa_differs(s->s2tlb[i], pte))
        lazy_mmu_sim_violation(s, LAZY_MMU_SIM_NAME
                               ": break-before-make violated (stage 2 entry live)");
#endif
#endif
    s->pt[i] = pte;
    if (!LAZY_MMU_SIM_WALKER_LAGS ||
        (LAZY_MMU_SIM_CACHES_INVALID && s->svvptc && !lazy_mmu__sim_valid(s->walk[i]) &&
         lazy_mmu__sim_valid(pte))) {
        s->walk[i] = pte; /* coherent walker, or Svvptc's invalid->valid */
        return;
    }
    if (s->dirty[i] && s->dirty[i] != 1 + s->cpu)
        lazy_mmu_sim_violation(s, LAZY_MMU_SIM_NAME ": two CPUs store to one entry with no barrier between");
    if (!s->dirty[i]) {
        s->dirty[i] = (unsigned char)(1 + s->cpu);
        s->dirty_list[s->ndirty++] = (unsigned)i;
    }
}

/* An access through va by CPU cpu: the entry the translation used, 0 for a
 * fault. */
static inline lazy_mmu_pte_t lazy_mmu_sim_access_on(struct lazy_mmu_sim *s, unsigned cpu,
                                                    uintptr_t va)
{
    size_t i = lazy_mmu__sim_index(s, va);
    lazy_mmu_pte_t pte;
    lazy_mmu_pte_t *tlb = s->tlb[cpu];
    unsigned char *tlb_state = s->tlb_state[cpu];

    if (s->need_isb)
        lazy_mmu_sim_violation(s, LAZY_MMU_SIM_NAME ": access after TLB maintenance without ISB");
    if (i >= s->npages)
        return 0;
    if (lazy_mmu__sim_dirs_hit(s, cpu, i, &pte))
        return pte;
    switch (tlb_state[i]) {
    case LAZY_MMU_SIM_CACHED:
    case LAZY_MMU_SIM_GLOBAL:
        return tlb[i];
    case LAZY_MMU_SIM_NEG:
        return 0;
    default:
        break;
    }
    s->n.walks++;
    if (lazy_mmu__sim_dirs_walk(s, cpu, i, &pte))
        return pte;
    pte = s->walk[i];
#if LAZY_MMU_SIM_S2_TLB
    /* The guest's stage 1 walk; its IPA through a cached stage 2 entry if
     * there is one, however old, else through the stage 2 tables, caching
     * the result. */
    if (s->s2_cached[i]) {
        pte = s->s2tlb[i];
    } else if (lazy_mmu__sim_valid(pte)) {
        s->s2tlb[i] = pte;
        s->s2_cached[i] = 1;
    }
#endif
    tlb[i] = pte;
    s->tlb_tag[cpu][i] = s->space[i];
    if (lazy_mmu__sim_valid(pte)) {
        bool global = LAZY_MMU_SIM_IS_GLOBAL(pte);
        tlb_state[i] = global ? LAZY_MMU_SIM_GLOBAL : LAZY_MMU_SIM_CACHED;
        return pte;
    }
    if (LAZY_MMU_SIM_CACHES_INVALID && !s->svvptc)
        tlb_state[i] = LAZY_MMU_SIM_NEG;
    return 0;
}

/* The same by CPU 0, where every single-CPU test runs. */
static inline lazy_mmu_pte_t lazy_mmu_sim_access(struct lazy_mmu_sim *s, uintptr_t va)
{
    return lazy_mmu_sim_access_on(s, 0, va);
}

/* Does page i's translation (TLB or walker view) disagree with memory in a
 * way an access could tell?  A walker still seeing one not-present entry
 * where memory holds another cannot be told apart: a lagging walker orders
 * an invalid->invalid store only at its next barrier, which the policies
 * rightly skip. */
static inline bool lazy_mmu_sim_page_stale(const struct lazy_mmu_sim *s, size_t i)
{
    unsigned c;
    const int dirs = lazy_mmu__sim_dirs_stale(s, i);
    if (dirs != 0)
        return dirs == 1;
    if (s->walk[i] != s->pt[i] && (lazy_mmu__sim_valid(s->walk[i]) || lazy_mmu__sim_valid(s->pt[i])))
        return true;
    for (c = 0; c < s->ncpus; c++) {
        if (s->tlb_state[c][i] == LAZY_MMU_SIM_NEG && lazy_mmu__sim_valid(s->pt[i]))
            return true;
        if ((s->tlb_state[c][i] == LAZY_MMU_SIM_CACHED || s->tlb_state[c][i] == LAZY_MMU_SIM_GLOBAL) &&
            s->tlb[c][i] != s->pt[i])
            return true;
    }
#if LAZY_MMU_SIM_S2_TLB
    if (s->s2_cached[i] && s->s2tlb[i] != s->pt[i])
        return true;
#endif
    return false;
}

/* Stale pages, and an ISB still owed: 0 after a visibility point. */
static inline size_t lazy_mmu_sim_stale(const struct lazy_mmu_sim *s)
{
    size_t i, stale = 0;
    for (i = 0; i < s->npages; i++)
        stale += lazy_mmu_sim_page_stale(s, i);
    return stale + (s->need_isb ? 1 : 0);
}

/* ---- shared by every backend's primitives ---- */

/* The model m acts on, running m's CPU. */
static inline struct lazy_mmu_sim *lazy_mmu__sim_of(struct lazy_mmu *m)
{
    LAZY_MMU__CHECK(m->sim != NULL, "lazymmu sim: context not attached (lazy_mmu_sim_attach)");
    m->sim->cpu = m->sim_cpu;
    return m->sim;
}

static inline void lazy_mmu__hw_store_pte(struct lazy_mmu *m, lazy_mmu_pte_t *ptep,
                                          lazy_mmu_pte_t pte)
{
    lazy_mmu__sim_store(lazy_mmu__sim_of(m), ptep, pte);
}
#define lazy_mmu__hw_store_pte lazy_mmu__hw_store_pte

#endif
