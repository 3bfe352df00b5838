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
 * how to walk and edit a doubly linked list of entries. A faster index could
 * sit beside it without touching those algorithms.
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

/* A keyed hash over everything but the links (links are checked by
 * following them both ways). */
static uint32_t entry_hash(const dxemem *d, entry_ref ref, const map_entry *e) {
  /* One multiply per word: cheap enough to check every entry on every
   * call, and any change of a field or of the entry's place changes it. */
  const uint64_t words[] = {
      ref,
      e->start,
      e->end,
      e->attribute,
      ((uint64_t)e->type << 32) |
          (((uint64_t)e->from_pages << 31) ^ e->signature),
      e->page_link};
  uint64_t h = d->seal_key;
  for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
    h = (h ^ words[i]) * UINT64_C(0x9e3779b97f4a7c15);
  }
  return (uint32_t)((h >> 32) ^ h);
}

void dx_entry_seal(dxemem *d, entry_ref ref) {
  map_entry *e = dx_node(d, ref);
  e->seal = entry_hash(d, ref, e);
}

bool dx_entry_seal_ok(const dxemem *d, entry_ref ref, const map_entry *e) {
  return e->signature == DXEMEM_ENTRY_SIGNATURE &&
         e->seal == entry_hash(d, ref, e);
}

/* A reference that may name an entry in the region: aligned, inside. */
bool dx_ref_is_valid_entry(const dxemem *d, entry_ref ref) {
  if (ref == REF_NULL || (ref % MAP_ENTRY_SIZE) != 0) {
    return false;
  }
  return dx_region_host_of(d, ref, MAP_ENTRY_SIZE) != NULL;
}

entry_ref dx_list_first(dxemem *d, entry_ref head) {
  return dx_node(d, head)->next;
}

entry_ref dx_list_next(dxemem *d, entry_ref ref) {
  return dx_node(d, ref)->next;
}

bool dx_list_is_empty(dxemem *d, entry_ref head) {
  return dx_node(d, head)->next == head;
}

/* InsertTailList (at, ref): ref goes just before at. */
void dx_list_insert_before(dxemem *d, entry_ref at, entry_ref ref) {
  entry_ref prev = dx_node(d, at)->prev;
  dx_journal_touch(d, ref);
  dx_journal_touch(d, prev);
  dx_journal_touch(d, at);
  map_entry *n = dx_node(d, ref);
  n->next = at;
  n->prev = prev;
  dx_node(d, prev)->next = ref;
  dx_node(d, at)->prev = ref;
}

void dx_list_insert_tail(dxemem *d, entry_ref head, entry_ref ref) {
  dx_list_insert_before(d, head, ref);
}

/* RemoveEntryList: the node's own links are left for the caller. */
void dx_list_unlink(dxemem *d, entry_ref ref) {
  map_entry *n = dx_node(d, ref);
  entry_ref prev = n->prev;
  entry_ref next = n->next;
  dx_journal_touch(d, ref);
  dx_journal_touch(d, prev);
  dx_journal_touch(d, next);
  dx_node(d, prev)->next = next;
  dx_node(d, next)->prev = prev;
}

void dx_entry_set_range(dxemem *d, entry_ref ref, uint64_t start,
                        uint64_t end) {
  dx_journal_touch(d, ref);
  map_entry *e = dx_node(d, ref);
  e->start = start;
  e->end = end;
  dx_entry_seal(d, ref);
}

/* The first entry with start <= address < end, as CoreConvertPagesEx and
 * CoreInternalFreePages search (note: end is the last byte, and edk2 still
 * compares with '>', which only matters for empty entries). */
entry_ref dx_map_find_containing(dxemem *d, uint64_t address) {
  for (entry_ref r = dx_list_first(d, REF_MAP_HEAD); r != REF_MAP_HEAD;
       r = dx_list_next(d, r)) {
    const map_entry *e = dx_node(d, r);
    if (e->start <= address && e->end > address) {
      return r;
    }
  }
  return REF_NULL;
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
 * first change, plus the scalar state. It ends with commit, or with
 * roll-back when the step cannot finish. A refuel that found its page
 * commits early: after that point the step cannot fail any more.
 */
void dx_journal_begin(dxemem *d) {
  if (d->freeing_stack != 0 || d->journal_active) {
    return;
  }
  d->journal_active = true;
  d->journal_overflow = false;
  d->journal_used = 0;
  journal_scalars *s = &d->journal_saved;
  s->map_depth = d->map_depth;
  s->map_key = d->map_key;
  s->map_entries = d->map_entries;
  s->free_entries = d->free_entries;
  memcpy(s->stats, d->stats, sizeof s->stats);
  memcpy(s->info, d->info, sizeof s->info);
  s->default_base = d->default_base;
}

void dx_journal_commit(dxemem *d) {
  d->journal_active = false;
}

void dx_journal_touch(dxemem *d, entry_ref ref) {
  if (!d->journal_active) {
    return;
  }
  for (uint32_t i = 0; i < d->journal_used; i++) {
    if (d->journal[i].ref == ref) {
      return;
    }
  }
  if (d->journal_used == JOURNAL_CAPACITY) {
    d->journal_overflow = true;
    return;
  }
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
     * (consistent, with the stack entries still linked). */
    return;
  }
  for (uint32_t i = d->journal_used; i-- > 0;) {
    *dx_node(d, d->journal[i].ref) = d->journal[i].before;
  }
  const journal_scalars *s = &d->journal_saved;
  d->map_depth = s->map_depth;
  d->map_key = s->map_key;
  d->map_entries = s->map_entries;
  d->free_entries = s->free_entries;
  memcpy(d->stats, s->stats, sizeof s->stats);
  memcpy(d->info, s->info, sizeof s->info);
  d->default_base = s->default_base;
}
