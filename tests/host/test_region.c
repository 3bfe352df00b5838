/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * region.c and instance.c: identity-mapped regions (physical address ==
 * host address) and the instances made over them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dxemem/host.h"

static void test_identity_region_maps_at_its_host_address(void **state) {
  (void)state;
  dxemem_host_region region;
  assert_int_equal(dxemem_host_region_map_identity(0, 0x200000, &region),
                   DXEMEM_SUCCESS);
  assert_non_null(region.host);
  assert_int_equal(region.base, (uint64_t)(uintptr_t)region.host);
  assert_int_equal(region.size, 0x200000);
  assert_int_equal(region.base & DXEMEM_PAGE_MASK, 0);
  memset(region.host, 0x5a, 0x200000); /* all of it is usable */
  dxemem_host_region_unmap(&region);
  assert_null(region.host);
}

static void test_identity_region_rejects_bad_arguments(void **state) {
  (void)state;
  dxemem_host_region region;
  assert_int_equal(dxemem_host_region_map_identity(0, 0x1000, NULL),
                   DXEMEM_INVALID_PARAMETER);
  assert_int_equal(dxemem_host_region_map_identity(0, 0, &region),
                   DXEMEM_INVALID_PARAMETER);
  assert_null(region.host);
  assert_int_equal(dxemem_host_region_map_identity(0, 0x1001, &region),
                   DXEMEM_INVALID_PARAMETER);
  assert_int_equal(dxemem_host_region_map_identity(0x123, 0x1000, &region),
                   DXEMEM_INVALID_PARAMETER);
  /* A hint whose region would pass 2^64. */
  assert_int_equal(dxemem_host_region_map_identity(UINT64_C(0xfffffffffffff000),
                                                   0x2000, &region),
                   DXEMEM_INVALID_PARAMETER);
}

static void test_identity_instance_hands_out_host_addresses(void **state) {
  (void)state;
  dxemem_config config;
  memset(&config, 0, sizeof config);
  config.region_base = 0x12345000; /* ignored: the mapping decides */
  config.region_size = 0x400000;
  dxemem_host_instance guest;
  assert_int_equal(dxemem_host_create_identity(&config, 0, &guest),
                   DXEMEM_SUCCESS);
  uint64_t base = guest.region.base;
  assert_int_equal(base, (uint64_t)(uintptr_t)guest.region.host);
  assert_int_equal(dxemem_add_memory_descriptor(
                       guest.allocator, DXEMEM_CONVENTIONAL_MEMORY, base,
                       0x400000 >> DXEMEM_PAGE_SHIFT, 0),
                   DXEMEM_SUCCESS);
  uint64_t pages;
  assert_int_equal(dxemem_allocate_pages(guest.allocator,
                                         DXEMEM_ALLOCATE_ANY_PAGES,
                                         DXEMEM_LOADER_DATA, 2, &pages),
                   DXEMEM_SUCCESS);
  /* The physical address is the pointer. */
  assert_ptr_equal(dxemem_phys_to_host(guest.allocator, pages, 0x2000),
                   (void *)(uintptr_t)pages);
  memset((void *)(uintptr_t)pages, 0xa5, 0x2000);
  dxemem_host_destroy(&guest);
  assert_null(guest.allocator);

  assert_int_equal(dxemem_host_create_identity(NULL, 0, &guest),
                   DXEMEM_INVALID_PARAMETER);
  assert_int_equal(dxemem_host_create_identity(&config, 0, NULL),
                   DXEMEM_INVALID_PARAMETER);
  config.region_size = 0;
  assert_int_equal(dxemem_host_create_identity(&config, 0, &guest),
                   DXEMEM_INVALID_PARAMETER);
  assert_null(guest.allocator);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_identity_region_maps_at_its_host_address),
      cmocka_unit_test(test_identity_region_rejects_bad_arguments),
      cmocka_unit_test(test_identity_instance_hands_out_host_addresses),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
