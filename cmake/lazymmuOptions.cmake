# cmake/lazymmuOptions.cmake - lazymmu's configuration macros as CMake
# variables.  Used by the source tree's CMakeLists.txt (add_subdirectory) and
# installed next to lazymmuConfig.cmake (find_package), so both ways read the
# same variables the same way.
#
# Every variable is optional and empty by default; an empty one adds nothing,
# so lazymmu.h's own default applies (see the table at the top of lazymmu.h).
# Set them before add_subdirectory()/find_package(), as cache entries (-D...)
# or plain variables.  All translation units that share a context must agree
# on these macros, which is why they travel with the target.
#
#   variable                        macro                              value
#   LAZYMMU_ARCH                    LAZY_MMU_ARCH_<X>=1                x86_64, aarch64, riscv64, paravirt
#   LAZYMMU_SIMULATE                LAZY_MMU_SIMULATE                  boolean -> 1/0
#   LAZYMMU_DEBUG                   LAZY_MMU_DEBUG                     boolean -> 1/0
#   LAZYMMU_STATS                   LAZY_MMU_STATS                     boolean -> 1/0
#   LAZYMMU_PAGE_SHIFT              LAZY_MMU_PAGE_SHIFT                integer
#   LAZYMMU_BATCH_MAX               LAZY_MMU_BATCH_MAX                 integer
#   LAZYMMU_FLUSH_ALL_THRESHOLD     LAZY_MMU_FLUSH_ALL_THRESHOLD       integer
#   LAZYMMU_X86_64_GLOBAL_PAGES     LAZY_MMU_X86_64_GLOBAL_PAGES       boolean -> 1/0
#   LAZYMMU_X86_64_INVPCID          LAZY_MMU_X86_64_INVPCID            boolean -> 1/0
#   LAZYMMU_X86_64_PKRU             LAZY_MMU_X86_64_PKRU               boolean -> 1/0
#   LAZYMMU_X86_64_PKRU_KEY         LAZY_MMU_X86_64_PKRU_KEY           integer
#   LAZYMMU_RISCV64_SVVPTC          LAZY_MMU_RISCV64_SVVPTC            boolean -> 1/0
#   LAZYMMU_RISCV64_SVINVAL         LAZY_MMU_RISCV64_SVINVAL           boolean -> 1/0
#   LAZYMMU_STAGE2                  LAZY_MMU_STAGE2                    boolean -> 1/0
#   LAZYMMU_X86_64_EPT_ALL_CONTEXT  LAZY_MMU_X86_64_EPT_ALL_CONTEXT    boolean -> 1/0
#   LAZYMMU_PARAVIRT_COMMIT         LAZY_MMU_PARAVIRT_COMMIT           a C identifier (your hypercall)
#   LAZYMMU_PARAVIRT_QUEUE_MAX      LAZY_MMU_PARAVIRT_QUEUE_MAX        integer
#   LAZYMMU_INSN_HEADER             LAZY_MMU_INSN_HEADER               a header path (quoted for you)
#   LAZYMMU_PARAVIRT_VALID          LAZY_MMU_PARAVIRT_VALID            integer (the present bit's mask)
#   LAZYMMU_X86_64_INVLPGB          LAZY_MMU_X86_64_INVLPGB            boolean -> 1/0
#   LAZYMMU_AARCH64_NONSHAREABLE    LAZY_MMU_AARCH64_NONSHAREABLE      boolean -> 1/0
#   LAZYMMU_AARCH64_TLBIRANGE       LAZY_MMU_AARCH64_TLBIRANGE         boolean -> 1/0
#   LAZYMMU_FREE_MAX                LAZY_MMU_FREE_MAX                  integer
#
# The function-like hooks LAZY_MMU_PANIC(msg), LAZY_MMU_PARAVIRT_ERROR(m, i, op),
# LAZY_MMU_SHOOTDOWN(m, sd) and LAZY_MMU_FREE_FRAME(m, frame) are not
# offered here: a compile definition cannot portably carry a macro
# with parameters.  Define them in a header of yours that then includes
# <lazymmu/lazymmu.h> (docs/integration.md shows one).

set(LAZYMMU_OPTION_BOOLS SIMULATE DEBUG STATS X86_64_GLOBAL_PAGES X86_64_INVPCID X86_64_PKRU
                          RISCV64_SVVPTC RISCV64_SVINVAL STAGE2 X86_64_EPT_ALL_CONTEXT
                          X86_64_INVLPGB AARCH64_NONSHAREABLE AARCH64_TLBIRANGE)
set(LAZYMMU_OPTION_INTS PAGE_SHIFT BATCH_MAX FLUSH_ALL_THRESHOLD X86_64_PKRU_KEY PARAVIRT_QUEUE_MAX PARAVIRT_VALID
                         FREE_MAX)

# Adds to <target>'s INTERFACE compile definitions the macros whose variable
# is set (non-empty); a bad value is a configure-time error, not a puzzling
# compile error in every consumer.
function(lazymmu_apply_options target)
  set(defs "")
  # lazymmu 0.1 spelt these with a short backend name; one still set would
  # otherwise be ignored without a word.
  foreach(old X86_GLOBAL_PAGES X86_INVPCID X86_INVLPGB X86_PKRU X86_PKRU_KEY X86_EPT_ALL_CONTEXT
              RISCV_SVVPTC RISCV_SVINVAL PV_COMMIT PV_QUEUE_MAX PV_VALID)
    if(DEFINED LAZYMMU_${old})
      string(REGEX REPLACE "^X86_" "X86_64_" new "${old}")
      string(REGEX REPLACE "^RISCV_" "RISCV64_" new "${new}")
      string(REGEX REPLACE "^PV_" "PARAVIRT_" new "${new}")
      message(FATAL_ERROR "lazymmu: LAZYMMU_${old} is now spelt LAZYMMU_${new} (CHANGELOG.md)")
    endif()
  endforeach()
  if(NOT "${LAZYMMU_ARCH}" STREQUAL "")
    string(TOLOWER "${LAZYMMU_ARCH}" arch)
    if(NOT arch MATCHES "^(x86_64|aarch64|riscv64|paravirt)$")
      message(FATAL_ERROR "lazymmu: LAZYMMU_ARCH is '${LAZYMMU_ARCH}'; "
                          "use x86_64, aarch64, riscv64 or paravirt (empty: the compiler's target)")
    endif()
    string(TOUPPER "${arch}" arch)
    list(APPEND defs "LAZY_MMU_ARCH_${arch}=1")
  endif()
  foreach(name IN LISTS LAZYMMU_OPTION_BOOLS)
    set(value "${LAZYMMU_${name}}")
    if(NOT "${value}" STREQUAL "")
      if(value)
        list(APPEND defs "LAZY_MMU_${name}=1")
      else()
        list(APPEND defs "LAZY_MMU_${name}=0")
      endif()
    endif()
  endforeach()
  foreach(name IN LISTS LAZYMMU_OPTION_INTS)
    set(value "${LAZYMMU_${name}}")
    if(NOT "${value}" STREQUAL "")
      if(NOT value MATCHES "^[0-9]+$")
        message(FATAL_ERROR "lazymmu: LAZYMMU_${name} is '${value}'; it must be a non-negative integer")
      endif()
      list(APPEND defs "LAZY_MMU_${name}=${value}")
    endif()
  endforeach()
  if(NOT "${LAZYMMU_PARAVIRT_COMMIT}" STREQUAL "")
    if(NOT LAZYMMU_PARAVIRT_COMMIT MATCHES "^[A-Za-z_][A-Za-z0-9_]*$")
      message(FATAL_ERROR "lazymmu: LAZYMMU_PARAVIRT_COMMIT is '${LAZYMMU_PARAVIRT_COMMIT}'; it must name a function")
    endif()
    list(APPEND defs "LAZY_MMU_PARAVIRT_COMMIT=${LAZYMMU_PARAVIRT_COMMIT}")
  endif()
  if(NOT "${LAZYMMU_INSN_HEADER}" STREQUAL "")
    list(APPEND defs "LAZY_MMU_INSN_HEADER=\"${LAZYMMU_INSN_HEADER}\"")
  endif()
  if(defs)
    target_compile_definitions(${target} INTERFACE ${defs})
  endif()
endfunction()
