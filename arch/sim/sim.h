/* arch/sim/sim.h - a simulated MMU that stands in for every backend's insn.h.
 * SPDX-License-Identifier: MIT
 *
 * Hosted builds with LAZY_MMU_SIMULATE run a backend's real policy against
 * this model instead of the instructions.  The model is deliberately no more
 * forgiving than the architecture it plays:
 *
 *  - page-table memory (pt[]) is what loads and stores see; the walker reads
 *    its own view (walk[]), which on aarch64 and riscv64 catches up with a
 *    store only at a barrier/fence that orders it (x86: at once);
 *  - the TLB caches every translation it walks until it is invalidated, so a
 *    missing invalidation is a stale read; riscv64 without Svvptc also caches
 *    invalid entries, so a missing fence after invalid->valid is a fault;
 *  - TLBI / SINVAL.VMA take effect only at the DSB ISH / SFENCE.INVAL.IR that
 *    completes them; on aarch64 an access after completed maintenance but
 *    before an ISB is a violation;
 *  - aarch64: storing a valid entry over one whose translation may still be
 *    live with another output address breaks break-before-make: a violation;
 *    an entry with bit 0 clear is invalid whatever its other bits hold (the
 *    policy's break keeps the new value there), so it is never cached and
 *    never counts as live;
 *  - paravirt: the guest may not store to page tables; a fake hypervisor
 *    applies the hypercall ops and can be told to fail at op k.
 *
 * Violations are recorded (first message kept) rather than trapped so tests
 * can assert on them.  Every hardware-level operation is counted in .n.
 *
 * Stage 2 (LAZY_MMU_STAGE2): pt[] is a guest's second-stage table, indexed
 * by IPA / GPA, and an access is the guest's, through a stage 1 it owns and
 * never changes (VA page i -> IPA page i here).  x86 EPT: tlb[] holds the
 * guest-physical and combined mappings; only an INVEPT naming the model's
 * EPTP (type 1) or all of them (type 2) drops them - INVLPG and CR3 writes
 * do not.  aarch64: tlb[] holds the combined stage 1+2 entries and s2tlb[]
 * the stage 2 only entries, each filled by a walk and refilling the other:
 * a combined miss uses a cached stage 2 entry, however old.  At a DSB ISH
 * the stage 1 invalidations (VAAE1IS, VMALLE1IS) complete first, then a
 * walk on another PE refills the combined entry of every page whose
 * IPAS2E1IS is still incomplete from its old stage 2 entry, then the
 * IPAS2E1IS / VMALLS12E1IS complete; so a missing IPAS2E1IS, a missing
 * VMALLE1IS and a VMALLE1IS not separated from the IPAS2E1IS by a DSB ISH
 * each leave a stale translation.
 *
 * The window: npages consecutive pages starting at base, entry i of pt[]
 * mapping base + i * LAZY_MMU_PAGE_SIZE.  Stores to entries outside pt[] are
 * plain stores; invalidations outside the window are counted only.
 */
#ifndef LAZY_MMU_SIM_H
#define LAZY_MMU_SIM_H

#ifndef LAZY_MMU_SIM_PAGES
#define LAZY_MMU_SIM_PAGES 8192
#endif

#define LAZY_MMU_SIM_EMPTY 0
#define LAZY_MMU_SIM_CACHED 1 /* a valid translation */
#define LAZY_MMU_SIM_GLOBAL 2 /* x86: a valid translation with G set */
#define LAZY_MMU_SIM_NEG 3    /* riscv64: an invalid entry, cached */

#if defined(LAZY_MMU_STAGE2) && LAZY_MMU_STAGE2
#define LAZY_MMU__SIM_S2 1
#else
#define LAZY_MMU__SIM_S2 0
#endif

/* Hardware-level operations, by instruction. */
struct lazy_mmu_sim_counts {
    unsigned long stores, walks;
    unsigned long invlpg, cr3_reload, global_flush;            /* x86_64 */
    unsigned long dsb_ishst, dsb_ish, isb, tlbi_va, tlbi_all;   /* aarch64 */
    unsigned long sfence_va, sfence_all, sfence_w_inval, sinval, sfence_inval_ir; /* riscv64 */
    unsigned long hypercalls, hypercall_ops;                    /* paravirt */
    unsigned long violations;
#if LAZY_MMU__SIM_S2
    unsigned long invept_single, invept_all; /* x86_64 EPT: INVEPT type 1, 2 */
    unsigned long tlbi_ipa, tlbi_s12_all;    /* aarch64: IPAS2E1IS, VMALLS12E1IS */
#endif
};

struct lazy_mmu_sim {
    uintptr_t base;
    size_t npages;
    bool svvptc;     /* riscv64: the modelled harts implement Svvptc */
    bool need_isb;   /* aarch64: maintenance completed, no ISB yet */
    bool inval_all_pending;
    long pv_fail_at; /* paravirt: the next hypercall stops at this op; -1: never */
    const char *violation; /* the first rule broken, NULL while none */
    struct lazy_mmu_sim_counts n;
    size_t ndirty, ninval;
    /* Page-aligned, as a real table is: every 512 entries from pt[0] are
     * one 4 KiB table page (which aarch64's runs of entries care about). */
    lazy_mmu_pte_t pt[LAZY_MMU_SIM_PAGES] __attribute__((aligned(4096)));
    lazy_mmu_pte_t walk[LAZY_MMU_SIM_PAGES];
    lazy_mmu_pte_t tlb[LAZY_MMU_SIM_PAGES];
    unsigned char tlb_state[LAZY_MMU_SIM_PAGES];
    unsigned char dirty[LAZY_MMU_SIM_PAGES];  /* pt[i] not yet seen by walks */
    unsigned char inval[LAZY_MMU_SIM_PAGES];  /* invalidation issued, not done */
    unsigned dirty_list[LAZY_MMU_SIM_PAGES];
    unsigned inval_list[LAZY_MMU_SIM_PAGES];
#ifdef LAZY_MMU_ARCH_X86_64
    /* x86: the PKRU register.  The model's page-table pages carry protection
     * key LAZY_MMU_X86_PKRU_KEY, so a store to pt[] while PKRU sets that
     * key's AD or WD bit is a violation (the hardware would fault).  Starts
     * at 0, the architectural reset value: every key open. */
    uint32_t pkru;
    unsigned long rdpkru, wrpkru;   /* RDPKRU / WRPKRU executed */
    unsigned long pkru_denied_stores; /* stores to pt[] the key forbade */
    uint32_t pkru_at_store[LAZY_MMU_SIM_PAGES]; /* PKRU at the last store to
                                                   pt[i]; all ones: none yet */
#endif
#if LAZY_MMU__SIM_S2 && defined(LAZY_MMU_ARCH_X86_64)
    uint64_t eptp;    /* the EPTP the tables hang from (the VMCS's) */
    bool invept_fail; /* the next INVEPT fails (VMfailValid) */
#endif
#if LAZY_MMU__SIM_S2 && defined(LAZY_MMU_ARCH_AARCH64)
    bool s12_all_pending; /* VMALLS12E1IS issued, not complete */
    size_t ns2inval;
    lazy_mmu_pte_t s2tlb[LAZY_MMU_SIM_PAGES];       /* stage 2 only entries */
    unsigned char s2_cached[LAZY_MMU_SIM_PAGES];
    unsigned char s2inval[LAZY_MMU_SIM_PAGES];      /* IPAS2E1IS issued, not done */
    unsigned s2inval_list[LAZY_MMU_SIM_PAGES];
#endif
};

static inline void lazy_mmu_sim_init(struct lazy_mmu_sim *s, uintptr_t base, size_t npages)
{
    size_t i;
#if LAZY_MMU__SIM_S2
    struct lazy_mmu_sim_counts zero = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                       0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
#else
    struct lazy_mmu_sim_counts zero = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
#endif

    LAZY_MMU__CHECK(npages <= LAZY_MMU_SIM_PAGES && (base & LAZY_MMU__PAGE_MASK) == 0,
                    "lazy_mmu_sim_init: window too large or misaligned");
    s->base = base;
    s->npages = npages;
#ifdef LAZY_MMU_ARCH_RISCV64
    s->svvptc = LAZY_MMU_RISCV_SVVPTC; /* model the harts the build declares */
#else
    s->svvptc = false;
#endif
    s->need_isb = false;
    s->inval_all_pending = false;
    s->pv_fail_at = -1;
    s->violation = NULL;
    s->n = zero;
    s->ndirty = 0;
    s->ninval = 0;
    for (i = 0; i < npages; i++) {
        s->pt[i] = 0;
        s->walk[i] = 0;
        s->tlb[i] = 0;
        s->tlb_state[i] = LAZY_MMU_SIM_EMPTY;
        s->dirty[i] = 0;
        s->inval[i] = 0;
#ifdef LAZY_MMU_ARCH_X86_64
        s->pkru_at_store[i] = 0xffffffffu;
#endif
#if LAZY_MMU__SIM_S2 && defined(LAZY_MMU_ARCH_AARCH64)
        s->s2tlb[i] = 0;
        s->s2_cached[i] = 0;
        s->s2inval[i] = 0;
#endif
    }
#ifdef LAZY_MMU_ARCH_X86_64
    s->pkru = 0;
    s->rdpkru = 0;
    s->wrpkru = 0;
    s->pkru_denied_stores = 0;
#endif
#if LAZY_MMU__SIM_S2 && defined(LAZY_MMU_ARCH_X86_64)
    s->eptp = 0;
    s->invept_fail = false;
#endif
#if LAZY_MMU__SIM_S2 && defined(LAZY_MMU_ARCH_AARCH64)
    s->s12_all_pending = false;
    s->ns2inval = 0;
#endif
}

static inline void lazy_mmu_sim_attach(struct lazy_mmu *m, struct lazy_mmu_sim *s)
{
    m->sim = s;
#ifdef LAZY_MMU_ARCH_PARAVIRT
    m->arch.hv = s;
#endif
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

static inline bool lazy_mmu__sim_valid(lazy_mmu_pte_t pte)
{
    return lazy_mmu_arch_pte_valid(pte);
}

static inline void lazy_mmu__sim_drop(struct lazy_mmu_sim *s, size_t i)
{
    s->tlb_state[i] = LAZY_MMU_SIM_EMPTY;
}

/* The walker now sees every earlier store. */
static inline bool lazy_mmu__sim_order_stores(struct lazy_mmu_sim *s)
{
    bool any = s->ndirty != 0;
    while (s->ndirty) {
        unsigned i = s->dirty_list[--s->ndirty];
        s->dirty[i] = 0;
        s->walk[i] = s->pt[i];
    }
    return any;
}

static inline void lazy_mmu__sim_queue_inval(struct lazy_mmu_sim *s, uintptr_t va)
{
    size_t i = lazy_mmu__sim_index(s, va);
    if (i < s->npages && !s->inval[i]) {
        s->inval[i] = 1;
        s->inval_list[s->ninval++] = (unsigned)i;
    }
}

/* Issued invalidations take effect. */
static inline bool lazy_mmu__sim_complete_invals(struct lazy_mmu_sim *s)
{
    bool any = s->ninval != 0 || s->inval_all_pending;
    size_t i;
    while (s->ninval) {
        i = s->inval_list[--s->ninval];
        s->inval[i] = 0;
        lazy_mmu__sim_drop(s, i);
    }
    if (s->inval_all_pending) {
        for (i = 0; i < s->npages; i++)
            lazy_mmu__sim_drop(s, i);
        s->inval_all_pending = false;
    }
    return any;
}

static inline bool lazy_mmu__sim_oa_differs(lazy_mmu_pte_t a, lazy_mmu_pte_t b)
{
#ifdef LAZY_MMU_ARCH_AARCH64
    return lazy_mmu__sim_valid(a) && ((a ^ b) & LAZY_MMU_AARCH64_OA_MASK) != 0;
#else
    (void)a;
    (void)b;
    return false;
#endif
}

static inline void lazy_mmu__sim_store(struct lazy_mmu_sim *s, lazy_mmu_pte_t *ptep,
                                       lazy_mmu_pte_t pte)
{
    size_t i;

    s->n.stores++;
    if (ptep < s->pt || ptep >= s->pt + s->npages) {
        *ptep = pte;
        return;
    }
    i = (size_t)(ptep - s->pt);
#ifdef LAZY_MMU_ARCH_X86_64
    s->pkru_at_store[i] = s->pkru;
    if (s->pkru & ((uint32_t)3 << (2 * LAZY_MMU_X86_PKRU_KEY))) {
        s->pkru_denied_stores++;
        lazy_mmu_sim_violation(s, "x86: page-table store while PKRU denies its key");
    }
#endif
#ifdef LAZY_MMU_ARCH_PARAVIRT
    lazy_mmu_sim_violation(s, "paravirt: the guest stored to a page table");
#endif
#ifdef LAZY_MMU_ARCH_AARCH64
    /* Break-before-make: no translation with another output address may be
     * live (in memory, in the walker's view or in the TLB) when a valid
     * entry is written. */
    if (lazy_mmu__sim_valid(pte) &&
        (lazy_mmu__sim_oa_differs(s->pt[i], pte) || lazy_mmu__sim_oa_differs(s->walk[i], pte) ||
         (s->tlb_state[i] != LAZY_MMU_SIM_EMPTY && lazy_mmu__sim_oa_differs(s->tlb[i], pte))))
        lazy_mmu_sim_violation(s, "aarch64: break-before-make violated");
#if LAZY_MMU__SIM_S2
    /* ... and not in a stage 2 only entry either */
    if (lazy_mmu__sim_valid(pte) && s->s2_cached[i] && lazy_mmu__sim_oa_differs(s->s2tlb[i], pte))
        lazy_mmu_sim_violation(s, "aarch64: break-before-make violated (stage 2 entry live)");
#endif
#endif
    s->pt[i] = pte;
#if defined(LAZY_MMU_ARCH_X86_64) || defined(LAZY_MMU_ARCH_PARAVIRT)
    s->walk[i] = pte; /* coherent walker */
#else
#ifdef LAZY_MMU_ARCH_RISCV64
    if (s->svvptc && !lazy_mmu__sim_valid(s->walk[i]) && lazy_mmu__sim_valid(pte)) {
        s->walk[i] = pte; /* Svvptc: invalid->valid needs no fence */
        return;
    }
#endif
    if (!s->dirty[i]) {
        s->dirty[i] = 1;
        s->dirty_list[s->ndirty++] = (unsigned)i;
    }
#endif
}

/* A CPU access through va: the entry the translation used, 0 for a fault. */
static inline lazy_mmu_pte_t lazy_mmu_sim_access(struct lazy_mmu_sim *s, uintptr_t va)
{
    size_t i = lazy_mmu__sim_index(s, va);
    lazy_mmu_pte_t pte;

    if (s->need_isb)
        lazy_mmu_sim_violation(s, "aarch64: access after TLB maintenance without ISB");
    if (i >= s->npages)
        return 0;
    switch (s->tlb_state[i]) {
    case LAZY_MMU_SIM_CACHED:
    case LAZY_MMU_SIM_GLOBAL:
        return s->tlb[i];
    case LAZY_MMU_SIM_NEG:
        return 0;
    default:
        break;
    }
    s->n.walks++;
#if LAZY_MMU__SIM_S2 && defined(LAZY_MMU_ARCH_AARCH64)
    /* The guest's stage 1 walk; its IPA through a cached stage 2 entry if
     * there is one, else through the stage 2 tables, caching the result. */
    if (s->s2_cached[i]) {
        pte = s->s2tlb[i];
    } else {
        pte = s->walk[i];
        if (lazy_mmu__sim_valid(pte)) {
            s->s2tlb[i] = pte;
            s->s2_cached[i] = 1;
        }
    }
#else
    pte = s->walk[i];
#endif
    s->tlb[i] = pte;
    if (lazy_mmu__sim_valid(pte)) {
        s->tlb_state[i] = LAZY_MMU_SIM_CACHED;
#ifdef LAZY_MMU_ARCH_X86_64
        if ((pte & LAZY_MMU_X86_PTE_G) && !LAZY_MMU__SIM_S2) /* EPT bit 8: accessed */
            s->tlb_state[i] = LAZY_MMU_SIM_GLOBAL;
#endif
        return pte;
    }
#ifdef LAZY_MMU_ARCH_RISCV64
    if (!s->svvptc)
        s->tlb_state[i] = LAZY_MMU_SIM_NEG;
#endif
    return 0;
}

/* Does page i's translation (TLB or walker view) disagree with memory in a
 * way an access could tell?  A walker still seeing one not-present entry
 * where memory holds another cannot be told apart: riscv64 and aarch64 order
 * an invalid->invalid store only at their next fence, which the policies
 * rightly skip. */
static inline bool lazy_mmu_sim_page_stale(const struct lazy_mmu_sim *s, size_t i)
{
    if (s->walk[i] != s->pt[i] && (lazy_mmu__sim_valid(s->walk[i]) || lazy_mmu__sim_valid(s->pt[i])))
        return true;
    if (s->tlb_state[i] == LAZY_MMU_SIM_NEG)
        return lazy_mmu__sim_valid(s->pt[i]);
    if (s->tlb_state[i] != LAZY_MMU_SIM_EMPTY && s->tlb[i] != s->pt[i])
        return true;
#if LAZY_MMU__SIM_S2 && defined(LAZY_MMU_ARCH_AARCH64)
    if (s->s2_cached[i] && s->s2tlb[i] != s->pt[i])
        return true;
#endif
    return false;
}

/* Stale pages, and an ISB still owed: after a visibility point this must be
 * 0. */
static inline size_t lazy_mmu_sim_stale(const struct lazy_mmu_sim *s)
{
    size_t i, stale = 0;
    for (i = 0; i < s->npages; i++)
        stale += lazy_mmu_sim_page_stale(s, i);
    return stale + (s->need_isb ? 1 : 0);
}

/* ---- the primitives, named as in each backend's insn.h ---- */

static inline struct lazy_mmu_sim *lazy_mmu__sim_of(struct lazy_mmu *m)
{
    LAZY_MMU__CHECK(m->sim != NULL, "lazymmu sim: context not attached (lazy_mmu_sim_attach)");
    return m->sim;
}

static inline void lazy_mmu__hw_store_pte(struct lazy_mmu *m, lazy_mmu_pte_t *ptep,
                                          lazy_mmu_pte_t pte)
{
    lazy_mmu__sim_store(lazy_mmu__sim_of(m), ptep, pte);
}

#ifdef LAZY_MMU_ARCH_X86_64
static inline void lazy_mmu__x86_invlpg(struct lazy_mmu *m, uintptr_t va)
{
    struct lazy_mmu_sim *s = lazy_mmu__sim_of(m);
    size_t i = lazy_mmu__sim_index(s, va);
    s->n.invlpg++;
#if LAZY_MMU__SIM_S2
    return; /* the host's linear mappings: not required to drop EPT-derived ones */
#endif
    if (i < s->npages)
        lazy_mmu__sim_drop(s, i);
}

static inline void lazy_mmu__x86_flush_nonglobal(struct lazy_mmu *m)
{
    struct lazy_mmu_sim *s = lazy_mmu__sim_of(m);
    size_t i;
    s->n.cr3_reload++;
#if LAZY_MMU__SIM_S2
    return; /* as INVLPG */
#endif
    for (i = 0; i < s->npages; i++)
        if (s->tlb_state[i] != LAZY_MMU_SIM_GLOBAL)
            lazy_mmu__sim_drop(s, i);
}

static inline void lazy_mmu__x86_flush_all(struct lazy_mmu *m)
{
    struct lazy_mmu_sim *s = lazy_mmu__sim_of(m);
    size_t i;
    s->n.global_flush++;
#if LAZY_MMU__SIM_S2
    return; /* as INVLPG */
#endif
    for (i = 0; i < s->npages; i++)
        lazy_mmu__sim_drop(s, i);
}

#if LAZY_MMU__SIM_S2
/* INVEPT: type 1 drops the mappings derived from the EPT that EPTP[51:12]
 * names (here nothing, unless that is sim.eptp), type 2 those of every EPT. */
static inline bool lazy_mmu__x86_invept(struct lazy_mmu *m, uint64_t type, uint64_t eptp)
{
    const uint64_t addr = (uint64_t)0x000ffffffffff000ull; /* EPTP[51:12] */
    struct lazy_mmu_sim *s = lazy_mmu__sim_of(m);
    size_t i;

    if (type == 1)
        s->n.invept_single++;
    else if (type == 2)
        s->n.invept_all++;
    if (s->invept_fail) {
        s->invept_fail = false;
        return false;
    }
    if (type != 2 && (type != 1 || ((eptp ^ s->eptp) & addr) != 0)) {
        if (type != 1)
            lazy_mmu_sim_violation(s, "x86: INVEPT of an undefined type");
        return type == 1;
    }
    for (i = 0; i < s->npages; i++)
        lazy_mmu__sim_drop(s, i);
    return true;
}
#endif

static inline uint32_t lazy_mmu__x86_rdpkru(struct lazy_mmu *m)
{
    struct lazy_mmu_sim *s = lazy_mmu__sim_of(m);
    s->rdpkru++;
    return s->pkru;
}

static inline void lazy_mmu__x86_wrpkru(struct lazy_mmu *m, uint32_t pkru)
{
    struct lazy_mmu_sim *s = lazy_mmu__sim_of(m);
    s->wrpkru++;
    s->pkru = pkru;
}
#endif

#ifdef LAZY_MMU_ARCH_AARCH64
static inline void lazy_mmu__a64_dsb_ishst(struct lazy_mmu *m)
{
    struct lazy_mmu_sim *s = lazy_mmu__sim_of(m);
    s->n.dsb_ishst++;
    if (lazy_mmu__sim_order_stores(s))
        s->need_isb = true;
}

#if LAZY_MMU__SIM_S2
/* After the stage 1 invalidations: stage 2 ones complete, but not before a
 * walk on another PE has refilled, from the old stage 2 entry, the combined
 * entry of every page whose IPAS2E1IS was still outstanding. */
static inline bool lazy_mmu__sim_complete_s2(struct lazy_mmu_sim *s)
{
    bool any = s->ns2inval != 0 || s->s12_all_pending;
    size_t i;

    while (s->ns2inval) {
        i = s->s2inval_list[--s->ns2inval];
        s->s2inval[i] = 0;
        if (s->s2_cached[i] && !s->s12_all_pending) {
            s->tlb[i] = s->s2tlb[i];
            s->tlb_state[i] = LAZY_MMU_SIM_CACHED;
        }
        s->s2_cached[i] = 0;
    }
    if (s->s12_all_pending) {
        for (i = 0; i < s->npages; i++) {
            s->s2_cached[i] = 0;
            lazy_mmu__sim_drop(s, i);
        }
        s->s12_all_pending = false;
    }
    return any;
}
#endif

static inline void lazy_mmu__a64_dsb_ish(struct lazy_mmu *m)
{
    struct lazy_mmu_sim *s = lazy_mmu__sim_of(m);
    bool stores, invals;
    s->n.dsb_ish++;
    stores = lazy_mmu__sim_order_stores(s);
    invals = lazy_mmu__sim_complete_invals(s);
#if LAZY_MMU__SIM_S2
    invals = lazy_mmu__sim_complete_s2(s) || invals;
#endif
    if (stores || invals)
        s->need_isb = true;
}

static inline void lazy_mmu__a64_isb(struct lazy_mmu *m)
{
    struct lazy_mmu_sim *s = lazy_mmu__sim_of(m);
    s->n.isb++;
    s->need_isb = false;
}

static inline void lazy_mmu__a64_tlbi_va(struct lazy_mmu *m, uintptr_t va)
{
    struct lazy_mmu_sim *s = lazy_mmu__sim_of(m);
    s->n.tlbi_va++;
    lazy_mmu__sim_queue_inval(s, va);
}

static inline void lazy_mmu__a64_tlbi_all(struct lazy_mmu *m)
{
    struct lazy_mmu_sim *s = lazy_mmu__sim_of(m);
    s->n.tlbi_all++;
    s->inval_all_pending = true;
}

#if LAZY_MMU__SIM_S2
static inline void lazy_mmu__a64_tlbi_ipa(struct lazy_mmu *m, uintptr_t ipa)
{
    struct lazy_mmu_sim *s = lazy_mmu__sim_of(m);
    size_t i = lazy_mmu__sim_index(s, ipa);
    s->n.tlbi_ipa++;
    if (i < s->npages && !s->s2inval[i]) {
        s->s2inval[i] = 1;
        s->s2inval_list[s->ns2inval++] = (unsigned)i;
    }
}

static inline void lazy_mmu__a64_tlbi_s12_all(struct lazy_mmu *m)
{
    struct lazy_mmu_sim *s = lazy_mmu__sim_of(m);
    s->n.tlbi_s12_all++;
    s->s12_all_pending = true;
}
#endif
#endif

#ifdef LAZY_MMU_ARCH_RISCV64
static inline void lazy_mmu__rv_sfence_vma_va(struct lazy_mmu *m, uintptr_t va)
{
    struct lazy_mmu_sim *s = lazy_mmu__sim_of(m);
    size_t i = lazy_mmu__sim_index(s, va);
    s->n.sfence_va++;
    lazy_mmu__sim_order_stores(s);
    if (i < s->npages)
        lazy_mmu__sim_drop(s, i);
}

static inline void lazy_mmu__rv_sfence_vma_all(struct lazy_mmu *m)
{
    struct lazy_mmu_sim *s = lazy_mmu__sim_of(m);
    size_t i;
    s->n.sfence_all++;
    lazy_mmu__sim_order_stores(s);
    for (i = 0; i < s->npages; i++)
        lazy_mmu__sim_drop(s, i);
}

static inline void lazy_mmu__rv_sfence_w_inval(struct lazy_mmu *m)
{
    struct lazy_mmu_sim *s = lazy_mmu__sim_of(m);
    s->n.sfence_w_inval++;
    lazy_mmu__sim_order_stores(s);
}

static inline void lazy_mmu__rv_sinval_vma(struct lazy_mmu *m, uintptr_t va)
{
    struct lazy_mmu_sim *s = lazy_mmu__sim_of(m);
    s->n.sinval++;
    lazy_mmu__sim_queue_inval(s, va);
}

static inline void lazy_mmu__rv_sfence_inval_ir(struct lazy_mmu *m)
{
    struct lazy_mmu_sim *s = lazy_mmu__sim_of(m);
    s->n.sfence_inval_ir++;
    lazy_mmu__sim_complete_invals(s);
}
#endif

#ifdef LAZY_MMU_ARCH_PARAVIRT
/* The fake hypervisor: applies ops in order the way the real one would, and
 * stops early at op pv_fail_at once (then forgets it). */
static inline size_t lazy_mmu_sim_hypercall(void *hv, const struct lazy_mmu_pv_op *ops, size_t n)
{
    struct lazy_mmu_sim *s = (struct lazy_mmu_sim *)hv;
    size_t k, i;

    s->n.hypercalls++;
    for (k = 0; k < n; k++) {
        uint64_t cmd = ops[k].ptr & LAZY_MMU_PV_CMD_MASK;
        uint64_t arg = ops[k].ptr & ~(uint64_t)LAZY_MMU_PV_CMD_MASK;

        if (s->pv_fail_at >= 0 && (size_t)s->pv_fail_at == k) {
            s->pv_fail_at = -1;
            return k;
        }
        s->n.hypercall_ops++;
        if (cmd == LAZY_MMU_PV_SET) {
            lazy_mmu_pte_t *ptep = (lazy_mmu_pte_t *)(uintptr_t)arg;
            if (ptep >= s->pt && ptep < s->pt + s->npages) {
                i = (size_t)(ptep - s->pt);
                s->pt[i] = s->walk[i] = ops[k].val;
            } else {
                *ptep = ops[k].val;
            }
        } else if (cmd == LAZY_MMU_PV_INVLPG) {
            uint64_t p;
            for (p = 0; p < ops[k].val; p++) {
                i = lazy_mmu__sim_index(s, (uintptr_t)(arg + (p << LAZY_MMU_PAGE_SHIFT)));
                if (i < s->npages)
                    lazy_mmu__sim_drop(s, i);
            }
        } else if (cmd == LAZY_MMU_PV_INVAL_ALL) {
            for (i = 0; i < s->npages; i++)
                lazy_mmu__sim_drop(s, i);
        } else {
            lazy_mmu_sim_violation(s, "paravirt: unknown hypercall op");
            return k;
        }
    }
    return n;
}
#ifndef LAZY_MMU_PV_COMMIT
#define LAZY_MMU_PV_COMMIT lazy_mmu_sim_hypercall
#endif
#endif

#endif
