/* examples/qemu/aarch64/arch-spaces.c - kernel.h's kernel-spaces section for
 * aarch64: two address spaces with ASIDs, a 2 MiB block window and leaf-table
 * pages.  Linked into kernel-spaces*.elf only, after arch.c, whose tables it
 * reaches the way a kernel would: from TTBR0_EL1 and TTBR1_EL1, walking down.
 *
 * Address space, added to arch.c's (which see):
 *   VA 0x8000_0000 + 2 MiB  the block window, in the lower half (TTBR0,
 *                           shared by both spaces): level-2 descriptor 0 of
 *                           a level-2 table of its own (level-1 entry 2,
 *                           which arch.c leaves unused), invalid at first; a
 *                           block descriptor or a pointer to a table page
 *   space 1                 a second upper-half (TTBR1) level-1 root: space
 *                           0's level-1 entries, except that the test
 *                           window's level-2 table is a copy whose two
 *                           entries over the test window point at space 1's
 *                           own level-3 tables, all entries invalid (the
 *                           timing window's level-3 tables, which only
 *                           common/timing.c uses, stay shared).  The lower
 *                           half is the same TTBR0 root in both spaces.
 *   ASIDs                   space 0 runs with ASID 1 from arch_spaces_init
 *                           on, space 1 with ASID 2 (TTBR1_EL1[63:48];
 *                           arch.c sets TCR_EL1.A1 = 1 and AS = 0: 8-bit
 *                           ASIDs, which every CPU has), so a space is one
 *                           TTBR1_EL1 value, root and ASID together.  Window
 *                           pages are not global (arch.c's arch_make_pte
 *                           sets nG), so each space's are tagged with its
 *                           ASID; the identity map stays global: both
 *                           spaces share it.
 * The block window is below 4 GiB, next to the identity map's 2 MiB blocks
 * and far from the test window: QEMU tracks every large page it caches as
 * one range that grows to cover them all, and turns a page TLBI inside that
 * range into a full flush; kept away from it, the window's per-page TLBIs
 * still reach one page each (README.md).
 */
#include "kernel.h"

#define DESC_VALID      0x1ull          /* bit 0 */
#define DESC_TYPE       0x2ull          /* bit 1: table (levels 0-2) / page (level 3) */
#define DESC_TABLE      0x3ull
#define DESC_OA         0x0000fffffffff000ull
#define TTBR_BADDR      0x0000fffffffffffeull   /* 4 KiB aligned root; bit 0 CnP */
#define TTBR_ASID_SHIFT 48
#define TCR_A1          (1ull << 22)
#define TCR_AS          (1ull << 36)

#define ENTRIES         512u
#define BLOCK_VA        0x80000000ul    /* level-1 index 2 */
#define L1_INDEX(va)    (((uint64_t)(va) >> 30) & 511)
#define L2_INDEX(va)    (((uint64_t)(va) >> 21) & 511)

_Static_assert(KERNEL_WINDOW_PAGES % ENTRIES == 0,
               "space 1's window fills whole level-3 tables of its own");
_Static_assert(KERNEL_BLOCK_SIZE == (uint64_t)ENTRIES * LAZY_MMU_PAGE_SIZE,
               "a block is what one level-2 descriptor maps");
_Static_assert(KERNEL_BLOCK_PAGES == ENTRIES, "a table page holds one block's pages");
_Static_assert(BLOCK_VA % KERNEL_BLOCK_SIZE == 0, "the block window is block-aligned");

/* Space 1's own tables on the path to the test window: its TTBR1 root. */
static lazy_mmu_pte_t space1_l1[ENTRIES] __attribute__((aligned(4096)));
static lazy_mmu_pte_t space1_l2[ENTRIES] __attribute__((aligned(4096)));
static lazy_mmu_pte_t space1_l3[KERNEL_WINDOW_PAGES] __attribute__((aligned(4096)));
/* The block window's level-2 table; arch_block_ptep() is one of its entries. */
static lazy_mmu_pte_t block_l2[ENTRIES] __attribute__((aligned(4096)));
/* Leaf-table pages common/spaces.c links under the block window's entry:
 * .bss, so all-invalid until it fills them. */
static lazy_mmu_pte_t table_pages[KERNEL_TABLE_PAGES][ENTRIES] __attribute__((aligned(4096)));
/* The two physical blocks a block descriptor maps: its output address must
 * be 2 MiB aligned.  kernel.ld puts .bss.blocks in .blocks (NOLOAD, before
 * .bss, not cleared: common/spaces.c writes every word it reads first, with
 * the MMU on), inside the identity map (checked in arch_spaces_init). */
static uint64_t blocks[2][KERNEL_BLOCK_SIZE / 8]
    __attribute__((aligned(KERNEL_BLOCK_SIZE), section(".bss.blocks")));

extern char __ram_map_end[]; /* kernel.ld: the identity map's end */

static lazy_mmu_pte_t *space_root[2]; /* TTBR1 roots; [0]: arch.c's, from TTBR1_EL1 */
static const uint32_t space_asid[2] = {1, 2};

/* Everything here is identity-mapped: a table's physical address is its
 * pointer. */
static lazy_mmu_pte_t *table_at(lazy_mmu_pte_t desc)
{
    return (lazy_mmu_pte_t *)(uintptr_t)(desc & DESC_OA);
}

static uint64_t ttbr_of(unsigned space)
{
    return (uint64_t)(uintptr_t)space_root[space] | ((uint64_t)space_asid[space] << TTBR_ASID_SHIFT);
}

/* For the negative control's stale reads, not for correctness.  QEMU sizes
 * its software TLB at every full flush: it doubles when more than 70% of it
 * was in use since the last resize, and shrinks after 100 ms of wall time
 * with little use.  On a loaded host the TLB could so be down to 256
 * entries or fewer when the block scenarios start, too few to keep the 512
 * pages common/spaces.c reads before each change: every page of the
 * negative control then read fresh and its block scenarios failed on
 * counts only.  A few rounds of touching every frame (2048 pages through
 * the identity map) and flushing grow it to 1024 entries or more, whatever
 * happened before; the negative control's block scenarios issue no TLBI,
 * so nothing shrinks it again before they run. */
static void grow_emulator_tlb(void)
{
    unsigned round, f;
    for (round = 0; round < 5; round++) {
        for (f = 0; f < KERNEL_FRAMES; f++)
            (void)*arch_frame_alias(f);
        __asm__ __volatile__(
            /* TLBI VMALLE1: this PE's entries dropped (a full flush, where
             * QEMU resizes); DSB NSH: complete; ISB: seen by what follows. */
            "tlbi vmalle1\n\t"
            "dsb nsh\n\t"
            "isb"
            :
            :
            : "memory");
    }
}

void arch_spaces_init(void)
{
    const uintptr_t window = arch_window_va();
    lazy_mmu_pte_t *l1, *l1_lo, *window_l2;
    uint64_t ttbr0, ttbr1, tcr;
    unsigned i;

    __asm__ __volatile__("mrs %0, ttbr0_el1" : "=r"(ttbr0));
    __asm__ __volatile__("mrs %0, ttbr1_el1" : "=r"(ttbr1));
    __asm__ __volatile__("mrs %0, tcr_el1" : "=r"(tcr));
    /* The ASID in TTBR1_EL1, whose root is what differs per space, must be
     * the one the TLB uses, and 2 must fit. */
    if ((tcr & (TCR_A1 | TCR_AS)) != TCR_A1)
        kernel_panic("arch_spaces_init: TCR_EL1.A1 clear or AS set (arch.c sets A1 only)");
    if (!(window >> 63))
        kernel_panic("arch_spaces_init: the test window is not in TTBR1_EL1's half");
    if ((uintptr_t)blocks[1] + KERNEL_BLOCK_SIZE > (uintptr_t)__ram_map_end)
        kernel_panic("arch_spaces_init: the physical blocks are beyond the identity map");

    /* Space 0: what arch_mmu_init loaded (ASID 0 so far); its upper half
     * holds the window. */
    l1 = (lazy_mmu_pte_t *)(uintptr_t)(ttbr1 & TTBR_BADDR);
    space_root[0] = l1;
    window_l2 = table_at(l1[L1_INDEX(window)]);

    /* The block window, in the lower half both spaces share: a level-2
     * table whose entries are all invalid (.bss), so arch_block_ptep()
     * starts invalid - in a level-1 entry arch.c left unused (it maps
     * nothing else). */
    l1_lo = (lazy_mmu_pte_t *)(uintptr_t)(ttbr0 & TTBR_BADDR);
    if (l1_lo[L1_INDEX(BLOCK_VA)] & DESC_VALID)
        kernel_panic("arch_spaces_init: the block window's level-1 entry is taken");
    l1_lo[L1_INDEX(BLOCK_VA)] = (uint64_t)(uintptr_t)block_l2 | DESC_TABLE;

    /* Space 1 = space 0's upper-half level-1 entries (the timing window's
     * path) with the test window's path replaced: a copy of its level-2
     * table whose entries over the test window point at space 1's own
     * level-3 tables, which are .bss and so all invalid. */
    for (i = 0; i < ENTRIES; i++) {
        space1_l1[i] = l1[i];
        space1_l2[i] = window_l2[i];
    }
    for (i = 0; i < KERNEL_WINDOW_PAGES / ENTRIES; i++)
        space1_l2[L2_INDEX(window) + i] = (uint64_t)(uintptr_t)&space1_l3[i * ENTRIES] | DESC_TABLE;
    space1_l1[L1_INDEX(window)] = (uint64_t)(uintptr_t)space1_l2 | DESC_TABLE;
    space_root[1] = space1_l1;

    grow_emulator_tlb();
    /* No TLBI: grow_emulator_tlb's TLBI VMALLE1 left nothing cached
     * (arch_mmu_init's before it), and since then only ASID 0 has been
     * current, so ASIDs 1 and 2 tag nothing yet;
     * the new level-1 entry was invalid, and an invalid descriptor is never
     * cached. */
    __asm__ __volatile__(
        /* DSB ISHST: every table store above (the block window's new
         * level-1 entry, all of space 1's tables) is complete for the
         * walkers before the next walk - the TTBR1 write below, or a walk
         * of space 1 later. */
        "dsb ishst\n\t"
        /* Space 0's upper-half root again, now with ASID 1 (A1 = 1: the
         * current ASID is TTBR1's): later non-global entries are tagged 1. */
        "msr ttbr1_el1, %0\n\t"
        /* ISB: the TTBR1 write (and so the ASID) takes effect for every
         * later instruction of this PE. */
        "isb"
        :
        : "r"(ttbr_of(0))
        : "memory");

    kputs("spaces: TTBR1_EL1 roots and ASIDs (8-bit, TCR_EL1.A1 = 1): space 0 ASID 1, "
          "space 1 ASID 2\n");
}

/* ASID 1 for space 0 and 2 for space 1: TTBR1_EL1[63:48], and the ASID
 * field of the library's TLBI VAE1IS / ASIDE1IS operands. */
uint32_t arch_space_asid(unsigned space)
{
    return space_asid[space];
}

/* TLBI VAE1IS / ASIDE1IS name any ASID, loaded on this PE or not. */
bool arch_spaces_unloaded(void)
{
    return true;
}

lazy_mmu_pte_t *arch_space_ptep(unsigned space, unsigned page)
{
    return space == 0 ? arch_window_ptep(page) : &space1_l3[page];
}

void arch_space_load(unsigned space, bool flush)
{
    const uint64_t ttbr = ttbr_of(space);
    const uint64_t asid_op = (uint64_t)space_asid[space] << TTBR_ASID_SHIFT;

    if (flush)
        __asm__ __volatile__(
            /* TLBI ASIDE1: drops this PE's non-global entries tagged with
             * the space's ASID, every VA and level, walk caches included -
             * what changes made while no CPU had the space loaded
             * (LAZY_MMU_SPACE_INACTIVE: stores and DSB ISHST, no TLBI) rely
             * on.  Issued while another ASID is current, so no access can
             * refill them before the switch.  This PE only (not ...IS): the
             * kernel runs on one CPU, and a kernel with more flushes on
             * each CPU that switches to the space. */
            "tlbi aside1, %1\n\t"
            /* DSB NSH: the TLBI is complete on this PE before the ASID
             * becomes current. */
            "dsb nsh\n\t"
            /* The space's upper-half root and its ASID, in one write: no
             * instruction ever runs with one space's root and the other's
             * ASID. */
            "msr ttbr1_el1, %0\n\t"
            /* ISB: both take effect for every later instruction of this PE:
             * it translates through the new root, with no entry of the
             * space's ASID from before the TLBI. */
            "isb"
            :
            : "r"(ttbr), "r"(asid_op)
            : "memory");
    else
        __asm__ __volatile__(
            /* The space's upper-half root and ASID, in one write, for
             * every later access; the entries this PE cached under the
             * ASID stay usable (no TLBI).  The code and stack here are in
             * the lower half, TTBR0's, which no switch changes. */
            "msr ttbr1_el1, %0\n\t"
            /* ISB: the write takes effect for every later instruction. */
            "isb"
            :
            : "r"(ttbr)
            : "memory");
}

uintptr_t arch_block_va(void)
{
    return (uintptr_t)BLOCK_VA;
}

lazy_mmu_pte_t *arch_block_ptep(void)
{
    return &block_l2[L2_INDEX(BLOCK_VA)];
}

uint64_t arch_block_pa(unsigned b)
{
    return (uint64_t)(uintptr_t)blocks[b];
}

volatile uint64_t *arch_block_alias(unsigned b)
{
    return blocks[b]; /* identity, through the RAM's 2 MiB blocks */
}

/* A level-2 block descriptor is a level-3 page descriptor with bit 1 clear
 * (0b01 instead of 0b11), the same attribute bits in the same places: this
 * is arch_make_pte's entry - Normal write-back, inner shareable, AF set,
 * nG, PXN/UXN, AP[2] for read-only.  pa must be 2 MiB aligned: a block's
 * bits [20:12] are RES0, not output address. */
lazy_mmu_pte_t arch_make_block(uint64_t pa, bool writable)
{
    if (pa & (KERNEL_BLOCK_SIZE - 1))
        kernel_panic("arch_make_block: pa not 2 MiB aligned");
    return arch_make_pte(pa, writable) & ~DESC_TYPE;
}

lazy_mmu_pte_t *arch_table(unsigned t)
{
    return table_pages[t];
}

uint64_t arch_table_pa(unsigned t)
{
    return (uint64_t)(uintptr_t)table_pages[t]; /* identity */
}

/* A level-2 table descriptor: 0b11 and the table's address; no
 * hierarchical permission limits (APTable, XNTable 0): the level-3 entries
 * decide. */
lazy_mmu_pte_t arch_make_table(uint64_t table_pa)
{
    return (table_pa & DESC_OA) | DESC_TABLE;
}
