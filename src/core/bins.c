/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * Memory type bins, the part both references share: mMemoryTypeStatistics
 * and its initial rows, the table walk, the Memory Type Information HOB
 * copy, the tail that makes placed bins live (master names it
 * InitializeBinStatisticsFromRange), the statistics count of a type change
 * and the public calls.
 *
 * The bins keep each type's allocations together across boots (for S4
 * resume). How they are placed and counted is where the references differ;
 * that lives behind d->reference: bins_stable.c (edk2-stable202605, Page.c)
 * and bins_master.c (edk2 master, MemoryBin.c).
 */
#include "internal.h"

static bool type_is_special(uint32_t type) {
  switch (type) {
  case DXEMEM_RESERVED_MEMORY_TYPE:
  case DXEMEM_RUNTIME_SERVICES_CODE:
  case DXEMEM_RUNTIME_SERVICES_DATA:
  case DXEMEM_ACPI_RECLAIM_MEMORY:
  case DXEMEM_ACPI_MEMORY_NVS:
  case DXEMEM_PAL_CODE:
  case DXEMEM_UNACCEPTED_MEMORY_TYPE:
    return true;
  default:
    return false;
  }
}

static bool type_is_runtime(uint32_t type) {
  return type == DXEMEM_RUNTIME_SERVICES_CODE ||
         type == DXEMEM_RUNTIME_SERVICES_DATA || type == DXEMEM_PAL_CODE;
}

/* mMemoryTypeStatistics, the default range and the reference's own initial
 * gMemoryTypeInformation (the rows are the same in both). */
void dx_statistics_init(dxemem *d) {
  for (uint32_t t = 0; t < MEMORY_TYPE_SLOTS; t++) {
    type_statistics *s = &d->stats[t];
    s->base_address = 0;
    s->maximum_address = MAX_ALLOC_ADDRESS;
    s->current_number_of_pages = 0;
    s->number_of_pages = 0;
    s->information_index = DXEMEM_MAX_MEMORY_TYPE;
    s->special = t < DXEMEM_MAX_MEMORY_TYPE && type_is_special(t);
    s->runtime = t < DXEMEM_MAX_MEMORY_TYPE && type_is_runtime(t);
  }
  d->reference->init_information(d);
  d->default_base = MAX_ALLOC_ADDRESS;
  d->default_max = MAX_ALLOC_ADDRESS;
  d->bins_initialized = false;
}

/* The HOB copy (CopyMem of its data into gMemoryTypeInformation): slots
 * 0..n-1 from the HOB, slot n the terminator, later slots keep the
 * reference's initial values; then whatever the reference does to it.
 * Run again when the granularity changes before the first add, since
 * RUNTIME_PAGE_ALLOCATION_GRANULARITY is a build constant in edk2. */
void dx_populate_memory_type_information(dxemem *d) {
  d->reference->init_information(d);
  for (size_t i = 0; i < d->hob_count; i++) {
    d->info[i] = d->hob[i];
  }
  d->info[d->hob_count].type = DXEMEM_MAX_MEMORY_TYPE;
  d->info[d->hob_count].number_of_pages = 0;
  d->reference->populate_information(d);
}

bool dx_memory_type_valid_for_add(uint32_t type) {
  return !(type >= DXEMEM_MAX_MEMORY_TYPE && type < DXEMEM_OEM_RESERVED_MIN);
}

/* The slot walk shared by every bin loop: up to the terminator, bounded by
 * the table size in case a caller left no terminator. */
bool dx_slot_in_table(const dxemem *d, size_t index) {
  return index < MEMORY_TYPE_SLOTS &&
         d->info[index].type != DXEMEM_MAX_MEMORY_TYPE;
}

/* A slot that gets a bin: a valid type (edk2 tests "> EfiMaxMemoryType",
 * so only the terminator value itself passes above 15, and it ends the
 * walk) with pages. */
bool dx_slot_names_bin(const dxemem *d, size_t index) {
  return d->info[index].type <= DXEMEM_MAX_MEMORY_TYPE &&
         d->info[index].number_of_pages != 0;
}

/* A bin's page count rounded up to its type's granularity, cut to the
 * 32 bits of EFI_MEMORY_TYPE_INFORMATION.NumberOfPages like edk2 does. */
uint32_t dx_bin_pages_rounded(const dxemem *d, uint32_t type, uint32_t pages) {
  uint64_t granularity = dx_granularity_for_type(d, type);
  uint64_t bytes = (uint64_t)pages << DXEMEM_PAGE_SHIFT;
  bytes = (bytes + granularity - 1) & ~(granularity - 1);
  return (uint32_t)(bytes >> DXEMEM_PAGE_SHIFT);
}

/* The tail of both ways to place bins: record which slot tracks each type
 * (the last one naming it), restart the counters, and send types without
 * a bin to the default range. */
void dx_initialize_bin_statistics_from_range(dxemem *d) {
  for (uint32_t t = 0; t < DXEMEM_MAX_MEMORY_TYPE; t++) {
    type_statistics *s = &d->stats[t];
    for (size_t i = 0; dx_slot_in_table(d, i); i++) {
      if (d->info[i].type == t) {
        s->information_index = i;
      }
    }
    s->current_number_of_pages = 0;
    if (s->maximum_address == MAX_ALLOC_ADDRESS) {
      s->maximum_address = d->default_max;
    }
  }
}

/* The statistics count both references keep the same way (inline in
 * CoreConvertPagesEx of stable202605, UpdateMemoryStatistics of master):
 * a piece that starts inside a type's bin or in the default range takes
 * the whole request's pages off the old type and adds them to the new
 * one, whose gMemoryTypeInformation slot keeps the high-water mark. Types
 * the table does not list (InformationIndex 16) record theirs in the
 * terminator slot only where the reference does. When counting starts is
 * the reference's (its update_statistics). */
void dx_count_converted_pages(dxemem *d, uint32_t old_type,
                              uint32_t new_type, uint64_t start,
                              uint64_t pages) {
  bool in_default = start >= d->default_base && start <= d->default_max;
  if (old_type < DXEMEM_MAX_MEMORY_TYPE) {
    type_statistics *s = &d->stats[old_type];
    if ((start >= s->base_address && start <= s->maximum_address) ||
        in_default) {
      dx_journal_keep_count(d, old_type);
      s->current_number_of_pages = pages > s->current_number_of_pages
                                       ? 0
                                       : s->current_number_of_pages - pages;
    }
  }
  if (new_type < DXEMEM_MAX_MEMORY_TYPE) {
    type_statistics *s = &d->stats[new_type];
    if ((start >= s->base_address && start <= s->maximum_address) ||
        in_default) {
      dx_journal_keep_count(d, new_type);
      s->current_number_of_pages += pages;
      bool records = s->information_index < DXEMEM_MAX_MEMORY_TYPE ||
                     d->reference->terminator_records_high_water;
      dxemem_memory_type_information *slot = &d->info[s->information_index];
      if (records && s->current_number_of_pages > slot->number_of_pages) {
        dx_journal_keep_information(d, (uint32_t)s->information_index);
        slot->number_of_pages = (uint32_t)s->current_number_of_pages;
        if (s->current_number_of_pages > UINT32_MAX) {
          d->counter_truncated = true;
        }
      }
    }
  }
}

/* Models CoreSetMemoryTypeInformationRange; the placement is the
 * reference's. */
dxemem_status dxemem_set_memory_type_information_range(dxemem *d,
                                                       uint64_t start,
                                                       uint64_t length) {
  dxemem_status status = dx_api_enter(d);
  if (status != DXEMEM_SUCCESS) {
    return status;
  }
  if (d->bins_initialized) {
    return dx_api_leave(d, DXEMEM_ALREADY_STARTED);
  }
  return dx_api_leave(d, d->reference->set_range(d, start, length));
}
