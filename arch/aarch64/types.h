/* arch/aarch64/types.h - aarch64 backend: defaults and per-context fields.
 * SPDX-License-Identifier: MIT
 */
#ifndef LAZY_MMU_AARCH64_TYPES_H
#define LAZY_MMU_AARCH64_TYPES_H

/* Linux's MAX_DVM_OPS: beyond 512 broadcast TLBIs one TLBI VMALLE1IS is
 * cheaper for every CPU in the inner-shareable domain. */
#ifndef LAZY_MMU_FLUSH_ALL_THRESHOLD
#define LAZY_MMU_FLUSH_ALL_THRESHOLD 512
#endif
/* Also bounds the break-before-make writes waiting for their invalidation. */
#ifndef LAZY_MMU_BATCH_MAX
#define LAZY_MMU_BATCH_MAX 64
#endif
/* Output-address bits of a 4K-granule leaf entry (48-bit OA). */
#ifndef LAZY_MMU_AARCH64_OA_MASK
#define LAZY_MMU_AARCH64_OA_MASK ((lazy_mmu_pte_t)0x0000fffffffff000ull)
#endif

/* A valid entry replaced by one with another output address must be broken
 * first: the new entry is written only after the old translation is gone, so
 * it waits in the queue (ARM ARM D8.14, "Break-before-make"). */
#define LAZY_MMU_ARCH_QUEUES_WRITES 1
#define LAZY_MMU_ARCH_HAS_STATE 0

struct lazy_mmu_arch {
    char unused; /* everything aarch64 defers lives in the generic batch */
};

static inline bool lazy_mmu_arch_pte_valid(lazy_mmu_pte_t pte)
{
    return (pte & 1) != 0;
}

#endif
