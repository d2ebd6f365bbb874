/* examples/qemu/common/timing.c - map, remap and protect N pages of the
 * timing window, eagerly and in one lazy section, in one of two builds:
 *
 *   LAZY_MMU_STATS=1 (the kernels' debug + stats configuration):
 *     kernel_count_ops() runs each operation once and prints what the
 *     context counted (COUNT lines, checked by the arch's count checks);
 *   LAZY_MMU_DEBUG=0 LAZY_MMU_STATS=0 (release, what a kernel ships):
 *     kernel_time_ops() runs each operation TIME_REPS times, eager and lazy
 *     alternating, and prints the medians in arch_cycles() ticks (TIME lines).
 *
 * Both run the same code on the same pages, so a TIME line's operations are
 * the ones its COUNT line reports.  The debug checks and the counters are
 * left out of the timed build because they cost the same per update eager
 * and lazy, and so would dilute the ratio the section is meant to show.
 *
 * Each struct lazy_mmu is private to its build: the two layouts differ.
 *
 * One cycle, per N and mode: map (invalid -> valid, frame A, read-write),
 * remap (A -> B), protect (read-write -> read-only), then an untimed unmap
 * back to invalid.  Before each timed operation every page was just read
 * (and, before protect, written) through its current translation, so the
 * TLB holds what the operation must invalidate; after it, every page is
 * read again and must show the new state.  The entries each operation
 * stores are computed before the clock starts: the timed loop is the
 * library's work plus one load per page, as in a kernel's own loop.
 */
#include "kernel.h"

#define TIME_BASE KERNEL_WINDOW_PAGES
#define TIME_REPS 7

enum op { OP_MAP, OP_REMAP, OP_PROTECT, OP_UNMAP, OPS };

static const char *const op_name[OPS] = {"map", "remap", "protect", "unmap"};
static const unsigned sizes[] = {64, 512, KERNEL_TIME_PAGES};

static struct lazy_mmu ctx;
static lazy_mmu_pte_t next_pte[KERNEL_TIME_PAGES];
static unsigned failures;

#if LAZY_MMU_STATS
#define MODE_NAME "count"
#else
#define MODE_NAME "time"
#endif

static uintptr_t page_va(unsigned i)
{
    return arch_window_va() + (uintptr_t)(TIME_BASE + i) * LAZY_MMU_PAGE_SIZE;
}

/* Two frames per page, never the same one: every remap moves the page. */
static unsigned frame_a(unsigned i)
{
    return i % KERNEL_FRAMES;
}

static unsigned frame_b(unsigned i)
{
    return (i + 1) % KERNEL_FRAMES;
}

static void prepare(enum op op, unsigned n)
{
    unsigned i;
    for (i = 0; i < n; i++) {
        switch (op) {
        case OP_MAP:
            next_pte[i] = arch_make_pte(arch_frame_pa(frame_a(i)), true);
            break;
        case OP_REMAP:
            next_pte[i] = arch_make_pte(arch_frame_pa(frame_b(i)), true);
            break;
        case OP_PROTECT:
            next_pte[i] = arch_make_pte(arch_frame_pa(frame_b(i)), false);
            break;
        default:
            next_pte[i] = 0;
            break;
        }
    }
}

/* The loop being measured: the entries are adjacent (kernel.h). */
static void set_run(unsigned n)
{
    lazy_mmu_pte_t *ptep = arch_window_ptep(TIME_BASE);
    uintptr_t va = page_va(0);
    unsigned i;
    for (i = 0; i < n; i++, va += LAZY_MMU_PAGE_SIZE)
        kernel_set_pte(&ctx, &ptep[i], next_pte[i], va);
}

static void section_run(unsigned n)
{
    lazy_mmu_state_t s = lazy_mmu_enter(&ctx);
    set_run(n);
    lazy_mmu_leave(&ctx, s);
}

static uint64_t timed(enum op op, unsigned n, bool lazy)
{
    uint64_t t0;
    prepare(op, n);
    t0 = arch_cycles();
    if (lazy)
        section_run(n);
    else
        set_run(n);
    return arch_cycles() - t0;
}

/* "<prefix> <op> n=<n>", how every line of this file names a measurement. */
static void put_op(const char *prefix, enum op op, unsigned n)
{
    kputs(prefix);
    kputs(" ");
    kputs(op_name[op]);
    kputs(" n=");
    kput_u64(n);
}

static void report(enum op op, unsigned n, bool lazy, unsigned page, const char *what,
                   uint64_t got, uint64_t want)
{
    kputs("  ");
    put_op(MODE_NAME, op, n);
    kputs(lazy ? " lazy" : " eager");
    kput_bad_page(page, what, got, want);
    kputs("FAIL ");
    put_op(MODE_NAME, op, n);
    kputs("\n");
    failures++;
}

/* Every page shows the state op left; the reads (and, after a remap, the
 * write-backs of the value read) also cache the translations the next
 * operation has to invalidate.  The first bad page of a run is reported. */
static void verify(enum op op, unsigned n, bool lazy)
{
    unsigned i;
    for (i = 0; i < n; i++) {
        uint64_t v = 0, want = 0;
        bool ok = arch_probe_read(page_va(i), &v);
        if (op == OP_UNMAP) {
            if (ok) {
                report(op, n, lazy, i, "should fault", v, 0);
                return;
            }
            continue;
        }
        want = kernel_frame_pattern(op == OP_MAP ? frame_a(i) : frame_b(i));
        if (!ok) {
            report(op, n, lazy, i, "faulted", 0, want);
            return;
        }
        if (v != want) {
            report(op, n, lazy, i, "stale", v, want);
            return;
        }
        /* The value read goes back through the same translation: a stale
         * writable one changes no frame. */
        if (op == OP_REMAP && !arch_probe_write(page_va(i), v)) {
            report(op, n, lazy, i, "write faulted", 0, 1);
            return;
        }
        if (op == OP_PROTECT && arch_probe_write(page_va(i), v)) {
            report(op, n, lazy, i, "write went through", 1, 0);
            return;
        }
    }
}

/* Whatever the other build or a negative control left behind: every entry
 * invalid and nothing of the window cached. */
static void clean_slate(void)
{
    lazy_mmu_pte_t *ptep = arch_window_ptep(TIME_BASE);
    unsigned i;
    lazy_mmu_init(&ctx);
    for (i = 0; i < KERNEL_TIME_PAGES; i++)
        if (ptep[i])
            lazy_mmu_set_pte(&ctx, &ptep[i], 0, page_va(i));
    lazy_mmu_invalidate_all(&ctx);
}

#if LAZY_MMU_STATS

static void print_counts(enum op op, unsigned n, bool lazy)
{
    const struct lazy_mmu_stats *st = lazy_mmu_get_stats(&ctx);
    kputs("COUNT ");
    put_op(arch_name, op, n);
    kputs(lazy ? " lazy" : " eager");
    kputs(": ");
    kput_stats(st);
    kputs("\n");
}

unsigned kernel_count_ops(void)
{
    unsigned k, mode;
    enum op op;
    clean_slate();
    for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        for (mode = 0; mode < 2; mode++) {
            verify(OP_UNMAP, sizes[k], mode); /* riscv may cache invalid entries */
            for (op = OP_MAP; op <= OP_UNMAP; op++) {
                lazy_mmu_reset_stats(&ctx);
                (void)timed(op, sizes[k], op == OP_UNMAP || mode);
                if (op != OP_UNMAP)
                    print_counts(op, sizes[k], mode);
                verify(op, sizes[k], mode);
            }
        }
    }
    return failures;
}

#else

static void print_time(enum op op, unsigned n, uint64_t *eager, uint64_t *lazy)
{
    uint64_t e = kmedian(eager, TIME_REPS), l = kmedian(lazy, TIME_REPS);
    kputs("TIME ");
    put_op(arch_name, op, n);
    kputs(" eager=");
    kput_u64(e);
    kputs(" lazy=");
    kput_u64(l);
    kputs(" ratio_x100=");
    kput_u64(l ? e * 100 / l : 0);
    /* Sorted by kmedian(): the spread of this boot's repetitions. */
    kputs(" eager_range=");
    kput_u64(eager[0]);
    kputs("-");
    kput_u64(eager[TIME_REPS - 1]);
    kputs(" lazy_range=");
    kput_u64(lazy[0]);
    kputs("-");
    kput_u64(lazy[TIME_REPS - 1]);
    kputs(" reps=");
    kput_u64(TIME_REPS);
    kputs("\n");
}

unsigned kernel_time_ops(void)
{
    static uint64_t t[OP_UNMAP][2][TIME_REPS];
    unsigned k, r, mode;
    enum op op;
    clean_slate();
    for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        for (r = 0; r < TIME_REPS; r++) {
            for (mode = 0; mode < 2; mode++) {
                verify(OP_UNMAP, sizes[k], mode);
                for (op = OP_MAP; op <= OP_UNMAP; op++) {
                    uint64_t dt = timed(op, sizes[k], op == OP_UNMAP || mode);
                    if (op != OP_UNMAP)
                        t[op][mode][r] = dt;
                    verify(op, sizes[k], mode);
                }
            }
        }
        for (op = OP_MAP; op < OP_UNMAP; op++)
            print_time(op, sizes[k], t[op][0], t[op][1]);
    }
    return failures + kernel_peer_ops(); /* the same window, after the TIME lines */
}

#endif
