/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * convert.c: CoreConvertPagesEx. Isolating a piece (clip start, clip end,
 * split the centre), the change, the merge; several pieces with partial
 * results; the statistics it keeps; the rule that only free memory is
 * allocated and only allocated memory freed.
 *
 * Start map for most tests (fx_add_all):
 *
 *   0x100000                                   0x1ff000  0x200000
 *   |---------------- conv, 255 pages --------------|-BSD-|
 */
#include "core_test.h"

#include <string.h>

#include "internal.h"

#define WB DXEMEM_MEMORY_WB

/* ---- isolate ------------------------------------------------------------ */

/*
 *   before  |---------------- conv ----------------|BSD|
 *   after   |LD 4|----------- conv ----------------|BSD|
 */
static void test_clip_start(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  uint64_t key = dxemem_get_map_key(fx->d);
  (void)fx_alloc(fx, DXEMEM_ALLOCATE_ADDRESS, T_LD, 4, 0x100000);
  EXPECT_MAP(fx->d, {T_LD, 0x100000, 4, 0}, {T_CONV, 0x104000, 251, 0},
             {T_BSD, FX_REFUEL, 1, 0});
  assert_int_equal(dxemem_get_map_key(fx->d), key + 1);
  assert_int_equal(fx_counts(fx->d).map_entries, 3);
}

/*
 *   before  |---------------- conv ----------------|BSD|
 *   after   |---------------- conv -----------|LD 4|BSD|
 */
static void test_clip_end(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  (void)fx_alloc(fx, DXEMEM_ALLOCATE_ADDRESS, T_LD, 4, 0x1fb000);
  EXPECT_MAP(fx->d, {T_CONV, 0x100000, 251, 0}, {T_LD, 0x1fb000, 4, 0},
             {T_BSD, FX_REFUEL, 1, 0});
}

/*
 *   before  |---------------- conv ----------------|BSD|
 *   after   |--- conv ---|LD 4|------ conv --------|BSD|
 *                        0x140000
 * The split pushes the upper part without a CoreAddRange: one key step.
 */
static void test_split_centre(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  uint64_t key = dxemem_get_map_key(fx->d);
  (void)fx_alloc(fx, DXEMEM_ALLOCATE_ADDRESS, T_LD, 4, 0x140000);
  EXPECT_MAP(fx->d, {T_CONV, 0x100000, 64, 0}, {T_LD, 0x140000, 4, 0},
             {T_CONV, 0x144000, 187, 0}, {T_BSD, FX_REFUEL, 1, 0});
  assert_int_equal(dxemem_get_map_key(fx->d), key + 1);
  assert_int_equal(fx_counts(fx->d).map_entries, 4);
}

/* The split-off upper part keeps the attribute of the entry it came from. */
static void test_split_keeps_attribute(void **state) {
  core_fixture *fx = *state;
  fx_add(fx, T_CONV, FX_BASE, FX_PAGES, WB);
  (void)fx_alloc(fx, DXEMEM_ALLOCATE_ADDRESS, T_LD, 1, 0x140000);
  EXPECT_MAP(fx->d, {T_CONV, 0x100000, 64, WB}, {T_LD, 0x140000, 1, WB},
             {T_CONV, 0x141000, 190, WB}, {T_BSD, FX_REFUEL, 1, WB});
}

/* A piece that is a whole entry empties it; the empty entry is removed. */
static void test_whole_entry_is_replaced(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  (void)fx_alloc(fx, DXEMEM_ALLOCATE_ADDRESS, T_LD, 255, 0x100000);
  EXPECT_MAP(fx->d, {T_LD, 0x100000, 255, 0}, {T_BSD, FX_REFUEL, 1, 0});
  dxemem_counts c = fx_counts(fx->d);
  assert_int_equal(c.map_entries, 2);
  assert_int_equal(c.free_entries, 62);
}

/* Freeing merges the piece back with both free neighbours. */
static void test_free_merges_back(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  (void)fx_alloc(fx, DXEMEM_ALLOCATE_ADDRESS, T_LD, 4, 0x140000);
  uint64_t key = dxemem_get_map_key(fx->d);
  fx_free(fx, 0x140000, 4);
  EXPECT_MAP(fx->d, {T_CONV, 0x100000, 255, 0}, {T_BSD, FX_REFUEL, 1, 0});
  assert_int_equal(dxemem_get_map_key(fx->d), key + 1);
  dxemem_counts c = fx_counts(fx->d);
  assert_int_equal(c.map_entries, 2);
  assert_int_equal(c.free_entries, 62);
}

/* ---- several pieces ------------------------------------------------------ */

/*
 *   0x140000  0x142000  0x144000
 *   |  LC 2  |  LD 2  |            free(0x140000, 4): two pieces
 *   |------ conv ------|           one CONVERT_TYPE event and key step each
 */
static void test_free_over_two_entries(void **state) {
  core_fixture *fx = *state;
  fx_log_events(fx);
  fx_add_all(fx);
  (void)fx_alloc(fx, DXEMEM_ALLOCATE_ADDRESS, T_LC, 2, 0x140000);
  (void)fx_alloc(fx, DXEMEM_ALLOCATE_ADDRESS, T_LD, 2, 0x142000);
  uint64_t key = dxemem_get_map_key(fx->d);
  fx_clear_events(fx);
  fx_free(fx, 0x140000, 4);
  EXPECT_MAP(fx->d, {T_CONV, 0x100000, 255, 0}, {T_BSD, FX_REFUEL, 1, 0});
  assert_int_equal(dxemem_get_map_key(fx->d), key + 2);
  size_t converts = 0;
  for (size_t i = 0; i < fx->event_count; i++) {
    const dxemem_event *e = &fx->events[i];
    if (e->kind != DXEMEM_EVENT_CONVERT_TYPE) {
      continue;
    }
    assert_int_equal(e->type, T_CONV);
    assert_int_equal(e->start, converts == 0 ? 0x140000 : 0x142000);
    assert_int_equal(e->end, converts == 0 ? 0x141fff : 0x143fff);
    converts++;
  }
  assert_int_equal(converts, 2);
}

/*
 *   |--- conv ---|LC 2|------ conv ------|BSD|
 *   free(0x140000, 4): piece 1 (LC) is freed, piece 2 is already free
 *   -> EFI_NOT_FOUND, and piece 1 stays freed
 */
static void test_free_partial_keeps_earlier_pieces(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  (void)fx_alloc(fx, DXEMEM_ALLOCATE_ADDRESS, T_LC, 2, 0x140000);
  assert_int_equal(dxemem_free_pages(fx->d, 0x140000, 4), DXEMEM_NOT_FOUND);
  EXPECT_MAP(fx->d, {T_CONV, 0x100000, 255, 0}, {T_BSD, FX_REFUEL, 1, 0});
}

/*
 *   0x15a000         0x176000   0x180000                  0x1ff000
 *   |--- LD 28 -----|  (hole)  |--------- conv ---------|BSD|
 *   free(0x15a000, 40): the LD entry is freed, then the hole: NOT_FOUND
 */
static void test_free_into_a_hole(void **state) {
  core_fixture *fx = *state;
  fx_add(fx, T_CONV, 0x180000, 128, 0);
  fx_add(fx, T_LD, 0x15a000, 28, 0);
  assert_int_equal(dxemem_free_pages(fx->d, 0x15a000, 40), DXEMEM_NOT_FOUND);
  EXPECT_MAP(fx->d, {T_CONV, 0x15a000, 28, 0}, {T_CONV, 0x180000, 127, 0},
             {T_BSD, FX_REFUEL, 1, 0});
}

/* Attributes go entry by entry and keep each entry's type; a hole stops
 * them with NOT_FOUND after the pieces before it. */
static void test_attributes_over_entries_and_hole(void **state) {
  core_fixture *fx = *state;
  fx_add(fx, T_CONV, 0x180000, 128, 0);
  fx_add(fx, T_LD, 0x150000, 8, 0);
  fx_add(fx, T_LC, 0x158000, 8, 0);
  state_snapshot before;
  fx_snapshot(fx->d, &before);

  assert_int_equal(dxemem_update_memory_attributes(fx->d, 0x154000, 8, WB),
                   DXEMEM_SUCCESS);
  EXPECT_MAP(fx->d, {T_LD, 0x150000, 4, 0}, {T_LD, 0x154000, 4, WB},
             {T_LC, 0x158000, 4, WB}, {T_LC, 0x15c000, 4, 0},
             {T_CONV, 0x180000, 127, 0}, {T_BSD, FX_REFUEL, 1, 0});

  assert_int_equal(dxemem_update_memory_attributes(fx->d, 0x15c000, 8, WB),
                   DXEMEM_NOT_FOUND);
  EXPECT_MAP(fx->d, {T_LD, 0x150000, 4, 0}, {T_LD, 0x154000, 4, WB},
             {T_LC, 0x158000, 8, WB}, {T_CONV, 0x180000, 127, 0},
             {T_BSD, FX_REFUEL, 1, 0});

  /* Attribute changes leave the statistics alone. */
  state_snapshot after;
  fx_snapshot(fx->d, &after);
  for (uint32_t t = 0; t <= DXEMEM_MAX_MEMORY_TYPE; t++) {
    assert_int_equal(after.stats[t].current_number_of_pages,
                     before.stats[t].current_number_of_pages);
    assert_int_equal(after.info[t].number_of_pages,
                     before.info[t].number_of_pages);
  }
}

/* Rewriting the attribute an entry already has, in its middle, splits and
 * merges back: the same map, one key step. */
static void test_attribute_rewrite_leaves_map_as_it_was(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  uint64_t key = dxemem_get_map_key(fx->d);
  assert_int_equal(dxemem_update_memory_attributes(fx->d, 0x140000, 2, 0),
                   DXEMEM_SUCCESS);
  EXPECT_MAP(fx->d, {T_CONV, 0x100000, 255, 0}, {T_BSD, FX_REFUEL, 1, 0});
  assert_int_equal(dxemem_get_map_key(fx->d), key + 1);
  dxemem_counts c = fx_counts(fx->d);
  assert_int_equal(c.map_entries, 2);
  assert_int_equal(c.free_entries, 62);
}

/* ---- argument checks ---------------------------------------------------- */

static void test_invalid_ranges(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  state_snapshot before;
  fx_snapshot(fx->d, &before);
  assert_int_equal(dxemem_update_memory_attributes(fx->d, 0x140000, 0, WB),
                   DXEMEM_INVALID_PARAMETER);
  assert_int_equal(dxemem_update_memory_attributes(fx->d, 0x140800, 1, WB),
                   DXEMEM_INVALID_PARAMETER);
  /* The end wraps: start >= end. */
  assert_int_equal(dxemem_update_memory_attributes(fx->d, 0x140000,
                                                   (UINT64_C(1) << 52) - 1, WB),
                   DXEMEM_INVALID_PARAMETER);
  /* A byte count that is a multiple of 2^64 leaves end = start - 1. */
  assert_int_equal(
      dxemem_update_memory_attributes(fx->d, 0x140000, UINT64_C(1) << 52, WB),
      DXEMEM_INVALID_PARAMETER);
  assert_int_equal(dxemem_free_pool_pages(fx->d, 0x140000, 0),
                   DXEMEM_INVALID_PARAMETER);
  state_snapshot after;
  fx_snapshot(fx->d, &after);
  EXPECT_SAME_STATE(&before, &after);
}

/* 2^52 + k pages is k pages once shifted into bytes. */
static void test_huge_count_converts_low_pages(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  assert_int_equal(dxemem_update_memory_attributes(fx->d, 0x140000,
                                                   (UINT64_C(1) << 52) + 2, WB),
                   DXEMEM_SUCCESS);
  EXPECT_MAP(fx->d, {T_CONV, 0x100000, 64, 0}, {T_CONV, 0x140000, 2, WB},
             {T_CONV, 0x142000, 189, 0}, {T_BSD, FX_REFUEL, 1, 0});
}

/* ---- only free memory is allocated, only allocated memory freed ------- */

static void test_conventional_memory_xor_rule(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  (void)fx_alloc(fx, DXEMEM_ALLOCATE_ADDRESS, T_LD, 2, 0x140000);
  state_snapshot before;
  fx_snapshot(fx->d, &before);
  uint64_t memory = 0x140000;
  /* Allocated -> allocated. */
  assert_int_equal(
      dxemem_allocate_pages(fx->d, DXEMEM_ALLOCATE_ADDRESS, T_LC, 1, &memory),
      DXEMEM_NOT_FOUND);
  /* Free -> free. */
  assert_int_equal(dxemem_free_pages(fx->d, 0x150000, 1), DXEMEM_NOT_FOUND);
  assert_int_equal(dxemem_free_pool_pages(fx->d, 0x150000, 1),
                   DXEMEM_NOT_FOUND);
  /* An allocation must fit in one free entry. */
  memory = 0x13f000;
  assert_int_equal(
      dxemem_allocate_pages(fx->d, DXEMEM_ALLOCATE_ADDRESS, T_LC, 2, &memory),
      DXEMEM_NOT_FOUND);
  assert_int_equal(memory, 0x13f000);
  state_snapshot after;
  fx_snapshot(fx->d, &after);
  EXPECT_SAME_STATE(&before, &after);
  /* Allocated -> free works through either call. */
  assert_int_equal(dxemem_free_pool_pages(fx->d, 0x140000, 1), DXEMEM_SUCCESS);
  fx_free(fx, 0x141000, 1);
  EXPECT_MAP(fx->d, {T_CONV, 0x100000, 255, 0}, {T_BSD, FX_REFUEL, 1, 0});
}

/* ---- statistics ---------------------------------------------------------- */

/*
 * Every piece counts the whole request: freeing 4 pages over LC 2 + LD 2
 * takes 4 from each old type (saturating at 0) and adds 4 twice to
 * EfiConventionalMemory, whose high-water slot (7) then says 8.
 */
static void test_statistics_count_whole_request_per_piece(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  (void)fx_alloc(fx, DXEMEM_ALLOCATE_ADDRESS, T_LC, 2, 0x140000);
  (void)fx_alloc(fx, DXEMEM_ALLOCATE_ADDRESS, T_LD, 2, 0x142000);
  assert_int_equal(fx_stats(fx->d, T_LC).current_number_of_pages, 2);
  assert_int_equal(fx_stats(fx->d, T_LD).current_number_of_pages, 2);
  assert_int_equal(fx_stats(fx->d, T_CONV).current_number_of_pages, 0);

  fx_free(fx, 0x140000, 4);
  assert_int_equal(fx_stats(fx->d, T_LC).current_number_of_pages, 0);
  assert_int_equal(fx_stats(fx->d, T_LD).current_number_of_pages, 0);
  dxemem_type_statistics conv = fx_stats(fx->d, T_CONV);
  assert_int_equal(conv.current_number_of_pages, 8);
  assert_int_equal(conv.information_index, T_CONV);
  dxemem_memory_type_information slot;
  assert_int_equal(dxemem_get_memory_type_information(fx->d, T_CONV, &slot),
                   DXEMEM_SUCCESS);
  assert_int_equal(slot.number_of_pages, 8);
  /* High-water marks stay when the counter drops. */
  assert_int_equal(dxemem_get_memory_type_information(fx->d, T_LC, &slot),
                   DXEMEM_SUCCESS);
  assert_int_equal(slot.number_of_pages, 2);
}

/* A counter above 4G pages is stored into its 32-bit slot cut short;
 * the 64-bit counter keeps the whole value. */
static void test_statistics_high_water_is_32_bit(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  (void)fx_alloc(fx, DXEMEM_ALLOCATE_ADDRESS, T_LD, 1, 0x140000);
  const uint64_t huge = (UINT64_C(1) << 52) + 1;
  fx_free(fx, 0x140000, huge);
  EXPECT_MAP(fx->d, {T_CONV, 0x100000, 255, 0}, {T_BSD, FX_REFUEL, 1, 0});
  assert_int_equal(fx_stats(fx->d, T_CONV).current_number_of_pages, huge);
  dxemem_memory_type_information slot;
  assert_int_equal(dxemem_get_memory_type_information(fx->d, T_CONV, &slot),
                   DXEMEM_SUCCESS);
  assert_int_equal(slot.number_of_pages, (uint32_t)huge);
  assert_int_equal(fx_stats(fx->d, T_LD).current_number_of_pages, 0);
}

/*
 * With an ACPI-reclaim bin at 0x1fb000..0x1fefff (default max 0x1fafff,
 * default base still all-ones), only pieces inside a type's own range or
 * the default range move its counter:
 *   ACPI at 0x100000 (outside its bin, default range still empty): no count
 *   ACPI in its bin: counts 1
 *   freeing the page at 0x100000: ACPI keeps 1, conventional counts 1
 */
static void test_statistics_only_inside_ranges(void **state) {
  core_fixture *fx = *state;
  const dxemem_memory_type_information bins[] = {{T_ACPI, 4}};
  fx_bins(fx, bins, 1);
  fx_add_all(fx);
  dxemem_type_statistics acpi = fx_stats(fx->d, T_ACPI);
  assert_int_equal(acpi.base_address, 0x1fb000);
  assert_int_equal(acpi.maximum_address, 0x1fefff);

  (void)fx_alloc(fx, DXEMEM_ALLOCATE_ADDRESS, T_ACPI, 1, 0x100000);
  assert_int_equal(fx_stats(fx->d, T_ACPI).current_number_of_pages, 0);
  uint64_t in_bin = fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_ACPI, 1, 0);
  assert_int_equal(in_bin, 0x1fe000);
  assert_int_equal(fx_stats(fx->d, T_ACPI).current_number_of_pages, 1);
  fx_free(fx, 0x100000, 1);
  assert_int_equal(fx_stats(fx->d, T_ACPI).current_number_of_pages, 1);
  assert_int_equal(fx_stats(fx->d, T_CONV).current_number_of_pages, 1);
  fx_free(fx, in_bin, 1);
  assert_int_equal(fx_stats(fx->d, T_ACPI).current_number_of_pages, 0);
}

/* OEM and OS types have no statistics row; converting them only moves the
 * conventional counter. */
static void test_statistics_ignore_oem_types(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  state_snapshot before;
  fx_snapshot(fx->d, &before);
  uint64_t oem =
      fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, DXEMEM_OEM_RESERVED_MIN, 3, 0);
  state_snapshot after;
  fx_snapshot(fx->d, &after);
  for (uint32_t t = 0; t <= DXEMEM_MAX_MEMORY_TYPE; t++) {
    assert_int_equal(after.stats[t].current_number_of_pages,
                     before.stats[t].current_number_of_pages);
  }
  fx_free(fx, oem, 3);
  assert_int_equal(fx_stats(fx->d, T_CONV).current_number_of_pages, 3);
}

/* ---- the stack guard ----------------------------------------------------- */

/* A piece needs up to two stack slots; with fewer left dxemem refuses
 * before changing anything (never reached from the API: at most four slots
 * are in use at once). */
static void test_piece_refuses_when_stack_is_nearly_full(void **state) {
  core_fixture *fx = *state;
  dxemem *d = fx->d;
  fx_add_all(fx);
  state_snapshot before;
  fx_snapshot(d, &before);
  d->map_depth = MAX_MAP_DEPTH - 1;
  assert_int_equal(dx_core_convert_pages(d, 0x140000, 1, T_LD),
                   DXEMEM_OUT_OF_RESOURCES);
  d->map_depth = 0;
  state_snapshot after;
  fx_snapshot(d, &after);
  EXPECT_SAME_STATE(&before, &after);
}

#define T(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      T(test_clip_start),
      T(test_clip_end),
      T(test_split_centre),
      T(test_split_keeps_attribute),
      T(test_whole_entry_is_replaced),
      T(test_free_merges_back),
      T(test_free_over_two_entries),
      T(test_free_partial_keeps_earlier_pieces),
      T(test_free_into_a_hole),
      T(test_attributes_over_entries_and_hole),
      T(test_attribute_rewrite_leaves_map_as_it_was),
      T(test_invalid_ranges),
      T(test_huge_count_converts_low_pages),
      T(test_conventional_memory_xor_rule),
      T(test_statistics_count_whole_request_per_piece),
      T(test_statistics_high_water_is_32_bit),
      T(test_statistics_only_inside_ranges),
      T(test_statistics_ignore_oem_types),
      T(test_piece_refuses_when_stack_is_nearly_full),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
