/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * pool.c, pool_list.c, pool_check.c: every mechanism of Pool.c (buckets,
 * carving, splitting, LIFO reuse, page return, the page path, runtime
 * granularity, OEM/OS pools) and every status, misuse and corruption case.
 *
 * After fx_add_all the first BootServicesData pool page is 0x1fe000 (right
 * below the refuel page). The first 24-byte request (64 bytes with head and
 * tail: bucket 128) is served from offset 0 and the rest is carved:
 *
 *   0x1fe000 0x080                          0xb00        0xf00    0x1000
 *   | 128 a | 2688 free                     | 1024 free  | 256 fr |
 *     ^ head 0x1fe000, buffer 0x1fe018, tail 0x1fe030 (24 + 24 bytes in)
 */
#include "core_test.h"

#include <string.h>

#include "internal.h"

#define PAGE0 UINT64_C(0x1fe000) /* the first pool page */
#define OEM1 UINT32_C(0x70000001)
#define OS1 UINT32_C(0x80000001)

static uint64_t pool(core_fixture *fx, uint32_t type, uint64_t size) {
  uint64_t buffer = 0;
  dxemem_status status = dxemem_allocate_pool(fx->d, type, size, &buffer);
  if (status != DXEMEM_SUCCESS) {
    print_error("pool(%#x, %#llx) = %s\n", type, (unsigned long long)size,
                dxemem_status_name(status));
  }
  assert_int_equal(status, DXEMEM_SUCCESS);
  return buffer;
}

static void pool_free(core_fixture *fx, uint64_t buffer) {
  assert_int_equal(dxemem_free_pool(fx->d, buffer, NULL), DXEMEM_SUCCESS);
}

static uint64_t used(core_fixture *fx, uint32_t type) {
  uint64_t u = 0;
  assert_int_equal(dxemem_get_pool_used(fx->d, type, &u), DXEMEM_SUCCESS);
  return u;
}

static uint8_t *host(core_fixture *fx, uint64_t phys, uint64_t bytes) {
  uint8_t *h = dxemem_phys_to_host(fx->d, phys, bytes);
  assert_non_null(h);
  return h;
}

static uint32_t rd32(core_fixture *fx, uint64_t phys) {
  uint32_t v;
  memcpy(&v, host(fx, phys, 4), 4);
  return v;
}

static uint64_t rd64(core_fixture *fx, uint64_t phys) {
  uint64_t v;
  memcpy(&v, host(fx, phys, 8), 8);
  return v;
}

static void wr32(core_fixture *fx, uint64_t phys, uint32_t v) {
  memcpy(host(fx, phys, 4), &v, 4);
}

static void wr64(core_fixture *fx, uint64_t phys, uint64_t v) {
  memcpy(host(fx, phys, 8), &v, 8);
}

/* The bucket block at phys is free, on list index. */
static void expect_free_block(core_fixture *fx, uint64_t phys,
                              uint32_t index) {
  assert_int_equal(rd32(fx, phys), POOL_FREE_SIGNATURE);
  assert_int_equal(rd32(fx, phys + 4), index);
}

/* ---- sizes and buckets --------------------------------------------------- */

static void test_bucket_index_edges(void **state) {
  (void)state;
  assert_int_equal(dx_pool_index_from_size(0), 0);
  assert_int_equal(dx_pool_index_from_size(128), 0);
  assert_int_equal(dx_pool_index_from_size(129), 1);
  assert_int_equal(dx_pool_index_from_size(2688), 6);
  assert_int_equal(dx_pool_index_from_size(4096), 7);
  assert_int_equal(dx_pool_index_from_size(29824), 11);
  assert_int_equal(dx_pool_index_from_size(29825), POOL_LIST_COUNT);
  assert_int_equal(dx_pool_index_from_size(65536), POOL_LIST_COUNT);
  /* Each size is the sum of the two before it. */
  for (uint32_t i = 2; i < POOL_LIST_COUNT; i++) {
    assert_int_equal(dx_pool_size_table[i],
                     dx_pool_size_table[i - 1] + dx_pool_size_table[i - 2]);
  }
}

/* Head, buffer and tail of a fresh block, and Used on both paths. */
static void test_head_tail_and_used(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  uint64_t a = pool(fx, T_BSD, 24);
  assert_int_equal(a, PAGE0 + 0x18);
  assert_int_equal(rd32(fx, PAGE0), POOL_HEAD_SIGNATURE);
  assert_int_equal(rd32(fx, PAGE0 + 8), T_BSD);
  assert_int_equal(rd64(fx, PAGE0 + 16), 0x40);
  assert_int_equal(rd32(fx, PAGE0 + 0x30), POOL_TAIL_SIGNATURE);
  assert_int_equal(rd64(fx, PAGE0 + 0x38), 0x40);
  assert_int_equal(used(fx, T_BSD), 0x40);
  uint64_t zero = pool(fx, T_BSD, 0); /* 0x28: a 128 block */
  assert_int_equal(used(fx, T_BSD), 0x40 + 0x28);
  uint64_t big = pool(fx, T_BSD, 65536); /* 0x10028: 17 pages */
  assert_int_equal(used(fx, T_BSD), 0x40 + 0x28 + 0x10028);
  assert_int_equal(big & DXEMEM_PAGE_MASK, 0x18);
  uint32_t type = 0;
  assert_int_equal(dxemem_free_pool(fx->d, big, &type), DXEMEM_SUCCESS);
  assert_int_equal(type, T_BSD);
  pool_free(fx, zero);
  pool_free(fx, a);
  assert_int_equal(used(fx, T_BSD), 0);
}

/* A fresh page serves offset 0 and carves the rest, largest first. */
static void test_fresh_page_is_carved(void **state) {
  core_fixture *fx = *state;
  fx_log_events(fx);
  fx_add_all(fx);
  fx_clear_events(fx);
  uint64_t a = pool(fx, T_BSD, 24);
  expect_free_block(fx, PAGE0 + 0x80, 6);
  expect_free_block(fx, PAGE0 + 0xb00, 4);
  expect_free_block(fx, PAGE0 + 0xf00, 1);
  size_t carves = 0;
  bool pages = false;
  for (size_t i = 0; i < fx->event_count; i++) {
    const dxemem_event *e = &fx->events[i];
    if (e->kind == DXEMEM_EVENT_POOL_PAGES) {
      assert_int_equal(e->start, PAGE0);
      assert_int_equal(e->end, PAGE0 + 0xfff);
      pages = true;
    }
    if (e->kind == DXEMEM_EVENT_POOL_CARVE) {
      static const uint64_t at[] = {0x80, 0xb00, 0xf00};
      assert_true(carves < 3);
      assert_int_equal(e->start, PAGE0 + at[carves]);
      assert_int_equal(e->type, T_BSD);
      carves++;
    }
  }
  assert_true(pages);
  assert_int_equal(carves, 3);
  /* The carved blocks serve exact requests in place. */
  assert_int_equal(pool(fx, T_BSD, 2648), PAGE0 + 0x98);
  assert_int_equal(pool(fx, T_BSD, 984), PAGE0 + 0xb18);
  assert_int_equal(pool(fx, T_BSD, 216), PAGE0 + 0xf18);
  EXPECT_MAP(fx->d, {T_CONV, FX_BASE, 0xfe, 0}, {T_BSD, PAGE0, 2, 0});
  /* Nothing left: a new page below. */
  assert_int_equal(pool(fx, T_BSD, 88), PAGE0 - 0x1000 + 0x18);
  (void)a;
}

/*
 * An empty bucket splits the next non-empty larger block:
 *   0xb00 1024 free  ->  | 128 g | 640 free | 256 free |
 */
static void test_larger_block_is_split(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  (void)pool(fx, T_BSD, 24);   /* 128 @0, carves 2688 1024 256 */
  (void)pool(fx, T_BSD, 2648); /* takes the 2688 */
  (void)pool(fx, T_BSD, 89);   /* 136 -> 256 @0xf00 */
  uint64_t g = pool(fx, T_BSD, 1); /* 48 -> 128: splits the 1024 */
  assert_int_equal(g, PAGE0 + 0xb18);
  expect_free_block(fx, PAGE0 + 0xb80, 3);
  expect_free_block(fx, PAGE0 + 0xe00, 1);
}

/* Frees go to the head of their list; allocations take the head. */
static void test_lifo_reuse(void **state) {
  core_fixture *fx = *state;
  fx_log_events(fx);
  fx_add_all(fx);
  uint64_t a = pool(fx, T_BSD, 24);
  uint64_t b = pool(fx, T_BSD, 24);
  uint64_t c = pool(fx, T_BSD, 24);
  pool_free(fx, a);
  pool_free(fx, c);
  fx_clear_events(fx);
  assert_int_equal(pool(fx, T_BSD, 24), c);
  assert_int_equal(fx->events[0].kind, DXEMEM_EVENT_POOL_REUSE);
  assert_int_equal(fx->events[0].start, c - 0x18);
  assert_int_equal(pool(fx, T_BSD, 24), a);
  (void)b;
}

/* A page goes back when all its blocks are free, not before. */
static void test_page_returns_when_all_free(void **state) {
  core_fixture *fx = *state;
  fx_log_events(fx);
  fx_add_all(fx);
  uint64_t a = pool(fx, T_BSD, 24);
  uint64_t b = pool(fx, T_BSD, 2648);
  pool_free(fx, a);
  EXPECT_MAP(fx->d, {T_CONV, FX_BASE, 0xfe, 0}, {T_BSD, PAGE0, 2, 0});
  fx_clear_events(fx);
  pool_free(fx, b);
  EXPECT_MAP(fx->d, {T_CONV, FX_BASE, 0xff, 0}, {T_BSD, FX_REFUEL, 1, 0});
  bool returned = false;
  for (size_t i = 0; i < fx->event_count; i++) {
    if (fx->events[i].kind == DXEMEM_EVENT_POOL_PAGE_RETURN) {
      assert_int_equal(fx->events[i].start, PAGE0);
      returned = true;
    }
  }
  assert_true(returned);
  /* Every list is empty again. */
  for (uint32_t i = 0; i < POOL_LIST_COUNT; i++) {
    pool_ref head = POOL_REF_HOST_LIST(T_BSD, i);
    assert_int_equal(dx_pool_next(fx->d, head), head);
  }
}

/* 2648 bytes fit the 2688 bucket; 2649 take a page of their own. */
static void test_page_path_threshold(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  uint64_t b = pool(fx, T_BSD, 2649);
  assert_int_equal(b, PAGE0 + 0x18);
  EXPECT_MAP(fx->d, {T_CONV, FX_BASE, 0xfe, 0}, {T_BSD, PAGE0, 2, 0});
  for (uint32_t i = 0; i < POOL_LIST_COUNT; i++) {
    pool_ref head = POOL_REF_HOST_LIST(T_BSD, i);
    assert_int_equal(dx_pool_next(fx->d, head), head);
  }
  pool_free(fx, b);
  EXPECT_MAP(fx->d, {T_CONV, FX_BASE, 0xff, 0}, {T_BSD, FX_REFUEL, 1, 0});
}

/* 64 KiB runtime pools: 64 KiB pages, all 12 buckets, 32-page requests. */
static void test_runtime_pools_64k(void **state) {
  core_fixture *fx = *state;
  fx_rebuild(fx, FX_BASE, FX_SIZE, 65536);
  fx_add_all(fx);
  uint64_t a = pool(fx, T_RTD, 24);
  uint64_t page = a - 0x18;
  assert_int_equal(page & 0xffff, 0);
  expect_free_block(fx, page + 0x80, 11);
  expect_free_block(fx, page + 0x7500, 11);
  expect_free_block(fx, page + 0xe980, 7);
  expect_free_block(fx, page + 0xfa80, 4);
  expect_free_block(fx, page + 0xfe80, 2);
  uint64_t bucket = pool(fx, T_RTD, 29784); /* the 29824 bucket */
  assert_int_equal(bucket, page + 0x7518);
  uint64_t own = pool(fx, T_RTD, 29785); /* pages of its own */
  assert_int_equal(own & 0xffff, 0x18);
  uint64_t big = pool(fx, T_RTD, 65536); /* 17 pages -> 32 */
  assert_int_equal(big & 0xffff, 0x18);
  uint64_t before = 0, after = 0;
  descriptor_view v;
  fx_get_memory_map(fx->d, &v);
  for (size_t i = 0; i < v.count; i++) {
    if (v.m[i].type == T_RTD) {
      before += v.m[i].number_of_pages;
    }
  }
  pool_free(fx, big);
  fx_get_memory_map(fx->d, &v);
  for (size_t i = 0; i < v.count; i++) {
    if (v.m[i].type == T_RTD) {
      after += v.m[i].number_of_pages;
    }
  }
  assert_int_equal(before - after, 32);
  /* PalCode keeps 4 KiB pool pages. */
  uint64_t pal = pool(fx, 13, 24);
  assert_int_equal(pal & 0xfff, 0x18);
  pool_free(fx, own);
  pool_free(fx, bucket);
  pool_free(fx, a);
  pool_free(fx, pal);
}

/* ---- OEM and OS pools ---------------------------------------------------- */

/* The first allocation of an OEM type makes its POOL (a 232-byte
 * BootServicesData block, Used + 0x110) at the head of mPoolHeadList; the
 * last free releases it. */
static void test_oem_pool_lifetime(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  uint64_t u = 0;
  assert_int_equal(dxemem_get_pool_used(fx->d, OEM1, &u), DXEMEM_NOT_FOUND);
  uint64_t a = pool(fx, OEM1, 16);
  assert_int_equal(used(fx, T_BSD), 0x110);
  assert_int_equal(used(fx, OEM1), 0x38);
  uint64_t b = pool(fx, OS1, 16);
  uint64_t c = pool(fx, OEM1, 100);
  uint32_t type = 0;
  assert_int_equal(dxemem_get_oem_pool(fx->d, 0, &type, &u), DXEMEM_SUCCESS);
  assert_int_equal(type, OS1);
  assert_int_equal(u, 0x38);
  assert_int_equal(dxemem_get_oem_pool(fx->d, 1, &type, &u), DXEMEM_SUCCESS);
  assert_int_equal(type, OEM1);
  assert_int_equal(u, 0x38 + 0x90);
  assert_int_equal(dxemem_get_oem_pool(fx->d, 2, &type, &u), DXEMEM_NOT_FOUND);
  assert_int_equal(used(fx, T_BSD), 0x220);
  pool_free(fx, a);
  assert_int_equal(used(fx, T_BSD), 0x220);
  assert_int_equal(dxemem_free_pool(fx->d, c, &type), DXEMEM_SUCCESS);
  assert_int_equal(type, OEM1);
  assert_int_equal(used(fx, T_BSD), 0x110);
  assert_int_equal(dxemem_get_pool_used(fx->d, OEM1, &u), DXEMEM_NOT_FOUND);
  pool_free(fx, b);
  assert_int_equal(used(fx, T_BSD), 0);
  assert_int_equal(dxemem_get_oem_pool(fx->d, 0, &type, &u), DXEMEM_NOT_FOUND);
  EXPECT_MAP(fx->d, {T_CONV, FX_BASE, 0xff, 0}, {T_BSD, FX_REFUEL, 1, 0});
}

/* The POOL is made before the page search: a request that then finds no
 * memory leaves an empty OEM pool behind. */
static void test_oem_header_stays_when_pages_fail(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  uint64_t buffer = 1;
  assert_int_equal(dxemem_allocate_pool(fx->d, OEM1, FX_SIZE, &buffer),
                   DXEMEM_OUT_OF_RESOURCES);
  assert_int_equal(buffer, 0);
  assert_int_equal(used(fx, OEM1), 0);
  assert_int_equal(used(fx, T_BSD), 0x110);
}

/* ---- statuses ------------------------------------------------------------ */

static void test_allocate_statuses(void **state) {
  core_fixture *fx = *state;
  fx_rebuild(fx, FX_BASE, FX_SIZE, 65536);
  fx_add_all(fx);
  uint64_t buffer = 7;
  static const uint32_t bad[] = {T_CONV, 14, 15, 16, 0x6fffffff};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    assert_int_equal(dxemem_allocate_pool(fx->d, bad[i], 8, &buffer),
                     DXEMEM_INVALID_PARAMETER);
    assert_int_equal(buffer, 7);
  }
  assert_int_equal(dxemem_allocate_pool(fx->d, T_BSD, 8, NULL),
                   DXEMEM_INVALID_PARAMETER);
  assert_int_equal(dxemem_allocate_pool(fx->d, T_BSD, POOL_MAX_SIZE + 1,
                                        &buffer),
                   DXEMEM_OUT_OF_RESOURCES);
  assert_int_equal(buffer, 0);
  /* dxemem: sizes whose arithmetic wraps in edk2, nothing changes. */
  static const uint64_t wraps[] = {POOL_MAX_SIZE, UINT64_MAX - 4134,
                                   UINT64_MAX - 47};
  for (size_t i = 0; i < sizeof wraps / sizeof wraps[0]; i++) {
    assert_int_equal(dxemem_allocate_pool(fx->d, T_BSD, wraps[i], &buffer),
                     DXEMEM_OUT_OF_RESOURCES);
  }
  assert_int_equal(dxemem_allocate_pool(fx->d, T_RTD, UINT64_MAX - 65574,
                                        &buffer),
                   DXEMEM_OUT_OF_RESOURCES);
  /* The largest sizes that do not wrap just find no memory. */
  assert_int_equal(dxemem_allocate_pool(fx->d, T_BSD, UINT64_MAX - 4135,
                                        &buffer),
                   DXEMEM_OUT_OF_RESOURCES);
  assert_int_equal(dxemem_allocate_pool(fx->d, T_RTD, UINT64_MAX - 65575,
                                        &buffer),
                   DXEMEM_OUT_OF_RESOURCES);
  assert_int_equal(used(fx, T_BSD), 0);
  assert_int_equal(used(fx, T_RTD), 0);
  assert_int_equal(dxemem_allocate_pool(NULL, T_BSD, 8, &buffer),
                   DXEMEM_INVALID_PARAMETER);
}

/* No memory for a bucket page, then none for a page-path request. */
static void test_allocate_out_of_memory(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  (void)fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_LD, 0xff, 0);
  uint64_t buffer = 0;
  assert_int_equal(dxemem_allocate_pool(fx->d, T_BSD, 8, &buffer),
                   DXEMEM_OUT_OF_RESOURCES);
  assert_int_equal(dxemem_allocate_pool(fx->d, T_BSD, 8000, &buffer),
                   DXEMEM_OUT_OF_RESOURCES);
  assert_int_equal(used(fx, T_BSD), 0);
}

/* What FreePool checks: head signature, tail signature, tail size. */
static void test_free_checks(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  uint64_t a = pool(fx, T_BSD, 100);
  uint64_t b = pool(fx, T_BSD, 100);
  uint64_t c = pool(fx, T_BSD, 100);
  uint64_t u = used(fx, T_BSD);
  assert_int_equal(dxemem_free_pool(fx->d, 0, NULL), DXEMEM_INVALID_PARAMETER);
  assert_int_equal(dxemem_free_pool(fx->d, a + 64, NULL),
                   DXEMEM_INVALID_PARAMETER);
  wr32(fx, b + 104, 0x22222222); /* b's tail signature */
  assert_int_equal(dxemem_free_pool(fx->d, b, NULL), DXEMEM_INVALID_PARAMETER);
  wr64(fx, c + 112, 0x33); /* c's tail size */
  assert_int_equal(dxemem_free_pool(fx->d, c, NULL), DXEMEM_INVALID_PARAMETER);
  assert_int_equal(used(fx, T_BSD), u);
  pool_free(fx, a);
  /* A bucket block freed twice: its head reads as free now. */
  assert_int_equal(dxemem_free_pool(fx->d, a, NULL), DXEMEM_INVALID_PARAMETER);
  assert_int_equal(used(fx, T_BSD), u - 0x90);
  assert_int_equal(dxemem_free_pool(NULL, a, NULL), DXEMEM_INVALID_PARAMETER);
}

/* dxemem: a head or tail outside the region is refused, not read. */
static void test_free_outside_region(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  assert_int_equal(dxemem_free_pool(fx->d, 8, NULL), DXEMEM_INVALID_PARAMETER);
  assert_int_equal(dxemem_free_pool(fx->d, FX_BASE + 8, NULL),
                   DXEMEM_INVALID_PARAMETER);
  assert_int_equal(dxemem_free_pool(fx->d, FX_TOP + 0x18, NULL),
                   DXEMEM_INVALID_PARAMETER);
  uint64_t a = pool(fx, T_BSD, 8);
  uint64_t size = rd64(fx, a - 8);
  wr64(fx, a - 8, 0x100000); /* the tail would be 1 MiB further */
  assert_int_equal(dxemem_free_pool(fx->d, a, NULL), DXEMEM_INVALID_PARAMETER);
  wr64(fx, a - 8, size);
  pool_free(fx, a);
}

/* A head whose type has no pool (16..0x6fffffff) is EFI_INVALID_PARAMETER
 * (edk2: LookupPoolHead returns NULL). */
static void test_free_head_of_invalid_type(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  uint64_t a = pool(fx, T_BSD, 8);
  wr32(fx, a - 16, 16);
  assert_int_equal(dxemem_free_pool(fx->d, a, NULL), DXEMEM_INVALID_PARAMETER);
  wr32(fx, a - 16, T_BSD);
  pool_free(fx, a);
}

/* dxemem: a page-path buffer freed twice (its pages are free again). edk2
 * returns EFI_SUCCESS and subtracts Used again. */
static void test_page_path_double_free(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  uint64_t b = pool(fx, T_BSD, 8000);
  pool_free(fx, b);
  assert_int_equal(dxemem_free_pool(fx->d, b, NULL), DXEMEM_INVALID_PARAMETER);
  assert_int_equal(used(fx, T_BSD), 0);
  /* Also when the freed head lies where no map entry is. */
  uint64_t c = pool(fx, T_BSD, 8000);
  pool_free(fx, c);
  assert_int_equal(dxemem_free_pool(fx->d, c, NULL), DXEMEM_INVALID_PARAMETER);
}

/* dxemem: the POOL header of a live OEM pool is the pool's own block. */
static void test_free_of_oem_pool_header(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  uint64_t a = pool(fx, OEM1, 16);
  assert_int_equal(dxemem_free_pool(fx->d, PAGE0 + 0x18, NULL),
                   DXEMEM_INVALID_PARAMETER);
  assert_int_equal(used(fx, T_BSD), 0x110);
  pool_free(fx, a);
}

/* dxemem: a head forged in free memory is not freed. */
static void test_free_of_head_in_free_memory(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  uint64_t a = pool(fx, T_BSD, 8);
  uint8_t copy[0x30];
  memcpy(copy, host(fx, a - 0x18, sizeof copy), sizeof copy);
  memcpy(host(fx, FX_BASE, sizeof copy), copy, sizeof copy);
  assert_int_equal(dxemem_free_pool(fx->d, FX_BASE + 0x18, NULL),
                   DXEMEM_INVALID_PARAMETER);
  pool_free(fx, a);
}

/* dxemem: a head and tail made up inside a live buffer, off the 128-byte
 * grid of bucket blocks (edk2 would put that block on a free list). */
static void test_free_of_made_up_block(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  uint64_t a = pool(fx, T_BSD, 1000); /* a 1024 block */
  uint8_t copy[0x30];
  uint64_t small = pool(fx, T_BSD, 8);
  memcpy(copy, host(fx, small - 0x18, sizeof copy), sizeof copy);
  memcpy(host(fx, a + 0x40, sizeof copy), copy, sizeof copy);
  assert_int_equal(dxemem_free_pool(fx->d, a + 0x58, NULL),
                   DXEMEM_INVALID_PARAMETER);
  /* On the grid but running past its page: a 2688 block at +0x680 of
   * the second pool page (big's slack), its tail in a's buffer. */
  uint64_t big = pool(fx, T_BSD, 2000);
  uint64_t page1 = PAGE0 - 0x1000;
  assert_int_equal(big, page1 + 0x18);
  uint64_t fake = page1 + 0x680;
  wr32(fx, fake, POOL_HEAD_SIGNATURE);
  wr32(fx, fake + 8, T_BSD);
  wr64(fx, fake + 16, 0xa80);
  wr32(fx, fake + 0xa80 - 16, POOL_TAIL_SIGNATURE);
  wr64(fx, fake + 0xa80 - 8, 0xa80);
  assert_true(fake + 0xa80 - 16 > a && fake + 0xa80 < a + 1000);
  uint64_t u = used(fx, T_BSD);
  assert_int_equal(dxemem_free_pool(fx->d, fake + 0x18, NULL),
                   DXEMEM_INVALID_PARAMETER);
  assert_int_equal(used(fx, T_BSD), u);
  pool_free(fx, small);
  pool_free(fx, big);
  pool_free(fx, a);
}

static void test_read_access_arguments(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  uint64_t u = 0;
  uint32_t type = 0;
  assert_int_equal(dxemem_get_pool_used(fx->d, T_BSD, NULL),
                   DXEMEM_INVALID_PARAMETER);
  assert_int_equal(dxemem_get_pool_used(fx->d, 16, &u),
                   DXEMEM_INVALID_PARAMETER);
  assert_int_equal(dxemem_get_pool_used(NULL, T_BSD, &u),
                   DXEMEM_INVALID_PARAMETER);
  assert_int_equal(dxemem_get_oem_pool(fx->d, 0, NULL, &u),
                   DXEMEM_INVALID_PARAMETER);
  assert_int_equal(dxemem_get_oem_pool(fx->d, 0, &type, NULL),
                   DXEMEM_INVALID_PARAMETER);
  assert_int_equal(dxemem_get_oem_pool(NULL, 0, &type, &u),
                   DXEMEM_INVALID_PARAMETER);
}

/* ---- corruption ---------------------------------------------------------- */

/* A scribbled free-list link: the call that would follow it refuses with
 * EFI_VOLUME_CORRUPTED, names the block, changes nothing. */
static void test_scribbled_free_link(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  uint64_t a = pool(fx, T_BSD, 24);
  fx->broken = true;
  wr64(fx, PAGE0 + 0xb00 + 8, 0x1234567); /* the 1024 block's ForwardLink */
  uint64_t key = dxemem_get_map_key(fx->d);
  uint64_t buffer = 0;
  assert_int_equal(dxemem_allocate_pool(fx->d, T_BSD, 24, &buffer),
                   DXEMEM_VOLUME_CORRUPTED);
  assert_int_equal(buffer, 0);
  assert_int_equal(dxemem_free_pool(fx->d, a, NULL), DXEMEM_VOLUME_CORRUPTED);
  assert_int_equal(dxemem_get_map_key(fx->d), key);
  assert_int_equal(used(fx, T_BSD), 0x40);
  dxemem_violation v = fx_assert_violation(fx, DXEMEM_VIOLATION_POOL);
  (void)v;
}

/* A scribbled free block met by the page-return walk. */
static void test_scribbled_block_in_page_walk(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  uint64_t a = pool(fx, T_BSD, 24);
  (void)pool(fx, T_BSD, 2649); /* a page elsewhere, so lists stay */
  fx->broken = true;
  wr32(fx, PAGE0 + 0xf00 + 4, 9); /* the 256 block's index */
  assert_int_equal(dxemem_free_pool(fx->d, a, NULL), DXEMEM_VOLUME_CORRUPTED);
  assert_int_equal(dxemem_last_corruption(fx->d), PAGE0 + 0xf00);
  (void)fx_assert_violation(fx, DXEMEM_VIOLATION_POOL);
}

/* A scribbled list head neighbour when the larger bucket is split. */
static void test_scribbled_larger_block(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  (void)pool(fx, T_BSD, 24);
  (void)pool(fx, T_BSD, 2648);
  (void)pool(fx, T_BSD, 89);
  fx->broken = true;
  /* The 1024 block's BackLink no longer names the list head. */
  wr64(fx, PAGE0 + 0xb00 + 16, PAGE0 + 0xb00 + 8);
  uint64_t buffer = 0;
  assert_int_equal(dxemem_allocate_pool(fx->d, T_BSD, 1, &buffer),
                   DXEMEM_VOLUME_CORRUPTED);
}

/* A scribbled OEM/OS POOL: lookups and the readers refuse. */
static void test_scribbled_oem_pool(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  uint64_t a = pool(fx, OEM1, 16);
  uint64_t pool_struct = PAGE0 + 0x18; /* the first BSD block */
  assert_int_equal(rd64(fx, pool_struct), POOL_SIGNATURE);
  fx->broken = true;
  wr64(fx, pool_struct, 0);
  uint64_t u = 0;
  uint32_t type = 0;
  uint64_t buffer = 0;
  assert_int_equal(dxemem_allocate_pool(fx->d, OS1, 8, &buffer),
                   DXEMEM_VOLUME_CORRUPTED);
  assert_int_equal(dxemem_get_pool_used(fx->d, OEM1, &u),
                   DXEMEM_VOLUME_CORRUPTED);
  assert_int_equal(dxemem_get_oem_pool(fx->d, 0, &type, &u),
                   DXEMEM_VOLUME_CORRUPTED);
  assert_int_equal(dxemem_free_pool(fx->d, a, NULL), DXEMEM_VOLUME_CORRUPTED);
  (void)fx_assert_violation(fx, DXEMEM_VIOLATION_POOL);
  /* A broken mPoolHeadList head link. */
  wr64(fx, pool_struct, POOL_SIGNATURE);
  fx_assert_green(fx);
  fx->d->pool_nodes[POOL_HOST_NODES - 1][1] = 0x40;
  assert_int_equal(dxemem_get_pool_used(fx->d, OS1, &u),
                   DXEMEM_VOLUME_CORRUPTED);
  fx->d->pool_nodes[POOL_HOST_NODES - 1][1] = pool_struct + POOL_STRUCT_LINK;
  fx->d->pool_oem_count = 0;
  assert_int_equal(dxemem_get_pool_used(fx->d, OEM1, &u),
                   DXEMEM_VOLUME_CORRUPTED);
  fx->d->pool_oem_count = 1;
  fx->broken = false;
  pool_free(fx, a);
}

/* The OEM POOL's own block is checked before the last free of the type
 * starts: a scribbled one stops the free before anything changes. */
static void test_scribbled_oem_pool_block(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  uint64_t a = pool(fx, OEM1, 16);
  fx->broken = true;
  /* The 2688 block after the POOL's 384 block: its list head link. */
  wr64(fx, PAGE0 + 0x180 + 16, 0x10);
  assert_int_equal(dxemem_free_pool(fx->d, a, NULL), DXEMEM_VOLUME_CORRUPTED);
  assert_int_equal(used(fx, OEM1), 0x38);
}

/* The checker finds what the operations would find later. */
static void test_checker_pool_rules(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  uint64_t a = pool(fx, T_BSD, 24);
  fx->broken = true;
  /* A list that the pool pages never use is not empty. */
  pool_ref high = POOL_REF_HOST_LIST(T_BSD, 8);
  fx->d->pool_nodes[(high - 1) / 2][0] = PAGE0 + 0x88;
  (void)fx_assert_violation(fx, DXEMEM_VIOLATION_POOL);
  fx->d->pool_nodes[(high - 1) / 2][0] = high;
  fx_assert_green(fx);
  /* A live block scribbled with a bad signature in a free block's page. */
  uint32_t sig = rd32(fx, PAGE0 + 0x80);
  wr32(fx, PAGE0 + 0x80, 0x41414141);
  (void)fx_assert_violation(fx, DXEMEM_VIOLATION_POOL);
  wr32(fx, PAGE0 + 0x80, sig);
  /* Used below the live blocks. */
  fx->d->pool_used[T_BSD] = 0x10;
  (void)fx_assert_violation(fx, DXEMEM_VIOLATION_POOL);
  fx->d->pool_used[T_BSD] = 0x40;
  /* A free block off the tiling (the list names a block mid-page). */
  fx_assert_green(fx);
  fx->broken = false;
  pool_free(fx, a);
}

/* The pool page of a 24-byte request, with the 256 block at 0xf00 forged
 * into a 1024 block on list 4 (its links made consistent): it now runs
 * past the page. The checker and the page-return walk both see it. */
static void test_block_running_past_its_page(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  uint64_t a = pool(fx, T_BSD, 24);
  fx->broken = true;
  pool_ref l1 = POOL_REF_HOST_LIST(T_BSD, 1);
  pool_ref l4 = POOL_REF_HOST_LIST(T_BSD, 4);
  uint64_t b08 = PAGE0 + 0xb08, f08 = PAGE0 + 0xf08;
  dx_pool_list_init(fx->d, l1);
  wr32(fx, PAGE0 + 0xf04, 4);
  /* list 4: head <-> 0xb08 <-> 0xf08 <-> head */
  fx->d->pool_nodes[(l4 - 1) / 2][0] = b08;
  fx->d->pool_nodes[(l4 - 1) / 2][1] = f08;
  wr64(fx, b08, f08);
  wr64(fx, b08 + 8, l4);
  wr64(fx, f08, l4);
  wr64(fx, f08 + 8, b08);
  (void)fx_assert_violation(fx, DXEMEM_VIOLATION_POOL);
  assert_int_equal(dxemem_free_pool(fx->d, a, NULL), DXEMEM_VOLUME_CORRUPTED);
  assert_int_equal(dxemem_last_corruption(fx->d), PAGE0 + 0xf00);
}

/* A pool page freed through FreePages behind the pool's back: edk2 lets
 * it go, so it is a hazard (DXEMEM_HAZARD_FREES_POOL_PAGE), not a broken
 * invariant; the checker stops its pool rules, and the teardown's check
 * passes. */
static void test_checker_pool_page_freed(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  (void)pool(fx, T_BSD, 24);
  assert_int_equal(dxemem_free_pages(fx->d, PAGE0, 1), DXEMEM_SUCCESS);
  assert_int_equal(
      dxemem_get_hazard_count(fx->d, DXEMEM_HAZARD_FREES_POOL_PAGE), 1);
  assert_int_equal(dxemem_check(fx->d, NULL), DXEMEM_SUCCESS);
}

/* A live head rewritten as a free block that is on no list. */
static void test_checker_forged_free_block(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  (void)pool(fx, T_BSD, 24);
  uint64_t b = pool(fx, T_BSD, 24); /* splits the 256 at 0xf00 */
  assert_int_equal(b, PAGE0 + 0xf18);
  fx->broken = true;
  wr32(fx, PAGE0 + 0xf00, POOL_FREE_SIGNATURE);
  wr32(fx, PAGE0 + 0xf04, 0);
  wr64(fx, PAGE0 + 0xf08, 0x1234560);
  (void)fx_assert_violation(fx, DXEMEM_VIOLATION_POOL);
}

/* The poison pair answers a reference that names nothing. */
static void test_links_of_bad_references(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  fx->broken = true;
  assert_ptr_equal(dx_pool_links(fx->d, 3), fx->d->pool_nodes[1]);
  assert_ptr_equal(dx_pool_links(fx->d, 2 * POOL_HOST_NODES + 1),
                   fx->d->pool_poison);
  assert_ptr_equal(dx_pool_links(fx->d, 0x12), fx->d->pool_poison);
  assert_ptr_equal(dx_pool_links(fx->d, FX_TOP), fx->d->pool_poison);
  assert_int_equal(dxemem_last_corruption(fx->d), FX_TOP);
  assert_false(dx_pool_free_block_ok(fx->d, PAGE0 + 8, 0));
  assert_false(dx_pool_struct_ok(fx->d, PAGE0));
  assert_false(dx_pool_struct_ok(fx->d, FX_TOP - 0x80 + 24));
  fx->broken = false;
}

#define T(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      T(test_bucket_index_edges),
      T(test_head_tail_and_used),
      T(test_fresh_page_is_carved),
      T(test_larger_block_is_split),
      T(test_lifo_reuse),
      T(test_page_returns_when_all_free),
      T(test_page_path_threshold),
      T(test_runtime_pools_64k),
      T(test_oem_pool_lifetime),
      T(test_oem_header_stays_when_pages_fail),
      T(test_allocate_statuses),
      T(test_allocate_out_of_memory),
      T(test_free_checks),
      T(test_free_outside_region),
      T(test_free_head_of_invalid_type),
      T(test_page_path_double_free),
      T(test_free_of_oem_pool_header),
      T(test_free_of_head_in_free_memory),
      T(test_free_of_made_up_block),
      T(test_read_access_arguments),
      T(test_scribbled_free_link),
      T(test_scribbled_block_in_page_walk),
      T(test_scribbled_larger_block),
      T(test_scribbled_oem_pool),
      T(test_scribbled_oem_pool_block),
      T(test_checker_pool_rules),
      T(test_links_of_bad_references),
      T(test_block_running_past_its_page),
      T(test_checker_pool_page_freed),
      T(test_checker_forged_free_block),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
