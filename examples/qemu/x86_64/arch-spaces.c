/* examples/qemu/x86_64/arch-spaces.c - kernel.h's "kernel-spaces*.elf"
 * hooks on x86_64: a second address space (PML4 root) with its own PCID,
 * a 2 MiB block window and the table pages linked under it.  Linked only
 * into kernel-spaces*.elf (with arch.c and common/spaces.c).
 *
 * After arch_spaces_init():
 *   space 0   arch.c's tables (CR3 as arch_mmu_init() loaded it), now run
 *             with PCID 1 where the CPU has PCIDs
 *   space 1   a copy of space 0's PML4, of the PDPT and PD on the path to
 *             the test window, and two page tables of its own for the
 *             window's KERNEL_WINDOW_PAGES entries (all 0 at first); every
 *             other entry - identity map, timing window - points at the same
 *             tables as space 0's.  PCID 2 where the CPU has PCIDs
 *   BLOCK_VA  one PD slot of space 0's window PD, far past the window's
 *             page tables (and PT_ALIAS_VA): 0 until common/spaces.c sets
 *             it.  Space 1's PD is a copy taken before, so space 1 never
 *             maps the block window (kernel.h does not ask it to)
 *
 * Everything here is in the identity map of the first GiB (arch.c; the
 * image is linked at 1 MiB and QEMU's -M pc has 128 MiB of RAM): a pointer
 * is its physical address, and the tables are walked through it.
 */
#include "kernel.h"
#include "io.h"

#define PTE_P ((lazy_mmu_pte_t)1 << 0)
#define PTE_RW ((lazy_mmu_pte_t)1 << 1)
#define PTE_PS ((lazy_mmu_pte_t)1 << 7)
#define PTE_ADDR ((lazy_mmu_pte_t)0x000ffffffffff000ull) /* bits 51:12 */

#define CR3_PCID ((uint64_t)0xfff)       /* bits 11:0 with CR4.PCIDE = 1 */
#define CR3_NOFLUSH ((uint64_t)1 << 63) /* MOV to CR3 only, CR4.PCIDE = 1 */
#define CR4_PCIDE ((uint64_t)1 << 17)
#define CPUID_1_ECX_PCID (1u << 17)

#define PT_ENTRIES 512u
#define PAGE_ALIGNED __attribute__((aligned(4096)))
/* The window's page tables in space 1: KERNEL_WINDOW_PAGES entries. */
#define SPACE1_PTS ((KERNEL_WINDOW_PAGES + PT_ENTRIES - 1) / PT_ENTRIES)
/* PD slot of the block window, counted from the window's first slot: 256,
 * half a GiB past WINDOW_VA, clear of the window's and the timing window's
 * page tables (10 slots) and of PT_ALIAS_VA (the slot after them). */
#define BLOCK_SLOT 256u

_Static_assert(KERNEL_BLOCK_SIZE == (uintptr_t)PT_ENTRIES * LAZY_MMU_PAGE_SIZE,
               "a block is what one PD entry maps");
_Static_assert(KERNEL_BLOCK_PAGES == PT_ENTRIES, "a table page maps one block");

static lazy_mmu_pte_t space1_pml4[PT_ENTRIES] PAGE_ALIGNED;
static lazy_mmu_pte_t space1_pdpt[PT_ENTRIES] PAGE_ALIGNED;
static lazy_mmu_pte_t space1_pd[PT_ENTRIES] PAGE_ALIGNED;
static lazy_mmu_pte_t space1_pt[SPACE1_PTS][PT_ENTRIES] PAGE_ALIGNED;
/* The leaf-table pages linked under the block entry; static, so "freed"
 * (LAZY_MMU_FREE_FRAME) only means handed back, and reuse is relinking. */
static lazy_mmu_pte_t table_pages[KERNEL_TABLE_PAGES][PT_ENTRIES] PAGE_ALIGNED;
/* The two physical blocks: 2 MiB-aligned in .bss (kernel.ld's .bss takes
 * the largest input alignment; entry.S zeroes it, QEMU's Multiboot loader
 * places it at its link address, below 64 MiB). */
static unsigned char blocks[2][KERNEL_BLOCK_SIZE] __attribute__((aligned(KERNEL_BLOCK_SIZE)));

static uint64_t space_root[2]; /* physical address of each PML4 */
static uint32_t space_pcid[2];
static bool pcide;
static lazy_mmu_pte_t *space0_pd; /* space 0's window PD: the block entry */

static uint64_t pa_of(const void *p)
{
    return (uint64_t)(uintptr_t)p; /* identity map */
}

static lazy_mmu_pte_t *table_of(lazy_mmu_pte_t e)
{
    return (lazy_mmu_pte_t *)(uintptr_t)(e & PTE_ADDR); /* identity map */
}

/* Entry idx of table t must point at a table (present, not a large page). */
static lazy_mmu_pte_t *next_table(const lazy_mmu_pte_t *t, unsigned idx)
{
    if ((t[idx] & (PTE_P | PTE_PS)) != PTE_P)
        kernel_panic("arch_spaces_init: no table on the window's path");
    return table_of(t[idx]);
}

static void copy_table(lazy_mmu_pte_t *dst, const lazy_mmu_pte_t *src)
{
    unsigned i;
    for (i = 0; i < PT_ENTRIES; i++)
        dst[i] = src[i];
}

void arch_spaces_init(void)
{
    const uintptr_t va = arch_window_va();
    const unsigned l4 = (va >> 39) & 511, l3 = (va >> 30) & 511, l2 = (va >> 21) & 511;
    lazy_mmu_pte_t *pml4 = table_of(read_cr3()), *pdpt, *pd;
    uint32_t r[4];
    unsigned i;

    /* The window's pages in consecutive PD slots of one PD, the block
     * window further on in the same PD, its entry unused so far. */
    if (va & (KERNEL_BLOCK_SIZE - 1) || l2 + BLOCK_SLOT >= PT_ENTRIES)
        kernel_panic("arch_spaces_init: window and block window do not share one PD");
    pdpt = next_table(pml4, l4);
    pd = next_table(pdpt, l3);
    if (pd[l2 + BLOCK_SLOT] != 0)
        kernel_panic("arch_spaces_init: the block window's PD entry is in use");
    space0_pd = pd;

    /* Space 1: the path to the window copied, flags and all; the window's
     * own page tables new and empty (.bss), the rest shared. */
    copy_table(space1_pml4, pml4);
    copy_table(space1_pdpt, pdpt);
    copy_table(space1_pd, pd);
    space1_pml4[l4] = pa_of(space1_pdpt) | (pml4[l4] & ~PTE_ADDR);
    space1_pdpt[l3] = pa_of(space1_pd) | (pdpt[l3] & ~PTE_ADDR);
    for (i = 0; i < SPACE1_PTS; i++)
        space1_pd[l2 + i] = pa_of(space1_pt[i]) | (pd[l2 + i] & ~PTE_ADDR);
    space_root[0] = pa_of(pml4);
    space_root[1] = pa_of(space1_pml4);

    /* CPUID.01H:ECX.PCID[17].  The Makefile boots these kernels with -cpu
     * max, but QEMU 7.2's TCG implements PCIDs in no model: it clears the
     * bit ("TCG doesn't support requested feature: CPUID.01H:ECX.pcid"
     * even for -cpu max,pcid=on), so under it the else-path runs. */
    cpuid(1, 0, r);
    pcide = (r[2] & CPUID_1_ECX_PCID) != 0;
    if (pcide) {
        space_pcid[0] = 1;
        space_pcid[1] = 2;
        /* arch_mmu_init loaded CR3 with PCID 0 (bits 11:0 clear): what
         * setting PCIDE requires, else #GP (SDM vol. 3A, 4.10.1). */
        write_cr4(read_cr4() | CR4_PCIDE);
        /* From here on space 0 runs with its own PCID; bit 63 clear, so
         * PCID 1 starts with nothing cached. */
        write_cr3(space_root[0] | space_pcid[0]);
    }
    kputs("SPACES x86_64: ");
    kputs(pcide ? "CR4.PCIDE on (CPUID.1:ECX.PCID), space 0 PCID 1, space 1 PCID 2"
                : "no PCID on this CPU model (CPUID.1:ECX[17] = 0), both spaces PCID 0");
    kputs("; CR3 ");
    kput_hex(read_cr3());
    kputs("\n");
}

/* PCID 1 and 2 where CPUID.1:ECX.PCID is set.  Under QEMU 7.2's TCG it is
 * clear in every model, -cpu max included, so there both spaces are PCID 0
 * (CR4.PCIDE stays 0): every CR3 load drops every non-global translation,
 * and the library's per-PCID forms for "PCID 0" (INVLPG, CR3 reload of the
 * loaded root) are still right, merely not narrower. */
uint32_t arch_space_asid(unsigned space)
{
    return space_pcid[space];
}

/* Without INVPCID (absent under QEMU 7.2 TCG even with -cpu max, and the
 * library is built without LAZY_MMU_X86_64_INVPCID) INVLPG and the CR3
 * reload reach the loaded PCID only. */
bool arch_spaces_unloaded(void)
{
    return false;
}

lazy_mmu_pte_t *arch_space_ptep(unsigned space, unsigned page)
{
    if (space == 0)
        return arch_window_ptep(page);
    return &space1_pt[page / PT_ENTRIES][page % PT_ENTRIES];
}

void arch_space_load(unsigned space, bool flush)
{
    uint64_t cr3 = space_root[space] | space_pcid[space];
    /* flush: the MOV drops every non-global translation tagged with the
     * space's PCID (and the paging-structure caches), so changes made to
     * its tables while it was loaded nowhere are seen.  !flush: bit 63
     * keeps that PCID's translations.  Bit 63 exists only with PCIDE
     * (else it is reserved: #GP); without PCIDs every load flushes. */
    if (!flush && pcide)
        cr3 |= CR3_NOFLUSH;
    write_cr3(cr3);
}

uintptr_t arch_block_va(void)
{
    return arch_window_va() + (uintptr_t)BLOCK_SLOT * KERNEL_BLOCK_SIZE;
}

lazy_mmu_pte_t *arch_block_ptep(void)
{
    return &space0_pd[((arch_window_va() >> 21) & 511) + BLOCK_SLOT];
}

uint64_t arch_block_pa(unsigned b)
{
    return pa_of(blocks[b]);
}

volatile uint64_t *arch_block_alias(unsigned b)
{
    /* The identity map (arch.c: the image's 4 KiB pages): writeback-cacheable. */
    return (volatile uint64_t *)(void *)blocks[b];
}

lazy_mmu_pte_t arch_make_block(uint64_t pa, bool writable)
{
    /* A 2 MiB page: PS in a PD entry, the same P/RW/A/D as the 4 KiB pages
     * (bit 12 would be PAT here; pa is 2 MiB-aligned, so it is 0). */
    return arch_make_pte(pa, writable) | PTE_PS;
}

lazy_mmu_pte_t *arch_table(unsigned t)
{
    return table_pages[t];
}

uint64_t arch_table_pa(unsigned t)
{
    return pa_of(table_pages[t]);
}

lazy_mmu_pte_t arch_make_table(uint64_t table_pa)
{
    /* PS clear: a pointer to a page table.  P and RW as arch.c's upper
     * entries; the leaves decide writability (RW must be 1 at every level
     * for a write). */
    return table_pa | PTE_P | PTE_RW;
}
