/* tests/docs/unikernel.h - the unikernel that docs/integration.md's second
 * walk-through is written against (tests/docs-snippets.sh includes it where a
 * block says prelude=unikernel.h).  Declarations only: the examples are
 * compiled, not linked.  It does not include lazymmu.h: the examples do,
 * after their own configuration macros. */
#ifndef DOCS_UNIKERNEL_H
#define DOCS_UNIKERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UK_PTE_VALID ((uint64_t)1 << 0)
#define UK_PTE_WRITE ((uint64_t)1 << 1)

_Noreturn void uk_abort(const char *msg);

/* The leaf entry that maps va; the unikernel's tables cover its whole
 * address space from boot on, so this never fails. */
uint64_t *uk_pte(uintptr_t va);
/* A free physical page (the boot allocator). */
uint64_t uk_alloc_frame(void);

/* One loadable segment of the application image. */
struct uk_segment {
    uintptr_t va;  /* page-aligned */
    uint64_t pa;   /* where the loader put it */
    size_t pages;
    bool writable;
};

/* A made-up hypervisor whose page-table hypercall takes lazymmu's own op
 * format (arch/paravirt/types.h): returns how many ops it applied. */
struct hypervisor;
size_t hv_mmu_batch(struct hypervisor *hv, const void *ops, size_t n);
struct hypervisor *hv_self(void);

#endif
