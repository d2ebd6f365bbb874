/* examples/demo.h - what one backend's half of the demo reports. */
#ifndef LAZYMMU_DEMO_H
#define LAZYMMU_DEMO_H

#include <stdbool.h>
#include <stdint.h>
#include "workload.h"

struct demo_ops {
    uint64_t page_invals, full_invals, barriers, hypercalls;
    bool verified; /* every page read back right, nothing stale, no rule broken */
};

/* Runs the workload on n pages, eagerly (no section) or lazily (one
 * section), on a fresh simulated MMU, and counts what the hardware was told. */
#define DEMO_BACKEND(arch) \
    struct demo_ops demo_##arch(enum workload w, unsigned n, bool lazy);
DEMO_BACKEND(x86_64)
DEMO_BACKEND(aarch64)
DEMO_BACKEND(riscv64)
DEMO_BACKEND(paravirt)
#undef DEMO_BACKEND

#endif
