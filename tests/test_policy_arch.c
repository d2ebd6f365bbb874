/* tests/test_policy_arch.c - what only one backend does: x86 global entries,
 * aarch64 break-before-make, riscv fences for new entries, the paravirt
 * hypercall's ops.  Where a test relies on the simulator catching a mistake,
 * a control shows the simulator does catch it.
 */
#include <stddef.h>
#if defined(LAZY_MMU_ARCH_PARAVIRT)
/* Keep the ops of the last hypercall to compare them op by op. */
struct lazy_mmu_paravirt_op;
static size_t test_paravirt_commit(void *hv, const struct lazy_mmu_paravirt_op *ops, size_t n);
#define LAZY_MMU_PARAVIRT_COMMIT test_paravirt_commit
#endif
#include "harness.h"

#define THR ((unsigned long)LAZY_MMU_FLUSH_ALL_THRESHOLD)
#define BATCH ((unsigned long)LAZY_MMU_BATCH_MAX)
#define WINDOW (THR + 8)
#define WRITABLE ((lazy_mmu_pte_t)1 << 1)
_Static_assert(THR + 8 <= LAZY_MMU_SIM_PAGES, "window");

#include "window.h"

#if defined(LAZY_MMU_ARCH_PARAVIRT)
static struct {
    unsigned long calls;
    size_t n;
    struct lazy_mmu_paravirt_op ops[2 * LAZY_MMU_BATCH_MAX];
} pv;

static size_t test_paravirt_commit(void *hv, const struct lazy_mmu_paravirt_op *ops, size_t n)
{
    ck_assert_msg(n <= 2 * LAZY_MMU_BATCH_MAX, "a hypercall of %zu ops exceeds the interface", n);
    pv.calls++;
    pv.n = n;
    memcpy(pv.ops, ops, n * sizeof *ops);
    return lazy_mmu_sim_hypercall(hv, ops, n);
}

/* Each test counts its own hypercalls. */
static void setup_pv(void)
{
    setup();
    pv.calls = 0;
    pv.n = 0;
}
#endif

#define check_visible(what) check_visible_at((what), __LINE__)


/* ======================= x86_64: global entries ======================= */
#if defined(LAZY_MMU_ARCH_X86_64)
#define G LAZY_MMU_X86_64_PTE_G

/* THR + 1 pages make a full flush; one of them was global, so a CR3 reload
 * would keep its old translation. */
START_TEST(test_x86_pending_global_entry_makes_full_flush_global)
{
    lazy_mmu_state_t s;
    size_t i;

    setup();
    for (i = 0; i <= THR; i++)
        boot(i, fresh() | (i == 3 ? G : 0));
    s = lazy_mmu_enter(&m);
    for (i = 0; i <= THR; i++)
        set(i, fresh() | (i == 3 ? G : 0));
    lazy_mmu_leave(&m, s);
    ck_assert_uint_eq(sim.n.global_flush, 1);
    ck_assert_uint_eq(sim.n.cr3_reload, 0);
    ck_assert_uint_eq(sim.n.invlpg, 0);
    ck_assert_uint_eq(lazy_mmu_get_stats(&m)->full_invals, 1);
    check_visible("full flush with a global entry pending");
}
END_TEST

/* Control for the test above: the simulator models CR3 reloads keeping
 * global translations, so a CR3 reload there would be a stale read. */
START_TEST(test_x86_sim_cr3_reload_keeps_global_entries)
{
    lazy_mmu_pte_t old_global;

    setup();
    lazy_mmu_sim_set_cpus(&sim, 1); /* one CPU's reload, no shootdown */
    boot(0, old_global = fresh() | G);
    boot(1, fresh());
    poke(0, fresh() | G);
    poke(1, fresh());
    lazy_mmu__x86_64_flush_nonglobal(&m);
    ck_assert_msg(touch(0) == old_global, "the simulated CR3 reload dropped a global entry");
    ck_assert(touch(1) == want[1]);
    ck_assert_uint_eq(lazy_mmu_sim_stale(&sim), 1);
}
END_TEST

/* Up to the threshold INVLPG handles global entries like any other. */
START_TEST(test_x86_global_entry_below_threshold_uses_invlpg)
{
    lazy_mmu_state_t s;

    setup();
    boot(0, fresh() | G);
    boot(1, fresh());
    s = lazy_mmu_enter(&m);
    set(0, fresh() | G);
    set(1, fresh());
    lazy_mmu_leave(&m, s);
    ck_assert_uint_eq(sim.n.invlpg, 2);
    ck_assert_uint_eq(sim.n.global_flush + sim.n.cr3_reload, 0);
    check_visible("global entry below the threshold");
}
END_TEST

/* The global flag belongs to the batch that saw the entry: the next full
 * flush without one is a CR3 reload again (unless the build asks for
 * global flushes always). */
START_TEST(test_x86_global_flag_ends_with_its_batch)
{
    lazy_mmu_state_t s;
    size_t i;

    setup();
    boot(0, fresh() | G);
    for (i = 1; i <= THR + 1; i++)
        boot(i, fresh());
    s = lazy_mmu_enter(&m);
    set(0, fresh() | G);
    lazy_mmu_leave(&m, s);
    s = lazy_mmu_enter(&m);
    for (i = 1; i <= THR + 1; i++)
        set(i, fresh());
    lazy_mmu_leave(&m, s);
    ck_assert_uint_eq(sim.n.invlpg, 1);
    ck_assert_uint_eq(sim.n.cr3_reload, LAZY_MMU_X86_64_GLOBAL_PAGES ? 0 : 1);
    ck_assert_uint_eq(sim.n.global_flush, LAZY_MMU_X86_64_GLOBAL_PAGES ? 1 : 0);
    check_visible("second batch");
}
END_TEST

START_TEST(test_x86_invalidate_all_is_global)
{
    lazy_mmu_state_t s;

    setup();
    boot(0, fresh() | G);
    boot(1, fresh());
    poke(0, fresh() | G);
    poke(1, fresh());
    s = lazy_mmu_enter(&m);
    lazy_mmu_invalidate_all(&m);
    lazy_mmu_leave(&m, s);
    ck_assert_uint_eq(sim.n.global_flush, 1);
    check_visible("invalidate_all in a section");
    poke(0, fresh() | G);
    lazy_mmu_invalidate_all(&m);
    ck_assert_uint_eq(sim.n.global_flush, 2);
    ck_assert_uint_eq(sim.n.cr3_reload, 0);
    check_visible("eager invalidate_all");
}
END_TEST

/* Global entries changed behind the library's back and invalidated by
 * range.  Up to the threshold each page gets an INVLPG; one page more used to
 * become a CR3 reload, which keeps every global translation.  The library
 * cannot see the G bit of entries it did not write, so an explicit request
 * that ends in a full flush now uses the global one. */
START_TEST(test_x86_invalidate_range_of_global_entries)
{
    lazy_mmu_state_t s;
    size_t i;

    setup();
    for (i = 0; i <= THR; i++)
        boot(i, fresh() | G);
    for (i = 0; i <= THR; i++)
        poke(i, fresh() | G);
    s = lazy_mmu_enter(&m);
    lazy_mmu_invalidate_range(&m, TEST_VA(0), TEST_VA(THR + 1));
    lazy_mmu_leave(&m, s);
    check_visible("invalidate_range over THR + 1 global entries");
}
END_TEST
#endif

/* =================== aarch64: break-before-make =================== */
#if defined(LAZY_MMU_ARCH_AARCH64)
START_TEST(test_a64_remap_breaks_then_makes_after_tlbi)
{
    lazy_mmu_state_t s;
    lazy_mmu_pte_t v;

    setup();
    boot(0, fresh());
    s = lazy_mmu_enter(&m);
    set(0, v = fresh());
    /* Broken: the new value, invalid (bit 0 clear) until its make. */
    ck_assert_msg(*ptep(0) == (v & ~(lazy_mmu_pte_t)1), "the old entry was not broken at once");
    ck_assert(lazy_mmu_get_pte(&m, ptep(0)) == v);
    ck_assert_uint_eq(sim.n.stores, 1);
    ck_assert_uint_eq(sim.n.tlbi_va, 0);
    ck_assert_uint_eq(lazy_mmu_get_stats(&m)->bbm, 1);
    lazy_mmu_leave(&m, s);
    ck_assert(*ptep(0) == v);
    ck_assert_uint_eq(sim.n.stores, 2);
    ck_assert_uint_eq(sim.n.tlbi_va, 1);
    /* The simulator flags a make stored while any translation with the old
     * output address is live (memory, walker, TLB): see the controls. */
    ck_assert_msg(sim.violation == NULL, "%s", sim.violation);
    check_visible("after break-before-make");
}
END_TEST

START_TEST(test_a64_eager_remap_breaks_too)
{
    setup();
    boot(0, fresh());
    set(0, fresh());
    ck_assert_uint_eq(lazy_mmu_get_stats(&m)->bbm, 1);
    ck_assert_msg(sim.violation == NULL, "%s", sim.violation);
    check_visible("eager break-before-make");
}
END_TEST

/* Control: a make without the break is caught. */
START_TEST(test_a64_sim_flags_make_without_break)
{
    setup();
    boot(0, fresh());
    lazy_mmu__hw_store_pte(&m, ptep(0), fresh());
    ck_assert_ptr_nonnull(sim.violation);
}
END_TEST

/* Control: a break whose TLBI has not completed is not enough either. */
START_TEST(test_a64_sim_flags_make_before_tlbi_completes)
{
    setup();
    boot(0, fresh());
    lazy_mmu__hw_store_pte(&m, ptep(0), 0);
    lazy_mmu__aarch64_dsb_ishst(&m);
    lazy_mmu__aarch64_tlbi_va(&m, TEST_VA(0));
    lazy_mmu__hw_store_pte(&m, ptep(0), fresh()); /* before the DSB ISH */
    ck_assert_ptr_nonnull(sim.violation);
}
END_TEST

/* Only the output address forces a break: permissions, attributes, and
 * entries becoming valid or invalid are written in place at once. */
START_TEST(test_a64_no_bbm_without_a_new_output_address)
{
    const lazy_mmu_pte_t xn = (lazy_mmu_pte_t)1 << 54, af = (lazy_mmu_pte_t)1 << 10;
    lazy_mmu_state_t s;
    lazy_mmu_pte_t a, b;

    setup();
    boot(0, a = fresh() | WRITABLE);
    boot(1, b = fresh());
    boot(2, fresh());
    s = lazy_mmu_enter(&m);
    set(0, a & ~WRITABLE);
    set(1, b | xn | af);
    set(2, 0);
    set(3, fresh());
    ck_assert(*ptep(0) == want[0] && *ptep(1) == want[1]);
    ck_assert(*ptep(2) == 0 && *ptep(3) == want[3]);
    lazy_mmu_leave(&m, s);
    ck_assert_uint_eq(lazy_mmu_get_stats(&m)->bbm, 0);
    ck_assert_uint_eq(sim.n.stores, 4);
    check_visible("in-place changes");
}
END_TEST
#endif

/* ============ riscv64: new entries need a fence (no Svvptc) ============ */
#if defined(LAZY_MMU_ARCH_RISCV64)
START_TEST(test_rv_map_is_fenced_unless_svvptc)
{
    lazy_mmu_state_t s;

    setup();
    ck_assert(touch(0) == 0); /* the hart may now cache the invalid entry */
    s = lazy_mmu_enter(&m);
    set(0, fresh());
    lazy_mmu_leave(&m, s);
    ck_assert_uint_eq(lazy_mmu_get_stats(&m)->page_invals, LAZY_MMU_RISCV64_SVVPTC ? 0 : 1);
    ck_assert_uint_eq(sim.n.sfence_va + sim.n.sinval, LAZY_MMU_RISCV64_SVVPTC ? 0 : 1);
    check_visible("map");
}
END_TEST

/* Control: without Svvptc the simulated hart keeps the cached fault. */
START_TEST(test_rv_sim_caches_invalid_entries)
{
    setup();
    ck_assert(touch(0) == 0);
    poke(0, fresh());
    ck_assert(touch(0) == (LAZY_MMU_RISCV64_SVVPTC ? want[0] : 0));
}
END_TEST
#endif

/* ================ paravirt: what the hypercall carries ================ */
#if defined(LAZY_MMU_ARCH_PARAVIRT)
static void expect_op(size_t k, uint64_t ptr, uint64_t val)
{
    ck_assert_msg(k < pv.n, "op %zu missing: the hypercall had %zu", k, pv.n);
    ck_assert_msg(pv.ops[k].ptr == ptr && pv.ops[k].val == val,
                  "op %zu is {%#llx, %llu}, expected {%#llx, %llu}", k,
                  (unsigned long long)pv.ops[k].ptr, (unsigned long long)pv.ops[k].val,
                  (unsigned long long)ptr, (unsigned long long)val);
}

static uint64_t set_op(size_t i)
{
    return (uint64_t)(uintptr_t)ptep(i) | LAZY_MMU_PARAVIRT_SET;
}

static uint64_t invlpg_op(size_t i)
{
    return (uint64_t)TEST_VA(i) | LAZY_MMU_PARAVIRT_INVLPG;
}

/* _i = 0 ascending, 1 descending: either way the SETs in program order,
 * then one INVLPG for the whole run. */
START_TEST(test_pv_run_is_one_invlpg)
{
    const size_t n = BATCH;
    lazy_mmu_state_t s;
    size_t j;

    setup_pv();
    for (j = 0; j < n; j++)
        boot(j, fresh());
    s = lazy_mmu_enter(&m);
    for (j = 0; j < n; j++)
        set(_i ? n - 1 - j : j, fresh());
    lazy_mmu_leave(&m, s);
    ck_assert_uint_eq(pv.calls, 1);
    ck_assert_uint_eq(pv.n, n + 1);
    for (j = 0; j < n; j++) {
        size_t p = _i ? n - 1 - j : j;
        expect_op(j, set_op(p), want[p]);
    }
    expect_op(n, invlpg_op(0), n);
    check_visible("run");
}
END_TEST

/* Rewrites of one entry send only the last value. */
START_TEST(test_pv_rewrites_send_the_last_value)
{
    lazy_mmu_state_t s;
    unsigned long j;

    setup_pv();
    boot(0, fresh());
    s = lazy_mmu_enter(&m);
    for (j = 0; j < BATCH; j++)
        set(0, fresh());
    lazy_mmu_leave(&m, s);
    ck_assert_uint_eq(pv.calls, 1);
    ck_assert_uint_eq(pv.n, 2);
    expect_op(0, set_op(0), want[0]);
    expect_op(1, invlpg_op(0), 1);
    check_visible("rewrites");
}
END_TEST

START_TEST(test_pv_unaligned_range_is_one_invlpg)
{
    lazy_mmu_state_t s;
    size_t i;

    setup_pv();
    for (i = 0; i < 12; i++)
        boot(i, fresh());
    for (i = 2; i <= 6; i++)
        poke(i, fresh());
    s = lazy_mmu_enter(&m);
    lazy_mmu_invalidate_range(&m, TEST_VA(2) + 0x123, TEST_VA(6) + 1);
    lazy_mmu_leave(&m, s);
    ck_assert_uint_eq(pv.calls, 1);
    ck_assert_uint_eq(pv.n, 1);
    expect_op(0, invlpg_op(2), 5);
    check_visible("unaligned range");
}
END_TEST

/* Past the threshold, and for invalidate_all, one INVAL_ALL after the SETs. */
START_TEST(test_pv_full_invalidation)
{
    lazy_mmu_state_t s;

    setup_pv();
    boot(0, fresh());
    boot(5, fresh());
    poke(5, fresh());
    s = lazy_mmu_enter(&m);
    set(0, fresh());
    lazy_mmu_invalidate_range(&m, TEST_VA(1), TEST_VA(THR + 2));
    lazy_mmu_leave(&m, s);
    ck_assert_uint_eq(pv.n, 2);
    expect_op(0, set_op(0), want[0]);
    expect_op(1, LAZY_MMU_PARAVIRT_INVAL_ALL, 0);
    s = lazy_mmu_enter(&m);
    lazy_mmu_invalidate_all(&m);
    set(0, fresh());
    lazy_mmu_leave(&m, s);
    ck_assert_uint_eq(pv.calls, 2);
    expect_op(0, set_op(0), want[0]);
    expect_op(1, LAZY_MMU_PARAVIRT_INVAL_ALL, 0);
    ck_assert_uint_eq(sim.n.stores, 0); /* the guest never writes a page table */
    check_visible("full invalidation");
}
END_TEST
#endif

Suite *SUITE_FN(policy_arch)(void)
{
    Suite *s = suite_create("policy_arch-" TEST_ARCH_NAME);
    TCase *tc = tcase_create("policy_arch-" TEST_ARCH_NAME);

#if defined(LAZY_MMU_ARCH_X86_64)
    tcase_add_test(tc, test_x86_pending_global_entry_makes_full_flush_global);
    tcase_add_test(tc, test_x86_sim_cr3_reload_keeps_global_entries);
    tcase_add_test(tc, test_x86_global_entry_below_threshold_uses_invlpg);
    tcase_add_test(tc, test_x86_global_flag_ends_with_its_batch);
    tcase_add_test(tc, test_x86_invalidate_all_is_global);
    tcase_add_test(tc, test_x86_invalidate_range_of_global_entries);
#elif defined(LAZY_MMU_ARCH_AARCH64)
    tcase_add_test(tc, test_a64_remap_breaks_then_makes_after_tlbi);
    tcase_add_test(tc, test_a64_eager_remap_breaks_too);
    tcase_add_test(tc, test_a64_sim_flags_make_without_break);
    tcase_add_test(tc, test_a64_sim_flags_make_before_tlbi_completes);
    tcase_add_test(tc, test_a64_no_bbm_without_a_new_output_address);
#elif defined(LAZY_MMU_ARCH_RISCV64)
    tcase_add_test(tc, test_rv_map_is_fenced_unless_svvptc);
    tcase_add_test(tc, test_rv_sim_caches_invalid_entries);
#else
    tcase_add_loop_test(tc, test_pv_run_is_one_invlpg, 0, 2);
    tcase_add_test(tc, test_pv_rewrites_send_the_last_value);
    tcase_add_test(tc, test_pv_unaligned_range_is_one_invlpg);
    tcase_add_test(tc, test_pv_full_invalidation);
#endif
    suite_add_tcase(s, tc);
    return s;
}
