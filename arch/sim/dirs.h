/* arch/sim/dirs.h - the simulated MMU's directory level: page-table pages,
 * and block (huge) entries that map a whole table's span.  Part of the
 * model (included by arch/sim/model.h).
 * SPDX-License-Identifier: MIT
 *
 * Off until a test calls lazy_mmu_sim_use_dirs(); then every
 * LAZY_MMU_SIM_SPAN pages of the window hang from one directory entry,
 * dir[j], the entry one level up (a 2 MiB entry with 4 KiB pages), whose
 * address lazy_mmu_sim_dirp() gives.  It starts as a pointer to the table
 * page that is pt[j * SPAN ...] (LAZY_MMU_SIM_TABLE_PTE); set to a valid
 * entry that is not a pointer (LAZY_MMU_SIM_IS_TABLE false) it is a block
 * that translates the whole span; invalid, the span faults.  Unlinked, the
 * table page may be reused: whatever is then in pt[] of that span must not
 * be walked.
 *
 * Each CPU caches, per directory entry:
 *   blk[c][j]  a block translation (one TLB entry for the whole span)
 *   wc[c][j]   the pointer (a walk-cache entry: walks go straight to the
 *              table page, whatever dir[j] holds now), or with
 *              LAZY_MMU_SIM_CACHES_INVALID an invalid dir[j] (WC_NEG)
 * An invalidation by address drops the block of the span the address is in
 * and - unless it is a leaf-only form (LAZY_MMU_SIM_SEL_LEAF: riscv
 * SFENCE.VMA with an address) - the walk-cache entry; a full one drops all.
 * dir[] stores reach the walker as pt[] stores do (dir_walk[], dir_dirty[]).
 * A leaf translation cached from a table that is no longer linked is stale,
 * and so is a block or a pointer cached from an entry that changed.
 */
#ifndef LAZY_MMU_SIM_DIRS_H
#define LAZY_MMU_SIM_DIRS_H

#define LAZY_MMU__SIM_WC_PTR 1
#define LAZY_MMU__SIM_WC_NEG 2

static inline void lazy_mmu__sim_dirs_init(struct lazy_mmu_sim *s)
{
    s->dirs = false;
    memset(s->wc, 0, sizeof s->wc);
    memset(s->blk, 0, sizeof s->blk);
    memset(s->dir_dirty, 0, sizeof s->dir_dirty);
}

/* The directory level on: every span hangs from its table page, nothing of
 * it cached yet. */
static inline void lazy_mmu_sim_use_dirs(struct lazy_mmu_sim *s)
{
    size_t j;
    LAZY_MMU__CHECK(s->npages % LAZY_MMU_SIM_SPAN == 0,
                    "lazy_mmu_sim_use_dirs: the window is not a whole number of table pages");
    lazy_mmu__sim_dirs_init(s);
    s->dirs = true;
    for (j = 0; j < s->npages / LAZY_MMU_SIM_SPAN; j++)
        s->dir[j] = s->dir_walk[j] = LAZY_MMU_SIM_TABLE_PTE(j);
}

/* The directory entry above va's page. */
static inline lazy_mmu_pte_t *lazy_mmu_sim_dirp(struct lazy_mmu_sim *s, uintptr_t va)
{
    return &s->dir[((va - s->base) >> LAZY_MMU_PAGE_SHIFT) / LAZY_MMU_SIM_SPAN];
}

/* Boot-time setup of a directory entry, bypassing the library. */
static inline void lazy_mmu_sim_poke_dir(struct lazy_mmu_sim *s, uintptr_t va, lazy_mmu_pte_t pte)
{
    lazy_mmu_pte_t *d = lazy_mmu_sim_dirp(s, va);
    *d = s->dir_walk[d - s->dir] = pte;
}

static inline bool lazy_mmu__sim_is_dir(const struct lazy_mmu_sim *s, const lazy_mmu_pte_t *p)
{
    return s->dirs && p >= s->dir && p < s->dir + s->npages / LAZY_MMU_SIM_SPAN;
}

/* What sel drops of span j on CPU c. */
static inline void lazy_mmu__sim_dirs_drop(struct lazy_mmu_sim *s, unsigned c, size_t j, uint32_t sel)
{
    const bool tagged = (sel & LAZY_MMU_SIM_SEL_ANY) || s->dir_tag[c][j] == (sel & 0xffffu);
    if (s->blk[c][j] == LAZY_MMU_SIM_GLOBAL ? !(sel & LAZY_MMU_SIM_SEL_NONGLOBAL)
                                              : s->blk[c][j] && tagged)
        s->blk[c][j] = LAZY_MMU_SIM_EMPTY;
    if (s->wc[c][j] && tagged && !(sel & LAZY_MMU_SIM_SEL_LEAF))
        s->wc[c][j] = 0;
}

/* A store to dir[j]: break-before-make as for a leaf (a block's output
 * address), then the walker's view as for pt[]. */
static inline void lazy_mmu__sim_dirs_store(struct lazy_mmu_sim *s, size_t j, lazy_mmu_pte_t pte)
{
#if LAZY_MMU_SIM_CHECK_BBM
    unsigned c;
    bool live = lazy_mmu__sim_valid(pte) &&
                (lazy_mmu__sim_oa_differs(s->dir[j], pte) || lazy_mmu__sim_oa_differs(s->dir_walk[j], pte));
    for (c = 0; c < s->ncpus && c < LAZY_MMU_SIM_CPUS; c++)
        live = live || (lazy_mmu__sim_valid(pte) && s->blk[c][j] &&
                        lazy_mmu__sim_oa_differs(s->blk_tlb[c][j], pte));
    if (live)
        lazy_mmu_sim_violation(s, LAZY_MMU_SIM_NAME ": break-before-make violated (directory entry)");
#endif
    s->dir[j] = pte;
    if (!LAZY_MMU_SIM_WALKER_LAGS ||
        (LAZY_MMU_SIM_CACHES_INVALID && s->svvptc && !lazy_mmu__sim_valid(s->dir_walk[j]) &&
         lazy_mmu__sim_valid(pte))) {
        s->dir_walk[j] = pte;
        return;
    }
    if (s->dir_dirty[j] && s->dir_dirty[j] != 1 + s->cpu)
        lazy_mmu_sim_violation(s, LAZY_MMU_SIM_NAME ": two CPUs store to one entry with no barrier between");
    s->dir_dirty[j] = (unsigned char)(1 + s->cpu);
}

/* The running CPU's barrier reaches its directory stores too. */
static inline bool lazy_mmu__sim_dirs_order(struct lazy_mmu_sim *s)
{
    size_t j;
    bool any = false;
    for (j = 0; s->dirs && j < s->npages / LAZY_MMU_SIM_SPAN; j++)
        if (s->dir_dirty[j] == 1 + s->cpu) {
            s->dir_dirty[j] = 0;
            s->dir_walk[j] = s->dir[j];
            any = true;
        }
    return any;
}

/* Before the leaf TLB: a cached block of page i's span (true: *pte). */
static inline bool lazy_mmu__sim_dirs_hit(const struct lazy_mmu_sim *s, unsigned c, size_t i,
                                          lazy_mmu_pte_t *pte)
{
    const size_t j = i / LAZY_MMU_SIM_SPAN;
    if (!s->dirs || !s->blk[c][j])
        return false;
    *pte = s->blk_tlb[c][j];
    return true;
}

/* The walk's first step, through the walk cache or dir_walk[j]: true when
 * it decides the translation (*pte: a block, or 0 for a fault), false when
 * the walk goes on to the table page. */
static inline bool lazy_mmu__sim_dirs_walk(struct lazy_mmu_sim *s, unsigned c, size_t i,
                                           lazy_mmu_pte_t *pte)
{
    const size_t j = i / LAZY_MMU_SIM_SPAN;
    lazy_mmu_pte_t d;

    if (!s->dirs || s->wc[c][j] == LAZY_MMU__SIM_WC_PTR)
        return false;
    *pte = 0;
    if (s->wc[c][j] == LAZY_MMU__SIM_WC_NEG)
        return true;
    d = s->dir_walk[j];
    s->dir_tag[c][j] = s->space[i];
    if (!lazy_mmu__sim_valid(d)) {
        if (LAZY_MMU_SIM_CACHES_INVALID && !s->svvptc)
            s->wc[c][j] = LAZY_MMU__SIM_WC_NEG;
        return true;
    }
    if (LAZY_MMU_SIM_IS_TABLE(d)) {
        s->wc[c][j] = LAZY_MMU__SIM_WC_PTR;
        return false;
    }
    s->blk_tlb[c][j] = d;
    s->blk[c][j] = LAZY_MMU_SIM_IS_GLOBAL(d) ? LAZY_MMU_SIM_GLOBAL : LAZY_MMU_SIM_CACHED;
    *pte = d;
    return true;
}

/* Page i's span: 1 stale, 0 fresh so far (the leaf checks follow), 2 fresh
 * and no table below it (the leaf level does not translate). */
static inline int lazy_mmu__sim_dirs_stale(const struct lazy_mmu_sim *s, size_t i)
{
    const size_t j = i / LAZY_MMU_SIM_SPAN;
    const lazy_mmu_pte_t d = s->dir[j];
    const bool table = lazy_mmu__sim_valid(d) && LAZY_MMU_SIM_IS_TABLE(d);
    unsigned c;

    if (!s->dirs)
        return 0;
    if (s->dir_walk[j] != d && (lazy_mmu__sim_valid(s->dir_walk[j]) || lazy_mmu__sim_valid(d)))
        return 1;
    for (c = 0; c < s->ncpus && c < LAZY_MMU_SIM_CPUS; c++) {
        if (s->blk[c][j] && s->blk_tlb[c][j] != d)
            return 1;
        if ((s->wc[c][j] == LAZY_MMU__SIM_WC_PTR && !table) ||
            (s->wc[c][j] == LAZY_MMU__SIM_WC_NEG && lazy_mmu__sim_valid(d)))
            return 1;
        /* A leaf cached through a table that is no longer linked. */
        if (!table && s->tlb_state[c][i] != LAZY_MMU_SIM_EMPTY)
            return 1;
    }
    return table ? 0 : 2;
}

#endif
