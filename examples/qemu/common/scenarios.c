/* examples/qemu/common/scenarios.c - the checks every QEMU kernel runs.
 *
 * Each scenario changes runs of window pages inside lazy sections (nested,
 * flushed, paused) and, after every visibility point, reads every page
 * through its virtual address: a mapped page must show its frame's pattern,
 * an unmapped one must fault.  Before each change the old mappings are read,
 * so the TLB holds them and a missing invalidation is a stale read.
 *
 * KERNEL_NEGATIVE_CONTROL builds the same kernel with its page-table writes
 * made around the library (kernel_set_pte: plain stores, nothing
 * invalidated).  That build must report FAIL.
 *
 * Then common/timing.c, on a window of its own: the operation counts
 * (COUNT lines) and the eager vs lazy wall time (TIME lines).
 */
#include "kernel.h"

#define NONE 0xffffffffu

static struct lazy_mmu mmu;
static unsigned model_frame[KERNEL_WINDOW_PAGES]; /* NONE: unmapped */
static bool model_rw[KERNEL_WINDOW_PAGES];
static unsigned failures;

/* ---- the window and its model ---- */

static uintptr_t page_va(unsigned i)
{
    return arch_window_va() + (uintptr_t)i * LAZY_MMU_PAGE_SIZE;
}

static void set_page(unsigned i, unsigned frame, bool rw)
{
    kernel_set_pte(&mmu, arch_window_ptep(i), arch_make_pte(arch_frame_pa(frame), rw), page_va(i));
    model_frame[i] = frame;
    model_rw[i] = rw;
}

static void unmap_page(unsigned i)
{
    kernel_set_pte(&mmu, arch_window_ptep(i), 0, page_va(i));
    model_frame[i] = NONE;
}

/* Reads pages [lo, lo + n) so their translations are cached. */
static void touch(unsigned lo, unsigned n)
{
    unsigned i;
    uint64_t v;
    for (i = lo; i < lo + n; i++)
        (void)arch_probe_read(page_va(i), &v);
}

static const char *scenario;
static unsigned scenario_n;
static bool scenario_ok;

static void report_bad(unsigned i, const char *what, uint64_t got, uint64_t want)
{
    if (!scenario_ok)
        return; /* the first bad page says enough */
    scenario_ok = false;
    kputs("  ");
    kputs(scenario);
    kputs(" n=");
    kput_u64(scenario_n);
    kput_bad_page(i, what, got, want);
}

/* Every page of [lo, lo + n) is what the model says: its frame's pattern
 * (first and last word), or a fault. */
static void check(unsigned lo, unsigned n)
{
    unsigned i;
    for (i = lo; i < lo + n; i++) {
        uint64_t v = 0, last = 0;
        bool ok = arch_probe_read(page_va(i), &v);
        if (model_frame[i] == NONE) {
            if (ok)
                report_bad(i, "should fault", v, 0);
            continue;
        }
        if (!ok) {
            report_bad(i, "faulted", 0, kernel_frame_pattern(model_frame[i]));
            continue;
        }
        (void)arch_probe_read(page_va(i) + LAZY_MMU_PAGE_SIZE - 8, &last);
        if (v != kernel_frame_pattern(model_frame[i]))
            report_bad(i, "stale", v, kernel_frame_pattern(model_frame[i]));
        else if (last != ~kernel_frame_pattern(model_frame[i]))
            report_bad(i, "stale (last word)", last, ~kernel_frame_pattern(model_frame[i]));
    }
}

/* Writes must succeed exactly where the model says read-write.  Each probe
 * writes back the value it read through the same translation, so a stale
 * writable translation changes no frame and cannot fail later scenarios. */
static void check_writes(unsigned lo, unsigned n)
{
    unsigned i;
    for (i = lo; i < lo + n; i++) {
        uint64_t v;
        bool ok;
        if (model_frame[i] == NONE)
            continue;
        if (!arch_probe_read(page_va(i), &v)) {
            report_bad(i, "faulted", 0, kernel_frame_pattern(model_frame[i]));
            continue;
        }
        ok = arch_probe_write(page_va(i), v);
        if (ok != model_rw[i])
            report_bad(i, model_rw[i] ? "write faulted" : "write went through", ok, model_rw[i]);
    }
}

/* ---- sections, and the negative control ---- */

static lazy_mmu_state_t enter(void)
{
    return lazy_mmu_enter(&mmu);
}

static void leave(lazy_mmu_state_t s)
{
    lazy_mmu_leave(&mmu, s);
}

static void flush(void)
{
    lazy_mmu_flush(&mmu);
}

static void begin(const char *name, unsigned n)
{
    scenario = name;
    scenario_n = n;
    scenario_ok = true;
}

static void end(void)
{
    kputs(scenario_ok ? "PASS " : "FAIL ");
    kputs(scenario);
    kputs(" n=");
    kput_u64(scenario_n);
    kputs("\n");
    if (!scenario_ok)
        failures++;
}

/* Frames alternate between two sets so every remap changes the frame. */
static unsigned other_frame(unsigned i)
{
    return model_frame[i] == i ? i + KERNEL_WINDOW_PAGES : i;
}

static void remap_run(unsigned lo, unsigned n)
{
    unsigned i;
    for (i = lo; i < lo + n; i++)
        set_page(i, other_frame(i), true);
}

static void unmap_all(void)
{
    unsigned i;
    for (i = 0; i < KERNEL_WINDOW_PAGES; i++)
        if (model_frame[i] != NONE)
            unmap_page(i);
}

/* ---- scenarios ---- */

static void sc_map(unsigned n)
{
    lazy_mmu_state_t s;
    unsigned i;
    begin("map", n);
    unmap_all();
    touch(0, n); /* riscv may cache the invalid entries */
    s = enter();
    for (i = 0; i < n; i++)
        set_page(i, i, true);
    leave(s);
    check(0, n);
    end();
}

static void sc_remap(unsigned n)
{
    lazy_mmu_state_t s;
    begin("remap", n);
    touch(0, n);
    s = enter();
    remap_run(0, n);
    leave(s);
    check(0, n);
    end();
}

/* Visibility at every depth: the inner leave publishes the outer section's
 * updates too. */
static void sc_nested(unsigned n)
{
    lazy_mmu_state_t s1, s2, s3;
    unsigned half = n / 2;
    begin("nested", n);
    touch(0, n);
    s1 = enter();
    remap_run(0, half);
    s2 = enter();
    remap_run(half, n - half);
    s3 = enter();
    leave(s3); /* empty innermost section: still a visibility point */
    check(0, n);
    touch(0, n);
    remap_run(0, n);
    leave(s2);
    check(0, n);
    touch(0, n);
    remap_run(0, half);
    leave(s1);
    check(0, n);
    end();
}

static void sc_flush(unsigned n)
{
    lazy_mmu_state_t s1, s2;
    begin("flush", n);
    touch(0, n);
    s1 = enter();
    remap_run(0, n);
    s2 = enter();
    flush(); /* the kasan case: publish without owning a state */
    check(0, n);
    touch(0, n);
    remap_run(0, n);
    leave(s2);
    check(0, n);
    touch(0, n);
    remap_run(0, n);
    leave(s1);
    check(0, n);
    end();
}

static void sc_pause(unsigned n)
{
    lazy_mmu_state_t s, p1, p2;
    unsigned i, half = n / 2;
    begin("pause", n);
    touch(0, n);
    s = enter();
    remap_run(0, half);
    p1 = lazy_mmu_pause(&mmu);
    check(0, half);
    for (i = half; i < n; i++) { /* eager while paused: visible on return */
        touch(i, 1);
        set_page(i, other_frame(i), true);
        check(i, 1);
    }
    p2 = lazy_mmu_pause(&mmu);
    lazy_mmu_resume(&mmu, p2);
    lazy_mmu_resume(&mmu, p1);
    touch(0, n);
    remap_run(0, n);
    leave(s);
    check(0, n);
    end();
}

static void sc_protect(unsigned n)
{
    lazy_mmu_state_t s;
    unsigned i;
    begin("protect", n);
    check_writes(0, n); /* caches writable translations */
    s = enter();
    for (i = 0; i < n; i++)
        set_page(i, model_frame[i], false);
    leave(s);
    check_writes(0, n);
    s = enter();
    for (i = 0; i < n; i++)
        set_page(i, model_frame[i], true);
    leave(s);
    check_writes(0, n);
    check(0, n);
    end();
}

static void sc_unmap(unsigned n)
{
    lazy_mmu_state_t s;
    unsigned i;
    begin("unmap", n);
    touch(0, n);
    s = enter();
    for (i = 0; i < n; i++)
        unmap_page(i);
    leave(s);
    check(0, n);
    s = enter(); /* map again for the next scenario */
    for (i = 0; i < n; i++)
        set_page(i, i, true);
    leave(s);
    check(0, n);
    end();
}

static void sc_eager(unsigned n)
{
    unsigned i;
    begin("eager", n);
    for (i = 0; i < n; i++) {
        touch(i, 1);
        set_page(i, other_frame(i), true);
        check(i, 1);
    }
    end();
}

void kernel_main(void)
{
    static const unsigned sizes[] = {1, 8, 40, 100, 600, KERNEL_WINDOW_PAGES};
    unsigned k;

    kputs("lazymmu QEMU kernel: ");
    kputs(arch_name);
#ifdef KERNEL_NEGATIVE_CONTROL
    kputs(" (negative control: page tables written around the library)");
#endif
    kputs("\n");
    kernel_fill_frames(KERNEL_FRAMES);
    arch_mmu_init();
    lazy_mmu_init(&mmu);
    for (k = 0; k < KERNEL_WINDOW_PAGES; k++)
        model_frame[k] = NONE;

    for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        unsigned n = sizes[k];
        sc_map(n);
        sc_remap(n);
        sc_nested(n);
        sc_flush(n);
        sc_pause(n);
        sc_protect(n);
        sc_unmap(n);
        sc_eager(n);
    }
    /* Counts, then wall time, over the timing window (common/timing.c). */
    failures += kernel_count_ops();
    failures += kernel_time_ops();

    kputs(failures ? "FAIL" : "PASS");
    kputs(" ");
    kputs(arch_name);
    kputs(": ");
    kput_u64(failures);
    kputs(" scenario(s) failed\n");
    arch_exit(failures ? 1 : 0);
}
