/* examples/qemu/x86_64/smp.h - what smp.c and trampoline.S both use. */
#ifndef X86_SMP_H
#define X86_SMP_H

/* Where the real-mode trampoline is copied: a SIPI starts an AP at
 * vector * 4 KiB (CS = vector << 8, IP = 0), so the page must be below
 * 1 MiB and page-aligned.  0x8000 is conventional RAM that neither the BIOS
 * data areas (0x400, the EBDA near 0x9fc00) nor this image (1 MiB up) use. */
#define TRAMPOLINE_PA 0x8000

/* The shootdown IPI and the LAPIC's spurious vector (low nibble 1111, as
 * P6-family APICs require). */
#define IPI_VECTOR 0xf0
#define SPURIOUS_VECTOR 0xff

/* struct x86_ap_boot (smp.c): what the boot CPU hands the AP it starts;
 * smp.c checks these offsets. */
#define AP_BOOT_CR0 0
#define AP_BOOT_CR3 8
#define AP_BOOT_CR4 16
#define AP_BOOT_EFER 24
#define AP_BOOT_STACK 32

#endif
