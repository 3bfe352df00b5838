/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * Robustness: what dxemem does where edk2 RELEASE has undefined behaviour
 * (no page left for a refuel, a free of the allocator's own pages, entries
 * scribbled over), failure injection at every refuel in the style of
 * SQLite's test_malloc, exhaustion, many instances, the lock callbacks and
 * a shared instance used from two threads.
 */
#include "core_test.h"

#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define SP DXEMEM_MEMORY_SP
#define WB DXEMEM_MEMORY_WB

/* ---- scribbling and freeing the allocator's own pages -------------------- */

static bool count_entries(void *ctx, const dxemem_entry_info *e) {
  (void)e;
  *(int *)ctx += 1;
  return true;
}

/* Overwriting the refuel page through the host view: every call refuses
 * with VOLUME_CORRUPTED, names an address in that page, changes nothing. */
static void test_scribbled_refuel_page_is_detected(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  (void)fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_LD, 4, 0);
  uint64_t key = dxemem_get_map_key(fx->d);
  uint8_t *page = dxemem_phys_to_host(fx->d, FX_REFUEL, 0x1000);
  assert_non_null(page);
  memset(page, 0x5a, 0x1000);
  fx->broken = true;

  uint64_t memory = 0;
  assert_int_equal(
      dxemem_allocate_pages(fx->d, DXEMEM_ALLOCATE_ANY_PAGES, T_LD, 1, &memory),
      DXEMEM_VOLUME_CORRUPTED);
  assert_int_equal(memory, 0);
  uint64_t bad = dxemem_last_corruption(fx->d);
  assert_true(bad >= FX_REFUEL && bad < FX_TOP);

  uint64_t size = 0;
  int visits = 0;
  dxemem_memory_type_information bins[] = {{T_ACPI, 1}};
  assert_int_equal(dxemem_free_pages(fx->d, 0x1fb000, 4),
                   DXEMEM_VOLUME_CORRUPTED);
  assert_int_equal(dxemem_add_memory_descriptor(fx->d, T_CONV, FX_BASE, 1, 0),
                   DXEMEM_VOLUME_CORRUPTED);
  assert_int_equal(dxemem_update_memory_attributes(fx->d, FX_BASE, 1, WB),
                   DXEMEM_VOLUME_CORRUPTED);
  assert_int_equal(dxemem_get_memory_map(fx->d, &size, NULL, NULL, NULL, NULL),
                   DXEMEM_VOLUME_CORRUPTED);
  assert_int_equal(dxemem_terminate_memory_map(fx->d, key),
                   DXEMEM_VOLUME_CORRUPTED);
  assert_int_equal(dxemem_allocate_pool_pages(fx->d, T_BSD, 1, 4096, &memory),
                   DXEMEM_VOLUME_CORRUPTED);
  assert_int_equal(dxemem_free_pool_pages(fx->d, 0x1fb000, 1),
                   DXEMEM_VOLUME_CORRUPTED);
  assert_int_equal(dxemem_set_memory_type_information(fx->d, bins, 1),
                   DXEMEM_VOLUME_CORRUPTED);
  assert_int_equal(dxemem_set_runtime_granularity(fx->d, 4096),
                   DXEMEM_VOLUME_CORRUPTED);
  assert_int_equal(
      dxemem_set_memory_type_information_range(fx->d, FX_BASE, 0x1000),
      DXEMEM_VOLUME_CORRUPTED);
  assert_int_equal(dxemem_for_each_entry(fx->d, count_entries, &visits),
                   DXEMEM_VOLUME_CORRUPTED);
  assert_int_equal(visits, 0);
  (void)fx_assert_violation(fx, DXEMEM_VIOLATION_CORRUPT_ENTRY);
  assert_int_equal(dxemem_get_map_key(fx->d), key);
  dxemem_counts c = fx_counts(fx->d);
  assert_int_equal(c.map_entries, 3);
  assert_int_equal(c.stack_depth, 0);
}

/* One entry's start rewritten: the report names exactly that entry. */
static void test_scribbled_entry_is_named(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  map_view v;
  fx_read_map(fx->d, &v);
  uint64_t target = v.e[0].entry_address; /* the conventional entry */
  uint64_t *start = dxemem_phys_to_host(
      fx->d, target + offsetof(map_entry, start), sizeof(uint64_t));
  assert_non_null(start);
  *start += 0x1000;
  fx->broken = true;
  assert_int_equal(dxemem_free_pages(fx->d, FX_BASE, 1),
                   DXEMEM_VOLUME_CORRUPTED);
  assert_int_equal(dxemem_last_corruption(fx->d), target);
  /* Put back, everything works again. */
  *start -= 0x1000;
  fx->broken = false;
  (void)fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_LD, 1, 0);
}

/* A scribbled free entry (not in the map) is caught as well. */
static void test_scribbled_free_entry_is_named(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  dxemem *d = fx->d;
  entry_ref last_free = d->free_head.prev;
  uint32_t *type = dxemem_phys_to_host(d, last_free + offsetof(map_entry, type),
                                       sizeof(uint32_t));
  assert_non_null(type);
  *type = T_LD;
  fx->broken = true;
  uint64_t memory = 0;
  assert_int_equal(
      dxemem_allocate_pages(d, DXEMEM_ALLOCATE_ANY_PAGES, T_LD, 1, &memory),
      DXEMEM_VOLUME_CORRUPTED);
  assert_int_equal(dxemem_last_corruption(d), last_free);
}

/* Freeing a refuel page would hand the allocator's entries out as free
 * memory (edk2 corrupts its list later): ACCESS_DENIED, map intact. */
static void test_free_of_refuel_page_is_denied(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  state_snapshot before;
  fx_snapshot(fx->d, &before);
  assert_int_equal(dxemem_free_pages(fx->d, FX_REFUEL, 1),
                   DXEMEM_ACCESS_DENIED);
  assert_int_equal(dxemem_free_pool_pages(fx->d, FX_REFUEL, 1),
                   DXEMEM_ACCESS_DENIED);
  state_snapshot after;
  fx_snapshot(fx->d, &after);
  EXPECT_SAME_STATE(&before, &after);
}

/*
 *   0x1fd000  0x1fe000  0x1ff000
 *   |  LC    |  LD    |refuel|
 *   free(0x1fd000, 3): LC and LD are freed (pieces before the refuel page
 *   stay freed, as with NOT_FOUND), then ACCESS_DENIED
 */
static void test_free_running_into_refuel_page(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  (void)fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_LD, 1, 0);
  (void)fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_LC, 1, 0);
  assert_int_equal(dxemem_free_pages(fx->d, 0x1fd000, 3), DXEMEM_ACCESS_DENIED);
  EXPECT_MAP(fx->d, {T_CONV, 0x100000, 255, 0}, {T_BSD, FX_REFUEL, 1, 0});
}

/* ---- no page for a refuel --------------------------------------------------
 */

/* The first add needs an entry, and only conventional memory can give the
 * page: anything else is refused without a trace (edk2 loops forever). */
static void test_first_add_not_conventional(void **state) {
  core_fixture *fx = *state;
  static const uint32_t types[] = {T_MMIO, T_RESERVED, T_BSD, 0x70000000};
  for (size_t i = 0; i < 4; i++) {
    state_snapshot before;
    fx_snapshot(fx->d, &before);
    assert_int_equal(
        dxemem_add_memory_descriptor(fx->d, types[i], FX_BASE, 16, 0),
        DXEMEM_OUT_OF_RESOURCES);
    state_snapshot after;
    fx_snapshot(fx->d, &after);
    EXPECT_SAME_STATE(&before, &after);
  }
  /* Specific-purpose conventional memory cannot give it either, nor an
   * empty range. */
  assert_int_equal(dxemem_add_memory_descriptor(fx->d, T_CONV, FX_BASE, 16, SP),
                   DXEMEM_OUT_OF_RESOURCES);
  assert_int_equal(dxemem_add_memory_descriptor(fx->d, T_CONV, FX_BASE, 0, 0),
                   DXEMEM_OUT_OF_RESOURCES);
  assert_int_equal(dxemem_get_map_key(fx->d), 0);
  assert_int_equal(fx_counts(fx->d).map_entries, 0);
  /* Then real memory works, and the earlier types can follow. */
  fx_add(fx, T_CONV, 0x180000, 128, 0);
  fx_add(fx, T_MMIO, FX_BASE, 16, 0);
  EXPECT_MAP(fx->d, {T_MMIO, FX_BASE, 16, 0}, {T_CONV, 0x180000, 127, 0},
             {T_BSD, FX_REFUEL, 1, 0});
}

/* A region of one page: the refuel takes it all. */
static void test_region_of_one_page(void **state) {
  core_fixture *fx = *state;
  fx_rebuild(fx, FX_BASE, 0x1000, 0);
  fx_add_all(fx);
  EXPECT_MAP(fx->d, {T_BSD, FX_BASE, 1, 0});
  uint64_t memory = 0;
  assert_int_equal(
      dxemem_allocate_pages(fx->d, DXEMEM_ALLOCATE_ANY_PAGES, T_LD, 1, &memory),
      DXEMEM_OUT_OF_RESOURCES);
  assert_int_equal(dxemem_free_pages(fx->d, FX_BASE, 1), DXEMEM_ACCESS_DENIED);
  /* Attributes of the page can change (the list has room). */
  assert_int_equal(dxemem_update_memory_attributes(fx->d, FX_BASE, 1, WB),
                   DXEMEM_SUCCESS);
  EXPECT_MAP(fx->d, {T_BSD, FX_BASE, 1, WB});
}

/* Adds that need an entry with no free entry and no free page fail and
 * leave everything as it was; adds that merge need no entry and work. */
static void test_add_without_room_for_an_entry(void **state) {
  core_fixture *fx = *state;
  fx_add(fx, T_CONV, 0x180000, 64, 0);
  (void)fx_use_up_free_entries(fx);
  /* Use the last free pages with an allocation that merges. */
  map_view v;
  fx_read_map(fx->d, &v);
  assert_int_equal(v.e[0].type, T_CONV);
  uint32_t above = v.e[1].type;
  uint64_t pages = (v.e[0].end + 1 - v.e[0].start) >> 12;
  (void)fx_alloc(fx, DXEMEM_ALLOCATE_ADDRESS, above, pages, v.e[0].start);
  dxemem_counts c = fx_counts(fx->d);
  assert_int_equal(c.free_entries, 1);
  /* Spend the last free entry on an add that does not merge. */
  fx_add(fx, T_MMIO, FX_BASE, 1, 0);
  assert_int_equal(fx_counts(fx->d).free_entries, 0);

  state_snapshot before;
  fx_snapshot(fx->d, &before);
  assert_int_equal(
      dxemem_add_memory_descriptor(fx->d, T_MMIO, FX_BASE + PG(2), 1, 0),
      DXEMEM_OUT_OF_RESOURCES);
  assert_int_equal(
      dxemem_add_memory_descriptor(fx->d, T_CONV, FX_BASE + PG(4), 1, SP),
      DXEMEM_OUT_OF_RESOURCES);
  state_snapshot after;
  fx_snapshot(fx->d, &after);
  EXPECT_SAME_STATE(&before, &after);
  /* Merging with the MMIO entry needs no new entry. */
  fx_add(fx, T_MMIO, FX_BASE + PG(1), 1, 0);
  /* New conventional memory brings its own page for the refuel. */
  fx_add(fx, T_CONV, FX_BASE + PG(8), 8, 0);
  assert_int_equal(fx_counts(fx->d).refuel_pages, 2);
}

/*
 * Every page, one by one, alternating types, until nothing is left; the
 * failing call changes nothing. Then everything is freed again in two
 * passes (every other page first). Refuels happen along the way; at the
 * end only the refuel pages stay allocated.
 */
static void test_alloc_and_free_every_page(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  static uint64_t pages[FX_PAGES];
  size_t n = 0;
  for (;;) {
    state_snapshot before;
    fx_snapshot(fx->d, &before);
    uint64_t memory = 0;
    uint32_t type = (n % 2 == 0) ? T_LC : T_LD;
    dxemem_status status = dxemem_allocate_pages(
        fx->d, DXEMEM_ALLOCATE_ANY_PAGES, type, 1, &memory);
    if (status != DXEMEM_SUCCESS) {
      assert_int_equal(status, DXEMEM_OUT_OF_RESOURCES);
      assert_int_equal(memory, 0);
      state_snapshot after;
      fx_snapshot(fx->d, &after);
      EXPECT_SAME_STATE(&before, &after);
      break;
    }
    pages[n++] = memory;
    assert_true(n <= FX_PAGES);
  }
  fx_assert_green(fx);
  dxemem_counts c = fx_counts(fx->d);
  /* 255 allocations + 64 entries per refuel page: 4 refuel pages. */
  assert_int_equal(c.refuel_pages, 4);
  assert_int_equal(n + c.refuel_pages, FX_PAGES);
  for (size_t pass = 0; pass < 2; pass++) {
    for (size_t i = pass; i < n; i += 2) {
      fx_free(fx, pages[i], 1);
    }
    fx_assert_green(fx);
  }
  /* Free memory is everything but the refuel pages. */
  map_view v;
  fx_read_map(fx->d, &v);
  uint64_t free_pages = 0;
  uint64_t bsd_pages = 0;
  for (size_t i = 0; i < v.count; i++) {
    uint64_t p = (v.e[i].end + 1 - v.e[i].start) >> 12;
    if (v.e[i].type == T_CONV) {
      free_pages += p;
    } else {
      assert_int_equal(v.e[i].type, T_BSD);
      bsd_pages += p;
    }
  }
  assert_int_equal(bsd_pages, c.refuel_pages);
  assert_int_equal(free_pages + bsd_pages, FX_PAGES);
}

/* ---- failure injection ------------------------------------------------------
 */

/*
 * Failure at the N-th refuel, in the style of SQLite's test_malloc. Only
 * ordinary free pages can become refuel pages; specific-purpose memory
 * (EFI_MEMORY_SP) never does. The region is
 *
 *   FX_BASE          +ok               +ok+sp          +1
 *   |- ok ordinary --|------- SP conventional -------|spare|
 *
 * so refuels 1..ok succeed and refuel ok+1 finds no page. One-page
 * AllocateAddress calls of alternating types, upwards through the SP
 * range, each need one entry. The call that needs refuel ok+1 must fail
 * with OUT_OF_RESOURCES and leave the whole state as it was; so must every
 * other call that needs an entry at that point. ok = 0 is the first add
 * itself with no page for the first refuel. Afterwards everything frees
 * back, and the checker is green after every step.
 */
static void expect_refused_unchanged(core_fixture *fx, dxemem_status status,
                                     const state_snapshot *before) {
  if (status != DXEMEM_OUT_OF_RESOURCES) {
    print_error("refuel pages %llu: got %s\n",
                (unsigned long long)before->counts.refuel_pages,
                dxemem_status_name(status));
  }
  assert_int_equal(status, DXEMEM_OUT_OF_RESOURCES);
  state_snapshot after;
  fx_snapshot(fx->d, &after);
  EXPECT_SAME_STATE(before, &after);
  fx_assert_green(fx);
}

static void run_failure_at_refuel(core_fixture *fx, uint64_t ok) {
  const uint64_t sp_pages = 64 * (ok + 1) + 8;
  const uint64_t sp_base = FX_BASE + PG(ok);
  const uint64_t spare = sp_base + PG(sp_pages);
  fx_rebuild(fx, FX_BASE, PG(ok + sp_pages + 1), 0);
  state_snapshot before;
  if (ok == 0) {
    fx_snapshot(fx->d, &before);
    expect_refused_unchanged(
        fx, dxemem_add_memory_descriptor(fx->d, T_CONV, sp_base, sp_pages, SP),
        &before);
    return;
  }
  fx_add(fx, T_CONV, FX_BASE, ok, 0);
  fx_add(fx, T_CONV, sp_base, sp_pages, SP);
  uint64_t *allocated = calloc(sp_pages, sizeof *allocated);
  assert_non_null(allocated);
  size_t n = 0;
  for (;;) {
    fx_snapshot(fx->d, &before);
    uint64_t memory = sp_base + PG(n);
    uint32_t type = (n % 2 == 0) ? T_LC : T_LD;
    dxemem_status status =
        dxemem_allocate_pages(fx->d, DXEMEM_ALLOCATE_ADDRESS, type, 1, &memory);
    if (status != DXEMEM_SUCCESS) {
      expect_refused_unchanged(fx, status, &before);
      break;
    }
    allocated[n++] = memory;
    assert_true(n < sp_pages - 1);
  }
  /* It was refuel ok + 1 that failed, with the free list empty. */
  assert_int_equal(before.counts.refuel_pages, ok);
  assert_int_equal(before.counts.free_entries, 0);
  assert_true(n >= 61 + 64 * (ok - 1));

  /* Everything else that needs an entry fails the same way. */
  uint64_t memory = sp_base + PG(n + 4);
  expect_refused_unchanged(
      fx,
      dxemem_allocate_pages(fx->d, DXEMEM_ALLOCATE_ADDRESS, T_BSC, 1, &memory),
      &before);
  /* (Keeping SP: without it the pages would pay for their own refuel.) */
  expect_refused_unchanged(
      fx,
      dxemem_update_memory_attributes(fx->d, sp_base + PG(n + 2), 2, SP | WB),
      &before);
  expect_refused_unchanged(
      fx, dxemem_add_memory_descriptor(fx->d, T_MMIO, spare, 1, 0), &before);
  memory = 0;
  expect_refused_unchanged(
      fx,
      dxemem_allocate_pages(fx->d, DXEMEM_ALLOCATE_ANY_PAGES, T_LD, 1, &memory),
      &before);
  expect_refused_unchanged(
      fx, dxemem_allocate_pool_pages(fx->d, T_BSD, 1, 4096, &memory), &before);

  /* Free back, newest first: each free merges with the free SP range. */
  for (size_t i = n; i-- > 0;) {
    fx_free(fx, allocated[i], 1);
  }
  fx_assert_green(fx);
  EXPECT_MAP(fx->d, {T_BSD, FX_BASE, ok, 0}, {T_CONV, sp_base, sp_pages, SP});
  free(allocated);
}

static void test_failure_injection_at_each_refuel(void **state) {
  core_fixture *fx = *state;
  for (uint64_t ok = 0; ok <= 5; ok++) {
    run_failure_at_refuel(fx, ok);
  }
}

/* ---- a multi-entry free whose second piece cannot get an entry ---------- */

/*
 * Specific-purpose memory is never used for refuels, so freeing it cannot
 * pay for its own entry:
 *
 *   0x1c0000  0x1c1000
 *   | LD, SP |  LC 3 pages, SP|WB  |      (everything else used up)
 *   free(0x1c0000, 2): piece 1 (LD) needs no new entry and is freed;
 *   piece 2 (first LC page) needs one, no page is left: OUT_OF_RESOURCES,
 *   piece 2 rolled back, piece 1 stays freed.
 */
static void test_multi_piece_free_rolls_back_failing_piece(void **state) {
  core_fixture *fx = *state;
  fx_add(fx, T_CONV, FX_BASE, 128, 0);
  fx_add(fx, T_CONV, 0x1c0000, 1, SP);
  fx_add(fx, T_CONV, 0x1c1000, 3, SP | WB);
  (void)fx_alloc(fx, DXEMEM_ALLOCATE_ADDRESS, T_LD, 1, 0x1c0000);
  (void)fx_alloc(fx, DXEMEM_ALLOCATE_ADDRESS, T_LC, 3, 0x1c1000);
  (void)fx_use_up_free_entries(fx);
  /* Use up the remaining ordinary free memory without taking an entry. */
  map_view v;
  fx_read_map(fx->d, &v);
  assert_int_equal(v.e[0].type, T_CONV);
  uint32_t other = v.e[1].type == T_LC ? T_LD : T_LC;
  (void)fx_alloc(fx, DXEMEM_ALLOCATE_ADDRESS, other,
                 (v.e[0].end + 1 - v.e[0].start) >> 12, v.e[0].start);
  assert_int_equal(fx_counts(fx->d).free_entries, 0);

  uint64_t key = dxemem_get_map_key(fx->d);
  assert_int_equal(dxemem_free_pages(fx->d, 0x1c0000, 2),
                   DXEMEM_OUT_OF_RESOURCES);
  fx_read_map(fx->d, &v);
  size_t i = v.count - 2;
  assert_int_equal(v.e[i].type, T_CONV);
  assert_int_equal(v.e[i].start, 0x1c0000);
  assert_int_equal(v.e[i].end, 0x1c0fff);
  assert_int_equal(v.e[i].attribute, SP);
  assert_int_equal(v.e[i + 1].type, T_LC);
  assert_int_equal(v.e[i + 1].start, 0x1c1000);
  assert_int_equal(v.e[i + 1].end, 0x1c3fff);
  /* One key step: piece 1 only. */
  assert_int_equal(dxemem_get_map_key(fx->d), key + 1);
  assert_int_equal(fx_counts(fx->d).free_entries, 0);
}

/* ---- instances ----------------------------------------------------------- */

typedef struct hosted {
  void *storage;
  void *host;
  dxemem *d;
} hosted;

static void hosted_create(hosted *h, uint64_t base, uint64_t size) {
  h->storage = aligned_alloc(64, (dxemem_instance_size() + 63) & ~(size_t)63);
  h->host = aligned_alloc(4096, (size_t)size);
  assert_non_null(h->storage);
  assert_non_null(h->host);
  dxemem_config c;
  memset(&c, 0, sizeof c);
  c.region_base = base;
  c.region_size = size;
  c.region_host = h->host;
  assert_int_equal(dxemem_create(h->storage, dxemem_instance_size(), &c, &h->d),
                   DXEMEM_SUCCESS);
}

static void hosted_destroy(hosted *h) {
  dxemem_destroy(h->d);
  free(h->storage);
  free(h->host);
}

/* Sixteen instances side by side, driven in turn, stay independent. */
static void test_many_instances_side_by_side(void **state) {
  (void)state;
  enum { N = 16 };
  hosted h[N];
  for (size_t i = 0; i < N; i++) {
    hosted_create(&h[i], FX_BASE, PG(16 + i));
    assert_int_equal(
        dxemem_add_memory_descriptor(h[i].d, T_CONV, FX_BASE, 16 + i, 0),
        DXEMEM_SUCCESS);
  }
  for (size_t round = 0; round < 4; round++) {
    for (size_t i = 0; i < N; i++) {
      uint64_t memory = 0;
      assert_int_equal(dxemem_allocate_pages(h[i].d, DXEMEM_ALLOCATE_ANY_PAGES,
                                             round % 2 ? T_LC : T_LD, 1,
                                             &memory),
                       DXEMEM_SUCCESS);
      assert_int_equal(memory, FX_BASE + PG(16 + i - 2 - round));
    }
  }
  for (size_t i = 0; i < N; i++) {
    assert_int_equal(dxemem_get_map_key(h[i].d), 6);
    dxemem_counts c;
    assert_int_equal(dxemem_get_counts(h[i].d, &c), DXEMEM_SUCCESS);
    assert_int_equal(c.map_entries, 6);
    assert_int_equal(dxemem_check(h[i].d, NULL), DXEMEM_SUCCESS);
    /* Each map lies in its own host memory. */
    uint64_t phys = 0;
    assert_true(dxemem_host_to_phys(h[i].d, h[i].host, &phys));
    assert_false(i > 0 && dxemem_host_to_phys(h[i].d, h[0].host, &phys));
  }
  for (size_t i = 0; i < N; i++) {
    hosted_destroy(&h[i]);
  }
}

/* Create, use and destroy in a loop: no leak (the sanitizer build checks),
 * and every new instance starts from the initial state. */
static void test_create_destroy_loop(void **state) {
  (void)state;
  for (int i = 0; i < 500; i++) {
    hosted h;
    hosted_create(&h, FX_BASE, PG(8));
    assert_int_equal(dxemem_get_map_key(h.d), 0);
    assert_int_equal(dxemem_add_memory_descriptor(h.d, T_CONV, FX_BASE, 8, 0),
                     DXEMEM_SUCCESS);
    uint64_t memory = 0;
    assert_int_equal(
        dxemem_allocate_pages(h.d, DXEMEM_ALLOCATE_ANY_PAGES, T_LD, 2, &memory),
        DXEMEM_SUCCESS);
    assert_int_equal(dxemem_free_pages(h.d, memory, 2), DXEMEM_SUCCESS);
    assert_int_equal(dxemem_check(h.d, NULL), DXEMEM_SUCCESS);
    hosted_destroy(&h);
  }
}

/* ---- locking ---------------------------------------------------------------
 */

static void expect_balanced(core_fixture *fx, int calls_before) {
  assert_int_equal(fx->lock_depth, 0);
  assert_false(fx->lock_nested);
  assert_int_equal(fx->lock_calls, fx->unlock_calls);
  assert_true(fx->lock_calls > calls_before);
}

/* Every call that takes the lock releases it once, on every path:
 * success, refusal, failure, corruption. */
static void test_lock_unlock_in_pairs(void **state) {
  core_fixture *fx = *state;
  fx_count_locks(fx);
  int n = fx->lock_calls;
  dxemem_memory_type_information bins[] = {{T_ACPI, 2}};
  assert_int_equal(dxemem_set_memory_type_information(fx->d, bins, 1),
                   DXEMEM_SUCCESS);
  expect_balanced(fx, n);
  n = fx->lock_calls;
  assert_int_equal(dxemem_set_runtime_granularity(fx->d, 1),
                   DXEMEM_INVALID_PARAMETER);
  expect_balanced(fx, n);
  n = fx->lock_calls;
  fx_add_all(fx);
  expect_balanced(fx, n);
  n = fx->lock_calls;
  uint64_t memory = 0;
  assert_int_equal(dxemem_allocate_pages(fx->d, 7, T_LD, 1, &memory),
                   DXEMEM_INVALID_PARAMETER);
  expect_balanced(fx, n);
  n = fx->lock_calls;
  memory = fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_LD, 2, 0);
  expect_balanced(fx, n);
  n = fx->lock_calls;
  assert_int_equal(dxemem_free_pages(fx->d, FX_REFUEL, 1),
                   DXEMEM_ACCESS_DENIED);
  expect_balanced(fx, n);
  n = fx->lock_calls;
  uint64_t size = 0;
  (void)dxemem_get_memory_map(fx->d, &size, NULL, NULL, NULL, NULL);
  expect_balanced(fx, n);
  n = fx->lock_calls;
  (void)dxemem_terminate_memory_map(fx->d, 0);
  expect_balanced(fx, n);
  n = fx->lock_calls;
  (void)dxemem_set_memory_type_information_range(fx->d, FX_BASE, 0x1000);
  expect_balanced(fx, n);
  n = fx->lock_calls;
  fx_assert_green(fx);
  expect_balanced(fx, n);
  n = fx->lock_calls;
  map_view v;
  fx_read_map(fx->d, &v);
  expect_balanced(fx, n);
  n = fx->lock_calls;
  (void)dxemem_update_memory_attributes(fx->d, memory, 1, WB);
  (void)dxemem_allocate_pool_pages(fx->d, T_BSD, 1, 4096, &memory);
  (void)dxemem_free_pool_pages(fx->d, memory, 1);
  expect_balanced(fx, n);

  /* Readers never leave the lock held either. */
  n = fx->lock_calls;
  state_snapshot snapshot;
  fx_snapshot(fx->d, &snapshot);
  assert_int_equal(fx->lock_depth, 0);
  assert_false(fx->lock_nested);
  assert_int_equal(fx->lock_calls, fx->unlock_calls);
  assert_true(fx->lock_calls >= n);

  /* The corruption path releases the lock too. */
  n = fx->lock_calls;
  uint8_t *page = dxemem_phys_to_host(fx->d, FX_REFUEL, 0x1000);
  memset(page, 0, 0x1000);
  fx->broken = true;
  assert_int_equal(dxemem_free_pages(fx->d, memory, 1),
                   DXEMEM_VOLUME_CORRUPTED);
  expect_balanced(fx, n);
}

/* Two threads share one instance; a pthread mutex is its lock. Each thread
 * allocates and frees its own pages; at the end the map is as it started
 * and the key counts every call. */
typedef struct shared_instance {
  pthread_mutex_t mutex;
  dxemem *d;
  int failures;
} shared_instance;

static void shared_lock(void *ctx) {
  pthread_mutex_lock(&((shared_instance *)ctx)->mutex);
}

static void shared_unlock(void *ctx) {
  pthread_mutex_unlock(&((shared_instance *)ctx)->mutex);
}

enum { THREAD_ROUNDS = 2000 };

static void *thread_body(void *arg) {
  shared_instance *s = arg;
  int failures = 0;
  for (int i = 0; i < THREAD_ROUNDS; i++) {
    uint64_t a = 0;
    uint64_t b = 0;
    failures +=
        dxemem_allocate_pages(s->d, DXEMEM_ALLOCATE_ANY_PAGES, T_LD,
                              1 + (uint64_t)(i % 3), &a) != DXEMEM_SUCCESS;
    failures += dxemem_allocate_pages(s->d, DXEMEM_ALLOCATE_ANY_PAGES, T_LC, 1,
                                      &b) != DXEMEM_SUCCESS;
    failures +=
        dxemem_free_pages(s->d, a, 1 + (uint64_t)(i % 3)) != DXEMEM_SUCCESS;
    failures += dxemem_free_pages(s->d, b, 1) != DXEMEM_SUCCESS;
  }
  pthread_mutex_lock(&s->mutex);
  s->failures += failures;
  pthread_mutex_unlock(&s->mutex);
  return NULL;
}

static void test_shared_instance_two_threads(void **state) {
  core_fixture *fx = *state;
  shared_instance s;
  assert_int_equal(pthread_mutex_init(&s.mutex, NULL), 0);
  s.failures = 0;
  fx->config.user_context = &s;
  fx->config.lock = shared_lock;
  fx->config.unlock = shared_unlock;
  fx_rebuild(fx, FX_BASE, FX_SIZE, 0);
  s.d = fx->d;
  fx_add_all(fx);
  uint64_t key = dxemem_get_map_key(fx->d);
  pthread_t threads[2];
  for (int i = 0; i < 2; i++) {
    assert_int_equal(pthread_create(&threads[i], NULL, thread_body, &s), 0);
  }
  for (int i = 0; i < 2; i++) {
    assert_int_equal(pthread_join(threads[i], NULL), 0);
  }
  assert_int_equal(s.failures, 0);
  EXPECT_MAP(fx->d, {T_CONV, FX_BASE, 255, 0}, {T_BSD, FX_REFUEL, 1, 0});
  /* One conversion piece per call, no refuel needed. */
  assert_int_equal(dxemem_get_map_key(fx->d), key + 2 * 4 * THREAD_ROUNDS);
  fx_assert_green(fx);
  fx->config.lock = NULL; /* the mutex dies with this test */
  fx->config.unlock = NULL;
  fx_rebuild(fx, FX_BASE, FX_SIZE, 0);
  pthread_mutex_destroy(&s.mutex);
}

/* ---- events
 * ------------------------------------------------------------------ */

/*
 * A one-page allocation under the refuel page and its free:
 *   alloc: convert [0x1fe000] to LD, add range LD, push, pop
 *   free:  convert to conv, add range conv (merging down to 0x100000),
 *          push the merged range, pop
 */
static void test_event_sequence_of_simple_alloc_and_free(void **state) {
  core_fixture *fx = *state;
  fx_log_events(fx);
  fx_add_all(fx);
  fx_clear_events(fx);
  uint64_t at = fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_LD, 1, 0);
  assert_int_equal(at, 0x1fe000);
  static const struct {
    dxemem_event_kind kind;
    uint32_t type;
    uint64_t start, end;
    uint32_t depth;
  } want[] = {
      {DXEMEM_EVENT_CONVERT_TYPE, T_LD, 0x1fe000, 0x1fefff, 0},
      {DXEMEM_EVENT_ADD_RANGE, T_LD, 0x1fe000, 0x1fefff, 0},
      {DXEMEM_EVENT_STACK_PUSH, T_LD, 0x1fe000, 0x1fefff, 1},
      {DXEMEM_EVENT_STACK_POP, T_LD, 0x1fe000, 0x1fefff, 0},
      {DXEMEM_EVENT_CONVERT_TYPE, T_CONV, 0x1fe000, 0x1fefff, 0},
      {DXEMEM_EVENT_ADD_RANGE, T_CONV, 0x1fe000, 0x1fefff, 0},
      {DXEMEM_EVENT_STACK_PUSH, T_CONV, 0x100000, 0x1fefff, 1},
      {DXEMEM_EVENT_STACK_POP, T_CONV, 0x100000, 0x1fefff, 0},
      {DXEMEM_EVENT_CONVERT_ATTRIBUTE, T_CONV, 0x140000, 0x140fff, 0},
  };
  assert_int_equal(fx->event_count, 4);
  fx_free(fx, at, 1);
  assert_int_equal(fx->event_count, 8);
  assert_int_equal(dxemem_update_memory_attributes(fx->d, 0x140000, 1, WB),
                   DXEMEM_SUCCESS);
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
    const dxemem_event *e = &fx->events[i];
    assert_int_equal(e->kind, want[i].kind);
    assert_int_equal(e->type, want[i].type);
    assert_int_equal(e->start, want[i].start);
    assert_int_equal(e->end, want[i].end);
    assert_int_equal(e->depth, want[i].depth);
    assert_false(e->merged_away);
  }
  assert_int_equal(fx->events[8].attribute, WB);
}

#define T(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      T(test_scribbled_refuel_page_is_detected),
      T(test_scribbled_entry_is_named),
      T(test_scribbled_free_entry_is_named),
      T(test_free_of_refuel_page_is_denied),
      T(test_free_running_into_refuel_page),
      T(test_first_add_not_conventional),
      T(test_region_of_one_page),
      T(test_add_without_room_for_an_entry),
      T(test_alloc_and_free_every_page),
      T(test_failure_injection_at_each_refuel),
      T(test_multi_piece_free_rolls_back_failing_piece),
      T(test_many_instances_side_by_side),
      T(test_create_destroy_loop),
      T(test_lock_unlock_in_pairs),
      T(test_shared_instance_two_threads),
      T(test_event_sequence_of_simple_alloc_and_free),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
