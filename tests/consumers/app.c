/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/* A consumer of an installed dxemem: one instance, one allocation, the map. */
#include <stdio.h>
#include <string.h>

#include <dxemem/dxemem.h>
#include <dxemem/host.h>

int main(void) {
  dxemem_config config = {.region_base = 0x100000, .region_size = 16 << 20};
  dxemem_host_instance guest;
  if (dxemem_host_create(&config, &guest) != DXEMEM_SUCCESS) {
    return 1;
  }
  dxemem *d = guest.allocator;
  dxemem_add_memory_descriptor(d, DXEMEM_CONVENTIONAL_MEMORY, 0x100000,
                               (16 << 20) >> 12, DXEMEM_MEMORY_WB);
  uint64_t pages;
  dxemem_status status = dxemem_allocate_pages(
      d, DXEMEM_ALLOCATE_ANY_PAGES, DXEMEM_BOOT_SERVICES_DATA, 4, &pages);
  printf("dxemem %s: AllocatePages -> %s at 0x%llx\n", DXEMEM_VERSION_STRING,
         dxemem_status_name(status), (unsigned long long)pages);
  memset(dxemem_phys_to_host(d, pages, 4 * 4096), 0xa5, 4 * 4096);
  int failed = status != DXEMEM_SUCCESS ||
               dxemem_free_pages(d, pages, 4) != DXEMEM_SUCCESS;
#ifdef EXPECTED_VERSION
  /* The CMake package and the header must agree on the version. */
  failed |= strcmp(EXPECTED_VERSION, DXEMEM_VERSION_STRING) != 0;
#endif
  dxemem_host_destroy(&guest);
  return failed;
}
