/* tests/test_batch.c - the one batch: which pages a visibility point
 * invalidates, and when it flushes everything instead, on every backend.
 *
 * The rule under test (lazymmu.h, struct lazy_mmu): a page is invalidated
 * once per visibility point however often it changed; more than
 * LAZY_MMU_FLUSH_ALL_THRESHOLD pending pages become one full flush; a new
 * range that finds every slot taken merges the nearest two ranges (the gap's
 * pages join the count) and never makes the batch publish early.  Counts
 * are what the simulator saw (per-page and full invalidations by
 * instruction; paravirt: the pages named by INVLPG ops and INVAL_ALL ops),
 * and every test ends with nothing stale.
 */
#include <stddef.h>
#if defined(LAZY_MMU_ARCH_PARAVIRT)
struct lazy_mmu_paravirt_op;
static size_t test_paravirt_commit(void *hv, const struct lazy_mmu_paravirt_op *ops, size_t n);
#define LAZY_MMU_PARAVIRT_COMMIT test_paravirt_commit
#endif
#include "harness.h"

#define T ((unsigned long)LAZY_MMU_FLUSH_ALL_THRESHOLD)
#define K ((unsigned long)LAZY_MMU_BATCH_MAX)
#define WINDOW 8000u
_Static_assert(WINDOW <= LAZY_MMU_SIM_PAGES, "window");

#include "window.h"

#if defined(LAZY_MMU_ARCH_PARAVIRT)
static struct {
    unsigned long pages, all;
} pv;

static size_t test_paravirt_commit(void *hv, const struct lazy_mmu_paravirt_op *ops, size_t n)
{
    size_t k;
    for (k = 0; k < n; k++) {
        uint64_t cmd = ops[k].ptr & LAZY_MMU_PARAVIRT_CMD_MASK;
        pv.pages += cmd == LAZY_MMU_PARAVIRT_INVLPG ? ops[k].val : 0;
        pv.all += cmd == LAZY_MMU_PARAVIRT_INVAL_ALL;
    }
    return lazy_mmu_sim_hypercall(hv, ops, n);
}
#endif

/* Per-page and full invalidations issued since counting started. */
static unsigned long hw_pages(void)
{
#if defined(LAZY_MMU_ARCH_X86_64)
    return sim.n.invlpg;
#elif defined(LAZY_MMU_ARCH_AARCH64)
    return sim.n.tlbi_va;
#elif defined(LAZY_MMU_ARCH_RISCV64)
    return sim.n.sfence_va + sim.n.sinval;
#else
    return pv.pages;
#endif
}

static unsigned long hw_full(void)
{
#if defined(LAZY_MMU_ARCH_X86_64)
    return sim.n.cr3_reload + sim.n.global_flush;
#elif defined(LAZY_MMU_ARCH_AARCH64)
    return sim.n.tlbi_all;
#elif defined(LAZY_MMU_ARCH_RISCV64)
    return sim.n.sfence_all;
#else
    return pv.all;
#endif
}

static void begin(void)
{
    size_t i;
    setup();
    for (i = 0; i < WINDOW; i++)
        boot(i, fresh());
    start_counting();
#if defined(LAZY_MMU_ARCH_PARAVIRT)
    pv.pages = pv.all = 0;
#endif
}

/* Remaps pages[0..n) in one section and checks the section ended in
 * exactly `pages` per-page invalidations, or one full flush when pages is
 * 0, at one visibility point. */
static void remap_expect(const size_t *pages, size_t n, unsigned long want_pages, const char *what)
{
    lazy_mmu_state_t s;
    size_t i;

    s = lazy_mmu_enter(&m);
    for (i = 0; i < n; i++)
        set(pages[i], fresh());
    lazy_mmu_leave(&m, s);
    ck_assert_msg(hw_pages() == want_pages && hw_full() == (want_pages == 0),
                  "%s: %lu per-page and %lu full invalidations, expected %lu and %d", what,
                  hw_pages(), hw_full(), want_pages, want_pages == 0);
    ck_assert_msg(lazy_mmu_get_stats(&m)->publishes == 1, "%s: %lu publishes, expected one", what,
                  (unsigned long)lazy_mmu_get_stats(&m)->publishes);
    check_visible_at(what, __LINE__);
}

/* What the batch must cost for n distinct pages `gap` pages apart: a range
 * each while the slots last, then each new page merges, adding the gap. */
static unsigned long expected_pages(unsigned long n, unsigned long gap)
{
    unsigned long covered = n + (n > K ? (n - K) * gap : 0);
    return covered > T ? 0 : covered;
}

static size_t order[WINDOW];

/* order[0..n) = pages 0 .. n - 1 in a fixed xorshift order. */
static void shuffle(size_t n, uint64_t x)
{
    size_t i, j, t;
    for (i = 0; i < n; i++)
        order[i] = i;
    for (i = n - 1; i > 0; i--) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        j = (size_t)(x % (i + 1));
        t = order[i], order[i] = order[j], order[j] = t;
    }
}

static void scattered(unsigned long n, unsigned long stride)
{
    char what[80];
    size_t i;
    begin();
    for (i = 0; i < n; i++)
        order[i] = i * stride;
    snprintf(what, sizeof what, "%lu pages every %lu", n, stride);
    remap_expect(order, n, expected_pages(n, stride - 1), what);
}

/* 600 of every 13th page: far more than the threshold, so one full flush
 * (the batch used to fill its ranges and publish per page, 600 times). */
START_TEST(test_scattered_600_every_13th)
{
    scattered(600, 13);
}
END_TEST

START_TEST(test_scattered_64_every_97th)
{
    scattered(64, 97);
}
END_TEST

START_TEST(test_scattered_16_every_257th)
{
    scattered(16, 257);
}
END_TEST

/* One page more than the ranges hold, under the threshold where it can be:
 * the nearest two merge instead of an early publish. */
START_TEST(test_scattered_one_more_than_slots)
{
    scattered(K + 1, 2);
}
END_TEST

/* Pages 0-15, 17-23, 16, then 15 again: 24 pages, 24 invalidations. */
START_TEST(test_page_updated_twice_is_invalidated_once)
{
    size_t i, n = 0;
    begin();
    for (i = 0; i <= 15; i++)
        order[n++] = i;
    for (i = 17; i <= 23; i++)
        order[n++] = i;
    order[n++] = 16;
    order[n++] = 15;
    remap_expect(order, n, 24 <= T ? 24 : 0, "pages 0-15, 17-23, 16, 15");
}
END_TEST

/* Every page of a run twice: each invalidated once. */
START_TEST(test_each_page_twice)
{
    const unsigned long n = T < 64 ? T : 64;
    size_t i;
    begin();
    for (i = 0; i < 2 * n; i++)
        order[i] = i % n;
    remap_expect(order, 2 * n, n, "each page twice");
}
END_TEST

/* Even pages, then odd ones: the odd pages fill the gaps merges added. */
START_TEST(test_even_then_odd)
{
    const unsigned long n = 256;
    size_t i;
    begin();
    for (i = 0; i < n / 2; i++)
        order[i] = 2 * i;
    for (i = 0; i < n / 2; i++)
        order[n / 2 + i] = 2 * i + 1;
    remap_expect(order, n, n <= T ? n : 0, "256 pages, even then odd");
}
END_TEST

/* A fixed permutation of a run: however the ranges fragment and merge,
 * every page is in the run, so the batch ends as the run would. */
START_TEST(test_random_order)
{
    const unsigned long n = T < 32 ? T : 32;
    begin();
    shuffle(n, 0x9e3779b97f4a7c15ull);
    remap_expect(order, n, n, "a run in random order");
}
END_TEST

/* 512 pages in random order: one visibility point however the order falls
 * (on aarch64 the entries waiting for break-before-make fold into blocks
 * instead of publishing early), and, past every backend's threshold, one
 * full flush. */
START_TEST(test_random_order_512_one_publish)
{
    const unsigned long n = 512;
    begin();
    shuffle(n, 0x2545f4914f6cdd1dull);
    remap_expect(order, n, n <= T ? n : 0, "512 pages in random order");
}
END_TEST

START_TEST(test_descending)
{
    const unsigned long n = 64;
    size_t i;
    begin();
    for (i = 0; i < n; i++)
        order[i] = n - 1 - i;
    remap_expect(order, n, n <= T ? n : 0, "64 pages descending");
}
END_TEST

/* The threshold is Linux's on each backend, and it is "more than": exactly
 * T pages are invalidated one by one, T + 1 pages by one full flush.  A
 * default off by one either way fails here. */
START_TEST(test_threshold_is_linux_and_exact)
{
#if defined(LAZY_MMU_ARCH_X86_64)
    const unsigned long linux_t = 33; /* tlb_single_page_flush_ceiling */
#elif defined(LAZY_MMU_ARCH_AARCH64)
    const unsigned long linux_t = 511; /* full flush from MAX_DVM_OPS = 512 */
#elif defined(LAZY_MMU_ARCH_RISCV64)
    const unsigned long linux_t = 64; /* tlb_flush_all_threshold */
#else
    const unsigned long linux_t = 33; /* a Xen PV guest is an x86 guest */
#endif
    size_t i;
    for (i = 0; i <= linux_t; i++)
        order[i] = i;
    begin();
    remap_expect(order, linux_t, linux_t, "as many pages as Linux invalidates one by one");
    begin();
    remap_expect(order, linux_t + 1, 0, "one page more");
    /* The same descending: each page grows the range above it through the
     * slow path (lazy_mmu__ranges_grow), which must draw the line at the
     * same page. */
    for (i = 0; i <= linux_t; i++)
        order[i] = linux_t - i;
    begin();
    remap_expect(order + 1, linux_t, linux_t, "as many pages, descending");
    begin();
    remap_expect(order, linux_t + 1, 0, "one page more, descending");
}
END_TEST

/* Two remaps whose entries are neighbours across a page-table page: two
 * per-page invalidations, never a full flush (aarch64's old runs of
 * entries could not tell these pages apart and flushed everything). */
START_TEST(test_neighbours_across_a_table_page)
{
    const size_t per_table = 4096 / sizeof(lazy_mmu_pte_t);
    begin();
    order[0] = per_table - 1;
    order[1] = per_table;
    remap_expect(order, 2, 2, "entries either side of a table page");
    begin();
    order[0] = 3 * per_table;
    order[1] = per_table - 1;
    remap_expect(order, 2, 2, "a table page apart, descending");
}
END_TEST

/* A request for many pages at once counts them all: with one page pending,
 * a range of T more is one full flush. */
START_TEST(test_range_request_past_threshold)
{
    lazy_mmu_state_t s;
    begin();
    s = lazy_mmu_enter(&m);
    set(0, fresh());
    lazy_mmu_invalidate_range(&m, TEST_VA(2), TEST_VA(2 + T));
    lazy_mmu_leave(&m, s);
    ck_assert_msg(hw_pages() == 0 && hw_full() == 1, "%lu per-page, %lu full", hw_pages(),
                  hw_full());
    check_visible_at("a range request past the threshold", __LINE__);
}
END_TEST

/* Reading entries inside a section changes nothing the section issues. */
START_TEST(test_get_pte_leaves_the_batch_alone)
{
    lazy_mmu_state_t s;
    size_t i;
    begin();
    s = lazy_mmu_enter(&m);
    for (i = 0; i < 40; i++) {
        size_t p = (i * 37) % 300;
        set(p, fresh());
        ck_assert(lazy_mmu_get_pte(&m, ptep(p)) == want[p]);
        ck_assert(lazy_mmu_get_pte(&m, ptep(p + 1)) == want[p + 1]);
    }
    lazy_mmu_leave(&m, s);
    ck_assert_uint_eq(hw_pages() + hw_full() * T, 40 <= T ? 40 : T);
    check_visible_at("reads inside a section", __LINE__);
}
END_TEST

Suite *SUITE_FN(batch)(void)
{
    Suite *s = suite_create("batch-" TEST_ARCH_NAME);
    TCase *tc = tcase_create("batch-" TEST_ARCH_NAME);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_scattered_600_every_13th);
    tcase_add_test(tc, test_scattered_64_every_97th);
    tcase_add_test(tc, test_scattered_16_every_257th);
    tcase_add_test(tc, test_scattered_one_more_than_slots);
    tcase_add_test(tc, test_page_updated_twice_is_invalidated_once);
    tcase_add_test(tc, test_each_page_twice);
    tcase_add_test(tc, test_even_then_odd);
    tcase_add_test(tc, test_random_order);
    tcase_add_test(tc, test_random_order_512_one_publish);
    tcase_add_test(tc, test_descending);
    tcase_add_test(tc, test_threshold_is_linux_and_exact);
    tcase_add_test(tc, test_neighbours_across_a_table_page);
    tcase_add_test(tc, test_get_pte_leaves_the_batch_alone);
    tcase_add_test(tc, test_range_request_past_threshold);
    suite_add_tcase(s, tc);
    return s;
}
