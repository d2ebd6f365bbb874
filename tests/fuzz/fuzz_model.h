/* tests/fuzz/fuzz_model.h - the fuzzer's eager reference model and its checks.
 *
 * Include this instead of lazymmu.h: it sizes the simulated window and
 * routes library panics into the failure report before the library sees
 * them.  Only the public API and the simulator (arch/<backend>/sim.h over arch/sim/model.h: its
 * functions and the translation state it exposes) are used, never the
 * fields of struct lazy_mmu, so the library's internals may change freely.
 *
 * The model is eager: model[p] is the last entry requested for page p, by
 * set_pte or by a change behind the library's back.  Inside a section an
 * access may see any entry the page has held since the main context's last
 * visibility point, so each page keeps that history.
 */
#ifndef LAZYMMU_FUZZ_MODEL_H
#define LAZYMMU_FUZZ_MODEL_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A panic in valid use is a bug: report it with the operations so far. */
static void fuzz_panic(const char *msg);
#define LAZY_MMU_PANIC(msg) fuzz_panic(msg)
#ifndef LAZY_MMU_SIMULATE
#define LAZY_MMU_SIMULATE 1
#endif
#ifndef LAZY_MMU_DEBUG
#define LAZY_MMU_DEBUG 1
#endif
/* Window: NS pages for the interrupted code, NI for the interrupt handler.
 * Small, so runs collide and every visibility point can check every page. */
#define NS 128u
#define NI 16u
#define NP (NS + NI)
#define LAZY_MMU_SIM_PAGES NP
/* CPUs of the model: m and irq run on CPU 0, and the others read every page
 * after each round they receive, as a running kernel's CPUs do; a round
 * that is missing, early or short leaves one of them stale. */
#define FUZZ_CPUS 3u
struct lazy_mmu;
struct lazy_mmu_shootdown;
static void fuzz_shootdown(struct lazy_mmu *m, const struct lazy_mmu_shootdown *sd);
#define LAZY_MMU_SHOOTDOWN(m, sd) fuzz_shootdown((m), (sd))
#include "lazymmu.h"

#ifndef FUZZ_CONFIG
#define FUZZ_CONFIG "?"
#endif

#define BASE ((uintptr_t)0x40000000u)
#define VA(i) (BASE + (uintptr_t)(i) * LAZY_MMU_PAGE_SIZE)

#if defined(LAZY_MMU_ARCH_AARCH64)
#define IS_AARCH64 1
#else
#define IS_AARCH64 0
#endif

static struct lazy_mmu_sim sim;
static struct lazy_mmu m;   /* the interrupted code's context */
static struct lazy_mmu irq; /* the same CPU's interrupt context */
static struct lazy_mmu rx[FUZZ_CPUS]; /* each other CPU's receiving context */

/* The kernel's IPI round: each other CPU applies sd, then reads on. */
static __attribute__((unused)) void fuzz_shootdown(struct lazy_mmu *from,
                                                   const struct lazy_mmu_shootdown *sd)
{
#if defined(LAZY_MMU_ARCH_PARAVIRT)
    (void)from, (void)sd; /* the hypervisor's job: never called */
#else
    unsigned c, p;
    for (c = 1; c < FUZZ_CPUS; c++) {
        lazy_mmu_shootdown_apply(&rx[c], sd);
        for (p = 0; p < NP; p++)
            (void)lazy_mmu_sim_access_on(&sim, c, VA(p));
    }
    (void)from; /* m and irq run on CPU 0; every instruction names its CPU */
#endif
}
static lazy_mmu_pte_t model[NP];
static bool touched[NP]; /* set through the library since the last visibility point */
static unsigned nenter, npause; /* sections of m open, as the sequence built them */
static int trace;

/* Defined by the decoder: prints the operations so far. */
static void dump_ops(void);

#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 1, 2), noreturn))
#endif
static void fail(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "lazymmu fuzz (%s): FAIL: ", FUZZ_CONFIG);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    if (!trace) /* a traced run printed each operation already */
        dump_ops();
    __builtin_trap(); /* libFuzzer saves the input as a crash */
}

static void fuzz_panic(const char *msg)
{
    fail("library panic in valid use: %s", msg);
}

/* What an access through an entry returns: the entry, or 0 for a fault. */
static lazy_mmu_pte_t expect(lazy_mmu_pte_t pte)
{
    return lazy_mmu__arch_pte_valid(pte) ? pte : 0;
}

/* ---- entries each page has held since the last visibility point ---- */

/* Lists per page through one pool, so a long section costs no per-page
 * limit; the pool is compacted only when every page restarts. */
#define HIST_MAX (1 << 20)
static struct {
    lazy_mmu_pte_t v;
    int next;
} hist[HIST_MAX];
static int hist_head[NP];
static unsigned nhist;
static bool hist_overflow; /* then in-section accesses go unchecked */

/* Pages [lo, hi) reached a visibility point: their history restarts at
 * their model entry. */
static void hist_reset(unsigned lo, unsigned hi)
{
    unsigned p;
    if (lo == 0 && hi == NP) {
        nhist = 0;
        hist_overflow = false;
    }
    for (p = lo; p < hi; p++) {
        touched[p] = false;
        hist_head[p] = -1;
        if (nhist < HIST_MAX) {
            hist[nhist].v = model[p];
            hist[nhist].next = -1;
            hist_head[p] = (int)nhist++;
        } else {
            hist_overflow = true;
        }
    }
}

static void hist_add(unsigned p, lazy_mmu_pte_t v)
{
    if (nhist == HIST_MAX) {
        hist_overflow = true;
        return;
    }
    hist[nhist].v = v;
    hist[nhist].next = hist_head[p];
    hist_head[p] = (int)nhist++;
}

static bool hist_has(unsigned p, lazy_mmu_pte_t got)
{
    int i;
    if (hist_overflow)
        return true;
    for (i = hist_head[p]; i >= 0; i = hist[i].next)
        if (expect(hist[i].v) == got)
            return true;
    return false;
}

/* aarch64: whoever changes an entry by other means owes break-before-make
 * for it too: no valid entry with another output address while the page may
 * still have a translation to a different one (one it held since the last
 * visibility point).  The simulator does not check pokes, so the decoder
 * keeps its own changes legal with this. */
static bool poke_breaks_bbm(unsigned p, lazy_mmu_pte_t pte)
{
#if defined(LAZY_MMU_ARCH_AARCH64)
    int i;
    if (!lazy_mmu__arch_pte_valid(pte))
        return false;
    if (hist_overflow)
        return true;
    for (i = hist_head[p]; i >= 0; i = hist[i].next)
        if (lazy_mmu__arch_pte_valid(hist[i].v) && ((hist[i].v ^ pte) & LAZY_MMU__ARCH_PTE_OA) != 0)
            return true;
#else
    (void)p;
    (void)pte;
#endif
    return false;
}

/* ---- the checks ---- */

/* After every operation: read-your-writes through both contexts, no
 * simulator rule broken, activity as the sequence implies. */
static void check_always(const char *when)
{
    unsigned p;
    if (sim.violation)
        fail("%s: simulator: %s", when, sim.violation);
    if (lazy_mmu_is_active(&m) != (nenter > 0 && npause == 0))
        fail("%s: lazy_mmu_is_active() is %d with %u enters and %u pauses open", when,
             lazy_mmu_is_active(&m), nenter, npause);
    if (lazy_mmu_is_active(&irq))
        fail("%s: the interrupt context is still active", when);
    for (p = 0; p < NP; p++) {
        lazy_mmu_pte_t got = lazy_mmu_get_pte(&m, &sim.pt[p]);
        if (got != model[p])
            fail("%s: lazy_mmu_get_pte(page %u) = %#llx, model %#llx", when, p,
                 (unsigned long long)got, (unsigned long long)model[p]);
    }
    for (p = NS; p < NP; p++) {
        lazy_mmu_pte_t got = lazy_mmu_get_pte(&irq, &sim.pt[p]);
        if (got != model[p])
            fail("%s: interrupt context: lazy_mmu_get_pte(page %u) = %#llx, model %#llx", when, p,
                 (unsigned long long)got, (unsigned long long)model[p]);
    }
}

/* A visibility point of the main context: everything requested is in
 * effect.  Every page is then accessed, so its translation is cached and a
 * later missing invalidation shows as a stale read. */
static void check_visible(const char *when)
{
    unsigned p;
    size_t stale = lazy_mmu_sim_stale(&sim);

    check_always(when);
    if (stale)
        fail("%s: %zu stale translations at a visibility point", when, stale);
    for (p = 0; p < NP; p++) {
        unsigned c;
        for (c = FUZZ_CPUS; c-- > 0;) {
            lazy_mmu_pte_t got = lazy_mmu_sim_access_on(&sim, c, VA(p));
            if (got != expect(model[p]))
                fail("%s: page %u translates to %#llx on CPU %u at a visibility point, model %#llx",
                     when, p, (unsigned long long)got, c, (unsigned long long)model[p]);
        }
    }
    if (sim.violation)
        fail("%s: simulator: %s", when, sim.violation);
    hist_reset(0, NP);
}

/* Right after an eager call of the interrupt handler (or its leave): its
 * page is in effect, whatever the interrupted section has pending. */
static void check_irq_page(unsigned p, const char *when)
{
    lazy_mmu_pte_t got;
    if (sim.violation)
        fail("%s: simulator: %s", when, sim.violation);
    if (sim.need_isb)
        fail("%s: the handler's call returned without an ISB", when);
    if (lazy_mmu_sim_page_stale(&sim, p))
        fail("%s: handler page %u is stale right after the handler's call", when, p);
    got = lazy_mmu_sim_access(&sim, VA(p));
    if (got != expect(model[p]))
        fail("%s: handler page %u translates to %#llx right after the handler's call, model %#llx",
             when, p, (unsigned long long)got, (unsigned long long)model[p]);
    hist_reset(p, p + 1);
}

/* After an operation of the main context: every call made while it is not
 * active is a visibility point. */
static void after(const char *when)
{
    if (!lazy_mmu_is_active(&m))
        check_visible(when);
    else
        check_always(when);
}

#endif
