/* examples/qemu/aarch64/smp.c - the SMP half of common/kernel.h for QEMU's
 * virt board: secondaries started by PSCI CPU_ON, as a kernel starts them.
 *
 * The conduit: QEMU's virt board emulates the PSCI firmware itself, one
 * level above the highest EL it gives the guest - at EL3 (SMC) when the
 * board has EL2 (virtualization=on), at EL2 (HVC) otherwise.  A kernel on
 * other firmware would read it from the device tree's /psci "method".
 *
 * The boot CPU starts one CPU at a time and waits for it to check in: the
 * boot block (its registers and the new CPU's stack) is then free for the
 * next.  A secondary runs smp_start.S with the boot CPU's MAIR, TCR, TTBRs
 * and SCTLR, the shared vectors, and then arch_smp_secondary() below.
 *
 * The remote round: the library's TLB maintenance on aarch64 is TLBI ...IS
 * + DSB ISH, which the hardware broadcasts to every PE in the inner-
 * shareable domain, so it never calls LAZY_MMU_SHOOTDOWN.  Built with
 * LAZY_MMU_AARCH64_NONSHAREABLE it does, and the round is common/smp.c's
 * IPI round over the GICv2's software-generated interrupts (SGIs): every
 * secondary takes IRQs, the boot CPU only sends.  (Were the library to ask
 * for a round in the broadcast build, common/smp.c's round count, which
 * must stay 0 there, would report it.)
 */
#include "kernel.h"

#define PSCI_VERSION        0x84000000u
#define PSCI_CPU_ON_64      0xc4000003u
#define PSCI_SUCCESS        0
#define PSCI_INVALID_PARAMS (-2)

#define MPIDR_AFF0          0xffull
#define MPIDR_AFF_UPPER     0xff00ffff00ull /* Aff3, Aff2, Aff1 */

/* QEMU virt's GICv2: distributor and CPU interface (arch.c maps both). */
#define GICD                0x08000000ul
#define GICC                0x08010000ul
#define GICD_CTLR           0x000
#define GICD_ISENABLER0     0x100
#define GICD_ITARGETSR0     0x800
#define GICD_SGIR           0xf00
#define GICD_PIDR2          0xfe8
#define GICC_CTLR           0x000
#define GICC_PMR            0x004
#define GICC_IAR            0x00c
#define GICC_EOIR           0x010
#define SGI_SHOOTDOWN       0u      /* any of SGIs 0-15 */
#define GIC_SPURIOUS        1023u

#define SECONDARY_STACK     16384u
/* How long a started CPU may take to check in: generous, since four vCPUs
 * may share two host cores. */
#define CHECKIN_SECONDS     10u

/* Read by secondaries with their MMU off: smp_start.S knows the layout. */
struct arch_smp_boot {
    uint64_t mair, tcr, ttbr0, ttbr1, sctlr, sp;
};
_Static_assert(sizeof(struct arch_smp_boot) == 48, "smp_start.S's BOOT_* offsets");
/* One cache line (64 bytes on every Armv8 core QEMU models, and at least
 * CTR_EL0.DminLine anywhere): cleaned as a whole. */
struct arch_smp_boot arch_smp_boot __attribute__((aligned(64)));

/* Indexed by CPU; the boot CPU keeps start.S's stack. */
static uint8_t secondary_stacks[KERNEL_MAX_CPUS][SECONDARY_STACK] __attribute__((aligned(16)));
static volatile unsigned online[KERNEL_MAX_CPUS];
/* Each CPU's GIC CPU interface, as the SGI target list's bit. */
static uint8_t gic_target[KERNEL_MAX_CPUS];

/* smp_start.S */
extern char arch_smp_entry[];
int64_t arch_psci_call(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3, bool smc);
void arch_smp_secondary(unsigned cpu);
extern void (*arch_irq_handler)(void); /* arch.c */

static volatile uint32_t *gic_reg(uintptr_t base, unsigned off)
{
    return (volatile uint32_t *)(base + off);
}

static uint64_t read_mpidr(void)
{
    uint64_t v;
    __asm__ __volatile__("mrs %0, mpidr_el1" : "=r"(v));
    return v;
}

unsigned arch_cpu_id(void)
{
    return (unsigned)(read_mpidr() & MPIDR_AFF0);
}

static void fail(const char *what, uint64_t value)
{
    kputs("\nFATAL: ");
    kputs(what);
    kputs(" ");
    kput_hex(value);
    kputs("\nFAIL\n");
    arch_exit(2);
}

static bool psci_uses_smc(void)
{
    uint64_t pfr0;
    __asm__ __volatile__("mrs %0, id_aa64pfr0_el1" : "=r"(pfr0));
    return ((pfr0 >> 8) & 0xf) != 0; /* EL2 field: 0 = not implemented */
}

/* The secondary reads the block with its MMU off, straight from memory; the
 * boot CPU wrote it through its cache. */
static void clean_to_poc(const void *start, size_t size)
{
    uint64_t ctr;
    uintptr_t line, p, end = (uintptr_t)start + size;
    __asm__ __volatile__("mrs %0, ctr_el0" : "=r"(ctr));
    line = (uintptr_t)4 << ((ctr >> 16) & 0xf); /* DminLine: log2 words */
    for (p = (uintptr_t)start & ~(line - 1); p < end; p += line)
        /* DC CVAC: the line's data is written back to the point of
         * coherency, where an uncached observer reads it. */
        __asm__ __volatile__("dc cvac, %0" : : "r"(p) : "memory");
    /* DSB SY: the cleans are complete before the CPU_ON call that lets the
     * secondary read the block. */
    __asm__ __volatile__("dsb sy" : : : "memory");
}

static uint64_t counter_freq(void)
{
    uint64_t f;
    __asm__ __volatile__("mrs %0, cntfrq_el0" : "=r"(f));
    return f;
}

/* The distributor, once.  The SGIs' priority (0, the highest) and enable
 * bits are reset values, and each CPU's are its own (banked); the other
 * interrupts stay disabled. */
static void gic_init(void)
{
    uint32_t arch_rev = (*gic_reg(GICD, GICD_PIDR2) >> 4) & 0xf;
    if (arch_rev != 2)
        fail("no GICv2 at 0x08000000 (gic-version=2): GICD_PIDR2.ArchRev", arch_rev);
    *gic_reg(GICD, GICD_CTLR) = 1; /* forward pending interrupts to the CPU interfaces */
}

/* This CPU's interface: every priority passes, interrupts signalled as IRQ. */
static void gic_cpu_init(unsigned cpu)
{
    /* GICD_ITARGETSR0 is banked: each byte reads as this CPU's own bit. */
    gic_target[cpu] = (uint8_t)(*gic_reg(GICD, GICD_ITARGETSR0) & 0xff);
    if (gic_target[cpu] == 0)
        fail("GICD_ITARGETSR0 names no CPU interface on CPU", cpu);
    *gic_reg(GICD, GICD_ISENABLER0) = 1u << SGI_SHOOTDOWN;
    *gic_reg(GICC, GICC_PMR) = 0xff;
    *gic_reg(GICC, GICC_CTLR) = 1;
}

static void gic_irq(void)
{
    uint32_t iar = *gic_reg(GICC, GICC_IAR); /* acknowledges: active from here */
    uint32_t id = iar & 0x3ff;
    if (id == GIC_SPURIOUS)
        return; /* nothing pending any more: nothing to end */
    if (id != SGI_SHOOTDOWN)
        fail("unexpected interrupt, GICC_IAR", iar);
    smp_ipi_receive();
    *gic_reg(GICC, GICC_EOIR) = iar; /* the SGI can be taken again */
}

unsigned arch_start_cpus(void)
{
    bool smc = psci_uses_smc();
    uint64_t self = read_mpidr(), t0, limit;
    int64_t version, ret;
    unsigned cpu, started = 1;

    if ((self & MPIDR_AFF0) != 0)
        fail("boot CPU's MPIDR Aff0 is not 0: MPIDR", self);
    version = arch_psci_call(PSCI_VERSION, 0, 0, 0, smc);
    /* (major << 16) | minor, or negative; CPU_ON with a 64-bit entry point
     * came with PSCI 0.2. */
    if (version < 0x2)
        fail(smc ? "no PSCI 0.2 over SMC: PSCI_VERSION returned"
                 : "no PSCI 0.2 over HVC: PSCI_VERSION returned",
             (uint64_t)version);

    __asm__ __volatile__("mrs %0, mair_el1" : "=r"(arch_smp_boot.mair));
    __asm__ __volatile__("mrs %0, tcr_el1" : "=r"(arch_smp_boot.tcr));
    __asm__ __volatile__("mrs %0, ttbr0_el1" : "=r"(arch_smp_boot.ttbr0));
    __asm__ __volatile__("mrs %0, ttbr1_el1" : "=r"(arch_smp_boot.ttbr1));
    __asm__ __volatile__("mrs %0, sctlr_el1" : "=r"(arch_smp_boot.sctlr));
    online[0] = 1;
    gic_init(); /* the boot CPU only sends: its interface stays off */
    arch_irq_handler = gic_irq;

    for (cpu = 1; cpu < KERNEL_MAX_CPUS; cpu++) {
        arch_smp_boot.sp = (uint64_t)(uintptr_t)(secondary_stacks[cpu] + SECONDARY_STACK);
        clean_to_poc(&arch_smp_boot, sizeof(arch_smp_boot));
        ret = arch_psci_call(PSCI_CPU_ON_64, (self & MPIDR_AFF_UPPER) | cpu,
                             (uint64_t)(uintptr_t)arch_smp_entry, cpu, smc);
        if (ret == PSCI_INVALID_PARAMS)
            break; /* no such CPU: the board has fewer (-smp) */
        if (ret != PSCI_SUCCESS)
            fail("PSCI CPU_ON returned", (uint64_t)ret);
        t0 = arch_cycles();
        limit = counter_freq() * CHECKIN_SECONDS;
        while (!__atomic_load_n(&online[cpu], __ATOMIC_ACQUIRE))
            if (arch_cycles() - t0 > limit)
                fail("no check-in from the CPU started with PSCI CPU_ON, index", cpu);
        started++;
    }
    return started;
}

void arch_smp_secondary(unsigned cpu)
{
    if (cpu >= KERNEL_MAX_CPUS || arch_cpu_id() != cpu)
        fail("secondary's context_id does not match its MPIDR Aff0: MPIDR", read_mpidr());
    gic_cpu_init(cpu);
    /* DAIFClr I: IRQs (the shootdown SGI) taken from here on; they were
     * masked since CPU_ON.  Its gic_target is written before the release
     * below, which publishes it to the boot CPU. */
    __asm__ __volatile__("msr daifclr, #2" : : : "memory");
    /* Release: everything this CPU set up happens before the boot CPU
     * reuses the boot block. */
    __atomic_store_n(&online[cpu], 1u, __ATOMIC_RELEASE);
    smp_secondary_main(cpu);
}

/* Where the library calls this (LAZY_MMU_AARCH64_NONSHAREABLE), its TLBIs
 * reached this CPU only: the other CPUs run the same description. */
void arch_shootdown(struct lazy_mmu *m, const struct lazy_mmu_shootdown *sd)
{
    smp_ipi_round(m, sd);
}

void arch_send_ipi(unsigned cpu)
{
    if (cpu == 0 || cpu >= KERNEL_MAX_CPUS || !online[cpu])
        fail("shootdown IPI to a CPU that does not take them:", cpu);
    /* DMB ISHST: smp_ipi_round's request is visible to the target before
     * the SGI can reach it (as Linux's GICv2 driver orders it). */
    __asm__ __volatile__("dmb ishst" : : : "memory");
    *gic_reg(GICD, GICD_SGIR) = ((uint32_t)gic_target[cpu] << 16) | SGI_SHOOTDOWN;
}
