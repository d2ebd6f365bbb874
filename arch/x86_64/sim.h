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
 * PCIDs are the model's address spaces (model.h): INVLPG and a CR3 reload
 * act on the CPU's current PCID (cur_space), INVPCID on the one it names.
 *
 * INVLPGB (LAZY_MMU_X86_64_INVLPGB) is AMD's (APM vol. 3 "INVLPGB", "TLBSYNC",
 * CPUID Fn8000_0008 in appendix E): what it selects is dropped on every CPU,
 * but only at the issuing CPU's TLBSYNC - the latest moment the manual
 * allows.  Global entries go only with rAX[3], one PCID's only with rAX[1];
 * the model's CPUs run host code (ASID 0), so a form naming another SVM
 * ASID drops nothing.  invlpgb_max is the CPU's CPUID Fn8000_0008_EDX[15:0], -1 for a
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
/* One level up (a PDE), PS (bit 7) makes a valid entry a 2 MiB page, else
 * it points to a page table (SDM 4.5). */
#define LAZY_MMU_SIM_IS_TABLE(pte) (((pte) & ((lazy_mmu_pte_t)1 << 7)) == 0)
#define LAZY_MMU_SIM_TABLE_PTE(j) ((lazy_mmu_pte_t)0x3 | (lazy_mmu_pte_t)(0x7000000u + (j)) << 12)
#if LAZY_MMU_STAGE2
/* EPT: present when any of R, W, X (bits 2:0) or, with mode-based execute
 * control, user-execute (bit 10) is set.  Bit 8 is the accessed flag: EPT
 * has no global entries. */
#define LAZY_MMU_SIM_VALID(pte) (((pte) & 0x407u) != 0)
#define LAZY_MMU_SIM_IS_GLOBAL(pte) 0
#else
/* P (bit 0); G (bit 8) keeps a translation through a CR3 write when
 * CR4.PGE = 1 (SDM 4.10.2.4), as the model's CPU has it. */
#define LAZY_MMU_SIM_VALID(pte) (((pte) & 1u) != 0)
#define LAZY_MMU_SIM_IS_GLOBAL(pte) (((pte) & ((lazy_mmu_pte_t)1 << 8)) != 0)
#endif

/* PKRU: the model's page-table pages are user pages carrying protection key
 * LAZY_MMU_X86_64_PKRU_KEY (the key the embedder maps them with), so a store to
 * pt[] while PKRU sets that key's AD or WD bit is a violation (the hardware
 * would fault, SDM 4.6.2).  pkru starts at 0, the architectural reset value:
 * every key open.  pkru_at_store[i] is PKRU at the last store to pt[i], all
 * ones before the first.  EPT: eptp is the EPTP the tables hang from (the
 * VMCS's); invept_fail makes the next INVEPT fail (VMfailValid). */
#if LAZY_MMU_STAGE2
#define LAZY_MMU__SIM_X86_64_EPT_FIELDS \
    uint64_t eptp;                   \
    bool invept_fail;
#else
#define LAZY_MMU__SIM_X86_64_EPT_FIELDS
#endif
/* INVLPGB: the CPU's count (or -1); what it issued waits in the model's
 * queue (inval[], inval_all_pending) until a TLBSYNC. */
#if LAZY_MMU_X86_64_INVLPGB
#ifndef LAZY_MMU_SIM_X86_64_INVLPGB_MAX
#define LAZY_MMU_SIM_X86_64_INVLPGB_MAX 7 /* what Zen 3 reports: 8 pages */
#endif
#define LAZY_MMU__SIM_X86_64_INVLPGB_FIELDS int32_t invlpgb_max;
#else
#define LAZY_MMU__SIM_X86_64_INVLPGB_FIELDS
#endif
#define LAZY_MMU_SIM_FIELDS                     \
    uint32_t pkru;                              \
    unsigned long rdpkru, wrpkru;               \
    unsigned long pkru_denied_stores;           \
    uint32_t pkru_at_store[LAZY_MMU_SIM_PAGES]; \
    LAZY_MMU__SIM_X86_64_EPT_FIELDS                \
    LAZY_MMU__SIM_X86_64_INVLPGB_FIELDS

struct lazy_mmu_sim;
static inline void lazy_mmu__x86_64_sim_init(struct lazy_mmu_sim *s);
static inline void lazy_mmu__x86_64_sim_store(struct lazy_mmu_sim *s, size_t i);
#define LAZY_MMU_SIM_ON_INIT(s) lazy_mmu__x86_64_sim_init(s)
#define LAZY_MMU_SIM_ON_STORE(s, i, pte) lazy_mmu__x86_64_sim_store((s), (i))
#if LAZY_MMU_X86_64_INVLPGB
/* lazy_mmu_init runs before the context has a simulated CPU to ask; the
 * backend's CPUID check (policy.h) runs again once it has one. */
static inline void lazy_mmu__x86_64_invlpgb_probe(struct lazy_mmu *m);
#define LAZY_MMU_SIM_ON_ATTACH(m, s) ((void)(s), lazy_mmu__x86_64_invlpgb_probe(m))
#endif

#include "../sim/model.h"

static inline void lazy_mmu__x86_64_sim_init(struct lazy_mmu_sim *s)
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
#if LAZY_MMU_X86_64_INVLPGB
    s->invlpgb_max = LAZY_MMU_SIM_X86_64_INVLPGB_MAX;
#endif
}

static inline void lazy_mmu__x86_64_sim_store(struct lazy_mmu_sim *s, size_t i)
{
    s->pkru_at_store[i] = s->pkru;
    if (s->pkru & ((uint32_t)3 << (2 * LAZY_MMU_X86_64_PKRU_KEY))) {
        s->pkru_denied_stores++;
        lazy_mmu_sim_violation(s, "x86: page-table store while PKRU denies its key");
    }
}

/* INVLPG, CR3 and CR4 writes act on the linear mappings: with EPT they are
 * not required to drop a single guest-physical or combined mapping. */
static inline void lazy_mmu__x86_64_invlpg(struct lazy_mmu *m, uintptr_t va)
{
    struct lazy_mmu_sim *s = lazy_mmu__sim_of(m);
    size_t i = lazy_mmu__sim_index(s, va);
    s->n.invlpg++;
    /* The current PCID's entries for the page, and global ones. */
    if (!LAZY_MMU_STAGE2 && i < s->npages)
        lazy_mmu__sim_drop_sel_on(s, i, false, s->cur_space[s->cpu] & 0xffffu);
}

/* The current PCID's non-global entries. */
static inline void lazy_mmu__x86_64_flush_nonglobal(struct lazy_mmu *m)
{
    struct lazy_mmu_sim *s = lazy_mmu__sim_of(m);
    s->n.cr3_reload++;
    if (LAZY_MMU_STAGE2)
        return;
    lazy_mmu__sim_drop_all_sel_on(s, false,
                                  (s->cur_space[s->cpu] & 0xffffu) | LAZY_MMU_SIM_SEL_NONGLOBAL);
}

#if LAZY_MMU_X86_64_INVPCID
/* Types 0 and 1 name a PCID, loaded or not, and keep global entries; 2
 * drops everything; 3 everything but global entries. */
static inline void lazy_mmu__x86_64_invpcid(struct lazy_mmu *m, uint64_t type, uint32_t pcid,
                                         uintptr_t addr)
{
    struct lazy_mmu_sim *s = lazy_mmu__sim_of(m);
    const uint32_t one = (pcid & 0xfffu) | LAZY_MMU_SIM_SEL_NONGLOBAL;
    size_t i = lazy_mmu__sim_index(s, addr);

    if (pcid > 0xfffu)
        lazy_mmu_sim_violation(s, "x86: INVPCID with a PCID above 4095 (#GP)");
    if (type == 0) {
        s->n.invpcid_addr++;
        if (i < s->npages)
            lazy_mmu__sim_drop_sel_on(s, i, false, one);
    } else if (type == 1) {
        s->n.invpcid_single++;
        lazy_mmu__sim_drop_all_sel_on(s, false, one);
    } else if (type == 2) {
        s->n.global_flush++;
        lazy_mmu__sim_drop_all(s);
    } else if (type == 3) {
        s->n.cr3_reload++;
        lazy_mmu__sim_drop_all_sel_on(s, false, LAZY_MMU_SIM_SEL_ANY | LAZY_MMU_SIM_SEL_NONGLOBAL);
    } else {
        lazy_mmu_sim_violation(s, "x86: INVPCID of an undefined type (#GP)");
    }
}
#endif

static inline void lazy_mmu__x86_64_flush_all(struct lazy_mmu *m)
{
    struct lazy_mmu_sim *s = lazy_mmu__sim_of(m);
    s->n.global_flush++;
    if (!LAZY_MMU_STAGE2)
        lazy_mmu__sim_drop_all(s);
}

#if LAZY_MMU_STAGE2
/* INVEPT: type 1 drops the mappings derived from the EPT that EPTP[51:12]
 * names (here nothing, unless that is sim.eptp), type 2 those of every EPT. */
static inline bool lazy_mmu__x86_64_invept(struct lazy_mmu *m, uint64_t type, uint64_t eptp)
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

#if LAZY_MMU_X86_64_INVLPGB
/* CPUID Fn8000_0008 of the model's CPU.  Before attach (lazy_mmu_init) there
 * is none: 0, always a valid count; attach asks again. */
static inline int32_t lazy_mmu__x86_64_invlpgb_max(struct lazy_mmu *m)
{
    return m->sim == NULL ? 0 : lazy_mmu__sim_of(m)->invlpgb_max;
}

/* The model's walker never lags a store (WALKER_LAGS 0): counted only. */
static inline void lazy_mmu__x86_64_mfence(struct lazy_mmu *m)
{
    lazy_mmu__sim_of(m)->n.mfence++;
}

static inline void lazy_mmu__x86_64_invlpgb(struct lazy_mmu *m, uint64_t rax, uint32_t ecx,
                                         uint32_t edx)
{
    struct lazy_mmu_sim *s = lazy_mmu__sim_of(m);
    const bool by_va = (rax & 1u) != 0, global = (rax & 8u) != 0;
    const uint32_t count = ecx & 0xffffu;
    const uintptr_t stride = (uintptr_t)1 << ((ecx >> 31) ? 21 : 12);
    uintptr_t va = (uintptr_t)(rax & ~(uint64_t)0xfff);
    uint32_t k, sel;

    s->n.invlpgb++;
    if (s->invlpgb_max < 0) {
        lazy_mmu_sim_violation(s, "x86: INVLPGB on a CPU without it (#UD)");
        return;
    }
    if (count > (uint32_t)s->invlpgb_max) {
        lazy_mmu_sim_violation(s, "x86: INVLPGB count above CPUID Fn8000_0008_EDX[15:0]");
        return;
    }
    /* An SVM ASID (rAX[2], EDX[15:0]) other than the host's: nothing of
     * its to drop.  A PCID (rAX[1], EDX[27:16]): that space's entries. */
    if ((rax & 4u) && (edx & 0xffffu) != 0)
        return;
    sel = ((rax & 2u) ? (edx >> 16) & 0xfffu : LAZY_MMU_SIM_SEL_ANY) |
          (global ? 0 : LAZY_MMU_SIM_SEL_NONGLOBAL);
    if (!by_va) {
        lazy_mmu__sim_queue_all(s, sel);
        return;
    }
    for (k = 0; k <= count; k++, va += stride)
        lazy_mmu__sim_queue_inval_sel(s, va, sel);
}

/* What every INVLPGB issued so far selected is gone from every CPU's TLB. */
static inline void lazy_mmu__x86_64_tlbsync(struct lazy_mmu *m)
{
    struct lazy_mmu_sim *s = lazy_mmu__sim_of(m);

    s->n.tlbsync++;
    if (s->invlpgb_max < 0) {
        lazy_mmu_sim_violation(s, "x86: TLBSYNC on a CPU without it (#UD)");
        return;
    }
    (void)lazy_mmu__sim_complete_invals_on(s, true);
}
#endif

static inline uint32_t lazy_mmu__x86_64_rdpkru(struct lazy_mmu *m)
{
    struct lazy_mmu_sim *s = lazy_mmu__sim_of(m);
    s->rdpkru++;
    return s->pkru;
}

static inline void lazy_mmu__x86_64_wrpkru(struct lazy_mmu *m, uint32_t pkru)
{
    struct lazy_mmu_sim *s = lazy_mmu__sim_of(m);
    s->wrpkru++;
    s->pkru = pkru;
}

#endif
