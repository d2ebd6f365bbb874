/* examples/qemu/riscv64/arch.c - what kernel.h asks of an architecture, for
 * QEMU's riscv64 virt machine under OpenSBI, with Sv39 paging.
 *
 * Address space (Sv39, no ASIDs, nothing global):
 *   0x0000_0000 .. 1 GiB   identity, one gigapage, R/W: the test device
 *                          (0x100000) and the NS16550 UART (0x10000000)
 *   0x8000_0000 .. 1 GiB   identity, one gigapage, R/W/X: all of RAM, so
 *                          a frame's physical address is also its alias
 *   0xffff_ffc0_0000_0000  the test window, then the timing window:
 *                          KERNEL_ARCH_PAGES 4 KiB leaf entries in our own
 *                          level-0 tables, all invalid.  Root entry 256,
 *                          the first of the upper half (bits 63..39 copies
 *                          of bit 38, all ones), where a kernel keeps its
 *                          own mappings: every VA the library is handed
 *                          here is a sign-extended one
 *
 * Only the window's entries ever change, and only through lazymmu.h; the
 * gigapages are written once before paging is turned on.  kernel-spaces*.elf
 * add arch-spaces.c: ASIDs, a second root and the block window.
 */
#include "kernel.h"

#define PTE_V (1ull << 0)
#define PTE_R (1ull << 1)
#define PTE_W (1ull << 2)
#define PTE_X (1ull << 3)
#define PTE_A (1ull << 6)
#define PTE_D (1ull << 7)
#define PTE_PPN_SHIFT 10

#define SATP_MODE_SV39 (8ull << 60)

#define GIB (1ull << 30)
#define DEVICES_PA 0x00000000ull
#define RAM_PA 0x80000000ull
/* Sv39 root index 256 (VA bits 38..30): far from both gigapages. */
#define WINDOW_VA 0xffffffc000000000ull

#define UART_BASE 0x10000000ul
#define UART_THR 0 /* transmit holding register */
#define UART_LSR 5 /* line status register */
#define UART_LSR_THRE 0x20
#define TEST_DEVICE 0x100000ul
#define TEST_PASS 0x5555u
#define TEST_FAIL 0x3333u

#define SCAUSE_LOAD_PAGE_FAULT 13u
#define SCAUSE_STORE_PAGE_FAULT 15u

/* Exit statuses the Makefile tells apart: 1 = scenarios failed, 3 = library
 * panic (scenarios.c), 4 = unexpected trap, 5 = kernel_main returned. */
#define EXIT_TRAP 4

#define L0_ENTRIES 512u

_Static_assert(KERNEL_ARCH_PAGES % L0_ENTRIES == 0,
               "the window fills whole level-0 tables");
_Static_assert(LAZY_MMU_PAGE_SIZE == 4096, "Sv39 base pages are 4 KiB");
_Static_assert((WINDOW_VA >> 38) == (1ull << 26) - 1, "the window is in Sv39's upper half");
_Static_assert(((WINDOW_VA >> 21) & 511) + KERNEL_ARCH_PAGES / L0_ENTRIES <= 512,
               "the window fits under one level-1 table");

const char arch_name[] = "riscv64";

static lazy_mmu_pte_t root_table[512] __attribute__((aligned(4096)));
static lazy_mmu_pte_t window_l1[512] __attribute__((aligned(4096)));
static lazy_mmu_pte_t window_l0[KERNEL_ARCH_PAGES] __attribute__((aligned(4096)));

static uint64_t frames[KERNEL_FRAMES][LAZY_MMU_PAGE_SIZE / 8]
    __attribute__((aligned(4096), section(".bss.frames")));

/* Labels in start.S: the one instruction of each probe that may fault, and
 * where a fault there resumes. */
extern const char probe_load[], probe_load_fixup[];
extern const char probe_store[], probe_store_fixup[];

/* ---- serial and exit ---- */

static volatile uint8_t *uart_reg(unsigned off)
{
    return (volatile uint8_t *)(UART_BASE + off);
}

void arch_putc(char c)
{
    while (!(*uart_reg(UART_LSR) & UART_LSR_THRE)) {
    }
    *uart_reg(UART_THR) = (uint8_t)c;
}

void arch_exit(int status)
{
    volatile uint32_t *test = (volatile uint32_t *)TEST_DEVICE;
    /* QEMU's sifive_test: 0x5555 exits 0, (code << 16) | 0x3333 exits code. */
    *test = status == 0 ? TEST_PASS : ((uint32_t)status << 16) | TEST_FAIL;
    for (;;)
        __asm__ __volatile__("wfi"); /* only if the device is missing */
}

/* The time CSR: a constant-rate counter (10 MHz on virt) that OpenSBI lets
 * S-mode read; its rate does not depend on how fast TCG runs. */
uint64_t arch_cycles(void)
{
    uint64_t t;
    __asm__ __volatile__("rdtime %0" : "=r"(t));
    return t;
}

/* ---- page tables ---- */

static lazy_mmu_pte_t table_pte(const void *table)
{
    /* A pointer to the next level: V set, R/W/X clear. */
    return (((uint64_t)(uintptr_t)table >> 12) << PTE_PPN_SHIFT) | PTE_V;
}

static lazy_mmu_pte_t leaf_pte(uint64_t pa, uint64_t perms)
{
    /* A and D preset: the spec lets a hart either set them itself or fault
     * (QEMU 7.2 sets them), and the kernel wants neither the walker writing
     * entries behind the library nor faults it would have to handle. */
    return ((pa >> 12) << PTE_PPN_SHIFT) | perms | PTE_V | PTE_A | PTE_D;
}

lazy_mmu_pte_t arch_make_pte(uint64_t pa, bool writable)
{
    return leaf_pte(pa, PTE_R | (writable ? PTE_W : 0));
}

void arch_mmu_init(void)
{
    unsigned i;
    uint64_t satp;

    root_table[DEVICES_PA / GIB] = leaf_pte(DEVICES_PA, PTE_R | PTE_W);
    root_table[RAM_PA / GIB] = leaf_pte(RAM_PA, PTE_R | PTE_W | PTE_X);
    root_table[(WINDOW_VA >> 30) & 511] = table_pte(window_l1);
    for (i = 0; i < KERNEL_ARCH_PAGES / L0_ENTRIES; i++)
        window_l1[((WINDOW_VA >> 21) & 511) + i] = table_pte(&window_l0[i * L0_ENTRIES]);
    /* window_l0 is .bss: every window entry starts invalid. */

    satp = SATP_MODE_SV39 | ((uint64_t)(uintptr_t)root_table >> 12);
    __asm__ __volatile__(
        /* Orders the table stores above before the walks the satp write
         * enables (Priv. ISA, "Supervisor Memory-Management Fence
         * Instruction": satp alone does not order them). */
        "sfence.vma zero, zero\n\t"
        /* Sv39 on, ASID 0; takes effect at once, the kernel keeps running
         * because its PC and stack are identity-mapped. */
        "csrw satp, %0\n\t"
        /* No ASIDs: after a satp write, a global fence drops anything the
         * hart may have cached for the previous (Bare) regime. */
        "sfence.vma zero, zero"
        :
        : "r"(satp)
        : "memory");

    /* Where the pages under test are, for the log's reader (a bad page is
     * reported by its index) and for check.sh, which wants the upper half. */
    kputs("riscv64 window: ");
    kput_hex(WINDOW_VA);
    kputs(" (Sv39 root entry ");
    kput_u64((WINDOW_VA >> 30) & 511);
    kputs("), timing window to ");
    kput_hex(WINDOW_VA + (uint64_t)KERNEL_ARCH_PAGES * LAZY_MMU_PAGE_SIZE - 1);
    kputs("\n");
}

uintptr_t arch_window_va(void)
{
    return (uintptr_t)WINDOW_VA;
}

lazy_mmu_pte_t *arch_window_ptep(unsigned page)
{
    return &window_l0[page];
}

uint64_t arch_frame_pa(unsigned frame)
{
    return (uint64_t)(uintptr_t)frames[frame];
}

volatile uint64_t *arch_frame_alias(unsigned frame)
{
    return frames[frame]; /* identity: the physical address is the alias */
}

/* ---- traps ---- */

static uint64_t read_scause(void)
{
    uint64_t v;
    __asm__ __volatile__("csrr %0, scause" : "=r"(v));
    return v;
}

static uint64_t read_sepc(void)
{
    uint64_t v;
    __asm__ __volatile__("csrr %0, sepc" : "=r"(v));
    return v;
}

static uint64_t read_stval(void)
{
    uint64_t v;
    __asm__ __volatile__("csrr %0, stval" : "=r"(v));
    return v;
}

static void write_sepc(uintptr_t v)
{
    /* sret returns here instead of retrying the faulting access. */
    __asm__ __volatile__("csrw sepc, %0" : : "r"(v) : "memory");
}

void arch_trap(uint64_t *regs);

/* Called by start.S's trap_entry with the saved registers (x1..x31 at
 * regs[1..31]).  Only a page fault on a probe's own access is expected; any
 * other trap is a kernel bug and ends the run with its evidence. */
void arch_trap(uint64_t *regs)
{
    uint64_t scause = read_scause();
    uint64_t sepc = read_sepc();

    if (scause == SCAUSE_LOAD_PAGE_FAULT && sepc == (uintptr_t)probe_load) {
        write_sepc((uintptr_t)probe_load_fixup);
        return;
    }
    if (scause == SCAUSE_STORE_PAGE_FAULT && sepc == (uintptr_t)probe_store) {
        write_sepc((uintptr_t)probe_store_fixup);
        return;
    }
    kputs("\nTRAP: unexpected scause=");
    kput_hex(scause);
    kputs(" sepc=");
    kput_hex(sepc);
    kputs(" stval=");
    kput_hex(read_stval());
    kputs(" ra=");
    kput_hex(regs[1]);
    kputs("\nFAIL\n");
    arch_exit(EXIT_TRAP);
}
