/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * Memory type bins: mMemoryTypeStatistics, gMemoryTypeInformation and the
 * default range. The bins keep each type's allocations together across
 * boots (for S4 resume); here they are set up at the first add that can hold
 * them all (CoreAddMemoryDescriptor's second half) or placed in a given
 * range (CoreSetMemoryTypeInformationRange).
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

/* The initial tables, as edk2 defines them. */
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
    d->info[t].type = t;
    d->info[t].number_of_pages = 0;
  }
  /* edk2's default table names EfiGcdMemoryTypeUnaccepted (value 6) in the
   * slot meant for EfiUnacceptedMemoryType. */
  d->info[DXEMEM_UNACCEPTED_MEMORY_TYPE].type = DXEMEM_RUNTIME_SERVICES_DATA;
  d->default_base = MAX_ALLOC_ADDRESS;
  d->default_max = MAX_ALLOC_ADDRESS;
  d->bins_initialized = false;
}

/* Models the statistics update inside CoreConvertPagesEx. Every piece counts
 * the whole request, as in edk2. */
void dx_update_memory_statistics(dxemem *d, uint32_t old_type,
                                 uint32_t new_type, uint64_t start,
                                 uint64_t pages) {
  bool in_default = start >= d->default_base && start <= d->default_max;
  if (old_type < DXEMEM_MAX_MEMORY_TYPE) {
    type_statistics *s = &d->stats[old_type];
    if ((start >= s->base_address && start <= s->maximum_address) ||
        in_default) {
      s->current_number_of_pages = pages > s->current_number_of_pages
                                       ? 0
                                       : s->current_number_of_pages - pages;
    }
  }
  if (new_type < DXEMEM_MAX_MEMORY_TYPE) {
    type_statistics *s = &d->stats[new_type];
    if ((start >= s->base_address && start <= s->maximum_address) ||
        in_default) {
      s->current_number_of_pages += pages;
      dxemem_memory_type_information *slot = &d->info[s->information_index];
      if (s->current_number_of_pages > slot->number_of_pages) {
        slot->number_of_pages = (uint32_t)s->current_number_of_pages;
        if (s->current_number_of_pages > UINT32_MAX) {
          d->counter_truncated = true;
        }
      }
    }
  }
}

bool dx_memory_type_valid_for_add(uint32_t type) {
  return !(type >= DXEMEM_MAX_MEMORY_TYPE && type < DXEMEM_OEM_RESERVED_MIN);
}

/* The slot walk shared by every bin loop: up to the terminator, bounded by
 * the table size in case a caller left no terminator. */
static bool slot_in_table(const dxemem *d, size_t index) {
  return index < MEMORY_TYPE_SLOTS &&
         d->info[index].type != DXEMEM_MAX_MEMORY_TYPE;
}

/* Common tail of both ways to set the bins: record which slot tracks each
 * type, restart the counters, and send types without a bin to the default
 * range. */
static void finish_bins(dxemem *d) {
  for (uint32_t t = 0; t < DXEMEM_MAX_MEMORY_TYPE; t++) {
    type_statistics *s = &d->stats[t];
    for (size_t i = 0; slot_in_table(d, i); i++) {
      if (d->info[i].type == t) {
        s->information_index = i;
      }
    }
    s->current_number_of_pages = 0;
    if (s->maximum_address == MAX_ALLOC_ADDRESS) {
      s->maximum_address = d->default_max;
    }
  }
  d->bins_initialized = true;
}

static void round_slot_pages(dxemem *d, size_t index) {
  uint32_t type = d->info[index].type;
  uint64_t granularity = dx_granularity_for_type(d, type);
  uint64_t bytes = (uint64_t)d->info[index].number_of_pages
                   << DXEMEM_PAGE_SHIFT;
  bytes = (bytes + granularity - 1) & ~(granularity - 1);
  d->info[index].number_of_pages = (uint32_t)(bytes >> DXEMEM_PAGE_SHIFT);
}

/* The second half of CoreAddMemoryDescriptor: allocate every bin top-down,
 * then free them all again and remember where they are. On the first
 * failure the bins got so far are freed and the next add tries again. */
void dx_allocate_memory_type_information_bins(dxemem *d) {
  if (d->bins_initialized) {
    return;
  }
  for (size_t i = 0; slot_in_table(d, i); i++) {
    uint32_t type = d->info[i].type;
    if (type > DXEMEM_MAX_MEMORY_TYPE || d->info[i].number_of_pages == 0) {
      continue;
    }
    round_slot_pages(d, i);
    type_statistics *s = &d->stats[type];
    dxemem_status status = dx_core_internal_allocate_pages(
        d, DXEMEM_ALLOCATE_ANY_PAGES, type, d->info[i].number_of_pages,
        &s->base_address);
    if (status != DXEMEM_SUCCESS) {
      for (size_t j = 0; j < i; j++) {
        uint32_t t = d->info[j].type;
        if (t > DXEMEM_MAX_MEMORY_TYPE || d->info[j].number_of_pages == 0) {
          continue;
        }
        (void)dx_core_internal_free_pages(d, d->stats[t].base_address,
                                          d->info[j].number_of_pages);
        d->stats[t].base_address = 0;
        d->stats[t].maximum_address = MAX_ALLOC_ADDRESS;
      }
      return;
    }
    s->maximum_address =
        s->base_address +
        ((uint64_t)d->info[i].number_of_pages << DXEMEM_PAGE_SHIFT) - 1;
    if (s->base_address < d->default_max) {
      d->default_max = s->base_address - 1;
    }
  }

  for (size_t i = 0; slot_in_table(d, i); i++) {
    uint32_t type = d->info[i].type;
    if (type > DXEMEM_MAX_MEMORY_TYPE || d->info[i].number_of_pages == 0) {
      continue;
    }
    (void)dx_core_internal_free_pages(d, d->stats[type].base_address,
                                      d->info[i].number_of_pages);
    d->stats[type].number_of_pages = d->info[i].number_of_pages;
    d->info[i].number_of_pages = 0;
  }
  finish_bins(d);
}

/* The size the bins need below top: each bin's base is aligned down to its
 * type's granularity, and the padding that leaves counts too. */
static uint64_t bins_size_needed(const dxemem *d, uint64_t top) {
  uint64_t size = 0;
  for (size_t i = 0; slot_in_table(d, i); i++) {
    uint64_t granularity = dx_granularity_for_type(d, d->info[i].type);
    uint64_t bytes = (uint64_t)d->info[i].number_of_pages << DXEMEM_PAGE_SHIFT;
    top -= bytes;
    size += bytes + (top & (granularity - 1));
    top &= ~(granularity - 1);
  }
  return size;
}

/* Models CoreSetMemoryTypeInformationRange. */
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
  uint64_t top = start + length;
  if (bins_size_needed(d, top) > length) {
    return dx_api_leave(d, DXEMEM_BAD_BUFFER_SIZE);
  }
  for (size_t i = 0; slot_in_table(d, i); i++) {
    uint32_t type = d->info[i].type;
    if (type > DXEMEM_MAX_MEMORY_TYPE || d->info[i].number_of_pages == 0) {
      continue;
    }
    type_statistics *s = &d->stats[type];
    uint64_t bytes = (uint64_t)d->info[i].number_of_pages << DXEMEM_PAGE_SHIFT;
    top = (top - bytes) & ~(dx_granularity_for_type(d, type) - 1);
    s->base_address = top;
    s->maximum_address = top + bytes - 1;
    if (s->base_address < d->default_max) {
      d->default_max = s->base_address - 1;
    }
    s->number_of_pages = d->info[i].number_of_pages;
    d->info[i].number_of_pages = 0;
  }
  finish_bins(d);
  return dx_api_leave(d, DXEMEM_SUCCESS);
}
