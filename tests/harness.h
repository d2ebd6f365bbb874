/* tests/harness.h - shared by every Check suite.
 *
 * Each tests/test_<name>.c is compiled once per backend with
 * -DLAZY_MMU_ARCH_<X> -DTEST_ARCH=<x>; it defines SUITE_FN(<name>) and
 * tests/main.c runs every (suite, backend) pair in one Check runner.
 */
#ifndef LAZYMMU_TEST_HARNESS_H
#define LAZYMMU_TEST_HARNESS_H

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Misuse tests say which message they expect; a panic with that message
 * exits with PANIC_EXPECTED, any other with PANIC_UNEXPECTED, and a panic
 * nobody expected prints and aborts like the library's hosted default.
 * A TU that defines TEST_HOSTED_PANIC before including this file keeps the
 * library's own hosted default instead, so that default can be tested too. */
#define PANIC_EXPECTED 77
#define PANIC_UNEXPECTED 78
#ifndef TEST_HOSTED_PANIC
static const char *test_expected_panic;
static void test_panic(const char *msg)
{
    fprintf(stderr, "lazymmu panic: %s\n", msg);
    if (test_expected_panic)
        _exit(strstr(msg, test_expected_panic) ? PANIC_EXPECTED : PANIC_UNEXPECTED);
    abort();
}
#define LAZY_MMU_PANIC(msg) test_panic(msg)
#endif

#ifndef LAZY_MMU_SIMULATE
#define LAZY_MMU_SIMULATE 1
#endif
/* Every test context shoots down to the other CPUs of its model (none
 * until the test gives it some: lazy_mmu_sim_set_cpus). */
#ifndef LAZY_MMU_SHOOTDOWN
struct lazy_mmu;
struct lazy_mmu_shootdown;
static void test_shootdown(struct lazy_mmu *m, const struct lazy_mmu_shootdown *sd);
#define LAZY_MMU_SHOOTDOWN(m, sd) test_shootdown((m), (sd))
#define TEST_SHOOTDOWN 1
#endif
#ifndef LAZY_MMU_STATS
#define LAZY_MMU_STATS 1
#endif
#ifndef LAZY_MMU_DEBUG
#define LAZY_MMU_DEBUG 1
#endif
#include "lazymmu.h"

#ifdef TEST_SHOOTDOWN
/* The embedder's side of a shootdown, as a kernel's IPI handlers would do
 * it: each other CPU of the model applies sd on its own receiving context.
 * sim.n keeps counting the sending CPU's instructions only; the receivers'
 * go to test_remote_n.  test_remote_rounds counts rounds and test_ipis
 * receivers; test_remote_off plays a hook that does nothing. */
#define TEST_UNUSED __attribute__((unused))
static TEST_UNUSED struct lazy_mmu test_rx[LAZY_MMU_SIM_CPUS];
static TEST_UNUSED struct lazy_mmu_sim_counts test_remote_n;
static TEST_UNUSED unsigned long test_remote_rounds, test_ipis;
static TEST_UNUSED int test_remote_off;
/* The receivers go back to reading every page of the window after the
 * round, as the CPUs of a running kernel do: an entry they drop too early
 * is cached again, old. */
static TEST_UNUSED int test_remote_reads;
#if defined(LAZY_MMU_ARCH_RISCV64)
static TEST_UNUSED int test_remote_sbi; /* the round by SBI RFENCE instead */
#endif

static TEST_UNUSED void test_shootdown(struct lazy_mmu *m, const struct lazy_mmu_shootdown *sd)
{
    struct lazy_mmu_sim *s = m->sim;
    const struct lazy_mmu_sim_counts own = s->n;
    unsigned c;
    size_t k;

    test_remote_rounds++;
#if defined(LAZY_MMU_ARCH_PARAVIRT)
    (void)sd, (void)c, (void)k, (void)own; /* the hypervisor's job: never called */
#else
    if (test_remote_off)
        return;
#if defined(LAZY_MMU_ARCH_RISCV64)
    if (test_remote_sbi) {
        /* The other harts, as a kernel would name them; the SBI call is the
         * sender's instruction, the fences the firmware's. */
        lazy_mmu_sbi_shootdown(m, sd, ((1ul << s->ncpus) - 1) & ~(1ul << m->sim_cpu), 0);
        test_ipis += s->ncpus - 1;
        return;
    }
#endif
    for (c = 0; c < s->ncpus; c++) {
        if (c == m->sim_cpu)
            continue;
        lazy_mmu_init(&test_rx[c]);
        lazy_mmu_sim_attach_cpu(&test_rx[c], s, c);
        lazy_mmu_shootdown_apply(&test_rx[c], sd);
        test_ipis++;
        for (k = 0; test_remote_reads && k < s->npages; k++)
            (void)lazy_mmu_sim_access_on(s, c, s->base + k * LAZY_MMU_PAGE_SIZE);
    }
    s->cpu = m->sim_cpu;
    /* Field by field, as unsigned longs: the struct is nothing else. */
    for (k = 0; k < sizeof own / sizeof(unsigned long); k++) {
        if (k == offsetof(struct lazy_mmu_sim_counts, violations) / sizeof(unsigned long))
            continue; /* a receiver's broken rule is the model's */
        ((unsigned long *)&test_remote_n)[k] += ((unsigned long *)&s->n)[k] - ((const unsigned long *)&own)[k];
        ((unsigned long *)&s->n)[k] = ((const unsigned long *)&own)[k];
    }
#endif
}
#endif

#define TEST_CAT3_(a, b, c) a##b##c
#define TEST_CAT3(a, b, c) TEST_CAT3_(a, b, c)
#define TEST_STR_(x) #x
#define TEST_STR(x) TEST_STR_(x)
/* The suite constructor for this backend: SUITE_FN(contract) is
 * contract_suite_x86_64 in the x86_64 build. */
#define SUITE_FN(name) TEST_CAT3(name, _suite_, TEST_ARCH)
#define TEST_ARCH_NAME TEST_STR(TEST_ARCH)

/* The simulated window every test uses: page i maps TEST_VA(i). */
#define TEST_BASE ((uintptr_t)0x40000000u)
#define TEST_VA(i) (TEST_BASE + (uintptr_t)(i) * LAZY_MMU_PAGE_SIZE)

/* A valid leaf entry for frame f on this backend (frame numbers are made up;
 * only identity matters to the simulator). */
static inline lazy_mmu_pte_t test_pte(uint64_t frame)
{
    return (frame << 12) | 1u;
}

/* The one place a test reads the library's private state.  Counts go
 * through lazy_mmu_get_stats and the simulator (tests/counts.h); what no
 * public call shows is read here, so that a change of the private layout
 * breaks one line.  Whether the batch holds anything the next visibility
 * point must issue: */
static inline bool test_batch_open(const struct lazy_mmu *m)
{
    return m->pending != 0;
}

#endif
