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
#define LAZY_MMU_SIM_FIELDS                     \
    uint32_t pkru;                              \
    unsigned long rdpkru, wrpkru;               \
    unsigned long pkru_denied_stores;           \
    uint32_t pkru_at_store[LAZY_MMU_SIM_PAGES]; \
    LAZY_MMU__SIM_X86_EPT_FIELDS

struct lazy_mmu_sim;
static inline void lazy_mmu__x86_sim_init(struct lazy_mmu_sim *s);
static inline void lazy_mmu__x86_sim_store(struct lazy_mmu_sim *s, size_t i);
#define LAZY_MMU_SIM_ON_INIT(s) lazy_mmu__x86_sim_init(s)
#define LAZY_MMU_SIM_ON_STORE(s, i, pte) lazy_mmu__x86_sim_store((s), (i))

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
