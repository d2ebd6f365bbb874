/* tests/consume/kernel.c - what a kernel compiles against the package, each
 * way run.sh consumes it: freestanding (-ffreestanding -nostdlib), for the
 * host architecture, so the backend's real instructions are emitted (run.sh
 * looks for them in the object and checks that no outside symbol is
 * referenced).
 *
 * The build passes EXPECT_<MACRO>=<value> for what it configured through the
 * package (CMake variables, Meson options) or left alone: a configuration that
 * did not reach the compiler, or a default that the package forced, stops the
 * build here. */
#include <lazymmu/lazymmu.h>

#ifdef EXPECT_STATS
_Static_assert(LAZY_MMU_STATS == EXPECT_STATS, "LAZY_MMU_STATS is not what the build configured");
#endif
#ifdef EXPECT_DEBUG
_Static_assert(LAZY_MMU_DEBUG == EXPECT_DEBUG, "LAZY_MMU_DEBUG is not what the build configured");
#endif
#ifdef EXPECT_BATCH_MAX
_Static_assert(LAZY_MMU_BATCH_MAX == EXPECT_BATCH_MAX,
               "LAZY_MMU_BATCH_MAX is not what the build configured");
#endif
#ifdef EXPECT_SIMULATE
_Static_assert(LAZY_MMU_SIMULATE == EXPECT_SIMULATE,
               "LAZY_MMU_SIMULATE is not what the build configured");
#endif

#define KERNEL_PTE_RW ((lazy_mmu_pte_t)0x3) /* present + writable on every backend here */

static struct lazy_mmu boot_cpu_mmu;

void kernel_mmu_init(void);
void kernel_map_range(lazy_mmu_pte_t *ptes, uintptr_t va, uint64_t pa, size_t n);
lazy_mmu_pte_t kernel_remap_one(lazy_mmu_pte_t *ptep, uintptr_t va, uint64_t pa);

void kernel_mmu_init(void)
{
    lazy_mmu_init(&boot_cpu_mmu);
}

void kernel_map_range(lazy_mmu_pte_t *ptes, uintptr_t va, uint64_t pa, size_t n)
{
    struct lazy_mmu *m = &boot_cpu_mmu;
    lazy_mmu_state_t s = lazy_mmu_enter(m);
    size_t i;

    for (i = 0; i < n; i++)
        lazy_mmu_set_pte(m, &ptes[i], (pa + i * LAZY_MMU_PAGE_SIZE) | KERNEL_PTE_RW,
                         va + i * LAZY_MMU_PAGE_SIZE);
    lazy_mmu_invalidate_range(m, va, va + n * LAZY_MMU_PAGE_SIZE);
    lazy_mmu_leave(m, s);
}

lazy_mmu_pte_t kernel_remap_one(lazy_mmu_pte_t *ptep, uintptr_t va, uint64_t pa)
{
    struct lazy_mmu *m = &boot_cpu_mmu;
    lazy_mmu_state_t outer = lazy_mmu_enter(m), inner, paused;
    lazy_mmu_pte_t v;

    inner = lazy_mmu_enter(m);
    lazy_mmu_set_pte(m, ptep, pa | KERNEL_PTE_RW, va);
    lazy_mmu_flush(m);
    paused = lazy_mmu_pause(m);
    lazy_mmu_invalidate_page(m, va);
    lazy_mmu_resume(m, paused);
    lazy_mmu_leave(m, inner);
    lazy_mmu_invalidate_all(m);
    v = lazy_mmu_get_pte(m, ptep) + (lazy_mmu_is_active(m) ? 1 : 0);
    lazy_mmu_leave(m, outer);
#if LAZY_MMU_STATS
    v += lazy_mmu_get_stats(m)->updates;
    lazy_mmu_reset_stats(m);
#endif
    return v;
}
