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

#include <stdbool.h>
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

struct dxemem_host_cpu;

/* A dxemem instance that owns its storage and its region. */
typedef struct dxemem_host_instance {
  dxemem *allocator;         /* the instance; NULL when not created */
  void *storage;             /* malloc'd instance storage */
  dxemem_host_region region; /* the mapped fake physical memory */
  /* The CPU protocol model behind the heap guard (see "heap guard on the
   * host" below); NULL when the caller gave its own callback. */
  struct dxemem_host_cpu *cpu;
  void *index;      /* mapped index storage, or NULL */
  size_t index_size;
} dxemem_host_instance;

/* Maps config->region_base/region_size, allocates instance storage (and,
 * unless config->list_path or config->index_storage is set, index storage
 * for every entry the region can need, mapped so that only the part in use
 * costs memory) and creates the instance with a copy of *config whose
 * region_host points at the new mapping (config->region_host is ignored).
 * Unless the config has its own set_memory_attributes, the host CPU model
 * below takes the heap guard's calls. Returns DXEMEM_SUCCESS,
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

/* ---- heap guard on the host ------------------------------------------- */
/*
 * The host CPU model: it takes the heap guard's SetMemoryAttributes calls
 * and records, for every page of the region, whether the latest call that
 * covered it asked for EFI_MEMORY_RP (the trace format's `rp`).
 *
 * With protection on, those pages are also really not present: the model
 * mprotects them PROT_NONE in the region mapping and gives them back
 * PROT_READ | PROT_WRITE when the guard clears them, so a buffer overrun
 * into a guard page or a write after free faults. Limits: the host page
 * size must be 4 KiB (else DXEMEM_UNSUPPORTED), and every protected run
 * splits the mapping, so vm.max_map_count (65530 by default) bounds how
 * many separate runs can be protected; an mprotect that fails leaves the
 * page accessible and is counted in protect_failures.
 */

/* The `rp` record of the page holding phys (false outside the region or
 * without the host model). */
bool dxemem_host_page_rp(const dxemem_host_instance *instance, uint64_t phys);

/* Turns protection on or off. On: pages recorded RP so far are protected
 * at once. Off: every page is made accessible again. */
dxemem_status dxemem_host_guard_protect(dxemem_host_instance *instance,
                                        bool on);

/* mprotect calls that failed since the instance was created. */
uint64_t dxemem_host_guard_protect_failures(
    const dxemem_host_instance *instance);

/* Names the calls that follow ("line 12: pool ...", or a test's own
 * words): a fault report says under which name the allocation it hit was
 * made. The text is copied (at most 127 bytes kept). */
void dxemem_host_guard_set_call(dxemem_host_instance *instance,
                                const char *call);

/* A fault in a page the heap guard set not present. */
typedef struct dxemem_host_guard_fault {
  uint64_t address;            /* physical address of the access */
  dxemem_guard_page_kind kind; /* HEAD, TAIL or FREED (NONE: unknown) */
  uint32_t type;               /* the allocation's memory type */
  uint64_t start;              /* its first page (without guards) */
  uint64_t pages;              /* its pages (without guards) */
  char call[128];              /* the call name it was made (or freed) under */
} dxemem_host_guard_fault;

/* Writes the report as one line ("guard fault at 0x...: tail guard of
 * EfiBootServicesData 0x...+0x2 pages made by line 12: ...") into buffer. */
void dxemem_host_guard_fault_format(const dxemem_host_guard_fault *fault,
                                    char *buffer, size_t size);

/* Runs fn(context) with a fault catcher armed: a fault in a protected
 * guard page of a protected instance stops fn, fills *fault and returns
 * true; false when fn returned normally. The SIGSEGV/SIGBUS handler is
 * installed on entry and the previous actions are restored on return; a
 * fault outside every guard page goes to the previous action. Signal
 * actions are process-wide: one catcher at a time per process (nested
 * calls on one thread are fine). fn is left with siglongjmp, so it must
 * not hold locks or resources a fault would leak. */
bool dxemem_host_guard_catch(void (*fn)(void *context), void *context,
                             dxemem_host_guard_fault *fault);

#ifdef __cplusplus
}
#endif

#endif /* DXEMEM_HOST_H */
