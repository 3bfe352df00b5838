/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * dxemem hosted helpers: back a dxemem instance with real host memory.
 *
 * The core never allocates; these helpers do it for programs that run on a
 * hosted system (tests, the CLI, fuzzers). The fake physical region is an
 * anonymous private mapping with no swap reservation, so a large region
 * (64 GiB, say) costs address space only: pages are committed when the
 * allocator or the caller first touches them.
 *
 * Errors are statuses, never aborts. When a host call fails, errno is left
 * as that call set it, so the caller can print strerror(errno).
 */
#ifndef DXEMEM_HOST_H
#define DXEMEM_HOST_H

#include <stddef.h>
#include <stdint.h>

#include "dxemem/dxemem.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Host memory backing physical [base, base + size). */
typedef struct dxemem_host_region {
  uint64_t base; /* physical address of the first byte */
  uint64_t size; /* bytes */
  void *host;    /* the mapping; NULL when not mapped */
} dxemem_host_region;

/* Maps a lazily committed region for physical [base, base + size).
 * base and size must be multiples of 4096, size > 0 and base + size <= 2^64
 * (DXEMEM_INVALID_PARAMETER otherwise). DXEMEM_OUT_OF_RESOURCES when the
 * host cannot map that much (errno says why). On failure *out is cleared. */
dxemem_status dxemem_host_region_map(uint64_t base, uint64_t size,
                                     dxemem_host_region *out);

/* Maps a lazily committed region of size bytes whose physical addresses
 * equal its host addresses (out->base == (uintptr_t)out->host), as edk2
 * host tests and emulators with an identity view need. hint is a preferred
 * base (0: anywhere); the host may place the region elsewhere, so read
 * out->base. Statuses as dxemem_host_region_map. */
dxemem_status dxemem_host_region_map_identity(uint64_t hint, uint64_t size,
                                              dxemem_host_region *out);

/* Unmaps the region and clears *region; a cleared region is a no-op. */
void dxemem_host_region_unmap(dxemem_host_region *region);

/* A dxemem instance that owns its storage and its region. */
typedef struct dxemem_host_instance {
  dxemem *allocator;         /* the instance; NULL when not created */
  void *storage;             /* malloc'd instance storage */
  dxemem_host_region region; /* the mapped fake physical memory */
} dxemem_host_instance;

/* Maps config->region_base/region_size, allocates instance storage and
 * creates the instance with a copy of *config whose region_host points at
 * the new mapping (config->region_host is ignored). Returns DXEMEM_SUCCESS,
 * DXEMEM_INVALID_PARAMETER for a bad region or NULL arguments,
 * DXEMEM_OUT_OF_RESOURCES when the host is out of memory, or whatever
 * dxemem_create returns. On failure nothing is left allocated and *out is
 * cleared. */
dxemem_status dxemem_host_create(const dxemem_config *config,
                                 dxemem_host_instance *out);

/* As dxemem_host_create, over a region mapped by
 * dxemem_host_region_map_identity(hint, config->region_size):
 * config->region_base is ignored, the instance's region base is the host
 * address of its mapping (out->region.base). */
dxemem_status dxemem_host_create_identity(const dxemem_config *config,
                                          uint64_t hint,
                                          dxemem_host_instance *out);

/* Destroys the instance and frees its storage and region; a cleared
 * instance is a no-op. */
void dxemem_host_destroy(dxemem_host_instance *instance);

#ifdef __cplusplus
}
#endif

#endif /* DXEMEM_HOST_H */
