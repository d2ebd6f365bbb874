/* arch/paravirt/types.h - paravirtual backend: the hypercall interface.
 * SPDX-License-Identifier: MIT
 *
 * The guest cannot write its page tables; a hypervisor applies updates for
 * it, so every update is a hypercall when done eagerly.  A section queues the
 * updates and sends them in one call per batch, in the style of Xen's
 * mmu_update: an array of 16-byte ops, the command in the low bits of ptr.
 *
 *   op                      ptr                        val
 *   LAZY_MMU_PARAVIRT_SET         address of the entry | 0   new entry
 *   LAZY_MMU_PARAVIRT_INVLPG      first page's VA | 1        number of pages
 *   LAZY_MMU_PARAVIRT_INVAL_ALL   2                          0
 *   LAZY_MMU_PARAVIRT_INVLPG_ASID first page's VA | 3        number of pages |
 *                                                      ASID << 32
 *   LAZY_MMU_PARAVIRT_INVAL_ASID  4                          ASID
 *
 * The _ASID forms drop one address space's non-global translations (a
 * context in a named space, lazy_mmu_set_space); the others every space's.
 *
 * The embedder supplies the call as a function or macro:
 *
 *   #define LAZY_MMU_PARAVIRT_COMMIT my_hypercall
 *   size_t my_hypercall(void *hv, const struct lazy_mmu_paravirt_op *ops, size_t n);
 *
 * It applies ops[0..n) in order, stops at the first it cannot apply and
 * returns how many it applied (n on success).  hv is what the embedder passed
 * to lazy_mmu_paravirt_set_hypervisor().  A visibility point sends one call: the
 * queued updates (SETs, one per entry with its last value, in the order of
 * their last update, at most LAZY_MMU_PARAVIRT_QUEUE_MAX) followed by the
 * invalidations that make them visible (at most LAZY_MMU_BATCH_MAX INVLPGs,
 * or one INVAL_ALL once more than LAZY_MMU_FLUSH_ALL_THRESHOLD pages are
 * owed), so never more than LAZY_MMU_PARAVIRT_QUEUE_MAX + LAZY_MMU_BATCH_MAX ops.
 * Inside a section a full queue is sent on its own, SETs only: the
 * invalidations of those updates wait for the visibility point, where they
 * are counted with the rest (so a long section still ends in one INVAL_ALL,
 * not one INVLPG per page).  Invalidation ops name guest virtual addresses
 * of the current address space; the hypervisor performs the TLB maintenance
 * its architecture needs, on every vCPU that may cache them (Xen: the
 * commit sends them as MMUEXT_INVLPG_MULTI / MMUEXT_TLB_FLUSH_MULTI with
 * the address space's vCPU mask, or the _ALL forms), so the other CPUs'
 * round rides in the same call: no LAZY_MMU_SHOOTDOWN (F_BROADCAST).
 *
 * A short count is an error: LAZY_MMU_PARAVIRT_ERROR(m, index, op) is called with the
 * index of the first op not applied and a pointer to it.  The
 * default panics.  If an overriding hook returns, the unapplied updates stay
 * queued in order (lazy_mmu_get_pte still sees them) and the invalidations
 * stay pending; the next visibility point sends them again.  Nothing is
 * dropped or reordered.  One case cannot continue: a call forced by a full
 * queue (inside a section) that applies nothing leaves no room for the
 * update that forced it, so lazymmu panics ("write queue still full after a
 * failed commit") rather than drop it.
 */
#ifndef LAZY_MMU_PARAVIRT_TYPES_H
#define LAZY_MMU_PARAVIRT_TYPES_H

/* Xen PV guests are x86 guests: Linux's tlb_single_page_flush_ceiling. */
#ifndef LAZY_MMU_FLUSH_ALL_THRESHOLD
#define LAZY_MMU_FLUSH_ALL_THRESHOLD 33
#endif
/* Pending page ranges; their INVLPG ops ride in the same call. */
#ifndef LAZY_MMU_BATCH_MAX
#define LAZY_MMU_BATCH_MAX 16
#endif
/* Updates per call: Linux batches 32 entries per Xen multicall. */
#ifndef LAZY_MMU_PARAVIRT_QUEUE_MAX
#define LAZY_MMU_PARAVIRT_QUEUE_MAX 32
#endif
/* The guest's "present" bit. */
#ifndef LAZY_MMU_PARAVIRT_VALID
#define LAZY_MMU_PARAVIRT_VALID ((lazy_mmu_pte_t)1)
#endif

#define LAZY_MMU_PARAVIRT_SET 0u
#define LAZY_MMU_PARAVIRT_INVLPG 1u
#define LAZY_MMU_PARAVIRT_INVAL_ALL 2u
#define LAZY_MMU_PARAVIRT_INVLPG_ASID 3u
#define LAZY_MMU_PARAVIRT_INVAL_ASID 4u
#define LAZY_MMU_PARAVIRT_CMD_MASK 7u

struct lazy_mmu_paravirt_op {
    uint64_t ptr;
    uint64_t val;
};

/* The fact (lazymmu.h): the guest cannot write its tables; the backend
 * queues every write for the hypervisor. */
#define LAZY_MMU__F_QUEUES_WRITES 1
#define LAZY_MMU__F_BROADCAST 1
/* The ops carry an address space (the _ASID forms). */
#define LAZY_MMU__F_SPACES 1
#define LAZY_MMU__ARCH_SPACE_MAX 0xffffu
#define LAZY_MMU__ARCH_HAS_STATE 0

/* The queue is the call's own op array: SETs in ops[0..nops), the
 * invalidation ops appended behind them (ninval) when a visibility point
 * sends it. */
struct lazy_mmu__arch {
    void *hv; /* passed to LAZY_MMU_PARAVIRT_COMMIT */
    unsigned nops, ninval;
    /* A bit per queued entry's address, hashed: a clear bit means "not
     * queued" without a search (lazy_mmu__paravirt_find). */
    uint64_t filter;
    struct lazy_mmu_paravirt_op ops[LAZY_MMU_PARAVIRT_QUEUE_MAX + LAZY_MMU_BATCH_MAX];
};

static inline bool lazy_mmu__arch_pte_valid(lazy_mmu_pte_t pte)
{
    return (pte & LAZY_MMU_PARAVIRT_VALID) != 0;
}

#endif
