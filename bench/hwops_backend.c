/* bench/hwops_backend.c - one backend's half of bench/hwops.c; built once per
 * configuration with -DLAZY_MMU_ARCH_<X> -DHW_NAME=<name>.
 *
 * A fresh simulated MMU of n pages, every old translation cached (read once),
 * then n updates of consecutive pages: eagerly (no section) or in one
 * section.  What is counted is what the simulator was asked to do, by
 * instruction (struct lazy_mmu_sim_counts), not the library's own stats. */
#define LAZY_MMU_SIMULATE 1
#define LAZY_MMU_DEBUG 1
#include "lazymmu.h"
#include "hwops.h"

#define HW_CAT_(a, b) a##b
#define HW_CAT(a, b) HW_CAT_(a, b)
#define BASE ((uintptr_t)0x7f0000000000ull)
#define VA(i) (BASE + (uintptr_t)(i) * LAZY_MMU_PAGE_SIZE)

static struct lazy_mmu_sim sim;

static lazy_mmu_pte_t entry(enum hw_workload w, unsigned i, bool after)
{
    uint64_t frame = 0x100000u + i;
    if (!after)
        return w == HW_MAP ? 0 : (frame << 12) | 3u;
    switch (w) {
    case HW_MAP:
        return (frame << 12) | 3u;
    case HW_REMAP:
        return ((frame + 0x10000u) << 12) | 3u; /* another frame */
    case HW_PROTECT:
        return (frame << 12) | 1u; /* bit 1 is "writable" here */
    default:
        return 0;
    }
}

struct hw_ops HW_CAT(hw_, HW_NAME)(enum hw_workload w, unsigned n, bool lazy)
{
    struct lazy_mmu m;
    struct hw_ops r;
    const struct lazy_mmu_sim_counts *c = &sim.n;
    lazy_mmu_state_t s;
    unsigned i;

    lazy_mmu_sim_init(&sim, BASE, n);
    lazy_mmu_init(&m);
    lazy_mmu_sim_attach(&m, &sim);
    for (i = 0; i < n; i++) {
        lazy_mmu_sim_poke(&sim, VA(i), entry(w, i, false));
        (void)lazy_mmu_sim_access(&sim, VA(i)); /* cache the old translation */
    }
    {
        struct lazy_mmu_sim_counts zero = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                           0, 0, 0, 0, 0, 0, 0, 0};
        sim.n = zero;
    }
    if (lazy)
        s = lazy_mmu_enter(&m);
    for (i = 0; i < n; i++)
        lazy_mmu_set_pte(&m, lazy_mmu_sim_ptep(&sim, VA(i)), entry(w, i, true), VA(i));
    if (lazy)
        lazy_mmu_leave(&m, s);

    r.page_invals = c->invlpg + c->tlbi_va + c->sfence_va + c->sinval;
    r.full_invals = c->cr3_reload + c->global_flush + c->tlbi_all + c->sfence_all;
    r.barriers = c->dsb_ishst + c->dsb_ish + c->isb + c->sfence_w_inval + c->sfence_inval_ir;
    r.dsb_ish = c->dsb_ish;
    r.isb = c->isb;
    r.hypercalls = c->hypercalls;
    r.hypercall_ops = c->hypercall_ops;
    r.threshold = LAZY_MMU_FLUSH_ALL_THRESHOLD;
    r.batch = LAZY_MMU_BATCH_MAX;
    r.verified = lazy_mmu_sim_stale(&sim) == 0 && sim.violation == NULL;
    for (i = 0; i < n; i++) {
        lazy_mmu_pte_t want = entry(w, i, true);
        if (lazy_mmu_sim_access(&sim, VA(i)) != (lazy_mmu_arch_pte_valid(want) ? want : 0))
            r.verified = false;
    }
    return r;
}
