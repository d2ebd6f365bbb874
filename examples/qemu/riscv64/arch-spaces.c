/* examples/qemu/riscv64/arch-spaces.c - kernel.h's kernel-spaces section for
 * riscv64 (Sv39): two address spaces with ASIDs, a megapage block window and
 * leaf-table pages.  Linked into kernel-spaces*.elf only, after arch.c, whose
 * tables it reaches the way a kernel would: from satp, walking down.
 *
 * Address space, added to arch.c's (which see):
 *   0xffff_ffc0_4000_0000  the block window: one 2 MiB level-1 entry
 *                          (megapage, or pointer to a table page) in a
 *                          level-1 table of its own, invalid at first;
 *                          root entry 257, beside the window's 256 in the
 *                          upper half, so the block scenarios too hand the
 *                          library sign-extended VAs
 *   space 1                a second root: space 0's root entries, except
 *                          that the test window's level-1 table and the
 *                          level-0 tables under its KERNEL_WINDOW_PAGES
 *                          entries are space 1's own, all entries invalid
 *                          (the timing window's level-0 tables, which only
 *                          common/timing.c uses, stay shared)
 *   ASIDs                  space 0 runs with ASID 1 from arch_spaces_init
 *                          on, space 1 with ASID 2 (satp.ASID); nothing is
 *                          global, so SFENCE.VMA ..., asid reaches them all
 */
#include "kernel.h"

#define PTE_V (1ull << 0)
#define PTE_PPN_SHIFT 10
#define PTE_PPN_MASK (((1ull << 44) - 1) << PTE_PPN_SHIFT)

#define SATP_MODE_SV39 (8ull << 60)
#define SATP_ASID_SHIFT 44
#define SATP_ASID_BITS 0xffffull /* ASIDLEN is at most 16 on Sv39 */
#define SATP_PPN_MASK ((1ull << 44) - 1)

#define BLOCK_VA 0xffffffc040000000ull /* Sv39 root index 257 */
#define ENTRIES 512u

#define VPN2(va) (((uint64_t)(va) >> 30) & 511)
#define VPN1(va) (((uint64_t)(va) >> 21) & 511)

_Static_assert(KERNEL_WINDOW_PAGES % ENTRIES == 0,
               "space 1's window fills whole level-0 tables of its own");
_Static_assert(KERNEL_BLOCK_SIZE == (uint64_t)ENTRIES * LAZY_MMU_PAGE_SIZE,
               "a block is what one level-1 entry maps: a megapage");
_Static_assert(KERNEL_BLOCK_PAGES == ENTRIES, "a table page holds one block's pages");
_Static_assert((BLOCK_VA >> 38) == (1ull << 26) - 1 && BLOCK_VA % KERNEL_BLOCK_SIZE == 0,
               "the block window is an aligned megapage in Sv39's upper half");

/* Space 1's own tables on the path to the test window. */
static lazy_mmu_pte_t space1_root[ENTRIES] __attribute__((aligned(4096)));
static lazy_mmu_pte_t space1_l1[ENTRIES] __attribute__((aligned(4096)));
static lazy_mmu_pte_t space1_l0[KERNEL_WINDOW_PAGES] __attribute__((aligned(4096)));
/* The block window's level-1 table; arch_block_ptep() is one of its entries. */
static lazy_mmu_pte_t block_l1[ENTRIES] __attribute__((aligned(4096)));
/* Leaf-table pages common/spaces.c links under the block window's entry:
 * .bss, so all-invalid until it fills them. */
static lazy_mmu_pte_t table_pages[KERNEL_TABLE_PAGES][ENTRIES] __attribute__((aligned(4096)));
/* The two physical blocks a megapage maps: its PPN[0] must be 0, so each is
 * 2 MiB aligned.  kernel.ld puts them in .blocks (NOLOAD, not zeroed:
 * common/spaces.c writes every word it reads first), below the 128 MiB of
 * RAM the RAM gigapage identity-maps (it asserts so). */
static uint64_t blocks[2][KERNEL_BLOCK_SIZE / 8]
    __attribute__((aligned(KERNEL_BLOCK_SIZE), section(".bss.blocks")));

static lazy_mmu_pte_t *space_root[2]; /* [0]: arch.c's, from satp */
static uint32_t space_asid[2];        /* set by arch_spaces_init */

/* Everything here is identity-mapped (arch.c's RAM gigapage): a table's
 * physical address is its pointer. */
static lazy_mmu_pte_t *table_at(lazy_mmu_pte_t pte)
{
    return (lazy_mmu_pte_t *)(uintptr_t)(((pte & PTE_PPN_MASK) >> PTE_PPN_SHIFT) << 12);
}

/* A pointer to the next level: V set, R/W/X clear. */
static lazy_mmu_pte_t table_pte(uint64_t table_pa)
{
    return ((table_pa >> 12) << PTE_PPN_SHIFT) | PTE_V;
}

static uint64_t satp_of(unsigned space)
{
    return SATP_MODE_SV39 | ((uint64_t)space_asid[space] << SATP_ASID_SHIFT) |
           ((uint64_t)(uintptr_t)space_root[space] >> 12);
}

static uint64_t read_satp(void)
{
    uint64_t v;
    __asm__ __volatile__("csrr %0, satp" : "=r"(v));
    return v;
}

void arch_spaces_init(void)
{
    const uintptr_t window = arch_window_va();
    lazy_mmu_pte_t *root0, *window_l1;
    uint64_t probe, kept;
    unsigned i;

    /* Space 0: what arch_mmu_init loaded (ASID 0 so far). */
    root0 = (lazy_mmu_pte_t *)(uintptr_t)((read_satp() & SATP_PPN_MASK) << 12);
    space_root[0] = root0;
    window_l1 = table_at(root0[VPN2(window)]);

    /* The block window in space 0: a level-1 table whose entries are all
     * invalid (.bss), so arch_block_ptep() starts invalid - in a root entry
     * arch.c left unused (it maps nothing else). */
    if (root0[VPN2(BLOCK_VA)] & PTE_V)
        kernel_panic("arch_spaces_init: the block window's root entry is taken");
    root0[VPN2(BLOCK_VA)] = table_pte((uint64_t)(uintptr_t)block_l1);

    /* Space 1 = space 0's root entries (gigapages, block window, the
     * timing window's path) with the test window's path replaced: a copy
     * of its level-1 table whose entries over the test window point at
     * space 1's own level-0 tables, which are .bss and so all invalid. */
    for (i = 0; i < ENTRIES; i++) {
        space1_root[i] = root0[i];
        space1_l1[i] = window_l1[i];
    }
    for (i = 0; i < KERNEL_WINDOW_PAGES / ENTRIES; i++)
        space1_l1[VPN1(window) + i] = table_pte((uint64_t)(uintptr_t)&space1_l0[i * ENTRIES]);
    space1_root[VPN2(window)] = table_pte((uint64_t)(uintptr_t)space1_l1);
    space_root[1] = space1_root;

    /* How many ASID bits this hart keeps: satp.ASID is WARL, so write all
     * ones and read back.  QEMU 7.2 keeps all 16; a hart without ASIDs
     * reads 0. */
    probe = SATP_MODE_SV39 | (SATP_ASID_BITS << SATP_ASID_SHIFT) |
            ((uint64_t)(uintptr_t)root0 >> 12);
    __asm__ __volatile__(
        /* Same mode and root, ASID all ones: only satp.ASID changes, the
         * translations the kernel runs on stay the same. */
        "csrw satp, %1\n\t"
        /* What the hart kept of those ASID bits. */
        "csrr %0, satp"
        : "=r"(kept)
        : "r"(probe)
        : "memory");
    kept = (kept >> SATP_ASID_SHIFT) & SATP_ASID_BITS;
    if (kept >= 2) { /* ASIDs 1 and 2 representable */
        space_asid[0] = 1;
        space_asid[1] = 2;
    } /* else both stay 0: see arch_space_asid */

    __asm__ __volatile__(
        /* Space 0 with its own ASID from here on. */
        "csrw satp, %0\n\t"
        /* SFENCE.VMA x0, x0: orders every table store above (space 0's new
         * root entry, all of space 1's tables) before later walks of
         * either space, at every level, and drops whatever this hart
         * cached under ASID 0 and the probe's ASID, neither used again
         * (Priv. ISA, "Supervisor Memory-Management Fence Instruction"):
         * space 1 may then be loaded without a flush. */
        "sfence.vma zero, zero"
        :
        : "r"(satp_of(0))
        : "memory");

    kputs("spaces: satp.ASID keeps ");
    kput_hex(kept);
    kputs(kept >= 2 ? ": space 0 ASID 1, space 1 ASID 2\n"
                    : ": no ASIDs, both spaces ASID 0 (every switch flushes)\n");
    /* Beside arch.c's window line: where the block scenarios' pages are. */
    kputs("riscv64 block window: ");
    kput_hex(BLOCK_VA);
    kputs(" (Sv39 root entry ");
    kput_u64(VPN2(BLOCK_VA));
    kputs(")\n");
}

/* ASID 1 for space 0 and 2 for space 1 (satp.ASID, and SFENCE.VMA's rs2 in
 * the library's per-space forms), where the hart keeps at least two ASID
 * bits, which arch_spaces_init checks: QEMU 7.2 keeps all 16.  On a hart
 * without ASIDs both would be 0, and arch_space_load flushes at every
 * switch. */
uint32_t arch_space_asid(unsigned space)
{
    return space_asid[space];
}

/* SFENCE.VMA rs1, asid names any ASID, loaded on this hart or not. */
bool arch_spaces_unloaded(void)
{
    return true;
}

lazy_mmu_pte_t *arch_space_ptep(unsigned space, unsigned page)
{
    return space == 0 ? arch_window_ptep(page) : &space1_l0[page];
}

void arch_space_load(unsigned space, bool flush)
{
    const unsigned long asid = space_asid[space];

    /* Without ASIDs the other space's translations share ASID 0: keeping
     * them across the switch would keep the wrong space's. */
    if (flush || space_asid[0] == space_asid[1]) {
        __asm__ __volatile__(
            /* The space's root and ASID for every later access.  Orders no
             * table store and invalidates nothing by itself (Priv. ISA,
             * satp): the fence below does both. */
            "csrw satp, %0\n\t"
            /* SFENCE.VMA x0, asid: orders this hart's earlier stores to the
             * space's tables, at every level, before its later walks, and
             * drops every non-global translation cached under the ASID -
             * what changes made while the space was loaded nowhere
             * (LAZY_MMU_SPACE_INACTIVE: stores only) rely on.  Other ASIDs'
             * entries stay. */
            "sfence.vma zero, %1"
            :
            : "r"(satp_of(space)), "r"(asid)
            : "memory");
    } else {
        __asm__ __volatile__(
            /* The space's root and ASID for every later access; what this
             * hart cached under the ASID stays usable (no SFENCE.VMA). */
            "csrw satp, %0"
            :
            : "r"(satp_of(space))
            : "memory");
    }
}

uintptr_t arch_block_va(void)
{
    return (uintptr_t)BLOCK_VA;
}

lazy_mmu_pte_t *arch_block_ptep(void)
{
    return &block_l1[VPN1(BLOCK_VA)];
}

uint64_t arch_block_pa(unsigned b)
{
    return (uint64_t)(uintptr_t)blocks[b];
}

volatile uint64_t *arch_block_alias(unsigned b)
{
    return blocks[b]; /* identity, through the RAM gigapage */
}

/* A level-1 leaf - a 2 MiB megapage - is laid out like a level-0 one, so
 * this is arch_make_pte's entry: the same R/W permissions, A and D preset
 * (no X, user or global bits).  pa must be 2 MiB aligned (a misaligned
 * megapage faults). */
lazy_mmu_pte_t arch_make_block(uint64_t pa, bool writable)
{
    return arch_make_pte(pa, writable);
}

lazy_mmu_pte_t *arch_table(unsigned t)
{
    return table_pages[t];
}

uint64_t arch_table_pa(unsigned t)
{
    return (uint64_t)(uintptr_t)table_pages[t]; /* identity */
}

/* A level-1 non-leaf entry: V alone, R/W/X clear, pointing at the table. */
lazy_mmu_pte_t arch_make_table(uint64_t table_pa)
{
    return table_pte(table_pa);
}
