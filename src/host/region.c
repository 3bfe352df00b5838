/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/* The fake physical region: an anonymous mapping committed on first touch. */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS and MAP_NORESERVE are not POSIX */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "dxemem/host.h"

/* An anonymous mapping of size bytes, at hint when the host allows. */
static dxemem_status map_anonymous(uint64_t hint, uint64_t size, void **host) {
  if (size > SIZE_MAX) {
    errno = ENOMEM;
    return DXEMEM_OUT_OF_RESOURCES;
  }
  /* NORESERVE: no swap is set aside, so only touched pages cost memory.
   * Without MAP_FIXED the hint never replaces an existing mapping. */
  void *mapped = mmap((void *)(uintptr_t)hint, (size_t)size,
                      PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (mapped == MAP_FAILED) {
    return DXEMEM_OUT_OF_RESOURCES;
  }
  *host = mapped;
  return DXEMEM_SUCCESS;
}

static bool region_valid(uint64_t base, uint64_t size) {
  return (base & DXEMEM_PAGE_MASK) == 0 && (size & DXEMEM_PAGE_MASK) == 0 &&
         size != 0 && size - 1 <= UINT64_MAX - base;
}

dxemem_status dxemem_host_region_map(uint64_t base, uint64_t size,
                                     dxemem_host_region *out) {
  if (out == NULL) {
    return DXEMEM_INVALID_PARAMETER;
  }
  memset(out, 0, sizeof(*out));
  if (!region_valid(base, size)) {
    return DXEMEM_INVALID_PARAMETER;
  }
  void *host;
  dxemem_status status = map_anonymous(0, size, &host);
  if (status != DXEMEM_SUCCESS) {
    return status;
  }
  out->base = base;
  out->size = size;
  out->host = host;
  return DXEMEM_SUCCESS;
}

dxemem_status dxemem_host_region_map_identity(uint64_t hint, uint64_t size,
                                              dxemem_host_region *out) {
  if (out == NULL) {
    return DXEMEM_INVALID_PARAMETER;
  }
  memset(out, 0, sizeof(*out));
  if (!region_valid(hint, size)) {
    return DXEMEM_INVALID_PARAMETER;
  }
  void *host;
  dxemem_status status = map_anonymous(hint, size, &host);
  if (status != DXEMEM_SUCCESS) {
    return status;
  }
  out->base = (uint64_t)(uintptr_t)host;
  out->size = size;
  out->host = host;
  return DXEMEM_SUCCESS;
}

void dxemem_host_region_unmap(dxemem_host_region *region) {
  if (region == NULL || region->host == NULL) {
    return;
  }
  /* munmap only fails for arguments we never pass; keep errno untouched. */
  int saved_errno = errno;
  (void)munmap(region->host, (size_t)region->size);
  errno = saved_errno;
  memset(region, 0, sizeof(*region));
}
