/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * dxemem as an emulator's page allocator: mmap/munmap-shaped calls over a
 * dxemem instance, for emulators and binary translators that give their
 * guests DXE's allocation behaviour (or just want a fast, deterministic
 * page allocator with many instances per process).
 *
 *   dxemem_map    takes a length in bytes and returns the host pointer,
 *                 the physical (guest) address and the size taken;
 *   dxemem_unmap  takes a host pointer and a length, as munmap does, and
 *                 may release part of a mapping.
 *
 * Both are CoreAllocatePages / CoreFreePages underneath: lengths round up
 * to whole pages, and for the types DXE aligns to the runtime granularity
 * (EfiReservedMemoryType, EfiACPIMemoryNVS, EfiRuntimeServicesCode/Data) to
 * that granularity, so unmap with the length given to map releases exactly
 * what map took. Statuses are the DXE core's (DXEMEM_NOT_FOUND for an
 * unmap of memory that is not allocated, ...).
 *
 * Translation between guest physical and host addresses is
 * dxemem_phys_to_host / dxemem_host_to_phys (dxemem.h); an identity region
 * (dxemem_host_region_map_identity, host.h) makes both the identity.
 *
 * Threads: one instance may be shared when its config has lock/unlock
 * callbacks (examples/emulator/guests.c uses a pthread mutex); separate
 * instances need no lock at all.
 */
#ifndef DXEMEM_EMULATOR_H
#define DXEMEM_EMULATOR_H

#include <stdbool.h>
#include <stdint.h>

#include "dxemem/dxemem.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Where and what to map. NULL options: anywhere, EfiBootServicesData. */
typedef struct dxemem_map_options {
  uint32_t allocate_type; /* DXEMEM_ALLOCATE_ANY_PAGES, _MAX_ADDRESS, _ADDRESS */
  uint32_t memory_type;   /* the memory type the pages get */
  uint64_t address;       /* _MAX_ADDRESS: highest address the mapping may
                             use; _ADDRESS: its exact physical base */
} dxemem_map_options;

/* A mapping as the guest and the host see it. */
typedef struct dxemem_mapping {
  void *host;     /* host address of the first byte */
  uint64_t phys;  /* physical (guest) address of the first byte */
  uint64_t size;  /* bytes taken: the length rounded up as described above */
} dxemem_mapping;

/* Maps length bytes (> 0). DXEMEM_INVALID_PARAMETER for a NULL d or out,
 * length 0, or what CoreAllocatePages rejects; DXEMEM_OUT_OF_RESOURCES or
 * DXEMEM_NOT_FOUND when no pages fit. On failure *out is cleared. */
dxemem_status dxemem_map(dxemem *d, uint64_t length,
                         const dxemem_map_options *options,
                         dxemem_mapping *out);

/* Unmaps [host, host + length) (length > 0, rounded up as map rounds it).
 * host must lie in the instance's region at a page boundary
 * (DXEMEM_INVALID_PARAMETER otherwise); the range must be allocated
 * (DXEMEM_NOT_FOUND otherwise, e.g. a second unmap). */
dxemem_status dxemem_unmap(dxemem *d, void *host, uint64_t length);

/* The bytes dxemem_map takes for length bytes of memory_type on d (0 when
 * length is 0 or the rounding overflows). */
uint64_t dxemem_map_size(const dxemem *d, uint32_t memory_type,
                         uint64_t length);

#ifdef __cplusplus
}
#endif

#endif /* DXEMEM_EMULATOR_H */
