/* examples/qemu/x86_64/entry.S - Multiboot v1 entry: 32-bit protected mode
 * to 64-bit long mode, then x86_early_init() and kernel_main().
 *
 * The boot tables identity-map the first 1 GiB with 2 MiB pages: enough for
 * the image, its stack and the frames kernel_main() fills before
 * arch_mmu_init() installs the kernel's own tables.  References: Intel SDM
 * vol. 3A, 10.8.5 "Initializing IA-32e Mode" (9.8.5 in older editions) and
 * the Multiboot 0.6.96 specification.
 */

#define MB_MAGIC 0x1badb002
#define MB_FLAGS 0x00000003 /* bit 0: page-aligned modules, bit 1: memory map */
#define MB_BOOT_MAGIC 0x2badb002

#define CR0_PE (1 << 0)
#define CR0_PG (1 << 31)
#define CR4_PAE (1 << 5)
#define EFER_MSR 0xc0000080
#define EFER_LME (1 << 8)

#define PTE_P 0x001
#define PTE_RW 0x002
#define PTE_PS 0x080

#define SEL_CODE64 0x08
#define SEL_DATA 0x10

    .section .multiboot, "a"
    .balign 4
    /* The loader looks for this in the first 8 KiB of the file. */
    .long MB_MAGIC
    .long MB_FLAGS
    .long -(MB_MAGIC + MB_FLAGS)

    .section .text.boot32, "ax"
    .code32
    .globl start32
start32:
    cli                             /* no IDT yet: nothing may interrupt */
    cld                             /* string ops below count upwards */
    cmpl $MB_BOOT_MAGIC, %eax       /* loaded by a Multiboot loader? */
    jne halt32

    /* C expects a zeroed .bss; QEMU's loader zeroes it too, but a kernel
     * should not depend on which loader ran it. */
    movl $__bss_start, %edi
    movl $__bss_end, %ecx
    subl %edi, %ecx
    shrl $2, %ecx                   /* .bss is 8-byte aligned and sized */
    xorl %eax, %eax
    rep stosl                       /* zero ecx dwords at edi */

    movl $boot_stack_top, %esp

    /* PML4[0] -> PDPT, PDPT[0] -> PD, PD[i] -> 2 MiB page i. */
    movl $boot_pdpt + (PTE_P | PTE_RW), boot_pml4
    movl $boot_pd + (PTE_P | PTE_RW), boot_pdpt
    movl $boot_pd, %edi
    movl $(PTE_P | PTE_RW | PTE_PS), %eax
    movl $512, %ecx
1:  movl %eax, (%edi)               /* low half; the high half is 0 (.bss) */
    addl $0x200000, %eax
    addl $8, %edi
    loop 1b

    /* The order the SDM requires: PAE on, CR3 loaded, EFER.LME set, then
     * CR0.PG, which activates IA-32e mode (compatibility mode until CS is
     * a 64-bit segment). */
    movl %cr4, %eax
    orl $CR4_PAE, %eax
    movl %eax, %cr4                 /* PAE: 64-bit entries, needed by LME */
    movl $boot_pml4, %eax
    movl %eax, %cr3                 /* root of the boot tables */
    movl $EFER_MSR, %ecx
    rdmsr                           /* edx:eax = IA32_EFER */
    orl $EFER_LME, %eax
    wrmsr                           /* long mode enabled, not yet active */
    movl %cr0, %eax
    orl $(CR0_PG | CR0_PE), %eax
    movl %eax, %cr0                 /* paging on: IA-32e mode active */
    lgdt gdt_ptr                    /* flat 64-bit code and data segments */
    ljmp $SEL_CODE64, $start64      /* CS.L = 1: 64-bit mode from here */

halt32:
    hlt                             /* not Multiboot: nothing sane to do */
    jmp halt32

    .text
    .code64
start64:
    movw $SEL_DATA, %ax
    movw %ax, %ds                   /* data segments: base 0 in 64-bit mode */
    movw %ax, %es
    movw %ax, %ss
    movw %ax, %fs
    movw %ax, %gs
    movq $boot_stack_top, %rsp      /* 16-byte aligned, as the ABI wants */
    call x86_early_init             /* serial port and IDT */
    call kernel_main                /* does not return: arch_exit() */
2:  cli
    hlt
    jmp 2b

    .section .rodata
    .balign 8
gdt:
    .quad 0                         /* the null descriptor */
    .quad 0x00af9a000000ffff        /* 0x08: code, DPL 0, L = 1 (64-bit) */
    .quad 0x00cf92000000ffff        /* 0x10: data, writable, flat */
gdt_end:
    .globl gdt_ptr                  /* trampoline.S: the APs load it too */
gdt_ptr:
    .word gdt_end - gdt - 1
    .long gdt                       /* 32-bit base: the image is below 4 GiB */

    .bss
    .balign 4096
boot_pml4:
    .skip 4096
boot_pdpt:
    .skip 4096
boot_pd:
    .skip 4096
    .balign 16
boot_stack:
    .skip 65536
boot_stack_top:

    .section .note.GNU-stack, "", @progbits
