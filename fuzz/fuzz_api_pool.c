/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * fuzz_api's pool section: AllocatePool and FreePool records.
 *
 * Record fields: a picks the type, b the size (or, for a free, which
 * pointer), c the rest; x1, x2 and y feed the picks.
 *
 * What is checked (while no scribble or overlapping add voids it):
 *  - each status is one the call may return, and argument errors are
 *    reported as such;
 *  - a buffer lies in the region on a block boundary (head at a multiple
 *    of 128, or of the pool page size on the page path), its block
 *    overlaps no other live buffer, no page allocation of ours and no map
 *    entry, and its pages are of its type in the map;
 *  - the allocator never writes into a live buffer (both ends stamped);
 *  - FreePool of our buffer succeeds and names its type; of anything else
 *    (an interior pointer, a pointer freed just before, an address that is
 *    no block's, one outside the region) it is EFI_INVALID_PARAMETER;
 *  - Used of every pool equals the blocks we own of that type (plus 0x110
 *    per OEM/OS POOL header for EfiBootServicesData), and every OEM/OS
 *    type we own buffers of has its pool on the list.
 * Pointers picked at random are never 0x18 past a multiple of 128, where
 * a stale head from an earlier pool page might still lie: freeing such a
 * head is the caller's bug in edk2 as in dxemem.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "fuzz_api.h"

#define HEAD_BYTES UINT64_C(24)
#define OVERHEAD UINT64_C(40)
#define STAMP_BYTES UINT64_C(64)
#define OEM_POOL_HEADER UINT64_C(0x110)

static const uint64_t bucket_sizes[] = {128,  256,  384,   640,   1024,  1664,
                                        2688, 4352, 7040, 11392, 18432, 29824};

static uint32_t pick_pool_type(uint8_t selector, uint32_t x) {
  switch (selector % 8) {
  case 0:
  case 1:
  case 2:
    return DXEMEM_BOOT_SERVICES_DATA;
  case 3:
    return x % DXEMEM_MAX_MEMORY_TYPE; /* 7, 14, 15 are refused */
  case 4: /* the runtime-granularity types */
    return (const uint32_t[]){0, 5, 6, 10}[x % 4];
  case 5:
    return DXEMEM_OEM_RESERVED_MIN + x % 3;
  case 6:
    return DXEMEM_OS_RESERVED_MIN + x % 3;
  default: /* anything, mostly invalid */
    return x * 0x9e3779b9u;
  }
}

static uint64_t pick_pool_size(uint8_t selector, uint32_t x, uint64_t y) {
  const size_t buckets = sizeof(bucket_sizes) / sizeof(bucket_sizes[0]);
  switch (selector % 8) {
  case 0:
  case 1:
    return x % 200;
  case 2: /* a bucket edge, exactly or a little off */
    return bucket_sizes[x % buckets] - OVERHEAD + (int64_t)(x >> 4) % 9 - 4;
  case 3:
    return x % 3000;
  case 4: /* the page path */
    return 2649 + (uint64_t)x * 3;
  case 5:
    return y % (UINT64_C(1) << 20);
  case 6: { /* the size arithmetic's edges */
    static const uint64_t edges[] = {UINT64_MAX - 40,   UINT64_MAX - 39,
                                     UINT64_MAX - 4135, UINT64_MAX - 4136,
                                     UINT64_MAX - 65575, UINT64_MAX - 65576,
                                     UINT64_MAX,        UINT64_MAX - 47};
    return edges[x % (sizeof(edges) / sizeof(edges[0]))];
  }
  default:
    return y;
  }
}

static bool pool_type_valid(uint32_t type) {
  return type_valid_for_allocate(type);
}

/* The block's pool page size: the runtime granularity for 0, 5, 6, 10. */
static uint64_t pool_granularity(const harness *h, uint32_t type) {
  return granularity_of(h, type);
}

static uint8_t stamp_byte(uint64_t buffer, uint64_t i) {
  /* 0xa0..0xaf: never the first byte of any pool signature ('p'). */
  return (uint8_t)(0xa0u | ((mix(buffer) + i) & 0x0fu));
}

static void stamp(harness *h, const pool_buffer *b) {
  uint8_t *p = dxemem_phys_to_host(h->d, b->buffer, b->bytes);
  uint64_t n = b->bytes < STAMP_BYTES ? b->bytes : STAMP_BYTES;
  for (uint64_t i = 0; i < n; i++) {
    p[i] = stamp_byte(b->buffer, i);
    p[b->bytes - 1 - i] = stamp_byte(b->buffer, b->bytes - 1 - i);
  }
}

static void verify(const harness *h, const pool_buffer *b) {
  if (!b->stamped || !checks_on(h)) {
    return;
  }
  const uint8_t *p = dxemem_phys_to_host(h->d, b->buffer, b->bytes);
  uint64_t n = b->bytes < STAMP_BYTES ? b->bytes : STAMP_BYTES;
  for (uint64_t i = 0; i < n; i++) {
    uint64_t j = b->bytes - 1 - i;
    if (p[i] != stamp_byte(b->buffer, i) || p[j] != stamp_byte(b->buffer, j)) {
      fail(h,
           "pool buffer 0x%" PRIx64 " (0x%" PRIx64 " bytes) was overwritten "
           "(the allocator wrote into memory it handed out)",
           b->buffer, b->bytes);
    }
  }
}

/* A new buffer: where it may be, before the shadow learns the new map. */
static void check_new_buffer(harness *h, uint32_t type, uint64_t bytes,
                             uint64_t buffer) {
  uint64_t head = buffer - HEAD_BYTES;
  uint64_t block = ((bytes + 7) & ~UINT64_C(7)) + OVERHEAD;
  if (buffer < HEAD_BYTES || !inside_region(h, head, block)) {
    fail(h, "pool buffer 0x%" PRIx64 " (0x%" PRIx64 " bytes) not in the region",
         buffer, bytes);
  }
  if (!checks_on(h)) {
    return;
  }
  uint64_t page_size = pool_granularity(h, type);
  bool bucket = block <= bucket_sizes[page_size == PAGE ? 6 : 11];
  if ((head & (bucket ? 127 : page_size - 1)) != 0) {
    fail(h, "pool block 0x%" PRIx64 " of 0x%" PRIx64 " bytes misaligned", head,
         block);
  }
  for (size_t i = 0; i < h->pool.count; i++) {
    const pool_buffer *o = &h->pool.live[i];
    uint64_t o_head = o->buffer - HEAD_BYTES;
    if (head < o_head + o->block && o_head < head + block) {
      fail(h, "pool block 0x%" PRIx64 " overlaps live block 0x%" PRIx64, head,
           o_head);
    }
  }
  uint64_t first = (head - h->base) / PAGE;
  uint64_t last = (head + block - 1 - h->base) / PAGE;
  for (uint64_t i = first; i <= last; i++) {
    if (h->shadow[i].owner != 0 || h->shadow[i].holds_entries) {
      fail(h, "pool block 0x%" PRIx64 " lies in page 0x%" PRIx64
              " of a page allocation or of map entries",
           head, h->base + i * PAGE);
    }
  }
}

void do_pool(harness *h, const record *r) {
  uint32_t type = pick_pool_type(r->a, r->x2);
  uint64_t bytes = pick_pool_size(r->b, r->x1, r->y);
  bool null_pointer = (r->c & 0x1f) == 0x1f;
  uint64_t buffer = 0;
  /* From now on the pool may hold data (an OEM/OS POOL is made before the
   * request can fail). */
  h->pool.any = true;
  dxemem_status status = dxemem_allocate_pool(h->d, type, bytes,
                                              null_pointer ? NULL : &buffer);
  bool valid = pool_type_valid(type) && !null_pointer;
  /* An OEM/OS request makes its POOL header before it looks for pages, so
   * even a failed one leaves pool blocks in the map. */
  if (valid && type >= 0x70000000u) {
    h->pool.any = true;
  }
  /* After an overlapping add a page may be handed out twice, and a map
   * entry page may land on the pool's blocks. */
  uint64_t unsure = h->overlapped ? ST_CORRUPTED : 0;
  expect_status(h, status,
                (valid ? ST_SUCCESS | ST_OUT_OF_RESOURCES : ST_INVALID) |
                    unsure,
                "allocate pool type 0x%x, 0x%" PRIx64 " bytes%s: 0x%" PRIx64,
                type, bytes, null_pointer ? " (NULL)" : "", buffer);
  if (status != DXEMEM_SUCCESS) {
    if (!null_pointer && buffer != 0 && pool_type_valid(type)) {
      fail(h, "a failed AllocatePool left 0x%" PRIx64 " in *Buffer", buffer);
    }
    after_call(h);
    check_ownership(h);
    return;
  }
  if (bytes > UINT64_MAX - 4136) {
    fail(h, "AllocatePool of 0x%" PRIx64 " bytes succeeded", bytes);
  }
  check_new_buffer(h, type, bytes, buffer);
  pool_buffer b = {buffer, bytes, ((bytes + 7) & ~UINT64_C(7)) + OVERHEAD,
                   type, checks_on(h)};
  if (b.stamped) {
    stamp(h, &b);
  }
  if (h->pool.count < POOL_LIVE_MAX) {
    h->pool.live[h->pool.count++] = b;
    after_call(h);
  } else {
    /* No room to own it: give it back at once. */
    status = dxemem_free_pool(h->d, buffer, NULL);
    expect_status(h, status, ST_SUCCESS, "free pool 0x%" PRIx64, buffer);
    after_call(h);
  }
  if (checks_on(h)) {
    for (uint64_t i = (buffer - HEAD_BYTES - h->base) / PAGE;
         i <= (buffer - HEAD_BYTES + b.block - 1 - h->base) / PAGE; i++) {
      if (!h->shadow[i].mapped || h->shadow[i].map_type != type) {
        fail(h, "page 0x%" PRIx64 " of pool buffer 0x%" PRIx64
                " is not of type 0x%x in the map",
             h->base + i * PAGE, buffer, type);
      }
    }
  }
  check_ownership(h);
}

/* Not a buffer address (see the header): never 0x18 past 128 n. */
static uint64_t off_block(uint64_t address) {
  return (address & 127) == 0x18 ? address + 8 : address;
}

void do_freepool(harness *h, const record *r) {
  uint64_t address;
  size_t live_index = SIZE_MAX;
  switch (r->b % 8) {
  case 0:
  case 1:
  case 2:
  case 3:
    if (h->pool.count != 0) {
      live_index = r->x1 % h->pool.count;
      address = h->pool.live[live_index].buffer;
      break;
    }
    /* fall through - nothing live */
  case 4: /* the pointer freed just before: a double free */
    if (h->pool.last_freed != 0) {
      address = h->pool.last_freed;
      break;
    }
    /* fall through */
  case 5: /* inside a live buffer */
    if (h->pool.count != 0) {
      const pool_buffer *b = &h->pool.live[r->x1 % h->pool.count];
      address = off_block(b->buffer + 1 + r->y % (b->bytes + 8));
      break;
    }
    /* fall through */
  case 6: /* anywhere in the region */
    address = off_block(h->base + r->y % h->size);
    break;
  default: /* 0, a tiny value, or outside the region */
    address = (const uint64_t[]){0, 8, h->base - 0x1000 + 0x18,
                                 h->base + h->size + 0x18,
                                 r->y}[r->x2 % 5];
    if (address == r->y) {
      address = off_block(address);
    }
    break;
  }
  for (size_t i = 0; i < h->pool.count && live_index == SIZE_MAX; i++) {
    if (h->pool.live[i].buffer == address) {
      live_index = i;
    }
  }
  if (live_index != SIZE_MAX) {
    verify(h, &h->pool.live[live_index]);
  }
  uint32_t type = UINT32_MAX;
  bool want_type = (r->c & 1) != 0;
  dxemem_status status =
      dxemem_free_pool(h->d, address, want_type ? &type : NULL);
  uint64_t unsure =
      checks_on(h) ? 0 : ST_SUCCESS | ST_INVALID | ST_CORRUPTED;
  expect_status(h, status,
                (live_index != SIZE_MAX ? ST_SUCCESS : ST_INVALID) | unsure,
                "free pool 0x%" PRIx64, address);
  if (status == DXEMEM_SUCCESS && live_index != SIZE_MAX) {
    if (checks_on(h) && want_type && type != h->pool.live[live_index].type) {
      fail(h, "FreePool of 0x%" PRIx64 " named type 0x%x, not 0x%x", address,
           type, h->pool.live[live_index].type);
    }
    h->pool.live[live_index] = h->pool.live[--h->pool.count];
    h->pool.last_freed = address;
  }
  after_call(h);
  check_ownership(h);
}

/* Used of type: what we own of it. */
static uint64_t owned_bytes(const harness *h, uint32_t type) {
  uint64_t sum = 0;
  for (size_t i = 0; i < h->pool.count; i++) {
    if (h->pool.live[i].type == type) {
      sum += h->pool.live[i].block;
    }
  }
  return sum;
}

void pool_check(harness *h) {
  if (!checks_on(h)) {
    return;
  }
  for (size_t i = 0; i < h->pool.count; i++) {
    verify(h, &h->pool.live[i]);
  }
  uint64_t oem_pools = 0;
  for (size_t i = 0;; i++) {
    uint32_t type = 0;
    uint64_t used = 0;
    dxemem_status status = dxemem_get_oem_pool(h->d, i, &type, &used);
    if (status == DXEMEM_NOT_FOUND) {
      break;
    }
    if (status != DXEMEM_SUCCESS || type < DXEMEM_OEM_RESERVED_MIN) {
      fail(h, "dxemem_get_oem_pool(%zu) returned %s, type 0x%x", i,
           dxemem_status_name(status), type);
    }
    if (used != owned_bytes(h, type)) {
      fail(h, "pool 0x%x: Used 0x%" PRIx64 ", we own 0x%" PRIx64, type, used,
           owned_bytes(h, type));
    }
    oem_pools++;
  }
  for (size_t i = 0; i < h->pool.count; i++) {
    uint32_t type = h->pool.live[i].type;
    uint64_t used = 0;
    if (type >= DXEMEM_OEM_RESERVED_MIN &&
        dxemem_get_pool_used(h->d, type, &used) != DXEMEM_SUCCESS) {
      fail(h, "pool 0x%x of a live buffer is not on the list", type);
    }
  }
  for (uint32_t type = 0; type < DXEMEM_MAX_MEMORY_TYPE; type++) {
    uint64_t used = 0;
    uint64_t want = owned_bytes(h, type);
    if (type == DXEMEM_BOOT_SERVICES_DATA) {
      want += oem_pools * OEM_POOL_HEADER;
    }
    if (dxemem_get_pool_used(h->d, type, &used) != DXEMEM_SUCCESS ||
        used != want) {
      fail(h, "pool %u: Used 0x%" PRIx64 ", we own 0x%" PRIx64, type, used,
           want);
    }
  }
}

bool pool_may_own(const harness *h, uint64_t first, uint64_t count) {
  if (!h->pool.any) {
    return false;
  }
  for (uint64_t i = first; i < first + count; i++) {
    const page_shadow *p = &h->shadow[i];
    if (p->mapped && p->map_type != DXEMEM_CONVENTIONAL_MEMORY &&
        p->owner == 0 && !p->holds_entries) {
      return true;
    }
  }
  return false;
}

bool pool_event_ok(const harness *h, const dxemem_event *event) {
  if (event->end < event->start) {
    return false;
  }
  if (!inside_region(h, event->start, event->end - event->start + 1)) {
    return h->wrapped;
  }
  if (event->kind == DXEMEM_EVENT_POOL_CARVE ||
      event->kind == DXEMEM_EVENT_POOL_REUSE) {
    return (event->start & 127) == 0;
  }
  return (event->start & DXEMEM_PAGE_MASK) == 0 &&
         ((event->end + 1) & DXEMEM_PAGE_MASK) == 0;
}
