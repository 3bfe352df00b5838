/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * fuzz_api's view of the map: the entry walk after every call (which
 * pages are mapped, of which type, where the entries live), page
 * ownership, GetMemoryMap with its buffer checks, and ExitBootServices'
 * key check.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dxemem/dxemem.h"

#include "fuzz_api.h"

/* ---- looking at the map ------------------------------------------------ */

typedef struct map_visit {
  harness *h;
  bool bad; /* something the shadow cannot take; checked when trusted */
  char why[160];
} map_visit;

static bool visit_entry(void *context, const dxemem_entry_info *e) {
  map_visit *v = context;
  harness *h = v->h;
  if (e->from_pages) {
    h->pool_entries++;
    uint64_t index;
    if ((e->entry_address & 63) != 0 || !page_of(h, e->entry_address, &index) ||
        !inside_region(h, e->entry_address, 64)) {
      v->bad = true;
      snprintf(v->why, sizeof(v->why),
               "map entry stored at 0x%" PRIx64 ", not in the region",
               e->entry_address);
      return true;
    }
    h->shadow[index].holds_entries = true;
    if (h->entry_sample_count < ENTRY_SAMPLES_MAX) {
      h->entry_samples[h->entry_sample_count++] = e->entry_address;
    }
  }
  if (e->end + 1 == e->start) {
    return true; /* empty */
  }
  if (h->wrapped && (e->end < e->start ||
                     !inside_region(h, e->start, e->end - e->start + 1))) {
    return true; /* carved out of the wrapping entry; the shadow skips it */
  }
  if (e->end < e->start || (e->start & DXEMEM_PAGE_MASK) != 0 ||
      ((e->end + 1) & DXEMEM_PAGE_MASK) != 0 ||
      !inside_region(h, e->start, e->end - e->start + 1)) {
    v->bad = true;
    snprintf(v->why, sizeof(v->why),
             "entry 0x%" PRIx64 "-0x%" PRIx64 " not whole pages of the region",
             e->start, e->end);
    return true;
  }
  uint64_t first = (e->start - h->base) / PAGE;
  uint64_t count = (e->end - e->start + 1) / PAGE;
  h->entry_pages += count;
  for (uint64_t i = first; i < first + count; i++) {
    page_shadow *p = &h->shadow[i];
    if (p->mapped && !h->overlapped && !v->bad) {
      v->bad = true;
      snprintf(v->why, sizeof(v->why),
               "page 0x%" PRIx64 " in two entries without an overlapping add",
               h->base + i * PAGE);
    }
    p->mapped = true;
    p->map_type = e->type;
    p->map_attribute = e->attribute;
  }
  return true;
}

/* Rebuilds the map half of the shadow; checks what the walk shows. */
static void observe_map(harness *h) {
  for (uint64_t i = 0; i < h->pages; i++) {
    h->shadow[i].mapped = false;
    h->shadow[i].holds_entries = false;
  }
  h->pool_entries = 0;
  h->entry_pages = 0;
  h->entry_sample_count = 0;
  map_visit v = {.h = h};
  dxemem_status status = dxemem_for_each_entry(h->d, visit_entry, &v);
  h->map_seen = status == DXEMEM_SUCCESS && !v.bad;
  if (h->corrupted) {
    return;
  }
  if (status != DXEMEM_SUCCESS) {
    fail(h, "dxemem_for_each_entry returned %s", status_text(status));
  }
  if (v.bad) {
    fail(h, "%s", v.why);
  }
  /* After an overlapping add a page may sit in two entries, and the
   * shadow keeps only the last one's type. */
  for (uint64_t i = 0; i < h->pages && !h->overlapped; i++) {
    const page_shadow *p = &h->shadow[i];
    if (p->holds_entries &&
        (!p->mapped || p->map_type != DXEMEM_BOOT_SERVICES_DATA)) {
      fail(h,
           "page 0x%" PRIx64 " holds map entries but is not "
           "EfiBootServicesData in the map",
           h->base + i * PAGE);
    }
  }
  dxemem_counts counts;
  if (dxemem_get_counts(h->d, &counts) != DXEMEM_SUCCESS) {
    fail(h, "dxemem_get_counts failed");
  }
  /* PromoteMemoryResource adds the promoted range with CoreAddRange and,
   * when the conversion after it fails, nothing moves it off the map stack
   * until the next CoreFreeMemoryMapStack: edk2 leaves it there too. */
  if (counts.map_entries != h->pool_entries ||
      (counts.stack_depth != 0 && !h->freed_guard)) {
    fail(h,
         "counts say %" PRIu64 " pool entries and stack depth %" PRIu64
         ", the walk saw %" PRIu64,
         counts.map_entries, counts.stack_depth, h->pool_entries);
  }
}

/* Every tracked page still has its type in the map and no entries. */
void check_ownership(harness *h) {
  if (!checks_on(h)) {
    return;
  }
  for (uint64_t i = 0; i < h->pages; i++) {
    const page_shadow *p = &h->shadow[i];
    if (p->owner == 0) {
      continue;
    }
    if (!p->mapped || p->map_type != p->owner_type) {
      fail(h,
           "allocated page 0x%" PRIx64 " (type 0x%x) shows as %s0x%x in the "
           "map without being freed",
           h->base + i * PAGE, p->owner_type, p->mapped ? "" : "unmapped, ",
           p->map_type);
    }
    if (p->holds_entries) {
      fail(h, "allocated page 0x%" PRIx64 " holds map entries",
           h->base + i * PAGE);
    }
  }
}

/* After every call: the lock is free, the checker agrees, and the shadow
 * learns the new map. */
void after_call(harness *h) {
  if (h->lock_depth != 0) {
    fail(h, "returned with the lock held");
  }
  dxemem_violation violation;
  dxemem_status status = dxemem_check(h->d, &violation);
  /* After an overlapping add a map entry page may land on pool blocks. */
  bool pool_unsure =
      h->overlapped && h->pool.any && violation.kind == DXEMEM_VIOLATION_POOL;
  if (status != DXEMEM_SUCCESS && !h->corrupted && !pool_unsure) {
    fail(h, "dxemem_check: %s", violation.message);
  }
  observe_map(h);
  pool_check(h);
}

static void check_descriptors(harness *h, const unsigned char *buffer,
                              uint64_t size, uint64_t stride) {
  if (stride < sizeof(dxemem_memory_descriptor) || size % stride != 0) {
    fail(h, "map size 0x%" PRIx64 " with descriptor size 0x%" PRIx64, size,
         stride);
  }
  uint64_t total = 0;
  uint64_t next_free = h->base; /* lowest start the next may have */
  for (uint64_t offset = 0; offset < size; offset += stride) {
    dxemem_memory_descriptor desc;
    memcpy(&desc, buffer + offset, sizeof(desc));
    if ((desc.physical_start & DXEMEM_PAGE_MASK) != 0 ||
        (!h->wrapped && (desc.number_of_pages > h->pages ||
                         !inside_region(h, desc.physical_start,
                                        desc.number_of_pages * PAGE)))) {
      fail(h,
           "descriptor 0x%" PRIx64 "+0x%" PRIx64
           " pages is not whole pages of the region",
           desc.physical_start, desc.number_of_pages);
    }
    /* An add of 0 pages leaves an empty entry, which edk2 reports as a
     * descriptor of 0 pages wherever it sits. */
    if (!h->overlapped && desc.number_of_pages > 0) {
      if (desc.physical_start < next_free) {
        fail(h,
             "descriptor at 0x%" PRIx64 " overlaps or precedes the one "
             "before",
             desc.physical_start);
      }
      next_free = desc.physical_start + desc.number_of_pages * PAGE;
    }
    total += desc.number_of_pages;
  }
  if (!h->overlapped && h->map_seen && total != h->entry_pages) {
    fail(h,
         "the map describes 0x%" PRIx64 " pages, its entries hold 0x%" PRIx64,
         total, h->entry_pages);
  }
}

void do_map(harness *h, const record *r) {
  /* The size the map needs now, as a caller would ask for it. */
  uint64_t needed = 0;
  uint64_t probe_stride = 0;
  uint64_t key = 0;
  uint32_t version = 0;
  dxemem_status status =
      dxemem_get_memory_map(h->d, &needed, NULL, &key, &probe_stride, &version);
  /* INVALID_PARAMETER: an empty map needs 0 bytes, and NULL is no buffer. */
  expect_status(h, status, ST_TOO_SMALL | ST_INVALID,
                "map size probe: 0x%" PRIx64 " bytes", needed);
  after_call(h);
  if (!h->corrupted && (probe_stride < sizeof(dxemem_memory_descriptor) ||
                        needed % probe_stride != 0)) {
    fail(h,
         "map size probe: 0x%" PRIx64 " bytes of 0x%" PRIx64 "-byte "
         "descriptors",
         needed, probe_stride);
  }

  uint64_t passed;
  bool null_buffer = false;
  bool null_size = false;
  switch (r->a % 8) {
  case 0:
    passed = needed;
    break;
  case 1:
    passed = needed > 0 ? needed - 1 : 0;
    break;
  case 2:
    passed = needed > probe_stride ? needed - probe_stride : 0;
    break;
  case 3:
    passed = needed + probe_stride * (r->x1 % 4) + r->x2 % 8;
    break;
  case 4: /* far more than there is */
    passed = r->y | (UINT64_C(1) << 40);
    break;
  case 5:
    passed = r->y;
    null_buffer = true;
    break;
  case 6:
    passed = 0;
    null_size = true;
    break;
  default:
    passed = r->x1 % 8192;
    break;
  }
  /* The buffer is exactly the size passed where that is small enough, so
   * the sanitizers see a write past it; a huge size gets what the map can
   * need plus canary bytes. Every byte starts as 0xa5. */
  uint64_t limit = needed + MAP_SLACK_BYTES;
  if (h->overlapped && passed > limit && !null_buffer) {
    /* After an overlapping add the map can outgrow what the probe said,
     * and the allocator may then use every byte passed: say the truth. */
    passed = limit;
  }
  size_t host_size = (size_t)(passed < limit ? passed : limit);
  size_t allocated = host_size > 0 ? host_size : 1;
  unsigned char *buffer = NULL;
  if (!null_buffer) {
    buffer = malloc(allocated);
    if (buffer == NULL) {
      fuzz_fail("fuzz_api: out of memory");
    }
    memset(buffer, 0xa5, allocated);
  }

  uint64_t *key_out = (r->b & 1) != 0 ? NULL : &key;
  uint64_t stride = 0;
  uint64_t *stride_out = (r->b & 2) != 0 ? NULL : &stride;
  uint32_t *version_out = (r->b & 4) != 0 ? NULL : &version;
  uint64_t size = passed;
  key = 0;
  version = 0;
  status = dxemem_get_memory_map(h->d, null_size ? NULL : &size,
                                 (dxemem_memory_descriptor *)(void *)buffer,
                                 key_out, stride_out, version_out);
  expect_status(h, status, ST_SUCCESS | ST_TOO_SMALL | ST_INVALID,
                "map of 0x%" PRIx64 " bytes%s%s (size 0x%" PRIx64 " on return)",
                passed, null_buffer ? ", NULL buffer" : "",
                null_size ? ", NULL size" : "", size);
  if (!h->corrupted) {
    if (null_size && status != DXEMEM_INVALID_PARAMETER) {
      fail(h, "map with a NULL size returned %s", status_text(status));
    }
    if (status == DXEMEM_SUCCESS && null_buffer) {
      fail(h, "map into a NULL buffer succeeded");
    }
    if (stride_out != NULL && !null_size && stride != probe_stride) {
      fail(h, "map wrote descriptor size 0x%" PRIx64 ", the probe 0x%" PRIx64,
           stride, probe_stride);
    }
    if (version_out != NULL && !null_size &&
        version != DXEMEM_MEMORY_DESCRIPTOR_VERSION) {
      fail(h, "map wrote descriptor version %u", version);
    }
    if (key_out != NULL && !null_size && key != dxemem_get_map_key(h->d)) {
      fail(h, "map wrote key 0x%" PRIx64 ", the instance has 0x%" PRIx64, key,
           dxemem_get_map_key(h->d));
    }
    if (status == DXEMEM_BUFFER_TOO_SMALL && size <= passed) {
      fail(h, "map too small for 0x%" PRIx64 " bytes, yet asks 0x%" PRIx64,
           passed, size);
    }
  }
  if (buffer != NULL && !h->corrupted) {
    /* Nothing past the size the probe asked for (edk2 clears that much)
     * or the size returned, both inside the size passed. A buffer smaller
     * than the probe asked for stays untouched. After an overlapping add
     * the bins may split more descriptors than the probe counts, so the
     * map may use, and leave behind, anything up to the size passed. */
    uint64_t written = passed < needed ? 0
                       : h->overlapped || status != DXEMEM_SUCCESS
                           ? passed
                           : (needed > size ? needed : size);
    size_t clean_from = written < allocated ? (size_t)written : allocated;
    if (host_size == 0) {
      clean_from = 0; /* passed 0: the one byte is past it */
    }
    for (size_t i = clean_from; i < allocated; i++) {
      if (buffer[i] != 0xa5) {
        fail(h,
             "map (%s) wrote byte 0x%zx of a 0x%" PRIx64 "-byte buffer "
             "(0x%" PRIx64 " needed)",
             status_text(status), i, passed, needed);
      }
    }
    if (status == DXEMEM_SUCCESS) {
      if (size > passed) {
        fail(h,
             "map returned size 0x%" PRIx64 " for a 0x%" PRIx64 "-byte buffer",
             size, passed);
      }
      check_descriptors(h, buffer, size, probe_stride);
    }
  }
  if (key_out != NULL && !null_size) {
    h->last_key = key;
  }
  free(buffer);
  after_call(h);
  check_ownership(h);
}

void do_terminate(harness *h, const record *r) {
  uint64_t current = dxemem_get_map_key(h->d);
  uint64_t key;
  switch (r->a % 4) {
  case 0:
    key = h->last_key;
    break;
  case 1:
    key = current;
    break;
  case 2:
    key = current + 1 - (r->x1 % 3);
    break;
  default:
    key = r->y;
    break;
  }
  dxemem_status status = dxemem_terminate_memory_map(h->d, key);
  expect_status(h, status, ST_SUCCESS | ST_INVALID,
                "terminate with key 0x%" PRIx64 " (key 0x%" PRIx64 ")", key,
                current);
  if (status == DXEMEM_SUCCESS && key != current) {
    fail(h, "terminate with key 0x%" PRIx64 " succeeded, the key is 0x%" PRIx64,
         key, current);
  }
  after_call(h);
  check_ownership(h);
}
