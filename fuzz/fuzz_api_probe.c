/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * fuzz_api's scribbles (writes into free memory, pool blocks, map entries
 * or anywhere, with the checks switched off when they may hit the
 * allocator) and the read-only calls, which must agree with each other
 * and with the map.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "dxemem/dxemem.h"

#include "fuzz_api.h"

static void scribble_at(harness *h, uint64_t offset, size_t length,
                        uint64_t value) {
  if (h->verbose) {
    fprintf(stderr, "op %zu: scribble %zu bytes at 0x%" PRIx64 "%s\n",
            h->op_index, length, h->base + offset,
            h->corrupted ? "" : " (free memory)");
  }
  for (size_t i = 0; i < length && offset + i < h->size; i++) {
    h->host[offset + i] = (unsigned char)(value >> (8 * (i % 8)));
  }
}

void do_scribble(harness *h, const record *r) {
  size_t length = 1 + r->b % 8;
  uint64_t value = mix(r->y);
  switch ((scribble_kind)(r->a % SCRIBBLE_KINDS)) {
  case SCRIBBLE_FREE_PAGE:
    /* Free memory is the caller's to trash (in a real firmware: a bug in
     * the caller, not in the allocator) and must not matter. */
    if (!checks_on(h) || !h->map_seen) {
      return;
    }
    for (uint64_t n = 0; n < h->pages; n++) {
      uint64_t i = (r->x1 + n) % h->pages;
      const page_shadow *p = &h->shadow[i];
      if (p->mapped && p->map_type == DXEMEM_CONVENTIONAL_MEMORY &&
          p->owner == 0 && !p->holds_entries) {
        scribble_at(h, i * PAGE + r->x2 % (PAGE - length + 1), length, value);
        break;
      }
    }
    break;
  case SCRIBBLE_ENTRY:
    if (h->entry_sample_count == 0) {
      return;
    }
    h->corrupted = true;
    scribble_at(h,
                h->entry_samples[r->x1 % h->entry_sample_count] - h->base +
                    r->x2 % 64,
                length, value);
    break;
  case SCRIBBLE_ENTRY_PAGE:
    for (uint64_t n = 0; n < h->pages; n++) {
      uint64_t i = (r->x1 + n) % h->pages;
      if (h->shadow[i].holds_entries) {
        h->corrupted = true;
        scribble_at(h, i * PAGE + r->x2 % PAGE, length, value);
        break;
      }
    }
    break;
  default:
    h->corrupted = true;
    scribble_at(h, r->y % h->size, length, value);
    break;
  }
  after_call(h);
  check_ownership(h);
}

static bool stop_after(void *context, const dxemem_entry_info *e) {
  (void)e;
  uint64_t *left = context;
  return --*left > 0;
}

static bool count_entry(void *context, const dxemem_entry_info *e) {
  (void)e;
  ++*(uint64_t *)context;
  return true;
}

void do_read(harness *h, const record *r) {
  switch (r->a % 8) {
  case 0: {
    uint32_t type = r->x1 % 20;
    dxemem_type_statistics s;
    dxemem_status status = dxemem_get_type_statistics(h->d, type, &s);
    if ((status == DXEMEM_SUCCESS) != (type <= DXEMEM_MAX_MEMORY_TYPE)) {
      fail(h, "statistics of type %u: %s", type, status_text(status));
    }
    if (dxemem_get_type_statistics(h->d, type, NULL) !=
        DXEMEM_INVALID_PARAMETER) {
      fail(h, "statistics into NULL accepted");
    }
    break;
  }
  case 1: {
    size_t index = r->x1 % 20;
    dxemem_memory_type_information info;
    dxemem_status status =
        dxemem_get_memory_type_information(h->d, index, &info);
    if ((status == DXEMEM_SUCCESS) != (index <= DXEMEM_MAX_MEMORY_TYPE)) {
      fail(h, "memory type information slot %zu: %s", index,
           status_text(status));
    }
    break;
  }
  case 2: {
    uint64_t base = 0, maximum = 0;
    if (dxemem_get_default_range(h->d, &base, &maximum) != DXEMEM_SUCCESS) {
      fail(h, "dxemem_get_default_range failed");
    }
    uint64_t granularity = dxemem_get_runtime_granularity(h->d);
    if (granularity != PAGE && granularity != 65536) {
      fail(h, "runtime granularity reads 0x%" PRIx64, granularity);
    }
    (void)dxemem_bins_initialized(h->d);
    break;
  }
  case 3: { /* for_each_entry stops when told */
    uint64_t total = 0;
    dxemem_status status = dxemem_for_each_entry(h->d, count_entry, &total);
    uint64_t want = 1 + r->x1 % 8;
    uint64_t left = want;
    dxemem_status again = dxemem_for_each_entry(h->d, stop_after, &left);
    if (!h->corrupted && status == DXEMEM_SUCCESS && again == DXEMEM_SUCCESS &&
        want - left != (total < want ? total : want)) {
      fail(h,
           "for_each_entry visited %" PRIu64
           " entries after stopping at %" PRIu64,
           want - left, want);
    }
    break;
  }
  case 4: { /* phys_to_host and back */
    uint64_t phys = pick_address(h, r->b, r->x1, r->y);
    uint64_t length = r->c % 2 == 0 ? r->x2 : r->y >> (r->c % 64);
    void *host = dxemem_phys_to_host(h->d, phys, length);
    bool inside = inside_region(h, phys, length);
    if ((host != NULL) != inside ||
        (host != NULL && host != (void *)(h->host + (phys - h->base)))) {
      fail(h, "phys_to_host(0x%" PRIx64 ", 0x%" PRIx64 ") gave %p", phys,
           length, host);
    }
    uint64_t back = 0;
    if (host != NULL && phys - h->base < h->size &&
        (!dxemem_host_to_phys(h->d, host, &back) || back != phys)) {
      fail(h, "host_to_phys does not undo phys_to_host at 0x%" PRIx64, phys);
    }
    /* Just outside, within our guard pages. */
    if (dxemem_host_to_phys(h->d, h->host - 1, &back) ||
        dxemem_host_to_phys(h->d, h->host + h->size, &back)) {
      fail(h, "host_to_phys accepted a pointer outside the region");
    }
    break;
  }
  case 5: { /* names */
    uint32_t type = r->x1 % 2 == 0 ? r->x2 % 24 : (uint32_t)r->y;
    if ((dxemem_memory_type_name(type) != NULL) !=
        (type <= DXEMEM_MAX_MEMORY_TYPE)) {
      fail(h, "memory type 0x%x has name %s", type,
           dxemem_memory_type_name(type) != NULL ? "one" : "none");
    }
    (void)dxemem_status_name(r->y);
    (void)dxemem_status_name(DXEMEM_ERROR(r->x1 % 40));
    break;
  }
  case 6: { /* NULL instances */
    uint64_t memory = 0;
    if (dxemem_allocate_pages(NULL, 0, DXEMEM_BOOT_SERVICES_DATA, 1, &memory) !=
            DXEMEM_INVALID_PARAMETER ||
        dxemem_check(NULL, NULL) != DXEMEM_INVALID_PARAMETER ||
        dxemem_phys_to_host(NULL, h->base, 0) != NULL) {
      fail(h, "a call on a NULL instance did not return INVALID_PARAMETER");
    }
    break;
  }
  default:
    /* After an overlapping add a page may be handed out twice, so pool
     * blocks can be overwritten by their owner's neighbour (edk2 too). */
    if (!h->corrupted && !(h->overlapped && h->pool.any) &&
        dxemem_last_corruption(h->d) != 0) {
      fail(h, "last corruption 0x%" PRIx64 " without any scribble",
           dxemem_last_corruption(h->d));
    }
    break;
  }
  after_call(h);
  check_ownership(h);
}
