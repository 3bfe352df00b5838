/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * trace_run end to end on small traces: what the runner adds on top of the
 * allocator (the map call pattern, the key terminate uses, name bindings,
 * fill/check, trace errors found at run time, exit statuses). Expected
 * addresses follow the reference outputs of ../shared/conformance.
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

typedef struct replay {
  trace_exit status;
  char out[65536];
  char err[4096];
} replay;

static void slurp(FILE *file, char *buffer, size_t size) {
  rewind(file);
  size_t n = fread(buffer, 1, size - 1, file);
  buffer[n] = '\0';
  fclose(file);
}

static replay *run_with(const char *text, bool check_output, bool verify,
                        bool events) {
  replay *result = calloc(1, sizeof(*result));
  trace_reader *reader = malloc(sizeof(*reader));
  assert_non_null(result);
  assert_non_null(reader);
  trace_run_options options = {.check_output = check_output,
                               .verify = verify,
                               .events = events,
                               .out = tmpfile(),
                               .err = tmpfile()};
  assert_non_null(options.out);
  assert_non_null(options.err);
  trace_reader_init_memory(reader, text, strlen(text));
  result->status = trace_run(reader, &options);
  free(reader);
  slurp(options.out, result->out, sizeof(result->out));
  slurp(options.err, result->err, sizeof(result->err));
  return result;
}

static replay *run_check(const char *text) {
  return run_with(text, true, true, false);
}

static void expect_output(const char *text, trace_exit status, const char *out,
                          const char *err) {
  replay *result = run_check(text);
  bool same = result->status == status && strcmp(result->out, out) == 0 &&
              strstr(result->err, err) != NULL;
  if (!same) {
    print_error("status %d (want %d)\n--- out:\n%s--- want:\n%s--- err:\n%s"
                "--- want a line containing: %s\n",
                (int)result->status, (int)status, result->out, out, result->err,
                err);
  }
  free(result);
  assert_true(same);
}

static void test_empty_map_two_call_form(void **state) {
  (void)state;
  expect_output("region 0x100000 0x100000\n"
                "map\n"
                "map 0\n"
                "terminate\n",
                TRACE_EXIT_OK,
                "2 map EFI_SUCCESS size=0x0 key=0x0 dsize=0x30 dver=1\n"
                "3 map EFI_SUCCESS size=0x0 key=0x0 dsize=0x30 dver=1\n"
                "4 terminate EFI_SUCCESS\n",
                "");
}

static void test_map_sizes_and_key(void **state) {
  (void)state;
  /* scenario-stale-key: a too-small map still reports the key */
  expect_output(
      "region 0x100000 0x100000\n"
      "add EfiConventionalMemory 0x100000 0x100\n"
      "terminate\n"
      "map 0x30\n"
      "terminate\n"
      "map 0xffffffffffff\n"
      "map 0xffffffffffffffff\n",
      TRACE_EXIT_OK,
      "2 add\n"
      "3 terminate EFI_INVALID_PARAMETER\n"
      "4 map EFI_BUFFER_TOO_SMALL size=0x60 key=0x2 dsize=0x30 dver=1\n"
      "5 terminate EFI_SUCCESS\n"
      "6 map EFI_SUCCESS size=0x60 key=0x2 dsize=0x30 dver=1\n"
      "6   0x0000000000100000 0xff EfiConventionalMemory 0x000000000000000f\n"
      "6   0x00000000001ff000 0x1 EfiBootServicesData 0x000000000000000f\n"
      "7 map EFI_SUCCESS size=0x60 key=0x2 dsize=0x30 dver=1\n"
      "7   0x0000000000100000 0xff EfiConventionalMemory 0x000000000000000f\n"
      "7   0x00000000001ff000 0x1 EfiBootServicesData 0x000000000000000f\n",
      "");
}

static void test_names_bind_on_success_only(void **state) {
  (void)state;
  /* scenario-trace-error: a failed alloc binds nothing */
  expect_output("region 0x100000 0x100000\n"
                "add EfiConventionalMemory 0x100000 0x100\n"
                "alloc any EfiBootServicesData 4 @ok\n"
                "alloc any EfiBootServicesData 0x1000 @big\n"
                "free @ok\n"
                "free @big\n"
                "map\n",
                TRACE_EXIT_TRACE_ERROR,
                "2 add\n"
                "3 alloc EFI_SUCCESS 0x00000000001fb000\n"
                "4 alloc EFI_OUT_OF_RESOURCES\n"
                "5 free EFI_SUCCESS\n",
                "6: error: unknown name @big");
  /* a failed alloc keeps the old binding; a successful one replaces it */
  expect_output("region 0x100000 0x100000\n"
                "add EfiConventionalMemory 0x100000 0x100\n"
                "alloc addr EfiLoaderData 2 0x100000 @a\n"
                "alloc any EfiLoaderData 0x1000 @a\n"
                "free @a\n"
                "alloc addr EfiLoaderData 3 0x110000 @a\n"
                "alloc addr EfiLoaderData 1 0x120000 @a\n"
                "free @a\n"
                "free @a+0x1000\n",
                TRACE_EXIT_OK,
                "2 add\n"
                "3 alloc EFI_SUCCESS 0x0000000000100000\n"
                "4 alloc EFI_OUT_OF_RESOURCES\n"
                "5 free EFI_SUCCESS\n"
                "6 alloc EFI_SUCCESS 0x0000000000110000\n"
                "7 alloc EFI_SUCCESS 0x0000000000120000\n"
                "8 free EFI_SUCCESS\n"
                "9 free EFI_NOT_FOUND\n",
                "");
}

static void test_fill_and_check(void **state) {
  (void)state;
  expect_output("region 0x100000 0x100000\n"
                "add EfiConventionalMemory 0x100000 0x100\n"
                "alloc addr EfiLoaderData 4 0x100000 @buf\n"
                "fill @buf 4 0x5a\n"
                "check @buf 4 0x5a\n"
                "fill @buf+0x2000 1 0x00\n"
                "check @buf 4 0x5a\n"
                "check 0x102000 0 0x5a\n"
                "check @buf+0x2000 1 0\n"
                "fill 0x200000 0 1\n"
                "fill @buf+0x100000 0 1\n"
                "fill @buf+0x100000 1 1\n",
                TRACE_EXIT_TRACE_ERROR,
                "2 add\n"
                "3 alloc EFI_SUCCESS 0x0000000000100000\n"
                "4 fill\n"
                "5 check ok\n"
                "6 fill\n"
                "7 check MISMATCH 0x0000000000102000\n"
                "8 check ok\n"
                "9 check ok\n"
                "10 fill\n"
                "11 fill\n",
                "12: error: fill of 0x1 pages at 0x200000 is not inside");
}

static void test_run_time_trace_errors(void **state) {
  (void)state;
  static const char head[] = "region 0x100000 0x100000\n"
                             "add EfiConventionalMemory 0x100000 0x100\n"
                             "alloc addr EfiLoaderData 1 0x100000 @a\n";
  static const char head_out[] = "2 add\n3 alloc EFI_SUCCESS "
                                 "0x0000000000100000\n";
  static const struct {
    const char *line;
    const char *message;
  } cases[] = {
      {"add EfiConventionalMemory 0xff000 1", "4: error: add of 0x1 pages at "
                                              "0xff000 is not inside the "
                                              "region 0x100000-0x1fffff"},
      {"add EfiConventionalMemory 0x1ff000 2", "4: error: add of 0x2 pages"},
      {"add EfiConventionalMemory 0x200001 0", "4: error: add of 0x0 pages"},
      {"add EfiConventionalMemory 0x100000 0x10000000000000",
       "4: error: add of 0x10000000000000 pages"},
      {"check @a 0x10000000000000 1", "4: error: check of"},
      {"free @b", "4: error: unknown name @b"},
      {"fill @b 1 1", "4: error: unknown name @b"},
      {"free @a+0xfffffffffff00000 1", "4: error: @a+0xfffffffffff00000 wraps "
                                       "past 2^64"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    char text[512];
    snprintf(text, sizeof(text), "%s%s\nmap\n", head, cases[i].line);
    expect_output(text, TRACE_EXIT_TRACE_ERROR, head_out, cases[i].message);
  }
  /* a 0-page add may sit right at the region's end */
  expect_output("region 0x100000 0x100000\n"
                "add EfiReservedMemoryType 0x200000 0\n",
                TRACE_EXIT_OK, "2 add\n", "");
}

static void test_host_failure(void **state) {
  (void)state;
  /* 2^64 - 4 KiB of address space: no host can map that */
  expect_output("# big\nregion 0x1000 0xffffffffffffe000\nmap\n",
                TRACE_EXIT_HOST_FAILURE, "", "2: host failure: cannot map");
}

static void test_human_view_with_events(void **state) {
  (void)state;
  replay *result = run_with("region 0x100000 0x100000\n"
                            "add EfiConventionalMemory 0x100000 0x100\n"
                            "alloc any EfiBootServicesData 4 @bs\n"
                            "free @nope\n",
                            false, false, true);
  trace_exit status = result->status;
  const char *add = strstr(result->out, "     2  add EfiConventionalMemory");
  const char *event =
      strstr(result->out, "\n          CoreAddRange           add free ");
  const char *alloc = strstr(result->out, "     3  alloc any");
  bool in_order = add != NULL && event != NULL && alloc != NULL &&
                  add < event && event < alloc;
  bool alloc_result =
      strstr(result->out, "-> EFI_SUCCESS at 0x00000000001fb000") != NULL;
  /* the failing line printed nothing, not even its command */
  bool silent_failure = strstr(result->out, "free @") == NULL;
  bool reported = strstr(result->err, "4: error: unknown name @nope") != NULL;
  if (!(in_order && alloc_result && silent_failure && reported)) {
    print_error("--- out:\n%s--- err:\n%s", result->out, result->err);
  }
  free(result);
  assert_int_equal(status, TRACE_EXIT_TRACE_ERROR);
  assert_true(in_order);
  assert_true(alloc_result);
  assert_true(silent_failure);
  assert_true(reported);
}

/* Version 2: pool and freepool results, names bound by pool, fillb and
 * checkb, poolstats with an OEM pool, and the corruption stop. */
static void test_pool_commands(void **state) {
  (void)state;
  expect_output("region 0x100000 0x100000\n"
                "add EfiConventionalMemory 0x100000 0x100\n"
                "pool EfiBootServicesData 24 @a\n"
                "pool EfiConventionalMemory 24 @bad\n"
                "pool 0x70000001 16 @o\n"
                "fillb @a 24 0x5a\n"
                "checkb @a 24 0x5a\n"
                "checkb @a 25 0x5a\n"
                "freepool @a+8\n"
                "freepool 0\n"
                "poolstats\n"
                "freepool @o\n"
                "freepool @a\n"
                "free @a 1\n"
                "freepool @bad\n",
                TRACE_EXIT_TRACE_ERROR,
                "2 add\n"
                "3 pool EFI_SUCCESS 0x00000000001fe018\n"
                "4 pool EFI_INVALID_PARAMETER\n"
                "5 pool EFI_SUCCESS 0x00000000001fd018\n"
                "6 fillb\n"
                "7 checkb ok\n"
                "8 checkb MISMATCH 0x00000000001fe030\n"
                "9 freepool EFI_INVALID_PARAMETER\n"
                "10 freepool EFI_INVALID_PARAMETER\n"
                "11 poolstats\n"
                "11   EfiReservedMemoryType used=0x0\n"
                "11   EfiLoaderCode used=0x0\n"
                "11   EfiLoaderData used=0x0\n"
                "11   EfiBootServicesCode used=0x0\n"
                "11   EfiBootServicesData used=0x150\n"
                "11   EfiRuntimeServicesCode used=0x0\n"
                "11   EfiRuntimeServicesData used=0x0\n"
                "11   EfiConventionalMemory used=0x0\n"
                "11   EfiUnusableMemory used=0x0\n"
                "11   EfiACPIReclaimMemory used=0x0\n"
                "11   EfiACPIMemoryNVS used=0x0\n"
                "11   EfiMemoryMappedIO used=0x0\n"
                "11   EfiMemoryMappedIOPortSpace used=0x0\n"
                "11   EfiPalCode used=0x0\n"
                "11   EfiPersistentMemory used=0x0\n"
                "11   EfiUnacceptedMemoryType used=0x0\n"
                "11   0x70000001 used=0x38\n"
                "12 freepool EFI_SUCCESS\n"
                "13 freepool EFI_SUCCESS\n"
                "14 free EFI_INVALID_PARAMETER\n",
                "15: error: unknown name @bad");
  /* A scribbled free-list link stops the run (exit 3). */
  expect_output("region 0x100000 0x100000\n"
                "add EfiConventionalMemory 0x100000 0x100\n"
                "pool EfiBootServicesData 24 @a\n"
                "fillb @a+0x68 16 0\n"
                "pool EfiBootServicesData 2648\n",
                TRACE_EXIT_INVARIANT,
                "2 add\n"
                "3 pool EFI_SUCCESS 0x00000000001fe018\n"
                "4 fillb\n",
                "invariant");
}

/* The readable view narrates pool events and prints a Used table. */
static void test_pool_human_view(void **state) {
  (void)state;
  replay *result = run_with("region 0x100000 0x100000\n"
                            "add EfiConventionalMemory 0x100000 0x100\n"
                            "pool EfiBootServicesData 24 @a\n"
                            "pool EfiBootServicesData 24 @b\n"
                            "pool EfiBootServicesData 5000 @c\n"
                            "fillb @a 8 1\n"
                            "checkb @a 8 1\n"
                            "poolstats\n"
                            "freepool @c\n"
                            "freepool @b\n"
                            "freepool @a\n",
                            false, true, true);
  assert_int_equal(result->status, TRACE_EXIT_OK);
  static const char *const want[] = {
      "pool pages 0x1fe000-0x1fefff for EfiBootServicesData",
      "carve 0x1fe080, a block of 2688 bytes",
      "reuse 0x1fef00, a free block of 256 bytes",
      "-> EFI_SUCCESS at 0x00000000001fe018",
      "-> filled",
      "-> ok",
      "EfiBootServicesData",
      "give back pool pages 0x1fe000-0x1fefff (EfiBootServicesData)",
  };
  for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
    if (strstr(result->out, want[i]) == NULL) {
      print_error("missing '%s' in:\n%s", want[i], result->out);
      fail();
    }
  }
  free(result);
}

/* Failures say why in words where dxemem knows. */
static void test_failures_explained(void **state) {
  (void)state;
  replay *result = run_with("region 0x100000 0x400000\n"
                            "granularity 65536\n"
                            "bins EfiRuntimeServicesData:16\n"
                            "add EfiConventionalMemory 0x100000 0x400\n"
                            "map\n"
                            "alloc any EfiBootServicesData 1\n"
                            "terminate\n"
                            "alloc addr EfiRuntimeServicesData 1 0x101000\n"
                            "alloc any EfiRuntimeServicesData 1 @rt\n"
                            "free @rt+0x1000 1\n"
                            "alloc addr EfiBootServicesData 1 0x4e0000\n"
                            "free 0x200000 1\n"
                            "alloc any EfiConventionalMemory 1\n",
                            false, false, false);
  const char *out = result->out;
  bool stale = strstr(out, "stale map key 0x") != NULL;
  bool unaligned_alloc = strstr(out, "64 KiB runtime granularity: 0x101000") !=
                         NULL;
  bool unaligned_free =
      strstr(out, "entry of EfiRuntimeServicesData, freed in 64 KiB") !=
      NULL;
  bool in_bin = strstr(out, "lies in the bin of EfiRuntimeServicesData") != NULL;
  bool already_free = strstr(out, "0x200000 is free memory already") != NULL;
  bool bad_type = strstr(out, "EfiConventionalMemory cannot be allocated") !=
                  NULL;
  if (!(stale && unaligned_alloc && unaligned_free && in_bin &&
        already_free && bad_type)) {
    print_error("--- out:\n%s--- err:\n%s", result->out, result->err);
  }
  trace_exit status = result->status;
  free(result);
  assert_int_equal(status, TRACE_EXIT_OK);
  assert_true(stale);
  assert_true(unaligned_alloc);
  assert_true(unaligned_free);
  assert_true(in_bin);
  assert_true(already_free);
  assert_true(bad_type);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_empty_map_two_call_form),
      cmocka_unit_test(test_map_sizes_and_key),
      cmocka_unit_test(test_names_bind_on_success_only),
      cmocka_unit_test(test_fill_and_check),
      cmocka_unit_test(test_run_time_trace_errors),
      cmocka_unit_test(test_host_failure),
      cmocka_unit_test(test_human_view_with_events),
      cmocka_unit_test(test_pool_commands),
      cmocka_unit_test(test_pool_human_view),
      cmocka_unit_test(test_failures_explained),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
