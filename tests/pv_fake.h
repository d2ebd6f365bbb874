/* tests/pv_fake.h - the fake hypervisor, its call log and the test helpers
 * of tests/test_paravirt.c (included by that file only: the fake is wired in
 * as LAZY_MMU_PV_COMMIT before lazymmu.h is included). */
#ifndef LAZYMMU_TEST_PV_FAKE_H
#define LAZYMMU_TEST_PV_FAKE_H

/* tests/test_paravirt.c - the paravirt backend against a fake hypervisor.
 *
 * The simulator's own hypercall applies ops but keeps no record, so it cannot
 * tell "the right updates" from "the right updates, one of them twice".  The
 * hypervisor here logs every call and op, checks the interface of
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
struct lazy_mmu_pv_op;
static size_t fake_commit(void *hv, const struct lazy_mmu_pv_op *ops, size_t n);
static void fake_error(struct lazy_mmu *m, size_t index, const struct lazy_mmu_pv_op *op);
#define LAZY_MMU_PV_COMMIT fake_commit
#define LAZY_MMU_PV_ERROR(m, index, op) fake_error((m), (index), (op))
#include "harness.h"

#ifndef LAZY_MMU_ARCH_PARAVIRT
#error "tests/test_paravirt.c is only meaningful on the paravirt backend"
#endif

#define B LAZY_MMU_BATCH_MAX
#define T LAZY_MMU_FLUSH_ALL_THRESHOLD
#define PAGES 1024
#define LOG_MAX 4096
#define CALLS_MAX 512
#define SET LAZY_MMU_PV_SET
#define INVLPG LAZY_MMU_PV_INVLPG
#define INVAL_ALL LAZY_MMU_PV_INVAL_ALL
#define CMD(op) ((op)->ptr & LAZY_MMU_PV_CMD_MASK)
#define ARG(op) ((op)->ptr & ~(uint64_t)LAZY_MMU_PV_CMD_MASK)
#define PTR(i) ((uint64_t)(uintptr_t)&sim.pt[i])    /* a SET's ptr */
#define INVLPG_AT(i) ((uint64_t)TEST_VA(i) | INVLPG) /* an INVLPG's ptr */

/* Distinct frames per generation, so an entry still holding an older value
 * can never pass for the newer one. */
#define OLD(i) test_pte(0x1000u + (i))
#define NEW(i) test_pte(0x2000u + (i))
#define NEW2(i) test_pte(0x3000u + (i))
#define NEW3(i) test_pte(0x4000u + (i))

struct logged {
    struct lazy_mmu_pv_op op;
    unsigned call;
    bool applied;
};

static struct {
    unsigned ncalls;
    size_t nlog, first[CALLS_MAX], nops[CALLS_MAX]; /* call c: log[first[c]..+nops[c]) */
    struct logged log[LOG_MAX];
    unsigned fail_call, armed; /* stop call fail_call at op fail_op; failures asked for */
    size_t fail_op;
    const struct lazy_mmu_pv_op *ops; /* the array the last call was given */
    const char *bad;                  /* the first interface rule broken, in bad_call */
    unsigned bad_call, nerrors, err_call; /* and what the error hook saw last */
    size_t err_index;
    bool err_ptr_ok, err_state_ok;
} hv;

static struct lazy_mmu_sim sim;
static struct lazy_mmu ctx;
static lazy_mmu_pte_t model[PAGES];           /* what every entry must hold in the end */
static struct lazy_mmu_pv_op expect[LOG_MAX]; /* the SETs to be applied, in order */
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
static bool names(const struct lazy_mmu_pv_op *op, uint64_t va)
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
 * after a failure; ops are applied in order up to the first failing one. */
static size_t fake_commit(void *handle, const struct lazy_mmu_pv_op *ops, size_t n)
{
    unsigned call = hv.ncalls++;
    size_t k, j, i, done = n, cnt[3] = {0, 0, 0};

    hv.ops = ops;
    if (handle != (void *)&hv || n == 0 || n > 2 * B)
        broken("a foreign handle, or no ops, or more than 2 * LAZY_MMU_BATCH_MAX");
    if (call >= CALLS_MAX || n > LOG_MAX - hv.nlog) {
        broken("the fake hypervisor's log is full");
        return n;
    }
    hv.first[call] = hv.nlog;
    hv.nops[call] = n;
    for (k = 0; k < n; k++) {
        const struct lazy_mmu_pv_op *op = &ops[k];
        uint64_t cmd = CMD(op);
        bool ok = cmd <= INVAL_ALL && (cmd != SET || entry_index(op->ptr) != PAGES);

        if (!ok || (cmd == SET && (cnt[INVLPG] || cnt[INVAL_ALL])))
            broken("an unknown command, a SET of a non-entry, or a SET after an invalidation");
        if ((cmd == INVLPG && (op->val == 0 || (ARG(op) & (LAZY_MMU_PAGE_SIZE - 1)))) ||
            (cmd == INVAL_ALL && (op->ptr != INVAL_ALL || op->val != 0)))
            broken("an INVLPG of 0 pages or of an unaligned address, or a malformed INVAL_ALL");
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
                sim.tlb_state[i] = LAZY_MMU_SIM_EMPTY;
    }
    if (cnt[SET] > B || cnt[INVLPG] > B || cnt[INVAL_ALL] > 1 || (cnt[INVAL_ALL] && cnt[INVLPG]))
        broken("more than B SETs or INVLPGs, or INVAL_ALL with other invalidations");
    return done;
}

static size_t call_n(unsigned c)
{
    ck_assert_uint_lt(c, hv.ncalls);
    return hv.nops[c];
}

static const struct lazy_mmu_pv_op *call_op(unsigned c, size_t j)
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

/* After call c stopped at op k: its SETs before k are in the page tables,
 * the others are not, and lazy_mmu_get_pte still sees those as written. */
static bool failed_state_ok(unsigned c, size_t k)
{
    size_t j, i;
    for (j = 0; j < hv.nops[c]; j++) {
        const struct lazy_mmu_pv_op *op = &hv.log[hv.first[c] + j].op;
        if (CMD(op) != SET)
            continue;
        i = entry_index(op->ptr);
        if (i == PAGES || (j < k ? sim.pt[i] != op->val : sim.pt[i] == op->val) ||
            lazy_mmu_get_pte(&ctx, &sim.pt[i]) != op->val)
            return false;
    }
    return true;
}

/* The embedder's LAZY_MMU_PV_ERROR.  It judges the state here, when control
 * comes back to the embedder: later updates of the same section may re-send
 * the rest before the test body looks again. */
static void fake_error(struct lazy_mmu *m, size_t index, const struct lazy_mmu_pv_op *op)
{
    hv.nerrors++;
    hv.err_call = hv.ncalls - 1;
    hv.err_index = index;
    hv.err_ptr_ok = m == &ctx && op == hv.ops + index;
    hv.err_state_ok = hv.err_call < CALLS_MAX && failed_state_ok(hv.err_call, index);
}

/* ---- test helpers ---- */

static void setup(size_t npages)
{
    ck_assert_uint_le(npages, PAGES);
    lazy_mmu_sim_init(&sim, TEST_BASE, npages);
    memset(&hv, 0, sizeof hv);
    hv.fail_call = UINT_MAX;
    lazy_mmu_init(&ctx);
    lazy_mmu_sim_attach(&ctx, &sim);
    lazy_mmu_pv_set_hypervisor(&ctx, &hv); /* attach pointed it at the sim */
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
                  (lazy_mmu_arch_pte_valid(model[i]) ? model[i] : 0));
    }
    ck_assert_uint_eq(lazy_mmu_get_stats(&ctx)->hypercalls, hv.ncalls);
}

#endif
