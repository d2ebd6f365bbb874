/* arch/generic/facts.h - what a backend's hardware needs, as facts
 * (Concurrency Kit's CK_F_* habit).  Part of the generic layer.
 * SPDX-License-Identifier: MIT
 *
 * The backend's types.h defines those that hold, to 1; the generic layer
 * (arch/generic/update.h) makes every decision from them.
 *   F_PAGE_INVAL      there is a per-page invalidation (EPT: none, so every
 *                     change is a full one)
 *   F_PAGE_INVAL_LEAF the per-page form covers leaf entries only: an
 *                     explicit request, which may be for a table, is a
 *                     full one (riscv SFENCE.VMA with an address)
 *   F_LEAF_FORMS      beside the per-page form that drops walk-cache
 *                     entries too, a leaf-only one that keeps them
 *                     (aarch64 TLBI VALE1IS / VAALE1IS): used for a batch
 *                     of leaf changes only; the backend then supplies
 *                     lazy_mmu__arch_inval_page_leaf
 *   F_CACHES_INVALID  the TLB may hold an invalid entry: invalid->valid
 *                     owes the page an invalidation (riscv without Svvptc)
 *   F_WALK_BARRIER    the walker sees a store only after a barrier:
 *                     invalid->valid owes one (aarch64)
 *   F_BBM             a change of output address of a valid entry needs
 *                     break-before-make (aarch64); the backend then names
 *                     LAZY_MMU__ARCH_PTE_VALID and LAZY_MMU__ARCH_PTE_OA
 *   F_GLOBAL          an entry may be global and a full flush that drops
 *                     global entries is another instruction (x86)
 *   F_QUEUES_WRITES   the backend writes the entries itself, later
 *                     (paravirt: a hypercall)
 *   F_BROADCAST       its invalidations reach every CPU by themselves
 *                     (aarch64 TLBI ...IS, a hypervisor's): no
 *                     LAZY_MMU_SHOOTDOWN round (generic/remote.h)
 *   F_SPACES          there are per-address-space forms: its inval_page /
 *                     inval_range / inval_all act on the ASID they are
 *                     given, and LAZY_MMU__ARCH_SPACE_MAX is the largest
 *                     (without: every ASID is taken as LAZY_MMU_SPACE_ALL,
 *                     and any up to 0xffff is accepted) */
#ifndef LAZY_MMU_GENERIC_FACTS_H
#define LAZY_MMU_GENERIC_FACTS_H

#ifndef LAZY_MMU__F_PAGE_INVAL
#define LAZY_MMU__F_PAGE_INVAL 1
#endif
#ifndef LAZY_MMU__F_PAGE_INVAL_LEAF
#define LAZY_MMU__F_PAGE_INVAL_LEAF 0
#endif
#ifndef LAZY_MMU__F_LEAF_FORMS
#define LAZY_MMU__F_LEAF_FORMS 0
#endif
#ifndef LAZY_MMU__F_CACHES_INVALID
#define LAZY_MMU__F_CACHES_INVALID 0
#endif
#ifndef LAZY_MMU__F_WALK_BARRIER
#define LAZY_MMU__F_WALK_BARRIER 0
#endif
#ifndef LAZY_MMU__F_BBM
#define LAZY_MMU__F_BBM 0
#endif
#ifndef LAZY_MMU__F_GLOBAL
#define LAZY_MMU__F_GLOBAL 0
#endif
#ifndef LAZY_MMU__F_BROADCAST
#define LAZY_MMU__F_BROADCAST 0
#endif
#ifndef LAZY_MMU__F_SPACES
#define LAZY_MMU__F_SPACES 0
#endif
#ifndef LAZY_MMU__ARCH_SPACE_MAX
#define LAZY_MMU__ARCH_SPACE_MAX 0xffffu
#endif
#ifndef LAZY_MMU__F_QUEUES_WRITES
#define LAZY_MMU__F_QUEUES_WRITES 0
#endif

#endif
