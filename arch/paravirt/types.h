/* arch/paravirt/types.h - paravirtual backend: the hypercall interface.
 * SPDX-License-Identifier: MIT
 *
 * The guest cannot write its page tables; a hypervisor applies updates for
 * it, so every update is a hypercall when done eagerly.  A section queues the
 * updates and sends them in one call per batch, in the style of Xen's
 * mmu_update: an array of 16-byte ops, the command in the low bits of ptr.
 *
 *   op                    ptr                              val
 *   LAZY_MMU_PV_SET       address of the entry | 0         new entry
 *   LAZY_MMU_PV_INVLPG    first page's VA | 1              number of pages
 *   LAZY_MMU_PV_INVAL_ALL 2                                0
 *
 * The embedder supplies the call as a function or macro:
 *
 *   #define LAZY_MMU_PV_COMMIT my_hypercall
 *   size_t my_hypercall(void *hv, const struct lazy_mmu_pv_op *ops, size_t n);
 *
 * It applies ops[0..n) in order, stops at the first it cannot apply and
 * returns how many it applied (n on success).  hv is what the embedder passed
 * to lazy_mmu_pv_set_hypervisor().  One call carries the updates of a batch
 * (SETs in program order, at most LAZY_MMU_BATCH_MAX) followed by the
 * invalidations that make them visible (at most LAZY_MMU_BATCH_MAX INVLPGs or
 * one INVAL_ALL), so it never exceeds 2 * LAZY_MMU_BATCH_MAX ops.  Invalidation
 * ops name guest virtual addresses of the current address space; the
 * hypervisor performs the TLB maintenance its architecture needs.
 *
 * A short count is an error: LAZY_MMU_PV_ERROR(m, index, op) is called with the
 * index of the first op not applied and a pointer to it.  The default panics.
 * If an overriding hook returns, the unapplied updates stay queued in order
 * (lazy_mmu_get_pte still sees them) and the invalidations stay pending; the
 * next visibility point sends them again.  Nothing is dropped or reordered.
 * One case cannot continue: a call forced by a full queue (inside a section)
 * that applies nothing leaves no room for the update that forced it, so
 * lazymmu panics ("write queue still full after a failed commit") rather
 * than drop it.
 */
#ifndef LAZY_MMU_PARAVIRT_TYPES_H
#define LAZY_MMU_PARAVIRT_TYPES_H

#ifndef LAZY_MMU_FLUSH_ALL_THRESHOLD
#define LAZY_MMU_FLUSH_ALL_THRESHOLD 64
#endif
/* Linux batches 32 entries per Xen multicall. */
#ifndef LAZY_MMU_BATCH_MAX
#define LAZY_MMU_BATCH_MAX 32
#endif
/* The guest's "present" bit. */
#ifndef LAZY_MMU_PV_VALID
#define LAZY_MMU_PV_VALID ((lazy_mmu_pte_t)1)
#endif

#define LAZY_MMU_PV_SET 0u
#define LAZY_MMU_PV_INVLPG 1u
#define LAZY_MMU_PV_INVAL_ALL 2u
#define LAZY_MMU_PV_CMD_MASK 7u

struct lazy_mmu_pv_op {
    uint64_t ptr;
    uint64_t val;
};

#define LAZY_MMU_ARCH_QUEUES_WRITES 1
#define LAZY_MMU_ARCH_HAS_STATE 0

struct lazy_mmu_arch {
    void *hv; /* passed to LAZY_MMU_PV_COMMIT */
    struct lazy_mmu_pv_op ops[2 * LAZY_MMU_BATCH_MAX];
};

static inline bool lazy_mmu_arch_pte_valid(lazy_mmu_pte_t pte)
{
    return (pte & LAZY_MMU_PV_VALID) != 0;
}

#endif
