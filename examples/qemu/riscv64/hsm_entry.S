/* examples/qemu/riscv64/hsm_entry.S - where a hart started by SBI HSM
 * hart_start (hsm.c) begins.
 *
 * The SBI spec's entry state: S-mode, satp = 0 (MMU off), sstatus.SIE = 0,
 * a0 = hartid, a1 = the opaque argument - here the physical address of this
 * hart's struct hsm_boot (hsm.c), which is also its virtual address since
 * RAM is identity-mapped.  Every other register is undefined: sp, tp and
 * stvec are all set here before any C runs.  gp is left alone: kernel.ld
 * defines no __global_pointer$, so the linker never relaxes an access to
 * gp-relative and no code reads gp (start.S does not set it either).
 */
    .text
    .balign 4                       /* start_addr: any 4-aligned address (no C) */
    .globl hsm_hart_entry
hsm_hart_entry:
    ld      sp, 0(a1)               /* hsm_boot.stack_top: this hart's own stack */
    ld      tp, 16(a1)              /* hsm_boot.cpu: arch_cpu_id() reads tp */
    ld      t0, 8(a1)               /* hsm_boot.satp: the boot hart's root table */

    /* Probe faults and anything unexpected land in the shared handler, which
     * runs on the interrupted (this hart's) stack. */
    la      t1, trap_entry          /* PC-relative: right with the MMU off or on */
    csrw    stvec, t1               /* Direct mode: trap_entry is 4-aligned */

    /* The boot hart wrote the tables before its hart_start ecall (with a
     * fence rw, rw in between, hsm.c), and SBI wakes this hart after it. */
    sfence.vma zero, zero           /* orders this hart's reads before its first walk */
    csrw    satp, t0                /* Sv39 on, same tables: PC and sp stay identity-mapped */
    sfence.vma zero, zero           /* no ASIDs: nothing from before the satp write survives */

    mv      a0, tp                  /* hsm_hart_main(cpu) */
    call    hsm_hart_main           /* checks in, then smp_secondary_main(cpu): never returns */
1:  wfi                             /* only if it did: park this hart, interrupts are off */
    j       1b
