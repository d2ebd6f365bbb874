/* examples/qemu/common/klib.c - the little runtime every kernel here links:
 * serial output helpers over arch_putc, and the four functions a
 * freestanding compiler may still call for struct copies and loops. */
#include "kernel.h"

void kputs(const char *s)
{
    while (*s)
        arch_putc(*s++);
}

const char *kdecimal(char buf[24], uint64_t v)
{
    char *p = buf + 23;
    *p = 0;
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return p;
}

void kput_u64(uint64_t v)
{
    char buf[24];
    kputs(kdecimal(buf, v));
}

void kput_hex(uint64_t v)
{
    int i;
    kputs("0x");
    for (i = 60; i >= 0; i -= 4)
        arch_putc("0123456789abcdef"[(v >> i) & 15]);
}

void kput_stats(const struct lazy_mmu_stats *st)
{
    kputs("page_invals=");
    kput_u64(st->page_invals);
    kputs(" full_invals=");
    kput_u64(st->full_invals);
    kputs(" barriers=");
    kput_u64(st->barriers);
    kputs(" bbm=");
    kput_u64(st->bbm);
    kputs(" publishes=");
    kput_u64(st->publishes);
}

/* Every kernel's LAZY_MMU_PANIC: a misuse check that fires is a FAIL. */
void kernel_panic(const char *msg)
{
    kputs("\nPANIC: ");
    kputs(msg);
    kputs("\nFAIL\n");
    arch_exit(3);
}

uintptr_t kernel_freed[KERNEL_FREED_MAX];
unsigned kernel_nfreed;

void kernel_free_frame(struct lazy_mmu *m, uintptr_t frame)
{
    (void)m;
    if (kernel_nfreed < KERNEL_FREED_MAX)
        kernel_freed[kernel_nfreed] = frame;
    kernel_nfreed++;
}

void (*kernel_remote)(struct lazy_mmu *m, const struct lazy_mmu_shootdown *sd);
unsigned long kernel_remote_rounds;

void kernel_shootdown(struct lazy_mmu *m, const struct lazy_mmu_shootdown *sd)
{
    kernel_remote_rounds++;
    if (kernel_remote)
        kernel_remote(m, sd);
}

void kernel_fill_frames(unsigned n)
{
    unsigned f, w;
    for (f = 0; f < n; f++) {
        volatile uint64_t *p = arch_frame_alias(f);
        uint64_t pat = kernel_frame_pattern(f);
        for (w = 0; w < LAZY_MMU_PAGE_SIZE / 8; w++)
            p[w] = w == LAZY_MMU_PAGE_SIZE / 8 - 1 ? ~pat : pat;
    }
}

void kput_bad_page(unsigned page, const char *what, uint64_t got, uint64_t want)
{
    kputs(": page ");
    kput_u64(page);
    kputs(" ");
    kputs(what);
    kputs(" got ");
    kput_hex(got);
    kputs(" want ");
    kput_hex(want);
    kputs("\n");
}

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);

void *memset(void *d, int c, size_t n)
{
    unsigned char *p = (unsigned char *)d;
    while (n--)
        *p++ = (unsigned char)c;
    return d;
}

void *memmove(void *d, const void *s, size_t n)
{
    unsigned char *dp = (unsigned char *)d;
    const unsigned char *sp = (const unsigned char *)s;
    if (dp < sp) {
        while (n--)
            *dp++ = *sp++;
    } else {
        while (n--)
            dp[n] = sp[n];
    }
    return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
    return memmove(d, s, n);
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
    for (; n; n--, x++, y++)
        if (*x != *y)
            return *x < *y ? -1 : 1;
    return 0;
}

/* Sorts v[0..n) in place (insertion sort: n is a handful of repetitions)
 * and returns its median. */
uint64_t kmedian(uint64_t *v, unsigned n)
{
    unsigned i, j;
    for (i = 1; i < n; i++)
        for (j = i; j > 0 && v[j - 1] > v[j]; j--) {
            uint64_t t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    return v[n / 2];
}
