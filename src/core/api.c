/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * The DXE services as public calls: argument checks, the lock and the
 * corruption check around the models in the other files.
 */
#include "internal.h"

/* The part of [start, start + pages) that entries of the map already cover
 * (its bounding range). An empty add at 0 is the extreme case: its end
 * wraps to 2^64 - 1, so it overlaps every address, and pieces of it may be
 * handed out beyond the region. */
static bool add_overlaps_map(dxemem *d, uint64_t start, uint64_t pages,
                             uint64_t *lo, uint64_t *hi) {
  if (pages == 0) {
    *lo = 0;
    *hi = UINT64_MAX;
    return start == 0;
  }
  uint64_t end = start + (pages << DXEMEM_PAGE_SHIFT) - 1;
  if (d->indexed) {
    return dx_map_overlap_bounds(d, start, end, lo, hi);
  }
  bool found = false;
  for (entry_ref r = dx_list_first(d, REF_MAP_HEAD); r != REF_MAP_HEAD;
       r = dx_list_next(d, r)) {
    const map_entry *e = dx_node(d, r);
    if (e->end >= e->start && e->start <= end && start <= e->end) {
      uint64_t a = e->start > start ? e->start : start;
      uint64_t b = e->end < end ? e->end : end;
      *lo = found && *lo < a ? *lo : a;
      *hi = found && *hi > b ? *hi : b;
      found = true;
    }
  }
  return found;
}

/* Models CoreAddMemoryDescriptor. */
dxemem_status dxemem_add_memory_descriptor(dxemem *d, uint32_t type,
                                           uint64_t start, uint64_t pages,
                                           uint64_t attribute) {
  dxemem_status status = dx_api_enter(d);
  if (status != DXEMEM_SUCCESS) {
    return status;
  }
  d->any_add = true;
  /* The heap guard's GCD model holds every add, even one Page.c ignores. */
  if (pages <= (UINT64_MAX >> DXEMEM_PAGE_SHIFT) &&
      (pages << DXEMEM_PAGE_SHIFT) - 1 <= UINT64_MAX - start) {
    dx_gcd_record_add(d, start, pages, attribute);
  }
  /* edk2 ignores these two silently; dxemem also says so. */
  if ((start & DXEMEM_PAGE_MASK) != 0 || !dx_memory_type_valid_for_add(type)) {
    return dx_api_leave(d, DXEMEM_INVALID_PARAMETER);
  }
  /* dxemem: only memory the region backs can enter the map. */
  if (pages > (UINT64_MAX >> DXEMEM_PAGE_SHIFT) ||
      !dx_region_contains(d, start, pages << DXEMEM_PAGE_SHIFT)) {
    return dx_api_leave(d, DXEMEM_INVALID_PARAMETER);
  }
  uint64_t end = start + (pages << DXEMEM_PAGE_SHIFT) - 1;

  /* edk2 accepts an add over memory it already maps (a hazard: the same
   * page may then be handed out twice); remember it, since the checker's
   * order rules no longer hold afterwards. */
  uint64_t overlap_start = 0;
  uint64_t overlap_end = 0;
  bool overlaps =
      add_overlaps_map(d, start, pages, &overlap_start, &overlap_end);
  if (d->touch_failed) {
    return dx_api_leave(d, DXEMEM_VOLUME_CORRUPTED);
  }
  /* So does an add over pages the freed-memory guard holds out of the map:
   * its next promotion adds them a second time. */
  if (!overlaps && pages > 0 && dx_guard_holds_freed_pages(d, start, end)) {
    overlaps = true;
    overlap_start = start;
    overlap_end = end;
  }
  if (overlaps) {
    d->overlap_added = true;
    d->wrap_added = d->wrap_added || pages == 0;
  }

  /* An empty entry or an overlap breaks the order the index relies on. */
  if (pages == 0 || overlaps) {
    dx_map_note_irregular(d);
  }
  dx_journal_begin(d);
  status = dx_core_add_range(d, type, start, end, attribute);
  if (status == DXEMEM_SUCCESS) {
    status = dx_core_free_memory_map_stack(d);
  }
  if (status != DXEMEM_SUCCESS) {
    dx_journal_rollback(d);
    return dx_api_leave(d, status);
  }
  dx_journal_commit(d);
  if (overlaps) {
    dx_raise_hazard(d, DXEMEM_HAZARD_OVERLAPPING_ADD, overlap_start,
                    overlap_end);
  }
  dx_allocate_memory_type_information_bins(d);
  return dx_api_leave(d, DXEMEM_SUCCESS);
}

/* Models CoreAllocatePages (no profile). */
dxemem_status dxemem_allocate_pages(dxemem *d, uint32_t allocate_type,
                                    uint32_t memory_type, uint64_t pages,
                                    uint64_t *memory) {
  dxemem_status status = dx_api_enter(d);
  if (status != DXEMEM_SUCCESS) {
    return status;
  }
  status = dx_core_allocate_pages(d, allocate_type, memory_type, pages, memory);
  return dx_api_leave(d, status);
}

/* Models CoreFreePages (no memory attribute protocol). */
dxemem_status dxemem_free_pages(dxemem *d, uint64_t memory, uint64_t pages) {
  dxemem_status status = dx_api_enter(d);
  if (status != DXEMEM_SUCCESS) {
    return status;
  }
  status = dx_core_free_pages(d, memory, pages);
  /* edk2 frees pool pages as readily as any others; the pool then links
   * blocks in free memory, which the next carve may reuse. Free blocks
   * exist only in pages the pool took. */
  if (status == DXEMEM_SUCCESS && d->pool_pages_taken && pages > 0 &&
      pages <= (UINT64_MAX >> DXEMEM_PAGE_SHIFT) &&
      memory <= UINT64_MAX - ((pages << DXEMEM_PAGE_SHIFT) - 1u) &&
      dx_pool_free_block_within(d, memory,
                                memory + (pages << DXEMEM_PAGE_SHIFT) - 1u)) {
    d->pool_pages_freed = true;
    dx_raise_hazard(d, DXEMEM_HAZARD_FREES_POOL_PAGE, memory,
                    memory + (pages << DXEMEM_PAGE_SHIFT) - 1u);
  }
  return dx_api_leave(d, status);
}

/* Models CoreUpdateMemoryAttributes. */
dxemem_status dxemem_update_memory_attributes(dxemem *d, uint64_t start,
                                              uint64_t pages,
                                              uint64_t attributes) {
  dxemem_status status = dx_api_enter(d);
  if (status != DXEMEM_SUCCESS) {
    return status;
  }
  status =
      dx_core_convert_pages_ex(d, start, pages, false, 0, true, attributes);
  return dx_api_leave(d, status);
}

static bool pool_alignment_ok(uint64_t alignment) {
  return alignment >= DEFAULT_GRANULARITY && (alignment & (alignment - 1)) == 0;
}

/* CoreAllocatePoolPages as a call: the pool type must be one a caller may
 * allocate, and the status says what edk2's NULL does not. */
dxemem_status dxemem_allocate_pool_pages(dxemem *d, uint32_t pool_type,
                                         uint64_t pages, uint64_t alignment,
                                         uint64_t *memory) {
  dxemem_status status = dx_api_enter(d);
  if (status != DXEMEM_SUCCESS) {
    return status;
  }
  if (memory == NULL || !dx_memory_type_valid_for_allocate(pool_type) ||
      !pool_alignment_ok(alignment) || pages == 0 ||
      pages > (UINT64_MAX >> DXEMEM_PAGE_SHIFT)) {
    return dx_api_leave(d, DXEMEM_INVALID_PARAMETER);
  }
  uint64_t start = 0;
  status = dx_core_allocate_pool_pages(d, pool_type, pages, alignment, false,
                                       &start);
  if (status == DXEMEM_SUCCESS) {
    *memory = start;
  }
  return dx_api_leave(d, status);
}

/* Models CoreFreePoolPages (edk2 drops the status; dxemem returns it). */
dxemem_status dxemem_free_pool_pages(dxemem *d, uint64_t memory,
                                     uint64_t pages) {
  dxemem_status status = dx_api_enter(d);
  if (status != DXEMEM_SUCCESS) {
    return status;
  }
  status = dx_core_convert_pages(d, memory, pages, DXEMEM_CONVENTIONAL_MEMORY);
  return dx_api_leave(d, status);
}
