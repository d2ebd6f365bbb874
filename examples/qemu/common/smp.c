/* examples/qemu/common/smp.c - every CPU sees each visibility point.
 *
 * kernel-smp*.elf link this file instead of scenarios.c.  The boot CPU
 * changes window pages in lazy sections (remap, protect, unmap, map) and
 * eagerly; every other CPU reads those pages all the time, so its TLB holds
 * the old translations while a section runs.  After each leave has
 * returned, each other CPU makes one checking pass - every page read, and
 * written back where it read - and the boot CPU compares what it saw with
 * the model: a stale translation on any CPU is a FAIL line.
 *
 * The remote half is the library's: each visibility point that invalidated
 * something calls LAZY_MMU_SHOOTDOWN (kernel.h) once, which runs
 * arch_shootdown: IPIs whose handler applies the description
 * (smp_ipi_round / smp_ipi_receive), or SBI RFENCE.  aarch64's TLBI ...IS
 * reach every CPU, and its hook is never called.  Each section must cost
 * exactly one remote round where there is a hook (zero on aarch64), an
 * eager run one per page: checked from kernel_remote_rounds.
 *
 * Negative controls, each of which must FAIL with a stale read on a CPU
 * other than the boot one:
 *   KERNEL_SMP_NO_HOOK  the hook does nothing (kernel_remote stays NULL)
 *   KERNEL_SMP_EARLY    the remote round is sent before the changes and
 *                       their local publish, by hand, and not after
 *   (aarch64 builds its control with LAZY_MMU_AARCH64_NONSHAREABLE: local
 *   TLBIs only, for mappings no other CPU uses - which these are not.)
 */
#include "kernel.h"

#define SMP_PAGES 256u /* past every hook backend's threshold (x86 33, riscv 64) */
#define NONE 0xffffffffu

static struct lazy_mmu mmu;                      /* the boot CPU's sections */
static struct lazy_mmu irq_mmu[KERNEL_MAX_CPUS]; /* each CPU's receiving context */
static unsigned ncpus = 1;
static unsigned model_frame[SMP_PAGES];
static bool model_rw[SMP_PAGES];
static unsigned failures;

/* Boot CPU -> readers: the generation to check.  Readers -> boot CPU: the
 * generation each last checked, and its warm passes. */
static volatile unsigned check_gen;
static volatile unsigned done_gen[KERNEL_MAX_CPUS];
static volatile unsigned long warm_passes[KERNEL_MAX_CPUS];
/* What each reader's checking pass saw: the first word, or NONE for a fault;
 * and whether writing it back went through. */
static uint64_t seen[KERNEL_MAX_CPUS][SMP_PAGES];
static bool wrote[KERNEL_MAX_CPUS][SMP_PAGES];

/* The IPI mailbox: one round at a time (the boot CPU's). */
static const struct lazy_mmu_shootdown *volatile ipi_request;
static volatile unsigned ipi_acks;

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELEASE)

static uintptr_t page_va(unsigned i)
{
    return arch_window_va() + (uintptr_t)i * LAZY_MMU_PAGE_SIZE;
}

static unsigned frame_a(unsigned i)
{
    return i;
}

static unsigned frame_b(unsigned i)
{
    return i + SMP_PAGES;
}

/* ---- the remote round by IPIs ---- */

void smp_ipi_round(struct lazy_mmu *m, const struct lazy_mmu_shootdown *sd)
{
    unsigned c, self = arch_cpu_id();
    (void)m;
    STORE(ipi_acks, 0u);
    STORE(ipi_request, sd);
    for (c = 0; c < ncpus; c++)
        if (c != self)
            arch_send_ipi(c);
    while (LOAD(ipi_acks) != ncpus - 1)
        continue;
    STORE(ipi_request, (const struct lazy_mmu_shootdown *)NULL);
}

void smp_ipi_receive(void)
{
    const struct lazy_mmu_shootdown *sd = LOAD(ipi_request);
    if (sd == NULL)
        return; /* a stray one: nothing asked */
    lazy_mmu_shootdown_apply(&irq_mmu[arch_cpu_id()], sd);
    __atomic_fetch_add(&ipi_acks, 1u, __ATOMIC_RELEASE);
}

/* ---- the readers ---- */

static void warm_pass(unsigned cpu)
{
    unsigned i;
    uint64_t v;
    for (i = 0; i < SMP_PAGES; i++)
        (void)arch_probe_read(page_va(i), &v);
    STORE(warm_passes[cpu], warm_passes[cpu] + 1);
}

/* Writes back what it read through the same translation: a stale writable
 * one changes no frame.  No section runs while a checking pass does. */
static void check_pass(unsigned cpu)
{
    unsigned i;
    for (i = 0; i < SMP_PAGES; i++) {
        uint64_t v = 0;
        bool ok = arch_probe_read(page_va(i), &v);
        seen[cpu][i] = ok ? v : NONE;
        wrote[cpu][i] = ok && arch_probe_write(page_va(i), v);
    }
}

void smp_secondary_main(unsigned cpu)
{
    lazy_mmu_init(&irq_mmu[cpu]);
    for (;;) {
        unsigned g = LOAD(check_gen);
        if (g != done_gen[cpu]) {
            check_pass(cpu);
            STORE(done_gen[cpu], g);
        } else {
            warm_pass(cpu);
        }
    }
}

/* Every reader has cached the current translations: a warm pass begun
 * after this call has ended. */
static void readers_warm(void)
{
    unsigned c;
    unsigned long start[KERNEL_MAX_CPUS];
    for (c = 1; c < ncpus; c++)
        start[c] = LOAD(warm_passes[c]);
    for (c = 1; c < ncpus; c++)
        while (LOAD(warm_passes[c]) < start[c] + 2)
            continue;
}

static const char *step_name;
static unsigned step_n;

static void report(unsigned cpu, unsigned page, const char *what, uint64_t got, uint64_t want)
{
    kputs("  smp ");
    kputs(step_name);
    kputs(" n=");
    kput_u64(step_n);
    kputs(" cpu ");
    kput_u64(cpu);
    kput_bad_page(page, what, got, want);
}

/* Each reader checks once, after everything the step changed is visible. */
static void readers_check(void)
{
    unsigned c, i, g = check_gen + 1, bad = 0;
    STORE(check_gen, g);
    for (c = 1; c < ncpus; c++)
        while (LOAD(done_gen[c]) != g)
            continue;
    for (c = 1; c < ncpus && !bad; c++)
        for (i = 0; i < SMP_PAGES && !bad; i++) {
            uint64_t want = model_frame[i] == NONE ? NONE : kernel_frame_pattern(model_frame[i]);
            if (seen[c][i] != want) {
                report(c, i, want == NONE ? "should fault" : "stale", seen[c][i], want);
                bad = 1;
            } else if (want != NONE && wrote[c][i] != model_rw[i]) {
                report(c, i, model_rw[i] ? "write faulted" : "write went through", wrote[c][i],
                       model_rw[i]);
                bad = 1;
            }
        }
    failures += bad;
}

/* ---- the steps ---- */

enum op { OP_MAP, OP_REMAP, OP_PROTECT, OP_UNMAP };

static void change(unsigned i, enum op op)
{
    lazy_mmu_pte_t pte = 0;
    switch (op) {
    case OP_MAP:
        model_frame[i] = frame_a(i);
        model_rw[i] = true;
        break;
    case OP_REMAP:
        model_frame[i] = model_frame[i] == frame_a(i) ? frame_b(i) : frame_a(i);
        model_rw[i] = true;
        break;
    case OP_PROTECT:
        model_rw[i] = false;
        break;
    case OP_UNMAP:
        model_frame[i] = NONE;
        break;
    }
    if (model_frame[i] != NONE)
        pte = arch_make_pte(arch_frame_pa(model_frame[i]), model_rw[i]);
    lazy_mmu_set_pte(&mmu, arch_window_ptep(i), pte, page_va(i));
}

/* The remote rounds one step must have cost: one per visibility point that
 * invalidated something where there is a hook, none where TLBIs broadcast
 * (aarch64, unless built with the non-shareable TLBIs: then it has a round). */
static void expect_rounds(unsigned long rounds, unsigned long want)
{
#if defined(__aarch64__) && !LAZY_MMU_AARCH64_NONSHAREABLE
    want = 0;
#endif
    if (rounds != want) {
        kputs("  smp ");
        kputs(step_name);
        kputs(" n=");
        kput_u64(step_n);
        kputs(": remote rounds got ");
        kput_u64(rounds);
        kputs(" want ");
        kput_u64(want);
        kputs("\n");
        failures++;
    }
}

static void step(const char *name, enum op op, unsigned n, bool lazy)
{
    unsigned i;
    unsigned long rounds;
    lazy_mmu_state_t s;

    step_name = name;
    step_n = n;
    readers_warm(); /* the old translations are in every reader's TLB */
    rounds = kernel_remote_rounds;
#if defined(KERNEL_SMP_EARLY)
    {
        /* Wrong on purpose: everything dropped remotely, then changed
         * (the library's own round goes nowhere in this build). */
        static const struct lazy_mmu_shootdown all = {.flags = LAZY_MMU_SHOOTDOWN_ALL};
        arch_shootdown(&mmu, &all);
        readers_warm();
    }
#endif
    if (lazy) {
        s = lazy_mmu_enter(&mmu);
        for (i = 0; i < n; i++)
            change(i, op);
        lazy_mmu_leave(&mmu, s);
    } else {
        for (i = 0; i < n; i++)
            change(i, op);
    }
    rounds = kernel_remote_rounds - rounds;
    /* x86 and riscv with Svvptc cache no invalid entry: mapping owes no
     * invalidation, so no round.  riscv without it owes one. */
    if (op != OP_MAP)
        expect_rounds(rounds, lazy ? 1 : n);
    readers_check();
}

/* ---- wall time: lazy against the alternatives, on every CPU ---- */
#if !defined(KERNEL_SMP_NO_HOOK) && !defined(KERNEL_SMP_EARLY)

#define TIME_REPS 5u

enum way { WAY_LAZY, WAY_PER_OP, WAY_EAGER };

/* n remaps the three ways: one section; one section per operation of 8
 * pages (Linux's flush_tlb_range at the end of each munmap/mprotect); no
 * section.  The readers keep reading; the caller checks them after. */
static uint64_t timed_remaps(unsigned n, enum way way)
{
    lazy_mmu_state_t s;
    uint64_t t0, t1;
    unsigned i;

    readers_warm();
    t0 = arch_cycles();
    for (i = 0; i < n; i++) {
        if ((way == WAY_LAZY && i == 0) || (way == WAY_PER_OP && i % 8 == 0))
            s = lazy_mmu_enter(&mmu);
        change(i, OP_REMAP);
        if ((way == WAY_LAZY && i == n - 1) || (way == WAY_PER_OP && (i % 8 == 7 || i == n - 1)))
            lazy_mmu_leave(&mmu, s);
    }
    t1 = arch_cycles();
    return t1 - t0;
}

/* SMPTIME <arch> remap n=N lazy=T perop=T eager=T rounds=L/P/E: median
 * ticks of arch_cycles over TIME_REPS, and the remote rounds of one run.
 * A debug + stats build, like the checks (bench/run.sh, part 7). */
static void time_remaps(unsigned n)
{
    uint64_t t[3][TIME_REPS];
    unsigned long rounds[3];
    unsigned w, r;

    step_name = "time";
    step_n = n;
    for (r = 0; r < TIME_REPS; r++)
        for (w = 0; w < 3; w++) {
            unsigned long before = kernel_remote_rounds;
            t[w][r] = timed_remaps(n, (enum way)w);
            rounds[w] = kernel_remote_rounds - before;
            readers_check();
        }
    kputs("SMPTIME ");
    kputs(arch_name);
    kputs(" remap n=");
    kput_u64(n);
    kputs(" lazy=");
    kput_u64(kmedian(t[WAY_LAZY], TIME_REPS));
    kputs(" perop=");
    kput_u64(kmedian(t[WAY_PER_OP], TIME_REPS));
    kputs(" eager=");
    kput_u64(kmedian(t[WAY_EAGER], TIME_REPS));
    kputs(" rounds=");
    kput_u64(rounds[WAY_LAZY]);
    kputs("/");
    kput_u64(rounds[WAY_PER_OP]);
    kputs("/");
    kput_u64(rounds[WAY_EAGER]);
    kputs("\n");
}
#endif

void kernel_main(void)
{
    static const unsigned sizes[] = {1, 8, 32, 48, 200, SMP_PAGES};
    unsigned k;

    kputs("lazymmu SMP kernel: ");
    kputs(arch_name);
#if defined(KERNEL_SMP_NO_HOOK)
    kputs(" (negative control: shootdown hook does nothing)");
#elif defined(KERNEL_SMP_EARLY)
    kputs(" (negative control: shootdown sent before the local publish)");
#endif
    kputs("\n");
    kernel_fill_frames(2 * SMP_PAGES);
    arch_mmu_init();
    lazy_mmu_init(&mmu);
    lazy_mmu_init(&irq_mmu[0]);
    for (k = 0; k < SMP_PAGES; k++)
        model_frame[k] = NONE;
    ncpus = arch_start_cpus();
    kputs("cpus: ");
    kput_u64(ncpus);
    kputs("\n");
    if (ncpus < 2) {
        kputs("FAIL: no other CPU started\n");
        arch_exit(1);
    }
#if !defined(KERNEL_SMP_NO_HOOK) && !defined(KERNEL_SMP_EARLY)
    kernel_remote = arch_shootdown;
#endif

    for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        unsigned n = sizes[k];
        step("map", OP_MAP, n, true);
        step("remap", OP_REMAP, n, true);
        step("protect", OP_PROTECT, n, true);
        step("remap-eager", OP_REMAP, n < 8 ? n : 8, false);
        step("unmap", OP_UNMAP, n, true);
    }
#if !defined(KERNEL_SMP_NO_HOOK) && !defined(KERNEL_SMP_EARLY)
    step("map", OP_MAP, 64, true);
    time_remaps(32);
    time_remaps(64);
#endif

    kputs(failures ? "FAIL" : "PASS");
    kputs(" smp ");
    kputs(arch_name);
    kputs(": ");
    kput_u64(failures);
    kputs(" step(s) failed\n");
    arch_exit(failures ? 1 : 0);
}
