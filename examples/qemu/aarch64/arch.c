/* examples/qemu/aarch64/arch.c - what common/kernel.h asks of an
 * architecture, for QEMU's virt board with a VMSAv8-64 MMU at EL1.
 *
 * Translation: 4 KiB granule, two 39-bit halves (T0SZ = T1SZ = 25), walks
 * starting at level 1 in both:
 *   TTBR0_EL1, the lower half (VA[63:39] all 0): the kernel, identity-mapped
 *     VA == PA  0x08000000 + 2 MiB        Device-nGnRE, the GIC (SMP kernels' IPIs)
 *     VA == PA  0x09000000 + 2 MiB        Device-nGnRE, the PL011
 *     VA == PA  0x40000000 .. __ram_map_end  Normal write-back, 2 MiB blocks
 *   TTBR1_EL1, the upper half (VA[63:39] all 1): the window
 *     VA 0xffff_ff80_0000_0000 + 20 MiB   the window (test, then timing):
 *                                          KERNEL_ARCH_PAGES level-3 entries
 *                                          in their own level-3 tables, all
 *                                          invalid, level-1 entry 0 of TTBR1's
 *                                          root
 * The window is in the upper half so that every scenario changes mappings
 * of high (kernel-half) VAs: the library's TLBI operands must then carry
 * VA[55:12] of an address whose top bits are all ones, masked to the
 * operand's field (arch/aarch64/insn.h), and a missing invalidation there
 * reads stale like anywhere else.  The kernel itself stays in the lower half,
 * where the MMU-off code and the identity map put it.  The window is also
 * far from every block mapping (QEMU turns a page TLBI inside a tracked large
 * page into a full flush, which would hide a wrong-page invalidation).
 */
#include "kernel.h"

/* ---- descriptor bits (VMSAv8-64 stage 1, 4 KiB granule) ---- */
#define DESC_BLOCK      0x1ull          /* level 1/2 block */
#define DESC_TABLE      0x3ull          /* level 0-2 table */
#define DESC_PAGE       0x3ull          /* level 3 page */
#define DESC_ATTR(i)    ((uint64_t)(i) << 2)    /* AttrIndx: MAIR_EL1 byte */
#define DESC_AP_RO      (1ull << 7)     /* AP[2]: read-only; AP[1]=0: no EL0 access */
#define DESC_SH_INNER   (3ull << 8)
#define DESC_AF         (1ull << 10)    /* set: no Access flag fault (no HW AF update) */
#define DESC_NG         (1ull << 11)    /* not global: a TLB entry is tagged with the ASID */
#define DESC_PXN        (1ull << 53)
#define DESC_UXN        (1ull << 54)

#define MAIR_DEVICE     0               /* attribute indexes */
#define MAIR_NORMAL     1
/* Attr0 Device-nGnRE; Attr1 Normal, inner and outer write-back
 * read/write-allocate non-transient. */
#define MAIR_VALUE      ((0x04ull << (8 * MAIR_DEVICE)) | (0xffull << (8 * MAIR_NORMAL)))

#define VA_BITS         39              /* in each half: walks start at level 1 */
#define TCR_T0SZ        (64 - VA_BITS)
#define TCR_IRGN0_WBWA  (1ull << 8)     /* walks are cacheable, like the stores */
#define TCR_ORGN0_WBWA  (1ull << 10)
#define TCR_SH0_INNER   (3ull << 12)
#define TCR_TG0_4K      (0ull << 14)
/* The upper half, the same way (EPD1, bit 23, left 0: TTBR1 walks on). */
#define TCR_T1SZ        ((uint64_t)(64 - VA_BITS) << 16)
#define TCR_IRGN1_WBWA  (1ull << 24)
#define TCR_ORGN1_WBWA  (1ull << 26)
#define TCR_SH1_INNER   (3ull << 28)
#define TCR_TG1_4K      (2ull << 30)    /* TG1's encoding differs from TG0's */
/* A1 (bit 22) = 1: the current ASID is TTBR1_EL1's, the half whose tables
 * differ per address space (arch-spaces.c), so a space switch is a single
 * TTBR1 write carrying root and ASID together; TTBR0's identity map is
 * global and shared.  AS (bit 36) left 0: 8-bit ASIDs, which every
 * implementation has (arch-spaces.c tags its two spaces with ASIDs 1 and 2
 * and checks both bits). */
#define TCR_A1          (1ull << 22)
#define TCR_IPS_SHIFT   32

#define SCTLR_M         (1ull << 0)
#define SCTLR_C         (1ull << 2)
#define SCTLR_I         (1ull << 12)

#define GIC_BASE        0x08000000ul
#define UART_BASE       0x09000000ul
#define UART_DR         0x00
#define UART_FR         0x18
#define UART_FR_TXFF    (1u << 5)

#define RAM_BASE        0x40000000ul
#define BLOCK_SIZE      0x200000ul
/* The first VA of the upper half: level-1 index 0 of TTBR1's root. */
#define WINDOW_VA       0xffffff8000000000ul
#define L1_INDEX(va)    (((uint64_t)(va) >> 30) & 511)
_Static_assert(WINDOW_VA >> VA_BITS == (1ul << (64 - VA_BITS)) - 1,
               "the window is in TTBR1_EL1's half: VA[63:39] all ones");
#define PAGE            4096ul

const char arch_name[] = "aarch64";

/* Linker-script symbols (kernel.ld). */
extern char __frames_start[], __frames_end[];
extern char __nocache_written_start[], __nocache_written_end[];
extern char __ram_map_end[];
/* vectors.S */
extern char arch_probe_read_insn[], arch_probe_read_fixup[];
extern char arch_probe_write_insn[], arch_probe_write_fixup[];

static uint64_t l1[512] __attribute__((aligned(4096)));     /* TTBR0: the lower half */
static uint64_t l1_hi[512] __attribute__((aligned(4096)));  /* TTBR1: the upper half */
static uint64_t l2_low[512] __attribute__((aligned(4096)));  /* VA 0 .. 1 GiB */
static uint64_t l2_ram[512] __attribute__((aligned(4096)));  /* VA 1 .. 2 GiB */
static uint64_t l2_win[512] __attribute__((aligned(4096)));  /* the window's GiB */
#define L3_TABLES (KERNEL_ARCH_PAGES / 512)
_Static_assert(KERNEL_ARCH_PAGES % 512 == 0, "the window fills whole level-3 tables");
static uint64_t l3_win[L3_TABLES][512] __attribute__((aligned(4096)));

/* ---- serial, exit, time ---- */

void arch_putc(char c)
{
    volatile uint32_t *fr = (volatile uint32_t *)(UART_BASE + UART_FR);
    volatile uint32_t *dr = (volatile uint32_t *)(UART_BASE + UART_DR);
    while (*fr & UART_FR_TXFF)
        ;
    *dr = (uint32_t)(unsigned char)c;
}

/* Semihosting SYS_EXIT (0x18).  On AArch64 it takes a parameter block, so
 * the reason ADP_Stopped_ApplicationExit (0x20026) can carry the status that
 * QEMU then exits with.  HLT #0xF000 is the A64 semihosting trap. */
void arch_exit(int status)
{
    static volatile uint64_t block[2];
    block[0] = 0x20026;
    block[1] = (uint64_t)(int64_t)status;
    __asm__ __volatile__("mov x0, #0x18\n\t"
                         "mov x1, %0\n\t"
                         "hlt #0xf000" /* semihosting call: QEMU exits here */
                         :
                         : "r"(block)
                         : "x0", "x1", "memory");
    for (;;)
        __asm__ __volatile__("wfe"); /* not reached under QEMU -semihosting */
}

uint64_t arch_cycles(void)
{
    uint64_t t;
    /* ISB: the counter may be read out of order with respect to other
     * instructions; after an ISB it is read no earlier than here (Arm ARM,
     * "The Generic Timer in AArch64 state"). */
    __asm__ __volatile__("isb\n\tmrs %0, cntvct_el0" : "=r"(t) : : "memory");
    return t;
}

/* ---- exceptions ---- */

struct exception_frame {
    uint64_t x[31];
    uint64_t elr;
    uint64_t spsr;
};

void arch_exception(unsigned vector, struct exception_frame *f);
/* smp.c's interrupt handler, set where a kernel unmasks IRQs (the SMP
 * kernels' secondaries, for the shootdown IPI); NULL: an IRQ is a crash. */
void (*arch_irq_handler)(void);

static const char *const vector_names[4] = {"synchronous", "IRQ", "FIQ", "SError"};

/* A translation fault (DFSC 0b0001LL) or permission fault (0b0011LL, levels
 * 1-3) of a data access at this EL: the faults a probe exists to report.
 * Anything else at a probe (alignment, external abort, access flag: none can
 * happen with arch_make_pte's entries) is a crash like any other. */
static bool is_probe_fault(uint64_t esr)
{
    unsigned ec = (unsigned)(esr >> 26) & 0x3f, dfsc = (unsigned)esr & 0x3f;
    if (ec != 0x25) /* data abort without a change in exception level */
        return false;
    return (dfsc >= 0x04 && dfsc <= 0x07) || (dfsc >= 0x0d && dfsc <= 0x0f);
}

void arch_exception(unsigned vector, struct exception_frame *f)
{
    uint64_t esr, far;
    __asm__ __volatile__("mrs %0, esr_el1" : "=r"(esr));
    __asm__ __volatile__("mrs %0, far_el1" : "=r"(far));
    if (vector == 5 && arch_irq_handler) { /* IRQ at this EL, SP_EL1 */
        arch_irq_handler();
        return;
    }
    if (vector == 4 && is_probe_fault(esr)) {
        if (f->elr == (uintptr_t)arch_probe_read_insn) {
            f->elr = (uintptr_t)arch_probe_read_fixup;
            return;
        }
        if (f->elr == (uintptr_t)arch_probe_write_insn) {
            f->elr = (uintptr_t)arch_probe_write_fixup;
            return;
        }
    }
    kputs("\nEXCEPTION: unexpected ");
    kputs(vector_names[vector & 3]);
    kputs(" exception, vector ");
    arch_putc((char)('0' + vector / 10));
    arch_putc((char)('0' + vector % 10));
    kputs(" ESR=");
    kput_hex(esr);
    kputs(" ELR=");
    kput_hex(f->elr);
    kputs(" FAR=");
    kput_hex(far);
    kputs("\nFAIL\n");
    arch_exit(2);
}

/* ---- memory ---- */

static void fatal(const char *msg)
{
    kputs("\nFATAL: ");
    kputs(msg);
    kputs("\nFAIL\n");
    arch_exit(2);
}

uint64_t arch_frame_pa(unsigned frame)
{
    return (uint64_t)(uintptr_t)__frames_start + (uint64_t)frame * PAGE;
}

/* The identity map makes the PA itself the alias, with the MMU off or on. */
volatile uint64_t *arch_frame_alias(unsigned frame)
{
    return (volatile uint64_t *)(uintptr_t)arch_frame_pa(frame);
}

uintptr_t arch_window_va(void)
{
    return WINDOW_VA;
}

lazy_mmu_pte_t *arch_window_ptep(unsigned page)
{
    return &l3_win[page / 512][page % 512];
}

/* Window pages are data: never executable, never reachable from EL0.  Not
 * global (nG), like a process's pages: kernel-spaces.elf maps the same
 * window VAs differently in two address spaces, and a global entry cached
 * in one would be used in the other, and is not dropped by TLBI ASIDE1IS.
 * The other kernels run in ASID 0 throughout and invalidate with the
 * all-ASID forms (VAAE1IS, VMALLE1IS), which drop nG entries of every ASID. */
lazy_mmu_pte_t arch_make_pte(uint64_t pa, bool writable)
{
    return (pa & 0x0000fffffffff000ull) | DESC_PAGE | DESC_ATTR(MAIR_NORMAL) | DESC_SH_INNER |
           DESC_AF | DESC_NG | (writable ? 0 : DESC_AP_RO) | DESC_PXN | DESC_UXN;
}

/* Lines in the range may be stale copies from before: everything in it was
 * written with the MMU off, straight to memory, and is about to be read
 * through cacheable mappings.  DC IVAC drops them without writing back. */
static void dcache_invalidate(uintptr_t start, uintptr_t end)
{
    uint64_t ctr;
    uintptr_t line, p;
    __asm__ __volatile__("mrs %0, ctr_el0" : "=r"(ctr));
    line = (uintptr_t)4 << ((ctr >> 16) & 0xf); /* DminLine: log2 words */
    for (p = start & ~(line - 1); p < end; p += line)
        __asm__ __volatile__("dc ivac, %0" : : "r"(p) : "memory");
    /* DSB SY: the invalidations are complete before the MMU goes on. */
    __asm__ __volatile__("dsb sy" : : : "memory");
}

void arch_mmu_init(void)
{
    uintptr_t ram_end = (uintptr_t)__ram_map_end, pa;
    uint64_t mmfr0, ips, sctlr;
    unsigned i;

    if ((uintptr_t)(__frames_end - __frames_start) < (uintptr_t)KERNEL_FRAMES * PAGE)
        fatal("kernel.ld reserves fewer than KERNEL_FRAMES frames");
    if (ram_end - RAM_BASE > 512 * BLOCK_SIZE)
        fatal("kernel image beyond the first GiB of RAM");

    /* The tables are in BSS: zero, so every entry not set below (the whole
     * window included) is invalid. */
    l1[0] = (uint64_t)(uintptr_t)l2_low | DESC_TABLE;
    l1[RAM_BASE >> 30] = (uint64_t)(uintptr_t)l2_ram | DESC_TABLE;
    l1_hi[L1_INDEX(WINDOW_VA)] = (uint64_t)(uintptr_t)l2_win | DESC_TABLE;
    l2_low[GIC_BASE / BLOCK_SIZE] = (GIC_BASE & ~(BLOCK_SIZE - 1)) | DESC_BLOCK |
                                    DESC_ATTR(MAIR_DEVICE) | DESC_AF | DESC_PXN | DESC_UXN;
    l2_low[UART_BASE / BLOCK_SIZE] = (UART_BASE & ~(BLOCK_SIZE - 1)) | DESC_BLOCK |
                                     DESC_ATTR(MAIR_DEVICE) | DESC_AF | DESC_PXN | DESC_UXN;
    for (pa = RAM_BASE, i = 0; pa < ram_end; pa += BLOCK_SIZE, i++)
        l2_ram[i] = pa | DESC_BLOCK | DESC_ATTR(MAIR_NORMAL) | DESC_SH_INNER | DESC_AF | DESC_UXN;
    for (i = 0; i < L3_TABLES; i++)
        l2_win[i] = (uint64_t)(uintptr_t)l3_win[i] | DESC_TABLE;

    dcache_invalidate((uintptr_t)__nocache_written_start, (uintptr_t)__nocache_written_end);

    /* Output addresses up to what the CPU implements (PARange), capped at
     * 48 bits: 52 would need FEAT_LPA descriptors. */
    __asm__ __volatile__("mrs %0, id_aa64mmfr0_el1" : "=r"(mmfr0));
    ips = mmfr0 & 0xf;
    if (ips > 5)
        ips = 5;

    __asm__ __volatile__("msr mair_el1, %0" : : "r"(MAIR_VALUE));
    __asm__ __volatile__("msr tcr_el1, %0"
                         :
                         : "r"(TCR_T0SZ | TCR_IRGN0_WBWA | TCR_ORGN0_WBWA | TCR_SH0_INNER |
                               TCR_TG0_4K | TCR_T1SZ | TCR_IRGN1_WBWA | TCR_ORGN1_WBWA |
                               TCR_SH1_INNER | TCR_TG1_4K | TCR_A1 | (ips << TCR_IPS_SHIFT)));
    /* TTBR0: the lower half's root, the kernel; its ASID field is unused
     * (A1 = 1). */
    __asm__ __volatile__("msr ttbr0_el1, %0" : : "r"((uint64_t)(uintptr_t)l1));
    /* TTBR1: the upper half's root, the window, with ASID 0 - the ASID
     * every non-global entry is tagged with until arch-spaces.c loads
     * others. */
    __asm__ __volatile__("msr ttbr1_el1, %0" : : "r"((uint64_t)(uintptr_t)l1_hi));
    __asm__ __volatile__(
        "dsb ishst\n\t"    /* the table stores are visible to the walker */
        "tlbi vmalle1\n\t" /* no entry from firmware or reset survives */
        "ic iallu\n\t"     /* nor stale instructions once the I-cache is on */
        "dsb nsh\n\t"      /* both invalidations complete on this PE */
        "isb"              /* MAIR/TCR/TTBR0/TTBR1 writes take effect before SCTLR's */
        :
        :
        : "memory");
    __asm__ __volatile__("mrs %0, sctlr_el1" : "=r"(sctlr));
    sctlr |= SCTLR_M | SCTLR_C | SCTLR_I;
    /* ISB: every later instruction is fetched and translated with the MMU
     * on; the identity map keeps this code where it is. */
    __asm__ __volatile__("msr sctlr_el1, %0\n\tisb" : : "r"(sctlr) : "memory");

    /* Where the scenarios' pages are, for the logs (../common/check.sh
     * requires the upper half). */
    kputs("window: VA ");
    kput_hex(WINDOW_VA);
    kputs(" (TTBR1_EL1, upper half, T1SZ ");
    kput_u64(64 - VA_BITS);
    kputs("), ");
    kput_u64(KERNEL_WINDOW_PAGES);
    kputs(" test + ");
    kput_u64(KERNEL_TIME_PAGES);
    kputs(" timing pages; kernel identity-mapped through TTBR0_EL1\n");
}
