/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * dxemem_check: the invariants the allocator keeps between calls, checked
 * one by one, reporting the first one broken. edk2's own
 * CoreMemoryMapSanityCheck checks a few of these; the rest follow from how
 * Page.c changes the map.
 *
 * Two of edk2's quirks shape what can be checked:
 *  - CoreAddMemoryDescriptor accepts overlapping ranges; after one, the
 *    order rules (sorted, disjoint, merged) no longer hold, so they are only
 *    checked while no add has overlapped. An empty add at address 0 is the
 *    extreme case: its end wraps to 2^64 - 1, so edk2's search finds it for
 *    every address and may carve entries beyond the region out of it.
 *  - CurrentNumberOfPages counts whole requests per piece and saturates, so
 *    it is not a page count of the map; what holds is that the high-water
 *    slot it writes is at least the counter of every type sharing that
 *    slot, until a counter above 4G pages is cut to 32 bits in the slot.
 */
#include "internal.h"

static void format_hex(char *out, uint64_t v) {
  static const char digits[] = "0123456789abcdef";
  out[0] = '0';
  out[1] = 'x';
  for (int i = 0; i < 16; i++) {
    out[2 + i] = digits[(v >> (60 - 4 * i)) & 0xf];
  }
  out[18] = '\0';
}

/* Fills *out with "WHAT at 0x..." without any libc formatting. */
dxemem_status dx_violation(dxemem_violation *out,
                               dxemem_violation_kind kind, uint64_t address,
                               const char *what) {
  if (out != NULL) {
    out->kind = kind;
    out->address = address;
    size_t n = 0;
    while (what[n] != '\0' && n < sizeof out->message - 24) {
      out->message[n] = what[n];
      n++;
    }
    const char at[] = " at ";
    for (size_t i = 0; at[i] != '\0'; i++) {
      out->message[n++] = at[i];
    }
    format_hex(&out->message[n], address);
  }
  return DXEMEM_VOLUME_CORRUPTED;
}

static bool entry_is_empty(const map_entry *e) {
  return e->end + 1 == e->start;
}

static dxemem_status check_entries(dxemem *d, dxemem_violation *out) {
  const map_entry *last = NULL;
  for (entry_ref r = dx_list_first(d, REF_MAP_HEAD); r != REF_MAP_HEAD;
       r = dx_list_next(d, r)) {
    const map_entry *e = dx_node(d, r);
    if (entry_is_empty(e)) {
      if (!d->wrap_added && !dx_region_contains(d, e->start, 0)) {
        return dx_violation(out, DXEMEM_VIOLATION_OUTSIDE_REGION, e->start,
                         "empty entry outside the region");
      }
      continue;
    }
    if (!d->wrap_added &&
        (e->end < e->start ||
         !dx_region_contains(d, e->start, e->end - e->start + 1))) {
      return dx_violation(out, DXEMEM_VIOLATION_OUTSIDE_REGION, e->start,
                       "entry outside the region");
    }
    /* A range the freed-memory guard promoted waits on the map stack, at
     * the tail of the list, for the next CoreFreeMemoryMapStack. */
    if (REF_IS_HOST(r)) {
      continue;
    }
    if (!d->overlap_added && last != NULL) {
      if (e->start < last->start) {
        return dx_violation(out, DXEMEM_VIOLATION_UNSORTED, e->start,
                         "entry list not sorted by start");
      }
      if (e->start <= last->end) {
        return dx_violation(out, DXEMEM_VIOLATION_OVERLAP, e->start,
                         "entries overlap");
      }
      if (last->end + 1 == e->start && last->type == e->type &&
          last->attribute == e->attribute) {
        return dx_violation(out, DXEMEM_VIOLATION_UNMERGED, e->start,
                         "touching entries of the same type and attribute");
      }
    }
    last = e;
  }
  return DXEMEM_SUCCESS;
}

/* True when a non-empty EfiBootServicesData entry covers the page (the
 * edk2 search would also match an empty entry at 0, whose end wraps). */
static bool page_held_as_boot_services_data(dxemem *d, uint64_t page) {
  for (entry_ref r = dx_list_first(d, REF_MAP_HEAD); r != REF_MAP_HEAD;
       r = dx_list_next(d, r)) {
    const map_entry *e = dx_node(d, r);
    if (!entry_is_empty(e) && e->start <= page && page <= e->end &&
        e->type == DXEMEM_BOOT_SERVICES_DATA) {
      return true;
    }
  }
  return false;
}

/* With the index (sorted, disjoint entries), the pool entry at or below
 * the page is the only one that can hold it: one descent instead of a walk
 * per page (a map of 1M entries has 15,000 refuel pages). A miss is
 * confirmed by the walk, which also sees the map stack. */
static bool page_held_by_floor(dxemem *d, uint64_t page) {
  if (!d->indexed || d->index_stale || d->overlap_added) {
    return false;
  }
  entry_ref r = dx_index_floor(d, page);
  if (r == REF_NULL || !dx_ref_is_valid_entry(d, r)) {
    return false;
  }
  const map_entry *e = dx_node(d, r);
  return !entry_is_empty(e) && e->start <= page && page <= e->end &&
         e->type == DXEMEM_BOOT_SERVICES_DATA;
}

/* Every refuel page is still allocated as EfiBootServicesData. */
static dxemem_status check_refuel_pages(dxemem *d, dxemem_violation *out) {
  uint64_t page = d->last_refuel_page;
  for (uint64_t i = 0; i < d->refuel_pages; i++) {
    if (page == 0 || !dx_ref_is_valid_entry(d, page) ||
        !dx_entry_seal_ok(d, page, dx_node(d, page))) {
      return dx_violation(out, DXEMEM_VIOLATION_CORRUPT_ENTRY, page,
                       "refuel page chain broken");
    }
    /* After overlapping adds a refuel may convert nothing (the search and
     * the conversion find different entries) and carve the page anyway,
     * as edk2 does; then no entry need hold it. */
    if (!d->overlap_added && !page_held_by_floor(d, page) &&
        !page_held_as_boot_services_data(d, page)) {
      return dx_violation(out, DXEMEM_VIOLATION_REFUEL_PAGE, page,
                       "entry page not held as EfiBootServicesData");
    }
    page = dx_node(d, page)->page_link;
  }
  return DXEMEM_SUCCESS;
}

static dxemem_status check_statistics(dxemem *d, dxemem_violation *out) {
  for (uint32_t t = 0; t < DXEMEM_MAX_MEMORY_TYPE; t++) {
    const type_statistics *s = &d->stats[t];
    if (s->information_index >= MEMORY_TYPE_SLOTS) {
      return dx_violation(out, DXEMEM_VIOLATION_STATISTICS, t,
                       "InformationIndex out of range for type");
    }
    /* A reference may leave a type without a high-water slot. */
    bool has_slot = s->information_index < DXEMEM_MAX_MEMORY_TYPE ||
                    d->reference->terminator_records_high_water;
    if (has_slot && !d->counter_truncated &&
        s->current_number_of_pages >
            d->info[s->information_index].number_of_pages) {
      return dx_violation(out, DXEMEM_VIOLATION_STATISTICS, t,
                       "CurrentNumberOfPages above its high-water slot, type");
    }
  }
  return DXEMEM_SUCCESS;
}

dxemem_status dx_check_locked(dxemem *d, dxemem_violation *out) {
  if (out != NULL) {
    out->kind = DXEMEM_VIOLATION_NONE;
    out->address = 0;
    out->message[0] = '\0';
  }
  uint64_t bad = 0;
  if (dx_validate_map_list(d, &bad) != DXEMEM_SUCCESS) {
    return dx_violation(out, DXEMEM_VIOLATION_CORRUPT_ENTRY, bad,
                     "corrupted map entry");
  }
  /* A promotion by the freed-memory guard leaves its range on the stack
   * until the next CoreFreeMemoryMapStack, as in edk2. */
  if (d->map_depth != 0 &&
      !dx_is_heap_guard_enabled(d, GUARD_HEAP_TYPE_FREED)) {
    return dx_violation(out, DXEMEM_VIOLATION_STACK_NOT_EMPTY, d->map_depth,
                     "map stack not empty between calls, depth");
  }
  if (d->map_entries + d->free_entries != d->refuel_pages * ENTRIES_PER_PAGE) {
    return dx_violation(out, DXEMEM_VIOLATION_ENTRY_ACCOUNTING, d->refuel_pages,
                     "live + free entries differ from 64 x refuel pages");
  }
  dxemem_status status = check_entries(d, out);
  if (status == DXEMEM_SUCCESS) {
    status = check_refuel_pages(d, out);
  }
  if (status == DXEMEM_SUCCESS) {
    status = check_statistics(d, out);
  }
  if (status == DXEMEM_SUCCESS) {
    status = dx_check_pool(d, out);
  }
  if (status == DXEMEM_SUCCESS && d->indexed && !d->index_stale &&
      !dx_index_matches_list(d, &bad)) {
    status = dx_violation(out, DXEMEM_VIOLATION_CORRUPT_ENTRY, bad,
                       "index differs from the entry list");
  }
  if (status == DXEMEM_SUCCESS && d->map_key < d->last_checked_key) {
    status = dx_violation(out, DXEMEM_VIOLATION_KEY_DECREASED, d->map_key,
                       "map key went down to");
  }
  if (status == DXEMEM_SUCCESS) {
    d->last_checked_key = d->map_key;
  }
  return status;
}

dxemem_status dxemem_check(dxemem *d, dxemem_violation *out) {
  if (d == NULL || d->magic != DXEMEM_INSTANCE_MAGIC) {
    return DXEMEM_INVALID_PARAMETER;
  }
  if (!dx_claim(d)) {
    return DXEMEM_ACCESS_DENIED;
  }
  dxemem_status status = dx_check_locked(d, out);
  dx_release(d);
  return status;
}
