/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * find.c: CoreFindFreePagesI (top-down, MaxAddress rounding, alignment,
 * minimum address, EFI_MEMORY_SP, attribute boundaries, "0 is not found")
 * and FindFreePages (the type's bin, then the default range, which lowers
 * the default base, then anywhere).
 */
#include "core_test.h"

#include "internal.h"

#define SP DXEMEM_MEMORY_SP
#define WB DXEMEM_MEMORY_WB

static uint64_t find_i(core_fixture *fx, uint64_t max, uint64_t min,
                       uint64_t pages, uint64_t alignment) {
  return dx_core_find_free_pages_i(fx->d, max, min, pages, alignment, false);
}

/*
 *   0x100000      0x13f000 0x140000      0x180000           0x1c0000
 *   |-- conv 63 --|BSD|    |  (hole)     |---- conv 64 ----|
 * The highest end that fits wins.
 */
static void test_top_down(void **state) {
  core_fixture *fx = *state;
  fx_add(fx, T_CONV, 0x100000, 64, 0);
  fx_add(fx, T_CONV, 0x180000, 64, 0);
  assert_int_equal(find_i(fx, UINT64_MAX, 0, 1, 4096), 0x1bf000);
  assert_int_equal(find_i(fx, UINT64_MAX, 0, 64, 4096), 0x180000);
  assert_int_equal(find_i(fx, UINT64_MAX, 0, 65, 4096), 0);
  /* Below the upper range only the lower one is left. */
  assert_int_equal(find_i(fx, 0x17ffff, 0, 1, 4096), 0x13e000);
  assert_int_equal(fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_LD, 63, 0),
                   0x181000);
  assert_int_equal(fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_LD, 63, 0),
                   0x100000);
}

/* A MaxAddress that does not end in fff moves to the end of the page
 * before it; below 0xfff nothing is found. */
static void test_max_address_rounding(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  assert_int_equal(fx_alloc(fx, DXEMEM_ALLOCATE_MAX_ADDRESS, T_LD, 1, 0x150fff),
                   0x150000);
  assert_int_equal(fx_alloc(fx, DXEMEM_ALLOCATE_MAX_ADDRESS, T_LC, 1, 0x150800),
                   0x14f000);
  assert_int_equal(fx_alloc(fx, DXEMEM_ALLOCATE_MAX_ADDRESS, T_LD, 1, 0x14f000),
                   0x14e000);
  assert_int_equal(find_i(fx, 0xffe, 0, 1, 4096), 0);
  assert_int_equal(find_i(fx, 0, 0, 1, 4096), 0);
  /* Right above the lowest free page: it fits below 0x100fff ... */
  uint64_t memory = 0x100ffe; /* ... but not below the page before */
  assert_int_equal(dxemem_allocate_pages(fx->d, DXEMEM_ALLOCATE_MAX_ADDRESS,
                                         T_LD, 1, &memory),
                   DXEMEM_OUT_OF_RESOURCES);
  assert_int_equal(memory, 0x100ffe);
  assert_int_equal(fx_alloc(fx, DXEMEM_ALLOCATE_MAX_ADDRESS, T_LD, 1, 0x100fff),
                   0x100000);
}

/* The end of each candidate is aligned down before the pages are fitted
 * below it. */
static void test_alignment(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx); /* free: 0x100000 .. 0x1fefff */
  assert_int_equal(find_i(fx, UINT64_MAX, 0, 1, 0x10000), 0x1ef000);
  assert_int_equal(find_i(fx, UINT64_MAX, 0, 16, 0x10000), 0x1e0000);
  assert_int_equal(find_i(fx, UINT64_MAX, 0, 1, 0x100000), 0);
  uint64_t memory = 0;
  assert_int_equal(
      dxemem_allocate_pool_pages(fx->d, T_BSD, 2, 0x10000, &memory),
      DXEMEM_SUCCESS);
  assert_int_equal(memory, 0x1ee000);
}

/*
 *   free 0x100000 .. 0x1fefff; 4 pages below 0x1fefff start at 0x1fb000
 */
static void test_min_address(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  assert_int_equal(find_i(fx, 0x1fefff, 0x1fb000, 4, 4096), 0x1fb000);
  assert_int_equal(find_i(fx, 0x1fefff, 0x1fc000, 4, 4096), 0);
  /* An entry that ends below the minimum is not a candidate. */
  assert_int_equal(find_i(fx, UINT64_MAX, FX_TOP, 1, 4096), 0);
  /* An entry that starts at or above MaxAddress is not one either. */
  assert_int_equal(find_i(fx, 0x100fff, 0, 1, 4096), 0x100000);
  assert_int_equal(find_i(fx, 0xfffff, 0, 1, 4096), 0);
}

/*
 *   0x100000          0x17f000 0x180000                     0x200000
 *   |---- conv 127 ---|BSD|   |--------- conv, SP -----------|
 * Specific-purpose memory is never chosen, but AllocateAddress may take it.
 */
static void test_specific_purpose_memory_skipped(void **state) {
  core_fixture *fx = *state;
  fx_add(fx, T_CONV, 0x100000, 128, 0);
  fx_add(fx, T_CONV, 0x180000, 128, SP);
  assert_int_equal(fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_LD, 1, 0),
                   0x17e000);
  assert_int_equal(fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_LD, 126, 0),
                   0x100000);
  uint64_t memory = 0;
  assert_int_equal(
      dxemem_allocate_pages(fx->d, DXEMEM_ALLOCATE_ANY_PAGES, T_LD, 1, &memory),
      DXEMEM_OUT_OF_RESOURCES);
  assert_int_equal(fx_alloc(fx, DXEMEM_ALLOCATE_ADDRESS, T_LD, 2, 0x190000),
                   0x190000);
  EXPECT_MAP(fx->d, {T_LD, 0x100000, 127, 0}, {T_BSD, 0x17f000, 1, 0},
             {T_CONV, 0x180000, 16, SP}, {T_LD, 0x190000, 2, SP},
             {T_CONV, 0x192000, 110, SP});
}

/*
 *   0x1f8000   0x1fc000       0x1ff000
 *   | conv WB | conv       |BSD|      7 free pages, but no 5 in one entry
 */
static void test_attribute_boundary_splits_free_run(void **state) {
  core_fixture *fx = *state;
  fx_add(fx, T_CONV, 0x1fc000, 4, 0);
  fx_add(fx, T_CONV, 0x1f8000, 4, WB);
  uint64_t memory = 0;
  assert_int_equal(
      dxemem_allocate_pages(fx->d, DXEMEM_ALLOCATE_ANY_PAGES, T_LD, 5, &memory),
      DXEMEM_OUT_OF_RESOURCES);
  assert_int_equal(fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_LD, 4, 0),
                   0x1f8000);
  assert_int_equal(fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_LD, 3, 0),
                   0x1fc000);
}

/*
 * A free entry at physical 0 can hold a result of 0, which means "not
 * found": page 0 is never handed out by a search.
 *   0x0    0x1000
 *   |conv |BSD |
 */
static void test_page_zero_is_never_found(void **state) {
  core_fixture *fx = *state;
  fx_rebuild(fx, 0, 0x2000, 0);
  fx_add(fx, T_CONV, 0, 2, 0);
  EXPECT_MAP(fx->d, {T_CONV, 0, 1, 0}, {T_BSD, 0x1000, 1, 0});
  assert_int_equal(find_i(fx, UINT64_MAX, 0, 1, 4096), 0);
  uint64_t memory = 0;
  assert_int_equal(
      dxemem_allocate_pages(fx->d, DXEMEM_ALLOCATE_ANY_PAGES, T_LD, 1, &memory),
      DXEMEM_OUT_OF_RESOURCES);
}

/* A byte count that overflows to 0 lets every free entry qualify: the
 * search answers the address right above the highest one. */
static void test_byte_count_overflow(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  assert_int_equal(find_i(fx, UINT64_MAX, 0, UINT64_C(1) << 52, 4096),
                   FX_REFUEL);
  assert_int_equal(find_i(fx, UINT64_MAX, 0, 0, 4096), 0);
}

/*
 * Bins for LoaderData (4 pages) and BootServicesCode (4 pages):
 *
 *   0x100000           0x1f7000   0x1fb000   0x1ff000
 *   |---- default -----|-- BSC --|-- LD ----|BSD|
 *
 *   LD 4   -> its bin, 0x1fb000
 *   LD 1   -> bin full: default range, 0x1f6000; default base drops to it
 *   LC 246 -> LC's range is the default range: 0x100000, default base stays
 *   LD 1   -> bin and default range full: anywhere, the top of BSC's bin
 *   BSC 4  -> 3 pages left in all: OUT_OF_RESOURCES; BSC 3 fits its bin
 */
static void test_bin_then_default_then_anywhere(void **state) {
  core_fixture *fx = *state;
  dxemem *d = fx->d;
  const dxemem_memory_type_information bins[] = {{T_LD, 4}, {T_BSC, 4}};
  fx_bins(fx, bins, 2);
  fx_add_all(fx);
  uint64_t base = 0;
  uint64_t max = 0;
  assert_int_equal(dxemem_get_default_range(d, &base, &max), DXEMEM_SUCCESS);
  assert_int_equal(base, UINT64_MAX);
  assert_int_equal(max, 0x1f6fff);

  assert_int_equal(fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_LD, 4, 0),
                   0x1fb000);
  assert_int_equal(fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_LD, 1, 0),
                   0x1f6000);
  assert_int_equal(dxemem_get_default_range(d, &base, &max), DXEMEM_SUCCESS);
  assert_int_equal(base, 0x1f6000);
  assert_int_equal(fx_stats(d, T_LD).current_number_of_pages, 5);

  assert_int_equal(fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_LC, 246, 0),
                   0x100000);
  assert_int_equal(dxemem_get_default_range(d, &base, &max), DXEMEM_SUCCESS);
  assert_int_equal(base, 0x1f6000);

  assert_int_equal(fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_LD, 1, 0),
                   0x1fa000);
  /* Outside LD's bin and the default range: not counted. */
  assert_int_equal(fx_stats(d, T_LD).current_number_of_pages, 5);

  uint64_t memory = 0;
  assert_int_equal(
      dxemem_allocate_pages(d, DXEMEM_ALLOCATE_ANY_PAGES, T_BSC, 4, &memory),
      DXEMEM_OUT_OF_RESOURCES);
  assert_int_equal(fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_BSC, 3, 0),
                   0x1f7000);
}

/* The bin is tried only when MaxAddress reaches the bin's top; OEM types
 * have no bin and start with the default range. */
static void test_max_address_below_bin_skips_it(void **state) {
  core_fixture *fx = *state;
  dxemem *d = fx->d;
  const dxemem_memory_type_information bins[] = {{T_LD, 4}};
  fx_bins(fx, bins, 1);
  fx_add_all(fx); /* LD bin 0x1fb000..0x1fefff, default max 0x1fafff */
  assert_int_equal(fx_alloc(fx, DXEMEM_ALLOCATE_MAX_ADDRESS, T_LD, 1, 0x1fefff),
                   0x1fe000);
  assert_int_equal(fx_alloc(fx, DXEMEM_ALLOCATE_MAX_ADDRESS, T_LD, 1, 0x1fdfff),
                   0x1fa000);
  uint64_t base = 0;
  uint64_t max = 0;
  assert_int_equal(dxemem_get_default_range(d, &base, &max), DXEMEM_SUCCESS);
  assert_int_equal(base, 0x1fa000);
  /* Below the default maximum only the plain search is left; it does not
   * move the default base. */
  assert_int_equal(fx_alloc(fx, DXEMEM_ALLOCATE_MAX_ADDRESS, T_LD, 1, 0x120fff),
                   0x120000);
  assert_int_equal(dxemem_get_default_range(d, &base, &max), DXEMEM_SUCCESS);
  assert_int_equal(base, 0x1fa000);
  assert_int_equal(
      fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, DXEMEM_OS_RESERVED_MIN, 1, 0),
      0x1f9000);
  assert_int_equal(dxemem_get_default_range(d, &base, &max), DXEMEM_SUCCESS);
  assert_int_equal(base, 0x1f9000);
}

#define T(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      T(test_top_down),
      T(test_max_address_rounding),
      T(test_alignment),
      T(test_min_address),
      T(test_specific_purpose_memory_skipped),
      T(test_attribute_boundary_splits_free_run),
      T(test_page_zero_is_never_found),
      T(test_byte_count_overflow),
      T(test_bin_then_default_then_anywhere),
      T(test_max_address_below_bin_skips_it),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
