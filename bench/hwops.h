/* bench/hwops.h - one backend's hardware-level operations for N updates,
 * counted by the simulated MMU (arch/sim/model.h, its .n counters). */
#ifndef LAZYMMU_BENCH_HWOPS_H
#define LAZYMMU_BENCH_HWOPS_H

#include <stdbool.h>
#include "../examples/workload.h"

struct hw_ops {
    unsigned long page_invals; /* invlpg / tlbi vaae1is / sfence.vma va / sinval.vma */
    unsigned long full_invals; /* cr3 reload, global flush / tlbi vmalle1is / sfence.vma */
    unsigned long barriers;    /* dsb ishst + dsb ish + isb / sfence.w.inval + sfence.inval.ir */
    unsigned long dsb_ish, isb; /* aarch64: the completion + synchronisation pair */
    unsigned long hypercalls, hypercall_ops;
    unsigned threshold, batch; /* the backend's LAZY_MMU_FLUSH_ALL_THRESHOLD, _BATCH_MAX */
    bool verified; /* every page reads back right, nothing stale, no rule broken */
};

#define HW_BACKEND(name) struct hw_ops hw_##name(enum workload w, unsigned n, bool lazy);
HW_BACKEND(x86_64)
HW_BACKEND(aarch64)
HW_BACKEND(riscv64)
HW_BACKEND(paravirt)
HW_BACKEND(riscv64_svinval)
#undef HW_BACKEND

#endif
