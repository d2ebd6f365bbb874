# tests/consume/consumer.cmake - the consumer's targets, shared by the
# add_subdirectory and find_package fixtures; lazymmu::lazymmu exists when
# this is included.
#
#   kernel  freestanding object for the host architecture (kernel.c)
#   demo    the hosted demo: examples/demo.c plus examples/demo_backend.c once
#           per backend, under the simulator, as the Makefile builds it
#
# EXPECT: definitions for kernel.c's checks of what reached the compiler.

set(WARN -Wall -Wextra -Werror -pedantic)
set(CMAKE_C_STANDARD 11)
set(CMAKE_C_STANDARD_REQUIRED ON)
set(CMAKE_C_EXTENSIONS OFF)

if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  set(KERNEL_ARCH_FLAGS -mno-red-zone)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64)$")
  set(KERNEL_ARCH_FLAGS -mgeneral-regs-only)
else()
  set(KERNEL_ARCH_FLAGS "")
endif()

add_library(kernel OBJECT kernel.c)
target_compile_options(kernel PRIVATE -ffreestanding -nostdlib -O2 ${KERNEL_ARCH_FLAGS} ${WARN})
target_compile_definitions(kernel PRIVATE ${EXPECT})
target_link_libraries(kernel PRIVATE lazymmu::lazymmu)

set(demo_objects "")
foreach(arch x86_64 aarch64 riscv64 paravirt)
  string(TOUPPER "${arch}" ARCH)
  add_library(demo_${arch} OBJECT demo_backend.c)
  target_compile_options(demo_${arch} PRIVATE -O2 ${WARN})
  target_compile_definitions(demo_${arch} PRIVATE
    LAZY_MMU_ARCH_${ARCH}=1 DEMO_ARCH=${arch} LAZY_MMU_SIMULATE=1)
  target_include_directories(demo_${arch} PRIVATE "${CMAKE_CURRENT_SOURCE_DIR}/shim")
  target_link_libraries(demo_${arch} PRIVATE lazymmu::lazymmu)
  list(APPEND demo_objects "$<TARGET_OBJECTS:demo_${arch}>")
endforeach()
add_executable(demo demo.c ${demo_objects})
target_compile_options(demo PRIVATE -O2 ${WARN})
