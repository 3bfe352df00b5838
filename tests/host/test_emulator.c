/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * emulator.c: dxemem_map / dxemem_unmap / dxemem_map_size, checked against
 * the page calls they stand for on a second instance over the same range.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dxemem/emulator.h"
#include "dxemem/host.h"

#define GUEST_BASE UINT64_C(0x100000)
#define GUEST_SIZE UINT64_C(0x1000000) /* 16 MiB */

typedef struct fixture {
  dxemem_host_instance guest;
  dxemem_host_instance mirror; /* page calls, to compare with */
} fixture;

static int make_guest(dxemem_host_instance *guest, uint64_t granularity) {
  dxemem_config config;
  memset(&config, 0, sizeof config);
  config.region_base = GUEST_BASE;
  config.region_size = GUEST_SIZE;
  config.runtime_granularity = granularity;
  config.check_every_call = true;
  if (dxemem_host_create(&config, guest) != DXEMEM_SUCCESS) {
    return -1;
  }
  return dxemem_add_memory_descriptor(guest->allocator,
                                      DXEMEM_CONVENTIONAL_MEMORY, GUEST_BASE,
                                      GUEST_SIZE >> DXEMEM_PAGE_SHIFT,
                                      DXEMEM_MEMORY_WB) == DXEMEM_SUCCESS
             ? 0
             : -1;
}

static int setup_granularity(void **state, uint64_t granularity) {
  static fixture fx;
  memset(&fx, 0, sizeof fx);
  if (make_guest(&fx.guest, granularity) != 0 ||
      make_guest(&fx.mirror, granularity) != 0) {
    return -1;
  }
  *state = &fx;
  return 0;
}

static int setup_x64(void **state) { return setup_granularity(state, 4096); }
static int setup_aarch64(void **state) {
  return setup_granularity(state, 65536);
}

static int teardown(void **state) {
  fixture *fx = *state;
  dxemem_host_destroy(&fx->guest);
  dxemem_host_destroy(&fx->mirror);
  return 0;
}

static void assert_same_key(fixture *fx) {
  assert_int_equal(dxemem_get_map_key(fx->guest.allocator),
                   dxemem_get_map_key(fx->mirror.allocator));
}

/* NULL options: anywhere, EfiBootServicesData, as AllocatePages would. */
static void test_map_defaults_to_boot_services_data(void **state) {
  fixture *fx = *state;
  dxemem_mapping m;
  assert_int_equal(dxemem_map(fx->guest.allocator, 10000, NULL, &m),
                   DXEMEM_SUCCESS);
  uint64_t expected;
  assert_int_equal(dxemem_allocate_pages(fx->mirror.allocator,
                                         DXEMEM_ALLOCATE_ANY_PAGES,
                                         DXEMEM_BOOT_SERVICES_DATA, 3,
                                         &expected),
                   DXEMEM_SUCCESS);
  assert_int_equal(m.phys, expected);
  assert_int_equal(m.size, 3 * 4096);
  assert_ptr_equal(m.host, dxemem_phys_to_host(fx->guest.allocator, m.phys,
                                               m.size));
  memset(m.host, 0xa5, (size_t)m.size);
  assert_same_key(fx);

  assert_int_equal(dxemem_unmap(fx->guest.allocator, m.host, 10000),
                   DXEMEM_SUCCESS);
  assert_int_equal(dxemem_free_pages(fx->mirror.allocator, expected, 3),
                   DXEMEM_SUCCESS);
  assert_same_key(fx);
  /* Unmapping again is a double free. */
  assert_int_equal(dxemem_unmap(fx->guest.allocator, m.host, 10000),
                   DXEMEM_NOT_FOUND);
}

/* Allocate types and memory types pass through. */
static void test_map_options(void **state) {
  fixture *fx = *state;
  dxemem_mapping below, at;
  dxemem_map_options max = {DXEMEM_ALLOCATE_MAX_ADDRESS, DXEMEM_LOADER_CODE,
                            GUEST_BASE + 0x3fffff};
  assert_int_equal(dxemem_map(fx->guest.allocator, 1, &max, &below),
                   DXEMEM_SUCCESS);
  assert_true(below.phys + below.size - 1 <= max.address);
  assert_int_equal(below.size, 4096);

  dxemem_map_options fixed = {DXEMEM_ALLOCATE_ADDRESS, DXEMEM_LOADER_DATA,
                              GUEST_BASE + 0x200000};
  assert_int_equal(dxemem_map(fx->guest.allocator, 0x3000, &fixed, &at),
                   DXEMEM_SUCCESS);
  assert_int_equal(at.phys, fixed.address);
  /* The same address again is taken. */
  dxemem_mapping again;
  assert_int_equal(dxemem_map(fx->guest.allocator, 0x1000, &fixed, &again),
                   DXEMEM_NOT_FOUND);
  assert_null(again.host);
  assert_int_equal(again.size, 0);

  /* The types are in the map. */
  dxemem_memory_descriptor map[64];
  uint64_t size = sizeof map, key, descriptor_size;
  uint32_t version;
  assert_int_equal(dxemem_get_memory_map(fx->guest.allocator, &size, map, &key,
                                         &descriptor_size, &version),
                   DXEMEM_SUCCESS);
  bool code_seen = false, data_seen = false;
  for (dxemem_memory_descriptor *entry = map;
       (uint8_t *)entry < (uint8_t *)map + size;
       entry = DXEMEM_NEXT_DESCRIPTOR(entry, descriptor_size)) {
    code_seen |= entry->type == DXEMEM_LOADER_CODE &&
                 entry->physical_start == below.phys;
    data_seen |= entry->type == DXEMEM_LOADER_DATA &&
                 entry->physical_start == at.phys &&
                 entry->number_of_pages == 3;
  }
  assert_true(code_seen);
  assert_true(data_seen);

  /* munmap-style partial unmap: the middle page of three. */
  assert_int_equal(dxemem_unmap(fx->guest.allocator,
                                (uint8_t *)at.host + 0x1000, 0x1000),
                   DXEMEM_SUCCESS);
  /* All three again: the middle is free now. As CoreFreePages does, the
   * piece before it is freed before the free piece stops the call. */
  assert_int_equal(dxemem_unmap(fx->guest.allocator, at.host, 0x3000),
                   DXEMEM_NOT_FOUND);
  assert_int_equal(dxemem_unmap(fx->guest.allocator, at.host, 0x1000),
                   DXEMEM_NOT_FOUND);
  assert_int_equal(dxemem_unmap(fx->guest.allocator,
                                (uint8_t *)at.host + 0x2000, 1),
                   DXEMEM_SUCCESS);
  assert_int_equal(dxemem_unmap(fx->guest.allocator, below.host, 1),
                   DXEMEM_SUCCESS);
}

static void test_map_rejects_bad_arguments(void **state) {
  fixture *fx = *state;
  dxemem *d = fx->guest.allocator;
  dxemem_mapping m;
  uint64_t key = dxemem_get_map_key(d);
  assert_int_equal(dxemem_map(d, 0, NULL, &m), DXEMEM_INVALID_PARAMETER);
  assert_int_equal(dxemem_map(NULL, 1, NULL, &m), DXEMEM_INVALID_PARAMETER);
  assert_int_equal(dxemem_map(d, 1, NULL, NULL), DXEMEM_INVALID_PARAMETER);
  dxemem_map_options free_type = {DXEMEM_ALLOCATE_ANY_PAGES,
                                  DXEMEM_CONVENTIONAL_MEMORY, 0};
  assert_int_equal(dxemem_map(d, 1, &free_type, &m), DXEMEM_INVALID_PARAMETER);
  dxemem_map_options bad_allocate = {DXEMEM_MAX_ALLOCATE_TYPE,
                                     DXEMEM_LOADER_DATA, 0};
  assert_int_equal(dxemem_map(d, 1, &bad_allocate, &m),
                   DXEMEM_INVALID_PARAMETER);
  /* More than the guest has, and a length of 2^52 pages (the status
   * AllocatePages gives for that count). */
  assert_int_equal(dxemem_map(d, GUEST_SIZE + 1, NULL, &m),
                   DXEMEM_OUT_OF_RESOURCES);
  uint64_t unused;
  assert_int_equal(dxemem_map(d, UINT64_MAX, NULL, &m),
                   dxemem_allocate_pages(fx->mirror.allocator,
                                         DXEMEM_ALLOCATE_ANY_PAGES,
                                         DXEMEM_BOOT_SERVICES_DATA,
                                         UINT64_C(1) << 52, &unused));
  assert_null(m.host);
  assert_int_equal(dxemem_get_map_key(d), key); /* nothing changed */

  assert_int_equal(dxemem_map(d, 0x2000, NULL, &m), DXEMEM_SUCCESS);
  assert_int_equal(dxemem_unmap(d, NULL, 1), DXEMEM_INVALID_PARAMETER);
  assert_int_equal(dxemem_unmap(NULL, m.host, 1), DXEMEM_INVALID_PARAMETER);
  assert_int_equal(dxemem_unmap(d, m.host, 0), DXEMEM_INVALID_PARAMETER);
  assert_int_equal(dxemem_unmap(d, (uint8_t *)m.host + 1, 1),
                   DXEMEM_INVALID_PARAMETER);
  int outside;
  assert_int_equal(dxemem_unmap(d, &outside, 1), DXEMEM_INVALID_PARAMETER);
  assert_int_equal(dxemem_unmap(d, m.host, 0x2000), DXEMEM_SUCCESS);
}

/* With 64 KiB runtime granularity, runtime types take and give back whole
 * 64 KiB units: map's size says so and unmap of the same length frees all. */
static void test_runtime_types_round_to_the_granularity(void **state) {
  fixture *fx = *state;
  dxemem *d = fx->guest.allocator;
  assert_int_equal(dxemem_map_size(d, DXEMEM_RUNTIME_SERVICES_DATA, 1),
                   0x10000);
  assert_int_equal(dxemem_map_size(d, DXEMEM_RESERVED_MEMORY_TYPE, 0x10001),
                   0x20000);
  assert_int_equal(dxemem_map_size(d, DXEMEM_ACPI_MEMORY_NVS, 0x10000),
                   0x10000);
  assert_int_equal(dxemem_map_size(d, DXEMEM_ACPI_RECLAIM_MEMORY, 1), 0x1000);
  assert_int_equal(dxemem_map_size(d, DXEMEM_LOADER_DATA, 0x1001), 0x2000);
  assert_int_equal(dxemem_map_size(d, DXEMEM_LOADER_DATA, 0), 0);
  assert_int_equal(dxemem_map_size(NULL, DXEMEM_LOADER_DATA, 1), 0);
  assert_int_equal(dxemem_map_size(d, DXEMEM_RUNTIME_SERVICES_CODE,
                                   UINT64_MAX),
                   0);

  dxemem_map_options runtime = {DXEMEM_ALLOCATE_ANY_PAGES,
                                DXEMEM_RUNTIME_SERVICES_CODE, 0};
  dxemem_mapping m;
  assert_int_equal(dxemem_map(d, 5000, &runtime, &m), DXEMEM_SUCCESS);
  assert_int_equal(m.size, 0x10000);
  assert_int_equal(m.phys & 0xffff, 0);
  uint64_t expected;
  assert_int_equal(dxemem_allocate_pages(fx->mirror.allocator,
                                         DXEMEM_ALLOCATE_ANY_PAGES,
                                         DXEMEM_RUNTIME_SERVICES_CODE, 2,
                                         &expected),
                   DXEMEM_SUCCESS);
  assert_int_equal(m.phys, expected);
  memset(m.host, 0xc3, (size_t)m.size);
  assert_int_equal(dxemem_unmap(d, m.host, 5000), DXEMEM_SUCCESS);
  assert_int_equal(dxemem_free_pages(fx->mirror.allocator, expected, 2),
                   DXEMEM_SUCCESS);
  assert_same_key(fx);
  dxemem_type_statistics stats;
  assert_int_equal(dxemem_get_type_statistics(
                       d, DXEMEM_RUNTIME_SERVICES_CODE, &stats),
                   DXEMEM_SUCCESS);
  assert_int_equal(stats.current_number_of_pages, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_map_defaults_to_boot_services_data,
                                      setup_x64, teardown),
      cmocka_unit_test_setup_teardown(test_map_options, setup_x64, teardown),
      cmocka_unit_test_setup_teardown(test_map_rejects_bad_arguments,
                                      setup_x64, teardown),
      cmocka_unit_test_setup_teardown(
          test_runtime_types_round_to_the_granularity, setup_aarch64,
          teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
