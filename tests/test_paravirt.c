/* tests/test_paravirt.c - the paravirt backend against a fake hypervisor
 * (tests/pv_fake.h): exact calls and ops, and what a failing call leaves.
 * B SETs per call, R pending ranges, more than T pages: one INVAL_ALL.
 */
#include "pv_fake.h"

/* ---- batching ---- */

static const size_t batch_ns[] = {B - 1, B, B + 1, 10 * B};

/* _i / 3 picks N; _i % 3 the kind: map (nothing to invalidate), remap of a
 * run, remap of every other page.  A full queue goes alone, SETs only; the
 * pages stay in the one batch, so the last call decides for all of them. */
START_TEST(test_batch_boundaries)
{
    size_t n = batch_ns[_i / 3], kind = (size_t)_i % 3, st = kind == 2 ? 2 : 1, i, sets;
    lazy_mmu_state_t s;
    unsigned last = (unsigned)((n + B - 1) / B) - 1;

    setup(n * st);
    if (kind != 0)
        map_old(0, n * st, st);
    s = lazy_mmu_enter(&ctx);
    for (i = 0; i < n; i++) {
        upd(i * st, NEW(i * st));
        ck_assert_uint_eq(hv.ncalls, i / B); /* early only when the queue is full */
    }
    lazy_mmu_leave(&ctx, s);
    ck_assert_uint_eq(hv.ncalls, last + 1);
    early_calls(last);
    sets = n - (size_t)last * B;
    if (kind == 0)
        ck_assert(shape(last, sets, 0, 0));
    else if (kind == 1 && n <= T)
        ck_assert(shape(last, sets, 1, 0) && op_is(last, sets, INVLPG_AT(0), n));
    else /* a run past T; lone pages past R merge, gaps and all: 2n - R > T */
        ck_assert(shape(last, sets, 0, 1) && op_is(last, sets, INVAL_ALL, 0));
    verify_final(n * st);
}
END_TEST

START_TEST(test_eager_one_call_per_update)
{
    /* invalid->valid, valid->valid, valid->invalid, invalid->invalid */
    const lazy_mmu_pte_t vals[4] = {NEW(0), NEW2(0), 0, 0};
    const size_t invlpgs[4] = {0, 1, 1, 0};
    unsigned c;

    setup(64);
    ck_assert(!lazy_mmu_is_active(&ctx));
    for (c = 0; c < 4; c++) {
        upd(0, vals[c]);
        ck_assert(hv.ncalls == c + 1 && shape(c, 1, invlpgs[c], 0) && op_is(c, 0, PTR(0), vals[c]));
        ck_assert(!invlpgs[c] || op_is(c, 1, INVLPG_AT(0), 1));
        /* in effect at once: the cached older translation is gone */
        ck_assert(lazy_mmu_sim_access(&sim, TEST_VA(0)) == vals[c]);
    }
    map_old(1, 41, 1);
    for (c = 1; c < 41; c++) {
        upd(c, NEW(c));
        ck_assert(hv.ncalls == 4 + c && shape(3 + c, 1, 1, 0));
        ck_assert(lazy_mmu_sim_access(&sim, TEST_VA(c)) == NEW(c));
    }
    verify_final(64);
}
END_TEST

/* Each visibility point mid-batch makes exactly one call with exactly what
 * was pending; while paused, every update is its own call. */
START_TEST(test_visibility_points_mid_batch)
{
    lazy_mmu_state_t outer, inner, p1, p2;

    setup(40);
    map_old(0, 40, 1);
    lazy_mmu_flush(&ctx); /* outside a section with nothing pending */
    outer = lazy_mmu_enter(&ctx);
    remap(0, 5, 1);
    inner = lazy_mmu_enter(&ctx);
    remap(5, 8, 1);
    ck_assert_uint_eq(hv.ncalls, 0);
    lazy_mmu_leave(&ctx, inner); /* carries the outer section's updates too */
    ck_assert(hv.ncalls == 1 && shape(0, 8, 1, 0) && op_is(0, 8, INVLPG_AT(0), 8));
    ck_assert(lazy_mmu_is_active(&ctx) && lazy_mmu_sim_stale(&sim) == 0);
    lazy_mmu_flush(&ctx); /* nothing pending: no call */
    remap(8, 18, 1);
    ck_assert_uint_eq(hv.ncalls, 1);
    lazy_mmu_flush(&ctx);
    ck_assert(hv.ncalls == 2 && shape(1, 10, 1, 0) && op_is(1, 10, INVLPG_AT(8), 10));
    ck_assert_uint_eq(lazy_mmu_sim_stale(&sim), 0);
    remap(18, 21, 1);
    p1 = lazy_mmu_pause(&ctx);
    ck_assert(hv.ncalls == 3 && shape(2, 3, 1, 0) && lazy_mmu_sim_stale(&sim) == 0);
    ck_assert(!lazy_mmu_is_active(&ctx));
    remap(21, 23, 1);
    ck_assert(hv.ncalls == 5 && shape(3, 1, 1, 0) && shape(4, 1, 1, 0));
    p2 = lazy_mmu_pause(&ctx);
    upd(23, NEW(23));
    lazy_mmu_resume(&ctx, p2);
    ck_assert(hv.ncalls == 6 && !lazy_mmu_is_active(&ctx));
    lazy_mmu_resume(&ctx, p1);
    remap(24, 28, 1);
    ck_assert(hv.ncalls == 6 && lazy_mmu_is_active(&ctx));
    lazy_mmu_leave(&ctx, outer);
    ck_assert(hv.ncalls == 7 && shape(6, 4, 1, 0) && op_is(6, 4, INVLPG_AT(24), 4));
    verify_final(40);
}
END_TEST

/* ---- read-your-writes and rewrites ---- */

START_TEST(test_read_your_writes)
{
    lazy_mmu_state_t s;
    size_t j;

    setup(8);
    map_old(0, 4, 1);
    s = lazy_mmu_enter(&ctx);
    put(0, NEW(0));
    ck_assert(lazy_mmu_get_pte(&ctx, &sim.pt[0]) == NEW(0) && sim.pt[0] == OLD(0));
    put(0, NEW2(0));
    put(1, NEW(1));
    put(2, NEW(2));
    put(1, NEW2(1));
    put(0, NEW3(0));
    ck_assert(lazy_mmu_get_pte(&ctx, &sim.pt[0]) == NEW3(0) &&
              lazy_mmu_get_pte(&ctx, &sim.pt[1]) == NEW2(1) && lazy_mmu_get_pte(&ctx, &sim.pt[2]) == NEW(2));
    ck_assert(hv.ncalls == 0 && sim.pt[0] == OLD(0) && sim.pt[1] == OLD(1));
    lazy_mmu_leave(&ctx, s);
    /* One SET per entry, with its last value, in the order of last update. */
    ck_assert(hv.ncalls == 1 && shape(0, 3, 1, 0) && op_is(0, 3, INVLPG_AT(0), 3));
    expect_set(2, NEW(2));
    expect_set(1, NEW2(1));
    expect_set(0, NEW3(0));
    /* Far more rewrites of one entry than a call holds: each takes the
     * earlier one's place, so the queue never fills. */
    s = lazy_mmu_enter(&ctx);
    for (j = 0; j < 3 * B + 5; j++) {
        put(3, test_pte(0x5000u + j));
        ck_assert(lazy_mmu_get_pte(&ctx, &sim.pt[3]) == test_pte(0x5000u + j));
    }
    lazy_mmu_leave(&ctx, s);
    ck_assert(hv.ncalls == 2 && shape(1, 1, 1, 0) && op_is(1, 1, INVLPG_AT(3), 1));
    ck_assert_uint_eq(stats()->early_flushes, 0);
    expect_set(3, test_pte(0x5000u + 3 * B + 4));
    verify_final(8);
}
END_TEST

/* A rewrite moves the entry to the end of a full queue, the SETs behind its
 * old place move down: lookups (a hashed filter, then a search) must still
 * find every one, and the full queue takes it without an early send. */
START_TEST(test_rewrite_in_a_full_queue)
{
    lazy_mmu_state_t s;
    size_t i;

    setup(B + 8);
    map_old(0, B + 8, 1);
    s = lazy_mmu_enter(&ctx);
    for (i = 0; i < B; i++)
        put(i, NEW(i));
    put(B / 2, NEW2(B / 2));
    put(0, NEW2(0));
    ck_assert_uint_eq(hv.ncalls, 0);
    for (i = 0; i < B; i++)
        ck_assert_msg(lazy_mmu_get_pte(&ctx, &sim.pt[i]) == (i % (B / 2) ? NEW(i) : NEW2(i)),
                      "entry %zu: its queued write is not found", i);
    ck_assert(lazy_mmu_get_pte(&ctx, &sim.pt[B]) == OLD(B));
    lazy_mmu_leave(&ctx, s);
    ck_assert(hv.ncalls == 1 && shape(0, B, 1, 0) && op_is(0, B, INVLPG_AT(0), B));
    ck_assert(op_is(0, B - 2, PTR(B / 2), NEW2(B / 2)) && op_is(0, B - 1, PTR(0), NEW2(0)));
    for (i = 1; i < B; i++)
        if (i != B / 2)
            expect_set(i, NEW(i));
    expect_set(B / 2, NEW2(B / 2));
    expect_set(0, NEW2(0));
    verify_final(B + 8);
}
END_TEST

/* One entry updated under two VAs (a table page mapped twice): both pages
 * are invalidated, whether the first SET was still queued (_i == 0: the
 * rewrite dropped it; _i == 2: and it was an unmap, the entry in memory
 * still decides) or already sent by a full queue (_i == 1).  The simulator
 * ties entry i to page i, so the alias is checked by name. */
START_TEST(test_entry_under_two_vas)
{
    const size_t alias = 2 * B + 4;
    unsigned last = _i == 1;
    lazy_mmu_state_t s;
    size_t i;

    setup(2 * B + 8);
    map_old(0, 1, 1);
    s = lazy_mmu_enter(&ctx);
    lazy_mmu_set_pte(&ctx, &sim.pt[0], _i == 2 ? 0 : NEW2(0), TEST_VA(alias));
    if (_i == 1) {
        expect_set(0, NEW2(0));
        for (i = 1; i <= B; i++) /* fresh entries: the last finds the queue full */
            upd(i, NEW(i));
        ck_assert(hv.ncalls == 1 && shape(0, B, 0, 0));
        upd(0, NEW(0));
        ck_assert(lazy_mmu_get_pte(&ctx, &sim.pt[0]) == NEW(0));
    } else {
        for (i = 0; i < B; i++)
            upd(i, NEW(i));
    }
    lazy_mmu_leave(&ctx, s);
    ck_assert(hv.ncalls == last + 1 && shape(last, last ? 2 : B, 2, 0));
    ck_assert(op_is(last, last ? 2 : B, INVLPG_AT(0), 1));
    ck_assert(op_is(last, last ? 3 : B + 1, INVLPG_AT(alias), 1));
    verify_final(2 * B + 8);
}
END_TEST

/* ---- invalidation encoding: one op per range, INVAL_ALL past T pages ---- */

START_TEST(test_runs_become_one_invlpg)
{
    lazy_mmu_state_t s;
    size_t i;

    setup(64);
    map_old(0, 64, 1);
    section_remap(0, 20, 1);
    ck_assert(shape(0, 20, 1, 0) && op_is(0, 20, INVLPG_AT(0), 20));
    s = lazy_mmu_enter(&ctx); /* the same, written backwards */
    for (i = 40; i-- > 20;)
        upd(i, NEW(i));
    lazy_mmu_leave(&ctx, s);
    ck_assert(shape(1, 20, 1, 0) && op_is(1, 20, INVLPG_AT(20), 20));
    s = lazy_mmu_enter(&ctx); /* two runs and a lone page */
    remap(40, 45, 1);
    remap(50, 55, 1);
    upd(60, NEW(60));
    lazy_mmu_leave(&ctx, s);
    ck_assert(shape(2, 11, 3, 0) && op_is(2, 11, INVLPG_AT(40), 5) &&
              op_is(2, 12, INVLPG_AT(50), 5) && op_is(2, 13, INVLPG_AT(60), 1));
    verify_final(64);
}
END_TEST

/* Two runs, then the page that joins them, then a page already owed: one
 * range of 24 pages, each page counted once. */
START_TEST(test_touching_runs_join)
{
    lazy_mmu_state_t s;
    size_t i;

    setup(32);
    map_old(0, 24, 1);
    s = lazy_mmu_enter(&ctx);
    for (i = 0; i < 24; i++) /* pages 0-15 and 17-23 */
        if (i != 16)
            put(i, NEW(i));
    put(16, NEW(16));
    put(15, NEW2(15));
    lazy_mmu_leave(&ctx, s);
    ck_assert(hv.ncalls == 1 && shape(0, 24, 1, 0) && op_is(0, 24, INVLPG_AT(0), 24));
    ck_assert(stats()->page_invals == 24 && stats()->merges == 0);
    for (i = 0; i < 24; i++)
        if (i != 15 && i != 16)
            expect_set(i, NEW(i));
    expect_set(16, NEW(16));
    expect_set(15, NEW2(15));
    verify_final(32);
}
END_TEST

/* More than R ranges under T pages: the nearest two merge, the gap pages
 * added to the count; a merge that passes T turns into one INVAL_ALL. */
START_TEST(test_scattered_pages_merge)
{
    lazy_mmu_state_t s;
    size_t i;

    /* R lone pages one apart, then a far one: the nearest pair (the lowest
     * of equals) merges and the far page takes the slot it frees. */
    setup(128);
    map_old(0, 2 * R, 2);
    map_old(100, 101, 1);
    s = lazy_mmu_enter(&ctx);
    remap(0, 2 * R, 2);
    upd(100, NEW(100));
    lazy_mmu_leave(&ctx, s);
    ck_assert(hv.ncalls == 1 && shape(0, R + 1, R, 0) && op_is(0, R + 1, INVLPG_AT(0), 3));
    for (i = 1; i < R - 1; i++)
        ck_assert(op_is(0, R + 1 + i, INVLPG_AT(2 * i + 2), 1));
    ck_assert(op_is(0, 2 * R, INVLPG_AT(100), 1) && invlpg_pages(0) == R + 2);
    ck_assert_uint_eq(stats()->merges, 1);
    verify_final(128);

    /* Pages three apart: past R each new page joins the last range, 3 more
     * pages a time; R + 5 pages are 31 owed, R + 6 would be 34 > T. */
    for (i = 0; i < 2; i++) {
        size_t n = R + 5 + i, j;
        setup(3 * n);
        map_old(0, 3 * n, 3);
        section_remap(0, 3 * n, 3);
        ck_assert_uint_eq(hv.ncalls, 1);
        if (i == 1) {
            ck_assert(shape(0, n, 0, 1) && stats()->page_invals == 0);
        } else {
            ck_assert(shape(0, n, R, 0) && invlpg_pages(0) == 31 && stats()->merges == 5);
            for (j = 0; j < R - 1; j++)
                ck_assert(op_is(0, n + j, INVLPG_AT(3 * j), 1));
            ck_assert(op_is(0, n + R - 1, INVLPG_AT(3 * (R - 1)), 16));
        }
        verify_final(3 * n);
    }
}
END_TEST

START_TEST(test_above_threshold_one_inval_all)
{
    lazy_mmu_state_t s;

    setup(200 + T + 6);
    changed_behind(0, T + 1, 1);
    section_inval(0, T, 1); /* exactly T pages: still by address */
    ck_assert(hv.ncalls == 1 && shape(0, 0, 1, 0) && op_is(0, 0, INVLPG_AT(0), T));
    ck_assert(lazy_mmu_sim_access(&sim, TEST_VA(T)) == OLD(T)); /* T pages, not T + 1 */
    section_inval(0, T + 1, 1);
    ck_assert(hv.ncalls == 2 && shape(1, 0, 0, 1) && op_is(1, 0, INVAL_ALL, 0));
    /* Updates and a request adding up to T + 1 pages: SETs, then INVAL_ALL. */
    map_old(100, 120, 1);
    changed_behind(150, 150 + T - 19, 1);
    s = lazy_mmu_enter(&ctx);
    remap(100, 120, 1);
    lazy_mmu_invalidate_range(&ctx, TEST_VA(150), TEST_VA(150 + T - 19));
    lazy_mmu_leave(&ctx, s);
    ck_assert(hv.ncalls == 3 && shape(2, 20, 0, 1) && op_is(2, 20, INVAL_ALL, 0));
    /* A run that outgrows T by joining requests: one INVAL_ALL as well. */
    changed_behind(200, 200 + T + 6, 1);
    s = lazy_mmu_enter(&ctx);
    lazy_mmu_invalidate_range(&ctx, TEST_VA(200), TEST_VA(220));
    lazy_mmu_invalidate_range(&ctx, TEST_VA(220), TEST_VA(200 + T + 6));
    lazy_mmu_leave(&ctx, s);
    ck_assert(hv.ncalls == 4 && shape(3, 0, 0, 1));
    /* A page owed again adds nothing, also to a batch of exactly T pages
     * (the first B of them sent early): T pages stay by address. */
    map_old(0, T, 1);
    s = lazy_mmu_enter(&ctx);
    remap(0, T, 1);
    upd(0, NEW2(0));
    lazy_mmu_leave(&ctx, s);
    ck_assert(hv.ncalls == 6 && shape(4, B, 0, 0) && shape(5, T - B + 1, 1, 0));
    ck_assert(op_is(5, T - B + 1, INVLPG_AT(0), T));
    changed_behind(0, T, 1);
    section_inval(0, T, 2); /* the second request names pages already owed */
    ck_assert(hv.ncalls == 7 && shape(6, 0, 1, 0) && op_is(6, 0, INVLPG_AT(0), T));
    verify_final(200 + T + 6);
}
END_TEST

START_TEST(test_invalidation_requests_travel_in_the_batch)
{
    lazy_mmu_state_t s;

    setup(32);
    map_old(0, 16, 1);
    changed_behind(3, 4, 1);
    changed_behind(10, 14, 1);
    s = lazy_mmu_enter(&ctx);
    upd(20, NEW(20));
    lazy_mmu_invalidate_page(&ctx, TEST_VA(3));
    lazy_mmu_invalidate_range(&ctx, TEST_VA(10) + 5, TEST_VA(13) + 1);
    ck_assert_uint_eq(hv.ncalls, 0);
    ck_assert(lazy_mmu_sim_access(&sim, TEST_VA(3)) == OLD(3)); /* deferred */
    lazy_mmu_leave(&ctx, s);
    ck_assert(hv.ncalls == 1 && shape(0, 1, 2, 0) && op_is(0, 0, PTR(20), NEW(20)));
    ck_assert(op_is(0, 1, INVLPG_AT(3), 1) && op_is(0, 2, INVLPG_AT(10), 4));
    changed_behind(5, 6, 1);
    s = lazy_mmu_enter(&ctx);
    upd(21, NEW(21));
    lazy_mmu_invalidate_all(&ctx);
    ck_assert_uint_eq(hv.ncalls, 1);
    lazy_mmu_leave(&ctx, s);
    ck_assert(shape(1, 1, 0, 1) && op_is(1, 1, INVAL_ALL, 0));
    changed_behind(6, 7, 1); /* outside a section: at once */
    lazy_mmu_invalidate_range(&ctx, TEST_VA(6), TEST_VA(7));
    ck_assert(hv.ncalls == 3 && shape(2, 0, 1, 0) && op_is(2, 0, INVLPG_AT(6), 1));
    ck_assert(lazy_mmu_sim_access(&sim, TEST_VA(6)) == NEW(6));
    changed_behind(7, 8, 1);
    lazy_mmu_invalidate_all(&ctx);
    ck_assert(hv.ncalls == 4 && shape(3, 0, 0, 1));
    verify_final(32);
}
END_TEST

/* ---- long sections: early sends carry no invalidation ---- */

/* 4096 remaps, in order (_i == 0) or scattered (_i == 1: stride 33, every
 * page once): ceil(4096 / B) calls, the last one ends in the only
 * invalidation op of the section. */
START_TEST(test_long_section_one_inval_all)
{
    const size_t n = PAGES;
    lazy_mmu_state_t s;
    size_t j;
    unsigned calls = (unsigned)((n + B - 1) / B);

    setup(n);
    map_old(0, n, 1);
    s = lazy_mmu_enter(&ctx);
    for (j = 0; j < n; j++) {
        size_t i = _i ? j * 33 % n : j;
        upd(i, NEW(i));
        ck_assert_uint_eq(hv.ncalls, j / B);
    }
    lazy_mmu_leave(&ctx, s);
    ck_assert_uint_eq(hv.ncalls, calls);
    early_calls(calls - 1);
    ck_assert(shape(calls - 1, n - (size_t)(calls - 1) * B, 0, 1));
    ck_assert(stats()->full_invals == 1 && stats()->page_invals == 0);
    verify_final(n);
}
END_TEST

/* A page updated again after its first SET went out early is owed once:
 * the early call leaves the old translation cached, the last call drops it. */
START_TEST(test_page_across_an_early_send_invalidated_once)
{
    lazy_mmu_state_t s;
    size_t i;

    setup(B + 2);
    map_old(0, B, 1);
    s = lazy_mmu_enter(&ctx);
    remap(0, B + 1, 1); /* entry B is fresh: the queue's B SETs go early */
    ck_assert(hv.ncalls == 1 && shape(0, B, 0, 0) && stats()->early_flushes == 1);
    ck_assert(sim.pt[0] == NEW(0) && lazy_mmu_sim_access(&sim, TEST_VA(0)) == OLD(0));
    upd(0, NEW2(0));
    lazy_mmu_leave(&ctx, s);
    ck_assert(hv.ncalls == 2 && shape(1, 2, 1, 0) && op_is(1, 0, PTR(B), NEW(B)));
    ck_assert(op_is(1, 1, PTR(0), NEW2(0)) && op_is(1, 2, INVLPG_AT(0), B));
    for (i = 0; i <= B; i++)
        ck_assert_uint_eq(named(0, 2, i), i < B);
    ck_assert_uint_eq(stats()->page_invals, B);
    verify_final(B + 2);
}
END_TEST

/* ---- partial failure ---- */

START_TEST(test_fail_at_flush)
{
    lazy_mmu_state_t s = full_call_section(2 * B);
    flush_fails_then_leave(s, (size_t)_i, B + R, 2 * B);
    ck_assert(shape(0, B, R, 0));
}
END_TEST

/* The outermost leave fails: the section is over, the rest is still queued,
 * and whatever publishes next sends it first -- an eager update of a fresh
 * entry (odd k) or an empty section's leave (even k). */
START_TEST(test_fail_at_leave)
{
    size_t k = (size_t)_i;
    lazy_mmu_state_t s = full_call_section(2 * B + 2);

    arm(0, k);
    lazy_mmu_leave(&ctx, s);
    ck_assert(hv.ncalls == 1 && shape(0, B, R, 0) && !lazy_mmu_is_active(&ctx));
    check_failed(0, k);
    if (k % 2)
        upd(2 * B, NEW(2 * B));
    else
        lazy_mmu_leave(&ctx, lazy_mmu_enter(&ctx));
    ck_assert_uint_eq(hv.ncalls, 2);
    check_resend(0, k, true);
    verify_final(2 * B + 2);
}
END_TEST

/* The early send of a full queue (B SETs, nothing else) stops at op k of
 * call c; the section carries on, its later updates queue behind the kept
 * ones, and every call but the last is again B SETs alone.  _i < B: call 0
 * at k = _i, else call 1 at k = _i - B + 1.  At k = 0 nothing was applied,
 * the queue has no room for the update that forced the send: a panic. */
START_TEST(test_fail_at_early_send)
{
    const size_t n = 2 * B + 4; /* every other page: the batch ends in INVAL_ALL */
    unsigned c = _i >= B, last;
    size_t k = c ? (size_t)_i - B + 1 : (size_t)_i, sent;
    lazy_mmu_state_t s;

    if (k == 0)
        test_expected_panic = "write queue still full after a failed commit";
    setup(2 * n);
    map_old(0, 2 * n, 2);
    s = lazy_mmu_enter(&ctx);
    arm(c, k);
    remap(0, 2 * n, 2);
    ck_assert(k != 0);
    lazy_mmu_leave(&ctx, s);
    sent = n + B - k; /* SET ops over all calls: the kept ones go twice */
    last = (unsigned)((sent + B - 1) / B) - 1;
    ck_assert_uint_eq(hv.ncalls, last + 1);
    early_calls(last);
    ck_assert(shape(last, sent - (size_t)last * B, 0, 1));
    c = _i >= B;
    check_failed(c, k);
    check_resend(c, k, false);
    verify_final(2 * n);
}
END_TEST

/* A failed early send keeps its unapplied SETs, which later rewrites still
 * replace, and the pages of all its SETs, applied or not: the visibility
 * point invalidates every page owed.  k runs over 2 .. B - 1 (at 1 the kept
 * SETs and the new one fill the queue again: test_fail_at_early_send). */
START_TEST(test_failed_early_send_keeps_its_work)
{
    size_t k = (size_t)_i, i, at;
    lazy_mmu_state_t s;

    setup(B + 8);
    map_old(0, B + 1, 4); /* 9 valid entries among B + 1 */
    s = lazy_mmu_enter(&ctx);
    for (i = 0; i < B; i++)
        put(i, NEW(i));
    arm(0, k);
    put(B, NEW(B));
    ck_assert(hv.ncalls == 1 && shape(0, B, 0, 0) && stats()->early_flushes == 1);
    check_failed(0, k);
    /* applied, its old translation still cached: the batch owes it */
    ck_assert(sim.pt[0] == NEW(0) && lazy_mmu_sim_access(&sim, TEST_VA(0)) == OLD(0));
    put(0, NEW2(0));         /* applied, rewritten */
    put(B - 1, NEW2(B - 1)); /* kept, rewritten: its kept SET goes */
    for (i = k; i < B - 1; i++)
        ck_assert(lazy_mmu_get_pte(&ctx, &sim.pt[i]) == NEW(i) && sim.pt[i] != NEW(i));
    lazy_mmu_leave(&ctx, s);
    ck_assert(hv.ncalls == 2 && shape(1, B - k + 2, 9, 0));
    for (i = k, at = 0; i < B - 1; i++)
        ck_assert(op_is(1, at++, PTR(i), NEW(i)));
    ck_assert(op_is(1, at, PTR(B), NEW(B)) && op_is(1, at + 1, PTR(0), NEW2(0)) &&
              op_is(1, at + 2, PTR(B - 1), NEW2(B - 1)));
    for (i = 0; i < 9; i++)
        ck_assert(op_is(1, at + 3 + i, INVLPG_AT(4 * i), 1));
    for (i = 0; i <= B; i++)
        if (i != B - 1)
            expect_set(i, NEW(i));
    expect_set(0, NEW2(0));
    expect_set(B - 1, NEW2(B - 1));
    verify_final(B + 8);
}
END_TEST

/* Invalidation requests for lone pages past R: merged ranges (one of three
 * pages) after 8 SETs of fresh entries; op _i fails. */
START_TEST(test_fail_with_merged_ranges)
{
    lazy_mmu_state_t s;
    size_t i;

    setup(48);
    changed_behind(0, 2 * R + 1, 2);
    s = lazy_mmu_enter(&ctx);
    remap(40, 48, 1);
    for (i = 0; i <= 2 * R; i += 2)
        lazy_mmu_invalidate_page(&ctx, TEST_VA(i));
    ck_assert_uint_eq(hv.ncalls, 0);
    flush_fails_then_leave(s, (size_t)_i, 8 + R, 48);
    ck_assert(shape(0, 8, R, 0) && op_is(0, 8 + R - 1, INVLPG_AT(2 * R - 2), 3));
}
END_TEST

/* The failing op may be the INVAL_ALL that stands for more than T pages. */
START_TEST(test_fail_with_inval_all)
{
    lazy_mmu_state_t s;

    setup(B + T + 1);
    map_old(0, B, 1);
    changed_behind(B, B + T + 1, 1);
    s = lazy_mmu_enter(&ctx);
    remap(0, B, 1);
    lazy_mmu_invalidate_range(&ctx, TEST_VA(B), TEST_VA(B + T + 1));
    flush_fails_then_leave(s, (size_t)_i, B + 1, B + T + 1);
    ck_assert(op_is(0, B, INVAL_ALL, 0));
}
END_TEST

/* Rewrites move entries within the queue; the failing index counts ops of
 * the call, so what is kept is the call's tail whatever moved. */
START_TEST(test_fail_with_rewrites)
{
    const size_t n = B / 2;
    size_t i;
    lazy_mmu_state_t s;

    setup(n);
    map_old(0, n, 1);
    s = lazy_mmu_enter(&ctx);
    for (i = 0; i < n; i++)
        put(i, NEW(i));
    for (i = 0; i < n; i += 5)
        put(i, NEW2(i));
    for (i = 0; i < n; i++)
        if (i % 5)
            expect_set(i, NEW(i));
    for (i = 0; i < n; i += 5)
        expect_set(i, NEW2(i));
    flush_fails_then_leave(s, (size_t)_i, n + 1, n); /* superseded SETs: never sent */
}
END_TEST

/* The re-sent call fails as well (a hypervisor that keeps refusing): every
 * failure reaches the hook, and the third call still lands the rest once. */
START_TEST(test_fail_twice)
{
    lazy_mmu_state_t s = full_call_section(2 * B);

    arm(0, 5);
    lazy_mmu_flush(&ctx);
    check_failed(0, 5);
    arm(0, 3);
    lazy_mmu_flush(&ctx);
    check_failed(1, 3);
    check_resend(0, 5, true);
    lazy_mmu_leave(&ctx, s);
    ck_assert(hv.ncalls == 3 && shape(2, B - 8, R, 0));
    check_resend(1, 3, true);
    verify_final(2 * B);
}
END_TEST

Suite *SUITE_FN(paravirt)(void)
{
    Suite *s = suite_create("paravirt");
    TCase *tc = tcase_create("paravirt-batching");

    tcase_add_loop_test(tc, test_batch_boundaries, 0, 3 * 4);
    tcase_add_test(tc, test_eager_one_call_per_update);
    tcase_add_test(tc, test_visibility_points_mid_batch);
    tcase_add_test(tc, test_read_your_writes);
    tcase_add_test(tc, test_rewrite_in_a_full_queue);
    tcase_add_loop_test(tc, test_entry_under_two_vas, 0, 3);
    tcase_add_test(tc, test_runs_become_one_invlpg);
    tcase_add_test(tc, test_touching_runs_join);
    tcase_add_test(tc, test_scattered_pages_merge);
    tcase_add_test(tc, test_above_threshold_one_inval_all);
    tcase_add_test(tc, test_invalidation_requests_travel_in_the_batch);
    tcase_add_loop_test(tc, test_long_section_one_inval_all, 0, 2);
    tcase_add_test(tc, test_page_across_an_early_send_invalidated_once);
    suite_add_tcase(s, tc);

    tc = tcase_create("paravirt-partial-failure");
    tcase_add_loop_test(tc, test_fail_at_flush, 0, B + R);
    tcase_add_loop_test(tc, test_fail_at_leave, 0, B + R);
    tcase_add_loop_exit_test(tc, test_fail_at_early_send, PANIC_EXPECTED, 0, 1);
    tcase_add_loop_test(tc, test_fail_at_early_send, 1, 2 * B - 1);
    tcase_add_loop_test(tc, test_failed_early_send_keeps_its_work, 2, B);
    tcase_add_loop_test(tc, test_fail_with_merged_ranges, 0, 8 + R);
    tcase_add_loop_test(tc, test_fail_with_inval_all, 0, B + 1);
    tcase_add_loop_test(tc, test_fail_with_rewrites, 0, B / 2 + 1);
    tcase_add_test(tc, test_fail_twice);
    suite_add_tcase(s, tc);
    return s;
}
