/* bench/insns_peers.c - instructions per update: lazymmu against the peer
 * strategies of bench/peers.h, counted by callgrind.
 *
 * Built like bench/insns.c: once per backend (-DLAZY_MMU_ARCH_<X>), the
 * release configuration, an ordinary host program over bench/nullinsn.h
 * (each privileged instruction one `nop`), no simulator.  The peers are
 * bench/peers.h's own strategy functions: they need only the primitives,
 * which nullinsn.h defines under the same names, so nothing is rewritten.
 * bench/run.sh (section 5; alone: `make bench-insns-peers`) runs it under
 * `valgrind --tool=callgrind` and bench/insns_peers.awk does the arithmetic.
 *
 * METHOD
 *   A section is what a caller writes for one batch of N updates: for
 *   lazymmu enter, N lazy_mmu_set_pte, leave (its publish and invalidation
 *   loop included); for a peer one call of its batch function, which stores
 *   the N entries and makes them visible; for the naive eager peer N calls
 *   of its per-update function.  A cell (workload, strategy) is two
 *   out-of-line wrappers, ip_<w>_<s>__a and __b, that call one shared body
 *   with NA and NB sections in a row, so the two run the same code and
 *   differ only in the section count:
 *     per update = ((Ir(__b) - Ir(__a)) - (Ir(base__b) - Ir(base__a)))
 *                  / ((NB - NA) * N)
 *   which cancels the call, prologue and anything else paid once per cell
 *   (such as the first section's cold context).  base is the same two loops
 *   that only load each update's arguments; every strategy reads them from
 *   the same prebuilt array (the peers' functions take one), so lazymmu and
 *   the peers are charged for their own work alone.  No compiler barrier
 *   between updates on either side: a peer's loop runs inside its function,
 *   and a barrier only in lazymmu's loop would charge it reloads the peers
 *   are spared.  Sections alternate between two generations of entries, so
 *   every update changes its entry (a remap another frame, a protect the
 *   writable bit).  Paravirt: the hypercall is an out-of-line function that
 *   applies the SETs (later sections read the entries it wrote); the script
 *   runs callgrind with --toggle-collect on it, so the counts are the
 *   guest's instructions, a call costing what prepares and makes it.
 *
 *   Output, one line each:
 *     BACKEND <name>
 *     COLUMN <strategy> <label>            lazymmu first, then the peers
 *     WORKLOAD <id> <check-name> <N> <NA> <NB> <label>
 *     CELL <workload id> <column> <function prefix>
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define LAZY_MMU_INSN_HEADER "nullinsn.h" /* the instructions: one nop each */

#if defined(LAZY_MMU_ARCH_PARAVIRT)
struct lazy_mmu_paravirt_op;
size_t ip_hypercall(void *hv, const struct lazy_mmu_paravirt_op *ops, size_t n);
#define LAZY_MMU_PARAVIRT_COMMIT ip_hypercall
#endif

#include "lazymmu.h"
#include "peers.h"

/* As bench/insns.c: the body inlines the library and the peer the way a
 * kernel would; noipa keeps the section count a run-time value. */
#if defined(__clang__)
#define BODY static __attribute__((noinline, flatten, used))
#define WRAP static __attribute__((noinline, used))
#else
#define BODY static __attribute__((noinline, noipa, flatten, used))
#define WRAP static __attribute__((noinline, noipa, used))
#endif
#define SINK3(a, b, c) __asm__ __volatile__("" : : "r"(a), "r"(b), "r"(c) : "memory")

#define PAGES 4096u
#define BASE_VA ((uintptr_t)0x7f0000000000ull)
#define VA(i) (BASE_VA + ((uintptr_t)(i) << LAZY_MMU_PAGE_SHIFT))

static struct lazy_mmu ctx;
static lazy_mmu_pte_t ptes[PAGES];
#ifdef LAZY_MMU_ARCH_AARCH64
static struct peer_update scratch[PAGES]; /* peer_a64_*: the broken entries */
#endif

#if defined(LAZY_MMU_ARCH_PARAVIRT)
/* The hypervisor: applies the SETs, as a real one would, minus the trap;
 * invalidation ops have nothing to act on here. */
__attribute__((noinline, used)) size_t
ip_hypercall(void *hv, const struct lazy_mmu_paravirt_op *ops, size_t n)
{
    size_t k;
    (void)hv;
    for (k = 0; k < n; k++)
        if ((ops[k].ptr & LAZY_MMU_PARAVIRT_CMD_MASK) == LAZY_MMU_PARAVIRT_SET)
            *(uint64_t *)(uintptr_t)(ops[k].ptr & ~(uint64_t)LAZY_MMU_PARAVIRT_CMD_MASK) =
                ops[k].val;
    return n;
}
#endif

enum { OP_REMAP, OP_PROTECT };

/* Page `page`'s entry in generation `gen`: bit 0 valid, bit 1 writable; a
 * remap alternates the frame, a protect the writable bit. */
static lazy_mmu_pte_t entry(unsigned op, unsigned page, unsigned gen)
{
    uint64_t frame = 0x100000u + (uint64_t)page;
    if (op == OP_REMAP)
        return (frame + (gen & 1u) * 0x10000u) << 12 | 3u;
    return frame << 12 | ((gen & 1u) ? 1u : 3u);
}

struct ip_work {
    const char *id, *check, *label;
    unsigned op, na, nb;
    size_t n;
    struct peer_update *u[2]; /* generation 0 and 1, N updates each */
};

#define WORKLOADS(X) \
    X(contig_remap) X(contig_protect) X(scattered) X(random) X(even_odd) X(descending) X(eager)
#define ENUM(w) W_##w,
enum { WORKLOADS(ENUM) NWORK };

static struct peer_update upd[NWORK][2][PAGES];

/* callgrind counts exactly, so two extra sections of hundreds of updates
 * suffice (1 vs 3); the eager row's one-update sections: 1000 vs 2000, as
 * bench/insns.c's constant-cost loops. */
static struct ip_work works[NWORK] = {
    {"contig_remap",
     "contiguous-remap",
     "contiguous ascending remap, 4096 pages",
     OP_REMAP,
     1,
     3,
     4096,
     {NULL, NULL}},
    {"contig_protect",
     "contiguous-protect",
     "contiguous ascending protect, 4096 pages",
     OP_PROTECT,
     1,
     3,
     4096,
     {NULL, NULL}},
    {"scattered",
     "scattered",
     "scattered remap, every 13th page, 300 pages",
     OP_REMAP,
     1,
     3,
     300,
     {NULL, NULL}},
    {"random",
     "random",
     "random-order remap, 512 pages (fixed xorshift permutation)",
     OP_REMAP,
     1,
     3,
     512,
     {NULL, NULL}},
    {"even_odd",
     "even-then-odd",
     "even-then-odd remap, 512 pages",
     OP_REMAP,
     1,
     3,
     512,
     {NULL, NULL}},
    {"descending", "descending", "descending remap, 512 pages", OP_REMAP, 1, 3, 512, {NULL, NULL}},
    {"eager",
     "eager",
     "eager remap of one page, no section",
     OP_REMAP,
     1000,
     2000,
     1,
     {NULL, NULL}},
};

static void build(void)
{
    static unsigned pages[PAGES];
    unsigned w, i, g;

    for (w = 0; w < NWORK; w++) {
        struct ip_work *wk = &works[w];
        unsigned n = (unsigned)wk->n;
        for (i = 0; i < n; i++) {
            switch (w) {
            case W_scattered: pages[i] = 13u * i; break;
            case W_even_odd: pages[i] = i < n / 2 ? 2u * i : 2u * (i - n / 2) + 1u; break;
            case W_descending: pages[i] = n - 1u - i; break;
            default: pages[i] = i; break;
            }
        }
        if (w == W_random)
            peer_permute(pages, n);
        for (g = 0; g < 2; g++) {
            wk->u[g] = upd[w][g];
            for (i = 0; i < n; i++) {
                wk->u[g][i].ptep = &ptes[pages[i]];
                wk->u[g][i].pte = entry(wk->op, pages[i], g);
                wk->u[g][i].va = VA(pages[i]);
            }
        }
    }
}

/* ---- the bodies: k sections of w's updates ---- */

BODY void body_base(const struct ip_work *w, unsigned k)
{
    for (unsigned s = 0; s < k; s++) {
        const struct peer_update *u = w->u[s & 1u];
        for (size_t j = 0; j < w->n; j++)
            SINK3(u[j].ptep, u[j].pte, u[j].va);
    }
}

BODY void body_lazymmu(const struct ip_work *w, unsigned k)
{
    for (unsigned s = 0; s < k; s++) {
        const struct peer_update *u = w->u[s & 1u];
        lazy_mmu_state_t st = lazy_mmu_enter(&ctx);
        for (size_t j = 0; j < w->n; j++)
            lazy_mmu_set_pte(&ctx, u[j].ptep, u[j].pte, u[j].va);
        lazy_mmu_leave(&ctx, st);
    }
}

BODY void body_lazy_eager(const struct ip_work *w, unsigned k)
{
    for (unsigned s = 0; s < k; s++) {
        const struct peer_update *u = w->u[s & 1u];
        for (size_t j = 0; j < w->n; j++)
            lazy_mmu_set_pte(&ctx, u[j].ptep, u[j].pte, u[j].va);
    }
}

/* The peers of the backend this TU builds (bench/peers.h, peers_applies):
 * the naive eager one, and PEERS(X, wl_): X(wl_, id, label, one batch of
 * the updates u[0 .. w->n)) for each batching one (wl_: passed through). */
#if defined(LAZY_MMU_ARCH_X86_64)
#define BACKEND_NAME "x86_64"
#define PEER_EAGER(u) peer_x86_eager(&ctx, (u))
#define PEERS(X, wl_) X(wl_, gather, "mmu_gather (span, 33)", peer_x86_gather(&ctx, u, w->n))
#elif defined(LAZY_MMU_ARCH_AARCH64)
#define BACKEND_NAME "aarch64"
#define PEER_EAGER(u) peer_a64_eager(&ctx, (u))
#define PEERS(X, wl_) \
    X(wl_, gather, "mmu_gather (span, 33)", peer_a64_gather(&ctx, u, w->n, scratch)) \
    X(wl_, arm64, "arm64 lazy mode", peer_a64_arm64(&ctx, u, w->n, scratch))
#elif defined(LAZY_MMU_ARCH_RISCV64)
#define BACKEND_NAME "riscv64"
#define PEER_EAGER(u) peer_rv_eager(&ctx, (u))
#define PEERS(X, wl_) \
    X(wl_, gather, "mmu_gather (span, 33)", peer_rv_gather(&ctx, u, w->n)) \
    X(wl_, riscv, "riscv span (64)", peer_rv_riscv(&ctx, u, w->n))
#else
#define BACKEND_NAME "paravirt"
/* Every call applies all it is given (ip_hypercall): the result is true. */
#define PEER_EAGER(u) (void)peer_pv_eager(NULL, (u))
#define PEERS(X, wl_) X(wl_, xen, "Xen PV (batches of 32)", (void)peer_pv_xen(NULL, u, w->n))
#endif

BODY void body_eager(const struct ip_work *w, unsigned k)
{
    for (unsigned s = 0; s < k; s++) {
        const struct peer_update *u = w->u[s & 1u];
        for (size_t j = 0; j < w->n; j++)
            PEER_EAGER(&u[j]);
    }
}

#define PEER_BODY(unused_, name, label, call) \
    BODY void body_##name(const struct ip_work *w, unsigned k) \
    { \
        for (unsigned s = 0; s < k; s++) { \
            const struct peer_update *u = w->u[s & 1u]; \
            call; \
        } \
    }
PEERS(PEER_BODY, -)

/* ---- the cells: two wrappers per (workload, strategy) ---- */

#define STRATEGY_LIST(X, w) \
    X(w, base, -, -) X(w, lazymmu, -, -) X(w, lazy_eager, -, -) X(w, eager, -, -) PEERS(X, w)

#define WRAPPERS(w, s, label, call) \
    WRAP void ip_##w##_##s##__a(void) { body_##s(&works[W_##w], works[W_##w].na); } \
    WRAP void ip_##w##_##s##__b(void) { body_##s(&works[W_##w], works[W_##w].nb); }
#define WRAPPERS_OF(w) STRATEGY_LIST(WRAPPERS, w)
WORKLOADS(WRAPPERS_OF)

struct ip_cell {
    unsigned w;
    const char *strategy;
    void (*a)(void), (*b)(void);
};
#define CELL_ROW(w, s, label, call) {W_##w, #s, ip_##w##_##s##__a, ip_##w##_##s##__b},
#define CELL_ROWS_OF(w) STRATEGY_LIST(CELL_ROW, w)
static const struct ip_cell cells[] = {WORKLOADS(CELL_ROWS_OF)};

/* Columns: lazymmu, then every peer peers_applies() gives this backend. */
#define COLUMN_ROW(unused_, id, label, call) {#id, label},
static const struct {
    const char *id, *label;
} columns[] = {{"lazymmu", "lazymmu"}, {"eager", "naive eager"}, PEERS(COLUMN_ROW, -)};

/* Every page valid at generation 1, so section 0 (generation 0) changes
 * each entry it touches; a fresh context, as every cell's a and b start. */
static void reset(const struct ip_work *w)
{
    unsigned i;
    for (i = 0; i < PAGES; i++)
        ptes[i] = entry(w->op, i, 1);
    lazy_mmu_init(&ctx);
}

/* The strategy's wrappers apply to this workload: the eager row compares
 * lazymmu without a section against the naive peer; a batch row has no
 * use for lazymmu without one. */
static int meaningful(unsigned w, const char *s)
{
    if (w == W_eager)
        return !strcmp(s, "base") || !strcmp(s, "lazy_eager") || !strcmp(s, "eager");
    return strcmp(s, "lazy_eager") != 0;
}

int main(void)
{
    size_t c;
    unsigned w;

    build();
    printf("BACKEND %s\n", BACKEND_NAME);
    for (c = 0; c < sizeof(columns) / sizeof(columns[0]); c++)
        printf("COLUMN %s %s\n", columns[c].id, columns[c].label);
    for (w = 0; w < NWORK; w++)
        printf("WORKLOAD %s %s %zu %u %u %s\n", works[w].id, works[w].check, works[w].n,
               works[w].na, works[w].nb, works[w].label);
    for (c = 0; c < sizeof(cells) / sizeof(cells[0]); c++) {
        const struct ip_cell *cell = &cells[c];
        const struct ip_work *wk = &works[cell->w];
        if (!meaningful(cell->w, cell->strategy))
            continue;
        reset(wk);
        cell->a();
        reset(wk);
        cell->b();
        printf("CELL %s %s ip_%s_%s\n", wk->id,
               !strcmp(cell->strategy, "lazy_eager") ? "lazymmu" : cell->strategy, wk->id,
               cell->strategy);
    }
    return lazy_mmu_is_active(&ctx); /* every section was left */
}
