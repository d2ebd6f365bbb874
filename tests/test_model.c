/* tests/test_model.c - random sequences checked against the eager semantics.
 *
 * Sequences of enter/leave/flush/pause/resume, set_pte, changes behind the
 * library's back (lazy_mmu_sim_poke) plus an invalidation request, and
 * simulated accesses run against an array of what every entry would be if
 * every call were eager.  At every visibility point the simulated MMU must
 * agree with it exactly; inside a section an access may only see an entry the
 * page has had since the last visibility point.
 *
 * Replay a failure with what it prints:  LAZYMMU_SEED=<seed> LAZYMMU_SEQ=<n>
 *   LAZYMMU_TRACE=1 CK_RUN_SUITE=model/<arch> build/plain/run-tests
 * LAZYMMU_SEQS=<count> changes the count; LAZYMMU_VERBOSE=1 prints coverage.
 *
 * This TU keeps the library's hosted panic (TEST_HOSTED_PANIC): sequences
 * never misuse the API, and the last test checks that default itself.
 */
#define TEST_HOSTED_PANIC 1
#include "harness.h"

#include <inttypes.h>
#include <stdarg.h>
#include <sys/wait.h>

#define NSEQ_DEFAULT 100000ul
#define SEED_DEFAULT 0x6c617a796d6d7521ull
/* Window sizes: small (most sequences: frequent collisions), medium (every
 * 5th: long sections past the batch limit), large (every LARGE_EVERY-th:
 * past every backend's full-invalidation threshold). */
#define SMALL_MIN 8
#define SMALL_MAX 48
#define MEDIUM_MIN 72
#define MEDIUM_MAX 160
#define LARGE_MIN 1024
#define LARGE_MAX 2048
#define LARGE_EVERY 250
#define MAX_DEPTH 8
#define HIST 16 /* values a page may show inside a section; more: not checked */
#define HIST_LOST 0xff

#ifdef LAZY_MMU_ARCH_X86_64
#define PTE_G LAZY_MMU_X86_64_PTE_G
#else
#define PTE_G ((lazy_mmu_pte_t)0)
#endif
#ifdef LAZY_MMU_ARCH_AARCH64
#define FAULT_IN_SECTION 1 /* a broken entry waiting for its make */
#else
#define FAULT_IN_SECTION 0
#endif
/* paravirt queues every write: memory lags the library's view. */
#ifdef LAZY_MMU_ARCH_PARAVIRT
#define TEST_QUEUES_WRITES 1
#else
#define TEST_QUEUES_WRITES 0
#endif

enum { OP_ENTER, OP_LEAVE, OP_PAUSE, OP_RESUME, OP_FLUSH, OP_SET, OP_INVAL, OP_ACCESS, NOPS };

static struct lazy_mmu_sim sim;
static struct lazy_mmu mmu;
static lazy_mmu_pte_t model[LARGE_MAX];      /* what eager calls would have left */
static lazy_mmu_pte_t hist[LARGE_MAX][HIST]; /* values since the last visibility point */
static unsigned char nhist[LARGE_MAX];
static unsigned char libw[LARGE_MAX]; /* set_pte since the last visibility point */
static unsigned char hasg[LARGE_MAX]; /* x86: a global entry since then */
static unsigned char changed[LARGE_MAX];     /* set or poked since then */
static unsigned touched[LARGE_MAX], ntouched; /* those pages */
static int tracing;

struct run {
    uint64_t seed, rng, full_seen, early_seen;
    unsigned long seq;
    unsigned nops, opi, npages, last;
    unsigned scatter; /* % of pages picked apart from any other */
    unsigned global_one_in; /* x86: how rare global entries are */
    bool large, long_sections, dive;
    bool inval_all; /* requested since the last visibility point */
    bool cross;     /* the next invalidation request crosses the threshold */
    unsigned run_left; /* updates left in a run of consecutive pages */
    bool sweep;     /* the next visibility point re-checks every page */
    unsigned depth, enters, pauses;
    lazy_mmu_state_t st[MAX_DEPTH];
    bool is_pause[MAX_DEPTH];
};

/* What the run reached, so a generator that stops aiming at an edge fails. */
static struct {
    unsigned long ops, vps, depth_max, full_by_threshold, lost, in_section;
    uint64_t early, merges, bbm, full;
} cover;

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static unsigned below(struct run *r, unsigned n)
{
    return (unsigned)(((splitmix(&r->rng) >> 32) * n) >> 32);
}

#define TRACE(...) \
    do { \
        if (tracing) { \
            fprintf(stderr, "  #%u d%u ", r->opi, r->depth); \
            fprintf(stderr, __VA_ARGS__); \
            fputc('\n', stderr); \
        } \
    } while (0)

static void model_fail(const struct run *r, int line, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ck_abort_msg("model/%s seed=%#" PRIx64 " seq=%lu op=%u (%u pages, line %d): %s "
                 "[replay: LAZYMMU_SEED=%#" PRIx64 " LAZYMMU_SEQ=%lu LAZYMMU_TRACE=1]",
                 TEST_ARCH_NAME, r->seed, r->seq, r->opi, r->npages, line, msg, r->seed, r->seq);
}
#define FAIL_IF(cond, ...) \
    do { \
        if (cond) \
            model_fail(r, __LINE__, __VA_ARGS__); \
    } while (0)

#define valid lazy_mmu__arch_pte_valid

/* What an access through a page with entry v returns: the entry, or 0 (fault). */
#define seen(v) (valid(v) ? (v) : 0)
#define active(r) ((r)->enters != 0 && (r)->pauses == 0)

/* ---- entry values ---- */

static lazy_mmu_pte_t flags(struct run *r)
{
    static const unsigned bits[] = {1, 2, 5, 6, 52, 54, 63};
    lazy_mmu_pte_t f = 0;
    unsigned i;
    for (i = 0; i < sizeof bits / sizeof bits[0]; i++)
        f |= (lazy_mmu_pte_t)below(r, 2) << bits[i];
    return f;
}

static lazy_mmu_pte_t frame_of(lazy_mmu_pte_t v)
{
    return (v >> 12) & 0xfffffffffull; /* also aarch64's output address */
}

/* global_one_in: how rare a global entry is (x86 only); 0 for never. */
static lazy_mmu_pte_t new_valid(struct run *r, lazy_mmu_pte_t not_frame, unsigned global_one_in)
{
    lazy_mmu_pte_t f;
    do
        f = 1 + below(r, 0xfffff);
    while (f == not_frame);
    return test_pte(f) | flags(r) | (global_one_in && below(r, global_one_in) == 0 ? PTE_G : 0);
}

/* Mostly 0; sometimes a not-present entry with other bits (a swap entry). */
static lazy_mmu_pte_t new_invalid(struct run *r)
{
    if (below(r, 4))
        return 0;
    return ((test_pte(1 + below(r, 0xfffff)) | flags(r)) & ~(lazy_mmu_pte_t)1) & ~PTE_G;
}

/* Map, remap to another frame, change permissions, unmap, or rewrite. */
static lazy_mmu_pte_t next_value(struct run *r, lazy_mmu_pte_t old)
{
    unsigned k = below(r, 20);
    lazy_mmu_pte_t t = 0;

    if (!valid(old))
        return k < 17 ? new_valid(r, 0, r->global_one_in) : new_invalid(r);
    if (k < 7)
        return new_valid(r, frame_of(old), r->global_one_in);
    if (k < 13) {
        while (!t)
            t = flags(r) | (below(r, r->global_one_in) == 0 ? PTE_G : 0);
        return old ^ t;
    }
    return k < 18 ? new_invalid(r) : old;
}

/* ---- the reference and its checks ---- */

/* The next visibility point re-checks page p. */
static void touch(unsigned p)
{
    if (p < sim.npages && !changed[p]) {
        changed[p] = 1;
        touched[ntouched++] = p;
    }
}

static void hist_add(unsigned p, lazy_mmu_pte_t v)
{
    unsigned k;
    touch(p);
    hasg[p] |= (v & PTE_G) != 0;
    for (k = 0; nhist[p] != HIST_LOST && k < nhist[p]; k++)
        if (hist[p][k] == v)
            return;
    if (nhist[p] == HIST) {
        nhist[p] = HIST_LOST;
        cover.lost++;
    } else if (nhist[p] != HIST_LOST) {
        hist[p][nhist[p]++] = v;
    }
}

/* Inside a section: the old entry, a newer one or (aarch64 with a pending
 * break-before-make) a fault; never anything the page has not had. */
static bool access_allowed(unsigned p, lazy_mmu_pte_t got)
{
    unsigned k;
    if (nhist[p] == HIST_LOST || (got == 0 && FAULT_IN_SECTION))
        return true;
    for (k = 0; k < nhist[p]; k++)
        if (seen(hist[p][k]) == got)
            return true;
    return false;
}

/* Every page must translate what the model says.  Large windows re-check
 * (and re-cache) only the pages changed since the last visibility point,
 * unless something may have dropped other translations since. */
static void visibility_point(struct run *r, const char *why)
{
    const struct lazy_mmu_stats *st = lazy_mmu_get_stats(&mmu);
    size_t stale = lazy_mmu_sim_stale(&sim);
    bool all = r->npages <= MEDIUM_MAX || r->sweep || st->full_invals != r->full_seen;
    unsigned i, k;

    cover.vps++;
    FAIL_IF(sim.violation, "after %s: %s", why, sim.violation);
    FAIL_IF(sim.need_isb, "after %s: no ISB after the TLB maintenance", why);
    FAIL_IF(lazy_mmu_is_active(&mmu) != active(r), "after %s: is_active wrong", why);
    for (i = 0; stale && i < r->npages; i++) {
        FAIL_IF(lazy_mmu_sim_page_stale(&sim, i),
                "after %s: page %u translates stale: memory %#" PRIx64 ", walker %#" PRIx64
                ", TLB %#" PRIx64 " (state %u)",
                why, i, sim.pt[i], sim.walk[i], sim.tlb[0][i], sim.tlb_state[0][i]);
    }
    FAIL_IF(stale, "after %s: lazy_mmu_sim_stale() = %zu", why, stale);
    for (k = 0; k < (all ? r->npages : ntouched); k++) {
        lazy_mmu_pte_t want, got;
        i = all ? k : touched[k];
        want = model[i];
        got = lazy_mmu_get_pte(&mmu, &sim.pt[i]);
        FAIL_IF(got != want || sim.pt[i] != want,
                "after %s: page %u: get_pte %#" PRIx64 ", memory %#" PRIx64 ", model %#" PRIx64,
                why, i, got, sim.pt[i], want);
        got = lazy_mmu_sim_access(&sim, TEST_VA(i)); /* caches it: the next stale read shows */
        FAIL_IF(got != seen(want), "after %s: access(page %u) = %#" PRIx64 ", model %#" PRIx64,
                why, i, got, want);
        hist[i][0] = want;
        nhist[i] = 1;
        libw[i] = changed[i] = 0;
        hasg[i] = (want & PTE_G) != 0;
    }
    FAIL_IF(sim.violation, "accesses after %s: %s", why, sim.violation);
    /* Not proof on riscv64 or stage 2, where explicit requests flush all. */
    cover.full_by_threshold += st->full_invals != r->full_seen && !r->inval_all;
    r->full_seen = st->full_invals;
    r->inval_all = r->sweep = false;
    ntouched = 0;
}

/* After an operation that is not a visibility point.  get_pte must see this
 * context's own queued writes at all times; past the small windows only
 * around the page touched, to stay fast. */
static void check_inside(struct run *r, unsigned p)
{
    unsigned small = r->npages <= SMALL_MAX, i = small || p < 2 ? 0 : p - 2;
    unsigned end = small || p + 3 > r->npages ? r->npages : p + 3;

    FAIL_IF(sim.violation, "%s", sim.violation);
    FAIL_IF(lazy_mmu_is_active(&mmu) != active(r), "is_active wrong");
    for (; i < end; i++)
        FAIL_IF(lazy_mmu_get_pte(&mmu, &sim.pt[i]) != model[i],
                "get_pte(page %u) = %#" PRIx64 ", model %#" PRIx64, i,
                lazy_mmu_get_pte(&mmu, &sim.pt[i]), model[i]);
}

static void after(struct run *r, const char *what, unsigned p)
{
    if (active(r))
        check_inside(r, p);
    else
        visibility_point(r, what);
}

/* ---- the generator ---- */

/* Mostly runs, forwards and backwards, and rewrites of the same entry, so
 * ranges coalesce and split; scattered picks (even pages only) never touch
 * each other, so they fill the batch with separate ranges. */
static unsigned pick_page(struct run *r)
{
    unsigned x = below(r, 100), p;
    if (r->run_left)
        p = r->last + 1 < r->npages ? r->last + 1 : 0;
    else if (x < r->scatter)
        p = below(r, 10) == 0 ? r->last : 2 * below(r, r->npages / 2);
    else if (x < (r->large ? 10u : 25u))
        p = r->last;
    else if (x < (r->large ? 60u : 50u))
        p = r->last + 1 < r->npages ? r->last + 1 : below(r, r->npages);
    else if (x < (r->large ? 80u : 70u))
        p = r->last > 0 ? r->last - 1 : below(r, r->npages);
    else
        p = below(r, r->npages);
    return r->last = p;
}

/* A change behind the library's back must be one a careful kernel could
 * make: not under a write the library may have queued (it would land on top
 * at publish) or, on aarch64, of an entry it may have broken (the publish
 * sets bit 0 of whatever the entry then holds), not of a global entry on x86
 * (the library cannot know to drop it), and on aarch64
 * break-before-make-safe against every translation the TLB may still hold
 * (see poke). */
static bool can_poke(unsigned p)
{
    return !((TEST_QUEUES_WRITES || FAULT_IN_SECTION) && libw[p]) && !hasg[p];
}

static void poke(struct run *r, unsigned p)
{
    lazy_mmu_pte_t v = below(r, 3) ? new_valid(r, frame_of(model[p]), 0) : new_invalid(r);
    unsigned k;

    for (k = 0; FAULT_IN_SECTION && valid(v) && k < nhist[p]; k++)
        if (nhist[p] == HIST_LOST || (valid(hist[p][k]) && frame_of(hist[p][k]) != frame_of(v)))
            v = 0; /* break instead */
    TRACE("poke page %u = %#" PRIx64, p, v);
    lazy_mmu_sim_poke(&sim, TEST_VA(p), v);
    model[p] = v;
    hist_add(p, v);
}

static void op_set(struct run *r)
{
    unsigned p = pick_page(r);
    lazy_mmu_pte_t v = next_value(r, model[p]);

    TRACE("set_pte page %u = %#" PRIx64 " (was %#" PRIx64 ")", p, v, model[p]);
    lazy_mmu_set_pte(&mmu, &sim.pt[p], v, TEST_VA(p));
    model[p] = v;
    hist_add(p, v);
    libw[p] = 1;
    after(r, "set_pte", p);
}

/* Pokes some pages, then asks for their invalidation by page, range or all;
 * one request in four pokes nothing and may lie outside the window or be an
 * empty range: those must change nothing. */
static void op_invalidate(struct run *r)
{
    unsigned kind = r->cross ? 1 : below(r, 4), p = pick_page(r), n, i;
    bool unrelated = !r->cross && below(r, 4) == 0;
    uintptr_t start, end;

    if (kind == 0) {
        start = unrelated ? TEST_VA(below(r, r->npages + 8)) - 4 * LAZY_MMU_PAGE_SIZE : TEST_VA(p);
        if (!unrelated && can_poke(p))
            poke(r, p);
        touch((unsigned)((start - TEST_BASE) >> LAZY_MMU_PAGE_SHIFT)); /* if in the window */
        TRACE("invalidate_page %#" PRIxPTR, start);
        lazy_mmu_invalidate_page(&mmu, start);
    } else if (kind < 3) {
        n = r->cross ? LAZY_MMU_FLUSH_ALL_THRESHOLD + 1
                     : 1 + below(r, r->large ? 700u : r->long_sections ? 80u : 8u);
        if (n > r->npages - p) {
            p = r->npages > n ? below(r, r->npages - n + 1) : 0;
            n = r->npages - p < n ? r->npages - p : n;
        }
        r->cross = false;
        for (i = p; i < p + n && !unrelated; i++)
            if (below(r, 2) && can_poke(i))
                poke(r, i);
        /* [start, end) in bytes, touching exactly pages p .. p + n - 1 */
        start = TEST_VA(p) + below(r, LAZY_MMU_PAGE_SIZE);
        end = n == 1 ? start + 1 : TEST_VA(p + n - 1) + 1;
        end += below(r, (unsigned)(TEST_VA(p + n) - end + 1));
        if (unrelated) { /* shifted partly out of the window, or empty */
            start -= 4 * LAZY_MMU_PAGE_SIZE;
            end = below(r, 4) ? end + r->npages * LAZY_MMU_PAGE_SIZE : start;
        }
        for (i = p; i < p + n; i++)
            touch(i);
        r->sweep |= unrelated;
        TRACE("invalidate_range [%#" PRIxPTR ", %#" PRIxPTR ")", start, end);
        lazy_mmu_invalidate_range(&mmu, start, end);
    } else {
        for (i = unrelated ? 0 : below(r, 4); i-- > 0;)
            if (can_poke(p = below(r, r->npages)))
                poke(r, p);
        TRACE("invalidate_all");
        lazy_mmu_invalidate_all(&mmu);
        r->inval_all = r->sweep = true;
    }
    after(r, "invalidation request", p);
}

static void op_access(struct run *r)
{
    unsigned p = below(r, 2) ? r->last : below(r, r->npages);
    lazy_mmu_pte_t got = lazy_mmu_sim_access(&sim, TEST_VA(p));

    TRACE("access page %u -> %#" PRIx64, p, got);
    cover.in_section += active(r);
    FAIL_IF(active(r) ? !access_allowed(p, got) : got != seen(model[p]),
            "access(page %u) = %#" PRIx64 "%s, model %#" PRIx64, p, got,
            active(r) ? " in a section: never that page's since the last visibility point" : "",
            model[p]);
    after(r, "access", p);
}

static void open_section(struct run *r, bool is_pause)
{
    TRACE(is_pause ? "pause" : "enter");
    r->st[r->depth] = is_pause ? lazy_mmu_pause(&mmu) : lazy_mmu_enter(&mmu);
    r->is_pause[r->depth++] = is_pause;
    r->pauses += is_pause;
    r->enters += !is_pause;
    cover.depth_max += r->depth == MAX_DEPTH;
    if (is_pause)
        visibility_point(r, "pause");
    else
        after(r, "enter", r->last);
}

/* Leaves or resumes the innermost section, LIFO. */
static void pop(struct run *r)
{
    lazy_mmu_state_t s = r->st[--r->depth];
    if (r->is_pause[r->depth]) {
        TRACE("resume");
        r->pauses--;
        lazy_mmu_resume(&mmu, s);
        after(r, "resume", r->last);
    } else {
        TRACE("leave");
        r->enters--;
        lazy_mmu_leave(&mmu, s);
        visibility_point(r, "leave");
    }
}

static unsigned pick_op(struct run *r)
{
    bool top_pause = r->depth && r->is_pause[r->depth - 1], room = r->depth < MAX_DEPTH;
    bool can_leave = r->depth && !top_pause;
    /* ENTER LEAVE PAUSE RESUME FLUSH SET INVAL ACCESS */
    unsigned longw[NOPS] = {room ? (active(r) ? 3 : 400) : 0, can_leave ? 3 : 0, room,
                            top_pause ? 400 : 0, 2, 900, 23, 40};
    unsigned shortw[NOPS] = {room ? (r->dive ? 24 : 9) : 0, can_leave ? 8 : 0,
                             room ? (r->depth ? 4 : 1) : 0, top_pause ? 12 : 0, r->depth ? 4 : 1,
                             40, 10, 12};
    const unsigned *w = r->long_sections ? longw : shortw;
    uint64_t early = lazy_mmu_get_stats(&mmu)->early_flushes;
    unsigned total = 0, i, x;

    /* Right after an early flush, often cross the threshold in the same
     * batch - by a request or by a run of updates: what the flush reset must
     * not lose what was recorded before it. */
    if (early != r->early_seen) {
        r->early_seen = early;
        x = below(r, 4);
        if ((r->cross = x == 0))
            return OP_INVAL;
        if (x < 3)
            r->run_left = 2 * LAZY_MMU_FLUSH_ALL_THRESHOLD + 2;
    }
    if (r->run_left)
        return --r->run_left ? OP_SET : OP_FLUSH; /* then publish what it crossed */
    for (i = 0; i < NOPS; i++)
        total += w[i];
    x = below(r, total);
    for (i = 0; x >= w[i]; i++)
        x -= w[i];
    return i;
}

static void step(struct run *r)
{
    unsigned op = pick_op(r);

    switch (op) {
    case OP_ENTER: case OP_PAUSE: open_section(r, op == OP_PAUSE); break;
    case OP_LEAVE: case OP_RESUME: pop(r); break;
    case OP_SET: op_set(r); break;
    case OP_INVAL: op_invalidate(r); break;
    case OP_ACCESS: op_access(r); break;
    default:
        TRACE("flush");
        lazy_mmu_flush(&mmu);
        visibility_point(r, "flush");
        break;
    }
}

static void run_sequence(struct run *r)
{
    const struct lazy_mmu_stats *st;
    uint64_t s = r->seed + r->seq * 0xd1b54a32d192ed03ull;
    unsigned i, prepopulate;

    r->rng = splitmix(&s);
    r->large = r->seq % LARGE_EVERY == LARGE_EVERY - 1;
    r->long_sections = r->large || r->seq % 5 == 4;
    if (r->large) {
        r->npages = LARGE_MIN + below(r, LARGE_MAX - LARGE_MIN + 1);
        r->nops = 1200 + below(r, 1200);
        r->scatter = below(r, 3) == 0 ? 90 : 0;
        prepopulate = below(r, 10) != 0;
    } else if (r->long_sections) {
        r->npages = MEDIUM_MIN + below(r, MEDIUM_MAX - MEDIUM_MIN + 1);
        r->nops = 60 + below(r, 141);
        r->scatter = below(r, 2) ? 100 : 50 + below(r, 51);
        prepopulate = below(r, 4) != 0;
    } else {
        r->npages = SMALL_MIN + below(r, SMALL_MAX - SMALL_MIN + 1);
        r->nops = 20 + below(r, 41);
        r->scatter = 0;
        prepopulate = below(r, 2);
    }
    r->dive = below(r, 4) == 0;
    /* Dense global entries meet every flush; sparse ones let a batch hold
     * one global entry among many that are not. */
    r->global_one_in = 2u << 2 * below(r, 4);
    r->last = below(r, r->npages);
    r->depth = r->enters = r->pauses = r->opi = 0;
    r->inval_all = r->cross = false;
    r->sweep = true;
    ntouched = 0;
    r->full_seen = r->early_seen = 0;
    r->run_left = 0;
    if (tracing)
        fprintf(stderr, "model/%s seq %lu: %u pages, %u ops, %u%% scattered\n", TEST_ARCH_NAME,
                r->seq, r->npages, r->nops, r->scatter);

    lazy_mmu_sim_init(&sim, TEST_BASE, r->npages);
#ifdef LAZY_MMU_ARCH_RISCV64
    sim.svvptc = LAZY_MMU_RISCV64_SVVPTC; /* the harts are what the build declares */
#endif
    lazy_mmu_init(&mmu);
    lazy_mmu_sim_attach(&mmu, &sim);
    /* Boot-time mappings the walker already sees; global ones on x86 too. */
    for (i = 0; i < r->npages; i++) {
        model[i] = prepopulate && below(r, 5) ? new_valid(r, 0, r->global_one_in) : 0;
        changed[i] = 0;
        lazy_mmu_sim_poke(&sim, TEST_VA(i), model[i]);
    }
    visibility_point(r, "setup");

    for (r->opi = 0; r->opi < r->nops; r->opi++)
        step(r);
    for (; r->depth; r->opi++) /* close what is still open, checking each level */
        pop(r);
    for (i = 0; i < r->npages; i++)
        FAIL_IF(sim.pt[i] != model[i], "at the end page %u holds %#" PRIx64 ", model %#" PRIx64,
                i, sim.pt[i], model[i]);
    st = lazy_mmu_get_stats(&mmu);
    cover.ops += r->opi;
    cover.early += st->early_flushes;
    cover.merges += st->merges;
    cover.bbm += st->bbm;
    cover.full += st->full_invals;
}

/* KNOWN LIBRARY BUGS this test reports with the default seed (open when it
 * was written; details in the helper's report to the lead):
 *  - aarch64 (and aarch64_s2), seq 4: an entry unmapped and then mapped to
 *    another frame in one section is stored while the old translation may
 *    still be cached: break-before-make violated.
 *  - x86_64, seq 10079: a global entry's "global" mark is set before the
 *    early publish its own invalidation triggers, which clears it; a later
 *    full flush of that batch is a CR3 reload and keeps the stale entry. */
START_TEST(random_sequences)
{
    struct run run, *r = &run;
    const char *seed = getenv("LAZYMMU_SEED"), *seqs = getenv("LAZYMMU_SEQS");
    const char *one = getenv("LAZYMMU_SEQ");
    unsigned long first = one ? strtoul(one, NULL, 0) : 0;
    unsigned long count = one ? 1 : seqs ? strtoul(seqs, NULL, 0) : NSEQ_DEFAULT;

    memset(&run, 0, sizeof run);
    run.seed = seed ? strtoull(seed, NULL, 0) : SEED_DEFAULT;
    tracing = getenv("LAZYMMU_TRACE") != NULL;
    for (run.seq = first; run.seq < first + count; run.seq++)
        run_sequence(r);
    if (getenv("LAZYMMU_VERBOSE"))
        printf("model/%s: %lu sequences, %lu ops, %lu visibility points; depth %d %lu times, "
               "early flushes %" PRIu64 ", merges %" PRIu64 ", full invalidations %" PRIu64
               " (%lu not asked for), "
               "bbm %" PRIu64 ", in-section accesses %lu, unchecked histories %lu\n",
               TEST_ARCH_NAME, count, cover.ops, cover.vps, MAX_DEPTH, cover.depth_max, cover.early,
               cover.merges, cover.full, cover.full_by_threshold, cover.bbm, cover.in_section,
               cover.lost);
    if (first != 0 || count < NSEQ_DEFAULT)
        return; /* a replay or a short run: the edges need not all be reached */
    ck_assert_msg(cover.depth_max > 0, "never nested %d deep", MAX_DEPTH);
    ck_assert_msg(cover.full_by_threshold > 0, "never crossed the full-invalidation threshold");
    ck_assert_msg(cover.in_section > 0, "never accessed a page inside a section");
    /* Not where the ranges cannot fill: riscv64's defaults (64 ranges, 64
     * pages) reach the threshold first, and EPT keeps no ranges at all. */
#if !defined(LAZY_MMU_ARCH_RISCV64) && !(defined(LAZY_MMU_ARCH_X86_64) && LAZY_MMU_STAGE2)
    ck_assert_msg(cover.merges > 0, "the batch never filled (no merge)");
#endif
    /* The backends with a record of their own that can fill. */
    ck_assert_msg(cover.early > 0 || !(FAULT_IN_SECTION || TEST_QUEUES_WRITES),
                  "no early send (aarch64 makes or the paravirt queue never filled)");
    ck_assert_msg(cover.bbm > 0 || !FAULT_IN_SECTION, "never needed break-before-make");
}
END_TEST

/* The hosted default (no LAZY_MMU_PANIC override): message on stderr, then
 * SIGABRT.  In a child, so the abort and its output can be inspected. */
START_TEST(hosted_default_panic_prints_and_aborts)
{
    char buf[256];
    size_t len = 0;
    ssize_t n;
    int fds[2], status;
    pid_t pid;

    ck_assert_int_eq(pipe(fds), 0);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        static struct lazy_mmu_sim child_sim; /* enter reads PKRU on x86_64_pkru */
        struct lazy_mmu m;
        lazy_mmu_state_t s;
        dup2(fds[1], 2);
        lazy_mmu_sim_init(&child_sim, TEST_BASE, 1);
        lazy_mmu_init(&m);
        lazy_mmu_sim_attach(&m, &child_sim);
        s = lazy_mmu_enter(&m);
        lazy_mmu_leave(&m, s);
        lazy_mmu_leave(&m, s);
        _exit(0); /* only if the check is gone */
    }
    close(fds[1]);
    while (len < sizeof buf - 1 && (n = read(fds[0], buf + len, sizeof buf - 1 - len)) > 0)
        len += (size_t)n;
    buf[len] = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT, "child status %#x", status);
    ck_assert_str_eq(buf, "lazymmu: lazy_mmu_leave: no section to leave\n");
}
END_TEST

Suite *SUITE_FN(model)(void)
{
    Suite *s = suite_create("model/" TEST_ARCH_NAME);
    TCase *tc = tcase_create("random");

    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, random_sequences);
    suite_add_tcase(s, tc);
    tc = tcase_create("hosted_panic");
    tcase_add_test(tc, hosted_default_panic_prints_and_aborts);
    suite_add_tcase(s, tc);
    return s;
}
