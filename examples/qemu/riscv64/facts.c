/* examples/qemu/riscv64/facts.c - a second riscv64 kernel: what QEMU's MMU
 * can show, and the library's counters where it cannot.
 *
 * The shared scenarios can only catch a missing fence that QEMU makes
 * visible.  This kernel first measures which omissions QEMU (TCG) shows at
 * all, with raw page-table stores and the backend's own fence primitives
 * (FACT lines: observations about the emulator, never failures), then checks
 * the library's per-context counters against the riscv64 policy's promise for
 * whole sections (CHECK lines: failures).  A counter check is what catches a
 * fence the policy skipped where QEMU would not notice, such as after an
 * invalid->valid change, which QEMU never caches.
 *
 * KERNEL_NEGATIVE_CONTROL writes the entries around the library
 * (kernel_set_pte, as common/scenarios.c does): the counter checks must
 * then report FAIL.
 */
#include "facts.h"

/* The backend's own primitives (arch/riscv64/insn.h), called directly. */
static void fence_all(void)
{
    lazy_mmu__riscv64_sfence_vma_all(&mmu);
}

static void fence_page(unsigned page)
{
    lazy_mmu__riscv64_sfence_vma_va(&mmu, page_va(page));
}

static void sanity(bool ok, const char *what)
{
    if (ok)
        return;
    check_line("sanity", false);
    kputs(": ");
    kputs(what);
    kputs("\n");
}

/* Pages 0..7 are the experiments' playground; the counter checks below use
 * the whole window afterwards. */
static void facts(void)
{
    unsigned f, i, stale;
    char got[24], all[24];
    bool wrote;

    /* A remap with no fence at all: the baseline the negative control of
     * the shared scenarios depends on. */
    raw_map(0, 0, true);
    fence_all();
    sanity(frame_at(0) == 0, "page 0 reads frame 0 after a global fence");
    raw_map(0, 1, true);
    f = frame_at(0);
    fact("riscv64 remap-without-fence", f == 0 ? "old frame read" : "new frame read", " -- ",
         f == 0 ? "QEMU keeps the stale translation: a skipped fence is observable"
                : "QEMU re-walked: a skipped fence is NOT observable");

    /* The right page fenced. */
    fence_page(0);
    sanity(frame_at(0) == 1, "page 0 reads its new frame after sfence.vma on page 0");

    /* The wrong page fenced: page 0 changed, page 1 fenced. */
    raw_map(0, 2, true);
    raw_map(1, 3, true);
    fence_all();
    sanity(frame_at(0) == 2 && frame_at(1) == 3, "pages 0,1 read frames 2,3");
    raw_map(0, 4, true);
    fence_page(1);
    f = frame_at(0);
    fact("riscv64 remap-fence-on-other-page", f == 2 ? "old frame read" : "new frame read", " -- ",
         f == 2 ? "sfence.vma va drops only va: a fence on the wrong page is observable"
                : "sfence.vma va flushed page 0 too (whole TLB): a fence on the wrong "
                  "page is NOT observable here, and the counters see how many fences, "
                  "not which pages (the host simulator checks that)");

    /* Invalid -> valid with no fence, after the invalid entry was walked. */
    raw_store(2, 0);
    fence_all();
    sanity(frame_at(2) == FAULT, "unmapped page 2 faults");
    raw_map(2, 5, true);
    f = frame_at(2);
    fact("riscv64 map-without-fence", f == FAULT ? "fault" : "new frame read", " -- ",
         f == FAULT ? "QEMU cached the invalid entry: a skipped fence is observable"
                    : "QEMU does not cache invalid entries: a skipped fence after "
                      "invalid->valid is NOT observable, only counted");

    /* Valid -> invalid with no fence. */
    raw_map(3, 6, true);
    fence_all();
    sanity(frame_at(3) == 6, "page 3 reads frame 6");
    raw_store(3, 0);
    f = frame_at(3);
    fact("riscv64 unmap-without-fence", f == 6 ? "old frame read" : "fault", " -- ",
         f == 6 ? "the stale translation survives: observable" : "NOT observable");

    /* Write permission removed with no fence. */
    raw_map(4, 7, true);
    fence_all();
    sanity(arch_probe_write(page_va(4), tag(7)), "page 4 is writable");
    raw_map(4, 7, false);
    wrote = arch_probe_write(page_va(4), tag(7));
    fact("riscv64 protect-without-fence", wrote ? "write went through" : "write faulted", " -- ",
         wrote ? "the stale write permission survives: observable" : "NOT observable");

    /* Write permission added with no fence (the spec lets software skip this
     * fence and take the spurious fault instead). */
    raw_map(5, 8, false);
    fence_all();
    sanity(!arch_probe_write(page_va(5), tag(8)), "read-only page 5 rejects a write");
    raw_map(5, 8, true);
    wrote = arch_probe_write(page_va(5), tag(8));
    fact("riscv64 unprotect-without-fence", wrote ? "write went through" : "write faulted", " -- ",
         wrote ? "QEMU re-walks on a write it had no permission for (the spec would also "
                 "allow a spurious fault)"
               : "the old read-only permission is cached (a spurious fault the spec allows)");

    /* How many of a large run keep a stale translation: how much the TLB
     * holds, hence how sure the negative control is at n = the window. */
    for (i = 0; i < KERNEL_WINDOW_PAGES; i++)
        raw_map(i, i, true);
    fence_all();
    for (i = 0; i < KERNEL_WINDOW_PAGES; i++)
        (void)frame_at(i);
    for (i = 0; i < KERNEL_WINDOW_PAGES; i++)
        raw_map(i, i + KERNEL_WINDOW_PAGES, true);
    stale = 0;
    for (i = 0; i < KERNEL_WINDOW_PAGES; i++)
        stale += frame_at(i) == i;
    fact("riscv64 tlb-reach", kdecimal(got, stale), " of ", kdecimal(all, KERNEL_WINDOW_PAGES),
         " pages remapped without a fence still read their old frame");
    fence_all();

#if LAZY_MMU_RISCV64_SVINVAL
    /* The Svinval parts alone: which of them QEMU treats as the flush. */
    raw_map(0, 0, true);
    fence_all();
    (void)frame_at(0);
    raw_map(0, 1, true);
    lazy_mmu__riscv64_sinval_vma(&mmu, page_va(0));
    f = frame_at(0);
    fact("riscv64 svinval-sinval-alone", f == 0 ? "old frame read" : "new frame read", " -- ",
         f == 0 ? "SINVAL.VMA waits for SFENCE.INVAL.IR: a missing IR fence is observable"
                : "SINVAL.VMA takes effect at once: a missing SFENCE.INVAL.IR is NOT "
                  "observable");
    raw_map(0, 2, true);
    fence_all();
    (void)frame_at(0);
    raw_map(0, 3, true);
    lazy_mmu__riscv64_sfence_w_inval(&mmu);
    lazy_mmu__riscv64_sfence_inval_ir(&mmu);
    f = frame_at(0);
    fact("riscv64 svinval-fences-without-sinval", f == 2 ? "old frame read" : "new frame read",
         " -- ",
         f == 2 ? "the ordering fences do not invalidate: a missing SINVAL.VMA is observable"
                : "the ordering fences flushed the TLB: a missing SINVAL.VMA is NOT observable");
    raw_map(0, 4, true);
    raw_map(1, 5, true);
    fence_all();
    (void)frame_at(0);
    (void)frame_at(1);
    raw_map(0, 6, true);
    lazy_mmu__riscv64_sfence_w_inval(&mmu);
    lazy_mmu__riscv64_sinval_vma(&mmu, page_va(1));
    lazy_mmu__riscv64_sfence_inval_ir(&mmu);
    f = frame_at(0);
    fact("riscv64 svinval-sinval-on-other-page", f == 4 ? "old frame read" : "new frame read",
         " -- ",
         f == 4 ? "SINVAL.VMA va drops only va: a wrong page is observable"
                : "SINVAL.VMA flushed page 0 too: a wrong page is NOT observable here");
    raw_map(0, 7, true);
    lazy_mmu__riscv64_sfence_w_inval(&mmu);
    lazy_mmu__riscv64_sinval_vma(&mmu, page_va(0));
    lazy_mmu__riscv64_sfence_inval_ir(&mmu);
    sanity(frame_at(0) == 7, "the full Svinval sequence on page 0 shows its new frame");
#endif
}

/* ---- the policy's promise, checked on the library's own counters ---- */

/* One section changing `pages` distinct pages: one fence per page up to the
 * threshold, else one global fence; Svinval brackets the per-page ones with
 * one SFENCE.W.INVAL and one SFENCE.INVAL.IR. */
static struct expect one_section(uint64_t pages)
{
    struct expect e = {0, 0, 0, 0, 0};
    if (pages == 0)
        return e;
    e.publishes = 1;
    if (pages <= LAZY_MMU_FLUSH_ALL_THRESHOLD) {
        e.page_invals = pages;
        e.barriers = LAZY_MMU_RISCV64_SVINVAL ? 2 : 0;
    } else {
        e.full_invals = 1;
    }
    return e;
}

static struct expect times(struct expect e, uint64_t k)
{
    e.page_invals *= k;
    e.full_invals *= k;
    e.barriers *= k;
    e.bbm *= k;
    e.publishes *= k;
    return e;
}

static struct expect plus(struct expect a, struct expect b)
{
    a.page_invals += b.page_invals;
    a.full_invals += b.full_invals;
    a.barriers += b.barriers;
    a.bbm += b.bbm;
    a.publishes += b.publishes;
    return a;
}

/* Pages [lo, lo + cnt) and the counters (common/facts.h); the next case
 * counts from zero. */
static void verify(const char *name, unsigned n, struct expect e, unsigned lo, unsigned cnt)
{
    check_pages(name, n, e, lo, cnt, false);
    lazy_mmu_reset_stats(&mmu);
}

/* Starts each case from a known, fenced state outside the counters. */
static void reset_window(void)
{
    clear_window();
    fence_all();
    lazy_mmu_reset_stats(&mmu);
}

static void counts(void)
{
    static const unsigned sizes[] = {1, 2, 63, 64, 65, 100, 512, KERNEL_WINDOW_PAGES};
    unsigned k, i, n;
    lazy_mmu_state_t s, s2;

    for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        n = sizes[k];

        reset_window();
        touch(0, n);
        s = lazy_mmu_enter(&mmu);
        for (i = 0; i < n; i++)
            map(i, i, true); /* invalid -> valid: QEMU cannot show a skipped fence */
        lazy_mmu_leave(&mmu, s);
        verify("map", n, one_section(n), 0, n);

        touch(0, n);
        s = lazy_mmu_enter(&mmu);
        for (i = 0; i < n; i++)
            map(i, i + KERNEL_WINDOW_PAGES, true);
        lazy_mmu_leave(&mmu, s);
        verify("remap", n, one_section(n), 0, n);

        touch(0, n);
        for (i = 0; i < n; i++)
            map(i, i, true); /* eager: one visibility point per update */
        verify("eager-remap", n, times(one_section(1), n), 0, n);

        touch(0, n);
        s = lazy_mmu_enter(&mmu);
        for (i = 0; i < n; i++)
            unmap(i);
        lazy_mmu_leave(&mmu, s);
        verify("unmap", n, one_section(n), 0, n);
    }

    /* The same entry rewritten in one section is one page to fence. */
    reset_window();
    s = lazy_mmu_enter(&mmu);
    map(7, 1, true);
    map(7, 2, true);
    map(7, 3, true);
    lazy_mmu_leave(&mmu, s);
    verify("same-page-x3", 1, one_section(1), 7, 1);

    /* Scattered pages (every other one): ranges do not coalesce, but the
     * threshold still counts pages. */
    for (n = 64; n <= 65; n++) {
        reset_window();
        s = lazy_mmu_enter(&mmu);
        for (i = 0; i < n; i++)
            map(2 * i, i, true);
        lazy_mmu_leave(&mmu, s);
        verify("scattered", n, one_section(n), 0, 2 * n);
    }

    /* An empty section publishes nothing. */
    reset_window();
    s = lazy_mmu_enter(&mmu);
    lazy_mmu_leave(&mmu, s);
    verify("empty-section", 0, one_section(0), 0, 0);

    /* Nested: the inner leave publishes both sections' pages at once; the
     * outer leave then has nothing left. */
    reset_window();
    s = lazy_mmu_enter(&mmu);
    for (i = 0; i < 10; i++)
        map(i, i, true);
    s2 = lazy_mmu_enter(&mmu);
    for (i = 100; i < 110; i++)
        map(i, i, true);
    lazy_mmu_leave(&mmu, s2);
    lazy_mmu_leave(&mmu, s);
    {
        /* Two separate ranges of 10 in one batch: 20 page fences, one
         * visibility point. */
        struct expect e = one_section(20);
        verify("nested", 20, e, 0, 110);
    }

    /* An explicit flush mid-section is its own visibility point. */
    reset_window();
    s = lazy_mmu_enter(&mmu);
    for (i = 0; i < 30; i++)
        map(i, i, true);
    lazy_mmu_flush(&mmu);
    for (i = 30; i < 60; i++)
        map(i, i, true);
    lazy_mmu_leave(&mmu, s);
    verify("flush-mid-section", 60, times(one_section(30), 2), 0, 60);

    /* Pause: publishes what is pending, then each update is eager. */
    reset_window();
    s = lazy_mmu_enter(&mmu);
    for (i = 0; i < 20; i++)
        map(i, i, true);
    s2 = lazy_mmu_pause(&mmu);
    for (i = 20; i < 25; i++)
        map(i, i, true);
    lazy_mmu_resume(&mmu, s2);
    lazy_mmu_leave(&mmu, s);
    verify("pause", 25, plus(one_section(20), times(one_section(1), 5)), 0, 25);

    /* invalidate_range over more pages than the threshold: one global. */
    reset_window();
    s = lazy_mmu_enter(&mmu);
    lazy_mmu_invalidate_range(&mmu, page_va(0), page_va(100));
    lazy_mmu_leave(&mmu, s);
    verify("invalidate-range", 100, one_section(100), 0, 0);
}

void kernel_main(void)
{
    kputs("lazymmu QEMU facts kernel: riscv64");
#if LAZY_MMU_RISCV64_SVINVAL
    kputs(" (Svinval)");
#endif
#ifdef KERNEL_NEGATIVE_CONTROL
    kputs(" (negative control: page tables written around the library)");
#endif
    kputs("\n");
    facts_init();

    facts();
    counts();

    facts_exit();
}
