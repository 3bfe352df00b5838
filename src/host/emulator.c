/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * mmap/munmap-shaped page mapping over a dxemem instance (emulator.h).
 * A thin layer: bytes to pages, physical to host, and back; the
 * allocation itself is dxemem_allocate_pages / dxemem_free_pages, so the
 * guest sees exactly the DXE core's addresses and statuses.
 */
#include <string.h>

#include "dxemem/emulator.h"

/* The types CoreAllocatePages and CoreFreePages align to
 * RUNTIME_PAGE_ALLOCATION_GRANULARITY. */
static bool runtime_granular(uint32_t memory_type) {
  return memory_type == DXEMEM_RESERVED_MEMORY_TYPE ||
         memory_type == DXEMEM_ACPI_MEMORY_NVS ||
         memory_type == DXEMEM_RUNTIME_SERVICES_CODE ||
         memory_type == DXEMEM_RUNTIME_SERVICES_DATA;
}

/* Pages for length bytes, 0 for length 0. */
static uint64_t pages_of(uint64_t length) {
  return (length >> DXEMEM_PAGE_SHIFT) + ((length & DXEMEM_PAGE_MASK) != 0);
}

uint64_t dxemem_map_size(const dxemem *d, uint32_t memory_type,
                         uint64_t length) {
  if (d == NULL || length == 0) {
    return 0;
  }
  uint64_t granule = DXEMEM_PAGE_SIZE;
  if (runtime_granular(memory_type)) {
    granule = dxemem_get_runtime_granularity(d);
  }
  uint64_t granules = length / granule + (length % granule != 0);
  if (granules > UINT64_MAX / granule) {
    return 0;
  }
  return granules * granule;
}

dxemem_status dxemem_map(dxemem *d, uint64_t length,
                         const dxemem_map_options *options,
                         dxemem_mapping *out) {
  if (out == NULL) {
    return DXEMEM_INVALID_PARAMETER;
  }
  memset(out, 0, sizeof *out);
  if (d == NULL || length == 0) {
    return DXEMEM_INVALID_PARAMETER;
  }
  dxemem_map_options chosen = {DXEMEM_ALLOCATE_ANY_PAGES,
                               DXEMEM_BOOT_SERVICES_DATA, 0};
  if (options != NULL) {
    chosen = *options;
  }
  uint64_t phys = chosen.address;
  dxemem_status status = dxemem_allocate_pages(
      d, chosen.allocate_type, chosen.memory_type, pages_of(length), &phys);
  if (status != DXEMEM_SUCCESS) {
    return status;
  }
  uint64_t size = dxemem_map_size(d, chosen.memory_type, length);
  void *host = dxemem_phys_to_host(d, phys, size);
  if (host == NULL) {
    /* Pages outside the region: only an add beyond it could give them,
     * and adds are checked against the region. Give them back. */
    (void)dxemem_free_pages(d, phys, pages_of(length));
    return DXEMEM_VOLUME_CORRUPTED;
  }
  out->host = host;
  out->phys = phys;
  out->size = size;
  return DXEMEM_SUCCESS;
}

dxemem_status dxemem_unmap(dxemem *d, void *host, uint64_t length) {
  uint64_t phys;
  if (d == NULL || host == NULL || length == 0 ||
      !dxemem_host_to_phys(d, host, &phys) ||
      (phys & DXEMEM_PAGE_MASK) != 0) {
    return DXEMEM_INVALID_PARAMETER;
  }
  /* CoreFreePages rounds the count up to the granularity of the type it
   * finds there, exactly as the allocation did. */
  return dxemem_free_pages(d, phys, pages_of(length));
}
