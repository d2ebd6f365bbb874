/* tests/counts.h - the exact-count checks of tests/test_policy.c,
 * tests/test_policy_coalesce.c and tests/test_stage2.c: every expected
 * hardware-operation count is
 * compared with the simulator's (what the hardware saw) and with
 * lazy_mmu_get_stats (what the library believes it issued), and the two are
 * cross-checked independently of any expectation.  Included after
 * window.h; on paravirt the file must have wired LAZY_MMU_PARAVIRT_COMMIT to
 * test_paravirt_commit before harness.h (lazymmu.h expands it). */
#ifndef LAZYMMU_TEST_COUNTS_H
#define LAZYMMU_TEST_COUNTS_H

#if defined(LAZY_MMU_ARCH_PARAVIRT)
static struct {
    unsigned long inval_pages, inval_all, wrapped;
} pv;

static size_t test_paravirt_commit(void *hv, const struct lazy_mmu_paravirt_op *ops, size_t n)
{
    size_t k;
    for (k = 0; k < n; k++) {
        uint64_t cmd = ops[k].ptr & LAZY_MMU_PARAVIRT_CMD_MASK;
        uint64_t first = ops[k].ptr & ~(uint64_t)LAZY_MMU_PARAVIRT_CMD_MASK;
        pv.inval_pages += cmd == LAZY_MMU_PARAVIRT_INVLPG ? ops[k].val : 0;
        pv.inval_all += cmd == LAZY_MMU_PARAVIRT_INVAL_ALL;
        /* pages past the top of the address space */
        pv.wrapped +=
            cmd == LAZY_MMU_PARAVIRT_INVLPG &&
            ops[k].val - 1 > ((uint64_t)0 - LAZY_MMU_PAGE_SIZE - first) >> LAZY_MMU_PAGE_SHIFT;
    }
    return lazy_mmu_sim_hypercall(hv, ops, n);
}
#endif

/* The hypercall tallies are counts too. */
static inline void start_counting_pv(void)
{
    start_counting();
#if defined(LAZY_MMU_ARCH_PARAVIRT)
    pv.inval_pages = pv.inval_all = pv.wrapped = 0;
#endif
}

struct expect {
    struct lazy_mmu_sim_counts hw;
    struct lazy_mmu_stats st;
};

#if LAZY_MMU_STAGE2 /* INVEPT, IPAS2E1IS, VMALLS12E1IS */
#define HW_S2_FIELDS(X) X(invept_single) X(invept_all) X(tlbi_ipa) X(tlbi_s12_all)
#else
#define HW_S2_FIELDS(X)
#endif
#define HW_FIELDS(X) \
    X(stores) X(walks) X(invlpg) X(cr3_reload) X(global_flush) X(dsb_ishst) X(dsb_ish) X(isb) \
    X(tlbi_va) X(tlbi_all) X(sfence_va) X(sfence_all) X(sfence_w_inval) X(sinval) \
    X(sfence_inval_ir) X(hypercalls) X(hypercall_ops) X(violations) HW_S2_FIELDS(X)
#define ST_FIELDS(X) \
    X(updates) X(inval_requests) X(publishes) X(early_flushes) X(page_invals) X(full_invals) \
    X(barriers) X(hypercalls) X(bbm)

static struct expect none(void)
{
    struct expect e;
    memset(&e, 0, sizeof e);
    return e;
}

/* What the stats say must match what the simulator saw. */
static void cross_check(char *msg, size_t len)
{
    const struct lazy_mmu_stats *st = lazy_mmu_get_stats(&m);
    const struct lazy_mmu_sim_counts *n = &sim.n;
    unsigned long pages, full, barriers, hypercalls = 0;
#if defined(LAZY_MMU_ARCH_X86_64)
    pages = n->invlpg, full = n->cr3_reload + n->global_flush, barriers = 0;
#if LAZY_MMU_STAGE2
    full += n->invept_single + n->invept_all;
#endif
#elif defined(LAZY_MMU_ARCH_AARCH64)
    pages = n->tlbi_va, full = n->tlbi_all, barriers = n->dsb_ishst + n->dsb_ish + n->isb;
#if LAZY_MMU_STAGE2
    pages += n->tlbi_ipa, full += n->tlbi_s12_all;
#endif
#elif defined(LAZY_MMU_ARCH_RISCV64)
    pages = n->sfence_va + n->sinval, full = n->sfence_all;
    barriers = n->sfence_w_inval + n->sfence_inval_ir;
#else
    pages = pv.inval_pages, full = pv.inval_all, barriers = 0, hypercalls = n->hypercalls;
#endif
    if (st->page_invals != pages || st->full_invals != full || st->barriers != barriers ||
        st->hypercalls != hypercalls)
        snprintf(msg + strlen(msg), len - strlen(msg),
                 " stats/simulator disagree: pages %lu/%lu full %lu/%lu barriers %lu/%lu "
                 "hypercalls %lu/%lu;",
                 (unsigned long)st->page_invals, pages, (unsigned long)st->full_invals, full,
                 (unsigned long)st->barriers, barriers, (unsigned long)st->hypercalls, hypercalls);
}

static void check_counts(const struct expect *e, const char *what)
{
    const struct lazy_mmu_stats *st = lazy_mmu_get_stats(&m);
    char msg[1024] = "";
#define CMP(src, got, f) \
    if ((unsigned long)(got) != (unsigned long)(e->src.f)) \
        snprintf(msg + strlen(msg), sizeof msg - strlen(msg), " %s.%s = %lu, expected %lu;", \
                 #src, #f, (unsigned long)(got), (unsigned long)(e->src.f));
#define CMP_HW(f) CMP(hw, sim.n.f, f)
#define CMP_ST(f) CMP(st, st->f, f)
    HW_FIELDS(CMP_HW)
    ST_FIELDS(CMP_ST)
#undef CMP_HW
#undef CMP_ST
#undef CMP
    cross_check(msg, sizeof msg);
    ck_assert_msg(msg[0] == '\0', "%s:%s", what, msg);
}

#endif
