/* examples/qemu/x86_64/global.c - kernel-global-trace*.elf: what the library
 * executes for global pages, for ../common/check.sh to read.
 *
 * kernel-global.elf runs the shared scenarios with global window pages and
 * shows that its full flushes drop them (a CR4 write that does not change
 * PGE flushes nothing under QEMU: stale reads).  What it cannot show is the
 * form: QEMU also drops global entries on every CR3 load, where hardware
 * keeps them, so a library that reloaded CR3 for them would pass there.
 * The trace_* functions below are booted again under QEMU's instruction log
 * (../common/check.sh) and must have executed the policy's forms: an INVLPG per
 * page under the threshold (INVLPG drops global entries too), and past it
 * the CR4.PGE toggle - two MOVs to CR4 - and no CR3 reload.
 *
 * Built twice: with X86_GLOBAL_WINDOW (arch.c: CR4.PGE on, window pages G),
 * and without it as the trace check's negative control, whose full flush is
 * a CR3 reload (no global entry replaced) and must be rejected.  Both must
 * read every page right (exit status 0).
 */
#include "kernel.h"

#define NOINLINE __attribute__((noinline))

static struct lazy_mmu mmu;
static unsigned frame_of[KERNEL_WINDOW_PAGES];
static unsigned failures;

static uintptr_t page_va(unsigned i)
{
    return arch_window_va() + (uintptr_t)i * LAZY_MMU_PAGE_SIZE;
}

/* Pages [0, n) to the other of their two frames, inside the caller's
 * section. */
static void remap(unsigned n)
{
    unsigned i;
    for (i = 0; i < n; i++) {
        frame_of[i] = frame_of[i] == i ? i + KERNEL_WINDOW_PAGES : i;
        lazy_mmu_set_pte(&mmu, arch_window_ptep(i), arch_make_pte(arch_frame_pa(frame_of[i]), true),
                         page_va(i));
    }
}

static void touch(unsigned n)
{
    unsigned i;
    uint64_t v;
    for (i = 0; i < n; i++)
        (void)arch_probe_read(page_va(i), &v);
}

/* Pages [0, n) read their frames' patterns; the invalidation counts of the
 * section since before are page and full. */
static void check(const char *name, unsigned n, const struct lazy_mmu_stats *before,
                  uint64_t page, uint64_t full)
{
    const struct lazy_mmu_stats *st = lazy_mmu_get_stats(&mmu);
    uint64_t dp = st->page_invals - before->page_invals, df = st->full_invals - before->full_invals;
    bool ok = true;
    unsigned i;

    for (i = 0; i < n && ok; i++) {
        uint64_t v = 0;
        bool read = arch_probe_read(page_va(i), &v);
        if (!read || v != kernel_frame_pattern(frame_of[i])) {
            kputs("  ");
            kputs(name);
            kput_bad_page(i, read ? "stale" : "faulted", v, kernel_frame_pattern(frame_of[i]));
            ok = false;
        }
    }
    kputs("COUNT ");
    kputs(name);
    kputs(": page_invals=");
    kput_u64(dp);
    kputs(" full_invals=");
    kput_u64(df);
    kputs("\n");
    if (dp != page || df != full) {
        kputs("  ");
        kputs(name);
        kputs(": counts are not the policy's\n");
        ok = false;
    }
    kputs(ok ? "PASS " : "FAIL ");
    kputs(name);
    kputs("\n");
    failures += !ok;
}

/* Eight valid pages replaced: under the threshold (33), one INVLPG each. */
NOINLINE void trace_global_pages(void)
{
    lazy_mmu_state_t s = lazy_mmu_enter(&mmu);
    remap(8);
    lazy_mmu_leave(&mmu, s);
}

/* Every window page replaced: past the threshold, one full flush - with a
 * global entry among the old ones, the CR4.PGE toggle. */
NOINLINE void trace_global_full(void)
{
    lazy_mmu_state_t s = lazy_mmu_enter(&mmu);
    remap(KERNEL_WINDOW_PAGES);
    lazy_mmu_leave(&mmu, s);
}

void kernel_main(void)
{
    struct lazy_mmu_stats before;
    lazy_mmu_state_t s;
    unsigned i;

    kputs("lazymmu QEMU global trace kernel: ");
    kputs(arch_name);
#ifndef X86_GLOBAL_WINDOW
    kputs(" (negative control: window pages not global)");
#endif
    kputs("\n");
    kernel_fill_frames(KERNEL_FRAMES);
    arch_mmu_init();
    lazy_mmu_init(&mmu);

    /* Invalid -> valid: no invalidation owed, nothing traced. */
    s = lazy_mmu_enter(&mmu);
    for (i = 0; i < KERNEL_WINDOW_PAGES; i++) {
        frame_of[i] = i;
        lazy_mmu_set_pte(&mmu, arch_window_ptep(i), arch_make_pte(arch_frame_pa(i), true),
                         page_va(i));
    }
    lazy_mmu_leave(&mmu, s);

    touch(8); /* the TLB holds what the section replaces */
    before = *lazy_mmu_get_stats(&mmu);
    trace_global_pages();
    check("global-pages", 8, &before, 8, 0);

    /* Not all 1024: QEMU's TLB keeps far fewer (`make facts`), and a page
     * it dropped on its own reads right whatever the flush did. */
    touch(32);
    before = *lazy_mmu_get_stats(&mmu);
    trace_global_full();
    check("global-full", KERNEL_WINDOW_PAGES, &before, 0, 1);

    kputs(failures ? "FAIL" : "PASS");
    kputs(" ");
    kputs(arch_name);
    kputs(" global: ");
    kput_u64(failures);
    kputs(" scenario(s) failed\n");
    arch_exit(failures ? 1 : 0);
}
