/* bench/peers_backend.c - one backend's half of bench/peers.c; built once per
 * backend with -DLAZY_MMU_ARCH_<X> -DLAZY_MMU_SIMULATE=1 -DLAZY_MMU_DEBUG=1.
 *
 * Runs one (workload, strategy) cell on a fresh simulated MMU whose every
 * old translation is cached, counts what the simulator was asked to do, and
 * verifies the result.  lazymmu is driven through its public API only; the
 * peers (bench/peers.h) through the primitives alone, on a context whose
 * simulator is attached and whose fields nobody reads. */
#if !defined(LAZY_MMU_SIMULATE) || !LAZY_MMU_SIMULATE
#error "bench/peers_backend.c runs on the simulated MMU: build with -DLAZY_MMU_SIMULATE=1"
#endif

#include <string.h>

#ifdef LAZY_MMU_ARCH_PARAVIRT
/* The hypercall lazymmu and the Xen peer both make: the simulator's, plus
 * the invalidation ops it carries, which its counters do not separate. */
struct lazy_mmu_paravirt_op;
static size_t peers_paravirt_commit(void *hv, const struct lazy_mmu_paravirt_op *ops, size_t n);
#define LAZY_MMU_PARAVIRT_COMMIT peers_paravirt_commit
#endif

#include "lazymmu.h"
#include "peers.h"

#if defined(LAZY_MMU_ARCH_X86_64)
#define PEERS_BACKEND PB_X86_64
#define PEERS_RUN peers_run_x86_64
#elif defined(LAZY_MMU_ARCH_AARCH64)
#define PEERS_BACKEND PB_AARCH64
#define PEERS_RUN peers_run_aarch64
#elif defined(LAZY_MMU_ARCH_RISCV64)
#define PEERS_BACKEND PB_RISCV64
#define PEERS_RUN peers_run_riscv64
#else
#define PEERS_BACKEND PB_PARAVIRT
#define PEERS_RUN peers_run_paravirt
#endif

struct peers_result PEERS_RUN(enum peers_op op, const struct peers_step *steps, size_t nsteps,
                              enum peers_strategy s);

#define PEERS_BASE ((uintptr_t)0x7f0000000000ull)
#define PEERS_VA(i) (PEERS_BASE + (uintptr_t)(i) * LAZY_MMU_PAGE_SIZE)
#define PEERS_MAX_DEPTH 16
#define PEERS_MAX_UPDATES (2 * LAZY_MMU_SIM_PAGES)

/* Page `page`'s entry at `version` (0: before the workload).  The simulator
 * looks only at the valid bit (bit 0 everywhere) and, on aarch64, the output
 * address; the other bits just make every version a different value. */
#define PEERS_PROT_V2 ((uint64_t)1 << 63) /* protect's second change: x86 XD */
static inline uint64_t peers_entry(enum peers_op op, unsigned page, unsigned version)
{
    uint64_t frame = 0x100000u + (uint64_t)page;
    if (version == 0)
        return op == PO_MAP ? 0 : frame << 12 | 3u;
    switch (op) {
    case PO_MAP: /* a second map of the same page names another frame */
        return (frame + 0x20000u * (uint64_t)(version - 1)) << 12 | 3u;
    case PO_REMAP:
        return (frame + 0x10000u * (uint64_t)version) << 12 | 3u;
    case PO_PROTECT: /* bit 1 ("writable" here) goes; then another bit comes */
        return frame << 12 | 1u | (version > 1 ? PEERS_PROT_V2 : 0);
    default: /* unmap; again: a not-present entry that is not 0 (a swap entry) */
        return version > 1 ? frame << 12 | 2u : 0;
    }
}

/* Pages of the window outside the page set: valid, cached, never changed. */
static inline uint64_t peers_bystander(unsigned page)
{
    return (0x300000u + (uint64_t)page) << 12 | 3u;
}

static struct lazy_mmu_sim sim;
static struct lazy_mmu ctx;
static struct peer_update batch[PEERS_MAX_UPDATES];
#ifdef LAZY_MMU_ARCH_AARCH64
static struct peer_update scratch[PEERS_MAX_UPDATES]; /* the entries broken, awaiting their make */
#endif
static lazy_mmu_pte_t want[LAZY_MMU_SIM_PAGES]; /* each page's entry as the workload runs */
static unsigned char needs[LAZY_MMU_SIM_PAGES];  /* its translation had to go */

#ifdef LAZY_MMU_ARCH_PARAVIRT
static unsigned long pv_pages, pv_all;
static bool pv_short; /* a call applied fewer ops than it was given */

static size_t peers_paravirt_commit(void *hv, const struct lazy_mmu_paravirt_op *ops, size_t n)
{
    size_t i, done = lazy_mmu_sim_hypercall(hv, ops, n);
    for (i = 0; i < done; i++) {
        uint64_t cmd = ops[i].ptr & LAZY_MMU_PARAVIRT_CMD_MASK;
        if (cmd == LAZY_MMU_PARAVIRT_INVLPG)
            pv_pages += ops[i].val;
        else if (cmd == LAZY_MMU_PARAVIRT_INVAL_ALL)
            pv_all++;
    }
    pv_short |= done != n;
    return done;
}
#endif

static struct peers_counts counts_now(void)
{
    const struct lazy_mmu_sim_counts *c = &sim.n;
    struct peers_counts r;

    r.page_invals = c->invlpg + c->tlbi_va + c->sfence_va + c->sinval;
    r.full_invals = c->cr3_reload + c->global_flush + c->tlbi_all + c->sfence_all;
#ifdef LAZY_MMU_ARCH_PARAVIRT
    r.page_invals += pv_pages;
    r.full_invals += pv_all;
#endif
    r.dsb_ish = c->dsb_ish;
    r.dsb_ishst = c->dsb_ishst;
    r.isb = c->isb;
    r.fences = c->sfence_w_inval + c->sfence_inval_ir;
    r.hypercalls = c->hypercalls;
    r.hc_ops = c->hypercall_ops;
    return r;
}

/* A LEAVE or FLUSH step has run: everything since the previous one served
 * this visibility point, early publishes of a full batch included; claim
 * (b) of bench/peers.c bounds its per-page invalidations. */
static void note_point(struct peers_result *r, struct peers_counts *since)
{
    struct peers_counts now = counts_now();
    unsigned long d = now.page_invals - since->page_invals;
    if (d > r->max_point)
        r->max_point = d;
    *since = now;
}

/* A window just wide enough for the page set, the pages outside it
 * bystanders; every old translation read once, so that a missed
 * invalidation shows as a stale read (as examples/workload.h does). */
static size_t prepare(enum peers_op op, const struct peers_step *st, size_t n)
{
    size_t i, npages = 1;

    for (i = 0; i < n; i++)
        if (st[i].kind == STEP_SET && st[i].page + 1u > npages)
            npages = st[i].page + 1u;
    lazy_mmu_sim_init(&sim, PEERS_BASE, npages);
    lazy_mmu_init(&ctx);
    lazy_mmu_sim_attach(&ctx, &sim);
    for (i = 0; i < npages; i++) {
        want[i] = peers_bystander((unsigned)i);
        needs[i] = 0;
    }
    for (i = 0; i < n; i++)
        if (st[i].kind == STEP_SET)
            want[st[i].page] = peers_entry(op, st[i].page, 0);
    for (i = 0; i < npages; i++) {
        lazy_mmu_sim_poke(&sim, PEERS_VA(i), want[i]);
        (void)lazy_mmu_sim_access(&sim, PEERS_VA(i));
    }
    memset(&sim.n, 0, sizeof(sim.n));
#ifdef LAZY_MMU_ARCH_PARAVIRT
    pv_pages = pv_all = 0;
    pv_short = false;
#endif
    return npages;
}

/* The update of a SET step; want[] follows, and records whether the page's
 * cached translation must go: a valid one anywhere, an invalid one too on
 * riscv64 (harts may cache invalid entries; no Svvptc modelled). */
static struct peer_update update_of(enum peers_op op, const struct peers_step *st)
{
    struct peer_update u;
    lazy_mmu_pte_t old = want[st->page];

    u.va = PEERS_VA(st->page);
    u.ptep = lazy_mmu_sim_ptep(&sim, u.va);
    u.pte = peers_entry(op, st->page, st->version);
#ifdef LAZY_MMU_ARCH_RISCV64
    needs[st->page] |= lazy_mmu__arch_pte_valid(old) || lazy_mmu__arch_pte_valid(u.pte);
#else
    needs[st->page] |= lazy_mmu__arch_pte_valid(old);
#endif
    want[st->page] = u.pte;
    return u;
}

static void run_lazymmu(enum peers_op op, const struct peers_step *st, size_t n, bool sections,
                        struct peers_result *r)
{
    lazy_mmu_state_t open[PEERS_MAX_DEPTH];
    struct peers_counts since = counts_now();
    unsigned depth = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        struct peer_update u;

        switch (st[i].kind) {
        case STEP_SET:
            u = update_of(op, &st[i]);
            lazy_mmu_set_pte(&ctx, u.ptep, u.pte, u.va); /* a full batch publishes here */
            break;
        case STEP_ENTER:
            if (sections && depth < PEERS_MAX_DEPTH)
                open[depth++] = lazy_mmu_enter(&ctx);
            break;
        case STEP_LEAVE:
            if (sections && depth > 0)
                lazy_mmu_leave(&ctx, open[--depth]);
            note_point(r, &since);
            break;
        default:
            if (sections)
                lazy_mmu_flush(&ctx);
            note_point(r, &since);
            break;
        }
    }
}

/* One peer's batch: the updates since the last visibility point. */
static bool peer_batch(enum peers_strategy s, size_t n)
{
    if (n == 0)
        return true;
#if defined(LAZY_MMU_ARCH_X86_64)
    (void)s;
    peer_x86_gather(&ctx, batch, n);
#elif defined(LAZY_MMU_ARCH_AARCH64)
    if (s == PS_ARM64)
        peer_a64_arm64(&ctx, batch, n, scratch);
    else
        peer_a64_gather(&ctx, batch, n, scratch);
#elif defined(LAZY_MMU_ARCH_RISCV64)
    if (s == PS_RISCV)
        peer_rv_riscv(&ctx, batch, n);
    else
        peer_rv_gather(&ctx, batch, n);
#else
    (void)s;
    return peer_pv_xen(&sim, batch, n);
#endif
    return true;
}

static bool peer_eager(const struct peer_update *u)
{
#if defined(LAZY_MMU_ARCH_X86_64)
    peer_x86_eager(&ctx, u);
#elif defined(LAZY_MMU_ARCH_AARCH64)
    peer_a64_eager(&ctx, u);
#elif defined(LAZY_MMU_ARCH_RISCV64)
    peer_rv_eager(&ctx, u);
#else
    return peer_pv_eager(&sim, u);
#endif
    return true;
}

static bool run_peer(enum peers_op op, const struct peers_step *st, size_t n,
                     enum peers_strategy s, struct peers_result *r)
{
    struct peers_counts since = counts_now();
    size_t i, nb = 0;
    bool ok = true;

    for (i = 0; i < n; i++) {
        if (st[i].kind == STEP_SET) {
            struct peer_update u = update_of(op, &st[i]);
            if (s == PS_EAGER)
                ok &= peer_eager(&u);
            else if (nb < PEERS_MAX_UPDATES)
                batch[nb++] = u;
            else
                ok = false;
        } else if (st[i].kind != STEP_ENTER) {
            ok &= peer_batch(s, nb);
            nb = 0;
            note_point(r, &since);
        }
    }
    return ok && peer_batch(s, nb); /* nothing may stay unpublished */
}

/* Afterwards: nothing stale, no rule broken, and every page (bystanders
 * too) holds and reads back the entry it should. */
static const char *verify(size_t npages)
{
    const char *why = NULL;
    size_t i;

    if (lazy_mmu_sim_stale(&sim) != 0)
        why = "stale translations after the last visibility point";
#ifdef LAZY_MMU_ARCH_PARAVIRT
    if (pv_short)
        why = "a hypercall applied fewer ops than it was given";
#endif
    for (i = 0; i < npages && !why; i++) {
        lazy_mmu_pte_t w = want[i];
        if (*lazy_mmu_sim_ptep(&sim, PEERS_VA(i)) != w ||
            lazy_mmu_sim_access(&sim, PEERS_VA(i)) != (lazy_mmu__arch_pte_valid(w) ? w : 0))
            why = "a page reads back a wrong entry";
    }
    return sim.violation ? sim.violation : why;
}

struct peers_result PEERS_RUN(enum peers_op op, const struct peers_step *steps, size_t nsteps,
                              enum peers_strategy s)
{
    struct peers_result r;
    size_t npages, i;
    bool ok = true;

    memset(&r, 0, sizeof(r));
    r.threshold = LAZY_MMU_FLUSH_ALL_THRESHOLD;
    r.batch = LAZY_MMU_BATCH_MAX;
    r.applies = peers_applies(PEERS_BACKEND, s);
    if (!r.applies)
        return r;
    npages = prepare(op, steps, nsteps);
    if (s == PS_LAZY || s == PS_LAZY_EAGER)
        run_lazymmu(op, steps, nsteps, s == PS_LAZY, &r);
    else
        ok = run_peer(op, steps, nsteps, s, &r);
    r.n = counts_now();
    r.why = ok ? verify(npages) : "the strategy could not issue its batch";
    r.verified = r.why == NULL;
    for (i = 0; i < npages; i++)
        r.distinct += needs[i];
    return r;
}
