/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * The page and pool guard of HeapGuard.c (PcdHeapGuardPropertyMask BIT0,
 * BIT1, BIT7): a guarded allocation of N pages takes N + 2, a head guard
 * below and a tail guard above, all of the allocation's type in the map.
 *
 *        tail guard   +---------+  <- not present (EFI_MEMORY_RP)
 *                     | N pages |  <- bits set in the guard bitmap
 *   address returned  +---------+
 *        head guard   +---------+  <- not present
 *
 * A guard page is shared with a neighbouring guarded allocation when one
 * is already there (the search looks for it), and released on free only
 * when no guarded page lies on its other side. Page.c and Pool.c reach
 * this file through a few calls at the places where edk2 branches on
 * NeedGuard; their algorithms keep their shape.
 */
#include "internal.h"

#define OS_TYPE_BIT (UINT64_C(1) << 63)
#define OEM_TYPE_BIT (UINT64_C(1) << 62)

void dx_guard_init(dxemem *d) {
  heap_guard *g = &d->guard;
  memset(g, 0, sizeof *g);
  g->map_level = 1;
  g->last_promoted_page = UINT64_C(1) << 32; /* BASE_4GB */
}

dxemem_status dxemem_set_heap_guard(dxemem *d, uint8_t property,
                                    uint64_t page_types, uint64_t pool_types) {
  dxemem_status status = dx_api_enter(d);
  if (status != DXEMEM_SUCCESS) {
    return status;
  }
  if (d->any_add) {
    status = DXEMEM_ALREADY_STARTED;
  } else if ((property & (GUARD_HEAP_TYPE_PAGE | GUARD_HEAP_TYPE_POOL)) != 0 &&
             (property & GUARD_HEAP_TYPE_FREED) != 0) {
    /* HeapGuardCpuArchProtocolNotify dead-loops on this combination. */
    status = DXEMEM_INVALID_PARAMETER;
  } else {
    d->guard.property = property;
    d->guard.page_types = page_types;
    d->guard.pool_types = pool_types;
  }
  return dx_api_leave(d, status);
}

/* Models IsMemoryTypeToGuard; guard_type 0 stands for "any" type bit. */
static bool is_memory_type_to_guard(const dxemem *d, uint32_t memory_type,
                                    uint32_t allocate_type,
                                    uint8_t page_or_pool) {
  if (allocate_type == DXEMEM_ALLOCATE_ADDRESS) {
    return false;
  }
  if ((d->guard.property & page_or_pool) == 0) {
    return false;
  }
  uint64_t config_bit = UINT64_MAX;
  if (page_or_pool == GUARD_HEAP_TYPE_POOL) {
    config_bit = d->guard.pool_types;
  } else if (page_or_pool == GUARD_HEAP_TYPE_PAGE) {
    config_bit = d->guard.page_types;
  }
  uint64_t test_bit = 0;
  if (memory_type >= DXEMEM_OS_RESERVED_MIN) {
    test_bit = OS_TYPE_BIT;
  } else if (memory_type >= DXEMEM_OEM_RESERVED_MIN) {
    test_bit = OEM_TYPE_BIT;
  } else if (memory_type < DXEMEM_MAX_MEMORY_TYPE) {
    test_bit = UINT64_C(1) << memory_type;
  } else if (memory_type == DXEMEM_MAX_MEMORY_TYPE) {
    test_bit = UINT64_MAX;
  }
  return (config_bit & test_bit) != 0;
}

/* Models IsHeapGuardEnabled. */
bool dx_is_heap_guard_enabled(const dxemem *d, uint8_t guard_type) {
  return is_memory_type_to_guard(d, DXEMEM_MAX_MEMORY_TYPE,
                                 DXEMEM_ALLOCATE_ANY_PAGES, guard_type);
}

/* Models IsPageTypeToGuard. */
bool dx_is_page_type_to_guard(const dxemem *d, uint32_t memory_type,
                              uint32_t allocate_type) {
  return is_memory_type_to_guard(d, memory_type, allocate_type,
                                 GUARD_HEAP_TYPE_PAGE);
}

/* Models IsPoolTypeToGuard. */
bool dx_is_pool_type_to_guard(const dxemem *d, uint32_t memory_type) {
  return is_memory_type_to_guard(d, memory_type, DXEMEM_ALLOCATE_ANY_PAGES,
                                 GUARD_HEAP_TYPE_POOL);
}

static void set_memory_attributes(dxemem *d, uint64_t base, uint64_t length,
                                  uint64_t attributes) {
  if (d->config.set_memory_attributes != NULL) {
    d->config.set_memory_attributes(d->config.cpu_context, base, length,
                                    attributes);
  }
}

/* Models SetGuardPage: the page becomes not present. */
void dx_set_guard_page(dxemem *d, uint64_t base) {
  set_memory_attributes(d, base, DXEMEM_PAGE_SIZE, DXEMEM_MEMORY_RP);
}

/* Models UnsetGuardPage (NX policy 0: the attributes become 0). */
void dx_unset_guard_page(dxemem *d, uint64_t base) {
  set_memory_attributes(d, base, DXEMEM_PAGE_SIZE, 0);
}

/* The type of the map entry holding address (for events and queries). */
static uint32_t type_at(dxemem *d, uint64_t address) {
  entry_ref r = dx_map_find_containing(d, address);
  return r == REF_NULL ? DXEMEM_CONVENTIONAL_MEMORY : dx_node(d, r)->type;
}

/* Models SetGuardForMemory: tail guard, head guard (each unless a
 * neighbour's guard is there already), then the bits. When a bitmap table
 * cannot be allocated (edk2 writes it at address 0 and goes on) the
 * allocation stands, its bits stay unrecorded and a hazard says so. */
void dx_set_guard_for_memory(dxemem *d, uint64_t memory, uint64_t pages) {
  uint64_t guard = memory + (pages << DXEMEM_PAGE_SHIFT);
  if (!dx_is_guard_page(d, guard)) {
    dx_set_guard_page(d, guard);
  }
  guard = memory - DXEMEM_PAGE_SIZE;
  if (!dx_is_guard_page(d, guard)) {
    dx_set_guard_page(d, guard);
  }
  (void)dx_set_guarded_memory_bits(d, memory, pages);
  if (dx_event_wanted(d, DXEMEM_EVENT_GUARD_SET)) {
    dx_emit_event(d, DXEMEM_EVENT_GUARD_SET, type_at(d, memory), memory,
                  memory + (pages << DXEMEM_PAGE_SHIFT) - 1, 0);
  }
}

/* Models UnsetGuardForMemory. Below, bit 1 is the page next to the range
 * and bit 0 the one beyond it (for the head: -1 and -2 pages):
 *   next 0, beyond 0  the guard is this range's own: release it
 *   next 0, beyond 1  the guard is shared with a neighbour: keep it
 *   next 1            still guarded (a partial free): the end page of the
 *                     range becomes a new guard */
void dx_unset_guard_for_memory(dxemem *d, uint64_t memory, uint64_t pages) {
  if (pages == 0) {
    return;
  }
  uint64_t guard = memory - DXEMEM_PAGE_SIZE;
  uint64_t bits = dx_get_guarded_memory_bits(d, memory - 2 * DXEMEM_PAGE_SIZE, 2);
  if ((bits & 2) == 0) {
    if ((bits & 1) == 0) {
      dx_unset_guard_page(d, guard);
    }
  } else {
    dx_set_guard_page(d, memory);
  }

  guard = memory + (pages << DXEMEM_PAGE_SHIFT);
  bits = dx_get_guarded_memory_bits(d, guard, 2);
  if ((bits & 1) == 0) {
    if ((bits & 2) == 0) {
      dx_unset_guard_page(d, guard);
    }
  } else {
    dx_set_guard_page(d, guard - DXEMEM_PAGE_SIZE);
  }
  (void)dx_clear_guarded_memory_bits(d, memory, pages);
}

/* Models AdjustMemoryS: fits size_requested bytes plus the guards it
 * cannot share at the top of the free block [*start, *start + size).
 * Returns the end of the allocation proper (0: does not fit) and leaves
 * the start of the allocation with its head guard in *start, the bytes
 * with guards in *size_requested. The head guard may not be page 0. */
uint64_t dx_adjust_memory_s(dxemem *d, uint64_t *start, uint64_t size,
                            uint64_t *size_requested) {
  if (*size_requested == 0 || size < *size_requested) {
    return 0;
  }
  if ((d->guard.property & GUARD_HEAP_POOL_AT_HEAD) == 0) {
    *size_requested = (*size_requested + 7) & ~UINT64_C(7);
  }
  uint64_t original_size = *size_requested;
  uint64_t original_start = *start;
  uint64_t target = original_start + size - original_size;
  if (target <= DXEMEM_PAGE_SIZE || target < original_start) {
    return 0;
  }
  if (!dx_is_guard_page(d, original_start + size)) {
    target -= DXEMEM_PAGE_SIZE;
    *size_requested += DXEMEM_PAGE_SIZE;
  }
  if (target < original_start || target <= DXEMEM_PAGE_SIZE) {
    return 0;
  }
  *start = target;
  bool has_head_guard = true;
  if (!dx_is_guard_page(d, target - DXEMEM_PAGE_SIZE)) {
    has_head_guard = false;
    *start -= DXEMEM_PAGE_SIZE;
    *size_requested += DXEMEM_PAGE_SIZE;
  }
  if (target == original_start && !has_head_guard) {
    return 0;
  }
  return target + original_size - 1;
}

/* Models AdjustMemoryA: the search made room, now take the guards that are
 * not shared too. */
void dx_adjust_memory_a(dxemem *d, uint64_t *memory, uint64_t *pages) {
  if (!dx_is_guard_page(d, *memory + (*pages << DXEMEM_PAGE_SHIFT))) {
    *pages += 1;
  }
  if (!dx_is_guard_page(d, *memory - DXEMEM_PAGE_SIZE)) {
    *memory -= DXEMEM_PAGE_SIZE;
    *pages += 1;
  }
}

/* Models AdjustMemoryF: widen the free by guards no neighbour shares,
 * narrow it by a page at an end where the rest stays guarded (that page
 * becomes the rest's new guard). Same bit table as UnsetGuardForMemory. */
void dx_adjust_memory_f(dxemem *d, uint64_t *memory, uint64_t *pages) {
  if (*pages == 0) {
    return;
  }
  uint64_t start = *memory;
  uint64_t to_free = *pages;
  uint64_t bits = dx_get_guarded_memory_bits(d, start - 2 * DXEMEM_PAGE_SIZE, 2);
  if ((bits & 2) == 0) {
    if ((bits & 1) == 0) {
      start -= DXEMEM_PAGE_SIZE;
      to_free += 1;
    }
  } else {
    start += DXEMEM_PAGE_SIZE;
    to_free -= 1;
  }
  bits = dx_get_guarded_memory_bits(d, start + (to_free << DXEMEM_PAGE_SHIFT), 2);
  if ((bits & 1) == 0) {
    if ((bits & 2) == 0) {
      to_free += 1;
    }
  } else if (to_free > 0) {
    to_free -= 1;
  }
  *memory = start;
  *pages = to_free;
}

/* Models AdjustPoolHeadA: with BIT7 clear the POOL_HEAD moves up so the
 * buffer ends at the tail guard. */
uint64_t dx_adjust_pool_head_a(const dxemem *d, uint64_t memory,
                               uint64_t pages, uint64_t size) {
  if (memory == 0 || (d->guard.property & GUARD_HEAP_POOL_AT_HEAD) != 0) {
    return memory;
  }
  size = (size + 7) & ~UINT64_C(7);
  return memory + (pages << DXEMEM_PAGE_SHIFT) - size;
}

/* Models AdjustPoolHeadF: undoes AdjustPoolHeadA. */
uint64_t dx_adjust_pool_head_f(const dxemem *d, uint64_t memory,
                               uint64_t pages, uint64_t size) {
  if (memory == 0 || (d->guard.property & GUARD_HEAP_POOL_AT_HEAD) != 0) {
    return memory;
  }
  return memory + size - (pages << DXEMEM_PAGE_SHIFT);
}

/* Models CoreConvertPagesWithGuard: an allocation takes its guards along,
 * a free releases them (and the bits) first. */
dxemem_status dx_core_convert_pages_with_guard(dxemem *d, uint64_t start,
                                               uint64_t pages,
                                               uint32_t new_type) {
  if (new_type == DXEMEM_CONVENTIONAL_MEMORY) {
    uint64_t old_start = start;
    uint64_t old_pages = pages;
    dx_adjust_memory_f(d, &start, &pages);
    dx_unset_guard_for_memory(d, old_start, old_pages);
    if (pages == 0) {
      return DXEMEM_SUCCESS;
    }
  } else {
    dx_adjust_memory_a(d, &start, &pages);
  }
  return dx_core_convert_pages(d, start, pages, new_type);
}

/* ---- the public lookup --------------------------------------------------- */

/* The run of set bits that holds `page` (looked at up to 64 pages away). */
static void bit_run(dxemem *d, uint64_t page, uint64_t *start,
                    uint64_t *pages) {
  uint64_t below = dx_get_guarded_memory_bits(d, page - 64 * DXEMEM_PAGE_SIZE,
                                              64);
  uint64_t above = dx_get_guarded_memory_bits(d, page, 64);
  uint64_t down = 0;
  while (down < 64 && ((below >> (63 - down)) & 1) != 0) {
    down++;
  }
  uint64_t up = 0;
  while (up < 64 && ((above >> up) & 1) != 0) {
    up++;
  }
  *start = page - down * DXEMEM_PAGE_SIZE;
  *pages = down + up;
}

dxemem_status dxemem_guard_page_query(dxemem *d, uint64_t address,
                                      dxemem_guard_page_info *out) {
  if (out == NULL) {
    return DXEMEM_INVALID_PARAMETER;
  }
  dxemem_status status = dx_api_enter(d);
  if (status != DXEMEM_SUCCESS) {
    return status;
  }
  memset(out, 0, sizeof *out);
  uint64_t page = address & ~DXEMEM_PAGE_MASK;
  out->is_guard_page = dx_is_guard_page(d, page);
  out->is_memory_guarded = dx_is_memory_guarded(d, page);
  if (out->is_memory_guarded) {
    out->kind = dx_is_heap_guard_enabled(d, GUARD_HEAP_TYPE_FREED)
                    ? DXEMEM_GUARD_KIND_FREED
                    : DXEMEM_GUARD_KIND_GUARDED;
    bit_run(d, page, &out->start, &out->pages);
  } else if (out->is_guard_page) {
    uint64_t neighbours =
        dx_get_guarded_memory_bits(d, page - DXEMEM_PAGE_SIZE, 3);
    uint64_t owner = page - DXEMEM_PAGE_SIZE;
    out->kind = DXEMEM_GUARD_KIND_TAIL;
    if ((neighbours & 1) == 0) {
      owner = page + DXEMEM_PAGE_SIZE;
      out->kind = DXEMEM_GUARD_KIND_HEAD;
    }
    bit_run(d, owner, &out->start, &out->pages);
  }
  if (out->kind != DXEMEM_GUARD_KIND_NONE &&
      out->kind != DXEMEM_GUARD_KIND_FREED) {
    out->type = type_at(d, out->start);
  }
  return dx_api_leave(d, DXEMEM_SUCCESS);
}
