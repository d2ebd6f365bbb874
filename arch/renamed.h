/* arch/renamed.h - configuration macros that lazymmu 0.1 spelt with a short
 * backend name (X86, RISCV, PV) and that now carry the backend's directory
 * name, as every other name of a backend does.  A kernel that still defines
 * the old spelling would otherwise get the default silently - its PKRU
 * handling, INVPCID or hypercall gone - so each is an error naming the new
 * one.  SPDX-License-Identifier: MIT */
#ifndef LAZY_MMU_ARCH_RENAMED_H
#define LAZY_MMU_ARCH_RENAMED_H

#if defined(LAZY_MMU_X86_GLOBAL_PAGES) || defined(LAZY_MMU_X86_INVPCID) || \
    defined(LAZY_MMU_X86_INVLPGB) || defined(LAZY_MMU_X86_PKRU) || defined(LAZY_MMU_X86_PKRU_KEY) || \
    defined(LAZY_MMU_X86_EPT_ALL_CONTEXT)
#error "lazymmu: LAZY_MMU_X86_<X> is now spelt LAZY_MMU_X86_64_<X> (CHANGELOG.md)"
#endif
#if defined(LAZY_MMU_RISCV_SVINVAL) || defined(LAZY_MMU_RISCV_SVVPTC)
#error "lazymmu: LAZY_MMU_RISCV_<X> is now spelt LAZY_MMU_RISCV64_<X> (CHANGELOG.md)"
#endif
#if defined(LAZY_MMU_PV_COMMIT) || defined(LAZY_MMU_PV_ERROR) || defined(LAZY_MMU_PV_QUEUE_MAX) || \
    defined(LAZY_MMU_PV_VALID)
#error "lazymmu: LAZY_MMU_PV_<X> is now spelt LAZY_MMU_PARAVIRT_<X> (CHANGELOG.md)"
#endif

#endif
