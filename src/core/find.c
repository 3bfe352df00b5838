/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * CoreFindFreePagesI and FindFreePages: top-down search for free pages,
 * first in the type's bin, then in the default range, then anywhere.
 */
#include "internal.h"

/* CoreFindFreePagesI's test of one free, non-special-purpose entry: the
 * aligned end it offers for the pages inside [min, max], or 0. below_min
 * says the entry ends below min_address (so do all entries before it in a
 * sorted map). This is the seam for a guard-aware rule: a guarded search
 * adjusts the range here and sets exact_walk, since its answer also
 * depends on the neighbours' guard pages. */
uint64_t dx_free_candidate(const free_query *q, uint64_t start, uint64_t end,
                           bool *below_min) {
  *below_min = false;
  if (start >= q->max_address) {
    return 0;
  }
  if (end < q->min_address) {
    *below_min = true;
    return 0;
  }
  if (end >= q->max_address) {
    end = q->max_address;
  }
  end = ((end + 1) & ~(q->alignment - 1)) - 1;
  if (end < start) {
    return 0;
  }
  if (end - start + 1 >= q->bytes && end - q->bytes + 1 >= q->min_address) {
    return end;
  }
  return 0;
}

/* The guarded search (NeedGuard): edk2's walk, where the guard rule
 * (dx_adjust_memory_s) decides per entry once its aligned end beats the
 * best so far, so the answer depends on the order of the walk and on the
 * neighbours' guards. The index cannot prune that; guarded allocations
 * take the exact walk. */
static uint64_t guarded_highest_free_end(dxemem *d, uint64_t max_address,
                                         uint64_t min_address, uint64_t pages,
                                         uint64_t alignment) {
  uint64_t bytes = pages << DXEMEM_PAGE_SHIFT;
  uint64_t target = 0;
  uint64_t limit = d->refuel_pages * ENTRIES_PER_PAGE + MAX_MAP_DEPTH + 1u;
  entry_ref next = REF_NULL;
  for (entry_ref r = dx_list_first(d, REF_MAP_HEAD);
       r != REF_MAP_HEAD && limit > 0; r = next, limit--) {
    next = dx_list_next(d, r);
    const map_entry *e = dx_node(d, r);
    if (e->type != DXEMEM_CONVENTIONAL_MEMORY ||
        (e->attribute & DXEMEM_MEMORY_SP) != 0) {
      continue;
    }
    uint64_t desc_start = e->start;
    uint64_t desc_end = e->end;
    if (desc_start >= max_address || desc_end < min_address) {
      continue;
    }
    if (desc_end >= max_address) {
      desc_end = max_address;
    }
    desc_end = ((desc_end + 1) & ~(alignment - 1)) - 1;
    if (desc_end < desc_start) {
      continue;
    }
    uint64_t desc_bytes = desc_end - desc_start + 1;
    if (desc_bytes >= bytes) {
      if (desc_end - bytes + 1 < min_address) {
        continue;
      }
      if (desc_end > target) {
        /* Heap guard: room for the guards no neighbour shares. */
        uint64_t proposed_start = desc_end + 1 - desc_bytes;
        uint64_t proposed_size = bytes;
        desc_end = dx_adjust_memory_s(d, &proposed_start, desc_bytes,
                                      &proposed_size);
        if (desc_end == 0 || proposed_start < min_address ||
            proposed_start + proposed_size - 1 > max_address) {
          continue;
        }
        target = desc_end;
      }
    }
  }

  return target;
}

/* Models CoreFindFreePagesI: the highest aligned end among the free,
 * non-special-purpose entries that can hold the pages inside [min, max].
 * Returns 0 when nothing fits (0 is never a usable result). Unguarded,
 * the map interface walks the list or asks the index; both apply
 * dx_free_candidate to the same entries' ranges. */
uint64_t dx_core_find_free_pages_i(dxemem *d, uint64_t max_address,
                                   uint64_t min_address, uint64_t pages,
                                   uint64_t alignment, bool need_guard) {
  if (max_address < DXEMEM_PAGE_MASK || pages == 0) {
    return 0;
  }
  if ((max_address & DXEMEM_PAGE_MASK) != DXEMEM_PAGE_MASK) {
    /* Not the end of a page: the end of the page before. */
    max_address -= DXEMEM_PAGE_SIZE;
    max_address &= ~DXEMEM_PAGE_MASK;
    max_address |= DXEMEM_PAGE_MASK;
  }

  uint64_t bytes = pages << DXEMEM_PAGE_SHIFT;
  uint64_t target;
  if (need_guard) {
    target = guarded_highest_free_end(d, max_address, min_address, pages,
                                      alignment);
  } else {
    free_query q = {
        .max_address = max_address,
        .min_address = min_address,
        .pages = pages,
        .bytes = bytes,
        .alignment = alignment,
        /* A byte count that wraps makes edk2's test meaningless per page. */
        .exact_walk = pages > (UINT64_MAX >> DXEMEM_PAGE_SHIFT),
    };
    target = dx_map_highest_free_end(d, &q);
  }

  /* Grow down: the base of the range that ends at target. */
  target -= bytes - 1;
  if ((target & DXEMEM_PAGE_MASK) != 0) {
    return 0;
  }
  return target;
}

/* Models FindFreePages: the type's bin, the default range, anywhere below
 * max_address; then PromoteMemoryResource and all again (edk2 recurses,
 * dxemem loops). With no GCD map only the freed-memory guard promotes. */
uint64_t dx_find_free_pages(dxemem *d, uint64_t max_address, uint64_t pages,
                            uint32_t new_type, uint64_t alignment,
                            bool need_guard) {
  for (;;) {
    uint64_t start;
    if (new_type < DXEMEM_MAX_MEMORY_TYPE &&
        max_address >= d->stats[new_type].maximum_address) {
      start = dx_core_find_free_pages_i(
          d, d->stats[new_type].maximum_address,
          d->stats[new_type].base_address, pages, alignment, need_guard);
      if (start != 0 || d->touch_failed) {
        return start;
      }
    }

    if (max_address >= d->default_max) {
      start = dx_core_find_free_pages_i(d, d->default_max, 0, pages,
                                        alignment, need_guard);
      if (d->touch_failed) {
        return 0;
      }
      if (start != 0) {
        if (start < d->default_base) {
          /* Guarded: the base is the head guard's page. */
          d->default_base = need_guard ? start - DXEMEM_PAGE_SIZE : start;
        }
        return start;
      }
    }

    start = dx_core_find_free_pages_i(d, max_address, 0, pages, alignment,
                                      need_guard);
    if (start != 0) {
      return start;
    }
    if (!dx_promote_memory_resource(d)) {
      return 0;
    }
  }
}
