/* tests/concurrency/threads.c - contexts share nothing: N CPUs at once under
 * ThreadSanitizer.
 *
 * Built with -fsanitize=thread, once per configuration (run.sh).  Each thread
 * plays one CPU with its own struct lazy_mmu and its own simulated MMU
 * (struct lazy_mmu_sim: that CPU's TLB and walker over its window of page
 * tables).  All CPUs also share page tables the simulator does not model,
 * as a kernel's CPUs share one address space:
 *  - one array every thread updates through its context, each its own
 *    slice of entries (a kernel serialises writers of one entry with its own
 *    locks; the library must not add sharing of its own);
 *  - one array set up before the threads start and only read afterwards,
 *    by every thread through lazy_mmu_get_pte (a lookup in the context's own
 *    batch, then a load), and invalidated by every thread, sections and all.
 * Invalidations of those pages fall outside every simulated window: they
 * are counted only.  Contexts and simulators sit side by side in arrays, as
 * per-CPU data would.  Each thread runs a bounded number of random sections
 * (nesting, flush, pause/resume, set_pte runs, invalidations) and checks its
 * own invariants at every visibility point.  Any data race TSan reports is
 * state shared by accident in lazymmu.h, arch/ or the simulator.
 *
 * Negative control (-DTHREADS_SHARE_CONTEXT=1): threads 0 and 1 use the same
 * context and simulator, the misuse README.md forbids.  TSan must report a
 * data race on it (run.sh requires that), or a clean run would prove nothing.
 *
 *   threads [NTHREADS [SECTIONS]]   defaults 4 and 2000; exit 0 on success
 */
#define _POSIX_C_SOURCE 200809L /* pthread barriers under -std=c11 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LAZY_MMU_SIMULATE 1
#define LAZY_MMU_DEBUG 1
#define LAZY_MMU_STATS 1
#define NPAGES 96u
#define LAZY_MMU_SIM_PAGES NPAGES
#include "lazymmu.h"

#ifndef THREADS_SHARE_CONTEXT
#define THREADS_SHARE_CONTEXT 0
#endif
#define MAX_THREADS 16
#define SHARED_SLICE 32u /* entries of the shared table per thread */
#define SHARED_RO 64u    /* entries of the read-only shared table */
#define PTE_V ((lazy_mmu_pte_t)1)
#define PTE_W ((lazy_mmu_pte_t)1 << 1)
/* Far outside every simulated window (those start at 1 GiB). */
#define SHARED_BASE ((uintptr_t)1 << 36)

struct cpu {
    unsigned id;
    uintptr_t base; /* this CPU's window: disjoint VA slices */
    uint64_t rng;
    uint64_t next_frame;
    lazy_mmu_pte_t model[NPAGES];
    lazy_mmu_pte_t shared_model[SHARED_SLICE];
    unsigned long sections, visibility_points;
    const char *failure;
};

/* Per-CPU data, side by side. */
static struct lazy_mmu ctx[MAX_THREADS];
static struct lazy_mmu_sim sims[MAX_THREADS];
static struct cpu cpus[MAX_THREADS];
/* One page-table array for everybody; thread t owns shared_pt[t][]. */
static lazy_mmu_pte_t shared_pt[MAX_THREADS][SHARED_SLICE];
static lazy_mmu_pte_t shared_ro[SHARED_RO];
static pthread_barrier_t start;
static unsigned nsections = 2000;

static unsigned rnd(struct cpu *c, unsigned n)
{
    c->rng ^= c->rng << 13;
    c->rng ^= c->rng >> 7;
    c->rng ^= c->rng << 17;
    return (unsigned)((c->rng >> 11) % n);
}

static uintptr_t va(const struct cpu *c, unsigned p)
{
    return c->base + (uintptr_t)p * LAZY_MMU_PAGE_SIZE;
}

static uintptr_t shared_va(unsigned t, unsigned i)
{
    return SHARED_BASE + ((uintptr_t)t * SHARED_SLICE + i) * LAZY_MMU_PAGE_SIZE;
}

static lazy_mmu_pte_t ro_entry(unsigned i)
{
    return ((lazy_mmu_pte_t)(0x7000 + i) << 12) | PTE_V;
}

#define CHECK(c, cond, msg) \
    do { \
        if (!(cond) && !(c)->failure) \
            (c)->failure = (msg); \
    } while (0)

static void check_visible(struct cpu *c, struct lazy_mmu *m, struct lazy_mmu_sim *s)
{
    unsigned p;
    c->visibility_points++;
    CHECK(c, s->violation == NULL, "simulator rule broken");
    CHECK(c, lazy_mmu_sim_stale(s) == 0, "stale translation at a visibility point");
    for (p = 0; p < NPAGES; p++) {
        lazy_mmu_pte_t want = lazy_mmu__arch_pte_valid(c->model[p]) ? c->model[p] : 0;
        CHECK(c, lazy_mmu_sim_access(s, va(c, p)) == want, "access differs from the model");
        CHECK(c, s->pt[p] == c->model[p], "page table differs from the model");
    }
    for (p = 0; p < SHARED_SLICE; p++)
        CHECK(c, lazy_mmu_get_pte(m, &shared_pt[c->id][p]) == c->shared_model[p] &&
                     shared_pt[c->id][p] == c->shared_model[p],
              "shared page-table slice differs from the model");
}

/* A new entry for page p: map (new frame), remap, protect or unmap. */
static lazy_mmu_pte_t change(struct cpu *c, lazy_mmu_pte_t old)
{
    unsigned k = rnd(c, 4);
    if (!lazy_mmu__arch_pte_valid(old) || k >= 2)
        return (c->next_frame++ << 12) | PTE_V | PTE_W;
    return k == 0 ? 0 : old ^ PTE_W;
}

static void set(struct cpu *c, struct lazy_mmu *m, struct lazy_mmu_sim *s, unsigned p)
{
    lazy_mmu_pte_t pte = change(c, c->model[p]);
    lazy_mmu_set_pte(m, &s->pt[p], pte, va(c, p));
    c->model[p] = pte;
}

/* Reads and invalidates the read-only shared table: what every CPU does
 * with the kernel's half of an address space. */
static void use_shared_ro(struct cpu *c, struct lazy_mmu *m)
{
    unsigned i = rnd(c, SHARED_RO), n = 1 + rnd(c, 8);
    CHECK(c, lazy_mmu_get_pte(m, &shared_ro[i]) == ro_entry(i), "read-only shared entry changed");
    if (rnd(c, 2))
        lazy_mmu_invalidate_page(m, SHARED_BASE + (MAX_THREADS * SHARED_SLICE + i) * LAZY_MMU_PAGE_SIZE);
    else
        lazy_mmu_invalidate_range(m, SHARED_BASE, SHARED_BASE + n * LAZY_MMU_PAGE_SIZE);
}

/* One random section, possibly nested, with flushes and a pause. */
static void section(struct cpu *c, struct lazy_mmu *m, struct lazy_mmu_sim *s, unsigned depth)
{
    lazy_mmu_state_t st = lazy_mmu_enter(m);
    unsigned n = 1 + rnd(c, 12), i;

    for (i = 0; i < n; i++) {
        unsigned op = rnd(c, 11);
        if (op < 5) { /* a run */
            unsigned first = rnd(c, NPAGES), len = 1 + rnd(c, 40), p;
            for (p = first; p < first + len && p < NPAGES; p++)
                set(c, m, s, p);
        } else if (op == 5) {
            unsigned e = rnd(c, SHARED_SLICE);
            lazy_mmu_pte_t pte = (c->next_frame++ << 12) | PTE_V;
            lazy_mmu_set_pte(m, &shared_pt[c->id][e], pte, shared_va(c->id, e));
            c->shared_model[e] = pte;
        } else if (op == 6) {
            lazy_mmu_flush(m);
            check_visible(c, m, s);
        } else if (op == 7 && depth < 3) {
            section(c, m, s, depth + 1); /* its leave is a visibility point */
        } else if (op == 8) {
            lazy_mmu_state_t ps = lazy_mmu_pause(m);
            check_visible(c, m, s);
            set(c, m, s, rnd(c, NPAGES)); /* eager */
            use_shared_ro(c, m);
            check_visible(c, m, s);
            lazy_mmu_resume(m, ps);
        } else if (op == 9) {
            use_shared_ro(c, m);
        } else {
            unsigned first = rnd(c, NPAGES);
            lazy_mmu_invalidate_range(m, va(c, first),
                                      va(c, first) + (1 + rnd(c, 8)) * LAZY_MMU_PAGE_SIZE);
        }
        CHECK(c, s->violation == NULL, "simulator rule broken in a section");
        CHECK(c, lazy_mmu_is_active(m), "not active inside a section");
    }
    lazy_mmu_leave(m, st);
    check_visible(c, m, s);
}

static void *cpu_main(void *arg)
{
    struct cpu *c = arg;
    /* The negative control: thread 1 borrows thread 0's context. */
    unsigned k = THREADS_SHARE_CONTEXT && c->id == 1 ? 0 : c->id;
    unsigned i;

    pthread_barrier_wait(&start);
    for (i = 0; i < nsections && !c->failure; i++) {
        section(c, &ctx[k], &sims[k], 0);
        c->sections++;
    }
    return NULL;
}

int main(int argc, char **argv)
{
    unsigned n = argc > 1 ? (unsigned)atoi(argv[1]) : 4, t, p;
    pthread_t th[MAX_THREADS];
    int failed = 0;

    if (argc > 2)
        nsections = (unsigned)atoi(argv[2]);
    if (n < 2 || n > MAX_THREADS) {
        fprintf(stderr, "threads: 2..%d threads\n", MAX_THREADS);
        return 2;
    }
    pthread_barrier_init(&start, NULL, n);
    for (p = 0; p < SHARED_RO; p++)
        shared_ro[p] = ro_entry(p);
    for (t = 0; t < n; t++) {
        struct cpu *c = &cpus[t];
        c->id = t;
        c->base = ((uintptr_t)0x40000000u) + (uintptr_t)t * (NPAGES * LAZY_MMU_PAGE_SIZE);
        c->rng = 0x9e3779b97f4a7c15ull * (t + 1);
        c->next_frame = 0x1000 + (uint64_t)t * 0x100000;
        lazy_mmu_sim_init(&sims[t], c->base, NPAGES);
        lazy_mmu_init(&ctx[t]);
        lazy_mmu_sim_attach(&ctx[t], &sims[t]);
        for (p = 0; p < NPAGES; p++) {
            c->model[p] = p < NPAGES / 2 ? (c->next_frame++ << 12) | PTE_V | PTE_W : 0;
            lazy_mmu_sim_poke(&sims[t], va(c, p), c->model[p]);
        }
    }
    for (t = 0; t < n; t++)
        if (pthread_create(&th[t], NULL, cpu_main, &cpus[t]) != 0) {
            fprintf(stderr, "threads: pthread_create failed\n");
            return 2;
        }
    for (t = 0; t < n; t++)
        pthread_join(th[t], NULL);
    for (t = 0; t < n; t++) {
        const struct lazy_mmu_stats *st = lazy_mmu_get_stats(&ctx[t]);
        printf("cpu %u: %lu sections, %lu visibility points checked, %llu updates, %llu publishes%s%s\n",
               t, cpus[t].sections, cpus[t].visibility_points, (unsigned long long)st->updates,
               (unsigned long long)st->publishes, cpus[t].failure ? ": FAIL: " : "",
               cpus[t].failure ? cpus[t].failure : "");
        failed |= cpus[t].failure != NULL;
    }
    pthread_barrier_destroy(&start);
    return failed;
}
