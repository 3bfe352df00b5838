/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * Hazards: the places where the reference itself does something no caller
 * can want (frees pages it never allocated, leaks a bin, accepts an add over
 * memory it already maps, ...). dxemem keeps edk2's result, since being
 * faithful is the point, and reports the hazard instead of hiding it:
 * a count per kind, the last one, and a DXEMEM_EVENT_HAZARD event.
 *
 * The detection sits next to the code that has the hazard (api.c, the
 * pool); this file records and names them, and holds the watch the
 * stable202605 bin set-up (bins_stable.c) keeps over its own frees.
 */
#include "internal.h"

void dx_raise_hazard(dxemem *d, dxemem_hazard_kind kind, uint64_t start,
                     uint64_t end) {
  if ((unsigned)kind == 0 || (unsigned)kind >= DXEMEM_HAZARD_KIND_LIMIT) {
    return;
  }
  d->hazard_counts[kind] += 1;
  d->last_hazard = kind;
  d->last_hazard_start = start;
  d->last_hazard_end = end;
  if (!dx_event_wanted(d, DXEMEM_EVENT_HAZARD)) {
    return;
  }
  dxemem_event ev;
  memset(&ev, 0, sizeof ev);
  ev.kind = DXEMEM_EVENT_HAZARD;
  ev.hazard = kind;
  ev.start = start;
  ev.end = end;
  ev.function = kind == DXEMEM_HAZARD_POOL_OVERLAP        ? "CoreAllocatePool"
                : kind == DXEMEM_HAZARD_POOL_DOUBLE_FREE ||
                        kind == DXEMEM_HAZARD_POOL_STALE_FREE
                    ? "CoreFreePool"
                : kind == DXEMEM_HAZARD_GUARD_NOTHING_TO_PROMOTE ||
                        kind == DXEMEM_HAZARD_GUARD_PROMOTION_REENTERED
                    ? "PromoteGuardedFreePages"
                : kind == DXEMEM_HAZARD_GUARD_TABLE_ALLOCATION
                    ? "FindGuardedMemoryMap"
                : kind == DXEMEM_HAZARD_GUARD_ALIASED_BIT ||
                        kind == DXEMEM_HAZARD_FREES_POOL_PAGE
                    ? "CoreInternalFreePages"
                    : "CoreAddMemoryDescriptor";
  dx_emit_raw_event(d, &ev);
}

uint64_t dxemem_get_hazard_count(const dxemem *d, dxemem_hazard_kind kind) {
  if (d == NULL || d->magic != DXEMEM_INSTANCE_MAGIC ||
      (unsigned)kind >= DXEMEM_HAZARD_KIND_LIMIT) {
    return 0;
  }
  if (kind != DXEMEM_HAZARD_ANY) {
    return d->hazard_counts[kind];
  }
  uint64_t total = 0;
  for (unsigned k = 1; k < DXEMEM_HAZARD_KIND_LIMIT; k++) {
    total += d->hazard_counts[k];
  }
  return total;
}

bool dxemem_last_hazard(const dxemem *d, dxemem_hazard_kind *kind,
                        uint64_t *start, uint64_t *end) {
  if (d == NULL || d->magic != DXEMEM_INSTANCE_MAGIC ||
      d->last_hazard == DXEMEM_HAZARD_ANY) {
    return false;
  }
  if (kind != NULL) {
    *kind = d->last_hazard;
  }
  if (start != NULL) {
    *start = d->last_hazard_start;
  }
  if (end != NULL) {
    *end = d->last_hazard_end;
  }
  return true;
}

const char *dxemem_hazard_name(dxemem_hazard_kind kind) {
  static const char *const names[DXEMEM_HAZARD_KIND_LIMIT] = {
      [DXEMEM_HAZARD_FREES_UNOWNED] =
          "memory type bin set-up freed pages it did not allocate",
      [DXEMEM_HAZARD_BIN_LEAKED] =
          "memory type bin set-up left a bin allocated",
      [DXEMEM_HAZARD_OVERLAPPING_ADD] =
          "add overlaps memory already in the map",
      [DXEMEM_HAZARD_POOL_OVERLAP] =
          "pool size wraps, edk2 would hand back a buffer over live memory "
          "(refused)",
      [DXEMEM_HAZARD_POOL_DOUBLE_FREE] =
          "pool buffer in freed pages freed again, edk2 reports success "
          "(refused)",
      [DXEMEM_HAZARD_GUARD_NOTHING_TO_PROMOTE] =
          "heap guard: no freed page the promotion can reach (edk2 loops "
          "for ever)",
      [DXEMEM_HAZARD_GUARD_PROMOTION_REENTERED] =
          "heap guard: promotion needs a bitmap table only a promotion could "
          "give (edk2 recurses for ever)",
      [DXEMEM_HAZARD_GUARD_TABLE_ALLOCATION] =
          "heap guard: no page for a bitmap table (edk2 writes it at 0)",
      [DXEMEM_HAZARD_GUARD_ALIASED_BIT] =
          "heap guard: a free judged guarded by an aliased bitmap bit",
      [DXEMEM_HAZARD_FREES_POOL_PAGE] =
          "free of pages that hold free pool blocks (the pool lists now "
          "point into free memory)",
      [DXEMEM_HAZARD_POOL_STALE_FREE] =
          "pool buffer freed again after its pages went to another owner "
          "(edk2 frees them)",
  };
  if ((unsigned)kind >= DXEMEM_HAZARD_KIND_LIMIT) {
    return NULL;
  }
  return names[kind];
}

/* ---- the bin set-up watch -----------------------------------------------
 * stable202605 frees each bin by the base its type has now. With a type
 * listed twice the second allocation overwrites the first base, so it frees
 * the second bin twice (once with the first slot's size) and never the
 * first; after a failed try it has reset the base to 0 and frees pages at
 * address 0 with the next slot of that type. While the set-up frees, the
 * watch sees every piece really converted to free memory (convert.c calls
 * dx_note_converted_piece) and reports what lies outside the bins this try
 * allocated (DXEMEM_HAZARD_FREES_UNOWNED); at the end, each bin the frees
 * did not free completely (DXEMEM_HAZARD_BIN_LEAKED). */

/* The lowest (from_top false) or highest address of [lo, hi] that none of
 * the n ranges covers; false when they cover all of it. Each step moves
 * past one more range, so n + 1 steps always suffice. */
static bool uncovered_edge(const uint64_t *starts, const uint64_t *ends,
                           size_t n, uint64_t lo, uint64_t hi, bool from_top,
                           uint64_t *out) {
  uint64_t cursor = from_top ? hi : lo;
  for (size_t step = 0; step <= n; step++) {
    size_t i = 0;
    while (i < n && !(starts[i] <= cursor && cursor <= ends[i])) {
      i++;
    }
    if (i == n) {
      *out = cursor;
      return true;
    }
    if (from_top ? starts[i] <= lo : ends[i] >= hi) {
      break;
    }
    cursor = from_top ? starts[i] - 1 : ends[i] + 1;
  }
  return false;
}

void dx_note_converted_piece(dxemem *d, uint64_t start, uint64_t end,
                             uint32_t new_type) {
  struct bin_watch *w = d->bin_watch;
  if (w == NULL || new_type != DXEMEM_CONVENTIONAL_MEMORY) {
    return;
  }
  if (w->pieces < BIN_WATCH_PIECES) {
    w->piece_start[w->pieces] = start;
    w->piece_end[w->pieces] = end;
    w->pieces++;
  } else {
    w->pieces_lost = true;
  }
  uint64_t lo, hi;
  if (uncovered_edge(w->bin_start, w->bin_end, w->bins, start, end, false,
                     &lo) &&
      uncovered_edge(w->bin_start, w->bin_end, w->bins, start, end, true,
                     &hi)) {
    dx_raise_hazard(d, DXEMEM_HAZARD_FREES_UNOWNED, lo, hi);
  }
}

void dx_report_leaked_bins(dxemem *d, const struct bin_watch *w) {
  for (size_t i = 0; i < w->bins; i++) {
    uint64_t lo = w->bin_start[i];
    uint64_t hi = w->bin_end[i];
    if (w->pieces_lost ||
        (uncovered_edge(w->piece_start, w->piece_end, w->pieces, lo, hi,
                        false, &lo) &&
         uncovered_edge(w->piece_start, w->piece_end, w->pieces, lo, hi, true,
                        &hi))) {
      dx_raise_hazard(d, DXEMEM_HAZARD_BIN_LEAKED, lo, hi);
    }
  }
}
