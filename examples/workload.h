/* examples/workload.h - the workload the demo (examples/demo_backend.c) and
 * the benchmark (bench/hwops_backend.c) run on one backend's simulated MMU:
 * a fresh window of n pages whose old translations are all cached, then n
 * updates of consecutive pages, eagerly (no section) or in one section.
 *
 * The enum alone can be included anywhere; the functions need lazymmu.h
 * included first, built with LAZY_MMU_SIMULATE. */
#ifndef LAZYMMU_EXAMPLES_WORKLOAD_H
#define LAZYMMU_EXAMPLES_WORKLOAD_H

enum workload { WORKLOAD_MAP, WORKLOAD_REMAP, WORKLOAD_PROTECT, WORKLOAD_UNMAP, WORKLOADS };

#ifdef LAZYMMU_H
#define WORKLOAD_BASE ((uintptr_t)0x7f0000000000ull)
#define WORKLOAD_VA(i) (WORKLOAD_BASE + (uintptr_t)(i) * LAZY_MMU_PAGE_SIZE)

/* Page i's entry before (after = false) or after the update. */
static inline lazy_mmu_pte_t workload_entry(enum workload w, unsigned i, bool after)
{
    uint64_t frame = 0x100000u + i;
    if (!after)
        return w == WORKLOAD_MAP ? 0 : (frame << 12) | 3u;
    switch (w) {
    case WORKLOAD_MAP:
        return (frame << 12) | 3u;
    case WORKLOAD_REMAP:
        return ((frame + 0x10000u) << 12) | 3u; /* another frame */
    case WORKLOAD_PROTECT:
        return (frame << 12) | 1u; /* bit 1 is "writable" here */
    default:
        return 0;
    }
}

/* Every old translation is read once, so a missed invalidation is a stale
 * read afterwards. */
static inline void workload_prepare(struct lazy_mmu_sim *sim, struct lazy_mmu *m, enum workload w,
                                    unsigned n)
{
    unsigned i;
    lazy_mmu_sim_init(sim, WORKLOAD_BASE, n);
    lazy_mmu_init(m);
    lazy_mmu_sim_attach(m, sim);
    for (i = 0; i < n; i++) {
        lazy_mmu_sim_poke(sim, WORKLOAD_VA(i), workload_entry(w, i, false));
        (void)lazy_mmu_sim_access(sim, WORKLOAD_VA(i));
    }
}

static inline void workload_run(struct lazy_mmu_sim *sim, struct lazy_mmu *m, enum workload w,
                                unsigned n, bool lazy)
{
    lazy_mmu_state_t s;
    unsigned i;
    if (lazy)
        s = lazy_mmu_enter(m);
    for (i = 0; i < n; i++)
        lazy_mmu_set_pte(m, lazy_mmu_sim_ptep(sim, WORKLOAD_VA(i)), workload_entry(w, i, true),
                         WORKLOAD_VA(i));
    if (lazy)
        lazy_mmu_leave(m, s);
}

/* Every page reads back its new entry, nothing is stale, no rule broken. */
static inline bool workload_verified(struct lazy_mmu_sim *sim, enum workload w, unsigned n)
{
    unsigned i;
    bool ok = lazy_mmu_sim_stale(sim) == 0 && sim->violation == NULL;
    for (i = 0; i < n; i++) {
        lazy_mmu_pte_t want = workload_entry(w, i, true);
        if (lazy_mmu_sim_access(sim, WORKLOAD_VA(i)) != (lazy_mmu__arch_pte_valid(want) ? want : 0))
            ok = false;
    }
    return ok;
}
#endif

#endif
