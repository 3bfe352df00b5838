/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * check.c: every dxemem_violation_kind, each broken on purpose through
 * internal.h, must be reported as that kind with the address concerned.
 * Each test then repairs what it broke and expects the checker green again,
 * which also shows the checker keeps no stale verdict.
 *
 * Map used by most tests (three_ranges):
 *
 *   0x100000   0x110000         0x180000                  0x1ff000
 *   |- conv --|   (hole)        |--------- conv ---------|BSD|
 */
#include "core_test.h"

#include <stdio.h>
#include <string.h>

#include "internal.h"

static void three_ranges(core_fixture *fx) {
  fx_add(fx, T_CONV, 0x180000, 128, 0);
  fx_add(fx, T_CONV, 0x100000, 16, 0);
  EXPECT_MAP(fx->d, {T_CONV, 0x100000, 16, 0}, {T_CONV, 0x180000, 127, 0},
             {T_BSD, FX_REFUEL, 1, 0});
}

/* The entry that starts at start, as a reference. */
static entry_ref entry_at(core_fixture *fx, uint64_t start) {
  map_view v;
  fx_read_map(fx->d, &v);
  for (size_t i = 0; i < v.count; i++) {
    if (v.e[i].start == start) {
      return v.e[i].entry_address;
    }
  }
  fail_msg("no entry at %#llx", (unsigned long long)start);
  return REF_NULL;
}

/* Moves an entry and reseals it, as a buggy allocator would. */
static void move_entry(core_fixture *fx, entry_ref r, uint64_t start,
                       uint64_t end) {
  dx_entry_set_range(fx->d, r, start, end);
}

static void test_healthy_map_has_no_violation(void **state) {
  core_fixture *fx = *state;
  dxemem_violation v;
  memset(&v, 0x55, sizeof v);
  assert_int_equal(dxemem_check(fx->d, &v), DXEMEM_SUCCESS);
  assert_int_equal(v.kind, DXEMEM_VIOLATION_NONE);
  assert_int_equal(v.address, 0);
  assert_string_equal(v.message, "");
  three_ranges(fx);
  assert_int_equal(dxemem_check(fx->d, NULL), DXEMEM_SUCCESS);
  fx_assert_green(fx);
}

/* The message names the address in 16 hex digits. */
static void test_violation_message_format(void **state) {
  core_fixture *fx = *state;
  three_ranges(fx);
  fx->d->map_depth = 3;
  dxemem_violation v =
      fx_assert_violation(fx, DXEMEM_VIOLATION_STACK_NOT_EMPTY);
  assert_int_equal(v.address, 3);
  const char *at = strstr(v.message, " at 0x0000000000000003");
  assert_non_null(at);
  assert_int_equal(strlen(at), strlen(" at 0x0000000000000003"));
  /* NULL out: still reported. */
  assert_int_equal(dxemem_check(fx->d, NULL), DXEMEM_VOLUME_CORRUPTED);
  fx->d->map_depth = 0;
  fx_assert_green(fx);
}

static void test_corrupt_entry_seal(void **state) {
  core_fixture *fx = *state;
  three_ranges(fx);
  entry_ref r = entry_at(fx, 0x180000);
  map_entry *e = dx_node(fx->d, r);
  e->type = T_LD; /* without resealing */
  dxemem_violation v = fx_assert_violation(fx, DXEMEM_VIOLATION_CORRUPT_ENTRY);
  assert_int_equal(v.address, r);
  e->type = T_CONV;
  fx_assert_green(fx);
}

static void test_corrupt_entry_link(void **state) {
  core_fixture *fx = *state;
  three_ranges(fx);
  entry_ref r = entry_at(fx, 0x100000);
  map_entry *e = dx_node(fx->d, r);
  entry_ref saved = e->next;
  e->next = FX_TOP + 0x40;
  dxemem_violation v = fx_assert_violation(fx, DXEMEM_VIOLATION_CORRUPT_ENTRY);
  assert_int_equal(v.address, r);
  e->next = saved;
  fx_assert_green(fx);
}

/* The chain of refuel pages runs through slot 0 of each page. */
static void test_corrupt_refuel_chain(void **state) {
  core_fixture *fx = *state;
  three_ranges(fx);
  dxemem *d = fx->d;
  d->last_refuel_page = 0;
  dxemem_violation v = fx_assert_violation(fx, DXEMEM_VIOLATION_CORRUPT_ENTRY);
  assert_int_equal(v.address, 0);
  /* A page that holds no sealed entry. */
  d->last_refuel_page = 0x120000;
  v = fx_assert_violation(fx, DXEMEM_VIOLATION_CORRUPT_ENTRY);
  assert_int_equal(v.address, 0x120000);
  d->last_refuel_page = FX_REFUEL;
  fx_assert_green(fx);
}

/*
 *   conv moved to 0x1c0000 (first in the list), then conv at 0x180000:
 *   the second starts below the first
 */
static void test_unsorted(void **state) {
  core_fixture *fx = *state;
  three_ranges(fx);
  entry_ref low = entry_at(fx, 0x100000);
  move_entry(fx, low, 0x1c0000, 0x1c0fff);
  dxemem_violation v = fx_assert_violation(fx, DXEMEM_VIOLATION_UNSORTED);
  assert_int_equal(v.address, 0x180000);
  move_entry(fx, low, 0x100000, 0x10ffff);
  fx_assert_green(fx);
}

static void test_overlap(void **state) {
  core_fixture *fx = *state;
  three_ranges(fx);
  entry_ref low = entry_at(fx, 0x100000);
  move_entry(fx, low, 0x100000, 0x180fff);
  dxemem_violation v = fx_assert_violation(fx, DXEMEM_VIOLATION_OVERLAP);
  assert_int_equal(v.address, 0x180000);
  move_entry(fx, low, 0x100000, 0x10ffff);
  fx_assert_green(fx);
}

static void test_unmerged(void **state) {
  core_fixture *fx = *state;
  three_ranges(fx);
  entry_ref low = entry_at(fx, 0x100000);
  move_entry(fx, low, 0x100000, 0x17ffff);
  dxemem_violation v = fx_assert_violation(fx, DXEMEM_VIOLATION_UNMERGED);
  assert_int_equal(v.address, 0x180000);
  /* Touching but of another attribute is fine. */
  map_entry *e = dx_node(fx->d, low);
  e->attribute = DXEMEM_MEMORY_WB;
  dx_entry_seal(fx->d, low);
  fx_assert_green(fx);
  e->attribute = 0;
  move_entry(fx, low, 0x100000, 0x10ffff);
  fx_assert_green(fx);
}

static void test_outside_region(void **state) {
  core_fixture *fx = *state;
  three_ranges(fx);
  entry_ref low = entry_at(fx, 0x100000);
  move_entry(fx, low, 0xf0000, 0xfffff);
  dxemem_violation v = fx_assert_violation(fx, DXEMEM_VIOLATION_OUTSIDE_REGION);
  assert_int_equal(v.address, 0xf0000);
  /* Running past the end of the region. */
  move_entry(fx, low, 0x100000, FX_TOP);
  v = fx_assert_violation(fx, DXEMEM_VIOLATION_OUTSIDE_REGION);
  assert_int_equal(v.address, 0x100000);
  /* An empty entry must lie inside too. */
  move_entry(fx, low, FX_TOP + 0x1000, FX_TOP + 0xfff);
  v = fx_assert_violation(fx, DXEMEM_VIOLATION_OUTSIDE_REGION);
  assert_int_equal(v.address, FX_TOP + 0x1000);
  move_entry(fx, low, 0x100000, 0x10ffff);
  fx_assert_green(fx);
}

static void test_entry_accounting(void **state) {
  core_fixture *fx = *state;
  three_ranges(fx);
  fx->d->refuel_pages = 2;
  dxemem_violation v =
      fx_assert_violation(fx, DXEMEM_VIOLATION_ENTRY_ACCOUNTING);
  assert_int_equal(v.address, 2);
  fx->d->refuel_pages = 1;
  fx_assert_green(fx);
}

static void test_stack_not_empty(void **state) {
  core_fixture *fx = *state;
  three_ranges(fx);
  fx->d->map_depth = 1;
  dxemem_violation v =
      fx_assert_violation(fx, DXEMEM_VIOLATION_STACK_NOT_EMPTY);
  assert_int_equal(v.address, 1);
  fx->d->map_depth = 0;
  fx_assert_green(fx);
}

/* A counter above the high-water slot it writes to, or a slot index out of
 * the table. */
static void test_statistics(void **state) {
  core_fixture *fx = *state;
  three_ranges(fx);
  (void)fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_LD, 3, 0);
  dxemem *d = fx->d;
  type_statistics *s = &d->stats[T_LD];
  assert_int_equal(d->info[s->information_index].number_of_pages, 3);
  s->current_number_of_pages = 4;
  dxemem_violation v = fx_assert_violation(fx, DXEMEM_VIOLATION_STATISTICS);
  assert_int_equal(v.address, T_LD);
  s->current_number_of_pages = 3;
  fx_assert_green(fx);

  uint64_t index = s->information_index;
  s->information_index = MEMORY_TYPE_SLOTS;
  v = fx_assert_violation(fx, DXEMEM_VIOLATION_STATISTICS);
  assert_int_equal(v.address, T_LD);
  s->information_index = index;
  fx_assert_green(fx);
}

/* Once a slot got a 32-bit cut, counters may exceed it legitimately. */
static void test_statistics_after_truncation(void **state) {
  core_fixture *fx = *state;
  three_ranges(fx);
  (void)fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_LD, 1, 0);
  (void)fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_LC, (UINT64_C(1) << 52) + 1,
                 0);
  assert_true(fx->d->counter_truncated);
  assert_true(fx_stats(fx->d, T_LC).current_number_of_pages > UINT32_MAX);
  fx_assert_green(fx);
}

static void test_key_decreased(void **state) {
  core_fixture *fx = *state;
  three_ranges(fx);
  fx_assert_green(fx); /* remembers the key */
  uint64_t key = fx->d->map_key;
  fx->d->map_key = key - 1;
  dxemem_violation v = fx_assert_violation(fx, DXEMEM_VIOLATION_KEY_DECREASED);
  assert_int_equal(v.address, key - 1);
  fx->d->map_key = key;
  fx_assert_green(fx);
}

/* A refuel page that is no longer BootServicesData in the map. */
static void test_refuel_page_retyped(void **state) {
  core_fixture *fx = *state;
  three_ranges(fx);
  entry_ref bsd = entry_at(fx, FX_REFUEL);
  map_entry *e = dx_node(fx->d, bsd);
  e->type = T_LD;
  dx_entry_seal(fx->d, bsd);
  dxemem_violation v = fx_assert_violation(fx, DXEMEM_VIOLATION_REFUEL_PAGE);
  assert_int_equal(v.address, FX_REFUEL);
  /* Freed behind the allocator's back (another attribute, so that it does
   * not touch the free range below as an unmerged neighbour). */
  e->type = T_CONV;
  e->attribute = DXEMEM_MEMORY_WB;
  dx_entry_seal(fx->d, bsd);
  v = fx_assert_violation(fx, DXEMEM_VIOLATION_REFUEL_PAGE);
  assert_int_equal(v.address, FX_REFUEL);
  e->type = T_BSD;
  e->attribute = 0;
  dx_entry_seal(fx->d, bsd);
  fx_assert_green(fx);
}

/* After an overlapping add the order rules no longer apply (edk2 accepts
 * overlaps); the other rules still do. */
static void test_overlapping_add_turns_order_checks_off(void **state) {
  core_fixture *fx = *state;
  three_ranges(fx);
  fx_add(fx, T_CONV, 0x108000, 16, 0);
  EXPECT_MAP(fx->d, {T_CONV, 0x100000, 16, 0}, {T_CONV, 0x108000, 16, 0},
             {T_CONV, 0x180000, 127, 0}, {T_BSD, FX_REFUEL, 1, 0});
  fx_assert_green(fx);
  fx->d->map_depth = 1;
  (void)fx_assert_violation(fx, DXEMEM_VIOLATION_STACK_NOT_EMPTY);
  fx->d->map_depth = 0;
}

/* ---- check after every call --------------------------------------------- */

typedef struct assert_log {
  int calls;
  char last[160];
} assert_log;

static void record_assert(void *ctx, const char *message) {
  assert_log *log = ctx;
  log->calls++;
  snprintf(log->last, sizeof log->last, "%s", message);
}

/* The debug level runs the checker at the end of every state-changing
 * call and reports a broken invariant through assert_failed. */
static void test_check_every_call_reports_through_callback(void **state) {
  core_fixture *fx = *state;
  assert_log log = {0, ""};
  fx->config.check_every_call = true;
  fx->config.assert_failed = record_assert;
  fx->config.user_context = &log;
  fx_rebuild(fx, FX_BASE, FX_SIZE, 0);
  three_ranges(fx);
  (void)fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_LD, 2, 0);
  assert_int_equal(log.calls, 0);

  fx->d->stats[T_LD].current_number_of_pages = 1000;
  (void)fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_LC, 1, 0);
  assert_int_equal(log.calls, 1);
  assert_non_null(strstr(log.last, "CurrentNumberOfPages"));
  fx->d->stats[T_LD].current_number_of_pages = 2;
  fx_free(fx, 0x1fc000, 1);
  assert_int_equal(log.calls, 1);
}

/* Without an assert callback the debug level only checks: the call's own
 * status is not affected by what the checker finds. */
static void test_check_every_call_without_callback(void **state) {
  core_fixture *fx = *state;
  fx->config.check_every_call = true;
  fx_rebuild(fx, FX_BASE, FX_SIZE, 0);
  fx->d->config.assert_failed = NULL; /* drop the fixture's default hook */
  three_ranges(fx);
  fx->d->stats[T_LD].current_number_of_pages = 1000;
  (void)fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_LC, 1, 0);
  fx->d->stats[T_LD].current_number_of_pages = 0;
}

#define T(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      T(test_healthy_map_has_no_violation),
      T(test_violation_message_format),
      T(test_corrupt_entry_seal),
      T(test_corrupt_entry_link),
      T(test_corrupt_refuel_chain),
      T(test_unsorted),
      T(test_overlap),
      T(test_unmerged),
      T(test_outside_region),
      T(test_entry_accounting),
      T(test_stack_not_empty),
      T(test_statistics),
      T(test_statistics_after_truncation),
      T(test_key_decreased),
      T(test_refuel_page_retyped),
      T(test_overlapping_add_turns_order_checks_off),
      T(test_check_every_call_reports_through_callback),
      T(test_check_every_call_without_callback),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
