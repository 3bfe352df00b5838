/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * The pool part of dxemem_check: what Pool.c keeps true between calls.
 *  - mPoolHeadList holds sound OEM/OS POOLs (signature, type, each a live
 *    BootServicesData pool block), as many as the instance counts.
 *  - Every node of every bucket list is a free block with the free
 *    signature and that list's index, on a 128-byte boundary, whose links
 *    agree with its neighbours'; lists at or above the pool page size's own
 *    index stay empty.
 *  - The pool page (granule) of a free block is allocated as the pool's
 *    type and is tiled by blocks: free ones with sound links, live ones
 *    whose head gives the bucket. A live block's head and tail belong to
 *    its caller to overwrite by mistake (FreePool reports that), so the
 *    walk of a page ends quietly at a damaged one.
 *  - Used is at least the sum of the intact live blocks found in them.
 *    (Pages without a free block and page-path buffers are not reachable
 *    from anything edk2 keeps, so the exact sum is checked by the tests and
 *    fuzzers, which know every live buffer, through dxemem_get_pool_used.)
 */
#include "internal.h"

typedef struct pool_checker {
  dxemem *d;
  dxemem_violation *out;
  pool_id pool;
  uint64_t granularity;
  uint32_t limit;    /* first bucket index the pool pages do not use */
  uint64_t live_sum; /* live bytes in the granules walked */
} pool_checker;

static dxemem_status broken(pool_checker *c, uint64_t address,
                            const char *what) {
  return dx_violation(c->out, DXEMEM_VIOLATION_POOL, address, what);
}

/* A free block's links agree with both neighbours. */
static bool links_agree(dxemem *d, uint64_t block) {
  pool_ref self = block + POOL_FREE_LINK;
  return dx_pool_prev(d, dx_pool_next(d, self)) == self &&
         dx_pool_next(d, dx_pool_prev(d, self)) == self;
}

/* Walks a pool page (from its lowest free block, so each page is walked
 * once) and adds its live bytes. */
/* The granule lies in entries of the pool's type, one after the other: an
 * attribute change (CoreUpdateMemoryAttributes) may have split it. */
static bool granule_allocated(pool_checker *c, uint64_t granule) {
  dxemem *d = c->d;
  uint64_t last = granule + c->granularity - 1u;
  entry_ref ref = dx_map_find_containing(d, granule);
  while (ref != REF_NULL && ref != REF_MAP_HEAD &&
         dx_node(d, ref)->type == c->pool.type) {
    uint64_t end = dx_node(d, ref)->end;
    if (end >= last) {
      return true;
    }
    ref = dx_list_next(d, ref);
    if (ref != REF_MAP_HEAD && dx_node(d, ref)->start != end + 1u) {
      return false;
    }
  }
  return false;
}

static dxemem_status check_granule(pool_checker *c, uint64_t granule) {
  dxemem *d = c->d;
  if (!d->overlap_added && !granule_allocated(c, granule)) {
    return broken(c, granule, "pool page not allocated as its pool's type");
  }
  for (uint64_t offset = 0; offset < c->granularity;) {
    uint64_t block = granule + offset;
    const uint8_t *b = dx_region_host_of(d, block, POOL_HEAD_BYTES);
    uint32_t signature = b != NULL ? dx_load32(b) : 0;
    uint32_t index;
    if (signature == POOL_FREE_SIGNATURE) {
      index = dx_load32(b + 4);
      if (index >= c->limit || !links_agree(d, block)) {
        return broken(c, block, "free pool block with a bad index or links");
      }
    } else {
      /* A live block: its head and tail are the caller's to overwrite by
       * mistake (FreePool reports that), so a damaged one ends the walk. */
      uint64_t size = signature == POOL_HEAD_SIGNATURE ? dx_load64(b + 16) : 0;
      index = dx_pool_index_from_size(size);
      const uint8_t *t = size >= POOL_OVERHEAD && index < c->limit
                             ? dx_region_host_of(d, block + size - 16u, 16u)
                             : NULL;
      if (t == NULL || dx_load32(b + 8) != c->pool.type ||
          dx_load32(t) != POOL_TAIL_SIGNATURE || dx_load64(t + 8) != size) {
        return DXEMEM_SUCCESS;
      }
      c->live_sum += size;
    }
    offset += dx_pool_size_table[index];
    if (offset > c->granularity) {
      return broken(c, block, "pool block runs past its pool page");
    }
  }
  return DXEMEM_SUCCESS;
}

/* One node of list index: the block itself, then its page if it is the
 * lowest free block there. */
static dxemem_status check_free_block(pool_checker *c, uint64_t block,
                                      uint32_t index) {
  dxemem *d = c->d;
  uint64_t granule = block & ~(c->granularity - 1u);
  if (block - granule + dx_pool_size_table[index] > c->granularity) {
    return broken(c, block, "free pool block runs past its pool page");
  }
  /* Find the block in the tiling; stop at an earlier free block. */
  for (uint64_t offset = 0; offset < c->granularity;) {
    uint64_t at = granule + offset;
    if (at == block) {
      return check_granule(c, granule);
    }
    const uint8_t *b = dx_region_host_of(d, at, POOL_HEAD_BYTES);
    uint32_t signature = b != NULL ? dx_load32(b) : 0;
    if (signature == POOL_FREE_SIGNATURE) {
      return DXEMEM_SUCCESS; /* the page is walked from that block */
    }
    uint32_t live_index = signature == POOL_HEAD_SIGNATURE
                              ? dx_pool_index_from_size(dx_load64(b + 16))
                              : POOL_LIST_COUNT;
    if (live_index >= c->limit) {
      return DXEMEM_SUCCESS; /* a damaged live head: the tiling is lost */
    }
    offset += dx_pool_size_table[live_index];
  }
  return broken(c, block, "free pool block off the tiling of its page");
}

static dxemem_status check_lists(pool_checker *c) {
  dxemem *d = c->d;
  uint64_t max_nodes = d->region_size / 128u + 1u;
  for (uint32_t i = 0; i < POOL_LIST_COUNT; i++) {
    pool_ref head = dx_pool_list_head(c->pool, i);
    pool_ref prev = head;
    uint64_t count = 0;
    for (pool_ref r = dx_pool_next(d, head); r != head;
         r = dx_pool_next(d, r)) {
      if (i >= c->limit) {
        return broken(c, r, "free block on a list its pool pages never use");
      }
      if (count++ > max_nodes || (r & 1u) != 0 || r < POOL_FREE_LINK ||
          !dx_pool_free_block_ok(d, r - POOL_FREE_LINK, i) ||
          dx_pool_prev(d, r) != prev) {
        return broken(c, (r & 1u) != 0 ? prev : r, "pool free list broken");
      }
      dxemem_status status = check_free_block(c, r - POOL_FREE_LINK, i);
      if (status != DXEMEM_SUCCESS) {
        return status;
      }
      prev = r;
    }
    if (dx_pool_prev(d, head) != prev) {
      return broken(c, prev, "pool free list broken");
    }
  }
  if (dx_pool_used(d, c->pool) < c->live_sum) {
    return broken(c, c->pool.type, "Used below its live blocks, pool type");
  }
  return DXEMEM_SUCCESS;
}

static dxemem_status check_one_pool(dxemem *d, dxemem_violation *out,
                                    pool_id pool) {
  pool_checker c = {.d = d, .out = out, .pool = pool};
  c.granularity = dx_granularity_for_type(d, pool.type);
  c.limit = dx_pool_index_from_size(c.granularity);
  return check_lists(&c);
}

/* Every pool: mPoolHead[type] for each type, then each OEM/OS POOL on
 * mPoolHeadList, as long as visit returns false. The list walk is bounded
 * by the instance's count and stops at a POOL outside the region. */
typedef bool (*pool_visit)(dxemem *d, pool_id pool, void *context);

static void each_pool(dxemem *d, pool_visit visit, void *context) {
  for (uint32_t t = 0; t < DXEMEM_MAX_MEMORY_TYPE; t++) {
    if (visit(d, (pool_id){t, 0}, context)) {
      return;
    }
  }
  pool_ref link = dx_pool_next(d, POOL_REF_HEAD_LIST);
  for (uint64_t left = d->pool_oem_count;
       link != POOL_REF_HEAD_LIST && left > 0; left--) {
    uint64_t oem = link - POOL_STRUCT_LINK;
    const uint8_t *p = dx_region_host_of(d, oem, POOL_STRUCT_BYTES);
    if (p == NULL || visit(d, (pool_id){dx_load32(p + 16), oem}, context)) {
      return;
    }
    link = dx_pool_next(d, link);
  }
}

typedef struct block_search {
  uint64_t lo, hi;
  bool found;
} block_search;

/* A bounded walk of one pool's lists (a pool with no Used has no pool
 * page, hence no free block: its lists are not read at all). */
static bool find_block_within(dxemem *d, pool_id pool, void *context) {
  block_search *s = context;
  if (dx_pool_used(d, pool) == 0) {
    return false;
  }
  uint64_t max_nodes = d->region_size / 128u + 1u;
  for (uint32_t i = 0; i < POOL_LIST_COUNT; i++) {
    pool_ref head = dx_pool_list_head(pool, i);
    uint64_t count = 0;
    for (pool_ref r = dx_pool_next(d, head);
         r != head && count++ <= max_nodes && (r & 1u) == 0 &&
         r >= POOL_FREE_LINK;
         r = dx_pool_next(d, r)) {
      if (s->lo <= r - POOL_FREE_LINK && r - POOL_FREE_LINK <= s->hi) {
        s->found = true;
        return true;
      }
    }
  }
  return false;
}

bool dx_pool_free_block_within(dxemem *d, uint64_t lo, uint64_t hi) {
  block_search s = {lo, hi, false};
  each_pool(d, find_block_within, &s);
  return s.found;
}

typedef struct pool_check_run {
  dxemem_violation *out;
  dxemem_status status;
} pool_check_run;

static bool check_pool_visit(dxemem *d, pool_id pool, void *context) {
  pool_check_run *run = context;
  run->status = check_one_pool(d, run->out, pool);
  return run->status != DXEMEM_SUCCESS;
}

dxemem_status dx_check_pool(dxemem *d, dxemem_violation *out) {
  /* After FreePages took pages holding free blocks, the lists link free
   * memory, as in edk2 (DXEMEM_HAZARD_FREES_POOL_PAGE): nothing to hold. */
  if (d->pool_pages_freed) {
    return DXEMEM_SUCCESS;
  }
  uint64_t none = 0;
  if (dx_pool_find_oem(d, 0, &none) != DXEMEM_SUCCESS) {
    return dx_violation(out, DXEMEM_VIOLATION_POOL, d->last_corruption,
                        "OEM/OS pool list broken");
  }
  pool_check_run run = {out, DXEMEM_SUCCESS};
  each_pool(d, check_pool_visit, &run);
  return run.status;
}
