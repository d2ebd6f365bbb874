/* tests/test_contract.c - the contract of DESIGN.md section 3, on every backend.
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

static struct lazy_mmu_sim sim;
static struct lazy_mmu m;
/* What page i must translate to at the next visibility point (0: unmapped). */
static lazy_mmu_pte_t want[WINDOW];
static uint64_t next_frame;

static void setup(void)
{
    lazy_mmu_sim_init(&sim, TEST_BASE, WINDOW);
    lazy_mmu_init(&m);
    lazy_mmu_sim_attach(&m, &sim);
    memset(want, 0, sizeof want);
    next_frame = 0x100;
}

/* Every call a frame no entry has used yet, so a stale translation can never
 * coincide with the expected one. */
static lazy_mmu_pte_t fresh(void)
{
    return test_pte(next_frame++);
}

static lazy_mmu_pte_t *ptep(size_t i)
{
    return lazy_mmu_sim_ptep(&sim, TEST_VA(i));
}

static lazy_mmu_pte_t touch(size_t i)
{
    return lazy_mmu_sim_access(&sim, TEST_VA(i));
}

/* A mapping from before the test, already in the TLB. */
static void boot_map(size_t i, lazy_mmu_pte_t pte)
{
    lazy_mmu_sim_poke(&sim, TEST_VA(i), pte);
    want[i] = pte;
    ck_assert(touch(i) == pte);
}

static void set(size_t i, lazy_mmu_pte_t pte)
{
    (void)touch(i); /* whatever the CPU sees now is cached: the change must beat it */
    lazy_mmu_set_pte(&m, ptep(i), pte, TEST_VA(i));
    want[i] = pte;
}

/* A change made behind the library's back (a table page replaced, say): the
 * CPU keeps the old translation until somebody invalidates it. */
static void poke(size_t i, lazy_mmu_pte_t pte)
{
    lazy_mmu_pte_t old = touch(i);
    lazy_mmu_sim_poke(&sim, TEST_VA(i), pte);
    want[i] = pte;
    ck_assert_msg(touch(i) == old, "the simulator forgot a cached translation of page %zu", i);
}

static void check_visible_at(const char *what, int line)
{
    size_t i, stale = lazy_mmu_sim_stale(&sim);

    ck_assert_msg(sim.violation == NULL, "line %d, %s: %s", line, what, sim.violation);
    ck_assert_msg(stale == 0, "line %d, %s: %zu stale translations", line, what, stale);
    for (i = 0; i < WINDOW; i++) {
        lazy_mmu_pte_t got = touch(i);
        if (got != want[i])
            ck_abort_msg("line %d, %s: page %zu translates to %#llx, expected %#llx", line, what, i,
                         (unsigned long long)got, (unsigned long long)want[i]);
    }
    ck_assert_msg(sim.violation == NULL, "line %d, %s: %s", line, what, sim.violation);
}
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
        boot_map((size_t)k, fresh());
        boot_map((size_t)(32 + k), fresh());
        boot_map((size_t)(48 + k), fresh() | WRITABLE);
    }
    for (k = 0; k < depth; k++) {
        s[k] = lazy_mmu_enter(&m);
        ck_assert(lazy_mmu_is_active(&m));
        set((size_t)k, fresh());
        set((size_t)(16 + k), fresh());
    }
    for (k = depth; k-- > 0;) {
        lazy_mmu_leave(&m, s[k]);
        snprintf(what, sizeof what, "depth %d, after leaving level %d", depth, k + 1);
        check_visible(what);
        ck_assert_msg(lazy_mmu_is_active(&m) == (k > 0), "%s: is_active wrong", what);
        if (k > 0) {
            set((size_t)(k - 1), fresh());
            set((size_t)(32 + k - 1), 0);
            set((size_t)(48 + k - 1), want[48 + k - 1] & ~WRITABLE);
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
        boot_map(i, fresh());
    s = lazy_mmu_enter(&m);
    for (i = 0; i < 8; i++)
        set(i, fresh());
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
        boot_map(i, fresh() | WRITABLE);
    s = lazy_mmu_enter(&m);
    for (i = 0; i < 8; i++)
        set(i, want[i] & ~WRITABLE);
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
        boot_map(i, fresh());
    s = lazy_mmu_enter(&m);
    for (i = 0; i < 8; i++)
        set(i, 0);
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
        set(i, fresh()); /* the fault on the unmapped page is cached where the arch does so */
    lazy_mmu_leave(&m, s);
    check_visible("map");
}
END_TEST

START_TEST(test_all_kinds_in_one_section)
{
    lazy_mmu_state_t s;

    setup();
    boot_map(0, fresh());
    boot_map(1, fresh() | WRITABLE);
    boot_map(2, fresh());
    s = lazy_mmu_enter(&m);
    set(0, fresh());
    set(1, want[1] & ~WRITABLE);
    set(2, 0);
    set(3, fresh());
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
        boot_map(i, fresh() | WRITABLE);
    outer = lazy_mmu_enter(&m);
    set(0, fresh());
    set(1, 0);
    inner = lazy_mmu_enter(&m);
    set(2, fresh());
    set(3, want[3] & ~WRITABLE);
    set(10, fresh());
    lazy_mmu_flush(&m);
    check_visible("right after lazy_mmu_flush, inside");
    ck_assert(lazy_mmu_is_active(&m));
    /* Depth unchanged: both states still close in LIFO order (the debug
     * build panics otherwise) and the outer section is open after the inner. */
    set(4, fresh());
    lazy_mmu_leave(&m, inner);
    ck_assert(lazy_mmu_is_active(&m));
    check_visible("after the inner leave");
    set(5, fresh());
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
    boot_map(0, fresh());
    before = sim.n;
    st = *lazy_mmu_get_stats(&m);
    lazy_mmu_flush(&m);
    ck_assert_msg(same_counts(&before, &sim.n), "flush outside a section did hardware work");

    s = lazy_mmu_enter(&m);
    lazy_mmu_flush(&m);
    ck_assert_msg(same_counts(&before, &sim.n), "flush with nothing pending did hardware work");
    ck_assert(lazy_mmu_get_stats(&m)->publishes == st.publishes);

    set(0, fresh());
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
    boot_map(0, fresh());
    boot_map(1, fresh());
    boot_map(2, fresh());
    boot_map(3, fresh());
    s = lazy_mmu_enter(&m);
    set(0, fresh());
    set(1, 0);
    p = lazy_mmu_pause(&m);
    ck_assert(!lazy_mmu_is_active(&m));
    check_visible("after pause");
    set(2, fresh());
    check_visible("set_pte while paused");
    poke(3, fresh());
    lazy_mmu_invalidate_page(&m, TEST_VA(3));
    check_visible("invalidate_page while paused");
    lazy_mmu_resume(&m, p);
    ck_assert(lazy_mmu_is_active(&m));
    set(4, fresh());
    set(0, fresh());
    lazy_mmu_leave(&m, s);
    ck_assert(!lazy_mmu_is_active(&m));
    check_visible("after leave");
}
END_TEST

START_TEST(test_pause_nests)
{
    lazy_mmu_state_t s, p1, p2;

    setup();
    boot_map(0, fresh());
    boot_map(1, fresh());
    s = lazy_mmu_enter(&m);
    set(0, fresh());
    p1 = lazy_mmu_pause(&m);
    check_visible("after the first pause");
    p2 = lazy_mmu_pause(&m);
    ck_assert(!lazy_mmu_is_active(&m));
    set(1, fresh());
    check_visible("set_pte twice paused");
    lazy_mmu_resume(&m, p2);
    ck_assert_msg(!lazy_mmu_is_active(&m), "one resume of two pauses made the section active");
    set(0, fresh());
    check_visible("set_pte still paused once");
    lazy_mmu_resume(&m, p1);
    ck_assert(lazy_mmu_is_active(&m));
    set(1, 0);
    set(2, fresh());
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
    boot_map(0, fresh());
    boot_map(1, fresh());
    boot_map(2, fresh());
    s1 = lazy_mmu_enter(&m);
    set(0, fresh());
    p = lazy_mmu_pause(&m);
    check_visible("after pause");
    s2 = lazy_mmu_enter(&m);
    ck_assert_msg(!lazy_mmu_is_active(&m), "enter inside a pause made the context lazy");
    set(1, fresh());
    check_visible("set_pte in a section opened while paused");
    lazy_mmu_leave(&m, s2);
    ck_assert(!lazy_mmu_is_active(&m));
    lazy_mmu_resume(&m, p);
    ck_assert(lazy_mmu_is_active(&m));
    set(2, 0);
    set(0, fresh());
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
        boot_map(i, fresh() | WRITABLE);
    ck_assert(!lazy_mmu_is_active(&m));
    set(0, fresh());
    check_visible("eager remap");
    set(1, want[1] & ~WRITABLE);
    check_visible("eager write-protect");
    set(2, 0);
    check_visible("eager unmap");
    set(20, fresh());
    check_visible("eager map");
    poke(3, fresh());
    lazy_mmu_invalidate_page(&m, TEST_VA(3));
    check_visible("eager invalidate_page");
    for (i = 4; i < 8; i++)
        poke(i, fresh());
    lazy_mmu_invalidate_range(&m, TEST_VA(4) + 0x10, TEST_VA(7) + 0x10);
    check_visible("eager invalidate_range");
    for (i = 8; i < 16; i++)
        poke(i, fresh());
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
    boot_map(0, fresh());
    boot_map(1, fresh() | WRITABLE);
    boot_map(3, fresh());
    outer = lazy_mmu_enter(&m);
    set(0, v = fresh()); /* aarch64: broken in memory, the make is queued */
    ck_assert(lazy_mmu_get_pte(&m, ptep(0)) == v);
    set(1, v = want[1] & ~WRITABLE);
    ck_assert(lazy_mmu_get_pte(&m, ptep(1)) == v);
    set(2, v = fresh());
    ck_assert(lazy_mmu_get_pte(&m, ptep(2)) == v);
    set(3, 0);
    ck_assert(lazy_mmu_get_pte(&m, ptep(3)) == 0);
    inner = lazy_mmu_enter(&m);
    set(0, v = fresh());
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
    boot_map(0, fresh());
    s = lazy_mmu_enter(&m);
    for (j = 0; j < 3 * LAZY_MMU_BATCH_MAX + 5; j++) {
        v = fresh();
        if (j % 3 == 0)
            v |= WRITABLE;
        set(0, v);
        ck_assert_msg(lazy_mmu_get_pte(&m, ptep(0)) == v, "write %u not seen by get_pte", j);
    }
    lazy_mmu_leave(&m, s);
    ck_assert(lazy_mmu_get_pte(&m, ptep(0)) == v);
    check_visible("after many writes to one entry");
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
    tcase_add_test(tc, test_pause_and_enter_compose_lifo);
    tcase_add_test(tc, test_eager_outside_section);
    tcase_add_test(tc, test_get_pte_sees_pending_writes);
    tcase_add_test(tc, test_same_entry_many_writes);
    suite_add_tcase(s, tc);
    return s;
}
