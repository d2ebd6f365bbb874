/* examples/paravirt_guest.c - a paravirtualised guest embedding lazymmu.
 * SPDX-License-Identifier: MIT
 *
 *   cc -std=c11 -Wall -Wextra -Werror -pedantic -O2 -I. examples/paravirt_guest.c -o pv-demo
 *   ./pv-demo
 *
 * A hosted stand-in for a guest kernel, using the real paravirt backend (no
 * simulator): the guest may read its page tables but not write them, so it
 * defines LAZY_MMU_PARAVIRT_COMMIT as its hypercall and lets lazymmu batch updates
 * into as few hypercalls as possible.  The "hypervisor" lives in this file:
 * it owns the page table and the guest CPU's TLB, validates every op the way
 * Xen's mmu_update does, and counts hypercalls.  The guest maps, remaps and
 * unmaps 4096 pages, first eagerly and then inside one lazy section each,
 * and checks every entry and every translation afterwards.  Exit status 0
 * means every check passed.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* ---- the guest's configuration of lazymmu ---- */

struct lazy_mmu;
struct lazy_mmu_paravirt_op;
/* In a real guest this is a hypercall instruction (vmcall, hvc, ecall) or a
 * call into the hypercall page; here it is a function of the toy hypervisor. */
static size_t hypercall_mmu_update(void *hv, const struct lazy_mmu_paravirt_op *ops, size_t n);
static void guest_mmu_update_failed(struct lazy_mmu *m, size_t index,
                                    const struct lazy_mmu_paravirt_op *op);
#define LAZY_MMU_ARCH_PARAVIRT 1
#define LAZY_MMU_PARAVIRT_COMMIT hypercall_mmu_update
#define LAZY_MMU_PARAVIRT_ERROR(m, index, op) guest_mmu_update_failed((m), (index), (op))
#include "lazymmu.h"

#define NPAGES 4096u
#define GUEST_VA(i) ((uintptr_t)0x40000000u + (uintptr_t)(i) * LAZY_MMU_PAGE_SIZE)
#define PTE_PRESENT LAZY_MMU_PARAVIRT_VALID
#define PTE_WRITABLE ((lazy_mmu_pte_t)2)
#define FIRST_FRAME 0x80000u /* the guest owns frames [FIRST_FRAME, +2 * NPAGES) */
#define FRAME_OF(pte) ((pte) >> 12)

/* ---- the toy hypervisor ---- */

static struct hypervisor {
    lazy_mmu_pte_t page_table[NPAGES]; /* the guest's leaf table */
    lazy_mmu_pte_t tlb[NPAGES];        /* the guest CPU's cached translations */
    bool tlb_valid[NPAGES];
    unsigned long hypercalls, ops;
    size_t refuse_once_at; /* refuse op k of the next call (a transient error) */
} hv = {.refuse_once_at = SIZE_MAX};

/* The guest's view of its page table: read-only.  It never stores through
 * this pointer; the paravirt backend only hands entry addresses to the
 * hypervisor, which is why a guest can use it on memory it cannot write. */
static const lazy_mmu_pte_t *const guest_pt = hv.page_table;

static size_t hv_index(uintptr_t va)
{
    return (va - GUEST_VA(0)) / LAZY_MMU_PAGE_SIZE; /* NPAGES or more: not mapped here */
}

/* What the guest CPU sees when it touches va: the cached translation if
 * there is one (so a missing invalidation shows), else a walk. */
static lazy_mmu_pte_t guest_access(uintptr_t va)
{
    size_t i = hv_index(va);

    if (!hv.tlb_valid[i] && (guest_pt[i] & PTE_PRESENT)) {
        hv.tlb[i] = guest_pt[i];
        hv.tlb_valid[i] = true;
    }
    return hv.tlb_valid[i] ? hv.tlb[i] : 0;
}

/* One op, checked as a hypervisor must: only the guest's own entries, only
 * frames the guest owns, only well-formed invalidations. */
static bool hv_apply(const struct lazy_mmu_paravirt_op *op)
{
    uint64_t cmd = op->ptr & LAZY_MMU_PARAVIRT_CMD_MASK,
             arg = op->ptr & ~(uint64_t)LAZY_MMU_PARAVIRT_CMD_MASK;
    uintptr_t base = (uintptr_t)hv.page_table;
    size_t i;

    switch (cmd) {
    case LAZY_MMU_PARAVIRT_SET:
        if (arg < base || arg - base >= sizeof hv.page_table ||
            (arg - base) % sizeof(lazy_mmu_pte_t) != 0)
            return false;
        if ((op->val & PTE_PRESENT) &&
            (FRAME_OF(op->val) < FIRST_FRAME || FRAME_OF(op->val) >= FIRST_FRAME + 2 * NPAGES))
            return false;
        hv.page_table[(arg - base) / sizeof(lazy_mmu_pte_t)] = op->val;
        return true;
    case LAZY_MMU_PARAVIRT_INVLPG:
        if (op->val == 0 || (arg & (LAZY_MMU_PAGE_SIZE - 1)))
            return false;
        for (i = 0; i < op->val; i++)
            if (hv_index((uintptr_t)arg + i * LAZY_MMU_PAGE_SIZE) < NPAGES)
                hv.tlb_valid[hv_index((uintptr_t)arg + i * LAZY_MMU_PAGE_SIZE)] = false;
        return true;
    case LAZY_MMU_PARAVIRT_INVAL_ALL:
        memset(hv.tlb_valid, 0, sizeof hv.tlb_valid);
        return true;
    default:
        return false;
    }
}

/* The hypercall: apply ops in order, stop at the first that cannot be
 * applied, return how many were. */
static size_t hypercall_mmu_update(void *ctx, const struct lazy_mmu_paravirt_op *ops, size_t n)
{
    struct hypervisor *h = ctx;
    size_t k;

    h->hypercalls++;
    for (k = 0; k < n; k++) {
        if (k == h->refuse_once_at) {
            h->refuse_once_at = SIZE_MAX;
            return k;
        }
        if (!hv_apply(&ops[k]))
            return k;
        h->ops++;
    }
    return n;
}

/* ---- the guest ---- */

static struct lazy_mmu cpu0; /* one per CPU in a real kernel */
static unsigned errors_reported;

/* A short count.  A kernel would log it, and then either panic or (for a
 * transient error) return: the unapplied updates stay queued, get_pte still
 * sees them, and the next visibility point sends them again. */
static void guest_mmu_update_failed(struct lazy_mmu *m, size_t index,
                                    const struct lazy_mmu_paravirt_op *op)
{
    (void)m;
    errors_reported++;
    printf("  hypervisor refused op %zu (ptr %#llx, val %#llx); it stays queued\n", index,
           (unsigned long long)op->ptr, (unsigned long long)op->val);
}

/* The paravirt backend never writes through the pointer it is given. */
static lazy_mmu_pte_t *entry(size_t i)
{
    return (lazy_mmu_pte_t *)(uintptr_t)&guest_pt[i];
}

enum op { MAP, REMAP, UNMAP };
static const char *const op_name[] = {"map", "remap", "unmap"};

static lazy_mmu_pte_t target(enum op o, size_t i)
{
    uint64_t frame = FIRST_FRAME + (o == REMAP ? NPAGES : 0) + i;
    return o == UNMAP ? 0 : (frame << 12) | PTE_PRESENT | PTE_WRITABLE;
}

/* Every entry as the guest reads it (through lazymmu and directly) and
 * every translation the CPU uses match what o should have produced. */
static bool verify(enum op o)
{
    size_t i;

    for (i = 0; i < NPAGES; i++) {
        lazy_mmu_pte_t want = target(o, i);
        if (lazy_mmu_get_pte(&cpu0, &guest_pt[i]) != want || guest_pt[i] != want ||
            guest_access(GUEST_VA(i)) != want) {
            printf("  %s: page %zu wrong (entry %#llx, translation %#llx, want %#llx)\n",
                   op_name[o], i, (unsigned long long)guest_pt[i],
                   (unsigned long long)guest_access(GUEST_VA(i)), (unsigned long long)want);
            return false;
        }
    }
    return true;
}

static void set_all(enum op o)
{
    size_t i;
    for (i = 0; i < NPAGES; i++)
        lazy_mmu_set_pte(&cpu0, entry(i), target(o, i), GUEST_VA(i));
}

/* Runs o on all pages, eagerly or in one lazy section, after the CPU has
 * touched every page (so that stale translations would be used), and
 * verifies the result. */
static bool run(enum op o, bool lazy, unsigned long *calls, unsigned long *ops)
{
    unsigned long calls0 = hv.hypercalls, ops0 = hv.ops;
    size_t i;

    for (i = 0; i < NPAGES; i++)
        (void)guest_access(GUEST_VA(i));
    if (lazy) {
        lazy_mmu_state_t s = lazy_mmu_enter(&cpu0);
        set_all(o);
        lazy_mmu_leave(&cpu0, s);
    } else {
        set_all(o);
    }
    *calls = hv.hypercalls - calls0;
    *ops = hv.ops - ops0;
    return verify(o);
}

/* A transient refusal in the middle of a lazy batch: the guest's hook
 * reports it, nothing is lost, and the section's leave re-sends the rest. */
static bool short_count_demo(void)
{
    lazy_mmu_state_t s = lazy_mmu_enter(&cpu0);
    unsigned long before = hv.hypercalls;
    size_t i;
    bool ok;

    printf("a short count (the hypervisor refuses op 3 of a lazy batch once):\n");
    for (i = 0; i < 8; i++)
        lazy_mmu_set_pte(&cpu0, entry(i), target(MAP, i), GUEST_VA(i));
    hv.refuse_once_at = 3;
    lazy_mmu_flush(&cpu0);
    ok = errors_reported == 1 && guest_pt[2] == target(MAP, 2) && guest_pt[3] == 0 &&
         lazy_mmu_get_pte(&cpu0, &guest_pt[3]) == target(MAP, 3);
    lazy_mmu_leave(&cpu0, s);
    for (i = 0; i < 8; i++)
        ok = ok && guest_pt[i] == target(MAP, i) && guest_access(GUEST_VA(i)) == target(MAP, i);
    printf("  8 updates, re-sent at the leave: %lu hypercalls, %s\n",
           hv.hypercalls - before, ok ? "all applied once" : "WRONG");
    return ok && hv.hypercalls - before == 2;
}

int main(void)
{
    /* Updates per call: the write queue (LAZY_MMU_PARAVIRT_QUEUE_MAX), not the
     * batch's ranges (LAZY_MMU_BATCH_MAX), whose invalidations ride along. */
    const unsigned long want_lazy =
        (NPAGES + LAZY_MMU_PARAVIRT_QUEUE_MAX - 1) / LAZY_MMU_PARAVIRT_QUEUE_MAX;
    unsigned long calls[2][3], ops[2][3];
    bool ok = true;
    int o, lazy;

    lazy_mmu_init(&cpu0);
    lazy_mmu_paravirt_set_hypervisor(&cpu0, &hv);
    /* map, remap, unmap eagerly; then the same, each in one lazy section */
    for (lazy = 0; lazy < 2; lazy++)
        for (o = MAP; o <= UNMAP; o++)
            ok = run((enum op)o, lazy, &calls[lazy][o], &ops[lazy][o]) && ok;

    printf("lazymmu paravirt guest: %u pages, LAZY_MMU_PARAVIRT_QUEUE_MAX %u\n", NPAGES,
           (unsigned)LAZY_MMU_PARAVIRT_QUEUE_MAX);
    printf("%-9s %16s %16s %12s %12s\n", "operation", "eager hypercalls", "lazy hypercalls",
           "eager ops", "lazy ops");
    for (o = MAP; o <= UNMAP; o++) {
        bool good = calls[0][o] == NPAGES && calls[1][o] == want_lazy;
        printf("%-9s %16lu %16lu %12lu %12lu  %s\n", op_name[o], calls[0][o], calls[1][o],
               ops[0][o], ops[1][o], good ? "ok" : "UNEXPECTED COUNT");
        ok = ok && good;
    }
    printf("expected: %u eager (one per update), %lu lazy (ceil(%u / %u)) per operation\n",
           NPAGES, want_lazy, NPAGES, (unsigned)LAZY_MMU_PARAVIRT_QUEUE_MAX);
    ok = short_count_demo() && ok;
    printf("%s\n", ok ? "every entry and translation verified" : "VERIFICATION FAILED");
    return ok ? 0 : 1;
}
