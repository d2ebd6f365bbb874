/* tests/test_contract_batch.c - docs/contract.md continued ("Explicit
 * invalidations"):
 * invalidation requests for changes made behind the library's back, and
 * batches of every shape (sparse, descending, overflowing).
 *
 * Same pattern as test_contract.c: cache the old translation, change, then
 * every page must translate to what was last requested, nothing stale, no
 * ordering rule broken.
 */
#include "harness.h"

#define WINDOW 1024u
#define WRITABLE ((lazy_mmu_pte_t)1 << 1)
#include "window.h"

_Static_assert(2 * (2 * LAZY_MMU_BATCH_MAX + 3) <= WINDOW, "overflow tests need the room");
_Static_assert(LAZY_MMU_FLUSH_ALL_THRESHOLD + 16 <= WINDOW, "large-range tests need the room");

#define check_visible(what) check_visible_at((what), __LINE__)

static void expect_stale(size_t i, lazy_mmu_pte_t old)
{
    ck_assert_msg(touch(i) == old, "page %zu was invalidated before the visibility point", i);
}

static bool same_counts(const struct lazy_mmu_sim_counts *a, const struct lazy_mmu_sim_counts *b)
{
    return memcmp(a, b, sizeof *a) == 0;
}

/* ---- invalidation of changes made behind the library's back ---- */

START_TEST(test_invalidate_page_deferred)
{
    lazy_mmu_state_t outer, inner;
    lazy_mmu_pte_t old0, old1;

    setup();
    boot(0, old0 = fresh());
    boot(1, old1 = fresh());
    touch_poke(0, fresh());
    touch_poke(1, fresh());
    outer = lazy_mmu_enter(&m);
    lazy_mmu_invalidate_page(&m, TEST_VA(0));
    expect_stale(0, old0);
    inner = lazy_mmu_enter(&m);
    lazy_mmu_invalidate_page(&m, TEST_VA(1));
    expect_stale(1, old1);
    lazy_mmu_leave(&m, inner);
    check_visible("invalidate_page, after the inner leave");
    lazy_mmu_leave(&m, outer);
    check_visible("invalidate_page, after the outer leave");
}
END_TEST

/* Every page the bytes [start, end) touch, also when start and end sit in
 * the middle of a page, and when end sits on a page boundary. */
START_TEST(test_invalidate_range_unaligned)
{
    lazy_mmu_state_t s;
    lazy_mmu_pte_t old2, old6;
    size_t i;

    setup();
    for (i = 0; i < 12; i++)
        boot(i, fresh());
    old2 = want[2];
    old6 = want[6];
    for (i = 2; i <= 6; i++)
        touch_poke(i, fresh());
    touch_poke(9, fresh());
    touch_poke(10, fresh());
    s = lazy_mmu_enter(&m);
    lazy_mmu_invalidate_range(&m, TEST_VA(2) + 0x123, TEST_VA(6) + 1);
    lazy_mmu_invalidate_range(&m, TEST_VA(9) + 8, TEST_VA(11));
    expect_stale(2, old2);
    expect_stale(6, old6);
    lazy_mmu_leave(&m, s);
    check_visible("unaligned invalidate_range");
}
END_TEST

START_TEST(test_invalidate_range_above_threshold)
{
    lazy_mmu_state_t s;
    size_t i, n = LAZY_MMU_FLUSH_ALL_THRESHOLD + 5;

    setup();
    for (i = 0; i < n + 1; i++)
        boot(i, fresh());
    for (i = 0; i < n; i++)
        touch_poke(i, fresh());
    s = lazy_mmu_enter(&m);
    lazy_mmu_invalidate_range(&m, TEST_VA(0) + 1, TEST_VA(n - 1) + 1);
    lazy_mmu_leave(&m, s);
    check_visible("invalidate_range past the full-flush threshold");
}
END_TEST

START_TEST(test_invalidate_range_empty_is_noop)
{
    struct lazy_mmu_sim_counts before;
    lazy_mmu_state_t s;
    lazy_mmu_pte_t old;

    setup();
    boot(0, old = fresh());
    touch_poke(0, fresh());
    before = sim.n;
    lazy_mmu_invalidate_range(&m, TEST_VA(0), TEST_VA(0));
    lazy_mmu_invalidate_range(&m, TEST_VA(0) + 5, TEST_VA(0) + 5);
    s = lazy_mmu_enter(&m);
    lazy_mmu_invalidate_range(&m, TEST_VA(0) + 7, TEST_VA(0) + 7);
    lazy_mmu_leave(&m, s);
    ck_assert_msg(same_counts(&before, &sim.n), "an empty range did hardware work");
    expect_stale(0, old);
}
END_TEST

START_TEST(test_invalidate_all_deferred)
{
    lazy_mmu_state_t s;
    lazy_mmu_pte_t old0;
    size_t i;

    setup();
    for (i = 0; i < 10; i++)
        boot(i * 7, fresh());
    old0 = want[0];
    for (i = 0; i < 10; i++)
        touch_poke(i * 7, fresh());
    s = lazy_mmu_enter(&m);
    lazy_mmu_invalidate_all(&m);
    expect_stale(0, old0);
    lazy_mmu_leave(&m, s);
    check_visible("invalidate_all");
}
END_TEST

/* ---- shapes of a batch ---- */

/* Every third page, then the gaps: ranges that start apart and touch later. */
START_TEST(test_nonadjacent_then_gaps)
{
    lazy_mmu_state_t s;
    size_t i;

    setup();
    for (i = 0; i < 48; i++)
        boot(i, fresh());
    s = lazy_mmu_enter(&m);
    for (i = 0; i < 48; i += 3)
        touch_set(i, fresh());
    for (i = 1; i < 48; i += 3)
        touch_set(i, fresh());
    lazy_mmu_leave(&m, s);
    check_visible("every third page, then the next");
}
END_TEST

/* Descending runs grow their range at the front; long enough to pass the
 * full-flush threshold on the backends whose batch allows it. */
START_TEST(test_descending_pages)
{
    lazy_mmu_state_t s;
    size_t i, n = LAZY_MMU_FLUSH_ALL_THRESHOLD + 7;

    setup();
    for (i = 0; i < n; i++)
        boot(i, fresh());
    s = lazy_mmu_enter(&m);
    for (i = n; i-- > 0;)
        touch_set(i, fresh());
    lazy_mmu_leave(&m, s);
    check_visible("descending pages");
}
END_TEST

/* More distinct non-adjacent pages than the batch holds, of every kind: one
 * more than a batch (_i = 0: below the full-flush threshold on every backend
 * but riscv64, so a lost range cannot hide behind a full flush), and two
 * batches and more (_i = 1). */
#define OVERFLOW_PAGES(i) ((i) ? 2 * LAZY_MMU_BATCH_MAX + 3 : LAZY_MMU_BATCH_MAX + 1)

START_TEST(test_batch_overflow)
{
    const size_t n = OVERFLOW_PAGES(_i);
    lazy_mmu_state_t s;
    lazy_mmu_pte_t v;
    size_t i;

    setup();
    for (i = 0; i < n; i++)
        if (i % 4 != 3)
            boot(2 * i, fresh() | WRITABLE);
    s = lazy_mmu_enter(&m);
    for (i = 0; i < n; i++) {
        switch (i % 4) {
        case 0: v = fresh(); break;
        case 1: v = want[2 * i] & ~WRITABLE; break;
        case 2: v = 0; break;
        default: v = fresh(); break; /* map */
        }
        touch_set(2 * i, v);
        ck_assert(lazy_mmu_get_pte(&m, ptep(2 * i)) == v);
    }
    for (i = 0; i < n; i++)
        ck_assert_msg(lazy_mmu_get_pte(&m, ptep(2 * i)) == want[2 * i],
                      "page %zu: an early publish lost the pending value", 2 * i);
    lazy_mmu_leave(&m, s);
    check_visible("batch overflow");
}
END_TEST

START_TEST(test_invalidate_page_overflow)
{
    const size_t n = OVERFLOW_PAGES(_i);
    lazy_mmu_state_t s;
    size_t i;

    setup();
    for (i = 0; i < n; i++)
        boot(2 * i, fresh());
    for (i = 0; i < n; i++)
        touch_poke(2 * i, fresh());
    s = lazy_mmu_enter(&m);
    for (i = n; i-- > 0;)
        lazy_mmu_invalidate_page(&m, TEST_VA(2 * i));
    lazy_mmu_leave(&m, s);
    check_visible("more invalidate_page requests than the batch holds");
}
END_TEST
/* ---- regressions: library bugs these tests found ---- */

/* Was a bug on aarch64: the map found an invalid entry in memory and was
 * stored at once, although the TLBI for the old translation (same page,
 * other output address) had not been issued yet: break-before-make was
 * violated.  Now such a map waits in the queue like a make.  Munmap-then-mmap reuse of a VA in one section does this. */
START_TEST(test_unmap_then_map_same_page)
{
    lazy_mmu_state_t s;

    setup();
    boot(0, fresh());
    s = lazy_mmu_enter(&m);
    touch_set(0, 0);
    touch_set(0, fresh());
    lazy_mmu_leave(&m, s);
    check_visible("unmap then map another frame in one section");
}
END_TEST

/* Was a bug on paravirt (now: the entry in memory also decides the
 * invalidation): page 0 is unmapped (queued, invalidation pending),
 * the queue fills, and page 0 is mapped again.  The new write supersedes the
 * queued unmap, the early publish sends page 0's INVLPG without any SET for
 * it (memory still holds the old entry, which the CPU may cache again), and
 * the new write skips its own invalidation because the queued value it
 * replaced was invalid: after leave the old, writable translation is still
 * used.  Same frame on purpose, so aarch64's break-before-make is not involved. */
START_TEST(test_unmap_refill_remap)
{
    lazy_mmu_state_t s;
    size_t i;
    lazy_mmu_pte_t old;

    setup();
    old = fresh() | WRITABLE;
    boot(0, old);
    for (i = 1; i < LAZY_MMU_BATCH_MAX; i++)
        boot(2 * i, fresh());
    s = lazy_mmu_enter(&m);
    touch_set(0, 0);
    for (i = 1; i < LAZY_MMU_BATCH_MAX; i++)
        touch_set(2 * i, fresh());
    touch_set(0, old & ~WRITABLE); /* touch_set() touches page 0 first, inside the section */
    (void)touch(0);
    lazy_mmu_leave(&m, s);
    check_visible("unmap, full queue, map again");
}
END_TEST



Suite *SUITE_FN(contract_batch)(void)
{
    Suite *s = suite_create("contract_batch-" TEST_ARCH_NAME);
    TCase *tc = tcase_create("contract_batch-" TEST_ARCH_NAME);

    tcase_add_test(tc, test_invalidate_page_deferred);
    tcase_add_test(tc, test_invalidate_range_unaligned);
    tcase_add_test(tc, test_invalidate_range_above_threshold);
    tcase_add_test(tc, test_invalidate_range_empty_is_noop);
    tcase_add_test(tc, test_invalidate_all_deferred);
    tcase_add_test(tc, test_nonadjacent_then_gaps);
    tcase_add_test(tc, test_descending_pages);
    tcase_add_loop_test(tc, test_batch_overflow, 0, 2);
    tcase_add_loop_test(tc, test_invalidate_page_overflow, 0, 2);
    tcase_add_test(tc, test_unmap_then_map_same_page);
    tcase_add_test(tc, test_unmap_refill_remap);
    suite_add_tcase(s, tc);
    return s;
}
