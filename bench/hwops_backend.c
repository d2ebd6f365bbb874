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
#include "../examples/workload.h"

#define HW_CAT_(a, b) a##b
#define HW_CAT(a, b) HW_CAT_(a, b)

static struct lazy_mmu_sim sim;

struct hw_ops HW_CAT(hw_, HW_NAME)(enum workload w, unsigned n, bool lazy)
{
    struct lazy_mmu m;
    struct hw_ops r;
    const struct lazy_mmu_sim_counts *c = &sim.n;

    workload_prepare(&sim, &m, w, n);
    {
        static const struct lazy_mmu_sim_counts zero; /* every counter, however many */
        sim.n = zero;
    }
    workload_run(&sim, &m, w, n, lazy);
    r.page_invals = c->invlpg + c->tlbi_va + c->sfence_va + c->sinval;
    r.full_invals = c->cr3_reload + c->global_flush + c->tlbi_all + c->sfence_all;
    r.barriers = c->dsb_ishst + c->dsb_ish + c->isb + c->sfence_w_inval + c->sfence_inval_ir;
    r.dsb_ish = c->dsb_ish;
    r.isb = c->isb;
    r.hypercalls = c->hypercalls;
    r.hypercall_ops = c->hypercall_ops;
    r.threshold = LAZY_MMU_FLUSH_ALL_THRESHOLD;
#ifdef LAZY_MMU_PARAVIRT_QUEUE_MAX
    r.batch = LAZY_MMU_PARAVIRT_QUEUE_MAX; /* updates per hypercall */
#else
    r.batch = LAZY_MMU_BATCH_MAX;
#endif
    r.verified = workload_verified(&sim, w, n);
    return r;
}
