/* arch/x86_64/sim.h - the simulated x86_64 MMU: insn.h's names over the
 * shared model (arch/sim/model.h), for hosted builds with LAZY_MMU_SIMULATE.
 * SPDX-License-Identifier: MIT
 *
 * The facts are the Intel SDM's (volume 3A 4.10 "Caching Translation
 * Information", 4.6.2 "Protection Keys", volume 3C "EPT Translation
 * Mechanism" and "Invalidating Cached Translation Information").
 *
 * EPT (LAZY_MMU_STAGE2): pt[] is a guest's EPT, indexed by guest-physical
 * page, and an access is the guest's.  tlb[] holds the guest-physical and
 * combined mappings; only an INVEPT naming the model's EPTP (type 1) or all
 * of them (type 2) drops them - INVLPG and CR3 / CR4 writes do not.
 *
 * INVLPGB (LAZY_MMU_X86_INVLPGB) is AMD's (APM vol. 3 "INVLPGB", "TLBSYNC",
 * CPUID Fn8000_0008 in appendix E): what it selects is dropped on every CPU,
 * but only at the issuing CPU's TLBSYNC - the latest moment the manual
 * allows.  Global entries go only with rAX[3]; the model's CPUs run host
 * code (ASID 0) with PCID 0, so a form naming another ASID or PCID drops
 * nothing.  invlpgb_max is the CPU's CPUID Fn8000_0008_EDX[15:0], -1 for a
 * CPU without INVLPGB (EBX[3] clear: both instructions #UD); a count above
 * it is a violation.  The queue of issued invalidations is the model's,
 * shared by the CPUs: TLBSYNC completes every CPU's, so the model does not
 * see a TLBSYNC run on another CPU than its INVLPGBs.
 */
#ifndef LAZY_MMU_X86_64_SIM_H
#define LAZY_MMU_X86_64_SIM_H

#define LAZY_MMU_SIM_NAME "x86"
/* A CPU's data accesses translate after its own earlier stores to the
 * paging structures (SDM 4.10.4.3): the walker never lags. */
#define LAZY_MMU_SIM_WALKER_LAGS 0
/* Not-present entries are never cached (SDM 4.10.2.3; EPT: 3C, "EPT
 * Translation Mechanism"). */
#define LAZY_MMU_SIM_CACHES_INVALID 0
/* No break-before-make rule: one aligned store replaces an entry. */
#define LAZY_MMU_SIM_CHECK_BBM 0
/* One TLB: EPT-derived mappings are dropped by INVEPT alone (below). */
#define LAZY_MMU_SIM_S2_TLB 0
#if LAZY_MMU_STAGE2
/* EPT: present when any of R, W, X (bits 2:0) or, with mode-based execute
 * control, user-execute (bit 10) is set.  Bit 8 is the accessed flag: EPT
 * has no global entries. */
#define LAZY_MMU_SIM_VALID(pte) (((pte) & 0x407u) != 0)
#define LAZY_MMU_SIM_GLOBAL_BIT 0
#else
/* P (bit 0); G (bit 8) keeps a translation through a CR3 write when
 * CR4.PGE = 1 (SDM 4.10.2.4), as the model's CPU has it. */
#define LAZY_MMU_SIM_VALID(pte) (((pte) & 1u) != 0)
#define LAZY_MMU_SIM_GLOBAL_BIT ((lazy_mmu_pte_t)1 << 8)
#endif

/* PKRU: the model's page-table pages are user pages carrying protection key
 * LAZY_MMU_X86_PKRU_KEY (the key the embedder maps them with), so a store to
 * pt[] while PKRU sets that key's AD or WD bit is a violation (the hardware
 * would fault, SDM 4.6.2).  pkru starts at 0, the architectural reset value:
 * every key open.  pkru_at_store[i] is PKRU at the last store to pt[i], all
 * ones before the first.  EPT: eptp is the EPTP the tables hang from (the
 * VMCS's); invept_fail makes the next INVEPT fail (VMfailValid). */
#if LAZY_MMU_STAGE2
#define LAZY_MMU__SIM_X86_EPT_FIELDS \
    uint64_t eptp;                   \
    bool invept_fail;
#else
#define LAZY_MMU__SIM_X86_EPT_FIELDS
#endif
/* INVLPGB: the CPU's count (or -1), and the invalidations without rAX[3]
 * (global entries stay) issued and not yet completed by a TLBSYNC; those
 * with it wait in the model's own queue (inval[], inval_all_pending). */
#if LAZY_MMU_X86_INVLPGB
#ifndef LAZY_MMU_SIM_X86_INVLPGB_MAX
#define LAZY_MMU_SIM_X86_INVLPGB_MAX 7 /* what Zen 3 reports: 8 pages */
#endif
#define LAZY_MMU__SIM_X86_INVLPGB_FIELDS               \
    int32_t invlpgb_max;                               \
    bool invlpgb_ng_all;                               \
    size_t ninvlpgb_ng;                                \
    unsigned char invlpgb_ng[LAZY_MMU_SIM_PAGES];      \
    unsigned invlpgb_ng_list[LAZY_MMU_SIM_PAGES];
#else
#define LAZY_MMU__SIM_X86_INVLPGB_FIELDS
#endif
#define LAZY_MMU_SIM_FIELDS                     \
    uint32_t pkru;                              \
    unsigned long rdpkru, wrpkru;               \
    unsigned long pkru_denied_stores;           \
    uint32_t pkru_at_store[LAZY_MMU_SIM_PAGES]; \
    LAZY_MMU__SIM_X86_EPT_FIELDS                \
    LAZY_MMU__SIM_X86_INVLPGB_FIELDS

struct lazy_mmu_sim;
static inline void lazy_mmu__x86_sim_init(struct lazy_mmu_sim *s);
static inline void lazy_mmu__x86_sim_store(struct lazy_mmu_sim *s, size_t i);
#define LAZY_MMU_SIM_ON_INIT(s) lazy_mmu__x86_sim_init(s)
#define LAZY_MMU_SIM_ON_STORE(s, i, pte) lazy_mmu__x86_sim_store((s), (i))
#if LAZY_MMU_X86_INVLPGB
/* lazy_mmu_init runs before the context has a simulated CPU to ask; the
 * backend's CPUID check (policy.h) runs again once it has one. */
static inline void lazy_mmu__x86_invlpgb_probe(struct lazy_mmu *m);
#define LAZY_MMU_SIM_ON_ATTACH(m, s) ((void)(s), lazy_mmu__x86_invlpgb_probe(m))
#endif

#include "../sim/model.h"

static inline void lazy_mmu__x86_sim_init(struct lazy_mmu_sim *s)
{
    size_t i;
    for (i = 0; i < s->npages; i++)
        s->pkru_at_store[i] = 0xffffffffu;
    s->pkru = 0;
    s->rdpkru = 0;
    s->wrpkru = 0;
    s->pkru_denied_stores = 0;
#if LAZY_MMU_STAGE2
    s->eptp = 0;
    s->invept_fail = false;
#endif
#if LAZY_MMU_X86_INVLPGB
    s->invlpgb_max = LAZY_MMU_SIM_X86_INVLPGB_MAX;
    s->invlpgb_ng_all = false;
    s->ninvlpgb_ng = 0;
    memset(s->invlpgb_ng, 0, s->npages);
#endif
}

static inline void lazy_mmu__x86_sim_store(struct lazy_mmu_sim *s, size_t i)
{
    s->pkru_at_store[i] = s->pkru;
    if (s->pkru & ((uint32_t)3 << (2 * LAZY_MMU_X86_PKRU_KEY))) {
        s->pkru_denied_stores++;
        lazy_mmu_sim_violation(s, "x86: page-table store while PKRU denies its key");
    }
}

/* INVLPG, CR3 and CR4 writes act on the linear mappings: with EPT they are
 * not required to drop a single guest-physical or combined mapping. */
static inline void lazy_mmu__x86_invlpg(struct lazy_mmu *m, uintptr_t va)
{
    struct lazy_mmu_sim *s = lazy_mmu__sim_of(m);
    s->n.invlpg++;
    if (!LAZY_MMU_STAGE2)
        lazy_mmu__sim_drop_va(s, va);
}

static inline void lazy_mmu__x86_flush_nonglobal(struct lazy_mmu *m)
{
    struct lazy_mmu_sim *s = lazy_mmu__sim_of(m);
    size_t i;
    s->n.cr3_reload++;
    if (LAZY_MMU_STAGE2)
        return;
    for (i = 0; i < s->npages; i++)
        if (s->tlb_state[s->cpu][i] != LAZY_MMU_SIM_GLOBAL)
            lazy_mmu__sim_drop(s, i);
}

static inline void lazy_mmu__x86_flush_all(struct lazy_mmu *m)
{
    struct lazy_mmu_sim *s = lazy_mmu__sim_of(m);
    s->n.global_flush++;
    if (!LAZY_MMU_STAGE2)
        lazy_mmu__sim_drop_all(s);
}

#if LAZY_MMU_STAGE2
/* INVEPT: type 1 drops the mappings derived from the EPT that EPTP[51:12]
 * names (here nothing, unless that is sim.eptp), type 2 those of every EPT. */
static inline bool lazy_mmu__x86_invept(struct lazy_mmu *m, uint64_t type, uint64_t eptp)
{
    const uint64_t addr = (uint64_t)0x000ffffffffff000ull; /* EPTP[51:12] */
    struct lazy_mmu_sim *s = lazy_mmu__sim_of(m);

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
    lazy_mmu__sim_drop_all(s);
    return true;
}
#endif

#if LAZY_MMU_X86_INVLPGB
/* CPUID Fn8000_0008 of the model's CPU.  Before attach (lazy_mmu_init) there
 * is none: 0, always a valid count; attach asks again. */
static inline int32_t lazy_mmu__x86_invlpgb_max(struct lazy_mmu *m)
{
    return m->sim == NULL ? 0 : lazy_mmu__sim_of(m)->invlpgb_max;
}

/* The model's walker never lags a store (WALKER_LAGS 0): counted only. */
static inline void lazy_mmu__x86_mfence(struct lazy_mmu *m)
{
    lazy_mmu__sim_of(m)->n.mfence++;
}

static inline void lazy_mmu__x86_invlpgb(struct lazy_mmu *m, uint64_t rax, uint32_t ecx,
                                         uint32_t edx)
{
    struct lazy_mmu_sim *s = lazy_mmu__sim_of(m);
    const bool by_va = (rax & 1u) != 0, global = (rax & 8u) != 0;
    const uint32_t count = ecx & 0xffffu;
    const uintptr_t stride = (uintptr_t)1 << ((ecx >> 31) ? 21 : 12);
    uintptr_t va = (uintptr_t)(rax & ~(uint64_t)0xfff);
    uint32_t k;

    s->n.invlpgb++;
    if (s->invlpgb_max < 0) {
        lazy_mmu_sim_violation(s, "x86: INVLPGB on a CPU without it (#UD)");
        return;
    }
    if (count > (uint32_t)s->invlpgb_max) {
        lazy_mmu_sim_violation(s, "x86: INVLPGB count above CPUID Fn8000_0008_EDX[15:0]");
        return;
    }
    /* PCID (rAX[1], EDX[27:16]) or ASID (rAX[2], EDX[15:0]) of another
     * address space than the model's: nothing of its to drop. */
    if (((rax & 2u) && ((edx >> 16) & 0xfffu) != 0) || ((rax & 4u) && (edx & 0xffffu) != 0))
        return;
    if (!by_va) {
        if (global)
            s->inval_all_pending = true;
        else
            s->invlpgb_ng_all = true;
        return;
    }
    for (k = 0; k <= count; k++, va += stride) {
        if (global)
            lazy_mmu__sim_queue_inval(s, va);
        else
            lazy_mmu__sim_queue(s, va, s->invlpgb_ng, s->invlpgb_ng_list, &s->ninvlpgb_ng);
    }
}

/* What every INVLPGB issued so far selected is gone from every CPU's TLB. */
static inline void lazy_mmu__x86_tlbsync(struct lazy_mmu *m)
{
    struct lazy_mmu_sim *s = lazy_mmu__sim_of(m);
    unsigned c;
    size_t i;

    s->n.tlbsync++;
    if (s->invlpgb_max < 0) {
        lazy_mmu_sim_violation(s, "x86: TLBSYNC on a CPU without it (#UD)");
        return;
    }
    (void)lazy_mmu__sim_complete_invals_on(s, true);
    while (s->ninvlpgb_ng) {
        i = s->invlpgb_ng_list[--s->ninvlpgb_ng];
        s->invlpgb_ng[i] = 0;
        for (c = 0; c < s->ncpus; c++)
            if (s->tlb_state[c][i] != LAZY_MMU_SIM_GLOBAL)
                s->tlb_state[c][i] = LAZY_MMU_SIM_EMPTY;
    }
    if (s->invlpgb_ng_all) {
        s->invlpgb_ng_all = false;
        for (c = 0; c < s->ncpus; c++)
            for (i = 0; i < s->npages; i++)
                if (s->tlb_state[c][i] != LAZY_MMU_SIM_GLOBAL)
                    s->tlb_state[c][i] = LAZY_MMU_SIM_EMPTY;
    }
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
