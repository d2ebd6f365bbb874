/* examples/qemu/common/facts.c - what common/facts.h promises the facts
 * kernels: reading a window page, the FACT and CHECK lines, the verdict. */
#include <stdarg.h>

#include "facts.h"

struct lazy_mmu mmu;
unsigned failures;
unsigned model[KERNEL_WINDOW_PAGES];

unsigned frame_at(unsigned page)
{
    uint64_t v = 0;
    if (!arch_probe_read(page_va(page), &v))
        return FAULT;
    if ((v & ~0xffffull) != tag(0))
        return OTHER;
    return (unsigned)(v & 0xffff);
}

unsigned observe(unsigned page, unsigned old_frame, unsigned new_frame)
{
    unsigned f = frame_at(page);
    if (f == old_frame)
        return OLD;
    if (f == new_frame)
        return NEW;
    return f == FAULT ? FAULT : OTHER;
}

void clear_window(void)
{
    unsigned i;
    for (i = 0; i < KERNEL_WINDOW_PAGES; i++) {
        raw_store(i, 0);
        model[i] = FAULT;
    }
}

void touch(unsigned lo, unsigned n)
{
    unsigned i;
    for (i = lo; i < lo + n; i++)
        (void)frame_at(i);
}

const char *seen(unsigned outcome)
{
    static const char *const text[] = {"the old translation (stale)", "the new translation",
                                       "an unexpected value", "a fault"};
    return text[outcome - OLD];
}

void fact_line(const char *name, ...)
{
    const char *s;
    va_list ap;

    kputs("FACT ");
    kputs(name);
    kputs(": ");
    va_start(ap, name);
    while ((s = va_arg(ap, const char *)) != 0)
        kputs(s);
    va_end(ap);
    kputs("\n");
}

static void put_expect(struct expect e)
{
    struct lazy_mmu_stats st = {0};

    st.page_invals = e.page_invals;
    st.full_invals = e.full_invals;
    st.barriers = e.barriers;
    st.bbm = e.bbm;
    st.publishes = e.publishes;
    kput_stats(&st);
}

bool check_line(const char *what, bool ok)
{
    kputs(ok ? "CHECK PASS " : "CHECK FAIL ");
    kputs(what);
    if (!ok)
        failures++;
    return ok;
}

void check_counts(const char *what, unsigned n, struct expect want)
{
    const struct lazy_mmu_stats *st = lazy_mmu_get_stats(&mmu);
    bool ok = st->page_invals == want.page_invals && st->full_invals == want.full_invals &&
              st->barriers == want.barriers && st->bbm == want.bbm &&
              st->publishes == want.publishes;

    check_line(what, ok);
    kputs(" n=");
    kput_u64(n);
    kputs(": ");
    kput_stats(st);
    if (!ok) {
        kputs(" want ");
        put_expect(want);
    }
    kputs("\n");
}

void check_pages(const char *what, unsigned n, struct expect want, unsigned lo, unsigned cnt,
                 bool read_only)
{
    unsigned i, bad = FAULT;

    for (i = lo; i < lo + cnt && bad == FAULT; i++)
        if (frame_at(i) != model[i] || (read_only && arch_probe_write(page_va(i), tag(model[i]))))
            bad = i;
    check_counts(what, n, want);
    if (bad != FAULT) {
        check_line("read after ", false);
        kputs(what);
        kputs(" n=");
        kput_u64(n);
        kputs(": page ");
        kput_u64(bad);
        kputs(read_only ? " does not read its frame, or takes a write\n"
                        : " does not read its frame\n");
    }
}

void facts_init(void)
{
    unsigned f;

    /* A page's first word is all that any read here looks at. */
    for (f = 0; f < KERNEL_FRAMES; f++)
        arch_frame_alias(f)[0] = tag(f);
    arch_mmu_init();
    lazy_mmu_init(&mmu);
}

void facts_exit(void)
{
    kputs(failures ? "FAIL " : "PASS ");
    kputs(arch_name);
    kputs(" facts: ");
    kput_u64(failures);
    kputs(" check(s) failed\n");
    arch_exit(failures ? 1 : 0);
}
