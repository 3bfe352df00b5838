/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * fuzz_api's shared parts: the input record, the harness state and the
 * helpers its sections use (fuzz_api.c: pages, map and the other calls;
 * fuzz_api_pool.c: AllocatePool and FreePool; fuzz_api_hazard.c: hazards).
 */
#ifndef DXEMEM_FUZZ_API_H
#define DXEMEM_FUZZ_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dxemem/dxemem.h"
#include "fuzz.h"
#include "fuzz_api_hazard.h"

#define PAGE DXEMEM_PAGE_SIZE

enum {
  HEADER_BYTES = 4,
  RECORD_BYTES = 16,
  REGION_PAGES_MAX = 4096, /* 16 MiB: small, but room for bins and 64 KiB */
  STAMP_END_PAGES = 4,     /* pages stamped at each end of an allocation */
  ENTRY_SAMPLES_MAX = 64,  /* live entry addresses kept for scribbles */
  MAP_SLACK_BYTES = 256,   /* canary bytes after a generous map buffer */
  MAX_MAP_DEPTH_DOC = 6    /* edk2's MAX_MAP_DEPTH */
};

/* Header flags. */
enum {
  FLAG_GRANULARITY_64K = 1u << 0,
  FLAG_GRANULARITY_EXPLICIT = 1u << 1, /* 4096 written out instead of 0 */
  FLAG_CHECK_EVERY_CALL = 1u << 2,
  FLAG_LOCK = 1u << 3,
  FLAG_EVENTS = 1u << 4,
  FLAG_CREATE_ERRORS = 1u << 5,    /* try bad dxemem_create arguments first */
  FLAG_REFERENCE_MASTER = 1u << 6, /* edk2-master-2026-08 instead of stable */
  FLAG_HEAP_GUARD = 1u << 7        /* a heap guard on every type (see setup) */
};

typedef enum op {
  OP_ADD,
  OP_ALLOC,
  OP_FREE,
  OP_ATTR,
  OP_MAP,
  OP_TERMINATE,
  OP_POOL_ALLOC,
  OP_POOL_FREE,
  OP_SET_INFO,
  OP_BINRANGE,
  OP_GRANULARITY,
  OP_SCRIBBLE,
  OP_READ,
  OP_POOL,
  OP_FREEPOOL,
  OP_COUNT
} op;

typedef enum scribble_kind {
  SCRIBBLE_FREE_PAGE,  /* conventional memory: must be harmless */
  SCRIBBLE_ENTRY,      /* a live map entry */
  SCRIBBLE_ENTRY_PAGE, /* anywhere in a page that holds entries */
  SCRIBBLE_ANYWHERE,   /* any byte of the region */
  SCRIBBLE_KINDS
} scribble_kind;

typedef struct record {
  uint8_t op, a, b, c;
  uint32_t x1, x2; /* the two 16-bit halves of x */
  uint64_t y;
} record;

/* What the harness knows about one page of the region. */
typedef struct page_shadow {
  /* Ours: the allocation that owns the page (0: none) and its type. */
  uint32_t owner;
  uint32_t owner_type;
  bool stamped;
  /* The map as dxemem_for_each_entry showed it after the last call. */
  bool mapped;
  bool holds_entries;
  uint32_t map_type;
  uint64_t map_attribute;
} page_shadow;

/* One AllocatePool buffer the harness owns. */
typedef struct pool_buffer {
  uint64_t buffer; /* what AllocatePool returned */
  uint64_t bytes;  /* what it asked for */
  uint64_t block;  /* ALIGN8(bytes) + 40: its share of Used */
  uint32_t type;
  bool stamped; /* its ends carry our pattern (only while checks are on) */
} pool_buffer;

enum { POOL_LIVE_MAX = 256 };

typedef struct pool_shadow {
  pool_buffer live[POOL_LIVE_MAX];
  size_t count;
  bool any;            /* some AllocatePool ran */
  uint64_t last_freed; /* for a double free; 0 once anything else ran */
} pool_shadow;

typedef struct harness {
  dxemem *d;
  void *storage;
  void *index;            /* index storage, NULL on the list path */
  unsigned char *mapping; /* guard, region, guard */
  size_t mapping_size;
  unsigned char *host; /* the region */
  uint64_t base, size, pages;
  page_shadow *shadow;

  uint32_t next_owner;
  bool corrupted;   /* a scribble may have hit the allocator's data */
  bool overlapped;  /* an add overlapped the map */
  bool freed_guard; /* BIT4: a promotion may leave ranges on the map stack */
  bool heap_guard;  /* any guard: CoreConvertPagesWithGuard may free nothing */
  bool wrapped;     /* an empty add at 0: its end wraps to 2^64 - 1 */
  bool any_add;     /* setup is closed */
  uint64_t last_key;
  int lock_depth;

  /* From the last look at the map. */
  bool map_seen;
  uint64_t pool_entries; /* entries with from_pages */
  uint64_t entry_pages;  /* pages of all non-empty entries */
  uint64_t entry_samples[ENTRY_SAMPLES_MAX];
  size_t entry_sample_count;

  pool_shadow pool; /* AllocatePool buffers we own (fuzz_api_pool.c) */

  hazard_log hazards;  /* of the running call (fuzz_api_hazard.c) */
  bool events_checked; /* FLAG_EVENTS: check every event */

  /* For messages. */
  size_t op_index;
  const char *op_name;
  bool verbose; /* DXEMEM_FUZZ_VERBOSE: print every call */
} harness;

/* Status sets: bit n for error code n, bit 0 for success. */
#define ST(code) (UINT64_C(1) << (code))
#define ST_SUCCESS ST(0)
#define ST_INVALID ST(2)
#define ST_BAD_BUFFER_SIZE ST(4)
#define ST_TOO_SMALL ST(5)
#define ST_OUT_OF_RESOURCES ST(9)
#define ST_CORRUPTED ST(10)
#define ST_NOT_FOUND ST(14)
#define ST_ACCESS_DENIED ST(15)
#define ST_ALREADY_STARTED ST(20)

/* fuzz_api.c: helpers, picks and stamps the other sections use. */
FUZZ_NORETURN FUZZ_PRINTF_LIKE(2, 3) void fail(const harness *h,
                                               const char *format, ...);
FUZZ_PRINTF_LIKE(4, 5)
void expect_status(const harness *h, dxemem_status status, uint64_t allowed,
                   const char *format, ...);
const char *status_text(dxemem_status status);
bool checks_on(const harness *h);
bool page_of(const harness *h, uint64_t phys, uint64_t *index);
bool inside_region(const harness *h, uint64_t start, uint64_t bytes);
/* The region pages [*first, *first + *count) of pages at start. */
void region_pages_of(const harness *h, uint64_t start, uint64_t pages,
                     uint64_t *first, uint64_t *count);
uint64_t granularity_of(const harness *h, uint32_t type);
bool round_pages(uint64_t pages, uint64_t granularity, uint64_t *out);
/* The page count CoreConvertPages really works on. */
uint64_t converted_pages(uint64_t pages);
bool type_valid_for_allocate(uint32_t type);
uint64_t mix(uint64_t v);
bool pick_allocation(const harness *h, uint32_t hint, uint64_t *start,
                     uint64_t *pages);
uint64_t pick_address(const harness *h, uint8_t selector, uint32_t x,
                      uint64_t y);
uint64_t pick_pages(const harness *h, uint8_t selector, uint32_t x, uint64_t y);
uint32_t pick_type(uint8_t selector, uint32_t x);
uint64_t pick_attribute(uint8_t selector, uint64_t y);
void verify_stamp(const harness *h, uint64_t index);
void own_pages(harness *h, uint64_t first, uint64_t count, uint32_t type);
void release_page(harness *h, uint64_t index);

/* fuzz_api_map.c */
void after_call(harness *h);
void check_ownership(harness *h);
void do_map(harness *h, const record *r);
void do_terminate(harness *h, const record *r);

/* fuzz_api_pages.c */
void do_add(harness *h, const record *r);
void do_alloc(harness *h, const record *r);
void do_free(harness *h, const record *r, bool pool);
void do_attr(harness *h, const record *r);
void do_pool_alloc(harness *h, const record *r);

/* fuzz_api_config.c */
void do_set_info(harness *h, const record *r);
void do_binrange(harness *h, const record *r);
void do_granularity(harness *h, const record *r);

/* fuzz_api_probe.c */
void do_scribble(harness *h, const record *r);
void do_read(harness *h, const record *r);

/* fuzz_api_pool.c */
void do_pool(harness *h, const record *r);
void do_freepool(harness *h, const record *r);
/* Used of every pool agrees with the buffers we own, and their stamps
 * are intact (after every call). */
void pool_check(harness *h);
/* Pages [first, first + count) may be pool pages (allocated, not ours, no
 * map entries), so freeing them pulls memory from under the pool. */
bool pool_may_own(const harness *h, uint64_t first, uint64_t count);
bool pool_event_ok(const harness *h, const dxemem_event *event);

#endif /* DXEMEM_FUZZ_API_H */
