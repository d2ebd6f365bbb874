/* arch/select.h - which backend lazymmu.h builds on.
 * SPDX-License-Identifier: MIT
 *
 * The embedder defines exactly one LAZY_MMU_ARCH_* to 1, or none and lets the
 * compiler's target pick a native one.  Paravirt is never picked for you: a
 * guest knows it is one.  Each backend is four headers in arch/<name>/:
 * types.h (facts, defaults and the context fields), insn.h (the instructions),
 * sim.h (the same instructions on the simulated MMU) and policy.h (how the
 * generic layer's requests map onto them).
 *
 * Which header supplies the instructions is a seam of its own: the
 * backend's insn.h; with LAZY_MMU_SIMULATE its sim.h (the same names over
 * the shared simulated MMU, arch/sim/model.h);
 * or any header given as LAZY_MMU_INSN_HEADER (a quoted path, searched like
 * any #include), which defines the same functions under the same names - a
 * benchmark's stand-ins, a kernel's own wrappers (tracing, a hypervisor's
 * interface), a test double.
 */
#ifndef LAZY_MMU_ARCH_SELECT_H
#define LAZY_MMU_ARCH_SELECT_H

#include "renamed.h"

#if !defined(LAZY_MMU_ARCH_X86_64) && !defined(LAZY_MMU_ARCH_AARCH64) && \
    !defined(LAZY_MMU_ARCH_RISCV64) && !defined(LAZY_MMU_ARCH_PARAVIRT)
#if defined(__x86_64__)
#define LAZY_MMU_ARCH_X86_64 1
#elif defined(__aarch64__)
#define LAZY_MMU_ARCH_AARCH64 1
#elif defined(__riscv) && defined(__riscv_xlen) && __riscv_xlen == 64
#define LAZY_MMU_ARCH_RISCV64 1
#else
#error                                                                                             \
    "lazymmu: no backend for this target; define one of LAZY_MMU_ARCH_X86_64, LAZY_MMU_ARCH_AARCH64, LAZY_MMU_ARCH_RISCV64, LAZY_MMU_ARCH_PARAVIRT (with LAZY_MMU_SIMULATE on a hosted build), or add one (docs/porting.md)"
#endif
#endif

#if (defined(LAZY_MMU_ARCH_X86_64) + defined(LAZY_MMU_ARCH_AARCH64) + \
     defined(LAZY_MMU_ARCH_RISCV64) + defined(LAZY_MMU_ARCH_PARAVIRT)) != 1
#error "lazymmu: define exactly one LAZY_MMU_ARCH_* backend"
#endif

#if defined(LAZY_MMU_ARCH_X86_64)
#define LAZY_MMU__ARCH_TYPES "arch/x86_64/types.h"
#define LAZY_MMU__ARCH_INSN_OWN "arch/x86_64/insn.h"
#define LAZY_MMU__ARCH_SIM "arch/x86_64/sim.h"
#define LAZY_MMU__ARCH_POLICY "arch/x86_64/policy.h"
#elif defined(LAZY_MMU_ARCH_AARCH64)
#define LAZY_MMU__ARCH_TYPES "arch/aarch64/types.h"
#define LAZY_MMU__ARCH_INSN_OWN "arch/aarch64/insn.h"
#define LAZY_MMU__ARCH_SIM "arch/aarch64/sim.h"
#define LAZY_MMU__ARCH_POLICY "arch/aarch64/policy.h"
#elif defined(LAZY_MMU_ARCH_RISCV64)
#define LAZY_MMU__ARCH_TYPES "arch/riscv64/types.h"
#define LAZY_MMU__ARCH_INSN_OWN "arch/riscv64/insn.h"
#define LAZY_MMU__ARCH_SIM "arch/riscv64/sim.h"
#define LAZY_MMU__ARCH_POLICY "arch/riscv64/policy.h"
#else
#define LAZY_MMU__ARCH_TYPES "arch/paravirt/types.h"
#define LAZY_MMU__ARCH_INSN_OWN "arch/paravirt/insn.h"
#define LAZY_MMU__ARCH_SIM "arch/paravirt/sim.h"
#define LAZY_MMU__ARCH_POLICY "arch/paravirt/policy.h"
#endif

#if defined(LAZY_MMU_INSN_HEADER)
#define LAZY_MMU__ARCH_INSN LAZY_MMU_INSN_HEADER
#elif LAZY_MMU_SIMULATE
#define LAZY_MMU__ARCH_INSN LAZY_MMU__ARCH_SIM
#else
#define LAZY_MMU__ARCH_INSN LAZY_MMU__ARCH_INSN_OWN
#endif

#endif
