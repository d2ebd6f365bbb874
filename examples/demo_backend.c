/* examples/demo_backend.c - one backend's half of the demo; built once per
 * backend with -DLAZY_MMU_ARCH_<X> -DDEMO_ARCH=<x>. */
#define LAZY_MMU_SIMULATE 1
#define LAZY_MMU_STATS 1
#include "lazymmu.h"
#include "demo.h"
#include "workload.h"

#define DEMO_CAT_(a, b) a##b
#define DEMO_CAT(a, b) DEMO_CAT_(a, b)

static struct lazy_mmu_sim sim;

struct demo_ops DEMO_CAT(demo_, DEMO_ARCH)(enum workload w, unsigned n, bool lazy)
{
    struct lazy_mmu m;
    struct demo_ops r;
    const struct lazy_mmu_stats *st;

    workload_prepare(&sim, &m, w, n);
    lazy_mmu_reset_stats(&m);
    workload_run(&sim, &m, w, n, lazy);
    st = lazy_mmu_get_stats(&m);
    r.page_invals = st->page_invals;
    r.full_invals = st->full_invals;
    r.barriers = st->barriers;
    r.hypercalls = st->hypercalls;
    r.verified = workload_verified(&sim, w, n);
    return r;
}
