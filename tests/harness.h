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
#ifndef LAZY_MMU_STATS
#define LAZY_MMU_STATS 1
#endif
#ifndef LAZY_MMU_DEBUG
#define LAZY_MMU_DEBUG 1
#endif
#include "lazymmu.h"

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

#endif
