/* arch/generic/section.h - the section calls: lazy_mmu_init, enter and
 * leave, flush, pause and resume.  Part of the generic layer (included by
 * lazymmu.h, after the batch and the backend; no architecture named here).
 * SPDX-License-Identifier: MIT
 *
 * A context's depth counts open enters in its low 16 bits and open pauses,
 * 0x10000 each, below zero: active means depth > 0.  Each call hands out or
 * takes back a lazy_mmu_state_t, which a debug build checks is the
 * innermost open one, of its kind, from this context. */
#ifndef LAZY_MMU_GENERIC_SECTION_H
#define LAZY_MMU_GENERIC_SECTION_H

#if LAZY_MMU_STATS
/* Field by field: a struct assignment may become a memset call, and a
 * freestanding kernel need not have one. */
static inline void lazy_mmu_reset_stats(struct lazy_mmu *m)
{
    m->stats.updates = m->stats.inval_requests = m->stats.publishes = 0;
    m->stats.early_flushes = m->stats.merges = m->stats.page_invals = 0;
    m->stats.full_invals = m->stats.barriers = m->stats.hypercalls = m->stats.bbm = 0;
    m->stats.shootdowns = 0;
}
#endif

static inline void lazy_mmu_init(struct lazy_mmu *m)
{
    m->depth = 0;
    m->space = LAZY_MMU_SPACE_ALL;
    lazy_mmu__batch_done(m);
    m->hint = 0;
#if LAZY_MMU__F_BBM
    m->nmakes = 0;
    m->make_next = NULL;
#endif
#ifdef LAZY_MMU_FREE_FRAME
    m->nfrees = 0;
#endif
#if LAZY_MMU_STATS
    lazy_mmu_reset_stats(m);
#endif
#if LAZY_MMU_DEBUG
    m->magic = LAZY_MMU__MAGIC;
#endif
#if LAZY_MMU_SIMULATE
    m->sim = NULL;
    m->sim_cpu = 0;
#endif
    lazy_mmu__arch_init(m);
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

/* The state must be the innermost open one, of the right kind, from m.
 * fn is the closing call, other the call that opens the other kind, done
 * what fn does to a section: string literals, as for lazy_mmu__check_ctx. */
#define lazy_mmu__check_close(m, s, want_kind, fn, other, done) \
    do { \
        (void)(s); \
        LAZY_MMU__CHECK((s)->owner == (m), fn ": state belongs to another context"); \
        LAZY_MMU__CHECK((s)->kind == (want_kind), fn ": state came from " other); \
        LAZY_MMU__CHECK((s)->level == (m)->depth, \
                        fn ": sections " done " out of order (not LIFO)"); \
    } while (0)

static inline lazy_mmu_state_t lazy_mmu_enter(struct lazy_mmu *m)
{
    lazy_mmu_state_t s;
    lazy_mmu__check_ctx(m, "lazy_mmu_enter");
    LAZY_MMU__CHECK(lazy_mmu__sections(m) < LAZY_MMU__SECTIONS_MAX,
                    "lazy_mmu_enter: nesting too deep");
    m->depth += LAZY_MMU__ENTER_ONE;
    s = lazy_mmu__open(m, LAZY_MMU__KIND_ENTER);
#if LAZY_MMU__ARCH_HAS_STATE
    lazy_mmu__arch_enter(m, &s.arch);
#endif
    return s;
}

static inline void lazy_mmu_leave(struct lazy_mmu *m, lazy_mmu_state_t s)
{
    lazy_mmu__check_ctx(m, "lazy_mmu_leave");
    LAZY_MMU__CHECK(lazy_mmu__sections(m) != 0, "lazy_mmu_leave: no section to leave");
    lazy_mmu__check_close(m, &s, LAZY_MMU__KIND_ENTER, "lazy_mmu_leave", "lazy_mmu_pause", "left");
    lazy_mmu__publish(m);
#if LAZY_MMU__ARCH_HAS_STATE
    lazy_mmu__arch_leave(m, &s.arch);
#endif
    m->depth -= LAZY_MMU__ENTER_ONE;
}

static inline void lazy_mmu_flush(struct lazy_mmu *m)
{
    lazy_mmu__check_ctx(m, "lazy_mmu_flush");
    lazy_mmu__publish(m);
}

static inline lazy_mmu_state_t lazy_mmu_pause(struct lazy_mmu *m)
{
    lazy_mmu_state_t s;
    lazy_mmu__check_ctx(m, "lazy_mmu_pause");
    LAZY_MMU__CHECK(lazy_mmu__pauses(m) < LAZY_MMU__PAUSES_MAX, "lazy_mmu_pause: nesting too deep");
    lazy_mmu__publish(m);
    m->depth -= LAZY_MMU__PAUSE_ONE;
    s = lazy_mmu__open(m, LAZY_MMU__KIND_PAUSE);
#if LAZY_MMU__ARCH_HAS_STATE
    lazy_mmu__arch_pause(m, &s.arch); /* required of a backend with state */
#endif
    return s;
}

static inline void lazy_mmu_resume(struct lazy_mmu *m, lazy_mmu_state_t s)
{
    lazy_mmu__check_ctx(m, "lazy_mmu_resume");
    LAZY_MMU__CHECK(lazy_mmu__pauses(m) != 0, "lazy_mmu_resume: not paused");
    lazy_mmu__check_close(m, &s, LAZY_MMU__KIND_PAUSE, "lazy_mmu_resume", "lazy_mmu_enter",
                          "resumed");
    m->depth += LAZY_MMU__PAUSE_ONE;
}

#endif
