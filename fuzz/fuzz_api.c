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
 *  - an add that overlaps the map (a hazard, below): edk2 accepts it and then may hand out the
 *    same page twice, so the ownership checks stop (dxemem_check adapts on
 *    its own and stays on). An add of 0 pages at address 0 is the extreme
 *    case: its end wraps to 2^64 - 1, edk2's search finds it for any
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
    "granularity", "scribble",   "read",     "pool",     "freepool"};

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

static const char *status_text(dxemem_status status) {
  const char *name = dxemem_status_name(status);
  return name != NULL ? name : "(unnamed status)";
}

/* status must be in allowed (plus VOLUME_CORRUPTED after a scribble).
 * The call is described by a format, put together only when it is printed:
 * on a failure, or for every call with DXEMEM_FUZZ_VERBOSE set. */
FUZZ_PRINTF_LIKE(4, 5)
void expect_status(const harness *h, dxemem_status status,
                          uint64_t allowed, const char *format, ...) {
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
static void region_pages_of(const harness *h, uint64_t start, uint64_t pages,
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
static bool round_pages(uint64_t pages, uint64_t granularity, uint64_t *out) {
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
static uint64_t converted_pages(uint64_t pages) {
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
static bool pick_allocation(const harness *h, uint32_t hint, uint64_t *start,
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

static uint64_t pick_address(const harness *h, uint8_t selector, uint32_t x,
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

static uint64_t pick_pages(const harness *h, uint8_t selector, uint32_t x,
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

static uint32_t pick_type(uint8_t selector, uint32_t x) {
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

static uint64_t pick_attribute(uint8_t selector, uint64_t y) {
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

static void verify_stamp(const harness *h, uint64_t index) {
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
static void own_pages(harness *h, uint64_t first, uint64_t count,
                      uint32_t type) {
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

static void release_page(harness *h, uint64_t index) {
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
 * only the two attribute values HeapGuard.c writes. */
static void on_set_memory_attributes(void *context, uint64_t base,
                                     uint64_t length, uint64_t attributes) {
  harness *h = context;
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

/* ---- looking at the map ------------------------------------------------ */

typedef struct map_visit {
  harness *h;
  bool bad; /* something the shadow cannot take; checked when trusted */
  char why[160];
} map_visit;

static bool visit_entry(void *context, const dxemem_entry_info *e) {
  map_visit *v = context;
  harness *h = v->h;
  if (e->from_pages) {
    h->pool_entries++;
    uint64_t index;
    if ((e->entry_address & 63) != 0 || !page_of(h, e->entry_address, &index) ||
        !inside_region(h, e->entry_address, 64)) {
      v->bad = true;
      snprintf(v->why, sizeof(v->why),
               "map entry stored at 0x%" PRIx64 ", not in the region",
               e->entry_address);
      return true;
    }
    h->shadow[index].holds_entries = true;
    if (h->entry_sample_count < ENTRY_SAMPLES_MAX) {
      h->entry_samples[h->entry_sample_count++] = e->entry_address;
    }
  }
  if (e->end + 1 == e->start) {
    return true; /* empty */
  }
  if (h->wrapped && (e->end < e->start ||
                     !inside_region(h, e->start, e->end - e->start + 1))) {
    return true; /* carved out of the wrapping entry; the shadow skips it */
  }
  if (e->end < e->start || (e->start & DXEMEM_PAGE_MASK) != 0 ||
      ((e->end + 1) & DXEMEM_PAGE_MASK) != 0 ||
      !inside_region(h, e->start, e->end - e->start + 1)) {
    v->bad = true;
    snprintf(v->why, sizeof(v->why),
             "entry 0x%" PRIx64 "-0x%" PRIx64 " not whole pages of the region",
             e->start, e->end);
    return true;
  }
  uint64_t first = (e->start - h->base) / PAGE;
  uint64_t count = (e->end - e->start + 1) / PAGE;
  h->entry_pages += count;
  for (uint64_t i = first; i < first + count; i++) {
    page_shadow *p = &h->shadow[i];
    if (p->mapped && !h->overlapped && !v->bad) {
      v->bad = true;
      snprintf(v->why, sizeof(v->why),
               "page 0x%" PRIx64 " in two entries without an overlapping add",
               h->base + i * PAGE);
    }
    p->mapped = true;
    p->map_type = e->type;
    p->map_attribute = e->attribute;
  }
  return true;
}

/* Rebuilds the map half of the shadow; checks what the walk shows. */
static void observe_map(harness *h) {
  for (uint64_t i = 0; i < h->pages; i++) {
    h->shadow[i].mapped = false;
    h->shadow[i].holds_entries = false;
  }
  h->pool_entries = 0;
  h->entry_pages = 0;
  h->entry_sample_count = 0;
  map_visit v = {.h = h};
  dxemem_status status = dxemem_for_each_entry(h->d, visit_entry, &v);
  h->map_seen = status == DXEMEM_SUCCESS && !v.bad;
  if (h->corrupted) {
    return;
  }
  if (status != DXEMEM_SUCCESS) {
    fail(h, "dxemem_for_each_entry returned %s", status_text(status));
  }
  if (v.bad) {
    fail(h, "%s", v.why);
  }
  /* After an overlapping add a page may sit in two entries, and the
   * shadow keeps only the last one's type. */
  for (uint64_t i = 0; i < h->pages && !h->overlapped; i++) {
    const page_shadow *p = &h->shadow[i];
    if (p->holds_entries &&
        (!p->mapped || p->map_type != DXEMEM_BOOT_SERVICES_DATA)) {
      fail(h,
           "page 0x%" PRIx64 " holds map entries but is not "
           "EfiBootServicesData in the map",
           h->base + i * PAGE);
    }
  }
  dxemem_counts counts;
  if (dxemem_get_counts(h->d, &counts) != DXEMEM_SUCCESS) {
    fail(h, "dxemem_get_counts failed");
  }
  /* PromoteMemoryResource adds the promoted range with CoreAddRange and,
   * when the conversion after it fails, nothing moves it off the map stack
   * until the next CoreFreeMemoryMapStack: edk2 leaves it there too. */
  if (counts.map_entries != h->pool_entries ||
      (counts.stack_depth != 0 && !h->freed_guard)) {
    fail(h,
         "counts say %" PRIu64 " pool entries and stack depth %" PRIu64
         ", the walk saw %" PRIu64,
         counts.map_entries, counts.stack_depth, h->pool_entries);
  }
}

/* Every tracked page still has its type in the map and no entries. */
void check_ownership(harness *h) {
  if (!checks_on(h)) {
    return;
  }
  for (uint64_t i = 0; i < h->pages; i++) {
    const page_shadow *p = &h->shadow[i];
    if (p->owner == 0) {
      continue;
    }
    if (!p->mapped || p->map_type != p->owner_type) {
      fail(h,
           "allocated page 0x%" PRIx64 " (type 0x%x) shows as %s0x%x in the "
           "map without being freed",
           h->base + i * PAGE, p->owner_type, p->mapped ? "" : "unmapped, ",
           p->map_type);
    }
    if (p->holds_entries) {
      fail(h, "allocated page 0x%" PRIx64 " holds map entries",
           h->base + i * PAGE);
    }
  }
}

/* After every call: the lock is free, the checker agrees, and the shadow
 * learns the new map. */
void after_call(harness *h) {
  if (h->lock_depth != 0) {
    fail(h, "returned with the lock held");
  }
  dxemem_violation violation;
  dxemem_status status = dxemem_check(h->d, &violation);
  /* After an overlapping add a map entry page may land on pool blocks. */
  bool pool_unsure = h->overlapped && h->pool.any &&
                     violation.kind == DXEMEM_VIOLATION_POOL;
  if (status != DXEMEM_SUCCESS && !h->corrupted && !pool_unsure) {
    fail(h, "dxemem_check: %s", violation.message);
  }
  observe_map(h);
  pool_check(h);
}

/* ---- allocation results ------------------------------------------------ */

/* A successful allocation of [start, start + pages): where it may be and
 * what it was before. Called before after_call, with the map of the call
 * before. */
static bool check_new_allocation(harness *h, const char *call, uint64_t start,
                                 uint64_t pages, uint64_t alignment,
                                 uint64_t *first) {
  /* Even with corruption the allocator must stay inside the region; only
   * the wrapping entry lets it out. */
  bool inside = pages > 0 && pages <= h->pages &&
                inside_region(h, start, pages * PAGE) &&
                page_of(h, start, first);
  if (!inside && !h->wrapped) {
    fail(h,
         "%s gave 0x%" PRIx64 " pages at 0x%" PRIx64 ", not inside the region",
         call, pages, start);
  }
  /* edk2's search (CoreFindFreePagesI) aligns the end of the range; the
   * start is aligned too when the size is a multiple of the alignment, as
   * it always is for AllocatePages and for edk2's own pool. */
  uint64_t bytes = pages * PAGE;
  if (((start + bytes) & (alignment - 1)) != 0 ||
      ((bytes & (alignment - 1)) == 0 && (start & (alignment - 1)) != 0)) {
    fail(h,
         "%s gave 0x%" PRIx64 " pages at 0x%" PRIx64
         ", not aligned to 0x%" PRIx64,
         call, pages, start, alignment);
  }
  if (!inside || !checks_on(h) || !h->map_seen) {
    return inside;
  }
  for (uint64_t i = *first; i < *first + pages; i++) {
    const page_shadow *p = &h->shadow[i];
    if (p->owner != 0) {
      fail(h, "%s gave page 0x%" PRIx64 ", still live in allocation %u", call,
           h->base + i * PAGE, p->owner);
    }
    if (p->holds_entries) {
      fail(h, "%s gave page 0x%" PRIx64 ", which holds map entries", call,
           h->base + i * PAGE);
    }
    if (!p->mapped || p->map_type != DXEMEM_CONVENTIONAL_MEMORY) {
      fail(h, "%s gave page 0x%" PRIx64 ", which was not free memory", call,
           h->base + i * PAGE);
    }
  }
  return true;
}

/* After after_call: the allocation shows with its type; then it is ours. */
static void take_allocation(harness *h, uint64_t first, uint64_t pages,
                            uint32_t type) {
  if (checks_on(h)) {
    for (uint64_t i = first; i < first + pages; i++) {
      const page_shadow *p = &h->shadow[i];
      if (!p->mapped || p->map_type != type) {
        fail(h, "allocated page 0x%" PRIx64 " is not of type 0x%x in the map",
             h->base + i * PAGE, type);
      }
    }
  }
  own_pages(h, first, pages, type);
}

/* ---- hazards ----------------------------------------------------------- */

/* What an add raised agrees with the shadow: an overlap hazard exactly
 * when the shadow saw the add overlap (while it can tell), and pages of
 * ours that the bin set-up freed lie in a DXEMEM_HAZARD_FREES_UNOWNED
 * range; they are no longer ours. */
static void check_add_hazards(harness *h, dxemem_status status,
                              bool shadow_overlap, bool overlapped_before) {
  const hazard_log *log = &h->hazards;
  if (!hazard_log_counts_agree(log)) {
    fail(h, "hazard counts rose by %" PRIu64 ", %zu hazard events seen",
         log->counted, log->seen);
  }
  bool raised = hazard_log_count(log, DXEMEM_HAZARD_OVERLAPPING_ADD) != 0;
  /* Under a heap guard the bitmap tables are pages the core owns; an add
   * over one makes it free memory again, so the next table can land on
   * it and, as in edk2, a table then points at itself and the bit writes
   * go through it into whatever shares the page (map entries too). The
   * checker rightly complains from then on. */
  if (raised && h->heap_guard) {
    h->corrupted = true;
  }
  if (!h->corrupted && !overlapped_before && h->map_seen &&
      status == DXEMEM_SUCCESS && raised != shadow_overlap) {
    fail(h, "the add %s an overlap hazard, the shadow says it %s",
         raised ? "raised" : "did not raise",
         shadow_overlap ? "overlaps" : "does not overlap");
  }
  if (h->corrupted || h->overlapped) {
    return;
  }
  for (uint64_t i = 0; i < h->pages; i++) {
    const page_shadow *p = &h->shadow[i];
    if (p->owner == 0 || !p->mapped ||
        p->map_type != DXEMEM_CONVENTIONAL_MEMORY) {
      continue;
    }
    uint64_t page = h->base + i * PAGE;
    if (!hazard_log_covers(log, DXEMEM_HAZARD_FREES_UNOWNED, page,
                           page + PAGE - 1)) {
      fail(h,
           "allocated page 0x%" PRIx64 " became free memory in an add "
           "without a FREES_UNOWNED hazard naming it",
           page);
    }
    release_page(h, i);
  }
}

/* ---- operations -------------------------------------------------------- */

static void do_add(harness *h, const record *r) {
  uint32_t type = (r->c % 4) != 3 ? DXEMEM_CONVENTIONAL_MEMORY
                                  : pick_type(r->c >> 2, r->x2 ^ r->x1);
  uint64_t start = pick_address(h, r->a, r->x1, r->y);
  uint64_t pages = pick_pages(h, r->b, r->x2, r->y >> 7);
  uint64_t attribute = pick_attribute(r->c >> 5, r->y);

  uint64_t first, count;
  region_pages_of(h, start, pages, &first, &count);
  bool overlapped_before = h->overlapped;
  for (uint64_t i = first; i < first + count; i++) {
    if (h->shadow[i].mapped || !h->map_seen) {
      h->overlapped = true; /* conservative: the core may not agree */
      break;
    }
  }
  if (start == 0 && pages == 0) {
    h->wrapped = true; /* conservative, as for overlaps */
    h->overlapped = true;
  }
  bool bins_before = dxemem_bins_initialized(h->d);
  bool shadow_overlap = h->overlapped && !overlapped_before;
  hazard_log_begin(&h->hazards, h->d);
  dxemem_status status =
      dxemem_add_memory_descriptor(h->d, type, start, pages, attribute);
  hazard_log_end(&h->hazards, h->d);
  expect_status(h, status, ST_SUCCESS | ST_INVALID | ST_OUT_OF_RESOURCES,
                "add type 0x%x, 0x%" PRIx64 " pages at 0x%" PRIx64
                ", attribute 0x%" PRIx64,
                type, pages, start, attribute);
  if (status != DXEMEM_VOLUME_CORRUPTED) {
    h->any_add = true;
  }
  bool whole = pages <= (UINT64_MAX >> DXEMEM_PAGE_SHIFT) &&
               inside_region(h, start, pages * PAGE);
  bool type_ok =
      type < DXEMEM_MAX_MEMORY_TYPE || type >= DXEMEM_OEM_RESERVED_MIN;
  if (status == DXEMEM_SUCCESS &&
      ((start & DXEMEM_PAGE_MASK) != 0 || !whole || !type_ok)) {
    fail(h, "add of 0x%" PRIx64 " pages at 0x%" PRIx64 " type 0x%x succeeded",
         pages, start, type);
  }
  after_call(h);
  check_add_hazards(h, status, shadow_overlap, overlapped_before);
  /* An add while the bins are not placed yet tries to place them: it
   * allocates and frees each bin, and with a type listed twice edk2 frees
   * only one of its bins, the other stays allocated. So such an add is not
   * checked page by page. */
  if (status != DXEMEM_SUCCESS || !checks_on(h) || !bins_before) {
    check_ownership(h);
    return;
  }
  /* The range is in the map with its type; free memory may have given a
   * page to the entry pool (refuel), which is EfiBootServicesData. */
  for (uint64_t i = first; i < first + count; i++) {
    const page_shadow *p = &h->shadow[i];
    bool refuel = type == DXEMEM_CONVENTIONAL_MEMORY && p->mapped &&
                  p->map_type == DXEMEM_BOOT_SERVICES_DATA;
    if (!p->mapped || (p->map_type != type && !refuel)) {
      fail(h, "added page 0x%" PRIx64 " is not of type 0x%x in the map",
           h->base + i * PAGE, type);
    }
  }
  check_ownership(h);
}

static void do_alloc(harness *h, const record *r) {
  static const uint32_t allocate_types[] = {
      DXEMEM_ALLOCATE_ANY_PAGES, DXEMEM_ALLOCATE_MAX_ADDRESS,
      DXEMEM_ALLOCATE_ADDRESS, DXEMEM_MAX_ALLOCATE_TYPE};
  uint32_t allocate_type = (r->a % 8) < 4   ? allocate_types[r->a % 4]
                           : (r->a % 8) < 7 ? allocate_types[(r->a % 8) - 4]
                                            : r->x1 * 0x10001u;
  uint32_t type = pick_type(r->b, r->x2);
  uint64_t pages = pick_pages(h, r->c, r->x2 >> 4, r->y >> 3);
  uint64_t requested = pick_address(h, r->a >> 3, r->x1, r->y);
  bool null_pointer = (r->c >> 6) == 3 && (r->b & 1) != 0;

  uint64_t memory = requested;
  dxemem_status status = dxemem_allocate_pages(h->d, allocate_type, type, pages,
                                               null_pointer ? NULL : &memory);
  expect_status(h, status,
                ST_SUCCESS | ST_INVALID | ST_NOT_FOUND | ST_OUT_OF_RESOURCES,
                "allocate (allocate type %u) type 0x%x, 0x%" PRIx64
                " pages, address 0x%" PRIx64 "%s: 0x%" PRIx64,
                allocate_type, type, pages, requested,
                null_pointer ? " (NULL)" : "", memory);
  bool invalid = allocate_type >= DXEMEM_MAX_ALLOCATE_TYPE ||
                 !type_valid_for_allocate(type) || null_pointer;
  if (invalid && status != DXEMEM_INVALID_PARAMETER && !h->corrupted) {
    fail(h, "allocate (type %u, memory type 0x%x%s) returned %s", allocate_type,
         type, null_pointer ? ", NULL" : "", status_text(status));
  }
  if (status != DXEMEM_SUCCESS) {
    after_call(h);
    check_ownership(h);
    return;
  }
  uint64_t alignment = granularity_of(h, type);
  uint64_t rounded = 0;
  if (!round_pages(pages, alignment, &rounded)) {
    fail(h, "allocate of 0x%" PRIx64 " pages succeeded", pages);
  }
  rounded = converted_pages(rounded);
  uint64_t first = 0;
  bool inside =
      check_new_allocation(h, "allocate", memory, rounded, alignment, &first);
  if (allocate_type == DXEMEM_ALLOCATE_ADDRESS && memory != requested) {
    fail(h, "AllocateAddress 0x%" PRIx64 " gave 0x%" PRIx64, requested, memory);
  }
  if (allocate_type == DXEMEM_ALLOCATE_MAX_ADDRESS &&
      memory + (rounded * PAGE - 1) > requested) {
    fail(h,
         "AllocateMaxAddress 0x%" PRIx64 " gave 0x%" PRIx64
         " pages at 0x%" PRIx64,
         requested, rounded, memory);
  }
  after_call(h);
  if (inside) {
    take_allocation(h, first, rounded, type);
  }
  check_ownership(h);
}

/* The pages a free may release: from memory, pages rounded up as the entry
 * holding memory asks (CoreInternalFreePages), clipped to the region. */
static void free_range(const harness *h, uint64_t memory, uint64_t pages,
                       bool round, uint64_t *first, uint64_t *count) {
  uint64_t index;
  *first = 0;
  *count = 0;
  if ((memory & DXEMEM_PAGE_MASK) != 0 || !page_of(h, memory, &index)) {
    return;
  }
  uint64_t rounded = pages;
  if (round && h->shadow[index].mapped) {
    uint64_t granularity = granularity_of(h, h->shadow[index].map_type);
    if (!round_pages(pages, granularity, &rounded)) {
      return; /* the rounding wraps to 0 pages: nothing is freed */
    }
  }
  region_pages_of(h, memory, converted_pages(rounded), first, count);
}

static void do_free(harness *h, const record *r, bool pool) {
  uint64_t memory = 0;
  uint64_t pages = 0;
  switch (r->a % 4) {
  case 0:
  case 1:
    if (pick_allocation(h, r->x1, &memory, &pages)) {
      break;
    }
    /* fall through - nothing live */
  case 2:
    memory = pick_address(h, 1, r->x1, r->y);
    pages = pick_pages(h, r->b, r->x2, r->y);
    break;
  default:
    memory = pick_address(h, r->b, r->x1, r->y);
    pages = pick_pages(h, r->c, r->x2, r->y >> 5);
    break;
  }
  uint64_t first, count;
  free_range(h, memory, pages, !pool, &first, &count);
  /* The pages are live until the call: their stamps must be intact. */
  for (uint64_t i = first; i < first + count; i++) {
    verify_stamp(h, i);
  }
  dxemem_counts before = {0};
  (void)dxemem_get_counts(h->d, &before);
  /* Freeing pool pages behind the pool's back leaves its blocks in free
   * memory: the checker rightly complains from now on. */
  if (pool_may_own(h, first, count)) {
    h->corrupted = true;
  }

  const char *call = pool ? "free pool pages" : "free";
  dxemem_status status = pool ? dxemem_free_pool_pages(h->d, memory, pages)
                              : dxemem_free_pages(h->d, memory, pages);
  expect_status(h, status,
                ST_SUCCESS | ST_INVALID | ST_NOT_FOUND | ST_OUT_OF_RESOURCES |
                    ST_ACCESS_DENIED,
                "%s 0x%" PRIx64 " pages at 0x%" PRIx64, call, pages, memory);
  /* Under a heap guard, CoreConvertPagesWithGuard returns EFI_SUCCESS when
   * AdjustMemoryF leaves no page to free (0 pages, or only guard pages). */
  if (status == DXEMEM_SUCCESS && count == 0 && !h->corrupted && !h->wrapped &&
      !h->heap_guard) {
    fail(h, "%s of 0x%" PRIx64 " pages at 0x%" PRIx64 " succeeded", call, pages,
         memory);
  }
  after_call(h);
  dxemem_counts after = {0};
  (void)dxemem_get_counts(h->d, &after);
  /* A failed free may have freed the pieces before the one that failed;
   * whatever is free memory now is no longer ours. */
  for (uint64_t i = first; i < first + count; i++) {
    const page_shadow *p = &h->shadow[i];
    bool now_free = p->mapped && p->map_type == DXEMEM_CONVENTIONAL_MEMORY;
    if (now_free || !checks_on(h)) {
      release_page(h, i);
    } else if (status == DXEMEM_SUCCESS &&
               after.refuel_pages == before.refuel_pages) {
      /* A later piece may refuel from an earlier freed one; else every
       * page of a successful free is free memory now. */
      fail(h,
           "%s of 0x%" PRIx64 " pages at 0x%" PRIx64
           " succeeded, but page 0x%" PRIx64 " is %s0x%x",
           call, pages, memory, h->base + i * PAGE,
           p->mapped ? "" : "unmapped, ", p->map_type);
    }
  }
  check_ownership(h);
}

static void do_attr(harness *h, const record *r) {
  uint64_t start = pick_address(h, r->a, r->x1, r->y);
  uint64_t pages = pick_pages(h, r->b, r->x2, r->y >> 9);
  uint64_t attribute = pick_attribute(r->c, r->y);
  dxemem_status status =
      dxemem_update_memory_attributes(h->d, start, pages, attribute);
  expect_status(
      h, status, ST_SUCCESS | ST_INVALID | ST_NOT_FOUND | ST_OUT_OF_RESOURCES,
      "update attributes of 0x%" PRIx64 " pages at 0x%" PRIx64 " to 0x%" PRIx64,
      pages, start, attribute);
  after_call(h);
  if (status == DXEMEM_SUCCESS && checks_on(h)) {
    uint64_t first, count;
    region_pages_of(h, start, converted_pages(pages), &first, &count);
    if (count != converted_pages(pages)) {
      fail(h,
           "attributes of 0x%" PRIx64 " pages at 0x%" PRIx64
           " changed, not all in the region",
           pages, start);
    }
    for (uint64_t i = first; i < first + count; i++) {
      if (h->shadow[i].map_attribute != attribute) {
        fail(h,
             "page 0x%" PRIx64 " has attribute 0x%" PRIx64
             " after setting 0x%" PRIx64,
             h->base + i * PAGE, h->shadow[i].map_attribute, attribute);
      }
    }
  }
  check_ownership(h);
}

/* What a successful GetMemoryMap put in the buffer. */
static void check_descriptors(harness *h, const unsigned char *buffer,
                              uint64_t size, uint64_t stride) {
  if (stride < sizeof(dxemem_memory_descriptor) || size % stride != 0) {
    fail(h, "map size 0x%" PRIx64 " with descriptor size 0x%" PRIx64, size,
         stride);
  }
  uint64_t total = 0;
  uint64_t next_free = h->base; /* lowest start the next may have */
  for (uint64_t offset = 0; offset < size; offset += stride) {
    dxemem_memory_descriptor desc;
    memcpy(&desc, buffer + offset, sizeof(desc));
    if ((desc.physical_start & DXEMEM_PAGE_MASK) != 0 ||
        (!h->wrapped && (desc.number_of_pages > h->pages ||
                         !inside_region(h, desc.physical_start,
                                        desc.number_of_pages * PAGE)))) {
      fail(h,
           "descriptor 0x%" PRIx64 "+0x%" PRIx64
           " pages is not whole pages of the region",
           desc.physical_start, desc.number_of_pages);
    }
    /* An add of 0 pages leaves an empty entry, which edk2 reports as a
     * descriptor of 0 pages wherever it sits. */
    if (!h->overlapped && desc.number_of_pages > 0) {
      if (desc.physical_start < next_free) {
        fail(h,
             "descriptor at 0x%" PRIx64 " overlaps or precedes the one "
             "before",
             desc.physical_start);
      }
      next_free = desc.physical_start + desc.number_of_pages * PAGE;
    }
    total += desc.number_of_pages;
  }
  if (!h->overlapped && h->map_seen && total != h->entry_pages) {
    fail(h,
         "the map describes 0x%" PRIx64 " pages, its entries hold 0x%" PRIx64,
         total, h->entry_pages);
  }
}

static void do_map(harness *h, const record *r) {
  /* The size the map needs now, as a caller would ask for it. */
  uint64_t needed = 0;
  uint64_t probe_stride = 0;
  uint64_t key = 0;
  uint32_t version = 0;
  dxemem_status status =
      dxemem_get_memory_map(h->d, &needed, NULL, &key, &probe_stride, &version);
  /* INVALID_PARAMETER: an empty map needs 0 bytes, and NULL is no buffer. */
  expect_status(h, status, ST_TOO_SMALL | ST_INVALID,
                "map size probe: 0x%" PRIx64 " bytes", needed);
  after_call(h);
  if (!h->corrupted && (probe_stride < sizeof(dxemem_memory_descriptor) ||
                        needed % probe_stride != 0)) {
    fail(h,
         "map size probe: 0x%" PRIx64 " bytes of 0x%" PRIx64 "-byte "
         "descriptors",
         needed, probe_stride);
  }

  uint64_t passed;
  bool null_buffer = false;
  bool null_size = false;
  switch (r->a % 8) {
  case 0:
    passed = needed;
    break;
  case 1:
    passed = needed > 0 ? needed - 1 : 0;
    break;
  case 2:
    passed = needed > probe_stride ? needed - probe_stride : 0;
    break;
  case 3:
    passed = needed + probe_stride * (r->x1 % 4) + r->x2 % 8;
    break;
  case 4: /* far more than there is */
    passed = r->y | (UINT64_C(1) << 40);
    break;
  case 5:
    passed = r->y;
    null_buffer = true;
    break;
  case 6:
    passed = 0;
    null_size = true;
    break;
  default:
    passed = r->x1 % 8192;
    break;
  }
  /* The buffer is exactly the size passed where that is small enough, so
   * the sanitizers see a write past it; a huge size gets what the map can
   * need plus canary bytes. Every byte starts as 0xa5. */
  uint64_t limit = needed + MAP_SLACK_BYTES;
  if (h->overlapped && passed > limit && !null_buffer) {
    /* After an overlapping add the map can outgrow what the probe said,
     * and the allocator may then use every byte passed: say the truth. */
    passed = limit;
  }
  size_t host_size = (size_t)(passed < limit ? passed : limit);
  size_t allocated = host_size > 0 ? host_size : 1;
  unsigned char *buffer = NULL;
  if (!null_buffer) {
    buffer = malloc(allocated);
    if (buffer == NULL) {
      fuzz_fail("fuzz_api: out of memory");
    }
    memset(buffer, 0xa5, allocated);
  }

  uint64_t *key_out = (r->b & 1) != 0 ? NULL : &key;
  uint64_t stride = 0;
  uint64_t *stride_out = (r->b & 2) != 0 ? NULL : &stride;
  uint32_t *version_out = (r->b & 4) != 0 ? NULL : &version;
  uint64_t size = passed;
  key = 0;
  version = 0;
  status = dxemem_get_memory_map(h->d, null_size ? NULL : &size,
                                 (dxemem_memory_descriptor *)(void *)buffer,
                                 key_out, stride_out, version_out);
  expect_status(h, status, ST_SUCCESS | ST_TOO_SMALL | ST_INVALID,
                "map of 0x%" PRIx64 " bytes%s%s (size 0x%" PRIx64 " on return)",
                passed, null_buffer ? ", NULL buffer" : "",
                null_size ? ", NULL size" : "", size);
  if (!h->corrupted) {
    if (null_size && status != DXEMEM_INVALID_PARAMETER) {
      fail(h, "map with a NULL size returned %s", status_text(status));
    }
    if (status == DXEMEM_SUCCESS && null_buffer) {
      fail(h, "map into a NULL buffer succeeded");
    }
    if (stride_out != NULL && !null_size && stride != probe_stride) {
      fail(h, "map wrote descriptor size 0x%" PRIx64 ", the probe 0x%" PRIx64,
           stride, probe_stride);
    }
    if (version_out != NULL && !null_size &&
        version != DXEMEM_MEMORY_DESCRIPTOR_VERSION) {
      fail(h, "map wrote descriptor version %u", version);
    }
    if (key_out != NULL && !null_size && key != dxemem_get_map_key(h->d)) {
      fail(h, "map wrote key 0x%" PRIx64 ", the instance has 0x%" PRIx64, key,
           dxemem_get_map_key(h->d));
    }
    if (status == DXEMEM_BUFFER_TOO_SMALL && size <= passed) {
      fail(h, "map too small for 0x%" PRIx64 " bytes, yet asks 0x%" PRIx64,
           passed, size);
    }
  }
  if (buffer != NULL && !h->corrupted) {
    /* Nothing past the size the probe asked for (edk2 clears that much)
     * or the size returned, both inside the size passed. A buffer smaller
     * than the probe asked for stays untouched. After an overlapping add
     * the bins may split more descriptors than the probe counts, so the
     * map may use, and leave behind, anything up to the size passed. */
    uint64_t written = passed < needed ? 0
                       : h->overlapped || status != DXEMEM_SUCCESS
                           ? passed
                           : (needed > size ? needed : size);
    size_t clean_from = written < allocated ? (size_t)written : allocated;
    if (host_size == 0) {
      clean_from = 0; /* passed 0: the one byte is past it */
    }
    for (size_t i = clean_from; i < allocated; i++) {
      if (buffer[i] != 0xa5) {
        fail(h,
             "map (%s) wrote byte 0x%zx of a 0x%" PRIx64 "-byte buffer "
             "(0x%" PRIx64 " needed)",
             status_text(status), i, passed, needed);
      }
    }
    if (status == DXEMEM_SUCCESS) {
      if (size > passed) {
        fail(h,
             "map returned size 0x%" PRIx64 " for a 0x%" PRIx64 "-byte buffer",
             size, passed);
      }
      check_descriptors(h, buffer, size, probe_stride);
    }
  }
  if (key_out != NULL && !null_size) {
    h->last_key = key;
  }
  free(buffer);
  after_call(h);
  check_ownership(h);
}

static void do_terminate(harness *h, const record *r) {
  uint64_t current = dxemem_get_map_key(h->d);
  uint64_t key;
  switch (r->a % 4) {
  case 0:
    key = h->last_key;
    break;
  case 1:
    key = current;
    break;
  case 2:
    key = current + 1 - (r->x1 % 3);
    break;
  default:
    key = r->y;
    break;
  }
  dxemem_status status = dxemem_terminate_memory_map(h->d, key);
  expect_status(h, status, ST_SUCCESS | ST_INVALID,
                "terminate with key 0x%" PRIx64 " (key 0x%" PRIx64 ")", key,
                current);
  if (status == DXEMEM_SUCCESS && key != current) {
    fail(h, "terminate with key 0x%" PRIx64 " succeeded, the key is 0x%" PRIx64,
         key, current);
  }
  after_call(h);
  check_ownership(h);
}

static void do_pool_alloc(harness *h, const record *r) {
  uint32_t type = pick_type(r->b, r->x2);
  uint64_t pages = pick_pages(h, r->c, r->x1, r->y >> 11);
  uint64_t alignment;
  switch (r->a % 4) {
  case 0:
    alignment = PAGE;
    break;
  case 1:
    alignment = PAGE << (r->x2 % 9);
    break;
  case 2:
    alignment = r->y;
    break;
  default:
    alignment = PAGE << (r->x2 % 52);
    break;
  }
  bool null_pointer = (r->a >> 6) == 3;
  uint64_t memory = 0;
  dxemem_status status = dxemem_allocate_pool_pages(
      h->d, type, pages, alignment, null_pointer ? NULL : &memory);
  /* The search looks at one entry at a time; only overlapping entries
   * can make the conversion of what it found fail. */
  uint64_t allowed = ST_SUCCESS | ST_INVALID | ST_OUT_OF_RESOURCES;
  if (h->overlapped) {
    allowed |= ST_NOT_FOUND;
  }
  expect_status(h, status, allowed,
                "allocate pool pages type 0x%x, 0x%" PRIx64
                " pages, alignment 0x%" PRIx64 "%s: 0x%" PRIx64,
                type, pages, alignment, null_pointer ? " (NULL)" : "", memory);
  bool type_ok = type < DXEMEM_MAX_MEMORY_TYPE
                     ? type != DXEMEM_CONVENTIONAL_MEMORY &&
                           type != DXEMEM_PERSISTENT_MEMORY &&
                           type != DXEMEM_UNACCEPTED_MEMORY_TYPE
                     : type >= DXEMEM_OEM_RESERVED_MIN;
  bool alignment_ok = alignment >= PAGE && (alignment & (alignment - 1)) == 0;
  if (status == DXEMEM_SUCCESS &&
      (null_pointer || !type_ok || !alignment_ok || pages == 0)) {
    fail(h,
         "allocate pool pages (type 0x%x, 0x%" PRIx64
         " pages, alignment 0x%" PRIx64 ") succeeded",
         type, pages, alignment);
  }
  if (status != DXEMEM_SUCCESS) {
    after_call(h);
    check_ownership(h);
    return;
  }
  uint64_t first = 0;
  bool inside = check_new_allocation(h, "allocate pool pages", memory, pages,
                                     alignment, &first);
  after_call(h);
  if (inside) {
    take_allocation(h, first, pages, type);
  }
  check_ownership(h);
}

static void do_set_info(harness *h, const record *r) {
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
    bool rounds = dxemem_get_reference(h->d) ==
                  DXEMEM_REFERENCE_EDK2_MASTER_2026_08;
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
        want.number_of_pages = (uint32_t)(
            ((uint64_t)want.number_of_pages + unit - 1) / unit * unit);
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

static void do_binrange(harness *h, const record *r) {
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

static void do_granularity(harness *h, const record *r) {
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
static void scribble_at(harness *h, uint64_t offset, size_t length,
                        uint64_t value) {
  if (h->verbose) {
    fprintf(stderr, "op %zu: scribble %zu bytes at 0x%" PRIx64 "%s\n",
            h->op_index, length, h->base + offset,
            h->corrupted ? "" : " (free memory)");
  }
  for (size_t i = 0; i < length && offset + i < h->size; i++) {
    h->host[offset + i] = (unsigned char)(value >> (8 * (i % 8)));
  }
}

static void do_scribble(harness *h, const record *r) {
  size_t length = 1 + r->b % 8;
  uint64_t value = mix(r->y);
  switch ((scribble_kind)(r->a % SCRIBBLE_KINDS)) {
  case SCRIBBLE_FREE_PAGE:
    /* Free memory is the caller's to trash (in a real firmware: a bug in
     * the caller, not in the allocator) and must not matter. */
    if (!checks_on(h) || !h->map_seen) {
      return;
    }
    for (uint64_t n = 0; n < h->pages; n++) {
      uint64_t i = (r->x1 + n) % h->pages;
      const page_shadow *p = &h->shadow[i];
      if (p->mapped && p->map_type == DXEMEM_CONVENTIONAL_MEMORY &&
          p->owner == 0 && !p->holds_entries) {
        scribble_at(h, i * PAGE + r->x2 % (PAGE - length + 1), length, value);
        break;
      }
    }
    break;
  case SCRIBBLE_ENTRY:
    if (h->entry_sample_count == 0) {
      return;
    }
    h->corrupted = true;
    scribble_at(h,
                h->entry_samples[r->x1 % h->entry_sample_count] - h->base +
                    r->x2 % 64,
                length, value);
    break;
  case SCRIBBLE_ENTRY_PAGE:
    for (uint64_t n = 0; n < h->pages; n++) {
      uint64_t i = (r->x1 + n) % h->pages;
      if (h->shadow[i].holds_entries) {
        h->corrupted = true;
        scribble_at(h, i * PAGE + r->x2 % PAGE, length, value);
        break;
      }
    }
    break;
  default:
    h->corrupted = true;
    scribble_at(h, r->y % h->size, length, value);
    break;
  }
  after_call(h);
  check_ownership(h);
}

static bool stop_after(void *context, const dxemem_entry_info *e) {
  (void)e;
  uint64_t *left = context;
  return --*left > 0;
}

static bool count_entry(void *context, const dxemem_entry_info *e) {
  (void)e;
  ++*(uint64_t *)context;
  return true;
}

static void do_read(harness *h, const record *r) {
  switch (r->a % 8) {
  case 0: {
    uint32_t type = r->x1 % 20;
    dxemem_type_statistics s;
    dxemem_status status = dxemem_get_type_statistics(h->d, type, &s);
    if ((status == DXEMEM_SUCCESS) != (type <= DXEMEM_MAX_MEMORY_TYPE)) {
      fail(h, "statistics of type %u: %s", type, status_text(status));
    }
    if (dxemem_get_type_statistics(h->d, type, NULL) !=
        DXEMEM_INVALID_PARAMETER) {
      fail(h, "statistics into NULL accepted");
    }
    break;
  }
  case 1: {
    size_t index = r->x1 % 20;
    dxemem_memory_type_information info;
    dxemem_status status =
        dxemem_get_memory_type_information(h->d, index, &info);
    if ((status == DXEMEM_SUCCESS) != (index <= DXEMEM_MAX_MEMORY_TYPE)) {
      fail(h, "memory type information slot %zu: %s", index,
           status_text(status));
    }
    break;
  }
  case 2: {
    uint64_t base = 0, maximum = 0;
    if (dxemem_get_default_range(h->d, &base, &maximum) != DXEMEM_SUCCESS) {
      fail(h, "dxemem_get_default_range failed");
    }
    uint64_t granularity = dxemem_get_runtime_granularity(h->d);
    if (granularity != PAGE && granularity != 65536) {
      fail(h, "runtime granularity reads 0x%" PRIx64, granularity);
    }
    (void)dxemem_bins_initialized(h->d);
    break;
  }
  case 3: { /* for_each_entry stops when told */
    uint64_t total = 0;
    dxemem_status status = dxemem_for_each_entry(h->d, count_entry, &total);
    uint64_t want = 1 + r->x1 % 8;
    uint64_t left = want;
    dxemem_status again = dxemem_for_each_entry(h->d, stop_after, &left);
    if (!h->corrupted && status == DXEMEM_SUCCESS && again == DXEMEM_SUCCESS &&
        want - left != (total < want ? total : want)) {
      fail(h,
           "for_each_entry visited %" PRIu64
           " entries after stopping at %" PRIu64,
           want - left, want);
    }
    break;
  }
  case 4: { /* phys_to_host and back */
    uint64_t phys = pick_address(h, r->b, r->x1, r->y);
    uint64_t length = r->c % 2 == 0 ? r->x2 : r->y >> (r->c % 64);
    void *host = dxemem_phys_to_host(h->d, phys, length);
    bool inside = inside_region(h, phys, length);
    if ((host != NULL) != inside ||
        (host != NULL && host != (void *)(h->host + (phys - h->base)))) {
      fail(h, "phys_to_host(0x%" PRIx64 ", 0x%" PRIx64 ") gave %p", phys,
           length, host);
    }
    uint64_t back = 0;
    if (host != NULL && phys - h->base < h->size &&
        (!dxemem_host_to_phys(h->d, host, &back) || back != phys)) {
      fail(h, "host_to_phys does not undo phys_to_host at 0x%" PRIx64, phys);
    }
    /* Just outside, within our guard pages. */
    if (dxemem_host_to_phys(h->d, h->host - 1, &back) ||
        dxemem_host_to_phys(h->d, h->host + h->size, &back)) {
      fail(h, "host_to_phys accepted a pointer outside the region");
    }
    break;
  }
  case 5: { /* names */
    uint32_t type = r->x1 % 2 == 0 ? r->x2 % 24 : (uint32_t)r->y;
    if ((dxemem_memory_type_name(type) != NULL) !=
        (type <= DXEMEM_MAX_MEMORY_TYPE)) {
      fail(h, "memory type 0x%x has name %s", type,
           dxemem_memory_type_name(type) != NULL ? "one" : "none");
    }
    (void)dxemem_status_name(r->y);
    (void)dxemem_status_name(DXEMEM_ERROR(r->x1 % 40));
    break;
  }
  case 6: { /* NULL instances */
    uint64_t memory = 0;
    if (dxemem_allocate_pages(NULL, 0, DXEMEM_BOOT_SERVICES_DATA, 1, &memory) !=
            DXEMEM_INVALID_PARAMETER ||
        dxemem_check(NULL, NULL) != DXEMEM_INVALID_PARAMETER ||
        dxemem_phys_to_host(NULL, h->base, 0) != NULL) {
      fail(h, "a call on a NULL instance did not return INVALID_PARAMETER");
    }
    break;
  }
  default:
    /* After an overlapping add a page may be handed out twice, so pool
     * blocks can be overwritten by their owner's neighbour (edk2 too). */
    if (!h->corrupted && !(h->overlapped && h->pool.any) &&
        dxemem_last_corruption(h->d) != 0) {
      fail(h, "last corruption 0x%" PRIx64 " without any scribble",
           dxemem_last_corruption(h->d));
    }
    break;
  }
  after_call(h);
  check_ownership(h);
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
  expect_create_error(h, "storage inside the region",
                      h->host + h->size - 8, size, good);
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
