/* examples/qemu/aarch64/facts.c - kernel-facts.elf: what QEMU's TLB can and
 * cannot show on aarch64, and the library's counts where it cannot.
 *
 * Part 1 (FACT lines) writes window entries by hand, bypassing the library,
 * and leaves out one step of the maintenance sequence at a time: if QEMU
 * still returns the new translation, a library that left that step out
 * would pass the scenarios, so the step is checked by counting instead.
 * These lines describe QEMU (7.2 TCG here); they never fail the run.
 *
 * Part 2 (CHECK lines) runs the library and compares lazy_mmu_get_stats()
 * with what arch/aarch64/policy.h promises for each kind of update; a
 * mismatch fails the run.  It also looks at the page table in memory in the
 * middle of a section, where break-before-make must have stored the break.
 */
#include "facts.h"

/* The primitives of arch/aarch64/insn.h, one step at a time; they ignore
 * their context argument. */
static void dsb_ishst(void)
{
    lazy_mmu__aarch64_dsb_ishst(&mmu);
}
static void dsb_ish(void)
{
    lazy_mmu__aarch64_dsb_ish(&mmu);
}
static void isb(void)
{
    lazy_mmu__aarch64_isb(&mmu);
}
static void tlbi_va(uintptr_t va)
{
    lazy_mmu__aarch64_tlbi_va(&mmu, va);
}
static void tlbi_all(void)
{
    lazy_mmu__aarch64_tlbi_all(&mmu);
}

/* A TLBI VAAE1IS whose operand is the unmasked (va >> 12) of a window VA,
 * which is in TTBR1's half (arch.c): bits [51:44] set, so TTL (bits [47:44])
 * reads 0b1111, "64 KiB granule, level 3", wrong for a 4 KiB leaf.  The OR
 * changes nothing for those VAs; it keeps the fact's operand should the
 * window move low. */
static void tlbi_va_bad_ttl(uintptr_t va)
{
    uint64_t op = ((uint64_t)va >> 12) | (0xffull << 44);
    __asm__ __volatile__("tlbi vaae1is, %0" : : "r"(op) : "memory");
}

/* Every window entry invalid and no translation of it cached anywhere. */
static void clean_slate(void)
{
    clear_window();
    dsb_ishst();
    tlbi_all();
    dsb_ish();
    isb();
}

/* Page i maps frame f, published with the full sequence, and read once so
 * the translation is cached. */
static bool map_and_cache(unsigned i, unsigned f, bool rw)
{
    raw_map(i, f, rw);
    dsb_ishst();
    tlbi_va(page_va(i));
    dsb_ish();
    isb();
    return frame_at(i) == f;
}

/* A FACT line on a sequence with one step left out.  got: what QEMU gave
 * (observe()); bug_shows: the outcome by which a library bug of this kind
 * would show; instead: how this project checks it where QEMU cannot. */
static void omitted(const char *name, const char *left_out, unsigned got, unsigned bug_shows,
                    const char *instead)
{
    if (got == bug_shows)
        fact(name, left_out, " -> QEMU gave ", seen(got), ": OBSERVABLE");
    else
        fact(name, left_out, " -> QEMU gave ", seen(got), ": not observable; checked by ", instead);
}

#define A 0u /* frames */
#define B 1u
#define V 5u /* window page the experiments use; away from page 0 on purpose */

static bool setup(unsigned f)
{
    clean_slate();
    if (map_and_cache(V, f, true))
        return true;
    fact("setup failed", "a freshly mapped page did not read its frame");
    failures++;
    return false;
}

static void part1_qemu_facts(void)
{
    uint64_t v = 0;
    unsigned o;

    /* Remap without any TLBI: the reference bug. */
    if (setup(A)) {
        raw_map(V, B, true);
        dsb_ishst();
        isb();
        omitted("no-tlbi", "remap, DSB ISHST + ISB but no TLBI", observe(V, A, B), OLD, "");
    }
    /* TLBI of the neighbouring page, and of a page in the other level-3
     * table, instead of the remapped one. */
    if (setup(A)) {
        raw_map(V, B, true);
        dsb_ishst();
        tlbi_va(page_va(V + 1));
        dsb_ish();
        isb();
        omitted("wrong-page-tlbi", "remap, TLBI of the next page", observe(V, A, B), OLD, "");
    }
    if (setup(A)) {
        raw_map(V, B, true);
        dsb_ishst();
        tlbi_va(page_va(V + 512));
        dsb_ish();
        isb();
        omitted("wrong-page-tlbi-far", "remap, TLBI of a page 2 MiB away", observe(V, A, B), OLD,
                "");
    }
    /* A wrong VA inside the 2 MiB block this code runs from: QEMU remembers
     * the range of large pages it has cached and flushes everything for a
     * TLBI in it, so a wrong-page TLBI aimed there would hide. */
    if (setup(A)) {
        raw_map(V, B, true);
        dsb_ishst();
        tlbi_va((uintptr_t)&kernel_main & ~(uintptr_t)0x1fffff);
        dsb_ish();
        isb();
        omitted("wrong-page-tlbi-in-cached-block",
                "remap, TLBI of a VA in the running code's 2 MiB block", observe(V, A, B), OLD,
                "placing the window far from every block mapping (arch.c), see wrong-page-tlbi");
    }
    /* The right TLBI, then no DSB ISH (completion) and no ISB. */
    if (setup(A)) {
        raw_map(V, B, true);
        dsb_ishst();
        tlbi_va(page_va(V));
        omitted("no-dsb-ish-no-isb", "remap, TLBI but no DSB ISH and no ISB after it",
                observe(V, A, B), OLD, "the barrier counts (CHECK and COUNT lines)");
    }
    /* The right TLBI without the DSB ISHST that orders the store before it. */
    if (setup(A)) {
        raw_map(V, B, true);
        tlbi_va(page_va(V));
        dsb_ish();
        isb();
        omitted("no-dsb-ishst", "remap, TLBI without DSB ISHST before it", observe(V, A, B), OLD,
                "the barrier counts (CHECK and COUNT lines)");
    }
    /* Valid to valid with a new output address, no break: the architecture
     * allows a TLB conflict abort or amalgamated translations; QEMU? */
    if (setup(A)) {
        raw_map(V, B, true);
        dsb_ishst();
        tlbi_va(page_va(V));
        dsb_ish();
        isb();
        o = observe(V, A, B);
        omitted("no-break-before-make", "remap valid->valid without the invalid step", o, FAULT,
                "the bbm counts and the invalid entry seen in memory mid-section (CHECK bbm)");
    }
    /* Invalid to valid with no barrier at all: QEMU caches no faulting
     * translation, so the new entry is used at once. */
    clean_slate();
    if (!arch_probe_read(page_va(V), &v)) {
        raw_map(V, B, true);
        o = observe(V, A, B);
        omitted("new-entry-no-barriers", "invalid->valid, no DSB ISHST, no ISB", o, FAULT,
                "the barrier counts of lazy/eager map (CHECK lines)");
    }
    /* Unmap without TLBI. */
    if (setup(A)) {
        raw_store(V, 0);
        dsb_ishst();
        isb();
        omitted("unmap-no-tlbi", "unmap, no TLBI", observe(V, A, B), OLD, "");
    }
    /* Write-protect without TLBI: does a write still go through? */
    if (setup(A) && arch_probe_write(page_va(V), tag(A))) {
        raw_map(V, A, false);
        dsb_ishst();
        isb();
        o = arch_probe_write(page_va(V), tag(A)) ? OLD : FAULT;
        omitted("protect-no-tlbi", "RW->RO, no TLBI (OLD = the write went through)", o, OLD, "");
    }
    /* Make writable without TLBI: a stale read-only entry could fault. */
    clean_slate();
    if (map_and_cache(V, A, false) && !arch_probe_write(page_va(V), tag(A))) {
        raw_map(V, A, true);
        dsb_ishst();
        isb();
        o = arch_probe_write(page_va(V), tag(A)) ? NEW : OLD;
        omitted("unprotect-no-tlbi", "RO->RW, no TLBI (OLD = a spurious permission fault)", o, OLD,
                "the TLBI counts of lazy unprotect (CHECK lines)");
    }
    /* TLBI whose TTL hint is wrong (what an unmasked high-half VA puts in
     * bits [47:44]); the CPU model has no FEAT_TTL, so they are RES0. */
    if (setup(A)) {
        raw_map(V, B, true);
        dsb_ishst();
        tlbi_va_bad_ttl(page_va(V));
        dsb_ish();
        isb();
        omitted("tlbi-bad-ttl", "remap, TLBI operand with bits [51:44] set", observe(V, A, B), OLD,
                "review: insn.h masks the operand to VA[55:12]");
    }
    /* Mid-section access after a library break-before-make: the contract
     * allows old, new or a fault; which one QEMU gives. */
    if (setup(A)) {
        lazy_mmu_state_t s = lazy_mmu_enter(&mmu);
        map(V, B, true);
        o = observe(V, A, B);
        lazy_mmu_leave(&mmu, s);
        fact("mid-section-read",
             "read inside the section after a break-before-make remap -> QEMU gave ", seen(o),
             " (the contract allows old, new or a fault)");
    }
    clean_slate();
}

/* ---- part 2: the library's counts ---- */

static void expect_true(const char *what, bool ok, uint64_t got, uint64_t want)
{
    if (!check_line(what, ok)) {
        kputs(": ");
        kput_hex(got);
        kputs(" want ");
        kput_hex(want);
    }
    kputs("\n");
}

/* Every page of [0, n) reads frame_base + i. */
static void expect_mapped(const char *what, unsigned n, unsigned frame_base)
{
    unsigned i;
    for (i = 0; i < n; i++) {
        uint64_t v = 0;
        if (!arch_probe_read(page_va(i), &v) || v != tag(frame_base + i)) {
            expect_true(what, false, v, tag(frame_base + i));
            return;
        }
    }
    expect_true(what, true, 0, 0);
}

static void part2_counts(void)
{
    static const unsigned sizes[] = {1, 64, 512, 513, KERNEL_WINDOW_PAGES};
    const uint64_t thr = LAZY_MMU_FLUSH_ALL_THRESHOLD;
    unsigned k, i;

    for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        unsigned n = sizes[k];
        bool full = n > thr; /* the range alone crosses the threshold */
        struct expect e;

        clean_slate();
        /* invalid -> valid: nothing can be stale, so no TLBI; one
         * DSB ISHST (walkable) + ISB per publish. */
        lazy_mmu_reset_stats(&mmu);
        lazy_map(n, 0, true);
        e.page_invals = 0, e.full_invals = 0, e.barriers = 2, e.bbm = 0, e.publishes = 1;
        check_counts("lazy map", n, e);
        expect_mapped("lazy map visible after leave", n, 0);

        /* RW -> RO, same frame: no break-before-make; one range of n pages:
         * n TLBIs up to the threshold, else one TLBI VMALLE1IS; one
         * DSB ISHST, DSB ISH, ISB. */
        lazy_mmu_reset_stats(&mmu);
        lazy_map(n, 0, false);
        e.page_invals = full ? 0 : n, e.full_invals = full, e.barriers = 3, e.bbm = 0,
        e.publishes = 1;
        check_counts("lazy protect", n, e);

        /* RO -> RW: the same; a stale read-only entry would fault. */
        lazy_mmu_reset_stats(&mmu);
        lazy_map(n, 0, true);
        check_counts("lazy unprotect", n, e);

        /* valid -> invalid: same shape as protect. */
        lazy_mmu_reset_stats(&mmu);
        lazy_unmap(n);
        check_counts("lazy unmap", n, e);
    }

    /* Eager: each update is its own publish. */
    clean_slate();
    lazy_mmu_reset_stats(&mmu);
    for (i = 0; i < 8; i++)
        map(i, i, true);
    {
        struct expect e = {0, 0, 2 * 8, 0, 8};
        check_counts("eager map", 8, e);
    }
    lazy_mmu_reset_stats(&mmu);
    for (i = 0; i < 8; i++)
        unmap(i);
    {
        struct expect e = {8, 0, 3 * 8, 0, 8};
        check_counts("eager unmap", 8, e);
    }

    /* Nested: the inner leave publishes the outer section's updates too;
     * the outer leave then has nothing left. */
    clean_slate();
    lazy_map(8, 0, true);
    lazy_mmu_reset_stats(&mmu);
    {
        struct expect e = {8, 0, 4, 8, 1};
        nested_remap(check_counts, e);
        expect_mapped("nested remap visible", 8, 100);
    }
    lazy_mmu_reset_stats(&mmu);
    {
        lazy_mmu_state_t s = lazy_mmu_enter(&mmu);
        struct expect e = {0, 0, 0, 0, 0};
        lazy_mmu_leave(&mmu, s);
        check_counts("empty section", 0, e);
    }

    /* Break-before-make in memory: inside the section the entry must hold
     * the break (invalid) while get_pte already sees the new value; the
     * TLB cannot show this on QEMU, the page table can. */
    clean_slate();
    lazy_map(1, A, true);
    {
        lazy_mmu_state_t s = lazy_mmu_enter(&mmu);
        lazy_mmu_pte_t want = arch_make_pte(arch_frame_pa(B), true);
        lazy_mmu_pte_t mid, got;
        map(0, B, true);
        mid = *(volatile lazy_mmu_pte_t *)arch_window_ptep(0);
        got = lazy_mmu_get_pte(&mmu, arch_window_ptep(0));
        expect_true("bbm entry invalid inside the section", (mid & 1) == 0, mid, 0);
        expect_true("bbm get_pte sees the new entry", got == want, got, want);
        lazy_mmu_leave(&mmu, s);
        mid = *(volatile lazy_mmu_pte_t *)arch_window_ptep(0);
        expect_true("bbm entry made after leave", mid == want, mid, want);
        {
            uint64_t v = 0;
            bool ok = arch_probe_read(page_va(0), &v);
            expect_true("bbm page reads the new frame", ok && v == tag(B), v, tag(B));
        }
    }
    clean_slate();
}

/* ---- part 3: the executed instruction sequence ----
 * QEMU does not show a missing or misplaced barrier, but it can log every
 * instruction it executes: `make test` boots this kernel once more with
 * -singlestep -d exec, filtered to these functions and the library code the
 * compiler kept out of line, and trace.awk checks the order of the DSB, TLBI
 * and ISB instructions they ran.  Called last, once each. */
void trace_lazy_remap(void);
void trace_eager_remap(void);

__attribute__((noinline)) void trace_lazy_remap(void)
{
    lazy_mmu_state_t s = lazy_mmu_enter(&mmu);
    map(0, 200, true);
    map(1, 201, true);
    map(2, 202, true);
    lazy_mmu_leave(&mmu, s);
}

__attribute__((noinline)) void trace_eager_remap(void)
{
    map(3, 203, true);
}

static void part3_trace(void)
{
    clean_slate();
    lazy_map(4, 0, true);
    trace_lazy_remap();
    trace_eager_remap();
    expect_mapped("traced remaps visible", 4, 200);
}

void kernel_main(void)
{
    kputs("lazymmu QEMU facts kernel: aarch64\n");
    facts_init();

    part1_qemu_facts();
    part2_counts();
    part3_trace();

    facts_exit();
}
