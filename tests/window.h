/* tests/window.h - the simulated window most suites test on: WINDOW pages at
 * TEST_VA(0..WINDOW-1), one context m attached to it, and want[i] the entry
 * page i must translate to at the next visibility point (0: unmapped).
 *
 * Include after harness.h, with WINDOW defined.  Helpers are static inline
 * because each suite, and each backend's build of it, uses a different subset.
 */
#ifndef LAZYMMU_TEST_WINDOW_H
#define LAZYMMU_TEST_WINDOW_H

#ifndef WINDOW
#error "define WINDOW (the window's size in pages) before including window.h"
#endif
/* Bits every fresh() entry carries beyond test_pte's, for suites whose
 * entries need more than a valid bit (stage 2 permissions, say). */
#ifndef FRESH_BITS
#define FRESH_BITS 0
#endif

/* CPUs of the model: the suite's context runs on CPU 0, and every other
 * CPU caches what CPU 0 does (touch), so a missing or short shootdown
 * leaves a stale translation there. */
#ifndef TEST_CPUS
#define TEST_CPUS 3
#endif

static struct lazy_mmu_sim sim;
static struct lazy_mmu m;
static lazy_mmu_pte_t want[WINDOW];
static uint64_t next_frame;

static inline void setup(void)
{
    lazy_mmu_sim_init(&sim, TEST_BASE, WINDOW);
    lazy_mmu_sim_set_cpus(&sim, TEST_CPUS);
    lazy_mmu_init(&m);
    lazy_mmu_sim_attach(&m, &sim);
    memset(want, 0, sizeof want);
    next_frame = 0x100;
}

/* Every call a frame no entry has used yet, so a stale translation can never
 * coincide with the expected one. */
static inline lazy_mmu_pte_t fresh(void)
{
    return test_pte(next_frame++) | FRESH_BITS;
}

static inline lazy_mmu_pte_t *ptep(size_t i)
{
    return lazy_mmu_sim_ptep(&sim, TEST_VA(i));
}

static inline lazy_mmu_pte_t touch(size_t i)
{
    unsigned c;
    for (c = 1; c < sim.ncpus; c++)
        (void)lazy_mmu_sim_access_on(&sim, c, TEST_VA(i));
    return lazy_mmu_sim_access(&sim, TEST_VA(i));
}

/* A mapping from before the test, already cached; for an absent page, the
 * fault is cached where the architecture does that (riscv without Svvptc). */
static inline void boot(size_t i, lazy_mmu_pte_t pte)
{
    lazy_mmu_sim_poke(&sim, TEST_VA(i), pte);
    want[i] = pte;
    ck_assert(touch(i) == pte);
}

static inline void set(size_t i, lazy_mmu_pte_t pte)
{
    lazy_mmu_set_pte(&m, ptep(i), pte, TEST_VA(i));
    want[i] = pte;
}

/* set() for tests of visibility: whatever the CPU sees now is cached first,
 * so the change must beat it. */
static inline void touch_set(size_t i, lazy_mmu_pte_t pte)
{
    (void)touch(i);
    set(i, pte);
}

/* A change made behind the library's back (a table page replaced, say). */
static inline void poke(size_t i, lazy_mmu_pte_t pte)
{
    lazy_mmu_sim_poke(&sim, TEST_VA(i), pte);
    want[i] = pte;
}

/* poke() for tests of invalidation requests: the old translation is cached
 * first and must survive the change, or a missing invalidation would pass. */
static inline void touch_poke(size_t i, lazy_mmu_pte_t pte)
{
    lazy_mmu_pte_t old = touch(i);
    poke(i, pte);
    ck_assert_msg(touch(i) == old, "the simulator forgot a cached translation of page %zu", i);
}

/* The line is the caller's: the same check runs after every step of a test. */
static inline void check_visible_at(const char *what, int line)
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

/* Counting starts here: setup accesses are not the policy's work. */
static inline void start_counting(void)
{
    static const struct lazy_mmu_sim_counts zero;
    sim.n = zero;
    lazy_mmu_reset_stats(&m);
#ifdef TEST_SHOOTDOWN
    test_remote_n = zero;
    test_remote_rounds = test_ipis = 0;
#endif
}

#endif
