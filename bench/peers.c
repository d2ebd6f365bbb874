/* bench/peers.c - lazymmu against the strategies a kernel developer would
 * otherwise write (bench/peers.h), on the simulated MMU of every backend:
 * a matrix of operations x page sets, each cell run once per strategy and
 * verified, priced by the cost model of bench/peers.h.  Nothing is timed.
 *
 * Usage: peers [TSVFILE]
 * Prints Markdown on stdout: the cost model, a table per backend and
 * operation, a summary and the "check" lines; writes one TSV row per run to
 * TSVFILE if given.  Exits 1 if any run is unverified: a broken strategy
 * must not produce numbers quietly. */
#include <stdio.h>
#include <string.h>

#include "peers.h"

typedef struct peers_result (*peers_fn)(enum peers_op, const struct peers_step *, size_t,
                                        enum peers_strategy);
#define PEERS_BACKEND_FN(name) \
    struct peers_result peers_run_##name(enum peers_op, const struct peers_step *, size_t, \
                                         enum peers_strategy);
PEERS_BACKEND_FN(x86_64)
PEERS_BACKEND_FN(aarch64)
PEERS_BACKEND_FN(riscv64)
PEERS_BACKEND_FN(paravirt)

static const struct {
    peers_fn run;
    const char *page, *full; /* short names of its invalidations */
} backends[PEERS_BACKENDS] = {
    {peers_run_x86_64, "invlpg", "full"},
    {peers_run_aarch64, "tlbi", "full"},
    {peers_run_riscv64, "sfence.va", "full"},
    {peers_run_paravirt, "pg", "full"},
};

static const char *const strategy_names[PEERS_STRATEGIES] = {
    "lazymmu", "lazymmu eager", "eager", "mmu_gather", "arm64", "riscv", "xen"};
static const char *const op_names[PEERS_OPS] = {"map", "remap", "protect", "unmap"};
static const char *const op_what[PEERS_OPS] = {
    "invalid -> valid", "valid -> valid, another frame",
    "valid -> valid, same frame, a permission bit changes", "valid -> invalid"};

enum set_kind { CONTIG, STRIDE, RANDOM, DESCENDING, EVEN_ODD, TWICE, ONE_TWICE, NESTED };
static const struct pageset {
    const char *name;
    enum set_kind kind;
    unsigned n, stride; /* NESTED: pages per section, sections */
    bool claim_a;       /* remap of this set is bound by claim (a) */
} sets[] = {
    {"contiguous 1", CONTIG, 1, 1, false},      {"contiguous 8", CONTIG, 8, 1, false},
    {"contiguous 32", CONTIG, 32, 1, false},    {"contiguous 33", CONTIG, 33, 1, false},
    {"contiguous 64", CONTIG, 64, 1, false},    {"contiguous 511", CONTIG, 511, 1, false},
    {"contiguous 512", CONTIG, 512, 1, true},   {"contiguous 513", CONTIG, 513, 1, false},
    {"contiguous 4096", CONTIG, 4096, 1, true}, {"16 every 257th", STRIDE, 16, 257, false},
    {"64 every 97th", STRIDE, 64, 97, true},    {"100 every 41st", STRIDE, 100, 41, false},
    {"600 every 13th", STRIDE, 600, 13, true},
    {"random 512", RANDOM, 512, 1, false},      {"descending 64", DESCENDING, 64, 1, false},
    {"even-then-odd 256", EVEN_ODD, 256, 1, true}, {"each page twice 64", TWICE, 64, 1, false},
    {"24 with one twice", ONE_TWICE, 24, 1, true}, {"nested 4 x 32", NESTED, 32, 4, false},
};
#define NSETS (sizeof(sets) / sizeof(sets[0]))

#define MAX_STEPS 8192
static struct peers_step steps[MAX_STEPS];
static struct peers_result res[PEERS_BACKENDS][PEERS_OPS][NSETS][PEERS_STRATEGIES];

static size_t add(size_t k, unsigned kind, unsigned page, unsigned version)
{
    steps[k].kind = kind;
    steps[k].page = page;
    steps[k].version = version;
    return k + 1;
}

/* A fixed-seed permutation: the same "random" order on every run. */

static size_t build(const struct pageset *ps)
{
    static unsigned perm[MAX_STEPS];
    size_t k = 0;
    unsigned i, d;

    if (ps->kind == NESTED) { /* each level flushes before it opens the next */
        for (d = 0; d < ps->stride; d++) {
            k = add(k, STEP_ENTER, 0, 0);
            for (i = 0; i < ps->n; i++)
                k = add(k, STEP_SET, d * ps->n + i, 1);
            if (d + 1 < ps->stride)
                k = add(k, STEP_FLUSH, 0, 0);
        }
        for (d = 0; d < ps->stride; d++)
            k = add(k, STEP_LEAVE, 0, 0);
        return k;
    }
    k = add(k, STEP_ENTER, 0, 0);
    switch (ps->kind) {
    case CONTIG:
    case STRIDE:
        for (i = 0; i < ps->n; i++)
            k = add(k, STEP_SET, i * ps->stride, 1);
        break;
    case RANDOM:
        peer_permute(perm, ps->n);
        for (i = 0; i < ps->n; i++)
            k = add(k, STEP_SET, perm[i], 1);
        break;
    case DESCENDING:
        for (i = ps->n; i-- > 0;)
            k = add(k, STEP_SET, i, 1);
        break;
    case EVEN_ODD:
        for (i = 0; i < ps->n; i += 2)
            k = add(k, STEP_SET, i, 1);
        for (i = 1; i < ps->n; i += 2)
            k = add(k, STEP_SET, i, 1);
        break;
    case TWICE:
        for (d = 1; d <= 2; d++)
            for (i = 0; i < ps->n; i++)
                k = add(k, STEP_SET, i, d);
        break;
    default: /* ONE_TWICE: 0-15, 17-23, 16, then 15 again */
        for (i = 0; i < ps->n; i++)
            if (i != 16)
                k = add(k, STEP_SET, i, 1);
        k = add(k, STEP_SET, 16, 1);
        k = add(k, STEP_SET, 15, 2);
        break;
    }
    return add(k, STEP_LEAVE, 0, 0);
}

/* "12 invlpg + 3 barriers (1 dsb ish) = 16", "4 hc/129 ops + 33 pg = 113" */
static void describe(char *buf, size_t len, enum peers_backend b, const struct peers_result *r)
{
    const struct peers_counts *n = &r->n;
    unsigned long bar = n->dsb_ish + n->dsb_ishst + n->isb + n->fences;
    size_t k = 0;

#define ADD(...) \
    do { \
        if (k && k < len) \
            k += (size_t)snprintf(buf + k, len - k, " + "); \
        if (k < len) \
            k += (size_t)snprintf(buf + k, len - k, __VA_ARGS__); \
    } while (0)
    buf[0] = 0;
    if (n->hypercalls)
        ADD("%lu hc/%lu ops", n->hypercalls, n->hc_ops);
    if (n->page_invals)
        ADD("%lu %s", n->page_invals, backends[b].page);
    if (n->full_invals)
        ADD("%lu %s", n->full_invals, backends[b].full);
    if (bar && n->dsb_ish)
        ADD("%lu barriers (%lu dsb ish)", bar, n->dsb_ish);
    else if (bar)
        ADD("%lu barriers", bar);
    if (!k)
        k += (size_t)snprintf(buf, len, "none");
#undef ADD
    if (k < len)
        snprintf(buf + k, len - k, " = %lu%s%s", peers_modelled(b, n),
                 r->verified ? "" : " **UNVERIFIED**: ", r->verified ? "" : r->why);
}

/* One cell of the matrix: lazymmu against its cheapest verified peer (an
 * unverified run proves no cost).  lazymmu wins when it verified and costs
 * no more; with no verified peer there is nothing to win against. */
struct verdict {
    unsigned best; /* PEERS_STRATEGIES: no verified peer */
    unsigned long lazy, peer;
    bool win;
};

static struct verdict judge(enum peers_backend b, const struct peers_result *cell)
{
    struct verdict v;
    unsigned s;

    v.best = PEERS_STRATEGIES;
    v.lazy = peers_modelled(b, &cell[PS_LAZY].n);
    v.peer = 0;
    for (s = PEERS_FIRST_PEER; s < PEERS_STRATEGIES; s++)
        if (cell[s].applies && cell[s].verified &&
            (v.best == PEERS_STRATEGIES || peers_modelled(b, &cell[s].n) < v.peer)) {
            v.best = s;
            v.peer = peers_modelled(b, &cell[s].n);
        }
    v.win = cell[PS_LAZY].verified && v.best < PEERS_STRATEGIES && v.lazy <= v.peer;
    return v;
}

static const char *best_name(const struct verdict *v)
{
    return v->best < PEERS_STRATEGIES ? strategy_names[v->best] : "no verified peer";
}

static void print_cost_model(void)
{
    unsigned b;
    printf("## Modelled cost\n\n"
           "Every operation the simulator counts, priced once (bench/peers.h, peers_cost).  A\n"
           "full flush costs T, the most per-page invalidations that OS issues instead.\n\n"
           "| backend | per-page invalidation | full flush (T) | DSB ISH | DSB ISHST | ISB "
           "| other fence | hypercall | sources |\n"
           "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n");
    for (b = 0; b < PEERS_BACKENDS; b++) {
        const struct peers_cost *c = peers_cost((enum peers_backend)b);
        printf("| %s | %lu | %lu | %lu | %lu | %lu | %lu | %lu | %s |\n", c->backend, c->page,
               c->full, c->dsb_ish, c->dsb_ishst, c->isb, c->fence, c->hypercall, c->source);
    }
    printf("\nStores and PV SET ops cost 0.  lazymmu as built:");
    for (b = 0; b < PEERS_BACKENDS; b++)
        printf("%s %s LAZY_MMU_FLUSH_ALL_THRESHOLD=%u LAZY_MMU_BATCH_MAX=%u", b ? ";" : "",
               peers_cost((enum peers_backend)b)->backend, res[b][0][0][PS_LAZY].threshold,
               res[b][0][0][PS_LAZY].batch);
    printf(".\n");
}

static void print_table(enum peers_backend b, enum peers_op o)
{
    char buf[256];
    unsigned k, s;

    printf("\n### %s %s (%s)\n\n| pages |", peers_cost(b)->backend, op_names[o], op_what[o]);
    for (s = 0; s < PEERS_STRATEGIES; s++)
        if (peers_applies(b, (enum peers_strategy)s))
            printf(" %s |", strategy_names[s]);
    printf(" lazymmu / best peer |\n| --- |");
    for (s = 0; s < PEERS_STRATEGIES; s++)
        if (peers_applies(b, (enum peers_strategy)s))
            printf(" --- |");
    printf(" ---: |\n");
    for (k = 0; k < NSETS; k++) {
        const struct peers_result *cell = res[b][o][k];
        struct verdict v = judge(b, cell);

        printf("| %s |", sets[k].name);
        for (s = 0; s < PEERS_STRATEGIES; s++)
            if (cell[s].applies) {
                describe(buf, sizeof(buf), b, &cell[s]);
                printf(" %s |", buf);
            }
        if (!cell[PS_LAZY].verified || v.best == PEERS_STRATEGIES)
            printf(" **UNVERIFIED** (%s) |\n", best_name(&v));
        else if (v.peer == 0)
            printf(" %s (%s) |\n", v.lazy ? "**inf**" : "1.00", best_name(&v));
        else
            printf(" %s%.2f%s (%s) |\n", v.win ? "" : "**", (double)v.lazy / (double)v.peer,
                   v.win ? "" : "**", best_name(&v));
    }
}

/* Appends one offending cell to a fixed buffer; what does not fit is cut.
 * A cell with no pages is one whose lazymmu run did not verify. */
static size_t append(char *buf, size_t size, size_t len, bool full, const char *set,
                     unsigned long x, unsigned long pages)
{
    int k;
    if (len >= size)
        return len;
    if (!pages)
        k = snprintf(buf + len, size - len, "%s%s: UNVERIFIED", len ? "; " : "", set);
    else if (full)
        k = snprintf(buf + len, size - len, "%s%s: %lu full flush(es) for %lu pages",
                     len ? "; " : "", set, x, pages);
    else
        k = snprintf(buf + len, size - len, "%s%s: %lu per-page for one point (%lu pages)",
                     len ? "; " : "", set, x, pages);
    return k < 0 ? len : len + (size_t)k;
}

/* (b): no full flush where at most T pages needed one, no visibility point
 * served by more than T per-page invalidations where more than T did.  A
 * point is a leave or flush; what serves it is everything issued since the
 * previous one, the early publishes of a full batch included. */
static void check_b(enum peers_backend b, enum peers_op o)
{
    unsigned long T = peers_cost(b)->full, worst = 0, fulls_small = 0;
    char bad[4096];
    size_t len = 0;
    unsigned k;

    bad[0] = 0;
    for (k = 0; k < NSETS; k++) {
        const struct peers_result *l = &res[b][o][k][PS_LAZY];
        if (l->distinct <= T && l->n.full_invals) {
            fulls_small += l->n.full_invals;
            len = append(bad, sizeof(bad), len, true, sets[k].name, l->n.full_invals, l->distinct);
        }
        if (l->distinct > T && l->max_point > T)
            len = append(bad, sizeof(bad), len, false, sets[k].name, l->max_point, l->distinct);
        if (l->distinct > T && l->max_point > worst)
            worst = l->max_point;
        if (!l->verified)
            len = append(bad, sizeof(bad), len, false, sets[k].name, 0, 0);
    }
    printf("check (b) %s %s: T = %lu; full flushes in cells of <= T pages: %lu; most per-page "
           "invalidations serving one leave/flush in cells of > T pages: %lu%s%s: %s\n",
           peers_cost(b)->backend, op_names[o], T, fulls_small, worst, len ? "; " : "", bad,
           len ? "misses" : "meets");
}

int main(int argc, char **argv)
{
    FILE *tsv = NULL;
    unsigned b, o, k, s, total = 0, wins = 0, unverified = 0;

    if (argc > 2 || (argc == 2 && !(tsv = fopen(argv[1], "w")))) {
        fprintf(stderr, "usage: peers [TSVFILE]\n");
        return 2;
    }
    for (k = 0; k < NSETS; k++) {
        size_t n = build(&sets[k]);
        for (b = 0; b < PEERS_BACKENDS; b++)
            for (o = 0; o < PEERS_OPS; o++)
                for (s = 0; s < PEERS_STRATEGIES; s++)
                    res[b][o][k][s] = backends[b].run((enum peers_op)o, steps, n,
                                                      (enum peers_strategy)s);
    }

    printf("# lazymmu against peer strategies (simulated MMU)\n\n"
           "Each cell: a fresh simulated MMU whose old translations are all cached, the page set\n"
           "updated by each strategy, then verified (every page reads back its new entry, nothing\n"
           "stale, no rule broken).  lazymmu runs one section around the workload (\"lazymmu\")\n"
           "and no section (\"lazymmu eager\"); the peers take a visibility point wherever\n"
           "lazymmu flushes or leaves.  Entries: hardware operations = modelled cost; \"pg\":\n"
           "pages named by paravirt INVLPG ops.  The ratio compares lazymmu with the cheapest\n"
           "verified peer (lazymmu eager is not a peer).  Check (b) counts, for each leave or\n"
           "flush, every per-page invalidation issued since the previous one, early publishes\n"
           "of a full batch included.\n\n");
    print_cost_model();
    for (b = 0; b < PEERS_BACKENDS; b++) {
        printf("\n## %s\n", peers_cost((enum peers_backend)b)->backend);
        for (o = 0; o < PEERS_OPS; o++)
            print_table((enum peers_backend)b, (enum peers_op)o);
    }

    printf("\n## Summary\n\n");
    for (b = 0; b < PEERS_BACKENDS; b++)
        for (o = 0; o < PEERS_OPS; o++)
            for (k = 0; k < NSETS; k++) {
                const struct peers_result *cell = res[b][o][k];
                total++;
                wins += judge((enum peers_backend)b, cell).win;
                for (s = 0; s < PEERS_STRATEGIES; s++)
                    unverified += cell[s].applies && !cell[s].verified;
            }
    printf("lazymmu's modelled cost <= every peer's in %u of %u cells (backend x op x page set).\n\n",
           wins, total);
    if (wins < total)
        printf("| backend | op | pages | lazymmu | best peer | its cost |\n"
               "| --- | --- | --- | ---: | --- | ---: |\n");
    for (b = 0; b < PEERS_BACKENDS; b++)
        for (o = 0; o < PEERS_OPS; o++)
            for (k = 0; k < NSETS; k++) {
                const struct peers_result *cell = res[b][o][k];
                struct verdict v = judge((enum peers_backend)b, cell);
                if (!v.win)
                    printf("| %s | %s | %s | %lu%s | %s | %lu |\n",
                           peers_cost((enum peers_backend)b)->backend, op_names[o], sets[k].name,
                           v.lazy, cell[PS_LAZY].verified ? "" : " **UNVERIFIED**",
                           best_name(&v), v.peer);
            }
    if (unverified)
        printf("\n**UNVERIFIED: %u run(s) did not verify; their numbers mean nothing.**\n",
               unverified);

    printf("\n```\n");
    for (b = 0; b < PEERS_BACKENDS; b++)
        for (k = 0; k < NSETS; k++)
            if (sets[k].claim_a) {
                const struct peers_result *l = &res[b][PO_REMAP][k][PS_LAZY];
                unsigned long T = peers_cost((enum peers_backend)b)->full;
                unsigned long bound = l->distinct < T ? l->distinct : T;
                unsigned long c = peers_inval_cost((enum peers_backend)b, &l->n);
                printf("check (a) %s remap %s: invalidation cost %lu <= min(%lu pages, T %lu) = "
                       "%lu: %s\n", peers_cost((enum peers_backend)b)->backend, sets[k].name, c,
                       l->distinct, T, bound,
                       !l->verified ? "misses (UNVERIFIED)" : c <= bound ? "meets" : "misses");
            }
    for (b = 0; b < PEERS_BACKENDS; b++)
        for (o = 0; o < PEERS_OPS; o++)
            check_b((enum peers_backend)b, (enum peers_op)o);
    printf("```\n");

    if (tsv) {
        fprintf(tsv, "backend\top\tpages\tstrategy\tpage_invals\tfull_invals\tdsb_ish\tdsb_ishst"
                     "\tisb\tfences\thypercalls\thc_ops\tdistinct\tmax_point\tcost\tverified\n");
        for (b = 0; b < PEERS_BACKENDS; b++)
            for (o = 0; o < PEERS_OPS; o++)
                for (k = 0; k < NSETS; k++)
                    for (s = 0; s < PEERS_STRATEGIES; s++) {
                        const struct peers_result *r = &res[b][o][k][s];
                        if (!r->applies)
                            continue;
                        fprintf(tsv, "%s\t%s\t%s\t%s\t%lu\t%lu\t%lu\t%lu\t%lu\t%lu\t%lu\t%lu\t%lu\t"
                                     "%lu\t%lu\t%s\n",
                                peers_cost((enum peers_backend)b)->backend, op_names[o],
                                sets[k].name, strategy_names[s], r->n.page_invals,
                                r->n.full_invals, r->n.dsb_ish, r->n.dsb_ishst, r->n.isb,
                                r->n.fences, r->n.hypercalls, r->n.hc_ops, r->distinct,
                                r->max_point, peers_modelled((enum peers_backend)b, &r->n),
                                r->verified ? "yes" : "NO");
                    }
        fclose(tsv);
    }
    return unverified ? 1 : 0;
}
