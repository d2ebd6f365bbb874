/* arch/x86_64/types.h - x86_64 backend: defaults and per-context fields.
 * SPDX-License-Identifier: MIT
 */
#ifndef LAZY_MMU_X86_64_TYPES_H
#define LAZY_MMU_X86_64_TYPES_H

/* Linux's tlb_single_page_flush_ceiling: past 33 INVLPGs a CR3 reload and the
 * refills it causes are cheaper. */
#ifndef LAZY_MMU_FLUSH_ALL_THRESHOLD
#define LAZY_MMU_FLUSH_ALL_THRESHOLD 33
#endif
#ifndef LAZY_MMU_BATCH_MAX
#define LAZY_MMU_BATCH_MAX 32
#endif
/* Define to 1 if any entry changed through lazymmu may have G (bit 8) set and
 * you want full flushes to drop global entries even before one is seen. */
#ifndef LAZY_MMU_X86_64_GLOBAL_PAGES
#define LAZY_MMU_X86_64_GLOBAL_PAGES 0
#endif
/* Define to 1 on CPUs with INVPCID to flush everything with type 2 instead of
 * toggling CR4.PGE. */
#ifndef LAZY_MMU_X86_64_INVPCID
#define LAZY_MMU_X86_64_INVPCID 0
#endif

/* Define to 1 when the page tables are mapped (user pages, CR0.WP = 1,
 * CR4.PKE = 1) with protection key LAZY_MMU_X86_64_PKRU_KEY, write-disabled in
 * PKRU except while they are being written.  lazy_mmu_enter() then saves
 * PKRU in the section's state and opens that key (clears its AD and WD bits,
 * nothing else); lazy_mmu_leave() puts back exactly what its enter saw, so
 * nested sections unwind correctly and a PKRU changed inside a section does
 * not outlive it.  A section costs one WRPKRU pair (none more when nested)
 * instead of a pair per write; an eager lazy_mmu_set_pte() outside any
 * section opens the key around its single store.  Inside a section the key is assumed open: code
 * that closes it there must open it again before the next lazy_mmu_set_pte.
 * lazy_mmu_get_pte() reads the tables without opening the key, so the key
 * should deny writes only (WD), not reads (AD).  Needs CPUID.(EAX=7,ECX=0):
 * ECX.PKU and CR4.PKE = 1 (else RDPKRU/WRPKRU raise #UD). */
#ifndef LAZY_MMU_X86_64_PKRU
#define LAZY_MMU_X86_64_PKRU 0
#endif
/* The protection key (0-15) of the page-table pages. */
#ifndef LAZY_MMU_X86_64_PKRU_KEY
#define LAZY_MMU_X86_64_PKRU_KEY 1
#endif
#if LAZY_MMU_X86_64_PKRU_KEY < 0 || LAZY_MMU_X86_64_PKRU_KEY > 15
#error "lazymmu: LAZY_MMU_X86_64_PKRU_KEY must be a protection key, 0-15"
#endif

/* Define to 1 in a hypervisor (VMX root, CPL 0) whose context manages one
 * guest's EPT (extended page tables) instead of its own paging structures:
 * entries are EPT entries, present when any of bits 2:0 (R, W, X) or bit 10
 * (user-execute, present only with mode-based execute control; counting it
 * always costs at most an INVEPT nobody needed) is set, and every va
 * argument is a guest-physical address.  INVEPT has no per-address form:
 * whatever changed in a batch, one INVEPT at the visibility point drops
 * every guest-physical and combined mapping derived from that EPT (SDM 3C
 * "Invalidating Cached Translation Information"), so a section of N changes
 * costs one INVEPT instead of N.  Single-context (type 1) with the EPTP given
 * to lazy_mmu_x86_64_set_eptp(), all-context (type 2) before one is given or
 * with LAZY_MMU_X86_64_EPT_ALL_CONTEXT.  The types must be supported
 * (IA32_VMX_EPT_VPID_CAP bits 20, 25, 26): a failing INVEPT calls
 * LAZY_MMU_PANIC in every build, since nothing else can drop the guest's
 * stale mappings.  INVEPT acts on this logical processor only: the other
 * CPUs that ran the guest need the embedder's IPIs, as for INVLPG.
 * LAZY_MMU_X86_64_PKRU combines with it (the key guards the stores to the
 * table pages, whatever format they hold). */
#ifndef LAZY_MMU_STAGE2
#define LAZY_MMU_STAGE2 0
#endif
/* With LAZY_MMU_STAGE2: always INVEPT all-context, even once an EPTP is
 * set (CPUs without single-context INVEPT, or one context for several
 * EPTPs that share tables). */
#ifndef LAZY_MMU_X86_64_EPT_ALL_CONTEXT
#define LAZY_MMU_X86_64_EPT_ALL_CONTEXT 0
#endif
#if LAZY_MMU_STAGE2 && LAZY_MMU_X86_64_GLOBAL_PAGES
#error                                                                                             \
    "lazymmu: LAZY_MMU_X86_64_GLOBAL_PAGES does not apply to EPT (LAZY_MMU_STAGE2): EPT entries have no global bit (bit 8 is the accessed flag) and INVEPT drops every mapping of the EPTP"
#endif
#if LAZY_MMU_STAGE2 && LAZY_MMU_X86_64_INVPCID
#error                                                                                             \
    "lazymmu: LAZY_MMU_X86_64_INVPCID does not apply to EPT (LAZY_MMU_STAGE2): INVEPT, not INVPCID, invalidates guest-physical mappings"
#endif

/* Define to 1 on AMD CPUs with INVLPGB and TLBSYNC (CPUID
 * Fn8000_0008_EBX[3]; Zen 3 on) to invalidate by broadcast: every
 * invalidation reaches every logical processor by itself, so visibility
 * points never call LAZY_MMU_SHOOTDOWN (no IPIs).  A run of pages is one
 * INVLPGB per CPUID Fn8000_0008_EDX[15:0] + 1 pages, a full flush one
 * INVLPGB of everything (global entries too when it would toggle CR4.PGE
 * without this option), and a visibility point ends with one TLBSYNC, which
 * waits until every INVLPGB this CPU issued has completed on every CPU
 * (AMD64 APM vol. 3, "INVLPGB" and "TLBSYNC").  They invalidate the host's
 * (ASID 0) translations of every PCID, or in an SVM guest the guest's own.
 * lazy_mmu_init() calls LAZY_MMU_PANIC when the CPU lacks them.  Both are
 * privileged (run the library at CPL 0, as for INVLPG), and the sequence
 * from the first INVLPGB to the TLBSYNC must stay on one CPU (preemption
 * off, as every section already requires).  LAZY_MMU_X86_64_GLOBAL_PAGES and LAZY_MMU_X86_64_PKRU
 * combine with it; LAZY_MMU_X86_64_INVPCID (another full flush) and
 * LAZY_MMU_STAGE2 (Intel's EPT; AMD has none) do not. */
#ifndef LAZY_MMU_X86_64_INVLPGB
#define LAZY_MMU_X86_64_INVLPGB 0
#endif
#if LAZY_MMU_X86_64_INVLPGB && LAZY_MMU_STAGE2
#error                                                                                             \
    "lazymmu: LAZY_MMU_X86_64_INVLPGB does not apply to EPT (LAZY_MMU_STAGE2): EPT and INVEPT are Intel's, INVLPGB is AMD's and invalidates linear translations"
#endif
#if LAZY_MMU_X86_64_INVLPGB && LAZY_MMU_X86_64_INVPCID
#error                                                                                             \
    "lazymmu: LAZY_MMU_X86_64_INVLPGB and LAZY_MMU_X86_64_INVPCID both choose the full flush (INVLPGB's invalidate-everything form, INVPCID type 2): define one"
#endif
#if LAZY_MMU_X86_64_INVLPGB && LAZY_MMU_PAGE_SHIFT != 12 && LAZY_MMU_PAGE_SHIFT != 21
#error                                                                                             \
    "lazymmu: LAZY_MMU_X86_64_INVLPGB counts pages of 4 KiB or 2 MiB (ECX[31]): LAZY_MMU_PAGE_SHIFT must be 12 or 21"
#endif

/* This backend implements LAZY_MMU_STAGE2. */
#define LAZY_MMU__ARCH_HAS_STAGE2 1

/* The facts (lazymmu.h): x86 never caches not-present entries (SDM 4.10.2.3)
 * and its walker sees the CPU's own stores, so every write goes straight to
 * memory and only a valid old entry owes an invalidation.  Paging entries
 * may be global (G, bit 8), which a CR3 reload keeps.  EPT has no global
 * bit and INVEPT no per-address form. */
#if LAZY_MMU_STAGE2
#define LAZY_MMU__F_PAGE_INVAL 0
#else
#define LAZY_MMU__F_GLOBAL 1
#endif
/* PCIDs are 12 bits (CR3[11:0]); EPT has none. */
#define LAZY_MMU__F_SPACES (!LAZY_MMU_STAGE2)
#define LAZY_MMU__ARCH_SPACE_MAX 0xfffu
/* INVLPGB acts on every logical processor (APM vol. 3, "INVLPGB"). */
#if LAZY_MMU_X86_64_INVLPGB
#define LAZY_MMU__F_BROADCAST 1
#endif

#if LAZY_MMU_X86_64_PKRU
/* Only the PKRU value: with release builds the whole lazy_mmu_state_t is 8
 * bytes and still travels in a register. */
#define LAZY_MMU__ARCH_HAS_STATE 1
struct lazy_mmu__arch_state {
    uint32_t pkru; /* as lazy_mmu_enter found it */
};
#else
#define LAZY_MMU__ARCH_HAS_STATE 0
#endif

#define LAZY_MMU_X86_64_PTE_P ((lazy_mmu_pte_t)1 << 0)
#define LAZY_MMU_X86_64_PTE_G ((lazy_mmu_pte_t)1 << 8)
/* EPT: R, W, X and, with mode-based execute control, user-execute (bit 10);
 * an entry with none of them is not present and never cached (SDM 3C, "EPT
 * Translation Mechanism"). */
#define LAZY_MMU_X86_64_EPT_PRESENT ((lazy_mmu_pte_t)0x407)

#if LAZY_MMU_STAGE2
struct lazy_mmu__arch {
    uint64_t eptp; /* for single-context INVEPT; 0: none set, all-context */
};

static inline bool lazy_mmu__arch_pte_valid(lazy_mmu_pte_t pte)
{
    return (pte & LAZY_MMU_X86_64_EPT_PRESENT) != 0;
}
#else
struct lazy_mmu__arch {
#if LAZY_MMU_X86_64_INVLPGB
    uint16_t invlpgb_max; /* CPUID Fn8000_0008_EDX[15:0]: most extra pages
                             one INVLPGB takes (ECX[15:0]); set at init */
#else
    char unused; /* everything x86 defers lives in the generic batch */
#endif
};

static inline bool lazy_mmu__arch_pte_valid(lazy_mmu_pte_t pte)
{
    return (pte & LAZY_MMU_X86_64_PTE_P) != 0;
}

static inline bool lazy_mmu__arch_pte_global(lazy_mmu_pte_t pte)
{
    return (pte & LAZY_MMU_X86_64_PTE_G) != 0;
}
#endif

#endif
