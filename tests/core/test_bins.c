/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * bins.c: the memory type bins. Set up at the first add that can hold
 * them (allocated top-down, then freed and remembered), retried after every
 * add until they fit, or placed by CoreSetMemoryTypeInformationRange; the
 * quirks edk2 has with duplicate types, invalid types and its default table.
 */
#include "core_test.h"

#include "internal.h"

/*
 * bins ACPI-reclaim 4, RuntimeServicesData 2, BootServicesCode 3, in this
 * order, allocated top-down below the first refuel page, then freed:
 *
 *   0x100000        0x1f6000  0x1f9000  0x1fb000     0x1ff000
 *   |-- default ----|-- BSC --|-- RTD --|-- ACPI ---|BSD|
 *   default max 0x1f5fff, default base still all-ones
 */
static void test_bins_set_at_first_add(void **state) {
  core_fixture *fx = *state;
  const dxemem_memory_type_information bins[] = {
      {T_ACPI, 4}, {T_RTD, 2}, {T_BSC, 3}};
  fx_bins(fx, bins, 3);
  fx_add_all(fx);
  assert_true(dxemem_bins_initialized(fx->d));
  fx_expect_bin(fx, T_ACPI, 0x1fb000, 0x1fefff, 4, 0);
  fx_expect_bin(fx, T_RTD, 0x1f9000, 0x1fafff, 2, 1);
  fx_expect_bin(fx, T_BSC, 0x1f6000, 0x1f8fff, 3, 2);
  /* Types without a bin use the default range, tracked by the terminator
   * slot. */
  fx_expect_bin(fx, T_LD, 0, 0x1f5fff, 0, 16);
  fx_expect_bin(fx, T_CONV, 0, 0x1f5fff, 0, 16);
  fx_expect_default_range(fx, UINT64_MAX, 0x1f5fff);
  /* The slots gave their pages to the bins. */
  for (size_t i = 0; i < 3; i++) {
    assert_int_equal(fx_slot(fx, i).type, bins[i].type);
    assert_int_equal(fx_slot(fx, i).number_of_pages, 0);
  }
  assert_int_equal(fx_slot(fx, 3).type, DXEMEM_MAX_MEMORY_TYPE);
  /* The high-water marks of types outside the table land in slot 16:
   * conventional memory rose to 4 + 2 + 3 while the bins were freed. */
  assert_int_equal(fx_slot(fx, 16).number_of_pages, 9);
  /* Add and refuel, three bin allocations and three frees. */
  assert_int_equal(dxemem_get_map_key(fx->d), 8);
  EXPECT_MAP(fx->d, {T_CONV, 0x100000, 255, 0}, {T_BSD, FX_REFUEL, 1, 0});
  /* Allocations go to their bins, the rest to the default range. */
  assert_int_equal(fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_BSC, 1, 0),
                   0x1f8000);
  assert_int_equal(fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_LD, 1, 0),
                   0x1f5000);
}

/* Once set, later adds do not touch the bins again. */
static void test_bins_are_set_once(void **state) {
  core_fixture *fx = *state;
  const dxemem_memory_type_information bins[] = {{T_ACPI, 4}};
  fx_bins(fx, bins, 1);
  fx_add(fx, T_CONV, 0x180000, 128, 0);
  fx_expect_bin(fx, T_ACPI, 0x1fb000, 0x1fefff, 4, 0);
  uint64_t key = dxemem_get_map_key(fx->d);
  fx_add(fx, T_CONV, 0x100000, 128, 0);
  assert_int_equal(dxemem_get_map_key(fx->d), key + 1);
  fx_expect_bin(fx, T_ACPI, 0x1fb000, 0x1fefff, 4, 0);
}

/* With 64 KiB granularity the slot of a runtime type is rounded up in
 * place and its bin is 64 KiB aligned; other bins are not.
 *
 *   0x1e0000        0x1f0000           0x1fe000 0x1ff000
 *   |-- RTD 16 ----|                   |LD 1  |BSD|
 */
static void test_bins_rounded_to_runtime_granularity(void **state) {
  core_fixture *fx = *state;
  fx_rebuild(fx, FX_BASE, FX_SIZE, 65536);
  const dxemem_memory_type_information bins[] = {{T_RTD, 1}, {T_LD, 1}};
  fx_bins(fx, bins, 2);
  fx_add_all(fx);
  fx_expect_bin(fx, T_RTD, 0x1e0000, 0x1effff, 16, 0);
  fx_expect_bin(fx, T_LD, 0x1fe000, 0x1fefff, 1, 1);
  fx_expect_default_range(fx, UINT64_MAX, 0x1dffff);
}

/*
 * ACPI 4 fits in the first 1 MiB, NVS 1000 does not: the ACPI bin is freed
 * again, but the lowered default maximum and the slots stay. The next add
 * (7 MiB more) tries again and succeeds; its bins are higher, so the
 * default maximum keeps the old value.
 */
static void test_bins_retried_until_they_fit(void **state) {
  core_fixture *fx = *state;
  fx_rebuild(fx, FX_BASE, 0x800000, 0);
  const dxemem_memory_type_information bins[] = {{T_ACPI, 4}, {T_NVS, 1000}};
  fx_bins(fx, bins, 2);
  fx_add(fx, T_CONV, FX_BASE, 256, 0);
  assert_false(dxemem_bins_initialized(fx->d));
  dxemem_type_statistics acpi = fx_stats(fx->d, T_ACPI);
  assert_int_equal(acpi.base_address, 0);
  assert_int_equal(acpi.maximum_address, UINT64_MAX);
  assert_int_equal(acpi.number_of_pages, 0);
  fx_expect_default_range(fx, UINT64_MAX, 0x1fafff);
  assert_int_equal(fx_slot(fx, 0).number_of_pages, 4);
  assert_int_equal(fx_slot(fx, 1).number_of_pages, 1000);
  EXPECT_MAP(fx->d, {T_CONV, 0x100000, 255, 0}, {T_BSD, FX_REFUEL, 1, 0});
  /* Add and refuel, the ACPI bin and its free. */
  assert_int_equal(dxemem_get_map_key(fx->d), 4);

  fx_add(fx, T_CONV, 0x200000, 0x700, 0);
  assert_true(dxemem_bins_initialized(fx->d));
  fx_expect_bin(fx, T_ACPI, 0x8fc000, 0x8fffff, 4, 0);
  fx_expect_bin(fx, T_NVS, 0x514000, 0x8fbfff, 1000, 1);
  fx_expect_default_range(fx, UINT64_MAX, 0x1fafff);
  fx_expect_bin(fx, T_LD, 0, 0x1fafff, 0, 16);
  assert_int_equal(fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_LD, 1, 0),
                   0x1fa000);
}

/* Types edk2 cannot allocate make the bins fail at every add; nothing is
 * allocated, nothing lowered. */
static void test_bins_with_unallocatable_types_never_set(void **state) {
  core_fixture *fx = *state;
  static const uint32_t bad[] = {T_CONV, 14, 15};
  for (size_t i = 0; i < 3; i++) {
    fx_rebuild(fx, FX_BASE, FX_SIZE, 0);
    const dxemem_memory_type_information bins[] = {{bad[i], 4}};
    fx_bins(fx, bins, 1);
    fx_add(fx, T_CONV, 0x180000, 128, 0);
    fx_add(fx, T_CONV, 0x100000, 128, 0);
    assert_false(dxemem_bins_initialized(fx->d));
    fx_expect_default_range(fx, UINT64_MAX, UINT64_MAX);
    assert_int_equal(dxemem_get_map_key(fx->d), 3);
    fx_assert_green(fx);
  }
}

/* OEM types in the table and 0-page slots are skipped; a 0-page slot still
 * names the slot that tracks its type. */
static void test_bins_skip_oem_and_empty_slots(void **state) {
  core_fixture *fx = *state;
  const dxemem_memory_type_information bins[] = {
      {0x70000000, 4}, {T_ACPI, 0}, {T_LD, 2}};
  fx_bins(fx, bins, 3);
  fx_add_all(fx);
  assert_true(dxemem_bins_initialized(fx->d));
  fx_expect_bin(fx, T_LD, 0x1fd000, 0x1fefff, 2, 2);
  fx_expect_bin(fx, T_ACPI, 0, 0x1fcfff, 0, 1);
  assert_int_equal(fx_slot(fx, 0).number_of_pages, 4);
  EXPECT_MAP(fx->d, {T_CONV, 0x100000, 255, 0}, {T_BSD, FX_REFUEL, 1, 0});
}

/*
 * A type listed twice: the second allocation skips the first bin (already
 * allocated) for the default range, and the frees both use the second
 * bin's base, so the first bin stays allocated for good.
 *
 *   0x1fb000  0x1fd000            0x1ff000
 *   |  bin 2 |  bin 1 (leaked)  |BSD|
 */
static void test_bins_duplicate_type_leaks_first_bin(void **state) {
  core_fixture *fx = *state;
  const dxemem_memory_type_information bins[] = {{T_ACPI, 2}, {T_ACPI, 2}};
  fx_bins(fx, bins, 2);
  fx_add_all(fx);
  assert_true(dxemem_bins_initialized(fx->d));
  EXPECT_MAP(fx->d, {T_CONV, 0x100000, 253, 0}, {T_ACPI, 0x1fd000, 2, 0},
             {T_BSD, FX_REFUEL, 1, 0});
  fx_expect_bin(fx, T_ACPI, 0x1fb000, 0x1fcfff, 2, 1);
  /* The second bin came from the default range, which lowered its base. */
  fx_expect_default_range(fx, 0x1fb000, 0x1fafff);
  /* Add, refuel, two allocations, one successful free. */
  assert_int_equal(dxemem_get_map_key(fx->d), 5);
}

/* The roll-back of a failed try skips the slots the try skipped: OEM types
 * and empty slots. */
static void test_bins_rollback_skips_oem_and_empty_slots(void **state) {
  core_fixture *fx = *state;
  const dxemem_memory_type_information bins[] = {
      {0x70000000, 4}, {T_ACPI, 0}, {T_RTD, 2}, {T_NVS, 1000}};
  fx_bins(fx, bins, 4);
  fx_add_all(fx);
  assert_false(dxemem_bins_initialized(fx->d));
  dxemem_type_statistics rtd = fx_stats(fx->d, T_RTD);
  assert_int_equal(rtd.base_address, 0);
  assert_int_equal(rtd.maximum_address, UINT64_MAX);
  fx_expect_default_range(fx, UINT64_MAX, 0x1fcfff);
  assert_int_equal(fx_slot(fx, 0).number_of_pages, 4);
  EXPECT_MAP(fx->d, {T_CONV, 0x100000, 255, 0}, {T_BSD, FX_REFUEL, 1, 0});
}

/* ---- CoreSetMemoryTypeInformationRange ---------------------------------- */

/*
 * binrange(0x180000, 64 KiB) places the bins top-down from 0x190000 and
 * allocates nothing; the first refuel then comes from the top of the
 * default range, below the bins:
 *
 *   0x100000          0x189000 0x18a000  0x18c000   0x190000       0x200000
 *   |------ conv -----|BSD    |-- RTD --|-- ACPI --|------ conv ---|
 */
static void test_binrange_places_bins(void **state) {
  core_fixture *fx = *state;
  const dxemem_memory_type_information bins[] = {{T_ACPI, 4}, {T_RTD, 2}};
  fx_bins(fx, bins, 2);
  assert_int_equal(
      dxemem_set_memory_type_information_range(fx->d, 0x180000, 0x10000),
      DXEMEM_SUCCESS);
  assert_true(dxemem_bins_initialized(fx->d));
  fx_expect_bin(fx, T_ACPI, 0x18c000, 0x18ffff, 4, 0);
  fx_expect_bin(fx, T_RTD, 0x18a000, 0x18bfff, 2, 1);
  fx_expect_default_range(fx, UINT64_MAX, 0x189fff);
  assert_int_equal(fx_slot(fx, 0).number_of_pages, 0);
  assert_int_equal(dxemem_get_map_key(fx->d), 0);
  assert_int_equal(fx_counts(fx->d).map_entries, 0);

  fx_add_all(fx);
  EXPECT_MAP(fx->d, {T_CONV, 0x100000, 137, 0}, {T_BSD, 0x189000, 1, 0},
             {T_CONV, 0x18a000, 118, 0});
  /* Add and refuel only. */
  assert_int_equal(dxemem_get_map_key(fx->d), 2);
}

/* binrange skips OEM types and empty slots, both when placing and when
 * sizing (Page.c checks the type before it counts a slot). */
static void test_binrange_skips_oem_and_empty_slots(void **state) {
  core_fixture *fx = *state;
  const dxemem_memory_type_information bins[] = {
      {0x70000000, 2}, {T_ACPI, 0}, {T_RTD, 2}};
  fx_bins(fx, bins, 3);
  assert_int_equal(
      dxemem_set_memory_type_information_range(fx->d, 0x180000, 0x1000),
      DXEMEM_BAD_BUFFER_SIZE);
  assert_int_equal(
      dxemem_set_memory_type_information_range(fx->d, 0x180000, 0x2000),
      DXEMEM_SUCCESS);
  fx_expect_bin(fx, T_RTD, 0x180000, 0x181fff, 2, 2);
  fx_expect_bin(fx, T_ACPI, 0, 0x17ffff, 0, 1);
  fx_expect_default_range(fx, UINT64_MAX, 0x17ffff);
  assert_int_equal(fx_slot(fx, 0).number_of_pages, 2);
}

/* With 64 KiB granularity binrange rounds a runtime bin up to 16 pages
 * (its size, its maximum and NumberOfPages), then aligns its base down. */
static void test_binrange_rounds_runtime_bins(void **state) {
  core_fixture *fx = *state;
  fx_rebuild(fx, FX_BASE, FX_SIZE, 65536);
  const dxemem_memory_type_information bins[] = {{T_NVS, 1}, {T_LD, 1}};
  fx_bins(fx, bins, 2);
  /* From 0x191000: NVS takes 16 pages and its base aligns down past
   * 0x1000 of padding, then LoaderData needs 0x1000 more: 0x12000. */
  assert_int_equal(
      dxemem_set_memory_type_information_range(fx->d, 0x180000, 0x11000),
      DXEMEM_BAD_BUFFER_SIZE);
  assert_int_equal(
      dxemem_set_memory_type_information_range(fx->d, 0x180000, 0x20000),
      DXEMEM_SUCCESS);
  fx_expect_bin(fx, T_NVS, 0x190000, 0x19ffff, 16, 0);
  fx_expect_bin(fx, T_LD, 0x18f000, 0x18ffff, 1, 1);
  assert_int_equal(fx_slot(fx, 0).number_of_pages, 0);
}

/* With a BootServicesData bin the first refuel lands at its top. */
static void test_binrange_refuel_in_boot_services_data_bin(void **state) {
  core_fixture *fx = *state;
  const dxemem_memory_type_information bins[] = {{T_BSD, 4}};
  fx_bins(fx, bins, 1);
  assert_int_equal(
      dxemem_set_memory_type_information_range(fx->d, 0x180000, 0x4000),
      DXEMEM_SUCCESS);
  fx_add_all(fx);
  EXPECT_MAP(fx->d, {T_CONV, 0x100000, 131, 0}, {T_BSD, 0x183000, 1, 0},
             {T_CONV, 0x184000, 124, 0});
  assert_int_equal(fx_stats(fx->d, T_BSD).current_number_of_pages, 1);
}

/* Too small: ignored entirely (dxemem says BAD_BUFFER_SIZE). The alignment
 * padding of a runtime bin counts. */
static void test_binrange_too_small_is_ignored(void **state) {
  core_fixture *fx = *state;
  fx_rebuild(fx, FX_BASE, FX_SIZE, 65536);
  const dxemem_memory_type_information bins[] = {{T_RTD, 16}};
  fx_bins(fx, bins, 1);
  state_snapshot before;
  fx_snapshot(fx->d, &before);
  assert_int_equal(
      dxemem_set_memory_type_information_range(fx->d, 0x180000, 0xf000),
      DXEMEM_BAD_BUFFER_SIZE);
  /* 64 KiB, but the bin's base would need 4 KiB of padding below the top. */
  assert_int_equal(
      dxemem_set_memory_type_information_range(fx->d, 0x181000, 0x10000),
      DXEMEM_BAD_BUFFER_SIZE);
  state_snapshot after;
  fx_snapshot(fx->d, &after);
  EXPECT_SAME_STATE(&before, &after);
  /* With the padding included it fits, aligned down. */
  assert_int_equal(
      dxemem_set_memory_type_information_range(fx->d, 0x180000, 0x11000),
      DXEMEM_SUCCESS);
  fx_expect_bin(fx, T_RTD, 0x180000, 0x18ffff, 16, 0);
}

static void test_binrange_after_bins_are_set(void **state) {
  core_fixture *fx = *state;
  const dxemem_memory_type_information bins[] = {{T_ACPI, 4}};
  fx_bins(fx, bins, 1);
  assert_int_equal(
      dxemem_set_memory_type_information_range(fx->d, 0x180000, 0x4000),
      DXEMEM_SUCCESS);
  state_snapshot before;
  fx_snapshot(fx->d, &before);
  assert_int_equal(
      dxemem_set_memory_type_information_range(fx->d, 0x100000, 0x4000),
      DXEMEM_ALREADY_STARTED);
  state_snapshot after;
  fx_snapshot(fx->d, &after);
  EXPECT_SAME_STATE(&before, &after);

  /* Bins set by the first add close it as well. */
  fx_rebuild(fx, FX_BASE, FX_SIZE, 0);
  fx_add_all(fx);
  assert_int_equal(
      dxemem_set_memory_type_information_range(fx->d, 0x100000, 0x4000),
      DXEMEM_ALREADY_STARTED);
}

/* binrange accepts EfiConventionalMemory, which the allocating path never
 * does; conventional memory then has a bin of its own. */
static void test_binrange_accepts_conventional_type(void **state) {
  core_fixture *fx = *state;
  const dxemem_memory_type_information bins[] = {{T_CONV, 4}};
  fx_bins(fx, bins, 1);
  assert_int_equal(
      dxemem_set_memory_type_information_range(fx->d, 0x180000, 0x4000),
      DXEMEM_SUCCESS);
  fx_expect_bin(fx, T_CONV, 0x180000, 0x183fff, 4, 0);
  fx_expect_default_range(fx, UINT64_MAX, 0x17ffff);
}

/* ---- edk2's default table ------------------------------------------------ */

/*
 * Without a table the defaults list types 0..15, but slot 15 names type 6:
 * type 6 is tracked by slot 15 (the last match), type 15 by the terminator.
 */
static void test_default_table_slot_15_quirk(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  assert_true(dxemem_bins_initialized(fx->d));
  assert_int_equal(fx_slot(fx, 15).type, T_RTD);
  assert_int_equal(fx_stats(fx->d, T_RTD).information_index, 15);
  assert_int_equal(fx_stats(fx->d, 15).information_index, 16);
  for (uint32_t t = 0; t < 15; t++) {
    if (t != T_RTD) {
      assert_int_equal(fx_stats(fx->d, t).information_index, t);
    }
  }
  (void)fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_RTD, 3, 0);
  assert_int_equal(fx_slot(fx, 15).number_of_pages, 3);
  assert_int_equal(fx_slot(fx, T_RTD).number_of_pages, 0);
  /* Nothing reserved: every type's range is the whole default range. */
  fx_expect_default_range(fx, UINT64_MAX, UINT64_MAX);
}

#define T(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      T(test_bins_set_at_first_add),
      T(test_bins_are_set_once),
      T(test_bins_rounded_to_runtime_granularity),
      T(test_bins_retried_until_they_fit),
      T(test_bins_with_unallocatable_types_never_set),
      T(test_bins_skip_oem_and_empty_slots),
      T(test_bins_duplicate_type_leaks_first_bin),
      T(test_bins_rollback_skips_oem_and_empty_slots),
      T(test_binrange_places_bins),
      T(test_binrange_skips_oem_and_empty_slots),
    T(test_binrange_rounds_runtime_bins),
      T(test_binrange_refuel_in_boot_services_data_bin),
      T(test_binrange_too_small_is_ignored),
      T(test_binrange_after_bins_are_set),
      T(test_binrange_accepts_conventional_type),
      T(test_default_table_slot_15_quirk),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
