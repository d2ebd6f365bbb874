/* tests/test_contract.c - docs/contract.md ("Sections nest", "Visibility
 * points", "Inside a section", "`lazy_mmu_flush` and `lazy_mmu_pause`"), on
 * every backend.
 *
 * Every check follows one pattern: the old translation is cached first (so a
 * missed invalidation is a stale read, not a lucky walk), then the change,
 * then every page of the window must translate to what was last requested,
 * the simulator must see nothing stale and no ordering rule broken.
 *
 * Invalidation requests and the shapes of a batch are in test_contract_batch.c.
 */
#include "harness.h"

#define WINDOW 64u
#define WRITABLE ((lazy_mmu_pte_t)1 << 1)
#include "window.h"

#define check_visible(what) check_visible_at((what), __LINE__)

static bool same_counts(const struct lazy_mmu_sim_counts *a, const struct lazy_mmu_sim_counts *b)
{
    return memcmp(a, b, sizeof *a) == 0;
}

/* ---- nesting ---- */

/* _i is the depth.  On the way in each level remaps page k and maps page
 * 16 + k; on the way out each level still open remaps page k - 1 again,
 * unmaps page 32 + k - 1 and write-protects page 48 + k - 1. */
START_TEST(test_nesting)
{
    const int depth = _i;
    lazy_mmu_state_t s[8];
    char what[64];
    int k;

    setup();
    for (k = 0; k < 8; k++) {
        boot((size_t)k, fresh());
        boot((size_t)(32 + k), fresh());
        boot((size_t)(48 + k), fresh() | WRITABLE);
    }
    for (k = 0; k < depth; k++) {
        s[k] = lazy_mmu_enter(&m);
        ck_assert(lazy_mmu_is_active(&m));
        touch_set((size_t)k, fresh());
        touch_set((size_t)(16 + k), fresh());
    }
    for (k = depth; k-- > 0;) {
        lazy_mmu_leave(&m, s[k]);
        snprintf(what, sizeof what, "depth %d, after leaving level %d", depth, k + 1);
        check_visible(what);
        ck_assert_msg(lazy_mmu_is_active(&m) == (k > 0), "%s: is_active wrong", what);
        if (k > 0) {
            touch_set((size_t)(k - 1), fresh());
            touch_set((size_t)(32 + k - 1), 0);
            touch_set((size_t)(48 + k - 1), want[48 + k - 1] & ~WRITABLE);
        }
    }
}
END_TEST

/* ---- each kind of change ---- */

START_TEST(test_remap)
{
    size_t i;
    lazy_mmu_state_t s;

    setup();
    for (i = 0; i < 8; i++)
        boot(i, fresh());
    s = lazy_mmu_enter(&m);
    for (i = 0; i < 8; i++)
        touch_set(i, fresh());
    lazy_mmu_leave(&m, s);
    check_visible("remap");
}
END_TEST

START_TEST(test_permission_change)
{
    size_t i;
    lazy_mmu_state_t s;

    setup();
    for (i = 0; i < 8; i++)
        boot(i, fresh() | WRITABLE);
    s = lazy_mmu_enter(&m);
    for (i = 0; i < 8; i++)
        touch_set(i, want[i] & ~WRITABLE);
    lazy_mmu_leave(&m, s);
    check_visible("write-protect");
}
END_TEST

START_TEST(test_unmap)
{
    size_t i;
    lazy_mmu_state_t s;

    setup();
    for (i = 0; i < 8; i++)
        boot(i, fresh());
    s = lazy_mmu_enter(&m);
    for (i = 0; i < 8; i++)
        touch_set(i, 0);
    lazy_mmu_leave(&m, s);
    check_visible("unmap");
}
END_TEST

START_TEST(test_map)
{
    size_t i;
    lazy_mmu_state_t s;

    setup();
    s = lazy_mmu_enter(&m);
    for (i = 0; i < 8; i++)
        touch_set(i, fresh()); /* the fault on the unmapped page is cached where the arch does so */
    lazy_mmu_leave(&m, s);
    check_visible("map");
}
END_TEST

START_TEST(test_all_kinds_in_one_section)
{
    lazy_mmu_state_t s;

    setup();
    boot(0, fresh());
    boot(1, fresh() | WRITABLE);
    boot(2, fresh());
    s = lazy_mmu_enter(&m);
    touch_set(0, fresh());
    touch_set(1, want[1] & ~WRITABLE);
    touch_set(2, 0);
    touch_set(3, fresh());
    lazy_mmu_leave(&m, s);
    check_visible("remap, write-protect, unmap and map together");
}
END_TEST

/* ---- lazy_mmu_flush ---- */

START_TEST(test_flush_inside_nested_section)
{
    lazy_mmu_state_t outer, inner;
    size_t i;

    setup();
    for (i = 0; i < 8; i++)
        boot(i, fresh() | WRITABLE);
    outer = lazy_mmu_enter(&m);
    touch_set(0, fresh());
    touch_set(1, 0);
    inner = lazy_mmu_enter(&m);
    touch_set(2, fresh());
    touch_set(3, want[3] & ~WRITABLE);
    touch_set(10, fresh());
    lazy_mmu_flush(&m);
    check_visible("right after lazy_mmu_flush, inside");
    ck_assert(lazy_mmu_is_active(&m));
    /* Depth unchanged: both states still close in LIFO order (the debug
     * build panics otherwise) and the outer section is open after the inner. */
    touch_set(4, fresh());
    lazy_mmu_leave(&m, inner);
    ck_assert(lazy_mmu_is_active(&m));
    check_visible("after the inner leave");
    touch_set(5, fresh());
    lazy_mmu_leave(&m, outer);
    ck_assert(!lazy_mmu_is_active(&m));
    check_visible("after the outer leave");
}
END_TEST

START_TEST(test_flush_without_pending_work_is_free)
{
    struct lazy_mmu_sim_counts before;
    struct lazy_mmu_stats st;
    lazy_mmu_state_t s;

    setup();
    boot(0, fresh());
    before = sim.n;
    st = *lazy_mmu_get_stats(&m);
    lazy_mmu_flush(&m);
    ck_assert_msg(same_counts(&before, &sim.n), "flush outside a section did hardware work");

    s = lazy_mmu_enter(&m);
    lazy_mmu_flush(&m);
    ck_assert_msg(same_counts(&before, &sim.n), "flush with nothing pending did hardware work");
    ck_assert(lazy_mmu_get_stats(&m)->publishes == st.publishes);

    touch_set(0, fresh());
    before = sim.n;
    lazy_mmu_flush(&m);
    ck_assert_msg(!same_counts(&before, &sim.n), "a flush with work did nothing: the probe is blind");
    before = sim.n;
    lazy_mmu_flush(&m);
    ck_assert_msg(same_counts(&before, &sim.n), "a second flush repeated the work");
    lazy_mmu_leave(&m, s);
    ck_assert_msg(same_counts(&before, &sim.n), "leave after a flush repeated the work");
    lazy_mmu_flush(&m);
    ck_assert_msg(same_counts(&before, &sim.n), "flush after the section did hardware work");
    check_visible("after flush and leave");
}
END_TEST

/* ---- pause / resume ---- */

START_TEST(test_pause_publishes_and_runs_eagerly)
{
    lazy_mmu_state_t s, p;

    setup();
    boot(0, fresh());
    boot(1, fresh());
    boot(2, fresh());
    boot(3, fresh());
    s = lazy_mmu_enter(&m);
    touch_set(0, fresh());
    touch_set(1, 0);
    p = lazy_mmu_pause(&m);
    ck_assert(!lazy_mmu_is_active(&m));
    check_visible("after pause");
    touch_set(2, fresh());
    check_visible("set_pte while paused");
    touch_poke(3, fresh());
    lazy_mmu_invalidate_page(&m, TEST_VA(3));
    check_visible("invalidate_page while paused");
    lazy_mmu_resume(&m, p);
    ck_assert(lazy_mmu_is_active(&m));
    touch_set(4, fresh());
    touch_set(0, fresh());
    lazy_mmu_leave(&m, s);
    ck_assert(!lazy_mmu_is_active(&m));
    check_visible("after leave");
}
END_TEST

START_TEST(test_pause_nests)
{
    lazy_mmu_state_t s, p1, p2;

    setup();
    boot(0, fresh());
    boot(1, fresh());
    s = lazy_mmu_enter(&m);
    touch_set(0, fresh());
    p1 = lazy_mmu_pause(&m);
    check_visible("after the first pause");
    p2 = lazy_mmu_pause(&m);
    ck_assert(!lazy_mmu_is_active(&m));
    touch_set(1, fresh());
    check_visible("set_pte twice paused");
    lazy_mmu_resume(&m, p2);
    ck_assert_msg(!lazy_mmu_is_active(&m), "one resume of two pauses made the section active");
    touch_set(0, fresh());
    check_visible("set_pte still paused once");
    lazy_mmu_resume(&m, p1);
    ck_assert(lazy_mmu_is_active(&m));
    touch_set(1, 0);
    touch_set(2, fresh());
    lazy_mmu_leave(&m, s);
    check_visible("after leave");
}
END_TEST

/* enter, pause, enter, leave, resume, leave: an enter while paused stays
 * eager, and every close publishes. */
START_TEST(test_pause_and_enter_compose_lifo)
{
    lazy_mmu_state_t s1, p, s2;

    setup();
    boot(0, fresh());
    boot(1, fresh());
    boot(2, fresh());
    s1 = lazy_mmu_enter(&m);
    touch_set(0, fresh());
    p = lazy_mmu_pause(&m);
    check_visible("after pause");
    s2 = lazy_mmu_enter(&m);
    ck_assert_msg(!lazy_mmu_is_active(&m), "enter inside a pause made the context lazy");
    touch_set(1, fresh());
    check_visible("set_pte in a section opened while paused");
    lazy_mmu_leave(&m, s2);
    ck_assert(!lazy_mmu_is_active(&m));
    lazy_mmu_resume(&m, p);
    ck_assert(lazy_mmu_is_active(&m));
    touch_set(2, 0);
    touch_set(0, fresh());
    lazy_mmu_leave(&m, s1);
    ck_assert(!lazy_mmu_is_active(&m));
    check_visible("after the outer leave");
}
END_TEST

/* ---- outside any section every call is eager ---- */

START_TEST(test_eager_outside_section)
{
    size_t i;

    setup();
    for (i = 0; i < 16; i++)
        boot(i, fresh() | WRITABLE);
    ck_assert(!lazy_mmu_is_active(&m));
    touch_set(0, fresh());
    check_visible("eager remap");
    touch_set(1, want[1] & ~WRITABLE);
    check_visible("eager write-protect");
    touch_set(2, 0);
    check_visible("eager unmap");
    touch_set(20, fresh());
    check_visible("eager map");
    touch_poke(3, fresh());
    lazy_mmu_invalidate_page(&m, TEST_VA(3));
    check_visible("eager invalidate_page");
    for (i = 4; i < 8; i++)
        touch_poke(i, fresh());
    lazy_mmu_invalidate_range(&m, TEST_VA(4) + 0x10, TEST_VA(7) + 0x10);
    check_visible("eager invalidate_range");
    for (i = 8; i < 16; i++)
        touch_poke(i, fresh());
    lazy_mmu_invalidate_all(&m);
    check_visible("eager invalidate_all");
}
END_TEST

/* ---- lazy_mmu_get_pte ---- */

START_TEST(test_get_pte_sees_pending_writes)
{
    lazy_mmu_state_t outer, inner;
    lazy_mmu_pte_t v;

    setup();
    boot(0, fresh());
    boot(1, fresh() | WRITABLE);
    boot(3, fresh());
    outer = lazy_mmu_enter(&m);
    touch_set(0, v = fresh()); /* aarch64: broken in memory, the make is queued */
    ck_assert(lazy_mmu_get_pte(&m, ptep(0)) == v);
    touch_set(1, v = want[1] & ~WRITABLE);
    ck_assert(lazy_mmu_get_pte(&m, ptep(1)) == v);
    touch_set(2, v = fresh());
    ck_assert(lazy_mmu_get_pte(&m, ptep(2)) == v);
    touch_set(3, 0);
    ck_assert(lazy_mmu_get_pte(&m, ptep(3)) == 0);
    inner = lazy_mmu_enter(&m);
    touch_set(0, v = fresh());
    ck_assert(lazy_mmu_get_pte(&m, ptep(0)) == v);
    lazy_mmu_leave(&m, inner);
    ck_assert(lazy_mmu_get_pte(&m, ptep(0)) == v);
    lazy_mmu_leave(&m, outer);
    ck_assert(lazy_mmu_get_pte(&m, ptep(0)) == v && *ptep(0) == v);
    check_visible("after leave");
}
END_TEST

/* Enough writes to one entry to overflow any queue several times. */
START_TEST(test_same_entry_many_writes)
{
    lazy_mmu_state_t s;
    lazy_mmu_pte_t v = 0;
    unsigned j;

    setup();
    boot(0, fresh());
    s = lazy_mmu_enter(&m);
    for (j = 0; j < 3 * LAZY_MMU_BATCH_MAX + 5; j++) {
        v = fresh();
        if (j % 3 == 0)
            v |= WRITABLE;
        touch_set(0, v);
        ck_assert_msg(lazy_mmu_get_pte(&m, ptep(0)) == v, "write %u not seen by get_pte", j);
    }
    lazy_mmu_leave(&m, s);
    ck_assert(lazy_mmu_get_pte(&m, ptep(0)) == v);
    check_visible("after many writes to one entry");
}
END_TEST

/* The deepest nesting the checks allow (0xffff enters, 0x7fff pauses) still
 * tells active from paused at every level, and unwinds to inactive. */
START_TEST(test_deepest_nesting)
{
    static lazy_mmu_state_t e[0xffff], p[0x7fff];
    unsigned i;

    setup();
    for (i = 0; i < 0xffffu; i++) {
        e[i] = lazy_mmu_enter(&m);
        ck_assert(lazy_mmu_is_active(&m));
    }
    for (i = 0; i < 0x7fffu; i++) {
        p[i] = lazy_mmu_pause(&m);
        ck_assert_msg(!lazy_mmu_is_active(&m), "active after %u pauses", i + 1);
    }
    boot(0, fresh());
    touch_set(0, fresh()); /* paused: eager */
    check_visible("set_pte at the deepest pause");
    for (i = 0x7fffu; i-- > 0;) {
        ck_assert_msg(!lazy_mmu_is_active(&m), "active with %u pauses open", i + 1);
        lazy_mmu_resume(&m, p[i]);
    }
    for (i = 0xffffu; i-- > 0;) {
        ck_assert_msg(lazy_mmu_is_active(&m), "inactive with %u sections open", i + 1);
        lazy_mmu_leave(&m, e[i]);
    }
    ck_assert(!lazy_mmu_is_active(&m));
}
END_TEST

Suite *SUITE_FN(contract)(void)
{
    Suite *s = suite_create("contract-" TEST_ARCH_NAME);
    TCase *tc = tcase_create("contract-" TEST_ARCH_NAME);

    tcase_add_loop_test(tc, test_nesting, 1, 9);
    tcase_add_test(tc, test_remap);
    tcase_add_test(tc, test_permission_change);
    tcase_add_test(tc, test_unmap);
    tcase_add_test(tc, test_map);
    tcase_add_test(tc, test_all_kinds_in_one_section);
    tcase_add_test(tc, test_flush_inside_nested_section);
    tcase_add_test(tc, test_flush_without_pending_work_is_free);
    tcase_add_test(tc, test_pause_publishes_and_runs_eagerly);
    tcase_add_test(tc, test_pause_nests);
    tcase_add_test(tc, test_deepest_nesting);
    tcase_add_test(tc, test_pause_and_enter_compose_lifo);
    tcase_add_test(tc, test_eager_outside_section);
    tcase_add_test(tc, test_get_pte_sees_pending_writes);
    tcase_add_test(tc, test_same_entry_many_writes);
    suite_add_tcase(s, tc);
    return s;
}
