/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * CoreInternalAllocatePages, CoreInternalFreePages, CoreAllocatePoolPages
 * and CoreFreePoolPages.
 */
#include "internal.h"

/* Reserved, runtime code/data and ACPI NVS use the runtime granularity. */
uint64_t dx_granularity_for_type(const dxemem *d, uint32_t type) {
  switch (type) {
  case DXEMEM_RESERVED_MEMORY_TYPE:
  case DXEMEM_RUNTIME_SERVICES_CODE:
  case DXEMEM_RUNTIME_SERVICES_DATA:
  case DXEMEM_ACPI_MEMORY_NVS:
    return d->runtime_granularity;
  default:
    return DEFAULT_GRANULARITY;
  }
}

static uint64_t round_pages_up(uint64_t pages, uint64_t granularity) {
  uint64_t unit = granularity >> DXEMEM_PAGE_SHIFT;
  pages += unit - 1;
  return pages & ~(unit - 1);
}

/* The types a caller may allocate: UEFI types but free, persistent and
 * unaccepted memory, and OEM and OS types. */
bool dx_memory_type_valid_for_allocate(uint32_t type) {
  if (type >= DXEMEM_MAX_MEMORY_TYPE && type < DXEMEM_OEM_RESERVED_MIN) {
    return false;
  }
  return type != DXEMEM_CONVENTIONAL_MEMORY &&
         type != DXEMEM_PERSISTENT_MEMORY &&
         type != DXEMEM_UNACCEPTED_MEMORY_TYPE;
}

/* AllocateAddress may not touch the non-empty bin of another special type
 * (it would fragment the ranges kept stable for S4 resume). */
static bool range_hits_special_bin(const dxemem *d, uint32_t memory_type,
                                   uint64_t start, uint64_t end) {
  for (uint32_t t = 0; t < DXEMEM_MAX_MEMORY_TYPE; t++) {
    const type_statistics *s = &d->stats[t];
    if (t == memory_type || !s->special || s->number_of_pages == 0) {
      continue;
    }
    if (start >= s->base_address && start <= s->maximum_address) {
      return true;
    }
    if (end >= s->base_address && end <= s->maximum_address) {
      return true;
    }
    if (start < s->base_address && end > s->maximum_address) {
      return true;
    }
  }
  return false;
}

static dxemem_status convert_for_allocation(dxemem *d, uint64_t start,
                                            uint64_t pages, uint32_t type,
                                            bool need_guard) {
  if (need_guard) {
    return dx_core_convert_pages_with_guard(d, start, pages, type);
  }
  return dx_core_convert_pages(d, start, pages, type);
}

/* Models CoreInternalAllocatePages. need_guard: the heap guard wants
 * guards around this allocation (never for a granularity above 4 KiB). */
dxemem_status dx_core_internal_allocate_pages(dxemem *d, uint32_t allocate_type,
                                              uint32_t memory_type,
                                              uint64_t pages, uint64_t *memory,
                                              bool need_guard) {
  if (allocate_type >= DXEMEM_MAX_ALLOCATE_TYPE ||
      !dx_memory_type_valid_for_allocate(memory_type) || memory == NULL) {
    return DXEMEM_INVALID_PARAMETER;
  }
  uint64_t alignment = dx_granularity_for_type(d, memory_type);
  if (alignment != DXEMEM_PAGE_SIZE) {
    need_guard = false;
  }
  if (allocate_type == DXEMEM_ALLOCATE_ADDRESS &&
      (*memory & (alignment - 1)) != 0) {
    return DXEMEM_NOT_FOUND;
  }
  pages = round_pages_up(pages, alignment);

  uint64_t start = *memory;
  uint64_t max_address = MAX_ALLOC_ADDRESS;
  if (allocate_type == DXEMEM_ALLOCATE_ADDRESS) {
    if (start == 0) {
      return DXEMEM_NOT_FOUND; /* page 0 stays free for NULL detection */
    }
    if (pages == 0 || pages > (max_address >> DXEMEM_PAGE_SHIFT)) {
      return DXEMEM_NOT_FOUND;
    }
    uint64_t end = start + (pages << DXEMEM_PAGE_SHIFT) - 1;
    if (start >= end || start > max_address || end > max_address) {
      return DXEMEM_NOT_FOUND;
    }
    if (range_hits_special_bin(d, memory_type, start, end)) {
      return DXEMEM_NOT_FOUND;
    }
  }
  if (allocate_type == DXEMEM_ALLOCATE_MAX_ADDRESS) {
    max_address = start;
  }

  uint64_t default_base = d->default_base;
  if (allocate_type != DXEMEM_ALLOCATE_ADDRESS) {
    start = dx_find_free_pages(d, max_address, pages, memory_type, alignment,
                               need_guard);
    if (start == 0) {
      return DXEMEM_OUT_OF_RESOURCES;
    }
  }
  dxemem_status status = convert_for_allocation(d, start, pages, memory_type,
                                                need_guard);
  if (DXEMEM_IS_ERROR(status) && dx_promote_memory_resource(d)) {
    /* The range may have been memory waiting for promotion: once more. */
    status = convert_for_allocation(d, start, pages, memory_type, need_guard);
  }
  if (status == DXEMEM_OUT_OF_RESOURCES) {
    d->default_base = default_base; /* rolled back: undo the search too */
  }
  if (status == DXEMEM_SUCCESS) {
    if (need_guard) {
      dx_set_guard_for_memory(d, start, pages);
    }
    *memory = start;
  }
  return status;
}

/* Models CoreAllocatePages: the heap guard decides on guards. */
dxemem_status dx_core_allocate_pages(dxemem *d, uint32_t allocate_type,
                                     uint32_t memory_type, uint64_t pages,
                                     uint64_t *memory) {
  bool need_guard = dx_is_page_type_to_guard(d, memory_type, allocate_type);
  return dx_core_internal_allocate_pages(d, allocate_type, memory_type, pages,
                                         memory, need_guard);
}

/* Models CoreInternalFreePages: the entry holding memory decides the
 * alignment and the rounding of the count. */
dxemem_status dx_core_internal_free_pages(dxemem *d, uint64_t memory,
                                          uint64_t pages) {
  entry_ref ref = dx_map_find_containing(d, memory);
  if (ref == REF_NULL) {
    return DXEMEM_NOT_FOUND;
  }
  uint64_t alignment = dx_granularity_for_type(d, dx_node(d, ref)->type);
  if ((memory & (alignment - 1)) != 0) {
    return DXEMEM_INVALID_PARAMETER;
  }
  pages = round_pages_up(pages, alignment);
  if (dx_is_page_type_to_guard(d, dx_node(d, ref)->type,
                               DXEMEM_ALLOCATE_ANY_PAGES) &&
      dx_is_memory_guarded(d, memory)) {
    uint64_t span_shift = dx_guard_span_shift(d);
    if (span_shift < 64 && (memory >> span_shift) != 0) {
      /* The bit read is that of a page one span lower (edk2 too). */
      dx_raise_hazard(d, DXEMEM_HAZARD_GUARD_ALIASED_BIT, memory,
                      memory + (pages << DXEMEM_PAGE_SHIFT) - 1);
    }
    return dx_core_convert_pages_with_guard(d, memory, pages,
                                            DXEMEM_CONVENTIONAL_MEMORY);
  }
  return dx_core_convert_pages(d, memory, pages, DXEMEM_CONVENTIONAL_MEMORY);
}

/* Models CoreFreePages: freed pages go to the freed-memory guard (with
 * the count the caller gave, not the rounded one, as in edk2). */
dxemem_status dx_core_free_pages(dxemem *d, uint64_t memory, uint64_t pages) {
  dxemem_status status = dx_core_internal_free_pages(d, memory, pages);
  if (status == DXEMEM_SUCCESS) {
    dx_guard_freed_pages_checked(d, memory, pages);
  }
  return status;
}

/* Models CoreAllocatePoolPages (need_guard: with guards, which the caller
 * sets with SetGuardForMemory afterwards): *start is 0 when nothing is found. Like
 * edk2 it does not look at the conversion's status: a range that ends at
 * the very top of the address space is converted and then reported as
 * EFI_NOT_FOUND (the conversion loop wraps to address 0), yet it is the
 * caller's. Once the pages are found the running transaction cannot fail
 * any more (see the journal in map_list.c). */
dxemem_status dx_core_allocate_pool_pages(dxemem *d, uint32_t pool_type,
                                          uint64_t pages, uint64_t alignment,
                                          bool need_guard, uint64_t *start) {
  uint64_t bytes = pages << DXEMEM_PAGE_SHIFT;
  uint64_t default_base = d->default_base;
  *start = dx_find_free_pages(d, MAX_ALLOC_ADDRESS, pages, pool_type,
                              alignment, need_guard);
  /* dxemem: pool pages get written (map entries live there), so they must
   * be backed and must not already hold entries. Both only happen after
   * overlapping adds (an empty add at 0 ends at 2^64 - 1 and overlaps all),
   * where edk2 would write through them. */
  if (*start != 0 &&
      (!dx_region_contains(d, *start, bytes) ||
       dx_range_holds_map_entries(d, *start, *start + bytes - 1))) {
    d->default_base = default_base;
    *start = 0;
  }
  if (*start == 0) {
    return DXEMEM_OUT_OF_RESOURCES;
  }
  dx_journal_commit(d);
  /* dxemem: a conversion that could not get a map entry was rolled back
   * (edk2 loops forever there); the pages are not the caller's. */
  if (convert_for_allocation(d, *start, pages, pool_type, need_guard) ==
      DXEMEM_OUT_OF_RESOURCES) {
    d->default_base = default_base;
    *start = 0;
    return DXEMEM_OUT_OF_RESOURCES;
  }
  return DXEMEM_SUCCESS;
}
