/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * fuzz_api's set-up calls, only allowed before the first add: the Memory
 * Type Information table, the bin range and the runtime granularity.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "dxemem/dxemem.h"

#include "fuzz_api.h"

void do_set_info(harness *h, const record *r) {
  dxemem_memory_type_information entries[DXEMEM_MAX_MEMORY_TYPE + 1];
  size_t count = r->a % (DXEMEM_MAX_MEMORY_TYPE + 2);
  for (size_t i = 0; i < sizeof(entries) / sizeof(entries[0]); i++) {
    uint64_t v = mix(r->y + i);
    /* Mostly real types with small bins; now and then anything. */
    entries[i].type = (v & 7) != 0
                          ? (uint32_t)(v >> 8) % DXEMEM_MAX_MEMORY_TYPE
                          : pick_type((uint8_t)(v >> 3), (uint32_t)(v >> 8));
    entries[i].number_of_pages = (v & 0x30) != 0x30
                                     ? (uint32_t)(v >> 40) % (r->x1 % 64 + 1)
                                     : (uint32_t)(v >> 32);
  }
  bool null_entries = (r->b % 8) == 0;
  for (size_t i = 0; h->verbose && !null_entries && i < count; i++) {
    fprintf(stderr, "op %zu: bins[%zu] = {0x%x, 0x%x}\n", h->op_index, i,
            entries[i].type, entries[i].number_of_pages);
  }
  dxemem_status status = dxemem_set_memory_type_information(
      h->d, null_entries ? NULL : entries, count);
  expect_status(h, status, ST_SUCCESS | ST_INVALID | ST_ALREADY_STARTED,
                "set memory type information, %zu entries%s", count,
                null_entries ? " (NULL)" : "");
  if (!h->corrupted) {
    if (h->any_add && status != DXEMEM_ALREADY_STARTED) {
      fail(h, "set memory type information after an add returned %s",
           status_text(status));
    }
    if (status == DXEMEM_SUCCESS &&
        (count > DXEMEM_MAX_MEMORY_TYPE || (null_entries && count > 0))) {
      fail(h, "set memory type information with %zu %s entries succeeded",
           count, null_entries ? "NULL" : "");
    }
  }
  if (status == DXEMEM_SUCCESS && !null_entries) {
    /* edk2 master's PopulateMemoryTypeInformation rounds each bin of the
     * table (up to its terminator) to its type's granularity, in 32 bits. */
    bool rounds =
        dxemem_get_reference(h->d) == DXEMEM_REFERENCE_EDK2_MASTER_2026_08;
    for (size_t i = 0; i <= count; i++) {
      dxemem_memory_type_information got;
      dxemem_memory_type_information want =
          i < count
              ? entries[i]
              : (dxemem_memory_type_information){DXEMEM_MAX_MEMORY_TYPE, 0};
      if (want.type == DXEMEM_MAX_MEMORY_TYPE) {
        rounds = false;
      }
      if (rounds && want.number_of_pages != 0) {
        uint64_t unit = granularity_of(h, want.type) / PAGE;
        want.number_of_pages =
            (uint32_t)(((uint64_t)want.number_of_pages + unit - 1) / unit *
                       unit);
      }
      if (dxemem_get_memory_type_information(h->d, i, &got) != DXEMEM_SUCCESS ||
          got.type != want.type ||
          got.number_of_pages != want.number_of_pages) {
        fail(h,
             "memory type information slot %zu reads {0x%x, 0x%x}, set "
             "{0x%x, 0x%x}",
             i, got.type, got.number_of_pages, want.type, want.number_of_pages);
      }
    }
  }
  after_call(h);
  check_ownership(h);
}

void do_binrange(harness *h, const record *r) {
  uint64_t start = pick_address(h, r->a, r->x1, r->y);
  uint64_t length;
  switch (r->b % 4) {
  case 0:
    length = pick_pages(h, r->c, r->x2, r->y) * PAGE;
    break;
  case 1:
    length = r->y;
    break;
  case 2:
    length = h->base + h->size - start;
    break;
  default:
    length = r->x2;
    break;
  }
  dxemem_status status =
      dxemem_set_memory_type_information_range(h->d, start, length);
  expect_status(h, status, ST_SUCCESS | ST_BAD_BUFFER_SIZE | ST_ALREADY_STARTED,
                "set memory type information range 0x%" PRIx64 "+0x%" PRIx64,
                start, length);
  if (status == DXEMEM_SUCCESS && !dxemem_bins_initialized(h->d)) {
    fail(h, "the bins are not set after a successful binrange");
  }
  after_call(h);
  check_ownership(h);
}

void do_granularity(harness *h, const record *r) {
  uint64_t bytes = (r->a % 3) == 0   ? PAGE
                   : (r->a % 3) == 1 ? UINT64_C(65536)
                                     : r->y;
  dxemem_status status = dxemem_set_runtime_granularity(h->d, bytes);
  expect_status(h, status, ST_SUCCESS | ST_INVALID | ST_ALREADY_STARTED,
                "set runtime granularity 0x%" PRIx64, bytes);
  if (!h->corrupted) {
    if (h->any_add && status != DXEMEM_ALREADY_STARTED) {
      fail(h, "set runtime granularity after an add returned %s",
           status_text(status));
    }
    if (status == DXEMEM_SUCCESS &&
        ((bytes != PAGE && bytes != 65536) ||
         dxemem_get_runtime_granularity(h->d) != bytes)) {
      fail(h,
           "set runtime granularity 0x%" PRIx64 " succeeded, reads 0x%" PRIx64,
           bytes, dxemem_get_runtime_granularity(h->d));
    }
  }
  after_call(h);
  check_ownership(h);
}

/* Writes length bytes of value at region offset (clipped to the region). */