/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * map_entry.c: CoreAddRange (merging, the key, page 0), the map stack and
 * its push/pop events, AllocateMemoryMapEntry's refuel, and where
 * CoreFreeMemoryMapStack inserts pool entries.
 */
#include "core_test.h"

#include <string.h>

#include "internal.h"

/* ---- merging ------------------------------------------------------------ */

/*
 *   0x100000   0x104000   0x108000   0x10c000       0x1f0000        0x1ff000
 *   | A conv  |          | C conv  |                | conv ...      |BSD|
 *              | B conv |                 add B: A, B and C become one
 *   | conv, 12 pages                |
 */
static void test_add_merges_both_ends(void **state) {
  core_fixture *fx = *state;
  dxemem *d = fx->d;
  fx_add(fx, T_CONV, 0x1f0000, 16, 0);
  fx_add(fx, T_CONV, 0x100000, 4, 0);
  fx_add(fx, T_CONV, 0x108000, 4, 0);
  EXPECT_MAP(d, {T_CONV, 0x100000, 4, 0}, {T_CONV, 0x108000, 4, 0},
             {T_CONV, 0x1f0000, 15, 0}, {T_BSD, 0x1ff000, 1, 0});
  map_view before;
  fx_read_map(d, &before);
  uint64_t key = dxemem_get_map_key(d);

  fx_add(fx, T_CONV, 0x104000, 4, 0);
  EXPECT_MAP(d, {T_CONV, 0x100000, 12, 0}, {T_CONV, 0x1f0000, 15, 0},
             {T_BSD, 0x1ff000, 1, 0});
  assert_int_equal(dxemem_get_map_key(d), key + 1);
  /* A and C went back to the tail of the free list, in that order, after
   * the new entry took the head. */
  assert_int_equal(d->free_head.prev, before.e[1].entry_address);
  assert_int_equal(dx_node(d, d->free_head.prev)->prev,
                   before.e[0].entry_address);
  dxemem_counts c = fx_counts(d);
  assert_int_equal(c.map_entries, 3);
  assert_int_equal(c.free_entries, 61);
}

/* Only the same type and the same attribute merge, and only when touching. */
static void test_add_merges_only_same_type_and_attribute(void **state) {
  core_fixture *fx = *state;
  fx_add(fx, T_CONV, 0x1f0000, 16, 0);
  fx_add(fx, T_CONV, 0x100000, 4, 0);
  fx_add(fx, T_CONV, 0x104000, 4, DXEMEM_MEMORY_WB);
  fx_add(fx, T_LD, 0x108000, 4, DXEMEM_MEMORY_WB);
  fx_add(fx, T_LD, 0x10d000, 4, DXEMEM_MEMORY_WB); /* a page apart */
  EXPECT_MAP(fx->d, {T_CONV, 0x100000, 4, 0},
             {T_CONV, 0x104000, 4, DXEMEM_MEMORY_WB},
             {T_LD, 0x108000, 4, DXEMEM_MEMORY_WB},
             {T_LD, 0x10d000, 4, DXEMEM_MEMORY_WB}, {T_CONV, 0x1f0000, 15, 0},
             {T_BSD, 0x1ff000, 1, 0});
}

/*
 * 0-page entries (start X, end X - 1) touch both neighbours: a second empty
 * conventional add at X merges with the first, an empty MMIO add stays
 * apart, and a conventional range starting at X swallows the empty one.
 */
static void test_add_zero_page_entries(void **state) {
  core_fixture *fx = *state;
  dxemem *d = fx->d;
  const uint64_t x = 0x140000;
  fx_add(fx, T_CONV, 0x1f0000, 16, 0);
  uint64_t key = dxemem_get_map_key(d);
  fx_add(fx, T_CONV, x, 0, 0);
  fx_add(fx, T_CONV, x, 0, 0);
  EXPECT_MAP(d, {T_CONV, x, 0, 0}, {T_CONV, 0x1f0000, 15, 0},
             {T_BSD, 0x1ff000, 1, 0});
  fx_add(fx, T_MMIO, x, 0, 0);
  EXPECT_MAP(d, {T_CONV, x, 0, 0}, {T_MMIO, x, 0, 0}, {T_CONV, 0x1f0000, 15, 0},
             {T_BSD, 0x1ff000, 1, 0});
  fx_add(fx, T_CONV, x, 4, 0);
  EXPECT_MAP(d, {T_MMIO, x, 0, 0}, {T_CONV, x, 4, 0}, {T_CONV, 0x1f0000, 15, 0},
             {T_BSD, 0x1ff000, 1, 0});
  assert_int_equal(dxemem_get_map_key(d), key + 4);
}

/* Pool entries are inserted before the first one that starts higher, so
 * the list is sorted by start whatever order the adds come in, while the
 * entries themselves are taken from the free list in its order. */
static void test_pool_entries_are_inserted_sorted(void **state) {
  core_fixture *fx = *state;
  dxemem *d = fx->d;
  fx_add(fx, T_CONV, 0x1c0000, 16, 0);
  fx_add(fx, T_CONV, 0x100000, 16, 0);
  fx_add(fx, T_CONV, 0x140000, 16, 0);
  EXPECT_MAP(d, {T_CONV, 0x100000, 16, 0}, {T_CONV, 0x140000, 16, 0},
             {T_CONV, 0x1c0000, 15, 0}, {T_BSD, 0x1cf000, 1, 0});
  map_view v;
  fx_read_map(d, &v);
  /* Entries in the refuel page, in the order they were taken: BSD (first
   * popped), the first range, then the two later adds. */
  assert_int_equal(v.e[3].entry_address, 0x1cf000);
  assert_int_equal(v.e[2].entry_address, 0x1cf040);
  assert_int_equal(v.e[0].entry_address, 0x1cf080);
  assert_int_equal(v.e[1].entry_address, 0x1cf0c0);
}

/* ---- the map stack and refuels ----------------------------------------- */

static void expect_event(const dxemem_event *e, dxemem_event_kind kind,
                         uint32_t type, uint64_t start, uint64_t end,
                         uint32_t depth, bool merged_away) {
  if (e->kind != kind || e->type != type || e->start != start ||
      e->end != end || e->depth != depth || e->merged_away != merged_away) {
    print_error("event kind %d type %u [%#llx, %#llx] depth %u merged %d\n",
                (int)e->kind, e->type, (unsigned long long)e->start,
                (unsigned long long)e->end, e->depth, (int)e->merged_away);
  }
  assert_int_equal(e->kind, kind);
  assert_int_equal(e->type, type);
  assert_int_equal(e->start, start);
  assert_int_equal(e->end, end);
  assert_int_equal(e->depth, depth);
  assert_int_equal(e->merged_away, merged_away);
}

/*
 * The first add needs an entry and the free list is empty, so the very
 * first refuel takes the top page of the range being added, while that
 * range is still a stack entry:
 *
 *   add conv [base, top)          push conv           depth 1
 *     refuel: convert top page    push BSD            depth 2
 *     pop BSD -> pool entry                           depth 1
 *     pop conv [base, top - 1 page] -> pool entry     depth 0
 */
static void test_first_add_refuels_from_its_own_range(void **state) {
  core_fixture *fx = *state;
  fx_log_events(fx);
  fx_add_all(fx);
  const dxemem_event *ev = fx->events;
  assert_int_equal(fx->event_count, 8);
  expect_event(&ev[0], DXEMEM_EVENT_ADD_RANGE, T_CONV, FX_BASE, FX_TOP - 1, 0,
               false);
  expect_event(&ev[1], DXEMEM_EVENT_STACK_PUSH, T_CONV, FX_BASE, FX_TOP - 1, 1,
               false);
  expect_event(&ev[2], DXEMEM_EVENT_CONVERT_TYPE, T_BSD, FX_REFUEL, FX_TOP - 1,
               1, false);
  expect_event(&ev[3], DXEMEM_EVENT_ADD_RANGE, T_BSD, FX_REFUEL, FX_TOP - 1, 1,
               false);
  expect_event(&ev[4], DXEMEM_EVENT_STACK_PUSH, T_BSD, FX_REFUEL, FX_TOP - 1, 2,
               false);
  expect_event(&ev[5], DXEMEM_EVENT_REFUEL, T_BSD, FX_REFUEL, FX_TOP - 1, 2,
               false);
  expect_event(&ev[6], DXEMEM_EVENT_STACK_POP, T_BSD, FX_REFUEL, FX_TOP - 1, 1,
               false);
  expect_event(&ev[7], DXEMEM_EVENT_STACK_POP, T_CONV, FX_BASE, FX_REFUEL - 1,
               0, false);
  EXPECT_MAP(fx->d, {T_CONV, FX_BASE, 255, 0}, {T_BSD, FX_REFUEL, 1, 0});
  /* One key step for the add, one for the refuel's conversion. */
  assert_int_equal(dxemem_get_map_key(fx->d), 2);
  dxemem_counts c = fx_counts(fx->d);
  assert_int_equal(c.refuel_pages, 1);
  assert_int_equal(c.map_entries, 2);
  assert_int_equal(c.free_entries, 62);
}

/*
 * After 62 one-page allocations of alternating types the 64 entries of the
 * first refuel page are all in use. Allocating EfiBootServicesData at the
 * top page of the free range then needs a second refuel page, which comes
 * from right below and merges with the new (still stacked) allocation:
 *
 *   0x100000            0x1bf000 0x1c0000 0x1c1000            0x1ff000
 *   |-- conv ----------|refuel  | alloc  | LD | LC | ... | LC |BSD|
 *                      |---- BSD, 2 pages --|
 *
 * The stacked allocation was merged away: its pop only frees the entry.
 */
static void test_refuel_after_64_entries(void **state) {
  core_fixture *fx = *state;
  dxemem *d = fx->d;
  fx_add_all(fx);
  assert_int_equal(fx_use_up_free_entries(fx), 62);
  dxemem_counts c = fx_counts(d);
  assert_int_equal(c.map_entries, 64);
  assert_int_equal(c.free_entries, 0);
  assert_int_equal(c.refuel_pages, 1);
  uint64_t key = dxemem_get_map_key(d);

  (void)fx_alloc(fx, DXEMEM_ALLOCATE_ADDRESS, T_BSD, 1, 0x1c0000);

  c = fx_counts(d);
  assert_int_equal(c.refuel_pages, 2);
  assert_int_equal(c.map_entries, 65);
  assert_int_equal(c.free_entries, 63);
  /* One key step for the allocation, one for the refuel. */
  assert_int_equal(dxemem_get_map_key(d), key + 2);
  map_view v;
  fx_read_map(d, &v);
  assert_int_equal(v.count, 65);
  assert_int_equal(v.e[0].type, T_CONV);
  assert_int_equal(v.e[0].start, 0x100000);
  assert_int_equal(v.e[0].end, 0x1befff);
  assert_int_equal(v.e[1].type, T_BSD);
  assert_int_equal(v.e[1].start, 0x1bf000);
  assert_int_equal(v.e[1].end, 0x1c0fff);
  /* The new entry lives in the new page. */
  assert_true(v.e[1].entry_address >= 0x1bf000 &&
              v.e[1].entry_address < 0x1c0000);
  assert_int_equal(d->last_refuel_page, 0x1bf000);
  /* Both pages count as BootServicesData: the allocation and the refuel. */
  assert_int_equal(fx_stats(d, T_BSD).current_number_of_pages, 2);
}

/* The same scenario with the events: the refuel happens while the
 * allocation sits on the stack; its pop reports it merged away. */
static void test_merged_away_stack_entry_event(void **state) {
  core_fixture *fx = *state;
  fx_log_events(fx);
  fx_add_all(fx);
  (void)fx_use_up_free_entries(fx);
  fx_clear_events(fx);
  (void)fx_alloc(fx, DXEMEM_ALLOCATE_ADDRESS, T_BSD, 1, 0x1c0000);

  const dxemem_event *ev = fx->events;
  assert_int_equal(fx->event_count, 9);
  expect_event(&ev[0], DXEMEM_EVENT_CONVERT_TYPE, T_BSD, 0x1c0000, 0x1c0fff, 0,
               false);
  expect_event(&ev[1], DXEMEM_EVENT_ADD_RANGE, T_BSD, 0x1c0000, 0x1c0fff, 0,
               false);
  expect_event(&ev[2], DXEMEM_EVENT_STACK_PUSH, T_BSD, 0x1c0000, 0x1c0fff, 1,
               false);
  expect_event(&ev[3], DXEMEM_EVENT_CONVERT_TYPE, T_BSD, 0x1bf000, 0x1bffff, 1,
               false);
  expect_event(&ev[4], DXEMEM_EVENT_ADD_RANGE, T_BSD, 0x1bf000, 0x1bffff, 1,
               false);
  expect_event(&ev[5], DXEMEM_EVENT_STACK_PUSH, T_BSD, 0x1bf000, 0x1c0fff, 2,
               false);
  expect_event(&ev[6], DXEMEM_EVENT_REFUEL, T_BSD, 0x1bf000, 0x1bffff, 2,
               false);
  expect_event(&ev[7], DXEMEM_EVENT_STACK_POP, T_BSD, 0x1bf000, 0x1c0fff, 1,
               false);
  /* ... and the merged-away one, which moved nothing. */
  expect_event(&ev[8], DXEMEM_EVENT_STACK_POP, T_BSD, 0x1c0000, 0x1c0fff, 0,
               true);
}

/* Every event names the edk2 function that acts and how deep in the
 * refuel recursion it happens; a pop names the pool entry it filled. */
static void expect_origin(const dxemem_event *e, uint32_t recursion,
                          const char *function, uint64_t entry_address) {
  assert_int_equal(e->recursion, recursion);
  assert_string_equal(e->function, function);
  assert_int_equal(e->entry_address, entry_address);
}

static void test_events_carry_recursion_and_function(void **state) {
  core_fixture *fx = *state;
  fx_log_events(fx);
  fx_add_all(fx);
  (void)fx_use_up_free_entries(fx);
  fx_clear_events(fx);
  (void)fx_alloc(fx, DXEMEM_ALLOCATE_ADDRESS, T_BSD, 1, 0x1c0000);
  const dxemem_event *ev = fx->events;
  assert_int_equal(fx->event_count, 9);
  expect_origin(&ev[0], 0, "CoreConvertPagesEx", 0);
  expect_origin(&ev[1], 0, "CoreAddRange", 0);
  expect_origin(&ev[2], 0, "CoreAddRange", 0);
  /* The refuel's own conversion, one level down. */
  expect_origin(&ev[3], 1, "CoreConvertPagesEx", 0);
  expect_origin(&ev[4], 1, "CoreAddRange", 0);
  expect_origin(&ev[5], 1, "CoreAddRange", 0);
  /* Back at the outer level: the page is carved, the stack drains. */
  expect_origin(&ev[6], 0, "AllocateMemoryMapEntry", 0x1bf000);
  expect_origin(&ev[7], 0, "CoreFreeMemoryMapStack", 0x1bf000);
  expect_origin(&ev[8], 0, "CoreFreeMemoryMapStack", 0);
}

/* config.event_kinds: only the kinds asked for arrive, each as it would
 * with every kind on; 0 asks for all of them. */
static void test_event_kinds_filter(void **state) {
  core_fixture *fx = *state;
  fx_log_events(fx);
  fx_add_all(fx);
  size_t every = fx->event_count;
  dxemem_event all[16];
  assert_true(every == 8);
  memcpy(all, fx->events, every * sizeof all[0]);
  fx->config.event_kinds = DXEMEM_EVENT_BIT(DXEMEM_EVENT_STACK_PUSH) |
                           DXEMEM_EVENT_BIT(DXEMEM_EVENT_REFUEL);
  fx_log_events(fx);
  fx_add_all(fx);
  size_t n = 0;
  for (size_t i = 0; i < every; i++) {
    if (all[i].kind == DXEMEM_EVENT_STACK_PUSH ||
        all[i].kind == DXEMEM_EVENT_REFUEL) {
      assert_true(n < fx->event_count);
      assert_memory_equal(&fx->events[n], &all[i], sizeof all[i]);
      n++;
    }
  }
  assert_int_equal(n, 3);
  assert_int_equal(fx->event_count, n);
  fx->config.event_kinds = 0;
  fx_log_events(fx);
  fx_add_all(fx);
  assert_int_equal(fx->event_count, every);
}

/* A centre split pushes the upper part from CoreConvertPagesEx itself. */
static void test_split_push_names_convert(void **state) {
  core_fixture *fx = *state;
  fx_log_events(fx);
  fx_add_all(fx);
  fx_clear_events(fx);
  assert_int_equal(dxemem_update_memory_attributes(fx->d, 0x140000, 1, 0x8),
                   DXEMEM_SUCCESS);
  const dxemem_event *ev = fx->events;
  assert_true(fx->event_count >= 2);
  assert_int_equal(ev[0].kind, DXEMEM_EVENT_CONVERT_ATTRIBUTE);
  expect_origin(&ev[0], 0, "CoreConvertPagesEx", 0);
  assert_int_equal(ev[1].kind, DXEMEM_EVENT_STACK_PUSH);
  expect_origin(&ev[1], 0, "CoreConvertPagesEx", 0);
  assert_int_equal(ev[1].start, 0x141000);
}

/* dxemem refuses a seventh stack entry instead of overrunning
 * mMapStack; nothing changes, not even the key. */
static void test_add_range_refuses_full_stack(void **state) {
  core_fixture *fx = *state;
  dxemem *d = fx->d;
  fx_add_all(fx);
  state_snapshot before;
  fx_snapshot(d, &before);
  d->map_depth = MAX_MAP_DEPTH;
  assert_int_equal(dx_core_add_range(d, T_LD, FX_BASE, FX_BASE + 0xfff, 0),
                   DXEMEM_OUT_OF_RESOURCES);
  assert_int_equal(d->map_key, before.key);
  d->map_depth = 0;
  state_snapshot after;
  fx_snapshot(d, &after);
  EXPECT_SAME_STATE(&before, &after);
}

/* Re-entering CoreFreeMemoryMapStack (as a refuel does) returns at once. */
static void test_free_memory_map_stack_does_not_reenter(void **state) {
  core_fixture *fx = *state;
  dxemem *d = fx->d;
  fx_add_all(fx);
  d->freeing_stack = 1;
  d->map_depth = 0;
  assert_int_equal(dx_core_free_memory_map_stack(d), DXEMEM_SUCCESS);
  assert_int_equal(d->freeing_stack, 1);
  d->freeing_stack = 0;
}

/* ---- which ranges hold the allocator's entries ------------------------- */

static void test_range_holds_map_entries(void **state) {
  core_fixture *fx = *state;
  dxemem *d = fx->d;
  fx_add_all(fx);
  (void)fx_use_up_free_entries(fx);
  (void)fx_alloc(fx, DXEMEM_ALLOCATE_ADDRESS, T_BSD, 1, 0x1c0000);
  /* Refuel pages: FX_REFUEL (first) and 0x1bf000 (second). */
  assert_true(dx_range_holds_map_entries(d, FX_REFUEL, FX_REFUEL + 0xfff));
  assert_true(dx_range_holds_map_entries(d, 0x1bf000, 0x1bffff));
  assert_true(dx_range_holds_map_entries(d, 0x1bf800, 0x1bf8ff));
  assert_true(dx_range_holds_map_entries(d, 0x100000, 0x1bf000));
  assert_true(dx_range_holds_map_entries(d, 0x1bffff, 0x1c0fff));
  assert_true(dx_range_holds_map_entries(d, 0, UINT64_MAX));
  assert_false(dx_range_holds_map_entries(d, 0x100000, 0x1befff));
  assert_false(dx_range_holds_map_entries(d, 0x1c0000, FX_REFUEL - 1));
}

/* ---- what an add accepts --------------------------------------------------
 */

/* edk2 ignores an unaligned start and types in [16, 0x70000000) without any
 * change, not even to the key; dxemem also refuses ranges the region does
 * not back. OEM and OS types are added normally. */
static void test_add_refusals_change_nothing(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  state_snapshot before;
  fx_snapshot(fx->d, &before);
  static const struct {
    uint32_t type;
    uint64_t start;
    uint64_t pages;
  } refused[] = {
      {T_MMIO, FX_BASE + 0x800, 1},         /* unaligned */
      {16, FX_BASE, 1},                     /* EfiMaxMemoryType */
      {0x6fffffff, FX_BASE, 1},             /* below the OEM range */
      {T_MMIO, FX_TOP, 1},                  /* past the region */
      {T_MMIO, FX_TOP - 0x1000, 2},         /* runs past it */
      {T_MMIO, FX_BASE - 0x1000, 1},        /* below it */
      {T_MMIO, FX_BASE, UINT64_C(1) << 52}, /* byte count overflows */
  };
  for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
    assert_int_equal(dxemem_add_memory_descriptor(fx->d, refused[i].type,
                                                  refused[i].start,
                                                  refused[i].pages, 0),
                     DXEMEM_INVALID_PARAMETER);
  }
  state_snapshot after;
  fx_snapshot(fx->d, &after);
  EXPECT_SAME_STATE(&before, &after);
  /* An empty range right at the region's end is backed (by nothing). */
  fx_add(fx, T_MMIO, FX_TOP, 0, 0);
  fx_add(fx, 0x70000000, FX_REFUEL - 0x1000, 0, 0);
  fx_add(fx, 0xffffffff, FX_BASE, 0, 0);
  assert_int_equal(dxemem_get_map_key(fx->d), before.key + 3);
}

/*
 * An empty add at address 0 ends at 2^64 - 1 (its end wraps), so it covers
 * every address. edk2 would later carve refuel pages out of it beyond the
 * region; dxemem never refuels from pages the region does not back, so
 * once the free entries are used up, calls that need one fail cleanly.
 *
 *   0x0 (empty, "to 2^64 - 1")
 *   0x1000                                      0xff000  0x100000
 *   |------------------- conv ------------------|-BSD-|
 */
static void test_empty_add_at_zero_wraps(void **state) {
  core_fixture *fx = *state;
  fx_rebuild(fx, 0, FX_SIZE, 0);
  fx_add(fx, T_CONV, 0x1000, FX_PAGES - 1, 0);
  fx_add(fx, T_CONV, 0, 0, 0);
  EXPECT_MAP(fx->d, {T_CONV, 0, 0, 0}, {T_CONV, 0x1000, 254, 0},
             {T_BSD, 0xff000, 1, 0});
  fx_assert_green(fx);
  /* Allocations inside the region (edk2's search finds the wrapping entry
   * first and splits it) until the entries run out: the call that would
   * need a refuel fails and changes nothing. */
  uint64_t n = 0;
  state_snapshot before;
  state_snapshot after;
  for (;; n++) {
    assert_true(n < 128);
    fx_snapshot(fx->d, &before);
    uint64_t memory = 0x1000 + PG(2 * n);
    dxemem_status status = dxemem_allocate_pages(
        fx->d, DXEMEM_ALLOCATE_ADDRESS, n % 2 ? T_LC : T_LD, 1, &memory);
    if (status != DXEMEM_SUCCESS) {
      assert_int_equal(status, DXEMEM_OUT_OF_RESOURCES);
      break;
    }
  }
  assert_true(n > 20);
  fx_snapshot(fx->d, &after);
  EXPECT_SAME_STATE(&before, &after);
  assert_true(after.counts.free_entries < 2);
  assert_int_equal(after.counts.refuel_pages, 1);
}

/* ---- page 0 ------------------------------------------------------------- */

/* Adding conventional memory that covers page 0 zeroes it (edk2 does so
 * unless NULL-pointer detection is on); other types leave it alone. */
static void test_page_zero_zeroed_by_conventional_add(void **state) {
  core_fixture *fx = *state;
  fx_rebuild(fx, 0, FX_SIZE, 0);
  const uint8_t *page0 = dxemem_phys_to_host(fx->d, 0, 0x1000);
  assert_non_null(page0);
  fx_add(fx, T_CONV, 0x80000, 128, 0);
  fx_add(fx, T_MMIO, 0, 1, 0);
  for (size_t i = 0; i < 0x1000; i++) {
    assert_int_equal(page0[i], 0xa5);
  }

  fx_rebuild(fx, 0, FX_SIZE, 0);
  page0 = dxemem_phys_to_host(fx->d, 0, 0x1000);
  const uint8_t *page1 = dxemem_phys_to_host(fx->d, 0x1000, 0x1000);
  fx_add(fx, T_CONV, 0, FX_PAGES, 0);
  for (size_t i = 0; i < 0x1000; i++) {
    assert_int_equal(page0[i], 0);
    assert_int_equal(page1[i], 0xa5);
  }

  /* Conventional memory above page 0 does not touch it. */
  fx_rebuild(fx, 0, FX_SIZE, 0);
  page0 = dxemem_phys_to_host(fx->d, 0, 0x1000);
  fx_add(fx, T_CONV, 0x1000, FX_PAGES - 1, 0);
  assert_int_equal(page0[0], 0xa5);
  assert_int_equal(page0[0xfff], 0xa5);
}

#define T(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      T(test_add_merges_both_ends),
      T(test_add_merges_only_same_type_and_attribute),
      T(test_add_zero_page_entries),
      T(test_pool_entries_are_inserted_sorted),
      T(test_first_add_refuels_from_its_own_range),
      T(test_refuel_after_64_entries),
      T(test_merged_away_stack_entry_event),
      T(test_events_carry_recursion_and_function),
      T(test_event_kinds_filter),
      T(test_split_push_names_convert),
      T(test_add_range_refuses_full_stack),
      T(test_free_memory_map_stack_does_not_reenter),
      T(test_range_holds_map_entries),
      T(test_add_refusals_change_nothing),
      T(test_empty_add_at_zero_wraps),
      T(test_page_zero_zeroed_by_conventional_add),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
