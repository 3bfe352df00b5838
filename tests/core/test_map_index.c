/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * The address-ordered index (map_index.c): insert, remove and neighbours
 * against the list, the augmented free search against the exact walk on
 * random maps, an indexed instance against a list-path twin call for call,
 * when the index is dropped, and the touched check level.
 */
#include "core_test.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* ---- two instances over twin regions ------------------------------------ */

typedef struct twin {
  void *host;
  void *storage;
  void *index;
  dxemem *d;
} twin;

static void twin_make(twin *t, uint64_t base, uint64_t size, bool list_path,
                      size_t index_bytes, dxemem_check_level level) {
  memset(t, 0, sizeof *t);
  t->host = aligned_alloc(4096, (size_t)size);
  t->storage = aligned_alloc(64, (dxemem_instance_size() + 63) & ~(size_t)63);
  assert_non_null(t->host);
  assert_non_null(t->storage);
  memset(t->host, 0xa5, (size_t)size);
  dxemem_config c;
  memset(&c, 0, sizeof c);
  c.region_base = base;
  c.region_size = size;
  c.region_host = t->host;
  c.list_path = list_path;
  c.check_level = level;
  if (!list_path) {
    t->index = aligned_alloc(64, (index_bytes + 63) & ~(size_t)63);
    assert_non_null(t->index);
    memset(t->index, 0x5a, index_bytes);
    c.index_storage = t->index;
    c.index_storage_size = index_bytes;
  }
  assert_int_equal(
      dxemem_create(t->storage, dxemem_instance_size(), &c, &t->d),
      DXEMEM_SUCCESS);
}

static void twin_free(twin *t) {
  dxemem_destroy(t->d);
  free(t->host);
  free(t->storage);
  free(t->index);
}

static size_t index_for(uint64_t size) {
  return dxemem_index_size(dxemem_index_entries_for_region(size));
}

typedef struct entry_list {
  dxemem_entry_info e[4096];
  size_t n;
} entry_list;

static bool collect(void *ctx, const dxemem_entry_info *e) {
  entry_list *l = ctx;
  assert_true(l->n < 4096);
  l->e[l->n++] = *e;
  return true;
}

static bool d_index_ok(dxemem *d) {
  uint64_t bad = 0;
  return !d->indexed || dx_index_matches_list(d, &bad);
}

/* Same map, same entry addresses (so the same free-list order), same
 * counts, key and default base. */
static void expect_same(dxemem *a, dxemem *b) {
  static entry_list la;
  static entry_list lb;
  la.n = 0;
  lb.n = 0;
  assert_int_equal(dxemem_for_each_entry(a, collect, &la), DXEMEM_SUCCESS);
  assert_int_equal(dxemem_for_each_entry(b, collect, &lb), DXEMEM_SUCCESS);
  assert_int_equal(la.n, lb.n);
  assert_memory_equal(la.e, lb.e, la.n * sizeof la.e[0]);
  dxemem_counts ca = fx_counts(a);
  dxemem_counts cb = fx_counts(b);
  assert_memory_equal(&ca, &cb, sizeof ca);
  assert_int_equal(dxemem_get_map_key(a), dxemem_get_map_key(b));
  uint64_t base_a, max_a, base_b, max_b;
  assert_int_equal(dxemem_get_default_range(a, &base_a, &max_a), 0);
  assert_int_equal(dxemem_get_default_range(b, &base_b, &max_b), 0);
  assert_int_equal(base_a, base_b);
  assert_int_equal(d_index_ok(a), true);
  dxemem_violation v;
  assert_int_equal(dxemem_check(a, &v), DXEMEM_SUCCESS);
}

static uint64_t rnd(uint64_t *s) {
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}

#define REGION_BASE UINT64_C(0x100000)
#define REGION_SIZE UINT64_C(0x1000000) /* 16 MiB, 4096 pages */
#define LIVE 256

static const uint32_t alloc_types[] = {T_LD, T_LC, T_BSD, T_BSC, T_RTD,
                                       T_ACPI, T_NVS, T_RESERVED};

/* One random call on both instances; statuses and outputs must agree. */
static void random_step(twin *a, twin *b, uint64_t *seed, uint64_t *live,
                        uint64_t *live_pages) {
  uint64_t op = rnd(seed) % 10;
  uint64_t slot = rnd(seed) % LIVE;
  uint32_t type = alloc_types[rnd(seed) % 8];
  uint64_t pages = 1 + rnd(seed) % 24;
  dxemem_status sa, sb;
  uint64_t ma = 0, mb = 0;
  if (op < 5 && live[slot] == 0) {
    uint32_t how = (uint32_t)(rnd(seed) % 3);
    uint64_t at = REGION_BASE + PG(rnd(seed) % (REGION_SIZE >> 12));
    ma = mb = how == DXEMEM_ALLOCATE_ANY_PAGES ? 0 : at;
    sa = dxemem_allocate_pages(a->d, how, type, pages, &ma);
    sb = dxemem_allocate_pages(b->d, how, type, pages, &mb);
    assert_int_equal(sa, sb);
    assert_int_equal(ma, mb);
    if (sa == DXEMEM_SUCCESS) {
      live[slot] = ma;
      live_pages[slot] = pages;
    }
  } else if (op < 8 && live[slot] != 0) {
    sa = dxemem_free_pages(a->d, live[slot], live_pages[slot]);
    sb = dxemem_free_pages(b->d, live[slot], live_pages[slot]);
    assert_int_equal(sa, sb);
    live[slot] = 0;
  } else if (op == 8) {
    /* Attributes, EFI_MEMORY_SP included: the search must skip those. */
    uint64_t at = REGION_BASE + PG(rnd(seed) % (REGION_SIZE >> 12));
    uint64_t attr = (rnd(seed) % 3 == 0) ? DXEMEM_MEMORY_SP : 0;
    sa = dxemem_update_memory_attributes(a->d, at, pages, attr);
    sb = dxemem_update_memory_attributes(b->d, at, pages, attr);
    assert_int_equal(sa, sb);
  } else {
    uint64_t align = UINT64_C(4096) << (rnd(seed) % 6);
    sa = dxemem_allocate_pool_pages(a->d, T_BSD, pages, align, &ma);
    sb = dxemem_allocate_pool_pages(b->d, T_BSD, pages, align, &mb);
    assert_int_equal(sa, sb);
    assert_int_equal(ma, mb);
  }
}

static void add_fragmented(twin *t) {
  /* Several descriptors with holes and a special-purpose one. */
  assert_int_equal(dxemem_add_memory_descriptor(t->d, T_CONV, REGION_BASE,
                                                1024, 0),
                   DXEMEM_SUCCESS);
  assert_int_equal(dxemem_add_memory_descriptor(
                       t->d, T_CONV, REGION_BASE + PG(1100), 900, 0),
                   DXEMEM_SUCCESS);
  assert_int_equal(dxemem_add_memory_descriptor(t->d, T_CONV,
                                                REGION_BASE + PG(2100), 200,
                                                DXEMEM_MEMORY_SP),
                   DXEMEM_SUCCESS);
  assert_int_equal(dxemem_add_memory_descriptor(
                       t->d, T_CONV, REGION_BASE + PG(2400), 1600, 0),
                   DXEMEM_SUCCESS);
}

/* An indexed instance (index_bytes of storage) beside a list-path twin,
 * both over the fragmented map, driven by the same random calls. */
typedef struct pair {
  twin indexed, listed;
  uint64_t seed;
  uint64_t live[LIVE], live_pages[LIVE];
} pair;

static void pair_make(pair *p, size_t index_bytes, dxemem_check_level level,
                      uint64_t seed) {
  memset(p, 0, sizeof *p);
  twin_make(&p->indexed, REGION_BASE, REGION_SIZE, false, index_bytes, level);
  twin_make(&p->listed, REGION_BASE, REGION_SIZE, true, 0, level);
  add_fragmented(&p->indexed);
  add_fragmented(&p->listed);
  p->seed = seed;
}

static void pair_steps(pair *p, int steps) {
  for (int i = 0; i < steps; i++) {
    random_step(&p->indexed, &p->listed, &p->seed, p->live, p->live_pages);
  }
}

static void pair_free(pair *p) {
  twin_free(&p->indexed);
  twin_free(&p->listed);
}

/* One indexed instance over the fragmented map. */
static dxemem *single_make(twin *t, dxemem_check_level level) {
  twin_make(t, REGION_BASE, REGION_SIZE, false, index_for(REGION_SIZE), level);
  add_fragmented(t);
  return t->d;
}

/* The indexed instance matches the list path call for call: statuses,
 * addresses, map, entry addresses, counts, key. */
static void test_indexed_matches_list_path(void **state) {
  (void)state;
  pair p;
  pair_make(&p, index_for(REGION_SIZE), DXEMEM_CHECK_TOUCHED,
            0x9e3779b97f4a7c15u);
  assert_true(dxemem_index_active(p.indexed.d));
  assert_false(dxemem_index_active(p.listed.d));
  for (int i = 0; i < 6000; i++) {
    pair_steps(&p, 1);
    if (i % 97 == 0) {
      expect_same(p.indexed.d, p.listed.d);
    }
  }
  expect_same(p.indexed.d, p.listed.d);
  assert_true(dxemem_index_active(p.indexed.d));
  pair_free(&p);
}

/* ---- the augmented search against the exact walk ------------------------ */

static void test_free_search_against_walk(void **state) {
  (void)state;
  pair p;
  pair_make(&p, index_for(REGION_SIZE), DXEMEM_CHECK_FULL, 12345);
  int found = 0;
  for (int round = 0; round < 40; round++) {
    pair_steps(&p, 100);
    dxemem *d = p.indexed.d;
    for (int k = 0; k < 300; k++) {
      free_query q;
      memset(&q, 0, sizeof q);
      uint64_t hi = REGION_BASE + PG(rnd(&p.seed) % (REGION_SIZE >> 12) + 1);
      q.max_address = rnd(&p.seed) % 4 == 0 ? UINT64_MAX : hi - 1;
      q.max_address |= DXEMEM_PAGE_MASK;
      q.min_address = rnd(&p.seed) % 2 ? 0 : REGION_BASE + PG(rnd(&p.seed) % 4096);
      q.pages = 1 + rnd(&p.seed) % (rnd(&p.seed) % 2 ? 8 : 600);
      q.bytes = q.pages << DXEMEM_PAGE_SHIFT;
      q.alignment = UINT64_C(4096) << (rnd(&p.seed) % 8);
      q.exact_walk = false;
      uint64_t fast = dx_map_highest_free_end(d, &q);
      q.exact_walk = true;
      uint64_t walk = dx_map_highest_free_end(d, &q);
      assert_int_equal(fast, walk);
      found += fast != 0;
    }
  }
  assert_true(found > 1000); /* the queries were not all misses */
  pair_free(&p);
}

/* ---- insert, remove, neighbours ----------------------------------------- */

static void expect_neighbours(dxemem *d, uint64_t address) {
  entry_ref floor = REF_NULL, above = REF_NULL;
  uint64_t floor_start = 0, above_start = UINT64_MAX;
  entry_ref r = dx_list_first(d, REF_MAP_HEAD);
  for (; r != REF_MAP_HEAD; r = dx_list_next(d, r)) {
    const map_entry *e = dx_node(d, r);
    if (e->start <= address && (floor == REF_NULL || e->start >= floor_start)) {
      floor = r;
      floor_start = e->start;
    }
    if (e->start > address && e->start <= above_start) {
      above = r;
      above_start = e->start;
    }
  }
  assert_int_equal(dx_index_floor(d, address), floor);
  assert_int_equal(dx_index_above(d, address), above);
}

static void test_insert_remove_neighbours(void **state) {
  (void)state;
  pair p;
  pair_make(&p, index_for(REGION_SIZE), DXEMEM_CHECK_FULL, 777);
  pair_steps(&p, 1500);
  dxemem *d = p.indexed.d;
  uint64_t bad = 0;
  assert_true(dx_index_matches_list(d, &bad));
  for (int k = 0; k < 500; k++) {
    expect_neighbours(d, REGION_BASE + (rnd(&p.seed) % REGION_SIZE));
  }
  expect_neighbours(d, 0);
  expect_neighbours(d, UINT64_MAX);
  /* Take every other pool entry out and put it back: the tree stays a
   * balanced, correctly augmented copy of the list. */
  entry_ref taken[2048];
  size_t n = 0;
  entry_ref r = dx_list_first(d, REF_MAP_HEAD);
  for (size_t i = 0; r != REF_MAP_HEAD; r = dx_list_next(d, r), i++) {
    if (i % 2 == 0 && n < 2048) {
      taken[n++] = r;
    }
  }
  for (size_t i = 0; i < n; i++) {
    dx_index_remove(d, taken[i]);
    assert_int_not_equal(dx_index_floor(d, dx_node(d, taken[i])->start),
                         taken[i]);
  }
  assert_false(dx_index_matches_list(d, &bad)); /* the check can fail */
  for (size_t i = n; i-- > 0;) {
    dx_index_insert(d, taken[i]);
  }
  assert_true(dx_index_matches_list(d, &bad));
  /* Removing what is not there changes nothing. */
  dx_index_remove(d, taken[0]);
  dx_index_remove(d, taken[0]);
  dx_index_insert(d, taken[0]);
  assert_true(dx_index_matches_list(d, &bad));
  /* A rebuild gives the same answers. */
  dx_index_rebuild(d);
  assert_true(dx_index_matches_list(d, &bad));
  expect_same(p.indexed.d, p.listed.d);
  pair_free(&p);
}

/* A scribbled node of the index is found by the full check level. */
static void test_scribbled_index_is_found(void **state) {
  (void)state;
  twin a;
  single_make(&a, DXEMEM_CHECK_FULL);
  uint64_t m = 0;
  assert_int_equal(dxemem_allocate_pages(a.d, 0, T_LD, 3, &m), 0);
  index_node *nodes = a.index;
  nodes[1].end ^= 0x1000; /* some live node */
  assert_int_equal(dxemem_allocate_pages(a.d, 0, T_LD, 3, &m),
                   DXEMEM_VOLUME_CORRUPTED);
  dxemem_violation v;
  assert_int_equal(dxemem_check(a.d, &v), DXEMEM_VOLUME_CORRUPTED);
  assert_int_equal(v.kind, DXEMEM_VIOLATION_CORRUPT_ENTRY);
  nodes[1].end ^= 0x1000;
  assert_int_equal(dxemem_allocate_pages(a.d, 0, T_LD, 3, &m), 0);
  twin_free(&a);
}

/* The block hint in each entry is only a hint: scribbled over every entry
 * of the map, it leaves every answer and the state the list path's. */
static void test_scribbled_block_hints_change_nothing(void **state) {
  (void)state;
  pair p;
  pair_make(&p, index_for(REGION_SIZE), DXEMEM_CHECK_FULL, 4242);
  pair_steps(&p, 600);
  dxemem *d = p.indexed.d;
  size_t scribbled = 0;
  for (entry_ref r = dx_list_first(d, REF_MAP_HEAD); r != REF_MAP_HEAD;
       r = dx_list_next(d, r)) {
    uint8_t *hint = dx_node(d, r)->index_block;
    if (scribbled % 2 == 0) {
      hint[0] ^= 1u; /* another refuel page's block */
    } else {
      hint[2] = 0xff; /* no block at all */
    }
    scribbled++;
  }
  assert_true(scribbled > 100);
  uint64_t bad = 0;
  assert_true(dx_index_matches_list(d, &bad));
  pair_steps(&p, 600);
  assert_true(dx_index_matches_list(d, &bad));
  expect_same(p.indexed.d, p.listed.d);
  pair_free(&p);
}

/* ---- when the index steps aside ----------------------------------------- */

static void test_overlapping_or_empty_add_drops_index(void **state) {
  (void)state;
  twin a, b;
  twin_make(&a, REGION_BASE, REGION_SIZE, false, index_for(REGION_SIZE),
            DXEMEM_CHECK_TOUCHED);
  twin_make(&b, REGION_BASE, REGION_SIZE, false, index_for(REGION_SIZE),
            DXEMEM_CHECK_TOUCHED);
  add_fragmented(&a);
  add_fragmented(&b);
  /* Empty add: an entry that covers nothing. */
  assert_int_equal(dxemem_add_memory_descriptor(a.d, T_MMIO,
                                                REGION_BASE + PG(1050), 0, 0),
                   DXEMEM_SUCCESS);
  assert_false(dxemem_index_active(a.d));
  /* Overlap. */
  assert_int_equal(dxemem_add_memory_descriptor(b.d, T_CONV,
                                                REGION_BASE + PG(10), 4, 0),
                   DXEMEM_SUCCESS);
  assert_false(dxemem_index_active(b.d));
  uint64_t m = 0;
  assert_int_equal(dxemem_allocate_pages(a.d, 0, T_LD, 3, &m), 0);
  assert_int_equal(dxemem_allocate_pages(b.d, 0, T_LD, 3, &m), 0);
  twin_free(&a);
  twin_free(&b);
}

/* Storage for one refuel page only: the second refuel drops the index and
 * the instance goes on with the list, with the same results. */
static void test_full_storage_falls_back(void **state) {
  (void)state;
  pair p;
  pair_make(&p, dxemem_index_size(64), DXEMEM_CHECK_FULL, 99);
  pair_steps(&p, 800);
  assert_true(fx_counts(p.indexed.d).refuel_pages > 1);
  assert_false(dxemem_index_active(p.indexed.d));
  expect_same(p.indexed.d, p.listed.d);
  pair_free(&p);
}

static void test_index_sizes_and_bad_storage(void **state) {
  (void)state;
  assert_int_equal(dxemem_index_size(0), 0);
  assert_int_equal(dxemem_index_size(1), 64 * 32 + 24);
  assert_int_equal(dxemem_index_size(64), 64 * 32 + 24);
  assert_int_equal(dxemem_index_size(65), 2 * (64 * 32 + 24));
  assert_int_equal(dxemem_index_size(UINT64_MAX), SIZE_MAX);
  assert_int_equal(dxemem_index_entries_for_region(UINT64_C(1) << 30),
                   262144 + 6 + 128);
  assert_false(dxemem_index_active(NULL));
  static uint64_t storage[8192];
  static uint64_t index[1024];
  static uint64_t region[8192];
  dxemem_config c;
  memset(&c, 0, sizeof c);
  c.region_base = 0;
  c.region_size = sizeof region;
  c.region_host = region;
  c.index_storage = (uint8_t *)index + 4;
  c.index_storage_size = sizeof index - 8;
  dxemem *d = NULL;
  assert_int_equal(dxemem_create(storage, sizeof storage, &c, &d),
                   DXEMEM_INVALID_PARAMETER);
  c.index_storage = index;
  c.index_storage_size = 100;
  assert_int_equal(dxemem_create(storage, sizeof storage, &c, &d),
                   DXEMEM_INVALID_PARAMETER);
  c.index_storage_size = sizeof index;
  c.check_level = (dxemem_check_level)7;
  assert_int_equal(dxemem_create(storage, sizeof storage, &c, &d),
                   DXEMEM_INVALID_PARAMETER);
  c.check_level = DXEMEM_CHECK_TOUCHED;
  assert_int_equal(dxemem_create(storage, sizeof storage, &c, &d),
                   DXEMEM_SUCCESS);
  assert_true(dxemem_index_active(d));
  /* list_path wins over storage. */
  c.list_path = true;
  assert_int_equal(dxemem_create(storage, sizeof storage, &c, &d),
                   DXEMEM_SUCCESS);
  assert_false(dxemem_index_active(d));
}

/* ---- the touched check level -------------------------------------------- */

static entry_ref entry_starting_at(dxemem *d, uint64_t start) {
  entry_ref r = dx_list_first(d, REF_MAP_HEAD);
  for (; r != REF_MAP_HEAD; r = dx_list_next(d, r)) {
    if (dx_node(d, r)->start == start) {
      return r;
    }
  }
  fail_msg("no entry at %#llx", (unsigned long long)start);
  return REF_NULL;
}

/* A call refused over a scribbled entry: EFI_VOLUME_CORRUPTED, the entry
 * named, nothing changed (the key is the one before). */
static void expect_corrupted(dxemem *d, dxemem_status status, entry_ref bad,
                             uint64_t key) {
  assert_int_equal(status, DXEMEM_VOLUME_CORRUPTED);
  assert_int_equal(dxemem_last_corruption(d), bad);
  assert_int_equal(dxemem_get_map_key(d), key);
}

/* Default level: a scribbled entry is caught before it is used, named, and
 * the call changes nothing; after repair all is well again. */
static void test_touched_level_names_scribbled_entry(void **state) {
  (void)state;
  twin a;
  dxemem *d = single_make(&a, DXEMEM_CHECK_TOUCHED);
  uint64_t m1 = 0, m2 = 0;
  assert_int_equal(dxemem_allocate_pages(d, 0, T_LD, 4, &m1), 0);
  assert_int_equal(dxemem_allocate_pages(d, 0, T_BSD, 4, &m2), 0);
  uint64_t key = dxemem_get_map_key(d);
  entry_ref victim = entry_starting_at(d, m1);
  map_entry *e = dx_node(d, victim);
  e->attribute ^= 1; /* seal no longer matches */
  expect_corrupted(d, dxemem_free_pages(d, m1, 4), victim, key);
  /* Its neighbour's free runs into it too: the merge would unlink it. */
  expect_corrupted(d, dxemem_free_pages(d, m2, 4), victim, key);
  e->attribute ^= 1;
  assert_int_equal(dxemem_free_pages(d, m1, 4), 0);
  assert_int_equal(dxemem_free_pages(d, m2, 4), 0);
  dxemem_violation v;
  assert_int_equal(dxemem_check(d, &v), DXEMEM_SUCCESS);
  twin_free(&a);
}

/* A whole refuel page scribbled: every call that touches an entry refuses
 * with an address in that page. */
static void test_touched_level_catches_scribbled_page(void **state) {
  (void)state;
  twin a;
  dxemem *d = single_make(&a, DXEMEM_CHECK_TOUCHED);
  uint64_t m = 0;
  assert_int_equal(dxemem_allocate_pages(d, 0, T_LD, 4, &m), 0);
  uint64_t page = d->last_refuel_page;
  memset(dxemem_phys_to_host(d, page, 4096), 0x5a, 4096);
  uint64_t key = dxemem_get_map_key(d);
  uint64_t m2 = 0;
  assert_int_equal(dxemem_allocate_pages(d, 0, T_LD, 1, &m2),
                   DXEMEM_VOLUME_CORRUPTED);
  assert_int_equal(m2, 0);
  assert_true(dxemem_last_corruption(d) >= page &&
              dxemem_last_corruption(d) < page + 4096);
  assert_int_equal(dxemem_free_pages(d, m, 4), DXEMEM_VOLUME_CORRUPTED);
  assert_int_equal(dxemem_add_memory_descriptor(d, T_CONV,
                                                REGION_BASE + PG(1024), 1, 0),
                   DXEMEM_VOLUME_CORRUPTED);
  uint64_t size = 0;
  assert_int_equal(dxemem_get_memory_map(d, &size, NULL, NULL, NULL, NULL),
                   DXEMEM_VOLUME_CORRUPTED);
  assert_int_equal(dxemem_get_map_key(d), key);
  twin_free(&a);
}

/* The free-list head is checked before an entry is taken from it; the
 * step is rolled back and the index rebuilt once the list is whole. */
static void test_touched_level_checks_free_head(void **state) {
  (void)state;
  twin a;
  dxemem *d = single_make(&a, DXEMEM_CHECK_TOUCHED);
  entry_ref head = dx_list_first(d, REF_FREE_HEAD);
  map_entry *e = dx_node(d, head);
  uint64_t saved = e->page_link;
  e->page_link ^= 0x40;
  uint64_t key = dxemem_get_map_key(d);
  dxemem_counts before = fx_counts(d);
  uint64_t m = 0;
  /* A split in the middle of free memory needs a new entry. */
  m = REGION_BASE + PG(500);
  expect_corrupted(
      d, dxemem_allocate_pages(d, DXEMEM_ALLOCATE_ADDRESS, T_LD, 2, &m), head,
      key);
  dxemem_counts after = fx_counts(d);
  assert_memory_equal(&before, &after, sizeof before);
  assert_true(d->index_stale);
  /* Still broken: the next call walks the list first and refuses. */
  assert_int_equal(dxemem_allocate_pages(d, DXEMEM_ALLOCATE_ADDRESS, T_LD, 2,
                                         &m),
                   DXEMEM_VOLUME_CORRUPTED);
  e->page_link = saved;
  assert_int_equal(dxemem_allocate_pages(d, DXEMEM_ALLOCATE_ADDRESS, T_LD, 2,
                                         &m),
                   0);
  assert_false(d->index_stale);
  dxemem_violation v;
  assert_int_equal(dxemem_check(d, &v), DXEMEM_SUCCESS);
  twin_free(&a);
}

/* A broken link next to the entry found is named as well. */
static void test_touched_level_checks_links(void **state) {
  (void)state;
  twin a;
  dxemem *d = single_make(&a, DXEMEM_CHECK_TOUCHED);
  uint64_t m = 0;
  assert_int_equal(dxemem_allocate_pages(d, 0, T_LD, 4, &m), 0);
  entry_ref r = entry_starting_at(d, m);
  map_entry *e = dx_node(d, r);
  entry_ref prev = e->prev;
  assert_false(REF_IS_HOST(prev));
  map_entry *p = dx_node(d, prev);
  entry_ref saved = p->next;
  uint64_t key = dxemem_get_map_key(d);
  p->next = REF_FREE_HEAD; /* the neighbour no longer points here */
  expect_corrupted(d, dxemem_free_pages(d, m, 4), prev, key);
  p->next = saved;
  saved = e->next;
  e->next = UINT64_C(0x40); /* outside the region */
  expect_corrupted(d, dxemem_free_pages(d, m, 4), r, key);
  e->next = saved;
  assert_int_equal(dxemem_free_pages(d, m, 4), 0);
  twin_free(&a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_indexed_matches_list_path),
      cmocka_unit_test(test_free_search_against_walk),
      cmocka_unit_test(test_insert_remove_neighbours),
      cmocka_unit_test(test_scribbled_index_is_found),
      cmocka_unit_test(test_scribbled_block_hints_change_nothing),
      cmocka_unit_test(test_overlapping_or_empty_add_drops_index),
      cmocka_unit_test(test_full_storage_falls_back),
      cmocka_unit_test(test_index_sizes_and_bad_storage),
      cmocka_unit_test(test_touched_level_names_scribbled_entry),
      cmocka_unit_test(test_touched_level_catches_scribbled_page),
      cmocka_unit_test(test_touched_level_checks_free_head),
      cmocka_unit_test(test_touched_level_checks_links),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
