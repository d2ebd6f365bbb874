/* tests/test_release.c - bad arguments in a release build (LAZY_MMU_DEBUG=0).
 *
 * With the checks compiled out, the outcomes README.md's misuse table gives
 * for release builds must hold: a VA that is not page-aligned means the page
 * it is in, and a range whose end is before its start is empty.  Nothing may
 * hang, and nothing may be left stale.
 */
#define LAZY_MMU_DEBUG 0
#include "harness.h"

#define NPAGES 8u

static struct lazy_mmu_sim sim;
static struct lazy_mmu m;
static lazy_mmu_pte_t want[NPAGES];

static void setup(void)
{
    size_t i;

    (void)test_panic; /* release builds panic only where no outcome is safe */
    lazy_mmu_sim_init(&sim, TEST_BASE, NPAGES);
    lazy_mmu_init(&m);
    lazy_mmu_sim_attach(&m, &sim);
    for (i = 0; i < NPAGES; i++) {
        want[i] = test_pte(0x100 + i);
        lazy_mmu_sim_poke(&sim, TEST_VA(i), want[i]);
        (void)lazy_mmu_sim_access(&sim, TEST_VA(i)); /* cached: a miss is stale */
    }
}

static void set_at(size_t i, uintptr_t offset, uint64_t frame)
{
    want[i] = test_pte(frame);
    lazy_mmu_set_pte(&m, lazy_mmu_sim_ptep(&sim, TEST_VA(i)), want[i], TEST_VA(i) + offset);
}

static void check_all(const char *what)
{
    size_t i;

    ck_assert_msg(sim.violation == NULL, "%s: %s", what, sim.violation);
    for (i = 0; i < NPAGES; i++)
        ck_assert_msg(lazy_mmu_sim_access(&sim, TEST_VA(i)) == want[i],
                      "%s: page %zu translates to %#llx, requested %#llx", what, i,
                      (unsigned long long)lazy_mmu_sim_access(&sim, TEST_VA(i)),
                      (unsigned long long)want[i]);
    ck_assert_uint_eq(lazy_mmu_sim_stale(&sim), 0);
}

/* Was a bug: the misaligned VAs became range bounds, a range [VA(2)+0x800,
 * VA(6)] was never hit exactly by the per-page walk, and publishing it looped
 * forever on x86_64 and aarch64 (Check's timeout catches that). */
START_TEST(test_misaligned_va_is_its_page)
{
    lazy_mmu_state_t s = lazy_mmu_enter(&m);
    set_at(2, 0x800, 0x200);
    set_at(3, 0x800, 0x201);
    lazy_mmu_invalidate_range(&m, TEST_VA(3), TEST_VA(6));
    set_at(4, 0, 0x202);
    set_at(5, LAZY_MMU_PAGE_SIZE - 1, 0x203);
    lazy_mmu_leave(&m, s);
    check_all("after the leave");
}
END_TEST

START_TEST(test_misaligned_eager_update)
{
    set_at(1, 0x10, 0x300);
    check_all("after an eager update at page + 0x10");
    set_at(1, 8, 0); /* unmapped: the old translation must go */
    check_all("after an eager unmap at page + 8");
}
END_TEST

START_TEST(test_misaligned_invalidate_page)
{
    lazy_mmu_state_t s = lazy_mmu_enter(&m);
    want[6] = test_pte(0x400);
    lazy_mmu_sim_poke(&sim, TEST_VA(6), want[6]); /* changed behind the library */
    lazy_mmu_invalidate_page(&m, TEST_VA(6) + 0x44);
    lazy_mmu_leave(&m, s);
    check_all("after invalidate_page(page + 0x44)");
}
END_TEST

/* A va of 1 is in page 0, and 1 is also what next_va holds while the fast
 * path is disarmed: it must still take the slow path when the publish that
 * disarmed it left the previous batch's limit behind. */
START_TEST(test_va_one_after_publish)
{
    static struct lazy_mmu_sim low; /* a window at VA 0 */
    static struct lazy_mmu ml;
    lazy_mmu_state_t s;
    size_t i;

    lazy_mmu_sim_init(&low, 0, NPAGES);
    lazy_mmu_init(&ml);
    lazy_mmu_sim_attach(&ml, &low);
    for (i = 0; i < NPAGES; i++) {
        lazy_mmu_sim_poke(&low, i * LAZY_MMU_PAGE_SIZE, test_pte(0x100 + i));
        (void)lazy_mmu_sim_access(&low, i * LAZY_MMU_PAGE_SIZE);
    }
    s = lazy_mmu_enter(&ml);
    lazy_mmu_set_pte(&ml, lazy_mmu_sim_ptep(&low, 5 * LAZY_MMU_PAGE_SIZE), test_pte(0x205),
                     5 * LAZY_MMU_PAGE_SIZE); /* arms the fast path after page 5 */
    lazy_mmu_flush(&ml);
    lazy_mmu_set_pte(&ml, lazy_mmu_sim_ptep(&low, 0), test_pte(0x200), 1);
    lazy_mmu_leave(&ml, s);
    ck_assert_msg(low.violation == NULL, "%s", low.violation);
    ck_assert_msg(lazy_mmu_sim_access(&low, 0) == test_pte(0x200),
                  "page 0 translates to %#llx after set_pte(va = 1)",
                  (unsigned long long)lazy_mmu_sim_access(&low, 0));
    ck_assert_uint_eq(lazy_mmu_sim_stale(&low), 0);
}
END_TEST

START_TEST(test_reversed_range_is_empty)
{
    lazy_mmu_state_t s = lazy_mmu_enter(&m);
    lazy_mmu_invalidate_range(&m, TEST_VA(5), TEST_VA(2));
    lazy_mmu_leave(&m, s);
#if LAZY_MMU_STATS
    ck_assert_uint_eq(lazy_mmu_get_stats(&m)->publishes, 0);
#endif
    check_all("after a reversed range");
}
END_TEST

Suite *SUITE_FN(release)(void)
{
    Suite *s = suite_create("release-" TEST_ARCH_NAME);
    TCase *tc = tcase_create("bad-arguments");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_misaligned_va_is_its_page);
    tcase_add_test(tc, test_misaligned_eager_update);
    tcase_add_test(tc, test_misaligned_invalidate_page);
    tcase_add_test(tc, test_va_one_after_publish);
    tcase_add_test(tc, test_reversed_range_is_empty);
    suite_add_tcase(s, tc);
    return s;
}
