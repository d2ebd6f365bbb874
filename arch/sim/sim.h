/* arch/sim/sim.h - the simulated MMU of the selected backend, for code that
 * includes it by this name.
 * SPDX-License-Identifier: MIT
 *
 * arch/select.h names the backend's own sim.h directly: that backend's
 * facts and instructions over the shared arch/sim/model.h.
 */
#ifndef LAZY_MMU_SIM_H
#define LAZY_MMU_SIM_H

#if defined(LAZY_MMU_ARCH_X86_64)
#include "../x86_64/sim.h"
#elif defined(LAZY_MMU_ARCH_AARCH64)
#include "../aarch64/sim.h"
#elif defined(LAZY_MMU_ARCH_RISCV64)
#include "../riscv64/sim.h"
#elif defined(LAZY_MMU_ARCH_PARAVIRT)
#include "../paravirt/sim.h"
#else
#include LAZY_MMU__ARCH_SIM /* a new backend's own (docs/porting.md) */
#endif

#endif
