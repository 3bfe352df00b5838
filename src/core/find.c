/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * CoreFindFreePagesI and FindFreePages: top-down search for free pages,
 * first in the type's bin, then in the default range, then anywhere.
 */
#include "internal.h"

/* Models CoreFindFreePagesI: the highest aligned end among the free,
 * non-special-purpose entries that can hold the pages inside [min, max].
 * Returns 0 when nothing fits (0 is never a usable result). */
uint64_t dx_core_find_free_pages_i(dxemem *d, uint64_t max_address,
                                   uint64_t min_address, uint64_t pages,
                                   uint64_t alignment) {
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
  uint64_t target = 0;
  for (entry_ref r = dx_list_first(d, REF_MAP_HEAD); r != REF_MAP_HEAD;
       r = dx_list_next(d, r)) {
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
        target = desc_end;
      }
    }
  }

  /* Grow down: the base of the range that ends at target. */
  target -= bytes - 1;
  if ((target & DXEMEM_PAGE_MASK) != 0) {
    return 0;
  }
  return target;
}

/* Models FindFreePages. With no GCD map, PromoteMemoryResource finds
 * nothing, so the last resort is the plain search below max_address. */
uint64_t dx_find_free_pages(dxemem *d, uint64_t max_address, uint64_t pages,
                            uint32_t new_type, uint64_t alignment) {
  uint64_t start;
  if (new_type < DXEMEM_MAX_MEMORY_TYPE &&
      max_address >= d->stats[new_type].maximum_address) {
    start = dx_core_find_free_pages_i(d, d->stats[new_type].maximum_address,
                                      d->stats[new_type].base_address, pages,
                                      alignment);
    if (start != 0) {
      return start;
    }
  }

  if (max_address >= d->default_max) {
    start = dx_core_find_free_pages_i(d, d->default_max, 0, pages, alignment);
    if (start != 0) {
      if (start < d->default_base) {
        d->default_base = start;
      }
      return start;
    }
  }

  return dx_core_find_free_pages_i(d, max_address, 0, pages, alignment);
}
