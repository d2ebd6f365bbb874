/* bench/hwops.c - hardware-level operations for one section of N updates,
 * eager vs lazy, per backend, from the simulated MMU; with the floor: what a
 * single visibility point needs under the backend's own rules.
 *
 * Usage: hwops DATAFILE
 * Prints Markdown tables (one per workload) and TARGET lines on stdout, and
 * writes "backend workload N eager lazy floor" rows (total operations) to
 * DATAFILE for the plot.
 *
 * The floor, for N consecutive pages in one section (one visibility point):
 *   x86_64    N invlpg if N <= threshold, else 1 full flush (map: nothing:
 *             not-present entries are never cached)
 *   aarch64   the same with TLBI VA / TLBI VMALLE1IS, plus one barrier group:
 *             map dsb ishst + isb (2), protect/unmap dsb ishst + dsb ish + isb
 *             (3), remap also a dsb ishst after the break-before-make stores (4)
 *   riscv64   N sfence.vma va if N <= threshold, else 1 sfence.vma (map too:
 *             harts may cache invalid entries); Svinval adds its two fences
 *   paravirt  ceil(N / batch) hypercalls: one carries at most a batch
 */
#include <stdio.h>
#include <string.h>

#include "hwops.h"

typedef struct hw_ops (*hw_fn)(enum workload, unsigned, bool);

enum kind { K_X86, K_A64, K_RV, K_RV_SVINVAL, K_PV };

static const struct backend {
    const char *name;
    hw_fn run;
    enum kind kind;
    const char *page, *full; /* instruction names */
} backends[] = {
    {"x86_64", hw_x86_64, K_X86, "invlpg", "CR3 reload"},
    {"aarch64", hw_aarch64, K_A64, "TLBI VA", "TLBI ALL"},
    {"riscv64", hw_riscv64, K_RV, "sfence.vma va", "sfence.vma"},
    {"riscv64+Svinval", hw_riscv64_svinval, K_RV_SVINVAL, "sinval.vma", "sfence.vma"},
    {"paravirt", hw_paravirt, K_PV, "", ""},
};
#define NBACKENDS (sizeof(backends) / sizeof(backends[0]))

static const char *const workloads[] = {"map", "remap", "protect", "unmap"};
static const unsigned sizes[] = {1, 8, 32, 64, 512, 4096};
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

static unsigned long total(const struct hw_ops *o)
{
    return o->page_invals + o->full_invals + o->barriers + o->hypercalls;
}

static struct hw_ops floor_of(const struct backend *b, enum workload w, unsigned n,
                              const struct hw_ops *shape)
{
    struct hw_ops f;
    bool stale = w != WORKLOAD_MAP || b->kind == K_RV || b->kind == K_RV_SVINVAL;
    memset(&f, 0, sizeof(f));
    if (b->kind == K_PV) {
        f.hypercalls = (n + shape->batch - 1) / shape->batch;
        return f;
    }
    if (stale) {
        if (n <= shape->threshold)
            f.page_invals = n;
        else
            f.full_invals = 1;
    }
    if (b->kind == K_A64) {
        f.barriers = w == WORKLOAD_MAP ? 2 : w == WORKLOAD_REMAP ? 4 : 3;
        f.dsb_ish = w == WORKLOAD_MAP ? 0 : 1;
        f.isb = 1;
    }
    if (b->kind == K_RV_SVINVAL && f.page_invals)
        f.barriers = 2;
    return f;
}

static void describe(char *buf, size_t len, const struct backend *b, const struct hw_ops *o)
{
    size_t k = 0;
    buf[0] = 0;
#define ADD(...) \
    do { \
        if (k) \
            k += (size_t)snprintf(buf + k, len - k, " + "); \
        k += (size_t)snprintf(buf + k, len - k, __VA_ARGS__); \
    } while (0)
    if (o->page_invals)
        ADD("%lu %s", o->page_invals, b->page);
    if (o->full_invals)
        ADD("%lu %s", o->full_invals, b->full);
    if (o->barriers && b->kind == K_A64)
        ADD("%lu barriers (%lu dsb ish, %lu isb)", o->barriers, o->dsb_ish, o->isb);
    else if (o->barriers)
        ADD("%lu fences", o->barriers);
    if (o->hypercalls && o->hypercall_ops)
        ADD("%lu hypercalls (%lu ops)", o->hypercalls, o->hypercall_ops);
    else if (o->hypercalls)
        ADD("%lu hypercalls", o->hypercalls);
    if (!k)
        snprintf(buf, len, "none");
#undef ADD
}

int main(int argc, char **argv)
{
    FILE *data;
    unsigned b, w, k;
    int bad = 0;
    /* Per backend and workload: what the target asks, what was measured. */
    static char got[NBACKENDS][WORKLOADS][512], need[NBACKENDS][WORKLOADS][128];
    static bool checked[NBACKENDS][WORKLOADS], missed[NBACKENDS][WORKLOADS];

    if (argc != 2 || !(data = fopen(argv[1], "w"))) {
        fprintf(stderr, "usage: hwops DATAFILE\n");
        return 2;
    }
    fprintf(data, "# backend workload N eager lazy floor (total operations)\n");

    for (w = 0; w < WORKLOADS; w++) {
        printf("\n#### %s: N consecutive pages, %s\n\n", workloads[w],
               w == WORKLOAD_MAP     ? "invalid -> valid"
               : w == WORKLOAD_REMAP ? "valid -> valid, another frame"
               : w == WORKLOAD_PROTECT ? "valid -> valid, same frame, write permission removed"
                                 : "valid -> invalid");
        printf("| backend | N | eager (no section) | lazy (one section) | floor (one visibility point) "
               "| lazy / floor | verified |\n");
        printf("| --- | ---: | --- | --- | --- | ---: | --- |\n");
        for (b = 0; b < NBACKENDS; b++) {
            const struct backend *be = &backends[b];
            for (k = 0; k < NSIZES; k++) {
                unsigned n = sizes[k];
                struct hw_ops e = be->run((enum workload)w, n, false);
                struct hw_ops l = be->run((enum workload)w, n, true);
                struct hw_ops f = floor_of(be, (enum workload)w, n, &l);
                char es[160], ls[160], fs[160], ratio[32];
                bool ok = e.verified && l.verified;

                describe(es, sizeof(es), be, &e);
                describe(ls, sizeof(ls), be, &l);
                describe(fs, sizeof(fs), be, &f);
                if (total(&f) == 0)
                    snprintf(ratio, sizeof(ratio), total(&l) ? "above 0" : "= floor");
                else if (total(&l) == total(&f))
                    snprintf(ratio, sizeof(ratio), "= floor");
                else
                    snprintf(ratio, sizeof(ratio), "%.2f", (double)total(&l) / (double)total(&f));
                printf("| %s | %u | %s | %s | %s | %s | %s |\n", be->name, n, es, ls, fs, ratio,
                       ok ? "yes" : "**NO**");
                bad |= !ok;
                fprintf(data, "%s %s %u %lu %lu %lu\n", be->name, workloads[w], n, total(&e),
                        total(&l), total(&f));

                /* The targets: above the threshold one full invalidation
                 * (x86_64, riscv64); one dsb ish + isb pair per section
                 * (aarch64, every N); ceil(N / batch) hypercalls (paravirt). */
                {
                    char *mb = got[b][w];
                    size_t len = strlen(mb);
                    bool hit = true, applies = true;
                    if (be->kind == K_X86 || be->kind == K_RV || be->kind == K_RV_SVINVAL) {
                        applies = n > l.threshold && (w != WORKLOAD_MAP || be->kind != K_X86);
                        hit = l.full_invals == 1 && l.page_invals == 0;
                        snprintf(need[b][w], sizeof(need[b][w]),
                                 "N > %u: 1 %s, no per-page one", l.threshold, be->full);
                    } else if (be->kind == K_A64) {
                        hit = l.dsb_ish == (w == WORKLOAD_MAP ? 0u : 1u) && l.isb == 1;
                        snprintf(need[b][w], sizeof(need[b][w]), "every N: %s",
                                 w == WORKLOAD_MAP ? "1 isb (no TLBI to complete)" : "1 dsb ish + 1 isb");
                    } else {
                        hit = l.hypercalls == f.hypercalls;
                        snprintf(need[b][w], sizeof(need[b][w]), "every N: ceil(N / %u) hypercalls",
                                 l.batch);
                    }
                    if (applies) {
                        if (be->kind == K_A64)
                            snprintf(mb + len, sizeof(got[b][w]) - len, "%sN=%u: %lu + %lu", len ? ", " : "",
                                     n, l.dsb_ish, l.isb);
                        else if (be->kind == K_PV)
                            snprintf(mb + len, sizeof(got[b][w]) - len, "%sN=%u: %lu", len ? ", " : "",
                                     n, l.hypercalls);
                        else
                            snprintf(mb + len, sizeof(got[b][w]) - len, "%sN=%u: %s", len ? ", " : "",
                                     n, ls);
                        checked[b][w] = true;
                        missed[b][w] |= !hit;
                    }
                }
            }
        }
    }
    fclose(data);

    for (b = 0; b < NBACKENDS; b++)
        for (w = 0; w < WORKLOADS; w++)
            if (checked[b][w])
                printf("TARGET\t%s\t%s: %s\t%s\t%s\t%s\n", backends[b].name, workloads[w],
                       backends[b].kind == K_A64  ? "dsb ish + isb per section (lazy)"
                       : backends[b].kind == K_PV ? "hypercalls per section (lazy)"
                                                  : "full invalidation above the threshold (lazy)",
                       got[b][w], need[b][w], missed[b][w] ? "misses" : "meets");
    return bad;
}
