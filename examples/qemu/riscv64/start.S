/* examples/qemu/riscv64/start.S - entry, trap vector and the fault probes.
 *
 * OpenSBI (-bios default) enters here in S-mode at 0x80200000 with the MMU
 * off, a0 = hartid, a1 = dtb, on one hart only: with -smp N the others wait
 * in OpenSBI until SBI HSM hart_start (hsm.c, SMP kernels), so there is no
 * hart parking here.  The boot hart is OpenSBI's lottery winner, not always
 * hart 0: its hartid is kept for hsm.c.  Interrupts stay off (sstatus.SIE
 * is 0 on entry and nothing sets it): the only traps are synchronous.
 */
    .section .text.boot, "ax"
    .globl _start
_start:
    /* One hart only, whatever the firmware does: OpenSBI v1.1 under QEMU 7.2
     * on a loaded host was seen entering here on a second hart (the banner
     * twice, then that hart's hartid in arch_boot_hartid and its .bss loop
     * over the first one's statics).  The first hart in keeps the kernel;
     * any other touches nothing and goes back to HSM STOPPED, where hsm.c's
     * hart_start expects it.  AMOSWAP.W.AQ: one winner, atomically. */
    la      t0, boot_claimed
    li      t1, 1
    amoswap.w.aq t1, t1, (t0)
    bnez    t1, park
    la      t0, arch_boot_hartid    /* PC-relative: right with the MMU off */
    sd      a0, 0(t0)               /* in .data: the .bss loop below leaves it */
    li      tp, 0                   /* cpu index 0 (arch_cpu_id): the boot hart */
    la      sp, __stack_top         /* kernel_main runs on our own stack, not SBI's */

    /* The C code relies on zeroed statics (page tables start all-invalid). */
    la      t0, __bss_start
    la      t1, __bss_end
1:  bgeu    t0, t1, 2f
    sd      zero, 0(t0)             /* the linker script keeps both ends 8-aligned */
    addi    t0, t0, 8
    j       1b
2:
    /* Any fault from here on is reported, not silently resumed by OpenSBI. */
    la      t0, trap_entry
    csrw    stvec, t0               /* Direct mode: bit 0..1 = 0, entry is 4-aligned */

    call    kernel_main
    /* kernel_main ends in arch_exit(); coming back is itself a failure. */
    li      a0, 5
    call    arch_exit
3:  wfi
    j       3b

/* A hart that lost the claim: SBI HSM hart_stop (EID 0x48534D, FID 1) puts
 * it back in STOPPED; it returns only if the firmware refused. */
park:
    li      a7, 0x48534D
    li      a6, 1
    ecall
4:  wfi
    j       4b

/* Saves every register so the C handler may run anywhere, including in the
 * middle of a probe, whose fixup returns through the caller's ra.  Every
 * trap comes from S-mode code running on its hart's own stack (this file's
 * for the boot hart, hsm.c's for the others), so the frame goes on the
 * interrupted stack and no sscratch swap is needed; the handler's state is
 * all in per-hart CSRs (scause, sepc, stval). */
    .text
    .balign 4
    .globl trap_entry
trap_entry:
    addi    sp, sp, -256            /* on the interrupted hart's own stack */
    sd      x1, 8(sp)
    sd      x3, 24(sp)
    sd      x4, 32(sp)
    sd      x5, 40(sp)
    sd      x6, 48(sp)
    sd      x7, 56(sp)
    sd      x8, 64(sp)
    sd      x9, 72(sp)
    sd      x10, 80(sp)
    sd      x11, 88(sp)
    sd      x12, 96(sp)
    sd      x13, 104(sp)
    sd      x14, 112(sp)
    sd      x15, 120(sp)
    sd      x16, 128(sp)
    sd      x17, 136(sp)
    sd      x18, 144(sp)
    sd      x19, 152(sp)
    sd      x20, 160(sp)
    sd      x21, 168(sp)
    sd      x22, 176(sp)
    sd      x23, 184(sp)
    sd      x24, 192(sp)
    sd      x25, 200(sp)
    sd      x26, 208(sp)
    sd      x27, 216(sp)
    sd      x28, 224(sp)
    sd      x29, 232(sp)
    sd      x30, 240(sp)
    sd      x31, 248(sp)
    mv      a0, sp
    call    arch_trap               /* resumes at a fixup (sepc rewritten) or exits */
    ld      x1, 8(sp)
    ld      x3, 24(sp)
    ld      x4, 32(sp)
    ld      x5, 40(sp)
    ld      x6, 48(sp)
    ld      x7, 56(sp)
    ld      x8, 64(sp)
    ld      x9, 72(sp)
    ld      x10, 80(sp)
    ld      x11, 88(sp)
    ld      x12, 96(sp)
    ld      x13, 104(sp)
    ld      x14, 112(sp)
    ld      x15, 120(sp)
    ld      x16, 128(sp)
    ld      x17, 136(sp)
    ld      x18, 144(sp)
    ld      x19, 152(sp)
    ld      x20, 160(sp)
    ld      x21, 168(sp)
    ld      x22, 176(sp)
    ld      x23, 184(sp)
    ld      x24, 192(sp)
    ld      x25, 200(sp)
    ld      x26, 208(sp)
    ld      x27, 216(sp)
    ld      x28, 224(sp)
    ld      x29, 232(sp)
    ld      x30, 240(sp)
    ld      x31, 248(sp)
    addi    sp, sp, 256
    sret                            /* back to sepc, still S-mode (sstatus.SPP = 1) */

/* bool arch_probe_read(uintptr_t va, uint64_t *value)
 * The handler recognises a fault by its sepc being exactly probe_load or
 * probe_store, so each probe has one faulting instruction and the labels
 * are exported to arch.c.  A leaf with no stack frame: the fixup only has
 * to return. */
    .globl arch_probe_read
    .globl probe_load
    .globl probe_load_fixup
arch_probe_read:
probe_load:
    ld      t0, 0(a0)               /* the access under test: may page-fault */
    sd      t0, 0(a1)
    li      a0, 1
    ret
probe_load_fixup:
    li      a0, 0                   /* faulted: *value left untouched */
    ret

/* bool arch_probe_write(uintptr_t va, uint64_t value) */
    .globl arch_probe_write
    .globl probe_store
    .globl probe_store_fixup
arch_probe_write:
probe_store:
    sd      a1, 0(a0)               /* the access under test: may page-fault */
    li      a0, 1
    ret
probe_store_fixup:
    li      a0, 0
    ret

    .data
    .balign 8
    .globl arch_boot_hartid
arch_boot_hartid:
    .dword  0
boot_claimed:
    .word   0

    .section .bss.stack, "aw", @nobits
    .balign 16
__stack_bottom:
    .skip   16384
    .globl __stack_top
__stack_top:
