/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * The freestanding core with nothing allocated at run time: the instance
 * and the fake physical memory are static arrays, sized at compile time
 * with DXEMEM_INSTANCE_SIZE_MAX. The README's "Using the library" example;
 * built against dxemem::core alone and run by CTest.
 */
#include <stdio.h>

#include <dxemem/dxemem.h>

static _Alignas(4096) unsigned char host_memory[4 << 20];

int main(void) {
  // snippet library begin
  dxemem_config config = {
      .region_base = 0x100000, .region_size = sizeof host_memory,
      .region_host = host_memory,            /* memory you own */
      .runtime_granularity = 4096,
  };
  static _Alignas(DXEMEM_INSTANCE_ALIGN) unsigned char
      storage[DXEMEM_INSTANCE_SIZE_MAX];
  dxemem *d;
  dxemem_create(storage, sizeof storage, &config, &d);

  dxemem_add_memory_descriptor(d, DXEMEM_CONVENTIONAL_MEMORY, 0x100000,
                               sizeof host_memory >> 12, DXEMEM_MEMORY_UC |
                               DXEMEM_MEMORY_WC | DXEMEM_MEMORY_WT |
                               DXEMEM_MEMORY_WB);
  uint64_t pages_at;
  dxemem_status status = dxemem_allocate_pages(
      d, DXEMEM_ALLOCATE_ANY_PAGES, DXEMEM_BOOT_SERVICES_DATA, 4, &pages_at);
  unsigned char *p = dxemem_phys_to_host(d, pages_at, 4 * 4096);
  // snippet library end
  printf("AllocatePages -> %s at 0x%llx (host %p)\n",
         dxemem_status_name(status), (unsigned long long)pages_at, (void *)p);
  int failed = status != DXEMEM_SUCCESS || p < host_memory ||
               p + 4 * 4096 > host_memory + sizeof host_memory;
  dxemem_destroy(d);
  return failed;
}
