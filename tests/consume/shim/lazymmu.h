/* tests/consume/shim/lazymmu.h - examples/demo_backend.c is written for a
 * copy of lazymmu.h in the tree (#include "lazymmu.h", README.md,
 * "Embedding"); a package is included as <lazymmu/lazymmu.h>.  Building the
 * demo with -I shim maps the one onto the other, so the demo compiles against
 * the package under test and nothing else. */
#include <lazymmu/lazymmu.h>
