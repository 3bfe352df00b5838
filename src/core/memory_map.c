/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * CoreGetMemoryMap and CoreTerminateMemoryMap.
 *
 * GetMemoryMap copies gMemoryMap into the caller's buffer and then makes it
 * presentable: EFI_MEMORY_RUNTIME follows the type, touching descriptors of
 * the same type and attribute merge, free memory inside the bin of a special
 * type is reported as that type (split at the bin's edges), and the access
 * bits RP, XP and RO are cleared. It changes nothing in the allocator.
 */
#include "internal.h"

void *memmove(void *dst, const void *src, size_t n);

/* sizeof (EFI_MEMORY_DESCRIPTOR) rounded up past a multiple of 8. */
#define DESCRIPTOR_STRIDE                                                      \
  (sizeof(dxemem_memory_descriptor) + sizeof(uint64_t) -                       \
   (sizeof(dxemem_memory_descriptor) % sizeof(uint64_t)))

typedef dxemem_memory_descriptor descriptor;

static descriptor *next_descriptor(descriptor *d) {
  return (descriptor *)((uint8_t *)d + DESCRIPTOR_STRIDE);
}

static uint64_t pages_to_bytes(uint64_t pages) {
  return pages << DXEMEM_PAGE_SHIFT;
}

/* EFI_SIZE_TO_PAGES: rounds up. */
static uint64_t bytes_to_pages(uint64_t bytes) {
  return (bytes >> DXEMEM_PAGE_SHIFT) + ((bytes & DXEMEM_PAGE_MASK) ? 1 : 0);
}

static uint64_t byte_span(const descriptor *from, const descriptor *to) {
  return (uint64_t)((const uint8_t *)to - (const uint8_t *)from);
}

/* Models SetEfiMemoryDescriptorType: the runtime bit follows the type for
 * UEFI types; OEM and OS types keep their attribute. */
static void set_descriptor_type(const dxemem *d, descriptor *desc,
                                uint32_t type) {
  desc->type = type;
  if (type >= DXEMEM_MAX_MEMORY_TYPE) {
    return;
  }
  if (d->stats[type].runtime) {
    desc->attribute |= DXEMEM_MEMORY_RUNTIME;
  } else {
    desc->attribute &= ~DXEMEM_MEMORY_RUNTIME;
  }
}

/* Models MergeMemoryMapDescriptor: folds the last descriptor into an
 * earlier one it touches; returns the next free slot. */
static descriptor *merge_last_descriptor(descriptor *first, descriptor *last) {
  for (descriptor *m = first; m != last; m = next_descriptor(m)) {
    if (m->type != last->type || m->attribute != last->attribute) {
      continue;
    }
    if (m->physical_start + pages_to_bytes(m->number_of_pages) ==
        last->physical_start) {
      m->number_of_pages += last->number_of_pages;
      return last;
    }
    if (m->physical_start - pages_to_bytes(last->number_of_pages) ==
        last->physical_start) {
      m->physical_start = last->physical_start;
      m->virtual_start = last->virtual_start;
      m->number_of_pages += last->number_of_pages;
      return last;
    }
  }
  return next_descriptor(last);
}

/* Models MergeMemoryMap: merges runs of neighbouring descriptors (in
 * buffer order) of the same type and attribute that touch; returns the new
 * byte size. With the freed-memory guard each descriptor first stretches
 * over recorded freed pages up to the next one (MergeGuardPages). */
static uint64_t merge_neighbours(dxemem *d, descriptor *map, uint64_t size) {
  descriptor *end = (descriptor *)((uint8_t *)map + size);
  descriptor *in = map;
  descriptor *out = map;
  while (in < end) {
    memmove(out, in, sizeof *out);
    descriptor *next = next_descriptor(in);
    for (;;) {
      if (next < end) {
        dx_merge_guard_pages(d, out, next->physical_start);
      }
      if (next < end && out->type == next->type &&
          out->attribute == next->attribute &&
          out->physical_start + pages_to_bytes(out->number_of_pages) ==
              next->physical_start) {
        out->number_of_pages += next->number_of_pages;
        next = next_descriptor(next);
        continue;
      }
      break;
    }
    in = next;
    out = next_descriptor(out);
  }
  return byte_span(map, out);
}

/* Opens a slot after m by moving [m, *end) up one descriptor. Refuses
 * (instead of writing past the buffer, as edk2 would) when it is full. */
static bool open_slot_after(descriptor *first, descriptor *m, descriptor **end,
                            uint64_t capacity) {
  if (byte_span(first, *end) + DESCRIPTOR_STRIDE > capacity) {
    return false;
  }
  memmove(next_descriptor(m), m, byte_span(m, *end));
  *end = next_descriptor(*end);
  return true;
}

/* Splits descriptor m at address `at`: m keeps the pages below, a new
 * descriptor right after it takes [at, entry_end] with upper_type. Returns
 * the new descriptor, or NULL when the buffer is full. */
static descriptor *split_descriptor(const dxemem *d, descriptor *first,
                                    descriptor *m, descriptor **end,
                                    uint64_t capacity, uint64_t at,
                                    uint64_t entry_end, uint32_t upper_type) {
  m->number_of_pages = bytes_to_pages(at - m->physical_start);
  if (!open_slot_after(first, m, end, capacity)) {
    return NULL;
  }
  descriptor *upper = next_descriptor(m);
  upper->physical_start = at;
  upper->number_of_pages = bytes_to_pages(entry_end - at + 1);
  set_descriptor_type(d, upper, upper_type);
  return upper;
}

/* One pass over the map for one bin: retype or split the first free
 * descriptor that overlaps the bin. Returns 1 if something changed, 0 if
 * not, -1 if the buffer is full. */
static int split_bin_once(const dxemem *d, descriptor *first, descriptor **end,
                          uint64_t capacity, uint32_t bin_type,
                          uint64_t bin_start, uint64_t bin_end) {
  for (descriptor *m = first; m < *end; m = next_descriptor(m)) {
    if (m->type != DXEMEM_CONVENTIONAL_MEMORY) {
      continue;
    }
    uint64_t entry_start = m->physical_start;
    uint64_t entry_end = entry_start + pages_to_bytes(m->number_of_pages) - 1;
    if (entry_end < bin_start || entry_start > bin_end) {
      continue;
    }
    if (entry_start >= bin_start && entry_end <= bin_end) {
      set_descriptor_type(d, m, bin_type);
      return 1;
    }
    if (entry_start < bin_start) {
      /* Free below the bin stays; the part from the bin start is the bin's,
       * and any part above the bin is free again. */
      descriptor *inside = split_descriptor(d, first, m, end, capacity,
                                            bin_start, entry_end, bin_type);
      if (inside == NULL) {
        return -1;
      }
      if (entry_end > bin_end &&
          split_descriptor(d, first, inside, end, capacity, bin_end + 1,
                           entry_end, DXEMEM_CONVENTIONAL_MEMORY) == NULL) {
        return -1;
      }
      return 1;
    }
    /* Starts inside the bin, ends above it. */
    set_descriptor_type(d, m, bin_type);
    if (split_descriptor(d, first, m, end, capacity, bin_end + 1, entry_end,
                         DXEMEM_CONVENTIONAL_MEMORY) == NULL) {
      return -1;
    }
    return 1;
  }
  return 0;
}

static uint64_t needed_size(dxemem *d) {
  uint64_t size = 0;
  for (entry_ref r = dx_list_first(d, REF_MAP_HEAD); r != REF_MAP_HEAD;
       r = dx_list_next(d, r)) {
    size += DESCRIPTOR_STRIDE;
  }
  /* Worst case: every special bin splits one descriptor on both sides. */
  for (uint32_t t = 0; t < DXEMEM_MAX_MEMORY_TYPE; t++) {
    if (d->stats[t].special && d->stats[t].number_of_pages > 0) {
      size += 2 * DESCRIPTOR_STRIDE;
    }
  }
  return size;
}

/* Builds the map into a buffer known to hold buffer_size bytes; returns the
 * status and sets *used. */
static dxemem_status build_map(dxemem *d, descriptor *map, uint64_t capacity,
                               uint64_t buffer_size, uint64_t *used) {
  memset(map, 0, (size_t)buffer_size);
  descriptor *end = map;
  for (entry_ref r = dx_list_first(d, REF_MAP_HEAD); r != REF_MAP_HEAD;
       r = dx_list_next(d, r)) {
    const map_entry *e = dx_node(d, r);
    end->physical_start = e->start;
    end->virtual_start = 0;
    end->number_of_pages = bytes_to_pages(e->end - e->start + 1);
    end->attribute = e->attribute;
    set_descriptor_type(d, end, e->type);
    end = merge_last_descriptor(map, end);
  }

  for (uint32_t t = 0; t < DXEMEM_MAX_MEMORY_TYPE; t++) {
    const type_statistics *s = &d->stats[t];
    if (s->number_of_pages == 0 || !s->special) {
      continue;
    }
    for (;;) {
      end = (descriptor *)((uint8_t *)map +
                           merge_neighbours(d, map, byte_span(map, end)));
      int changed = split_bin_once(d, map, &end, capacity, t, s->base_address,
                                   s->maximum_address);
      if (changed < 0) {
        /* Only overlapping adds split more than the two descriptors per
         * bin the size allows for (edk2 then writes past the buffer).
         * Ask for twice the buffer, so a caller's usual retry loop ends. */
        *used = capacity <= UINT64_MAX / 2 ? 2 * capacity : UINT64_MAX;
        return DXEMEM_BUFFER_TOO_SMALL;
      }
      if (changed == 0) {
        break;
      }
    }
  }

  for (descriptor *m = map; m < end; m = next_descriptor(m)) {
    m->attribute &= ~DXEMEM_MEMORY_ACCESS_MASK;
  }
  *used = merge_neighbours(d, map, byte_span(map, end));
  return DXEMEM_SUCCESS;
}

/* Models CoreGetMemoryMap (no GCD entries). */
dxemem_status dxemem_get_memory_map(dxemem *d, uint64_t *map_size,
                                    dxemem_memory_descriptor *map,
                                    uint64_t *map_key,
                                    uint64_t *descriptor_size,
                                    uint32_t *descriptor_version) {
  dxemem_status status = dx_api_enter_whole_list(d);
  if (status != DXEMEM_SUCCESS) {
    return status;
  }
  if (map_size == NULL) {
    return dx_api_leave(d, DXEMEM_INVALID_PARAMETER);
  }
  if (descriptor_size != NULL) {
    *descriptor_size = DESCRIPTOR_STRIDE;
  }
  if (descriptor_version != NULL) {
    *descriptor_version = DXEMEM_MEMORY_DESCRIPTOR_VERSION;
  }

  uint64_t buffer_size = needed_size(d);
  if (*map_size < buffer_size) {
    status = DXEMEM_BUFFER_TOO_SMALL;
  } else if (map == NULL) {
    status = DXEMEM_INVALID_PARAMETER;
  } else {
    status = build_map(d, map, *map_size, buffer_size, &buffer_size);
  }

  if (map_key != NULL) {
    *map_key = d->map_key;
  }
  *map_size = buffer_size;
  return dx_api_leave(d, status);
}

/* Models CoreTerminateMemoryMap: the key must match, and every runtime
 * entry must start and end on the runtime granularity. */
dxemem_status dxemem_terminate_memory_map(dxemem *d, uint64_t map_key) {
  dxemem_status status = dx_api_enter_whole_list(d);
  if (status != DXEMEM_SUCCESS) {
    return status;
  }
  if (map_key != d->map_key) {
    return dx_api_leave(d, DXEMEM_INVALID_PARAMETER);
  }
  uint64_t mask = d->runtime_granularity - 1;
  for (entry_ref r = dx_list_first(d, REF_MAP_HEAD); r != REF_MAP_HEAD;
       r = dx_list_next(d, r)) {
    const map_entry *e = dx_node(d, r);
    if (e->type < DXEMEM_MAX_MEMORY_TYPE && d->stats[e->type].runtime) {
      if ((e->start & mask) != 0 || ((e->end + 1) & mask) != 0) {
        return dx_api_leave(d, DXEMEM_INVALID_PARAMETER);
      }
    }
  }
  return dx_api_leave(d, DXEMEM_SUCCESS);
}
