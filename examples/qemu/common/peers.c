/* examples/qemu/common/peers.c - lazymmu against the strategies a kernel
 * developer would write instead (bench/peers.h: eager, mmu_gather, Linux
 * arm64 lazy mode, Linux riscv span), timed in the same boot, verified after
 * every run, printed as PEER lines for bench/qemu_peers.awk.
 *
 * Built twice, like timing.c, for the same reason (a release build is what
 * the wall time is about, the counters live in the debug + stats one):
 *
 *   debug + stats, with KERNEL_PEERS (each arch's kernel.elf only): the
 *     driver.  Per workload it runs every strategy once with the hardware
 *     primitives wrapped by counters (lazymmu: its own stats), then
 *     PEER_REPS times on the clock through the release build, rotating the
 *     order each repetition, and reads every page back after every run.
 *     Without KERNEL_PEERS kernel_peer_ops() does nothing: the negative
 *     controls exist to fail, the PKRU kernels' tables fault on the peers'
 *     direct stores, and the peers have no Svinval form.
 *   PEERS_TIMED with LAZY_MMU_DEBUG=0 LAZY_MMU_STATS=0: peer_timed(), one
 *     run of one strategy between two clock reads.
 *
 * bench/peers.h compiles freestanding as it is (its strategies need only
 * lazymmu.h's primitives), so both builds include it directly.
 *
 * Workloads, on the timing window after timing.c is done with it: remap
 * (frame A -> B) and protect (B read-write -> read-only) of
 *   contig512, contig4096  pages 0..n-1 in order;
 *   scatter64s65           64 pages, every 65th: every 97th would need
 *                          6112 pages, the window has 4096, 65 is the
 *                          widest stride that fits;
 *   random512              pages 0..511 in a fixed xorshift permutation.
 * Before each timed run every page was read (before protect also written)
 * through its old translation, so there is something stale to invalidate.
 */
#include "kernel.h"

#if !defined(PEERS_TIMED) && !defined(KERNEL_PEERS)

unsigned kernel_peer_ops(void)
{
    return 0;
}

#else

#if defined(LAZY_MMU_ARCH_X86_64)
#define PEERS_BACKEND PB_X86_64
#elif defined(LAZY_MMU_ARCH_AARCH64)
#define PEERS_BACKEND PB_AARCH64
#else
#define PEERS_BACKEND PB_RISCV64
#endif

#ifndef PEERS_TIMED
/* Wrapped before bench/peers.h sees the names, so only the peers' calls are
 * counted; lazymmu's policy was compiled against the originals above and
 * reports through its stats, which count the same instruction classes. */
static struct peer_hw {
    uint64_t page, full, barriers;
} hw;
#define PEER_COUNT_VA(prim, what)                                    \
    static inline void cnt_##prim(struct lazy_mmu *m, uintptr_t va)  \
    {                                                                \
        hw.what++;                                                   \
        prim(m, va);                                                 \
    }
#define PEER_COUNT(prim, what)                                       \
    static inline void cnt_##prim(struct lazy_mmu *m)                \
    {                                                                \
        hw.what++;                                                   \
        prim(m);                                                     \
    }
#if defined(LAZY_MMU_ARCH_X86_64)
PEER_COUNT_VA(lazy_mmu__x86_64_invlpg, page)
PEER_COUNT(lazy_mmu__x86_64_flush_nonglobal, full)
#define lazy_mmu__x86_64_invlpg cnt_lazy_mmu__x86_64_invlpg
#define lazy_mmu__x86_64_flush_nonglobal cnt_lazy_mmu__x86_64_flush_nonglobal
#elif defined(LAZY_MMU_ARCH_AARCH64)
PEER_COUNT_VA(lazy_mmu__aarch64_tlbi_va, page)
PEER_COUNT(lazy_mmu__aarch64_tlbi_all, full)
PEER_COUNT(lazy_mmu__aarch64_dsb_ish, barriers)
PEER_COUNT(lazy_mmu__aarch64_dsb_ishst, barriers)
PEER_COUNT(lazy_mmu__aarch64_isb, barriers)
#define lazy_mmu__aarch64_tlbi_va cnt_lazy_mmu__aarch64_tlbi_va
#define lazy_mmu__aarch64_tlbi_all cnt_lazy_mmu__aarch64_tlbi_all
#define lazy_mmu__aarch64_dsb_ish cnt_lazy_mmu__aarch64_dsb_ish
#define lazy_mmu__aarch64_dsb_ishst cnt_lazy_mmu__aarch64_dsb_ishst
#define lazy_mmu__aarch64_isb cnt_lazy_mmu__aarch64_isb
#else
PEER_COUNT_VA(lazy_mmu__riscv64_sfence_vma_va, page)
PEER_COUNT(lazy_mmu__riscv64_sfence_vma_all, full)
#define lazy_mmu__riscv64_sfence_vma_va cnt_lazy_mmu__riscv64_sfence_vma_va
#define lazy_mmu__riscv64_sfence_vma_all cnt_lazy_mmu__riscv64_sfence_vma_all
#endif
#endif /* !PEERS_TIMED */

#include "bench/peers.h"

/* One dispatcher for both builds, so the counted run is the timed run's
 * code but for the wrapped primitives. */
static struct lazy_mmu ctx;
static struct peer_update scratch[KERNEL_TIME_PAGES]; /* aarch64: the entries to make */

static void run(unsigned s, const struct peer_update *u, size_t n)
{
    size_t i;
    (void)scratch;
    switch (s) {
    case PS_LAZY: {
        lazy_mmu_state_t st = lazy_mmu_enter(&ctx);
        for (i = 0; i < n; i++)
            lazy_mmu_set_pte(&ctx, u[i].ptep, u[i].pte, u[i].va);
        lazy_mmu_leave(&ctx, st);
        break;
    }
#if defined(LAZY_MMU_ARCH_X86_64)
    case PS_EAGER:
        for (i = 0; i < n; i++)
            peer_x86_eager(&ctx, &u[i]);
        break;
    case PS_GATHER:
        peer_x86_gather(&ctx, u, n);
        break;
#elif defined(LAZY_MMU_ARCH_AARCH64)
    case PS_EAGER:
        for (i = 0; i < n; i++)
            peer_a64_eager(&ctx, &u[i]);
        break;
    case PS_GATHER:
        peer_a64_gather(&ctx, u, n, scratch);
        break;
    case PS_ARM64:
        peer_a64_arm64(&ctx, u, n, scratch);
        break;
#else
    case PS_EAGER:
        for (i = 0; i < n; i++)
            peer_rv_eager(&ctx, &u[i]);
        break;
    case PS_GATHER:
        peer_rv_gather(&ctx, u, n);
        break;
    case PS_RISCV:
        peer_rv_riscv(&ctx, u, n);
        break;
#endif
    default:
        kernel_panic("peers: strategy not built for this architecture");
    }
}

uint64_t peer_timed(unsigned s, const struct peer_update *u, size_t n);

#ifdef PEERS_TIMED

uint64_t peer_timed(unsigned s, const struct peer_update *u, size_t n)
{
    static bool ready;
    uint64_t t0;
    if (!ready) {
        lazy_mmu_init(&ctx);
        ready = true;
    }
    t0 = arch_cycles();
    run(s, u, n);
    return arch_cycles() - t0;
}

#else

#define PEER_REPS 7
#define TIME_BASE KERNEL_WINDOW_PAGES /* timing.c's window */
#define SCATTER_N 64u
#define SCATTER_STRIDE ((KERNEL_TIME_PAGES - 1) / (SCATTER_N - 1))

enum set { SET_C512, SET_C4096, SET_SCATTER, SET_RANDOM, SETS };
enum op { OP_REMAP, OP_PROTECT, TIMED_OPS, OP_MAP = TIMED_OPS, OP_UNMAP };

static const char *const set_name[SETS] = {"contig512", "contig4096", "scatter64s65",
                                           "random512"};
static const char *const op_name[] = {"remap", "protect", "map", "unmap"};
static const char *const strategy_name[PEERS_STRATEGIES] = {
    "lazymmu", "lazy-eager", "eager", "gather", "arm64", "riscv", "xen"};
/* lazymmu without a section is timing.c's business. */
static const unsigned candidates[] = {PS_LAZY, PS_EAGER, PS_GATHER, PS_ARM64, PS_RISCV};

static unsigned strat[sizeof(candidates) / sizeof(candidates[0])], nstrat;
static unsigned pg[KERNEL_TIME_PAGES]; /* the set, in the order it is updated */
static struct peer_update upd[KERNEL_TIME_PAGES];
static uint64_t ticks[TIMED_OPS][sizeof(strat) / sizeof(strat[0])][PEER_REPS];
static struct peer_hw hwops[TIMED_OPS][sizeof(strat) / sizeof(strat[0])];
static enum set cur_set;
static unsigned failures;

_Static_assert(SCATTER_STRIDE >= 1 && (SCATTER_N - 1) * SCATTER_STRIDE < KERNEL_TIME_PAGES,
               "the scattered set must fit the timing window");
_Static_assert(SCATTER_STRIDE == 65, "scatter64s65 names the stride");

static unsigned make_set(enum set s)
{
    unsigned i, n = s == SET_C4096 ? KERNEL_TIME_PAGES : s == SET_SCATTER ? SCATTER_N : 512;
    uint64_t x = 0x2545f4914f6cdd1dull;
    for (i = 0; i < n; i++)
        pg[i] = s == SET_SCATTER ? i * SCATTER_STRIDE : i;
    for (i = n - 1; s == SET_RANDOM && i > 0; i--) { /* Fisher-Yates, xorshift64 */
        unsigned j, t;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        j = (unsigned)(x % (i + 1));
        t = pg[i];
        pg[i] = pg[j];
        pg[j] = t;
    }
    return n;
}

static uintptr_t page_va(unsigned p)
{
    return arch_window_va() + (uintptr_t)(TIME_BASE + p) * LAZY_MMU_PAGE_SIZE;
}

/* As timing.c: two frames per page, so every remap moves it. */
static unsigned frame_of(enum op op, unsigned p)
{
    return (op == OP_MAP ? p : p + 1) % KERNEL_FRAMES;
}

/* What each page gets, computed before the clock starts. */
static void prepare(enum op op, unsigned n)
{
    unsigned i;
    for (i = 0; i < n; i++) {
        upd[i].ptep = arch_window_ptep(TIME_BASE + pg[i]);
        upd[i].va = page_va(pg[i]);
        upd[i].pte = op == OP_UNMAP ? 0
                                    : arch_make_pte(arch_frame_pa(frame_of(op, pg[i])),
                                                    op != OP_PROTECT);
    }
}

static void report(enum op op, unsigned si, unsigned page, const char *what, uint64_t got,
                   uint64_t want)
{
    const char *words[] = {" ", op_name[op], " ", set_name[cur_set], " ",
                           strategy_name[strat[si]]};
    unsigned k;
    kputs("  peer");
    for (k = 0; k < 6; k++)
        kputs(words[k]);
    kput_bad_page(page, what, got, want);
    kputs("FAIL peer");
    for (k = 0; k < 6; k++)
        kputs(words[k]);
    kputs("\n");
    failures++;
}

/* Every page of the set shows what op left, and stays cached for the next
 * operation to invalidate; the first bad page is reported. */
static void verify(enum op op, unsigned si, unsigned n)
{
    unsigned i;
    for (i = 0; i < n; i++) {
        unsigned p = pg[i];
        uint64_t v = 0, want = kernel_frame_pattern(frame_of(op, p));
        bool ok = arch_probe_read(page_va(p), &v);
        if (op == OP_UNMAP) {
            if (ok) {
                report(op, si, p, "should fault", v, 0);
                return;
            }
            continue;
        }
        if (!ok || v != want) {
            report(op, si, p, ok ? "stale" : "faulted", ok ? v : 0, want);
            return;
        }
        if (op != OP_PROTECT && !arch_probe_write(page_va(p), v)) {
            report(op, si, p, "write faulted", 0, 1);
            return;
        }
        if (op == OP_PROTECT && arch_probe_write(page_va(p), v)) {
            report(op, si, p, "write went through", 1, 0);
            return;
        }
    }
}

/* The untimed steps, one lazymmu section each.  The unmap is not read
 * back: each faulting probe is an exception under TCG, and a translation
 * the unmap left cached would show as a stale read when the next map is
 * read back. */
static void setup(enum op op, unsigned si, unsigned n)
{
    prepare(op, n);
    run(PS_LAZY, upd, n);
    if (op == OP_MAP)
        verify(op, si, n);
}

/* One strategy through map, remap, protect, unmap; rep < 0: counted. */
static void cycle(unsigned si, unsigned n, int rep)
{
    enum op op;
    setup(OP_MAP, si, n);
    for (op = OP_REMAP; op < TIMED_OPS; op++) {
        prepare(op, n);
        if (rep >= 0) {
            ticks[op][si][rep] = peer_timed(strat[si], upd, n);
        } else {
            const struct lazy_mmu_stats *st = lazy_mmu_get_stats(&ctx);
            struct peer_hw zero = {0, 0, 0};
            hw = zero;
            lazy_mmu_reset_stats(&ctx);
            run(strat[si], upd, n);
            if (strat[si] == PS_LAZY) {
                hw.page = st->page_invals;
                hw.full = st->full_invals;
                hw.barriers = st->barriers;
            }
            hwops[op][si] = hw;
        }
        verify(op, si, n);
    }
    setup(OP_UNMAP, si, n);
}

static void print_peer(enum op op, unsigned si)
{
    uint64_t *t = ticks[op][si];
    const struct peer_hw *h = &hwops[op][si];
    kputs("PEER ");
    kputs(arch_name);
    kputs(" ");
    kputs(op_name[op]);
    kputs(" ");
    kputs(set_name[cur_set]);
    kputs(" ");
    kputs(strategy_name[strat[si]]);
    kputs(" ticks=");
    kput_u64(kmedian(t, PEER_REPS));
    kputs(" hwops=");
    kput_u64(h->page);
    kputs("/");
    kput_u64(h->full);
    kputs("/");
    kput_u64(h->barriers);
    kputs(" range=");
    kput_u64(t[0]);
    kputs("-");
    kput_u64(t[PEER_REPS - 1]);
    kputs(" reps=");
    kput_u64(PEER_REPS);
    kputs("\n");
}

unsigned kernel_peer_ops(void)
{
    lazy_mmu_pte_t *ptep = arch_window_ptep(TIME_BASE);
    unsigned i, si;
    int r;

    /* Whatever timing.c left: every entry invalid, nothing cached. */
    lazy_mmu_init(&ctx);
    for (i = 0; i < KERNEL_TIME_PAGES; i++)
        if (ptep[i])
            lazy_mmu_set_pte(&ctx, &ptep[i], 0, page_va(i));
    lazy_mmu_invalidate_all(&ctx);

    for (i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++)
        if (peers_applies(PEERS_BACKEND, (enum peers_strategy)candidates[i]))
            strat[nstrat++] = candidates[i];
    for (cur_set = SET_C512; cur_set < SETS; cur_set++) {
        unsigned n = make_set(cur_set);
        /* Each repetition starts one strategy later: none always runs
         * first, right after the counted pass or another's unmap. */
        for (r = -1; r < PEER_REPS; r++)
            for (i = 0; i < nstrat; i++)
                cycle((i + (unsigned)(r + 1)) % nstrat, n, r);
        for (i = 0; i < TIMED_OPS; i++)
            for (si = 0; si < nstrat; si++)
                print_peer((enum op)i, si);
    }
    return failures;
}

#endif
#endif /* PEERS_TIMED || KERNEL_PEERS */
