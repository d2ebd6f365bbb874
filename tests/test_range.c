/* tests/test_range.c - aarch64 FEAT_TLBIRANGE (LAZY_MMU_AARCH64_TLBIRANGE):
 * a pending run of pages is invalidated by a few TLBI RVAAE1IS / RVAE1IS.
 *
 * The simulator decodes each range operand as the Arm ARM lays it out
 * (arch/aarch64/sim.h), so a field in the wrong bits drops the wrong pages
 * and leaves the right ones stale; the counts say how many instructions a
 * run of n pages took: one per power-of-32 scale of n, and a VAAE1IS for an
 * odd last page.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "harness.h"

#define T ((unsigned)LAZY_MMU_FLUSH_ALL_THRESHOLD)
/* The aarch64_range_t511 build sets the per-page threshold; aarch64_range
 * has the range default. */
#define T511 (strcmp(TEST_ARCH_NAME, "aarch64_range_t511") == 0)
#define WINDOW 2048u
#if defined(LAZY_MMU_ARCH_AARCH64)
#define FRESH_BITS ((lazy_mmu_pte_t)1 << 11) /* nG: the ASID forms drop them */
#endif
#include "window.h"

/* The instructions lazy_mmu__arch_inval_range issues for n pages, worked
 * out independently: ranges of 2 << (5 * scale) pages, at most 32 per
 * instruction, from the largest scale down; an odd page alone. */
static void expect_ops(unsigned n, unsigned long *ranges, unsigned long *singles)
{
    unsigned long chunk = 2UL << 15; /* scale 3 */
    *ranges = 0;
    *singles = n & 1u;
    n &= ~1u;
    for (; n != 0; chunk >>= 5) {
        unsigned long k = n / chunk;
        *ranges += (k + 31) / 32;
        n -= (unsigned)(k * chunk);
    }
}

/* Pages cached after a run, on CPU 0: those not in [first, first + n). */
#define NEAR 140u
static unsigned long neighbours_cached(unsigned first, unsigned n)
{
    unsigned long k = 0;
    unsigned i;
    for (i = 0; i < first + n + NEAR; i++)
        k += (i < first || i >= first + n) && sim.tlb_state[0][i] != LAZY_MMU_SIM_EMPTY;
    return k;
}

static void range_setup(void)
{
    setup();
    test_remote_off = 0;
    test_remote_reads = 0;
}

#define check_visible(what) check_visible_at((what), __LINE__)

/* n contiguous remaps at page `at`, in one section: few instructions. */
START_TEST(test_contiguous_runs)
{
    static const unsigned sizes[] = {1, 2, 3, 33, 63, 64, 65, 100, 510, 511};
    const unsigned n = sizes[_i];
    unsigned long ranges, singles;
    lazy_mmu_state_t s;
    unsigned i;

    range_setup();
    for (i = 0; i < n + 7 + NEAR; i++)
        boot(i, fresh()); /* the run and its neighbours, cached */
    start_counting();
    s = lazy_mmu_enter(&m);
    for (i = 0; i < n; i++)
        set(7 + i, fresh());
    lazy_mmu_leave(&m, s);
    /* Exactly the run: a range one chunk too long, or a NUM or SCALE in
     * the wrong bits, drops neighbours. */
    ck_assert_uint_eq(neighbours_cached(7, n), 7 + NEAR);
    check_visible("a run of pages by range TLBIs");
    expect_ops(n, &ranges, &singles);
    ck_assert_uint_eq(sim.n.tlbi_range, ranges);
    ck_assert_uint_eq(sim.n.tlbi_va, singles);
    ck_assert_uint_eq(sim.n.tlbi_all, 0);
    ck_assert_uint_eq(lazy_mmu_get_stats(&m)->page_invals, n); /* pages covered */
    ck_assert_uint_le(ranges + singles, 5);
}
END_TEST

/* Scattered runs: one group of instructions per run; and in a named
 * address space the ASID form (RVAE1IS) with the ASID in the operand. */
START_TEST(test_runs_in_a_space)
{
    const uint32_t asid = _i ? 9u : LAZY_MMU_SPACE_ALL;
    lazy_mmu_state_t s;
    unsigned r, i;

    range_setup();
    if (_i) {
        lazy_mmu_sim_set_space(&sim, TEST_VA(0), WINDOW, 9);
        lazy_mmu_set_space(&m, asid);
    }
    for (i = 0; i < WINDOW; i++)
        boot(i, fresh());
    start_counting();
    s = lazy_mmu_enter(&m);
    for (r = 0; r < 5; r++)
        for (i = 0; i < 40; i++)
            set(r * 300 + i, fresh());
    lazy_mmu_leave(&m, s);
    check_visible("five runs of 40");
    ck_assert_uint_eq(sim.n.tlbi_range, 5); /* 40 = 20 x 2: one scale-0 range each */
    ck_assert_uint_eq(sim.n.tlbi_va + sim.n.tlbi_va_asid + sim.n.tlbi_all + sim.n.tlbi_asid, 0);
}
END_TEST

/* Past the threshold it is still one full flush (a build that sets one
 * within the window: aarch64_range_t511). */
START_TEST(test_threshold_still_full)
{
    lazy_mmu_state_t s;
    unsigned i;

    if (!T511)
        return; /* aarch64_range: test_many_pages_stay_ranges */
    range_setup();
    for (i = 0; i <= T; i++)
        boot(i, fresh());
    start_counting();
    s = lazy_mmu_enter(&m);
    for (i = 0; i <= T; i++)
        set(i, fresh());
    lazy_mmu_leave(&m, s);
    check_visible("T + 1 pages");
    ck_assert_uint_eq(sim.n.tlbi_all, 1);
    ck_assert_uint_eq(sim.n.tlbi_range, 0);
}
END_TEST

/* The default threshold counts instructions, not pages: far more pages than
 * the per-page build's 511 - contiguous, or scattered so that the batch's
 * ranges merge across their gaps - still cost a few range TLBIs each, at
 * most 4 * LAZY_MMU_BATCH_MAX in all, never a VMALLE1IS. */
START_TEST(test_many_pages_stay_ranges)
{
    lazy_mmu_state_t s;
    unsigned long ranges, singles;
    unsigned i;

    if (T511)
        return; /* test_threshold_still_full */
    range_setup();
    for (i = 0; i < WINDOW; i++)
        boot(i, fresh());
    start_counting();
    s = lazy_mmu_enter(&m);
    for (i = 0; i < WINDOW - 1; i++)
        set(i, fresh());
    lazy_mmu_leave(&m, s);
    check_visible("2047 contiguous pages");
    expect_ops(WINDOW - 1, &ranges, &singles);
    ck_assert_uint_eq(sim.n.tlbi_all, 0);
    ck_assert_uint_eq(sim.n.tlbi_range, ranges);
    ck_assert_uint_eq(sim.n.tlbi_va, singles);
    ck_assert_uint_le(ranges + singles, 4); /* 2047: 31 x 64, 31 x 2, one page */

    start_counting();
    s = lazy_mmu_enter(&m);
    for (i = 0; i < 600; i++)
        set((i * 13) % (WINDOW - 1), fresh());
    lazy_mmu_leave(&m, s);
    check_visible("600 pages, every 13th");
    ck_assert_uint_eq(sim.n.tlbi_all, 0);
    ck_assert_uint_le(sim.n.tlbi_range + sim.n.tlbi_va, 4 * LAZY_MMU_BATCH_MAX);
}
END_TEST

/* A CPU without the instructions: a loud stop, not UNDEFINED TLBIs. */
START_TEST(test_missing_feature_panics)
{
    lazy_mmu_sim_init(&sim, TEST_BASE, 16);
    sim.no_tlbirange = true;
    lazy_mmu_init(&m);
    test_expected_panic = "LAZY_MMU_AARCH64_TLBIRANGE is set but this CPU has no";
    lazy_mmu_sim_attach(&m, &sim);
}
END_TEST

Suite *SUITE_FN(range)(void)
{
    Suite *s = suite_create("range-" TEST_ARCH_NAME);
    TCase *tc = tcase_create("range");
    tcase_add_loop_test(tc, test_contiguous_runs, 0, 10);
    tcase_add_loop_test(tc, test_runs_in_a_space, 0, 2);
    tcase_add_test(tc, test_threshold_still_full);
    tcase_add_test(tc, test_many_pages_stay_ranges);
    tcase_add_exit_test(tc, test_missing_feature_panics, PANIC_EXPECTED);
    suite_add_tcase(s, tc);
    return s;
}
