/* tests/compile/use.c - every public entry point, instantiated, for the
 * compile matrix in tests/compile-check.sh.  It must compile with nothing but
 * lazymmu.h and arch/, as C99, C11 and C++, hosted and freestanding. */
#if defined(LAZY_MMU_ARCH_PARAVIRT) && !defined(LAZY_MMU_SIMULATE)
#include <stddef.h>
struct lazy_mmu_paravirt_op;
#ifdef __cplusplus
extern "C"
#endif
    size_t
    embedder_hypercall(void *hv, const struct lazy_mmu_paravirt_op *ops, size_t n);
#define LAZY_MMU_PARAVIRT_COMMIT embedder_hypercall
#endif
/* USE_CHAR_PANIC: a kernel whose panic takes a plain char *, as many do. */
#ifdef USE_CHAR_PANIC
void kernel_panic(char *msg);
#define LAZY_MMU_PANIC(msg) kernel_panic(msg)
#endif
/* USE_SMP: the other CPUs' hooks, an embedder's (riscv64: SBI RFENCE). */
#ifdef USE_SMP
#include <stdint.h>
struct lazy_mmu;
struct lazy_mmu_shootdown;
#ifdef __cplusplus
extern "C" {
#endif
void embedder_shootdown(struct lazy_mmu *m, const struct lazy_mmu_shootdown *sd);
void embedder_free(uintptr_t frame);
#ifdef __cplusplus
}
#endif
#if defined(__riscv) && !defined(LAZY_MMU_SIMULATE)
#define LAZY_MMU_SHOOTDOWN(m, sd) lazy_mmu_sbi_shootdown((m), (sd), 0xeul, 0)
#else
#define LAZY_MMU_SHOOTDOWN(m, sd) embedder_shootdown((m), (sd))
#endif
#define LAZY_MMU_FREE_FRAME(m, frame) ((void)(m), embedder_free(frame))
#endif
#include "lazymmu.h"

#ifdef __cplusplus
extern "C" {
#endif
lazy_mmu_pte_t use_every_entry_point(struct lazy_mmu *m, lazy_mmu_pte_t *ptes, uintptr_t va);
#ifdef __cplusplus
}
#endif

lazy_mmu_pte_t use_every_entry_point(struct lazy_mmu *m, lazy_mmu_pte_t *ptes, uintptr_t va)
{
    lazy_mmu_state_t outer, inner, paused;
    lazy_mmu_pte_t v;

    lazy_mmu_init(m);
    outer = lazy_mmu_enter(m);
    lazy_mmu_set_pte(m, &ptes[0], 0x1003, va);
    inner = lazy_mmu_enter(m);
    lazy_mmu_set_pte(m, &ptes[1], 0x2003, va + LAZY_MMU_PAGE_SIZE);
    lazy_mmu_flush(m);
    paused = lazy_mmu_pause(m);
    lazy_mmu_invalidate_page(m, va);
    lazy_mmu_resume(m, paused);
    lazy_mmu_invalidate_range(m, va, va + 4 * LAZY_MMU_PAGE_SIZE);
    lazy_mmu_leave(m, inner);
    lazy_mmu_invalidate_all(m);
    v = lazy_mmu_get_pte(m, &ptes[0]) + (lazy_mmu_is_active(m) ? 1 : 0);
    lazy_mmu_leave(m, outer);
    lazy_mmu_set_space(m, 7); /* one ASID's forms */
    lazy_mmu_set_pte(m, &ptes[2], 0x3003, va + 2 * LAZY_MMU_PAGE_SIZE);
    lazy_mmu_invalidate_all(m);
    lazy_mmu_set_space(m, LAZY_MMU_SPACE_INACTIVE);
    lazy_mmu_set_pte(m, &ptes[2], 0, va + 2 * LAZY_MMU_PAGE_SIZE);
    lazy_mmu_set_space(m, LAZY_MMU_SPACE_ALL);
    outer = lazy_mmu_enter(m); /* a table page unlinked, a new one linked */
    lazy_mmu_unlink_table(m, &ptes[8], va);
    lazy_mmu_link_table(m, &ptes[8], 0x9003, va);
    lazy_mmu_leave(m, outer);
#ifdef USE_SMP
    outer = lazy_mmu_enter(m);
    lazy_mmu_set_pte(m, &ptes[0], 0, va);
    lazy_mmu_free_frame(m, 0x1000);
    lazy_mmu_leave(m, outer);
#endif
#if defined(USE_SMP) && !defined(LAZY_MMU_ARCH_PARAVIRT)
    {
        static const uint16_t one = 1;
        struct lazy_mmu_shootdown sd;
        sd.first = &va;
        sd.pages = &one;
        sd.nranges = sd.npages = 1;
        sd.flags = LAZY_MMU_SHOOTDOWN_SPACE;
        sd.space = 7;
        lazy_mmu_shootdown_apply(m, &sd);
    }
#endif
#if LAZY_MMU_STATS
    v += lazy_mmu_get_stats(m)->updates;
    lazy_mmu_reset_stats(m);
#endif
    return v;
}
