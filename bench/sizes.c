/* bench/sizes.c - what the two sizes a kernel may set, LAZY_MMU_BATCH_MAX
 * and LAZY_MMU_FLUSH_ALL_THRESHOLD, do to a section of scattered remaps; built
 * once per configuration (-DLAZY_MMU_ARCH_<X> and the sizes; `make
 * bench-sizes`).
 *
 * One section remaps N pages every 41st of a simulated MMU whose old
 * translations are all cached, N from 16 to 600, and the simulator counts
 * the per-page and full invalidations it was asked for; every run then reads
 * back every page (nothing stale) or exits 1.  The batch keeps BATCH_MAX
 * ranges apart: past that, pages 41 apart merge with their 40-page gaps,
 * which passes the threshold long before N does, and one full flush serves
 * them.  Where the threshold is well above BATCH_MAX (aarch64: 511 / 64),
 * that full flush comes at N = BATCH_MAX + a few; raising BATCH_MAX to the
 * threshold (a larger context) keeps per-page invalidations up to the
 * threshold.  Prints one Markdown table row per N (the header with
 * --header) and one sizes-check line: the N below the threshold whose
 * section ended in a full flush, if any.
 */
#include <stdio.h>
#include <string.h>

#define LAZY_MMU_SIMULATE 1
#define LAZY_MMU_DEBUG 1
#include "lazymmu.h"
#include "../examples/workload.h"

#ifndef SIZES_NAME
#error "build with -DSIZES_NAME=\"<configuration>\""
#endif
#define STRIDE 41u

static struct lazy_mmu_sim sim;

int main(int argc, char **argv)
{
    static const unsigned ns[] = {16, 64, 65, 100, 200, 400, 511, 600};
    const unsigned T = LAZY_MMU_FLUSH_ALL_THRESHOLD;
    unsigned k, first_full = 0;

    if (argc > 1 && strcmp(argv[1], "--header") == 0)
        printf("| configuration | threshold / ranges | context bytes (debug build) | pages (every %ust) | "
               "per-page | full | cost (full = threshold) | least possible |\n"
               "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n",
               STRIDE);
    for (k = 0; k < sizeof(ns) / sizeof(ns[0]); k++) {
        const unsigned n = ns[k];
        const struct lazy_mmu_sim_counts *c = &sim.n;
        static const struct lazy_mmu_sim_counts zero;
        struct lazy_mmu m;
        lazy_mmu_state_t s;
        unsigned long page, full;
        unsigned i;

        if (n * STRIDE > LAZY_MMU_SIM_PAGES) {
            fprintf(stderr, "sizes: %u pages every %uth do not fit the simulator\n", n, STRIDE);
            return 1;
        }
        workload_prepare(&sim, &m, WORKLOAD_REMAP, n * STRIDE);
        sim.n = zero;
        s = lazy_mmu_enter(&m);
        for (i = 0; i < n; i++)
            lazy_mmu_set_pte(&m, lazy_mmu_sim_ptep(&sim, WORKLOAD_VA(i * STRIDE)),
                             workload_entry(WORKLOAD_REMAP, i * STRIDE, true), WORKLOAD_VA(i * STRIDE));
        lazy_mmu_leave(&m, s);
        if (lazy_mmu_sim_stale(&sim) != 0 || sim.violation != NULL) {
            fprintf(stderr, "sizes %s: %u pages: stale translations or a rule broken\n", SIZES_NAME, n);
            return 1;
        }
        for (i = 0; i < n * STRIDE; i++)
            if (lazy_mmu_sim_access(&sim, WORKLOAD_VA(i)) !=
                workload_entry(WORKLOAD_REMAP, i, i % STRIDE == 0)) {
                fprintf(stderr, "sizes %s: %u pages: page %u reads wrong\n", SIZES_NAME, n, i);
                return 1;
            }
        page = c->invlpg + c->tlbi_va + c->sfence_va + c->sinval;
        full = c->cr3_reload + c->global_flush + c->tlbi_all + c->sfence_all;
        if (full && n <= T && !first_full)
            first_full = n;
        printf("| %s | %u / %u | %zu | %u | %lu | %lu | %lu | %u |\n", SIZES_NAME, T,
               (unsigned)LAZY_MMU_BATCH_MAX, sizeof(struct lazy_mmu), n, page, full,
               page + full * T, n < T ? n : T);
    }
    if (first_full)
        fprintf(stderr, "sizes-check %s: a full flush from %u scattered pages, below the threshold "
                        "of %u\n", SIZES_NAME, first_full, T);
    else
        fprintf(stderr, "sizes-check %s: per-page invalidations up to the threshold of %u\n",
                SIZES_NAME, T);
    return 0;
}
