/* tests/test_spaces.c - address spaces: a context's changes name one ASID /
 * PCID (lazy_mmu_set_space), or no live space at all.
 *
 * The window is split in two address spaces, A (pages [0, HALF)) and B
 * (pages [HALF, WINDOW)), every CPU with A loaded and every page cached on
 * every CPU (the simulator tags each entry with its page's space).  Changes
 * to A must reach A's entries by A's per-space forms: a wrong ASID leaves
 * them stale, an all-spaces form - the blast radius this is for - drops B's
 * entries too, which the full-flush tests see in the TLBs and in the counts.
 * A backend without per-space forms (EPT, aarch64 stage 2) takes every ASID
 * as all spaces: visible, and B's entries may go.
 *
 * LAZY_MMU_SPACE_INACTIVE: tables no CPU has loaded, whose next load drops
 * their translations (played by lazy_mmu_sim_flush_space_on): stores and
 * their walker ordering only.
 */
#include <stddef.h>
#include <stdint.h>
#if defined(LAZY_MMU_ARCH_PARAVIRT)
struct lazy_mmu_paravirt_op;
static size_t test_paravirt_commit(void *hv, const struct lazy_mmu_paravirt_op *ops, size_t n);
#define LAZY_MMU_PARAVIRT_COMMIT test_paravirt_commit
#endif
#include "harness.h"

#define T ((unsigned long)LAZY_MMU_FLUSH_ALL_THRESHOLD)
#define HALF 1024u
#define WINDOW (2 * HALF)
/* Entries of a named space are not global: aarch64 sets nG (bit 11); x86's
 * G and riscv's G stay clear in test_pte. */
#if defined(LAZY_MMU_ARCH_AARCH64)
#define FRESH_BITS ((lazy_mmu_pte_t)1 << 11)
#endif
#include "window.h"

#if defined(LAZY_MMU_STAGE2) && LAZY_MMU_STAGE2
#define STAGE2 1 /* a guest's EPT / stage 2: no spaces, its own counts */
#else
#define STAGE2 0
#endif

#define SPACE_A 5u
#define SPACE_B 6u
#define SPACE_OLD 7u /* an inactive space's tag */

#if defined(LAZY_MMU_ARCH_PARAVIRT)
static struct {
    unsigned long invlpg, inval_all, invlpg_asid, inval_asid, wrong_asid;
} pv;

static size_t test_paravirt_commit(void *hv, const struct lazy_mmu_paravirt_op *ops, size_t n)
{
    size_t k;
    for (k = 0; k < n; k++) {
        uint64_t cmd = ops[k].ptr & LAZY_MMU_PARAVIRT_CMD_MASK;
        pv.invlpg += cmd == LAZY_MMU_PARAVIRT_INVLPG;
        pv.inval_all += cmd == LAZY_MMU_PARAVIRT_INVAL_ALL;
        pv.invlpg_asid += cmd == LAZY_MMU_PARAVIRT_INVLPG_ASID;
        pv.inval_asid += cmd == LAZY_MMU_PARAVIRT_INVAL_ASID;
        pv.wrong_asid += (cmd == LAZY_MMU_PARAVIRT_INVLPG_ASID && (ops[k].val >> 32) != SPACE_A) ||
                         (cmd == LAZY_MMU_PARAVIRT_INVAL_ASID && ops[k].val != SPACE_A);
    }
    return lazy_mmu_sim_hypercall(hv, ops, n);
}
#endif

static void count_reset(void)
{
    start_counting();
#if defined(LAZY_MMU_ARCH_PARAVIRT)
    pv.invlpg = pv.inval_all = pv.invlpg_asid = pv.inval_asid = pv.wrong_asid = 0;
#endif
}

/* This configuration's all-spaces instructions, on the sending CPU: a
 * change in a named space must issue none of the full ones, and none of
 * the per-page ones where the per-space form is another instruction. */
static unsigned long all_spaces_full(void)
{
    const struct lazy_mmu_sim_counts *n = &sim.n;
#if defined(LAZY_MMU_ARCH_PARAVIRT)
    (void)n;
    return pv.inval_all;
#else
    return n->global_flush + n->tlbi_all + n->sfence_all;
#endif
}

static unsigned long all_spaces_pages(void)
{
    const struct lazy_mmu_sim_counts *n = &sim.n;
#if defined(LAZY_MMU_ARCH_PARAVIRT)
    (void)n;
    return pv.invlpg;
#elif defined(LAZY_MMU_ARCH_X86_64)
    /* INVLPG is the current PCID's form too, unless INVPCID names it. */
    return LAZY_MMU_X86_64_INVPCID ? n->invlpg : 0;
#else
    return n->tlbi_va + n->sfence_va + n->sinval;
#endif
}

/* Pages of B still cached, over every CPU. */
static unsigned long b_cached(void)
{
    unsigned long k = 0;
    unsigned c;
    size_t i;
    for (c = 0; c < sim.ncpus; c++)
        for (i = HALF; i < WINDOW; i++)
            k += sim.tlb_state[c][i] != LAZY_MMU_SIM_EMPTY;
    return k;
}

/* Pages [0, HALF) tagged a, the rest b, loaded is the space every CPU
 * runs in; every page mapped and cached on every CPU. */
static void spaces_setup_as(uint16_t a, uint16_t b, uint32_t loaded)
{
    unsigned c;
    size_t i;

    setup();
    test_expected_panic = NULL;
    test_remote_off = 0;
    test_remote_reads = 0;
    lazy_mmu_sim_set_space(&sim, TEST_VA(0), HALF, a);
    lazy_mmu_sim_set_space(&sim, TEST_VA(HALF), HALF, b);
    for (c = 0; c < sim.ncpus; c++)
        lazy_mmu_sim_load_space(&sim, c, loaded);
    for (i = 0; i < WINDOW; i++)
        boot(i, fresh());
}

static void spaces_setup(void)
{
    spaces_setup_as(SPACE_A, SPACE_B, SPACE_A);
}

static void load_everywhere(uint32_t space)
{
    unsigned c;
    for (c = 0; c < sim.ncpus; c++)
        lazy_mmu_sim_load_space(&sim, c, space);
}

#define check_visible(what) check_visible_at((what), __LINE__)

/* n remaps of A's pages in one section, in space A. */
static void remap_a(unsigned n)
{
    lazy_mmu_state_t s;
    unsigned i;

    lazy_mmu_set_space(&m, SPACE_A);
    count_reset();
    s = lazy_mmu_enter(&m);
    for (i = 0; i < n; i++)
        set(i, fresh());
    lazy_mmu_leave(&m, s);
}

START_TEST(test_pages_of_one_space)
{
    static const unsigned sizes[] = {1, 8, 33};
    const unsigned n = sizes[_i] < T ? sizes[_i] : (unsigned)T;
    unsigned long before;

    spaces_setup();
    before = b_cached();
    remap_a(n);
#if !STAGE2
    ck_assert_uint_eq(lazy_mmu_get_stats(&m)->page_invals, n);
    ck_assert_uint_eq(lazy_mmu_get_stats(&m)->full_invals, 0);
    /* Per-page forms leave B alone whatever space they name. */
    ck_assert_uint_eq(b_cached(), before);
#endif
    if (LAZY_MMU__F_SPACES)
        ck_assert_uint_eq(all_spaces_pages(), 0);
    (void)before;
    check_visible("per-page changes in space A");
#if defined(LAZY_MMU_ARCH_PARAVIRT)
    ck_assert_uint_eq(pv.wrong_asid, 0);
#endif
}
END_TEST

/* Past the threshold: one full flush of A, and B's entries stay cached on
 * every CPU (the "a full flush in one address space never issues
 * an all-spaces form"). */
START_TEST(test_full_flush_of_one_space)
{
    unsigned long before;

    spaces_setup();
    before = b_cached();
    ck_assert_uint_gt(before, 0);
    remap_a((unsigned)T + 1);
    if (!LAZY_MMU__F_SPACES) {
        check_visible("a full flush of every space");
        return; /* every space: B may go */
    }
    ck_assert_uint_eq(lazy_mmu_get_stats(&m)->full_invals, 1);
    ck_assert_uint_eq(all_spaces_full(), 0);
    ck_assert_uint_eq(b_cached(), before);
    check_visible("a full flush of space A");
#if defined(LAZY_MMU_ARCH_PARAVIRT)
    ck_assert_uint_eq(pv.inval_asid, 1);
    ck_assert_uint_eq(pv.wrong_asid, 0);
#endif
}
END_TEST

/* The same in space ALL: the all-spaces full flush, B's entries gone with
 * it - the control that shows b_cached() can see one. */
START_TEST(test_full_flush_of_every_space)
{
    lazy_mmu_state_t s;
    unsigned i;

    spaces_setup();
    count_reset();
    s = lazy_mmu_enter(&m);
    for (i = 0; i <= T; i++)
        set(i, fresh());
    lazy_mmu_leave(&m, s);
    ck_assert_uint_eq(lazy_mmu_get_stats(&m)->full_invals, 1);
#if !defined(LAZY_MMU_ARCH_X86_64)
    /* x86: a CR3 reload is every space's only for the current PCID - why
     * a kernel with PCIDs names them. */
    ck_assert_uint_eq(b_cached(), 0);
#endif
    check_visible("a full flush of every space");
}
END_TEST

/* Eagerly too: outside a section one change, one per-space invalidation. */
START_TEST(test_eager_in_one_space)
{
    spaces_setup();
    lazy_mmu_set_space(&m, SPACE_A);
    count_reset();
    set(3, fresh());
    check_visible("an eager change in space A");
    ck_assert_uint_eq(lazy_mmu_get_stats(&m)->page_invals,
                      STAGE2 && !LAZY_MMU__F_PAGE_INVAL ? 0 : 1);
    if (LAZY_MMU__F_SPACES)
        ck_assert_uint_eq(all_spaces_pages(), 0);
}
END_TEST

/* Switching space publishes what the old one owed, by the old one's forms,
 * and only then takes the new one. */
START_TEST(test_switch_publishes_the_old_space)
{
    lazy_mmu_state_t s;

    spaces_setup();
    lazy_mmu_set_space(&m, SPACE_A);
    count_reset();
    s = lazy_mmu_enter(&m);
    set(1, fresh());
    lazy_mmu_set_space(&m, SPACE_B);
    load_everywhere(SPACE_B); /* x86 without INVPCID reaches the loaded PCID only */
    ck_assert_uint_eq(lazy_mmu_get_stats(&m)->publishes, 1);
    ck_assert_uint_eq(lazy_mmu_sim_page_stale(&sim, 1), 0);
    set(HALF + 1, fresh());
    lazy_mmu_leave(&m, s);
    ck_assert_uint_eq(lazy_mmu_get_stats(&m)->publishes, 2);
    check_visible("one change in A, then one in B");
    /* Naming the space it has changes nothing. */
    lazy_mmu_set_space(&m, SPACE_B);
    ck_assert_uint_eq(lazy_mmu_get_stats(&m)->publishes, 2);
}
END_TEST

/* On the other CPUs (a shootdown round, where the backend needs one) the
 * space's forms too: B survives a full flush of A everywhere. */
START_TEST(test_remote_keeps_other_spaces)
{
    unsigned long before;

    spaces_setup();
#if defined(LAZY_MMU_ARCH_RISCV64)
    test_remote_sbi = _i;
#endif
    before = b_cached();
    remap_a((unsigned)T + 1);
    if (LAZY_MMU__F_SPACES)
        ck_assert_uint_eq(b_cached(), before);
    check_visible("a full flush of A, every CPU");
}
END_TEST

/* ---- LAZY_MMU_SPACE_INACTIVE ---- */

/* Remaps, unmaps and maps in a section and eagerly: not one invalidation,
 * round or context synchronisation; on aarch64 the stores reach the walker
 * (DSB ISHST), elsewhere nothing is owed.  The old translations stay
 * cached - stale, as the contract allows - until the kernel loads the space
 * on each CPU and drops them there. */
#if !STAGE2 /* the model's stage 2 entries carry no VMID to flush at the switch */
START_TEST(test_inactive_is_stores_only)
{
    lazy_mmu_state_t s;
    unsigned c, i;

    /* Cached as SPACE_OLD's, from when it last ran; now A runs. */
    spaces_setup_as(SPACE_OLD, SPACE_OLD, SPACE_A);
    lazy_mmu_set_space(&m, LAZY_MMU_SPACE_INACTIVE);
    count_reset();
    s = lazy_mmu_enter(&m);
    for (i = 0; i < 2 * T + 2; i++)
        set(i, i % 3 == 2 ? 0 : fresh());
    lazy_mmu_leave(&m, s);
#if defined(LAZY_MMU_ARCH_AARCH64)
    ck_assert_uint_eq(sim.ndirty, 0); /* every store reached the walker */
#endif
    set(WINDOW - 2, 0); /* eager: the same */
#if defined(LAZY_MMU_ARCH_AARCH64)
    ck_assert_uint_eq(sim.ndirty, 0);
#endif
    set(WINDOW - 1, fresh());

    ck_assert_uint_eq(lazy_mmu_get_stats(&m)->page_invals, 0);
    ck_assert_uint_eq(lazy_mmu_get_stats(&m)->full_invals, 0);
    ck_assert_uint_eq(lazy_mmu_get_stats(&m)->shootdowns, 0);
    ck_assert_uint_eq(lazy_mmu_get_stats(&m)->bbm, 0);
    ck_assert_uint_eq(test_remote_rounds, 0);
    ck_assert_uint_eq(sim.n.isb + sim.n.dsb_ish + sim.n.sfence_va + sim.n.sfence_all +
                          sim.n.invlpg + sim.n.cr3_reload + sim.n.tlbi_va + sim.n.tlbi_all +
                          sim.n.sinval,
                      0);
#if defined(LAZY_MMU_ARCH_AARCH64)
    ck_assert_uint_gt(sim.n.dsb_ishst, 0);
    ck_assert_uint_eq(sim.ndirty, 0); /* every store reached the walker */
#else
    ck_assert_uint_eq(lazy_mmu_get_stats(&m)->barriers, 0);
#endif
#if defined(LAZY_MMU_ARCH_PARAVIRT)
    ck_assert_uint_eq(pv.invlpg + pv.inval_all + pv.invlpg_asid + pv.inval_asid, 0);
#endif
    ck_assert_msg(sim.violation == NULL, "%s", sim.violation);
    ck_assert_uint_gt(lazy_mmu_sim_stale(&sim), 0); /* nobody dropped them yet */

    /* The kernel's switch to it, on every CPU (the storing one first: its
     * fence orders its own stores for its walker). */
    for (c = 0; c < sim.ncpus; c++)
        lazy_mmu_sim_flush_space_on(&sim, c, SPACE_OLD);
    load_everywhere(SPACE_OLD);
    check_visible("an inactive space, once loaded");
}
END_TEST
#endif

/* Explicit requests in an inactive space ask for nothing either. */
START_TEST(test_inactive_ignores_requests)
{
    spaces_setup();
    lazy_mmu_set_space(&m, LAZY_MMU_SPACE_INACTIVE);
    count_reset();
    lazy_mmu_invalidate_page(&m, TEST_VA(1));
    lazy_mmu_invalidate_range(&m, TEST_VA(2), TEST_VA(9));
    lazy_mmu_invalidate_all(&m);
    ck_assert_uint_eq(lazy_mmu_get_stats(&m)->inval_requests, 3);
    ck_assert_uint_eq(lazy_mmu_get_stats(&m)->page_invals + lazy_mmu_get_stats(&m)->full_invals, 0);
    ck_assert_uint_eq(lazy_mmu_get_stats(&m)->publishes, 0);
}
END_TEST

/* ---- misuse ---- */

START_TEST(test_space_out_of_range_panics)
{
    spaces_setup();
    test_expected_panic = "lazy_mmu_set_space: not an ASID/PCID of this backend";
    lazy_mmu_set_space(&m, (uint32_t)LAZY_MMU_SPACE_MAX + 1);
}
END_TEST

Suite *SUITE_FN(spaces)(void)
{
    Suite *s = suite_create("spaces-" TEST_ARCH_NAME);
    TCase *tc = tcase_create("spaces");
    tcase_add_loop_test(tc, test_pages_of_one_space, 0, 3);
    tcase_add_test(tc, test_full_flush_of_one_space);
    tcase_add_test(tc, test_full_flush_of_every_space);
    tcase_add_test(tc, test_eager_in_one_space);
    tcase_add_test(tc, test_switch_publishes_the_old_space);
#if defined(LAZY_MMU_ARCH_RISCV64)
    tcase_add_loop_test(tc, test_remote_keeps_other_spaces, 0, 2); /* IPIs, SBI */
#else
    tcase_add_test(tc, test_remote_keeps_other_spaces);
#endif
#if !STAGE2 /* the model's stage 2 entries carry no VMID to flush at the switch */
    tcase_add_test(tc, test_inactive_is_stores_only);
#endif
    tcase_add_test(tc, test_inactive_ignores_requests);
    tcase_add_exit_test(tc, test_space_out_of_range_panics, PANIC_EXPECTED);
    suite_add_tcase(s, tc);
    return s;
}
