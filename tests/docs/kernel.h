/* tests/docs/kernel.h - the kernel that the C examples in README.md and docs/
 * are written against, included before each example that names no other
 * prelude (tests/docs-snippets.sh).  Every name here stands for whatever your
 * kernel calls it; only the declarations exist, since the examples are
 * compiled, not linked.  It deliberately does not include lazymmu.h: the
 * examples do, after their own configuration macros. */
#ifndef DOCS_KERNEL_H
#define DOCS_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NR_CPUS 64

/* Page-table entry bits, x86_64 style (the examples only OR them in). */
#define PTE_PRESENT ((uint64_t)1 << 0)
#define PTE_WRITABLE ((uint64_t)1 << 1)
#define PTE_NX ((uint64_t)1 << 63)
#define PTE_KERNEL_RW (PTE_PRESENT | PTE_WRITABLE | PTE_NX)
#define PTE_KERNEL_RO (PTE_PRESENT | PTE_NX)

unsigned this_cpu(void);      /* the running CPU's index, < NR_CPUS */
unsigned nr_cpus_online(void);
void preempt_disable(void);   /* no preemption (hence no migration) until... */
void preempt_enable(void);
bool in_interrupt(void);      /* running a hardware interrupt handler */
_Noreturn void panic(const char *fmt, ...);
void kprintf(const char *fmt, ...);

/* The leaf entry that maps va in the kernel's page tables, or NULL when a
 * table on the way is missing; pte_slot_alloc() allocates the missing tables
 * (it takes a lock and may map the new table pages itself). */
uint64_t *pte_slot(uintptr_t va);
uint64_t *pte_slot_alloc(uintptr_t va);

#define PTE_ADDR_MASK ((uint64_t)0x000ffffffffff000ull)

/* SMP: the CPUs that have the current address space loaded (a bit per CPU;
 * NR_CPUS <= 64 here), an IPI to a set of them, the vector lazymmu's
 * shootdown uses, and the page allocator's free. */
uint64_t active_mm_cpus(void);
void send_ipi_mask(uint64_t cpus, unsigned vector);
#define SHOOTDOWN_VECTOR 0xf0u
void free_page_frame(uintptr_t pa);

/* Address spaces: a process's tables and its ASID (PCID on x86), whether
 * some CPU has them loaded now, and the leaf entry for va in them. */
struct mm {
    uint16_t asid;
    uint64_t *pgd;
};
bool mm_loaded_anywhere(const struct mm *mm);
uint64_t *mm_pte_slot(struct mm *mm, uintptr_t va);

/* The entry one level up (a PMD: the 2 MiB region from va), a fresh zeroed
 * table page, the physical address of a table page, and the entry bits of a
 * pointer to one and of a 2 MiB block. */
uint64_t *pmd_slot(uintptr_t va);
uint64_t *alloc_table_page(void);
uintptr_t table_pa(const uint64_t *table);
#define PMD_TABLE (PTE_PRESENT | PTE_WRITABLE)
#define PMD_HUGE ((uint64_t)1 << 7)
#define PMD_SIZE ((uintptr_t)1 << 21)

#endif
