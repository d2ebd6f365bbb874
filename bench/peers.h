/* bench/peers.h - the strategies a kernel developer would write instead of
 * lazymmu, over the same primitives (arch/<backend>/sim.h names them as each
 * backend's insn.h does), and the cost model that prices every strategy.
 *
 * The first part is plain C, shared by bench/peers.c and every
 * bench/peers_backend.c; the strategies need lazymmu.h included first (with
 * LAZY_MMU_SIMULATE) and exist only for the backend that TU selects.  Each
 * is written from the documented rule it cites, not from any kernel's code.
 * A batched strategy gets the updates between two visibility points (where
 * lazymmu flushes or leaves) and leaves them visible; an eager one, one
 * update. */
#ifndef LAZYMMU_BENCH_PEERS_H
#define LAZYMMU_BENCH_PEERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The "random" order of every benchmark: a fixed xorshift permutation of
 * 0 .. n - 1, so each program times the same one. */
static inline void peer_permute(unsigned *p, unsigned n)
{
    uint32_t x = 0x2545f491u;
    unsigned i, j, t;
    for (i = 0; i < n; i++)
        p[i] = i;
    for (i = n; i-- > 1;) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        j = x % (i + 1);
        t = p[i];
        p[i] = p[j];
        p[j] = t;
    }
}


enum peers_backend { PB_X86_64, PB_AARCH64, PB_RISCV64, PB_PARAVIRT, PEERS_BACKENDS };
enum peers_op { PO_MAP, PO_REMAP, PO_PROTECT, PO_UNMAP, PEERS_OPS };
enum peers_strategy {
    PS_LAZY,       /* lazymmu, one section around the workload */
    PS_LAZY_EAGER, /* lazymmu without a section */
    PS_EAGER,      /* every update on its own */
    PS_GATHER,     /* Linux's mmu_gather with x86-64's ceiling */
    PS_ARM64,      /* Linux arm64 lazy mode */
    PS_RISCV,      /* Linux riscv64 range flush */
    PS_XEN,        /* Xen PV Linux: mmu_update batches */
    PEERS_STRATEGIES
};
#define PEERS_FIRST_PEER PS_EAGER /* lazymmu's own columns come first */

/* A workload: the section structure lazymmu sees; the peers take every
 * LEAVE and FLUSH as a visibility point.  SET: page gets peers_entry(). */
enum peers_step_kind { STEP_SET, STEP_ENTER, STEP_LEAVE, STEP_FLUSH };
struct peers_step {
    unsigned kind, page, version;
};

/* Hardware-level operations, summed over the backend's instructions. */
struct peers_counts {
    unsigned long page_invals; /* invlpg, TLBI VA, sfence.vma va, pages named by PV INVLPG ops */
    unsigned long full_invals; /* CR3 reload, TLBI VMALLE1IS, sfence.vma, PV INVAL_ALL ops */
    unsigned long dsb_ish, dsb_ishst, isb;
    unsigned long fences;      /* riscv64 fences other than sfence.vma */
    unsigned long hypercalls, hc_ops;
};

struct peers_result {
    bool applies, verified; /* verified: pages read back right, nothing stale, no rule broken */
    const char *why;        /* else the first failure */
    struct peers_counts n;
    unsigned long distinct;  /* distinct pages whose translation had to go */
    unsigned long max_point; /* most per-page invalidations serving one LEAVE or FLUSH
                                step (early publishes since the previous one included) */
    unsigned threshold, batch; /* lazymmu's LAZY_MMU_FLUSH_ALL_THRESHOLD, _BATCH_MAX as built */
};

/* The peers' thresholds, as their sources state them (Linux):
 * x86 tlb_single_page_flush_ceiling, per-page INVLPG while pages <= 33;
 * arm64 MAX_DVM_OPS (PTRS_PER_PTE), TLBI VMALLE1IS once pages >= 512;
 * riscv tlb_flush_all_threshold, a global sfence.vma once pages > 64;
 * Xen PV multicalls MC_BATCH, entries per mmu_update hypercall. */
#define PEER_X86_CEILING 33u
#define PEER_ARM64_MAX_DVM_OPS 512u
#define PEER_RISCV_FLUSH_ALL 64u
#define PEER_XEN_BATCH 32u

/* THE cost model, written down once.  A per-page invalidation costs 1; a
 * full flush costs T, the most per-page invalidations that OS issues
 * instead of one (it is also what the refills after a full flush are worth
 * to that OS).  Barriers and hypercalls as below; stores and PV SET ops 0. */
struct peers_cost {
    const char *backend;
    unsigned long page, full, dsb_ish, dsb_ishst, isb, fence, hypercall;
    const char *source; /* for T and the rest of the row */
};

static inline const struct peers_cost *peers_cost(enum peers_backend b)
{
    static const struct peers_cost table[PEERS_BACKENDS] = {
        {"x86_64", 1, PEER_X86_CEILING, 0, 0, 0, 0, 0,
         "T = 33: Linux tlb_single_page_flush_ceiling (INVLPG up to 33 pages)"},
        {"aarch64", 1, PEER_ARM64_MAX_DVM_OPS - 1, 4, 1, 1, 0, 0,
         "T = 511: Linux flushes all at >= 512 = MAX_DVM_OPS; DSB ISH 4: it waits for "
         "broadcast TLBI completion; DSB ISHST 1, ISB 1"},
        {"riscv64", 1, PEER_RISCV_FLUSH_ALL, 0, 0, 0, 1, 0,
         "T = 64: Linux tlb_flush_all_threshold; fences other than sfence.vma 1"},
        {"paravirt", 1, PEER_X86_CEILING, 0, 0, 0, 0, 20,
         "T = 33: Xen PV Linux is an x86 guest; a hypercall 20: a VM exit round trip vs an "
         "invlpg; an INVLPG op 1 per page, INVAL_ALL = T"},
    };
    return &table[b];
}

/* The invalidation part alone: what claim (a) of bench/peers.c bounds. */
static inline unsigned long peers_inval_cost(enum peers_backend b, const struct peers_counts *n)
{
    const struct peers_cost *c = peers_cost(b);
    return n->page_invals * c->page + n->full_invals * c->full;
}

static inline unsigned long peers_modelled(enum peers_backend b, const struct peers_counts *n)
{
    const struct peers_cost *c = peers_cost(b);
    return peers_inval_cost(b, n) + n->dsb_ish * c->dsb_ish + n->dsb_ishst * c->dsb_ishst +
           n->isb * c->isb + n->fences * c->fence + n->hypercalls * c->hypercall;
}

/* A guest that cannot store its tables has no mmu_gather of its own. */
static inline bool peers_applies(enum peers_backend b, enum peers_strategy s)
{
    return s == PS_GATHER  ? b != PB_PARAVIRT
           : s == PS_ARM64 ? b == PB_AARCH64
           : s == PS_RISCV ? b == PB_RISCV64
           : s == PS_XEN   ? b == PB_PARAVIRT
                           : true;
}

#ifdef LAZYMMU_H
/* ---- the strategies, over the primitives of the backend this TU builds ---- */

struct peer_update {
    lazy_mmu_pte_t *ptep;
    lazy_mmu_pte_t pte;
    uintptr_t va;
};

/* mmu_gather's range: one [first, last] interval, however sparse the pages
 * in it (Linux include/asm-generic/tlb.h, __tlb_adjust_range). */
struct peer_span {
    uintptr_t first, last; /* page addresses, when any */
    bool any;
};

static inline void peer_span_add(struct peer_span *s, uintptr_t va)
{
    if (!s->any || va < s->first)
        s->first = va;
    if (!s->any || va > s->last)
        s->last = va;
    s->any = true;
}

static inline uintptr_t peer_span_pages(const struct peer_span *s)
{
    return s->any ? ((s->last - s->first) >> LAZY_MMU_PAGE_SHIFT) + 1 : 0;
}

#define PEER_EACH_SPAN_PAGE(s, va) \
    for ((va) = (s)->first; (s)->any && (va) <= (s)->last; (va) += LAZY_MMU_PAGE_SIZE)

#ifdef LAZY_MMU_ARCH_X86_64
/* Intel SDM Vol. 3A 4.10.2 / 4.10.4.1: only present entries are cached, and
 * INVLPG drops one page's translation; the walker reads memory, so the store
 * needs no fence. */
static inline void peer_x86_eager(struct lazy_mmu *m, const struct peer_update *u)
{
    lazy_mmu_pte_t old = *u->ptep;
    lazy_mmu__hw_store_pte(m, u->ptep, u->pte);
    if (lazy_mmu__arch_pte_valid(old))
        lazy_mmu__x86_64_invlpg(m, u->va);
}

/* mmu_gather + flush_tlb_mm_range: the span of the pages whose old entry was
 * present, INVLPG over all of it while it is <= 33 pages, else one CR3
 * reload (the workloads set no global bit). */
static inline void peer_x86_gather(struct lazy_mmu *m, const struct peer_update *u, size_t n)
{
    struct peer_span span = {0, 0, false};
    uintptr_t va;
    size_t i;

    for (i = 0; i < n; i++) {
        lazy_mmu_pte_t old = *u[i].ptep;
        lazy_mmu__hw_store_pte(m, u[i].ptep, u[i].pte);
        if (lazy_mmu__arch_pte_valid(old))
            peer_span_add(&span, u[i].va);
    }
    if (peer_span_pages(&span) > PEER_X86_CEILING) {
        lazy_mmu__x86_64_flush_nonglobal(m);
        return;
    }
    PEER_EACH_SPAN_PAGE(&span, va)
        lazy_mmu__x86_64_invlpg(m, va);
}
#endif

#ifdef LAZY_MMU_ARCH_AARCH64
/* ARM ARM D8.16.1 "Using break-before-make": a valid entry may be replaced
 * by one with another output address only after it was made invalid and
 * its TLB entries invalidated on every PE. */
static inline bool peer_a64_needs_bbm(lazy_mmu_pte_t old, lazy_mmu_pte_t pte)
{
    return lazy_mmu__arch_pte_valid(old) && lazy_mmu__arch_pte_valid(pte) &&
           ((old ^ pte) & LAZY_MMU__ARCH_PTE_OA) != 0;
}

/* ARM ARM, TLB maintenance: DSB ISHST makes the store visible to walkers
 * before the TLBI, DSB ISH waits for the broadcast TLBI, ISB makes this PE
 * use the result.  An invalid entry is never cached: no TLBI for a map, and
 * nothing but the store when the entry stays invalid. */
static inline void peer_a64_eager(struct lazy_mmu *m, const struct peer_update *u)
{
    lazy_mmu_pte_t old = *u->ptep;

    if (!lazy_mmu__arch_pte_valid(old) && !lazy_mmu__arch_pte_valid(u->pte)) {
        lazy_mmu__hw_store_pte(m, u->ptep, u->pte);
        return;
    }
    if (peer_a64_needs_bbm(old, u->pte)) { /* break, invalidate, then make */
        lazy_mmu__hw_store_pte(m, u->ptep, 0);
        lazy_mmu__aarch64_dsb_ishst(m);
        lazy_mmu__aarch64_tlbi_va(m, u->va);
        lazy_mmu__aarch64_dsb_ish(m);
        lazy_mmu__hw_store_pte(m, u->ptep, u->pte);
        lazy_mmu__aarch64_dsb_ishst(m);
        lazy_mmu__aarch64_isb(m);
        return;
    }
    lazy_mmu__hw_store_pte(m, u->ptep, u->pte);
    lazy_mmu__aarch64_dsb_ishst(m);
    if (lazy_mmu__arch_pte_valid(old)) {
        lazy_mmu__aarch64_tlbi_va(m, u->va);
        lazy_mmu__aarch64_dsb_ish(m);
    }
    lazy_mmu__aarch64_isb(m);
}

/* A batch in two passes (D8.16.1 again): the first stores in place what
 * needs no break and breaks (stores invalid) what does; every page whose
 * old entry was valid is invalidated; only after the DSB ISH completing
 * that does the second pass make the broken entries, each with the last
 * value asked for it (a later update of a broken entry waits with it). */
struct peer_a64_batch {
    struct peer_update *make; /* the broken entries; room for the whole batch */
    size_t nmake;
    struct peer_span span; /* mmu_gather: what to invalidate at the end */
    bool tlbi_now;         /* arm64: TLBI each page as it is updated */
    bool stored, invalidated;
};

static inline void peer_a64_pass1(struct lazy_mmu *m, struct peer_a64_batch *b,
                                  const struct peer_update *u)
{
    lazy_mmu_pte_t old;
    size_t k;

    old = *u->ptep;
    /* Only a broken entry reads invalid: a valid one needs no search. */
    for (k = lazy_mmu__arch_pte_valid(old) ? 0 : b->nmake; k-- > 0;)
        if (b->make[k].ptep == u->ptep) {
            b->make[k].pte = u->pte;
            return;
        }
    if (peer_a64_needs_bbm(old, u->pte)) {
        lazy_mmu__hw_store_pte(m, u->ptep, 0);
        b->make[b->nmake++] = *u;
    } else {
        lazy_mmu__hw_store_pte(m, u->ptep, u->pte);
    }
    b->stored = true;
    if (!lazy_mmu__arch_pte_valid(old))
        return;
    b->invalidated = true;
    if (b->tlbi_now) {
        lazy_mmu__aarch64_dsb_ishst(m); /* the walker sees the store before its TLBI */
        lazy_mmu__aarch64_tlbi_va(m, u->va);
    }
    else
        peer_span_add(&b->span, u->va);
}

/* After the invalidations were issued (and completed, if any): the makes,
 * then this PE resynchronised. */
static inline void peer_a64_pass2(struct lazy_mmu *m, struct peer_a64_batch *b)
{
    size_t k;

    if (b->nmake) {
        for (k = 0; k < b->nmake; k++)
            lazy_mmu__hw_store_pte(m, b->make[k].ptep, b->make[k].pte);
        lazy_mmu__aarch64_dsb_ishst(m);
    }
    if (b->stored)
        lazy_mmu__aarch64_isb(m);
}

/* mmu_gather with x86-64's rule: one DSB ISHST before the TLBIs, TLBI over
 * the whole span while it is <= 33 pages else one TLBI VMALLE1IS, DSB ISH. */
static inline void peer_a64_gather(struct lazy_mmu *m, const struct peer_update *u, size_t n,
                                   struct peer_update *scratch)
{
    struct peer_a64_batch b = {scratch, 0, {0, 0, false}, false, false, false};
    uintptr_t va;
    size_t i;

    for (i = 0; i < n; i++)
        peer_a64_pass1(m, &b, &u[i]);
    if (b.stored)
        lazy_mmu__aarch64_dsb_ishst(m);
    if (b.invalidated) {
        if (peer_span_pages(&b.span) > PEER_X86_CEILING)
            lazy_mmu__aarch64_tlbi_all(m);
        else
            PEER_EACH_SPAN_PAGE(&b.span, va)
                lazy_mmu__aarch64_tlbi_va(m, va);
        lazy_mmu__aarch64_dsb_ish(m);
    }
    peer_a64_pass2(m, &b);
}

/* Linux arm64 lazy MMU mode: the TLBI of each page at its update, after
 * the DSB ISHST that the ARM ARM requires between a page-table store and
 * its TLBI (Linux's flush_tlb_* open with one), no DSB ISH per page, one
 * DSB ISH and one ISB when the batch ends (DSB ISHST instead if it only
 * stored, as Linux's deferred pte barriers).  From n >= MAX_DVM_OPS
 * updates, known before the first (as __flush_tlb_range knows its range),
 * one TLBI VMALLE1IS instead. */
static inline void peer_a64_arm64(struct lazy_mmu *m, const struct peer_update *u, size_t n,
                                  struct peer_update *scratch)
{
    const bool all = n >= PEER_ARM64_MAX_DVM_OPS;
    struct peer_a64_batch b = {scratch, 0, {0, 0, false}, !all, false, false};
    size_t i;

    for (i = 0; i < n; i++)
        peer_a64_pass1(m, &b, &u[i]);
    if (b.invalidated) {
        if (all) {
            lazy_mmu__aarch64_dsb_ishst(m);
            lazy_mmu__aarch64_tlbi_all(m);
        }
        lazy_mmu__aarch64_dsb_ish(m);
    } else if (b.stored) {
        lazy_mmu__aarch64_dsb_ishst(m);
    }
    peer_a64_pass2(m, &b);
}
#endif

#ifdef LAZY_MMU_ARCH_RISCV64
/* RISC-V Privileged ISA, "Supervisor Memory-Management Fence Instruction":
 * SFENCE.VMA orders earlier page-table stores before later walks and drops
 * cached translations; harts may cache invalid entries too, so without
 * Svvptc an invalid->valid change needs it as well. */
static inline bool peer_rv_changes(lazy_mmu_pte_t old, lazy_mmu_pte_t pte)
{
    return lazy_mmu__arch_pte_valid(old) || lazy_mmu__arch_pte_valid(pte);
}

static inline void peer_rv_eager(struct lazy_mmu *m, const struct peer_update *u)
{
    lazy_mmu_pte_t old = *u->ptep;
    lazy_mmu__hw_store_pte(m, u->ptep, u->pte);
    if (peer_rv_changes(old, u->pte))
        lazy_mmu__riscv64_sfence_vma_va(m, u->va);
}

/* A span of every changed page, then sfence.vma va over all of it while it
 * is at most `per_page_max` pages, else one global sfence.vma. */
static inline void peer_rv_span(struct lazy_mmu *m, const struct peer_update *u, size_t n,
                                uintptr_t per_page_max)
{
    struct peer_span span = {0, 0, false};
    uintptr_t va;
    size_t i;

    for (i = 0; i < n; i++) {
        lazy_mmu_pte_t old = *u[i].ptep;
        lazy_mmu__hw_store_pte(m, u[i].ptep, u[i].pte);
        if (peer_rv_changes(old, u[i].pte))
            peer_span_add(&span, u[i].va);
    }
    if (peer_span_pages(&span) > per_page_max) {
        lazy_mmu__riscv64_sfence_vma_all(m);
        return;
    }
    PEER_EACH_SPAN_PAGE(&span, va)
        lazy_mmu__riscv64_sfence_vma_va(m, va);
}

/* mmu_gather with x86-64's ceiling (per page while <= 33). */
static inline void peer_rv_gather(struct lazy_mmu *m, const struct peer_update *u, size_t n)
{
    peer_rv_span(m, u, n, PEER_X86_CEILING);
}

/* Linux riscv64: more than tlb_flush_all_threshold pages -> global fence. */
static inline void peer_rv_riscv(struct lazy_mmu *m, const struct peer_update *u, size_t n)
{
    peer_rv_span(m, u, n, PEER_RISCV_FLUSH_ALL);
}
#endif

#ifdef LAZY_MMU_ARCH_PARAVIRT
/* arch/paravirt/types.h: the guest cannot store its tables; one hypercall
 * per update, carrying the SET and, if the old entry was present, the
 * INVLPG of that page.  False when the hypervisor applied fewer ops. */
static inline bool peer_pv_eager(void *hv, const struct peer_update *u)
{
    struct lazy_mmu_paravirt_op op[2];
    size_t n = 1;

    op[0].ptr = (uint64_t)(uintptr_t)u->ptep | LAZY_MMU_PARAVIRT_SET;
    op[0].val = u->pte;
    if (lazy_mmu__arch_pte_valid(*u->ptep)) {
        op[1].ptr = (uint64_t)u->va | LAZY_MMU_PARAVIRT_INVLPG;
        op[1].val = 1;
        n = 2;
    }
    return LAZY_MMU_PARAVIRT_COMMIT(hv, op, n) == n;
}

/* Xen PV Linux: SETs in mmu_update batches of 32, and at the end the x86
 * span flush (INVLPG over the whole span of pages whose old entry was
 * present while it is <= 33 pages, else a full flush) in the last call.
 * The old entry of a page still queued is its queued value. */
static inline bool peer_pv_xen(void *hv, const struct peer_update *u, size_t n)
{
    struct lazy_mmu_paravirt_op op[PEER_XEN_BATCH + 1];
    struct peer_span span = {0, 0, false};
    size_t i, k, nops = 0;
    bool ok = true;

    for (i = 0; i < n; i++) {
        lazy_mmu_pte_t old = *u[i].ptep;
        for (k = nops; k-- > 0;)
            if (op[k].ptr == ((uint64_t)(uintptr_t)u[i].ptep | LAZY_MMU_PARAVIRT_SET)) {
                old = op[k].val;
                break;
            }
        if (lazy_mmu__arch_pte_valid(old))
            peer_span_add(&span, u[i].va);
        op[nops].ptr = (uint64_t)(uintptr_t)u[i].ptep | LAZY_MMU_PARAVIRT_SET;
        op[nops++].val = u[i].pte;
        if (nops == PEER_XEN_BATCH && i + 1 < n) { /* the last batch also carries the flush */
            ok &= LAZY_MMU_PARAVIRT_COMMIT(hv, op, nops) == nops;
            nops = 0;
        }
    }
    if (span.any) {
        bool all = peer_span_pages(&span) > PEER_X86_CEILING;
        op[nops].ptr =
            all ? LAZY_MMU_PARAVIRT_INVAL_ALL : (uint64_t)span.first | LAZY_MMU_PARAVIRT_INVLPG;
        op[nops++].val = all ? 0 : peer_span_pages(&span);
    }
    if (nops)
        ok &= LAZY_MMU_PARAVIRT_COMMIT(hv, op, nops) == nops;
    return ok;
}
#endif
#endif /* LAZYMMU_H */

#endif
