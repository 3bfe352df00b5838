/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * The multi-boot bin feedback: the boot manager's Next rule branch by
 * branch (BmSetMemoryTypeInformationVariable), the table walk, and the
 * convergence loop with fake boots whose usage is known.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "view.h"

/* ---- the rule ---------------------------------------------------------- */

/* One row of the rule: Next for a previous bin, this boot's use and the
 * boot mode, and why. */
typedef struct next_case {
  uint32_t previous, current;
  bool default_settings;
  uint32_t next;
  const char *why;
} next_case;

static void expect_next(const next_case *rows, size_t count) {
  for (size_t i = 0; i < count; i++) {
    const next_case *r = &rows[i];
    uint32_t got =
        view_boots_next_pages(r->previous, r->current, r->default_settings);
    if (got != r->next) {
      fail_msg("next_pages(%u, %u, %s) = %u, expected %u: %s", r->previous,
               r->current, r->default_settings ? "true" : "false", got,
               r->next, r->why);
    }
  }
}

#define EXPECT_NEXT(...)                                                       \
  expect_next((const next_case[]){__VA_ARGS__},                                \
              sizeof((const next_case[]){__VA_ARGS__}) / sizeof(next_case))

static void test_too_small_grows_to_125_percent(void **state) {
  (void)state;
  EXPECT_NEXT({10, 20, false, 25, "20 * 1.25"},
              {10, 20, true, 25, "the same with default settings"},
              {100, 101, false, 126, "101 * 1.25, rounded down"});
}

static void test_more_than_150_percent_shrinks_only_with_default_settings(
    void **state) {
  (void)state;
  EXPECT_NEXT({100, 10, true, 12, "10 + 5 < 100: too big, 10 * 1.25"},
              {100, 10, false, 100, "too big, but kept without default mode"});
}

static void test_within_range_keeps_previous(void **state) {
  (void)state;
  EXPECT_NEXT({10, 8, true, 10, "8 + 4 = 12 >= 10 and 8 <= 10"},
              {10, 10, true, 10, "use equals the bin"},
              {15, 10, true, 15, "exactly 150%: not more than, so kept"});
}

static void test_at_least_four_pages_unless_zero(void **state) {
  (void)state;
  EXPECT_NEXT({0, 2, false, 4, "grown from nothing to at least 4"},
              {100, 1, true, 4, "shrunk to at least 4"},
              {0, 0, true, 0, "never used, stays 0"},
              {2, 2, false, 4, "a kept previous of 1..3 is raised too"});
}

static void test_32_bit_arithmetic_as_edk2(void **state) {
  (void)state;
  /* 0xC0000000 * 1.5 wraps to 0x20000000 in UINT32, which is below the
   * previous value, so edk2 takes the shrink branch. */
  EXPECT_NEXT({0xffffffffu, 0xc0000000u, true, 0xf0000000u,
               "1.5 * current wraps in UINT32"});
}

/* ---- the table walk ---------------------------------------------------- */

static void test_feedback_walks_the_hob(void **state) {
  (void)state;
  const dxemem_memory_type_information previous[] = {
      {DXEMEM_ACPI_MEMORY_NVS, 128},
      {DXEMEM_RUNTIME_SERVICES_DATA, 16},
      {DXEMEM_LOADER_CODE, 7}, /* not tracked this boot: skipped */
      {DXEMEM_MAX_MEMORY_TYPE, 0},
      {DXEMEM_BOOT_SERVICES_DATA, 1}, /* after the terminator: not read */
  };
  const dxemem_memory_type_information current[] = {
      {DXEMEM_ACPI_MEMORY_NVS, 2},
      {DXEMEM_RUNTIME_SERVICES_DATA, 40},
      {DXEMEM_MAX_MEMORY_TYPE, 0},
  };
  dxemem_memory_type_information next[5];
  view_boot_row rows[5];
  size_t row_count = 0;
  bool modified =
      view_boots_feedback(previous, 5, current, 3, false, next, rows,
                          &row_count);
  assert_true(modified);
  assert_int_equal(row_count, 2);
  assert_int_equal(rows[0].type, DXEMEM_ACPI_MEMORY_NVS);
  assert_int_equal(rows[0].next, 128); /* no shrink without default mode */
  assert_int_equal(rows[1].next, 50);
  assert_int_equal(next[1].number_of_pages, 50);
  assert_int_equal(next[2].number_of_pages, 7);
  assert_int_equal(next[3].type, DXEMEM_MAX_MEMORY_TYPE);

  modified = view_boots_feedback(next, 4, current, 3, false, next, rows,
                                 &row_count);
  assert_false(modified);
}

/* ---- the loop ---------------------------------------------------------- */

/* A fake boot: needs `need` pages of runtime data, plus `growth` pages for
 * each page of bin it was given (a platform whose use follows its bins). */
typedef struct fake_platform {
  uint32_t need, growth;
  bool no_hob;
  unsigned boots;
  uint32_t bins_seen[16];
  trace_exit fail_at; /* boot number that fails (0: none) */
} fake_platform;

static trace_exit fake_boot(void *context,
                            const dxemem_memory_type_information *bins,
                            size_t count, view_boot_result *result) {
  fake_platform *p = context;
  p->boots++;
  if ((unsigned)p->fail_at == p->boots) {
    return TRACE_EXIT_INVARIANT;
  }
  uint32_t bin = bins != NULL ? bins[0].number_of_pages : 4;
  assert_true(bins == NULL || count == 1);
  p->bins_seen[p->boots] = bin;
  result->has_hob = !p->no_hob;
  result->hob[0] = (dxemem_memory_type_information){
      DXEMEM_RUNTIME_SERVICES_DATA, bin};
  result->hob_count = 1;
  result->current[0] = (dxemem_memory_type_information){
      DXEMEM_RUNTIME_SERVICES_DATA, p->need + p->growth * bin};
  result->current[1] =
      (dxemem_memory_type_information){DXEMEM_MAX_MEMORY_TYPE, 0};
  result->runtime[0] = (view_range){0x1000000 - bin * 4096ull, bin,
                                    DXEMEM_RUNTIME_SERVICES_DATA, 0};
  result->runtime_count = 1;
  return TRACE_EXIT_OK;
}

/* Runs the loop over p (output discarded) and checks how it ended. */
static void expect_loop(fake_platform *p, unsigned max_boots,
                        trace_exit want_exit, bool want_converged,
                        unsigned want_boots) {
  FILE *out = fopen("/dev/null", "w");
  assert_non_null(out);
  view_boots_options options = {.max_boots = max_boots, .out = out};
  unsigned boots = 0;
  bool converged = !want_converged;
  assert_int_equal(view_boots_run(fake_boot, p, &options, &boots, &converged),
                   want_exit);
  fclose(out);
  assert_int_equal(converged, want_converged);
  assert_int_equal(boots, want_boots);
}

static void test_loop_converges_in_two_boots(void **state) {
  (void)state;
  fake_platform p = {.need = 30};
  expect_loop(&p, 10, TRACE_EXIT_OK, true, 2);
  assert_int_equal(p.bins_seen[1], 4);
  assert_int_equal(p.bins_seen[2], 37); /* 30 * 1.25 */
}

static void test_loop_stops_at_max_boots(void **state) {
  (void)state;
  /* Use grows with the bin: every Next is too small again. */
  fake_platform p = {.need = 1, .growth = 1};
  expect_loop(&p, 5, TRACE_EXIT_OK, false, 5);
  assert_true(p.bins_seen[5] > p.bins_seen[4]);
}

static void test_loop_without_hob_changes_nothing(void **state) {
  (void)state;
  fake_platform p = {.need = 30, .no_hob = true};
  expect_loop(&p, 10, TRACE_EXIT_OK, true, 1);
}

static void test_loop_reports_a_failing_boot(void **state) {
  (void)state;
  fake_platform p = {.need = 30, .fail_at = 2};
  expect_loop(&p, 10, TRACE_EXIT_INVARIANT, false, 2);
}

/* The table and the verdicts as a person reads them. */
static void test_loop_output(void **state) {
  (void)state;
  fake_platform p = {.need = 30};
  char text[4096] = {0};
  FILE *out = fmemopen(text, sizeof(text) - 1, "w");
  assert_non_null(out);
  view_boots_options options = {.max_boots = 10, .out = out};
  unsigned boots = 0;
  bool converged = false;
  (void)view_boots_run(fake_boot, &p, &options, &boots, &converged);
  fclose(out);
  assert_non_null(strstr(text, "boot 1\n  memory type"));
  assert_non_null(strstr(text, "EfiRuntimeServicesData               4  "
                               "        30          37  grown\n"));
  assert_non_null(strstr(text, "warm reset is requested"));
  assert_non_null(strstr(text, "runtime and ACPI ranges: moved since boot 1"));
  assert_non_null(strstr(text, "nothing changes: no reset"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_too_small_grows_to_125_percent),
      cmocka_unit_test(
          test_more_than_150_percent_shrinks_only_with_default_settings),
      cmocka_unit_test(test_within_range_keeps_previous),
      cmocka_unit_test(test_at_least_four_pages_unless_zero),
      cmocka_unit_test(test_32_bit_arithmetic_as_edk2),
      cmocka_unit_test(test_feedback_walks_the_hob),
      cmocka_unit_test(test_loop_converges_in_two_boots),
      cmocka_unit_test(test_loop_stops_at_max_boots),
      cmocka_unit_test(test_loop_without_hob_changes_nothing),
      cmocka_unit_test(test_loop_reports_a_failing_boot),
      cmocka_unit_test(test_loop_output),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
