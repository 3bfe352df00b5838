/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * map_list.c (white-box): references and nodes, seals, the list
 * primitives, dx_map_find_containing, the validation every call runs
 * first, and the roll-back journal.
 *
 * Most tests start from the map after the first add:
 *
 *   FX_BASE                                   FX_REFUEL  FX_TOP
 *   |------------- conventional ------------------|-BSD-|
 *   entries: conv and BSD live in the refuel page, 62 more are free
 *
 * Tests that break the list restore it before they end, so the checker is
 * green again at teardown (which also shows validation is not sticky).
 */
#include "core_test.h"

#include <string.h>

#include "internal.h"

/* The reference of the map entry that starts at start. */
static entry_ref entry_at(dxemem *d, uint64_t start) {
  for (entry_ref r = dx_list_first(d, REF_MAP_HEAD); r != REF_MAP_HEAD;
       r = dx_list_next(d, r)) {
    if (dx_node(d, r)->start == start) {
      return r;
    }
  }
  fail_msg("no entry starts at %#llx", (unsigned long long)start);
  return REF_NULL;
}

static void assert_valid(dxemem *d) {
  uint64_t bad = 0;
  assert_int_equal(dx_validate_map_list(d, &bad), DXEMEM_SUCCESS);
}

static uint64_t assert_invalid(dxemem *d) {
  uint64_t bad = 0;
  assert_int_equal(dx_validate_map_list(d, &bad), DXEMEM_VOLUME_CORRUPTED);
  return bad;
}

/* A scratch entry in region memory the allocator does not use. */
static map_entry *scratch_entry(dxemem *d, entry_ref ref) {
  map_entry *e = dx_node(d, ref);
  memset(e, 0, sizeof *e);
  e->signature = DXEMEM_ENTRY_SIGNATURE;
  e->from_pages = 1;
  e->type = T_LD;
  e->start = ref;
  e->end = ref + 0xfff;
  dx_entry_seal(d, ref);
  return e;
}

/* ---- references --------------------------------------------------------- */

static void test_node_resolves_heads_and_stack(void **state) {
  core_fixture *fx = *state;
  dxemem *d = fx->d;
  assert_ptr_equal(dx_node(d, REF_MAP_HEAD), &d->map_head);
  assert_ptr_equal(dx_node(d, REF_FREE_HEAD), &d->free_head);
  for (uint32_t i = 0; i < MAX_MAP_DEPTH; i++) {
    assert_ptr_equal(dx_node(d, REF_STACK(i)), &d->stack[i]);
  }
  /* A stack reference past the stack never leaves the array. */
  assert_ptr_equal(dx_node(d, REF_STACK(MAX_MAP_DEPTH + 3)), &d->stack[0]);
  /* A region reference is the host view of that physical address. */
  assert_ptr_equal(dx_node(d, FX_BASE + 128), (uint8_t *)fx->host + 128);
}

static void test_node_of_bad_reference_is_poison(void **state) {
  core_fixture *fx = *state;
  dxemem *d = fx->d;
  assert_ptr_equal(dx_node(d, FX_BASE + 8), &d->poison);
  assert_int_equal(d->last_corruption, FX_BASE + 8);
  assert_ptr_equal(dx_node(d, FX_TOP), &d->poison);
  assert_int_equal(d->last_corruption, FX_TOP);
  assert_ptr_equal(dx_node(d, FX_TOP - 32), &d->poison);
  assert_ptr_equal(dx_node(d, REF_NULL), &d->poison);
}

static void test_ref_is_valid_entry(void **state) {
  core_fixture *fx = *state;
  dxemem *d = fx->d;
  assert_false(dx_ref_is_valid_entry(d, REF_NULL));
  assert_false(dx_ref_is_valid_entry(d, REF_MAP_HEAD));
  assert_false(dx_ref_is_valid_entry(d, REF_STACK(0)));
  assert_true(dx_ref_is_valid_entry(d, FX_BASE));
  assert_false(dx_ref_is_valid_entry(d, FX_BASE + 32));
  assert_true(dx_ref_is_valid_entry(d, FX_TOP - 64));
  assert_false(dx_ref_is_valid_entry(d, FX_TOP));
  assert_false(dx_ref_is_valid_entry(d, FX_BASE - 64));
}

/* ---- seals -------------------------------------------------------------- */

/* The seal covers every data field and the entry's own address, not the
 * links (those are checked by walking both ways). */
static void test_seal_covers_fields_and_address(void **state) {
  core_fixture *fx = *state;
  dxemem *d = fx->d;
  map_entry *e = scratch_entry(d, FX_BASE);
  assert_true(dx_entry_seal_ok(d, FX_BASE, e));

  map_entry saved = *e;
  e->start += 0x1000;
  assert_false(dx_entry_seal_ok(d, FX_BASE, e));
  *e = saved;
  e->end -= 1;
  assert_false(dx_entry_seal_ok(d, FX_BASE, e));
  *e = saved;
  e->attribute = DXEMEM_MEMORY_WB;
  assert_false(dx_entry_seal_ok(d, FX_BASE, e));
  *e = saved;
  e->type = T_BSD;
  assert_false(dx_entry_seal_ok(d, FX_BASE, e));
  *e = saved;
  e->from_pages = 0;
  assert_false(dx_entry_seal_ok(d, FX_BASE, e));
  *e = saved;
  e->page_link = FX_BASE + 0x1000;
  assert_false(dx_entry_seal_ok(d, FX_BASE, e));
  *e = saved;
  e->signature ^= 1;
  assert_false(dx_entry_seal_ok(d, FX_BASE, e));
  *e = saved;
  e->next = FX_BASE + 64;
  e->prev = FX_BASE + 128;
  assert_true(dx_entry_seal_ok(d, FX_BASE, e));
  /* Resealing after a change makes it valid again. */
  e->start += 0x1000;
  dx_entry_seal(d, FX_BASE);
  assert_true(dx_entry_seal_ok(d, FX_BASE, e));

  /* The same bytes at another address are not a valid entry there. */
  map_entry *copy = dx_node(d, FX_BASE + 64);
  *copy = *e;
  assert_false(dx_entry_seal_ok(d, FX_BASE + 64, copy));
}

/* Another instance over the same host memory does not accept the entries
 * of this one. */
static void test_seal_differs_per_instance(void **state) {
  core_fixture *fx = *state;
  map_entry *e = scratch_entry(fx->d, FX_BASE);
  static _Alignas(64) uint8_t storage[sizeof(struct dxemem)];
  dxemem *other = NULL;
  assert_int_equal(dxemem_create(storage, sizeof storage, &fx->config, &other),
                   DXEMEM_SUCCESS);
  assert_true(dx_entry_seal_ok(fx->d, FX_BASE, e));
  assert_false(dx_entry_seal_ok(other, FX_BASE, e));
  dxemem_destroy(other);
}

/* ---- list primitives ---------------------------------------------------- */

static void expect_free_list(dxemem *d, const entry_ref *want, size_t n) {
  entry_ref prev = REF_FREE_HEAD;
  entry_ref r = dx_list_first(d, REF_FREE_HEAD);
  for (size_t i = 0; i < n; i++) {
    assert_int_equal(r, want[i]);
    assert_int_equal(dx_node(d, r)->prev, prev);
    prev = r;
    r = dx_list_next(d, r);
  }
  assert_int_equal(r, REF_FREE_HEAD);
  assert_int_equal(d->free_head.prev, prev);
}

/*
 *   insert_tail A, B, C       head <-> A <-> B <-> C <-> head
 *   insert_before(B, D)       head <-> A <-> D <-> B <-> C <-> head
 *   unlink D, A, C, B         head <-> head
 */
static void test_list_insert_and_unlink_keep_both_directions(void **state) {
  core_fixture *fx = *state;
  dxemem *d = fx->d;
  const entry_ref a = FX_BASE, b = FX_BASE + 64, c = FX_BASE + 128,
                  x = FX_BASE + 192;
  scratch_entry(d, a);
  scratch_entry(d, b);
  scratch_entry(d, c);
  scratch_entry(d, x);
  assert_true(dx_list_is_empty(d, REF_FREE_HEAD));

  dx_list_insert_tail(d, REF_FREE_HEAD, a);
  dx_list_insert_tail(d, REF_FREE_HEAD, b);
  dx_list_insert_tail(d, REF_FREE_HEAD, c);
  expect_free_list(d, (const entry_ref[]){a, b, c}, 3);
  assert_false(dx_list_is_empty(d, REF_FREE_HEAD));

  dx_list_insert_before(d, b, x);
  expect_free_list(d, (const entry_ref[]){a, x, b, c}, 4);
  /* With the count right, validation accepts the hand-made list. */
  d->free_entries = 4;
  assert_valid(d);

  dx_list_unlink(d, x);
  expect_free_list(d, (const entry_ref[]){a, b, c}, 3);
  dx_list_unlink(d, a);
  dx_list_unlink(d, c);
  expect_free_list(d, (const entry_ref[]){b}, 1);
  dx_list_unlink(d, b);
  assert_true(dx_list_is_empty(d, REF_FREE_HEAD));
  d->free_entries = 0;
  assert_valid(d);
}

static void test_set_range_reseals(void **state) {
  core_fixture *fx = *state;
  dxemem *d = fx->d;
  map_entry *e = scratch_entry(d, FX_BASE);
  dx_entry_set_range(d, FX_BASE, FX_BASE + 0x3000, FX_BASE + 0x4fff);
  assert_int_equal(e->start, FX_BASE + 0x3000);
  assert_int_equal(e->end, FX_BASE + 0x4fff);
  assert_true(dx_entry_seal_ok(d, FX_BASE, e));
}

/*
 *   FX_BASE          +128 pages      +200
 *   |---- conv ----|-BSD-|           . MMIO, 0 pages (start +200, end +200-1)
 *
 * edk2's search compares the last byte with '>', so the last byte of an
 * entry and any address of an empty entry are never "contained".
 */
static void test_find_containing(void **state) {
  core_fixture *fx = *state;
  dxemem *d = fx->d;
  fx_add(fx, T_CONV, FX_BASE, 128, 0);
  fx_add(fx, T_MMIO, FX_BASE + PG(200), 0, 0);
  entry_ref conv = entry_at(d, FX_BASE);
  entry_ref bsd = entry_at(d, FX_BASE + PG(127));
  assert_int_equal(dx_map_find_containing(d, FX_BASE), conv);
  assert_int_equal(dx_map_find_containing(d, FX_BASE + PG(126)), conv);
  assert_int_equal(dx_map_find_containing(d, FX_BASE + PG(127) - 2), conv);
  assert_int_equal(dx_map_find_containing(d, FX_BASE + PG(127)), bsd);
  assert_int_equal(dx_map_find_containing(d, FX_BASE + PG(128) - 1), REF_NULL);
  assert_int_equal(dx_map_find_containing(d, FX_BASE + PG(128)), REF_NULL);
  assert_int_equal(dx_map_find_containing(d, FX_BASE + PG(200)), REF_NULL);
  assert_int_equal(dx_map_find_containing(d, FX_BASE - 0x1000), REF_NULL);
}

/* ---- validation --------------------------------------------------------- */

static void test_validate_accepts_healthy_lists(void **state) {
  core_fixture *fx = *state;
  assert_valid(fx->d);
  fx_add_all(fx);
  assert_valid(fx->d);
  dxemem_counts c = fx_counts(fx->d);
  assert_int_equal(c.map_entries, 2);
  assert_int_equal(c.free_entries, 62);
}

static void test_validate_finds_broken_seal(void **state) {
  core_fixture *fx = *state;
  dxemem *d = fx->d;
  fx_add_all(fx);
  entry_ref conv = entry_at(d, FX_BASE);
  map_entry *e = dx_node(d, conv);
  e->end += 0x1000;
  assert_int_equal(assert_invalid(d), conv);
  e->end -= 0x1000;
  assert_valid(d);
}

/* A link that leaves the region or is unaligned is never followed; the
 * report names the entry that holds it (or the link when the holder is a
 * list head). */
static void test_validate_finds_bad_forward_link(void **state) {
  core_fixture *fx = *state;
  dxemem *d = fx->d;
  fx_add_all(fx);
  entry_ref conv = entry_at(d, FX_BASE);
  map_entry *e = dx_node(d, conv);
  entry_ref saved = e->next;
  e->next = FX_BASE + 8;
  assert_int_equal(assert_invalid(d), conv);
  e->next = FX_TOP + 0x1000;
  assert_int_equal(assert_invalid(d), conv);
  e->next = saved;
  assert_valid(d);

  saved = d->map_head.next;
  d->map_head.next = FX_BASE + 8;
  assert_int_equal(assert_invalid(d), FX_BASE + 8);
  d->map_head.next = saved;
  assert_valid(d);
}

static void test_validate_finds_bad_back_link(void **state) {
  core_fixture *fx = *state;
  dxemem *d = fx->d;
  fx_add_all(fx);
  entry_ref bsd = entry_at(d, FX_REFUEL);
  map_entry *e = dx_node(d, bsd);
  entry_ref saved = e->prev;
  e->prev = REF_MAP_HEAD;
  assert_int_equal(assert_invalid(d), bsd);
  e->prev = saved;
  assert_valid(d);

  /* The head's back link must name the last node. */
  saved = d->free_head.prev;
  d->free_head.prev = bsd;
  assert_int_equal(assert_invalid(d), saved);
  d->free_head.prev = saved;
  assert_valid(d);
}

/* A live entry on the free list or a free one in the map: from_pages
 * disagrees with the list. */
static void test_validate_finds_foreign_node(void **state) {
  core_fixture *fx = *state;
  dxemem *d = fx->d;
  fx_add_all(fx);
  entry_ref first_free = dx_list_first(d, REF_FREE_HEAD);
  map_entry *e = dx_node(d, first_free);
  e->from_pages = 0;
  dx_entry_seal(d, first_free);
  assert_int_equal(assert_invalid(d), first_free);
  e->from_pages = 1;
  dx_entry_seal(d, first_free);
  assert_valid(d);
}

/* The walk is bounded by how many entries the refuel pages can hold. */
static void test_validate_bounds_the_walk(void **state) {
  core_fixture *fx = *state;
  dxemem *d = fx->d;
  fx_add_all(fx);
  d->refuel_pages = 0; /* room for the 6 stack entries only */
  (void)assert_invalid(d);
  d->refuel_pages = 1;
  assert_valid(d);
}

/* An entry that fell out of a list without a trace shows as a count
 * mismatch; the report then names the newest refuel page. */
static void test_validate_finds_lost_entries(void **state) {
  core_fixture *fx = *state;
  dxemem *d = fx->d;
  fx_add_all(fx);
  d->free_entries += 1;
  assert_int_equal(assert_invalid(d), FX_REFUEL);
  d->free_entries -= 1;
  d->map_entries += 1;
  assert_int_equal(assert_invalid(d), FX_REFUEL);
  d->map_entries -= 1;
  assert_valid(d);
}

/* During a call, stack entries sit on the map list; they live in the
 * instance and only their back link is checked. */
static void test_validate_accepts_stack_entries_in_use(void **state) {
  core_fixture *fx = *state;
  dxemem *d = fx->d;
  fx_add_all(fx);
  map_entry *s = dx_node(d, REF_STACK(0));
  memset(s, 0, sizeof *s);
  s->signature = DXEMEM_ENTRY_SIGNATURE;
  dx_list_insert_tail(d, REF_MAP_HEAD, REF_STACK(0));
  /* Not in use (depth 0): it must then look like a region entry. */
  (void)assert_invalid(d);
  d->map_depth = 1;
  assert_valid(d);
  entry_ref saved = s->prev;
  s->prev = REF_MAP_HEAD;
  assert_int_equal(assert_invalid(d), saved);
  s->prev = saved;
  dx_list_unlink(d, REF_STACK(0));
  d->map_depth = 0;
  assert_valid(d);
}

/* ---- journal ------------------------------------------------------------ */

/* Roll-back restores every node touched and every scalar a step changes
 * (a piece of CoreConvertPagesEx changes only current page counts and
 * high-water slots: its transaction keeps those as they change, through
 * the calls bins.c makes). */
static void rollback_restores_everything(core_fixture *fx,
                                         void (*begin)(dxemem *d)) {
  dxemem *d = fx->d;
  fx_add_all(fx);
  state_snapshot before;
  fx_snapshot(d, &before);
  entry_ref conv = entry_at(d, FX_BASE);
  entry_ref first_free = dx_list_first(d, REF_FREE_HEAD);

  begin(d);
  assert_true(d->journal_active);
  dx_entry_set_range(d, conv, FX_BASE, FX_BASE + 0xfff);
  dx_list_unlink(d, first_free);
  dx_list_insert_tail(d, REF_MAP_HEAD, first_free);
  d->map_key += 7;
  d->map_entries += 1;
  d->free_entries -= 1;
  dx_journal_keep_count(d, T_LD);
  d->stats[T_LD].current_number_of_pages = 99;
  dx_journal_keep_information(d, T_LD);
  d->info[T_LD].number_of_pages = 99;
  dx_journal_keep_count(d, T_LD); /* a second change keeps the first value */
  d->stats[T_LD].current_number_of_pages = 98;
  d->default_base = FX_BASE;
  dx_journal_rollback(d);

  assert_false(d->journal_active);
  assert_valid(d);
  state_snapshot after;
  fx_snapshot(d, &after);
  EXPECT_SAME_STATE(&before, &after);
  assert_int_equal(dx_list_first(d, REF_FREE_HEAD), first_free);
}

static void test_journal_rollback_restores_everything(void **state) {
  rollback_restores_everything(*state, dx_journal_begin);
}

static void test_piece_rollback_restores_everything(void **state) {
  rollback_restores_everything(*state, dx_journal_begin_piece);
}

static void test_journal_commit_keeps_changes(void **state) {
  core_fixture *fx = *state;
  dxemem *d = fx->d;
  fx_add_all(fx);
  entry_ref conv = entry_at(d, FX_BASE);
  dx_journal_begin(d);
  dx_entry_set_range(d, conv, FX_BASE, FX_BASE + PG(10) - 1);
  dx_journal_commit(d);
  dx_journal_rollback(d); /* nothing to roll back any more */
  assert_int_equal(dx_node(d, conv)->end, FX_BASE + PG(10) - 1);
  dx_entry_set_range(d, conv, FX_BASE, FX_REFUEL - 1);
}

/* A node is saved once, at its first change; nothing is saved outside a
 * transaction. */
static void test_journal_saves_each_node_once(void **state) {
  core_fixture *fx = *state;
  dxemem *d = fx->d;
  fx_add_all(fx);
  entry_ref conv = entry_at(d, FX_BASE);
  uint32_t used = d->journal_used;
  dx_journal_touch(d, conv);
  assert_int_equal(d->journal_used, used);

  dx_journal_begin(d);
  dx_journal_touch(d, conv);
  dx_entry_set_range(d, conv, FX_BASE, FX_BASE + 0xfff);
  dx_journal_touch(d, conv);
  assert_int_equal(d->journal_used, 1);
  assert_int_equal(d->journal[0].before.end, FX_REFUEL - 1);
  dx_journal_rollback(d);
  assert_int_equal(dx_node(d, conv)->end, FX_REFUEL - 1);
}

/* Transactions do not nest: begin inside a running one (or inside
 * CoreFreeMemoryMapStack, where a refuel runs) keeps the outer one. */
static void test_journal_begin_does_not_nest(void **state) {
  core_fixture *fx = *state;
  dxemem *d = fx->d;
  fx_add_all(fx);
  uint64_t key = d->map_key;

  d->freeing_stack = 1;
  dx_journal_begin(d);
  assert_false(d->journal_active);
  d->freeing_stack = 0;

  dx_journal_begin(d);
  dx_journal_touch(d, entry_at(d, FX_BASE));
  d->map_key += 1;
  dx_journal_begin(d); /* ignored: the saved state stays the outer one */
  assert_int_equal(d->journal_used, 1);
  dx_journal_rollback(d);
  assert_int_equal(d->map_key, key);
}

/* More distinct nodes than the journal holds: roll-back gives up and leaves
 * the state as it is rather than restore half of it. */
static void test_journal_overflow_disables_rollback(void **state) {
  core_fixture *fx = *state;
  dxemem *d = fx->d;
  fx_add_all(fx);
  uint64_t key = d->map_key;
  dx_journal_begin(d);
  for (uint32_t i = 0; i <= JOURNAL_CAPACITY; i++) {
    dx_journal_touch(d, FX_BASE + 64 * (uint64_t)i);
  }
  assert_int_equal(d->journal_used, JOURNAL_CAPACITY);
  assert_true(d->journal_overflow);
  d->map_key += 1;
  dx_journal_rollback(d);
  assert_false(d->journal_active);
  assert_int_equal(d->map_key, key + 1);
}

#define T(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      T(test_node_resolves_heads_and_stack),
      T(test_node_of_bad_reference_is_poison),
      T(test_ref_is_valid_entry),
      T(test_seal_covers_fields_and_address),
      T(test_seal_differs_per_instance),
      T(test_list_insert_and_unlink_keep_both_directions),
      T(test_set_range_reseals),
      T(test_find_containing),
      T(test_validate_accepts_healthy_lists),
      T(test_validate_finds_broken_seal),
      T(test_validate_finds_bad_forward_link),
      T(test_validate_finds_bad_back_link),
      T(test_validate_finds_foreign_node),
      T(test_validate_bounds_the_walk),
      T(test_validate_finds_lost_entries),
      T(test_validate_accepts_stack_entries_in_use),
      T(test_journal_rollback_restores_everything),
      T(test_piece_rollback_restores_everything),
      T(test_journal_commit_keeps_changes),
      T(test_journal_saves_each_node_once),
      T(test_journal_begin_does_not_nest),
      T(test_journal_overflow_disables_rollback),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
