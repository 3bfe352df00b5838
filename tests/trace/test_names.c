/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/* trace_names: binding, rebinding, growth and the caps. */
/* cmocka 1.1 needs these four before it */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "trace.h"

static int setup(void **state) {
  static trace_names names;
  trace_names_init(&names);
  *state = &names;
  return 0;
}

static int teardown(void **state) {
  trace_names_free(*state);
  return 0;
}

static void test_bind_find_rebind(void **state) {
  trace_names *names = *state;
  assert_null(trace_names_find(names, "a"));
  assert_true(trace_names_room_for(names, "a"));
  assert_int_equal(trace_names_bind(names, "a", (trace_binding){0x1000, 4, false}),
                   TRACE_BIND_OK);
  assert_int_equal(trace_names_bind(names, "b", (trace_binding){0x2000, 1, false}),
                   TRACE_BIND_OK);
  const trace_binding *a = trace_names_find(names, "a");
  assert_non_null(a);
  assert_int_equal(a->address, 0x1000);
  assert_int_equal(a->pages, 4);
  assert_null(trace_names_find(names, "A"));
  assert_null(trace_names_find(names, "ab"));
  assert_int_equal(trace_names_bind(names, "a", (trace_binding){0x5000, 9, false}),
                   TRACE_BIND_OK);
  a = trace_names_find(names, "a");
  assert_int_equal(a->address, 0x5000);
  assert_int_equal(a->pages, 9);
  assert_int_equal(names->used, 2);
  assert_int_equal(trace_names_find(names, "b")->address, 0x2000);
}

static void test_many_names_survive_growth(void **state) {
  trace_names *names = *state;
  char name[32];
  for (uint64_t i = 0; i < 50000; i++) {
    snprintf(name, sizeof(name), "n%llu", (unsigned long long)i);
    assert_int_equal(trace_names_bind(names, name, (trace_binding){i, i * 2, false}),
                     TRACE_BIND_OK);
  }
  for (uint64_t i = 0; i < 50000; i++) {
    snprintf(name, sizeof(name), "n%llu", (unsigned long long)i);
    const trace_binding *binding = trace_names_find(names, name);
    assert_non_null(binding);
    assert_int_equal(binding->address, i);
    assert_int_equal(binding->pages, i * 2);
  }
  assert_null(trace_names_find(names, "n50000"));
}

static void test_name_count_cap(void **state) {
  trace_names *names = *state;
  char name[32];
  for (unsigned i = 0; i < TRACE_NAMES_MAX; i++) {
    snprintf(name, sizeof(name), "x%u", i);
    assert_int_equal(trace_names_bind(names, name, (trace_binding){i, 1, false}),
                     TRACE_BIND_OK);
  }
  assert_false(trace_names_room_for(names, "one_more"));
  assert_int_equal(trace_names_bind(names, "one_more", (trace_binding){0, 1, false}),
                   TRACE_BIND_LIMIT);
  /* rebinding a known name needs no room */
  assert_true(trace_names_room_for(names, "x7"));
  assert_int_equal(trace_names_bind(names, "x7", (trace_binding){0x77, 1, false}),
                   TRACE_BIND_OK);
  assert_int_equal(trace_names_find(names, "x7")->address, 0x77);
}

static void test_name_text_cap(void **state) {
  trace_names *names = *state;
  char name[TRACE_NAME_MAX + 1];
  memset(name, 'L', TRACE_NAME_MAX);
  name[TRACE_NAME_MAX] = '\0';
  size_t fit = TRACE_NAME_BYTES_MAX / (TRACE_NAME_MAX + 1);
  for (size_t i = 0; i < fit; i++) {
    snprintf(name, 16, "%015zu", i); /* a unique prefix, keeps the length */
    name[15] = 'L';
    assert_int_equal(trace_names_bind(names, name, (trace_binding){i, 1, false}),
                     TRACE_BIND_OK);
  }
  snprintf(name, 16, "%015zu", fit);
  name[15] = 'L';
  assert_false(trace_names_room_for(names, name));
  assert_int_equal(trace_names_bind(names, name, (trace_binding){0, 1, false}),
                   TRACE_BIND_LIMIT);
  assert_true(names->text_capacity <= TRACE_NAME_BYTES_MAX);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_bind_find_rebind, setup, teardown),
      cmocka_unit_test_setup_teardown(test_many_names_survive_growth, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_name_count_cap, setup, teardown),
      cmocka_unit_test_setup_teardown(test_name_text_cap, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
