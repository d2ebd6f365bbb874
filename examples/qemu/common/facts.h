/* examples/qemu/common/facts.h - the words every facts kernel
 * (<arch>/facts.c, kernel-facts.elf) is written in; common/facts.c is the
 * code behind them.
 *
 * A facts kernel changes window entries around the library, leaves out one
 * step of the maintenance at a time and reads the page again: FACT lines
 * say what QEMU showed, never a failure.  Where QEMU shows nothing, the
 * library's counters are held against the policy's promise: CHECK lines,
 * a mismatch fails the run.  Each <arch>/facts.c keeps only its
 * instructions and its experiments.
 */
#ifndef FACTS_H
#define FACTS_H

#include "kernel.h"

/* The context every experiment and count check runs the library on. */
extern struct lazy_mmu mmu;
/* Checks failed so far; facts_exit() turns them into the verdict. */
extern unsigned failures;

/* What a frame holds in its first word, set by facts_init(): a read that
 * returns it shows which frame the translation used. */
static inline uint64_t tag(unsigned frame)
{
    return 0xfac7000000000000ull | frame;
}

static inline uintptr_t page_va(unsigned page)
{
    return arch_window_va() + (uintptr_t)page * LAZY_MMU_PAGE_SIZE;
}

/* What a read of a window page found: frame_at() gives the frame whose tag
 * it read, or FAULT or OTHER; observe() says OLD, NEW, FAULT or OTHER.
 * Above every frame number, and consecutive: seen() indexes its words. */
#define OLD 0xfffffffcu   /* old_frame's tag: the stale translation */
#define NEW 0xfffffffdu   /* new_frame's tag: the change is visible */
#define OTHER 0xfffffffeu /* no frame's tag */
#define FAULT 0xffffffffu /* a translation fault */
unsigned frame_at(unsigned page);
unsigned observe(unsigned page, unsigned old_frame, unsigned new_frame);
/* Every window entry invalid, by raw stores, and the model says so; the
 * caller then drops what the TLB cached with its own full flush. */
void clear_window(void);
/* Pages [lo, lo + n) read, so that each has a translation cached that a
 * skipped invalidation would leave stale. */
void touch(unsigned lo, unsigned n);
/* OLD, NEW, FAULT or OTHER in words, for a FACT line. */
const char *seen(unsigned outcome);

/* Around the library: a plain store, no barrier, no invalidation, nothing
 * counted - behind the TLB's back. */
static inline void raw_store(unsigned page, lazy_mmu_pte_t pte)
{
    *(volatile lazy_mmu_pte_t *)arch_window_ptep(page) = pte;
}

static inline void raw_map(unsigned page, unsigned frame, bool rw)
{
    raw_store(page, arch_make_pte(arch_frame_pa(frame), rw));
}

/* What each window page must read once the library has published what
 * map() and unmap() gave it: a frame, or FAULT. */
extern unsigned model[KERNEL_WINDOW_PAGES];

/* Through the library, or around it in a negative control
 * (kernel_set_pte): inline, so that each kernel's build decides. */
static inline void map(unsigned page, unsigned frame, bool rw)
{
    kernel_set_pte(&mmu, arch_window_ptep(page), arch_make_pte(arch_frame_pa(frame), rw),
                   page_va(page));
    model[page] = frame;
}

static inline void unmap(unsigned page)
{
    kernel_set_pte(&mmu, arch_window_ptep(page), 0, page_va(page));
    model[page] = FAULT;
}

/* Pages [0, n) mapped to frames frame_base.. / unmapped, in one section. */
static inline void lazy_map(unsigned n, unsigned frame_base, bool rw)
{
    lazy_mmu_state_t s = lazy_mmu_enter(&mmu);
    unsigned i;
    for (i = 0; i < n; i++)
        map(i, frame_base + i, rw);
    lazy_mmu_leave(&mmu, s);
}

static inline void lazy_unmap(unsigned n)
{
    lazy_mmu_state_t s = lazy_mmu_enter(&mmu);
    unsigned i;
    for (i = 0; i < n; i++)
        unmap(i);
    lazy_mmu_leave(&mmu, s);
}

/* "FACT name: " and the strings after it, one line. */
void fact_line(const char *name, ...);
#define fact(...) fact_line(__VA_ARGS__, (const char *)0)

/* Counters a case must end with: kput_stats' five, in its order. */
struct expect {
    uint64_t page_invals, full_invals, barriers, bbm, publishes;
};

/* One CHECK line, in the one form every facts kernel prints and check.sh
 * reads: "CHECK PASS <what>" or "CHECK FAIL <what>", a failure counted.
 * The caller ends the line: "\n", or ": <got>" and, after a FAIL,
 * " want <what was owed>". */
bool check_line(const char *what, bool ok);

/* lazy_mmu_get_stats(&mmu), counted since the last lazy_mmu_reset_stats,
 * against want: "CHECK PASS|FAIL <what> n=<n>: <counters>", and after a
 * FAIL " want <counters>". */
void check_counts(const char *what, unsigned n, struct expect want);

/* Pages [lo, lo + cnt) against the model (and, read_only, against a write,
 * which a stale writable entry would let through), then check_counts: the
 * counts are worth checking only if the pages are also right.  The pages
 * are tried first, before any output can change what the TLB holds; a
 * wrong one adds "CHECK FAIL read after <what> n=<n>: page <p> ...". */
void check_pages(const char *what, unsigned n, struct expect want, unsigned lo, unsigned cnt,
                 bool read_only);

/* Pages [0, 8) remapped to frames 100.., four in an outer section and four
 * in an inner one: the inner leave must publish all eight (sections nest,
 * every leave is a visibility point), the outer one nothing more.  check
 * runs after each leave, with the same want. */
static inline void nested_remap(void (*check)(const char *what, unsigned n, struct expect want),
                                struct expect want)
{
    lazy_mmu_state_t s1 = lazy_mmu_enter(&mmu), s2;
    unsigned i;
    for (i = 0; i < 4; i++)
        map(i, 100 + i, true);
    s2 = lazy_mmu_enter(&mmu);
    for (i = 4; i < 8; i++)
        map(i, 100 + i, true);
    lazy_mmu_leave(&mmu, s2);
    check("nested remap, after inner leave", 8, want);
    lazy_mmu_leave(&mmu, s1);
    check("nested remap, after outer leave", 8, want);
}

/* Tags every frame, turns the MMU on and readies mmu. */
void facts_init(void);
/* "PASS|FAIL <arch> facts: <failures> check(s) failed", and the exit
 * status that goes with it. */
void facts_exit(void);

#endif
