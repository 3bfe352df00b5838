/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * instance.c: creation and its argument checks, the initial tables (as
 * edk2 defines its globals), setup calls and when they close, the region
 * translation, read access and destruction.
 */
#include "core_test.h"

#include <stdlib.h>
#include <string.h>

/* A config over the fixture's host buffer, to vary one field at a time. */
static dxemem_config good_config(core_fixture *fx) {
  dxemem_config c;
  memset(&c, 0, sizeof c);
  c.region_base = FX_BASE;
  c.region_size = FX_SIZE;
  c.region_host = fx->host;
  return c;
}

static dxemem_status try_create(core_fixture *fx, const dxemem_config *c) {
  dxemem *d = (dxemem *)(uintptr_t)1; /* must be cleared on failure */
  void *storage = aligned_alloc(64, (dxemem_instance_size() + 63) & ~63u);
  assert_non_null(storage);
  dxemem_status status = dxemem_create(storage, dxemem_instance_size(), c, &d);
  if (status == DXEMEM_SUCCESS) {
    assert_non_null(d);
    dxemem_destroy(d);
  } else {
    assert_null(d);
  }
  free(storage);
  (void)fx;
  return status;
}

/* The public compile-time bound holds, and storage of exactly that size
 * and alignment takes an instance. */
static void test_instance_fits_public_bound(void **state) {
  core_fixture *fx = *state;
  static _Alignas(DXEMEM_INSTANCE_ALIGN) unsigned char
      storage[DXEMEM_INSTANCE_SIZE_MAX];
  assert_true(dxemem_instance_size() <= DXEMEM_INSTANCE_SIZE_MAX);
  dxemem_config c = good_config(fx);
  dxemem *d = NULL;
  assert_int_equal(dxemem_create(storage, sizeof storage, &c, &d),
                   DXEMEM_SUCCESS);
  assert_int_equal(dxemem_add_memory_descriptor(d, DXEMEM_CONVENTIONAL_MEMORY,
                                                FX_BASE, 16, 0),
                   DXEMEM_SUCCESS);
  dxemem_destroy(d);
}

static void test_create_rejects_bad_arguments(void **state) {
  core_fixture *fx = *state;
  dxemem_config c = good_config(fx);
  size_t size = dxemem_instance_size();
  uint8_t *storage = aligned_alloc(64, (size + 64 + 63) & ~(size_t)63);
  assert_non_null(storage);
  dxemem *d = NULL;

  assert_int_equal(dxemem_create(NULL, size, &c, &d), DXEMEM_INVALID_PARAMETER);
  assert_null(d);
  assert_int_equal(dxemem_create(storage, size, NULL, &d),
                   DXEMEM_INVALID_PARAMETER);
  assert_int_equal(dxemem_create(storage, size, &c, NULL),
                   DXEMEM_INVALID_PARAMETER);
  assert_int_equal(dxemem_create(storage, size - 1, &c, &d),
                   DXEMEM_INVALID_PARAMETER);
  assert_null(d);
  /* Storage must be 8-byte aligned. */
  assert_int_equal(dxemem_create(storage + 4, size, &c, &d),
                   DXEMEM_INVALID_PARAMETER);
  assert_null(d);
  /* The same storage, aligned and big enough, works. */
  assert_int_equal(dxemem_create(storage, size, &c, &d), DXEMEM_SUCCESS);
  assert_ptr_equal(d, storage);
  dxemem_destroy(d);
  free(storage);
}

static void test_create_rejects_bad_regions(void **state) {
  core_fixture *fx = *state;
  dxemem_config c;

  c = good_config(fx);
  c.region_host = NULL;
  assert_int_equal(try_create(fx, &c), DXEMEM_INVALID_PARAMETER);
  c = good_config(fx);
  c.region_host = (uint8_t *)fx->host + 4;
  assert_int_equal(try_create(fx, &c), DXEMEM_INVALID_PARAMETER);
  c = good_config(fx);
  c.region_base = FX_BASE + 0x800;
  assert_int_equal(try_create(fx, &c), DXEMEM_INVALID_PARAMETER);
  c = good_config(fx);
  c.region_size = 0;
  assert_int_equal(try_create(fx, &c), DXEMEM_INVALID_PARAMETER);
  c = good_config(fx);
  c.region_size = FX_SIZE - 0x800;
  assert_int_equal(try_create(fx, &c), DXEMEM_INVALID_PARAMETER);
  /* base + size must not pass 2^64 ... */
  c = good_config(fx);
  c.region_base = UINT64_MAX - 0xfff;
  c.region_size = 0x2000;
  assert_int_equal(try_create(fx, &c), DXEMEM_INVALID_PARAMETER);
  /* ... but may reach it exactly. */
  c.region_size = 0x1000;
  assert_int_equal(try_create(fx, &c), DXEMEM_SUCCESS);
  /* Only the X64 and AArch64 granularities. */
  c = good_config(fx);
  c.runtime_granularity = 8192;
  assert_int_equal(try_create(fx, &c), DXEMEM_INVALID_PARAMETER);
  c.runtime_granularity = 65536;
  assert_int_equal(try_create(fx, &c), DXEMEM_SUCCESS);
}

static void test_granularity_zero_means_4k(void **state) {
  core_fixture *fx = *state;
  assert_int_equal(dxemem_get_runtime_granularity(fx->d), 4096);
  fx_rebuild(fx, FX_BASE, FX_SIZE, 65536);
  assert_int_equal(dxemem_get_runtime_granularity(fx->d), 65536);
}

/*
 * The initial tables, as Page.c initialises its globals:
 *   mMemoryTypeStatistics[t] = {base 0, max all-ones, cur 0, bin 0, index 16}
 *   special: 0 5 6 9 10 13 15; runtime: 5 6 13
 *   gMemoryTypeInformation = {0..14 with 0 pages, slot 15 = type 6 (!),
 *                             slot 16 = terminator}
 *   default range all-ones, key 0, no bins
 */
static void test_initial_tables_match_edk2(void **state) {
  core_fixture *fx = *state;
  static const bool special[16] = {
      [0] = true,  [5] = true,  [6] = true, [9] = true,
      [10] = true, [13] = true, [15] = true};
  static const bool runtime[16] = {[5] = true, [6] = true, [13] = true};
  for (uint32_t t = 0; t <= DXEMEM_MAX_MEMORY_TYPE; t++) {
    dxemem_type_statistics s = fx_stats(fx->d, t);
    assert_int_equal(s.base_address, 0);
    assert_int_equal(s.maximum_address, UINT64_MAX);
    assert_int_equal(s.current_number_of_pages, 0);
    assert_int_equal(s.number_of_pages, 0);
    assert_int_equal(s.information_index, 16);
    assert_int_equal(s.special, t < 16 && special[t]);
    assert_int_equal(s.runtime, t < 16 && runtime[t]);

    dxemem_memory_type_information info;
    assert_int_equal(dxemem_get_memory_type_information(fx->d, t, &info),
                     DXEMEM_SUCCESS);
    assert_int_equal(info.number_of_pages, 0);
    assert_int_equal(info.type, t == 15 ? T_RTD : t);
  }
  uint64_t base = 0;
  uint64_t max = 0;
  assert_int_equal(dxemem_get_default_range(fx->d, &base, &max),
                   DXEMEM_SUCCESS);
  assert_int_equal(base, UINT64_MAX);
  assert_int_equal(max, UINT64_MAX);
  assert_int_equal(dxemem_get_map_key(fx->d), 0);
  assert_false(dxemem_bins_initialized(fx->d));
  dxemem_counts c = fx_counts(fx->d);
  assert_int_equal(c.map_entries, 0);
  assert_int_equal(c.free_entries, 0);
  assert_int_equal(c.refuel_pages, 0);
  assert_int_equal(c.stack_depth, 0);
  assert_int_equal(dxemem_last_corruption(fx->d), 0);
}

/* Creating touches no region memory: the host buffer keeps its pattern. */
static void test_create_leaves_region_untouched(void **state) {
  core_fixture *fx = *state;
  const uint8_t *host = fx->host;
  for (uint64_t i = 0; i < FX_SIZE; i++) {
    if (host[i] != 0xa5) {
      fail_msg("region byte %#llx changed", (unsigned long long)i);
    }
  }
}

static void test_set_runtime_granularity(void **state) {
  core_fixture *fx = *state;
  assert_int_equal(dxemem_set_runtime_granularity(fx->d, 8192),
                   DXEMEM_INVALID_PARAMETER);
  assert_int_equal(dxemem_get_runtime_granularity(fx->d), 4096);
  assert_int_equal(dxemem_set_runtime_granularity(fx->d, 65536),
                   DXEMEM_SUCCESS);
  assert_int_equal(dxemem_get_runtime_granularity(fx->d), 65536);
  fx_add_all(fx);
  assert_int_equal(dxemem_set_runtime_granularity(fx->d, 4096),
                   DXEMEM_ALREADY_STARTED);
  assert_int_equal(dxemem_get_runtime_granularity(fx->d), 65536);
}

/* Setup closes at the first add even when edk2 ignores that add. */
static void test_setup_closes_at_first_add_even_if_ignored(void **state) {
  core_fixture *fx = *state;
  assert_int_equal(
      dxemem_add_memory_descriptor(fx->d, T_CONV, FX_BASE + 1, 1, 0),
      DXEMEM_INVALID_PARAMETER);
  assert_int_equal(dxemem_get_map_key(fx->d), 0);
  assert_int_equal(dxemem_set_runtime_granularity(fx->d, 65536),
                   DXEMEM_ALREADY_STARTED);
  dxemem_memory_type_information bins[] = {{T_ACPI, 1}};
  assert_int_equal(dxemem_set_memory_type_information(fx->d, bins, 1),
                   DXEMEM_ALREADY_STARTED);
}

/* Slots 0..count-1 take the entries, slot count the terminator, the rest
 * keep their defaults. */
static void test_set_memory_type_information_slots(void **state) {
  core_fixture *fx = *state;
  dxemem_memory_type_information bins[] = {{T_ACPI, 3}, {T_RTC, 5}};
  fx_bins(fx, bins, 2);
  dxemem_memory_type_information info;
  static const struct {
    size_t index;
    uint32_t type;
    uint32_t pages;
  } want[] = {{0, T_ACPI, 3}, {1, T_RTC, 5},  {2, 16, 0},
              {3, 3, 0},      {15, T_RTD, 0}, {16, 16, 0}};
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
    assert_int_equal(
        dxemem_get_memory_type_information(fx->d, want[i].index, &info),
        DXEMEM_SUCCESS);
    assert_int_equal(info.type, want[i].type);
    assert_int_equal(info.number_of_pages, want[i].pages);
  }
}

static void test_set_memory_type_information_limits(void **state) {
  core_fixture *fx = *state;
  dxemem_memory_type_information bins[17];
  for (uint32_t i = 0; i < 17; i++) {
    bins[i].type = i < 16 ? i : 0;
    bins[i].number_of_pages = 1;
  }
  assert_int_equal(dxemem_set_memory_type_information(fx->d, bins, 17),
                   DXEMEM_INVALID_PARAMETER);
  assert_int_equal(dxemem_set_memory_type_information(fx->d, NULL, 1),
                   DXEMEM_INVALID_PARAMETER);
  /* 16 entries fill every slot before the terminator slot. */
  assert_int_equal(dxemem_set_memory_type_information(fx->d, bins, 16),
                   DXEMEM_SUCCESS);
  dxemem_memory_type_information info;
  assert_int_equal(dxemem_get_memory_type_information(fx->d, 15, &info),
                   DXEMEM_SUCCESS);
  assert_int_equal(info.type, 15);
  assert_int_equal(info.number_of_pages, 1);
  /* No entries: an empty table (slot 0 is the terminator). */
  assert_int_equal(dxemem_set_memory_type_information(fx->d, NULL, 0),
                   DXEMEM_SUCCESS);
  assert_int_equal(dxemem_get_memory_type_information(fx->d, 0, &info),
                   DXEMEM_SUCCESS);
  assert_int_equal(info.type, 16);
  assert_int_equal(info.number_of_pages, 0);
}

static void test_phys_to_host_bounds(void **state) {
  core_fixture *fx = *state;
  uint8_t *host = fx->host;
  assert_ptr_equal(dxemem_phys_to_host(fx->d, FX_BASE, 1), host);
  assert_ptr_equal(dxemem_phys_to_host(fx->d, FX_BASE + 0x1234, 16),
                   host + 0x1234);
  assert_ptr_equal(dxemem_phys_to_host(fx->d, FX_BASE, FX_SIZE), host);
  /* Length 0 at the very end is allowed; one byte there is not. */
  assert_ptr_equal(dxemem_phys_to_host(fx->d, FX_TOP, 0), host + FX_SIZE);
  assert_null(dxemem_phys_to_host(fx->d, FX_TOP, 1));
  assert_null(dxemem_phys_to_host(fx->d, FX_TOP - 1, 2));
  assert_null(dxemem_phys_to_host(fx->d, FX_BASE - 1, 1));
  assert_null(dxemem_phys_to_host(fx->d, FX_TOP + 0x1000, 0));
  assert_null(dxemem_phys_to_host(fx->d, FX_BASE, UINT64_MAX));
  assert_null(dxemem_phys_to_host(NULL, FX_BASE, 1));
}

static void test_host_to_phys_bounds(void **state) {
  core_fixture *fx = *state;
  uint8_t *host = fx->host;
  uint64_t phys = 0;
  assert_true(dxemem_host_to_phys(fx->d, host, &phys));
  assert_int_equal(phys, FX_BASE);
  assert_true(dxemem_host_to_phys(fx->d, host + FX_SIZE - 1, &phys));
  assert_int_equal(phys, FX_TOP - 1);
  phys = 42;
  assert_false(dxemem_host_to_phys(fx->d, host + FX_SIZE, &phys));
  assert_false(dxemem_host_to_phys(fx->d, host - 1, &phys));
  assert_false(dxemem_host_to_phys(fx->d, NULL, &phys));
  assert_false(dxemem_host_to_phys(fx->d, host, NULL));
  assert_false(dxemem_host_to_phys(NULL, host, &phys));
  assert_int_equal(phys, 42);
}

static void test_readers_reject_bad_arguments(void **state) {
  core_fixture *fx = *state;
  dxemem_type_statistics s;
  uint64_t a = 0;
  dxemem_memory_type_information info;
  dxemem_counts c;
  assert_int_equal(dxemem_get_type_statistics(fx->d, 17, &s),
                   DXEMEM_INVALID_PARAMETER);
  assert_int_equal(dxemem_get_type_statistics(fx->d, 0, NULL),
                   DXEMEM_INVALID_PARAMETER);
  assert_int_equal(dxemem_get_default_range(fx->d, &a, NULL),
                   DXEMEM_INVALID_PARAMETER);
  assert_int_equal(dxemem_get_default_range(fx->d, NULL, &a),
                   DXEMEM_INVALID_PARAMETER);
  assert_int_equal(dxemem_get_memory_type_information(fx->d, 17, &info),
                   DXEMEM_INVALID_PARAMETER);
  assert_int_equal(dxemem_get_memory_type_information(fx->d, 0, NULL),
                   DXEMEM_INVALID_PARAMETER);
  assert_int_equal(dxemem_get_counts(fx->d, NULL), DXEMEM_INVALID_PARAMETER);
  assert_int_equal(dxemem_for_each_entry(fx->d, NULL, NULL),
                   DXEMEM_INVALID_PARAMETER);
  assert_int_equal(dxemem_get_counts(NULL, &c), DXEMEM_INVALID_PARAMETER);
}

static bool stop_after_first(void *ctx, const dxemem_entry_info *e) {
  dxemem_entry_info *first = ctx;
  *first = *e;
  first->type += 1000; /* marks that visit ran */
  return false;
}

/* for_each_entry stops when visit says so (a second visit would have
 * overwritten the first entry with the refuel page's), and reports where
 * each entry lives: inside the first refuel page, 64-byte aligned. */
static void test_for_each_entry_stops_early(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  dxemem_entry_info first;
  memset(&first, 0, sizeof first);
  assert_int_equal(dxemem_for_each_entry(fx->d, stop_after_first, &first),
                   DXEMEM_SUCCESS);
  assert_int_equal(first.type, T_CONV + 1000);
  assert_int_equal(first.start, FX_BASE);
  assert_true(first.from_pages);
  assert_true(first.entry_address >= FX_REFUEL && first.entry_address < FX_TOP);
  assert_int_equal(first.entry_address % 64, 0);
}

/* A destroyed instance answers every call with a status, not a crash. */
static void test_destroyed_instance_is_refused(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  dxemem_destroy(fx->d);
  dxemem *d = fx->d;
  uint64_t memory = 0;
  uint64_t size = 0;
  dxemem_type_statistics s;
  assert_int_equal(dxemem_add_memory_descriptor(d, T_CONV, FX_BASE, 1, 0),
                   DXEMEM_INVALID_PARAMETER);
  assert_int_equal(dxemem_allocate_pages(d, 0, T_BSD, 1, &memory),
                   DXEMEM_INVALID_PARAMETER);
  assert_int_equal(dxemem_free_pages(d, FX_REFUEL, 1),
                   DXEMEM_INVALID_PARAMETER);
  assert_int_equal(dxemem_get_memory_map(d, &size, NULL, NULL, NULL, NULL),
                   DXEMEM_INVALID_PARAMETER);
  assert_int_equal(dxemem_check(d, NULL), DXEMEM_INVALID_PARAMETER);
  assert_int_equal(dxemem_get_type_statistics(d, 0, &s),
                   DXEMEM_INVALID_PARAMETER);
  assert_int_equal(dxemem_set_runtime_granularity(d, 4096),
                   DXEMEM_INVALID_PARAMETER);
  assert_int_equal(dxemem_get_map_key(d), 0);
  assert_int_equal(dxemem_get_runtime_granularity(d), 0);
  assert_false(dxemem_bins_initialized(d));
  assert_int_equal(dxemem_last_corruption(d), 0);
  assert_null(dxemem_phys_to_host(d, FX_BASE, 1));
  /* Destroying twice or NULL is harmless. */
  dxemem_destroy(d);
  dxemem_destroy(NULL);
  fx->d = NULL; /* nothing left to check */
}

/* The config is copied: changing the caller's copy later has no effect. */
static void test_config_is_copied(void **state) {
  core_fixture *fx = *state;
  dxemem_config c = good_config(fx);
  void *storage = aligned_alloc(64, (dxemem_instance_size() + 63) & ~63u);
  assert_non_null(storage);
  dxemem *d = NULL;
  assert_int_equal(dxemem_create(storage, dxemem_instance_size(), &c, &d),
                   DXEMEM_SUCCESS);
  c.region_base = 0;
  c.region_size = 0x1000;
  assert_non_null(dxemem_phys_to_host(d, FX_TOP - 1, 1));
  assert_null(dxemem_phys_to_host(d, 0, 1));
  dxemem_destroy(d);
  free(storage);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_instance_fits_public_bound,
                                      fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_create_rejects_bad_arguments,
                                      fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_create_rejects_bad_regions, fx_setup,
                                      fx_teardown),
      cmocka_unit_test_setup_teardown(test_granularity_zero_means_4k, fx_setup,
                                      fx_teardown),
      cmocka_unit_test_setup_teardown(test_initial_tables_match_edk2, fx_setup,
                                      fx_teardown),
      cmocka_unit_test_setup_teardown(test_create_leaves_region_untouched,
                                      fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_set_runtime_granularity, fx_setup,
                                      fx_teardown),
      cmocka_unit_test_setup_teardown(
          test_setup_closes_at_first_add_even_if_ignored, fx_setup,
          fx_teardown),
      cmocka_unit_test_setup_teardown(test_set_memory_type_information_slots,
                                      fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_set_memory_type_information_limits,
                                      fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_phys_to_host_bounds, fx_setup,
                                      fx_teardown),
      cmocka_unit_test_setup_teardown(test_host_to_phys_bounds, fx_setup,
                                      fx_teardown),
      cmocka_unit_test_setup_teardown(test_readers_reject_bad_arguments,
                                      fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_for_each_entry_stops_early, fx_setup,
                                      fx_teardown),
      cmocka_unit_test_setup_teardown(test_destroyed_instance_is_refused,
                                      fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_config_is_copied, fx_setup,
                                      fx_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
