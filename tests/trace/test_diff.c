/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * trace_diff (dxemem diff): two references over one trace, the first lines
 * that differ, both maps after that line, and the exit statuses.
 */
/* cmocka 1.1 needs these four before it */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"

typedef struct diff_result {
  int status;
  char out[16384];
  char err[1024];
} diff_result;

static void slurp(FILE *file, char *buffer, size_t size) {
  rewind(file);
  size_t n = fread(buffer, 1, size - 1, file);
  buffer[n] = '\0';
  fclose(file);
}

static diff_result *diff_with(const char *text, uint32_t a, uint32_t b,
                              size_t max_lines) {
  diff_result *result = calloc(1, sizeof *result);
  assert_non_null(result);
  FILE *out = tmpfile();
  FILE *err = tmpfile();
  assert_non_null(out);
  assert_non_null(err);
  trace_diff_options options = {
      .references = {a, b}, .max_lines = max_lines, .out = out, .err = err};
  result->status = trace_diff(text, strlen(text), &options);
  slurp(out, result->out, sizeof result->out);
  slurp(err, result->err, sizeof result->err);
  return result;
}

#define STABLE DXEMEM_REFERENCE_EDK2_STABLE202605
#define MASTER DXEMEM_REFERENCE_EDK2_MASTER_2026_08

/* The trace of docs/architecture.md: on AArch64 master packs the runtime
 * bins unaligned, so the first RuntimeServicesData allocation misses its
 * bin. */
static const char aarch64_trace[] =
    "region 0x40000000 0x400000\n"
    "granularity 65536\n"
    "bins EfiRuntimeServicesData:0x10 EfiACPIReclaimMemory:3 "
    "EfiRuntimeServicesCode:0x10\n"
    "add EfiConventionalMemory 0x40000000 0x400\n"
    "alloc any EfiRuntimeServicesData 0x10 @rtd\n"
    "map\n";

static void test_diff_first_lines_and_both_maps(void **state) {
  (void)state;
  diff_result *r = diff_with(aarch64_trace, STABLE, MASTER, 0);
  assert_int_equal(r->status, 1);
  assert_non_null(strstr(r->out, "first difference: trace line 5 (check "
                                 "output line 2): alloc any "
                                 "EfiRuntimeServicesData 0x10 @rtd\n"));
  assert_non_null(strstr(r->out, "  edk2-stable202605    5 alloc "
                                 "EFI_SUCCESS 0x00000000403e0000\n"
                                 "  edk2-master-2026-08  5 alloc "
                                 "EFI_SUCCESS 0x00000000403c0000\n"));
  assert_non_null(
      strstr(r->out, "edk2-stable202605: memory map after line 5 (6 "
                     "descriptors, key 0x9)\n"));
  assert_non_null(
      strstr(r->out, "edk2-master-2026-08: memory map after line 5 (7 "
                     "descriptors, key 0x7)\n"));
  /* Shared descriptors are unmarked, the others carry '*'. */
  assert_non_null(strstr(r->out, "    0x00000000403d0000-0x00000000403dffff"));
  assert_non_null(strstr(r->out, "  * 0x00000000403e3000-0x00000000403f2fff"));
  assert_string_equal(r->err, "");
  free(r);
}

static void test_diff_same_output(void **state) {
  (void)state;
  diff_result *r = diff_with("region 0x100000 0x100000\n"
                             "add EfiConventionalMemory 0x100000 0x100\n"
                             "alloc any EfiLoaderData 1\n",
                             STABLE, MASTER, 0);
  assert_int_equal(r->status, 0);
  assert_string_equal(r->out, "edk2-stable202605 and edk2-master-2026-08 "
                              "print the same output (exit status 0)\n");
  free(r);
  r = diff_with(aarch64_trace, MASTER, MASTER, 0);
  assert_int_equal(r->status, 0);
  free(r);
}

/* Stable leaks the first of two ACPI bins, so 12 pages no longer fit and
 * the name is never bound: its free is a trace error there only. */
static void test_diff_exit_status_differs(void **state) {
  (void)state;
  diff_result *r = diff_with("region 0x100000 0x10000\n"
                             "bins EfiACPIReclaimMemory:4 "
                             "EfiACPIReclaimMemory:4\n"
                             "add EfiConventionalMemory 0x100000 16\n"
                             "alloc any EfiLoaderData 12 @big\n"
                             "free @big\n",
                             STABLE, MASTER, 0);
  assert_int_equal(r->status, 1);
  assert_non_null(strstr(r->out, "  edk2-stable202605    4 alloc "
                                 "EFI_OUT_OF_RESOURCES\n"));
  assert_non_null(strstr(r->out, "exit status: edk2-stable202605 2, "
                                 "edk2-master-2026-08 0\n"));
  assert_non_null(strstr(r->out, "  edk2-stable202605: 5: error: unknown "
                                 "name @big"));
  free(r);
}

/* A stats block differs in many lines: max_lines shows the first and
 * counts the rest. */
static void test_diff_limits_lines(void **state) {
  (void)state;
  diff_result *r = diff_with("region 0x100000 0x100000\n"
                             "add EfiConventionalMemory 0x100000 0x100\n"
                             "stats\n",
                             STABLE, MASTER, 1);
  assert_int_equal(r->status, 1);
  assert_non_null(strstr(r->out, "first difference: trace line 3"));
  assert_non_null(strstr(r->out, "more differing lines of line 3\n"));
  assert_non_null(strstr(r->out, "memory map after line 3 (2 descriptors"));
  free(r);
}

/* --addresses: stats blocks and map keys differ in almost every trace;
 * without them these two traces print the same under both, and the docs
 * trace still differs at its allocation. */
static diff_result *diff_addresses(const char *text) {
  diff_result *result = calloc(1, sizeof *result);
  assert_non_null(result);
  FILE *out = tmpfile();
  FILE *err = tmpfile();
  assert_non_null(out);
  assert_non_null(err);
  trace_diff_options options = {.references = {STABLE, MASTER},
                                .addresses_only = true,
                                .out = out,
                                .err = err};
  result->status = trace_diff(text, strlen(text), &options);
  slurp(out, result->out, sizeof result->out);
  slurp(err, result->err, sizeof result->err);
  return result;
}

static void test_diff_addresses_only(void **state) {
  (void)state;
  const char *key_and_stats = "region 0x100000 0x100000\n"
                              "bins EfiACPIReclaimMemory:2 EfiLoaderData:1\n"
                              "add EfiConventionalMemory 0x100000 0x100\n"
                              "map\n"
                              "stats\n"
                              "map 0\n";
  diff_result *r = diff_with(key_and_stats, STABLE, MASTER, 0);
  assert_int_equal(r->status, 1);
  assert_non_null(strstr(r->out, "first difference: trace line 4"));
  free(r);
  r = diff_addresses(key_and_stats);
  assert_int_equal(r->status, 0);
  free(r);
  r = diff_addresses(aarch64_trace);
  assert_int_equal(r->status, 1);
  assert_non_null(strstr(r->out, "first difference: trace line 5"));
  free(r);
}

static void test_diff_unknown_reference(void **state) {
  (void)state;
  diff_result *r = diff_with(aarch64_trace, STABLE, DXEMEM_REFERENCE_COUNT, 0);
  assert_int_equal(r->status, TRACE_EXIT_TRACE_ERROR);
  assert_non_null(strstr(r->err, "unknown reference"));
  assert_string_equal(r->out, "");
  free(r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_diff_first_lines_and_both_maps),
      cmocka_unit_test(test_diff_same_output),
      cmocka_unit_test(test_diff_exit_status_differs),
      cmocka_unit_test(test_diff_limits_lines),
      cmocka_unit_test(test_diff_addresses_only),
      cmocka_unit_test(test_diff_unknown_reference),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
