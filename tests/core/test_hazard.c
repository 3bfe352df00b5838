/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * hazard.c and the hazards it reports: edk2's own results are kept (the
 * maps below are the reference's), and each hazard is counted, remembered
 * and sent as a DXEMEM_EVENT_HAZARD event with its pages.
 */
#include "core_test.h"

#include "internal.h"

static uint64_t count(core_fixture *fx, dxemem_hazard_kind kind) {
  return dxemem_get_hazard_count(fx->d, kind);
}

/* The n-th hazard event in the log. */
static const dxemem_event *hazard_event(core_fixture *fx, size_t n) {
  for (size_t i = 0; i < fx->event_count; i++) {
    if (fx->events[i].kind == DXEMEM_EVENT_HAZARD && n-- == 0) {
      return &fx->events[i];
    }
  }
  fail_msg("no hazard event %zu", n);
  return NULL;
}

static size_t hazard_events(core_fixture *fx) {
  size_t n = 0;
  for (size_t i = 0; i < fx->event_count; i++) {
    n += fx->events[i].kind == DXEMEM_EVENT_HAZARD;
  }
  return n;
}

static void expect_hazard(const dxemem_event *ev, dxemem_hazard_kind kind,
                          uint64_t start, uint64_t end) {
  assert_int_equal(ev->kind, DXEMEM_EVENT_HAZARD);
  assert_int_equal(ev->hazard, kind);
  assert_int_equal(ev->start, start);
  assert_int_equal(ev->end, end);
}

/*
 * The fuzz_api finding (fuzz/regressions/api/duplicate-bin-frees-page-0.bin,
 * the trace tests/trace/hazard/duplicate-bin-type.trace): EfiLoaderData is
 * listed twice and a third bin does not fit, so the set-up rolls back. It
 * frees the second bin with the first slot's size, resets the base to 0,
 * then frees pages at address 0 with the second slot's size: two pages of
 * memory added as EfiLoaderData that nobody allocated from the bins. A later
 * AllocateAddress gets one of them.
 */
static void test_duplicate_type_rollback_frees_unowned_pages(void **state) {
  core_fixture *fx = *state;
  fx_rebuild(fx, 0, 0x100000, 0);
  fx_log_events(fx);
  const dxemem_memory_type_information bins[] = {
      {T_LD, 2}, {T_LD, 2}, {T_BSC, 0x400}};
  fx_bins(fx, bins, 3);
  fx_add(fx, T_CONV, 0x80000, 2, 0xf);
  fx_add(fx, T_LD, 0, 4, 0xf);
  assert_int_equal(count(fx, DXEMEM_HAZARD_ANY), 0);
  fx_clear_events(fx);

  fx_add(fx, T_CONV, 0x4000, 124, 0xf);
  assert_false(dxemem_bins_initialized(fx->d));
  assert_int_equal(count(fx, DXEMEM_HAZARD_FREES_UNOWNED), 1);
  assert_int_equal(count(fx, DXEMEM_HAZARD_BIN_LEAKED), 1);
  assert_int_equal(count(fx, DXEMEM_HAZARD_ANY), 2);
  assert_int_equal(hazard_events(fx), 2);
  expect_hazard(hazard_event(fx, 0), DXEMEM_HAZARD_FREES_UNOWNED, 0, 0x1fff);
  /* The first bin was never freed: its base was overwritten. */
  expect_hazard(hazard_event(fx, 1), DXEMEM_HAZARD_BIN_LEAKED, 0x7f000,
                0x80fff);
  dxemem_hazard_kind kind = DXEMEM_HAZARD_ANY;
  uint64_t start = 1;
  uint64_t end = 1;
  assert_true(dxemem_last_hazard(fx->d, &kind, &start, &end));
  assert_int_equal(kind, DXEMEM_HAZARD_BIN_LEAKED);
  assert_int_equal(start, 0x7f000);
  assert_int_equal(end, 0x80fff);
  assert_true(dxemem_last_hazard(fx->d, NULL, NULL, NULL));

  /* edk2's result: pages 0-1 are free memory now. */
  EXPECT_MAP(fx->d, {T_CONV, 0, 2, 0xf}, {T_LD, 0x2000, 2, 0xf},
             {T_CONV, 0x4000, 123, 0xf}, {T_LD, 0x7f000, 2, 0xf},
             {T_BSD, 0x81000, 1, 0xf});
  assert_int_equal(fx_alloc(fx, DXEMEM_ALLOCATE_ADDRESS, T_BSD, 1, 0x1000),
                   0x1000);
}

/* With a type listed twice and every bin fitting, edk2 frees the second
 * bin with the first slot's size (taking two pages of the first bin with
 * it) and then finds it free: the top of the first bin stays allocated. */
static void test_duplicate_type_leaks_part_of_a_bin(void **state) {
  core_fixture *fx = *state;
  fx_log_events(fx);
  const dxemem_memory_type_information bins[] = {{T_LD, 4}, {T_LD, 2}};
  fx_bins(fx, bins, 2);
  fx_add_all(fx);
  assert_true(dxemem_bins_initialized(fx->d));
  EXPECT_MAP(fx->d, {T_CONV, 0x100000, 253, 0}, {T_LD, 0x1fd000, 2, 0},
             {T_BSD, FX_REFUEL, 1, 0});
  assert_int_equal(count(fx, DXEMEM_HAZARD_FREES_UNOWNED), 0);
  assert_int_equal(count(fx, DXEMEM_HAZARD_BIN_LEAKED), 1);
  expect_hazard(hazard_event(fx, 0), DXEMEM_HAZARD_BIN_LEAKED, 0x1fd000,
                0x1fefff);
}

/* A table without duplicates: the set-up frees exactly what it took. */
static void test_plain_bins_raise_nothing(void **state) {
  core_fixture *fx = *state;
  const dxemem_memory_type_information bins[] = {
      {T_ACPI, 4}, {T_RTD, 2}, {T_BSC, 3}};
  fx_bins(fx, bins, 3);
  fx_add_all(fx);
  const dxemem_memory_type_information failing[] = {{T_ACPI, 4}, {T_NVS, 999}};
  assert_int_equal(count(fx, DXEMEM_HAZARD_ANY), 0);
  assert_false(dxemem_last_hazard(fx->d, NULL, NULL, NULL));

  /* A failed try rolls back cleanly too. */
  fx_rebuild(fx, FX_BASE, FX_SIZE, 0);
  fx_bins(fx, failing, 2);
  fx_add_all(fx);
  assert_false(dxemem_bins_initialized(fx->d));
  assert_int_equal(count(fx, DXEMEM_HAZARD_ANY), 0);
}

/* More freed pieces than the watch keeps: each bin is reported whole;
 * conversions to anything but free memory are not watched. */
static void test_watch_overflow_reports_whole_bins(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  fx_log_events(fx);
  struct bin_watch w = {.bins = 1};
  w.bin_start[0] = 0x1000;
  w.bin_end[0] = 0x1fff + PG(BIN_WATCH_PIECES);
  fx->d->bin_watch = &w;
  dx_note_converted_piece(fx->d, 0x1000, 0x1fff, T_LD);
  assert_int_equal(w.pieces, 0);
  for (uint64_t i = 0; i <= BIN_WATCH_PIECES; i++) {
    dx_note_converted_piece(fx->d, PG(1 + i), PG(2 + i) - 1, T_CONV);
  }
  fx->d->bin_watch = NULL;
  assert_true(w.pieces_lost);
  assert_int_equal(count(fx, DXEMEM_HAZARD_ANY), 0);
  dx_report_leaked_bins(fx->d, &w);
  assert_int_equal(count(fx, DXEMEM_HAZARD_BIN_LEAKED), 1);
  expect_hazard(hazard_event(fx, 0), DXEMEM_HAZARD_BIN_LEAKED, w.bin_start[0],
                w.bin_end[0]);
  /* Freed pieces that cover a bin leave nothing to report. */
  w.pieces_lost = false;
  w.pieces = 1;
  w.piece_start[0] = 0;
  w.piece_end[0] = UINT64_MAX;
  dx_report_leaked_bins(fx->d, &w);
  assert_int_equal(count(fx, DXEMEM_HAZARD_BIN_LEAKED), 1);
}

/* edk2 accepts an add over memory already in the map. */
static void test_overlapping_add(void **state) {
  core_fixture *fx = *state;
  fx_log_events(fx);
  fx_add(fx, T_CONV, FX_BASE, 16, 0);
  fx_add(fx, T_CONV, FX_BASE + PG(32), 16, 0);
  assert_int_equal(count(fx, DXEMEM_HAZARD_ANY), 0);
  fx_clear_events(fx);
  /* Covers the end of the first, the gap and the start of the second. */
  fx_add(fx, T_LD, FX_BASE + PG(8), 32, 0);
  assert_int_equal(count(fx, DXEMEM_HAZARD_OVERLAPPING_ADD), 1);
  assert_int_equal(hazard_events(fx), 1);
  expect_hazard(hazard_event(fx, 0), DXEMEM_HAZARD_OVERLAPPING_ADD,
                FX_BASE + PG(8), FX_BASE + PG(40) - 1);
  assert_string_equal(hazard_event(fx, 0)->function, "CoreAddMemoryDescriptor");
  /* Touching is not overlapping. */
  fx_add(fx, T_CONV, FX_BASE + PG(48), 4, 0);
  assert_int_equal(count(fx, DXEMEM_HAZARD_ANY), 1);
}

/* An empty add at 0 ends at 2^64 - 1: it overlaps every address. */
static void test_empty_add_at_zero_overlaps_everything(void **state) {
  core_fixture *fx = *state;
  fx_rebuild(fx, 0, FX_SIZE, 0);
  fx_log_events(fx);
  fx_add(fx, T_CONV, PG(16), 16, 0);
  fx_add(fx, T_CONV, 0, 0, 0);
  assert_int_equal(count(fx, DXEMEM_HAZARD_OVERLAPPING_ADD), 1);
  expect_hazard(hazard_event(fx, 0), DXEMEM_HAZARD_OVERLAPPING_ADD, 0,
                UINT64_MAX);
  /* Empty adds elsewhere overlap nothing. */
  fx_add(fx, T_CONV, PG(4), 0, 0);
  assert_int_equal(count(fx, DXEMEM_HAZARD_ANY), 1);
  fx->broken = true; /* the wrapping entry voids the region rules */
}

/* A page-path pool buffer freed twice: edk2 answers EFI_SUCCESS (and
 * lowers Used again); dxemem refuses and reports the hazard with the
 * buffer's block. A bucket block freed twice fails edk2's own signature
 * check and is no hazard. */
static void test_pool_double_free(void **state) {
  core_fixture *fx = *state;
  fx_log_events(fx);
  fx_add_all(fx);
  uint64_t big = 0;
  uint64_t small = 0;
  assert_int_equal(dxemem_allocate_pool(fx->d, T_BSD, 8000, &big),
                   DXEMEM_SUCCESS);
  assert_int_equal(dxemem_allocate_pool(fx->d, T_BSD, 16, &small),
                   DXEMEM_SUCCESS);
  assert_int_equal(dxemem_free_pool(fx->d, big, NULL), DXEMEM_SUCCESS);
  assert_int_equal(dxemem_free_pool(fx->d, small, NULL), DXEMEM_SUCCESS);
  assert_int_equal(dxemem_free_pool(fx->d, small, NULL),
                   DXEMEM_INVALID_PARAMETER);
  assert_int_equal(count(fx, DXEMEM_HAZARD_ANY), 0);
  fx_clear_events(fx);
  assert_int_equal(dxemem_free_pool(fx->d, big, NULL),
                   DXEMEM_INVALID_PARAMETER);
  assert_int_equal(count(fx, DXEMEM_HAZARD_POOL_DOUBLE_FREE), 1);
  const dxemem_event *ev = hazard_event(fx, 0);
  assert_int_equal(ev->hazard, DXEMEM_HAZARD_POOL_DOUBLE_FREE);
  assert_int_equal(ev->start, big - 24);
  assert_true(ev->end >= big + 8000 - 1);
  assert_string_equal(ev->function, "CoreFreePool");
}

/* FreePages over a bucket pool page, as in the differential trace
 * tests/conformance/oracle-freepages-on-pool-page: edk2 frees it like any
 * page, and a pool page of another type is carved over it, so the first
 * pool's free list links blocks of the second. The free succeeds, the
 * hazard names its pages, and the checker (run at teardown) accepts what
 * follows. A free of pages without free blocks, and one of an OEM pool's
 * page, are seen the same way. */
static void test_free_pages_over_pool_page(void **state) {
  core_fixture *fx = *state;
  fx_log_events(fx);
  fx_add_all(fx);
  uint64_t buffer = 0;
  assert_int_equal(dxemem_allocate_pool(fx->d, T_LD, 0x20, &buffer),
                   DXEMEM_SUCCESS);
  uint64_t granule = buffer & ~(uint64_t)0xfff;
  assert_int_equal(dxemem_free_pages(fx->d, granule, 1), DXEMEM_SUCCESS);
  assert_int_equal(count(fx, DXEMEM_HAZARD_FREES_POOL_PAGE), 1);
  const dxemem_event *ev = hazard_event(fx, 0);
  expect_hazard(ev, DXEMEM_HAZARD_FREES_POOL_PAGE, granule, granule + 0xfff);
  assert_string_equal(ev->function, "CoreInternalFreePages");
  uint64_t other = 0;
  assert_int_equal(dxemem_allocate_pool(fx->d, T_BSD, 0x20, &other),
                   DXEMEM_SUCCESS);
  assert_int_equal(other, buffer);
  uint64_t page = 0;
  assert_int_equal(
      dxemem_allocate_pages(fx->d, DXEMEM_ALLOCATE_ANY_PAGES, T_LD, 1, &page),
      DXEMEM_SUCCESS);
  assert_int_equal(dxemem_free_pages(fx->d, page, 1), DXEMEM_SUCCESS);
  assert_int_equal(count(fx, DXEMEM_HAZARD_ANY), 1);
  uint64_t oem = 0;
  assert_int_equal(dxemem_allocate_pool(fx->d, 0x80000000u, 0x20, &oem),
                   DXEMEM_SUCCESS);
  assert_int_equal(dxemem_free_pages(fx->d, oem & ~(uint64_t)0xfff, 1),
                   DXEMEM_SUCCESS);
  assert_int_equal(count(fx, DXEMEM_HAZARD_FREES_POOL_PAGE), 2);
}

/* A page-path buffer freed twice after its first page went to a page
 * allocation of another type (the fuzz_trace finding behind
 * tests/conformance/oracle-pool-stale-double-free): edk2 reads the intact
 * head, lowers Used again and frees the old pages; so does dxemem, with
 * the hazard, and the checker (at teardown) stops its pool rules. */
static void test_pool_stale_double_free(void **state) {
  core_fixture *fx = *state;
  fx_log_events(fx);
  fx_add_all(fx);
  uint64_t big = 0;
  assert_int_equal(dxemem_allocate_pool(fx->d, T_LD, 8000, &big),
                   DXEMEM_SUCCESS);
  uint64_t head = big - 24;
  assert_int_equal(dxemem_free_pool(fx->d, big, NULL), DXEMEM_SUCCESS);
  uint64_t page = head;
  assert_int_equal(
      dxemem_allocate_pages(fx->d, DXEMEM_ALLOCATE_ADDRESS, T_BSC, 1, &page),
      DXEMEM_SUCCESS);
  assert_int_equal(count(fx, DXEMEM_HAZARD_ANY), 0);
  uint32_t type = 0;
  assert_int_equal(dxemem_free_pool(fx->d, big, &type), DXEMEM_SUCCESS);
  assert_int_equal(type, T_LD);
  assert_int_equal(count(fx, DXEMEM_HAZARD_POOL_STALE_FREE), 1);
  const dxemem_event *ev = hazard_event(fx, 0);
  expect_hazard(ev, DXEMEM_HAZARD_POOL_STALE_FREE, head, head + 0x1fff);
  assert_string_equal(ev->function, "CoreFreePool");
}

/* The same when the pages went to a new owner of the same type; a buffer
 * made again at the same head is a live one, whose free is no hazard. */
static void test_stale_free_same_type(void **state) {
  core_fixture *fx = *state;
  fx_log_events(fx);
  fx_add_all(fx);
  uint64_t a = 0;
  uint64_t b = 0;
  assert_int_equal(dxemem_allocate_pool(fx->d, T_LD, 8000, &a),
                   DXEMEM_SUCCESS);
  assert_int_equal(dxemem_free_pool(fx->d, a, NULL), DXEMEM_SUCCESS);
  assert_int_equal(dxemem_allocate_pool(fx->d, T_LD, 8000, &b),
                   DXEMEM_SUCCESS);
  assert_int_equal(b, a); /* the same pages, the same head */
  assert_int_equal(dxemem_free_pool(fx->d, b, NULL), DXEMEM_SUCCESS);
  assert_int_equal(count(fx, DXEMEM_HAZARD_ANY), 0);
  uint64_t page = a - 24;
  assert_int_equal(
      dxemem_allocate_pages(fx->d, DXEMEM_ALLOCATE_ADDRESS, T_LD, 2, &page),
      DXEMEM_SUCCESS);
  assert_int_equal(dxemem_free_pool(fx->d, a, NULL), DXEMEM_SUCCESS);
  assert_int_equal(count(fx, DXEMEM_HAZARD_POOL_STALE_FREE), 1);
  expect_hazard(hazard_event(fx, 0), DXEMEM_HAZARD_POOL_STALE_FREE, a - 24,
                a - 24 + 0x1fff);
  fx->broken = true; /* Used went down twice, as in edk2 */
}

/* A size whose arithmetic wraps in edk2 (its buffer would overlap live
 * memory): refused, reported with the size. The largest size that does
 * not wrap is no hazard. */
static void test_pool_size_that_wraps(void **state) {
  core_fixture *fx = *state;
  fx_log_events(fx);
  fx_add_all(fx);
  uint64_t buffer = 0;
  assert_int_equal(
      dxemem_allocate_pool(fx->d, T_BSD, UINT64_MAX - 4135, &buffer),
      DXEMEM_OUT_OF_RESOURCES);
  assert_int_equal(count(fx, DXEMEM_HAZARD_ANY), 0);
  assert_int_equal(
      dxemem_allocate_pool(fx->d, T_BSD, UINT64_MAX - 4134, &buffer),
      DXEMEM_OUT_OF_RESOURCES);
  assert_int_equal(count(fx, DXEMEM_HAZARD_POOL_OVERLAP), 1);
  expect_hazard(hazard_event(fx, 0), DXEMEM_HAZARD_POOL_OVERLAP,
                UINT64_MAX - 4134, UINT64_MAX - 4134);
  assert_string_equal(hazard_event(fx, 0)->function, "CoreAllocatePool");
}

static void test_hazard_api_edges(void **state) {
  core_fixture *fx = *state;
  assert_int_equal(dxemem_get_hazard_count(NULL, DXEMEM_HAZARD_ANY), 0);
  assert_int_equal(dxemem_get_hazard_count(
                       fx->d, (dxemem_hazard_kind)DXEMEM_HAZARD_KIND_LIMIT),
                   0);
  assert_false(dxemem_last_hazard(NULL, NULL, NULL, NULL));
  assert_false(dxemem_last_hazard(fx->d, NULL, NULL, NULL));
  /* Kinds outside the table are not counted. */
  dx_raise_hazard(fx->d, DXEMEM_HAZARD_ANY, 0, 0);
  dx_raise_hazard(fx->d, (dxemem_hazard_kind)DXEMEM_HAZARD_KIND_LIMIT, 0, 0);
  assert_int_equal(count(fx, DXEMEM_HAZARD_ANY), 0);
  /* Without an event callback it is still counted and remembered. */
  dx_raise_hazard(fx->d, DXEMEM_HAZARD_POOL_DOUBLE_FREE, 0x1000, 0x1fff);
  assert_int_equal(count(fx, DXEMEM_HAZARD_POOL_DOUBLE_FREE), 1);
  assert_int_equal(count(fx, DXEMEM_HAZARD_ANY), 1);
  dxemem_hazard_kind kind = DXEMEM_HAZARD_ANY;
  assert_true(dxemem_last_hazard(fx->d, &kind, NULL, NULL));
  assert_int_equal(kind, DXEMEM_HAZARD_POOL_DOUBLE_FREE);
}

static void test_hazard_names(void **state) {
  (void)state;
  for (int k = DXEMEM_HAZARD_FREES_UNOWNED; k <= DXEMEM_HAZARD_POOL_STALE_FREE;
       k++) {
    assert_non_null(dxemem_hazard_name((dxemem_hazard_kind)k));
  }
  assert_null(dxemem_hazard_name(DXEMEM_HAZARD_ANY));
  assert_null(dxemem_hazard_name(DXEMEM_HAZARD_KIND_LIMIT));
  assert_null(dxemem_hazard_name((dxemem_hazard_kind)99));
}

#define T(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      T(test_duplicate_type_rollback_frees_unowned_pages),
      T(test_duplicate_type_leaks_part_of_a_bin),
      T(test_plain_bins_raise_nothing),
      T(test_watch_overflow_reports_whole_bins),
      T(test_overlapping_add),
      T(test_empty_add_at_zero_overlaps_everything),
      T(test_pool_double_free),
      T(test_pool_size_that_wraps),
      T(test_free_pages_over_pool_page),
      T(test_pool_stale_double_free),
      T(test_stale_free_same_type),
      T(test_hazard_api_edges),
      T(test_hazard_names),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
