/* examples/qemu/x86_64/arch.c - what kernel.h asks of an architecture, on a
 * 4-level x86_64 MMU (QEMU -M pc, TCG).
 *
 * Address space after arch_mmu_init():
 *   0 .. 1 GiB          identity map: 4 KiB pages up to the end of the image
 *                       (kernel.ld's __bss_end, rounded up to 2 MiB: code,
 *                       data, stacks, page tables, frames, contexts), 2 MiB
 *                       pages from there (RAM above the image, I/O).  QEMU
 *                       drops its whole TLB when an INVLPG names an address
 *                       in the span of the large pages it has cached since
 *                       its last full flush (`make facts`): were the image
 *                       in 2 MiB pages, an INVLPG given the address of the
 *                       variable holding va instead of va would flush the
 *                       window too and every scenario would still pass.  All
 *                       of the image, not just the stacks: two cached large
 *                       pages around it would span it
 *   WINDOW_VA           0xffffffff80000000, PML4 slot 511, PDPT slot 510:
 *                       the upper, kernel half, where a kernel linked with
 *                       -mcmodel=kernel runs, so the library and the
 *                       scenarios handle sign-extended canonical addresses.
 *                       KERNEL_ARCH_PAGES 4 KiB pages (the test window, then
 *                       the timing window), page tables of their own, every
 *                       entry 0 until the scenarios or timing.c set it
 *   PT_ALIAS_VA         X86_PROTECT_TABLES builds only: the window's page
 *                       tables again, as user pages carrying protection key
 *                       LAZY_MMU_X86_64_PKRU_KEY; the library writes entries
 *                       only through this alias, so a store made while
 *                       PKRU write-disables the key faults (#PF, PK bit)
 *
 * X86_GLOBAL_WINDOW builds (kernel-global*.elf) turn CR4.PGE on and give the
 * window's pages the G bit - unlike kernel.h's arch_make_pte, which asks
 * for non-global pages because the spaces kernels map the window per
 * address space.  A full flush must then drop global entries: the library's
 * CR4.PGE toggle, which QEMU honours only when the value written changes
 * PGE, so a toggle that is not one leaves stale reads.
 *
 * Exit statuses (QEMU exits with status * 2 + 1): 0 pass, 1 scenario
 * failures and 3 panic (both from scenarios.c), and the ones below.
 */
#include "kernel.h"
#include "io.h"

#define X86_EXIT_EXCEPTION 4 /* an exception no probe expected */
#define X86_EXIT_PKRU 5      /* PKRU at exit is not what boot set */
#define X86_EXIT_NO_PKU 6    /* X86_PROTECT_TABLES on a CPU without PKU */
#define X86_EXIT_PGE 7       /* X86_GLOBAL_WINDOW: CR4.PGE clear at exit */

const char arch_name[] = "x86_64";

/* ---- time ---- */

uint64_t arch_cycles(void)
{
    uint32_t lo, hi;
    /* The TSC; not ordered against other instructions, which is fine for
     * medians over whole runs of updates. */
    __asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

/* ---- COM1 ---- */

#define COM1 0x3f8

static void serial_init(void)
{
    outb(COM1 + 1, 0x00); /* no UART interrupts: we poll */
    outb(COM1 + 3, 0x80); /* DLAB: the next two are the divisor */
    outb(COM1 + 0, 0x01); /* 115200 baud */
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x03); /* 8 data bits, no parity, 1 stop bit */
    outb(COM1 + 2, 0xc7); /* FIFOs on and cleared */
}

void arch_putc(char c)
{
    while (!(inb(COM1 + 5) & 0x20)) /* transmit holding register empty */
        ;
    outb(COM1, (uint8_t)c);
}

/* ---- page tables ---- */

#define PTE_P ((lazy_mmu_pte_t)1 << 0)
#define PTE_RW ((lazy_mmu_pte_t)1 << 1)
#define PTE_US ((lazy_mmu_pte_t)1 << 2)
#define PTE_A ((lazy_mmu_pte_t)1 << 5)
#define PTE_D ((lazy_mmu_pte_t)1 << 6)
#define PTE_PS ((lazy_mmu_pte_t)1 << 7)
#define PTE_G ((lazy_mmu_pte_t)1 << 8)
#define PTE_PKEY_SHIFT 59 /* bits 62:59 (SDM vol. 3A, 4.5) */

#define CR0_WP ((uint64_t)1 << 16)
#define CR4_PGE ((uint64_t)1 << 7)
#define CR4_PKE ((uint64_t)1 << 22)
#define CPUID_1_EDX_PGE (1u << 13)

/* PML4 slot 511, PDPT slot 510, PD slot 0: nothing else there. */
#define WINDOW_VA ((uintptr_t)0xffffffff80000000ull)
_Static_assert(WINDOW_VA >> 47 == 0x1ffff, "WINDOW_VA: canonical (bits 63:47 all 1) upper half");
#define PT_ENTRIES 512u
#define WINDOW_PTS ((KERNEL_ARCH_PAGES + PT_ENTRIES - 1) / PT_ENTRIES)
/* The page after the window's last page-table's reach: PD slot WINDOW_PTS. */
#define PT_ALIAS_VA (WINDOW_VA + (uintptr_t)WINDOW_PTS * PT_ENTRIES * 4096u)

#define PAGE_ALIGNED __attribute__((aligned(4096)))
static lazy_mmu_pte_t pml4[PT_ENTRIES] PAGE_ALIGNED;
static lazy_mmu_pte_t ident_pdpt[PT_ENTRIES] PAGE_ALIGNED;
static lazy_mmu_pte_t ident_pd[PT_ENTRIES] PAGE_ALIGNED;
/* The image's 4 KiB pages: at most IDENT_PTS * 2 MiB of it (the largest,
 * kernel-spaces.elf with its two 2 MiB blocks, ends below 20 MiB). */
#define IDENT_PTS 16u
static lazy_mmu_pte_t ident_pt[IDENT_PTS][PT_ENTRIES] PAGE_ALIGNED;
extern char __bss_end[]; /* kernel.ld: where the image ends */
static lazy_mmu_pte_t window_pdpt[PT_ENTRIES] PAGE_ALIGNED;
static lazy_mmu_pte_t window_pd[PT_ENTRIES] PAGE_ALIGNED;
static lazy_mmu_pte_t window_pt[WINDOW_PTS][PT_ENTRIES] PAGE_ALIGNED;
static unsigned char frames[KERNEL_FRAMES][4096] PAGE_ALIGNED;

/* Everything above is identity-mapped: a pointer is its physical address. */
static uint64_t pa_of(const void *p)
{
    return (uint64_t)(uintptr_t)p;
}

#ifdef X86_PROTECT_TABLES
static lazy_mmu_pte_t pt_alias_pt[PT_ENTRIES] PAGE_ALIGNED;
/* Boot value: the page-table key may be read but not written (WD), every
 * other key but 0 denies everything, so a value the library writes that
 * touches more than its key shows up as a changed PKRU at exit. */
#define BOOT_PKRU ((uint32_t)0xfffffffcu & ~((uint32_t)1 << (2 * LAZY_MMU_X86_64_PKRU_KEY)))

static void pkru_init(void)
{
    uint32_t r[4] = {0, 0, 0, 0};

    cpuid(0, 0, r); /* EAX: the highest standard leaf */
    if (r[0] >= 7)
        cpuid(7, 0, r);
    else
        r[2] = 0;
    if (!(r[2] & (1u << 3))) { /* CPUID.(EAX=7,ECX=0):ECX.PKU */
        kputs("SKIP x86_64 pkru: this CPU model has no PKU (CPUID.7.0:ECX[3] = 0)\n");
        outl(0xf4, X86_EXIT_NO_PKU);
        for (;;)
            __asm__ __volatile__("hlt"); /* isa-debug-exit missing: stop */
    }
    /* PKRU is enforced and RDPKRU/WRPKRU execute only with CR4.PKE = 1. */
    write_cr4(read_cr4() | CR4_PKE);
    lazy_mmu__x86_64_wrpkru(NULL, BOOT_PKRU);
    kputs("PKRU x86_64: page tables carry key ");
    kput_u64(LAZY_MMU_X86_64_PKRU_KEY);
    kputs(", boot PKRU ");
    kput_hex(lazy_mmu__x86_64_rdpkru(NULL));
    kputs(" (key write-disabled)\n");
}
#endif

void arch_mmu_init(void)
{
    const lazy_mmu_pte_t ident = PTE_P | PTE_RW | PTE_A | PTE_D;
    /* PD slots [0, small) map the image with 4 KiB pages. */
    const unsigned small = (unsigned)((pa_of(__bss_end) + (2u << 20) - 1) >> 21);
    lazy_mmu_pte_t upper = PTE_P | PTE_RW;
    unsigned i, j;

    if (small > IDENT_PTS)
        kernel_panic("arch_mmu_init: the image outgrew IDENT_PTS page tables of 4 KiB pages");
    for (i = 0; i < PT_ENTRIES; i++) { /* 1 GiB: the image in 4 KiB pages, then 2 MiB */
        if (i >= small) {
            ident_pd[i] = ((lazy_mmu_pte_t)i << 21) | ident | PTE_PS;
            continue;
        }
        for (j = 0; j < PT_ENTRIES; j++)
            ident_pt[i][j] = ((lazy_mmu_pte_t)i << 21) + ((lazy_mmu_pte_t)j << 12) + ident;
        ident_pd[i] = pa_of(ident_pt[i]) | PTE_P | PTE_RW;
    }
    ident_pdpt[0] = pa_of(ident_pd) | PTE_P | PTE_RW;
    pml4[0] = pa_of(ident_pdpt) | PTE_P | PTE_RW;

#ifdef X86_PROTECT_TABLES
    /* A page is a user page only if U/S is set at every level; the window's
     * own leaf entries have it clear, so only the alias becomes one. */
    upper |= PTE_US;
#endif
    pml4[(WINDOW_VA >> 39) & 511] = pa_of(window_pdpt) | upper;
    window_pdpt[(WINDOW_VA >> 30) & 511] = pa_of(window_pd) | upper;
    for (i = 0; i < WINDOW_PTS; i++) {
        for (j = 0; j < PT_ENTRIES; j++)
            window_pt[i][j] = 0;
        window_pd[((WINDOW_VA >> 21) & 511) + i] = pa_of(window_pt[i]) | PTE_P | PTE_RW;
    }
#ifdef X86_PROTECT_TABLES
    pkru_init();
    window_pd[(PT_ALIAS_VA >> 21) & 511] = pa_of(pt_alias_pt) | upper;
    for (i = 0; i < WINDOW_PTS; i++)
        pt_alias_pt[i] = pa_of(window_pt[i]) | PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D |
                         ((lazy_mmu_pte_t)LAZY_MMU_X86_64_PKRU_KEY << PTE_PKEY_SHIFT);
#endif

    /* WP: ring 0 honours read-only pages (the "protect" scenario) and, with
     * CR4.PKE, the WD bits of PKRU (SDM vol. 3A, 4.6.1). */
    write_cr0(read_cr0() | CR0_WP);
    write_cr3(pa_of(pml4));
#ifdef X86_GLOBAL_WINDOW
    {
        uint32_t r[4];
        cpuid(1, 0, r);
        if (!(r[3] & CPUID_1_EDX_PGE))
            kernel_panic("arch_mmu_init: X86_GLOBAL_WINDOW needs PGE (CPUID.1:EDX[13] = 0)");
    }
    /* From here on G entries survive CR3 loads (SDM vol. 3A, 4.10.2.4). */
    write_cr4(read_cr4() | CR4_PGE);
#endif

    kputs("MMU x86_64: 4 KiB pages below ");
    kput_hex((uint64_t)small << 21);
    kputs(" (the image), 2 MiB pages to 1 GiB; window at ");
    kput_hex(WINDOW_VA);
    kputs(" (PML4 slot ");
    kput_u64((WINDOW_VA >> 39) & 511);
    kputs(", PDPT slot ");
    kput_u64((WINDOW_VA >> 30) & 511);
#ifdef X86_GLOBAL_WINDOW
    kputs("), its pages global, CR4.PGE on\n");
#else
    kputs(")\n");
#endif
}

uintptr_t arch_window_va(void)
{
    return WINDOW_VA;
}

lazy_mmu_pte_t *arch_window_ptep(unsigned page)
{
#ifdef X86_PROTECT_TABLES
    return (lazy_mmu_pte_t *)(PT_ALIAS_VA + (uintptr_t)page * sizeof(lazy_mmu_pte_t));
#else
    return &window_pt[page / PT_ENTRIES][page % PT_ENTRIES];
#endif
}

uint64_t arch_frame_pa(unsigned frame)
{
    return pa_of(frames[frame]);
}

volatile uint64_t *arch_frame_alias(unsigned frame)
{
    return (volatile uint64_t *)(void *)frames[frame];
}

lazy_mmu_pte_t arch_make_pte(uint64_t pa, bool writable)
{
    /* A and D preset: the walker never has to write them back.  G only in
     * X86_GLOBAL_WINDOW builds (see the top of this file). */
#ifdef X86_GLOBAL_WINDOW
    const lazy_mmu_pte_t g = PTE_G;
#else
    const lazy_mmu_pte_t g = 0;
#endif
    return pa | PTE_P | PTE_A | PTE_D | g | (writable ? PTE_RW : 0);
}

/* ---- exceptions and the probes ---- */

struct x86_trap_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error, rip, cs, rflags, rsp, ss;
};

void x86_early_init(void);
void x86_idt_set(unsigned vector, uint64_t handler);
void x86_idt_load(void);
void x86_trap(struct x86_trap_frame *f);
bool x86_probe_read(uintptr_t va, uint64_t *value);
bool x86_probe_write(uintptr_t va, uint64_t value);
extern const char x86_probe_read_insn[], x86_probe_read_fixup[];
extern const char x86_probe_write_insn[], x86_probe_write_fixup[];
extern const uint64_t x86_trap_stubs[32];

struct idt_gate {
    uint16_t offset_lo, selector;
    uint8_t ist, flags;
    uint16_t offset_mid;
    uint32_t offset_hi, reserved;
};

struct __attribute__((packed)) table_ptr {
    uint16_t limit;
    uint64_t base;
};

/* All 256 vectors: the SMP kernels add interrupt gates above the
 * exceptions (x86_idt_set); a vector nobody set is a not-present gate, so an
 * interrupt nobody expected ends in #NP and x86_trap's report. */
static struct idt_gate idt[256] __attribute__((aligned(16)));

#define PF_P (1u << 0)    /* protection violation (else not present) */
#define PF_W (1u << 1)    /* write */
#define PF_RSVD (1u << 3) /* reserved bit set in an entry */
#define PF_I (1u << 4)    /* instruction fetch */
#define PF_PK (1u << 5)   /* protection key */

void x86_idt_set(unsigned vector, uint64_t handler)
{
    idt[vector].offset_lo = (uint16_t)handler;
    idt[vector].selector = 0x08; /* entry.S: 64-bit code */
    idt[vector].ist = 0;
    idt[vector].flags = 0x8e; /* present, DPL 0, 64-bit interrupt gate */
    idt[vector].offset_mid = (uint16_t)(handler >> 16);
    idt[vector].offset_hi = (uint32_t)(handler >> 32);
    idt[vector].reserved = 0;
}

/* Every CPU runs this once: IDTR is per CPU, the table is shared. */
void x86_idt_load(void)
{
    struct table_ptr p;

    p.limit = sizeof(idt) - 1;
    p.base = (uint64_t)(uintptr_t)idt;
    __asm__ __volatile__("lidt %0" : : "m"(p) : "memory"); /* exceptions reach x86_trap */
}

void x86_early_init(void)
{
    unsigned v;

    serial_init();
    for (v = 0; v < 32; v++)
        x86_idt_set(v, x86_trap_stubs[v]);
    x86_idt_load();
}

void x86_trap(struct x86_trap_frame *f)
{
    /* A probe expects a translation fault on its one access and nothing
     * else: a reserved-bit or protection-key fault is a kernel bug.  The
     * frame is all the state there is, so every CPU's probes work. */
    if (f->vector == 14 && !(f->error & (PF_RSVD | PF_PK | PF_I))) {
        if (f->rip == (uintptr_t)x86_probe_read_insn) {
            f->rip = (uintptr_t)x86_probe_read_fixup;
            return;
        }
        if (f->rip == (uintptr_t)x86_probe_write_insn) {
            f->rip = (uintptr_t)x86_probe_write_fixup;
            return;
        }
    }
    kputs("\nUNEXPECTED EXCEPTION vector ");
    kput_u64(f->vector);
    if (f->vector == 14) {
        kputs(" (#PF");
        kputs(f->error & PF_P ? " protection" : " not-present");
        if (f->error & PF_W)
            kputs(" write");
        if (f->error & PF_RSVD)
            kputs(" RSVD");
        if (f->error & PF_I)
            kputs(" fetch");
        if (f->error & PF_PK)
            kputs(" PK");
        kputs(")");
    }
    kputs(" error ");
    kput_hex(f->error);
    kputs(" rip ");
    kput_hex(f->rip);
    kputs(" cr2 ");
    kput_hex(read_cr2());
    kputs("\nFAIL\n");
    outl(0xf4, X86_EXIT_EXCEPTION);
    for (;;)
        __asm__ __volatile__("cli; hlt"); /* isa-debug-exit missing: stop */
}

bool arch_probe_read(uintptr_t va, uint64_t *value)
{
    return x86_probe_read(va, value);
}

bool arch_probe_write(uintptr_t va, uint64_t value)
{
    return x86_probe_write(va, value);
}

void arch_exit(int status)
{
#ifdef X86_PROTECT_TABLES
    /* Every section restored what its enter saw, and every eager write
     * closed the key again: PKRU is what boot set. */
    uint32_t pkru = lazy_mmu__x86_64_rdpkru(NULL);
    if (pkru != BOOT_PKRU) {
        kputs("FAIL x86_64 pkru: PKRU ");
        kput_hex(pkru);
        kputs(" at exit, boot value ");
        kput_hex(BOOT_PKRU);
        kputs("\n");
        status = X86_EXIT_PKRU;
    } else {
        kputs("PKRU x86_64: ");
        kput_hex(pkru);
        kputs(" at exit, as boot set it\n");
    }
#endif
#ifdef X86_GLOBAL_WINDOW
    /* Each full flush cleared PGE and set it again.  Under QEMU a first
     * write that leaves PGE set shows as stale reads; a second that leaves
     * it clear shows nothing (later flushes would just be CR3 reloads), so
     * it is checked here. */
    if (!(read_cr4() & CR4_PGE)) {
        kputs("FAIL x86_64 global: CR4.PGE clear at exit, boot set it\n");
        status = X86_EXIT_PGE;
    } else {
        kputs("CR4 x86_64: PGE set at exit, as boot set it\n");
    }
#endif
    /* isa-debug-exit: QEMU exits with status * 2 + 1. */
    outl(0xf4, (uint32_t)status);
    for (;;)
        __asm__ __volatile__("cli; hlt"); /* no device there: stop here */
}
