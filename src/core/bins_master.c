/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * The edk2 master side of the reference seam (c5aa7e7d94, 2026-08-06,
 * "Allocate Memory Bins Contiguously"): the bins as
 * MdeModulePkg/Core/Dxe/Mem/MemoryBin.c sets them up and counts them, with
 * the initial table of that commit's Page.c.
 *  - The HOB's page counts are rounded once, when the table is read
 *    (PopulateMemoryTypeInformation), not at each try.
 *  - All bins come from one EfiBootServicesData block, allocated with
 *    runtime-granularity alignment (AllocateAlignedPages) and carved
 *    top-down in table order; a table without pages sets nothing up.
 *  - Statistics are only kept once the bins exist, and the high-water mark
 *    is only written inside the table (never into the terminator slot).
 * The other side is bins_stable.c. Differs from edk2: nothing (the GCD and
 * PEI paths of MemoryBin.c are not modelled; dxemem has neither).
 */
#include "internal.h"

/* Models the initializer of gMemoryTypeInformation in Page.c of this
 * commit, which PopulateMemoryTypeInformation also restores when there is
 * no HOB: every type with 0 pages, slot 15 is EfiUnacceptedMemoryType. */
static void master_init_information(dxemem *d) {
  for (uint32_t t = 0; t < MEMORY_TYPE_SLOTS; t++) {
    d->info[t].type = t;
    d->info[t].number_of_pages = 0;
  }
}

/* Models PopulateMemoryTypeInformation after its copy of the HOB: the page
 * count of every valid type with pages is rounded up to its granularity.
 * The HOB always ends in its terminator here, so the corrupted-HOB reset
 * never runs. */
static void master_populate_information(dxemem *d) {
  for (size_t i = 0; dx_slot_in_table(d, i); i++) {
    if (dx_slot_names_bin(d, i)) {
      d->info[i].number_of_pages = dx_bin_pages_rounded(
          d, d->info[i].type, d->info[i].number_of_pages);
    }
  }
}

/* Models CalculateTotalMemoryBinSizeNeeded. Every slot up to the
 * terminator counts, whatever its type. With top (BinTop), each step also
 * lowers top past the slot and aligns it down to the slot's granularity,
 * and the padding that leaves counts too; top ends where it started. */
static uint64_t master_total_bin_size(const dxemem *d, uint64_t *top) {
  uint64_t total = 0;
  for (size_t i = 0; dx_slot_in_table(d, i); i++) {
    uint64_t bytes = (uint64_t)d->info[i].number_of_pages
                     << DXEMEM_PAGE_SHIFT;
    total += bytes;
    if (top == NULL) {
      continue;
    }
    uint64_t granularity = dx_granularity_for_type(d, d->info[i].type);
    *top -= bytes;
    total += *top & (granularity - 1);
    *top &= ~(granularity - 1);
  }
  if (top != NULL) {
    *top += total;
  }
  return total;
}

/* Models CoreSetMemoryTypeInformationRange of MemoryBin.c: the bins are
 * packed top-down from the end of the range with no alignment of their
 * own (the table is already rounded). */
static dxemem_status master_set_range(dxemem *d, uint64_t start,
                                      uint64_t length) {
  uint64_t top = start + length;
  if (master_total_bin_size(d, &top) > length) {
    return DXEMEM_BAD_BUFFER_SIZE;
  }
  for (size_t i = 0; dx_slot_in_table(d, i); i++) {
    if (!dx_slot_names_bin(d, i)) {
      continue;
    }
    type_statistics *s = &d->stats[d->info[i].type];
    s->maximum_address = top - 1;
    top -= (uint64_t)d->info[i].number_of_pages << DXEMEM_PAGE_SHIFT;
    s->base_address = top;
    if (s->base_address < d->default_max) {
      d->default_max = s->base_address - 1;
    }
    s->number_of_pages = d->info[i].number_of_pages;
    d->info[i].number_of_pages = 0;
  }
  dx_initialize_bin_statistics_from_range(d);
  d->bins_initialized = true;
  return DXEMEM_SUCCESS;
}

/* Models AllocateMemoryTypeInformationBins (DXE: no HOB is built). One
 * aligned block for all slots; if it cannot be had, nothing changes and
 * the next add tries again. A type listed twice keeps its last bin; the
 * block space of the first is simply freed with the rest. */
static void master_allocate_bins(dxemem *d) {
  if (d->bins_initialized) {
    return;
  }
  uint64_t required = master_total_bin_size(d, NULL);
  if (required == 0) {
    /* Nothing to place: the bins count as set up, but the statistics
     * tail never runs (every InformationIndex stays 16, no maximum moves). */
    d->bins_initialized = true;
    return;
  }
  uint64_t pages = required >> DXEMEM_PAGE_SHIFT;
  uint64_t base = dx_allocate_aligned_pages(d, pages, d->runtime_granularity);
  if (base == 0) {
    return;
  }
  uint64_t last = base + required;
  d->default_max = base - 1;
  for (size_t i = 0; dx_slot_in_table(d, i); i++) {
    if (!dx_slot_names_bin(d, i)) {
      continue;
    }
    type_statistics *s = &d->stats[d->info[i].type];
    s->base_address =
        last - ((uint64_t)d->info[i].number_of_pages << DXEMEM_PAGE_SHIFT);
    s->maximum_address = last - 1;
    last = s->base_address;
  }
  dx_free_aligned_pages(d, base, pages);
  for (size_t i = 0; dx_slot_in_table(d, i); i++) {
    if (!dx_slot_names_bin(d, i)) {
      continue;
    }
    d->stats[d->info[i].type].number_of_pages = d->info[i].number_of_pages;
    d->info[i].number_of_pages = 0;
  }
  dx_initialize_bin_statistics_from_range(d);
  d->bins_initialized = true;
}

/* Models UpdateMemoryStatistics: nothing before the bins exist, then the
 * count of bins.c (a type whose InformationIndex is the terminator counts
 * its pages but records no high-water mark). */
static void master_update_statistics(dxemem *d, uint32_t old_type,
                                     uint32_t new_type, uint64_t start,
                                     uint64_t pages) {
  if (!d->bins_initialized) {
    return;
  }
  dx_count_converted_pages(d, old_type, new_type, start, pages);
}

const dx_reference_ops dx_reference_master_2026_08 = {
    .name = "edk2-master-2026-08",
    .init_information = master_init_information,
    .populate_information = master_populate_information,
    .allocate_bins = master_allocate_bins,
    .set_range = master_set_range,
    .update_statistics = master_update_statistics,
    .terminator_records_high_water = false,
};
