/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/* The one way a harness reports a finding. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"

void fuzz_fail(const char *format, ...) {
  va_list args;
  fputs("fuzz finding: ", stderr);
  va_start(args, format);
  vfprintf(stderr, format, args);
  va_end(args);
  fputc('\n', stderr);
  fflush(stderr);
  /* abort, not exit: libFuzzer saves the input and prints the stack. */
  abort();
}
