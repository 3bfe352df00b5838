/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * What the two fuzz targets share with their drivers. Each target is one
 * LLVMFuzzerTestOneInput; libFuzzer drives it in the fuzz build, and
 * replay.c drives it over files everywhere else (CTest replays the corpora
 * that way, on any compiler).
 *
 * A finding always ends in abort(): fuzz_fail for a broken contract or
 * invariant, the sanitizers for memory errors. Returning -1 tells libFuzzer
 * an input is over the harness's budget and should not enter the corpus.
 */
#ifndef DXEMEM_FUZZ_H
#define DXEMEM_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define FUZZ_NORETURN __attribute__((noreturn))
#define FUZZ_PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#else
#define FUZZ_NORETURN
#define FUZZ_PRINTF_LIKE(f, a)
#endif

/* 0: the input ran; -1: over budget, not run (libFuzzer drops it). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Prints "fuzz finding: ..." to stderr and aborts. */
FUZZ_NORETURN FUZZ_PRINTF_LIKE(1, 2) void fuzz_fail(const char *format, ...);

#endif /* DXEMEM_FUZZ_H */
