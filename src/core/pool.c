/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * Pool.c of edk2-stable202605 (RELEASE, memory profile off; the heap guard
 * comes in through heap_guard.h where edk2 branches on NeedGuard):
 * CoreAllocatePool / CoreInternalAllocatePool / CoreAllocatePoolI,
 * CoreFreePool / CoreInternalFreePool / CoreFreePoolI, LookupPoolHead and
 * the pool-page pair CoreAllocatePoolPagesI / CoreFreePoolPagesI.
 *
 * A request of BYTES needs ALIGN8(BYTES) + 40 bytes: a 24-byte POOL_HEAD,
 * the buffer, a 16-byte POOL_TAIL. It is served from the smallest bucket
 * (128 256 384 640 1024 1664 2688 4352 7040 11392 18432 29824) that holds
 * it, if that bucket lies below the pool page size (4 KiB, or the runtime
 * granularity for types 0, 5, 6, 10), else from pages of its own. An empty
 * bucket splits the first block of the next larger non-empty one, or a
 * fresh pool page, carving the rest greedily into smaller free blocks. A
 * page whose blocks are all free goes back to the page allocator.
 *
 * Where dxemem deliberately differs (edk2 RELEASE is undefined there):
 *  - a buffer whose POOL_HEAD or POOL_TAIL would lie outside the region is
 *    refused with EFI_INVALID_PARAMETER instead of being read;
 *  - a second free of a page-path buffer (its pages are free already) is
 *    EFI_INVALID_PARAMETER, where edk2 returns EFI_SUCCESS and subtracts
 *    Used again; so is any head that lies in free memory, and a free of
 *    the POOL header of a live OEM/OS pool (edk2 frees it, then follows
 *    its overwritten fields), and of a bucket-sized head off the
 *    128-byte grid of its pool page;
 *  - sizes whose overhead or page count wraps are EFI_OUT_OF_RESOURCES;
 *  - lists, blocks and POOL headers are checked before they are followed,
 *    and a scribble gives EFI_VOLUME_CORRUPTED with nothing changed;
 *  - when a pool page's conversion cannot get a map entry (edk2 loops
 *    forever), the request fails with EFI_OUT_OF_RESOURCES.
 */
#include "internal.h"

/* mPoolSizeTable: each size is the sum of the two before it, so a block of
 * one bucket splits exactly into blocks of smaller ones. */
const uint16_t dx_pool_size_table[POOL_LIST_COUNT] = {
    128, 256, 384, 640, 1024, 1664, 2688, 4352, 7040, 11392, 18432, 29824};

/* Models GetPoolIndexFromSize (SIZE_TO_LIST): POOL_LIST_COUNT when no
 * bucket holds size. */
uint32_t dx_pool_index_from_size(uint64_t size) {
  for (uint32_t i = 0; i < POOL_LIST_COUNT; i++) {
    if (dx_pool_size_table[i] >= size) {
      return i;
    }
  }
  return POOL_LIST_COUNT;
}

static uint64_t align8(uint64_t size) {
  return (size + 7u) & ~UINT64_C(7);
}

/* EFI_SIZE_TO_PAGES, then rounded up to the granularity (never wraps for
 * the sizes that reach it: see pool_request_wraps). */
static uint64_t pool_pages_for(uint64_t size, uint64_t granularity) {
  uint64_t unit = granularity >> DXEMEM_PAGE_SHIFT;
  uint64_t pages = (size >> DXEMEM_PAGE_SHIFT) +
                   ((size & DXEMEM_PAGE_MASK) != 0 ? 1u : 0u);
  return (pages + unit - 1u) & ~(unit - 1u);
}

/* ---- pool pages ---------------------------------------------------------- */

/* Models CoreAllocatePoolPagesI: the one place where pool pages are taken;
 * with need_guard they get guard pages around them (SetGuardForMemory). */
static uint64_t core_allocate_pool_pages_i(dxemem *d, uint32_t pool_type,
                                           uint64_t pages,
                                           uint64_t granularity,
                                           bool need_guard) {
  uint64_t start = 0;
  if (dx_core_allocate_pool_pages(d, pool_type, pages, granularity,
                                  need_guard, &start) != DXEMEM_SUCCESS) {
    return 0;
  }
  d->pool_pages_taken = true;
  if (need_guard) {
    dx_set_guard_for_memory(d, start, pages);
  }
  dx_emit_event(d, DXEMEM_EVENT_POOL_PAGES, pool_type, start,
                start + (pages << DXEMEM_PAGE_SHIFT) - 1u, 0);
  return start;
}

/* Models CoreFreePoolPagesI: the one place where pool pages go back
 * (CoreFreePoolPages, whose conversion status edk2 drops), then to the
 * freed-memory guard. */
static void core_free_pool_pages_i(dxemem *d, uint32_t pool_type,
                                   uint64_t memory, uint64_t pages) {
  dx_emit_event(d, DXEMEM_EVENT_POOL_PAGE_RETURN, pool_type, memory,
                memory + (pages << DXEMEM_PAGE_SHIFT) - 1u, 0);
  (void)dx_core_convert_pages(d, memory, pages, DXEMEM_CONVENTIONAL_MEMORY);
  dx_guard_freed_pages_checked(d, memory, pages);
}

/* Models CoreFreePoolPagesWithGuard: the guards go with the pages unless
 * a neighbour still shares them. */
static void core_free_pool_pages_with_guard(dxemem *d, uint32_t pool_type,
                                            uint64_t memory, uint64_t pages) {
  uint64_t memory_guarded = memory;
  uint64_t pages_guarded = pages;
  dx_adjust_memory_f(d, &memory, &pages);
  dx_unset_guard_for_memory(d, memory_guarded, pages_guarded);
  if (pages > 0) {
    core_free_pool_pages_i(d, pool_type, memory, pages);
  }
}

/* ---- LookupPoolHead ------------------------------------------------------ */

/* Models LookupPoolHead: mPoolHead[type] for UEFI types; for OEM/OS types
 * the POOL on mPoolHeadList, made on first use from a BootServicesData
 * pool block and linked at the head. DXEMEM_OUT_OF_RESOURCES stands for
 * edk2's NULL (a type in [16, 0x70000000), or no memory for the POOL). */
dxemem_status dx_lookup_pool_head(dxemem *d, uint32_t type, pool_id *out) {
  out->type = type;
  out->oem = 0;
  if (type < DXEMEM_MAX_MEMORY_TYPE) {
    return DXEMEM_SUCCESS;
  }
  if (type < DXEMEM_OEM_RESERVED_MIN) {
    return DXEMEM_OUT_OF_RESOURCES;
  }
  dxemem_status status = dx_pool_find_oem(d, type, &out->oem);
  if (status != DXEMEM_SUCCESS || out->oem != 0) {
    return status;
  }
  uint64_t pool = 0;
  status = dx_core_allocate_pool_i(d, DXEMEM_BOOT_SERVICES_DATA,
                                   POOL_STRUCT_BYTES, false, &pool);
  if (status != DXEMEM_SUCCESS) {
    return status;
  }
  uint8_t *p = dx_region_host_of(d, pool, POOL_STRUCT_BYTES);
  dx_store64(p, POOL_SIGNATURE);
  dx_store64(p + 8, 0);
  dx_store32(p + 16, type);
  out->oem = pool;
  for (uint32_t i = 0; i < POOL_LIST_COUNT; i++) {
    dx_pool_list_init(d, dx_pool_list_head(*out, i));
  }
  dx_pool_insert_head(d, POOL_REF_HEAD_LIST, pool + POOL_STRUCT_LINK);
  d->pool_oem_count += 1;
  return DXEMEM_SUCCESS;
}

/* ---- CoreAllocatePoolI --------------------------------------------------- */

/* Every bucket list the carving may touch is sound (the reference is
 * checked before anything changes). */
static bool pool_lists_ok(dxemem *d, pool_id pool, uint32_t limit) {
  for (uint32_t i = 0; i < limit; i++) {
    if (!dx_pool_list_head_ok(d, dx_pool_list_head(pool, i), i)) {
      return false;
    }
  }
  return true;
}

/* Takes the first block off list index (checked) and returns its address. */
static uint64_t take_first_block(dxemem *d, pool_id pool, uint32_t index) {
  pool_ref link = dx_pool_next(d, dx_pool_list_head(pool, index));
  dx_pool_unlink(d, link);
  return link - POOL_FREE_LINK;
}

/* Carves [page + offset, page + max_offset) into free blocks, largest
 * bucket first (from index down), each at the head of its list. */
static void carve(dxemem *d, pool_id pool, uint64_t page, uint64_t offset,
                  uint64_t max_offset, uint32_t index) {
  while (offset < max_offset) {
    uint64_t block_size = dx_pool_size_table[index];
    while (offset + block_size <= max_offset) {
      uint64_t block = page + offset;
      uint8_t *b = dx_region_host_of(d, block, POOL_FREE_LINK);
      dx_store32(b, POOL_FREE_SIGNATURE);
      dx_store32(b + 4, index);
      dx_pool_insert_head(d, dx_pool_list_head(pool, index),
                          block + POOL_FREE_LINK);
      dx_emit_event(d, DXEMEM_EVENT_POOL_CARVE, pool.type, block,
                    block + block_size - 1u, 0);
      offset += block_size;
    }
    if (index == 0) {
      break; /* offsets are multiples of 128: offset == max_offset here */
    }
    index -= 1;
  }
}

/* The ring of freed page-path heads (see struct dxemem). */
static size_t freed_page_head_slot(const dxemem *d, uint64_t head) {
  for (size_t i = 0; i < FREED_PAGE_HEADS; i++) {
    if (d->freed_page_heads[i] == head) {
      return i;
    }
  }
  return FREED_PAGE_HEADS;
}

static bool freed_page_head_known(const dxemem *d, uint64_t head) {
  return freed_page_head_slot(d, head) < FREED_PAGE_HEADS;
}

static void forget_freed_page_head(dxemem *d, uint64_t head) {
  size_t i = freed_page_head_slot(d, head);
  if (i < FREED_PAGE_HEADS) {
    d->freed_page_heads[i] = 0;
  }
}

static void remember_freed_page_head(dxemem *d, uint64_t head) {
  d->freed_page_heads[d->freed_page_next] = head;
  d->freed_page_next = (d->freed_page_next + 1u) % FREED_PAGE_HEADS;
}

/* Models CoreAllocatePoolI. *buffer is 0 (edk2's NULL) with
 * DXEMEM_OUT_OF_RESOURCES; DXEMEM_VOLUME_CORRUPTED when a list it needs
 * was overwritten. The caller made sure size + overhead and its page count
 * do not wrap. */
dxemem_status dx_core_allocate_pool_i(dxemem *d, uint32_t pool_type,
                                      uint64_t size, bool need_guard,
                                      uint64_t *buffer) {
  *buffer = 0;
  uint64_t granularity = dx_granularity_for_type(d, pool_type);
  if (granularity != DXEMEM_PAGE_SIZE) {
    need_guard = false; /* guards are 4 KiB pages */
  }
  /* A guarded buffer against its tail guard (BIT7 clear) has no tail;
   * under the freed-memory guard every request takes pages of its own. */
  bool has_pool_tail =
      !(need_guard && (d->guard.property & GUARD_HEAP_POOL_AT_HEAD) == 0);
  bool page_as_pool = dx_is_heap_guard_enabled(d, GUARD_HEAP_TYPE_FREED);

  size = align8(size) + POOL_OVERHEAD;
  uint32_t index = dx_pool_index_from_size(size);
  pool_id pool;
  dxemem_status status = dx_lookup_pool_head(d, pool_type, &pool);
  if (status != DXEMEM_SUCCESS) {
    return status;
  }
  uint32_t limit = dx_pool_index_from_size(granularity);

  uint64_t head = 0;
  if (index >= limit || need_guard || page_as_pool) {
    /* The page path: the request takes pages of its own. */
    if (!has_pool_tail) {
      size -= POOL_TAIL_BYTES;
    }
    uint64_t pages = pool_pages_for(size, granularity);
    head = core_allocate_pool_pages_i(d, pool_type, pages, granularity,
                                      need_guard);
    if (head == 0) {
      return DXEMEM_OUT_OF_RESOURCES;
    }
    if (need_guard) {
      head = dx_adjust_pool_head_a(d, head, pages, size);
    }
    forget_freed_page_head(d, head);
  } else {
    if (!pool_lists_ok(d, pool, limit)) {
      return DXEMEM_VOLUME_CORRUPTED;
    }
    pool_ref list = dx_pool_list_head(pool, index);
    if (dx_pool_next(d, list) != list) {
      /* LIFO: the block freed or carved last. */
      head = take_first_block(d, pool, index);
      dx_emit_event(d, DXEMEM_EVENT_POOL_REUSE, pool_type, head,
                    head + dx_pool_size_table[index] - 1u, 0);
    } else {
      uint64_t offset = dx_pool_size_table[index];
      uint64_t max_offset = granularity;
      uint32_t larger = index + 1u;
      while (larger < limit) {
        pool_ref l = dx_pool_list_head(pool, larger);
        if (dx_pool_next(d, l) != l) {
          break;
        }
        larger++;
      }
      if (larger < limit) {
        /* Split the first block of the next non-empty larger bucket. */
        pool_ref l = dx_pool_list_head(pool, larger);
        if (!dx_pool_unlink_ok(d, dx_pool_next(d, l), l, larger)) {
          return DXEMEM_VOLUME_CORRUPTED;
        }
        head = take_first_block(d, pool, larger);
        max_offset = dx_pool_size_table[larger];
        dx_emit_event(d, DXEMEM_EVENT_POOL_REUSE, pool_type, head,
                      head + max_offset - 1u, 0);
      } else {
        head = core_allocate_pool_pages_i(
            d, pool_type, granularity >> DXEMEM_PAGE_SHIFT, granularity,
            need_guard);
        if (head == 0) {
          return DXEMEM_OUT_OF_RESOURCES;
        }
      }
      /* The request is served from the block's start. */
      carve(d, pool, head, offset, max_offset, larger - 1u);
    }
  }

  /* Account the allocation and write the header and the tail. */
  dx_pool_set_used(d, pool, dx_pool_used(d, pool) + size);
  uint8_t *h = dx_region_host_of(d, head, POOL_HEAD_BYTES);
  dx_store32(h, page_as_pool ? POOLPAGE_HEAD_SIGNATURE : POOL_HEAD_SIGNATURE);
  dx_store32(h + 8, pool_type);
  dx_store64(h + 16, size);
  if (has_pool_tail) {
    uint8_t *t = dx_region_host_of(d, head + size - POOL_TAIL_BYTES,
                                   POOL_TAIL_BYTES);
    dx_store32(t, POOL_TAIL_SIGNATURE);
    dx_store64(t + 8, size);
  }
  *buffer = head + POOL_HEAD_BYTES;
  return DXEMEM_SUCCESS;
}

/* ---- CoreFreePoolI ------------------------------------------------------- */

/* Everything a free will do, worked out (and checked) before anything
 * changes. */
typedef struct free_plan {
  uint64_t head;
  uint64_t size;
  uint32_t type;
  pool_id pool;
  uint64_t granularity;
  uint32_t index;
  bool page_path;
  bool is_guarded;  /* page path with guard pages */
  uint64_t pages;   /* page path */
  uint64_t granule; /* bucket path: the pool page of the block */
  bool all_free;    /* bucket path: every block of the page is then free */
  bool stale;       /* page path: freed before (its pages may be another's) */
} free_plan;

/* The type of the entry holding a buffer's head (conventional when none
 * does). A second free of a page-path buffer finds its page free (edk2
 * would return EFI_SUCCESS and subtract Used again), or, once the page
 * went to someone else, of another type. */
static uint32_t head_page_type(dxemem *d, uint64_t head) {
  entry_ref ref = dx_map_find_containing(d, head);
  return ref != REF_NULL ? dx_node(d, ref)->type : DXEMEM_CONVENTIONAL_MEMORY;
}

/* The all-free walk of CoreFreePoolI over the block's pool page, as if the
 * block were free already; every free block it would unlink is checked. */
static dxemem_status plan_page_return(dxemem *d, free_plan *plan) {
  uint64_t granule = plan->head & ~(plan->granularity - 1u);
  plan->granule = granule;
  plan->all_free = false;
  for (uint64_t offset = 0; offset < plan->granularity;) {
    uint64_t block = granule + offset;
    uint32_t index = plan->index;
    if (block != plan->head) {
      const uint8_t *b = dx_region_host_of(d, block, POOL_FREE_LINK);
      if (b == NULL || dx_load32(b) != POOL_FREE_SIGNATURE) {
        return DXEMEM_SUCCESS; /* a live block: the page stays */
      }
      index = dx_load32(b + 4);
      if (index >= POOL_LIST_COUNT ||
          !dx_pool_unlink_ok(d, block + POOL_FREE_LINK,
                             dx_pool_list_head(plan->pool, index), index)) {
        d->last_corruption = block;
        return DXEMEM_VOLUME_CORRUPTED;
      }
    }
    offset += dx_pool_size_table[index];
    if (offset > plan->granularity) {
      /* dxemem: a block that runs past its page (edk2 reads on). */
      d->last_corruption = block;
      return DXEMEM_VOLUME_CORRUPTED;
    }
  }
  plan->all_free = true;
  return DXEMEM_SUCCESS;
}

/* dxemem: buffer is the POOL of a live OEM/OS pool (edk2 would free it
 * and then follow its clobbered fields on the next lookup). */
static bool is_live_oem_pool(dxemem *d, uint64_t buffer) {
  if (!dx_pool_struct_ok(d, buffer)) {
    return false;
  }
  pool_ref link = dx_pool_next(d, POOL_REF_HEAD_LIST);
  for (uint64_t n = 0; n < d->pool_oem_count; n++) {
    if (link == buffer + POOL_STRUCT_LINK) {
      return true;
    }
    link = dx_pool_next(d, link);
  }
  return false;
}

/* The checks of CoreFreePoolI, then the plan. DXEMEM_INVALID_PARAMETER is
 * edk2's answer for a bad head or tail. internal: the release of an
 * OEM/OS POOL by the pool itself. */
static dxemem_status plan_free(dxemem *d, uint64_t buffer, bool internal,
                               free_plan *plan) {
  if (buffer < POOL_HEAD_BYTES) {
    return DXEMEM_INVALID_PARAMETER;
  }
  uint64_t head = buffer - POOL_HEAD_BYTES;
  const uint8_t *h = dx_region_host_of(d, head, POOL_HEAD_BYTES);
  if (h == NULL) {
    return DXEMEM_INVALID_PARAMETER; /* dxemem: edk2 reads outside memory */
  }
  uint32_t signature = dx_load32(h);
  if (signature != POOL_HEAD_SIGNATURE &&
      signature != POOLPAGE_HEAD_SIGNATURE) {
    return DXEMEM_INVALID_PARAMETER;
  }
  plan->head = head;
  plan->type = dx_load32(h + 8);
  plan->size = dx_load64(h + 16);
  bool is_guarded = dx_is_pool_type_to_guard(d, plan->type) &&
                    dx_is_memory_guarded(d, head);
  bool has_pool_tail =
      !(is_guarded && (d->guard.property & GUARD_HEAP_POOL_AT_HEAD) == 0);
  plan->is_guarded = is_guarded;
  bool page_as_pool = signature == POOLPAGE_HEAD_SIGNATURE;
  if (has_pool_tail) {
    const uint8_t *t = dx_region_host_of(
        d, head + plan->size - POOL_TAIL_BYTES, POOL_TAIL_BYTES);
    if (t == NULL) {
      return DXEMEM_INVALID_PARAMETER; /* dxemem: the tail is outside */
    }
    if (dx_load32(t) != POOL_TAIL_SIGNATURE ||
        dx_load64(t + 8) != plan->size) {
      return DXEMEM_INVALID_PARAMETER;
    }
  }
  /* dxemem: the pool's own POOL headers, and blocks whose page is free
   * memory (a forged or stale head), are not the caller's to free. Hazard
   * seam: the misuse report of a page-path double free. */
  if (!internal && is_live_oem_pool(d, buffer)) {
    return DXEMEM_INVALID_PARAMETER;
  }
  uint32_t head_page = head_page_type(d, head);
  if (head_page == DXEMEM_CONVENTIONAL_MEMORY) {
    /* edk2 answers EFI_SUCCESS here, frees nothing and lowers Used again. */
    dx_raise_hazard(d, DXEMEM_HAZARD_POOL_DOUBLE_FREE, head,
                    head + (plan->size != 0 ? plan->size - 1 : 0));
    return DXEMEM_INVALID_PARAMETER;
  }
  dxemem_status status = dx_lookup_pool_head(d, plan->type, &plan->pool);
  if (status == DXEMEM_OUT_OF_RESOURCES) {
    return DXEMEM_INVALID_PARAMETER; /* edk2: Pool == NULL */
  }
  if (status != DXEMEM_SUCCESS) {
    return status;
  }
  plan->granularity = dx_granularity_for_type(d, plan->type);
  plan->index = dx_pool_index_from_size(plan->size);
  plan->page_path = plan->index >= dx_pool_index_from_size(plan->granularity) ||
                    is_guarded || page_as_pool;
  if (plan->page_path) {
    plan->pages = pool_pages_for(plan->size, plan->granularity);
    /* A page-path head whose page was freed and then allocated again as
     * another type: a second free of the buffer, which edk2 carries out
     * over the new owner's pages. Kept, and reported once applied. */
    plan->stale =
        head_page != plan->type || freed_page_head_known(d, head);
    return DXEMEM_SUCCESS;
  }
  /* dxemem: a bucket block starts on a 128-byte boundary and ends in its
   * pool page; a head anywhere else was made up (edk2 would link it in
   * and later hand out memory that overlaps a live buffer). */
  uint64_t offset = head & (plan->granularity - 1u);
  if ((head & (dx_pool_size_table[0] - 1u)) != 0 ||
      offset + dx_pool_size_table[plan->index] > plan->granularity) {
    return DXEMEM_INVALID_PARAMETER;
  }
  if (!dx_pool_list_head_ok(d, dx_pool_list_head(plan->pool, plan->index),
                            plan->index)) {
    return DXEMEM_VOLUME_CORRUPTED;
  }
  return plan_page_return(d, plan);
}

/* Carries out a checked plan: the second half of CoreFreePoolI. */
static void apply_free(dxemem *d, const free_plan *plan) {
  dx_pool_set_used(d, plan->pool, dx_pool_used(d, plan->pool) - plan->size);
  if (plan->page_path && plan->is_guarded) {
    core_free_pool_pages_with_guard(
        d, plan->pool.type,
        dx_adjust_pool_head_f(d, plan->head, plan->pages, plan->size),
        plan->pages);
    return;
  }
  if (plan->page_path) {
    core_free_pool_pages_i(d, plan->pool.type, plan->head, plan->pages);
    return;
  }
  /* Onto the head of its bucket list. */
  uint8_t *b = dx_region_host_of(d, plan->head, POOL_FREE_LINK);
  dx_store32(b, POOL_FREE_SIGNATURE);
  dx_store32(b + 4, plan->index);
  dx_pool_insert_head(d, dx_pool_list_head(plan->pool, plan->index),
                      plan->head + POOL_FREE_LINK);
  if (!plan->all_free) {
    return;
  }
  /* Every block of the page is free: unlink them all, return the page. */
  for (uint64_t offset = 0; offset < plan->granularity;) {
    uint64_t block = plan->granule + offset;
    const uint8_t *f = dx_region_host_of(d, block, POOL_FREE_LINK);
    dx_pool_unlink(d, block + POOL_FREE_LINK);
    offset += dx_pool_size_table[dx_load32(f + 4)];
  }
  core_free_pool_pages_i(d, plan->pool.type, plan->granule,
                         plan->granularity >> DXEMEM_PAGE_SHIFT);
}

/* Models CoreFreePoolI, with the OEM/OS POOL released (itself a pool
 * buffer) when its Used drops to 0. */
dxemem_status dx_core_free_pool_i(dxemem *d, uint64_t buffer,
                                  uint32_t *pool_type) {
  free_plan plan;
  dxemem_status status = plan_free(d, buffer, false, &plan);
  if (status != DXEMEM_SUCCESS) {
    return status;
  }
  bool release_pool = plan.pool.oem != 0 &&
                      dx_pool_used(d, plan.pool) - plan.size == 0;
  free_plan pool_plan;
  if (release_pool) {
    /* Checked now, so that the free cannot stop half-way. */
    status = plan_free(d, plan.pool.oem, true, &pool_plan);
    if (status != DXEMEM_SUCCESS) {
      return status == DXEMEM_INVALID_PARAMETER ? DXEMEM_VOLUME_CORRUPTED
                                                : status;
    }
  }
  if (pool_type != NULL) {
    *pool_type = plan.type;
  }
  apply_free(d, &plan);
  if (plan.page_path && !plan.stale) {
    remember_freed_page_head(d, plan.head);
  }
  if (plan.page_path && plan.stale) {
    /* Used drops twice and other owners' pages (pool pages among them)
     * became free memory: the checker's pool rules stop, as after
     * DXEMEM_HAZARD_FREES_POOL_PAGE. */
    d->pool_pages_freed = true;
    dx_raise_hazard(d, DXEMEM_HAZARD_POOL_STALE_FREE, plan.head,
                    plan.head + (plan.pages << DXEMEM_PAGE_SHIFT) - 1u);
  }
  if (release_pool) {
    dx_pool_unlink(d, plan.pool.oem + POOL_STRUCT_LINK);
    d->pool_oem_count -= 1;
    apply_free(d, &pool_plan);
  }
  return DXEMEM_SUCCESS;
}

/* ---- the public calls ---------------------------------------------------- */

/* dxemem: sizes for which edk2's size arithmetic wraps (ALIGN8 + overhead,
 * or the page count), so its buffer would overlap other memory. Hazard
 * seam: the misuse report of an oversized request. */
static bool pool_request_wraps(const dxemem *d, uint32_t pool_type,
                               uint64_t size) {
  uint64_t aligned = align8(size);
  if (aligned < size || aligned > UINT64_MAX - POOL_OVERHEAD) {
    return true;
  }
  uint64_t total = aligned + POOL_OVERHEAD;
  uint64_t unit = dx_granularity_for_type(d, pool_type) >> DXEMEM_PAGE_SHIFT;
  uint64_t pages = (total >> DXEMEM_PAGE_SHIFT) +
                   ((total & DXEMEM_PAGE_MASK) != 0 ? 1u : 0u);
  return pages + unit - 1u > (UINT64_MAX >> DXEMEM_PAGE_SHIFT);
}

/* Models CoreInternalAllocatePool (and CoreAllocatePool: no profile, no
 * memory attributes table). */
dxemem_status dxemem_allocate_pool(dxemem *d, uint32_t pool_type,
                                   uint64_t size, uint64_t *buffer) {
  dxemem_status status = dx_api_enter(d);
  if (status != DXEMEM_SUCCESS) {
    return status;
  }
  if (!dx_memory_type_valid_for_allocate(pool_type) || buffer == NULL) {
    return dx_api_leave(d, DXEMEM_INVALID_PARAMETER);
  }
  *buffer = 0;
  if (size > POOL_MAX_SIZE) {
    return dx_api_leave(d, DXEMEM_OUT_OF_RESOURCES);
  }
  if (pool_request_wraps(d, pool_type, size)) {
    /* edk2 would hand back a buffer over live memory; no buffer exists, so
     * the hazard's range is the size asked for (start = end = size). */
    dx_raise_hazard(d, DXEMEM_HAZARD_POOL_OVERLAP, size, size);
    return dx_api_leave(d, DXEMEM_OUT_OF_RESOURCES);
  }
  bool need_guard = dx_is_pool_type_to_guard(d, pool_type);
  status = dx_core_allocate_pool_i(d, pool_type, size, need_guard, buffer);
  return dx_api_leave(d, status);
}

/* Models CoreInternalFreePool (and CoreFreePool). */
dxemem_status dxemem_free_pool(dxemem *d, uint64_t buffer,
                               uint32_t *pool_type) {
  dxemem_status status = dx_api_enter(d);
  if (status != DXEMEM_SUCCESS) {
    return status;
  }
  if (buffer == 0) {
    return dx_api_leave(d, DXEMEM_INVALID_PARAMETER);
  }
  status = dx_core_free_pool_i(d, buffer, pool_type);
  return dx_api_leave(d, status);
}

dxemem_status dxemem_get_pool_used(const dxemem *d, uint32_t pool_type,
                                   uint64_t *used) {
  if (used == NULL) {
    return DXEMEM_INVALID_PARAMETER;
  }
  if (pool_type >= DXEMEM_MAX_MEMORY_TYPE &&
      pool_type < DXEMEM_OEM_RESERVED_MIN) {
    return DXEMEM_INVALID_PARAMETER;
  }
  dxemem *m = (dxemem *)d; /* the lock and the list checks write */
  dxemem_status status = dx_api_enter(m);
  if (status != DXEMEM_SUCCESS) {
    return status;
  }
  pool_id pool = {pool_type, 0};
  if (pool_type >= DXEMEM_MAX_MEMORY_TYPE) {
    status = dx_pool_find_oem(m, pool_type, &pool.oem);
    if (status == DXEMEM_SUCCESS && pool.oem == 0) {
      status = DXEMEM_NOT_FOUND;
    }
  }
  if (status == DXEMEM_SUCCESS) {
    *used = dx_pool_used(m, pool);
  }
  dx_release(m);
  return status;
}

dxemem_status dxemem_get_oem_pool(const dxemem *d, size_t index,
                                  uint32_t *pool_type, uint64_t *used) {
  if (pool_type == NULL || used == NULL) {
    return DXEMEM_INVALID_PARAMETER;
  }
  dxemem *m = (dxemem *)d;
  dxemem_status status = dx_api_enter(m);
  if (status != DXEMEM_SUCCESS) {
    return status;
  }
  uint64_t none = 0;
  /* A type no pool can have: the walk checks the whole list. */
  status = dx_pool_find_oem(m, 0, &none);
  if (status == DXEMEM_SUCCESS && index >= m->pool_oem_count) {
    status = DXEMEM_NOT_FOUND;
  }
  if (status == DXEMEM_SUCCESS) {
    pool_ref link = dx_pool_next(m, POOL_REF_HEAD_LIST);
    for (size_t i = 0; i < index; i++) {
      link = dx_pool_next(m, link);
    }
    pool_id pool = {0, link - POOL_STRUCT_LINK};
    const uint8_t *p = dx_region_host_of(m, pool.oem, POOL_STRUCT_BYTES);
    *pool_type = dx_load32(p + 16);
    *used = dx_pool_used(m, pool);
  }
  dx_release(m);
  return status;
}
