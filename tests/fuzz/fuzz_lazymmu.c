/* tests/fuzz/fuzz_lazymmu.c - libFuzzer target: any valid use of one backend,
 * checked against an eager reference model (fuzz_model.h).
 *
 * Built once per configuration by `make fuzz` (mk/reliability.mk):
 *   clang -fsanitize=fuzzer,address,undefined $(DEFS_<config>) ...
 *
 * The input is decoded, byte by byte, into operations on one simulated CPU
 * (arch/<backend>/sim.h): enter, leave, flush, pause, resume (always LIFO: misuse
 * has its own tests), runs of set_pte (map, remap, protect, unmap, in several
 * orders), changes behind the library's back (lazy_mmu_sim_poke) followed by
 * invalidate_page / _range / _all, accesses, and a simulated interrupt: a
 * second context attached to the same simulated MMU that updates its own
 * pages, eagerly or in a section of its own, between two operations of the
 * first.  tests/fuzz/make-corpus.sh documents the encoding.
 *
 * Checked (fuzz_model.h):
 *  - after every operation: lazy_mmu_get_pte() == model on both contexts, no
 *    simulator rule broken, lazy_mmu_is_active() as the sequence implies;
 *  - at every visibility point of the main context (leave, flush, pause,
 *    resume, any call while not active): every page translates to its model
 *    entry and nothing is stale;
 *  - after each eager call of the handler, and its leave: its pages are in
 *    effect at once;
 *  - inside a section an access returns an entry the page has held since the
 *    last visibility point (or, aarch64 break-before-make, a fault);
 *  - at the end (open sections closed innermost first): memory == model.
 * A mismatch prints what went wrong and the operations so far, then traps.
 *
 * Decode an input: LAZYMMU_FUZZ_TRACE=1 build/fuzz/fuzz-<config> FILE
 */
#include "fuzz_model.h"

#define PTE_V ((lazy_mmu_pte_t)1)
#define PTE_W ((lazy_mmu_pte_t)1 << 1)
#define PTE_G ((lazy_mmu_pte_t)1 << 8) /* x86 global; an attribute bit elsewhere */
#define MAX_DEPTH 24
#define MAX_OPS 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static uint64_t next_frame, next_pool;

/* The section stack, as the sequence built it. */
static struct {
    lazy_mmu_state_t s;
    bool pause;
} stack[MAX_DEPTH];
static unsigned depth;

/* ---- the operations, decoded, for the report ---- */
enum op_code {
    OP_ENTER, OP_LEAVE, OP_RESUME, OP_FLUSH, OP_PAUSE, OP_SET_RUN, OP_SET_ONE,
    OP_POKE_INVAL_PAGE, OP_POKE_INVAL_RANGE, OP_POKE_INVAL_BIG, OP_POKE_INVAL_ALL,
    OP_ACCESS, OP_IRQ, OP_CLOSE_ALL
};
struct op {
    enum op_code code;
    unsigned a, b, c, d;
};
static struct op ops[MAX_OPS];
static unsigned nops;

static const char *kind_name(unsigned f)
{
    static const char *const k[4] = {"map", "protect", "remap", "unmap"};
    return k[f & 3];
}

/* "map, global bit, pooled frames" and the like. */
static const char *change_name(unsigned f)
{
    static char buf[64];
    snprintf(buf, sizeof buf, "%s%s%s", kind_name(f), (f & 7) > 3 && (f & 3) != 3 ? ", global bit" : "",
             f & 8 ? ((f & 3) == 3 ? ", keep frame bits" : (f & 3) == 1 ? "" : ", pooled frame") : "");
    return buf;
}

static const char *order_name(unsigned f)
{
    static const char *const o[4] = {"ascending", "descending", "every other page", "each page twice"};
    return o[(f >> 4) & 3];
}

static void describe(FILE *f, const struct op *o)
{
    switch (o->code) {
    case OP_ENTER: fprintf(f, "enter"); break;
    case OP_LEAVE: fprintf(f, "leave"); break;
    case OP_RESUME: fprintf(f, "resume"); break;
    case OP_FLUSH: fprintf(f, "flush"); break;
    case OP_PAUSE: fprintf(f, "pause"); break;
    case OP_CLOSE_ALL: fprintf(f, "(end of input: close every open section, innermost first)"); break;
    case OP_SET_RUN:
        fprintf(f, "set_pte run: pages %u..%u %s: %s", o->a, o->a + o->b - 1, order_name(o->c),
                change_name(o->c));
        break;
    case OP_SET_ONE:
        fprintf(f, "set_pte: page %u: %s", o->a, change_name(o->c));
        break;
    case OP_POKE_INVAL_PAGE:
        fprintf(f, "poke page %u (%s), invalidate_page", o->a, change_name(o->c));
        break;
    case OP_POKE_INVAL_RANGE:
        if (o->b)
            fprintf(f, "poke pages %u..%u (%s), invalidate_range(VA(%u) + %#x, VA(%u) - %#x)",
                    o->a, o->a + o->b - 1, change_name(o->c), o->a, (o->d & 15) << 7, o->a + o->b,
                    (o->d >> 4) << 7);
        else
            fprintf(f, "invalidate_range(VA(%u) + %#x, the same): empty", o->a, (o->d & 15) << 7);
        break;
    case OP_POKE_INVAL_BIG:
        fprintf(f, "poke pages %u..%u (%s), invalidate_range(VA(%u), VA(%u))", o->a,
                o->a + o->b - 1 < NS ? o->a + o->b - 1 : NS - 1, change_name(o->c), o->a, o->a + o->b);
        break;
    case OP_POKE_INVAL_ALL:
        fprintf(f, "poke page %u (%s), invalidate_all", o->a, change_name(o->c));
        break;
    case OP_ACCESS: fprintf(f, "access pages %u..%u", o->a, o->a + o->b - 1); break;
    case OP_IRQ:
        fprintf(f, "interrupt: %u updates of handler pages from %u (%s), the first: %s", o->b,
                NS + o->a % NI, o->d ? "in its own section" : "eager", change_name(o->c & 0xf));
        break;
    }
}

static void dump_ops(void)
{
    unsigned i;
    fprintf(stderr, "operations (%u):\n", nops);
    for (i = 0; i < nops; i++) {
        fprintf(stderr, "  %3u: ", i);
        describe(stderr, &ops[i]);
        fputc('\n', stderr);
    }
}

/* ---- input ---- */

static const uint8_t *in;
static size_t in_len, in_pos;

static unsigned byte(void)
{
    return in_pos < in_len ? in[in_pos++] : 0;
}

/* The entry a change of kind f makes of old. */
static lazy_mmu_pte_t new_entry(lazy_mmu_pte_t old, unsigned f)
{
    lazy_mmu_pte_t g = (f & 4) ? PTE_G : 0;
    switch (f & 3) {
    case 0: /* map */
    case 2: /* remap: another frame (or one of four shared ones) */
        return ((f & 8) ? ((0x10 + (next_pool++ & 3)) << 12) : (next_frame++ << 12)) | PTE_V |
               PTE_W | g;
    case 1: /* protect: same frame, other permissions */
        return old ^ PTE_W ^ g;
    default: /* unmap (optionally keeping the frame bits, as a swap entry would) */
        return (f & 8) ? (old & ~PTE_V) : 0;
    }
}

static void set_page(struct lazy_mmu *ctx, unsigned p, unsigned f)
{
    lazy_mmu_pte_t pte = new_entry(model[p], f);
    lazy_mmu_set_pte(ctx, &sim.pt[p], pte, VA(p));
    model[p] = pte;
    touched[p] = true;
    hist_add(p, pte);
}

/* A change by other means: not to an entry the library was asked to change
 * in the same batch (that would be two writers of one entry). */
static void poke_page(unsigned p, unsigned f)
{
    lazy_mmu_pte_t pte;
    if (p >= NS || touched[p])
        return;
    pte = new_entry(model[p], f);
    if (poke_breaks_bbm(p, pte))
        return;
    lazy_mmu_sim_poke(&sim, VA(p), pte);
    model[p] = pte;
    hist_add(p, pte);
}

static void record(enum op_code code, unsigned a, unsigned b, unsigned c, unsigned d)
{
    struct op *o = &ops[nops++];
    o->code = code;
    o->a = a;
    o->b = b;
    o->c = c;
    o->d = d;
    if (trace) {
        fprintf(stderr, "  %3u: ", nops - 1);
        describe(stderr, o);
        fputc('\n', stderr);
    }
}

static void close_innermost(void)
{
    if (!depth)
        return;
    depth--;
    if (stack[depth].pause) {
        record(OP_RESUME, 0, 0, 0, 0);
        lazy_mmu_resume(&m, stack[depth].s);
        npause--;
        after("resume");
    } else {
        record(OP_LEAVE, 0, 0, 0, 0);
        lazy_mmu_leave(&m, stack[depth].s);
        nenter--;
        check_visible("leave");
    }
}

/* The interrupt: the handler runs on the same CPU with its own context and
 * touches only its own pages (NS..NP-1). */
static void interrupt(unsigned first, unsigned n, unsigned f, unsigned own_section)
{
    lazy_mmu_state_t s = {0};
    unsigned k;

    if (own_section)
        s = lazy_mmu_enter(&irq);
    for (k = 0; k < n; k++) {
        unsigned p = NS + (first + k * (f >> 4 | 1)) % NI;
        unsigned kind = k ? byte() : f;
        if ((kind & 0xc0) == 0xc0 && !own_section) {
            /* a change by other means, then the handler's invalidation */
            lazy_mmu_pte_t pte = new_entry(model[p], kind);
            if (!poke_breaks_bbm(p, pte)) {
                lazy_mmu_sim_poke(&sim, VA(p), pte);
                model[p] = pte;
            }
            lazy_mmu_invalidate_page(&irq, VA(p));
        } else {
            set_page(&irq, p, kind & 0xf);
        }
        if (!own_section)
            check_irq_page(p, "interrupt handler, eager call");
        else if (sim.violation)
            fail("interrupt handler section: simulator: %s", sim.violation);
    }
    if (own_section) {
        lazy_mmu_leave(&irq, s);
        for (k = NS; k < NP; k++)
            check_irq_page(k, "interrupt handler, after its leave");
    }
}

static void run_one(void)
{
    unsigned code = byte() % 16, a, b, c, d, p;

    switch (code) {
    case 0: /* enter */
        if (depth == MAX_DEPTH)
            return;
        record(OP_ENTER, 0, 0, 0, 0);
        stack[depth].s = lazy_mmu_enter(&m);
        stack[depth++].pause = false;
        nenter++;
        after("enter");
        return;
    case 1: /* leave or resume, whichever the innermost needs */
        close_innermost();
        return;
    case 2:
        record(OP_FLUSH, 0, 0, 0, 0);
        lazy_mmu_flush(&m);
        check_visible("flush");
        return;
    case 3:
        if (depth == MAX_DEPTH)
            return;
        record(OP_PAUSE, 0, 0, 0, 0);
        stack[depth].s = lazy_mmu_pause(&m);
        stack[depth++].pause = true;
        npause++;
        check_visible("pause");
        return;
    case 4:
    case 5:
    case 6: { /* a run of set_pte */
        unsigned i, step, twice;
        a = byte() % NS;
        b = 1 + byte() % (NS - a);
        c = byte();
        record(OP_SET_RUN, a, b, c, 0);
        step = ((c >> 4) & 3) == 2 ? 2 : 1;
        twice = ((c >> 4) & 3) == 3;
        for (i = 0; i < b; i += step) {
            p = ((c >> 4) & 3) == 1 ? a + b - 1 - i : a + i;
            set_page(&m, p, c & 0xf);
            if (twice)
                set_page(&m, p, (c & 0xf) ^ 2);
        }
        after("set_pte run");
        return;
    }
    case 7:
        a = byte() % NS;
        c = byte();
        record(OP_SET_ONE, a, 1, c, 0);
        set_page(&m, a, c & 0xf);
        after("set_pte");
        return;
    case 8:
        a = byte() % NS;
        c = byte();
        record(OP_POKE_INVAL_PAGE, a, 1, c, 0);
        poke_page(a, c);
        lazy_mmu_invalidate_page(&m, VA(a));
        after("invalidate_page");
        return;
    case 9: { /* bytes [VA(a) + off, VA(a + b) - off2), off + off2 < page: pages a..a+b-1 */
        uintptr_t s, e;
        a = byte() % NS;
        b = byte() % 9;
        c = byte();
        d = byte();
        if (a + b > NS)
            b = NS - a;
        record(OP_POKE_INVAL_RANGE, a, b, c, d);
        for (p = a; p < a + b; p++)
            poke_page(p, c);
        s = VA(a) + ((uintptr_t)(d & 15) << 7);
        e = b ? VA(a + b) - ((uintptr_t)(d >> 4) << 7) : s;
        lazy_mmu_invalidate_range(&m, s, e);
        after("invalidate_range");
        return;
    }
    case 10: /* a large range: thresholds, pages beyond the window */
        a = byte() % NS;
        b = byte();
        b = 1 + ((b << 8 | byte()) % 1024);
        c = byte();
        record(OP_POKE_INVAL_BIG, a, b, c, 0);
        for (p = a; p < a + b && p < NS; p++)
            poke_page(p, c);
        lazy_mmu_invalidate_range(&m, VA(a), VA(a + b));
        after("invalidate_range (large)");
        return;
    case 11:
        a = byte() % NS;
        c = byte();
        record(OP_POKE_INVAL_ALL, a, 1, c, 0);
        poke_page(a, c);
        lazy_mmu_invalidate_all(&m);
        after("invalidate_all");
        return;
    case 12:
    case 13: { /* accesses, checked against the page's entries since the last visibility point */
        unsigned i;
        a = byte() % NS;
        b = 1 + byte() % 8;
        if (a + b > NS)
            b = NS - a;
        record(OP_ACCESS, a, b, 0, 0);
        for (i = 0; i < b; i++) {
            lazy_mmu_pte_t got = lazy_mmu_sim_access(&sim, VA(a + i));
            bool ok = lazy_mmu_is_active(&m) ? hist_has(a + i, got) || (IS_AARCH64 && got == 0)
                                             : got == expect(model[a + i]);
            if (!ok)
                fail("access: page %u translates to %#llx, which it has not held since the last "
                     "visibility point (model %#llx)",
                     a + i, (unsigned long long)got, (unsigned long long)model[a + i]);
        }
        after("access");
        return;
    }
    case 14:
    case 15:
        a = byte();
        b = 1 + byte() % 6;
        c = byte();
        d = byte() & 1;
        record(OP_IRQ, a, b, c, d);
        interrupt(a % NI, b, c, d);
        after("after the interrupt");
        return;
    default:
        return;
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *t = getenv("LAZYMMU_FUZZ_TRACE");
    (void)argc;
    (void)argv;
    trace = t && *t && *t != '0';
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned p;

    in = data;
    in_len = size;
    in_pos = 0;
    nops = 0;
    depth = nenter = npause = 0;
    next_frame = 0x100;
    next_pool = 0;
    lazy_mmu_sim_init(&sim, BASE, NP);
    lazy_mmu_sim_set_cpus(&sim, FUZZ_CPUS);
    lazy_mmu_init(&m);
    lazy_mmu_sim_attach(&m, &sim);
    lazy_mmu_init(&irq);
    lazy_mmu_sim_attach(&irq, &sim);
    for (p = 1; p < FUZZ_CPUS; p++) {
        lazy_mmu_init(&rx[p]);
        lazy_mmu_sim_attach_cpu(&rx[p], &sim, p);
    }
    /* Boot: the first half of each part mapped and cached, the rest empty. */
    for (p = 0; p < NP; p++) {
        model[p] = (p % NS < NS / 2 && p < NS) || (p >= NS && p < NS + NI / 2)
                       ? (next_frame++ << 12) | PTE_V | PTE_W
                       : 0;
        lazy_mmu_sim_poke(&sim, VA(p), model[p]);
    }
    if (trace)
        fprintf(stderr, "lazymmu fuzz (%s): %zu bytes\n", FUZZ_CONFIG, size);
    check_visible("boot");

    while (in_pos < in_len && nops < MAX_OPS - 2 * MAX_DEPTH - 1)
        run_one();
    record(OP_CLOSE_ALL, 0, 0, 0, 0);
    while (depth)
        close_innermost();
    check_visible("end");
    for (p = 0; p < NP; p++)
        if (sim.pt[p] != model[p])
            fail("end: pt[%u] = %#llx, model %#llx", p, (unsigned long long)sim.pt[p],
                 (unsigned long long)model[p]);
    return 0;
}
