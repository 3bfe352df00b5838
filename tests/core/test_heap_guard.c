/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * heap_guard.c, heap_guard_bitmap.c, heap_guard_freed.c: one test per
 * mechanism of HeapGuard.c, with the placement drawn. Addresses below are
 * of the default fixture region [0x100000, 0x200000); after the first add
 * its top page holds the first refuel page (R).
 */
#include "core_test.h"

#include <string.h>

#include "internal.h"

#define OEM1 UINT32_C(0x70000001)
#define OS1 UINT32_C(0x80000001)
#define BIT(n) (UINT64_C(1) << (n))
#define MEMORY_PRESENT UINT64_C(0x0000100000000000)

/* The CPU protocol as the tests see it: the last attributes per page. */
typedef struct cpu_record {
  uint64_t base;
  uint8_t rp[4096];
  unsigned calls;
} cpu_record;

static cpu_record cpu;

static void record_attributes(void *context, uint64_t base, uint64_t length,
                              uint64_t attributes) {
  cpu_record *c = context;
  c->calls++;
  for (uint64_t a = base; a < base + length; a += 0x1000) {
    uint64_t page = (a - c->base) >> 12;
    if (a >= c->base && page < sizeof c->rp) {
      c->rp[page] = (attributes & DXEMEM_MEMORY_RP) != 0;
    }
  }
}

static bool rp(uint64_t address) {
  return cpu.rp[(address - cpu.base) >> 12] != 0;
}

/* A fresh instance over [base, base + size) with the guard set and the
 * whole region added as conventional memory. */
static void guarded(core_fixture *fx, uint64_t base, uint64_t size,
                    uint64_t granularity, uint8_t property, uint64_t pages,
                    uint64_t pools) {
  memset(&cpu, 0, sizeof cpu);
  cpu.base = base;
  fx->config.set_memory_attributes = record_attributes;
  fx->config.cpu_context = &cpu;
  fx_rebuild(fx, base, size, granularity);
  assert_int_equal(dxemem_set_heap_guard(fx->d, property, pages, pools),
                   DXEMEM_SUCCESS);
  fx_add(fx, T_CONV, base, size >> 12, 0);
}

static dxemem_guard_page_info query(core_fixture *fx, uint64_t address) {
  dxemem_guard_page_info info;
  assert_int_equal(dxemem_guard_page_query(fx->d, address, &info),
                   DXEMEM_SUCCESS);
  return info;
}

static uint64_t pool(core_fixture *fx, uint32_t type, uint64_t size) {
  uint64_t buffer = 0;
  assert_int_equal(dxemem_allocate_pool(fx->d, type, size, &buffer),
                   DXEMEM_SUCCESS);
  return buffer;
}

static uint64_t used(core_fixture *fx, uint32_t type) {
  uint64_t u = 0;
  assert_int_equal(dxemem_get_pool_used(fx->d, type, &u), DXEMEM_SUCCESS);
  return u;
}

/* Allocates every free page (AllocateAddress: exact, never guarded, and no
 * failed search that would promote freed pages). */
static void take_all_free(core_fixture *fx) {
  map_view view;
  fx_read_map(fx->d, &view);
  for (size_t i = 0; i < view.count; i++) {
    if (view.e[i].type == T_CONV && view.e[i].end > view.e[i].start) {
      (void)fx_alloc(fx, DXEMEM_ALLOCATE_ADDRESS, T_LD,
                     (view.e[i].end - view.e[i].start + 1) >> 12,
                     view.e[i].start);
    }
  }
}

/* ---- configuration --------------------------------------------------- */

/* edk2 dead-loops on the page or pool guard together with the freed-memory
 * guard; setup closes with the first add. */
static void test_config_refusals(void **state) {
  core_fixture *fx = *state;
  assert_int_equal(dxemem_set_heap_guard(fx->d, 0x11, 0, 0),
                   DXEMEM_INVALID_PARAMETER);
  assert_int_equal(dxemem_set_heap_guard(fx->d, 0x12, 0, 0),
                   DXEMEM_INVALID_PARAMETER);
  assert_int_equal(dxemem_set_heap_guard(fx->d, 0x90, 0, 0), DXEMEM_SUCCESS);
  assert_int_equal(dxemem_set_heap_guard(fx->d, 0x83, BIT(4), BIT(4)),
                   DXEMEM_SUCCESS);
  fx_add_all(fx);
  assert_int_equal(dxemem_set_heap_guard(fx->d, 0x1, 0, 0),
                   DXEMEM_ALREADY_STARTED);
  assert_int_equal(dxemem_set_heap_guard(NULL, 0x1, 0, 0),
                   DXEMEM_INVALID_PARAMETER);
  assert_int_equal(dxemem_guard_page_query(fx->d, FX_BASE, NULL),
                   DXEMEM_INVALID_PARAMETER);
}

/* ---- page guard ------------------------------------------------------ */

/* A guarded allocation of 2 pages takes 4; the first one makes the 2-page
 * bitmap table right below it:
 *
 *   0x1f9000   0x1fb000  0x1fc000       0x1fe000  0x1ff000
 *   | table   | head     | a (2 pages)  | tail    | R |
 */
static void test_page_guard_placement(void **state) {
  core_fixture *fx = *state;
  guarded(fx, FX_BASE, FX_SIZE, 0, DXEMEM_GUARD_PAGE, BIT(T_BSD), 0);
  uint64_t a = fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_BSD, 2, 0);
  assert_int_equal(a, 0x1fc000);
  EXPECT_MAP(fx->d, {T_CONV, FX_BASE, 249, 0}, {T_BSD, 0x1f9000, 7, 0});
  dxemem_guard_page_info tail = query(fx, 0x1fe000);
  assert_true(tail.is_guard_page);
  assert_false(tail.is_memory_guarded);
  assert_int_equal(tail.kind, DXEMEM_GUARD_KIND_TAIL);
  assert_int_equal(tail.start, a);
  assert_int_equal(tail.pages, 2);
  assert_int_equal(tail.type, T_BSD);
  assert_int_equal(query(fx, 0x1fb000).kind, DXEMEM_GUARD_KIND_HEAD);
  assert_int_equal(query(fx, a + 0x1000).kind, DXEMEM_GUARD_KIND_GUARDED);
  assert_int_equal(query(fx, 0x1f9000).kind, DXEMEM_GUARD_KIND_NONE);
  assert_true(rp(0x1fb000) && rp(0x1fe000));
  assert_false(rp(a));
  /* Statistics count the guards too (and the table; the refuel page was
   * counted before the bin setup reset the counters). */
  assert_int_equal(fx_stats(fx->d, T_BSD).current_number_of_pages, 4 + 2);
  /* Freed: both guards go (nobody shares them); the table stays. */
  fx_free(fx, a, 2);
  EXPECT_MAP(fx->d, {T_CONV, FX_BASE, 249, 0}, {T_BSD, 0x1f9000, 2, 0},
             {T_CONV, 0x1fb000, 4, 0}, {T_BSD, 0x1ff000, 1, 0});
  assert_false(rp(0x1fb000) || rp(0x1fe000));
  assert_false(query(fx, 0x1fe000).is_guard_page);
}

/* Neighbours share a guard: c's tail guard is b's head guard.
 *
 *   0x1f2000 0x1f3000 0x1f4000  0x1f5000       0x1f8000 0x1f9000
 *   | head  | c      | shared  | b (3 pages)  | tail   | table | a ...
 *
 * Freeing b keeps the shared page (c still needs it); freeing c then
 * releases it with c's head guard. */
static void test_page_guard_shared(void **state) {
  core_fixture *fx = *state;
  guarded(fx, FX_BASE, FX_SIZE, 0, DXEMEM_GUARD_PAGE, BIT(T_BSD), 0);
  (void)fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_BSD, 2, 0);
  uint64_t b = fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_BSD, 3, 0);
  uint64_t c = fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_BSD, 1, 0);
  assert_int_equal(b, 0x1f5000);
  assert_int_equal(c, 0x1f3000);
  EXPECT_MAP(fx->d, {T_CONV, FX_BASE, 242, 0}, {T_BSD, 0x1f2000, 14, 0});
  fx_free(fx, b, 3);
  EXPECT_MAP(fx->d, {T_CONV, FX_BASE, 242, 0}, {T_BSD, 0x1f2000, 3, 0},
             {T_CONV, 0x1f5000, 4, 0}, {T_BSD, 0x1f9000, 7, 0});
  dxemem_guard_page_info shared = query(fx, 0x1f4000);
  assert_int_equal(shared.kind, DXEMEM_GUARD_KIND_TAIL);
  assert_int_equal(shared.start, c);
  assert_true(rp(0x1f4000));
  assert_false(rp(0x1f8000));
  fx_free(fx, c, 1);
  EXPECT_MAP(fx->d, {T_CONV, FX_BASE, 249, 0}, {T_BSD, 0x1f9000, 7, 0});
}

/* Partial frees keep the rest guarded: the freed end page next to live
 * guarded pages stays allocated as their new guard; a single middle page
 * becomes a guard between the two halves and frees nothing.
 *
 *   0x1f5000 0x1f6000                              0x1fe000
 *   | head  | 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 |      | tail
 *   free 0-1:   0 and the head go, 1 is the new head guard
 *   free 4:     nothing goes, 4 is a guard for 2-3 and 5-7
 */
static void test_page_guard_partial_free(void **state) {
  core_fixture *fx = *state;
  guarded(fx, FX_BASE, FX_SIZE, 0, DXEMEM_GUARD_PAGE, BIT(T_BSD), 0);
  uint64_t a = fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_BSD, 8, 0);
  assert_int_equal(a, 0x1f6000);
  fx_free(fx, a, 2);
  EXPECT_MAP(fx->d, {T_CONV, FX_BASE, 243, 0}, {T_BSD, 0x1f3000, 2, 0},
             {T_CONV, 0x1f5000, 2, 0}, {T_BSD, 0x1f7000, 9, 0});
  dxemem_guard_page_info head = query(fx, a + PG(1));
  assert_int_equal(head.kind, DXEMEM_GUARD_KIND_HEAD);
  assert_int_equal(head.start, a + PG(2));
  assert_int_equal(head.pages, 6);
  assert_true(rp(a + PG(1)));
  fx_free(fx, a + PG(4), 1);
  EXPECT_MAP(fx->d, {T_CONV, FX_BASE, 243, 0}, {T_BSD, 0x1f3000, 2, 0},
             {T_CONV, 0x1f5000, 2, 0}, {T_BSD, 0x1f7000, 9, 0});
  assert_int_equal(query(fx, a + PG(4)).kind, DXEMEM_GUARD_KIND_TAIL);
  assert_true(rp(a + PG(4)));
  fx_free(fx, a + PG(2), 2);
  fx_free(fx, a + PG(5), 3);
  EXPECT_MAP(fx->d, {T_CONV, FX_BASE, 243, 0}, {T_BSD, 0x1f3000, 2, 0},
             {T_CONV, 0x1f5000, 10, 0}, {T_BSD, 0x1ff000, 1, 0});
}

/* No guards for AllocateAddress, for types outside the mask, and for the
 * types that use a 64 KiB granularity; OEM and OS types have one bit each. */
static void test_page_guard_never_guarded(void **state) {
  core_fixture *fx = *state;
  guarded(fx, FX_BASE, FX_SIZE, 0, DXEMEM_GUARD_PAGE,
          BIT(T_BSD) | BIT(62), 0);
  uint64_t e = fx_alloc(fx, DXEMEM_ALLOCATE_ADDRESS, T_BSD, 1, 0x100000);
  assert_false(query(fx, e).is_memory_guarded);
  uint64_t code = fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_BSC, 1, 0);
  assert_false(query(fx, code).is_memory_guarded);
  uint64_t oem = fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, OEM1, 1, 0);
  assert_true(query(fx, oem).is_memory_guarded);
  uint64_t os = fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, OS1, 1, 0);
  assert_false(query(fx, os).is_memory_guarded);
  fx_free(fx, oem, 1);
  fx_free(fx, os, 1);

  guarded(fx, FX_BASE, FX_SIZE, 0x10000, DXEMEM_GUARD_PAGE,
          BIT(T_RTD) | BIT(T_LD), 0);
  uint64_t rtd = fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_RTD, 16, 0);
  assert_false(query(fx, rtd).is_memory_guarded);
  uint64_t ld = fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_LD, 1, 0);
  assert_true(query(fx, ld).is_memory_guarded);
}

/* When the default range takes a guarded allocation, its new base is the
 * head guard's page. */
static void test_page_guard_default_base(void **state) {
  core_fixture *fx = *state;
  memset(&cpu, 0, sizeof cpu);
  fx_rebuild(fx, FX_BASE, FX_SIZE, 0);
  assert_int_equal(dxemem_set_heap_guard(fx->d, DXEMEM_GUARD_PAGE, BIT(62), 0),
                   DXEMEM_SUCCESS);
  dxemem_memory_type_information bins[] = {{T_RTD, 4}};
  fx_bins(fx, bins, 1);
  fx_add_all(fx);
  uint64_t oem = fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, OEM1, 1, 0);
  uint64_t base = 0, max = 0;
  assert_int_equal(dxemem_get_default_range(fx->d, &base, &max),
                   DXEMEM_SUCCESS);
  assert_int_equal(base, oem - 0x1000);
}

/* ---- pool guard ------------------------------------------------------ */

/* BIT7 clear: no POOL_TAIL, the buffer ends at the tail guard.
 *
 *   page                                             tail guard
 *   | ...........  | POOL_HEAD | buffer (104 bytes) |##########
 *                  ^ page + 4096 - 128
 */
static void test_pool_guard_tail(void **state) {
  core_fixture *fx = *state;
  guarded(fx, FX_BASE, FX_SIZE, 0, DXEMEM_GUARD_POOL, 0, BIT(T_BSD));
  uint64_t p = pool(fx, T_BSD, 100);
  assert_int_equal((p + 104) & 0xfff, 0);
  assert_int_equal(used(fx, T_BSD), 128);
  dxemem_guard_page_info tail = query(fx, p + 104);
  assert_int_equal(tail.kind, DXEMEM_GUARD_KIND_TAIL);
  assert_int_equal(tail.start, p + 104 - 0x1000);
  assert_true(rp(p + 104));
  /* Types outside the pool mask keep using the buckets. */
  uint64_t q = pool(fx, T_LD, 100);
  assert_false(query(fx, q).is_memory_guarded);
  assert_int_equal(dxemem_free_pool(fx->d, p, NULL), DXEMEM_SUCCESS);
  assert_int_equal(used(fx, T_BSD), 0);
  assert_false(rp(p + 104));
  assert_false(query(fx, p).is_memory_guarded);
}

/* BIT7 set: the POOL_HEAD sits at the head guard, with a tail; 4072 bytes
 * then need 2 pages. */
static void test_pool_guard_head(void **state) {
  core_fixture *fx = *state;
  guarded(fx, FX_BASE, FX_SIZE, 0, DXEMEM_GUARD_POOL | DXEMEM_GUARD_POOL_AT_HEAD,
          0, BIT(T_BSD));
  uint64_t p = pool(fx, T_BSD, 4072);
  assert_int_equal(p & 0xfff, 0x18);
  assert_int_equal(used(fx, T_BSD), 4072 + 40);
  assert_int_equal(query(fx, p - 0x18 - 0x1000).kind, DXEMEM_GUARD_KIND_HEAD);
  assert_int_equal(query(fx, p - 0x18).pages, 2);
  assert_int_equal(dxemem_free_pool(fx->d, p, NULL), DXEMEM_SUCCESS);
  assert_int_equal(used(fx, T_BSD), 0);
}

/* ---- freed-memory guard ---------------------------------------------- */

/* Freed pages leave the map for good and are set not present; the map
 * shows the hole as part of the descriptor below it.
 *
 *   allocator:      | conv | table | (freed a) | R |
 *   GetMemoryMap:   | conv | table + hole + R (BootServicesData)  |
 */
static void test_freed_guard_hole(void **state) {
  core_fixture *fx = *state;
  guarded(fx, FX_BASE, FX_SIZE, 0, DXEMEM_GUARD_FREED, 0, 0);
  uint64_t a = fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_BSD, 2, 0);
  assert_int_equal(a, 0x1fd000);
  fx_free(fx, a, 2);
  EXPECT_MAP(fx->d, {T_CONV, FX_BASE, 251, 0}, {T_BSD, 0x1fb000, 2, 0},
             {T_BSD, 0x1ff000, 1, 0});
  EXPECT_DESCRIPTORS(fx->d, {T_CONV, FX_BASE, 251, 0},
                     {T_BSD, 0x1fb000, 5, 0});
  dxemem_guard_page_info freed = query(fx, a);
  assert_int_equal(freed.kind, DXEMEM_GUARD_KIND_FREED);
  assert_int_equal(freed.start, a);
  assert_int_equal(freed.pages, 2);
  assert_true(rp(a) && rp(a + 0x1000));
  /* Never reused: the next page comes from below the table. */
  assert_int_equal(fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_BSD, 1, 0),
                   0x1fa000);
  /* A second free finds nothing there. */
  assert_int_equal(dxemem_free_pages(fx->d, a, 2), DXEMEM_NOT_FOUND);
  /* Every pool takes a page of its own. */
  uint64_t p = pool(fx, T_LD, 8);
  assert_int_equal(p & 0xfff, 0x18);
  assert_int_equal(dxemem_free_pool(fx->d, p, NULL), DXEMEM_SUCCESS);
  assert_int_equal(query(fx, p).kind, DXEMEM_GUARD_KIND_FREED);
  /* Frees below 1 MiB are not recorded. */
  fx_rebuild(fx, 0, FX_SIZE, 0);
  assert_int_equal(dxemem_set_heap_guard(fx->d, DXEMEM_GUARD_FREED, 0, 0),
                   DXEMEM_SUCCESS);
  fx_add(fx, T_CONV, 0x1000, 255, 0);
  uint64_t low = fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_BSD, 1, 0);
  fx_free(fx, low, 1);
  assert_false(query(fx, low).is_memory_guarded);
}

#define HIGH UINT64_C(0x10000000) /* 256 MiB: tables of two levels */

/* When a search fails, recorded pages come back: the lowest run of the
 * first 64-page window (downwards from 4 GiB) holding any, with the
 * attributes of the latest add that covers it minus PRESENT. */
static void test_freed_guard_promotion(void **state) {
  core_fixture *fx = *state;
  memset(&cpu, 0, sizeof cpu);
  cpu.base = HIGH;
  fx->config.set_memory_attributes = record_attributes;
  fx->config.cpu_context = &cpu;
  fx_rebuild(fx, HIGH, FX_SIZE, 0);
  assert_int_equal(dxemem_set_heap_guard(fx->d, DXEMEM_GUARD_FREED, 0, 0),
                   DXEMEM_SUCCESS);
  fx_add(fx, T_CONV, HIGH, 256, 0xf | MEMORY_PRESENT);
  uint64_t a = fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_BSD, 4, 0);
  fx_free(fx, a, 4);
  /* Take everything that is left, then two pages more. */
  take_all_free(fx);
  assert_int_equal(query(fx, a).kind, DXEMEM_GUARD_KIND_FREED);
  uint64_t again = fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_LD, 2, 0);
  assert_true(again >= a && again < a + PG(4));
  assert_false(rp(again));
  assert_false(query(fx, again).is_memory_guarded);
  /* The promoted pages carry the add's attributes without PRESENT. */
  map_view view;
  fx_read_map(fx->d, &view);
  bool found = false;
  for (size_t i = 0; i < view.count; i++) {
    if (view.e[i].type == T_CONV) {
      assert_int_equal(view.e[i].attribute, 0xf);
      found = true;
    }
  }
  assert_true(found);
  /* Everything promoted and used: edk2 would loop for ever. */
  uint64_t none = 0;
  assert_int_equal(fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_LD, 2, 0) != 0,
                   true);
  assert_int_equal(
      dxemem_allocate_pages(fx->d, DXEMEM_ALLOCATE_ANY_PAGES, T_LD, 1, &none),
      DXEMEM_OUT_OF_RESOURCES);
  assert_true(dxemem_get_hazard_count(
                  fx->d, DXEMEM_HAZARD_GUARD_NOTHING_TO_PROMOTE) >= 1);
}

/* A promotion that is not enough: the promoted page waits on the map
 * stack (at the tail of the list, as in edk2) until the next conversion
 * takes it in. */
static void test_freed_guard_promotion_waits_on_stack(void **state) {
  core_fixture *fx = *state;
  memset(&cpu, 0, sizeof cpu);
  fx_rebuild(fx, HIGH, FX_SIZE, 0);
  assert_int_equal(dxemem_set_heap_guard(fx->d, DXEMEM_GUARD_FREED, 0, 0),
                   DXEMEM_SUCCESS);
  fx_add(fx, T_CONV, HIGH, 256, 0xf);
  uint64_t a = fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_BSD, 1, 0);
  fx_free(fx, a, 1);
  take_all_free(fx);
  uint64_t none = 0;
  assert_int_equal(
      dxemem_allocate_pages(fx->d, DXEMEM_ALLOCATE_ANY_PAGES, T_LD, 2, &none),
      DXEMEM_OUT_OF_RESOURCES);
  assert_int_equal(fx_counts(fx->d).stack_depth, 1);
  descriptor_view view;
  fx_get_memory_map(fx->d, &view);
  assert_true(view.count > 0);
  assert_int_equal(view.m[view.count - 1].physical_start, a);
  assert_int_equal(view.m[view.count - 1].type, T_CONV);
  assert_int_equal(fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_LD, 1, 0), a);
  assert_int_equal(fx_counts(fx->d).stack_depth, 0);
}

/* Nothing ever freed: edk2 reads through a NULL table; dxemem says so. */
static void test_freed_guard_nothing_recorded(void **state) {
  core_fixture *fx = *state;
  guarded(fx, FX_BASE, FX_SIZE, 0, DXEMEM_GUARD_FREED, 0, 0);
  uint64_t none = 0;
  assert_int_equal(dxemem_allocate_pages(fx->d, DXEMEM_ALLOCATE_ANY_PAGES, T_LD,
                                         FX_PAGES, &none),
                   DXEMEM_OUT_OF_RESOURCES);
  assert_int_equal(
      dxemem_get_hazard_count(fx->d, DXEMEM_HAZARD_GUARD_NOTHING_TO_PROMOTE),
      1);
  /* A failing AllocateAddress asks for a promotion too. */
  assert_int_equal(dxemem_allocate_pages(fx->d, DXEMEM_ALLOCATE_ADDRESS, T_LD,
                                         1, &(uint64_t){FX_REFUEL}),
                   DXEMEM_NOT_FOUND);
  assert_int_equal(
      dxemem_get_hazard_count(fx->d, DXEMEM_HAZARD_GUARD_NOTHING_TO_PROMOTE),
      2);
}

/* Below 256 MiB the scan's first windows near 4 GiB read the bits of low
 * pages (aliasing); clearing them needs a table of a new level, which only
 * a promotion could give: edk2 recurses for ever. */
static void test_freed_guard_promotion_reentered(void **state) {
  core_fixture *fx = *state;
  guarded(fx, FX_BASE, FX_SIZE, 0, DXEMEM_GUARD_FREED, 0, 0);
  uint64_t a = fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_BSD, 2, 0);
  fx_free(fx, a, 2);
  take_all_free(fx);
  uint64_t none = 0;
  assert_int_equal(
      dxemem_allocate_pages(fx->d, DXEMEM_ALLOCATE_ANY_PAGES, T_LD, 1, &none),
      DXEMEM_OUT_OF_RESOURCES);
  assert_true(dxemem_get_hazard_count(
                  fx->d, DXEMEM_HAZARD_GUARD_PROMOTION_REENTERED) >= 1);
}

/* ---- the bitmap ------------------------------------------------------ */

/* No page left for the first table: edk2 writes it at address 0. dxemem
 * keeps the allocation (its guards are set) without bits. */
static void test_bitmap_table_allocation_fails(void **state) {
  core_fixture *fx = *state;
  guarded(fx, FX_BASE, FX_SIZE, 0, DXEMEM_GUARD_PAGE, BIT(T_BSD), 0);
  /* Leave exactly 3 free pages: 1 page and its two guards. */
  (void)fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_LD, 255 - 3, 0);
  uint64_t a = fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_BSD, 1, 0);
  assert_false(query(fx, a).is_memory_guarded);
  assert_int_equal(
      dxemem_get_hazard_count(fx->d, DXEMEM_HAZARD_GUARD_TABLE_ALLOCATION), 1);
}

/* Above the span the tables cover, lookups read the bit one span lower:
 * an unguarded AllocateAddress allocation 256 MiB above a guarded one is
 * taken for guarded on free; the widened free hits free pages. */
static void test_bitmap_aliasing(void **state) {
  core_fixture *fx = *state;
  uint64_t size = HIGH + 0x200000;
  guarded(fx, FX_BASE, size, 0, DXEMEM_GUARD_PAGE, BIT(T_BSD), 0);
  uint64_t low = fx_alloc(fx, DXEMEM_ALLOCATE_MAX_ADDRESS, T_BSD, 1, 0x1fffff);
  uint64_t high = fx_alloc(fx, DXEMEM_ALLOCATE_ADDRESS, T_BSD, 1, low + HIGH);
  assert_true(query(fx, high).is_memory_guarded);
  assert_int_equal(dxemem_free_pages(fx->d, high, 1), DXEMEM_NOT_FOUND);
  assert_int_equal(
      dxemem_get_hazard_count(fx->d, DXEMEM_HAZARD_GUARD_ALIASED_BIT), 1);
  fx->broken = false;
}

/* Bits across words and 256 MiB units, and tables of a new level. */
static void test_bitmap_bits(void **state) {
  core_fixture *fx = *state;
  guarded(fx, HIGH - 0x100000, 0x200000, 0, DXEMEM_GUARD_FREED, 0, 0);
  dxemem *d = fx->d;
  uint64_t start = HIGH - PG(70);
  assert_true(dx_set_guarded_memory_bits(d, start, 140));
  assert_int_equal(dx_get_guarded_memory_bits(d, start - PG(1), 64),
                   UINT64_MAX - 1);
  assert_int_equal(dx_get_guarded_memory_bits(d, HIGH - PG(3), 6), 0x3f);
  assert_int_equal(dx_get_guarded_memory_bits(d, start + PG(138), 4), 0x3);
  assert_true(dx_clear_guarded_memory_bits(d, start + PG(1), 138));
  assert_int_equal(dx_get_guarded_memory_bits(d, start, 64), 1);
  assert_int_equal(dx_get_guarded_memory_bits(d, start + PG(139), 1), 1);
  assert_int_equal(dx_get_last_guarded_free_page_address(d),
                   start + PG(140));
  assert_int_equal(dx_guard_span_shift(d), 37);
  uint64_t base = 1;
  uint64_t last = 1;
  assert_false(dx_guard_zero_block(d, HIGH, &base, &last));
  /* A missing leaf: its whole 256 MiB unit reads as zero. */
  assert_true(dx_guard_zero_block(d, HIGH * 3, &base, &last));
  assert_int_equal(base, (HIGH * 3) & ~((UINT64_C(1) << 28) - 1));
  assert_int_equal(last, base + (UINT64_C(1) << 28) - 1);
  /* Freed pages held out of the map: the two left, and nothing between,
   * below or in the missing unit. */
  assert_true(dx_guard_holds_freed_pages(d, start, start));
  assert_true(dx_guard_holds_freed_pages(d, start - PG(200), start + PG(1)));
  assert_false(dx_guard_holds_freed_pages(d, start + PG(1),
                                          start + PG(139) - 1));
  assert_true(dx_guard_holds_freed_pages(d, start + PG(139) - 1,
                                         start + PG(139)));
  assert_false(dx_guard_holds_freed_pages(d, start - PG(200), start - 1));
  assert_false(dx_guard_holds_freed_pages(d, start + PG(140), HIGH * 4));
  assert_false(dx_guard_holds_freed_pages(d, start, start - 1));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_config_refusals, fx_setup,
                                      fx_teardown),
      cmocka_unit_test_setup_teardown(test_page_guard_placement, fx_setup,
                                      fx_teardown),
      cmocka_unit_test_setup_teardown(test_page_guard_shared, fx_setup,
                                      fx_teardown),
      cmocka_unit_test_setup_teardown(test_page_guard_partial_free, fx_setup,
                                      fx_teardown),
      cmocka_unit_test_setup_teardown(test_page_guard_never_guarded, fx_setup,
                                      fx_teardown),
      cmocka_unit_test_setup_teardown(test_page_guard_default_base, fx_setup,
                                      fx_teardown),
      cmocka_unit_test_setup_teardown(test_pool_guard_tail, fx_setup,
                                      fx_teardown),
      cmocka_unit_test_setup_teardown(test_pool_guard_head, fx_setup,
                                      fx_teardown),
      cmocka_unit_test_setup_teardown(test_freed_guard_hole, fx_setup,
                                      fx_teardown),
      cmocka_unit_test_setup_teardown(test_freed_guard_promotion, fx_setup,
                                      fx_teardown),
      cmocka_unit_test_setup_teardown(test_freed_guard_promotion_waits_on_stack,
                                      fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_freed_guard_nothing_recorded,
                                      fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_freed_guard_promotion_reentered,
                                      fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_bitmap_table_allocation_fails,
                                      fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_bitmap_aliasing, fx_setup,
                                      fx_teardown),
      cmocka_unit_test_setup_teardown(test_bitmap_bits, fx_setup, fx_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
