/* examples/qemu/x86_64/io.h - port I/O, control registers and CPUID,
 * shared by arch.c, arch-spaces.c, facts.c and smp.c. */
#ifndef X86_IO_H
#define X86_IO_H

#include <stdint.h>

static inline void outb(uint16_t port, uint8_t v)
{
    __asm__ __volatile__("outb %0, %1" : : "a"(v), "Nd"(port)); /* I/O write */
}

static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ __volatile__("inb %1, %0" : "=a"(v) : "Nd"(port)); /* I/O read */
    return v;
}

static inline void outl(uint16_t port, uint32_t v)
{
    __asm__ __volatile__("outl %0, %1" : : "a"(v), "Nd"(port)); /* I/O write */
}

static inline uint64_t read_cr0(void)
{
    uint64_t v;
    __asm__ __volatile__("mov %%cr0, %0" : "=r"(v)); /* no side effects */
    return v;
}

static inline void write_cr0(uint64_t v)
{
    /* Serializing (SDM vol. 3A, "Serializing Instructions"): later
     * accesses see the new WP. */
    __asm__ __volatile__("mov %0, %%cr0" : : "r"(v) : "memory");
}

static inline uint64_t read_cr2(void)
{
    uint64_t v;
    __asm__ __volatile__("mov %%cr2, %0" : "=r"(v)); /* the faulting address */
    return v;
}

static inline uint64_t read_cr3(void)
{
    uint64_t v;
    __asm__ __volatile__("mov %%cr3, %0" : "=r"(v)); /* root + PCID; bit 63 reads 0 */
    return v;
}

static inline void write_cr3(uint64_t v)
{
    /* New root and PCID; serializing.  Bit 63 clear (or CR4.PCIDE off):
     * drops the new PCID's non-global translations and paging-structure
     * caches; bit 63 set (PCIDE on): keeps them (SDM vol. 3A, 4.10.4.1). */
    __asm__ __volatile__("mov %0, %%cr3" : : "r"(v) : "memory");
}

static inline uint64_t read_cr4(void)
{
    uint64_t v;
    __asm__ __volatile__("mov %%cr4, %0" : "=r"(v)); /* no side effects */
    return v;
}

static inline void write_cr4(uint64_t v)
{
    /* Serializing; setting PCIDE tags later translations with CR3[11:0]
     * (SDM vol. 3A, 4.10.1) and needs CR3[11:0] = 0 at that moment. */
    __asm__ __volatile__("mov %0, %%cr4" : : "r"(v) : "memory");
}

static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    /* Feature bits of leaf/subleaf; volatile only to keep it in place. */
    __asm__ __volatile__("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
                         : "a"(leaf), "c"(sub));
}

#endif
