/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * memory_map.c: CoreGetMemoryMap (sizes, BUFFER_TOO_SMALL with the key,
 * the runtime bit, merging, special bins reported as their type, access
 * bits) and CoreTerminateMemoryMap (key, runtime alignment).
 */
#include "core_test.h"

#include <stdlib.h>
#include <string.h>

#define RT DXEMEM_MEMORY_RUNTIME
#define WB DXEMEM_MEMORY_WB
#define STRIDE UINT64_C(0x30)

/* ---- sizes and arguments ------------------------------------------------- */

static void test_map_size_query(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  uint64_t size = 0;
  uint64_t key = 99;
  uint64_t descriptor_size = 0;
  uint32_t version = 0;
  assert_int_equal(dxemem_get_memory_map(fx->d, &size, NULL, &key,
                                         &descriptor_size, &version),
                   DXEMEM_BUFFER_TOO_SMALL);
  assert_int_equal(size, 2 * STRIDE);
  assert_int_equal(key, 2);
  assert_int_equal(descriptor_size, STRIDE);
  assert_int_equal(version, DXEMEM_MEMORY_DESCRIPTOR_VERSION);

  /* One byte short: still too small, same answer. */
  uint8_t buffer[16 * 0x30];
  size = 2 * STRIDE - 1;
  key = 99;
  assert_int_equal(
      dxemem_get_memory_map(fx->d, &size, (void *)buffer, &key, NULL, NULL),
      DXEMEM_BUFFER_TOO_SMALL);
  assert_int_equal(size, 2 * STRIDE);
  assert_int_equal(key, 2);

  /* Big enough but no buffer. */
  size = sizeof buffer;
  assert_int_equal(dxemem_get_memory_map(fx->d, &size, NULL, &key, NULL, NULL),
                   DXEMEM_INVALID_PARAMETER);
  assert_int_equal(
      dxemem_get_memory_map(fx->d, NULL, (void *)buffer, &key, NULL, NULL),
      DXEMEM_INVALID_PARAMETER);

  /* A bigger buffer: the size comes back as what was used. */
  size = sizeof buffer;
  memset(buffer, 0xee, sizeof buffer);
  assert_int_equal(
      dxemem_get_memory_map(fx->d, &size, (void *)buffer, NULL, NULL, NULL),
      DXEMEM_SUCCESS);
  assert_int_equal(size, 2 * STRIDE);
  dxemem_memory_descriptor m;
  memcpy(&m, buffer, sizeof m);
  assert_int_equal(m.type, T_CONV);
  assert_int_equal(m.pad, 0);
  assert_int_equal(m.physical_start, FX_BASE);
  assert_int_equal(m.virtual_start, 0);
  assert_int_equal(m.number_of_pages, 255);
  assert_int_equal(m.attribute, 0);
  memcpy(&m, buffer + STRIDE, sizeof m);
  assert_int_equal(m.type, T_BSD);
  assert_int_equal(m.physical_start, FX_REFUEL);
}

/* An empty map still answers. */
static void test_map_of_nothing(void **state) {
  core_fixture *fx = *state;
  uint64_t size = 0;
  uint64_t key = 99;
  assert_int_equal(dxemem_get_memory_map(fx->d, &size, NULL, &key, NULL, NULL),
                   DXEMEM_INVALID_PARAMETER);
  assert_int_equal(size, 0);
  assert_int_equal(key, 0);
}

/* The size reserves two descriptors for every special type with a bin,
 * wherever the bin lies. */
static void test_map_size_counts_special_bins(void **state) {
  core_fixture *fx = *state;
  const dxemem_memory_type_information bins[] = {
      {T_ACPI, 4}, {T_RTD, 2}, {T_BSC, 3}};
  fx_bins(fx, bins, 3);
  fx_add_all(fx);
  uint64_t size = 0;
  assert_int_equal(dxemem_get_memory_map(fx->d, &size, NULL, NULL, NULL, NULL),
                   DXEMEM_BUFFER_TOO_SMALL);
  assert_int_equal(size, (2 + 2 * 2) * STRIDE);
  /* Built: conv below the bins, BSC stays free, RTD and ACPI bins. */
  EXPECT_DESCRIPTORS(fx->d, {T_CONV, 0x100000, 249, 0},
                     {T_RTD, 0x1f9000, 2, RT}, {T_ACPI, 0x1fb000, 4, 0},
                     {T_BSD, FX_REFUEL, 1, 0});
}

static void test_map_size_counts_bins_outside_memory(void **state) {
  core_fixture *fx = *state;
  const dxemem_memory_type_information bins[] = {{T_NVS, 4}};
  fx_bins(fx, bins, 1);
  assert_int_equal(
      dxemem_set_memory_type_information_range(fx->d, 0x1f0000, 0x4000),
      DXEMEM_SUCCESS);
  fx_add(fx, T_CONV, 0x100000, 64, 0);
  uint64_t size = 0;
  assert_int_equal(dxemem_get_memory_map(fx->d, &size, NULL, NULL, NULL, NULL),
                   DXEMEM_BUFFER_TOO_SMALL);
  assert_int_equal(size, 4 * STRIDE);
  EXPECT_DESCRIPTORS(fx->d, {T_CONV, 0x100000, 63, 0}, {T_BSD, 0x13f000, 1, 0});
}

/* GetMemoryMap changes nothing in the allocator. */
static void test_map_has_no_side_effects(void **state) {
  core_fixture *fx = *state;
  const dxemem_memory_type_information bins[] = {{T_ACPI, 4}};
  fx_bins(fx, bins, 1);
  fx_add_all(fx);
  (void)fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_RTD, 2, 0);
  state_snapshot before;
  fx_snapshot(fx->d, &before);
  descriptor_view *view = malloc(sizeof *view);
  assert_non_null(view);
  fx_get_memory_map(fx->d, view);
  fx_get_memory_map(fx->d, view);
  free(view);
  state_snapshot after;
  fx_snapshot(fx->d, &after);
  EXPECT_SAME_STATE(&before, &after);
}

/* ---- what each descriptor says ------------------------------------------ */

/*
 *   0x100000  0x110000  0x120000             0x180000             0x1fd000
 *   |BSD, RT |OEM, RT  |OS type  |          |------ conv ------|RTD|RTC|BSD|
 * The runtime bit follows the type for UEFI types; OEM and OS types keep
 * the attribute they were added with.
 */
static void test_map_runtime_bit(void **state) {
  core_fixture *fx = *state;
  fx_add(fx, T_CONV, 0x180000, 128, 0);
  fx_add(fx, T_BSD, 0x100000, 4, RT | WB);
  fx_add(fx, 0x70000000, 0x110000, 4, RT);
  fx_add(fx, 0x80000000, 0x120000, 4, 0);
  (void)fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_RTC, 1, 0);
  (void)fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_RTD, 1, 0);
  (void)fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, 13, 1, 0);
  EXPECT_DESCRIPTORS(fx->d, {T_BSD, 0x100000, 4, WB},
                     {0x70000000, 0x110000, 4, RT},
                     {0x80000000, 0x120000, 4, 0}, {T_CONV, 0x180000, 124, 0},
                     {13, 0x1fc000, 1, RT}, {T_RTD, 0x1fd000, 1, RT},
                     {T_RTC, 0x1fe000, 1, RT}, {T_BSD, FX_REFUEL, 1, 0});
}

/*
 * Entries the allocator keeps apart because their attributes differ only
 * in bits the map rewrites are merged in the map:
 *   RTD [0x1fd000] attr 0 + RTD [0x1fe000] attr RUNTIME -> one RTD, 2 pages
 *   conv WB|RP + conv WB|XP                            -> one conv WB
 */
static void test_map_merges_after_normalising(void **state) {
  core_fixture *fx = *state;
  const uint64_t rp = DXEMEM_MEMORY_RP;
  const uint64_t xp = DXEMEM_MEMORY_XP;
  fx_add(fx, T_CONV, 0x180000, 128, WB | rp);
  fx_add(fx, T_CONV, 0x140000, 64, WB | xp);
  (void)fx_alloc(fx, DXEMEM_ALLOCATE_ADDRESS, T_RTD, 2, 0x1fd000);
  assert_int_equal(dxemem_update_memory_attributes(fx->d, 0x1fe000, 1, RT),
                   DXEMEM_SUCCESS);
  EXPECT_MAP(fx->d, {T_CONV, 0x140000, 64, WB | xp},
             {T_CONV, 0x180000, 125, WB | rp}, {T_RTD, 0x1fd000, 1, WB | rp},
             {T_RTD, 0x1fe000, 1, RT}, {T_BSD, FX_REFUEL, 1, WB | rp});
  EXPECT_DESCRIPTORS(fx->d, {T_CONV, 0x140000, 189, WB},
                     {T_RTD, 0x1fd000, 1, WB | RT}, {T_RTD, 0x1fe000, 1, RT},
                     {T_BSD, FX_REFUEL, 1, WB});
  assert_int_equal(dxemem_update_memory_attributes(fx->d, 0x1fd000, 1, 0),
                   DXEMEM_SUCCESS);
  EXPECT_DESCRIPTORS(fx->d, {T_CONV, 0x140000, 189, WB},
                     {T_RTD, 0x1fd000, 2, RT}, {T_BSD, FX_REFUEL, 1, WB});
}

/* A descriptor merges into any earlier one it touches, not only the one
 * before it: here across an empty MMIO descriptor; and an empty descriptor
 * at the start of an equal one folds into it. */
static void test_map_merges_with_earlier_descriptors(void **state) {
  core_fixture *fx = *state;
  fx_add(fx, T_CONV, 0x180000, 128, 0);
  fx_add(fx, T_RTD, 0x100000, 4, 0);
  fx_add(fx, T_MMIO, 0x104000, 0, 0);
  fx_add(fx, T_RTD, 0x104000, 4, RT);
  fx_add(fx, T_RTC, 0x110000, 4, 0);
  fx_add(fx, T_RTC, 0x110000, 0, RT);
  EXPECT_MAP(fx->d, {T_RTD, 0x100000, 4, 0}, {T_MMIO, 0x104000, 0, 0},
             {T_RTD, 0x104000, 4, RT}, {T_RTC, 0x110000, 4, 0},
             {T_RTC, 0x110000, 0, RT}, {T_CONV, 0x180000, 127, 0},
             {T_BSD, FX_REFUEL, 1, 0});
  EXPECT_DESCRIPTORS(fx->d, {T_RTD, 0x100000, 8, RT}, {T_MMIO, 0x104000, 0, 0},
                     {T_RTC, 0x110000, 4, RT}, {T_CONV, 0x180000, 127, 0},
                     {T_BSD, FX_REFUEL, 1, 0});
}

static void test_map_access_bits_cleared(void **state) {
  core_fixture *fx = *state;
  const uint64_t access = DXEMEM_MEMORY_ACCESS_MASK;
  fx_add(fx, T_CONV, FX_BASE, FX_PAGES, access | WB | DXEMEM_MEMORY_NV);
  EXPECT_DESCRIPTORS(fx->d, {T_CONV, 0x100000, 255, WB | DXEMEM_MEMORY_NV},
                     {T_BSD, FX_REFUEL, 1, WB | DXEMEM_MEMORY_NV});
}

/* ---- special bins ---------------------------------------------------------
 */

/*
 * A bin for ACPI reclaim in the middle of free memory (binrange): the free
 * descriptor is split at both edges and the inside reported as the bin's
 * type; an allocation of that type in the bin merges with it.
 *
 *   0x100000     0x140000   0x144000                     0x1ff000
 *   |-- conv 64 -|- ACPI 4 -|----------- conv 187 --------|BSD|
 */
static void setup_bin_in_the_middle(core_fixture *fx, uint32_t type) {
  const dxemem_memory_type_information bins[] = {{type, 4}};
  fx_bins(fx, bins, 1);
  assert_int_equal(
      dxemem_set_memory_type_information_range(fx->d, 0x140000, 0x4000),
      DXEMEM_SUCCESS);
  fx_add(fx, T_CONV, 0x180000, 128, 0);
  fx_add(fx, T_CONV, 0x100000, 128, 0);
  EXPECT_MAP(fx->d, {T_CONV, 0x100000, 255, 0}, {T_BSD, FX_REFUEL, 1, 0});
}

static void test_map_bin_split_at_both_edges(void **state) {
  core_fixture *fx = *state;
  setup_bin_in_the_middle(fx, T_ACPI);
  EXPECT_DESCRIPTORS(fx->d, {T_CONV, 0x100000, 64, 0}, {T_ACPI, 0x140000, 4, 0},
                     {T_CONV, 0x144000, 187, 0}, {T_BSD, FX_REFUEL, 1, 0});
  assert_int_equal(fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_ACPI, 2, 0),
                   0x142000);
  EXPECT_DESCRIPTORS(fx->d, {T_CONV, 0x100000, 64, 0}, {T_ACPI, 0x140000, 4, 0},
                     {T_CONV, 0x144000, 187, 0}, {T_BSD, FX_REFUEL, 1, 0});
}

/* The bin of a runtime type carries the runtime bit; a type that is not
 * special is not reported as a bin at all. */
static void test_map_runtime_bin_and_plain_bin(void **state) {
  core_fixture *fx = *state;
  setup_bin_in_the_middle(fx, T_RTD);
  EXPECT_DESCRIPTORS(fx->d, {T_CONV, 0x100000, 64, 0}, {T_RTD, 0x140000, 4, RT},
                     {T_CONV, 0x144000, 187, 0}, {T_BSD, FX_REFUEL, 1, 0});
  fx_rebuild(fx, FX_BASE, FX_SIZE, 0);
  setup_bin_in_the_middle(fx, T_LD);
  EXPECT_DESCRIPTORS(fx->d, {T_CONV, 0x100000, 255, 0},
                     {T_BSD, FX_REFUEL, 1, 0});
}

/*
 * Free memory that crosses the bin's start and ends inside it:
 *
 *   0x100000             0x140000  0x142000  0x144000               0x1ff000
 *   |------ conv --------|--------|  ACPI   |-------- LD 187 -------|BSD|
 *                        |<-- bin 0x140000..0x143fff -->|
 *   map: conv 64 | ACPI 4 (free part retyped, merged with the allocation)
 */
static void test_map_bin_split_below_only(void **state) {
  core_fixture *fx = *state;
  setup_bin_in_the_middle(fx, T_ACPI);
  (void)fx_alloc(fx, DXEMEM_ALLOCATE_ADDRESS, T_LD, 187, 0x144000);
  (void)fx_alloc(fx, DXEMEM_ALLOCATE_ADDRESS, T_ACPI, 2, 0x142000);
  EXPECT_DESCRIPTORS(fx->d, {T_CONV, 0x100000, 64, 0}, {T_ACPI, 0x140000, 4, 0},
                     {T_LD, 0x144000, 187, 0}, {T_BSD, FX_REFUEL, 1, 0});
}

/* Free memory that starts inside the bin and runs above it. */
static void test_map_bin_split_above_only(void **state) {
  core_fixture *fx = *state;
  setup_bin_in_the_middle(fx, T_ACPI);
  (void)fx_alloc(fx, DXEMEM_ALLOCATE_ADDRESS, T_ACPI, 2, 0x140000);
  (void)fx_alloc(fx, DXEMEM_ALLOCATE_ADDRESS, T_LD, 64, 0x100000);
  EXPECT_DESCRIPTORS(fx->d, {T_LD, 0x100000, 64, 0}, {T_ACPI, 0x140000, 4, 0},
                     {T_CONV, 0x144000, 187, 0}, {T_BSD, FX_REFUEL, 1, 0});
}

/*
 * edk2 accepts overlapping adds. Free entries that overlap each other and
 * cross a special bin's edges need more descriptors than the size reserves
 * (two per bin); edk2 would write past the caller's buffer, dxemem refuses
 * with BUFFER_TOO_SMALL and writes nothing past the size it was given.
 *
 *   bin ACPI                 0x140000 ..... 0x143fff
 *   A conv, attr 0   0x130000 .............................. 0x14ffff
 *   B conv, attr WB       0x138000 ................. 0x147fff
 *   B' conv, attr WB                 0x142000 ...... 0x147fff
 *
 * A splits twice (below, inside, above) and fills the 6 descriptors; B
 * then cannot split at the bin's start (7 needed); with room for 7 it
 * cannot split at the bin's end; B' (starting inside the bin) cannot
 * split at all. With enough room the map is complete.
 */
static void expect_refused_at(core_fixture *fx, uint64_t descriptors) {
  uint64_t size = descriptors * STRIDE;
  uint8_t *buffer = malloc((size_t)size + STRIDE);
  assert_non_null(buffer);
  memset(buffer, 0xcd, (size_t)size + STRIDE);
  assert_int_equal(
      dxemem_get_memory_map(fx->d, &size, (void *)buffer, NULL, NULL, NULL),
      DXEMEM_BUFFER_TOO_SMALL);
  for (uint64_t i = descriptors * STRIDE; i < (descriptors + 1) * STRIDE; i++) {
    assert_int_equal(buffer[i], 0xcd);
  }
  free(buffer);
}

static void overlapping_free_entries(core_fixture *fx, uint64_t b_start) {
  const dxemem_memory_type_information bins[] = {{T_ACPI, 4}};
  fx_bins(fx, bins, 1);
  assert_int_equal(
      dxemem_set_memory_type_information_range(fx->d, 0x140000, 0x4000),
      DXEMEM_SUCCESS);
  fx_add(fx, T_CONV, 0x180000, 128, 0);
  fx_add(fx, T_CONV, 0x130000, 32, 0);
  fx_add(fx, T_CONV, b_start, (0x148000 - b_start) >> 12, WB);
}

static void test_map_refuses_rather_than_overrun(void **state) {
  core_fixture *fx = *state;
  overlapping_free_entries(fx, 0x138000);
  uint64_t size = 0;
  assert_int_equal(dxemem_get_memory_map(fx->d, &size, NULL, NULL, NULL, NULL),
                   DXEMEM_BUFFER_TOO_SMALL);
  assert_int_equal(size, 6 * STRIDE);
  expect_refused_at(fx, 6); /* B cannot split at the bin's start */
  expect_refused_at(fx, 7); /* nor at its end */
  uint64_t big = 16 * STRIDE;
  uint8_t buffer[16 * 0x30];
  assert_int_equal(
      dxemem_get_memory_map(fx->d, &big, (void *)buffer, NULL, NULL, NULL),
      DXEMEM_SUCCESS);
  assert_int_equal(big, 8 * STRIDE);

  fx_rebuild(fx, FX_BASE, FX_SIZE, 0);
  overlapping_free_entries(fx, 0x142000);
  expect_refused_at(fx, 6); /* B' cannot split above the bin */
}

/*
 * edk2 accepts overlapping adds, and two overlapping free entries that both
 * cross a special bin's edges need four extra descriptors where the size
 * reserves two. dxemem then refuses (edk2 would write past the buffer) with
 * BUFFER_TOO_SMALL and asks for more than it was given, so the usual "call
 * again with the size it asked for" loop ends.
 *
 *   bin ACPI 0x140000..0x143fff
 *   conv attr 0   0x130000 ................. 0x14ffff
 *   conv attr WB      0x138000 ...... 0x147fff
 */
static void test_map_size_grows_with_overlapping_adds(void **state) {
  core_fixture *fx = *state;
  const dxemem_memory_type_information bins[] = {{T_ACPI, 4}};
  fx_bins(fx, bins, 1);
  assert_int_equal(
      dxemem_set_memory_type_information_range(fx->d, 0x140000, 0x4000),
      DXEMEM_SUCCESS);
  fx_add(fx, T_CONV, 0x180000, 128, 0);
  fx_add(fx, T_CONV, 0x130000, 32, 0);
  fx_add(fx, T_CONV, 0x138000, 16, WB);
  uint64_t size = 0;
  assert_int_equal(dxemem_get_memory_map(fx->d, &size, NULL, NULL, NULL, NULL),
                   DXEMEM_BUFFER_TOO_SMALL);
  uint8_t *buffer = malloc((size_t)size);
  assert_non_null(buffer);
  uint64_t asked = size;
  dxemem_status status =
      dxemem_get_memory_map(fx->d, &size, (void *)buffer, NULL, NULL, NULL);
  free(buffer);
  if (status == DXEMEM_BUFFER_TOO_SMALL) {
    assert_true(size > asked);
  }
  buffer = malloc((size_t)size);
  assert_non_null(buffer);
  assert_int_equal(
      dxemem_get_memory_map(fx->d, &size, (void *)buffer, NULL, NULL, NULL),
      DXEMEM_SUCCESS);
  free(buffer);
}

/* ---- TerminateMemoryMap ------------------------------------------------- */

static uint64_t current_key(core_fixture *fx) {
  uint64_t size = 0;
  uint64_t key = 0;
  (void)dxemem_get_memory_map(fx->d, &size, NULL, &key, NULL, NULL);
  return key;
}

static void test_terminate_checks_key(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  uint64_t key = current_key(fx);
  assert_int_equal(dxemem_terminate_memory_map(fx->d, key + 1),
                   DXEMEM_INVALID_PARAMETER);
  (void)fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_LD, 1, 0);
  assert_int_equal(dxemem_terminate_memory_map(fx->d, key),
                   DXEMEM_INVALID_PARAMETER);
  key = current_key(fx);
  assert_int_equal(dxemem_terminate_memory_map(fx->d, key), DXEMEM_SUCCESS);
}

/*
 * 64 KiB granularity: runtime entries must start and end on 64 KiB. An
 * attribute change inside one splits it in the allocator while the map
 * looks the same, and terminate fails.
 */
static void test_terminate_runtime_alignment_64k(void **state) {
  core_fixture *fx = *state;
  fx_rebuild(fx, FX_BASE, FX_SIZE, 65536);
  fx_add_all(fx);
  (void)fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_RTD, 1, 0);
  (void)fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_RTC, 16, 0);
  (void)fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_LD, 3, 0);
  assert_int_equal(dxemem_terminate_memory_map(fx->d, current_key(fx)),
                   DXEMEM_SUCCESS);

  descriptor_view *before = malloc(sizeof *before);
  descriptor_view *after = malloc(sizeof *after);
  assert_non_null(before);
  assert_non_null(after);
  fx_get_memory_map(fx->d, before);
  assert_int_equal(dxemem_update_memory_attributes(fx->d, 0x1e3000, 1, RT),
                   DXEMEM_SUCCESS);
  fx_get_memory_map(fx->d, after);
  assert_int_equal(after->count, before->count);
  assert_memory_equal(after->m, before->m, before->count * sizeof before->m[0]);
  assert_int_equal(dxemem_terminate_memory_map(fx->d, after->key),
                   DXEMEM_INVALID_PARAMETER);
  free(before);
  free(after);
}

/* A runtime range added off the granularity fails terminate; other types
 * are not checked. With 4 KiB everything page aligned passes. */
static void test_terminate_added_runtime_ranges(void **state) {
  core_fixture *fx = *state;
  fx_rebuild(fx, FX_BASE, FX_SIZE, 65536);
  fx_add(fx, T_CONV, 0x180000, 128, 0);
  fx_add(fx, T_LD, 0x101000, 1, 0);
  fx_add(fx, 0x70000000, 0x103000, 1, RT);
  assert_int_equal(dxemem_terminate_memory_map(fx->d, current_key(fx)),
                   DXEMEM_SUCCESS);
  fx_add(fx, 13, 0x110000, 1, 0); /* PalCode, ends off 64 KiB */
  assert_int_equal(dxemem_terminate_memory_map(fx->d, current_key(fx)),
                   DXEMEM_INVALID_PARAMETER);

  fx_rebuild(fx, FX_BASE, FX_SIZE, 0);
  fx_add(fx, T_CONV, 0x180000, 128, 0);
  fx_add(fx, 13, 0x111000, 1, 0);
  fx_add(fx, T_RTC, 0x113000, 3, 0);
  assert_int_equal(dxemem_terminate_memory_map(fx->d, current_key(fx)),
                   DXEMEM_SUCCESS);
}

#define T(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      T(test_map_size_query),
      T(test_map_of_nothing),
      T(test_map_size_counts_special_bins),
      T(test_map_size_counts_bins_outside_memory),
      T(test_map_has_no_side_effects),
      T(test_map_runtime_bit),
      T(test_map_merges_after_normalising),
      T(test_map_merges_with_earlier_descriptors),
      T(test_map_access_bits_cleared),
      T(test_map_bin_split_at_both_edges),
      T(test_map_runtime_bin_and_plain_bin),
      T(test_map_bin_split_below_only),
      T(test_map_bin_split_above_only),
      T(test_map_refuses_rather_than_overrun),
      T(test_map_size_grows_with_overlapping_adds),
      T(test_terminate_checks_key),
      T(test_terminate_runtime_alignment_64k),
      T(test_terminate_added_runtime_ranges),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
