/* examples/qemu/aarch64/start.S - entry: get to EL1, stack, BSS, vectors.
 *
 * QEMU's virt board enters at EL1 by default, at EL2 with virtualization=on
 * and at EL3 with secure=on; the kernel only runs at EL1, so the higher
 * levels configure just what EL1 needs and drop.  Interrupts stay masked
 * throughout: nothing here takes one.
 */

#define SPSR_EL1H_MASKED   0x3c5          /* D,A,I,F masked; return to EL1 using SP_EL1 */
#define HCR_EL2_RW         (1 << 31)      /* EL1 is AArch64 */
#define SCR_EL3_VALUE      0x431          /* RW (EL2/EL1 AArch64), RES1 bits 5:4, NS */
/* SCTLR_EL1 with the MMU and caches off: RES1 bits of Armv8.0 (29,28,23,22,
 * 20,11) plus SA and SA0, so a misaligned SP traps instead of corrupting. */
#define SCTLR_EL1_MMU_OFF  0x30d00818

    .section .text.boot, "ax"
    .global _start
_start:
    adr     x19, at_el1                 // where to_el1 continues
    b       to_el1

/* to_el1: continue at x19 in EL1h with D,A,I,F masked, from whatever EL
 * this CPU entered at.  Clobbers x0 only.  Shared with the secondaries'
 * entry (smp_start.S), which PSCI CPU_ON starts at EL2 when EL2 exists. */
    .global to_el1
to_el1:
    mrs     x0, CurrentEL               // EL in bits [3:2]
    ubfx    x0, x0, #2, #2
    cmp     x0, #3
    b.eq    from_el3
    cmp     x0, #2
    b.eq    from_el2
    br      x19                         // already at EL1

from_el3:
    mrs     x0, id_aa64pfr0_el1         // EL2 field, bits [11:8]: 0 = no EL2
    ubfx    x0, x0, #8, #4
    cbz     x0, 1f
    mov     x0, #HCR_EL2_RW             // EL2 registers exist: EL1 must be AArch64
    msr     hcr_el2, x0
    msr     cntvoff_el2, xzr            // CNTVCT_EL0 == physical count, not an UNKNOWN offset
1:  ldr     x0, =SCR_EL3_VALUE          // EL1 runs Non-secure, AArch64
    msr     scr_el3, x0
    mov     x0, #SPSR_EL1H_MASKED
    msr     spsr_el3, x0
    msr     elr_el3, x19
    eret                                // to EL1h at x19, with the state above

from_el2:
    mov     x0, #HCR_EL2_RW             // EL1 is AArch64, no stage 2, no traps to EL2
    msr     hcr_el2, x0
    mrs     x0, cnthctl_el2
    orr     x0, x0, #3                  // EL1PCTEN, EL1PCEN: counters not trapped to EL2
    msr     cnthctl_el2, x0
    msr     cntvoff_el2, xzr            // CNTVCT_EL0 == physical count
    mov     x0, #SPSR_EL1H_MASKED
    msr     spsr_el2, x0
    msr     elr_el2, x19
    eret                                // to EL1h at x19

at_el1:
    ldr     x0, =SCTLR_EL1_MMU_OFF      // known state whatever firmware left
    msr     sctlr_el1, x0
    isb                                 // later instructions see it (context synchronisation)
    ldr     x0, =__stack_top
    mov     sp, x0
    ldr     x0, =__bss_start            // 16-byte aligned and sized by the linker script
    ldr     x1, =__bss_end
2:  cmp     x0, x1
    b.hs    3f
    stp     xzr, xzr, [x0], #16
    b       2b
3:  ldr     x0, =arch_vectors
    msr     vbar_el1, x0
    isb                                 // a fault from here on uses the new vectors
    bl      kernel_main
    mov     w0, #4                      // kernel_main must end through arch_exit
    bl      arch_exit
4:  wfe
    b       4b

    .section .note.GNU-stack, "", %progbits
