/* tests/pv_fake.h - the fake hypervisor, its call log and the test helpers
 * of tests/test_paravirt.c (included by that file only: the fake is wired in
 * as LAZY_MMU_PARAVIRT_COMMIT before lazymmu.h is included). */
#ifndef LAZYMMU_TEST_PV_FAKE_H
#define LAZYMMU_TEST_PV_FAKE_H

/* The simulator's own hypercall applies ops but keeps no record, so it cannot
 * tell "the right updates" from "the right updates, one of them twice".  This
 * hypervisor logs every call and op, checks the interface of
 * arch/paravirt/types.h on every call, applies ops to the simulated page
 * tables and TLB as a real one would, and can be told to stop at op k of call
 * c.  Built for the paravirt configuration only (SUITE_CONFIGS_paravirt).
 */
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* lazymmu.h expands both hooks inside its own functions, so they must be
 * declared before harness.h includes it. */
struct lazy_mmu;
struct lazy_mmu_paravirt_op;
static size_t fake_commit(void *hv, const struct lazy_mmu_paravirt_op *ops, size_t n);
static void fake_error(struct lazy_mmu *m, size_t index, const struct lazy_mmu_paravirt_op *op);
#define LAZY_MMU_PARAVIRT_COMMIT fake_commit
#define LAZY_MMU_PARAVIRT_ERROR(m, index, op) fake_error((m), (index), (op))
#include "harness.h"

#ifndef LAZY_MMU_ARCH_PARAVIRT
#error "tests/test_paravirt.c is only meaningful on the paravirt backend"
#endif

#define B LAZY_MMU_PARAVIRT_QUEUE_MAX /* SETs per call */
#define R LAZY_MMU_BATCH_MAX /* pending ranges: INVLPG ops per call */
#define T LAZY_MMU_FLUSH_ALL_THRESHOLD
#define PAGES 4096 /* a long section: ceil(PAGES / B) calls */
#define LOG_MAX 8192
#define CALLS_MAX 512
#define SET LAZY_MMU_PARAVIRT_SET
#define INVLPG LAZY_MMU_PARAVIRT_INVLPG
#define INVAL_ALL LAZY_MMU_PARAVIRT_INVAL_ALL
#define CMD(op) ((op)->ptr & LAZY_MMU_PARAVIRT_CMD_MASK)
#define ARG(op) ((op)->ptr & ~(uint64_t)LAZY_MMU_PARAVIRT_CMD_MASK)
#define PTR(i) ((uint64_t)(uintptr_t)&sim.pt[i])    /* a SET's ptr */
#define INVLPG_AT(i) ((uint64_t)TEST_VA(i) | INVLPG) /* an INVLPG's ptr */

/* Distinct frames per generation, so an entry still holding an older value
 * can never pass for the newer one. */
#define OLD(i) test_pte(0x1000u + (i))
#define NEW(i) test_pte(0x2000u + (i))
#define NEW2(i) test_pte(0x3000u + (i))
#define NEW3(i) test_pte(0x4000u + (i))

struct logged {
    struct lazy_mmu_paravirt_op op;
    unsigned call;
    bool applied;
};

static struct {
    unsigned ncalls;
    size_t nlog, first[CALLS_MAX], nops[CALLS_MAX]; /* call c: log[first[c]..+nops[c]) */
    struct logged log[LOG_MAX];
    unsigned fail_call, armed; /* stop call fail_call at op fail_op; failures asked for */
    size_t fail_op;
    const struct lazy_mmu_paravirt_op *ops; /* the array the last call was given */
    const char *bad;                  /* the first interface rule broken, in bad_call */
    unsigned bad_call, nerrors, err_call; /* and what the error hook saw last */
    size_t err_index;
    bool err_ptr_ok, err_ops_ok, err_state_ok;
} hv;

static struct lazy_mmu_sim sim;
static struct lazy_mmu ctx;
static lazy_mmu_pte_t model[PAGES];           /* what every entry must hold in the end */
static struct lazy_mmu_paravirt_op expect[LOG_MAX]; /* the SETs to be applied, in order */
static size_t nexpect;

/* ---- the fake hypervisor ---- */

/* A hypervisor only writes entries of the guest's own page tables: the index
 * in sim.pt[] of the entry at address a, or PAGES when a names none. */
static size_t entry_index(uint64_t a)
{
    uintptr_t p = (uintptr_t)a, base = (uintptr_t)sim.pt;

    if (p < base || p - base >= sim.npages * sizeof(lazy_mmu_pte_t) ||
        (p - base) % sizeof(lazy_mmu_pte_t) != 0)
        return PAGES;
    return (p - base) / sizeof(lazy_mmu_pte_t);
}

/* Does the invalidation op drop the translation of va? */
static bool names(const struct lazy_mmu_paravirt_op *op, uint64_t va)
{
    return CMD(op) == INVAL_ALL || (CMD(op) == INVLPG && va >= ARG(op) &&
                                    ((va - ARG(op)) >> LAZY_MMU_PAGE_SHIFT) < op->val);
}

static void broken(const char *why)
{
    if (!hv.bad) {
        hv.bad = why;
        hv.bad_call = hv.ncalls - 1;
    }
}

/* Every op is checked against the rules of arch/paravirt/types.h, even those
 * after a failure; ops are applied in order up to the first failing one.
 * INVLPGs must also come as the batch keeps its pages: ascending, apart (a
 * page named twice in a call, or two touching ranges, is a lost merge). */
static size_t fake_commit(void *handle, const struct lazy_mmu_paravirt_op *ops, size_t n)
{
    unsigned call = hv.ncalls++;
    size_t k, j, i, done = n, cnt[3] = {0, 0, 0};
    uint64_t after = 0; /* the page after the previous INVLPG */

    hv.ops = ops;
    if (handle != (void *)&hv || n == 0 || n > B + R)
        broken("a foreign handle, or no ops, or more than B + R ops");
    if (call >= CALLS_MAX || n > LOG_MAX - hv.nlog) {
        broken("the fake hypervisor's log is full");
        return n;
    }
    hv.first[call] = hv.nlog;
    hv.nops[call] = n;
    for (k = 0; k < n; k++) {
        const struct lazy_mmu_paravirt_op *op = &ops[k];
        uint64_t cmd = CMD(op);
        bool ok = cmd <= INVAL_ALL && (cmd != SET || entry_index(op->ptr) != PAGES);

        if (!ok || (cmd == SET && (cnt[INVLPG] || cnt[INVAL_ALL])))
            broken("an unknown command, a SET of a non-entry, or a SET after an invalidation");
        if ((cmd == INVLPG && (op->val == 0 || (ARG(op) & (LAZY_MMU_PAGE_SIZE - 1)))) ||
            (cmd == INVAL_ALL && (op->ptr != INVAL_ALL || op->val != 0)))
            broken("an INVLPG of 0 pages or of an unaligned address, or a malformed INVAL_ALL");
        if (cmd == INVLPG && cnt[INVLPG] && ARG(op) <= after)
            broken("INVLPGs out of order, overlapping or touching");
        if (cmd == INVLPG)
            after = ARG(op) + (op->val << LAZY_MMU_PAGE_SHIFT);
        for (j = 0; cmd == SET && j < k; j++)
            if (ops[j].ptr == op->ptr)
                broken("two SETs of one entry in one call (a superseded write was sent)");
        cnt[ok ? cmd : SET]++;
        hv.log[hv.nlog].op = *op;
        hv.log[hv.nlog].call = call;
        hv.log[hv.nlog].applied = false;
        if (done == n && ((call == hv.fail_call && k == hv.fail_op) || !ok))
            done = k; /* a hypervisor stops at the first op it cannot apply */
        if (done < n) {
            hv.nlog++;
            continue;
        }
        hv.log[hv.nlog++].applied = true;
        if (cmd == SET)
            sim.pt[entry_index(op->ptr)] = sim.walk[entry_index(op->ptr)] = op->val;
        for (i = 0; cmd != SET && i < sim.npages; i++)
            if (names(op, TEST_VA(i)))
                lazy_mmu__sim_drop_on(&sim, i, true); /* every vCPU: the hypervisor's job */
    }
    if (cnt[SET] > B || cnt[INVLPG] > R || cnt[INVAL_ALL] > 1 || (cnt[INVAL_ALL] && cnt[INVLPG]))
        broken("more than B SETs or R INVLPGs, or INVAL_ALL with other invalidations");
    return done;
}

static size_t call_n(unsigned c)
{
    ck_assert_uint_lt(c, hv.ncalls);
    return hv.nops[c];
}

static const struct lazy_mmu_paravirt_op *call_op(unsigned c, size_t j)
{
    ck_assert_uint_lt(j, call_n(c));
    return &hv.log[hv.first[c] + j].op;
}

static bool op_is(unsigned c, size_t j, uint64_t ptr, uint64_t val)
{
    return call_op(c, j)->ptr == ptr && call_op(c, j)->val == val;
}

/* Call c carries exactly these numbers of SETs, INVLPGs and INVAL_ALLs. */
static bool shape(unsigned c, size_t sets, size_t invlpgs, size_t alls)
{
    size_t j, n[3] = {0, 0, 0};
    for (j = 0; j < call_n(c); j++)
        n[CMD(call_op(c, j)) < 3 ? CMD(call_op(c, j)) : 0] += 1;
    return call_n(c) == sets + invlpgs + alls && n[SET] == sets && n[INVLPG] == invlpgs &&
           n[INVAL_ALL] == alls;
}

/* Calls 0 .. n - 1 were sent by a full queue: B SETs, nothing else. */
static void early_calls(unsigned n)
{
    unsigned c;
    for (c = 0; c < n; c++)
        ck_assert_msg(shape(c, B, 0, 0), "call %u is not B SETs alone", c);
    ck_assert_uint_eq(lazy_mmu_get_stats(&ctx)->early_flushes, n);
}

/* Invalidation ops of calls [from, to) that name page i. */
static unsigned named(unsigned from, unsigned to, size_t i)
{
    unsigned c, hits = 0;
    size_t j;
    for (c = from; c < to; c++)
        for (j = 0; j < call_n(c); j++)
            hits += CMD(call_op(c, j)) != SET && names(call_op(c, j), TEST_VA(i));
    return hits;
}

/* Pages the INVLPG ops of call c name, all told. */
static uint64_t invlpg_pages(unsigned c)
{
    uint64_t pages = 0;
    size_t j;
    for (j = 0; j < call_n(c); j++)
        pages += CMD(call_op(c, j)) == INVLPG ? call_op(c, j)->val : 0;
    return pages;
}

/* After call c stopped at op k: its SETs before k are in the page tables,
 * the others are not, and lazy_mmu_get_pte still sees those as written. */
static bool failed_state_ok(unsigned c, size_t k)
{
    size_t j, i;
    for (j = 0; j < hv.nops[c]; j++) {
        const struct lazy_mmu_paravirt_op *op = &hv.log[hv.first[c] + j].op;
        if (CMD(op) != SET)
            continue;
        i = entry_index(op->ptr);
        if (i == PAGES || (j < k ? sim.pt[i] != op->val : sim.pt[i] == op->val) ||
            lazy_mmu_get_pte(&ctx, &sim.pt[i]) != op->val)
            return false;
    }
    return true;
}

/* The embedder's LAZY_MMU_PARAVIRT_ERROR.  It judges the state here, when control
 * comes back to the embedder: later updates of the same section may re-send
 * the rest before the test body looks again.  The array the call was given
 * must still hold what was sent: the applied SETs leave the queue (and the
 * rest move down) only after the hook returns. */
static void fake_error(struct lazy_mmu *m, size_t index, const struct lazy_mmu_paravirt_op *op)
{
    unsigned c = hv.ncalls - 1;
    size_t j;

    hv.nerrors++;
    hv.err_call = c;
    hv.err_index = index;
    hv.err_ptr_ok = m == &ctx && op == hv.ops + index;
    hv.err_ops_ok = c < CALLS_MAX;
    for (j = 0; hv.err_ops_ok && j < hv.nops[c]; j++)
        hv.err_ops_ok = memcmp(&hv.ops[j], &hv.log[hv.first[c] + j].op, sizeof *op) == 0;
    hv.err_state_ok = c < CALLS_MAX && failed_state_ok(c, index);
}

/* ---- test helpers ---- */

static const struct lazy_mmu_stats *stats(void)
{
    return lazy_mmu_get_stats(&ctx);
}

static void setup(size_t npages)
{
    ck_assert_uint_le(npages, PAGES);
    lazy_mmu_sim_init(&sim, TEST_BASE, npages);
    memset(&hv, 0, sizeof hv);
    hv.fail_call = UINT_MAX;
    lazy_mmu_init(&ctx);
    lazy_mmu_sim_attach(&ctx, &sim);
    lazy_mmu_paravirt_set_hypervisor(&ctx, &hv); /* attach pointed it at the sim */
    memset(model, 0, sizeof model);
    nexpect = 0;
}

/* Entries mapped before the test, their translations cached in the TLB so
 * that a missing invalidation later shows as a stale access. */
static void map_old(size_t from, size_t to, size_t stride)
{
    for (; from < to; from += stride) {
        lazy_mmu_sim_poke(&sim, TEST_VA(from), model[from] = OLD(from));
        (void)lazy_mmu_sim_access(&sim, TEST_VA(from));
    }
}

/* ... then changed by other means: memory is NEW, the TLB keeps OLD. */
static void changed_behind(size_t from, size_t to, size_t stride)
{
    map_old(from, to, stride);
    for (; from < to; from += stride)
        lazy_mmu_sim_poke(&sim, TEST_VA(from), model[from] = NEW(from));
}

static void expect_set(size_t i, lazy_mmu_pte_t pte)
{
    expect[nexpect].ptr = PTR(i);
    expect[nexpect++].val = pte;
}

/* An update that a later one may supersede: the test states its SETs. */
static void put(size_t i, lazy_mmu_pte_t pte)
{
    lazy_mmu_set_pte(&ctx, &sim.pt[i], pte, TEST_VA(i));
    model[i] = pte;
}

/* Updates whose SETs are expected at the hypervisor, in program order. */
static void upd(size_t i, lazy_mmu_pte_t pte)
{
    put(i, pte);
    expect_set(i, pte);
}

static void remap(size_t from, size_t to, size_t stride)
{
    for (; from < to; from += stride)
        upd(from, NEW(from));
}

/* A section of nothing but remap(from, to, stride), left. */
static void section_remap(size_t from, size_t to, size_t stride)
{
    lazy_mmu_state_t s = lazy_mmu_enter(&ctx);
    remap(from, to, stride);
    lazy_mmu_leave(&ctx, s);
}

/* A section of nothing but requests for pages [from, to), each repeated. */
static void section_inval(size_t from, size_t to, unsigned times)
{
    lazy_mmu_state_t s = lazy_mmu_enter(&ctx);
    while (times--)
        lazy_mmu_invalidate_range(&ctx, TEST_VA(from), TEST_VA(to));
    lazy_mmu_leave(&ctx, s);
}

static void arm(unsigned calls_from_now, size_t k)
{
    hv.fail_call = hv.ncalls + calls_from_now;
    hv.fail_op = k;
    hv.armed++;
}

/* The end of every test: the interface was kept, every failure asked for
 * reached the hook, every SET applied is the next expected one (nothing
 * lost, twice or out of order), memory equals the model, nothing is stale. */
static void verify_final(size_t npages)
{
    size_t i, e = 0;

    ck_assert_msg(hv.bad == NULL, "hypercall %u: %s", hv.bad_call, hv.bad);
    ck_assert_msg(sim.violation == NULL, "%s", sim.violation);
    ck_assert_uint_eq(hv.nerrors, hv.armed);
    for (i = 0; i < hv.nlog; i++) {
        const struct logged *l = &hv.log[i];
        if (!l->applied || CMD(&l->op) != SET)
            continue;
        ck_assert_msg(e < nexpect && l->op.ptr == expect[e].ptr && l->op.val == expect[e].val,
                      "applied SET #%zu (call %u) of entry %zu := %#llx is not the next expected",
                      e, l->call, entry_index(l->op.ptr), (unsigned long long)l->op.val);
        e++;
    }
    ck_assert_msg(e == nexpect, "%zu of %zu updates were applied", e, nexpect);
    ck_assert_uint_eq(lazy_mmu_sim_stale(&sim), 0);
    for (i = 0; i < npages; i++) {
        ck_assert_msg(sim.pt[i] == model[i], "entry %zu is %#llx, want %#llx", i,
                      (unsigned long long)sim.pt[i], (unsigned long long)model[i]);
        ck_assert(lazy_mmu_get_pte(&ctx, &sim.pt[i]) == model[i]);
        ck_assert(lazy_mmu_sim_access(&sim, TEST_VA(i)) ==
                  (lazy_mmu__arch_pte_valid(model[i]) ? model[i] : 0));
    }
    ck_assert_uint_eq(lazy_mmu_get_stats(&ctx)->hypercalls, hv.ncalls);
}

/* ---- partial failure ---- */

/* Call c stopped at op k: the hook ran at once, with k and &ops[k] of the
 * array as sent, and saw the unapplied SETs still queued. */
static void check_failed(unsigned c, size_t k)
{
    ck_assert_msg(hv.bad == NULL, "hypercall %u: %s", hv.bad_call, hv.bad);
    ck_assert(hv.nerrors == hv.armed && hv.err_call == c && hv.err_index == k);
    ck_assert_msg(hv.err_ptr_ok, "the hook was not given the context and &ops[index]");
    ck_assert_msg(hv.err_ops_ok, "at the hook the array no longer holds the ops as sent");
    ck_assert_msg(hv.err_state_ok, "at the hook: applied/unapplied/get_pte disagree");
    if (hv.ncalls == c + 1) /* nothing has happened since the hook */
        ck_assert(failed_state_ok(c, k));
}

/* Ops before the first invalidation op of call c: its SETs. */
static size_t sets_of(unsigned c)
{
    size_t j = 0;
    while (j < call_n(c) && CMD(call_op(c, j)) == SET)
        j++;
    return j;
}

/* The call after failed call c starts with exactly c's unapplied SETs, in
 * order, and names every page that any of c's invalidation ops named,
 * applied or not: the batch is kept whole.  `same`: nothing owed was added
 * since, so its invalidation ops are c's, op for op. */
static void check_resend(unsigned c, size_t k, bool same)
{
    size_t j, s = 0, i, inv = call_n(c) - sets_of(c);

    ck_assert_uint_gt(hv.ncalls, c + 1);
    for (j = k; j < sets_of(c); j++, s++)
        ck_assert_msg(s < call_n(c + 1) && op_is(c + 1, s, call_op(c, j)->ptr, call_op(c, j)->val),
                      "op %zu of call %u is not re-sent as op %zu of call %u", j, c, s, c + 1);
    for (i = 0; i < sim.npages; i++)
        ck_assert_msg(!named(c, c + 1, i) || named(c + 1, c + 2, i), "page %zu: invalidation lost",
                      i);
    ck_assert(!same || call_n(c + 1) - sets_of(c + 1) == inv);
    for (j = 0; same && j < inv; j++) {
        const struct lazy_mmu_paravirt_op *op = call_op(c, call_n(c) - inv + j);
        ck_assert(op_is(c + 1, sets_of(c + 1) + j, op->ptr, op->val));
    }
}

/* The largest call: B SETs and R one-page INVLPGs (every other update's
 * entry was valid). */
static lazy_mmu_state_t full_call_section(size_t npages)
{
    lazy_mmu_state_t s;

    setup(npages);
    map_old(0, 2 * B, 4);
    s = lazy_mmu_enter(&ctx);
    remap(0, 2 * B, 2);
    return s;
}

/* A flush in section s is call 0 and stops at op k of nops; leaving s
 * re-sends the rest and the whole batch. */
static void flush_fails_then_leave(lazy_mmu_state_t s, size_t k, size_t nops, size_t npages)
{
    arm(0, k);
    lazy_mmu_flush(&ctx);
    ck_assert(hv.ncalls == 1 && call_n(0) == nops);
    check_failed(0, k);
    lazy_mmu_leave(&ctx, s);
    ck_assert_uint_eq(hv.ncalls, 2);
    check_resend(0, k, true);
    verify_final(npages);
}

#endif
