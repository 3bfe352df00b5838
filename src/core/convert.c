/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * CoreConvertPagesEx: change the type or the attributes of a range, one map
 * entry ("piece") at a time, in three named steps per piece:
 *   isolate  - clip the start, clip the end, or split the entry in the
 *              centre (the upper part becomes a new stack entry);
 *   change   - the statistics follow the type change;
 *   merge    - CoreAddRange re-adds the piece with its new type/attributes,
 *              merging it with touching neighbours, and
 *              CoreFreeMemoryMapStack settles the new entries.
 * Each piece is one transaction: if it cannot finish (no page left for a
 * map entry), it is rolled back and the pieces before it stay converted,
 * just as edk2 keeps earlier pieces when a later one fails.
 */
#include "internal.h"

/* Isolates [start, range_end] out of entry ref. Returns the entry that now
 * carries what is left of the original range next to the piece (the
 * original, or the stack entry made by a centre split). */
static entry_ref isolate_piece(dxemem *d, entry_ref ref, uint64_t start,
                               uint64_t range_end) {
  const map_entry *e = dx_node(d, ref);
  if (e->start == start) {
    dx_entry_set_range(d, ref, range_end + 1, e->end);
    return ref;
  }
  if (e->end == range_end) {
    dx_entry_set_range(d, ref, e->start, start - 1);
    return ref;
  }
  /* Centre: the part above the piece becomes a new entry on the stack, with
   * the same type and attribute. */
  entry_ref slot = REF_STACK(d->map_depth);
  dx_journal_touch(d, slot);
  map_entry *s = dx_node(d, slot);
  s->signature = DXEMEM_ENTRY_SIGNATURE;
  s->from_pages = 0;
  s->type = e->type;
  s->start = range_end + 1;
  s->end = e->end;
  s->attribute = e->attribute;
  s->page_link = 0;
  dx_entry_seal(d, slot);
  dx_entry_set_range(d, ref, e->start, start - 1);
  dx_list_insert_tail(d, REF_MAP_HEAD, slot);
  d->map_depth += 1;
  dx_emit_stack_event(d, DXEMEM_EVENT_STACK_PUSH, s, "CoreConvertPagesEx",
                      REF_NULL);
  return slot;
}

/* One piece of CoreConvertPagesEx; *range_end receives the piece's end. */
static dxemem_status convert_piece(dxemem *d, uint64_t start, uint64_t end,
                                   uint64_t pages, bool changing_type,
                                   uint32_t new_type, uint64_t new_attributes,
                                   uint64_t *range_end_out) {
  entry_ref ref = dx_map_find_containing(d, start);
  if (ref == REF_NULL) {
    return DXEMEM_NOT_FOUND;
  }
  const map_entry *e = dx_node(d, ref);

  /* An allocation must fit in one entry. */
  if (changing_type && new_type != DXEMEM_CONVENTIONAL_MEMORY && e->end < end) {
    return DXEMEM_NOT_FOUND;
  }
  uint64_t range_end = e->end < end ? e->end : end;
  *range_end_out = range_end;

  if (changing_type) {
    dx_emit_event(d, DXEMEM_EVENT_CONVERT_TYPE, new_type, start, range_end,
                  e->attribute);
    /* Allocate only free memory, free only allocated memory. */
    bool to_free = new_type == DXEMEM_CONVENTIONAL_MEMORY;
    bool is_free = e->type == DXEMEM_CONVENTIONAL_MEMORY;
    if (to_free == is_free) {
      return DXEMEM_NOT_FOUND;
    }
    /* dxemem: edk2 would free the page and later corrupt its list. */
    if (to_free && dx_range_holds_map_entries(d, start, range_end)) {
      return DXEMEM_ACCESS_DENIED;
    }
  } else {
    dx_emit_event(d, DXEMEM_EVENT_CONVERT_ATTRIBUTE, e->type, start, range_end,
                  new_attributes);
  }
  /* The piece pushes one stack entry for a centre split and one for its
   * add range (none when the freed-memory guard keeps freed pages out of
   * the map). edk2 overruns its stack only on a push past the last slot,
   * so exactly that is refused. */
  bool to_freed_guard = changing_type &&
                        new_type == DXEMEM_CONVENTIONAL_MEMORY &&
                        dx_is_heap_guard_enabled(d, GUARD_HEAP_TYPE_FREED);
  uint64_t pushes = (e->start != start && e->end != range_end ? 1u : 0u) +
                    (to_freed_guard ? 0u : 1u);
  if (d->map_depth + pushes > MAX_MAP_DEPTH) {
    return DXEMEM_OUT_OF_RESOURCES;
  }

  /* A piece that is the whole entry unlinks it: its links are checked
   * first (with the index; the list path checked everything). */
  if (e->start == start && e->end == range_end && d->indexed &&
      !dx_touch_links_ok(d, ref)) {
    return DXEMEM_VOLUME_CORRUPTED;
  }

  dx_journal_begin_piece(d);
  if (changing_type) {
    dx_update_memory_statistics(d, e->type, new_type, start, pages);
  }

  /* The pool entry just below the piece once it is cut out: the entry
   * itself, or (the piece at its start) the one before it in the list.
   * CoreAddRange's merge with the index starts there. */
  entry_ref below = e->start == start ? e->prev : ref;
  bool below_known = d->indexed && !REF_IS_HOST(ref) &&
                     (below == REF_MAP_HEAD || !REF_IS_HOST(below));
  entry_ref rest = isolate_piece(d, ref, start, range_end);
  const map_entry *r = dx_node(d, rest);
  uint64_t attribute = changing_type ? r->attribute : new_attributes;
  uint32_t type = changing_type ? new_type : r->type;
  if (r->start == r->end + 1) {
    dx_remove_memory_map_entry(d, rest);
  }

  /* The freed-memory guard keeps freed pages out of the map. */
  dxemem_status status = DXEMEM_SUCCESS;
  if (!to_freed_guard) {
    d->hole_below_known = below_known;
    d->hole_below = below == REF_MAP_HEAD ? REF_NULL : below;
    status = dx_core_add_range(d, type, start, range_end, attribute);
    d->hole_below_known = false;
  }
  if (status == DXEMEM_SUCCESS) {
    status = dx_core_free_memory_map_stack(d);
  }
  if (status != DXEMEM_SUCCESS) {
    dx_journal_rollback(d);
    return status;
  }
  dx_journal_commit(d);
  if (changing_type) {
    dx_note_converted_piece(d, start, range_end, new_type);
  }
  return DXEMEM_SUCCESS;
}

/* Models CoreConvertPagesEx (either the type or the attributes change). */
dxemem_status dx_core_convert_pages_ex(dxemem *d, uint64_t start,
                                       uint64_t pages, bool changing_type,
                                       uint32_t new_type,
                                       bool changing_attributes,
                                       uint64_t new_attributes) {
  (void)changing_attributes;
  uint64_t bytes = pages << DXEMEM_PAGE_SHIFT;
  uint64_t end = start + bytes - 1;
  if (pages == 0 || (start & DXEMEM_PAGE_MASK) != 0 || start >= end) {
    return DXEMEM_INVALID_PARAMETER;
  }
  /* Like edk2, the loop runs while start < end in 64-bit arithmetic: a
   * range that ends at 2^64 - 1 wraps start to 0 and goes on from there.
   * Only an empty add at 0 (whose end wraps) gives an entry at 0 that
   * reaches 2^64 - 1 again; edk2 then loops forever, dxemem stops at the
   * second wrap. */
  bool wrapped = false;
  while (start < end) {
    uint64_t range_end = 0;
    dxemem_status status = convert_piece(d, start, end, pages, changing_type,
                                         new_type, new_attributes, &range_end);
    if (status != DXEMEM_SUCCESS) {
      return status;
    }
    if (range_end == UINT64_MAX) {
      if (wrapped) {
        return DXEMEM_INVALID_PARAMETER;
      }
      wrapped = true;
    }
    start = range_end + 1;
  }
  return DXEMEM_SUCCESS;
}

/* Models CoreConvertPages. */
dxemem_status dx_core_convert_pages(dxemem *d, uint64_t start, uint64_t pages,
                                    uint32_t new_type) {
  return dx_core_convert_pages_ex(d, start, pages, true, new_type, false, 0);
}
