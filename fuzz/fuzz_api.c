/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * fuzz_api: drives the public API directly with fixed-size operation
 * records (as tlsf-bsd's fuzz target does) and checks after every call.
 *
 * Input layout (little endian):
 *   header, 4 bytes:
 *     [0..1]  region pages - 1, modulo REGION_PAGES_MAX
 *     [2]     region base: low 3 bits pick a kind (see region_base)
 *     [3]     flags: FLAG_* (FLAG_REFERENCE_MASTER picks edk2 master's bins)
 *   then records of 16 bytes, a trailing partial record is ignored:
 *     [0]     op, modulo OP_COUNT
 *     [1..3]  selectors a, b, c (which kind of address, size, type, ...)
 *     [4..7]  x: low half and high half feed the picks (x1, x2)
 *     [8..15] y: raw 64-bit operand (addresses, sizes, attributes)
 *
 * The region gets a PROT_NONE guard page on each side, so a write by the
 * core just outside it faults instead of landing in some other mapping.
 *
 * This file holds the shared helpers, the picks, the stamps, the
 * callbacks, set-up and the record loop; the operations live by kind in
 * fuzz_api_pages.c (add, allocate, free, attributes), fuzz_api_map.c (the
 * map walk after each call, GetMemoryMap, ExitBootServices),
 * fuzz_api_config.c (the calls before the first add), fuzz_api_probe.c
 * (scribbles, read-only calls) and fuzz_api_pool.c (AllocatePool,
 * FreePool); fuzz_api_hazard.c keeps the hazards one call raised.
 *
 * What is checked (a failure aborts through fuzz_fail):
 *  - dxemem_check after every call, the lock callbacks balanced, the
 *    check_every_call hook silent, each status in the set the call may
 *    return, documented argument errors reported as such;
 *  - a successful allocation lies inside the region, is aligned, obeys
 *    AllocateAddress/AllocateMaxAddress, was free memory in the map before
 *    (so it overlaps no live allocation the harness tracks and no page of
 *    map entries) and has its type in the map after;
 *  - a tracked allocation keeps its type in the map until it is freed, and
 *    the pattern the harness stamped into it (first and last pages) stays
 *    intact: the allocator never writes into memory it handed out;
 *  - writing into free memory (pages the map shows as conventional) never
 *    disturbs the allocator: it keeps no state there;
 *  - GetMemoryMap writes nothing past the size passed (nor past the size
 *    its probe asked for, unless an overlapping add lets the map grow),
 *    nothing into a buffer smaller than the probe asked for, answers
 *    BUFFER_TOO_SMALL only with a bigger size than the one passed, and
 *    describes the map's pages and no others;
 *  - the read-only calls agree with each other and with the map.
 *
 * Two events switch checks off for the rest of the input:
 *  - a scribble over the allocator's own data (SCRIBBLE_ENTRY/ENTRY_PAGE/
 *    ANYWHERE): the allocator may now answer DXEMEM_VOLUME_CORRUPTED and
 *    the checker may complain; the run goes on so the corruption paths get
 *    exercised, and only crashes, sanitizer reports and allocations outside
 *    the region remain findings;
 *  - an add that overlaps the map (a hazard, below): edk2 accepts it and then
 * may hand out the same page twice, so the ownership checks stop (dxemem_check
 * adapts on its own and stays on). An add of 0 pages at address 0 is the
 * extreme case: its end wraps to 2^64 - 1, edk2's search finds it for any
 *    address, and pieces beyond the region may be handed out (src/core
 *    models this on purpose), so the region checks stop too.
 *
 * Hazards (edk2 doing what no caller can want, and dxemem with it) are
 * part of the model (fuzz_api_hazard.c): an add may raise an overlap
 * hazard exactly when the shadow says it overlaps; a bin set-up that
 * frees pages it never allocated must say so (DXEMEM_HAZARD_FREES_UNOWNED
 * with those pages), and only then may pages of ours turn into free
 * memory during an add.
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "dxemem/dxemem.h"
#include "fuzz.h"
#include "fuzz_api_hazard.h"

#include "fuzz_api.h"

static const char *const op_names[OP_COUNT] = {
    "add",         "alloc",      "free",      "attr",     "map",
    "terminate",   "pool-alloc", "pool-free", "set-info", "binrange",
    "granularity", "scribble",   "read",      "pool",     "freepool"};

/* ---- small helpers ----------------------------------------------------- */

uint64_t mix(uint64_t v) {
  v += UINT64_C(0x9e3779b97f4a7c15);
  v = (v ^ (v >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  v = (v ^ (v >> 27)) * UINT64_C(0x94d049bb133111eb);
  return v ^ (v >> 31);
}

static uint64_t read_le(const uint8_t *p, size_t bytes) {
  uint64_t v = 0;
  for (size_t i = 0; i < bytes; i++) {
    v |= (uint64_t)p[i] << (8 * i);
  }
  return v;
}

FUZZ_NORETURN FUZZ_PRINTF_LIKE(2, 3) void fail(const harness *h,
                                               const char *format, ...) {
  char message[512];
  va_list args;
  va_start(args, format);
  vsnprintf(message, sizeof(message), format, args);
  va_end(args);
  fuzz_fail("op %zu (%s), region 0x%" PRIx64 "+0x%" PRIx64 ": %s", h->op_index,
            h->op_name, h->base, h->size, message);
}

const char *status_text(dxemem_status status) {
  const char *name = dxemem_status_name(status);
  return name != NULL ? name : "(unnamed status)";
}

/* status must be in allowed (plus VOLUME_CORRUPTED after a scribble).
 * The call is described by a format, put together only when it is printed:
 * on a failure, or for every call with DXEMEM_FUZZ_VERBOSE set. */
FUZZ_PRINTF_LIKE(4, 5)
void expect_status(const harness *h, dxemem_status status, uint64_t allowed,
                   const char *format, ...) {
  if (h->corrupted) {
    allowed |= ST_CORRUPTED;
  }
  uint64_t code = status & ~DXEMEM_ERROR_BIT;
  bool known = status == DXEMEM_SUCCESS ||
               (DXEMEM_IS_ERROR(status) && code > 0 && code < 64);
  bool ok = known && (allowed & ST(status == DXEMEM_SUCCESS ? 0 : code)) != 0;
  if (ok && !h->verbose) {
    return;
  }
  char call[256];
  va_list args;
  va_start(args, format);
  vsnprintf(call, sizeof(call), format, args);
  va_end(args);
  if (!ok) {
    fail(h, "%s returned %s (0x%" PRIx64 "), not one it may return", call,
         status_text(status), status);
  }
  fprintf(stderr, "op %zu: %s -> %s\n", h->op_index, call, status_text(status));
}

bool checks_on(const harness *h) {
  return !h->corrupted && !h->overlapped;
}

/* The page index of phys, if phys lies in the region. */
bool page_of(const harness *h, uint64_t phys, uint64_t *index) {
  if (phys < h->base || phys - h->base >= h->size) {
    return false;
  }
  *index = (phys - h->base) / PAGE;
  return true;
}

/* [start, start + bytes) inside the region (bytes 0 allowed at its end). */
bool inside_region(const harness *h, uint64_t start, uint64_t bytes) {
  if (start < h->base || start - h->base > h->size) {
    return false;
  }
  return bytes <= h->size - (start - h->base);
}

/* First and count of the region pages [start, start + pages * 4 KiB)
 * covers; the range may run past the region or wrap. */
void region_pages_of(const harness *h, uint64_t start, uint64_t pages,
                     uint64_t *first, uint64_t *count) {
  *first = 0;
  *count = 0;
  if ((start & DXEMEM_PAGE_MASK) != 0 || pages == 0) {
    return;
  }
  uint64_t index;
  if (!page_of(h, start, &index)) {
    return;
  }
  *first = index;
  *count = pages < h->pages - index ? pages : h->pages - index;
}

/* edk2: reserved, runtime code/data and ACPI NVS pages come in units of
 * RUNTIME_PAGE_ALLOCATION_GRANULARITY. */
uint64_t granularity_of(const harness *h, uint32_t type) {
  switch (type) {
  case DXEMEM_RESERVED_MEMORY_TYPE:
  case DXEMEM_RUNTIME_SERVICES_CODE:
  case DXEMEM_RUNTIME_SERVICES_DATA:
  case DXEMEM_ACPI_MEMORY_NVS:
    return dxemem_get_runtime_granularity(h->d);
  default:
    return PAGE;
  }
}

/* pages rounded up to whole units of granularity; false on overflow. */
bool round_pages(uint64_t pages, uint64_t granularity, uint64_t *out) {
  uint64_t unit = granularity / PAGE;
  if (unit == 0 || pages > UINT64_MAX - (unit - 1)) {
    return false;
  }
  *out = (pages + unit - 1) / unit * unit;
  return true;
}

/* The pages a conversion of pages really covers: edk2 computes
 * NumberOfPages << EFI_PAGE_SHIFT without an overflow check (in
 * CoreFindFreePagesI and CoreConvertPagesEx), so 2^52 pages or more act as
 * their low 52 bits. dxemem keeps that for conformance; here it is just
 * what the map will show. */
uint64_t converted_pages(uint64_t pages) {
  return pages & (UINT64_MAX >> DXEMEM_PAGE_SHIFT);
}

bool type_valid_for_allocate(uint32_t type) {
  if (type >= DXEMEM_MAX_MEMORY_TYPE && type < DXEMEM_OEM_RESERVED_MIN) {
    return false;
  }
  return type != DXEMEM_CONVENTIONAL_MEMORY &&
         type != DXEMEM_PERSISTENT_MEMORY &&
         type != DXEMEM_UNACCEPTED_MEMORY_TYPE;
}

/* ---- picks: turning record bytes into operands ------------------------- */

/* The first page of a tracked allocation, searching from page hint on. */
bool pick_allocation(const harness *h, uint32_t hint, uint64_t *start,
                     uint64_t *pages) {
  for (uint64_t n = 0; n < h->pages; n++) {
    uint64_t i = (hint + n) % h->pages;
    uint32_t owner = h->shadow[i].owner;
    if (owner != 0 && (i == 0 || h->shadow[i - 1].owner != owner)) {
      uint64_t end = i;
      while (end < h->pages && h->shadow[end].owner == owner) {
        end++;
      }
      *start = h->base + i * PAGE;
      *pages = end - i;
      return true;
    }
  }
  return false;
}

uint64_t pick_address(const harness *h, uint8_t selector, uint32_t x,
                      uint64_t y) {
  uint64_t pages = 0;
  uint64_t start;
  switch (selector % 6) {
  case 0: /* a page of the region, or its end */
    return h->base + (x % (h->pages + 1)) * PAGE;
  case 1: /* a live allocation */
    if (pick_allocation(h, x, &start, &pages)) {
      return start;
    }
    return h->base + (x % h->pages) * PAGE;
  case 2: /* anything */
    return y;
  case 3: /* unaligned, inside */
    return h->base + (x % h->pages) * PAGE + (y & DXEMEM_PAGE_MASK);
  case 4: /* just below or just above (unsigned wrap is intended) */
    return (x & 1) != 0 ? h->base - PAGE * (1 + x % 4)
                        : h->base + h->size + PAGE * (x % 4);
  default: /* a page boundary of the 64 KiB grid */
    return (h->base + (x % (h->pages + 1)) * PAGE) & ~UINT64_C(0xffff);
  }
}

uint64_t pick_pages(const harness *h, uint8_t selector, uint32_t x,
                    uint64_t y) {
  switch (selector % 5) {
  case 0:
  case 1:
    return 1 + x % 16;
  case 2:
    return x % (h->pages + 2);
  case 3:
    return y;
  default: { /* edges of the page-count arithmetic */
    static const uint64_t edges[] = {0,
                                     UINT64_MAX >> DXEMEM_PAGE_SHIFT,
                                     (UINT64_MAX >> DXEMEM_PAGE_SHIFT) + 1,
                                     UINT64_MAX,
                                     UINT64_MAX - 14,
                                     UINT32_MAX};
    return edges[x % (sizeof(edges) / sizeof(edges[0]))];
  }
  }
}

uint32_t pick_type(uint8_t selector, uint32_t x) {
  switch (selector % 8) {
  case 0:
  case 1:
  case 2:
    return x % DXEMEM_MAX_MEMORY_TYPE;
  case 3:
    return DXEMEM_BOOT_SERVICES_DATA;
  case 4: /* between the last UEFI type and the OEM range */
    return DXEMEM_MAX_MEMORY_TYPE +
           x % (DXEMEM_OEM_RESERVED_MIN - DXEMEM_MAX_MEMORY_TYPE);
  case 5:
    return DXEMEM_OEM_RESERVED_MIN + x % 0x10000000u;
  case 6:
    return DXEMEM_OS_RESERVED_MIN | x;
  default:
    return x * 0x9e3779b9u;
  }
}

uint64_t pick_attribute(uint8_t selector, uint64_t y) {
  const uint64_t caching =
      DXEMEM_MEMORY_UC | DXEMEM_MEMORY_WC | DXEMEM_MEMORY_WT | DXEMEM_MEMORY_WB;
  switch (selector % 4) {
  case 0:
    return caching;
  case 1:
    return caching | DXEMEM_MEMORY_RUNTIME;
  case 2: /* specific purpose: the search for free pages skips it */
    return caching | DXEMEM_MEMORY_SP;
  default:
    return y;
  }
}

/* ---- stamps: a pattern in the pages we own ----------------------------- */

static uint64_t stamp_value(const harness *h, uint64_t index) {
  return mix(((uint64_t)h->shadow[index].owner << 32) ^
             (h->base + index * PAGE));
}

static void stamp_page(harness *h, uint64_t index) {
  uint64_t value = stamp_value(h, index);
  uint64_t *words = (uint64_t *)(void *)(h->host + index * PAGE);
  for (size_t i = 0; i < PAGE / sizeof(uint64_t); i++) {
    words[i] = value ^ i;
  }
  h->shadow[index].stamped = true;
}

void verify_stamp(const harness *h, uint64_t index) {
  if (!h->shadow[index].stamped || !checks_on(h)) {
    return;
  }
  uint64_t value = stamp_value(h, index);
  const uint64_t *words =
      (const uint64_t *)(const void *)(h->host + index * PAGE);
  for (size_t i = 0; i < PAGE / sizeof(uint64_t); i++) {
    if (words[i] != (value ^ i)) {
      fail(h,
           "allocated page 0x%" PRIx64 " was overwritten at offset 0x%zx "
           "(the allocator wrote into memory it handed out)",
           h->base + index * PAGE, i * sizeof(uint64_t));
    }
  }
}

/* Takes pages [first, first + count) as allocation owner of type, and
 * stamps its first and last pages. */
void own_pages(harness *h, uint64_t first, uint64_t count, uint32_t type) {
  uint32_t owner = ++h->next_owner;
  if (owner == 0) {
    owner = h->next_owner = 1;
  }
  for (uint64_t n = 0; n < count; n++) {
    page_shadow *p = &h->shadow[first + n];
    p->owner = owner;
    p->owner_type = type;
    p->stamped = false;
    /* Stamps only while they mean something: two owners may share a
     * page after an overlapping add, and a scribble may hit them. */
    if (checks_on(h) && (n < STAMP_END_PAGES || count - n <= STAMP_END_PAGES)) {
      stamp_page(h, first + n);
    }
  }
}

void release_page(harness *h, uint64_t index) {
  h->shadow[index].owner = 0;
  h->shadow[index].stamped = false;
}

/* ---- callbacks --------------------------------------------------------- */

static void on_lock(void *context) {
  harness *h = context;
  if (h->lock_depth != 0) {
    fail(h, "lock taken while held (depth %d)", h->lock_depth);
  }
  h->lock_depth++;
}

static void on_unlock(void *context) {
  harness *h = context;
  if (h->lock_depth != 1) {
    fail(h, "unlock without the lock (depth %d)", h->lock_depth);
  }
  h->lock_depth--;
}

static void on_event(void *context, const dxemem_event *event) {
  harness *h = context;
  if (event->kind < DXEMEM_EVENT_ADD_RANGE ||
      event->kind > DXEMEM_EVENT_GUARD_FREED) {
    fail(h, "event of unknown kind %d", (int)event->kind);
  }
  if (event->kind == DXEMEM_EVENT_HAZARD) {
    char why[160];
    if (!hazard_log_event(&h->hazards, event, why, sizeof(why))) {
      fail(h, "%s", why);
    }
    return;
  }
  if (h->corrupted || !h->events_checked) {
    return;
  }
  switch (event->kind) {
  case DXEMEM_EVENT_ADD_RANGE:
  case DXEMEM_EVENT_CONVERT_TYPE:
  case DXEMEM_EVENT_CONVERT_ATTRIBUTE:
    if (event->end + 1 < event->start && event->end + 1 != 0) {
      fail(h, "event range 0x%" PRIx64 "-0x%" PRIx64 " runs backwards",
           event->start, event->end);
    }
    if (event->end + 1 != event->start && !h->wrapped &&
        !inside_region(h, event->start, event->end - event->start + 1)) {
      fail(h, "event range 0x%" PRIx64 "-0x%" PRIx64 " outside the region",
           event->start, event->end);
    }
    break;
  case DXEMEM_EVENT_POOL_PAGES:
  case DXEMEM_EVENT_POOL_CARVE:
  case DXEMEM_EVENT_POOL_REUSE:
  case DXEMEM_EVENT_POOL_PAGE_RETURN:
    if (!pool_event_ok(h, event)) {
      fail(h, "pool event %d at 0x%" PRIx64 "-0x%" PRIx64 " is malformed",
           (int)event->kind, event->start, event->end);
    }
    break;
  case DXEMEM_EVENT_GUARD_SET:
  case DXEMEM_EVENT_GUARD_FREED:
    if ((event->start & DXEMEM_PAGE_MASK) != 0 || event->end < event->start ||
        ((event->end + 1) & DXEMEM_PAGE_MASK) != 0 ||
        (!h->wrapped &&
         !inside_region(h, event->start, event->end - event->start + 1))) {
      fail(h, "guard event %d at 0x%" PRIx64 "-0x%" PRIx64 " is malformed",
           (int)event->kind, event->start, event->end);
    }
    break;
  case DXEMEM_EVENT_REFUEL:
    if ((event->start & DXEMEM_PAGE_MASK) != 0 ||
        !inside_region(h, event->start, PAGE)) {
      fail(h, "refuel page 0x%" PRIx64 " not a page of the region",
           event->start);
    }
    break;
  default:
    if (event->depth > MAX_MAP_DEPTH_DOC) {
      fail(h, "map stack depth %u above %d", event->depth, MAX_MAP_DEPTH_DOC);
    }
    break;
  }
}

/* The CPU protocol of the heap guard: page-aligned whole pages only, and
 * only the two attribute values HeapGuard.c writes. Once the map is
 * corrupted (an overlapping add under a heap guard) a page the guard
 * bitmap still marks can be handed out again for plain pool blocks: such
 * a block then reads as guarded, and its free undoes a tail alignment it
 * never had, handing an unaligned address to UnsetGuardForMemory, in edk2
 * as in dxemem. */
static void on_set_memory_attributes(void *context, uint64_t base,
                                     uint64_t length, uint64_t attributes) {
  harness *h = context;
  if (h->corrupted) {
    return;
  }
  if ((base & DXEMEM_PAGE_MASK) != 0 || length == 0 ||
      (length & DXEMEM_PAGE_MASK) != 0 ||
      (attributes != 0 && attributes != DXEMEM_MEMORY_RP)) {
    fail(h, "SetMemoryAttributes(0x%" PRIx64 ", 0x%" PRIx64 ", 0x%" PRIx64 ")",
         base, length, attributes);
  }
}

/* The heap guard FLAG_HEAP_GUARD turns on, picked by the region byte. */
static const uint8_t guard_properties[8] = {0x01, 0x02, 0x03, 0x83,
                                            0x10, 0x81, 0x82, 0x90};

static void on_assert_failed(void *context, const char *message) {
  harness *h = context;
  if (!h->corrupted && !(h->overlapped && h->pool.any)) {
    fail(h, "check_every_call: %s", message);
  }
}

/* ---- setup and teardown ------------------------------------------------ */

static uint64_t region_base(uint8_t selector, uint64_t size) {
  switch (selector % 8) {
  case 0:
    return 0;
  case 1:
    return PAGE;
  case 2:
    return UINT64_C(0x100000);
  case 3:
    return UINT64_C(0x100000000);
  case 4: /* the very top: base + size == 2^64 */
    return (uint64_t)0 - size;
  case 5:
    return (uint64_t)(selector >> 3) << 16;
  case 6:
    return (uint64_t)(selector >> 3) << 12;
  default:
    return UINT64_C(1) << 63;
  }
}

/* One bad dxemem_create: it fails cleanly and leaves *out NULL. */
static void expect_create_error(harness *h, const char *what, void *storage,
                                size_t storage_size,
                                const dxemem_config *config) {
  dxemem *out = (dxemem *)storage; /* any non-NULL value */
  dxemem_status status = dxemem_create(storage, storage_size, config, &out);
  if (status != DXEMEM_INVALID_PARAMETER || out != NULL) {
    fail(h, "dxemem_create with %s returned %s", what, status_text(status));
  }
}

static void try_create_errors(harness *h, const dxemem_config *good) {
  size_t size = dxemem_instance_size();
  expect_create_error(h, "storage one byte short", h->storage, size - 1, good);
  expect_create_error(h, "no storage", NULL, size, good);
  expect_create_error(h, "no config", h->storage, size, NULL);
  /* Misaligned storage of the full size needs a bigger block. */
  unsigned char *bigger = malloc(size + 8);
  if (bigger == NULL) {
    fuzz_fail("fuzz_api: out of memory");
  }
  expect_create_error(h, "misaligned storage", bigger + 4, size, good);
  free(bigger);

  /* Instance storage inside the region (the last 8 bytes of it). */
  expect_create_error(h, "storage inside the region", h->host + h->size - 8,
                      size, good);
  dxemem_config c = *good;
  c.region_host = h->host + 4;
  expect_create_error(h, "a misaligned region", h->storage, size, &c);
  c = *good;
  c.region_host = NULL;
  expect_create_error(h, "no region", h->storage, size, &c);
  c = *good;
  c.runtime_granularity = 8192;
  expect_create_error(h, "granularity 8192", h->storage, size, &c);
  c = *good;
  c.reference = DXEMEM_REFERENCE_COUNT;
  expect_create_error(h, "an unknown reference", h->storage, size, &c);
  c = *good;
  c.region_size = 0;
  expect_create_error(h, "an empty region", h->storage, size, &c);
  c = *good;
  c.region_size -= 0x800;
  expect_create_error(h, "a size of part of a page", h->storage, size, &c);
  c = *good;
  c.region_base |= 0x800;
  expect_create_error(h, "an unaligned base", h->storage, size, &c);
  c = *good;
  c.region_base = (uint64_t)0 - PAGE; /* two pages from the last one */
  c.region_size = 2 * PAGE;
  expect_create_error(h, "a region past 2^64", h->storage, size, &c);
}

static bool setup(harness *h, const uint8_t *header) {
  h->pages = 1 + read_le(header, 2) % REGION_PAGES_MAX;
  h->size = h->pages * PAGE;
  h->base = region_base(header[2], h->size);
  uint8_t flags = header[3];
  h->op_name = "create";

  h->mapping_size = (size_t)h->size + 2 * PAGE;
  void *mapping = mmap(NULL, h->mapping_size, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (mapping == MAP_FAILED) {
    return false;
  }
  h->mapping = mapping;
  h->host = h->mapping + PAGE;
  if (mprotect(h->mapping, PAGE, PROT_NONE) != 0 ||
      mprotect(h->host + h->size, PAGE, PROT_NONE) != 0) {
    return false;
  }
  h->storage = malloc(dxemem_instance_size());
  h->shadow = calloc((size_t)h->pages, sizeof(*h->shadow));
  if (h->storage == NULL || h->shadow == NULL) {
    return false;
  }

  dxemem_config config = {
      .region_base = h->base,
      .region_size = h->size,
      .region_host = h->host,
      .runtime_granularity = (flags & FLAG_GRANULARITY_64K) != 0        ? 65536
                             : (flags & FLAG_GRANULARITY_EXPLICIT) != 0 ? PAGE
                                                                        : 0,
      .user_context = h,
      .check_every_call = (flags & FLAG_CHECK_EVERY_CALL) != 0,
      .reference = (flags & FLAG_REFERENCE_MASTER) != 0
                       ? DXEMEM_REFERENCE_EDK2_MASTER_2026_08
                       : DXEMEM_REFERENCE_EDK2_STABLE202605,
  };
  if ((flags & FLAG_CHECK_EVERY_CALL) != 0) {
    config.assert_failed = on_assert_failed;
  }
  /* The index, at the check level that walks both lists and compares the
   * index with them on every call (the list path is the old code, which
   * the core tests run on as well). */
  config.check_level = DXEMEM_CHECK_FULL;
  size_t index_bytes =
      dxemem_index_size(dxemem_index_entries_for_region(h->size));
  h->index = malloc(index_bytes);
  if (h->index == NULL) {
    return false;
  }
  config.index_storage = h->index;
  config.index_storage_size = index_bytes;
  if ((flags & FLAG_LOCK) != 0) {
    config.lock = on_lock;
    config.unlock = on_unlock;
  }
  /* Always: hazards arrive as events (the other events are checked only
   * with FLAG_EVENTS). */
  config.event = on_event;
  h->events_checked = (flags & FLAG_EVENTS) != 0;
  if ((flags & FLAG_CREATE_ERRORS) != 0) {
    try_create_errors(h, &config);
  }
  config.set_memory_attributes = on_set_memory_attributes;
  config.cpu_context = h;
  dxemem_status status =
      dxemem_create(h->storage, dxemem_instance_size(), &config, &h->d);
  if (status != DXEMEM_SUCCESS) {
    fail(h, "dxemem_create of a good config returned %s", status_text(status));
  }
  if ((flags & FLAG_HEAP_GUARD) != 0) {
    /* Guards move every address and keep pages the shadow thinks free
     * (shared guards, freed memory): like an overlapping add, the heap
     * guard turns the ownership and map-page checks off; dxemem_check,
     * the statuses, the region bounds and the events stay checked. */
    uint8_t property = guard_properties[(header[2] >> 3) & 7];
    status = dxemem_set_heap_guard(h->d, property, UINT64_MAX, UINT64_MAX);
    if (status != DXEMEM_SUCCESS) {
      fail(h, "dxemem_set_heap_guard(0x%02x) returned %s", property,
           status_text(status));
    }
    h->overlapped = true;
    h->freed_guard = (property & 0x10) != 0;
    h->heap_guard = true;
  }
  after_call(h);
  return true;
}

static void teardown(harness *h) {
  if (h->d != NULL) {
    h->op_name = "destroy";
    for (uint64_t i = 0; i < h->pages; i++) {
      verify_stamp(h, i);
    }
    dxemem_destroy(h->d);
    uint64_t memory = 0;
    if (dxemem_allocate_pages(h->d, DXEMEM_ALLOCATE_ANY_PAGES,
                              DXEMEM_BOOT_SERVICES_DATA, 1,
                              &memory) != DXEMEM_INVALID_PARAMETER ||
        dxemem_check(h->d, NULL) != DXEMEM_INVALID_PARAMETER) {
      fail(h, "a destroyed instance still answers");
    }
  }
  free(h->shadow);
  free(h->storage);
  free(h->index);
  h->index = NULL;
  if (h->mapping != NULL) {
    munmap(h->mapping, h->mapping_size);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < HEADER_BYTES) {
    return 0;
  }
  harness h = {0};
  h.verbose = getenv("DXEMEM_FUZZ_VERBOSE") != NULL;
  if (!setup(&h, data)) {
    /* The host refused memory: nothing to learn from this input. */
    teardown(&h);
    return 0;
  }
  for (size_t offset = HEADER_BYTES; size - offset >= RECORD_BYTES;
       offset += RECORD_BYTES) {
    const uint8_t *p = data + offset;
    uint32_t x = (uint32_t)read_le(p + 4, 4);
    record r = {.op = p[0],
                .a = p[1],
                .b = p[2],
                .c = p[3],
                .x1 = x & 0xffff,
                .x2 = x >> 16,
                .y = read_le(p + 8, 8)};
    op o = (op)(r.op % OP_COUNT);
    h.op_index = (offset - HEADER_BYTES) / RECORD_BYTES;
    h.op_name = op_names[o];
    if (o != OP_FREEPOOL) {
      h.pool.last_freed = 0; /* a double free only right after the free */
    }
    switch (o) {
    case OP_ADD:
      do_add(&h, &r);
      break;
    case OP_ALLOC:
      do_alloc(&h, &r);
      break;
    case OP_FREE:
      do_free(&h, &r, false);
      break;
    case OP_ATTR:
      do_attr(&h, &r);
      break;
    case OP_MAP:
      do_map(&h, &r);
      break;
    case OP_TERMINATE:
      do_terminate(&h, &r);
      break;
    case OP_POOL_ALLOC:
      do_pool_alloc(&h, &r);
      break;
    case OP_POOL_FREE:
      do_free(&h, &r, true);
      break;
    case OP_SET_INFO:
      do_set_info(&h, &r);
      break;
    case OP_BINRANGE:
      do_binrange(&h, &r);
      break;
    case OP_GRANULARITY:
      do_granularity(&h, &r);
      break;
    case OP_SCRIBBLE:
      do_scribble(&h, &r);
      break;
    case OP_POOL:
      do_pool(&h, &r);
      break;
    case OP_FREEPOOL:
      do_freepool(&h, &r);
      break;
    default:
      do_read(&h, &r);
      break;
    }
  }
  teardown(&h);
  return 0;
}
