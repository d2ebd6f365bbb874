/* tests/test_a64_runs.c - aarch64 break-before-make by runs: a remap stores
 * its new value with bit 0 clear and joins a run of consecutive entries that
 * the publish makes (sets bit 0 of) once their TLBIs have completed.  Built
 * for every backend like every suite; only aarch64 has tests in it.
 */
#include "harness.h"

#define THR ((unsigned long)LAZY_MMU_FLUSH_ALL_THRESHOLD)
#define BATCH ((unsigned long)LAZY_MMU_BATCH_MAX)
#define WINDOW 4100ul
_Static_assert(WINDOW <= LAZY_MMU_SIM_PAGES, "window");

#if defined(LAZY_MMU_ARCH_AARCH64)
_Static_assert(4 * LAZY_MMU_BATCH_MAX + 4 <= 4100, "the scattered runs fit the window");

#define BIT0 ((lazy_mmu_pte_t)1)

#include "window.h"

/* Run i's length: the inline join leaves the newest one's to
 * lazy_mmu__a64_sync. */
static uint32_t run_count(unsigned i)
{
    lazy_mmu__a64_sync(&m);
    ck_assert_uint_lt(i, m.arch.nruns);
    return m.arch.run_count[i];
}

/* Memory, get_pte and the translation of every page agree with want[]. */
static void check_visible(const char *what, size_t n)
{
    size_t i, stale = lazy_mmu_sim_stale(&sim);
    ck_assert_msg(sim.violation == NULL, "%s: %s", what, sim.violation);
    ck_assert_msg(stale == 0, "%s: %zu stale translations", what, stale);
    for (i = 0; i < n; i++) {
        ck_assert_msg(*ptep(i) == want[i] && lazy_mmu_get_pte(&m, ptep(i)) == want[i],
                      "%s: page %zu: memory %#llx, get_pte %#llx, want %#llx", what, i,
                      (unsigned long long)*ptep(i),
                      (unsigned long long)lazy_mmu_get_pte(&m, ptep(i)),
                      (unsigned long long)want[i]);
        ck_assert_msg(touch(i) == (want[i] & BIT0 ? want[i] : 0),
                      "%s: page %zu does not translate to its entry", what, i);
    }
}

/* Inside the section: broken entries hold their new value with bit 0
 * clear, get_pte gives the new value itself, and no access uses it yet. */
static void check_broken(size_t i)
{
    ck_assert_msg(*ptep(i) == (want[i] & ~BIT0), "page %zu: memory %#llx, want %#llx", i,
                  (unsigned long long)*ptep(i), (unsigned long long)(want[i] & ~BIT0));
    ck_assert(lazy_mmu_get_pte(&m, ptep(i)) == want[i]);
    ck_assert(touch(i) != want[i]); /* the old translation or a fault */
}

/* A section remapping n consecutive pages: one run, one range; one DSB ISH
 * and one ISB, whatever n (_i: 1, BATCH + 1, THR, THR + 1, 4096). */
static const unsigned long remap_sizes[] = {1, BATCH + 1, THR, THR + 1, 4096};

START_TEST(test_a64_contiguous_remap_is_one_publish)
{
    const unsigned long n = remap_sizes[_i];
    lazy_mmu_state_t s;
    size_t i;

    setup();
    for (i = 0; i < n; i++)
        boot(i, fresh());
    start_counting();
    s = lazy_mmu_enter(&m);
    for (i = 0; i < n; i++)
        set(i, fresh());
    ck_assert_uint_eq(m.arch.nruns, 1);
    check_broken(0);
    check_broken(n - 1);
    ck_assert_uint_eq(sim.n.dsb_ish + sim.n.isb + sim.n.tlbi_va + sim.n.tlbi_all, 0);
    lazy_mmu_leave(&m, s);
    ck_assert_uint_eq(sim.n.stores, 2 * n);
    ck_assert_uint_eq(sim.n.tlbi_va, n <= THR ? n : 0);
    ck_assert_uint_eq(sim.n.tlbi_all, n <= THR ? 0 : 1);
    ck_assert_uint_eq(sim.n.dsb_ishst, 2);
    ck_assert_uint_eq(sim.n.dsb_ish, 1);
    ck_assert_uint_eq(sim.n.isb, 1);
    ck_assert_uint_eq(lazy_mmu_get_stats(&m)->publishes, 1);
    ck_assert_uint_eq(lazy_mmu_get_stats(&m)->early_flushes, 0);
    ck_assert_uint_eq(lazy_mmu_get_stats(&m)->bbm, n);
    ck_assert_uint_eq(m.arch.nruns, 0);
    check_visible("contiguous remap", n);
}
END_TEST

/* Valid to valid, an update that changes one bit: a break-before-make
 * exactly when the bit is in the output address (the top one, 47, too),
 * else a protect stored at once.  Pages 1..63 flip bits 1..63: the output
 * address bits are one run, joined inline. */
START_TEST(test_a64_remap_is_an_output_address_change)
{
    lazy_mmu_state_t s;
    unsigned long oa = 0;
    size_t b;

    setup();
    for (b = 1; b < 64; b++)
        boot(b, fresh());
    s = lazy_mmu_enter(&m);
    for (b = 1; b < 64; b++) {
        const lazy_mmu_pte_t bit = (lazy_mmu_pte_t)1 << b;
        set(b, want[b] ^ bit);
        if (bit & LAZY_MMU_AARCH64_OA_MASK) {
            oa++;
            check_broken(b);
        } else {
            ck_assert_msg(*ptep(b) == want[b], "bit %zu: not stored at once", b);
        }
    }
    ck_assert_uint_eq(oa, 36);
    ck_assert_uint_eq(lazy_mmu_get_stats(&m)->bbm, oa);
    ck_assert_uint_eq(m.arch.nruns, 1);
    lazy_mmu_leave(&m, s);
    check_visible("one bit each", 64);
}
END_TEST

/* A run is consecutive entries in memory: entries 500..530 cross where the
 * window's first table page ends (the simulator's table is page-aligned)
 * and stay one run, its pages following from its first entry's (the two
 * table pages map neighbouring VAs); descending, the run grows at its
 * front; two groups apart are two runs. */
START_TEST(test_a64_runs_coalesce_by_memory)
{
    lazy_mmu_state_t s;
    size_t i;

    setup();
    for (i = 0; i < 600; i++)
        boot(i, fresh());
    s = lazy_mmu_enter(&m);
    for (i = 500; i <= 530; i++)
        set(i, fresh());
    ck_assert_uint_eq(m.arch.nruns, 1);
    ck_assert_uint_eq(run_count(0), 31);
    for (i = 20; i-- > 10;)
        set(i, fresh());
    ck_assert_uint_eq(m.arch.nruns, 2);
    set(9, fresh()); /* the front of the newest run */
    set(531, fresh()); /* the end of an older one: a new run */
    ck_assert_uint_eq(m.arch.nruns, 3);
    ck_assert_uint_eq(run_count(1), 11);
    check_broken(9);
    check_broken(512);
    lazy_mmu_leave(&m, s);
    ck_assert_uint_eq(sim.n.dsb_ish, 1);
    ck_assert_uint_eq(sim.n.tlbi_va, 31 + 11 + 1);
    ck_assert_uint_eq(sim.n.tlbi_all, 0);
    check_visible("runs", 600);
}
END_TEST

/* A section whose runs take every slot: BATCH - 1 single remaps (pages 0,
 * 2, ...), then the newest run, pages [lo, hi) remapped in ascending order.
 * Pages lo - 1 .. hi - 1 are mapped and cached before. */
static lazy_mmu_state_t enter_with_full_runs(size_t lo, size_t hi)
{
    lazy_mmu_state_t s;
    size_t j;

    setup();
    for (j = 0; j < BATCH - 1; j++)
        boot(2 * j, fresh());
    for (j = lo - 1; j < hi; j++)
        boot(j, fresh());
    start_counting();
    s = lazy_mmu_enter(&m);
    for (j = 0; j < BATCH - 1; j++)
        set(2 * j, fresh());
    for (j = lo; j < hi; j++)
        set(j, fresh());
    ck_assert_uint_eq(m.arch.nruns, BATCH);
    return s;
}

/* Descending across the same boundary: the run grows at its front into the
 * table page before, one run whose pages follow from its new first entry's. */
START_TEST(test_a64_descending_run_across_a_table_page)
{
    lazy_mmu_state_t s;
    size_t i;

    setup();
    for (i = 500; i < 530; i++)
        boot(i, fresh());
    start_counting();
    s = lazy_mmu_enter(&m);
    for (i = 520; i-- > 505;)
        set(i, fresh());
    ck_assert_uint_eq(m.arch.nruns, 1);
    ck_assert_uint_eq(run_count(0), 15);
    lazy_mmu_leave(&m, s);
    ck_assert_uint_eq(sim.n.tlbi_va, 15);
    ck_assert_uint_eq(sim.n.tlbi_all, 0);
    check_visible("descending", 530);
}
END_TEST

/* With every slot taken, a descent into the table page before still grows
 * the newest run: lazy_mmu__a64_room and the join agree, so there is no
 * early publish. */
START_TEST(test_a64_descent_into_another_table_page_with_full_runs)
{
    lazy_mmu_state_t s = enter_with_full_runs(512, 516);

    set(511, fresh());
    ck_assert_uint_eq(lazy_mmu_get_stats(&m)->early_flushes, 0);
    ck_assert_uint_eq(m.arch.nruns, BATCH);
    check_broken(511);
    lazy_mmu_leave(&m, s);
    ck_assert_uint_eq(sim.n.tlbi_va, BATCH - 1 + 5);
    check_visible("descent with full runs", 516);
}
END_TEST

/* Two table pages next to each other in memory need not map neighbouring
 * VAs.  A remap run from the end of one into the next is still one run by
 * memory, but its last entry's va does not follow from its first's: the
 * batch invalidates everything rather than guess which pages the entries in
 * between map.  Outside the simulator's window (its TLBIs are only
 * counted).  _i = 1: ascending, then grown at its front past the start. */
START_TEST(test_a64_run_into_another_table)
{
    static lazy_mmu_pte_t tbl[1024] __attribute__((aligned(4096)));
    const uintptr_t a = (uintptr_t)0x40000000, b = (uintptr_t)0x80000000 + 7 * LAZY_MMU_PAGE_SIZE;
    lazy_mmu_state_t s;
    size_t i;

#define TBL_VA(i) ((i) < 512 ? a + (i) * LAZY_MMU_PAGE_SIZE : b + ((i) - 512) * LAZY_MMU_PAGE_SIZE)
    setup();
    for (i = 508; i < 516; i++)
        tbl[i] = test_pte(0x500 + i);
    start_counting();
    s = lazy_mmu_enter(&m);
    if (_i == 0) {
        for (i = 508; i < 516; i++)
            lazy_mmu_set_pte(&m, &tbl[i], test_pte(0x900 + i), TBL_VA(i));
    } else {
        for (i = 512; i < 516; i++)
            lazy_mmu_set_pte(&m, &tbl[i], test_pte(0x900 + i), TBL_VA(i));
        for (i = 512; i-- > 508;)
            lazy_mmu_set_pte(&m, &tbl[i], test_pte(0x900 + i), TBL_VA(i));
    }
    ck_assert_uint_eq(m.arch.nruns, 1);
    for (i = 508; i < 516; i++)
        ck_assert_msg(lazy_mmu__a64_inval_pending(&m, TBL_VA(i)), "entry %zu: page not owed", i);
    ck_assert(m.pending & LAZY_MMU__P_ALL);
    lazy_mmu_leave(&m, s);
    ck_assert_uint_eq(sim.n.tlbi_va, 0);
    ck_assert_uint_eq(sim.n.tlbi_all, 1);
    for (i = 508; i < 516; i++)
        ck_assert(tbl[i] == test_pte(0x900 + i));
#undef TBL_VA
}
END_TEST

/* Entries of a level 2 table (block descriptors) map 2 MiB each: a run of
 * them is no run of pages, and its last entry's va says so - the batch
 * invalidates everything.  One such entry alone is invalidated by its va. */
START_TEST(test_a64_run_of_block_entries)
{
    static lazy_mmu_pte_t l2[512] __attribute__((aligned(4096)));
    const uintptr_t a = (uintptr_t)0x40000000, block = (uintptr_t)1 << 21;
    const size_t n = _i ? 4 : 1;
    lazy_mmu_state_t s;
    size_t i;

    setup();
    for (i = 100; i < 100 + n; i++)
        l2[i] = (lazy_mmu_pte_t)(0x1000 + i) << 21 | 1;
    start_counting();
    s = lazy_mmu_enter(&m);
    for (i = 100; i < 100 + n; i++)
        lazy_mmu_set_pte(&m, &l2[i], (lazy_mmu_pte_t)(0x2000 + i) << 21 | 1, a + i * block);
    lazy_mmu_leave(&m, s);
    ck_assert_uint_eq(sim.n.tlbi_all, _i ? 1 : 0);
    ck_assert_uint_eq(sim.n.tlbi_va, _i ? 0 : 1);
    for (i = 100; i < 100 + n; i++)
        ck_assert(l2[i] == ((lazy_mmu_pte_t)(0x2000 + i) << 21 | 1));
}
END_TEST

/* A run through a whole table page into a third one: its first and last
 * entries' VAs agree (the outer table pages map the 2 MiB on either side
 * of the middle one's place), but the middle table page maps pages of its
 * own, never seen, so the batch invalidates everything. */
START_TEST(test_a64_run_across_three_tables)
{
    static lazy_mmu_pte_t tbl[1536] __attribute__((aligned(4096)));
    const uintptr_t a = (uintptr_t)0x40000000, b = a + 1024 * LAZY_MMU_PAGE_SIZE,
                    c = (uintptr_t)0xc0000000;
    lazy_mmu_state_t s;
    size_t i;

#define TBL_VA(i) ((i) < 512 ? a + (i) * LAZY_MMU_PAGE_SIZE \
                   : (i) < 1024 ? c + ((i) - 512) * LAZY_MMU_PAGE_SIZE \
                                : b + ((i) - 1024) * LAZY_MMU_PAGE_SIZE)
    setup();
    for (i = 511; i <= 1024; i++)
        tbl[i] = test_pte(0x500 + i);
    start_counting();
    s = lazy_mmu_enter(&m);
    for (i = 511; i <= 1024; i++)
        lazy_mmu_set_pte(&m, &tbl[i], test_pte(0x1000 + i), TBL_VA(i));
    lazy_mmu__a64_sync(&m);
    ck_assert(m.pending & LAZY_MMU__P_ALL);
    ck_assert(lazy_mmu__a64_inval_pending(&m, c + 5 * LAZY_MMU_PAGE_SIZE));
    lazy_mmu_leave(&m, s);
    ck_assert_uint_eq(sim.n.tlbi_all, 1);
    for (i = 511; i <= 1024; i++)
        ck_assert(tbl[i] == test_pte(0x1000 + i));
#undef TBL_VA
}
END_TEST

/* With everything pending no page matters, and a run may hold two table
 * pages of unrelated VAs.  Shortened at its end, extended again, shortened
 * at its front and grown there again: every entry is made all the same. */
START_TEST(test_a64_run_of_two_tables_with_everything_pending)
{
    static lazy_mmu_pte_t tbl[1024] __attribute__((aligned(4096)));
    const uintptr_t a = (uintptr_t)0x40000000, c = (uintptr_t)0xc0000000;
    lazy_mmu_state_t s;
    size_t i;

#define TBL_VA(i) ((i) < 512 ? a + (i) * LAZY_MMU_PAGE_SIZE : c + ((i) - 512) * LAZY_MMU_PAGE_SIZE)
    setup();
    for (i = 508; i < 516; i++)
        tbl[i] = test_pte(0x500 + i);
    start_counting();
    s = lazy_mmu_enter(&m);
    lazy_mmu_invalidate_all(&m);
    for (i = 509; i < 516; i++)
        lazy_mmu_set_pte(&m, &tbl[i], test_pte(0x900 + i), TBL_VA(i));
    lazy_mmu_set_pte(&m, &tbl[515], 0, TBL_VA(515));
    lazy_mmu_set_pte(&m, &tbl[515], test_pte(0x1900), TBL_VA(515));
    lazy_mmu_set_pte(&m, &tbl[509], 0, TBL_VA(509));
    lazy_mmu_set_pte(&m, &tbl[509], test_pte(0x1909), TBL_VA(509));
    lazy_mmu_set_pte(&m, &tbl[508], test_pte(0x1908), TBL_VA(508));
    lazy_mmu_leave(&m, s);
    ck_assert_uint_eq(sim.n.tlbi_all, 1);
    ck_assert(tbl[508] == test_pte(0x1908) && tbl[509] == test_pte(0x1909));
    for (i = 510; i < 515; i++)
        ck_assert(tbl[i] == test_pte(0x900 + i));
    ck_assert(tbl[515] == test_pte(0x1900));
#undef TBL_VA
}
END_TEST

/* A run across two table pages of neighbouring VAs needs no slot of its
 * own even with every slot taken: per-page TLBIs, nothing published early. */
START_TEST(test_a64_run_across_tables_with_full_runs)
{
    lazy_mmu_state_t s = enter_with_full_runs(510, 514);

    lazy_mmu_leave(&m, s);
    ck_assert_uint_eq(sim.n.tlbi_all, 0);
    ck_assert_uint_eq(sim.n.tlbi_va, BATCH - 1 + 4);
    ck_assert_uint_eq(lazy_mmu_get_stats(&m)->early_flushes, 0);
    check_visible("across tables with full runs", 514);
}
END_TEST

/* An entry of a run that becomes invalid leaves it (_i: the first, a middle
 * and the last entry of the run, or a run of one), whatever other bits the
 * invalid value has: the publish must not validate it. */
START_TEST(test_a64_invalidation_splits_the_run)
{
    static const size_t first[] = {0, 0, 0, 4}, len[] = {10, 10, 10, 1}, hit[] = {0, 5, 9, 4};
    const lazy_mmu_pte_t swap = ((lazy_mmu_pte_t)0x1234 << 12) | 2; /* bit 0 clear */
    lazy_mmu_state_t s;
    size_t i;

    setup();
    for (i = 0; i < 12; i++)
        boot(i, fresh());
    s = lazy_mmu_enter(&m);
    for (i = first[_i]; i < first[_i] + len[_i]; i++)
        set(i, fresh());
    set(11, fresh()); /* a newer run, so the split one is not the newest */
    set(hit[_i], swap);
    ck_assert(*ptep(hit[_i]) == swap && lazy_mmu_get_pte(&m, ptep(hit[_i])) == swap);
    ck_assert_uint_eq(m.arch.nruns, _i == 1 ? 3 : _i == 3 ? 1 : 2);
    set(hit[_i], 0);
    ck_assert(lazy_mmu_get_pte(&m, ptep(hit[_i])) == 0);
    lazy_mmu_leave(&m, s);
    check_visible("split", 12);
    ck_assert_uint_eq(sim.n.dsb_ish, 1);
}
END_TEST

/* The same in the newest run, which the inline join extends by moving
 * arch.next alone: nothing reads the entries before the invalidation, so
 * only the run's end as next holds it says the entry is in the run.  _i:
 * ascending (joined inline) or descending (grown at the front), each with
 * the first, a middle and the last entry hit. */
START_TEST(test_a64_invalidation_in_the_newest_run)
{
    static const size_t hit[] = {0, 5, 9};
    const bool down = _i >= 3;
    lazy_mmu_state_t s;
    size_t i;

    setup();
    for (i = 0; i < 12; i++)
        boot(i, fresh());
    s = lazy_mmu_enter(&m);
    set(11, fresh()); /* an older run */
    for (i = 0; i < 10; i++)
        set(down ? 9 - i : i, fresh());
    set(hit[_i % 3], 0);
    ck_assert_uint_eq(m.arch.nruns, _i % 3 == 1 ? 3 : 2);
    lazy_mmu_leave(&m, s);
    check_visible("newest run", 12);
    ck_assert_uint_eq(sim.n.dsb_ish, 1);
}
END_TEST

/* A broken entry rewritten with a valid value: stored in place, bit 0
 * clear, still in its run; get_pte sees each value. */
START_TEST(test_a64_rewrite_of_a_broken_entry)
{
    lazy_mmu_state_t s;
    lazy_mmu_pte_t v;
    unsigned j;

    setup();
    boot(0, fresh());
    boot(1, fresh());
    s = lazy_mmu_enter(&m);
    set(0, fresh());
    set(1, fresh());
    for (j = 0; j < 3 * BATCH; j++) {
        set(0, v = fresh() | (j & 1 ? (lazy_mmu_pte_t)1 << 54 : 0));
        check_broken(0);
        ck_assert(lazy_mmu_get_pte(&m, ptep(0)) == v);
    }
    ck_assert_uint_eq(m.arch.nruns, 1);
    ck_assert_uint_eq(lazy_mmu_get_stats(&m)->early_flushes, 0);
    lazy_mmu_leave(&m, s);
    ck_assert_uint_eq(sim.n.tlbi_va, 2);
    check_visible("rewrites", 2);
}
END_TEST

/* Unmapped and mapped again in one batch: the old translation may be cached
 * until the pending TLBI completes, so the map waits in the runs too. */
START_TEST(test_a64_map_after_unmap_joins_the_runs)
{
    lazy_mmu_state_t s;

    setup();
    boot(0, fresh());
    boot(1, fresh());
    s = lazy_mmu_enter(&m);
    set(0, fresh());
    set(1, 0);
    set(1, fresh());
    check_broken(1);
    ck_assert_uint_eq(m.arch.nruns, 1);
    ck_assert_uint_eq(run_count(0), 2);
    ck_assert_uint_eq(lazy_mmu_get_stats(&m)->bbm, 1);
    lazy_mmu_leave(&m, s);
    check_visible("unmap, map", 2);
}
END_TEST

/* BATCH scattered remaps fill the runs; one more publishes them early and
 * starts a new batch with it.  _i = 0: the ranges fill at the same time;
 * _i = 1: a full invalidation is pending, so only the runs are full. */
START_TEST(test_a64_full_runs_publish_early)
{
    lazy_mmu_state_t s;
    size_t j;

    setup();
    for (j = 0; j <= BATCH; j++)
        boot(2 * j, fresh());
    start_counting();
    s = lazy_mmu_enter(&m);
    if (_i)
        lazy_mmu_invalidate_all(&m);
    for (j = 0; j < BATCH; j++)
        set(2 * j, fresh());
    ck_assert_uint_eq(m.arch.nruns, BATCH);
    ck_assert_uint_eq(sim.n.dsb_ish, 0);
    set(2 * BATCH, fresh());
    ck_assert_uint_eq(lazy_mmu_get_stats(&m)->early_flushes, 1);
    ck_assert_uint_eq(m.arch.nruns, 1);
    /* the new page's TLBI is in the new batch */
    ck_assert_uint_eq(sim.n.tlbi_va, _i ? 0 : BATCH);
    ck_assert_uint_eq(sim.n.tlbi_all, _i ? 1 : 0);
    ck_assert(*ptep(0) == want[0]); /* made by the early publish */
    check_broken(2 * BATCH);
    lazy_mmu_leave(&m, s);
    ck_assert_uint_eq(sim.n.dsb_ish, 2);
    ck_assert_uint_eq(sim.n.tlbi_va, _i ? 1 : BATCH + 1);
    check_visible("full runs", 2 * BATCH + 1);
}
END_TEST

/* Splitting a run needs a slot; with none free the batch is published (the
 * entry is made) and the entry is then unmapped like any valid one. */
START_TEST(test_a64_split_with_full_runs_publishes_early)
{
    lazy_mmu_state_t s;
    size_t j;

    setup();
    for (j = 0; j < 4 * BATCH; j++)
        boot(j, fresh());
    s = lazy_mmu_enter(&m);
    for (j = 0; j < BATCH; j++) {
        set(4 * j, fresh());
        set(4 * j + 1, fresh());
        set(4 * j + 2, fresh());
    }
    ck_assert_uint_eq(m.arch.nruns, BATCH);
    set(4 * 5 + 1, 0);
    ck_assert_uint_eq(lazy_mmu_get_stats(&m)->early_flushes, 1);
    ck_assert_uint_eq(m.arch.nruns, 0);
    ck_assert(*ptep(4 * 5 + 1) == 0);
    ck_assert(*ptep(4 * 5) == want[4 * 5]);
    lazy_mmu_leave(&m, s);
    check_visible("split with full runs", 4 * BATCH);
}
END_TEST

/* Eagerly a remap still breaks, waits for its TLBI and makes. */
START_TEST(test_a64_eager_remap)
{
    setup();
    boot(0, fresh());
    start_counting();
    set(0, fresh());
    ck_assert_uint_eq(sim.n.stores, 2);
    ck_assert_uint_eq(sim.n.dsb_ishst, 2);
    ck_assert_uint_eq(sim.n.tlbi_va + sim.n.dsb_ish + sim.n.isb, 3);
    ck_assert_uint_eq(m.arch.nruns, 0);
    check_visible("eager remap", 1);
}
END_TEST

/* Control: an entry with bit 0 clear is invalid whatever its other bits. */
START_TEST(test_a64_sim_bit0_clear_is_invalid)
{
    lazy_mmu_pte_t v;

    setup();
    v = fresh();
    lazy_mmu_sim_poke(&sim, TEST_VA(0), v & ~BIT0);
    ck_assert(touch(0) == 0);
    ck_assert_uint_eq(sim.tlb_state[0], LAZY_MMU_SIM_EMPTY);
    lazy_mmu_sim_poke(&sim, TEST_VA(0), v);
    ck_assert(touch(0) == v);
}
END_TEST

/* Control: a break that keeps the new value, made before its TLBI has
 * completed (no DSB ISH) or before the break reached the walker (no DSB
 * ISHST), is caught. */
START_TEST(test_a64_sim_flags_make_before_tlbi_completes)
{
    lazy_mmu_pte_t v;

    setup();
    boot(0, fresh());
    v = fresh();
    lazy_mmu__hw_store_pte(&m, ptep(0), v & ~BIT0);
    if (_i) {
        lazy_mmu__a64_dsb_ishst(&m);
        lazy_mmu__a64_tlbi_va(&m, TEST_VA(0));
    }
    ck_assert_ptr_null(sim.violation);
    lazy_mmu__hw_store_pte(&m, ptep(0), v);
    ck_assert_ptr_nonnull(sim.violation);
}
END_TEST
#endif

Suite *SUITE_FN(a64_runs)(void)
{
    Suite *s = suite_create("a64_runs-" TEST_ARCH_NAME);
    TCase *tc = tcase_create("a64_runs-" TEST_ARCH_NAME);

#if defined(LAZY_MMU_ARCH_AARCH64)
    tcase_add_loop_test(tc, test_a64_contiguous_remap_is_one_publish, 0,
                        (int)(sizeof remap_sizes / sizeof remap_sizes[0]));
    tcase_add_test(tc, test_a64_remap_is_an_output_address_change);
    tcase_add_test(tc, test_a64_runs_coalesce_by_memory);
    tcase_add_test(tc, test_a64_descending_run_across_a_table_page);
    tcase_add_test(tc, test_a64_descent_into_another_table_page_with_full_runs);
    tcase_add_loop_test(tc, test_a64_run_into_another_table, 0, 2);
    tcase_add_loop_test(tc, test_a64_run_of_block_entries, 0, 2);
    tcase_add_test(tc, test_a64_run_across_three_tables);
    tcase_add_test(tc, test_a64_run_across_tables_with_full_runs);
    tcase_add_test(tc, test_a64_run_of_two_tables_with_everything_pending);
    tcase_add_loop_test(tc, test_a64_invalidation_splits_the_run, 0, 4);
    tcase_add_loop_test(tc, test_a64_invalidation_in_the_newest_run, 0, 6);
    tcase_add_test(tc, test_a64_rewrite_of_a_broken_entry);
    tcase_add_test(tc, test_a64_map_after_unmap_joins_the_runs);
    tcase_add_loop_test(tc, test_a64_full_runs_publish_early, 0, 2);
    tcase_add_test(tc, test_a64_split_with_full_runs_publishes_early);
    tcase_add_test(tc, test_a64_eager_remap);
    tcase_add_test(tc, test_a64_sim_bit0_clear_is_invalid);
    tcase_add_loop_test(tc, test_a64_sim_flags_make_before_tlbi_completes, 0, 2);
#endif
    suite_add_tcase(s, tc);
    return s;
}
