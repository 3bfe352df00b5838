/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * CoreAddRange, RemoveMemoryMapEntry, AllocateMemoryMapEntry and
 * CoreFreeMemoryMapStack: how gMemoryMap gets its entries.
 *
 * A new range first goes onto the small map stack (mMapStack, in the
 * instance) and the tail of the list, because taking a pool entry may itself
 * need a refuel page, which changes the map again. CoreFreeMemoryMapStack
 * then moves stack entries into pool entries, sorted in among the other
 * pool entries. Refuel pages are carved into 64 entries each and never given
 * back, as in edk2.
 */
#include "internal.h"

/* Page 0 is zeroed when conventional memory that covers it is added (edk2
 * does so unless PcdNullPointerDetectionPropertyMask bit 0 is set). */
static void zero_page_zero(dxemem *d) {
  void *page = dx_region_host_of(d, 0, DXEMEM_PAGE_SIZE);
  if (page != NULL) {
    memset(page, 0, DXEMEM_PAGE_SIZE);
  }
}

/* Models CoreAddRange: bumps the key, merges every touching entry of the
 * same type and attribute into the new range, and pushes the result onto
 * the map stack. dxemem refuses (before any change) when the stack is full;
 * edk2 would overrun it. */
dxemem_status dx_core_add_range(dxemem *d, uint32_t type, uint64_t start,
                                uint64_t end, uint64_t attribute) {
  if (d->map_depth >= MAX_MAP_DEPTH) {
    return DXEMEM_OUT_OF_RESOURCES;
  }
  dx_emit_event(d, DXEMEM_EVENT_ADD_RANGE, type, start, end, attribute);

  if (type == DXEMEM_CONVENTIONAL_MEMORY && start == 0 &&
      end >= DXEMEM_PAGE_SIZE - 1) {
    zero_page_zero(d);
  }

  d->map_key += 1;

  entry_ref r = dx_list_first(d, REF_MAP_HEAD);
  while (r != REF_MAP_HEAD) {
    const map_entry *e = dx_node(d, r);
    entry_ref next = e->next;
    if (e->type == type && e->attribute == attribute) {
      if (e->end + 1 == start) {
        start = e->start;
        dx_remove_memory_map_entry(d, r);
      } else if (e->start == end + 1) {
        end = e->end;
        dx_remove_memory_map_entry(d, r);
      }
    }
    r = next;
  }

  entry_ref slot = REF_STACK(d->map_depth);
  dx_journal_touch(d, slot);
  map_entry *s = dx_node(d, slot);
  s->signature = DXEMEM_ENTRY_SIGNATURE;
  s->from_pages = 0;
  s->type = type;
  s->start = start;
  s->end = end;
  s->attribute = attribute;
  s->page_link = 0;
  dx_entry_seal(d, slot);
  dx_list_insert_tail(d, REF_MAP_HEAD, slot);
  d->map_depth += 1;
  dx_emit_stack_event(d, DXEMEM_EVENT_STACK_PUSH, s, "CoreAddRange", REF_NULL);
  return DXEMEM_SUCCESS;
}

/* Models RemoveMemoryMapEntry: a pool entry goes to the tail of the free
 * list; a stack entry is only unlinked (its NULL link tells
 * CoreFreeMemoryMapStack that it was merged away). */
void dx_remove_memory_map_entry(dxemem *d, entry_ref ref) {
  dx_list_unlink(d, ref);
  map_entry *e = dx_node(d, ref);
  e->next = REF_NULL;
  if (e->from_pages) {
    dx_list_insert_tail(d, REF_FREE_HEAD, ref);
    d->map_entries -= 1;
    d->free_entries += 1;
  }
}

/* Carves a fresh refuel page into free entries, slot 0 chaining the pages. */
static void carve_refuel_page(dxemem *d, uint64_t page) {
  for (uint64_t i = 0; i < ENTRIES_PER_PAGE; i++) {
    entry_ref ref = page + i * MAP_ENTRY_SIZE;
    map_entry *e = dx_node(d, ref);
    memset(e, 0, sizeof *e);
    e->signature = DXEMEM_ENTRY_SIGNATURE;
    e->from_pages = 1;
    e->page_link = (i == 0) ? d->last_refuel_page : 0;
    dx_entry_seal(d, ref);
    dx_list_insert_tail(d, REF_FREE_HEAD, ref);
  }
  d->free_entries += ENTRIES_PER_PAGE;
  d->refuel_pages += 1;
  d->last_refuel_page = page;
}

/* Models AllocateMemoryMapEntry: takes the head of the free list, refuelling
 * it with one EfiBootServicesData page when it is empty. Returns REF_NULL
 * when no page is left (edk2 RELEASE then loops forever). */
entry_ref dx_allocate_memory_map_entry(dxemem *d) {
  if (dx_list_is_empty(d, REF_FREE_HEAD)) {
    uint64_t page = 0;
    /* Events of the nested allocation are one recursion level deeper. */
    d->refuel_nesting += 1;
    dxemem_status status = dx_core_allocate_pool_pages(
        d, DXEMEM_BOOT_SERVICES_DATA, 1, DEFAULT_GRANULARITY, false, &page);
    d->refuel_nesting -= 1;
    if (status != DXEMEM_SUCCESS) {
      return REF_NULL;
    }
    dx_emit_event(d, DXEMEM_EVENT_REFUEL, DXEMEM_BOOT_SERVICES_DATA, page,
                  page + DXEMEM_PAGE_MASK, 0);
    carve_refuel_page(d, page);
  }
  entry_ref ref = dx_list_first(d, REF_FREE_HEAD);
  dx_list_unlink(d, ref);
  d->free_entries -= 1;
  return ref;
}

/* Inserts a pool entry before the first pool entry that starts above it,
 * which keeps the pool entries sorted by start. */
static void insert_sorted(dxemem *d, entry_ref ref) {
  uint64_t start = dx_node(d, ref)->start;
  entry_ref at = dx_list_first(d, REF_MAP_HEAD);
  for (; at != REF_MAP_HEAD; at = dx_list_next(d, at)) {
    const map_entry *e = dx_node(d, at);
    if (e->from_pages && e->start > start) {
      break;
    }
  }
  dx_list_insert_before(d, at, ref);
}

/* Models CoreFreeMemoryMapStack: moves the stack entries into pool entries,
 * top of the stack first. Re-entry (from a refuel) returns at once. */
dxemem_status dx_core_free_memory_map_stack(dxemem *d) {
  if (d->freeing_stack != 0) {
    return DXEMEM_SUCCESS;
  }
  d->freeing_stack += 1;
  while (d->map_depth != 0) {
    entry_ref ref = dx_allocate_memory_map_entry(d);
    if (ref == REF_NULL) {
      d->freeing_stack -= 1;
      return DXEMEM_OUT_OF_RESOURCES;
    }
    d->map_depth -= 1;
    entry_ref slot = REF_STACK(d->map_depth);
    map_entry *s = dx_node(d, slot);
    if (s->next != REF_NULL) {
      dx_list_unlink(d, slot);
      dx_journal_touch(d, slot);
      s->next = REF_NULL;
      dx_journal_touch(d, ref);
      map_entry *e = dx_node(d, ref);
      e->type = s->type;
      e->start = s->start;
      e->end = s->end;
      e->attribute = s->attribute;
      e->from_pages = 1;
      dx_entry_seal(d, ref);
      insert_sorted(d, ref);
      d->map_entries += 1;
      dx_emit_stack_event(d, DXEMEM_EVENT_STACK_POP, s, "CoreFreeMemoryMapStack",
                          ref);
    } else {
      dx_list_insert_tail(d, REF_FREE_HEAD, ref);
      d->free_entries += 1;
      dx_emit_stack_event(d, DXEMEM_EVENT_STACK_POP, s, "CoreFreeMemoryMapStack",
                          REF_NULL);
    }
  }
  d->freeing_stack -= 1;
  return DXEMEM_SUCCESS;
}

/* True when [start, end] covers a refuel page: freeing it would hand the
 * allocator's own entries out as free memory. */
bool dx_range_holds_map_entries(dxemem *d, uint64_t start, uint64_t end) {
  uint64_t page = d->last_refuel_page;
  for (uint64_t i = 0; i < d->refuel_pages && page != 0; i++) {
    if (page <= end && page + DXEMEM_PAGE_MASK >= start) {
      return true;
    }
    const map_entry *slot0 = dx_node(d, page);
    page = slot0->page_link;
  }
  return false;
}
