/* tests/test_policy.c - exact hardware-operation counts of each backend's policy.
 *
 * Every count is asserted twice, from the simulator (what the hardware saw)
 * and from lazy_mmu_get_stats (what the library believes it issued), against a
 * formula in the configuration macros worked out from arch/<x>/policy.h; a
 * cross-check then ties the two together independently of the formula.  The
 * formulas also cover the x86 global-pages and riscv Svinval/Svvptc variants,
 * so this file is meaningful in those builds too.  Coalescing of duplicate
 * and overlapping requests: test_policy_coalesce.c.
 */
#include <stddef.h>
#if defined(LAZY_MMU_ARCH_PARAVIRT)
/* Watch every hypercall so the INVLPG page counts can be cross-checked. */
struct lazy_mmu_paravirt_op;
static size_t test_paravirt_commit(void *hv, const struct lazy_mmu_paravirt_op *ops, size_t n);
#define LAZY_MMU_PARAVIRT_COMMIT test_paravirt_commit
#endif
#include "harness.h"

#define THR ((unsigned long)LAZY_MMU_FLUSH_ALL_THRESHOLD)
#define BATCH ((unsigned long)LAZY_MMU_BATCH_MAX)
#define MAXN (THR + 1 > 4 * BATCH ? THR + 1 : 4 * BATCH)
#define WINDOW (2 * MAXN + 2)
#define WRITABLE ((lazy_mmu_pte_t)1 << 1)
_Static_assert(WINDOW <= LAZY_MMU_SIM_PAGES, "the sparse runs need 2 * MAXN pages");

#include "window.h"

#include "counts.h"

#define check_visible(what) check_visible_at((what), __LINE__)

static void scale(struct expect *e, unsigned long k)
{
#define MUL_HW(f) e->hw.f *= k;
#define MUL_ST(f) e->st.f *= k;
    HW_FIELDS(MUL_HW)
    ST_FIELDS(MUL_ST)
#undef MUL_HW
#undef MUL_ST
}

/* How a section's invalidations are published: `pub` visibility points
 * (all but the last forced early), `pages` single-page invalidations in all,
 * `full` full invalidations. */
struct flushes {
    unsigned long pub, early, pages, full;
};

#if defined(LAZY_MMU_ARCH_PARAVIRT)
static unsigned long ceil_div(unsigned long a, unsigned long b)
{
    return (a + b - 1) / b;
}
#endif

/* n pages to invalidate at one visibility point: per page up to the
 * threshold, past it one full invalidation. */
static struct flushes coalesced(unsigned long n)
{
    struct flushes f = {1, 0, n <= THR ? n : 0, n <= THR ? 0 : 1};
    return f;
}


/* Pages the batch ends up invalidating for n pages that never touch, one
 * page apart: a range each while slots last, then every new one merges
 * with its nearest neighbour, adding the page between them. */
static unsigned long covered_sparse(unsigned long n)
{
    return n + (n > BATCH ? n - BATCH : 0);
}

static void count_flushes(struct expect *e, struct flushes f)
{
    e->st.publishes += f.pub;
    e->st.early_flushes += f.early;
    e->st.page_invals += f.pages;
    e->st.full_invals += f.full;
}

#if defined(LAZY_MMU_ARCH_X86_64)
static void issue(struct expect *e, struct flushes f)
{
    count_flushes(e, f);
    e->hw.invlpg += f.pages;
    /* No entry in these runs has G set: only the build option makes the
     * full flush global. */
    if (LAZY_MMU_X86_64_GLOBAL_PAGES)
        e->hw.global_flush += f.full;
    else
        e->hw.cr3_reload += f.full;
}
#elif defined(LAZY_MMU_ARCH_RISCV64)
static void issue(struct expect *e, struct flushes f)
{
    count_flushes(e, f);
    e->hw.sfence_all += f.full;
    if (LAZY_MMU_RISCV64_SVINVAL) {
        /* Publishes without a full fence bracket their SINVAL.VMAs. */
        e->hw.sinval += f.pages;
        e->hw.sfence_w_inval += f.pub - f.full;
        e->hw.sfence_inval_ir += f.pub - f.full;
        e->st.barriers += 2 * (f.pub - f.full);
    } else {
        e->hw.sfence_va += f.pages;
    }
}
#endif

/* ---- a section of n updates ---- */

enum kind {
    REMAP_UP,     /* valid -> valid, another frame, ascending pages */
    REMAP_DOWN,   /* the same, descending: ranges grow at the front */
    REMAP_SPARSE, /* every other page: no two updates coalesce */
    MAP_UP,       /* invalid -> valid */
    PERM_UP,      /* valid -> valid, same frame, write permission removed */
};
static const char *const kind_name[] = {"remap", "remap descending", "remap every other page",
                                        "map", "write-protect"};
static const unsigned long sizes[] = {1, THR, THR + 1, BATCH, 4 * BATCH};
#define NSIZES ((int)(sizeof sizes / sizeof sizes[0]))

#if defined(LAZY_MMU_ARCH_X86_64) || defined(LAZY_MMU_ARCH_RISCV64)
static struct expect expect_section(enum kind k, unsigned long n)
{
    struct expect e = none();

    e.st.updates = n;
    e.hw.stores = n; /* stores go straight to the page tables */
#if defined(LAZY_MMU_ARCH_X86_64)
    if (k == MAP_UP)
        return e; /* not-present entries are never cached */
#else
    if (k == MAP_UP && LAZY_MMU_RISCV64_SVVPTC)
        return e; /* the walker sees invalid->valid without a fence */
#endif
    issue(&e, coalesced(k == REMAP_SPARSE ? covered_sparse(n) : n));
    return e;
}
#elif defined(LAZY_MMU_ARCH_AARCH64)
static struct expect expect_section(enum kind k, unsigned long n)
{
    struct expect e = none();
    struct flushes f = coalesced(k == REMAP_SPARSE ? covered_sparse(n) : n);

    e.st.updates = n;
    if (k == MAP_UP) { /* nothing stale: the stores only need to be walkable */
        e.hw.stores = n;
        e.hw.dsb_ishst = e.hw.isb = 1;
        e.st.publishes = 1;
        e.st.barriers = 2;
        return e;
    }
    count_flushes(&e, f);
    e.hw.tlbi_va = f.pages;
    e.hw.tlbi_all = f.full;
    if (k == PERM_UP) { /* same output address: stored in place, no BBM */
        e.hw.stores = n;
        e.hw.dsb_ishst = e.hw.dsb_ish = e.hw.isb = 1;
        e.st.barriers = 3;
        return e;
    }
    /* Break-before-make: each entry stored with bit 0 clear now and made
     * after the TLBIs.  Entries a fixed stride apart are one run of makes
     * (ascending, descending, every other one), so every section here is
     * one publish: DSB ISHST, TLBIs, DSB ISH, the makes, DSB ISHST, ISB. */
    e.hw.stores = 2 * n;
    e.hw.dsb_ishst = 2;
    e.hw.dsb_ish = e.hw.isb = 1;
    e.st.barriers = 4;
    e.st.bbm = n;
    return e;
}
#else
#define QUEUE ((unsigned long)LAZY_MMU_PARAVIRT_QUEUE_MAX)
/* A full queue is sent on its own (SETs only); the visibility point sends
 * the rest with the batch's invalidations: INVLPG ops for its ranges, or
 * one INVAL_ALL past the threshold. */
static struct expect expect_section(enum kind k, unsigned long n)
{
    struct expect e = none();
    unsigned long pages = k == MAP_UP ? 0 : k == REMAP_SPARSE ? covered_sparse(n) : n;
    unsigned long ranges = k == MAP_UP ? 0 : k == REMAP_SPARSE ? (n < BATCH ? n : BATCH) : 1;
    struct flushes f = coalesced(pages);

    if (pages == 0)
        f.pages = 0;
    f.early = ceil_div(n, QUEUE) - 1;
    e.st.updates = n;
    count_flushes(&e, f);
    e.hw.hypercalls = e.st.hypercalls = ceil_div(n, QUEUE);
    e.hw.hypercall_ops = n + (f.full ? 1 : f.pages ? ranges : 0);
    return e;
}
#endif

static size_t page_of(enum kind k, unsigned long j, unsigned long n)
{
    if (k == REMAP_DOWN)
        return (size_t)(n - 1 - j);
    if (k == REMAP_SPARSE)
        return (size_t)(2 * j);
    return (size_t)j;
}

static void run_section(enum kind k, int size_index)
{
    unsigned long j, n = sizes[size_index];
    lazy_mmu_state_t s;
    struct expect e;
    char what[96];

    setup();
    for (j = 0; j < n; j++) {
        size_t p = page_of(k, j, n);
        if (k == MAP_UP)
            (void)lazy_mmu_sim_access(&sim, TEST_VA(p)); /* cache the fault */
        else
            boot(p, fresh() | WRITABLE);
    }
    start_counting_pv();
    s = lazy_mmu_enter(&m);
    for (j = 0; j < n; j++) {
        size_t p = page_of(k, j, n);
        set(p, k == PERM_UP ? want[p] & ~WRITABLE : fresh());
    }
    lazy_mmu_leave(&m, s);
    snprintf(what, sizeof what, "%s of %lu pages in one section", kind_name[k], n);
    e = expect_section(k, n);
    check_counts(&e, what);
    check_visible(what);
}

START_TEST(test_section_remap)
{
    run_section(REMAP_UP, _i);
}
END_TEST

START_TEST(test_section_remap_descending)
{
    run_section(REMAP_DOWN, _i);
}
END_TEST

START_TEST(test_section_remap_sparse)
{
    run_section(REMAP_SPARSE, _i);
}
END_TEST

START_TEST(test_section_map)
{
    run_section(MAP_UP, _i);
}
END_TEST

START_TEST(test_section_write_protect)
{
    run_section(PERM_UP, _i);
}
END_TEST

/* ---- eager: one update or request outside a section ---- */

enum eager { E_REMAP, E_PERM, E_MAP, E_UNMAP, E_ABSENT, E_INV_PAGE, E_INV_RANGE, E_INV_ALL, E_N };
static const char *const eager_name[] = {
    "remap", "write-protect", "map", "unmap", "clear an absent entry",
    "invalidate_page", "invalidate_range of 3 pages", "invalidate_all"};

/* The cost of one of them. */
static struct expect expect_eager(enum eager k)
{
    struct expect e = none();
    const bool valid_old = k == E_REMAP || k == E_PERM || k == E_UNMAP;
    const bool update = k <= E_ABSENT;
    struct flushes f = {1, 0, 0, 0};

    e.st.updates = update;
    e.st.inval_requests = !update;
    f.pages = k == E_INV_RANGE ? 3 : (valid_old || k == E_INV_PAGE);
    f.full = k == E_INV_ALL;
#if defined(LAZY_MMU_ARCH_X86_64)
    e.hw.stores = update;
    if (k == E_MAP || k == E_ABSENT)
        return e;
    count_flushes(&e, f);
    e.hw.invlpg = f.pages;
    e.hw.global_flush = f.full; /* invalidate_all means global entries too */
#elif defined(LAZY_MMU_ARCH_AARCH64)
    e.hw.stores = update + (k == E_REMAP); /* the break, then the make */
    if (k == E_ABSENT)
        return e;
    count_flushes(&e, f);
    e.hw.dsb_ishst = 1 + (k == E_REMAP);
    e.hw.isb = 1;
    if (k != E_MAP) {
        e.hw.tlbi_va = f.pages;
        e.hw.tlbi_all = f.full;
        e.hw.dsb_ish = 1;
    }
    e.st.barriers = e.hw.dsb_ishst + e.hw.dsb_ish + e.hw.isb;
    e.st.bbm = k == E_REMAP;
#elif defined(LAZY_MMU_ARCH_RISCV64)
    e.hw.stores = update;
    if (k == E_ABSENT || (k == E_MAP && LAZY_MMU_RISCV64_SVVPTC))
        return e;
    if (k == E_MAP)
        f.pages = 1; /* the hart may have cached the invalid entry */
    if (k == E_INV_PAGE || k == E_INV_RANGE) {
        /* The per-address fence covers leaf entries only, and an explicit
         * request may be for a replaced table: one global fence. */
        f.pages = 0;
        f.full = 1;
    }
    issue(&e, f);
#else
    e.st.publishes = 1;
    e.st.page_invals = f.pages;
    e.st.full_invals = f.full;
    e.hw.hypercalls = e.st.hypercalls = 1;
    /* A SET for an update, an INVLPG when something may be cached. */
    e.hw.hypercall_ops = update + (!update || valid_old);
#endif
    return e;
}

/* Three of a kind, on pages 4r..4r+2, each on its own. */
START_TEST(test_eager_costs)
{
    const enum eager k = (enum eager)_i;
    struct expect e;
    size_t r, i;

    setup();
    for (i = 0; i < 12; i++)
        if (k != E_MAP && k != E_ABSENT)
            boot(i, fresh() | WRITABLE);
    for (i = 0; i < 12; i++) /* changed behind the library's back */
        if (k == E_INV_ALL || (k == E_INV_RANGE && i % 4 != 3) || (k == E_INV_PAGE && i % 4 == 0))
            poke(i, fresh());
    start_counting_pv();
    for (r = 0; r < 3; r++) {
        size_t p = 4 * r;
        switch (k) {
        case E_REMAP: set(p, fresh()); break;
        case E_PERM: set(p, want[p] & ~WRITABLE); break;
        case E_MAP: set(p, fresh()); break;
        case E_UNMAP: set(p, 0); break;
        case E_ABSENT: set(p, 0); break;
        case E_INV_PAGE: lazy_mmu_invalidate_page(&m, TEST_VA(p)); break;
        case E_INV_RANGE: lazy_mmu_invalidate_range(&m, TEST_VA(p) + 1, TEST_VA(p + 2) + 1); break;
        default: lazy_mmu_invalidate_all(&m); break;
        }
    }
    e = expect_eager(k);
    scale(&e, 3);
    check_counts(&e, eager_name[k]);
    check_visible(eager_name[k]);
}
END_TEST

Suite *SUITE_FN(policy)(void)
{
    Suite *s = suite_create("policy-" TEST_ARCH_NAME);
    TCase *tc = tcase_create("policy-" TEST_ARCH_NAME);

    tcase_add_loop_test(tc, test_section_remap, 0, NSIZES);
    tcase_add_loop_test(tc, test_section_remap_descending, 0, NSIZES);
    tcase_add_loop_test(tc, test_section_remap_sparse, 0, NSIZES);
    tcase_add_loop_test(tc, test_section_map, 0, NSIZES);
    tcase_add_loop_test(tc, test_section_write_protect, 0, NSIZES);
    tcase_add_loop_test(tc, test_eager_costs, 0, E_N);
    suite_add_tcase(s, tc);
    return s;
}
