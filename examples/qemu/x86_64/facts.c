/* examples/qemu/x86_64/facts.c - kernel-facts.elf: what QEMU's x86_64 TLB
 * (TCG) shows, and the library's counts checked against the policy.
 *
 * Part 1 (FACT lines, `make facts`): each experiment caches a translation,
 * changes the entry behind the TLB's back with a plain store, issues one
 * kind of maintenance (or none) and reads again.  "old" means the cached
 * translation survived, "new" that the change is visible.  Real hardware
 * may also drop a translation whenever it likes (SDM vol. 3A, 4.10.2.2), so
 * only an "old" proves anything: it is what makes a missing invalidation
 * detectable on this emulator.  These lines describe QEMU; they never fail
 * the run.
 *
 * Part 2 (CHECK lines, `make test`): the library's counters against what
 * arch/x86_64/policy.h promises, section by section, and every page read
 * against what it must hold; a mismatch fails the run.  QEMU cannot show a
 * library that flushed everything where an INVLPG per page was owed, nor
 * one that issued INVLPGs for new entries: the counters can.
 *
 * KERNEL_NEGATIVE_CONTROL (kernel-facts-neg.elf) writes the entries around
 * the library (kernel_set_pte): its count checks must then FAIL.
 */
#include "facts.h"
#include "io.h"

#define PTE_G ((lazy_mmu_pte_t)1 << 8)
#define CR4_PGE ((uint64_t)1 << 7)
#define CR4_PKE ((uint64_t)1 << 22)

extern char __bss_end[]; /* kernel.ld: where the image ends */

/* Cache page -> old_frame, then point the entry at new_frame unseen. */
static void stale_setup(unsigned page, unsigned old_frame, unsigned new_frame, lazy_mmu_pte_t g)
{
    uint64_t v;
    raw_store(page,
              arch_make_pte(arch_frame_pa(old_frame), true) | g); /* was invalid: never cached */
    (void)arch_probe_read(page_va(page), &v);
    raw_store(page, arch_make_pte(arch_frame_pa(new_frame), true) | g);
}

static void part1_qemu_facts(void)
{
    /* The first 2 MiB page of the identity map above the image (arch.c). */
    const uintptr_t large = ((uintptr_t)__bss_end + (2u << 20) - 1) & ~(uintptr_t)((2u << 20) - 1);
    unsigned p;
    uint32_t r[4];
    uint64_t v;
    bool ok;

    raw_store(12, 0);
    (void)arch_probe_read(page_va(12), &v); /* faults: walked while not present */
    raw_map(12, 22, true);
    fact("invalid -> valid without invlpg, read (not-present entries are never cached)",
         seen(observe(12, 0, 22)));

    stale_setup(0, 0, 1, 0);
    fact("no invlpg after remap, read", seen(observe(0, 0, 1)));
    lazy_mmu__x86_64_invlpg(&mmu, page_va(0));
    fact("  then invlpg of that page, read", seen(observe(0, 0, 1)));

    stale_setup(1, 2, 3, 0);
    stale_setup(2, 4, 5, 0);
    lazy_mmu__x86_64_invlpg(&mmu, page_va(2));
    fact("invlpg of the wrong (neighbouring) page, read", seen(observe(1, 2, 3)));
    fact("  the page that was invalidated, read", seen(observe(2, 4, 5)));

    stale_setup(3, 6, 7, 0);
    (void)arch_probe_read(large, &v); /* a 2 MiB identity page in the TLB */
    lazy_mmu__x86_64_invlpg(&mmu, large + 0x3000);
    fact("invlpg of an address inside a cached 2 MiB page, other page read",
         seen(observe(3, 6, 7)));
    /* Why arch.c maps the image with 4 KiB pages: an INVLPG that names a
     * variable of the image instead of a window page must stay visible. */
    stale_setup(14, 25, 26, 0);
    (void)arch_probe_read((uintptr_t)&v, &v);
    lazy_mmu__x86_64_invlpg(&mmu, (uintptr_t)&v);
    fact("invlpg of a stack variable's address (image: 4 KiB pages), other page read",
         seen(observe(14, 25, 26)));

    stale_setup(4, 8, 9, 0);
    lazy_mmu__x86_64_flush_nonglobal(&mmu);
    fact("CR3 reload, non-global page read", seen(observe(4, 8, 9)));

    write_cr4(read_cr4() | CR4_PGE);
    stale_setup(5, 10, 11, PTE_G);
    lazy_mmu__x86_64_flush_nonglobal(&mmu);
    fact("CR3 reload, GLOBAL page read (hardware keeps it: old)", seen(observe(5, 10, 11)));
    stale_setup(6, 12, 13, PTE_G);
    lazy_mmu__x86_64_flush_all(&mmu);
    fact("CR4.PGE toggle, global page read", seen(observe(6, 12, 13)));
    /* What kernel-global.elf relies on: a "toggle" that writes CR4 back
     * unchanged flushes nothing. */
    stale_setup(15, 27, 28, PTE_G);
    write_cr4(read_cr4());
    fact("MOV to CR4 of its own value (PGE stays set), global page read",
         seen(observe(15, 27, 28)));
    write_cr4(read_cr4() & ~CR4_PGE);

    stale_setup(7, 14, 15, 0);
    raw_store(7, 0);
    fact("unmap without invlpg, read", seen(observe(7, 14, 15)));
    lazy_mmu__x86_64_invlpg(&mmu, page_va(7));
    fact("  then invlpg, read", seen(observe(7, 14, 15)));

    raw_map(8, 16, true);
    (void)arch_probe_write(page_va(8), tag(16)); /* caches a writable translation */
    raw_map(8, 16, false);
    fact("read-write -> read-only without invlpg, write",
         arch_probe_write(page_va(8), tag(16)) ? "went through (stale permission used)"
                                               : "faulted (change visible)");
    raw_map(9, 17, false);
    (void)arch_probe_read(page_va(9), &v); /* caches a read-only translation */
    raw_map(9, 17, true);
    ok = arch_probe_write(page_va(9), tag(17));
    fact("read-only -> read-write without invlpg, write (SDM allows a spurious #PF)",
         ok ? "went through (re-walked)" : "faulted (spurious)");

    stale_setup(10, 18, 19, 0);
    for (p = 16; p < KERNEL_WINDOW_PAGES; p++) { /* fill the TLB with others */
        raw_map(p, 1000 + p, true);
        (void)arch_probe_read(page_va(p), &v);
    }
    fact("stale entry after reading 1008 other window pages, read", seen(observe(10, 18, 19)));

    cpuid(0, 0, r);
    if (r[0] >= 7) {
        cpuid(7, 0, r);
        fact("CPUID.7.0:ECX.PKU (protection keys)", r[2] & (1u << 3) ? "yes" : "no");
        if (r[2] & (1u << 3)) {
            write_cr4(read_cr4() | CR4_PKE);
            stale_setup(13, 23, 24, 0);
            /* The same value again: no rights change at all. */
            lazy_mmu__x86_64_wrpkru(&mmu, lazy_mmu__x86_64_rdpkru(&mmu));
            fact("WRPKRU of the unchanged value, read of a page it does not govern",
                 seen(observe(13, 23, 24)));
        }
        fact("CPUID.7.0:EBX.INVPCID", r[1] & (1u << 10) ? "yes" : "no");
        if (r[1] & (1u << 10)) {
            struct {
                uint64_t pcid, addr;
            } desc = {0, 0};
            write_cr4(read_cr4() | CR4_PGE);
            stale_setup(11, 20, 21, PTE_G);
            /* Type 2: all translations, global ones included. */
            __asm__ __volatile__("invpcid %0, %1" : : "m"(desc), "r"((uint64_t)2) : "memory");
            fact("INVPCID type 2, global page read", seen(observe(11, 20, 21)));
            write_cr4(read_cr4() & ~CR4_PGE);
        }
    } else {
        fact("CPUID leaf 7", "absent (no PKU, no INVPCID)");
    }
}

/* ---- part 2: the library's counts ---- */

#define THRESHOLD LAZY_MMU_FLUSH_ALL_THRESHOLD

/* Every window entry invalid, no translation of it cached, the counters
 * zero: each case starts from what it alone does.  PGE is clear after
 * part 1, so the CR3 reload drops global translations too. */
static void clean_slate(void)
{
    clear_window();
    lazy_mmu__x86_64_flush_nonglobal(&mmu);
    lazy_mmu_reset_stats(&mmu);
}

/* n pages to invalidate at one visibility point (policy.h, no INVPCID, no
 * INVLPGB, no global entry): an INVLPG each up to the threshold, one CR3
 * reload above it; x86 needs no barrier and has no break-before-make. */
static struct expect one_publish(unsigned n)
{
    struct expect e = {0, 0, 0, 0, 1};
    if (n <= THRESHOLD)
        e.page_invals = n;
    else
        e.full_invals = 1;
    return e;
}

/* Nothing was valid before, so nothing can be cached: the stores alone. */
static const struct expect nothing = {0, 0, 0, 0, 0};

/* Pages [0, n) and the counters (common/facts.h). */
static void verify(const char *what, unsigned n, struct expect e)
{
    check_pages(what, n, e, 0, n, false);
}

static void part2_counts(void)
{
    /* Either side of the threshold, and the whole window. */
    static const unsigned sizes[] = {1, THRESHOLD - 1, THRESHOLD, THRESHOLD + 1,
                                     KERNEL_WINDOW_PAGES};
    unsigned k, i;

    for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        const unsigned n = sizes[k];

        clean_slate();
        touch(0, n); /* walks the invalid entries: QEMU caches none */
        lazy_map(n, 0, true);
        verify("lazy map", n, nothing);

        lazy_mmu_reset_stats(&mmu);
        touch(0, n);
        lazy_map(n, KERNEL_WINDOW_PAGES, true);
        verify("lazy remap", n, one_publish(n));

        /* Read-write -> read-only, same frame: a stale writable entry. */
        lazy_mmu_reset_stats(&mmu);
        touch(0, n);
        lazy_map(n, KERNEL_WINDOW_PAGES, false);
        check_pages("lazy protect", n, one_publish(n), 0, n, true);

        lazy_mmu_reset_stats(&mmu);
        touch(0, n);
        lazy_unmap(n);
        verify("lazy unmap", n, one_publish(n));
    }

    /* Eager: each update is its own visibility point, one owing nothing. */
    clean_slate();
    touch(0, 8);
    for (i = 0; i < 8; i++)
        map(i, i, true);
    verify("eager map", 8, nothing);
    lazy_mmu_reset_stats(&mmu);
    touch(0, 8);
    for (i = 0; i < 8; i++)
        map(i, 100 + i, true);
    {
        struct expect e = {8, 0, 0, 0, 8};
        verify("eager remap", 8, e);
    }
    lazy_mmu_reset_stats(&mmu);
    touch(0, 8);
    for (i = 0; i < 8; i++)
        unmap(i);
    {
        struct expect e = {8, 0, 0, 0, 8};
        verify("eager unmap", 8, e);
    }

    /* Nested: the inner leave publishes the outer section's updates too;
     * the outer leave then has nothing left. */
    clean_slate();
    lazy_map(8, 0, true);
    lazy_mmu_reset_stats(&mmu);
    touch(0, 8);
    nested_remap(verify, one_publish(8));

    lazy_mmu_reset_stats(&mmu);
    {
        lazy_mmu_state_t s = lazy_mmu_enter(&mmu);
        lazy_mmu_leave(&mmu, s);
        verify("empty section", 0, nothing);
    }
    clean_slate();
}

void kernel_main(void)
{
    kputs("lazymmu QEMU facts kernel: x86_64");
#ifdef KERNEL_NEGATIVE_CONTROL
    kputs(" (negative control: page tables written around the library)");
#endif
    kputs("\n");
    facts_init();

    part1_qemu_facts();
    part2_counts();

    facts_exit();
}
