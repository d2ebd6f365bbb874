/* examples/demo.c - the same page-table workloads, eager and lazy, on every
 * backend's real policy over the simulated MMU: what the hardware is told.
 *
 * Eager is what a kernel without lazy MMU mode pays (every update fully
 * published before the next); lazy is one section around the whole run.
 * Every run is verified: each page read back through the simulated TLB must
 * show the new entry, with no stale translation and no ordering rule broken.
 */
#include <stdio.h>

#include "demo.h"

typedef struct demo_ops (*demo_fn)(enum workload, unsigned, bool);

int main(void)
{
    static const struct {
        const char *name;
        demo_fn run;
        const char *full; /* what "full" stands for there */
    } backends[] = {
        {"x86_64", demo_x86_64, "a CR3 reload (a CR4.PGE toggle with global entries)"},
        {"aarch64", demo_aarch64, "TLBI VMALLE1IS"},
        {"riscv64", demo_riscv64, "SFENCE.VMA with no address"},
        {"paravirt", demo_paravirt, "an INVAL_ALL op in a hypercall"},
    };
    unsigned long long total[sizeof(backends) / sizeof(backends[0])][2] = {{0}};
    static const char *const workloads[] = {"map", "remap", "protect", "unmap"};
    static const unsigned sizes[] = {1, 8, 32, 64, 512, 4096};
    unsigned b, w, k, bad = 0;

    printf("lazymmu demo: hardware-level operations for N page-table updates,\n"
           "eager (no section) vs lazy (one section), per backend (simulated MMU).\n"
           "inval = per-page invalidations, full = whole-TLB invalidations,\n"
           "barriers = DSB/ISB/fences, hcalls = hypercalls.\n\n");
    printf("| backend  | workload |    N | eager inval | full | barriers | hcalls "
           "| lazy inval | full | barriers | hcalls | verified |\n");
    printf("|----------|----------|-----:|------------:|-----:|---------:|-------:"
           "|-----------:|-----:|---------:|-------:|----------|\n");
    for (b = 0; b < sizeof(backends) / sizeof(backends[0]); b++)
        for (w = 0; w < WORKLOADS; w++)
            for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
                struct demo_ops e = backends[b].run((enum workload)w, sizes[k], false);
                struct demo_ops l = backends[b].run((enum workload)w, sizes[k], true);
                bool ok = e.verified && l.verified;
                bad += !ok;
                total[b][0] += e.page_invals + e.full_invals + e.barriers + e.hypercalls;
                total[b][1] += l.page_invals + l.full_invals + l.barriers + l.hypercalls;
                printf("| %-8s | %-8s | %4u | %11llu | %4llu | %8llu | %6llu | %10llu | %4llu "
                       "| %8llu | %6llu | %-8s |\n",
                       backends[b].name, workloads[w], sizes[k],
                       (unsigned long long)e.page_invals, (unsigned long long)e.full_invals,
                       (unsigned long long)e.barriers, (unsigned long long)e.hypercalls,
                       (unsigned long long)l.page_invals, (unsigned long long)l.full_invals,
                       (unsigned long long)l.barriers, (unsigned long long)l.hypercalls,
                       ok ? "yes" : "NO");
            }
    printf("\nIn all, hardware operations (each invalidation, barrier or hypercall one) over\n"
           "the %u runs of each backend, eager -> lazy; \"full\" is the instruction named:\n",
           (unsigned)(WORKLOADS * (sizeof(sizes) / sizeof(sizes[0]))));
    for (b = 0; b < sizeof(backends) / sizeof(backends[0]); b++)
        printf("  %-8s %7llu -> %5llu  (%.0fx fewer); full = %s\n", backends[b].name, total[b][0],
               total[b][1], total[b][1] ? (double)total[b][0] / (double)total[b][1] : 0.0,
               backends[b].full);
    printf("\n%s\n", bad ? "demo: SOME RUNS LEFT STALE TRANSLATIONS" : "demo: every run verified");
    return bad ? 1 : 0;
}
