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
 *   Inside a section, an access through a VA whose entry changed in that
 *   section may use the old translation, the new one or (aarch64, pending
 *   break-before-make) fault: call lazy_mmu_flush() first if you need the new.
 *   Nothing is ever dropped: a full batch is published early.
 *   A context belongs to one CPU and is not reentrant: keep preemption off
 *   from choosing the context until after leave, and never use a context from
 *   an interrupt that may have interrupted it; give the handler its own
 *   context (README.md, "Interrupts"; docs/contract.md).
 *
 * CONFIGURATION  (define before including; all TUs sharing a context must agree)
 *   macro                         default            meaning
 *   LAZY_MMU_ARCH_X86_64          auto (__x86_64__)  select the x86_64 backend
 *   LAZY_MMU_ARCH_AARCH64         auto (__aarch64__) select the aarch64 backend
 *   LAZY_MMU_ARCH_RISCV64         auto (__riscv, 64) select the riscv64 backend
 *   LAZY_MMU_ARCH_PARAVIRT        0                  select the hypercall backend
 *   LAZY_MMU_SIMULATE             0                  hosted: swap the instructions
 *                                                    for the simulator (arch/sim)
 *   LAZY_MMU_DEBUG                __STDC_HOSTED__    detect misuse, report it
 *                                                    through LAZY_MMU_PANIC
 *   LAZY_MMU_PANIC(msg)           hosted: print to   called with a constant string
 *                                 stderr + abort();  on misuse (debug builds) and
 *                                 else trap          on the few errors no build
 *                                                    can continue from (README,
 *                                                    "Misuse"); must not return
 *   LAZY_MMU_STATS                0                  per-context counters
 *                                                    (lazy_mmu_get_stats)
 *   LAZY_MMU_PAGE_SHIFT           12                 log2 of the page size
 *   LAZY_MMU_BATCH_MAX            per backend        pending ranges (and queued
 *                                                    writes) before an early flush
 *   LAZY_MMU_FLUSH_ALL_THRESHOLD  per backend        pending pages above which one
 *                                                    full invalidation is issued
 *   LAZY_MMU_X86_GLOBAL_PAGES     0                  x86_64: full flushes also drop
 *                                                    global entries (CR4.PGE toggle)
 *   LAZY_MMU_X86_INVPCID          0                  x86_64: full flush by INVPCID
 *   LAZY_MMU_X86_PKRU             0                  x86_64: sections save PKRU in
 *                                                    their state and open the page-
 *                                                    table key; leave restores it
 *   LAZY_MMU_X86_PKRU_KEY         1                  x86_64: that key (0-15)
 *   LAZY_MMU_STAGE2               0                  x86_64, aarch64: the context
 *                                                    manages one guest's EPT /
 *                                                    stage 2; va = GPA / IPA
 *   LAZY_MMU_X86_EPT_ALL_CONTEXT  0                  x86_64 EPT: always INVEPT
 *                                                    all-context (type 2)
 *   LAZY_MMU_RISCV_SVVPTC         0                  riscv64: no fence for
 *                                                    invalid->valid (Svvptc)
 *   LAZY_MMU_RISCV_SVINVAL        0                  riscv64: use Svinval sequences
 *   LAZY_MMU_PV_COMMIT            (sim only)         paravirt: the hypercall,
 *                                                    see arch/paravirt/types.h
 *   LAZY_MMU_PV_ERROR(m,i,op)     panic              paravirt: a commit applied
 *                                                    fewer entries than asked
 *   Per-backend defaults:           x86_64 aarch64 riscv64 paravirt
 *     LAZY_MMU_FLUSH_ALL_THRESHOLD    33    512     64      64
 *     LAZY_MMU_BATCH_MAX              32     64     64      32
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
    for (;;) {
    }
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

/* An invariant of the library's own state, told to the optimiser in release
 * builds (so it can drop tests the invariant settles) and checked in debug
 * builds. */
#if LAZY_MMU_DEBUG
#define LAZY_MMU__ASSUME(cond, msg) LAZY_MMU__CHECK(cond, msg)
#elif defined(__GNUC__) || defined(__clang__)
#define LAZY_MMU__ASSUME(cond, msg) \
    do { \
        if (!(cond)) \
            __builtin_unreachable(); \
    } while (0)
#else
#define LAZY_MMU__ASSUME(cond, msg) ((void)0)
#endif

/* A raw page-table entry; the format belongs to the kernel and the backend. */
typedef uint64_t lazy_mmu_pte_t;

/* Requested (what callers asked for) and issued (what the hardware was told)
 * operations of one context, since init or the last lazy_mmu_reset_stats(). */
struct lazy_mmu_stats {
    uint64_t updates;        /* lazy_mmu_set_pte calls */
    uint64_t inval_requests; /* lazy_mmu_invalidate_{page,range,all} calls */
    uint64_t publishes;      /* visibility points that had work to publish */
    uint64_t early_flushes;  /* publishes forced by a full batch */
    uint64_t page_invals;    /* invalidate-one-page instructions issued */
    uint64_t full_invals;    /* invalidate-everything instructions issued */
    uint64_t barriers;       /* barrier/fence/sync instructions issued */
    uint64_t hypercalls;     /* paravirt commits issued */
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

#if defined(LAZY_MMU_STAGE2) && LAZY_MMU_STAGE2 && !defined(LAZY_MMU_ARCH_HAS_STAGE2)
#error "lazymmu: LAZY_MMU_STAGE2 is offered by the x86_64 (EPT) and aarch64 (stage 2) backends only"
#endif

struct lazy_mmu__range {
    uintptr_t first, last; /* page addresses, inclusive: the top page fits */
};

struct lazy_mmu__write {
    lazy_mmu_pte_t *ptep;
    lazy_mmu_pte_t pte;
    uintptr_t va; /* the page it maps: invalidated when sent, if the entry
                     in memory is valid then (lazy_mmu__queue_defer) */
};

/* Why something is pending; 0 means a flush has nothing to do. */
#define LAZY_MMU__P_RANGES 1u /* ranges[] hold pages to invalidate */
#define LAZY_MMU__P_ALL 2u    /* invalidate everything instead */
#define LAZY_MMU__P_WRITES 4u /* entries wait to be written: writes[], or the
                                 backend's own list (aarch64 makes) */
#define LAZY_MMU__P_SYNC 8u   /* only barriers: new entries, nothing stale */

struct lazy_mmu_sim;

/* Per-CPU context.  Fields are private: use the functions below. */
struct lazy_mmu {
    /* Enters not yet left, minus 0x10000 per pause not yet resumed: positive
     * exactly when entered and not paused, so "active" is one compare with
     * zero (lazy_mmu_is_active), which every update outside the inline
     * fast paths makes. */
    int32_t depth;
    unsigned pending; /* LAZY_MMU__P_* */
    unsigned nranges;
    /* The inline fast path (lazy_mmu__defer_page) extends ranges[tail] by
     * moving next_va alone; lazy_mmu__sync folds what it took into
     * ranges[tail].last and npages before anything else reads them.  It is
     * armed only inside an active section, so an update it takes needs no
     * test for an eager publish. */
    uintptr_t npages;  /* pages covered by ranges[] (once synced) */
    uintptr_t next_va; /* the page the fast path takes next: ranges[tail]
                          then ends before it; 1 (no page address): disarmed */
    uintptr_t stop_va; /* the last page it may take: the threshold has room
                          for it, and the page after it does not wrap; 0
                          while disarmed, so a (release-build) misaligned va
                          of 1 is not taken either */
    unsigned tail;
    struct lazy_mmu__range ranges[LAZY_MMU_BATCH_MAX];
#if LAZY_MMU_ARCH_QUEUES_WRITES
    unsigned nwrites;
    /* A bit per queued entry's address, hashed, for writes[0..nfiltered):
     * a clear bit means "not queued" without a search.  Folded in by the
     * readers (lazy_mmu_get_pte), so an update does not pay for it. */
    uint64_t wfilter;
    unsigned nfiltered;
    struct lazy_mmu__write writes[LAZY_MMU_BATCH_MAX];
#endif
    struct lazy_mmu_arch arch;
#if LAZY_MMU_STATS
    struct lazy_mmu_stats stats;
#endif
#if LAZY_MMU_DEBUG
    uintptr_t magic; /* LAZY_MMU__MAGIC once initialised */
#endif
#if LAZY_MMU_SIMULATE
    struct lazy_mmu_sim *sim;
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
#if LAZY_MMU_ARCH_HAS_STATE
    struct lazy_mmu_arch_state arch;
#endif
} lazy_mmu_state_t;

#define LAZY_MMU__MAGIC ((uintptr_t)0x6c617a796d6d75ull) /* "lazymmu" */
#define LAZY_MMU__KIND_ENTER 0x51u
#define LAZY_MMU__KIND_PAUSE 0xa7u

/* ---- generic batch, used by the backends' policies ---- */

static inline void lazy_mmu__publish(struct lazy_mmu *m);

#define LAZY_MMU__ENTER_ONE 1
#define LAZY_MMU__PAUSE_ONE 0x10000
/* Open enters fit below one pause; open pauses keep depth negative. */
#define LAZY_MMU__SECTIONS_MAX 0xffffu
#define LAZY_MMU__PAUSES_MAX 0x7fffu

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

/* A full batch is published before it takes more: never drop, never wait. */
static inline void lazy_mmu__publish_early(struct lazy_mmu *m)
{
    LAZY_MMU__COUNT(m, early_flushes, 1);
    lazy_mmu__publish(m);
}

static inline void lazy_mmu__disarm(struct lazy_mmu *m)
{
    m->next_va = 1;
    m->stop_va = 0;
}

static inline void lazy_mmu__defer_all(struct lazy_mmu *m)
{
    m->pending = (m->pending & ~LAZY_MMU__P_RANGES) | LAZY_MMU__P_ALL;
    m->nranges = 0;
    m->npages = 0;
    lazy_mmu__disarm(m);
}

/* Makes ranges[] and npages exact again and disarms the fast path. */
static inline void lazy_mmu__sync(struct lazy_mmu *m)
{
    if (m->next_va != 1) {
        struct lazy_mmu__range *r = &m->ranges[m->tail];
        uintptr_t last = m->next_va - LAZY_MMU_PAGE_SIZE;
        m->npages += (last - r->last) >> LAZY_MMU_PAGE_SHIFT;
        r->last = last;
        lazy_mmu__disarm(m);
    }
}

/* Arms the fast path for the pages right after the newest range, as many as
 * the threshold has room for, but never the top page of the address space:
 * the page after it would be 0, which the fast path would take as the next
 * one.  Outside an active section every update is published at once, so
 * there is nothing to arm for. */
static inline void lazy_mmu__rearm(struct lazy_mmu *m)
{
    const uintptr_t top = (uintptr_t)0 - LAZY_MMU_PAGE_SIZE;
    uintptr_t next, room, below_top;

    lazy_mmu__disarm(m);
    if (m->nranges == 0 || m->npages >= LAZY_MMU_FLUSH_ALL_THRESHOLD || !lazy_mmu_is_active(m))
        return;
    next = m->ranges[m->nranges - 1].last + LAZY_MMU_PAGE_SIZE;
    if (next == 0 || next == top)
        return;
    room = LAZY_MMU_FLUSH_ALL_THRESHOLD - m->npages;
    below_top = (top - next) >> LAZY_MMU_PAGE_SHIFT;
    if (room > below_top)
        room = below_top;
    m->stop_va = next + ((room - 1) << LAZY_MMU_PAGE_SHIFT);
    m->next_va = next;
    m->tail = m->nranges - 1;
}

/* Do the page ranges [a, b] and [c, d] overlap or touch?  Written so that
 * the top page of the address space does not wrap. */
static inline bool lazy_mmu__ranges_touch(uintptr_t a, uintptr_t b, uintptr_t c, uintptr_t d)
{
    return (c <= b || c - b == LAZY_MMU_PAGE_SIZE) && (a <= d || a - d == LAZY_MMU_PAGE_SIZE);
}

/* Record that the translations of pages [first, last] (page addresses) must
 * be invalidated by the next visibility point.  A backend calls it after the
 * entry was stored or queued, so an early publish can never invalidate
 * before the write. */
LAZY_MMU__SLOW void lazy_mmu__defer_pages(struct lazy_mmu *m, uintptr_t first, uintptr_t last)
{
    unsigned i;

    lazy_mmu__sync(m);
    if (m->pending & LAZY_MMU__P_ALL)
        return;
    /* Runs are the common case: try the newest range first. */
    for (i = m->nranges; i-- > 0;) {
        struct lazy_mmu__range *r = &m->ranges[i];
        uintptr_t f, l, added;

        if (!lazy_mmu__ranges_touch(r->first, r->last, first, last))
            continue;
        f = first < r->first ? first : r->first;
        l = last > r->last ? last : r->last;
        added = ((r->first - f) + (l - r->last)) >> LAZY_MMU_PAGE_SHIFT;
        if (added > LAZY_MMU_FLUSH_ALL_THRESHOLD - m->npages) {
            lazy_mmu__defer_all(m);
            return;
        }
        r->first = f;
        r->last = l;
        m->npages += added;
        lazy_mmu__rearm(m);
        return;
    }
    /* n - 1 cannot overflow; n itself can only for the whole address space. */
    if (((last - first) >> LAZY_MMU_PAGE_SHIFT) >= LAZY_MMU_FLUSH_ALL_THRESHOLD - m->npages) {
        lazy_mmu__defer_all(m);
        return;
    }
    if (m->nranges == LAZY_MMU_BATCH_MAX) {
        lazy_mmu__publish_early(m);
        if (m->nranges == LAZY_MMU_BATCH_MAX) { /* a failed commit kept them */
            lazy_mmu__defer_all(m);
            return;
        }
    }
    m->ranges[m->nranges].first = first;
    m->ranges[m->nranges].last = last;
    m->nranges++;
    m->npages += ((last - first) >> LAZY_MMU_PAGE_SHIFT) + 1;
    m->pending |= LAZY_MMU__P_RANGES;
    lazy_mmu__rearm(m);
}

static inline void lazy_mmu__defer_page(struct lazy_mmu *m, uintptr_t va)
{
    /* The common case inline: the page right after the newest range, while
     * the slow path's precomputed limit allows.  A misaligned va never
     * equals next_va (a page address, or 1 with stop_va 0). */
    if (va == m->next_va && va <= m->stop_va) {
        /* Armed, next_va is a page address: the new one is not 1, and
         * lazy_mmu__settle's test folds away after this path. */
        m->next_va = va + LAZY_MMU_PAGE_SIZE;
        LAZY_MMU__ASSUME(m->next_va != 1 && lazy_mmu_is_active(m),
                         "lazymmu: internal: fast path armed outside a section or misaligned");
        return;
    }
    /* Past the threshold every later update of the batch comes here: no
     * call (the fast path is disarmed, nothing to sync). */
    if (m->pending & LAZY_MMU__P_ALL)
        return;
    /* A misaligned va (only a release build lets one through) means its
     * page: ranges, TLBI operands and hypercall ops hold page addresses.
     * Masked here, off the fast path. */
    va &= ~LAZY_MMU__PAGE_MASK;
    lazy_mmu__defer_pages(m, va, va);
}

/* Nothing stale to invalidate, but the backend owes barriers (an invalid
 * entry became valid). */
static inline void lazy_mmu__defer_sync(struct lazy_mmu *m)
{
    m->pending |= LAZY_MMU__P_SYNC;
}

/* Is an invalidation of va's page still owed by this batch? */
static inline bool lazy_mmu__inval_pending(const struct lazy_mmu *m, uintptr_t va)
{
    unsigned i;
    va &= ~LAZY_MMU__PAGE_MASK; /* as in lazy_mmu__defer_page */
    if (m->pending & LAZY_MMU__P_ALL)
        return true;
    for (i = 0; i < m->nranges; i++) {
        /* The tail's last as lazy_mmu__sync would make it. */
        uintptr_t last = i == m->tail && m->next_va != 1 ? m->next_va - LAZY_MMU_PAGE_SIZE
                                                          : m->ranges[i].last;
        if (va >= m->ranges[i].first && va <= last)
            return true;
    }
    return false;
}

/* Calls fn(m, va) for every page the pending ranges cover; fn is a static
 * inline of the backend, so the compiler folds it into the loop. */
static inline void lazy_mmu__for_each_page(struct lazy_mmu *m,
                                           void (*fn)(struct lazy_mmu *, uintptr_t))
{
    unsigned i;
    lazy_mmu__sync(m);
    for (i = 0; i < m->nranges; i++) {
        uintptr_t va = m->ranges[i].first;
        for (;; va += LAZY_MMU_PAGE_SIZE) {
            fn(m, va);
            if (va == m->ranges[i].last)
                break;
        }
    }
}

#if LAZY_MMU_ARCH_QUEUES_WRITES
/* Entries are 8-byte aligned: consecutive ones get consecutive bits. */
static inline uint64_t lazy_mmu__wbit(const lazy_mmu_pte_t *ptep)
{
    return (uint64_t)1 << (((uintptr_t)ptep / sizeof(*ptep)) & 63);
}

LAZY_MMU__SLOW struct lazy_mmu__write *lazy_mmu__find_queued_slow(struct lazy_mmu *m,
                                                                  const lazy_mmu_pte_t *ptep)
{
    unsigned i;
    for (i = m->nwrites; i-- > 0;)
        if (m->writes[i].ptep == ptep)
            return &m->writes[i];
    return NULL;
}

static inline struct lazy_mmu__write *lazy_mmu__find_queued(struct lazy_mmu *m,
                                                            const lazy_mmu_pte_t *ptep)
{
    for (; m->nfiltered < m->nwrites; m->nfiltered++)
        m->wfilter |= lazy_mmu__wbit(m->writes[m->nfiltered].ptep);
    if (!(m->wfilter & lazy_mmu__wbit(ptep)))
        return NULL;
    return lazy_mmu__find_queued_slow(m, ptep);
}

/* The queue now holds its first `kept` writes (moved down, in order): the
 * filter is folded again from the start. */
static inline void lazy_mmu__queue_kept(struct lazy_mmu *m, unsigned kept)
{
    m->nwrites = kept;
    m->wfilter = 0;
    m->nfiltered = 0;
}

/* A write leaves the queue - sent, or dropped unsent - and its page's
 * translation may be cached only if the entry in memory is valid: queued
 * values are never walked, and each publish sends everything it queued.
 * Deciding this here, not per update, keeps the entry load off the fast
 * path.  Never publishes (with ranges[] full it invalidates everything), so
 * a walk of the queue can call it. */
static inline void lazy_mmu__queue_defer(struct lazy_mmu *m, const struct lazy_mmu__write *w)
{
    if (!lazy_mmu_arch_pte_valid(*(const volatile lazy_mmu_pte_t *)w->ptep))
        return;
    if (m->nranges == LAZY_MMU_BATCH_MAX)
        lazy_mmu__defer_all(m);
    lazy_mmu__defer_page(m, w->va);
}

/* Drops every write that a later one of the same entry supersedes, keeping
 * the others in order: only an entry's last value is ever sent, so no
 * intermediate one can be walked and cached. */
LAZY_MMU__SLOW void lazy_mmu__queue_drop_superseded(struct lazy_mmu *m)
{
    uint64_t seen = 0;
    unsigned i, j, kept = 0;

    /* Newest first, marking a dropped write with a NULL entry: the newest
     * write of an entry is never dropped, so the search still finds it. */
    for (i = m->nwrites; i-- > 0;) {
        const lazy_mmu_pte_t *p = m->writes[i].ptep;
        uint64_t bit = lazy_mmu__wbit(p);
        if (seen & bit)
            for (j = i + 1; j < m->nwrites; j++)
                if (m->writes[j].ptep == p) {
                    lazy_mmu__queue_defer(m, &m->writes[i]); /* its va may differ */
                    m->writes[i].ptep = NULL;
                    break;
                }
        seen |= bit;
    }
    for (i = 0; i < m->nwrites; i++)
        if (m->writes[i].ptep)
            m->writes[kept++] = m->writes[i];
    lazy_mmu__queue_kept(m, kept);
}

/* Before a publish sends the queue: records the invalidation of every
 * write's page, superseded ones too (their va may differ), and drops the
 * superseded writes if there are any. */
static inline void lazy_mmu__queue_prepare(struct lazy_mmu *m)
{
    uintptr_t prev = 0;
    bool ascending = true;
    unsigned i;

    for (i = 0; i < m->nwrites; i++) {
        /* Entries in ascending order are all different: the common case
         * (runs of consecutive entries) skips the search. */
        ascending &= (uintptr_t)m->writes[i].ptep > prev;
        prev = (uintptr_t)m->writes[i].ptep;
        lazy_mmu__queue_defer(m, &m->writes[i]); /* the entries in memory: before any is sent */
    }
    if (!ascending)
        lazy_mmu__queue_drop_superseded(m);
    lazy_mmu__sync(m); /* the deferrals may have used the fast path */
}

/* Makes room for one more queued write when the queue is full. */
LAZY_MMU__SLOW void lazy_mmu__queue_make_room(struct lazy_mmu *m)
{
    /* Rewrites of one entry hold a slot each: reclaim them before paying
     * for an early publish.  Entries in ascending order have none. */
    unsigned i;
    for (i = 1; i < m->nwrites; i++)
        if ((uintptr_t)m->writes[i].ptep <= (uintptr_t)m->writes[i - 1].ptep) {
            lazy_mmu__queue_drop_superseded(m);
            break;
        }
    if (m->nwrites == LAZY_MMU_BATCH_MAX) {
        lazy_mmu__publish_early(m);
        /* Only a failed commit whose error hook returned leaves it full;
         * taking the write would need room we do not have. */
        if (m->nwrites == LAZY_MMU_BATCH_MAX)
            LAZY_MMU_PANIC("lazy_mmu: write queue still full after a failed commit");
    }
}

/* Queue a write, to be sent at the next visibility point with the
 * invalidation its page needs then (lazy_mmu__queue_defer).  A write of an
 * entry already queued goes in after the earlier one, which the publish
 * drops: queued writes reach the page tables in the order of their last
 * update. */
static inline void lazy_mmu__queue_write(struct lazy_mmu *m, lazy_mmu_pte_t *ptep,
                                         lazy_mmu_pte_t pte, uintptr_t va)
{
    struct lazy_mmu__write *w;

    if (m->nwrites == LAZY_MMU_BATCH_MAX)
        lazy_mmu__queue_make_room(m);
    w = &m->writes[m->nwrites++];
    w->ptep = ptep;
    w->pte = pte;
    w->va = va;
    m->pending |= LAZY_MMU__P_WRITES;
}
#endif

/* Called by a backend's publish once its work is issued. */
static inline void lazy_mmu__batch_done(struct lazy_mmu *m)
{
    m->pending = 0;
    m->nranges = 0;
    m->npages = 0;
    lazy_mmu__disarm(m);
    m->tail = 0;
#if LAZY_MMU_ARCH_QUEUES_WRITES
    m->nwrites = 0;
    m->wfilter = 0;
    m->nfiltered = 0;
#endif
}

/* The backend's policy, over its primitives (real instructions or the
 * simulator). */
#include LAZY_MMU__ARCH_POLICY

/* ---- fallbacks for what a backend may leave out ---- */

#ifndef lazy_mmu_arch_init
static inline void lazy_mmu_arch_init(struct lazy_mmu *m)
{
    (void)m;
}
#endif

#if LAZY_MMU_ARCH_HAS_STATE
#ifndef lazy_mmu_arch_enter
static inline void lazy_mmu_arch_enter(struct lazy_mmu *m, struct lazy_mmu_arch_state *s)
{
    (void)m;
    (void)s;
}
#endif
#ifndef lazy_mmu_arch_leave
static inline void lazy_mmu_arch_leave(struct lazy_mmu *m, struct lazy_mmu_arch_state *s)
{
    (void)m;
    (void)s;
}
#endif
#endif

/* Read an entry as this context will have written it.  A backend that keeps
 * entries' new values somewhere else than writes[] says where. */
#ifndef lazy_mmu_arch_get_pte
static inline lazy_mmu_pte_t lazy_mmu_arch_get_pte(struct lazy_mmu *m, const lazy_mmu_pte_t *ptep)
{
#if LAZY_MMU_ARCH_QUEUES_WRITES
    const struct lazy_mmu__write *w = lazy_mmu__find_queued(m, ptep);
    if (w)
        return w->pte;
#endif
    (void)m;
    return *(const volatile lazy_mmu_pte_t *)ptep;
}
#endif

#ifndef lazy_mmu_arch_invalidate_all
static inline void lazy_mmu_arch_invalidate_all(struct lazy_mmu *m)
{
    (void)m;
}
#endif

/* An explicit request may follow a change of a table (non-leaf) entry, which
 * not every per-page invalidation covers: a backend whose per-page form is
 * leaf-only overrides this. */
#ifndef lazy_mmu_arch_invalidate_pages
static inline void lazy_mmu_arch_invalidate_pages(struct lazy_mmu *m, uintptr_t first,
                                                  uintptr_t last)
{
    lazy_mmu__defer_pages(m, first, last);
}
#endif

/* ---- the generic layer ---- */

/* Everything pending reaches the hardware; the batch is empty afterwards.
 * The backend's publish resets only what it fully issued (paravirt keeps
 * what a failing hypercall did not apply). */
LAZY_MMU__SLOW void lazy_mmu__publish_slow(struct lazy_mmu *m)
{
    /* Also keeps the fast path disarmed in whatever a failed publish leaves
     * behind, so that leaving the last section or pausing disarms it. */
    lazy_mmu__sync(m);
    LAZY_MMU__COUNT(m, publishes, 1);
    lazy_mmu_arch_publish(m);
}

static inline void lazy_mmu__publish(struct lazy_mmu *m)
{
    if (m->pending)
        lazy_mmu__publish_slow(m);
}

static inline void lazy_mmu__check_ctx(const struct lazy_mmu *m, const char *msg)
{
    (void)m;
    (void)msg;
    LAZY_MMU__CHECK(m != NULL && m->magic == LAZY_MMU__MAGIC, msg);
}

#if LAZY_MMU_STATS
/* Field by field: a struct assignment may become a memset call, and a
 * freestanding kernel need not have one. */
static inline void lazy_mmu_reset_stats(struct lazy_mmu *m)
{
    m->stats.updates = 0;
    m->stats.inval_requests = 0;
    m->stats.publishes = 0;
    m->stats.early_flushes = 0;
    m->stats.page_invals = 0;
    m->stats.full_invals = 0;
    m->stats.barriers = 0;
    m->stats.hypercalls = 0;
    m->stats.bbm = 0;
}
#endif

static inline void lazy_mmu_init(struct lazy_mmu *m)
{
    m->depth = 0;
    m->pending = 0;
    m->nranges = 0;
    m->npages = 0;
    lazy_mmu__disarm(m);
    m->tail = 0;
#if LAZY_MMU_ARCH_QUEUES_WRITES
    m->nwrites = 0;
    m->wfilter = 0;
    m->nfiltered = 0;
#endif
#if LAZY_MMU_STATS
    lazy_mmu_reset_stats(m);
#endif
#if LAZY_MMU_DEBUG
    m->magic = LAZY_MMU__MAGIC;
#endif
#if LAZY_MMU_SIMULATE
    m->sim = NULL;
#endif
    lazy_mmu_arch_init(m);
}

static inline lazy_mmu_state_t lazy_mmu__open(struct lazy_mmu *m, unsigned kind)
{
    lazy_mmu_state_t s;
    (void)kind;
    s.level = m->depth;
#if LAZY_MMU_DEBUG
    s.kind = kind;
    s.owner = m;
#endif
    return s;
}

/* The state must be the innermost open one, of the right kind, from m. */
static inline void lazy_mmu__check_close(const struct lazy_mmu *m, const lazy_mmu_state_t *s,
                                         unsigned kind, const char *foreign,
                                         const char *wrong_kind, const char *order)
{
    (void)m;
    (void)s;
    (void)kind;
    (void)foreign;
    (void)wrong_kind;
    (void)order;
    LAZY_MMU__CHECK(s->owner == m, foreign);
    LAZY_MMU__CHECK(s->kind == kind, wrong_kind);
    LAZY_MMU__CHECK(s->level == m->depth, order);
}

static inline lazy_mmu_state_t lazy_mmu_enter(struct lazy_mmu *m)
{
    lazy_mmu_state_t s;
    lazy_mmu__check_ctx(m, "lazy_mmu_enter: context used before lazy_mmu_init");
    LAZY_MMU__CHECK(lazy_mmu__sections(m) < LAZY_MMU__SECTIONS_MAX,
                    "lazy_mmu_enter: nesting too deep");
    m->depth += LAZY_MMU__ENTER_ONE;
    s = lazy_mmu__open(m, LAZY_MMU__KIND_ENTER);
#if LAZY_MMU_ARCH_HAS_STATE
    lazy_mmu_arch_enter(m, &s.arch);
#endif
    return s;
}

static inline void lazy_mmu_leave(struct lazy_mmu *m, lazy_mmu_state_t s)
{
    lazy_mmu__check_ctx(m, "lazy_mmu_leave: context used before lazy_mmu_init");
    LAZY_MMU__CHECK(lazy_mmu__sections(m) != 0, "lazy_mmu_leave: no section to leave");
    lazy_mmu__check_close(m, &s, LAZY_MMU__KIND_ENTER,
                          "lazy_mmu_leave: state belongs to another context",
                          "lazy_mmu_leave: state came from lazy_mmu_pause",
                          "lazy_mmu_leave: sections left out of order (not LIFO)");
    lazy_mmu__publish(m);
#if LAZY_MMU_ARCH_HAS_STATE
    lazy_mmu_arch_leave(m, &s.arch);
#endif
    m->depth -= LAZY_MMU__ENTER_ONE;
}

static inline void lazy_mmu_flush(struct lazy_mmu *m)
{
    lazy_mmu__check_ctx(m, "lazy_mmu_flush: context used before lazy_mmu_init");
    lazy_mmu__publish(m);
}

static inline lazy_mmu_state_t lazy_mmu_pause(struct lazy_mmu *m)
{
    lazy_mmu_state_t s;
    lazy_mmu__check_ctx(m, "lazy_mmu_pause: context used before lazy_mmu_init");
    LAZY_MMU__CHECK(lazy_mmu__pauses(m) < LAZY_MMU__PAUSES_MAX, "lazy_mmu_pause: nesting too deep");
    lazy_mmu__publish(m);
    m->depth -= LAZY_MMU__PAUSE_ONE;
    s = lazy_mmu__open(m, LAZY_MMU__KIND_PAUSE);
#if LAZY_MMU_ARCH_HAS_STATE
    lazy_mmu_arch_pause(m, &s.arch); /* required of a backend with state */
#endif
    return s;
}

static inline void lazy_mmu_resume(struct lazy_mmu *m, lazy_mmu_state_t s)
{
    lazy_mmu__check_ctx(m, "lazy_mmu_resume: context used before lazy_mmu_init");
    LAZY_MMU__CHECK(lazy_mmu__pauses(m) != 0, "lazy_mmu_resume: not paused");
    lazy_mmu__check_close(m, &s, LAZY_MMU__KIND_PAUSE,
                          "lazy_mmu_resume: state belongs to another context",
                          "lazy_mmu_resume: state came from lazy_mmu_enter",
                          "lazy_mmu_resume: sections resumed out of order (not LIFO)");
    m->depth += LAZY_MMU__PAUSE_ONE;
}

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
    lazy_mmu__check_ctx(m, "lazy_mmu_set_pte: context used before lazy_mmu_init");
    LAZY_MMU__CHECK(ptep != NULL && ((uintptr_t)ptep & (sizeof(*ptep) - 1)) == 0,
                    "lazy_mmu_set_pte: entry pointer is NULL or misaligned");
    LAZY_MMU__CHECK((va & LAZY_MMU__PAGE_MASK) == 0, "lazy_mmu_set_pte: va is not page-aligned");
    LAZY_MMU__COUNT(m, updates, 1);
    /* A release build takes a misaligned va as its page, in the slow paths
     * that record it (lazy_mmu__defer_pages). */
    lazy_mmu_arch_set_pte(m, ptep, pte, va);
    lazy_mmu__settle(m);
}

static inline lazy_mmu_pte_t lazy_mmu_get_pte(struct lazy_mmu *m, const lazy_mmu_pte_t *ptep)
{
    lazy_mmu__check_ctx(m, "lazy_mmu_get_pte: context used before lazy_mmu_init");
    return lazy_mmu_arch_get_pte(m, ptep);
}

static inline void lazy_mmu_invalidate_page(struct lazy_mmu *m, uintptr_t va)
{
    lazy_mmu__check_ctx(m, "lazy_mmu_invalidate_page: context used before lazy_mmu_init");
    LAZY_MMU__CHECK((va & LAZY_MMU__PAGE_MASK) == 0,
                    "lazy_mmu_invalidate_page: va is not page-aligned");
    LAZY_MMU__COUNT(m, inval_requests, 1);
    va &= ~LAZY_MMU__PAGE_MASK; /* as in lazy_mmu_set_pte */
    lazy_mmu_arch_invalidate_pages(m, va, va);
    lazy_mmu__settle(m);
}

/* Invalidates every page that the bytes [start, end) touch. */
static inline void lazy_mmu_invalidate_range(struct lazy_mmu *m, uintptr_t start, uintptr_t end)
{
    lazy_mmu__check_ctx(m, "lazy_mmu_invalidate_range: context used before lazy_mmu_init");
    /* A range that wraps past the top of the address space has end < start
     * too: [start, end) cannot express it, so it is the same misuse. */
    LAZY_MMU__CHECK(end >= start, "lazy_mmu_invalidate_range: end is before start (or wraps)");
    LAZY_MMU__COUNT(m, inval_requests, 1);
    if (end <= start)
        return;
    lazy_mmu_arch_invalidate_pages(m, start & ~LAZY_MMU__PAGE_MASK, (end - 1) & ~LAZY_MMU__PAGE_MASK);
    lazy_mmu__settle(m);
}

static inline void lazy_mmu_invalidate_all(struct lazy_mmu *m)
{
    lazy_mmu__check_ctx(m, "lazy_mmu_invalidate_all: context used before lazy_mmu_init");
    LAZY_MMU__COUNT(m, inval_requests, 1);
    lazy_mmu_arch_invalidate_all(m);
    lazy_mmu__defer_all(m);
    lazy_mmu__settle(m);
}

#if LAZY_MMU_STATS
static inline const struct lazy_mmu_stats *lazy_mmu_get_stats(const struct lazy_mmu *m)
{
    return &m->stats;
}
#endif

#endif /* LAZYMMU_H */
