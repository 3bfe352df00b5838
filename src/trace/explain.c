/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * Why a call failed, in words, for the human view and the step-through
 * page. The reasons follow the order of edk2's own checks
 * (CoreInternalAllocatePages, CoreInternalFreePages, CoreConvertPagesEx,
 * CoreTerminateMemoryMap); the map is read, never changed.
 */
#include <inttypes.h>
#include <string.h>

#include "trace.h"

/* Reserved, runtime code/data and ACPI NVS go by the runtime granularity. */
static bool uses_runtime_granularity(uint32_t type) {
  return type == DXEMEM_RESERVED_MEMORY_TYPE ||
         type == DXEMEM_RUNTIME_SERVICES_CODE ||
         type == DXEMEM_RUNTIME_SERVICES_DATA ||
         type == DXEMEM_ACPI_MEMORY_NVS;
}

typedef struct find_entry {
  uint64_t address;
  bool found;
  dxemem_entry_info entry;
} find_entry;

static bool find_visit(void *context, const dxemem_entry_info *e) {
  find_entry *f = context;
  if (e->start <= f->address && f->address <= e->end) {
    f->found = true;
    f->entry = *e;
    return false;
  }
  return true;
}

static bool entry_at(dxemem *d, uint64_t address, dxemem_entry_info *out) {
  find_entry f = {.address = address};
  if (dxemem_for_each_entry(d, find_visit, &f) != DXEMEM_SUCCESS || !f.found) {
    return false;
  }
  *out = f.entry;
  return true;
}

/* The special type whose non-empty bin [start, end] touches, if any. */
static bool other_bin(dxemem *d, uint32_t type, uint64_t start, uint64_t end,
                      uint32_t *bin_type, dxemem_type_statistics *bin) {
  for (uint32_t t = 0; t < DXEMEM_MAX_MEMORY_TYPE; t++) {
    dxemem_type_statistics s;
    if (t == type || dxemem_get_type_statistics(d, t, &s) != DXEMEM_SUCCESS ||
        !s.special || s.number_of_pages == 0) {
      continue;
    }
    if (start <= s.maximum_address && end >= s.base_address) {
      *bin_type = t;
      *bin = s;
      return true;
    }
  }
  return false;
}

static bool explain_alloc(const trace_command *c, const trace_outcome *o,
                          dxemem *d, char *buffer, size_t size) {
  char type[11], other[11];
  uint32_t t = c->alloc.type;
  uint64_t granularity = dxemem_get_runtime_granularity(d);
  if (o->status == DXEMEM_INVALID_PARAMETER) {
    snprintf(buffer, size,
             "%s cannot be allocated: free, persistent and unaccepted memory"
             "\nand the values 0x10-0x6fffffff are refused",
             trace_type_text(t, type));
    return true;
  }
  if (o->status == DXEMEM_OUT_OF_RESOURCES) {
    snprintf(buffer, size,
             "no free range of 0x%" PRIx64 " pages%s (bin, default range "
             "and anywhere below were searched)",
             c->alloc.pages,
             c->alloc.allocate_type == DXEMEM_ALLOCATE_MAX_ADDRESS
                 ? " below the maximum address"
                 : "");
    return true;
  }
  if (o->status != DXEMEM_NOT_FOUND ||
      c->alloc.allocate_type != DXEMEM_ALLOCATE_ADDRESS) {
    return false;
  }
  uint64_t start = c->alloc.address;
  uint64_t unit = uses_runtime_granularity(t) ? granularity : DXEMEM_PAGE_SIZE;
  if ((start & (unit - 1)) != 0) {
    snprintf(buffer, size,
             "%s goes by the %" PRIu64 " KiB runtime granularity: 0x%" PRIx64
             "\nis not aligned to it",
             trace_type_text(t, type), unit / 1024, start);
    return true;
  }
  if (start == 0) {
    snprintf(buffer, size,
             "page 0 is never allocated by address (it stays free so NULL "
             "pointers fault)");
    return true;
  }
  uint64_t units = unit / DXEMEM_PAGE_SIZE;
  uint64_t pages = (c->alloc.pages + units - 1) / units * units;
  if (pages == 0 || pages > (UINT64_MAX - start) / DXEMEM_PAGE_SIZE) {
    snprintf(buffer, size, "0x%" PRIx64 " pages at 0x%" PRIx64
                           " is empty or wraps past 2^64",
             c->alloc.pages, start);
    return true;
  }
  uint64_t end = start + pages * DXEMEM_PAGE_SIZE - 1;
  uint32_t bin_type = 0;
  dxemem_type_statistics bin;
  if (other_bin(d, t, start, end, &bin_type, &bin)) {
    snprintf(buffer, size,
             "0x%" PRIx64 "-0x%" PRIx64 " lies in the bin of %s\n(0x%" PRIx64
             "-0x%" PRIx64 "): AllocateAddress may not use another type's bin",
             start, end, trace_type_text(bin_type, other), bin.base_address,
             bin.maximum_address);
    return true;
  }
  dxemem_entry_info e;
  if (!entry_at(d, start, &e)) {
    snprintf(buffer, size, "0x%" PRIx64 " is in no map entry", start);
  } else if (e.type != DXEMEM_CONVENTIONAL_MEMORY) {
    snprintf(buffer, size, "0x%" PRIx64 " is not free: it is %s (0x%" PRIx64
                           "-0x%" PRIx64 ")",
             start, trace_type_text(e.type, other), e.start, e.end);
  } else {
    snprintf(buffer, size,
             "the free entry 0x%" PRIx64 "-0x%" PRIx64 " ends before 0x%" PRIx64
             ":\nan allocation must fit in one free entry",
             e.start, e.end, end);
  }
  return true;
}

static bool explain_free(const trace_outcome *o, dxemem *d, char *buffer,
                         size_t size) {
  char type[11];
  uint64_t address = o->address;
  dxemem_entry_info e;
  bool found = entry_at(d, address, &e);
  if (o->status == DXEMEM_ACCESS_DENIED) {
    snprintf(buffer, size,
             "the range holds a refuel page with the allocator's own map "
             "entries\n(edk2 would free it and corrupt its list later)");
    return true;
  }
  if (!found) {
    snprintf(buffer, size, "0x%" PRIx64 " is in no map entry", address);
    return true;
  }
  if (o->status == DXEMEM_INVALID_PARAMETER) {
    uint64_t granularity = dxemem_get_runtime_granularity(d);
    snprintf(buffer, size,
             "0x%" PRIx64 " is in an entry of %s, freed in %" PRIu64
             " KiB runtime\ngranularity: the address is not aligned to it",
             address, trace_type_text(e.type, type), granularity / 1024);
    return true;
  }
  if (o->status == DXEMEM_NOT_FOUND) {
    if (e.type == DXEMEM_CONVENTIONAL_MEMORY) {
      snprintf(buffer, size,
               "0x%" PRIx64 " is free memory already (0x%" PRIx64
               "-0x%" PRIx64 ")",
               address, e.start, e.end);
    } else {
      snprintf(buffer, size,
               "part of the range is not allocated (free already, or outside "
               "the map)");
    }
    return true;
  }
  return false;
}

bool trace_explain_failure(const trace_command *command,
                           const trace_outcome *outcome, dxemem *d,
                           uint64_t key_used, char *buffer, size_t size) {
  if (d == NULL || outcome->status == DXEMEM_SUCCESS || size == 0) {
    return false;
  }
  buffer[0] = '\0';
  switch (command->op) {
  case TRACE_OP_ALLOC:
    return explain_alloc(command, outcome, d, buffer, size);
  case TRACE_OP_FREE:
    return explain_free(outcome, d, buffer, size);
  case TRACE_OP_TERMINATE: {
    uint64_t key = dxemem_get_map_key(d);
    if (outcome->status == DXEMEM_INVALID_PARAMETER && key != key_used) {
      snprintf(buffer, size,
               "stale map key 0x%" PRIx64 ": the map changed since that "
               "GetMemoryMap (key now 0x%" PRIx64 ")",
               key_used, key);
      return true;
    }
    return false;
  }
  case TRACE_OP_MAP:
    if (outcome->status == DXEMEM_BUFFER_TOO_SMALL) {
      snprintf(buffer, size,
               "the buffer is too small: the map needs 0x%" PRIx64 " bytes",
               outcome->map_size);
      return true;
    }
    return false;
  case TRACE_OP_ATTR:
    if (outcome->status == DXEMEM_NOT_FOUND) {
      snprintf(buffer, size, "part of 0x%" PRIx64 "-0x%" PRIx64
                             " is in no map entry",
               command->attr.start,
               command->attr.start + command->attr.pages * DXEMEM_PAGE_SIZE -
                   1);
      return true;
    }
    return false;
  default:
    return false;
  }
}
