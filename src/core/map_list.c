/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * The entry list interface: every read or write of a MEMORY_MAP entry and
 * every link change goes through here, so that
 *  - links are physical references that are validated before use,
 *  - each entry carries a seal over its fields, so a caller scribbling over
 *    an entry page is detected instead of followed, and
 *  - a running transaction can journal every node it changes and roll the
 *    whole change back (dxemem's answer where edk2 loops forever: no page
 *    left to refuel the entry pool).
 *
 * The list algorithms themselves (which entry to find, where to insert) are
 * edk2's and live in map_entry.c, convert.c and find.c; this file only knows
 * how to walk and edit a doubly linked list of entries, and keeps the index
 * of map_index.c in step with it: the map operations below answer from the
 * index when the instance has one and from a walk of the list otherwise,
 * with the same result. Walks are bounded by what the lists can hold.
 */
#include "internal.h"

/* The slow path of dx_node: a reference that is not a valid entry. Never
 * reached after validation; a bad reference must not crash. */
map_entry *dx_node_poison(dxemem *d, entry_ref ref) {
  d->last_corruption = ref;
  /* Fresh each time, linked to the map head: a walk that strays onto it
   * ends there instead of following its 0 link back to itself. */
  memset(&d->poison, 0, sizeof d->poison);
  d->poison.next = REF_MAP_HEAD;
  d->poison.prev = REF_MAP_HEAD;
  return &d->poison;
}

/* A reference that may name an entry in the region: aligned, inside. */
bool dx_ref_is_valid_entry(const dxemem *d, entry_ref ref) {
  if (ref == REF_NULL || (ref % MAP_ENTRY_SIZE) != 0) {
    return false;
  }
  return dx_region_host_of(d, ref, MAP_ENTRY_SIZE) != NULL;
}

void dx_entry_set_range(dxemem *d, entry_ref ref, uint64_t start,
                        uint64_t end) {
  dx_journal_touch(d, ref);
  map_entry *e = dx_node(d, ref);
  e->start = start;
  e->end = end;
  dx_entry_seal(d, ref);
  if (d->indexed && !REF_IS_HOST(ref)) {
    dx_index_update(d, ref); /* only map entries change their range */
  }
}

/* Walk bound: every list holds at most this many nodes. */
static uint64_t list_limit(const dxemem *d) {
  return d->refuel_pages * ENTRIES_PER_PAGE + MAX_MAP_DEPTH + 1u;
}

static bool stack_slot_linked(dxemem *d, uint64_t i) {
  return dx_node(d, REF_STACK(i))->next != REF_NULL;
}

/* ---- touched checks (DXEMEM_CHECK_TOUCHED) ------------------------------ */

static bool touch_failed(dxemem *d, entry_ref bad) {
  d->last_corruption = bad;
  d->touch_failed = true;
  return false;
}

static bool link_back_ok(dxemem *d, entry_ref ref, entry_ref other,
                         bool other_is_prev) {
  if (!REF_IS_HOST(other) && !dx_ref_is_valid_entry(d, other)) {
    return touch_failed(d, ref);
  }
  const map_entry *o = dx_node(d, other);
  if ((other_is_prev ? o->next : o->prev) != ref) {
    return touch_failed(d, REF_IS_HOST(other) ? ref : other);
  }
  return true;
}

/* A pool entry about to be used: signature and seal, since its data is
 * read; with links, also that both neighbours link back to it, since an
 * unlink writes theirs. The instance's own nodes are trusted. Each entry
 * is checked once per call (the low bit of the record says whether its
 * links were too): in between, only this call changes entries, and it
 * keeps seals and links right. */
static bool touch(dxemem *d, entry_ref ref, bool links) {
  if (REF_IS_HOST(ref)) {
    return true;
  }
  uint32_t capacity = (uint32_t)(sizeof d->touched / sizeof d->touched[0]);
  uint32_t slot = d->touched_count;
  for (uint32_t i = 0; i < d->touched_count; i++) {
    if ((d->touched[i] & ~(entry_ref)1) == ref) {
      if (!links || (d->touched[i] & 1u) != 0) {
        return true;
      }
      slot = i;
      break;
    }
  }
  if (slot == d->touched_count) {
    if (!dx_ref_is_valid_entry(d, ref)) {
      return touch_failed(d, ref);
    }
    const map_entry *e = dx_node(d, ref);
    if (!dx_entry_seal_ok(d, ref, e) || e->from_pages != 1) {
      return touch_failed(d, ref);
    }
  }
  if (links) {
    const map_entry *e = dx_node(d, ref);
    if (!link_back_ok(d, ref, e->prev, true) ||
        !link_back_ok(d, ref, e->next, false)) {
      return false;
    }
  }
  if (slot == d->touched_count) {
    slot = d->touched_count % capacity;
    d->touched_count += d->touched_count < capacity ? 1u : 0u;
  }
  d->touched[slot] = ref | (links ? 1u : 0u);
  return true;
}

bool dx_touch_ok(dxemem *d, entry_ref ref) {
  return touch(d, ref, false);
}

bool dx_touch_links_ok(dxemem *d, entry_ref ref) {
  return touch(d, ref, true);
}

/* ---- map operations: the list, and the index beside it ------------------ */

/* After an overlapping or empty add the list is no longer sorted and
 * disjoint, which the index relies on: from then on the list walks. */
void dx_map_note_irregular(dxemem *d) {
  if (d->indexed) {
    dx_index_drop(d);
  }
}

/* RemoveEntryList for an entry of gMemoryMap. */
void dx_map_unlink(dxemem *d, entry_ref ref) {
  dx_list_unlink(d, ref);
  if (d->indexed && !REF_IS_HOST(ref)) {
    dx_index_remove(d, ref);
  }
}

/* Inserts a pool entry before the first pool entry that starts above it
 * (CoreFreeMemoryMapStack's loop), which keeps pool entries sorted. Pool
 * entries are sorted in the list, so with the index that entry is the one
 * with the next higher start. Returns false (nothing changed) when an
 * entry next to the place fails its check. */
bool dx_map_insert_sorted(dxemem *d, entry_ref ref) {
  uint64_t start = dx_node(d, ref)->start;
  entry_ref at = REF_MAP_HEAD;
  if (d->indexed) {
    entry_ref above = dx_index_insert_find_next(d, ref);
    if (above != REF_NULL) {
      /* Its back link and the entry it names are about to be rewritten. */
      if (!link_back_ok(d, above, dx_node(d, above)->prev, true)) {
        dx_index_remove(d, ref);
        return false;
      }
      at = above;
    }
    dx_list_insert_before(d, at, ref);
    return true;
  }
  at = dx_list_first(d, REF_MAP_HEAD);
  for (uint64_t n = list_limit(d); at != REF_MAP_HEAD && n > 0; n--) {
    const map_entry *e = dx_node(d, at);
    if (e->from_pages && e->start > start) {
      break;
    }
    at = dx_list_next(d, at);
  }
  dx_list_insert_before(d, at, ref);
  return true;
}

/* The first entry with start <= address < end, as CoreConvertPagesEx and
 * CoreInternalFreePages search (note: end is the last byte, and edk2 still
 * compares with '>', which only matters for empty entries). With the index
 * the entries are disjoint, so the first is the only one: the pool entry
 * that starts at or below the address, or one on the map stack. */
entry_ref dx_map_find_containing(dxemem *d, uint64_t address) {
  if (d->indexed) {
    entry_ref r = dx_index_floor(d, address);
    if (r != REF_NULL) {
      if (!dx_touch_ok(d, r)) {
        return REF_NULL;
      }
      const map_entry *e = dx_node(d, r);
      if (e->start <= address && e->end > address) {
        return r;
      }
    }
    for (uint64_t i = 0; i < d->map_depth; i++) {
      const map_entry *s = dx_node(d, REF_STACK(i));
      if (stack_slot_linked(d, i) && s->start <= address && s->end > address) {
        return REF_STACK(i);
      }
    }
    return REF_NULL;
  }
  entry_ref r = dx_list_first(d, REF_MAP_HEAD);
  for (uint64_t n = list_limit(d); r != REF_MAP_HEAD && n > 0; n--) {
    const map_entry *e = dx_node(d, r);
    if (e->start <= address && e->end > address) {
      return r;
    }
    r = dx_list_next(d, r);
  }
  return REF_NULL;
}

static bool same_kind(const map_entry *e, uint32_t type, uint64_t attribute) {
  return e->type == type && e->attribute == attribute;
}

/* A linked stack entry of this kind whose end (or start) is address. */
entry_ref dx_map_stack_entry_where(dxemem *d, bool by_end, uint64_t address,
                                   uint32_t type, uint64_t attribute) {
  for (uint64_t i = 0; i < d->map_depth; i++) {
    const map_entry *s = dx_node(d, REF_STACK(i));
    if (stack_slot_linked(d, i) && (by_end ? s->end : s->start) == address &&
        same_kind(s, type, attribute)) {
      return REF_STACK(i);
    }
  }
  return REF_NULL;
}

/* The pool entry that starts at or below address, checked, or REF_NULL
 * (with d->touch_failed when the check failed). */
static entry_ref checked_floor(dxemem *d, uint64_t address) {
  entry_ref r = dx_index_floor(d, address);
  if (r != REF_NULL && !dx_touch_ok(d, r)) {
    return REF_NULL;
  }
  return r;
}

/* The entry of this type and attribute whose last byte is `last`, for
 * CoreAddRange's merge (indexed maps only). near is a pool entry that
 * starts above `last` with no pool entry between (its list prev is then
 * the candidate), or REF_NULL. */
entry_ref dx_map_entry_ending_at(dxemem *d, uint64_t last, uint32_t type,
                                 uint64_t attribute, entry_ref near) {
  entry_ref r = REF_NULL;
  entry_ref prev = near != REF_NULL ? dx_node(d, near)->prev : REF_NULL;
  if (prev != REF_NULL && !REF_IS_HOST(prev)) {
    r = dx_touch_ok(d, prev) ? prev : REF_NULL;
  } else if (prev != REF_MAP_HEAD) {
    r = checked_floor(d, last);
  }
  if (d->touch_failed) {
    return REF_NULL;
  }
  if (r != REF_NULL) {
    const map_entry *e = dx_node(d, r);
    if (e->end == last && same_kind(e, type, attribute)) {
      return r;
    }
  }
  return dx_map_stack_entry_where(d, true, last, type, attribute);
}

/* The same for the entry that starts at `start`; near is a pool entry that
 * starts below it with no pool entry between, or REF_NULL. */
entry_ref dx_map_entry_starting_at(dxemem *d, uint64_t start, uint32_t type,
                                   uint64_t attribute, entry_ref near) {
  entry_ref r = REF_NULL;
  entry_ref next = near != REF_NULL ? dx_node(d, near)->next : REF_NULL;
  if (next != REF_NULL && !REF_IS_HOST(next)) {
    r = dx_touch_ok(d, next) ? next : REF_NULL;
  } else if (next != REF_MAP_HEAD) {
    r = checked_floor(d, start);
  }
  if (d->touch_failed) {
    return REF_NULL;
  }
  if (r != REF_NULL) {
    const map_entry *e = dx_node(d, r);
    if (e->start == start && same_kind(e, type, attribute)) {
      return r;
    }
  }
  return dx_map_stack_entry_where(d, false, start, type, attribute);
}

/* The pool entry with the highest start at or below address (checked), to
 * seed the merge search around a hole. */
entry_ref dx_map_pool_floor(dxemem *d, uint64_t address) {
  return checked_floor(d, address);
}

/* How many linked stack entries the map holds (they sit near the tail). */
static uint64_t linked_stack_entries(dxemem *d) {
  uint64_t k = 0;
  for (uint64_t i = 0; i < d->map_depth; i++) {
    k += stack_slot_linked(d, i) ? 1u : 0u;
  }
  return k;
}

#define TAIL_LIMIT 64u

/* Puts refs (entries of an indexed map) into list order. Pool entries are
 * sorted by start in the list; stack entries sit in the tail that starts
 * at the first of them, which a short walk back from the head reads.
 * Returns UINT32_MAX when that tail is too long to read (never seen: it
 * holds the stack and the entries inserted after it in one call). */
uint32_t dx_map_list_order(dxemem *d, const entry_ref *refs, uint32_t count,
                           entry_ref *out) {
  entry_ref tail[TAIL_LIMIT];
  uint32_t tail_len = 0;
  uint64_t pending = linked_stack_entries(d);
  for (entry_ref r = dx_node(d, REF_MAP_HEAD)->prev; pending > 0;
       r = dx_node(d, r)->prev) {
    if (r == REF_MAP_HEAD || tail_len == TAIL_LIMIT) {
      return UINT32_MAX;
    }
    tail[tail_len++] = r;
    pending -= REF_IS_HOST(r) ? 1u : 0u;
  }
  uint32_t n = 0;
  /* First the pool entries before the tail, by start (insertion sort). */
  for (uint32_t i = 0; i < count; i++) {
    bool in_tail = false;
    for (uint32_t t = 0; t < tail_len; t++) {
      in_tail = in_tail || tail[t] == refs[i];
    }
    if (in_tail) {
      continue;
    }
    uint64_t start = dx_node(d, refs[i])->start;
    uint32_t j = n++;
    for (; j > 0 && dx_node(d, out[j - 1])->start > start; j--) {
      out[j] = out[j - 1];
    }
    out[j] = refs[i];
  }
  /* Then the tail, in list order. */
  for (uint32_t t = tail_len; t-- > 0;) {
    for (uint32_t i = 0; i < count; i++) {
      if (refs[i] == tail[t]) {
        out[n++] = refs[i];
      }
    }
  }
  return n;
}

static bool pool_overlap_bounds(dxemem *d, uint64_t start, uint64_t end,
                                uint64_t *lo, uint64_t *hi);

/* The bounding range of what the entries of an indexed map cover of
 * [start, end], for the add. The pool entries are sorted and disjoint: the
 * first one that overlaps is the one at or below start, or the next; the
 * last is the one at or below end. Entries left on the map stack (a
 * freed-memory guard promotion leaves some between calls) are few: they
 * take the walk. */
bool dx_map_overlap_bounds(dxemem *d, uint64_t start, uint64_t end,
                           uint64_t *lo, uint64_t *hi) {
  bool found = false;
  for (uint64_t i = 0; i < d->map_depth; i++) {
    const map_entry *s = dx_node(d, REF_STACK(i));
    if (stack_slot_linked(d, i) && s->end >= s->start && s->start <= end &&
        start <= s->end) {
      uint64_t a = s->start > start ? s->start : start;
      uint64_t b = s->end < end ? s->end : end;
      *lo = found && *lo < a ? *lo : a;
      *hi = found && *hi > b ? *hi : b;
      found = true;
    }
  }
  uint64_t pool_lo = 0;
  uint64_t pool_hi = 0;
  if (pool_overlap_bounds(d, start, end, &pool_lo, &pool_hi)) {
    *lo = found && *lo < pool_lo ? *lo : pool_lo;
    *hi = found && *hi > pool_hi ? *hi : pool_hi;
    found = true;
  }
  return found;
}

static bool pool_overlap_bounds(dxemem *d, uint64_t start, uint64_t end,
                                uint64_t *lo, uint64_t *hi) {
  entry_ref last = dx_index_floor(d, end);
  if (last == REF_NULL || !dx_touch_ok(d, last) ||
      dx_node(d, last)->end < start) {
    return false;
  }
  entry_ref first = dx_index_floor(d, start);
  if (first != REF_NULL && !dx_touch_ok(d, first)) {
    return false;
  }
  if (first == REF_NULL || dx_node(d, first)->end < start) {
    first = dx_index_above(d, start);
    if (!dx_touch_ok(d, first)) {
      return false;
    }
  }
  uint64_t a = dx_node(d, first)->start;
  uint64_t b = dx_node(d, last)->end;
  *lo = a > start ? a : start;
  *hi = b < end ? b : end;
  return true;
}

static uint64_t stack_or_walk_free_end(dxemem *d, const free_query *q,
                                       entry_ref first, bool stack_only) {
  uint64_t target = 0;
  bool below_min = false;
  entry_ref r = first;
  for (uint64_t n = list_limit(d); r != REF_MAP_HEAD && n > 0; n--) {
    const map_entry *e = dx_node(d, r);
    if ((!stack_only || REF_IS_HOST(r)) &&
        e->type == DXEMEM_CONVENTIONAL_MEMORY &&
        (e->attribute & DXEMEM_MEMORY_SP) == 0) {
      uint64_t end = dx_free_candidate(q, e->start, e->end, &below_min);
      if (end > target) {
        target = end;
      }
    }
    r = dx_list_next(d, r);
  }
  return target;
}

/* The highest aligned end CoreFindFreePagesI keeps over all free entries
 * (0 for none). With the index: the tree's answer, checked, against the
 * stack entries (the only others). */
uint64_t dx_map_highest_free_end(dxemem *d, const free_query *q) {
  if (!d->indexed || q->exact_walk) {
    return stack_or_walk_free_end(d, q, dx_list_first(d, REF_MAP_HEAD),
                                  false);
  }
  entry_ref winner = REF_NULL;
  uint64_t target = dx_index_highest_free_end(d, q, &winner);
  if (winner != REF_NULL && !dx_touch_ok(d, winner)) {
    return 0;
  }
  if (linked_stack_entries(d) != 0) {
    /* Stack entries are at the tail; walking from the first of them is
     * short, and only stack entries are counted there. */
    entry_ref first = REF_MAP_HEAD;
    for (uint64_t i = 0; i < d->map_depth; i++) {
      if (stack_slot_linked(d, i)) {
        first = REF_STACK(i);
        break;
      }
    }
    uint64_t stack = stack_or_walk_free_end(d, q, first, true);
    if (stack > target) {
      target = stack;
    }
  }
  return target;
}

/* True when [start, end] covers a refuel page. */
bool dx_map_holds_refuel_page(dxemem *d, uint64_t start, uint64_t end) {
  if (d->indexed) {
    return dx_index_holds_page(d, start, end);
  }
  uint64_t page = d->last_refuel_page;
  for (uint64_t i = 0; i < d->refuel_pages && page != 0; i++) {
    if (page <= end && page + DXEMEM_PAGE_MASK >= start) {
      return true;
    }
    page = dx_node(d, page)->page_link;
  }
  return false;
}

/* ---- validation --------------------------------------------------------- */

static bool stack_ref_in_use(const dxemem *d, entry_ref ref) {
  if (!REF_IS_HOST(ref) || ref < REF_STACK(0)) {
    return false;
  }
  return (ref - REF_STACK(0)) / 2u < d->map_depth;
}

/* Walks one list, checking every node before following it. Returns the
 * number of nodes or UINT64_MAX with *bad set. */
static uint64_t walk_list(dxemem *d, entry_ref head, bool allow_stack,
                          uint8_t want_from_pages, uint64_t *bad) {
  uint64_t limit = d->refuel_pages * ENTRIES_PER_PAGE + MAX_MAP_DEPTH;
  uint64_t count = 0;
  entry_ref prev = head;
  entry_ref r = dx_node(d, head)->next;
  while (r != head) {
    if (count++ > limit) {
      *bad = prev;
      return UINT64_MAX;
    }
    if (allow_stack && stack_ref_in_use(d, r)) {
      if (dx_node(d, r)->prev != prev) {
        *bad = prev;
        return UINT64_MAX;
      }
    } else {
      if (!dx_ref_is_valid_entry(d, r)) {
        *bad = REF_IS_HOST(prev) ? r : prev;
        return UINT64_MAX;
      }
      const map_entry *e = dx_node(d, r);
      if (!dx_entry_seal_ok(d, r, e) || e->prev != prev ||
          e->from_pages != want_from_pages) {
        *bad = r;
        return UINT64_MAX;
      }
    }
    prev = r;
    r = dx_node(d, r)->next;
  }
  if (dx_node(d, head)->prev != prev) {
    *bad = prev;
    return UINT64_MAX;
  }
  return count;
}

dxemem_status dx_validate_map_list(dxemem *d, uint64_t *bad_address) {
  uint64_t bad = 0;
  uint64_t in_map = walk_list(d, REF_MAP_HEAD, true, 1, &bad);
  uint64_t in_free = UINT64_MAX;
  if (in_map != UINT64_MAX) {
    in_free = walk_list(d, REF_FREE_HEAD, false, 1, &bad);
  }
  if (in_map == UINT64_MAX || in_free == UINT64_MAX) {
    *bad_address = bad;
    return DXEMEM_VOLUME_CORRUPTED;
  }
  /* An entry that fell out of both lists (a scribbled link that still
   * looks consistent) shows up as a count mismatch. */
  if (in_map < d->map_entries || in_free != d->free_entries) {
    *bad_address = d->last_refuel_page;
    return DXEMEM_VOLUME_CORRUPTED;
  }
  return DXEMEM_SUCCESS;
}

/* ---- journal ------------------------------------------------------------ */
/*
 * A transaction is one step that edk2 performs without a way back: an add,
 * or one piece of CoreConvertPagesEx. It starts at the top level only (not
 * inside a refuel) and records the old content of every node before its
 * first change (the list heads at the start; stack slots past the starting
 * depth never, nothing links to them after a roll-back), plus the scalar
 * state. It ends with commit, or with
 * roll-back when the step cannot finish. A refuel that found its page
 * commits early: after that point the step cannot fail any more.
 */
static bool journal_start(dxemem *d, bool whole_stats) {
  if (d->freeing_stack != 0 || d->journal_active) {
    return false;
  }
  d->journal_active = true;
  d->journal_overflow = false;
  d->journal_used = 0;
  d->journal_number += 1; /* forgets what the filter saw */
  journal_scalars *s = &d->journal_saved;
  s->map_depth = d->map_depth;
  s->heads[0] = d->host_nodes[0];
  s->heads[1] = d->host_nodes[1];
  s->map_key = d->map_key;
  s->map_entries = d->map_entries;
  s->free_entries = d->free_entries;
  s->whole_stats = whole_stats;
  s->kept_counts = 0;
  s->kept_information = 0;
  s->default_base = d->default_base;
  return true;
}

void dx_journal_begin(dxemem *d) {
  if (journal_start(d, true)) {
    memcpy(d->journal_saved.stats, d->stats, sizeof d->stats);
    memcpy(d->journal_saved.info, d->info, sizeof d->info);
  }
}

/* A piece changes the counts of a type or two and maybe a high-water slot:
 * those are kept as they change (dx_journal_keep_*), not all up front. */
void dx_journal_begin_piece(dxemem *d) {
  (void)journal_start(d, false);
}

void dx_journal_keep_count(dxemem *d, uint32_t type) {
  journal_scalars *s = &d->journal_saved;
  uint32_t bit = UINT32_C(1) << type;
  if (d->journal_active && !s->whole_stats && (s->kept_counts & bit) == 0) {
    s->kept_counts |= bit;
    s->current_pages[type] = d->stats[type].current_number_of_pages;
  }
}

void dx_journal_keep_information(dxemem *d, uint32_t index) {
  journal_scalars *s = &d->journal_saved;
  uint32_t bit = UINT32_C(1) << index;
  if (d->journal_active && !s->whole_stats &&
      (s->kept_information & bit) == 0) {
    s->kept_information |= bit;
    s->info[index] = d->info[index];
  }
}

void dx_journal_commit(dxemem *d) {
  d->journal_active = false;
}

void dx_journal_save(dxemem *d, entry_ref ref, struct journal_seen *seen) {
  if (d->journal_used == JOURNAL_CAPACITY) {
    d->journal_overflow = true;
    return;
  }
  seen->ref = ref;
  seen->number = d->journal_number;
  journal_record *rec = &d->journal[d->journal_used++];
  rec->ref = ref;
  rec->before = *dx_node(d, ref);
}

void dx_journal_rollback(dxemem *d) {
  if (!d->journal_active) {
    return;
  }
  d->journal_active = false;
  if (d->journal_overflow) {
    /* Only reachable with dozens of merges in one step, and merges free
     * entries, so the step never needed a refuel. Leave the map as it is
     * (consistent, with the stack entries still linked); the index went
     * along with every change. */
    return;
  }
  for (uint32_t i = d->journal_used; i-- > 0;) {
    *dx_node(d, d->journal[i].ref) = d->journal[i].before;
  }
  const journal_scalars *s = &d->journal_saved;
  d->host_nodes[0] = s->heads[0];
  d->host_nodes[1] = s->heads[1];
  d->map_depth = s->map_depth;
  d->map_key = s->map_key;
  d->map_entries = s->map_entries;
  d->free_entries = s->free_entries;
  if (s->whole_stats) {
    memcpy(d->stats, s->stats, sizeof s->stats);
    memcpy(d->info, s->info, sizeof s->info);
  } else {
    for (uint32_t t = 0; t < MEMORY_TYPE_SLOTS; t++) {
      if ((s->kept_counts >> t) & 1u) {
        d->stats[t].current_number_of_pages = s->current_pages[t];
      }
      if ((s->kept_information >> t) & 1u) {
        d->info[t] = s->info[t];
      }
    }
  }
  d->default_base = s->default_base;
  /* The index is not journaled: it is made again from the restored list,
   * at once, or once the list checks whole again when the step stopped at
   * a corrupted entry. Roll-backs are rare (no page left for an entry). */
  if (d->indexed) {
    if (d->touch_failed) {
      d->index_stale = true;
    } else {
      dx_index_rebuild(d);
    }
  }
}
