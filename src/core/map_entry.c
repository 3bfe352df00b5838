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

/* CoreAddRange's merge loop: every entry of the same type and attribute
 * that touches the range, in list order, grows the range and leaves. */
static void merge_walk(dxemem *d, uint32_t type, uint64_t *start,
                       uint64_t *end, uint64_t attribute) {
  uint64_t limit = d->refuel_pages * ENTRIES_PER_PAGE + MAX_MAP_DEPTH + 1u;
  entry_ref r = dx_list_first(d, REF_MAP_HEAD);
  for (; r != REF_MAP_HEAD && limit > 0; limit--) {
    const map_entry *e = dx_node(d, r);
    entry_ref next = e->next;
    if (e->type == type && e->attribute == attribute) {
      if (e->end + 1 == *start) {
        *start = e->start;
        dx_remove_memory_map_entry(d, r);
      } else if (e->start == *end + 1) {
        *end = e->end;
        dx_remove_memory_map_entry(d, r);
      }
    }
    r = next;
  }
}

#define MERGE_CHAIN 16u

/* The same loop over the only entries it can take: the chains of touching
 * entries of this type and attribute on both sides of the range, visited
 * in list order with edk2's test. The range is a hole between pool
 * entries, so one descent finds the pool entry below it, and list links
 * lead on from there. Returns false to ask for the walk (a chain longer
 * than a map ever has) or, with touch_failed, when an entry failed its
 * check; nothing has changed then. */
static bool merge_indexed(dxemem *d, uint32_t type, uint64_t *start,
                          uint64_t *end, uint64_t attribute) {
  entry_ref found[2 * MERGE_CHAIN];
  entry_ref ordered[2 * MERGE_CHAIN];
  uint32_t n = 0;
  entry_ref below = REF_NULL;
  if (d->hole_below_known) {
    below = d->hole_below;
    if (below != REF_NULL && !dx_touch_ok(d, below)) {
      return false;
    }
  } else if (*start != 0) {
    below = dx_map_pool_floor(d, *start - 1);
  }
  entry_ref r = REF_NULL;
  if (*start != 0 && !d->touch_failed) {
    const map_entry *b = below != REF_NULL ? dx_node(d, below) : NULL;
    if (b != NULL && b->end == *start - 1 && b->type == type &&
        b->attribute == attribute) {
      r = below;
    } else {
      r = dx_map_stack_entry_where(d, true, *start - 1, type, attribute);
    }
  }
  while (r != REF_NULL && n < MERGE_CHAIN) {
    found[n++] = r;
    uint64_t s = dx_node(d, r)->start;
    r = s == 0 ? REF_NULL
               : dx_map_entry_ending_at(d, s - 1, type, attribute,
                                        REF_IS_HOST(r) ? REF_NULL : r);
  }
  uint32_t left = n;
  r = *end != UINT64_MAX && !d->touch_failed
          ? dx_map_entry_starting_at(d, *end + 1, type, attribute, below)
          : REF_NULL;
  while (r != REF_NULL && n - left < MERGE_CHAIN) {
    found[n++] = r;
    uint64_t e = dx_node(d, r)->end;
    r = e == UINT64_MAX
            ? REF_NULL
            : dx_map_entry_starting_at(d, e + 1, type, attribute,
                                       REF_IS_HOST(r) ? REF_NULL : r);
  }
  if (d->touch_failed || left == MERGE_CHAIN || n - left == MERGE_CHAIN) {
    return false;
  }
  uint32_t count = dx_map_list_order(d, found, n, ordered);
  if (count == UINT32_MAX) {
    return false;
  }
  for (uint32_t i = 0; i < count; i++) {
    if (!dx_touch_links_ok(d, ordered[i])) {
      return false; /* before the first change */
    }
  }
  for (uint32_t i = 0; i < count; i++) {
    const map_entry *e = dx_node(d, ordered[i]);
    if (e->end + 1 == *start) {
      *start = e->start;
      dx_remove_memory_map_entry(d, ordered[i]);
    } else if (e->start == *end + 1) {
      *end = e->end;
      dx_remove_memory_map_entry(d, ordered[i]);
    }
  }
  return true;
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

  bool indexed_merge = d->indexed && merge_indexed(d, type, &start, &end,
                                                  attribute);
  d->hole_below_known = false; /* a hint for this add only */
  if (!indexed_merge) {
    if (d->touch_failed) {
      return DXEMEM_VOLUME_CORRUPTED;
    }
    merge_walk(d, type, &start, &end, attribute);
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
  dx_map_unlink(d, ref);
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
  if (d->indexed) {
    dx_index_add_page(d, page);
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
  if (d->indexed && !dx_touch_links_ok(d, ref)) {
    return REF_NULL;
  }
  dx_list_unlink(d, ref);
  d->free_entries -= 1;
  return ref;
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
      return d->touch_failed ? DXEMEM_VOLUME_CORRUPTED
                             : DXEMEM_OUT_OF_RESOURCES;
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
      if (!dx_map_insert_sorted(d, ref)) {
        d->freeing_stack -= 1;
        return DXEMEM_VOLUME_CORRUPTED;
      }
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
  return dx_map_holds_refuel_page(d, start, end);
}
