/* arch/paravirt/insn.h - paravirtual backend: its one instruction is the
 * embedder's hypercall.
 * SPDX-License-Identifier: MIT
 *
 * The guest cannot write its page tables or flush its TLB itself; the
 * hypervisor call that does both for an array of ops (types.h describes it)
 * is the embedder's, named by LAZY_MMU_PARAVIRT_COMMIT.
 */
#ifndef LAZY_MMU_PARAVIRT_INSN_H
#define LAZY_MMU_PARAVIRT_INSN_H

#ifndef LAZY_MMU_PARAVIRT_COMMIT
#error                                                                                             \
    "lazymmu paravirt: define LAZY_MMU_PARAVIRT_COMMIT to your hypercall (see arch/paravirt/types.h)"
#endif

#endif
