/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * The guard bitmap of HeapGuard.c: one bit per 4 KiB page, set for pages
 * of live guarded allocations and (BIT4) for freed pages kept out of use.
 *
 * The tables live in the region, in EfiBootServicesData pages the heap
 * guard allocates for itself, exactly where edk2 allocates them. Like a
 * page table turned upside down, they grow from the bottom up:
 *
 *   address bits  63..55  54..46  45..37  36..28  27..18   17..12   11..0
 *   level           L0      L1      L2      L3      L4      bit     page
 *   entries         512     512     512     512    1024     64
 *
 * An L4 table (2 pages, 1024 words of 64 bits) covers 256 MiB. mMapLevel
 * says how many levels exist: 1 covers 256 MiB, 2 covers 128 GiB, and so
 * on. Lookups never add levels, so an address above the covered span reads
 * the bit of that address modulo the span (edk2 masks the index of the top
 * level); setting or clearing a bit there first adds the missing levels.
 *
 * dxemem differs in one way: every table pointer is checked to lie in the
 * region before it is followed, so a caller scribbling over a table page
 * gets wrong bits, never a crash.
 */
#include "internal.h"

#define TABLE_BYTES(level) ((level_mask[level] + 1u) * sizeof(uint64_t))

/* GUARDED_HEAP_MAP_TABLE_DEPTH_SHIFTS and _MASKS. */
static const uint32_t level_shift[GUARD_TABLE_DEPTH] = {55, 46, 37, 28, 18};
static const uint64_t level_mask[GUARD_TABLE_DEPTH] = {0x1ff, 0x1ff, 0x1ff,
                                                       0x1ff, 0x3ff};

static uint64_t entry_bit_index(uint64_t address) {
  return (address >> DXEMEM_PAGE_SHIFT) & (GUARD_ENTRY_BITS - 1);
}

static uint64_t bits_to_unit_end(uint64_t address) {
  return GUARD_UNIT_BITS -
         ((address >> DXEMEM_PAGE_SHIFT) & (GUARD_UNIT_BITS - 1));
}

/* The host view of a table of `level` at phys, or NULL if it does not lie
 * in the region. */
static uint64_t *table_at(dxemem *d, uint64_t phys, uint32_t level) {
  if ((phys & (sizeof(uint64_t) - 1)) != 0) {
    return NULL;
  }
  return (uint64_t *)dx_region_host_of(d, phys, TABLE_BYTES(level));
}

/* A run of bits cut as SetBits and ClearBits cut it: the high bits of the
 * first qword from start_bit, whole qwords, then the low bits of the last. */
typedef struct bit_run {
  uint64_t start_bit;
  uint64_t msbs;
  uint64_t qwords;
  uint64_t lsbs;
} bit_run;

static bit_run split_bit_run(uint64_t address, uint64_t bit_number) {
  bit_run run = {entry_bit_index(address), bit_number, 0, 0};
  uint64_t end_bit = (run.start_bit + bit_number - 1) % GUARD_ENTRY_BITS;
  if (run.start_bit + bit_number >= GUARD_ENTRY_BITS) {
    run.msbs = (GUARD_ENTRY_BITS - run.start_bit) % GUARD_ENTRY_BITS;
    run.lsbs = (end_bit + 1) % GUARD_ENTRY_BITS;
    run.qwords = (bit_number - run.msbs) / GUARD_ENTRY_BITS;
  }
  return run;
}

/* Models SetBits (set) and ClearBits (!set): BitNumber bits from
 * Address's bit in BitMap onwards. */
static void write_bit_run(uint64_t address, uint64_t bit_number,
                          uint64_t *bitmap, bool set) {
  bit_run run = split_bit_run(address, bit_number);
  if (run.msbs > 0) {
    uint64_t mask = ((UINT64_C(1) << run.msbs) - 1) << run.start_bit;
    *bitmap = set ? *bitmap | mask : *bitmap & ~mask;
    bitmap += 1;
  }
  for (uint64_t i = 0; i < run.qwords; i++) {
    *bitmap++ = set ? UINT64_MAX : 0;
  }
  if (run.lsbs > 0) {
    uint64_t mask = (UINT64_C(1) << run.lsbs) - 1;
    *bitmap = set ? *bitmap | mask : *bitmap & ~mask;
  }
}

static void set_bits(uint64_t address, uint64_t bit_number, uint64_t *bitmap) {
  write_bit_run(address, bit_number, bitmap, true);
}

static void clear_bits(uint64_t address, uint64_t bit_number,
                       uint64_t *bitmap) {
  write_bit_run(address, bit_number, bitmap, false);
}

/* Models GetBits: at most 64 bits, bit 0 of the result is Address's page. */
static uint64_t get_bits(uint64_t address, uint64_t bit_number,
                         const uint64_t *bitmap) {
  uint64_t start_bit = entry_bit_index(address);
  uint64_t end_bit = (start_bit + bit_number - 1) % GUARD_ENTRY_BITS;
  uint64_t msbs, lsbs;
  if (start_bit + bit_number > GUARD_ENTRY_BITS) {
    msbs = GUARD_ENTRY_BITS - start_bit;
    lsbs = (end_bit + 1) % GUARD_ENTRY_BITS;
  } else {
    msbs = bit_number;
    lsbs = 0;
  }
  if (start_bit == 0 && bit_number == GUARD_ENTRY_BITS) {
    return *bitmap;
  }
  uint64_t result = (*bitmap >> start_bit) & ((UINT64_C(1) << msbs) - 1);
  if (lsbs > 0) {
    result |= (bitmap[1] & ((UINT64_C(1) << lsbs) - 1)) << msbs;
  }
  return result;
}

/* One bitmap table for FindGuardedMemoryMap: AllocateAnyPages
 * EfiBootServicesData without guard, zeroed. 0 when it cannot be had
 * (edk2 asserts and writes the table at address 0). */
static uint64_t allocate_table(dxemem *d, uint32_t level) {
  uint64_t bytes = TABLE_BYTES(level);
  uint64_t memory = 0;
  dxemem_status status = dx_core_internal_allocate_pages(
      d, DXEMEM_ALLOCATE_ANY_PAGES, DXEMEM_BOOT_SERVICES_DATA,
      bytes >> DXEMEM_PAGE_SHIFT, &memory, false);
  void *host = status == DXEMEM_SUCCESS ? dx_region_host_of(d, memory, bytes)
                                        : NULL;
  /* dxemem: after overlapping adds the pages may hold map entries that
   * zeroing would destroy (edk2 writes through them). */
  if (host != NULL &&
      dx_range_holds_map_entries(d, memory, memory + bytes - 1)) {
    host = NULL;
  }
  if (host == NULL) {
    dx_raise_hazard(d, DXEMEM_HAZARD_GUARD_TABLE_ALLOCATION, 0, bytes - 1);
    return 0;
  }
  memset(host, 0, (size_t)bytes);
  return memory;
}

/* Models FindGuardedMemoryMap: *bitmap gets the word that holds address's
 * bit (NULL when its table is missing and alloc_map_unit is false, or when
 * a table could not be allocated); returns the bits from address to the
 * end of its L4 table. */
static uint64_t find_guarded_memory_map(dxemem *d, uint64_t address,
                                        bool alloc_map_unit,
                                        uint64_t **bitmap) {
  heap_guard *g = &d->guard;
  *bitmap = NULL;
  /* Grow the tables upwards until they cover the address. */
  while (alloc_map_unit && g->map_level < GUARD_TABLE_DEPTH &&
         (address >> level_shift[GUARD_TABLE_DEPTH - g->map_level - 1]) != 0) {
    if (g->map != 0) {
      uint32_t level = GUARD_TABLE_DEPTH - g->map_level - 1;
      uint64_t table = allocate_table(d, level);
      if (table == 0) {
        return bits_to_unit_end(address);
      }
      table_at(d, table, level)[0] = g->map;
      g->map = table;
    }
    g->map_level += 1;
  }

  uint64_t *slot = &g->map;
  for (uint32_t level = GUARD_TABLE_DEPTH - g->map_level;
       level < GUARD_TABLE_DEPTH; level++) {
    if (*slot == 0) {
      if (!alloc_map_unit) {
        return bits_to_unit_end(address);
      }
      uint64_t table = allocate_table(d, level);
      if (table == 0) {
        return bits_to_unit_end(address);
      }
      *slot = table;
    }
    uint64_t *table = table_at(d, *slot, level);
    if (table == NULL) {
      return bits_to_unit_end(address); /* dxemem: a scribbled pointer */
    }
    slot = &table[(address >> level_shift[level]) & level_mask[level]];
  }
  *bitmap = slot;
  return bits_to_unit_end(address);
}

/* Set (true) or clear the bits of a range, unit by unit. False when a
 * table was missing and could not be allocated (the bits of that unit and
 * all after it stay as they were). */
static bool change_bits(dxemem *d, uint64_t address, uint64_t pages,
                        bool set) {
  while (pages > 0) {
    uint64_t *bitmap = NULL;
    uint64_t to_end = find_guarded_memory_map(d, address, true, &bitmap);
    if (bitmap == NULL) {
      return false;
    }
    uint64_t bits = pages > to_end ? to_end : pages;
    if (set) {
      set_bits(address, bits, bitmap);
    } else {
      clear_bits(address, bits, bitmap);
    }
    pages -= bits;
    address += bits << DXEMEM_PAGE_SHIFT;
  }
  return true;
}

/* Models SetGuardedMemoryBits. */
bool dx_set_guarded_memory_bits(dxemem *d, uint64_t address, uint64_t pages) {
  return change_bits(d, address, pages, true);
}

/* Models ClearGuardedMemoryBits. */
bool dx_clear_guarded_memory_bits(dxemem *d, uint64_t address,
                                  uint64_t pages) {
  return change_bits(d, address, pages, false);
}

/* Models GetGuardedMemoryBits: up to 64 pages' bits, never allocating. */
uint64_t dx_get_guarded_memory_bits(dxemem *d, uint64_t address,
                                    uint64_t pages) {
  uint64_t result = 0;
  uint64_t shift = 0;
  while (pages > 0) {
    uint64_t *bitmap = NULL;
    uint64_t to_end = find_guarded_memory_map(d, address, false, &bitmap);
    uint64_t bits = pages > to_end ? to_end : pages;
    if (bitmap != NULL) {
      result |= get_bits(address, bits, bitmap) << shift;
    }
    shift += bits;
    pages -= bits;
    address += bits << DXEMEM_PAGE_SHIFT;
  }
  return result;
}

/* Models IsGuardPage: the page is a guard when a guarded page lies on
 * either side of it but it is not guarded itself (001, 100 or 101). */
bool dx_is_guard_page(dxemem *d, uint64_t address) {
  uint64_t bits = dx_get_guarded_memory_bits(d, address - DXEMEM_PAGE_SIZE, 3);
  return bits == 1 || bits == 4 || bits == 5;
}

/* Models IsMemoryGuarded (GetGuardMapBit). */
bool dx_is_memory_guarded(dxemem *d, uint64_t address) {
  uint64_t *bitmap = NULL;
  (void)find_guarded_memory_map(d, address, false, &bitmap);
  return bitmap != NULL && ((*bitmap >> entry_bit_index(address)) & 1) != 0;
}

/* Where a read-only lookup of address stops at a missing table (or at a
 * table pointer outside the region), every address the missing table would
 * cover reads as zero: true, with *base the lowest of them and *last the
 * highest. False when the lookup reaches a leaf word. */
bool dx_guard_zero_block(dxemem *d, uint64_t address, uint64_t *base,
                         uint64_t *last) {
  const heap_guard *g = &d->guard;
  uint64_t slot = g->map;
  for (uint32_t level = GUARD_TABLE_DEPTH - g->map_level;
       level < GUARD_TABLE_DEPTH; level++) {
    const uint64_t *table = slot != 0 ? table_at(d, slot, level) : NULL;
    if (table == NULL) {
      uint32_t shift = level_shift[level] + (level_mask[level] == 0x3ff ? 10u : 9u);
      *base = shift < 64 ? address & ~((UINT64_C(1) << shift) - 1) : 0;
      *last = shift < 64 ? *base + ((UINT64_C(1) << shift) - 1) : UINT64_MAX;
      return true;
    }
    slot = table[(address >> level_shift[level]) & level_mask[level]];
  }
  return false;
}

/* Models GetLastGuardedFreePageAddress: descends along the highest non-zero
 * entry of each level and returns the address just above the top bit of
 * the word it ends at. Like edk2, a leaf table with no bit set leaves the
 * table's own address as that "word". 0 when there are no tables (edk2
 * reads through NULL then). */
uint64_t dx_get_last_guarded_free_page_address(dxemem *d) {
  const heap_guard *g = &d->guard;
  if (g->map == 0) {
    return 0;
  }
  uint64_t base = 0;
  uint64_t map = g->map;
  for (uint32_t level = GUARD_TABLE_DEPTH - g->map_level;
       level < GUARD_TABLE_DEPTH; level++) {
    const uint64_t *table = table_at(d, map, level);
    if (table == NULL) {
      break;
    }
    for (uint64_t index = level_mask[level] + 1; index-- > 0;) {
      if (table[index] != 0) {
        base += (UINT64_C(1) << level_shift[level]) * (uint32_t)index;
        map = table[index];
        break;
      }
    }
  }
  while (map != 0) {
    map >>= 1;
    base += DXEMEM_PAGE_SIZE;
  }
  return base;
}

/* The address bits that lookups see: 28 with one level, 37 with two ... */
uint64_t dx_guard_span_shift(const dxemem *d) {
  uint32_t top = GUARD_TABLE_DEPTH - d->guard.map_level;
  uint32_t width = top == GUARD_TABLE_DEPTH - 1 ? 10u : 9u;
  return level_shift[top] + width;
}
