/* examples/qemu/x86_64/trampoline.S - an AP from its SIPI to C, and the
 * SMP interrupt entries.
 *
 * x86_trampoline..x86_trampoline_end is copied to TRAMPOLINE_PA by smp.c;
 * a STARTUP IPI with vector TRAMPOLINE_PA >> 12 starts the AP there in real
 * mode.  It goes to 32-bit protected mode on its own flat GDT, then to long
 * mode the way entry.S took the boot CPU there (SDM vol. 3A, 10.8.5 /
 * 9.8.5 "Initializing IA-32e Mode"), but straight onto the boot CPU's own
 * page tables (CR3), its CR0 and EFER, and its GDT; CR4 in full once in
 * 64-bit mode.  Everything after the copy's own bytes is an absolute kernel
 * address: the image is identity-mapped and below 4 GiB.
 */
#include "smp.h"

#define CR0_PE (1 << 0)
#define CR4_PAE (1 << 5)
#define EFER_MSR 0xc0000080

/* entry.S's GDT */
#define SEL_CODE64 0x08
#define SEL_DATA 0x10
/* the trampoline's own GDT */
#define TSEL_CODE32 0x08
#define TSEL_DATA32 0x10

/* Where a trampoline label is once copied. */
#define T(sym) (TRAMPOLINE_PA + ((sym) - x86_trampoline))

    .text
    .code16
    .balign 16
    .globl x86_trampoline, x86_trampoline_alive, x86_trampoline_end
x86_trampoline:
    cli                             /* no IDT until 64-bit mode: stay masked */
    cld                             /* the ABI's direction flag */
    xorw %ax, %ax
    movw %ax, %ds                   /* DS base 0: T() is a linear address */
    movb $1, T(x86_trampoline_alive) /* smp.c: this AP took a STARTUP */
    lgdtl T(tramp_gdt_ptr)          /* o32: the full 32-bit base is loaded */
    movl %cr0, %eax
    orl $CR0_PE, %eax
    movl %eax, %cr0                 /* protected mode; CS is reloaded next */
    ljmpl $TSEL_CODE32, $T(tramp32) /* CS = flat 32-bit code */

    .code32
tramp32:
    movw $TSEL_DATA32, %ax
    movw %ax, %ds                   /* flat: kernel data by absolute address */
    movw %ax, %es
    movw %ax, %ss
    /* The SDM's order, as in entry.S: PAE, CR3, EFER.LME, then CR0.PG. */
    movl $CR4_PAE, %eax
    movl %eax, %cr4                 /* PAE only: other CR4 bits wait for 64-bit mode */
    movl x86_ap_boot + AP_BOOT_CR3, %eax
    movl %eax, %cr3                 /* the boot CPU's PML4 (below 4 GiB) */
    movl $EFER_MSR, %ecx
    movl x86_ap_boot + AP_BOOT_EFER, %eax
    movl x86_ap_boot + AP_BOOT_EFER + 4, %edx
    wrmsr                           /* the boot CPU's EFER: LME (+ NXE...) */
    movl x86_ap_boot + AP_BOOT_CR0, %eax
    movl %eax, %cr0                 /* PG (+ WP...): IA-32e mode active */
    lgdt gdt_ptr                    /* entry.S's GDT; the cached CS stays valid */
    ljmp $SEL_CODE64, $x86_ap_start64 /* CS.L = 1: 64-bit mode from here */

    .balign 8
tramp_gdt:
    .quad 0                         /* the null descriptor */
    .quad 0x00cf9a000000ffff        /* 0x08: code, 32-bit, flat */
    .quad 0x00cf92000000ffff        /* 0x10: data, writable, flat */
tramp_gdt_ptr:
    .word tramp_gdt_ptr - tramp_gdt - 1
    .long T(tramp_gdt)
x86_trampoline_alive:
    .byte 0
x86_trampoline_end:

    .code64
x86_ap_start64:
    movw $SEL_DATA, %ax
    movw %ax, %ds                   /* data segments: base 0 in 64-bit mode */
    movw %ax, %es
    movw %ax, %ss
    movw %ax, %fs
    movw %ax, %gs
    movq x86_ap_boot + AP_BOOT_CR4(%rip), %rax
    movq %rax, %cr4                 /* every CR4 bit the boot CPU runs with */
    movq x86_ap_boot + AP_BOOT_STACK(%rip), %rsp /* this AP's own, 16-byte aligned */
    call x86_ap_main                /* does not return */
1:  cli
    hlt
    jmp 1b

/* The shootdown IPI: only the registers a C call may clobber are saved.
 * The CPU aligned RSP to 16 before its 5-word frame; 5 + 9 words keep the
 * call 16-byte aligned. */
    .balign 16
    .globl x86_ipi_entry
x86_ipi_entry:
    pushq %rax
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    cld                             /* the ABI's direction flag */
    call x86_ipi_interrupt          /* smp_ipi_receive, then EOI */
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rax
    iretq                           /* back to what the IPI interrupted */

/* A spurious LAPIC interrupt sets no ISR bit, so it takes no EOI (SDM vol.
 * 3A, "Spurious Interrupt"). */
    .balign 16
    .globl x86_spurious_entry
x86_spurious_entry:
    iretq                           /* nothing to acknowledge */

    .section .note.GNU-stack, "", @progbits
