/* examples/qemu/aarch64/vectors.S - exception vectors and the two probes.
 *
 * Every exception saves the interrupted registers in a frame on the stack
 * and calls arch_exception(vector, frame) in arch.c.  That either moves the
 * frame's ELR from a probe's access to the probe's fixup (a translation or
 * permission fault the scenarios asked for) and returns, or reports the
 * exception and exits QEMU; it never returns for anything else.
 */

#define FRAME_SIZE 272      /* x0-x30, ELR, SPSR: 33 * 8, rounded to 16 */

    .text

/* Each of the 16 slots is 0x80 bytes; the table must be 2 KiB aligned
 * (VBAR_EL1 bits [10:0] are RES0). */
.macro vector index
    .balign 0x80
    sub     sp, sp, #FRAME_SIZE
    stp     x0, x1, [sp, #0]
    mov     x0, #\index
    b       exception_common
.endm

    .balign 0x800
    .global arch_vectors
arch_vectors:
    vector 0    /* current EL, SP_EL0: synchronous */
    vector 1    /*                     IRQ */
    vector 2    /*                     FIQ */
    vector 3    /*                     SError */
    vector 4    /* current EL, SP_ELx: synchronous (the probes' faults) */
    vector 5
    vector 6
    vector 7
    vector 8    /* lower EL, AArch64 */
    vector 9
    vector 10
    vector 11
    vector 12   /* lower EL, AArch32 */
    vector 13
    vector 14
    vector 15

exception_common:
    stp     x2, x3, [sp, #16]
    stp     x4, x5, [sp, #32]
    stp     x6, x7, [sp, #48]
    stp     x8, x9, [sp, #64]
    stp     x10, x11, [sp, #80]
    stp     x12, x13, [sp, #96]
    stp     x14, x15, [sp, #112]
    stp     x16, x17, [sp, #128]
    stp     x18, x19, [sp, #144]
    stp     x20, x21, [sp, #160]
    stp     x22, x23, [sp, #176]
    stp     x24, x25, [sp, #192]
    stp     x26, x27, [sp, #208]
    stp     x28, x29, [sp, #224]
    mrs     x1, elr_el1
    mrs     x2, spsr_el1
    stp     x30, x1, [sp, #240]
    str     x2, [sp, #256]
    mov     x1, sp
    bl      arch_exception              // returns only to resume a probe
    ldp     x30, x1, [sp, #240]
    ldr     x2, [sp, #256]
    msr     elr_el1, x1                 // resume address chosen by arch_exception
    msr     spsr_el1, x2
    ldp     x0, x1, [sp, #0]
    ldp     x2, x3, [sp, #16]
    ldp     x4, x5, [sp, #32]
    ldp     x6, x7, [sp, #48]
    ldp     x8, x9, [sp, #64]
    ldp     x10, x11, [sp, #80]
    ldp     x12, x13, [sp, #96]
    ldp     x14, x15, [sp, #112]
    ldp     x16, x17, [sp, #128]
    ldp     x18, x19, [sp, #144]
    ldp     x20, x21, [sp, #160]
    ldp     x22, x23, [sp, #176]
    ldp     x24, x25, [sp, #192]
    ldp     x26, x27, [sp, #208]
    ldp     x28, x29, [sp, #224]
    add     sp, sp, #FRAME_SIZE
    eret                                // context synchronising: resumes with ELR/SPSR above

/* bool arch_probe_read(uintptr_t va, uint64_t *value)
 * The load at arch_probe_read_insn is the only instruction whose data abort
 * arch_exception turns into a return of false (from arch_probe_read_fixup);
 * *value is written only when the load succeeded. */
    .balign 4
    .global arch_probe_read, arch_probe_read_insn, arch_probe_read_fixup
arch_probe_read:
arch_probe_read_insn:
    ldr     x2, [x0]
    str     x2, [x1]
    mov     w0, #1
    ret
arch_probe_read_fixup:
    mov     w0, #0
    ret

/* bool arch_probe_write(uintptr_t va, uint64_t value) */
    .global arch_probe_write, arch_probe_write_insn, arch_probe_write_fixup
arch_probe_write:
arch_probe_write_insn:
    str     x1, [x0]
    mov     w0, #1
    ret
arch_probe_write_fixup:
    mov     w0, #0
    ret

    .section .note.GNU-stack, "", %progbits
