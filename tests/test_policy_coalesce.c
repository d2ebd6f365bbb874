/* tests/test_policy_coalesce.c - what repeated and overlapping requests cost.
 *
 * As in test_policy.c, every count is asserted from the simulator and from
 * lazy_mmu_get_stats, and the two are cross-checked; the expectations here
 * are single cases, so they are spelled out per backend.
 */
#include <stddef.h>
#if defined(LAZY_MMU_ARCH_PARAVIRT)
/* Watch every hypercall so the INVLPG page counts can be cross-checked. */
struct lazy_mmu_paravirt_op;
static size_t test_paravirt_commit(void *hv, const struct lazy_mmu_paravirt_op *ops, size_t n);
#define LAZY_MMU_PARAVIRT_COMMIT test_paravirt_commit
#endif
#include "harness.h"

#define BATCH ((unsigned long)LAZY_MMU_BATCH_MAX)
#define WINDOW (4 * BATCH + 8)
#define WRITABLE ((lazy_mmu_pte_t)1 << 1)
_Static_assert(WINDOW <= LAZY_MMU_SIM_PAGES, "window");

#include "window.h"

#include "counts.h"

#define check_visible(what) check_visible_at((what), __LINE__)

/* Rewriting one entry up to BATCH times in a section costs what one write
 * costs.  (Past BATCH, the queueing backend reclaims the superseded writes'
 * slots before it would publish early.) */
START_TEST(test_duplicates_cost_nothing)
{
    lazy_mmu_state_t s;
    struct expect e = none();
    unsigned long j;

    setup();
    boot(0, fresh());
    start_counting_pv();
    s = lazy_mmu_enter(&m);
    for (j = 0; j < BATCH; j++)
        set(0, fresh());
    lazy_mmu_leave(&m, s);
    e.st.updates = BATCH;
    e.st.publishes = e.st.page_invals = 1;
#if defined(LAZY_MMU_ARCH_X86_64)
    e.hw.stores = BATCH; /* stored at once; only the invalidation is shared */
    e.hw.invlpg = 1;
#elif defined(LAZY_MMU_ARCH_AARCH64)
    /* One break, the rewrites stored in place with bit 0 clear, one make
     * of the last value, one publish. */
    e.hw.stores = BATCH + 1;
    e.hw.dsb_ishst = 2;
    e.hw.tlbi_va = e.hw.dsb_ish = e.hw.isb = 1;
    e.st.barriers = 4;
    e.st.bbm = 1;
#elif defined(LAZY_MMU_ARCH_RISCV64)
    e.hw.stores = BATCH;
    if (LAZY_MMU_RISCV64_SVINVAL) {
        e.hw.sfence_w_inval = e.hw.sinval = e.hw.sfence_inval_ir = 1;
        e.st.barriers = 2;
    } else {
        e.hw.sfence_va = 1;
    }
#else
    e.hw.hypercalls = e.st.hypercalls = 1;
    e.hw.hypercall_ops = 2; /* the last SET and one INVLPG */
#endif
    check_counts(&e, "one entry written BATCH times");
    check_visible("duplicates");
}
END_TEST

/* Two write-protects and three requests that overlap them and each other
 * make one range of six pages (riscv64: explicit requests may be for a
 * replaced table, so they make the batch one global fence). */
START_TEST(test_overlapping_requests_merge)
{
    lazy_mmu_state_t s;
    struct expect e = none();
    size_t i;

    setup();
    for (i = 0; i < 8; i++)
        boot(i, fresh() | WRITABLE);
    for (i = 0; i < 6; i++)
        if (i != 2 && i != 3)
            poke(i, want[i] & ~WRITABLE);
    start_counting_pv();
    s = lazy_mmu_enter(&m);
    set(2, want[2] & ~WRITABLE);
    set(3, want[3] & ~WRITABLE);
    lazy_mmu_invalidate_page(&m, TEST_VA(3));
    lazy_mmu_invalidate_range(&m, TEST_VA(0), TEST_VA(4));
    lazy_mmu_invalidate_range(&m, TEST_VA(3) + 1, TEST_VA(6));
    lazy_mmu_leave(&m, s);
    e.st.updates = 2;
    e.st.inval_requests = 3;
    e.st.publishes = 1;
    e.st.page_invals = 6;
#if defined(LAZY_MMU_ARCH_X86_64)
    e.hw.stores = 2;
    e.hw.invlpg = 6;
#elif defined(LAZY_MMU_ARCH_AARCH64)
    e.hw.stores = 2;
    e.hw.tlbi_va = 6;
    e.hw.dsb_ishst = e.hw.dsb_ish = e.hw.isb = 1;
    e.st.barriers = 3;
#elif defined(LAZY_MMU_ARCH_RISCV64)
    e.hw.stores = 2;
    e.hw.sfence_all = e.st.full_invals = 1;
    e.st.page_invals = 0;
#else
    e.hw.hypercalls = e.st.hypercalls = 1;
    e.hw.hypercall_ops = 2 + 1; /* two SETs, one INVLPG of six pages */
#endif
    check_counts(&e, "overlapping requests");
    check_visible("overlapping requests");
}
END_TEST

/* Once a full invalidation is pending, later pages add nothing to it (no
 * ranges, so no early publish when they would overflow the batch) until it
 * is published.  Write-protects: aarch64 queues nothing for them. */
START_TEST(test_pending_full_invalidation_absorbs_pages)
{
    const unsigned long n = 2 * BATCH + 1;
    lazy_mmu_state_t s;
    struct expect e = none();
    unsigned long j;

    setup();
    for (j = 0; j < n; j++)
        boot(2 * j, fresh() | WRITABLE);
    start_counting_pv();
    s = lazy_mmu_enter(&m);
    lazy_mmu_invalidate_all(&m);
    for (j = 0; j < n; j++)
        set(2 * j, want[2 * j] & ~WRITABLE);
    lazy_mmu_leave(&m, s);
    e.st.updates = n;
    e.st.inval_requests = 1;
    e.st.publishes = e.st.full_invals = 1;
#if defined(LAZY_MMU_ARCH_X86_64)
    e.hw.stores = n;
    e.hw.global_flush = 1; /* invalidate_all means global entries too */
#elif defined(LAZY_MMU_ARCH_AARCH64)
    e.hw.stores = n;
    e.hw.dsb_ishst = e.hw.tlbi_all = e.hw.dsb_ish = e.hw.isb = 1;
    e.st.barriers = 3;
#elif defined(LAZY_MMU_ARCH_RISCV64)
    e.hw.stores = n;
    e.hw.sfence_all = 1;
#else
    /* The queue fills once and is sent on its own; the visibility point
     * sends the last SET and the one INVAL_ALL that covers every page. */
    e.hw.hypercalls = e.st.hypercalls = 2;
    e.st.early_flushes = 1;
    e.hw.hypercall_ops = n + 1;
#endif
    check_counts(&e, "invalidate_all, then 2 * BATCH + 1 write-protects");
    check_visible("after the full invalidation");
}
END_TEST

/* Nothing pending: sections, a flush and an empty range cost nothing. */
START_TEST(test_empty_section_is_free)
{
    lazy_mmu_state_t s, inner;
    struct expect e = none();

    setup();
    boot(0, fresh());
    start_counting_pv();
    s = lazy_mmu_enter(&m);
    inner = lazy_mmu_enter(&m);
    lazy_mmu_flush(&m);
    lazy_mmu_invalidate_range(&m, TEST_VA(0), TEST_VA(0));
    lazy_mmu_leave(&m, inner);
    lazy_mmu_leave(&m, s);
    e.st.inval_requests = 1;
    check_counts(&e, "empty sections");
}
END_TEST

/* A run that reaches the top page of the address space ends there: page 0
 * after it is a range of its own, never the run's continuation (which would
 * wrap).  Seen three ways: page 0, unmapped and mapped again, still has its
 * invalidation pending (aarch64 must hold back the make), the top page
 * written again is found in the run (no sixth page), and no paravirt INVLPG
 * crosses the top.  The window starts at page 0; the top pages' entries are
 * outside it. */
START_TEST(test_run_to_the_top_does_not_wrap)
{
    static lazy_mmu_pte_t top[4];
    const uintptr_t top_va = (uintptr_t)0 - 4 * LAZY_MMU_PAGE_SIZE;
    lazy_mmu_pte_t *p0;
    lazy_mmu_state_t s;
    size_t i;

    lazy_mmu_sim_init(&sim, 0, 8);
    lazy_mmu_init(&m);
    lazy_mmu_sim_attach(&m, &sim);
    p0 = lazy_mmu_sim_ptep(&sim, 0);
    for (i = 0; i < 4; i++)
        top[i] = test_pte(0x200 + i) | WRITABLE;
    lazy_mmu_sim_poke(&sim, 0, test_pte(0x300));
    ck_assert(lazy_mmu_sim_access(&sim, 0) == test_pte(0x300));
    start_counting_pv();
    s = lazy_mmu_enter(&m);
    for (i = 0; i < 4; i++)
        lazy_mmu_set_pte(&m, &top[i], top[i] & ~WRITABLE, top_va + i * LAZY_MMU_PAGE_SIZE);
    lazy_mmu_set_pte(&m, p0, 0, 0);
    lazy_mmu_set_pte(&m, p0, test_pte(0x301), 0);
    lazy_mmu_set_pte(&m, &top[3], test_pte(0x203) | WRITABLE, top_va + 3 * LAZY_MMU_PAGE_SIZE);
    lazy_mmu_leave(&m, s);
    ck_assert_msg(sim.violation == NULL, "%s", sim.violation);
    ck_assert_uint_eq(lazy_mmu_sim_stale(&sim), 0);
    ck_assert(lazy_mmu_sim_access(&sim, 0) == test_pte(0x301));
    ck_assert_uint_eq(lazy_mmu_get_stats(&m)->full_invals, 0);
    ck_assert_uint_eq(lazy_mmu_get_stats(&m)->page_invals, 5);
#if defined(LAZY_MMU_ARCH_PARAVIRT)
    ck_assert_uint_eq(pv.wrapped, 0);
#endif
}
END_TEST

Suite *SUITE_FN(policy_coalesce)(void)
{
    Suite *s = suite_create("policy_coalesce-" TEST_ARCH_NAME);
    TCase *tc = tcase_create("policy_coalesce-" TEST_ARCH_NAME);

    tcase_add_test(tc, test_duplicates_cost_nothing);
    tcase_add_test(tc, test_overlapping_requests_merge);
    tcase_add_test(tc, test_pending_full_invalidation_absorbs_pages);
    tcase_add_test(tc, test_empty_section_is_free);
    tcase_add_test(tc, test_run_to_the_top_does_not_wrap);
    suite_add_tcase(s, tc);
    return s;
}
