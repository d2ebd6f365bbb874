/* tests/test_stage2.c - stage 2 / EPT mode (LAZY_MMU_STAGE2): a hypervisor's
 * context over one guest's second-stage tables, va arguments being IPAs/GPAs.
 *
 * Built only for the x86_64_ept and aarch64_s2 configurations.  Three parts:
 *  - exact instruction counts of a section of N updates (N = 1, threshold,
 *    threshold + 1, 4 * batch) and of the same N updates made eagerly, from
 *    the simulator and from the library's stats, then every page must
 *    translate to its last entry with nothing stale;
 *  - the per-mode details (INVEPT type and EPTP, VMALLS12E1IS, requests);
 *  - controls: each instruction the policy relies on, left out of a hand-made
 *    sequence, must leave the simulator with a stale translation (or a
 *    recorded violation), or these tests could not notice the policy doing it.
 */
#include "harness.h"

#if !LAZY_MMU_STAGE2
#error                                                                                             \
    "tests/test_stage2.c is for the LAZY_MMU_STAGE2 configurations (Makefile: SUITE_CONFIGS_stage2)"
#endif

#define THR ((unsigned long)LAZY_MMU_FLUSH_ALL_THRESHOLD)
#define BATCH ((unsigned long)LAZY_MMU_BATCH_MAX)
#define MAXN (THR + 1 > 4 * BATCH ? THR + 1 : 4 * BATCH)
#define WINDOW (MAXN + 8)
_Static_assert(WINDOW <= LAZY_MMU_SIM_PAGES, "the runs need MAXN pages");

#if defined(LAZY_MMU_ARCH_X86_64)
/* A leaf EPT entry: R, W, X, write-back memory type (6 << 3). */
#define S2_PERMS ((lazy_mmu_pte_t)0x37)
#define S2_WRITE ((lazy_mmu_pte_t)1 << 1)
/* The guest's EPTP: the EPT PML4 page, 4-level walk (3 << 3), WB (6). */
#define EPTP ((uint64_t)0x7654000 | (3u << 3) | 6u)
#else
/* A level 3 stage 2 page descriptor: valid, page, S2AP read + write
 * (bits 7:6), AF (bit 10). */
#define S2_PERMS ((lazy_mmu_pte_t)(3u | (3u << 6) | (1u << 10)))
#define S2_WRITE ((lazy_mmu_pte_t)1 << 7)
#endif

#define FRESH_BITS S2_PERMS
_Static_assert(S2_PERMS & 1, "fresh() ORs in test_pte's valid bit: it must be one of S2_PERMS");
#include "window.h"

/* As a hypervisor sets a context up for its guest. */
static void setup_guest(void)
{
    setup();
#if defined(LAZY_MMU_ARCH_X86_64)
    sim.eptp = EPTP;
    lazy_mmu_x86_64_set_eptp(&m, EPTP);
#endif
}

/* Nothing stale and no rule broken, without an access (which would count
 * as a walk): checked before the counts, so a missing instruction shows as
 * what it breaks rather than as a wrong count. */
static void check_fresh(const char *what)
{
    size_t stale = lazy_mmu_sim_stale(&sim);
    ck_assert_msg(sim.violation == NULL, "%s: %s", what, sim.violation);
    ck_assert_msg(stale == 0, "%s: %zu stale translations", what, stale);
}

static void check_visible(const char *what)
{
    size_t i, stale = lazy_mmu_sim_stale(&sim);

    ck_assert_msg(sim.violation == NULL, "%s: %s", what, sim.violation);
    ck_assert_msg(stale == 0, "%s: %zu stale translations", what, stale);
    for (i = 0; i < WINDOW; i++) {
        lazy_mmu_pte_t got = touch(i);
        if (got != want[i])
            ck_abort_msg("%s: IPA page %zu translates through %#llx, expected %#llx", what, i,
                         (unsigned long long)got, (unsigned long long)want[i]);
    }
    ck_assert_msg(sim.violation == NULL, "%s: %s", what, sim.violation);
}

/* ---- expected counts (tests/counts.h checks them) ---- */

#include "counts.h"

static void add(struct expect *e, const struct expect *d, unsigned long k)
{
#define ADD_HW(f) e->hw.f += k * d->hw.f;
#define ADD_ST(f) e->st.f += k * d->st.f;
    HW_FIELDS(ADD_HW)
    ST_FIELDS(ADD_ST)
#undef ADD_HW
#undef ADD_ST
}

enum kind {
    REMAP,   /* present -> present, another frame (aarch64: break-before-make) */
    PROTECT, /* present -> present, same frame, write permission removed */
    UNMAP,   /* present -> not present */
    MAP,     /* not present -> present */
    NKINDS
};
static const char *const kind_name[] = {"remap", "write-protect", "unmap", "map"};
static const unsigned long sizes[] = {1, THR, THR + 1, 4 * BATCH};
#define NSIZES ((int)(sizeof sizes / sizeof sizes[0]))

#if defined(LAZY_MMU_ARCH_X86_64)
/* One INVEPT: single-context for the EPTP set in setup_guest(), unless the build
 * asks for all-context. */
static void invept(struct expect *e, unsigned long k)
{
    if (LAZY_MMU_X86_64_EPT_ALL_CONTEXT)
        e->hw.invept_all += k;
    else
        e->hw.invept_single += k;
    e->st.full_invals += k;
}

/* Whatever n and kind: one INVEPT when a present entry changed, nothing
 * when entries only became present (not-present entries are never cached). */
static struct expect expect_section(enum kind k, unsigned long n)
{
    struct expect e = none();
    e.st.updates = n;
    e.hw.stores = n;
    if (k != MAP) {
        e.st.publishes = 1;
        invept(&e, 1);
    }
    return e;
}

/* Eagerly, each update is its own visibility point. */
static struct expect expect_eager(enum kind k, unsigned long n)
{
    struct expect one = expect_section(k, 1), e = none();
    add(&e, &one, n);
    return e;
}
#else
/* One publish of p pages that breaks b of them (b <= p): DSB ISHST, p TLBI
 * IPAS2E1IS, DSB ISH, TLBI VMALLE1IS, DSB ISH, [the b makes, DSB ISHST],
 * ISB; past the threshold, DSB ISHST, TLBI VMALLS12E1IS, DSB ISH, ISB. */
static struct expect publish(unsigned long p, unsigned long b)
{
    struct expect e = none();
    e.st.publishes = 1;
    e.hw.dsb_ishst = 1 + (b != 0);
    e.hw.isb = 1;
    e.hw.stores = b;
    if (p > THR) {
        e.hw.tlbi_s12_all = 1;
        e.hw.dsb_ish = 1;
    } else {
        e.hw.tlbi_ipa = p;
        e.hw.tlbi_all = 1;
        e.hw.dsb_ish = 2;
    }
    e.st.page_invals = e.hw.tlbi_ipa;
    e.st.full_invals = e.hw.tlbi_all + e.hw.tlbi_s12_all;
    e.st.barriers = e.hw.dsb_ishst + e.hw.dsb_ish + e.hw.isb;
    return e;
}

static struct expect expect_section(enum kind k, unsigned long n)
{
    struct expect e = none(), p;

    e.st.updates = n;
    e.hw.stores = n;
    if (k == MAP) { /* nothing stale: the stores only need to be walkable */
        e.st.publishes = 1;
        e.hw.dsb_ishst = e.hw.isb = 1;
        e.st.barriers = 2;
        return e;
    }
    /* Stored in place, or (remap) broken now with bit 0 clear and made
     * after the TLBIs: consecutive entries are one run of makes, so either
     * way one range and one publish. */
    p = publish(n, k == REMAP ? n : 0);
    add(&e, &p, 1);
    e.st.bbm = k == REMAP ? n : 0;
    return e;
}

static struct expect expect_eager(enum kind k, unsigned long n)
{
    struct expect one = expect_section(k, 1), e = none();
    add(&e, &one, n);
    return e;
}
#endif

/* Pages 0..n-1 in their "before" state, cached; then counting starts. */
static void prepare(enum kind k, unsigned long n)
{
    unsigned long j;
    setup_guest();
    for (j = 0; j < n; j++) {
        if (k == MAP)
            (void)touch(j); /* the fault: never cached, must not matter */
        else
            boot(j, fresh());
    }
    start_counting();
}

static void update(enum kind k, size_t j)
{
    switch (k) {
    case REMAP: set(j, fresh()); break;
    case PROTECT: set(j, want[j] & ~S2_WRITE); break;
    case UNMAP: set(j, 0); break;
    default: set(j, fresh()); break;
    }
}

START_TEST(test_section_counts)
{
    const enum kind k = (enum kind)(_i / NSIZES);
    const unsigned long n = sizes[_i % NSIZES];
    lazy_mmu_state_t s;
    struct expect e;
    unsigned long j;
    char what[96];

    prepare(k, n);
    s = lazy_mmu_enter(&m);
    for (j = 0; j < n; j++)
        update(k, j);
    lazy_mmu_leave(&m, s);
    snprintf(what, sizeof what, "%s of %lu IPAs in one section", kind_name[k], n);
    e = expect_section(k, n);
    check_fresh(what);
    check_counts(&e, what);
    check_visible(what);
}
END_TEST

START_TEST(test_eager_counts)
{
    const enum kind k = (enum kind)(_i / NSIZES);
    const unsigned long n = sizes[_i % NSIZES];
    struct expect e;
    unsigned long j;
    char what[96];

    prepare(k, n);
    for (j = 0; j < n; j++)
        update(k, j);
    snprintf(what, sizeof what, "%s of %lu IPAs, eagerly", kind_name[k], n);
    e = expect_eager(k, n);
    check_fresh(what);
    check_counts(&e, what);
    check_visible(what);
}
END_TEST

/* Every kind at once, nested sections and a flush in between. */
START_TEST(test_mixed_nested_sections)
{
    lazy_mmu_state_t outer, inner;
    size_t i;

    setup_guest();
    for (i = 0; i < 24; i++)
        boot(i, fresh());
    outer = lazy_mmu_enter(&m);
    set(0, fresh());
    set(1, want[1] & ~S2_WRITE);
    set(2, 0);
    set(30, fresh());
    inner = lazy_mmu_enter(&m);
    set(3, fresh());
    set(3, fresh()); /* twice: the newest value wins */
    lazy_mmu_flush(&m);
    check_visible("after a flush inside nested sections");
    set(4, fresh());
    set(5, 0);
    lazy_mmu_leave(&m, inner);
    check_visible("after the inner leave");
    for (i = 6; i < 24; i++)
        set(i, i % 3 ? fresh() : 0);
    lazy_mmu_leave(&m, outer);
    check_visible("after the outer leave");
}
END_TEST

/* Requests for changes made by other means (a table page replaced, say). */
START_TEST(test_invalidation_requests)
{
    lazy_mmu_state_t s;
    struct expect e = none();
    size_t i;

    setup_guest();
    for (i = 0; i < 8; i++)
        boot(i, fresh());
    for (i = 0; i < 8; i++) { /* behind the library's back */
        lazy_mmu_sim_poke(&sim, TEST_VA(i), fresh());
        want[i] = *ptep(i);
    }
    start_counting();
    s = lazy_mmu_enter(&m);
    lazy_mmu_invalidate_page(&m, TEST_VA(0));
    lazy_mmu_invalidate_range(&m, TEST_VA(1), TEST_VA(8));
    lazy_mmu_leave(&m, s);
    e.st.inval_requests = 2;
#if defined(LAZY_MMU_ARCH_X86_64)
    e.st.publishes = 1;
    invept(&e, 1);
#else
    {
        struct expect p = publish(8, 0); /* one range of 8 IPAs */
        add(&e, &p, 1);
    }
#endif
    check_fresh("invalidation requests");
    check_counts(&e, "invalidate_page + invalidate_range of 7 pages");
    check_visible("invalidation requests");
}
END_TEST

START_TEST(test_invalidate_all)
{
    struct expect e = none();
    size_t i;

    setup_guest();
    for (i = 0; i < 8; i++)
        boot(i, fresh());
    for (i = 0; i < 8; i++) {
        lazy_mmu_sim_poke(&sim, TEST_VA(i), fresh());
        want[i] = *ptep(i);
    }
    start_counting();
    lazy_mmu_invalidate_all(&m);
    e.st.inval_requests = 1;
    e.st.publishes = 1;
#if defined(LAZY_MMU_ARCH_X86_64)
    invept(&e, 1);
#else
    e = publish(THR + 1, 0); /* both stages, the whole VMID */
    e.st.inval_requests = 1;
#endif
    check_fresh("invalidate_all");
    check_counts(&e, "invalidate_all");
    check_visible("invalidate_all");
}
END_TEST

/* =============================== x86_64 EPT =============================== */
#if defined(LAZY_MMU_ARCH_X86_64)

/* Before lazy_mmu_x86_64_set_eptp, INVEPT can only be all-context. */
START_TEST(test_ept_without_eptp_is_all_context)
{
    lazy_mmu_state_t s;

    setup();
    sim.eptp = EPTP;
    boot(0, fresh());
    boot(1, fresh());
    s = lazy_mmu_enter(&m);
    set(0, fresh());
    set(1, 0);
    lazy_mmu_leave(&m, s);
    ck_assert_uint_eq(sim.n.invept_all, 1);
    ck_assert_uint_eq(sim.n.invept_single, 0);
    check_visible("INVEPT all-context");
}
END_TEST

/* Changing the EPTP publishes what is pending, under the old one. */
START_TEST(test_ept_set_eptp_publishes_first)
{
    lazy_mmu_state_t s;

    setup();
    sim.eptp = EPTP;
    boot(0, fresh());
    s = lazy_mmu_enter(&m);
    set(0, fresh());
    lazy_mmu_x86_64_set_eptp(&m, EPTP);
    ck_assert_uint_eq(sim.n.invept_all, 1);
    check_visible("pending work published by set_eptp");
    set(0, fresh());
    lazy_mmu_leave(&m, s);
    ck_assert_uint_eq(sim.n.invept_all, LAZY_MMU_X86_64_EPT_ALL_CONTEXT ? 2 : 1);
    ck_assert_uint_eq(sim.n.invept_single, LAZY_MMU_X86_64_EPT_ALL_CONTEXT ? 0 : 1);
    check_visible("after the leave");
}
END_TEST

/* Only bits 2:0 and 10 make an entry present: other bits alone cost no
 * INVEPT, bit 10 alone (user-execute under mode-based execute control) does. */
START_TEST(test_ept_presence_bits)
{
    const lazy_mmu_pte_t ux = (lazy_mmu_pte_t)1 << 10, other = (lazy_mmu_pte_t)0xff8 & ~ux;
    lazy_mmu_state_t s;

    setup_guest();
    lazy_mmu_sim_poke(&sim, TEST_VA(0), (0x500u << 12) | other);
    lazy_mmu_sim_poke(&sim, TEST_VA(1), (0x501u << 12) | ux);
    start_counting();
    s = lazy_mmu_enter(&m);
    set(0, fresh());
    lazy_mmu_leave(&m, s);
    ck_assert_uint_eq(sim.n.invept_single + sim.n.invept_all, 0);
    s = lazy_mmu_enter(&m);
    set(1, fresh());
    lazy_mmu_leave(&m, s);
    ck_assert_uint_eq(sim.n.invept_single + sim.n.invept_all, 1);
    check_visible("presence bits");
}
END_TEST

/* Requests keep no ranges: any number of them never publishes early. */
START_TEST(test_ept_requests_never_fill_the_batch)
{
    lazy_mmu_state_t s;
    unsigned long j;

    setup_guest();
    boot(0, fresh());
    start_counting();
    s = lazy_mmu_enter(&m);
    for (j = 0; j < 4 * BATCH; j++)
        lazy_mmu_invalidate_page(&m, TEST_VA(2 * j));
    set(0, fresh());
    lazy_mmu_leave(&m, s);
    ck_assert_uint_eq(lazy_mmu_get_stats(&m)->early_flushes, 0);
    ck_assert_uint_eq(sim.n.invept_single + sim.n.invept_all, 1);
    check_visible("many requests");
}
END_TEST

/* A failing INVEPT is reported, never swallowed. */
START_TEST(test_ept_invept_failure_panics)
{
    lazy_mmu_state_t s;

    setup_guest();
    boot(0, fresh());
    s = lazy_mmu_enter(&m);
    set(0, fresh());
    sim.invept_fail = true;
    test_expected_panic = "INVEPT failed";
    lazy_mmu_leave(&m, s);
    ck_abort_msg("a failed INVEPT went unnoticed");
}
END_TEST

/* Control: INVEPT single-context for another EPTP leaves this guest's
 * mappings stale, so the tests above do check the EPTP. */
START_TEST(test_ept_sim_wrong_eptp_is_stale)
{
    lazy_mmu_state_t s;

    setup_guest();
    lazy_mmu_x86_64_set_eptp(&m, EPTP + 0x1000);
    boot(0, fresh());
    s = lazy_mmu_enter(&m);
    set(0, fresh());
    lazy_mmu_leave(&m, s);
    if (LAZY_MMU_X86_64_EPT_ALL_CONTEXT)
        return;
    ck_assert_uint_eq(lazy_mmu_sim_stale(&sim), 1);
    ck_assert(touch(0) != want[0]);
}
END_TEST

/* Control: INVLPG and CR3 writes act on the host's linear mappings; the
 * guest's EPT-derived ones stay. */
START_TEST(test_ept_sim_invlpg_is_not_invept)
{
    lazy_mmu_pte_t old;

    setup_guest();
    boot(0, old = fresh());
    lazy_mmu__hw_store_pte(&m, ptep(0), fresh());
    lazy_mmu__x86_64_invlpg(&m, TEST_VA(0));
    lazy_mmu__x86_64_flush_nonglobal(&m);
    lazy_mmu__x86_64_flush_all(&m);
    ck_assert(touch(0) == old);
    ck_assert(lazy_mmu__x86_64_invept(&m, 1, EPTP));
    ck_assert(touch(0) == *ptep(0));
}
END_TEST

#endif

/* ============================ aarch64 stage 2 ============================= */
#if defined(LAZY_MMU_ARCH_AARCH64)

/* The hand-made sequences of the controls, after a store of page 0. */
static lazy_mmu_pte_t changed_page0(void)
{
    lazy_mmu_pte_t old, v;
    setup_guest();
    boot(0, old = fresh());
    v = want[0] & ~S2_WRITE; /* same output address: no break needed */
    lazy_mmu__hw_store_pte(&m, ptep(0), v);
    want[0] = v;
    lazy_mmu__aarch64_dsb_ishst(&m);
    return old;
}

/* Control: the whole sequence leaves nothing stale. */
START_TEST(test_s2_sim_full_sequence_is_fresh)
{
    changed_page0();
    lazy_mmu__aarch64_tlbi_ipa(&m, TEST_VA(0));
    lazy_mmu__aarch64_dsb_ish(&m);
    lazy_mmu__aarch64_tlbi_all(&m);
    lazy_mmu__aarch64_dsb_ish(&m);
    lazy_mmu__aarch64_isb(&m);
    check_visible("IPAS2E1IS; DSB ISH; VMALLE1IS; DSB ISH; ISB");
}
END_TEST

/* Control: without VMALLE1IS the combined entry keeps the old result. */
START_TEST(test_s2_sim_missing_vmalle1is_is_stale)
{
    lazy_mmu_pte_t old = changed_page0();
    lazy_mmu__aarch64_tlbi_ipa(&m, TEST_VA(0));
    lazy_mmu__aarch64_dsb_ish(&m);
    lazy_mmu__aarch64_isb(&m);
    ck_assert_uint_ne(lazy_mmu_sim_stale(&sim), 0);
    ck_assert(touch(0) == old);
}
END_TEST

/* Control: without IPAS2E1IS the combined entry is refilled from the old
 * stage 2 entry. */
START_TEST(test_s2_sim_missing_ipas2_is_stale)
{
    lazy_mmu_pte_t old = changed_page0();
    lazy_mmu__aarch64_tlbi_all(&m);
    lazy_mmu__aarch64_dsb_ish(&m);
    lazy_mmu__aarch64_isb(&m);
    ck_assert_uint_ne(lazy_mmu_sim_stale(&sim), 0);
    ck_assert(touch(0) == old);
}
END_TEST

/* Control: VMALLE1IS before the IPAS2E1IS has completed: a walk between
 * the two refills the combined entry from the old stage 2 entry. */
START_TEST(test_s2_sim_vmalle1is_before_ipas2_completes_is_stale)
{
    lazy_mmu_pte_t old = changed_page0();
    lazy_mmu__aarch64_tlbi_ipa(&m, TEST_VA(0));
    lazy_mmu__aarch64_tlbi_all(&m);
    lazy_mmu__aarch64_dsb_ish(&m);
    lazy_mmu__aarch64_isb(&m);
    ck_assert_uint_ne(lazy_mmu_sim_stale(&sim), 0);
    ck_assert(touch(0) == old);
}
END_TEST

/* Control: VMALLS12E1IS alone drops both stages. */
START_TEST(test_s2_sim_vmalls12e1is_drops_both_stages)
{
    changed_page0();
    lazy_mmu__aarch64_tlbi_s12_all(&m);
    lazy_mmu__aarch64_dsb_ish(&m);
    lazy_mmu__aarch64_isb(&m);
    check_visible("VMALLS12E1IS; DSB ISH; ISB");
}
END_TEST

/* Control: a make while the old stage 2 entry is still cached breaks
 * break-before-make, even with the combined entries gone. */
START_TEST(test_s2_sim_make_with_stage2_entry_live)
{
    setup_guest();
    boot(0, fresh());
    lazy_mmu__hw_store_pte(&m, ptep(0), 0);
    lazy_mmu__aarch64_dsb_ishst(&m);
    lazy_mmu__aarch64_tlbi_all(&m); /* the combined entries only */
    lazy_mmu__aarch64_dsb_ish(&m);
    ck_assert_ptr_null(sim.violation);
    lazy_mmu__hw_store_pte(&m, ptep(0), fresh());
    ck_assert_ptr_nonnull(sim.violation);
}
END_TEST

/* The order the policy issues a section's maintenance in. */
START_TEST(test_s2_remap_breaks_then_makes)
{
    lazy_mmu_state_t s;
    lazy_mmu_pte_t v;

    setup_guest();
    boot(0, fresh());
    s = lazy_mmu_enter(&m);
    set(0, v = fresh());
    ck_assert_msg(*ptep(0) == (v & ~(lazy_mmu_pte_t)1), "the old entry was not broken at once");
    ck_assert(lazy_mmu_get_pte(&m, ptep(0)) == v);
    ck_assert_uint_eq(sim.n.tlbi_ipa + sim.n.tlbi_all, 0);
    lazy_mmu_leave(&m, s);
    ck_assert(*ptep(0) == v);
    ck_assert_uint_eq(lazy_mmu_get_stats(&m)->bbm, 1);
    check_visible("stage 2 break-before-make");
}
END_TEST

#endif

Suite *SUITE_FN(stage2)(void)
{
    Suite *s = suite_create("stage2-" TEST_ARCH_NAME);
    TCase *tc = tcase_create("stage2-counts-" TEST_ARCH_NAME);

    tcase_add_loop_test(tc, test_section_counts, 0, NKINDS * NSIZES);
    tcase_add_loop_test(tc, test_eager_counts, 0, NKINDS * NSIZES);
    tcase_add_test(tc, test_mixed_nested_sections);
    tcase_add_test(tc, test_invalidation_requests);
    tcase_add_test(tc, test_invalidate_all);
    suite_add_tcase(s, tc);

    tc = tcase_create("stage2-mode-" TEST_ARCH_NAME);
#if defined(LAZY_MMU_ARCH_X86_64)
    tcase_add_test(tc, test_ept_without_eptp_is_all_context);
    tcase_add_test(tc, test_ept_set_eptp_publishes_first);
    tcase_add_test(tc, test_ept_presence_bits);
    tcase_add_test(tc, test_ept_requests_never_fill_the_batch);
    tcase_add_exit_test(tc, test_ept_invept_failure_panics, PANIC_EXPECTED);
    tcase_add_test(tc, test_ept_sim_wrong_eptp_is_stale);
    tcase_add_test(tc, test_ept_sim_invlpg_is_not_invept);
#else
    tcase_add_test(tc, test_s2_remap_breaks_then_makes);
    tcase_add_test(tc, test_s2_sim_full_sequence_is_fresh);
    tcase_add_test(tc, test_s2_sim_missing_vmalle1is_is_stale);
    tcase_add_test(tc, test_s2_sim_missing_ipas2_is_stale);
    tcase_add_test(tc, test_s2_sim_vmalle1is_before_ipas2_completes_is_stale);
    tcase_add_test(tc, test_s2_sim_vmalls12e1is_drops_both_stages);
    tcase_add_test(tc, test_s2_sim_make_with_stage2_entry_live);
#endif
    suite_add_tcase(s, tc);
    return s;
}
