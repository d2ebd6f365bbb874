/* examples/qemu/x86_64/traps.S - exception entry stubs and the probes.
 *
 * Every exception vector (0-31) enters trap_common with the same frame:
 * fifteen saved registers, the vector, an error code (0 when the CPU pushes
 * none) and the CPU's own frame.  x86_trap() (arch.c) may change the saved
 * RIP: that is how a faulting probe resumes at its fixup.
 */

    .text
    .code64

/* Vectors whose exceptions push an error code (SDM vol. 3A, 6.15). */
.macro TRAP_NOERR vec
    .balign 16
trap\vec:
    pushq $0                        /* keep the frame shape uniform */
    pushq $\vec
    jmp trap_common
.endm
.macro TRAP_ERR vec
    .balign 16
trap\vec:
    pushq $\vec                     /* the CPU already pushed the error code */
    jmp trap_common
.endm

TRAP_NOERR 0
TRAP_NOERR 1
TRAP_NOERR 2
TRAP_NOERR 3
TRAP_NOERR 4
TRAP_NOERR 5
TRAP_NOERR 6
TRAP_NOERR 7
TRAP_ERR 8
TRAP_NOERR 9
TRAP_ERR 10
TRAP_ERR 11
TRAP_ERR 12
TRAP_ERR 13
TRAP_ERR 14
TRAP_NOERR 15
TRAP_NOERR 16
TRAP_ERR 17
TRAP_NOERR 18
TRAP_NOERR 19
TRAP_NOERR 20
TRAP_ERR 21
TRAP_NOERR 22
TRAP_NOERR 23
TRAP_NOERR 24
TRAP_NOERR 25
TRAP_NOERR 26
TRAP_NOERR 27
TRAP_NOERR 28
TRAP_ERR 29
TRAP_ERR 30
TRAP_NOERR 31

trap_common:
    pushq %rax
    pushq %rbx
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %rbp
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, %rdi                 /* struct x86_trap_frame * */
    cld                             /* the ABI's direction flag */
    /* The CPU aligned RSP to 16 before its 5-word frame (SDM vol. 3A,
     * 6.14.2); 5 + 2 + 15 words keep the call 16-byte aligned. */
    call x86_trap
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rbp
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rbx
    popq %rax
    addq $16, %rsp                  /* drop vector and error code */
    iretq                           /* resume at the (maybe changed) RIP */

    .section .rodata
    .balign 8
    .globl x86_trap_stubs
x86_trap_stubs:
    .irp vec, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    .quad trap\vec
    .endr

/* bool x86_probe_read(uintptr_t va, uint64_t *value)
 * bool x86_probe_write(uintptr_t va, uint64_t value)
 * The one access through va is the instruction at x86_probe_*_insn; a page
 * fault there resumes at x86_probe_*_fixup, which returns false. */
    .text
    .globl x86_probe_read, x86_probe_read_insn, x86_probe_read_fixup
x86_probe_read:
x86_probe_read_insn:
    movq (%rdi), %rax               /* the access that may fault */
    movq %rax, (%rsi)               /* *value: identity-mapped, cannot fault */
    movl $1, %eax
    ret
x86_probe_read_fixup:
    xorl %eax, %eax
    ret

    .globl x86_probe_write, x86_probe_write_insn, x86_probe_write_fixup
x86_probe_write:
x86_probe_write_insn:
    movq %rsi, (%rdi)               /* the access that may fault */
    movl $1, %eax
    ret
x86_probe_write_fixup:
    xorl %eax, %eax
    ret

    .section .note.GNU-stack, "", @progbits
