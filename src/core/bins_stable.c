/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * The edk2-stable202605 side of the reference seam: the bins as
 * MdeModulePkg/Core/Dxe/Mem/Page.c of that tag sets them up and counts
 * them.
 *  - Each bin is its own allocation of its own type, top-down in table
 *    order, at the end of CoreAddMemoryDescriptor; then all are freed.
 *  - The statistics are kept from the start, bins or not, and a type the
 *    table does not list records its high-water mark in the terminator
 *    slot (InformationIndex 16).
 *  - The initial table names EfiGcdMemoryTypeUnaccepted (value 6) in slot 15.
 * The other side is bins_master.c.
 */
#include "internal.h"

/* Models the initializer of gMemoryTypeInformation in Page.c. */
static void stable_init_information(dxemem *d) {
  for (uint32_t t = 0; t < MEMORY_TYPE_SLOTS; t++) {
    d->info[t].type = t;
    d->info[t].number_of_pages = 0;
  }
  /* The slot meant for EfiUnacceptedMemoryType holds the GCD enum value
   * EfiGcdMemoryTypeUnaccepted, which is 6 (EfiRuntimeServicesData). */
  d->info[DXEMEM_UNACCEPTED_MEMORY_TYPE].type = DXEMEM_RUNTIME_SERVICES_DATA;
}

/* Models CoreInitializeMemoryServices (Gcd.c) of this tag: the HOB is
 * copied as it is, nothing rounded. */
static void stable_populate_information(dxemem *d) {
  (void)d;
}

/* Models the statistics update inside CoreConvertPagesEx (Page.c): kept
 * from the start, bins or not. Every piece counts the whole request, as in
 * edk2; the count itself is bins.c's. */
static void stable_update_statistics(dxemem *d, uint32_t old_type,
                                     uint32_t new_type, uint64_t start,
                                     uint64_t pages) {
  dx_count_converted_pages(d, old_type, new_type, start, pages);
}

/* Frees the bins of slots 0..count-1 after a failed try (by each type's
 * current base: the hazards of a type listed twice, see hazard.c). */
static void stable_free_bins_before(dxemem *d, size_t count) {
  for (size_t j = 0; j < count; j++) {
    if (!dx_slot_names_bin(d, j)) {
      continue;
    }
    uint32_t t = d->info[j].type;
    (void)dx_core_free_pages(d, d->stats[t].base_address,
                                      d->info[j].number_of_pages);
    d->stats[t].base_address = 0;
    d->stats[t].maximum_address = MAX_ALLOC_ADDRESS;
  }
}

/* Models the second half of CoreAddMemoryDescriptor (Page.c): allocate
 * every bin top-down, then free them all again and remember where they
 * are. On the first failure the bins got so far are freed and the next add
 * tries again (the rounded slots and the lowered default maximum stay). */
static void stable_allocate_bins(dxemem *d) {
  if (d->bins_initialized) {
    return;
  }
  struct bin_watch watch;
  watch.bins = 0;
  watch.pieces = 0;
  watch.pieces_lost = false;
  bool failed = false;
  for (size_t i = 0; dx_slot_in_table(d, i); i++) {
    if (!dx_slot_names_bin(d, i)) {
      continue;
    }
    uint32_t type = d->info[i].type;
    d->info[i].number_of_pages =
        dx_bin_pages_rounded(d, type, d->info[i].number_of_pages);
    type_statistics *s = &d->stats[type];
    dxemem_status status = dx_core_allocate_pages(
        d, DXEMEM_ALLOCATE_ANY_PAGES, type, d->info[i].number_of_pages,
        &s->base_address);
    if (status != DXEMEM_SUCCESS) {
      d->bin_watch = &watch;
      stable_free_bins_before(d, i);
      failed = true;
      break;
    }
    s->maximum_address =
        s->base_address +
        ((uint64_t)d->info[i].number_of_pages << DXEMEM_PAGE_SHIFT) - 1;
    watch.bin_start[watch.bins] = s->base_address;
    watch.bin_end[watch.bins] = s->maximum_address;
    watch.bins++;
    if (s->base_address < d->default_max) {
      d->default_max = s->base_address - 1;
    }
  }

  if (failed) {
    d->bin_watch = NULL;
    dx_report_leaked_bins(d, &watch);
    return;
  }
  d->bin_watch = &watch;
  for (size_t i = 0; dx_slot_in_table(d, i); i++) {
    if (!dx_slot_names_bin(d, i)) {
      continue;
    }
    uint32_t type = d->info[i].type;
    (void)dx_core_free_pages(d, d->stats[type].base_address,
                                      d->info[i].number_of_pages);
    d->stats[type].number_of_pages = d->info[i].number_of_pages;
    d->info[i].number_of_pages = 0;
  }
  d->bin_watch = NULL;
  dx_report_leaked_bins(d, &watch);
  dx_initialize_bin_statistics_from_range(d);
  d->bins_initialized = true;
}

/* A bin's size in CoreSetMemoryTypeInformationRange: its pages rounded up
 * to its type's granularity (not cut to 32 bits). */
static uint64_t stable_range_bin_bytes(const dxemem *d, size_t index,
                                       uint64_t granularity) {
  uint64_t bytes = (uint64_t)d->info[index].number_of_pages
                   << DXEMEM_PAGE_SHIFT;
  return (bytes + granularity - 1) & ~(granularity - 1);
}

/* The size the bins need below top: every bin's rounded size plus the
 * padding its aligned base leaves. Slots without a bin count nothing. */
static uint64_t stable_range_size_needed(const dxemem *d, uint64_t top) {
  uint64_t size = 0;
  for (size_t i = 0; dx_slot_in_table(d, i); i++) {
    if (!dx_slot_names_bin(d, i)) {
      continue;
    }
    uint64_t granularity = dx_granularity_for_type(d, d->info[i].type);
    uint64_t bytes = stable_range_bin_bytes(d, i, granularity);
    size += bytes;
    top -= bytes;
    size += top & (granularity - 1);
    top &= ~(granularity - 1);
  }
  return size;
}

/* Models CoreSetMemoryTypeInformationRange (Page.c of this tag): each bin
 * rounded to its granularity and aligned down, top-down from the end of
 * the range. */
static dxemem_status stable_set_range(dxemem *d, uint64_t start,
                                      uint64_t length) {
  uint64_t top = start + length;
  if (stable_range_size_needed(d, top) > length) {
    return DXEMEM_BAD_BUFFER_SIZE;
  }
  for (size_t i = 0; dx_slot_in_table(d, i); i++) {
    if (!dx_slot_names_bin(d, i)) {
      continue;
    }
    uint32_t type = d->info[i].type;
    uint64_t granularity = dx_granularity_for_type(d, type);
    uint64_t bytes = stable_range_bin_bytes(d, i, granularity);
    type_statistics *s = &d->stats[type];
    top = (top - bytes) & ~(granularity - 1);
    s->base_address = top;
    s->maximum_address = top + bytes - 1;
    if (s->base_address < d->default_max) {
      d->default_max = s->base_address - 1;
    }
    s->number_of_pages = bytes >> DXEMEM_PAGE_SHIFT;
    d->info[i].number_of_pages = 0;
  }
  dx_initialize_bin_statistics_from_range(d);
  d->bins_initialized = true;
  return DXEMEM_SUCCESS;
}

const dx_reference_ops dx_reference_stable202605 = {
    .name = "edk2-stable202605",
    .init_information = stable_init_information,
    .populate_information = stable_populate_information,
    .allocate_bins = stable_allocate_bins,
    .set_range = stable_set_range,
    .update_statistics = stable_update_statistics,
    .terminator_records_high_water = true,
};
