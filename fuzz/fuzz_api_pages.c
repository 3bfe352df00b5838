/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * fuzz_api's page calls: add, AllocatePages (and the pool-pages variant),
 * FreePages, attributes; what a fresh allocation must look like, and the
 * hazards an add may raise. The checks are listed in fuzz_api.c.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "dxemem/dxemem.h"

#include "fuzz_api.h"

/* ---- allocation results ------------------------------------------------ */

/* A successful allocation of [start, start + pages): where it may be and
 * what it was before. Called before after_call, with the map of the call
 * before. */
static bool check_new_allocation(harness *h, const char *call, uint64_t start,
                                 uint64_t pages, uint64_t alignment,
                                 uint64_t *first) {
  /* Even with corruption the allocator must stay inside the region; only
   * the wrapping entry lets it out. */
  bool inside = pages > 0 && pages <= h->pages &&
                inside_region(h, start, pages * PAGE) &&
                page_of(h, start, first);
  if (!inside && !h->wrapped) {
    fail(h,
         "%s gave 0x%" PRIx64 " pages at 0x%" PRIx64 ", not inside the region",
         call, pages, start);
  }
  /* edk2's search (CoreFindFreePagesI) aligns the end of the range; the
   * start is aligned too when the size is a multiple of the alignment, as
   * it always is for AllocatePages and for edk2's own pool. */
  uint64_t bytes = pages * PAGE;
  if (((start + bytes) & (alignment - 1)) != 0 ||
      ((bytes & (alignment - 1)) == 0 && (start & (alignment - 1)) != 0)) {
    fail(h,
         "%s gave 0x%" PRIx64 " pages at 0x%" PRIx64
         ", not aligned to 0x%" PRIx64,
         call, pages, start, alignment);
  }
  if (!inside || !checks_on(h) || !h->map_seen) {
    return inside;
  }
  for (uint64_t i = *first; i < *first + pages; i++) {
    const page_shadow *p = &h->shadow[i];
    if (p->owner != 0) {
      fail(h, "%s gave page 0x%" PRIx64 ", still live in allocation %u", call,
           h->base + i * PAGE, p->owner);
    }
    if (p->holds_entries) {
      fail(h, "%s gave page 0x%" PRIx64 ", which holds map entries", call,
           h->base + i * PAGE);
    }
    if (!p->mapped || p->map_type != DXEMEM_CONVENTIONAL_MEMORY) {
      fail(h, "%s gave page 0x%" PRIx64 ", which was not free memory", call,
           h->base + i * PAGE);
    }
  }
  return true;
}

/* After after_call: the allocation shows with its type; then it is ours. */
static void take_allocation(harness *h, uint64_t first, uint64_t pages,
                            uint32_t type) {
  if (checks_on(h)) {
    for (uint64_t i = first; i < first + pages; i++) {
      const page_shadow *p = &h->shadow[i];
      if (!p->mapped || p->map_type != type) {
        fail(h, "allocated page 0x%" PRIx64 " is not of type 0x%x in the map",
             h->base + i * PAGE, type);
      }
    }
  }
  own_pages(h, first, pages, type);
}

/* ---- hazards ----------------------------------------------------------- */

/* What an add raised agrees with the shadow: an overlap hazard exactly
 * when the shadow saw the add overlap (while it can tell), and pages of
 * ours that the bin set-up freed lie in a DXEMEM_HAZARD_FREES_UNOWNED
 * range; they are no longer ours. */
static void check_add_hazards(harness *h, dxemem_status status,
                              bool shadow_overlap, bool overlapped_before) {
  const hazard_log *log = &h->hazards;
  if (!hazard_log_counts_agree(log)) {
    fail(h, "hazard counts rose by %" PRIu64 ", %zu hazard events seen",
         log->counted, log->seen);
  }
  bool raised = hazard_log_count(log, DXEMEM_HAZARD_OVERLAPPING_ADD) != 0;
  /* Under a heap guard the bitmap tables are pages the core owns; an add
   * over one makes it free memory again, so the next table can land on
   * it and, as in edk2, a table then points at itself and the bit writes
   * go through it into whatever shares the page (map entries too). The
   * checker rightly complains from then on. */
  if (raised && h->heap_guard) {
    h->corrupted = true;
  }
  if (!h->corrupted && !overlapped_before && h->map_seen &&
      status == DXEMEM_SUCCESS && raised != shadow_overlap) {
    fail(h, "the add %s an overlap hazard, the shadow says it %s",
         raised ? "raised" : "did not raise",
         shadow_overlap ? "overlaps" : "does not overlap");
  }
  if (h->corrupted || h->overlapped) {
    return;
  }
  for (uint64_t i = 0; i < h->pages; i++) {
    const page_shadow *p = &h->shadow[i];
    if (p->owner == 0 || !p->mapped ||
        p->map_type != DXEMEM_CONVENTIONAL_MEMORY) {
      continue;
    }
    uint64_t page = h->base + i * PAGE;
    if (!hazard_log_covers(log, DXEMEM_HAZARD_FREES_UNOWNED, page,
                           page + PAGE - 1)) {
      fail(h,
           "allocated page 0x%" PRIx64 " became free memory in an add "
           "without a FREES_UNOWNED hazard naming it",
           page);
    }
    release_page(h, i);
  }
}

/* ---- operations -------------------------------------------------------- */

void do_add(harness *h, const record *r) {
  uint32_t type = (r->c % 4) != 3 ? DXEMEM_CONVENTIONAL_MEMORY
                                  : pick_type(r->c >> 2, r->x2 ^ r->x1);
  uint64_t start = pick_address(h, r->a, r->x1, r->y);
  uint64_t pages = pick_pages(h, r->b, r->x2, r->y >> 7);
  uint64_t attribute = pick_attribute(r->c >> 5, r->y);

  uint64_t first, count;
  region_pages_of(h, start, pages, &first, &count);
  bool overlapped_before = h->overlapped;
  for (uint64_t i = first; i < first + count; i++) {
    if (h->shadow[i].mapped || !h->map_seen) {
      h->overlapped = true; /* conservative: the core may not agree */
      break;
    }
  }
  if (start == 0 && pages == 0) {
    h->wrapped = true; /* conservative, as for overlaps */
    h->overlapped = true;
  }
  bool bins_before = dxemem_bins_initialized(h->d);
  bool shadow_overlap = h->overlapped && !overlapped_before;
  hazard_log_begin(&h->hazards, h->d);
  dxemem_status status =
      dxemem_add_memory_descriptor(h->d, type, start, pages, attribute);
  hazard_log_end(&h->hazards, h->d);
  expect_status(h, status, ST_SUCCESS | ST_INVALID | ST_OUT_OF_RESOURCES,
                "add type 0x%x, 0x%" PRIx64 " pages at 0x%" PRIx64
                ", attribute 0x%" PRIx64,
                type, pages, start, attribute);
  if (status != DXEMEM_VOLUME_CORRUPTED) {
    h->any_add = true;
  }
  bool whole = pages <= (UINT64_MAX >> DXEMEM_PAGE_SHIFT) &&
               inside_region(h, start, pages * PAGE);
  bool type_ok =
      type < DXEMEM_MAX_MEMORY_TYPE || type >= DXEMEM_OEM_RESERVED_MIN;
  if (status == DXEMEM_SUCCESS &&
      ((start & DXEMEM_PAGE_MASK) != 0 || !whole || !type_ok)) {
    fail(h, "add of 0x%" PRIx64 " pages at 0x%" PRIx64 " type 0x%x succeeded",
         pages, start, type);
  }
  after_call(h);
  check_add_hazards(h, status, shadow_overlap, overlapped_before);
  /* An add while the bins are not placed yet tries to place them: it
   * allocates and frees each bin, and with a type listed twice edk2 frees
   * only one of its bins, the other stays allocated. So such an add is not
   * checked page by page. */
  if (status != DXEMEM_SUCCESS || !checks_on(h) || !bins_before) {
    check_ownership(h);
    return;
  }
  /* The range is in the map with its type; free memory may have given a
   * page to the entry pool (refuel), which is EfiBootServicesData. */
  for (uint64_t i = first; i < first + count; i++) {
    const page_shadow *p = &h->shadow[i];
    bool refuel = type == DXEMEM_CONVENTIONAL_MEMORY && p->mapped &&
                  p->map_type == DXEMEM_BOOT_SERVICES_DATA;
    if (!p->mapped || (p->map_type != type && !refuel)) {
      fail(h, "added page 0x%" PRIx64 " is not of type 0x%x in the map",
           h->base + i * PAGE, type);
    }
  }
  check_ownership(h);
}

void do_alloc(harness *h, const record *r) {
  static const uint32_t allocate_types[] = {
      DXEMEM_ALLOCATE_ANY_PAGES, DXEMEM_ALLOCATE_MAX_ADDRESS,
      DXEMEM_ALLOCATE_ADDRESS, DXEMEM_MAX_ALLOCATE_TYPE};
  uint32_t allocate_type = (r->a % 8) < 4   ? allocate_types[r->a % 4]
                           : (r->a % 8) < 7 ? allocate_types[(r->a % 8) - 4]
                                            : r->x1 * 0x10001u;
  uint32_t type = pick_type(r->b, r->x2);
  uint64_t pages = pick_pages(h, r->c, r->x2 >> 4, r->y >> 3);
  uint64_t requested = pick_address(h, r->a >> 3, r->x1, r->y);
  bool null_pointer = (r->c >> 6) == 3 && (r->b & 1) != 0;

  uint64_t memory = requested;
  dxemem_status status = dxemem_allocate_pages(h->d, allocate_type, type, pages,
                                               null_pointer ? NULL : &memory);
  expect_status(h, status,
                ST_SUCCESS | ST_INVALID | ST_NOT_FOUND | ST_OUT_OF_RESOURCES,
                "allocate (allocate type %u) type 0x%x, 0x%" PRIx64
                " pages, address 0x%" PRIx64 "%s: 0x%" PRIx64,
                allocate_type, type, pages, requested,
                null_pointer ? " (NULL)" : "", memory);
  bool invalid = allocate_type >= DXEMEM_MAX_ALLOCATE_TYPE ||
                 !type_valid_for_allocate(type) || null_pointer;
  if (invalid && status != DXEMEM_INVALID_PARAMETER && !h->corrupted) {
    fail(h, "allocate (type %u, memory type 0x%x%s) returned %s", allocate_type,
         type, null_pointer ? ", NULL" : "", status_text(status));
  }
  if (status != DXEMEM_SUCCESS) {
    after_call(h);
    check_ownership(h);
    return;
  }
  uint64_t alignment = granularity_of(h, type);
  uint64_t rounded = 0;
  if (!round_pages(pages, alignment, &rounded)) {
    fail(h, "allocate of 0x%" PRIx64 " pages succeeded", pages);
  }
  rounded = converted_pages(rounded);
  uint64_t first = 0;
  bool inside =
      check_new_allocation(h, "allocate", memory, rounded, alignment, &first);
  if (allocate_type == DXEMEM_ALLOCATE_ADDRESS && memory != requested) {
    fail(h, "AllocateAddress 0x%" PRIx64 " gave 0x%" PRIx64, requested, memory);
  }
  if (allocate_type == DXEMEM_ALLOCATE_MAX_ADDRESS &&
      memory + (rounded * PAGE - 1) > requested) {
    fail(h,
         "AllocateMaxAddress 0x%" PRIx64 " gave 0x%" PRIx64
         " pages at 0x%" PRIx64,
         requested, rounded, memory);
  }
  after_call(h);
  if (inside) {
    take_allocation(h, first, rounded, type);
  }
  check_ownership(h);
}

/* The pages a free may release: from memory, pages rounded up as the entry
 * holding memory asks (CoreInternalFreePages), clipped to the region. */
static void free_range(const harness *h, uint64_t memory, uint64_t pages,
                       bool round, uint64_t *first, uint64_t *count) {
  uint64_t index;
  *first = 0;
  *count = 0;
  if ((memory & DXEMEM_PAGE_MASK) != 0 || !page_of(h, memory, &index)) {
    return;
  }
  uint64_t rounded = pages;
  if (round && h->shadow[index].mapped) {
    uint64_t granularity = granularity_of(h, h->shadow[index].map_type);
    if (!round_pages(pages, granularity, &rounded)) {
      return; /* the rounding wraps to 0 pages: nothing is freed */
    }
  }
  region_pages_of(h, memory, converted_pages(rounded), first, count);
}

void do_free(harness *h, const record *r, bool pool) {
  uint64_t memory = 0;
  uint64_t pages = 0;
  switch (r->a % 4) {
  case 0:
  case 1:
    if (pick_allocation(h, r->x1, &memory, &pages)) {
      break;
    }
    /* fall through - nothing live */
  case 2:
    memory = pick_address(h, 1, r->x1, r->y);
    pages = pick_pages(h, r->b, r->x2, r->y);
    break;
  default:
    memory = pick_address(h, r->b, r->x1, r->y);
    pages = pick_pages(h, r->c, r->x2, r->y >> 5);
    break;
  }
  uint64_t first, count;
  free_range(h, memory, pages, !pool, &first, &count);
  /* The pages are live until the call: their stamps must be intact. */
  for (uint64_t i = first; i < first + count; i++) {
    verify_stamp(h, i);
  }
  dxemem_counts before = {0};
  (void)dxemem_get_counts(h->d, &before);
  /* Freeing pool pages behind the pool's back leaves its blocks in free
   * memory: the checker rightly complains from now on. */
  if (pool_may_own(h, first, count)) {
    h->corrupted = true;
  }

  const char *call = pool ? "free pool pages" : "free";
  dxemem_status status = pool ? dxemem_free_pool_pages(h->d, memory, pages)
                              : dxemem_free_pages(h->d, memory, pages);
  expect_status(h, status,
                ST_SUCCESS | ST_INVALID | ST_NOT_FOUND | ST_OUT_OF_RESOURCES |
                    ST_ACCESS_DENIED,
                "%s 0x%" PRIx64 " pages at 0x%" PRIx64, call, pages, memory);
  /* Under a heap guard, CoreConvertPagesWithGuard returns EFI_SUCCESS when
   * AdjustMemoryF leaves no page to free (0 pages, or only guard pages). */
  if (status == DXEMEM_SUCCESS && count == 0 && !h->corrupted && !h->wrapped &&
      !h->heap_guard) {
    fail(h, "%s of 0x%" PRIx64 " pages at 0x%" PRIx64 " succeeded", call, pages,
         memory);
  }
  after_call(h);
  dxemem_counts after = {0};
  (void)dxemem_get_counts(h->d, &after);
  /* A failed free may have freed the pieces before the one that failed;
   * whatever is free memory now is no longer ours. */
  for (uint64_t i = first; i < first + count; i++) {
    const page_shadow *p = &h->shadow[i];
    bool now_free = p->mapped && p->map_type == DXEMEM_CONVENTIONAL_MEMORY;
    if (now_free || !checks_on(h)) {
      release_page(h, i);
    } else if (status == DXEMEM_SUCCESS &&
               after.refuel_pages == before.refuel_pages) {
      /* A later piece may refuel from an earlier freed one; else every
       * page of a successful free is free memory now. */
      fail(h,
           "%s of 0x%" PRIx64 " pages at 0x%" PRIx64
           " succeeded, but page 0x%" PRIx64 " is %s0x%x",
           call, pages, memory, h->base + i * PAGE,
           p->mapped ? "" : "unmapped, ", p->map_type);
    }
  }
  check_ownership(h);
}

void do_attr(harness *h, const record *r) {
  uint64_t start = pick_address(h, r->a, r->x1, r->y);
  uint64_t pages = pick_pages(h, r->b, r->x2, r->y >> 9);
  uint64_t attribute = pick_attribute(r->c, r->y);
  dxemem_status status =
      dxemem_update_memory_attributes(h->d, start, pages, attribute);
  expect_status(
      h, status, ST_SUCCESS | ST_INVALID | ST_NOT_FOUND | ST_OUT_OF_RESOURCES,
      "update attributes of 0x%" PRIx64 " pages at 0x%" PRIx64 " to 0x%" PRIx64,
      pages, start, attribute);
  after_call(h);
  if (status == DXEMEM_SUCCESS && checks_on(h)) {
    uint64_t first, count;
    region_pages_of(h, start, converted_pages(pages), &first, &count);
    if (count != converted_pages(pages)) {
      fail(h,
           "attributes of 0x%" PRIx64 " pages at 0x%" PRIx64
           " changed, not all in the region",
           pages, start);
    }
    for (uint64_t i = first; i < first + count; i++) {
      if (h->shadow[i].map_attribute != attribute) {
        fail(h,
             "page 0x%" PRIx64 " has attribute 0x%" PRIx64
             " after setting 0x%" PRIx64,
             h->base + i * PAGE, h->shadow[i].map_attribute, attribute);
      }
    }
  }
  check_ownership(h);
}

/* What a successful GetMemoryMap put in the buffer. */
void do_pool_alloc(harness *h, const record *r) {
  uint32_t type = pick_type(r->b, r->x2);
  uint64_t pages = pick_pages(h, r->c, r->x1, r->y >> 11);
  uint64_t alignment;
  switch (r->a % 4) {
  case 0:
    alignment = PAGE;
    break;
  case 1:
    alignment = PAGE << (r->x2 % 9);
    break;
  case 2:
    alignment = r->y;
    break;
  default:
    alignment = PAGE << (r->x2 % 52);
    break;
  }
  bool null_pointer = (r->a >> 6) == 3;
  uint64_t memory = 0;
  dxemem_status status = dxemem_allocate_pool_pages(
      h->d, type, pages, alignment, null_pointer ? NULL : &memory);
  /* The search looks at one entry at a time; only overlapping entries
   * can make the conversion of what it found fail. */
  uint64_t allowed = ST_SUCCESS | ST_INVALID | ST_OUT_OF_RESOURCES;
  if (h->overlapped) {
    allowed |= ST_NOT_FOUND;
  }
  expect_status(h, status, allowed,
                "allocate pool pages type 0x%x, 0x%" PRIx64
                " pages, alignment 0x%" PRIx64 "%s: 0x%" PRIx64,
                type, pages, alignment, null_pointer ? " (NULL)" : "", memory);
  bool type_ok = type < DXEMEM_MAX_MEMORY_TYPE
                     ? type != DXEMEM_CONVENTIONAL_MEMORY &&
                           type != DXEMEM_PERSISTENT_MEMORY &&
                           type != DXEMEM_UNACCEPTED_MEMORY_TYPE
                     : type >= DXEMEM_OEM_RESERVED_MIN;
  bool alignment_ok = alignment >= PAGE && (alignment & (alignment - 1)) == 0;
  if (status == DXEMEM_SUCCESS &&
      (null_pointer || !type_ok || !alignment_ok || pages == 0)) {
    fail(h,
         "allocate pool pages (type 0x%x, 0x%" PRIx64
         " pages, alignment 0x%" PRIx64 ") succeeded",
         type, pages, alignment);
  }
  if (status != DXEMEM_SUCCESS) {
    after_call(h);
    check_ownership(h);
    return;
  }
  uint64_t first = 0;
  bool inside = check_new_allocation(h, "allocate pool pages", memory, pages,
                                     alignment, &first);
  after_call(h);
  if (inside) {
    take_allocation(h, first, pages, type);
  }
  check_ownership(h);
}
