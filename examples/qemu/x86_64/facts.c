/* examples/qemu/x86_64/facts.c - what QEMU's x86_64 TLB (TCG) shows.
 *
 * Built instead of the scenarios into kernel-facts.elf (`make facts`).  Each
 * experiment caches a translation, changes the entry behind the TLB's back
 * with a plain store, issues one kind of maintenance (or none) and reads
 * again.  "old" means the cached translation survived, "new" that the
 * change is visible.  Real hardware may also drop a translation whenever it
 * likes (SDM vol. 3A, 4.10.2.2), so only an "old" proves anything: it is
 * what makes a missing invalidation detectable on this emulator.
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

void kernel_main(void)
{
    /* The first 2 MiB page of the identity map above the image (arch.c). */
    const uintptr_t large = ((uintptr_t)__bss_end + (2u << 20) - 1) & ~(uintptr_t)((2u << 20) - 1);
    unsigned p;
    uint32_t r[4];
    uint64_t v;
    bool ok;

    kputs("lazymmu QEMU facts: x86_64\n");
    facts_init();

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
    kputs("FACTS done\n");
    arch_exit(0);
}
