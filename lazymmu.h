/* lazymmu.h - lazy MMU mode for hobby kernels, unikernels and hypervisors.
 * SPDX-License-Identifier: MIT
 *
 * WHAT IT IS
 *   Inside a lazy section, page-table updates and the TLB maintenance they
 *   need (invalidations, barriers, hypercalls) are batched; they become
 *   visible at the latest when the section is left.  Sections nest; each keeps
 *   an opaque lazy_mmu_state_t on its caller's stack.  Outside a section every
 *   call is eager: write, invalidate, fence, then return.
 *
 *   Header-only, freestanding C11 (also C99 and C++): copy lazymmu.h and arch/
 *   into your tree.  No libc, no malloc, no globals: you allocate one
 *   struct lazy_mmu per CPU (or per context that can update page tables on its
 *   own: an interrupt handler that maps pages gets its own) and call
 *   lazy_mmu_init() on it.
 *
 * USAGE
 *     #define LAZY_MMU_ARCH_AARCH64 1      // or let the compiler pick
 *     #include "lazymmu.h"
 *
 *     static struct lazy_mmu cpu_mmu[NCPU];  // lazy_mmu_init() each at boot
 *
 *     void map_run(lazy_mmu_pte_t *ptes, uintptr_t va, uint64_t pa, size_t n) {
 *         struct lazy_mmu *m = &cpu_mmu[this_cpu()];   // preemption off
 *         lazy_mmu_state_t s = lazy_mmu_enter(m);
 *         for (size_t i = 0; i < n; i++)
 *             lazy_mmu_set_pte(m, &ptes[i], (pa + i * 4096) | PTE_FLAGS, va + i * 4096);
 *         lazy_mmu_leave(m, s);    // every update above is now visible
 *     }
 *
 * CONTRACT
 *   s = lazy_mmu_enter(m)        begin a section; sections nest (LIFO).
 *   lazy_mmu_leave(m, s)         end it; when it returns, at any depth, every
 *                                update requested so far on m is visible to
 *                                this CPU's translations.
 *   lazy_mmu_flush(m)            publish all pending work now, without owning a
 *                                state (code running inside somebody else's
 *                                section); no-op when nothing is pending.
 *   s = lazy_mmu_pause(m)        publish, then run eagerly until
 *   lazy_mmu_resume(m, s)        (code that must sleep/lock/allocate); nests.
 *   lazy_mmu_is_active(m)        inside a section and not paused.
 *   lazy_mmu_set_pte(m, p, v, va) set the leaf entry *p that maps va; a valid
 *                                old entry's translation is invalidated by the
 *                                next visibility point (immediately when not
 *                                active).
 *   lazy_mmu_get_pte(m, p)       read an entry as m will have written it
 *                                (queued writes, aarch64 entries mid-BBM).
 *   lazy_mmu_invalidate_page/range/all(m, ...)
 *                                request invalidation for changes made by other
 *                                means (a table page replaced, say).
 *   lazy_mmu_free_frame(m, f)    hand over a frame or table page unmapped in
 *                                this section: released (LAZY_MMU_FREE_FRAME)
 *                                after the visibility point covering it and,
 *                                on SMP, its shootdown (arch/generic/remote.h)
 *   lazy_mmu_shootdown_apply(m, sd)
 *                                on another CPU: drop what a visibility point
 *                                of another context invalidated (SMP, below)
 *   lazy_mmu_link_table(m, p, v, va) / lazy_mmu_unlink_table(m, p, va)
 *                                a table page linked under, or unlinked
 *                                from, the entry *p one level up (walk
 *                                caches dropped by the next visibility
 *                                point: set_pte is for leaves, so a batch
 *                                without an unlink or explicit request may
 *                                use leaf-only forms, aarch64 VA(A)LE1IS);
 *                                blocks / huge pages: lazy_mmu_set_pte
 *                                on that entry, one invalidation each.
 *   lazy_mmu_set_space(m, space) the address space m's later changes belong
 *                                to (SPACES, below); a batch pending for
 *                                another is published first.
 *   Inside a section, an access through a VA whose entry changed in that
 *   section may use the old translation, the new one or (aarch64, pending
 *   break-before-make) fault: call lazy_mmu_flush() first if you need the new.
 *   Nothing is ever dropped; each page is invalidated once per visibility
 *   point, past the threshold all at once (arch/generic/batch.h).
 *   A context belongs to one CPU and is not reentrant: keep preemption off
 *   from choosing the context until after leave, and never use a context from
 *   an interrupt that may have interrupted it; give the handler its own
 *   context (README.md, "Interrupts"; docs/contract.md).
 *
 * SMP  Each visibility point that invalidated anything (every CPU's
 *   translations may hold it) calls LAZY_MMU_SHOOTDOWN(m, sd) once, after
 *   its own CPU's invalidations and before any break-before-make entry is
 *   made: the embedder makes every other CPU that may cache m's translations
 *   run lazy_mmu_shootdown_apply(its_ctx, sd) (IPI, or riscv64's
 *   lazy_mmu_sbi_shootdown) and returns when all have.  sd describes the
 *   batch (pages or everything) and lives until the hook returns.  Backends
 *   whose invalidations reach every CPU by themselves (aarch64 TLBI ...IS,
 *   x86 with LAZY_MMU_X86_64_INVLPGB, paravirt's hypervisor) never call it.
 *   Nothing is remote when nothing was invalidated.  docs/integration.md,
 *   "Other CPUs".
 *
 * SPACES  A context's changes belong to one address space at a time:
 *   LAZY_MMU_SPACE_ALL (after init) - every address space: kernel mappings,
 *   global entries, or a kernel without ASIDs; the all-spaces forms (aarch64
 *   TLBI VAALE1IS / VMALLE1IS, riscv SFENCE.VMA va, x0, x86 INVLPG and CR3
 *   reload or global flush).  An ASID / PCID (0 .. LAZY_MMU_SPACE_MAX): the
 *   per-space forms, so a full flush drops that space only (aarch64 TLBI
 *   VALE1IS / ASIDE1IS, riscv SFENCE.VMA va, asid / x0, asid, x86 INVPCID
 *   type 0 / 1 with LAZY_MMU_X86_64_INVPCID, else INVLPG / CR3 reload, which
 *   reach the current PCID only: without INVPCID name a PCID only while it
 *   is loaded on this CPU).  Global entries belong to LAZY_MMU_SPACE_ALL;
 *   on x86 its INVLPG and CR3 reload reach the other PCIDs' global entries
 *   only, so a kernel with PCIDs names the PCID of non-global mappings.
 *   LAZY_MMU_SPACE_INACTIVE - tables no CPU has loaded, whose next load
 *   drops that space's translations (the kernel's switch flushes it): the
 *   stores and the barrier that orders them for walkers, nothing else - no
 *   invalidation, no round, requested or not.  A backend without per-space
 *   forms (paravirt keeps the space in its ops; stage 2 has none) takes an
 *   ASID as LAZY_MMU_SPACE_ALL.  docs/integration.md, "Address spaces".
 *
 * CONFIGURATION  (define before including; all TUs sharing a context must agree)
 *   macro                         default            meaning
 *   LAZY_MMU_ARCH_X86_64          auto (__x86_64__)  select the x86_64 backend
 *   LAZY_MMU_ARCH_AARCH64         auto (__aarch64__) select the aarch64 backend
 *   LAZY_MMU_ARCH_RISCV64         auto (__riscv, 64) select the riscv64 backend
 *   LAZY_MMU_ARCH_PARAVIRT        0                  select the hypercall backend
 *   LAZY_MMU_SIMULATE             0                  hosted: swap the instructions
 *                                                    for the simulator (arch/sim)
 *   LAZY_MMU_INSN_HEADER          the backend's      "path" of a header that
 *                                 insn.h             defines the instructions
 *                                                    instead (arch/select.h)
 *   LAZY_MMU_DEBUG                __STDC_HOSTED__    detect misuse, report it
 *                                                    through LAZY_MMU_PANIC
 *   LAZY_MMU_PANIC(msg)           hosted: print to   called with a string literal
 *                                 stderr + abort();  (so in C a kernel's
 *                                 else trap          void panic(char *) takes it)
 *                                                    on misuse (debug builds) and
 *                                                    on the few errors no build
 *                                                    can continue from (README,
 *                                                    "Misuse"); must not return
 *   LAZY_MMU_STATS                0                  per-context counters
 *                                                    (lazy_mmu_get_stats)
 *   LAZY_MMU_PAGE_SHIFT           12                 log2 of the page size
 *   LAZY_MMU_BATCH_MAX            per backend        pending page ranges kept
 *                                                    apart; one more merges the
 *                                                    nearest two
 *   LAZY_MMU_FLUSH_ALL_THRESHOLD  per backend        most per-page invalidations
 *                                                    at one visibility point;
 *                                                    more pages: one full
 *                                                    invalidation (<= 65535)
 *   LAZY_MMU_SHOOTDOWN(m, sd)     none (one CPU)     SMP: run sd on every other
 *                                                    CPU that may cache m's
 *                                                    translations, then return
 *   LAZY_MMU_FREE_FRAME(m, frame) none (no           release a frame given to
 *                                 lazy_mmu_free_     lazy_mmu_free_frame, once
 *                                 frame)             no CPU can reach it; must
 *                                                    not call into m
 *   LAZY_MMU_FREE_MAX             32                 frames held per context;
 *                                                    one more publishes early
 *   LAZY_MMU_AARCH64_NONSHAREABLE 0                  aarch64: TLBI/DSB for this
 *                                                    CPU only (CPU-private
 *                                                    mappings; then the hook)
 *   LAZY_MMU_AARCH64_TLBIRANGE    0                  aarch64: FEAT_TLBIRANGE - a run
 *                                                    of pages by a few TLBI
 *                                                    RVAAE1IS (checked at init)
 *   LAZY_MMU_X86_64_GLOBAL_PAGES  0                  x86_64: full flushes also drop
 *                                                    global entries (CR4.PGE toggle)
 *   LAZY_MMU_X86_64_INVPCID       0                  x86_64: full flush by INVPCID
 *   LAZY_MMU_X86_64_INVLPGB       0                  x86_64 (AMD): INVLPGB/TLBSYNC
 *                                                    broadcast (no hook, no IPIs)
 *   LAZY_MMU_X86_64_PKRU          0                  x86_64: sections save PKRU in
 *                                                    their state and open the page-
 *                                                    table key; leave restores it
 *   LAZY_MMU_X86_64_PKRU_KEY      1                  x86_64: that key (0-15)
 *   LAZY_MMU_STAGE2               0                  x86_64, aarch64: the context
 *                                                    manages one guest's EPT /
 *                                                    stage 2; va = GPA / IPA
 *   LAZY_MMU_X86_64_EPT_ALL_CONTEXT
 *                                 0                  x86_64 EPT: always INVEPT
 *                                                    all-context (type 2)
 *   LAZY_MMU_RISCV64_SVVPTC       0                  riscv64: no fence for
 *                                                    invalid->valid (Svvptc)
 *   LAZY_MMU_RISCV64_SVINVAL      0                  riscv64: use Svinval sequences
 *   LAZY_MMU_PARAVIRT_COMMIT      (sim only)         paravirt: the hypercall,
 *                                                    see arch/paravirt/types.h
 *   LAZY_MMU_PARAVIRT_ERROR(m,i,op)
 *                                 panic              paravirt: a commit applied
 *                                                    fewer entries than asked
 *   LAZY_MMU_PARAVIRT_QUEUE_MAX   32                 paravirt: updates per call
 *   LAZY_MMU_PARAVIRT_VALID       1                  paravirt: the present bit
 *   Per-backend defaults (Linux's thresholds: x86 tlb_single_page_flush_
 *   ceiling, arm64 MAX_DVM_OPS - 1, riscv tlb_flush_all_threshold; a Xen
 *   PV guest is an x86 one):      x86_64 aarch64 riscv64 paravirt
 *     LAZY_MMU_FLUSH_ALL_THRESHOLD    33    511     64      33
 *     LAZY_MMU_BATCH_MAX              32     64     64      16
 *
 * LICENSE: MIT, see LICENSE.  Porting a backend: docs/porting.md.
 */
#ifndef LAZYMMU_H
#define LAZYMMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Semantic versioning: a release that changes the API or the meaning of a
 * call bumps MAJOR; see CHANGELOG.md. */
#define LAZY_MMU_VERSION_MAJOR 0
#define LAZY_MMU_VERSION_MINOR 1
#define LAZY_MMU_VERSION_PATCH 0
#define LAZY_MMU_VERSION \
    (LAZY_MMU_VERSION_MAJOR * 10000 + LAZY_MMU_VERSION_MINOR * 100 + LAZY_MMU_VERSION_PATCH)

#ifndef LAZY_MMU_DEBUG
#if defined(__STDC_HOSTED__) && __STDC_HOSTED__
#define LAZY_MMU_DEBUG 1
#else
#define LAZY_MMU_DEBUG 0
#endif
#endif
#ifndef LAZY_MMU_STATS
#define LAZY_MMU_STATS 0
#endif
#ifndef LAZY_MMU_SIMULATE
#define LAZY_MMU_SIMULATE 0
#endif
#ifndef LAZY_MMU_PAGE_SHIFT
#define LAZY_MMU_PAGE_SHIFT 12
#endif

#define LAZY_MMU_PAGE_SIZE ((uintptr_t)1 << LAZY_MMU_PAGE_SHIFT)
#define LAZY_MMU__PAGE_MASK (LAZY_MMU_PAGE_SIZE - 1)

#ifndef LAZY_MMU_PANIC
#if defined(__STDC_HOSTED__) && __STDC_HOSTED__
/* The one place the library touches libc: a hosted default that says what
 * went wrong.  abort() raises SIGABRT on every host, which tests can expect. */
#include <stdio.h>
#include <stdlib.h>
#define LAZY_MMU_PANIC(msg) (fprintf(stderr, "lazymmu: %s\n", (msg)), abort())
#else
#define LAZY_MMU_PANIC(msg) lazy_mmu__trap(msg)
#endif
#endif

/* Freestanding default: keep the message in a register-visible local so a
 * debugger attached to the trapped CPU can print it. */
static inline void lazy_mmu__trap(const char *msg)
{
    const char *volatile lazy_mmu_panic_message = msg;
    (void)lazy_mmu_panic_message;
#if defined(__GNUC__) || defined(__clang__)
    __builtin_trap();
#else
    for (;;)
        continue;
#endif
}

/* The fast paths are inlined at every call site; the slow ones (publishing,
 * starting a new range) are not, so a kernel carries one copy of each per
 * translation unit instead of one per call. */
#if defined(__GNUC__) || defined(__clang__)
#define LAZY_MMU__SLOW static __attribute__((noinline, unused))
#else
#define LAZY_MMU__SLOW static
#endif

#if LAZY_MMU_DEBUG
#define LAZY_MMU__CHECK(cond, msg) \
    do { \
        if (!(cond)) \
            LAZY_MMU_PANIC(msg); \
    } while (0)
#else
/* Not evaluated: release builds pay nothing for the checks. */
#define LAZY_MMU__CHECK(cond, msg) ((void)0)
#endif

/* A raw page-table entry; the format belongs to the kernel and the backend. */
typedef uint64_t lazy_mmu_pte_t;

/* Requested (what callers asked for) and issued (what the hardware was told)
 * operations of one context, since init or the last lazy_mmu_reset_stats(). */
struct lazy_mmu_stats {
    uint64_t updates;        /* lazy_mmu_set_pte calls */
    uint64_t inval_requests; /* lazy_mmu_invalidate_{page,range,all} calls */
    uint64_t publishes;      /* visibility points that had work to publish */
    uint64_t early_flushes;  /* sends forced by a full backend record:
                                aarch64 entries to make, paravirt queue */
    uint64_t merges;         /* new ranges that found every slot taken:
                                the nearest two merged (or the batch
                                escalated); see LAZY_MMU_BATCH_MAX */
    uint64_t page_invals;    /* invalidate-one-page instructions issued */
    uint64_t full_invals;    /* invalidate-everything instructions issued */
    uint64_t barriers;       /* barrier/fence/sync instructions issued */
    uint64_t hypercalls;     /* paravirt commits issued */
    uint64_t shootdowns;     /* remote rounds: LAZY_MMU_SHOOTDOWN calls */
    uint64_t bbm;            /* aarch64 break-before-make sequences */
};

#if LAZY_MMU_STATS
#define LAZY_MMU__COUNT(m, field, n) ((m)->stats.field += (n))
#else
#define LAZY_MMU__COUNT(m, field, n) ((void)0)
#endif

/* Picks the backend and names its headers; then the backend's types. */
#include "arch/select.h"
#include LAZY_MMU__ARCH_TYPES

#if defined(LAZY_MMU_STAGE2) && LAZY_MMU_STAGE2 && !defined(LAZY_MMU__ARCH_HAS_STAGE2)
#error "lazymmu: LAZY_MMU_STAGE2 is offered by the x86_64 (EPT) and aarch64 (stage 2) backends only"
#endif

#include "arch/generic/facts.h"

/* Why something is pending; 0 means a flush has nothing to do. */
#define LAZY_MMU__P_PAGES 1u   /* the ranges hold pages to invalidate */
#define LAZY_MMU__P_ALL 2u     /* invalidate everything instead */
#define LAZY_MMU__P_WRITES 4u  /* entries wait: to be made (F_BBM), or in the
                                  backend's queue (F_QUEUES_WRITES) */
#define LAZY_MMU__P_SYNC 8u    /* only barriers: new entries, nothing stale */
#define LAZY_MMU__P_GLOBAL 16u /* a global translation may be among them */
#define LAZY_MMU__P_FREES 32u  /* frames wait for the visibility point */
#define LAZY_MMU__P_TABLE 64u  /* a table entry may be among them: no leaf-only
                                  forms (explicit requests, unlinks) */
/* Entries waiting for their make (arch/generic/bbm.h): a run of count
 * entries a stride apart from at, or (at odd) the 64-entry block at at - 1
 * with a bit per waiting entry. */
#define LAZY_MMU__MAKES_MAX 16
struct lazy_mmu__make {
    uintptr_t at;
    union {
        struct {
            int32_t stride; /* in entries; set by the second */
            uint32_t count;
        } run;
        uint64_t bits;
    } u;
};

#if LAZY_MMU_FLUSH_ALL_THRESHOLD < 1 || LAZY_MMU_FLUSH_ALL_THRESHOLD > 0xffff
#error "lazymmu: LAZY_MMU_FLUSH_ALL_THRESHOLD must be 1 .. 65535 pages"
#endif
#ifndef LAZY_MMU_FREE_MAX
#define LAZY_MMU_FREE_MAX 32
#endif
#if LAZY_MMU_FREE_MAX < 1
#error "lazymmu: LAZY_MMU_FREE_MAX must be at least 1 frame"
#endif
#if LAZY_MMU_BATCH_MAX < 2
#error "lazymmu: LAZY_MMU_BATCH_MAX must be at least 2 ranges"
#endif

/* Address spaces (SPACES, above); an ASID / PCID is 0 .. LAZY_MMU_SPACE_MAX,
 * the widest the backend's instructions carry (x86 PCID 0xfff, aarch64 and
 * riscv 0xffff).  A CPU may implement fewer bits (aarch64 TCR_EL1.AS = 0: 8;
 * riscv: what satp.ASID keeps): staying within them is the kernel's part. */
#define LAZY_MMU_SPACE_ALL 0xffffffffu
#define LAZY_MMU_SPACE_INACTIVE 0xfffffffeu
#define LAZY_MMU_SPACE_MAX LAZY_MMU__ARCH_SPACE_MAX

struct lazy_mmu_sim;

/* What other CPUs must drop (SMP, above): the pages of nranges ranges, or
 * with LAZY_MMU_SHOOTDOWN_ALL every translation.  It points into the
 * sending context's batch, which stays as it is until the hook returns. */
struct lazy_mmu_shootdown {
    const uintptr_t *first; /* first page address of each range, ascending */
    const uint16_t *pages;  /* its length in pages, >= 1 */
    unsigned nranges;       /* 0 with LAZY_MMU_SHOOTDOWN_ALL */
    unsigned npages;        /* their sum */
    unsigned flags;
    uint32_t space;         /* with LAZY_MMU_SHOOTDOWN_SPACE: the ASID / PCID */
};
#define LAZY_MMU_SHOOTDOWN_ALL 1u    /* every translation; ranges unused */
#define LAZY_MMU_SHOOTDOWN_GLOBAL 2u /* with ALL: global entries too */
#define LAZY_MMU_SHOOTDOWN_SPACE 4u  /* only address space .space's (else every
                                        space's: what a zeroed one says) */
#define LAZY_MMU_SHOOTDOWN_LEAF 8u   /* pages only: leaf entries changed, the
                                        walk caches' table entries may stay
                                        (else they go too) */

/* The space sd names: its ASID, or LAZY_MMU_SPACE_ALL.  A receiver's
 * backend without per-space forms takes every space. */
static inline uint32_t lazy_mmu__sd_space(const struct lazy_mmu_shootdown *sd)
{
    return LAZY_MMU__F_SPACES && (sd->flags & LAZY_MMU_SHOOTDOWN_SPACE) &&
                   sd->space <= LAZY_MMU_SPACE_MAX
               ? sd->space
               : LAZY_MMU_SPACE_ALL;
}

/* Per-CPU context; its fields are private (the batch's: generic/batch.h). */
struct lazy_mmu {
    /* Enters not yet left, minus 0x10000 per pause not yet resumed: positive
     * exactly when entered and not paused, so "active" is one compare with
     * zero (lazy_mmu_is_active). */
    int32_t depth;
    unsigned pending; /* LAZY_MMU__P_* */
    uint32_t space;   /* what the batch belongs to: LAZY_MMU_SPACE_* or an ASID */
    unsigned nranges;
    unsigned hint;     /* the range the inline path extends */
    uintptr_t npages;  /* pages in the ranges; at most the threshold */
    uintptr_t next_va; /* the page right after range hint, while the inline
                          path may take it; 1 (no page address): disarmed */
    uintptr_t stop_va; /* the last page it may take: the threshold has room
                          for it and it does not touch the next range; 0
                          while disarmed */
    uintptr_t range_first[LAZY_MMU_BATCH_MAX]; /* page addresses, ascending */
    uint16_t range_pages[LAZY_MMU_BATCH_MAX];  /* >= 1, <= the threshold */
#if LAZY_MMU__F_GLOBAL
    lazy_mmu_pte_t olds; /* every replaced valid entry ORed: one was global? */
#endif
#if LAZY_MMU__F_BBM
    /* Entries waiting for their make: runs a fixed stride apart
     * (arch/generic/bbm.h). */
    unsigned nmakes;
    lazy_mmu_pte_t *make_next; /* extends the newest run inline; NULL: none */
    struct lazy_mmu__make makes[LAZY_MMU__MAKES_MAX];
#endif
#ifdef LAZY_MMU_FREE_FRAME
    unsigned nfrees;
    uintptr_t frees[LAZY_MMU_FREE_MAX]; /* in the order handed over */
#endif
    struct lazy_mmu__arch arch;
#if LAZY_MMU_STATS
    struct lazy_mmu_stats stats;
#endif
#if LAZY_MMU_DEBUG
    uintptr_t magic; /* LAZY_MMU__MAGIC once initialised */
#endif
#if LAZY_MMU_SIMULATE
    struct lazy_mmu_sim *sim;
    unsigned sim_cpu;
#endif
};

/* Opaque section state, returned by enter/pause and consumed by leave/resume.
 * The backend owns .arch; the generic part only identifies the section. */
typedef struct lazy_mmu_state {
    int32_t level; /* the context's depth after this enter/pause: LIFO order */
#if LAZY_MMU_DEBUG
    unsigned kind;             /* LAZY_MMU__KIND_* */
    const struct lazy_mmu *owner;
#endif
#if LAZY_MMU__ARCH_HAS_STATE
    struct lazy_mmu__arch_state arch;
#endif
} lazy_mmu_state_t;

#define LAZY_MMU__MAGIC ((uintptr_t)0x6c617a796d6d75ull) /* "lazymmu" */
#define LAZY_MMU__KIND_ENTER 0x51u
#define LAZY_MMU__KIND_PAUSE 0xa7u

/* ---- nesting, and what the generic parts below share ---- */
static inline void lazy_mmu__publish(struct lazy_mmu *m);

#define LAZY_MMU__ENTER_ONE 1
#define LAZY_MMU__PAUSE_ONE 0x10000
/* Open enters fit below one pause; open pauses keep depth negative. */
#define LAZY_MMU__SECTIONS_MAX 0xffffu
#define LAZY_MMU__PAUSES_MAX 0x7fffu

/* Macros, not functions, so that each message reaches LAZY_MMU_PANIC as
 * one string literal (fn, the public call's name, is one too): a kernel's
 * panic(char *) takes it as it is. */
#define lazy_mmu__check_ctx(m, fn) \
    LAZY_MMU__CHECK((m) != NULL && (m)->magic == LAZY_MMU__MAGIC, \
                    fn ": context used before lazy_mmu_init")

/* What every call that changes an entry checks first. */
#define lazy_mmu__check_entry(m, ptep, va, fn) \
    do { \
        lazy_mmu__check_ctx(m, fn); \
        LAZY_MMU__CHECK((ptep) != NULL && ((uintptr_t)(ptep) & (sizeof(*(ptep)) - 1)) == 0, \
                        fn ": entry pointer is NULL or misaligned"); \
        LAZY_MMU__CHECK(((va) & LAZY_MMU__PAGE_MASK) == 0, fn ": va is not page-aligned"); \
    } while (0)

static inline unsigned lazy_mmu__sections(const struct lazy_mmu *m)
{
    return (uint32_t)m->depth & LAZY_MMU__SECTIONS_MAX;
}

static inline unsigned lazy_mmu__pauses(const struct lazy_mmu *m)
{
    return (uint32_t)((int32_t)lazy_mmu__sections(m) - m->depth) >> 16;
}

static inline bool lazy_mmu_is_active(const struct lazy_mmu *m)
{
    /* sections - 0x10000 * pauses > 0 with sections <= 0xffff: no pause. */
    return m->depth > 0;
}

#include "arch/generic/batch.h"

/* The instructions (arch/select.h says whose), what an instruction layer
 * may leave out, then the backend's policy over them. */
#include LAZY_MMU__ARCH_INSN
#include "arch/generic/insn.h"
#include LAZY_MMU__ARCH_POLICY

#include "arch/generic/update.h"

/* ---- the generic layer ---- */

/* Everything pending reaches the hardware; the batch is empty afterwards.
 * The backend's publish resets only what it fully issued (paravirt keeps
 * what a failing hypercall did not apply). */
LAZY_MMU__SLOW void lazy_mmu__publish_slow(struct lazy_mmu *m)
{
    /* A failed publish (paravirt) keeps its batch: disarmed, so that
     * leaving the last section or pausing leaves it disarmed. */
    lazy_mmu__disarm(m);
    LAZY_MMU__COUNT(m, publishes, 1);
    lazy_mmu__issue(m);
}

static inline void lazy_mmu__publish(struct lazy_mmu *m)
{
    if (m->pending)
        lazy_mmu__publish_slow(m);
}

/* The calls that open and close sections, and lazy_mmu_init. */
#include "arch/generic/section.h"

/* Outside an active section the request is published before returning.  An
 * armed fast path means an active section: the compiler sees the update the
 * fast path just took leave it armed, and drops the test from that path. */
static inline void lazy_mmu__settle(struct lazy_mmu *m)
{
    LAZY_MMU__CHECK(m->next_va == 1 || lazy_mmu_is_active(m),
                    "lazymmu: internal: fast path armed outside an active section");
    if (!lazy_mmu_is_active(m) && m->next_va == 1)
        lazy_mmu__publish(m);
}

static inline void lazy_mmu_set_pte(struct lazy_mmu *m, lazy_mmu_pte_t *ptep, lazy_mmu_pte_t pte,
                                    uintptr_t va)
{
    lazy_mmu__check_entry(m, ptep, va, "lazy_mmu_set_pte");
    LAZY_MMU__COUNT(m, updates, 1);
    /* A release build takes a misaligned va as its page, in the slow paths
     * that record it (lazy_mmu__defer_pages). */
#if !LAZY_MMU__F_QUEUES_WRITES
    if (!lazy_mmu_is_active(m) && m->pending == 0) {
        lazy_mmu__update_now(m, ptep, pte, va & ~LAZY_MMU__PAGE_MASK);
        return;
    }
#endif
    lazy_mmu__update(m, ptep, pte, va);
    lazy_mmu__settle(m);
}

static inline lazy_mmu_pte_t lazy_mmu_get_pte(struct lazy_mmu *m, const lazy_mmu_pte_t *ptep)
{
    lazy_mmu__check_ctx(m, "lazy_mmu_get_pte");
    return lazy_mmu__read(m, ptep);
}

static inline void lazy_mmu_invalidate_page(struct lazy_mmu *m, uintptr_t va)
{
    lazy_mmu__check_ctx(m, "lazy_mmu_invalidate_page");
    LAZY_MMU__CHECK((va & LAZY_MMU__PAGE_MASK) == 0,
                    "lazy_mmu_invalidate_page: va is not page-aligned");
    LAZY_MMU__COUNT(m, inval_requests, 1);
    va &= ~LAZY_MMU__PAGE_MASK; /* as in lazy_mmu_set_pte */
    lazy_mmu__request_pages(m, va, va);
    lazy_mmu__settle(m);
}

/* Invalidates every page that the bytes [start, end) touch. */
static inline void lazy_mmu_invalidate_range(struct lazy_mmu *m, uintptr_t start, uintptr_t end)
{
    lazy_mmu__check_ctx(m, "lazy_mmu_invalidate_range");
    /* A range that wraps past the top of the address space has end < start
     * too: [start, end) cannot express it, so it is the same misuse. */
    LAZY_MMU__CHECK(end >= start, "lazy_mmu_invalidate_range: end is before start (or wraps)");
    LAZY_MMU__COUNT(m, inval_requests, 1);
    if (end <= start)
        return;
    lazy_mmu__request_pages(m, start & ~LAZY_MMU__PAGE_MASK, (end - 1) & ~LAZY_MMU__PAGE_MASK);
    lazy_mmu__settle(m);
}

static inline void lazy_mmu_invalidate_all(struct lazy_mmu *m)
{
    lazy_mmu__check_ctx(m, "lazy_mmu_invalidate_all");
    LAZY_MMU__COUNT(m, inval_requests, 1);
    lazy_mmu__request_all(m); /* a change behind the library's back */
    lazy_mmu__settle(m);
}

/* Table pages, address spaces, frames freed after the visibility point. */
#include "arch/generic/tables.h"

#if LAZY_MMU_STATS
static inline const struct lazy_mmu_stats *lazy_mmu_get_stats(const struct lazy_mmu *m)
{
    return &m->stats;
}
#endif

#endif /* LAZYMMU_H */
