/* arch/x86_64/insn.h - x86_64 backend: the instructions.
 * SPDX-License-Identifier: MIT
 *
 * Every primitive takes the context so the simulator (sim.h beside this file) can
 * stand in for this file with the same names; here it is unused.  References
 * are to the Intel SDM: volume 3A chapter 4.10 ("Caching Translation
 * Information"), 4.6.2 ("Protection Keys"), "Serializing Instructions" (9.3,
 * 10.3 in recent editions) and the volume 2 instruction pages; AMD's APM
 * volume 2, 5.5 says the same for the TLB.
 */
#ifndef LAZY_MMU_X86_64_INSN_H
#define LAZY_MMU_X86_64_INSN_H

/* The entry store is the generic one (arch/generic/insn.h), one aligned
 * 64-bit store: the page walker sees the old or the new entry, never half
 * of each.  No fence: data accesses translate after this CPU's
 * earlier stores to the entry, and every invalidation below is serializing.
 * Only an instruction fetch may walk ahead of such a store (SDM 4.10.4.3,
 * last items) - code mapped through a lazy section needs a serializing
 * instruction before it runs, which a publish provides only when a valid
 * entry was replaced.  Not-present entries are never cached (SDM 4.10.2.3,
 * 4.10.4.3), so invalid -> valid needs no invalidation at all. */

/* INVLPG: drops the TLB entries for the page containing va - global ones
 * too - and all paging-structure caches, for the current PCID (SDM 4.10.4.1,
 * vol. 2 INVLPG).  It is serializing, so the store before it is complete and
 * no access after it uses the dropped translation. */
static inline void lazy_mmu__x86_64_invlpg(struct lazy_mmu *m, uintptr_t va)
{
    (void)m;
    __asm__ __volatile__("invlpg (%0)" : : "r"(va) : "memory");
}

/* MOV to CR3 with its own value: drops every non-global TLB entry of the
 * current PCID and all paging-structure caches (SDM 4.10.4.1); serializing.
 * With CR4.PCIDE = 1 the value read has bit 63 clear, so the write does
 * invalidate. */
static inline void lazy_mmu__x86_64_flush_nonglobal(struct lazy_mmu *m)
{
    uint64_t cr3;
    (void)m;
    __asm__ __volatile__("mov %%cr3, %0" : "=r"(cr3)); /* the current root */
    __asm__ __volatile__("mov %0, %%cr3" : : "r"(cr3) : "memory"); /* reload: flush */
}

#if LAZY_MMU_X86_64_INVPCID
/* INVPCID type, {pcid, addr} (SDM 4.10.4.1, vol. 2 INVPCID): type 0 drops
 * the non-global translations of addr's page tagged pcid (and that PCID's
 * paging-structure caches), type 1 every non-global translation tagged
 * pcid, type 2 every translation of every PCID, global ones included, all
 * with the paging-structure caches.  Any PCID, loaded or not.  The
 * descriptor is 128 bits in memory: PCID in bits 11:0 (63:12 reserved,
 * zero), the address in 127:64 (unused but for type 0).  Serializing.
 * Needs CPUID.(EAX=7,ECX=0):EBX.INVPCID, else #UD. */
static inline void lazy_mmu__x86_64_invpcid(struct lazy_mmu *m, uint64_t type, uint32_t pcid,
                                         uintptr_t addr)
{
    struct {
        uint64_t pcid, addr;
    } desc;
    (void)m;
    desc.pcid = pcid;
    desc.addr = addr;
    __asm__ __volatile__("invpcid %0, %1" : : "m"(desc), "r"(type) : "memory");
}
#endif

/* Drops every TLB entry, global ones included. */
static inline void lazy_mmu__x86_64_flush_all(struct lazy_mmu *m)
{
#if LAZY_MMU_X86_64_INVPCID
    lazy_mmu__x86_64_invpcid(m, 2, 0, 0); /* all PCIDs, global entries too */
#else
    uint64_t cr4, flags;
    /* Interrupts off between reading CR4 and writing it back: a handler
     * that changed CR4 in between would see its change undone.  The push
     * is safe because kernels build with -mno-red-zone (an interrupt
     * pushes onto the current stack just the same). */
    __asm__ __volatile__("pushfq; popq %0; cli" : "=r"(flags) : : "memory"); /* save IF, mask */
    __asm__ __volatile__("mov %%cr4, %0" : "=r"(cr4));
    if (cr4 & ((uint64_t)1 << 7)) {
        /* Any MOV to CR4 that changes PGE drops all TLB entries, global ones
         * included, and all paging-structure caches (SDM 4.10.4.1); the
         * second write sets PGE again.  Both are serializing. */
        __asm__ __volatile__("mov %0, %%cr4" : : "r"(cr4 & ~((uint64_t)1 << 7)) : "memory");
        __asm__ __volatile__("mov %0, %%cr4" : : "r"(cr4) : "memory");
    } else {
        /* Without CR4.PGE no entry is global (SDM 4.10.2.4): a CR3 reload
         * drops them all. */
        lazy_mmu__x86_64_flush_nonglobal(m);
    }
    __asm__ __volatile__("pushq %0; popfq" : : "r"(flags) : "memory", "cc"); /* IF as it was */
#endif
}

#if LAZY_MMU_STAGE2
/* INVEPT type, {EPTP, 0}: type 1 (single-context) drops every guest-physical
 * and combined mapping derived from the EPT that EPTP[51:12] names, for
 * every VPID and PCID; type 2 (all-context) those of every EPTP (vol. 2
 * INVEPT; SDM 3C "Operations that Invalidate Cached Mappings").  The
 * descriptor is 128 bits in memory, bits 127:64 reserved and zero.  INVEPT
 * is serializing (SDM 3A "Serializing Instructions"), so the EPT stores
 * before it are complete and no guest access after the next VM entry uses a
 * dropped mapping.  It reports through RFLAGS: CF (VMfailInvalid) or ZF
 * (VMfailValid) set when the type is not supported (IA32_VMX_EPT_VPID_CAP)
 * or, for type 1, the EPTP would fail VM entry; SETA reads "both clear".
 * Outside VMX root operation at CPL 0 it faults (#UD / #GP). */
static inline bool lazy_mmu__x86_64_invept(struct lazy_mmu *m, uint64_t type, uint64_t eptp)
{
    struct {
        uint64_t eptp, reserved;
    } desc = {eptp, 0};
    unsigned char ok;
    (void)m;
    __asm__ __volatile__("invept %1, %2\n\t" /* invalidate; result in CF/ZF */
                         "seta %0"          /* 1 when neither VMfail flag is set */
                         : "=qm"(ok)
                         : "m"(desc), "r"(type)
                         : "memory", "cc");
    return ok != 0;
}
#endif

#if LAZY_MMU_X86_64_INVLPGB
/* AMD's broadcast invalidation, from the AMD64 Architecture Programmer's
 * Manual (APM) volume 3, instruction pages "INVLPGB" and "TLBSYNC", and
 * appendix E, CPUID Fn8000_0008.  The encodings are emitted as bytes:
 * binutils before 2.36 (and other assemblers) lack the mnemonics. */

/* CPUID Fn8000_0008: EBX[3] says INVLPGB and TLBSYNC exist, EDX[15:0] is
 * the largest count INVLPGB takes in ECX[15:0] (pages beyond the first).
 * Fn8000_0000_EAX is the largest extended leaf: below 8000_0008h there is
 * no such leaf to read.  Returns that count, or -1 without INVLPGB. */
static inline int32_t lazy_mmu__x86_64_invlpgb_max(struct lazy_mmu *m)
{
    uint32_t eax, ebx, ecx, edx;
    (void)m;
    __asm__ __volatile__("cpuid" /* largest extended leaf in EAX */
                         : "=a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx)
                         : "a"(0x80000000u), "c"(0));
    if (eax < 0x80000008u)
        return -1;
    __asm__ __volatile__("cpuid" /* Fn8000_0008: EBX features, EDX counts */
                         : "=a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx)
                         : "a"(0x80000008u), "c"(0));
    if (!(ebx & ((uint32_t)1 << 3)))
        return -1;
    return (int32_t)(edx & 0xffffu);
}

/* MFENCE: every earlier store, the page-table entries among them, is
 * globally visible before the fence completes (APM vol. 3 "MFENCE").
 * INVLPG is serializing, which drains the stores before it; INVLPGB is
 * weakly ordered instead, so a remote walk after the broadcast could
 * otherwise read an entry still in this CPU's store buffer and cache the
 * old translation again.  Once per visibility point, before its INVLPGBs. */
static inline void lazy_mmu__x86_64_mfence(struct lazy_mmu *m)
{
    (void)m;
    __asm__ __volatile__("mfence" : : : "memory");
}

/* INVLPGB (0F 01 FE): invalidates, on every logical processor, the TLB
 * entries that rAX, ECX and EDX select.  rAX[63:12] is the linear address
 * and its low bits say what to match: bit 0 the address (with ECX[15:0]
 * more pages after it, ECX[31] set: 2 MiB apart, clear: 4 KiB), bit 1 the
 * PCID in EDX[27:16], bit 2 the ASID in EDX[15:0]; bit 3 includes global
 * entries; bit 4 (final translation only) clear also drops the paging-
 * structure caches.  Without bit 0 every address matches.  An ASID in a
 * guest is replaced by the guest's own.  Asynchronous: it is complete, on
 * any CPU this one included, only once a later TLBSYNC on this CPU
 * returns. */
static inline void lazy_mmu__x86_64_invlpgb(struct lazy_mmu *m, uint64_t rax, uint32_t ecx,
                                         uint32_t edx)
{
    (void)m;
    __asm__ __volatile__(".byte 0x0f, 0x01, 0xfe" /* INVLPGB: broadcast, not yet complete */
                         :
                         : "a"(rax), "c"(ecx), "d"(edx)
                         : "memory");
}

/* TLBSYNC (0F 01 FF): returns once every INVLPGB this logical processor
 * issued before it has completed on every processor - no TLB anywhere
 * holds a translation they invalidated.  Only this CPU's INVLPGBs: the
 * sequence must not migrate in between. */
static inline void lazy_mmu__x86_64_tlbsync(struct lazy_mmu *m)
{
    (void)m;
    __asm__ __volatile__(".byte 0x0f, 0x01, 0xff" : : : "memory"); /* TLBSYNC: all complete */
}
#endif

/* RDPKRU: EAX = PKRU, EDX = 0; ECX must be 0 (else #GP) and CR4.PKE 1 (else
 * #UD) (vol. 2 RDPKRU).  Volatile: it must not be merged with a read on the
 * other side of a WRPKRU. */
static inline uint32_t lazy_mmu__x86_64_rdpkru(struct lazy_mmu *m)
{
    uint32_t eax, edx;
    (void)m;
    __asm__ __volatile__("rdpkru" : "=a"(eax), "=d"(edx) : "c"(0));
    return eax;
}

/* WRPKRU: PKRU = EAX; ECX and EDX must be 0 (else #GP), CR4.PKE 1 (else
 * #UD).  Accesses governed by PKRU do not execute, even speculatively,
 * before it completes (vol. 2 WRPKRU), so the page-table stores after it see
 * the new rights without a fence; the "memory" clobber keeps the compiler
 * from moving those stores across it.  PKRU governs user-mode addresses
 * only, and for supervisor writes only when CR0.WP = 1 (SDM 4.6.1, 4.6.2). */
static inline void lazy_mmu__x86_64_wrpkru(struct lazy_mmu *m, uint32_t pkru)
{
    (void)m;
    __asm__ __volatile__("wrpkru" : : "a"(pkru), "c"(0), "d"(0) : "memory");
}

#endif
