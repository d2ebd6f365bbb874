/* tests/test_pkru.c - LAZY_MMU_X86_64_PKRU: the pkeys use of the section state.
 *
 * The page tables carry protection key LAZY_MMU_X86_64_PKRU_KEY and PKRU keeps
 * that key write-disabled except while they are written.  lazy_mmu_enter()
 * saves PKRU in its state and opens the key, lazy_mmu_leave() restores the
 * exact value its enter saw; eager updates open the key around their store.
 * The simulator models PKRU and flags (as a violation) every page-table store
 * made while the key is closed, recording PKRU at each store.
 *
 * The file is built for every backend.  Only x86_64 has PKRU; the others
 * check that their section state stays small, since the state is passed by
 * value through every enter/leave.
 */
#ifdef LAZY_MMU_ARCH_X86_64
/* Before harness.h, which includes lazymmu.h.  Not the default key (1), so
 * a backend that ignored the macro would fail. */
#define LAZY_MMU_X86_64_PKRU 1
#define LAZY_MMU_X86_64_PKRU_KEY 6
#endif
#include "harness.h"

#ifndef LAZY_MMU_ARCH_X86_64
START_TEST(test_state_stays_small)
{
    /* level, and in debug builds kind and owner: two words at most. */
    ck_assert_uint_le(sizeof(lazy_mmu_state_t), 16);
}
END_TEST
#else

#define WINDOW 256u
#define KEY_BITS ((uint32_t)3 << (2 * LAZY_MMU_X86_64_PKRU_KEY)) /* AD | WD */
#define KEY_WD ((uint32_t)2 << (2 * LAZY_MMU_X86_64_PKRU_KEY))
#define KEY_AD ((uint32_t)1 << (2 * LAZY_MMU_X86_64_PKRU_KEY))
/* Linux's default for user threads: every key but 0 access-disabled. */
#define PKRU_LINUX 0x55555554u
/* Every key but 0 denies everything: the key's neighbours are closed too, so
 * a value that opens more than the key shows. */
#define PKRU_CLOSED 0xfffffffcu

_Static_assert(LAZY_MMU_FLUSH_ALL_THRESHOLD + 8 <= WINDOW, "the full-flush test needs room");
#define SPARSE (LAZY_MMU_BATCH_MAX + 2) /* pages 0, 2, ...: one range each */
#define RUN_FIRST (2 * SPARSE)
#define RUN_N (LAZY_MMU_FLUSH_ALL_THRESHOLD + 8)
_Static_assert(RUN_FIRST + RUN_N + 2 <= WINDOW, "the section test needs room");

static struct lazy_mmu_sim sim;
static struct lazy_mmu m;
static uint64_t next_frame;

static void setup_pkru(uint32_t pkru)
{
    lazy_mmu_sim_init(&sim, TEST_BASE, WINDOW);
    lazy_mmu_init(&m);
    lazy_mmu_sim_attach(&m, &sim);
    sim.pkru = pkru;
    next_frame = 0x100;
}

static lazy_mmu_pte_t *ptep(size_t i)
{
    return lazy_mmu_sim_ptep(&sim, TEST_VA(i));
}

/* A mapping from before the test, already cached: replacing it needs an
 * invalidation, so the tests also see that visibility is unaffected. */
static void boot_map(size_t i)
{
    lazy_mmu_sim_poke(&sim, TEST_VA(i), test_pte(next_frame++));
    ck_assert(lazy_mmu_sim_access(&sim, TEST_VA(i)) != 0);
}

static void set(size_t i)
{
    lazy_mmu_set_pte(&m, ptep(i), test_pte(next_frame++), TEST_VA(i));
}

/* The last store to entry i happened, with the page-table key open. */
static void assert_stored_open(size_t i)
{
    ck_assert_msg(sim.pkru_at_store[i] != 0xffffffffu, "entry %zu was never stored", i);
    ck_assert_msg((sim.pkru_at_store[i] & KEY_BITS) == 0,
                  "entry %zu stored with PKRU %#x: key %d not open", i, sim.pkru_at_store[i],
                  LAZY_MMU_X86_64_PKRU_KEY);
}

static void assert_clean(void)
{
    ck_assert_msg(sim.violation == NULL, "%s", sim.violation);
    ck_assert_uint_eq(sim.pkru_denied_stores, 0);
    ck_assert_uint_eq(lazy_mmu_sim_stale(&sim), 0);
}

START_TEST(test_arch_state_is_pkru)
{
    /* The generic part stays at most two words (level; kind and owner in
     * debug builds); PKRU adds one 32-bit field, the PKRU to restore.  The
     * bound is on the public type: the backend's layout is its own. */
    ck_assert_uint_le(sizeof(lazy_mmu_state_t), 16 + sizeof(uint64_t));
}
END_TEST

/* Enter saves PKRU in its state and clears only the key's AD and WD bits;
 * leave puts the saved value back. */
START_TEST(test_enter_saves_and_opens_only_its_key)
{
    static const uint32_t start[] = {PKRU_CLOSED, PKRU_LINUX, KEY_BITS, KEY_WD, KEY_AD,
                                     0x12345678u | KEY_WD, 0xffffffffu};
    size_t k;

    for (k = 0; k < sizeof(start) / sizeof(start[0]); k++) {
        lazy_mmu_state_t s;
        setup_pkru(start[k]);
        s = lazy_mmu_enter(&m);
        ck_assert_uint_eq(s.arch.pkru, start[k]);
        ck_assert_msg(sim.pkru == (start[k] & ~KEY_BITS), "start %#x: enter wrote %#x",
                      start[k], sim.pkru);
        ck_assert_uint_eq(sim.wrpkru, 1);
        set(0);
        set(1);
        assert_stored_open(0);
        assert_stored_open(1);
        ck_assert_uint_eq(sim.wrpkru, 1); /* once per section, not per write */
        lazy_mmu_leave(&m, s);
        ck_assert_msg(sim.pkru == start[k], "start %#x: leave left %#x", start[k], sim.pkru);
        ck_assert_uint_eq(sim.wrpkru, 2);
        assert_clean();
    }
}
END_TEST

START_TEST(test_key_already_open_costs_no_wrpkru)
{
    lazy_mmu_state_t s;
    const uint32_t open = PKRU_LINUX & ~KEY_BITS;

    setup_pkru(open);
    s = lazy_mmu_enter(&m);
    set(0);
    lazy_mmu_leave(&m, s);
    set(1); /* eager */
    ck_assert_uint_eq(sim.pkru, open);
    ck_assert_uint_eq(sim.wrpkru, 0);
    assert_stored_open(0);
    assert_stored_open(1);
    assert_clean();
}
END_TEST

/* Each leave restores what its own enter saw, in LIFO order: the inner ones
 * keep the key open for the outer section, the outermost closes it. */
START_TEST(test_nested_leaves_restore_lifo)
{
    const uint32_t p0 = PKRU_CLOSED;
    const uint32_t p1 = (p0 & ~KEY_BITS) & ~((uint32_t)3 << 2); /* caller opened key 1 */
    const uint32_t p2 = p1 | KEY_WD;                            /* and closed ours again */
    lazy_mmu_state_t s1, s2, s3;

    setup_pkru(p0);
    boot_map(0);
    boot_map(1);
    boot_map(2);
    s1 = lazy_mmu_enter(&m);
    ck_assert_uint_eq(sim.pkru, p0 & ~KEY_BITS);
    set(0);
    sim.pkru = p1;
    s2 = lazy_mmu_enter(&m);
    ck_assert_uint_eq(sim.pkru, p1); /* open already: untouched */
    set(1);
    sim.pkru = p2;
    s3 = lazy_mmu_enter(&m);
    ck_assert_uint_eq(sim.pkru, p2 & ~KEY_BITS);
    set(2);
    assert_stored_open(0);
    assert_stored_open(1);
    assert_stored_open(2);

    lazy_mmu_leave(&m, s3);
    ck_assert_uint_eq(sim.pkru, p2);
    lazy_mmu_leave(&m, s2);
    ck_assert_uint_eq(sim.pkru, p1);
    lazy_mmu_leave(&m, s1);
    ck_assert_uint_eq(sim.pkru, p0);
    assert_clean();
}
END_TEST

/* Sixteen levels, each entered with a different PKRU (the key open or not),
 * unwound one by one: every leave must produce exactly its enter's value. */
START_TEST(test_deep_nesting_restores_each_level)
{
    enum { DEPTH = 16 };
    lazy_mmu_state_t s[DEPTH];
    uint32_t seen[DEPTH];
    uint32_t x = 0x9e3779b9u;
    int d;

    setup_pkru(PKRU_CLOSED);
    for (d = 0; d < DEPTH; d++) {
        x = x * 1664525u + 1013904223u;
        sim.pkru = (d & 1) ? (x | KEY_WD) : (x & ~KEY_BITS);
        seen[d] = sim.pkru;
        s[d] = lazy_mmu_enter(&m);
        ck_assert_uint_eq(sim.pkru, seen[d] & ~KEY_BITS);
        boot_map((size_t)d);
        set((size_t)d);
        assert_stored_open((size_t)d);
    }
    for (d = DEPTH - 1; d >= 0; d--) {
        sim.pkru = ~seen[d]; /* whatever the section did to PKRU */
        lazy_mmu_leave(&m, s[d]);
        ck_assert_msg(sim.pkru == seen[d], "level %d: %#x, its enter saw %#x", d, sim.pkru,
                      seen[d]);
    }
    assert_clean();
}
END_TEST

/* A PKRU the caller changed inside the section does not outlive it. */
START_TEST(test_pkru_changed_inside_is_restored)
{
    static const uint32_t inside[] = {0x12345678u, 0, 0xffffffffu, PKRU_CLOSED & ~KEY_BITS};
    size_t k;

    for (k = 0; k < sizeof(inside) / sizeof(inside[0]); k++) {
        lazy_mmu_state_t s;
        setup_pkru(PKRU_LINUX);
        boot_map(0);
        s = lazy_mmu_enter(&m);
        set(0);
        sim.pkru = inside[k];
        lazy_mmu_leave(&m, s);
        ck_assert_msg(sim.pkru == PKRU_LINUX, "changed to %#x inside: leave left %#x",
                      inside[k], sim.pkru);
        assert_clean();
    }
}
END_TEST

/* Pause keeps the section's key open (the eager writes while paused need
 * it); resume changes nothing; the enclosing leave restores. */
START_TEST(test_pause_resume_keep_the_key_open)
{
    lazy_mmu_state_t s, p1, p2;
    size_t i;

    setup_pkru(PKRU_CLOSED);
    for (i = 0; i < 8; i++)
        boot_map(i);
    s = lazy_mmu_enter(&m);
    set(0);
    set(1);
    p1 = lazy_mmu_pause(&m);
    ck_assert_uint_eq(lazy_mmu_sim_stale(&sim), 0); /* pause published */
    ck_assert_uint_eq(sim.pkru, PKRU_CLOSED & ~KEY_BITS);
    set(2); /* eager: visible on return */
    ck_assert_uint_eq(lazy_mmu_sim_stale(&sim), 0);
    p2 = lazy_mmu_pause(&m);
    set(3);
    lazy_mmu_resume(&m, p2);
    lazy_mmu_resume(&m, p1);
    ck_assert_uint_eq(sim.pkru, PKRU_CLOSED & ~KEY_BITS);
    set(4);
    for (i = 0; i < 5; i++)
        assert_stored_open(i);
    ck_assert_uint_eq(sim.wrpkru, 1); /* only enter's */
    lazy_mmu_leave(&m, s);
    ck_assert_uint_eq(sim.pkru, PKRU_CLOSED);
    ck_assert_uint_eq(sim.wrpkru, 2);
    assert_clean();
}
END_TEST

/* A pause outside any section is eager mode: each write opens and closes. */
START_TEST(test_pause_outside_a_section_is_eager)
{
    lazy_mmu_state_t p;

    setup_pkru(PKRU_CLOSED);
    boot_map(0);
    p = lazy_mmu_pause(&m);
    set(0);
    ck_assert_uint_eq(sim.pkru, PKRU_CLOSED);
    ck_assert_uint_eq(sim.wrpkru, 2);
    assert_stored_open(0);
    lazy_mmu_resume(&m, p);
    ck_assert_uint_eq(sim.pkru, PKRU_CLOSED);
    assert_clean();
}
END_TEST

/* Outside a section the store alone opens the key, and closes it before
 * returning: the tables are never left writable between calls. */
START_TEST(test_eager_write_opens_around_its_store)
{
    size_t i;

    setup_pkru(PKRU_CLOSED);
    for (i = 0; i < 5; i++) {
        boot_map(i);
        set(i);
        ck_assert_uint_eq(sim.pkru, PKRU_CLOSED);
        assert_stored_open(i);
        ck_assert_uint_eq(lazy_mmu_sim_stale(&sim), 0);
    }
    ck_assert_uint_eq(sim.wrpkru, 2 * 5);
    assert_clean();
}
END_TEST

/* Every store of a section - runs, unmaps, maps, past the full-flush
 * threshold and through merges in a full batch - happens with the
 * key open, and the section publishes as it would without PKRU. */
START_TEST(test_all_section_stores_see_the_key_open)
{
    lazy_mmu_state_t s;
    size_t i;

    setup_pkru(PKRU_CLOSED);
    for (i = 0; i < WINDOW; i++)
        boot_map(i);
    s = lazy_mmu_enter(&m);
    for (i = 0; i < SPARSE; i++) /* separate ranges: the batch fills, merges */
        set(2 * i);
    ck_assert_uint_gt(lazy_mmu_get_stats(&m)->merges, 0);
    for (i = RUN_FIRST; i < RUN_FIRST + RUN_N; i++) /* past the threshold: a full flush */
        set(i);
    lazy_mmu_set_pte(&m, ptep(WINDOW - 1), 0, TEST_VA(WINDOW - 1)); /* unmap */
    lazy_mmu_set_pte(&m, ptep(WINDOW - 2), 0, TEST_VA(WINDOW - 2));
    lazy_mmu_set_pte(&m, ptep(WINDOW - 2), test_pte(next_frame++), TEST_VA(WINDOW - 2));
    lazy_mmu_flush(&m); /* the kasan case: the key stays as it is */
    ck_assert_uint_eq(sim.pkru, PKRU_CLOSED & ~KEY_BITS);
    lazy_mmu_leave(&m, s);
    for (i = 0; i < SPARSE; i++)
        assert_stored_open(2 * i);
    for (i = RUN_FIRST; i < RUN_FIRST + RUN_N; i++)
        assert_stored_open(i);
    assert_stored_open(WINDOW - 1);
    assert_stored_open(WINDOW - 2);
    ck_assert_uint_eq(sim.pkru, PKRU_CLOSED);
    ck_assert_uint_eq(sim.wrpkru, 2);
    ck_assert_uint_gt(sim.n.cr3_reload + sim.n.global_flush, 0);
    assert_clean();
}
END_TEST

/* The model has teeth: a store with the key closed is a violation. */
START_TEST(test_simulator_flags_a_store_with_the_key_closed)
{
    setup_pkru(PKRU_LINUX | KEY_WD);
    lazy_mmu__hw_store_pte(&m, ptep(0), test_pte(1));
    ck_assert_ptr_nonnull(sim.violation);
    ck_assert_uint_eq(sim.pkru_denied_stores, 1);
    ck_assert_uint_eq(sim.pkru_at_store[0], PKRU_LINUX | KEY_WD);
}
END_TEST

#endif /* LAZY_MMU_ARCH_X86_64 */

Suite *SUITE_FN(pkru)(void)
{
    Suite *s = suite_create("pkru-" TEST_ARCH_NAME);
    TCase *tc = tcase_create("pkru");

#ifdef LAZY_MMU_ARCH_X86_64
    tcase_add_test(tc, test_arch_state_is_pkru);
    tcase_add_test(tc, test_enter_saves_and_opens_only_its_key);
    tcase_add_test(tc, test_key_already_open_costs_no_wrpkru);
    tcase_add_test(tc, test_nested_leaves_restore_lifo);
    tcase_add_test(tc, test_deep_nesting_restores_each_level);
    tcase_add_test(tc, test_pkru_changed_inside_is_restored);
    tcase_add_test(tc, test_pause_resume_keep_the_key_open);
    tcase_add_test(tc, test_pause_outside_a_section_is_eager);
    tcase_add_test(tc, test_eager_write_opens_around_its_store);
    tcase_add_test(tc, test_all_section_stores_see_the_key_open);
    tcase_add_test(tc, test_simulator_flags_a_store_with_the_key_closed);
#else
    tcase_add_test(tc, test_state_stays_small);
#endif
    suite_add_tcase(s, tc);
    return s;
}
