/* examples/demo_backend.c - one backend's half of the demo; built once per
 * backend with -DLAZY_MMU_ARCH_<X> -DDEMO_ARCH=<x>. */
#define LAZY_MMU_SIMULATE 1
#define LAZY_MMU_STATS 1
#include "lazymmu.h"
#include "demo.h"

#define DEMO_CAT_(a, b) a##b
#define DEMO_CAT(a, b) DEMO_CAT_(a, b)
#define BASE ((uintptr_t)0x7f0000000000ull)
#define VA(i) (BASE + (uintptr_t)(i) * LAZY_MMU_PAGE_SIZE)

static struct lazy_mmu_sim sim;

static lazy_mmu_pte_t entry(enum demo_workload w, unsigned i, bool after)
{
    uint64_t frame = 0x100000u + i;
    if (!after)
        return w == DEMO_MAP ? 0 : (frame << 12) | 3u;
    switch (w) {
    case DEMO_MAP:
        return (frame << 12) | 3u;
    case DEMO_REMAP:
        return ((frame + 0x10000u) << 12) | 3u; /* another frame */
    case DEMO_PROTECT:
        return (frame << 12) | 1u; /* bit 1 is "writable" here */
    default:
        return 0;
    }
}

struct demo_ops DEMO_CAT(demo_, DEMO_ARCH)(enum demo_workload w, unsigned n, bool lazy)
{
    struct lazy_mmu m;
    struct demo_ops r;
    const struct lazy_mmu_stats *st;
    lazy_mmu_state_t s;
    unsigned i;

    lazy_mmu_sim_init(&sim, BASE, n);
    lazy_mmu_init(&m);
    lazy_mmu_sim_attach(&m, &sim);
    for (i = 0; i < n; i++) {
        lazy_mmu_sim_poke(&sim, VA(i), entry(w, i, false));
        (void)lazy_mmu_sim_access(&sim, VA(i)); /* cache the old translation */
    }
    lazy_mmu_reset_stats(&m);
    if (lazy)
        s = lazy_mmu_enter(&m);
    for (i = 0; i < n; i++)
        lazy_mmu_set_pte(&m, lazy_mmu_sim_ptep(&sim, VA(i)), entry(w, i, true), VA(i));
    if (lazy)
        lazy_mmu_leave(&m, s);

    st = lazy_mmu_get_stats(&m);
    r.page_invals = st->page_invals;
    r.full_invals = st->full_invals;
    r.barriers = st->barriers;
    r.hypercalls = st->hypercalls;
    r.verified = lazy_mmu_sim_stale(&sim) == 0 && sim.violation == NULL;
    for (i = 0; i < n; i++) {
        lazy_mmu_pte_t want = entry(w, i, true);
        if (lazy_mmu_sim_access(&sim, VA(i)) != (lazy_mmu_arch_pte_valid(want) ? want : 0))
            r.verified = false;
    }
    return r;
}
