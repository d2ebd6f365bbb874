/* examples/qemu/x86_64/smp.c - the other CPUs: kernel.h's SMP section on
 * the xAPIC (kernel-smp*.elf only).
 *
 * Which CPUs exist comes from ACPI: the RSDP (EBDA or the BIOS area), the
 * RSDT, and the MADT's enabled Processor Local APIC entries, in MADT order;
 * the boot CPU is index 0 whatever its APIC ID.  Each AP is started on its
 * own, the way the SDM's MP initialization protocol does it (vol. 3A,
 * 8.4.4.1 / 9.4.4.1 "Typical BSP Initialization Sequence"): INIT, 10 ms,
 * STARTUP (a second one only if the AP shows no sign of life, see
 * start_ap), into trampoline.S, which brings it to long mode on the boot
 * CPU's page tables and calls x86_ap_main() on its own stack.
 * The boot CPU waits for each AP to check in before it reuses x86_ap_boot
 * for the next one.
 *
 * The xAPIC registers are MMIO at IA32_APIC_BASE (0xfee00000), which the
 * 1 GiB identity map of arch.c does not reach: arch_start_cpus() maps that
 * 4 KiB page, uncached, into the tables CR3 points at.  The ACPI tables are
 * read through 4 KiB pages of their own too (ACPI_VA), not through arch.c's
 * 2 MiB pages: after the MMU is on, no CPU touches a large page (map_page).
 *
 * Interrupts: the APs run with IF = 1 and take IPI_VECTOR (the shootdown)
 * and SPURIOUS_VECTOR; the boot CPU keeps IF = 0 throughout and only sends.
 */
#include "kernel.h"
#include "io.h"
#include "smp.h"

/* ---- registers ---- */

static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ __volatile__("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr)); /* edx:eax = MSR */
    return ((uint64_t)hi << 32) | lo;
}

static inline uint64_t irq_save(void)
{
    uint64_t flags;
    /* RFLAGS saved, then IF = 0: nothing runs between two ICR writes.  The
     * push is safe: kernels build with -mno-red-zone. */
    __asm__ __volatile__("pushfq; popq %0; cli" : "=r"(flags) : : "memory");
    return flags;
}

static inline void irq_restore(uint64_t flags)
{
    __asm__ __volatile__("pushq %0; popfq" : : "r"(flags) : "memory", "cc"); /* IF as it was */
}

/* A physical address below 1 MiB (the BIOS data area, the RSDP's places,
 * the trampoline) as a pointer: arch.c's identity map, 4 KiB pages there.
 * The empty asm hides the constant from GCC, which otherwise takes a
 * pointer made from a small integer for a null one and warns on every
 * access. */
static const volatile uint8_t *phys(uint64_t pa)
{
    uintptr_t p = (uintptr_t)pa;
    __asm__("" : "+r"(p)); /* no instruction: only the compiler's view changes */
    return (const volatile uint8_t *)p;
}

/* ---- the PIT as a delay (channel 2, gated through port 0x61) ---- */

#define PIT_HZ 1193182u

/* Waits us microseconds (at most 54925, the 16-bit counter's reach): mode
 * 0 raises OUT2, readable at port 0x61 bit 5, when the count runs out. */
static void pit_delay_us(unsigned us)
{
    uint32_t ticks = (uint32_t)(((uint64_t)us * PIT_HZ + 999999u) / 1000000u);
    outb(0x61, (uint8_t)((inb(0x61) & ~0x02u) | 0x01u)); /* gate on, speaker off */
    outb(0x43, 0xb0); /* channel 2, low then high byte, mode 0, binary */
    outb(0x42, (uint8_t)ticks);
    outb(0x42, (uint8_t)(ticks >> 8));
    while (!(inb(0x61) & 0x20))
        continue;
}

/* ---- the local APIC ---- */

#define MSR_APIC_BASE 0x1b
#define MSR_EFER 0xc0000080
#define APIC_BASE_ENABLE (1u << 11) /* xAPIC globally enabled */
#define APIC_BASE_X2 (1u << 10)     /* x2APIC mode: MMIO gone */
#define APIC_BASE_MASK 0xffffff000ull

#define LAPIC_ID 0x020
#define LAPIC_TPR 0x080
#define LAPIC_EOI 0x0b0
#define LAPIC_SVR 0x0f0
#define LAPIC_ESR 0x280
#define LAPIC_ICR_LO 0x300
#define LAPIC_ICR_HI 0x310

#define SVR_ENABLE (1u << 8) /* software enable */
#define ICR_FIXED (0u << 8)
#define ICR_INIT (5u << 8)
#define ICR_STARTUP (6u << 8)
#define ICR_PENDING (1u << 12) /* delivery status: not yet accepted */
#define ICR_ASSERT (1u << 14)

static volatile uint32_t *lapic; /* NULL until arch_start_cpus() maps it */
static uint8_t apic_id[KERNEL_MAX_CPUS];
static unsigned cpus_known = 1;

static uint32_t lapic_read(unsigned reg)
{
    return lapic[reg / 4];
}

static void lapic_write(unsigned reg, uint32_t v)
{
    lapic[reg / 4] = v;
}

/* Software-enables this CPU's LAPIC: without SVR bit 8 it accepts no
 * interrupt but INIT, STARTUP, NMI and SMI (SDM vol. 3A, "Local APIC State
 * After It Has Been Software Disabled"). */
static void lapic_enable(void)
{
    lapic_write(LAPIC_TPR, 0); /* no priority class held back */
    lapic_write(LAPIC_SVR, SVR_ENABLE | SPURIOUS_VECTOR);
}

/* Writing the low half sends; the wait makes the next write to the ICR
 * safe and means the target's LAPIC has the interrupt. */
static void icr_send(unsigned dest_apic, uint32_t low)
{
    uint64_t flags = irq_save();
    lapic_write(LAPIC_ICR_HI, (uint32_t)dest_apic << 24); /* physical destination */
    lapic_write(LAPIC_ICR_LO, low);
    while (lapic_read(LAPIC_ICR_LO) & ICR_PENDING)
        continue;
    irq_restore(flags);
}

unsigned arch_cpu_id(void)
{
    unsigned id, c;
    if (lapic == NULL)
        return 0; /* arch_start_cpus() has not run: the boot CPU alone */
    id = lapic_read(LAPIC_ID) >> 24;
    for (c = 0; c < cpus_known; c++)
        if (apic_id[c] == id)
            return c;
    kernel_panic("arch_cpu_id: a LAPIC ID arch_start_cpus() did not start");
    return 0;
}

void arch_send_ipi(unsigned cpu)
{
    icr_send(apic_id[cpu], ICR_FIXED | ICR_ASSERT | IPI_VECTOR);
}

void arch_shootdown(struct lazy_mmu *m, const struct lazy_mmu_shootdown *sd)
{
    smp_ipi_round(m, sd);
}

void x86_ipi_interrupt(void);
void x86_ipi_interrupt(void)
{
    smp_ipi_receive();
    lapic_write(LAPIC_EOI, 0); /* in-service bit cleared: the next IPI can come */
}

/* ---- 4 KiB pages for the LAPIC and the ACPI tables ---- */

#define PTE_P (1ull << 0)
#define PTE_RW (1ull << 1)
#define PTE_PWT (1ull << 3)
#define PTE_PCD (1ull << 4)
#define PTE_A (1ull << 5)
#define PTE_D (1ull << 6)
#define PTE_PS (1ull << 7)
#define PTE_ADDR 0x000ffffffffff000ull

/* Where the ACPI tables are read: physical address pa at ACPI_VA + pa, in
 * PDPT slot 2 (2..3 GiB), which arch.c leaves empty; one GiB of reach. */
#define ACPI_VA 0x80000000ull
#define ACPI_REACH (1ull << 30)

/* The tables behind both mappings: a PD for the LAPIC's GiB and one for
 * ACPI_VA's, a page table for the LAPIC and up to three for the ACPI
 * tables (QEMU's lie in one 2 MiB stretch at the top of RAM). */
#define MAP_TABLES 6u
static uint64_t map_tables[MAP_TABLES][512] __attribute__((aligned(4096)));
static unsigned map_tables_used;

/* The table entry idx of table points at, made (empty) if there is none. */
static uint64_t *next_table(uint64_t *table, unsigned idx)
{
    uint64_t e = table[idx];

    if (!(e & PTE_P)) {
        if (map_tables_used == MAP_TABLES)
            kernel_panic("x86 smp: out of page tables for the LAPIC and ACPI mappings");
        e = (uint64_t)(uintptr_t)map_tables[map_tables_used++] | PTE_P | PTE_RW;
        table[idx] = e;
    }
    if (e & PTE_PS)
        kernel_panic("x86 smp: a 4 KiB mapping asked for inside a large page");
    return (uint64_t *)(uintptr_t)(e & PTE_ADDR);
}

/* Maps the 4 KiB page at va to pa with flags (P, A, D added) in the tables
 * CR3 points at, which the APs share.  4 KiB, not 2 MiB: QEMU drops its
 * whole TLB when an INVLPG names an address in the span of the large pages
 * it has cached since its last full flush, and a span holding the LAPIC's
 * page and the ACPI tables' is 0..4 GiB - the image with its stacks
 * included - so on the boot CPU an INVLPG given a wrong address flushed the
 * window too, until a full flush (that INVLPG's, the first time) reset the
 * span (arch.c, the identity map).
 * Each entry is new where there was none (or the same again): nothing to
 * invalidate, no CPU caches a not-present entry (SDM vol. 3A, 4.10.2.3). */
static void map_page(uint64_t va, uint64_t pa, uint64_t flags)
{
    uint64_t *t = (uint64_t *)(uintptr_t)(read_cr3() & PTE_ADDR);
    uint64_t e = (pa & PTE_ADDR) | flags | PTE_P | PTE_A | PTE_D;

    t = next_table(t, (unsigned)(va >> 39) & 511);
    t = next_table(t, (unsigned)(va >> 30) & 511);
    t = next_table(t, (unsigned)(va >> 21) & 511);
    t += (va >> 12) & 511;
    if (*t != 0 && *t != e)
        kernel_panic("x86 smp: a 4 KiB mapping over another");
    *t = e;
}

/* ---- ACPI: which LAPICs there are ---- */

/* Maps [pa, pa + len) at ACPI_VA + pa, read-only (RW clear), and returns
 * that address.  arch.c maps RAM above the image with 2 MiB pages, and the
 * tables lie there (QEMU's just below the end of RAM). */
static const volatile uint8_t *acpi_map(uint64_t pa, uint32_t len)
{
    uint64_t p;

    for (p = pa & ~0xfffull; p < pa + len; p += 4096)
        map_page(ACPI_VA + p, p, 0);
    return (const volatile uint8_t *)(uintptr_t)(ACPI_VA + pa);
}

static uint32_t le32(const volatile uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static bool sums_to_zero(const volatile uint8_t *p, uint32_t len)
{
    uint8_t sum = 0;
    while (len--)
        sum = (uint8_t)(sum + *p++);
    return sum == 0;
}

static bool sig_is(const volatile uint8_t *p, const char *sig)
{
    while (*sig)
        if (*p++ != (uint8_t)*sig++)
            return false;
    return true;
}

/* The RSDP lies on a 16-byte boundary in the EBDA's first KiB or in
 * 0xe0000..0xfffff (ACPI 6.x, 5.2.5.1). */
static const volatile uint8_t *find_rsdp(void)
{
    const volatile uint8_t *bda = phys(0x40e);
    uint64_t ebda = (uint64_t)(bda[0] | bda[1] << 8) << 4;
    uint64_t ranges[2][2] = {{ebda, ebda + 1024}, {0xe0000, 0x100000}};
    unsigned r;
    uint64_t a;

    for (r = 0; r < 2; r++)
        for (a = ranges[r][0]; a && a < ranges[r][1]; a += 16)
            if (sig_is(phys(a), "RSD PTR ") && sums_to_zero(phys(a), 20))
                return phys(a);
    return NULL;
}

/* A whole table in ACPI_VA's reach, its checksum right: its header
 * mapped first, then as much as the header says. */
static const volatile uint8_t *acpi_table(uint64_t pa, const char *sig)
{
    const volatile uint8_t *t;
    uint32_t len;

    if (pa == 0 || pa + 36 > ACPI_REACH)
        return NULL;
    t = acpi_map(pa, 36);
    if (!sig_is(t, sig))
        return NULL;
    len = le32(t + 4);
    if (len < 36 || pa + len > ACPI_REACH)
        return NULL;
    t = acpi_map(pa, len);
    return sums_to_zero(t, len) ? t : NULL;
}

/* Fills apic_id[1..] with the enabled LAPICs other than the boot CPU's;
 * returns how many CPUs that makes, or 0 when there is no usable MADT. */
static unsigned madt_cpus(unsigned boot_apic)
{
    const volatile uint8_t *rsdp = find_rsdp(), *rsdt, *madt = NULL;
    uint32_t len, off;
    unsigned n = 1;

    if (rsdp == NULL)
        return 0;
    rsdt = acpi_table(le32(rsdp + 16), "RSDT");
    if (rsdt == NULL)
        return 0;
    len = le32(rsdt + 4);
    for (off = 36; off + 4 <= len && madt == NULL; off += 4)
        madt = acpi_table(le32(rsdt + off), "APIC");
    if (madt == NULL)
        return 0;
    len = le32(madt + 4);
    /* Entries after the LAPIC address and flags: type, length, body. */
    for (off = 44; off + 2 <= len && madt[off + 1] >= 2; off += madt[off + 1]) {
        const volatile uint8_t *e = madt + off;
        /* Type 0, Processor Local APIC: e[3] the APIC ID, flags bit 0
         * "Enabled" (bit 1, online-capable, is for CPUs hot-added later). */
        if (e[0] != 0 || e[1] < 8 || !(le32(e + 4) & 1) || e[3] == boot_apic)
            continue;
        if (n == KERNEL_MAX_CPUS) {
            kputs("x86 smp: more CPUs in the MADT than KERNEL_MAX_CPUS; the rest stay off\n");
            break;
        }
        apic_id[n++] = e[3];
    }
    return n;
}

/* ---- bringing the APs up ---- */

/* The boot CPU's state, for the AP it starts (offsets: smp.h). */
struct x86_ap_boot {
    uint64_t cr0, cr3, cr4, efer, stack;
};
struct x86_ap_boot x86_ap_boot;
_Static_assert(offsetof(struct x86_ap_boot, cr0) == AP_BOOT_CR0, "smp.h");
_Static_assert(offsetof(struct x86_ap_boot, cr3) == AP_BOOT_CR3, "smp.h");
_Static_assert(offsetof(struct x86_ap_boot, cr4) == AP_BOOT_CR4, "smp.h");
_Static_assert(offsetof(struct x86_ap_boot, efer) == AP_BOOT_EFER, "smp.h");
_Static_assert(offsetof(struct x86_ap_boot, stack) == AP_BOOT_STACK, "smp.h");

#define AP_STACK 16384u
static unsigned char ap_stacks[KERNEL_MAX_CPUS][AP_STACK] __attribute__((aligned(16)));
static volatile unsigned ap_starting; /* the index x86_ap_main takes */
static volatile uint8_t ap_checked_in; /* set by the AP being started */

extern const char x86_trampoline[], x86_trampoline_alive[], x86_trampoline_end[];
void x86_ipi_entry(void);
void x86_spurious_entry(void);
void x86_idt_set(unsigned vector, uint64_t handler);
void x86_idt_load(void);
void x86_ap_main(void);

void x86_ap_main(void)
{
    unsigned cpu = __atomic_load_n(&ap_starting, __ATOMIC_ACQUIRE);

    x86_idt_load();
    lapic_enable();
    if (arch_cpu_id() != cpu)
        kernel_panic("x86 smp: an AP's LAPIC ID is not the one it was started by");
    /* Done with x86_ap_boot and ap_starting: the boot CPU may reuse them
     * for the next AP. */
    __atomic_store_n(&ap_checked_in, (uint8_t)1, __ATOMIC_RELEASE);
    /* Nothing but the shootdown IPI (and spurious) reaches an AP: INIT
     * left its LVT entries masked, and no I/O APIC entry names it. */
    __asm__ __volatile__("sti" ::: "memory"); /* IPIs are taken from here on */
    smp_secondary_main(cpu);
}

/* Polls flag for up to ms milliseconds. */
static bool wait_for(const volatile uint8_t *flag, unsigned ms)
{
    unsigned t;
    for (t = 0; t < 5 * ms; t++) {
        if (__atomic_load_n(flag, __ATOMIC_ACQUIRE))
            return true;
        pit_delay_us(200);
    }
    return __atomic_load_n(flag, __ATOMIC_ACQUIRE) != 0;
}

static bool start_ap(unsigned cpu)
{
    volatile uint8_t *alive =
        (volatile uint8_t *)(uintptr_t)phys(TRAMPOLINE_PA + (x86_trampoline_alive - x86_trampoline));

    x86_ap_boot.stack = (uint64_t)(uintptr_t)(ap_stacks[cpu] + AP_STACK);
    __atomic_store_n(&ap_starting, cpu, __ATOMIC_RELEASE);
    __atomic_store_n(&ap_checked_in, 0u, __ATOMIC_RELEASE);
    *alive = 0;
    lapic_write(LAPIC_ESR, 0); /* errors of earlier sends forgotten */
    icr_send(apic_id[cpu], ICR_INIT | ICR_ASSERT);
    pit_delay_us(10000);
    /* The SDM sends a second STARTUP unconditionally, to be ignored by an
     * AP that took the first.  Under QEMU 7.2 (TCG, -smp 4) one that
     * reaches a running AP now and then makes that AP miss its next fixed
     * IPI: vector 0xf0 stays in its IRR with IF = 1 and is never taken
     * (4 boots in 10 with the SDM's 200 us gap, 1 in 12 with 50 ms, none
     * in 12 with one STARTUP).  So the second goes only to an AP that has
     * not made the trampoline's first store. */
    icr_send(apic_id[cpu], ICR_STARTUP | ICR_ASSERT | (TRAMPOLINE_PA >> 12));
    if (!wait_for(alive, 10))
        icr_send(apic_id[cpu], ICR_STARTUP | ICR_ASSERT | (TRAMPOLINE_PA >> 12));
    return wait_for(&ap_checked_in, 1000);
}

unsigned arch_start_cpus(void)
{
    uint64_t base = rdmsr(MSR_APIC_BASE);
    const char *src = x86_trampoline;
    volatile char *dst = (volatile char *)(uintptr_t)phys(TRAMPOLINE_PA);
    unsigned c, n, boot_apic;

    if (!(base & APIC_BASE_ENABLE) || (base & APIC_BASE_X2)) {
        kputs("x86 smp: the LAPIC is not in xAPIC mode\n");
        return 1;
    }
    /* The LAPIC's interrupts replace the 8259's: all its lines masked. */
    outb(0x21, 0xff);
    outb(0xa1, 0xff);
    /* PCD | PWT: PAT entry 3, UC at reset - every MMIO access goes to the
     * device, none is combined or cached. */
    map_page(base & APIC_BASE_MASK, base & APIC_BASE_MASK, PTE_RW | PTE_PWT | PTE_PCD);
    lapic = (volatile uint32_t *)(uintptr_t)(base & APIC_BASE_MASK);
    lapic_enable();
    boot_apic = lapic_read(LAPIC_ID) >> 24;
    apic_id[0] = (uint8_t)boot_apic;

    n = madt_cpus(boot_apic);
    if (n == 0) {
        kputs("x86 smp: no ACPI MADT, no other CPU known\n");
        return 1;
    }
    kputs("x86 smp: MADT lists ");
    kput_u64(n);
    kputs(" CPU(s), boot LAPIC ID ");
    kput_u64(boot_apic);
    kputs("\n");

    x86_idt_set(IPI_VECTOR, (uint64_t)(uintptr_t)x86_ipi_entry);
    x86_idt_set(SPURIOUS_VECTOR, (uint64_t)(uintptr_t)x86_spurious_entry);
    while (src != x86_trampoline_end)
        *dst++ = *src++;
    x86_ap_boot.cr0 = read_cr0();
    x86_ap_boot.cr3 = read_cr3();
    x86_ap_boot.cr4 = read_cr4();
    /* LMA is the CPU's report, not a setting; the AP's wrmsr sets LME. */
    x86_ap_boot.efer = rdmsr(MSR_EFER) & ~(1ull << 10);
    if (x86_ap_boot.cr3 >> 32)
        kernel_panic("x86 smp: CR3 above 4 GiB, out of the trampoline's reach");

    for (c = 1; c < n; c++) {
        cpus_known = c + 1; /* arch_cpu_id() on the AP finds its own ID */
        if (!start_ap(c)) {
            kputs("x86 smp: LAPIC ID ");
            kput_u64(apic_id[c]);
            kputs(" did not start\n");
            cpus_known = c;
            break;
        }
    }
    return cpus_known;
}
