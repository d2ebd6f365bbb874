/* tests/test_invlpgb.c - x86_64 with LAZY_MMU_X86_64_INVLPGB (AMD's broadcast
 * invalidation): what a visibility point issues, and that it reaches every
 * CPU without a LAZY_MMU_SHOOTDOWN round.
 *
 * Only built for the x86_64_invlpgb configuration (SUITE_CONFIGS_invlpgb).
 * The model's CPU reports CPUID Fn8000_0008_EDX[15:0] = sim.invlpgb_max
 * (LAZY_MMU_SIM_X86_64_INVLPGB_MAX, 7: eight pages per INVLPGB); three CPUs
 * have cached every page the test boots, so an INVLPGB that misses a page,
 * or a missing TLBSYNC, leaves one of them stale.  harness.h's hook counts
 * rounds: there must be none.
 */
#include "harness.h"

#if !defined(LAZY_MMU_ARCH_X86_64) || !LAZY_MMU_X86_64_INVLPGB
#error "test_invlpgb.c is for the x86_64 backend with LAZY_MMU_X86_64_INVLPGB=1"
#endif

#define T ((unsigned)LAZY_MMU_FLUSH_ALL_THRESHOLD)
#define WINDOW 512u
#include "window.h"

#define check_visible(what) check_visible_at((what), __LINE__)

/* INVLPGBs for a range of n pages on a CPU whose count is max. */
static unsigned long per_range(unsigned n, int max)
{
    return (n + (unsigned)max) / ((unsigned)max + 1);
}

/* The model's CPU reports another count: lazy_mmu_init() read the old one
 * when attached, so the context is attached again to read it anew. */
static void cpu_count(int32_t max)
{
    sim.invlpgb_max = max;
    lazy_mmu_sim_attach(&m, &sim);
}

/* Nothing went to the embedder, nothing by the per-CPU instructions, one
 * TLBSYNC, nothing left stale anywhere. */
static void check_broadcast(const char *what, int line, unsigned long invlpgbs)
{
    check_visible_at(what, line);
    ck_assert_msg(sim.n.invlpgb == invlpgbs, "line %d, %s: %lu INVLPGBs, expected %lu", line, what,
                  sim.n.invlpgb, invlpgbs);
    ck_assert_msg(sim.n.tlbsync == 1, "line %d, %s: %lu TLBSYNCs, expected 1", line, what,
                  sim.n.tlbsync);
    ck_assert_uint_eq(sim.n.mfence, 1);
    ck_assert_uint_eq(sim.n.invlpg + sim.n.cr3_reload + sim.n.global_flush, 0);
    ck_assert_uint_eq(test_remote_rounds, 0);
    ck_assert_uint_eq(test_ipis, 0);
    ck_assert_uint_eq(lazy_mmu_get_stats(&m)->shootdowns, 0);
}

/* n remaps of contiguous pages from first, in one section. */
static void remap_run(unsigned first, unsigned n)
{
    lazy_mmu_state_t s;
    unsigned i;
    for (i = 0; i < n; i++)
        boot(first + i, fresh());
    start_counting();
    s = lazy_mmu_enter(&m);
    for (i = 0; i < n; i++)
        set(first + i, fresh());
    lazy_mmu_leave(&m, s);
}

/* A contiguous run up to the threshold: ceil(n / 8) INVLPGBs, not n. */
START_TEST(test_run_takes_ceil_pages_over_count)
{
    static const unsigned sizes[] = {1, 2, 7, 8, 9, 16, 17, 24, 32, 33};
    const unsigned n = sizes[_i];

    setup();
    ck_assert_uint_le(n, T);
    remap_run(5, n);
    check_broadcast("contiguous remaps", __LINE__, per_range(n, LAZY_MMU_SIM_X86_64_INVLPGB_MAX));
    ck_assert_uint_eq(lazy_mmu_get_stats(&m)->page_invals, n);
    ck_assert_uint_eq(lazy_mmu_get_stats(&m)->full_invals, 0);
}
END_TEST

/* The count is the CPU's: one page per INVLPGB at 0, the whole run at once
 * when the count allows it. */
START_TEST(test_count_follows_cpuid)
{
    static const int32_t counts[] = {0, 1, 3, 31, 32, 0xffff};
    const int32_t max = counts[_i];

    setup();
    cpu_count(max);
    remap_run(0, 33);
    check_broadcast("remaps", __LINE__, per_range(33, max));
}
END_TEST

/* Pages apart: one INVLPGB per range, whatever the count. */
START_TEST(test_scattered_pages_one_each)
{
    lazy_mmu_state_t s;
    unsigned i;

    setup();
    for (i = 0; i < 12; i++)
        boot(i * 3, fresh());
    start_counting();
    s = lazy_mmu_enter(&m);
    for (i = 0; i < 12; i++)
        set(i * 3, fresh());
    lazy_mmu_leave(&m, s);
    check_broadcast("scattered remaps", __LINE__, 12);
}
END_TEST

/* Ranges of 12, 1 and 9 pages: 2 + 1 + 2. */
START_TEST(test_ranges_each_split_by_count)
{
    lazy_mmu_state_t s;
    unsigned i;

    setup();
    for (i = 0; i < 12; i++)
        boot(i, fresh());
    boot(20, fresh());
    for (i = 0; i < 9; i++)
        boot(40 + i, fresh());
    start_counting();
    s = lazy_mmu_enter(&m);
    for (i = 0; i < 9; i++)
        set(40 + i, fresh());
    set(20, fresh());
    for (i = 0; i < 12; i++)
        set(i, fresh());
    lazy_mmu_leave(&m, s);
    check_broadcast("three ranges", __LINE__, 5);
}
END_TEST

/* Past the threshold: one INVLPGB of everything.  Without a global entry
 * among the pages it is the non-global form, as a CR3 reload would be: a
 * global translation nobody changed stays cached on every CPU. */
START_TEST(test_over_threshold_one_invlpgb_all)
{
    const unsigned keep = WINDOW - 1;
    const lazy_mmu_pte_t g = test_pte(0x7777) | LAZY_MMU_X86_64_PTE_G;
    unsigned c;

    setup();
    boot(keep, g);
    remap_run(0, T + 1);
    check_broadcast("remaps past the threshold", __LINE__, 1);
    ck_assert_uint_eq(lazy_mmu_get_stats(&m)->full_invals, 1);
    ck_assert_uint_eq(lazy_mmu_get_stats(&m)->page_invals, 0);
    for (c = 0; c < TEST_CPUS; c++)
        ck_assert_uint_eq(sim.tlb_state[c][keep], LAZY_MMU_SIM_GLOBAL);
}
END_TEST

/* A global entry among them: the form that drops global entries too (the
 * model keeps them otherwise, so the old one would still translate). */
START_TEST(test_over_threshold_with_global)
{
    lazy_mmu_state_t s;
    unsigned i;

    setup();
    for (i = 0; i <= T; i++)
        boot(i, fresh() | (i == 3 ? LAZY_MMU_X86_64_PTE_G : 0));
    start_counting();
    s = lazy_mmu_enter(&m);
    for (i = 0; i <= T; i++)
        set(i, fresh());
    lazy_mmu_leave(&m, s);
    check_broadcast("remaps of a global entry past the threshold", __LINE__, 1);
}
END_TEST

/* Per page, global entries go too (as INVLPG drops them). */
START_TEST(test_global_page_by_address)
{
    lazy_mmu_state_t s;

    setup();
    boot(9, fresh() | LAZY_MMU_X86_64_PTE_G);
    boot(10, fresh() | LAZY_MMU_X86_64_PTE_G);
    start_counting();
    s = lazy_mmu_enter(&m);
    set(9, fresh());
    set(10, fresh());
    lazy_mmu_leave(&m, s);
    check_broadcast("global remaps", __LINE__, 1);
}
END_TEST

/* Eager: each update its own INVLPGB and TLBSYNC, still no round. */
START_TEST(test_eager_update)
{
    setup();
    boot(4, fresh());
    start_counting();
    set(4, fresh());
    check_broadcast("eager remap", __LINE__, 1);
}
END_TEST

/* An explicit request for 20 pages changed behind the library's back. */
START_TEST(test_invalidate_range_request)
{
    unsigned i;

    setup();
    for (i = 0; i < 20; i++)
        boot(100 + i, fresh());
    for (i = 0; i < 20; i++)
        touch_poke(100 + i, fresh());
    start_counting();
    lazy_mmu_invalidate_range(&m, TEST_VA(100), TEST_VA(120));
    check_broadcast("invalidate_range", __LINE__, 3);
}
END_TEST

/* New entries where there were none owe nothing: no INVLPGB, no TLBSYNC. */
START_TEST(test_maps_issue_nothing)
{
    lazy_mmu_state_t s;
    unsigned i;

    setup();
    start_counting();
    s = lazy_mmu_enter(&m);
    for (i = 0; i < 10; i++)
        set(i, fresh());
    lazy_mmu_leave(&m, s);
    check_visible("maps");
    ck_assert_uint_eq(sim.n.invlpgb + sim.n.tlbsync + sim.n.mfence, 0);
}
END_TEST

/* The model is strict: an INVLPGB is complete on no CPU, the issuing one
 * included, before TLBSYNC; and a count above the CPU's is a violation. */
START_TEST(test_model_invlpgb_waits_for_tlbsync)
{
    const uint64_t va_asid_g = 1u | 4u | 8u;

    setup();
    boot(0, fresh());
    boot(1, fresh());
    touch_poke(0, fresh());
    touch_poke(1, fresh());
    lazy_mmu__x86_64_invlpgb(&m, (uint64_t)TEST_VA(0) | va_asid_g, 1, 0);
    ck_assert_uint_eq(lazy_mmu_sim_stale(&sim), 2);
    lazy_mmu__x86_64_tlbsync(&m);
    check_visible("after TLBSYNC");
    lazy_mmu__x86_64_invlpgb(&m, (uint64_t)TEST_VA(0) | va_asid_g,
                             LAZY_MMU_SIM_X86_64_INVLPGB_MAX + 1, 0);
    ck_assert_str_eq(sim.violation, "x86: INVLPGB count above CPUID Fn8000_0008_EDX[15:0]");
}
END_TEST

/* Configured for INVLPGB on a CPU without it: loudly, not a kernel whose
 * other CPUs silently keep stale translations. */
START_TEST(test_cpu_without_invlpgb_panics)
{
    lazy_mmu_sim_init(&sim, TEST_BASE, WINDOW);
    lazy_mmu_sim_set_cpus(&sim, TEST_CPUS);
    sim.invlpgb_max = -1; /* CPUID Fn8000_0008_EBX[3] clear */
    lazy_mmu_init(&m);    /* no simulated CPU to ask yet */
    test_expected_panic = "has no INVLPGB/TLBSYNC";
    lazy_mmu_sim_attach(&m, &sim);
}
END_TEST

Suite *SUITE_FN(invlpgb)(void)
{
    Suite *s = suite_create("invlpgb-" TEST_ARCH_NAME);
    TCase *tc = tcase_create("broadcast");
    tcase_add_loop_test(tc, test_run_takes_ceil_pages_over_count, 0, 10);
    tcase_add_loop_test(tc, test_count_follows_cpuid, 0, 6);
    tcase_add_test(tc, test_scattered_pages_one_each);
    tcase_add_test(tc, test_ranges_each_split_by_count);
    tcase_add_test(tc, test_over_threshold_one_invlpgb_all);
    tcase_add_test(tc, test_over_threshold_with_global);
    tcase_add_test(tc, test_global_page_by_address);
    tcase_add_test(tc, test_eager_update);
    tcase_add_test(tc, test_invalidate_range_request);
    tcase_add_test(tc, test_maps_issue_nothing);
    tcase_add_test(tc, test_model_invlpgb_waits_for_tlbsync);
    tcase_add_exit_test(tc, test_cpu_without_invlpgb_panics, PANIC_EXPECTED);
    suite_add_tcase(s, tc);
    return s;
}
