/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/* A dxemem instance that owns malloc'd storage and a mapped region. */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS and MAP_NORESERVE are not POSIX */

#include <errno.h>
#include <sys/mman.h>
#include <stdlib.h>
#include <string.h>

#include "host_internal.h"

/* Creates the instance over out->region, mapped already; on failure
 * unmaps it and clears *out. */
static dxemem_status create_over_region(const dxemem_config *config,
                                        dxemem_host_instance *out);

dxemem_status dxemem_host_create(const dxemem_config *config,
                                 dxemem_host_instance *out) {
  if (out == NULL) {
    return DXEMEM_INVALID_PARAMETER;
  }
  memset(out, 0, sizeof(*out));
  if (config == NULL) {
    return DXEMEM_INVALID_PARAMETER;
  }
  dxemem_status status = dxemem_host_region_map(
      config->region_base, config->region_size, &out->region);
  if (status != DXEMEM_SUCCESS) {
    return status;
  }
  return create_over_region(config, out);
}

dxemem_status dxemem_host_create_identity(const dxemem_config *config,
                                          uint64_t hint,
                                          dxemem_host_instance *out) {
  if (out == NULL) {
    return DXEMEM_INVALID_PARAMETER;
  }
  memset(out, 0, sizeof(*out));
  if (config == NULL) {
    return DXEMEM_INVALID_PARAMETER;
  }
  dxemem_status status =
      dxemem_host_region_map_identity(hint, config->region_size, &out->region);
  if (status != DXEMEM_SUCCESS) {
    return status;
  }
  return create_over_region(config, out);
}

static dxemem_status create_over_region(const dxemem_config *config,
                                        dxemem_host_instance *out) {
  dxemem_status status;
  size_t storage_size = dxemem_instance_size();
  /* malloc's alignment covers the 8 bytes the instance needs. */
  out->storage = malloc(storage_size);
  if (out->storage == NULL) {
    int saved_errno = errno;
    dxemem_host_region_unmap(&out->region);
    errno = saved_errno;
    return DXEMEM_OUT_OF_RESOURCES;
  }
  dxemem_config hosted = *config;
  hosted.region_base = out->region.base;
  hosted.region_host = out->region.host;
  if (hosted.set_memory_attributes == NULL) {
    out->cpu = dxemem_host_cpu_new(&out->region, &hosted);
    if (out->cpu == NULL) {
      free(out->storage);
      dxemem_host_region_unmap(&out->region);
      memset(out, 0, sizeof(*out));
      errno = ENOMEM;
      return DXEMEM_OUT_OF_RESOURCES;
    }
  }
  if (!config->list_path && config->index_storage == NULL) {
    size_t bytes =
        dxemem_index_size(dxemem_index_entries_for_region(config->region_size));
    void *index = bytes == SIZE_MAX
                      ? MAP_FAILED
                      : mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1,
                             0);
    if (index != MAP_FAILED) { /* without it: the list path */
      out->index = index;
      out->index_size = bytes;
      hosted.index_storage = index;
      hosted.index_storage_size = bytes;
    }
  }
  status = dxemem_create(out->storage, storage_size, &hosted, &out->allocator);
  if (status == DXEMEM_SUCCESS && out->cpu != NULL) {
    dxemem_host_cpu_attach(out->cpu, out->allocator);
  }
  if (status != DXEMEM_SUCCESS) {
    dxemem_host_destroy(out);
  }
  return status;
}

void dxemem_host_destroy(dxemem_host_instance *instance) {
  if (instance == NULL) {
    return;
  }
  if (instance->allocator != NULL) {
    dxemem_destroy(instance->allocator);
  }
  dxemem_host_cpu_free(instance->cpu);
  free(instance->storage);
  if (instance->index != NULL) {
    int saved_errno = errno;
    (void)munmap(instance->index, instance->index_size);
    errno = saved_errno;
  }
  dxemem_host_region_unmap(&instance->region);
  memset(instance, 0, sizeof(*instance));
}
