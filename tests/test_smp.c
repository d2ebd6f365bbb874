/* tests/test_smp.c - one batch, every CPU: the shootdown a visibility point
 * hands to the other CPUs, and the frames that wait for it.
 *
 * The model has TEST_CPUS CPUs (window.h); the suite's context runs on
 * CPU 0 and every other CPU has cached each page (touch), so a round that
 * is missing, early or short leaves a stale translation on one of them.
 * harness.h's hook plays the kernel's IPIs (test_shootdown: each other CPU
 * applies the description on its own context), or on riscv64 the SBI
 * RFENCE call.  Backends whose invalidations broadcast (aarch64, paravirt,
 * x86_64 with INVLPGB) must never call it.
 */
#include <stddef.h>
#include <stdint.h>
#define LAZY_MMU_FREE_MAX 4
static void test_free(uintptr_t frame);
#define LAZY_MMU_FREE_FRAME(m, frame) ((void)(m), test_free(frame))
/* paravirt: a hypercall that fails is reported and the batch kept. */
#define LAZY_MMU_PARAVIRT_ERROR(m, index, op) ((void)(m), (void)(index), (void)(op))
#include "harness.h"

#define T ((unsigned long)LAZY_MMU_FLUSH_ALL_THRESHOLD)
#define WINDOW 2048u
#include "window.h"

#if (defined(LAZY_MMU_ARCH_AARCH64) && !LAZY_MMU_AARCH64_NONSHAREABLE) ||                          \
    defined(LAZY_MMU_ARCH_PARAVIRT) || (defined(LAZY_MMU_ARCH_X86_64) && LAZY_MMU_X86_64_INVLPGB)
#define BROADCASTS 1
#else
#define BROADCASTS 0
#endif

/* Rounds a run of visibility points that invalidated something costs. */
static unsigned long rounds_for(unsigned long points)
{
    return BROADCASTS ? 0 : points;
}

static uintptr_t freed[16];
static unsigned nfreed;

/* Released only once no CPU can reach the frame: nothing stale anywhere. */
static void test_free(uintptr_t frame)
{
    ck_assert_msg(lazy_mmu_sim_stale(&sim) == 0, "frame %#lx released while a CPU still maps it",
                  (unsigned long)frame);
    ck_assert_uint_lt(nfreed, 16);
    freed[nfreed++] = frame;
}

static void smp_setup(void)
{
    setup();
    nfreed = 0;
    test_remote_off = 0;
    test_remote_reads = 1;
#if defined(LAZY_MMU_ARCH_RISCV64)
    test_remote_sbi = 0;
#endif
}

#define check_visible(what) check_visible_at((what), __LINE__)

/* n remaps of pages a stride apart in one section: one round. */
static void remap_section(unsigned n, unsigned stride)
{
    lazy_mmu_state_t s;
    unsigned i;
    for (i = 0; i < n; i++)
        boot(i * stride, fresh());
    start_counting();
    s = lazy_mmu_enter(&m);
    for (i = 0; i < n; i++)
        set(i * stride, fresh());
    lazy_mmu_leave(&m, s);
}

START_TEST(test_one_round_per_section)
{
    static const unsigned sizes[] = {1, 2, 17, 33, 64, 65, 511, 512, 1000};
    unsigned n = sizes[_i];

    smp_setup();
    remap_section(n, 1);
    check_visible("section of remaps");
    ck_assert_uint_eq(test_remote_rounds, rounds_for(1));
    ck_assert_uint_eq(test_ipis, rounds_for(1) * (TEST_CPUS - 1));
    ck_assert_uint_eq(lazy_mmu_get_stats(&m)->shootdowns, rounds_for(1));
}
END_TEST

/* Scattered pages: the description holds every range (the last one too). */
START_TEST(test_scattered_ranges_reach_every_cpu)
{
    smp_setup();
    remap_section(T < 24 ? (unsigned)T : 24, 7);
    check_visible("scattered remaps");
    ck_assert_uint_eq(test_remote_rounds, rounds_for(1));
}
END_TEST

/* Each visibility point is a round of its own, at any depth. */
START_TEST(test_nested_leave_rounds)
{
    lazy_mmu_state_t outer, inner;

    smp_setup();
    boot(0, fresh());
    boot(5, fresh());
    start_counting();
    outer = lazy_mmu_enter(&m);
    inner = lazy_mmu_enter(&m);
    set(0, fresh());
    lazy_mmu_leave(&m, inner);
    check_visible("inner leave");
    ck_assert_uint_eq(test_remote_rounds, rounds_for(1));
    set(5, fresh());
    lazy_mmu_flush(&m);
    check_visible("flush");
    ck_assert_uint_eq(test_remote_rounds, rounds_for(2));
    lazy_mmu_leave(&m, outer);
    ck_assert_uint_eq(test_remote_rounds, rounds_for(2)); /* nothing left to send */
}
END_TEST

/* Eager: every update is its own visibility point, so its own round. */
START_TEST(test_eager_round_per_update)
{
    unsigned i;

    smp_setup();
    for (i = 0; i < 8; i++)
        boot(i, fresh());
    start_counting();
    for (i = 0; i < 8; i++)
        set(i, fresh());
    check_visible("eager remaps");
    ck_assert_uint_eq(test_remote_rounds, rounds_for(8));
}
END_TEST

/* A new entry where none was: no round unless some TLB caches invalid
 * entries (riscv64 without Svvptc). */
START_TEST(test_map_needs_no_round)
{
    lazy_mmu_state_t s;
    unsigned i;

    smp_setup();
    for (i = 0; i < 8; i++)
        (void)touch(i);
    start_counting();
    s = lazy_mmu_enter(&m);
    for (i = 0; i < 8; i++)
        set(i, fresh());
    lazy_mmu_leave(&m, s);
    check_visible("maps");
#if defined(LAZY_MMU_ARCH_RISCV64) && !LAZY_MMU_RISCV64_SVVPTC
    ck_assert_uint_eq(test_remote_rounds, 1);
#else
    ck_assert_uint_eq(test_remote_rounds, 0);
#endif
}
END_TEST

/* Control: a hook that does nothing leaves the other CPUs stale (where
 * there is a hook) - the model does see a missing round. */
START_TEST(test_no_round_is_stale)
{
    smp_setup();
    test_remote_off = 1;
    remap_section(4, 1);
    ck_assert_uint_eq(lazy_mmu_sim_stale(&sim) != 0, !BROADCASTS);
}
END_TEST

/* The receivers do what the sender did: its per-page or full form. */
START_TEST(test_receivers_mirror_the_sender)
{
    smp_setup();
    remap_section(_i ? (unsigned)T + 1 : 3, 1);
    check_visible("remaps");
#if defined(LAZY_MMU_ARCH_X86_64) && !LAZY_MMU_STAGE2 && !LAZY_MMU_X86_64_INVLPGB
    ck_assert_uint_eq(test_remote_n.invlpg, (TEST_CPUS - 1) * sim.n.invlpg);
    ck_assert_uint_eq(test_remote_n.cr3_reload + test_remote_n.global_flush,
                      (TEST_CPUS - 1) * (sim.n.cr3_reload + sim.n.global_flush));
#elif defined(LAZY_MMU_ARCH_X86_64) && LAZY_MMU_STAGE2
    ck_assert_uint_eq(test_remote_n.invept_single + test_remote_n.invept_all,
                      (TEST_CPUS - 1) * (sim.n.invept_single + sim.n.invept_all));
#elif defined(LAZY_MMU_ARCH_AARCH64) && LAZY_MMU_AARCH64_NONSHAREABLE
    ck_assert_uint_eq(test_remote_n.tlbi_va, (TEST_CPUS - 1) * sim.n.tlbi_va);
    ck_assert_uint_eq(test_remote_n.tlbi_all, (TEST_CPUS - 1) * sim.n.tlbi_all);
#elif defined(LAZY_MMU_ARCH_RISCV64)
    ck_assert_uint_eq(test_remote_n.sfence_va + test_remote_n.sinval,
                      (TEST_CPUS - 1) * (sim.n.sfence_va + sim.n.sinval));
    ck_assert_uint_eq(test_remote_n.sfence_all, (TEST_CPUS - 1) * sim.n.sfence_all);
#else
    ck_assert_uint_eq(test_remote_rounds, 0);
#endif
}
END_TEST

#if defined(LAZY_MMU_ARCH_RISCV64)
/* SBI RFENCE: one call per round - a range, the span of several, or
 * everything once that span passes the threshold. */
START_TEST(test_sbi_calls)
{
    lazy_mmu_state_t s;
    unsigned i;

    smp_setup();
    test_remote_sbi = 1;
    for (i = 0; i < 40; i++)
        boot(i, fresh());
    start_counting();
    s = lazy_mmu_enter(&m);
    set(0, fresh());
    set(1, fresh());
    set(10, fresh());
    lazy_mmu_leave(&m, s);
    check_visible("two ranges");
    ck_assert_uint_eq(sim.n.sbi_rfence, 1);
    s = lazy_mmu_enter(&m);
    for (i = 0; i < 40; i++)
        set(i, fresh());
    lazy_mmu_set_pte(&m, ptep(100), 0, TEST_VA(100));
    for (i = 200; i < 200 + T; i++)
        set(i, fresh());
    lazy_mmu_leave(&m, s);
    check_visible("everything");
    ck_assert_uint_eq(sim.n.sbi_rfence, 2);
}
END_TEST
#endif

/* Frames wait for the visibility point and its round, in order; one more
 * than LAZY_MMU_FREE_MAX publishes early rather than drop one. */
START_TEST(test_frames_wait_for_every_cpu)
{
    lazy_mmu_state_t s;
    unsigned i;

    smp_setup();
    for (i = 0; i < 6; i++)
        boot(i, fresh());
    start_counting();
    s = lazy_mmu_enter(&m);
    for (i = 0; i < 6; i++) {
        set(i, 0);
        lazy_mmu_free_frame(&m, 0x1000 + i);
        ck_assert_uint_eq(nfreed, i < 4 ? 0 : 4); /* the fifth forced a publish */
    }
    lazy_mmu_leave(&m, s);
    check_visible("unmapped and freed");
    ck_assert_uint_eq(nfreed, 6);
    for (i = 0; i < 6; i++)
        ck_assert_uint_eq(freed[i], 0x1000 + i);
    ck_assert_uint_eq(lazy_mmu_get_stats(&m)->early_flushes, 1);
    /* Outside a section: at once. */
    lazy_mmu_free_frame(&m, 0x2000);
    ck_assert_uint_eq(nfreed, 7);
}
END_TEST

/* A section that frees without changing anything still releases at its
 * leave, and issues nothing for it. */
START_TEST(test_frames_alone_issue_nothing)
{
    lazy_mmu_state_t s;

    smp_setup();
    start_counting();
    s = lazy_mmu_enter(&m);
    lazy_mmu_free_frame(&m, 0x3000);
    ck_assert_uint_eq(nfreed, 0);
    lazy_mmu_leave(&m, s);
    ck_assert_uint_eq(nfreed, 1);
    ck_assert_uint_eq(test_remote_rounds, 0);
    ck_assert_uint_eq(lazy_mmu_get_stats(&m)->page_invals + lazy_mmu_get_stats(&m)->full_invals +
                          lazy_mmu_get_stats(&m)->barriers + lazy_mmu_get_stats(&m)->hypercalls,
                      0);
}
END_TEST

#if !defined(LAZY_MMU_ARCH_PARAVIRT)
START_TEST(test_apply_empty_description)
{
    struct lazy_mmu_shootdown sd;
    smp_setup();
    memset(&sd, 0, sizeof sd);
    test_expected_panic = "lazy_mmu_shootdown_apply: empty description";
    lazy_mmu_shootdown_apply(&m, &sd);
}
END_TEST
#endif

#if defined(LAZY_MMU_ARCH_RISCV64)
/* A hart the platform does not have: the SBI call fails, loudly. */
START_TEST(test_sbi_failure_panics)
{
    smp_setup();
    sim.ncpus = 2; /* the mask below names hart 2 */
    test_remote_sbi = 1;
    boot(0, fresh());
    test_expected_panic = "lazy_mmu_sbi_shootdown: SBI remote_sfence_vma failed";
    lazy_mmu_sbi_shootdown(
        &m, &(const struct lazy_mmu_shootdown){NULL, NULL, 0, 0, LAZY_MMU_SHOOTDOWN_ALL, 0}, 0x6ul,
        0);
}
END_TEST
#endif

#if defined(LAZY_MMU_ARCH_PARAVIRT)
/* The publish a full frame list forces fails: the frames cannot be
 * released and the next one has nowhere to go - loudly, not lost. */
START_TEST(test_frames_full_after_failed_publish)
{
    lazy_mmu_state_t s;
    unsigned i;

    smp_setup();
    for (i = 0; i < 5; i++)
        boot(i, fresh());
    s = lazy_mmu_enter(&m);
    for (i = 0; i < 4; i++) {
        set(i, 0);
        lazy_mmu_free_frame(&m, 0x1000 + i);
    }
    sim.paravirt_fail_at = 0; /* the next call applies nothing */
    test_expected_panic = "lazy_mmu_free_frame: frames still held after a failed publish";
    lazy_mmu_free_frame(&m, 0x2000);
    lazy_mmu_leave(&m, s);
}
END_TEST
#endif

Suite *SUITE_FN(smp)(void)
{
    Suite *s = suite_create("smp-" TEST_ARCH_NAME);
    TCase *tc = tcase_create("rounds");
    tcase_add_loop_test(tc, test_one_round_per_section, 0, 9);
    tcase_add_test(tc, test_scattered_ranges_reach_every_cpu);
    tcase_add_test(tc, test_nested_leave_rounds);
    tcase_add_test(tc, test_eager_round_per_update);
    tcase_add_test(tc, test_map_needs_no_round);
    tcase_add_test(tc, test_no_round_is_stale);
    tcase_add_loop_test(tc, test_receivers_mirror_the_sender, 0, 2);
#if defined(LAZY_MMU_ARCH_RISCV64)
    tcase_add_test(tc, test_sbi_calls);
#endif
    tcase_add_test(tc, test_frames_wait_for_every_cpu);
    tcase_add_test(tc, test_frames_alone_issue_nothing);
#if !defined(LAZY_MMU_ARCH_PARAVIRT)
    tcase_add_exit_test(tc, test_apply_empty_description, PANIC_EXPECTED);
#endif
#if defined(LAZY_MMU_ARCH_RISCV64)
    tcase_add_exit_test(tc, test_sbi_failure_panics, PANIC_EXPECTED);
#endif
#if defined(LAZY_MMU_ARCH_PARAVIRT)
    tcase_add_exit_test(tc, test_frames_full_after_failed_publish, PANIC_EXPECTED);
#endif
    suite_add_tcase(s, tc);
    return s;
}
