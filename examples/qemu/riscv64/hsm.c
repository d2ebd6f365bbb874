/* examples/qemu/riscv64/hsm.c - kernel.h's SMP section for riscv64: the
 * other harts started through SBI HSM, the remote round through SBI RFENCE.
 *
 * OpenSBI's lottery picks the boot hart, which need not be hart 0: start.S
 * keeps the hartid it was entered with, and cpu indexes go to the other
 * harts in hartid order (cpu 0 = the boot hart).  tp holds the cpu index on
 * every hart (start.S, hsm_entry.S); nothing else uses tp (no TLS here).
 *
 * Which harts exist, without parsing the device tree: HSM hart_get_status
 * answers SBI_ERR_INVALID_PARAM for a hartid the platform lacks, so hartids
 * 0..63 are asked in turn.  63: the RFENCE hart mask is one unsigned long at
 * base 0.
 *
 * Each hart is started and waited for before the next, so a hart that never
 * arrives is named, and the run ends with status 6 (check.sh) instead of
 * hanging.
 */
#include "kernel.h"

#define SBI_EXT_HSM 0x48534Dul
#define SBI_HSM_HART_START 0ul
#define SBI_HSM_HART_GET_STATUS 2ul
#define SBI_HSM_STARTED 0l
#define SBI_HSM_STOPPED 1l

#define MASK_HARTS 64u
#define HART_STACK 16384u
/* virt's time CSR runs at 10 MHz: a hart gets 2 s to arrive, which TCG on
 * a loaded host needs far less than. */
#define CHECK_IN_TICKS 20000000ull
#define EXIT_SMP 6

/* What hsm_entry.S needs before it has a stack, at these offsets; its
 * address is hart_start's opaque argument. */
struct hsm_boot {
    uint64_t stack_top;
    uint64_t satp;
    uint64_t cpu;
};
_Static_assert(offsetof(struct hsm_boot, stack_top) == 0 && offsetof(struct hsm_boot, satp) == 8 &&
                   offsetof(struct hsm_boot, cpu) == 16,
               "hsm_entry.S loads these offsets");

extern const char hsm_hart_entry[]; /* hsm_entry.S */
extern uint64_t arch_boot_hartid;   /* start.S */
void hsm_hart_main(unsigned cpu);

static struct hsm_boot boot[KERNEL_MAX_CPUS];
/* cpu 0 runs on start.S's stack; slot 0 stays unused for simpler indexing. */
static uint8_t stacks[KERNEL_MAX_CPUS][HART_STACK] __attribute__((aligned(16)));
static uint64_t hartid_of[KERNEL_MAX_CPUS];
static unsigned checked_in[KERNEL_MAX_CPUS];
/* Every started hart, the boot hart included: written before any round. */
static unsigned long hart_mask;

struct sbiret {
    long error;
    long value;
};

/* The SBI calling convention: EID in a7, FID in a6, arguments from a0; the
 * SBI implementation returns error in a0 and value in a1 and preserves every
 * other register. */
static struct sbiret sbi_call(unsigned long eid, unsigned long fid, unsigned long arg0,
                              unsigned long arg1, unsigned long arg2)
{
    register unsigned long a0 __asm__("a0") = arg0;
    register unsigned long a1 __asm__("a1") = arg1;
    register unsigned long a2 __asm__("a2") = arg2;
    register unsigned long a6 __asm__("a6") = fid;
    register unsigned long a7 __asm__("a7") = eid;
    __asm__ __volatile__(
        /* Traps to M-mode (OpenSBI) and returns to the next instruction;
         * "memory": hart_start's new hart reads what we wrote before. */
        "ecall"
        : "+r"(a0), "+r"(a1)
        : "r"(a2), "r"(a6), "r"(a7)
        : "memory");
    return (struct sbiret){(long)a0, (long)a1};
}

static void smp_fail(const char *what, uint64_t hartid, long code)
{
    kputs("\nSMP: ");
    kputs(what);
    kputs(": hart ");
    kput_u64(hartid);
    kputs(" code ");
    if (code < 0)
        arch_putc('-'); /* SBI errors are negative */
    kput_u64(code < 0 ? 0 - (uint64_t)code : (uint64_t)code);
    kputs("\nFAIL\n");
    arch_exit(EXIT_SMP);
}

static uint64_t read_satp(void)
{
    uint64_t v;
    /* The boot hart's translation root, as arch_mmu_init() set it. */
    __asm__ __volatile__("csrr %0, satp" : "=r"(v));
    return v;
}

/* The first C of a started hart: on its own stack, with the boot hart's
 * tables and the trap vector already in place (hsm_entry.S). */
void hsm_hart_main(unsigned cpu)
{
    __atomic_store_n(&checked_in[cpu], 1u, __ATOMIC_RELEASE);
    smp_secondary_main(cpu);
}

unsigned arch_start_cpus(void)
{
    uint64_t satp = read_satp();
    unsigned ncpus = 1;
    unsigned long h;
    struct sbiret r;

    /* The hartid start.S kept must be the one hart running. */
    r = sbi_call(SBI_EXT_HSM, SBI_HSM_HART_GET_STATUS, arch_boot_hartid, 0, 0);
    if (r.error != 0 || r.value != SBI_HSM_STARTED)
        smp_fail("boot hart not STARTED per HSM", arch_boot_hartid, r.error ? r.error : r.value);
    hartid_of[0] = arch_boot_hartid;
    hart_mask = 1ul << arch_boot_hartid;

    for (h = 0; h < MASK_HARTS && ncpus < KERNEL_MAX_CPUS; h++) {
        unsigned c = ncpus;
        uint64_t t0;
        if (h == arch_boot_hartid)
            continue;
        r = sbi_call(SBI_EXT_HSM, SBI_HSM_HART_GET_STATUS, h, 0, 0);
        if (r.error != 0)
            continue; /* no such hart */
        /* A hart the firmware also sent to _start is on its way back to
         * STOPPED (start.S, park): it gets the same time as a check-in. */
        t0 = arch_cycles();
        while (r.error == 0 && r.value != SBI_HSM_STOPPED && arch_cycles() - t0 <= CHECK_IN_TICKS)
            r = sbi_call(SBI_EXT_HSM, SBI_HSM_HART_GET_STATUS, h, 0, 0);
        if (r.error != 0 || r.value != SBI_HSM_STOPPED)
            smp_fail("hart not STOPPED before hart_start", h, r.value);
        boot[c].stack_top = (uint64_t)(uintptr_t)(stacks[c] + HART_STACK);
        boot[c].satp = satp;
        boot[c].cpu = c;
        hartid_of[c] = h;
        /* fence rw, rw: boot[c] and the page tables are visible to any hart
         * before the ecall that lets this one run. */
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        r = sbi_call(SBI_EXT_HSM, SBI_HSM_HART_START, h, (uintptr_t)hsm_hart_entry,
                     (uintptr_t)&boot[c]);
        if (r.error != 0)
            smp_fail("hart_start failed", h, r.error);
        t0 = arch_cycles();
        while (!__atomic_load_n(&checked_in[c], __ATOMIC_ACQUIRE))
            if (arch_cycles() - t0 > CHECK_IN_TICKS)
                smp_fail("started hart never checked in", h, 0);
        hart_mask |= 1ul << h;
        ncpus++;
    }
    return ncpus;
}

unsigned arch_cpu_id(void)
{
    unsigned long v;
    /* tp: set once per hart before any C (start.S, hsm_entry.S). */
    __asm__("mv %0, tp" : "=r"(v));
    return (unsigned)v;
}

/* One round of SBI remote_sfence_vma calls to every other started hart;
 * OpenSBI returns only after each has fenced. */
void arch_shootdown(struct lazy_mmu *m, const struct lazy_mmu_shootdown *sd)
{
    unsigned long others = hart_mask & ~(1ul << hartid_of[arch_cpu_id()]);
    if (others)
        lazy_mmu_sbi_shootdown(m, sd, others, 0);
}

void arch_send_ipi(unsigned cpu)
{
    (void)cpu;
    kernel_panic("arch_send_ipi on riscv64: the remote round is SBI RFENCE, not IPIs");
}
