/* tests/test_misuse.c - every misuse LAZY_MMU_DEBUG detects is reported.
 *
 * Each test sets test_expected_panic to (part of) the message the library
 * must report and is registered as an exit test expecting PANIC_EXPECTED:
 * the harness's hook exits with it only when that message fired, with
 * PANIC_UNEXPECTED for any other, and a test whose misuse goes unnoticed
 * returns normally (exit 0) - all three distinguishable, so a check that
 * disappears or reports the wrong thing fails here.
 */
#include "harness.h"

static struct lazy_mmu_sim sim;
static struct lazy_mmu m, other;

static void setup(void)
{
    test_expected_panic = NULL;
    lazy_mmu_sim_init(&sim, TEST_BASE, 64);
    lazy_mmu_init(&m);
    lazy_mmu_sim_attach(&m, &sim);
    lazy_mmu_init(&other);
    lazy_mmu_sim_attach(&other, &sim);
}

static void expect(const char *msg)
{
    test_expected_panic = msg;
}

/* ---- sections out of order ---- */

/* Each case is a sequence of calls, one letter each: e/p enter or pause on
 * the context under test, E/P on the other one (each returns the next state,
 * numbered from 0), lN/rN leave or resume the context under test with state
 * N.  The misuse is the call after '|': only it may report, and it must
 * report msg.  A table, because the cases differ only in their sequences. */
static const struct {
    const char *calls, *msg;
} order[] = {
    {"e l0 | l0", "lazy_mmu_leave: no section to leave"},
    {"e e | l0", "lazy_mmu_leave: sections left out of order (not LIFO)"},
    /* Same depth and kind as the open section: only the owner tells them apart. */
    {"E e | l0", "lazy_mmu_leave: state belongs to another context"},
    {"e p | l1", "lazy_mmu_leave: state came from lazy_mmu_pause"},
    {"e p | r0", "lazy_mmu_resume: state came from lazy_mmu_enter"},
    {"e p r1 | r1", "lazy_mmu_resume: not paused"},
    {"e p p | r1", "lazy_mmu_resume: sections resumed out of order (not LIFO)"},
    {"P p | r0", "lazy_mmu_resume: state belongs to another context"},
    /* An enter inside a pause is also LIFO: resuming over it is out of order. */
    {"p e | r0", "lazy_mmu_resume: sections resumed out of order (not LIFO)"},
};
#define N_ORDER ((int)(sizeof order / sizeof order[0]))

START_TEST(sections_out_of_order)
{
    lazy_mmu_state_t st[4];
    unsigned n = 0;
    const char *c;

    for (c = order[_i].calls; *c; c++) {
        ck_assert_uint_lt(n, 4);
        switch (*c) {
        case 'e': st[n++] = lazy_mmu_enter(&m); break;
        case 'p': st[n++] = lazy_mmu_pause(&m); break;
        case 'E': st[n++] = lazy_mmu_enter(&other); break;
        case 'P': st[n++] = lazy_mmu_pause(&other); break;
        case 'l': lazy_mmu_leave(&m, st[*++c - '0']); break;
        case 'r': lazy_mmu_resume(&m, st[*++c - '0']); break;
        case '|': expect(order[_i].msg); break;
        case ' ': break;
        default: ck_abort_msg("order[%d]: bad call '%c'", _i, *c);
        }
    }
}
END_TEST

/* 0xffff open enters, or 0x7fff open pauses, is the limit. */
START_TEST(nesting_too_deep)
{
    unsigned i;
    for (i = 0; i < (_i ? 0x7fffu : 0xffffu); i++)
        (void)(_i ? lazy_mmu_pause(&m) : lazy_mmu_enter(&m));
    expect(_i ? "lazy_mmu_pause: nesting too deep" : "lazy_mmu_enter: nesting too deep");
    (void)(_i ? lazy_mmu_pause(&m) : lazy_mmu_enter(&m));
}
END_TEST

/* ---- a context used before lazy_mmu_init ---- */

static const char *const before_init[] = {
    "lazy_mmu_enter: context used before lazy_mmu_init",
    "lazy_mmu_set_pte: context used before lazy_mmu_init",
    "lazy_mmu_flush: context used before lazy_mmu_init",
    "lazy_mmu_leave: context used before lazy_mmu_init",
    "lazy_mmu_pause: context used before lazy_mmu_init",
    "lazy_mmu_resume: context used before lazy_mmu_init",
    "lazy_mmu_invalidate_page: context used before lazy_mmu_init",
    "lazy_mmu_invalidate_range: context used before lazy_mmu_init",
    "lazy_mmu_invalidate_all: context used before lazy_mmu_init",
    "lazy_mmu_get_pte: context used before lazy_mmu_init",
};
#define N_BEFORE_INIT ((int)(sizeof before_init / sizeof before_init[0]))

/* Garbage memory (_i < N) or a NULL context (_i >= N), through each entry. */
START_TEST(used_before_init)
{
    static struct lazy_mmu garbage;
    struct lazy_mmu *g = _i < N_BEFORE_INIT ? &garbage : NULL;
    lazy_mmu_state_t s = lazy_mmu_enter(&m); /* a well-formed state to pass in */

    memset(&garbage, 0xa5, sizeof garbage);
    expect(before_init[_i % N_BEFORE_INIT]);
    switch (_i % N_BEFORE_INIT) {
    case 0: (void)lazy_mmu_enter(g); break;
    case 1: lazy_mmu_set_pte(g, &sim.pt[0], test_pte(1), TEST_VA(0)); break;
    case 2: lazy_mmu_flush(g); break;
    case 3: lazy_mmu_leave(g, s); break;
    case 4: (void)lazy_mmu_pause(g); break;
    case 5: lazy_mmu_resume(g, s); break;
    case 6: lazy_mmu_invalidate_page(g, TEST_VA(0)); break;
    case 7: lazy_mmu_invalidate_range(g, TEST_VA(0), TEST_VA(2)); break;
    case 8: lazy_mmu_invalidate_all(g); break;
    default: (void)lazy_mmu_get_pte(g, &sim.pt[0]); break;
    }
}
END_TEST

/* ---- bad addresses and entry pointers ---- */

static const uintptr_t misalign[] = {1, 8, 0x800, LAZY_MMU_PAGE_SIZE - 1};

START_TEST(set_pte_misaligned_va)
{
    lazy_mmu_state_t s = lazy_mmu_enter(&m);
    (void)s;
    expect("lazy_mmu_set_pte: va is not page-aligned");
    lazy_mmu_set_pte(&m, &sim.pt[1], test_pte(1), TEST_VA(1) + misalign[_i]);
}
END_TEST

START_TEST(invalidate_page_misaligned_va)
{
    expect("lazy_mmu_invalidate_page: va is not page-aligned");
    lazy_mmu_invalidate_page(&m, TEST_VA(1) + misalign[_i]);
}
END_TEST

/* NULL, and pointers off by 1, 4 and 7 bytes from an entry. */
START_TEST(set_pte_bad_entry_pointer)
{
    static const uintptr_t off[] = {1, 4, 7};
    lazy_mmu_pte_t *p = _i == 0 ? NULL : (lazy_mmu_pte_t *)((uintptr_t)&sim.pt[1] + off[_i - 1]);

    expect("lazy_mmu_set_pte: entry pointer is NULL or misaligned");
    lazy_mmu_set_pte(&m, p, test_pte(1), TEST_VA(1));
}
END_TEST

START_TEST(invalidate_range_end_before_start)
{
    expect("lazy_mmu_invalidate_range: end is before start");
    lazy_mmu_invalidate_range(&m, TEST_VA(4), TEST_VA(4) - 1);
}
END_TEST

/* [start, end) past the top of the address space: end wraps below start.
 * Ending exactly at the top (end == 0) is not expressible either. */
START_TEST(invalidate_range_wraps)
{
    uintptr_t top = UINTPTR_MAX & ~(LAZY_MMU_PAGE_SIZE - 1);
    uintptr_t start[] = {top, top, top + 0x800};

    expect("lazy_mmu_invalidate_range: end is before start (or wraps)");
    lazy_mmu_invalidate_range(&m, start[_i], _i == 1 ? 0 : start[_i] + 2 * LAZY_MMU_PAGE_SIZE);
}
END_TEST

/* ---- correct use never panics ---- */

/* Every entry point, nested with pauses and flushes, on both contexts; any
 * panic aborts (no message is expected) and fails the test. */
START_TEST(correct_use_never_panics)
{
    lazy_mmu_state_t a, b, c, p, q;
    unsigned i;

    for (i = 0; i < 8; i++)
        lazy_mmu_set_pte(&m, &sim.pt[i], test_pte(100 + i), TEST_VA(i)); /* eager */
    a = lazy_mmu_enter(&m);
    b = lazy_mmu_enter(&m);
    for (i = 0; i < 40; i++)
        lazy_mmu_set_pte(&m, &sim.pt[i], test_pte(200 + i), TEST_VA(i));
    lazy_mmu_flush(&m);
    p = lazy_mmu_pause(&m);
    lazy_mmu_set_pte(&m, &sim.pt[50], test_pte(50), TEST_VA(50));
    c = lazy_mmu_enter(&m); /* inside a pause: still eager */
    q = lazy_mmu_pause(&m);
    lazy_mmu_resume(&m, q);
    lazy_mmu_leave(&m, c);
    lazy_mmu_resume(&m, p);
    lazy_mmu_invalidate_page(&m, TEST_VA(3));
    lazy_mmu_invalidate_range(&m, TEST_VA(5) + 7, TEST_VA(9) + 1);
    lazy_mmu_invalidate_range(&m, TEST_VA(9), TEST_VA(9)); /* empty */
    lazy_mmu_leave(&m, b);
    c = lazy_mmu_enter(&other); /* another context, its own nesting */
    lazy_mmu_set_pte(&other, &sim.pt[60], test_pte(60), TEST_VA(60));
    lazy_mmu_invalidate_all(&m);
    lazy_mmu_leave(&other, c);
    for (i = 0; i < 40; i++)
        lazy_mmu_set_pte(&m, &sim.pt[i], 0, TEST_VA(i));
    lazy_mmu_leave(&m, a);
    lazy_mmu_flush(&m); /* outside any section: a no-op */

    ck_assert_ptr_null(sim.violation);
    ck_assert_uint_eq(lazy_mmu_sim_stale(&sim), 0);
    for (i = 0; i < 64; i++)
        ck_assert_uint_eq(lazy_mmu_sim_access(&sim, TEST_VA(i)),
                          i == 50 ? test_pte(50) : i == 60 ? test_pte(60) : 0);
    ck_assert(!lazy_mmu_is_active(&m));
}
END_TEST

#ifdef LAZY_MMU_ARCH_PARAVIRT
/* A hypercall that applies only ops[0..k) is reported, whether k falls on
 * the first update, inside the updates, on the last one or on the
 * invalidations behind them; and on the eager path. */
static const long pv_fail[] = {0, 1, 4, 7, 8, 9};
#define N_PV_FAIL ((int)(sizeof pv_fail / sizeof pv_fail[0]))

START_TEST(pv_short_commit_reported)
{
    lazy_mmu_state_t s;
    unsigned i;

    for (i = 0; i < 8; i++) /* valid, so each update also needs an INVLPG */
        lazy_mmu_sim_poke(&sim, TEST_VA(i), test_pte(1 + i));
    expect("the hypervisor applied fewer updates than asked");
    if (_i == N_PV_FAIL) { /* eager: SET + INVLPG in one call */
        sim.paravirt_fail_at = 1;
        lazy_mmu_set_pte(&m, &sim.pt[0], test_pte(99), TEST_VA(0));
        return;
    }
    s = lazy_mmu_enter(&m);
    for (i = 0; i < 8; i++) /* ops 0..7: SETs; 8: INVLPG pages 0-7; 9: INVLPG page 20 */
        lazy_mmu_set_pte(&m, &sim.pt[i], test_pte(100 + i), TEST_VA(i));
    lazy_mmu_invalidate_page(&m, TEST_VA(20));
    sim.paravirt_fail_at = pv_fail[_i];
    lazy_mmu_leave(&m, s);
}
END_TEST
#endif

Suite *SUITE_FN(misuse)(void)
{
    Suite *su = suite_create("misuse/" TEST_ARCH_NAME);
    TCase *tc = tcase_create("order");

    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_loop_exit_test(tc, sections_out_of_order, PANIC_EXPECTED, 0, N_ORDER);
    tcase_add_loop_exit_test(tc, nesting_too_deep, PANIC_EXPECTED, 0, 2);
    suite_add_tcase(su, tc);

    tc = tcase_create("init");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_loop_exit_test(tc, used_before_init, PANIC_EXPECTED, 0, 2 * N_BEFORE_INIT);
    suite_add_tcase(su, tc);

    tc = tcase_create("addresses");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_loop_exit_test(tc, set_pte_misaligned_va, PANIC_EXPECTED, 0, 4);
    tcase_add_loop_exit_test(tc, invalidate_page_misaligned_va, PANIC_EXPECTED, 0, 4);
    tcase_add_loop_exit_test(tc, set_pte_bad_entry_pointer, PANIC_EXPECTED, 0, 4);
    tcase_add_exit_test(tc, invalidate_range_end_before_start, PANIC_EXPECTED);
    tcase_add_loop_exit_test(tc, invalidate_range_wraps, PANIC_EXPECTED, 0, 3);
    suite_add_tcase(su, tc);

    tc = tcase_create("correct");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, correct_use_never_panics);
    suite_add_tcase(su, tc);
#ifdef LAZY_MMU_ARCH_PARAVIRT
    tc = tcase_create("paravirt");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_loop_exit_test(tc, pv_short_commit_reported, PANIC_EXPECTED, 0, N_PV_FAIL + 1);
    suite_add_tcase(su, tc);
#endif
    return su;
}
