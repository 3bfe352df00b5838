/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * The freed-memory guard of HeapGuard.c (PcdHeapGuardPropertyMask BIT4):
 * freed pages leave the map for good (CoreConvertPagesEx does not add them
 * back), are recorded in the guard bitmap and set not present, so a use
 * after free faults. Only when a search for free pages fails are recorded
 * pages promoted back to free memory, one run of at most 64 pages at a
 * time:
 *
 *   mLastPromotedPage (4 GiB at first)
 *        |  scan down in 64-page windows; the first window holding any
 *        v  recorded page gives back its lowest run
 *   [....|....|..##|#...|....]  -> [..##] comes back as free memory
 *
 * GetMemoryMap shows a recorded hole as part of the descriptor below it
 * (MergeGuardPages), so the map still looks contiguous.
 *
 * dxemem differs where edk2 never returns: when no recorded page is left
 * (or the scan can never reach one) PromoteGuardedFreePages loops for ever,
 * and when clearing bits needs a new table that only a promotion could
 * provide it recurses for ever. dxemem computes where the scan would end,
 * returns "nothing promoted" in both cases, and raises a hazard.
 */
#include "internal.h"

void *memmove(void *dst, const void *src, size_t n);

#define BASE_1MB (UINT64_C(1) << 20)
#define WINDOW_BYTES ((uint64_t)GUARD_ENTRY_BITS << DXEMEM_PAGE_SHIFT)
#define UNIT_BYTES ((uint64_t)GUARD_UNIT_BITS << DXEMEM_PAGE_SHIFT)

#define MEMORY_PRESENT UINT64_C(0x0000100000000000)
#define MEMORY_INITIALIZED UINT64_C(0x0000200000000000)
#define MEMORY_TESTED UINT64_C(0x0000400000000000)

/* Models GuardFreedPages (MarkFreedPages plus not-present); legacy memory
 * below 1 MiB is left alone. */
static void guard_freed_pages(dxemem *d, uint64_t base, uint64_t pages) {
  if (base < BASE_1MB) {
    return;
  }
  (void)dx_set_guarded_memory_bits(d, base, pages);
  dx_emit_event(d, DXEMEM_EVENT_GUARD_FREED, 0, base,
                base + (pages << DXEMEM_PAGE_SHIFT) - 1, 0);
  if (d->config.set_memory_attributes != NULL) {
    d->config.set_memory_attributes(d->config.cpu_context, base,
                                    pages << DXEMEM_PAGE_SHIFT,
                                    DXEMEM_MEMORY_RP);
  }
}

/* Models GuardFreedPagesChecked. */
void dx_guard_freed_pages_checked(dxemem *d, uint64_t base, uint64_t pages) {
  if (dx_is_heap_guard_enabled(d, GUARD_HEAP_TYPE_FREED)) {
    guard_freed_pages(d, base, pages);
  }
}

/* Models MergeGuardPages: stretch the descriptor over recorded pages that
 * follow it, up to max_address (the next descriptor's start). */
void dx_merge_guard_pages(dxemem *d, dxemem_memory_descriptor *entry,
                          uint64_t max_address) {
  if (!dx_is_heap_guard_enabled(d, GUARD_HEAP_TYPE_FREED) ||
      entry->type >= DXEMEM_MEMORY_MAPPED_IO) {
    return;
  }
  uint64_t span = max_address - entry->physical_start;
  int64_t pages = (int64_t)((span >> DXEMEM_PAGE_SHIFT) +
                            ((span & DXEMEM_PAGE_MASK) != 0 ? 1 : 0));
  pages -= (int64_t)entry->number_of_pages;
  uint64_t bitmap = 0;
  while (pages > 0) {
    if (bitmap == 0) {
      uint64_t end = entry->physical_start +
                     (entry->number_of_pages << DXEMEM_PAGE_SHIFT);
      bitmap = dx_get_guarded_memory_bits(d, end, GUARD_ENTRY_BITS);
    }
    if ((bitmap & 1) == 0) {
      break;
    }
    pages--;
    entry->number_of_pages++;
    bitmap >>= 1;
  }
}

/* The first window, from `first` down in steps of 64 pages to the lowest
 * one that does not wrap, holding any bit. Windows under a missing table
 * (256 MiB for a leaf, more for a table above it) are skipped at once:
 * they read as zero. */
static bool scan_windows_down(dxemem *d, uint64_t first, uint64_t *hit) {
  /* Lookups drop the address bits above the tables' span, so the bits
   * repeat with that period: once a whole period was read without a hit,
   * no later window can hit (edk2 walks on to the wrap regardless). */
  uint64_t span_shift = dx_guard_span_shift(d);
  uint64_t period = span_shift < 64 ? UINT64_C(1) << span_shift : 0;
  uint64_t window = first;
  for (;;) {
    if (dx_get_guarded_memory_bits(d, window, GUARD_ENTRY_BITS) != 0) {
      *hit = window;
      return true;
    }
    uint64_t steps = 1;
    uint64_t zero_base = 0;
    uint64_t zero_last = 0;
    if (dx_guard_zero_block(d, window, &zero_base, &zero_last)) {
      steps = (window - zero_base) / WINDOW_BYTES + 1;
    }
    if (window / WINDOW_BYTES < steps) {
      return false; /* the next step wraps */
    }
    window -= steps * WINDOW_BYTES;
    if (period != 0 && first - window >= period) {
      return false; /* every window from here on repeats one already read */
    }
  }
}

/* The freed-memory guard keeps freed pages out of the map until a
 * promotion adds them back, so an add over one of them makes the map
 * describe the page twice once it is promoted: the add overlaps memory
 * edk2 still holds. The scan reads the bitmap a window of 64 pages at a
 * time and steps over missing tables whole. */
bool dx_guard_holds_freed_pages(dxemem *d, uint64_t start, uint64_t end) {
  if (end < start || d->guard.map == 0 ||
      !dx_is_heap_guard_enabled(d, GUARD_HEAP_TYPE_FREED)) {
    return false;
  }
  uint64_t window = start & ~(WINDOW_BYTES - 1);
  for (;;) {
    uint64_t zero_base = 0;
    uint64_t last = 0;
    if (!dx_guard_zero_block(d, window, &zero_base, &last)) {
      uint64_t bits = dx_get_guarded_memory_bits(d, window, GUARD_ENTRY_BITS);
      if (window < start) {
        bits &= UINT64_MAX << ((start - window) >> DXEMEM_PAGE_SHIFT);
      }
      if (end - window < WINDOW_BYTES - 1) {
        uint64_t keep = ((end - window) >> DXEMEM_PAGE_SHIFT) + 1u;
        bits &= (UINT64_C(1) << keep) - 1u;
      }
      if (bits != 0) {
        return true;
      }
      last = window + (WINDOW_BYTES - 1);
    }
    if (last >= end || last == UINT64_MAX) {
      return false;
    }
    window = last + 1;
  }
}

/* Where PromoteGuardedFreePages' window loop stops, computed instead of
 * walked one window at a time; false where edk2 loops for ever. */
static bool find_promotion_window(dxemem *d, uint64_t *window) {
  uint64_t last = d->guard.last_promoted_page;
  if (last >= WINDOW_BYTES && scan_windows_down(d, last - WINDOW_BYTES, window)) {
    return true;
  }
  /* Wrapped: restart below the top recorded page. */
  if (d->guard.map == 0) {
    return false; /* edk2 reads through a NULL table */
  }
  uint64_t restart = dx_get_last_guarded_free_page_address(d) - WINDOW_BYTES;
  if (dx_get_guarded_memory_bits(d, restart, GUARD_ENTRY_BITS) != 0) {
    *window = restart;
    return true;
  }
  /* Each later step either jumps back to restart (it lands above the last
   * promoted page) or scans down to the next wrap, which jumps back too. */
  if (restart - WINDOW_BYTES > last) {
    return false;
  }
  return scan_windows_down(d, restart - WINDOW_BYTES, window);
}

/* Models PromoteGuardedFreePages: the lowest run of recorded pages in the
 * first window that holds any comes back; its bits and RP are cleared. */
static bool promote_guarded_free_pages(dxemem *d, uint64_t *start_out,
                                       uint64_t *end_out) {
  if (!dx_is_heap_guard_enabled(d, GUARD_HEAP_TYPE_FREED)) {
    return false;
  }
  if (d->guard.promoting) {
    dx_raise_hazard(d, DXEMEM_HAZARD_GUARD_PROMOTION_REENTERED,
                    d->guard.last_promoted_page, d->guard.last_promoted_page);
    return false;
  }
  uint64_t start = 0;
  if (!find_promotion_window(d, &start)) {
    dx_raise_hazard(d, DXEMEM_HAZARD_GUARD_NOTHING_TO_PROMOTE, 0,
                    d->guard.last_promoted_page);
    return false;
  }
  uint64_t bitmap = dx_get_guarded_memory_bits(d, start, GUARD_ENTRY_BITS);
  uint64_t available = 0;
  while (bitmap > 0) {
    if ((bitmap & 1) != 0) {
      ++available;
    } else if (available == 0) {
      start += DXEMEM_PAGE_SIZE;
    } else {
      break;
    }
    bitmap >>= 1;
  }
  d->guard.promoting = true;
  bool cleared = dx_clear_guarded_memory_bits(d, start, available);
  d->guard.promoting = false;
  if (!cleared) {
    return false; /* edk2 recurses here for ever; the hazard is raised */
  }
  if (d->config.set_memory_attributes != NULL) {
    d->config.set_memory_attributes(d->config.cpu_context, start,
                                    available << DXEMEM_PAGE_SHIFT, 0);
  }
  d->guard.last_promoted_page = start;
  *start_out = start;
  *end_out = start + (available << DXEMEM_PAGE_SHIFT) - 1;
  return true;
}

/* The GCD model: the capabilities of the latest add holding address. */
static bool gcd_capabilities(const dxemem *d, uint64_t address,
                             uint64_t *capabilities) {
  for (uint32_t i = d->guard.gcd_count; i-- > 0;) {
    const gcd_record *r = &d->guard.gcd[i];
    if (r->start <= address && address <= r->end) {
      *capabilities = r->capabilities;
      return true;
    }
  }
  return false;
}

/* Models PromoteMemoryResource. dxemem has no GCD map, so no untested
 * memory is ever waiting; only the freed-memory guard can promote. The
 * promoted range goes onto the map stack like any CoreAddRange and, as in
 * edk2, stays there until the next CoreFreeMemoryMapStack. */
bool dx_promote_memory_resource(dxemem *d) {
  uint64_t start = 0;
  uint64_t end = 0;
  if (!promote_guarded_free_pages(d, &start, &end)) {
    return false;
  }
  uint64_t capabilities = 0;
  if (gcd_capabilities(d, start, &capabilities)) {
    (void)dx_core_add_range(d, DXEMEM_CONVENTIONAL_MEMORY, start, end,
                            capabilities &
                                ~(MEMORY_PRESENT | MEMORY_INITIALIZED |
                                  MEMORY_TESTED | DXEMEM_MEMORY_RUNTIME));
  }
  return true;
}

/* Remembers an add for the GCD model. Older records the new one covers
 * can never be found again and are dropped; when the table is full the
 * oldest goes. */
void dx_gcd_record_add(dxemem *d, uint64_t start, uint64_t pages,
                       uint64_t capabilities) {
  if (pages == 0) {
    return;
  }
  heap_guard *g = &d->guard;
  uint64_t end = start + (pages << DXEMEM_PAGE_SHIFT) - 1;
  uint32_t kept = 0;
  for (uint32_t i = 0; i < g->gcd_count; i++) {
    if (!(start <= g->gcd[i].start && g->gcd[i].end <= end)) {
      g->gcd[kept++] = g->gcd[i];
    }
  }
  g->gcd_count = kept;
  if (g->gcd_count == GCD_RECORDS) {
    memmove(&g->gcd[0], &g->gcd[1], sizeof g->gcd[0] * (GCD_RECORDS - 1));
    g->gcd_count -= 1;
  }
  g->gcd[g->gcd_count].start = start;
  g->gcd[g->gcd_count].end = end;
  g->gcd[g->gcd_count].capabilities = capabilities;
  g->gcd_count += 1;
}
