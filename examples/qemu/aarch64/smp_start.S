/* examples/qemu/aarch64/smp_start.S - where PSCI CPU_ON starts a secondary,
 * and the PSCI call itself.
 *
 * A secondary comes out of CPU_ON with its MMU and caches off, at EL2 when
 * the board has EL2 (QEMU starts it at the highest non-secure EL), with x0 =
 * the context_id the boot CPU passed: its CPU index.  Until its MMU is on,
 * every data access goes straight to memory, so it reads only
 * arch_smp_boot, which the boot CPU cleaned to the point of coherency
 * (smp.c), and writes nothing.  Once the MMU is on with the boot CPU's
 * tables, memory is the same coherent cacheable memory the boot CPU uses.
 */

#define SCTLR_EL1_MMU_OFF  0x30d00818   /* as start.S */

/* struct arch_smp_boot in smp.c */
#define BOOT_MAIR   0
#define BOOT_TCR    8
#define BOOT_TTBR0  16
#define BOOT_TTBR1  24
#define BOOT_SCTLR  32
#define BOOT_SP     40

    .text
    .balign 4
    .global arch_smp_entry
arch_smp_entry:
    mov     x20, x0                     // the CPU index, kept across to_el1
    adr     x19, 1f
    b       to_el1                      // start.S: drop to EL1h, continue at 1f
1:  ldr     x0, =SCTLR_EL1_MMU_OFF      // known state whatever was left
    msr     sctlr_el1, x0
    isb                                 // MMU and caches off from here
    ldr     x1, =arch_smp_boot
    ldr     x0, [x1, #BOOT_MAIR]
    msr     mair_el1, x0
    ldr     x0, [x1, #BOOT_TCR]
    msr     tcr_el1, x0
    ldr     x0, [x1, #BOOT_TTBR0]
    msr     ttbr0_el1, x0
    ldr     x0, [x1, #BOOT_TTBR1]
    msr     ttbr1_el1, x0
    ldr     x21, [x1, #BOOT_SP]         // this CPU's stack top, read while it is in memory
    tlbi    vmalle1                     // no entry from reset survives on this PE
    ic      iallu                       // nor stale instructions once the I-cache is on
    dsb     nsh                         // both invalidations complete on this PE
    isb                                 // MAIR/TCR/TTBR writes take effect before SCTLR's
    ldr     x0, [x1, #BOOT_SCTLR]
    msr     sctlr_el1, x0
    isb                                 // later instructions translated with the MMU on (identity map)
    ldr     x0, =arch_vectors
    msr     vbar_el1, x0
    isb                                 // a fault from here on uses the shared vectors
    mov     sp, x21
    mov     x0, x20
    bl      arch_smp_secondary          // smp.c: checks in, runs smp_secondary_main
    mov     w0, #4                      // it never returns
    bl      arch_exit
2:  wfe
    b       2b

/* int64_t arch_psci_call(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3,
 *                        bool smc)
 * SMC Calling Convention: function id and arguments in x0-x3, result in
 * x0; x4-x17 may be clobbered by the callee, which the AAPCS64 lets a
 * called function clobber anyway. */
    .global arch_psci_call
arch_psci_call:
    cbnz    w4, 1f
    hvc     #0                          // to the PSCI implementation at EL2 (QEMU's, without EL2)
    ret
1:  smc     #0                          // to the PSCI implementation at EL3 (QEMU's, with EL2)
    ret

    .section .note.GNU-stack, "", %progbits
