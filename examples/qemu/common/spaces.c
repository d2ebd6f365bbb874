/* examples/qemu/common/spaces.c - kernel-spaces.elf: blocks, table pages
 * and address spaces on the real MMU.
 *
 * Blocks: a 2 MiB block entry is mapped, remapped (one invalidation, not
 * 512), made read-only and split into a table of 4 KiB pages mapping other
 * frames; the table page is then emptied, unlinked and handed to
 * lazy_mmu_free_frame, must come back only after the visibility point, and
 * is linked again with new contents.  After every visibility point all 512
 * pages are read (first and last word) and written back where writable;
 * before every change they are read, so QEMU's TLB holds the old
 * translations and a missing invalidation is a stale read.
 *
 * Address spaces (arch_spaces_init): a change to space 1's tables made while
 * space 0 is loaded, named LAZY_MMU_SPACE_INACTIVE, costs no invalidation
 * and is seen after the switch that flushes space 1; per-page and full
 * invalidations named by space 1's ASID.  QEMU's TLB is not tagged by ASID,
 * so what these keep of other spaces is not visible here: the trace_*
 * functions are run under QEMU's instruction log by the architecture's
 * check, which compares the invalidation instructions they executed with
 * the per-space forms the policy promises.
 *
 * KERNEL_NEGATIVE_CONTROL: block and table changes are plain stores that
 * bypass the library (a kernel that forgot it), and lazy_mmu_set_space is
 * never called (a kernel that forgot to name the space).  The block
 * scenarios must then read stale translations, the inactive one must count
 * invalidations, and the check script must reject the traced forms wherever
 * the policy's per-space forms differ from its all-spaces ones (x86 without
 * INVPCID: only for the inactive space; its INVLPG and CR3 reload are both).
 */
#include "kernel.h"

#define NONE 0xffffffffu
#define WORDS (LAZY_MMU_PAGE_SIZE / 8u)
#define NOINLINE __attribute__((noinline))

static struct lazy_mmu mmu;
static unsigned failures;
static const char *scenario;
static bool scenario_ok;

/* ---- scenarios and their verdicts ---- */

static void begin(const char *name)
{
    scenario = name;
    scenario_ok = true;
}

static void bad(const char *what, unsigned page, uint64_t got, uint64_t want)
{
    if (!scenario_ok)
        return; /* the first bad page says enough */
    scenario_ok = false;
    kputs("  ");
    kputs(scenario);
    kput_bad_page(page, what, got, want);
}

static void end(void)
{
    kputs(scenario_ok ? "PASS " : "FAIL ");
    kputs(scenario);
    kputs("\n");
    if (!scenario_ok)
        failures++;
}

/* The stats fields a scenario checks, as deltas from a snapshot. */
struct counts {
    uint64_t page_invals, full_invals, shootdowns;
};

static struct counts snapshot(void)
{
    const struct lazy_mmu_stats *st = lazy_mmu_get_stats(&mmu);
    struct counts c;
    c.page_invals = st->page_invals;
    c.full_invals = st->full_invals;
    c.shootdowns = st->shootdowns;
    return c;
}

static void expect_counts(struct counts before, uint64_t page, uint64_t full)
{
    struct counts now = snapshot();
    uint64_t dp = now.page_invals - before.page_invals, df = now.full_invals - before.full_invals;
    kputs("COUNT ");
    kputs(scenario);
    kputs(": page_invals=");
    kput_u64(dp);
    kputs(" full_invals=");
    kput_u64(df);
    kputs("\n");
    if (dp != page)
        bad("counts page_invals", 0, dp, page);
    else if (df != full)
        bad("counts full_invals", 0, df, full);
}

/* ---- the entries: through the library, or (negative control) around it ---- */

static void set(lazy_mmu_pte_t *ptep, lazy_mmu_pte_t pte, uintptr_t va)
{
    kernel_set_pte(&mmu, ptep, pte, va);
}

static void link_table(lazy_mmu_pte_t *ptep, lazy_mmu_pte_t pte, uintptr_t va)
{
#ifdef KERNEL_NEGATIVE_CONTROL
    (void)va;
    *(volatile lazy_mmu_pte_t *)ptep = pte;
#else
    lazy_mmu_link_table(&mmu, ptep, pte, va);
#endif
}

static void unlink_table(lazy_mmu_pte_t *ptep, uintptr_t va)
{
#ifdef KERNEL_NEGATIVE_CONTROL
    (void)va;
    *(volatile lazy_mmu_pte_t *)ptep = 0;
#else
    lazy_mmu_unlink_table(&mmu, ptep, va);
#endif
}

static void name_space(uint32_t space)
{
#ifdef KERNEL_NEGATIVE_CONTROL
    (void)space;
#else
    lazy_mmu_set_space(&mmu, space);
#endif
}

/* ---- the block window and its model ---- */

/* Block b's page i holds this in its first word, its complement in its last. */
static uint64_t block_pattern(unsigned b, unsigned i)
{
    return kernel_frame_pattern(KERNEL_FRAMES + b * KERNEL_BLOCK_PAGES + i);
}

static uint64_t block_want[KERNEL_BLOCK_PAGES]; /* 0: must fault */
static bool block_rw[KERNEL_BLOCK_PAGES];

static uintptr_t block_page_va(unsigned i)
{
    return arch_block_va() + (uintptr_t)i * LAZY_MMU_PAGE_SIZE;
}

static void fill_blocks(void)
{
    unsigned b, i;
    for (b = 0; b < 2; b++)
        for (i = 0; i < KERNEL_BLOCK_PAGES; i++) {
            volatile uint64_t *p = arch_block_alias(b) + (size_t)i * WORDS;
            p[0] = block_pattern(b, i);
            p[WORDS - 1] = ~block_pattern(b, i);
        }
}

static void model_block(unsigned b, bool rw)
{
    unsigned i;
    for (i = 0; i < KERNEL_BLOCK_PAGES; i++) {
        block_want[i] = block_pattern(b, i);
        block_rw[i] = rw;
    }
}

static void touch_block(void)
{
    unsigned i;
    uint64_t v;
    for (i = 0; i < KERNEL_BLOCK_PAGES; i++)
        (void)arch_probe_read(block_page_va(i), &v);
}

/* Every page reads what the model says (or faults), and a write goes through
 * exactly where it is writable; each write puts back what it read.  Last
 * touched, first read: an emulated TLB smaller than the block keeps the
 * pages touched last, and reading the others first would evict them before
 * a stale one is seen (QEMU shrinks its TLB on a loaded host). */
static void check_block(void)
{
    unsigned i;
    for (i = KERNEL_BLOCK_PAGES; i-- > 0;) {
        uintptr_t va = block_page_va(i);
        uint64_t v = 0, last = 0;
        bool ok = arch_probe_read(va, &v);
        if (!block_want[i]) {
            if (ok)
                bad("should fault", i, v, 0);
            continue;
        }
        if (!ok) {
            bad("faulted", i, 0, block_want[i]);
            continue;
        }
        (void)arch_probe_read(va + LAZY_MMU_PAGE_SIZE - 8, &last);
        if (v != block_want[i])
            bad("stale", i, v, block_want[i]);
        else if (last != ~block_want[i])
            bad("stale (last word)", i, last, ~block_want[i]);
        else if (arch_probe_write(va, v) != block_rw[i])
            bad(block_rw[i] ? "write faulted" : "write went through", i, !block_rw[i], block_rw[i]);
    }
}

/* ---- blocks and table pages ---- */

static void sc_block_map(void)
{
    lazy_mmu_state_t s;
    begin("block-map");
    s = lazy_mmu_enter(&mmu);
    set(arch_block_ptep(), arch_make_block(arch_block_pa(0), true), arch_block_va());
    lazy_mmu_leave(&mmu, s);
    model_block(0, true);
    check_block();
    end();
}

/* Traced: one invalidation for the whole block, whatever the backend. */
NOINLINE void trace_block_remap(void)
{
    lazy_mmu_state_t s = lazy_mmu_enter(&mmu);
    set(arch_block_ptep(), arch_make_block(arch_block_pa(1), true), arch_block_va());
    lazy_mmu_leave(&mmu, s);
}

static void sc_block_remap(void)
{
    struct counts c;
    begin("block-remap");
    touch_block();
    c = snapshot();
    trace_block_remap();
    model_block(1, true);
    check_block();
    expect_counts(c, 1, 0);
    end();
}

static void sc_block_protect(void)
{
    struct counts c;
    lazy_mmu_state_t s;
    begin("block-protect");
    touch_block();
    c = snapshot();
    s = lazy_mmu_enter(&mmu);
    set(arch_block_ptep(), arch_make_block(arch_block_pa(1), false), arch_block_va());
    lazy_mmu_leave(&mmu, s);
    model_block(1, false);
    check_block();
    expect_counts(c, 1, 0);
    end();
}

/* Table page t gets 4 KiB entries for block b's pages, page i mapping page
 * (reverse ? 511 - i : i), every other one read-only.  Plain stores: the
 * page is not reachable yet (lazy_mmu_link_table's rule). */
static void fill_table(unsigned t, unsigned b, bool reverse)
{
    unsigned i;
    lazy_mmu_pte_t *pt = arch_table(t);
    for (i = 0; i < KERNEL_BLOCK_PAGES; i++) {
        unsigned src = reverse ? KERNEL_BLOCK_PAGES - 1 - i : i;
        bool rw = (i & 1) == 0;
        pt[i] = arch_make_pte(arch_block_pa(b) + (uint64_t)src * LAZY_MMU_PAGE_SIZE, rw);
        block_want[i] = block_pattern(b, src);
        block_rw[i] = rw;
    }
}

/* The block (block 1) becomes table 0, mapping block 0's frames: a stale
 * block translation reads block 1's patterns. */
static void sc_split(void)
{
    lazy_mmu_state_t s;
    begin("split");
    touch_block();
    fill_table(0, 0, false);
    s = lazy_mmu_enter(&mmu);
    set(arch_block_ptep(), 0, arch_block_va());
    link_table(arch_block_ptep(), arch_make_table(arch_table_pa(0)), arch_block_va());
    lazy_mmu_leave(&mmu, s);
    check_block();
    end();
}

/* Table 0's entries cleared through the library, the table unlinked and
 * freed: every page must fault afterwards, and the table page must come
 * back through LAZY_MMU_FREE_FRAME after the visibility point, not before. */
static void sc_unlink(void)
{
    lazy_mmu_state_t s;
    unsigned i, freed;
    lazy_mmu_pte_t *pt = arch_table(0);
    begin("table-unlink");
    touch_block();
    freed = kernel_nfreed;
    s = lazy_mmu_enter(&mmu);
    for (i = 0; i < KERNEL_BLOCK_PAGES; i++) {
        set(&pt[i], 0, block_page_va(i));
        block_want[i] = 0;
    }
    unlink_table(arch_block_ptep(), arch_block_va());
#ifndef KERNEL_NEGATIVE_CONTROL
    lazy_mmu_free_frame(&mmu, (uintptr_t)arch_table_pa(0));
#endif
    if (kernel_nfreed != freed)
        bad("table page freed before the visibility point", 0, kernel_nfreed - freed, 0);
    lazy_mmu_leave(&mmu, s);
    check_block();
#ifndef KERNEL_NEGATIVE_CONTROL
    if (kernel_nfreed != freed + 1 || kernel_freed[freed] != (uintptr_t)arch_table_pa(0))
        bad("table page not freed once after the visibility point", 0,
            kernel_nfreed - freed, 1);
#endif
    end();
}

/* The freed table page reused: new entries (block 1's frames, reversed),
 * linked again. */
static void sc_reuse(void)
{
    lazy_mmu_state_t s;
    begin("table-reuse");
    fill_table(0, 1, true);
    s = lazy_mmu_enter(&mmu);
    link_table(arch_block_ptep(), arch_make_table(arch_table_pa(0)), arch_block_va());
    lazy_mmu_leave(&mmu, s);
    check_block();
    end();
}

/* ---- address spaces ---- */

static unsigned space_frame[2][KERNEL_WINDOW_PAGES]; /* NONE: unmapped */

static uintptr_t window_va(unsigned i)
{
    return arch_window_va() + (uintptr_t)i * LAZY_MMU_PAGE_SIZE;
}

/* Pages [0, n) of space sp to frames alternating between two sets. */
static void remap_space(unsigned sp, unsigned n)
{
    unsigned i;
    for (i = 0; i < n; i++) {
        unsigned f = space_frame[sp][i] == i ? i + KERNEL_WINDOW_PAGES : i;
        lazy_mmu_set_pte(&mmu, arch_space_ptep(sp, i), arch_make_pte(arch_frame_pa(f), true),
                         window_va(i));
        space_frame[sp][i] = f;
    }
}

static void touch_window(unsigned n)
{
    unsigned i;
    uint64_t v;
    for (i = 0; i < n; i++)
        (void)arch_probe_read(window_va(i), &v);
}

/* Pages [0, n) of the loaded space sp read their frames' patterns, last
 * touched first (as check_block). */
static void check_space(unsigned sp, unsigned n)
{
    unsigned i;
    for (i = n; i-- > 0;) {
        uint64_t v = 0;
        uint64_t want = space_frame[sp][i] == NONE ? 0 : kernel_frame_pattern(space_frame[sp][i]);
        bool ok = arch_probe_read(window_va(i), &v);
        if (!want && ok)
            bad("should fault", i, v, 0);
        else if (want && !ok)
            bad("faulted", i, 0, want);
        else if (want && v != want)
            bad("stale", i, v, want);
    }
}

/* Space 1's pages changed while space 0 is loaded and space 1 is on no CPU:
 * stores only, no invalidation; the switch that flushes space 1 shows them. */
NOINLINE void trace_space_inactive(void)
{
    lazy_mmu_state_t s;
    name_space(LAZY_MMU_SPACE_INACTIVE);
    s = lazy_mmu_enter(&mmu);
    remap_space(1, 8);
    lazy_mmu_leave(&mmu, s);
    name_space(LAZY_MMU_SPACE_ALL);
}

static void sc_space_inactive(void)
{
    struct counts c, now;
    begin("space-inactive");
    arch_space_load(1, false);
    touch_window(8);
    arch_space_load(0, false);
    c = snapshot();
    trace_space_inactive();
    expect_counts(c, 0, 0);
    now = snapshot();
    if (now.shootdowns != c.shootdowns)
        bad("remote round for an inactive space", 0, now.shootdowns - c.shootdowns, 0);
    arch_space_load(1, true);
    check_space(1, 8);
    arch_space_load(0, false);
    check_space(0, 8);
    end();
}

/* Eight pages of the loaded space 1, named by its ASID. */
NOINLINE void trace_space_pages(void)
{
    lazy_mmu_state_t s;
    name_space(arch_space_asid(1));
    s = lazy_mmu_enter(&mmu);
    remap_space(1, 8);
    lazy_mmu_leave(&mmu, s);
    name_space(LAZY_MMU_SPACE_ALL);
}

static void sc_space_pages(void)
{
    struct counts c;
    begin("space-pages");
    arch_space_load(1, false);
    touch_window(8);
    c = snapshot();
    trace_space_pages();
    check_space(1, 8);
    expect_counts(c, 8, 0);
    arch_space_load(0, false);
    check_space(0, 8);
    end();
}

/* Every window page of space 1, named by its ASID: past every backend's
 * threshold, so one full invalidation - of space 1 only. */
NOINLINE void trace_space_full(void)
{
    lazy_mmu_state_t s;
    name_space(arch_space_asid(1));
    s = lazy_mmu_enter(&mmu);
    remap_space(1, KERNEL_WINDOW_PAGES);
    lazy_mmu_leave(&mmu, s);
    name_space(LAZY_MMU_SPACE_ALL);
}

/* Where invalidations can name a space that is not loaded (arch_spaces_init
 * says), space 0 stays loaded while space 1 is flushed; else space 1 is
 * loaded for it, as the contract asks. */
static void sc_space_full(void)
{
    struct counts c;
    unsigned i;
    lazy_mmu_state_t s;
    begin("space-full");
    /* All of space 1's window mapped first, and cached. */
    arch_space_load(1, false);
    name_space(arch_space_asid(1));
    s = lazy_mmu_enter(&mmu);
    for (i = 0; i < KERNEL_WINDOW_PAGES; i++)
        if (space_frame[1][i] == NONE) {
            lazy_mmu_set_pte(&mmu, arch_space_ptep(1, i), arch_make_pte(arch_frame_pa(i), true),
                             window_va(i));
            space_frame[1][i] = i;
        }
    lazy_mmu_leave(&mmu, s);
    name_space(LAZY_MMU_SPACE_ALL);
    touch_window(KERNEL_WINDOW_PAGES);
    if (arch_space_asid(1) != arch_space_asid(0) && arch_spaces_unloaded())
        arch_space_load(0, false);
    c = snapshot();
    trace_space_full();
    expect_counts(c, 0, 1);
    arch_space_load(1, false);
    check_space(1, KERNEL_WINDOW_PAGES);
    arch_space_load(0, false);
    check_space(0, 8);
    end();
}

void kernel_main(void)
{
    lazy_mmu_state_t s;
    unsigned i;

    kputs("lazymmu QEMU spaces kernel: ");
    kputs(arch_name);
#ifdef KERNEL_NEGATIVE_CONTROL
    kputs(" (negative control: library bypassed for blocks and tables, spaces not named)");
#endif
    kputs("\n");
    kernel_fill_frames(KERNEL_FRAMES);
    arch_mmu_init();
    arch_spaces_init();
    fill_blocks();
    lazy_mmu_init(&mmu);

    sc_block_map();
    sc_block_remap();
    sc_block_protect();
    sc_split();
    sc_unlink();
    sc_reuse();

    for (i = 0; i < KERNEL_WINDOW_PAGES; i++)
        space_frame[0][i] = space_frame[1][i] = NONE;
    /* Space 0's first pages mapped and cached: they must survive everything
     * done to space 1 (QEMU keeps no TLB across a switch, so this is only
     * the tables' half of it). */
    s = lazy_mmu_enter(&mmu);
    remap_space(0, 8);
    remap_space(1, 8);
    lazy_mmu_leave(&mmu, s);
    touch_window(8);
    sc_space_inactive();
    sc_space_pages();
    sc_space_full();

    kputs(failures ? "FAIL" : "PASS");
    kputs(" ");
    kputs(arch_name);
    kputs(" spaces: ");
    kput_u64(failures);
    kputs(" scenario(s) failed\n");
    arch_exit(failures ? 1 : 0);
}
