/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * The instance: creation, setup, the fake physical region, events, the
 * lock, and read access. No state lives outside struct dxemem.
 */
#include "internal.h"

/* The public bound callers size static storage with: raise it (a new
 * version) rather than let the instance outgrow it. */
_Static_assert(sizeof(struct dxemem) <= DXEMEM_INSTANCE_SIZE_MAX,
               "struct dxemem outgrew DXEMEM_INSTANCE_SIZE_MAX");
_Static_assert(_Alignof(struct dxemem) <= DXEMEM_INSTANCE_ALIGN,
               "struct dxemem needs more than DXEMEM_INSTANCE_ALIGN");

size_t dxemem_instance_size(void) {
  return sizeof(struct dxemem);
}

static bool granularity_supported(uint64_t bytes) {
  return bytes == DEFAULT_GRANULARITY || bytes == UINT64_C(65536);
}

static void init_head(dxemem *d, entry_ref head) {
  map_entry *h = dx_node(d, head);
  memset(h, 0, sizeof *h);
  h->signature = DXEMEM_ENTRY_SIGNATURE;
  h->next = head;
  h->prev = head;
  dx_entry_seal(d, head);
}

/* [a, a + a_size) and [b, b + b_size) share a byte (sizes > 0), written on
 * offsets so that nothing wraps. */
bool dx_host_ranges_overlap(const void *a, uint64_t a_size, const void *b,
                            uint64_t b_size) {
  uintptr_t x = (uintptr_t)a;
  uintptr_t y = (uintptr_t)b;
  return x >= y ? (uint64_t)(x - y) < b_size : (uint64_t)(y - x) < a_size;
}

dxemem_status dxemem_create(void *storage, size_t storage_size,
                            const dxemem_config *config, dxemem **out) {
  if (out != NULL) {
    *out = NULL;
  }
  if (storage == NULL || out == NULL || config == NULL ||
      storage_size < sizeof(struct dxemem) ||
      ((uintptr_t)storage % sizeof(uint64_t)) != 0) {
    return DXEMEM_INVALID_PARAMETER;
  }
  uint64_t granularity = config->runtime_granularity != 0
                             ? config->runtime_granularity
                             : DEFAULT_GRANULARITY;
  if (config->region_host == NULL ||
      ((uintptr_t)config->region_host % sizeof(uint64_t)) != 0 ||
      (config->region_base & DXEMEM_PAGE_MASK) != 0 ||
      config->region_size == 0 ||
      (config->region_size & DXEMEM_PAGE_MASK) != 0 ||
      config->region_size - 1 > UINT64_MAX - config->region_base ||
      config->region_size - 1 > (uint64_t)(SIZE_MAX - 1) ||
      !granularity_supported(granularity) ||
      dx_reference_ops_of(config->reference) == NULL) {
    return DXEMEM_INVALID_PARAMETER;
  }
  /* The region is the allocator's to hand out and to keep entries in: the
   * instance inside it would be overwritten by the next refuel or by a
   * caller filling what it allocated. */
  if (dx_host_ranges_overlap(storage, sizeof(struct dxemem),
                             config->region_host, config->region_size)) {
    return DXEMEM_INVALID_PARAMETER;
  }
  bool want_index = !config->list_path && config->index_storage != NULL;
  if (config->check_level > DXEMEM_CHECK_FULL ||
      (want_index &&
       (((uintptr_t)config->index_storage % sizeof(uint64_t)) != 0 ||
        config->index_storage_size < dxemem_index_size(1) ||
        dx_host_ranges_overlap(config->index_storage,
                               config->index_storage_size,
                               config->region_host, config->region_size)))) {
    return DXEMEM_INVALID_PARAMETER;
  }

  dxemem *d = storage;
  memset(d, 0, sizeof *d);
  d->magic = DXEMEM_INSTANCE_MAGIC;
  d->reference = dx_reference_ops_of(config->reference);
  d->reference_id = config->reference;
  d->region_base = config->region_base;
  d->region_size = config->region_size;
  d->region_host = config->region_host;
  d->runtime_granularity = granularity;
  d->config = *config;
  d->event_mask = config->event == NULL     ? 0u
                  : config->event_kinds != 0 ? config->event_kinds
                                             : UINT32_MAX;
  /* Differs per instance and per region, so entries of one instance never
   * pass as entries of another. */
  d->seal_key = (uint64_t)(uintptr_t)d ^ config->region_base ^
                ((uint64_t)(uintptr_t)config->region_host << 17) ^
                UINT64_C(0x6a09e667f3bcc908);
  init_head(d, REF_MAP_HEAD);
  init_head(d, REF_FREE_HEAD);
  dx_statistics_init(d);
  dx_pool_init(d);
  dx_guard_init(d);
  if (want_index) {
    dx_index_init(d, config->index_storage, config->index_storage_size);
  }
  *out = d;
  return DXEMEM_SUCCESS;
}

/* From inside one of the instance's own callbacks (busy) it does nothing:
 * the call that runs the callback still needs the instance. */
void dxemem_destroy(dxemem *d) {
  if (d != NULL && d->magic == DXEMEM_INSTANCE_MAGIC &&
      __atomic_load_n(&d->busy, __ATOMIC_ACQUIRE) == 0) {
    d->magic = 0;
  }
}

static bool instance_ok(const dxemem *d) {
  return d != NULL && d->magic == DXEMEM_INSTANCE_MAGIC;
}

dxemem_status dxemem_set_runtime_granularity(dxemem *d, uint64_t bytes) {
  dxemem_status status = dx_api_enter(d);
  if (status != DXEMEM_SUCCESS) {
    return status;
  }
  if (d->any_add) {
    status = DXEMEM_ALREADY_STARTED;
  } else if (!granularity_supported(bytes)) {
    status = DXEMEM_INVALID_PARAMETER;
  } else {
    d->runtime_granularity = bytes;
    /* The granularity is a build constant in edk2: the HOB was read with
     * it, so read it again. */
    if (d->hob_present && !d->bins_initialized) {
      dx_populate_memory_type_information(d);
    }
  }
  return dx_api_leave(d, status);
}

dxemem_status dxemem_set_memory_type_information(
    dxemem *d, const dxemem_memory_type_information *entries, size_t count) {
  dxemem_status status = dx_api_enter(d);
  if (status != DXEMEM_SUCCESS) {
    return status;
  }
  if (d->any_add) {
    status = DXEMEM_ALREADY_STARTED;
  } else if (count >= MEMORY_TYPE_SLOTS || (entries == NULL && count != 0)) {
    status = DXEMEM_INVALID_PARAMETER;
  } else {
    for (size_t i = 0; i < count; i++) {
      d->hob[i] = entries[i];
    }
    d->hob_count = count;
    d->hob_present = true;
    dx_populate_memory_type_information(d);
  }
  return dx_api_leave(d, status);
}

/* ---- region ------------------------------------------------------------- */

bool dx_region_contains(const dxemem *d, uint64_t start, uint64_t length) {
  return dx_region_host_of(d, start, length) != NULL;
}

void *dxemem_phys_to_host(const dxemem *d, uint64_t phys, uint64_t length) {
  if (!instance_ok(d)) {
    return NULL;
  }
  return dx_region_host_of(d, phys, length);
}

bool dxemem_host_to_phys(const dxemem *d, const void *host, uint64_t *phys) {
  if (!instance_ok(d) || host == NULL || phys == NULL) {
    return false;
  }
  uintptr_t h = (uintptr_t)host;
  uintptr_t base = (uintptr_t)d->region_host;
  if (h < base || (uint64_t)(h - base) >= d->region_size) {
    return false;
  }
  *phys = d->region_base + (uint64_t)(h - base);
  return true;
}

/* ---- events, lock, call prologue --------------------------------------- */

/* The edk2 function behind each event kind that has only one. */
static const char *event_function(dxemem_event_kind kind) {
  switch (kind) {
  case DXEMEM_EVENT_ADD_RANGE:
    return "CoreAddRange";
  case DXEMEM_EVENT_REFUEL:
    return "AllocateMemoryMapEntry";
  case DXEMEM_EVENT_CONVERT_TYPE:
  case DXEMEM_EVENT_CONVERT_ATTRIBUTE:
    return "CoreConvertPagesEx";
  case DXEMEM_EVENT_POOL_PAGES:
    return "CoreAllocatePoolPagesI";
  case DXEMEM_EVENT_POOL_CARVE:
  case DXEMEM_EVENT_POOL_REUSE:
    return "CoreAllocatePoolI";
  case DXEMEM_EVENT_POOL_PAGE_RETURN:
    return "CoreFreePoolPagesI";
  default:
    return "dxemem";
  }
}

static void deliver_event(dxemem *d, dxemem_event *ev) {
  ev->depth = (uint32_t)d->map_depth;
  ev->recursion = d->refuel_nesting;
  d->config.event(d->config.user_context, ev);
}

/* For events built elsewhere (hazards); the caller checked dx_event_wanted. */
void dx_emit_raw_event(dxemem *d, dxemem_event *ev) {
  deliver_event(d, ev);
}

void dx_emit_event(dxemem *d, dxemem_event_kind kind, uint32_t type,
                   uint64_t start, uint64_t end, uint64_t attribute) {
  if (!dx_event_wanted(d, kind)) {
    return;
  }
  dxemem_event ev;
  memset(&ev, 0, sizeof ev);
  ev.kind = kind;
  ev.type = type;
  ev.start = start;
  ev.end = end;
  ev.attribute = attribute;
  ev.function = event_function(kind);
  if (kind == DXEMEM_EVENT_REFUEL) {
    ev.entry_address = start;
  }
  deliver_event(d, &ev);
}

void dx_emit_stack_event(dxemem *d, dxemem_event_kind kind, const map_entry *e,
                         const char *function, entry_ref entry_address) {
  if (!dx_event_wanted(d, kind)) {
    return;
  }
  dxemem_event ev;
  memset(&ev, 0, sizeof ev);
  ev.kind = kind;
  ev.type = e->type;
  ev.start = e->start;
  ev.end = e->end;
  ev.attribute = e->attribute;
  ev.merged_away = kind == DXEMEM_EVENT_STACK_POP && entry_address == REF_NULL;
  ev.function = function;
  ev.entry_address = entry_address;
  deliver_event(d, &ev);
}

/* gMemoryLock: the caller's callbacks, when it gave any. */
void dx_lock(const dxemem *d) {
  if (d->config.lock != NULL) {
    d->config.lock(d->config.user_context);
  }
}

void dx_unlock(const dxemem *d) {
  if (d->config.unlock != NULL) {
    d->config.unlock(d->config.user_context);
  }
}

/* Claims the instance for one call: the lock (when the caller gave lock
 * callbacks), then the busy mark. The mark is what refuses re-entry: a
 * call from one of the instance's own callbacks (event, visit, assert)
 * finds it set and gets DXEMEM_ACCESS_DENIED, as edk2's
 * EfiAcquireLockOrFail answers for a lock already held. Without lock
 * callbacks the mark is taken with one atomic exchange, so two threads
 * that share an instance without locks are refused instead of corrupting
 * it (the contract says they must not, the check makes it safe). */
bool dx_claim(dxemem *d) {
  if (d->config.lock == NULL) {
    return __atomic_exchange_n(&d->busy, 1u, __ATOMIC_ACQUIRE) == 0;
  }
  dx_lock(d);
  if (d->busy != 0) {
    dx_unlock(d); /* a recursive lock let a callback back in */
    return false;
  }
  d->busy = 1;
  return true;
}

void dx_release(dxemem *d) {
  if (d->config.lock == NULL) {
    __atomic_store_n(&d->busy, 0u, __ATOMIC_RELEASE);
    return;
  }
  d->busy = 0;
  dx_unlock(d);
}

/* Every public call that reads or changes the map starts here: claim the
 * instance, then make sure nobody scribbled over the entries, so the algorithms
 * can trust every link they follow. At DXEMEM_CHECK_TOUCHED an indexed
 * instance skips the walk: the map operations check each entry they touch
 * (map_list.c). The list path, calls that read the whole list and
 * DXEMEM_CHECK_FULL walk both lists (and compare the index with them). */
static dxemem_status enter(dxemem *d, bool whole_list) {
  if (!instance_ok(d)) {
    return DXEMEM_INVALID_PARAMETER;
  }
  if (!dx_claim(d)) {
    return DXEMEM_ACCESS_DENIED;
  }
  d->touch_failed = false;
  d->touched_count = 0;
  bool walk = whole_list || !d->indexed || d->index_stale ||
              d->config.check_level == DXEMEM_CHECK_FULL;
  if (walk) {
    uint64_t bad = 0;
    if (dx_validate_map_list(d, &bad) != DXEMEM_SUCCESS ||
        (d->indexed && !d->index_stale && !dx_index_matches_list(d, &bad))) {
      d->last_corruption = bad;
      dx_release(d);
      return DXEMEM_VOLUME_CORRUPTED;
    }
  }
  if (d->index_stale) {
    dx_index_rebuild(d);
    d->index_stale = false;
  }
  return DXEMEM_SUCCESS;
}

dxemem_status dx_api_enter(dxemem *d) {
  return enter(d, false);
}

dxemem_status dx_api_enter_whole_list(dxemem *d) {
  return enter(d, true);
}

dxemem_status dx_api_leave(dxemem *d, dxemem_status status) {
  if (d->touch_failed) {
    /* An entry failed its check before it was used; nothing changed. */
    status = DXEMEM_VOLUME_CORRUPTED;
    d->touch_failed = false;
  }
  if (d->config.check_every_call) {
    dxemem_violation v;
    if (dx_check_locked(d, &v) != DXEMEM_SUCCESS &&
        d->config.assert_failed != NULL) {
      d->config.assert_failed(d->config.user_context, v.message);
    }
  }
  dx_release(d);
  return status;
}

/* ---- read access -------------------------------------------------------- */
/* Readers claim the instance too, so a reader on one thread never sees a
 * half-made change from another, and one called from a callback is
 * refused (DXEMEM_ACCESS_DENIED; 0 from dxemem_get_map_key). The one-word
 * getters below them take no lock and answer anywhere. The cast: the
 * busy mark is the only thing a reader writes. */
#define READER(d) ((dxemem *)(uintptr_t)(d))

dxemem_status dxemem_get_type_statistics(const dxemem *d, uint32_t type,
                                         dxemem_type_statistics *out) {
  if (!instance_ok(d) || out == NULL || type >= MEMORY_TYPE_SLOTS) {
    return DXEMEM_INVALID_PARAMETER;
  }
  if (!dx_claim(READER(d))) {
    return DXEMEM_ACCESS_DENIED;
  }
  const type_statistics *s = &d->stats[type];
  out->base_address = s->base_address;
  out->maximum_address = s->maximum_address;
  out->current_number_of_pages = s->current_number_of_pages;
  out->number_of_pages = s->number_of_pages;
  out->information_index = s->information_index;
  out->special = s->special;
  out->runtime = s->runtime;
  dx_release(READER(d));
  return DXEMEM_SUCCESS;
}

dxemem_status dxemem_get_default_range(const dxemem *d, uint64_t *base,
                                       uint64_t *maximum) {
  if (!instance_ok(d) || base == NULL || maximum == NULL) {
    return DXEMEM_INVALID_PARAMETER;
  }
  if (!dx_claim(READER(d))) {
    return DXEMEM_ACCESS_DENIED;
  }
  *base = d->default_base;
  *maximum = d->default_max;
  dx_release(READER(d));
  return DXEMEM_SUCCESS;
}

dxemem_status
dxemem_get_memory_type_information(const dxemem *d, size_t index,
                                   dxemem_memory_type_information *out) {
  if (!instance_ok(d) || out == NULL || index >= MEMORY_TYPE_SLOTS) {
    return DXEMEM_INVALID_PARAMETER;
  }
  if (!dx_claim(READER(d))) {
    return DXEMEM_ACCESS_DENIED;
  }
  *out = d->info[index];
  dx_release(READER(d));
  return DXEMEM_SUCCESS;
}

uint64_t dxemem_get_map_key(const dxemem *d) {
  if (!instance_ok(d)) {
    return 0;
  }
  if (!dx_claim(READER(d))) {
    return 0;
  }
  uint64_t key = d->map_key;
  dx_release(READER(d));
  return key;
}

uint32_t dxemem_get_reference(const dxemem *d) {
  return instance_ok(d) ? d->reference_id : DXEMEM_REFERENCE_COUNT;
}

uint64_t dxemem_get_runtime_granularity(const dxemem *d) {
  return instance_ok(d) ? d->runtime_granularity : 0;
}

bool dxemem_bins_initialized(const dxemem *d) {
  return instance_ok(d) && d->bins_initialized;
}

uint64_t dxemem_last_corruption(const dxemem *d) {
  return instance_ok(d) ? d->last_corruption : 0;
}

dxemem_status dxemem_for_each_entry(dxemem *d,
                                    bool (*visit)(void *ctx,
                                                  const dxemem_entry_info *e),
                                    void *ctx) {
  if (visit == NULL) {
    return DXEMEM_INVALID_PARAMETER;
  }
  dxemem_status status = dx_api_enter_whole_list(d);
  if (status != DXEMEM_SUCCESS) {
    return status;
  }
  /* visit cannot call in (the busy mark), but it may write anywhere, even
   * over entries: the next link is read before it runs, and the walk is
   * bounded by the entries the instance keeps (a scribble shows at the
   * next call's validation). */
  uint64_t left = d->map_entries + d->map_depth;
  entry_ref next = REF_NULL;
  for (entry_ref r = dx_list_first(d, REF_MAP_HEAD);
       r != REF_MAP_HEAD && left > 0; r = next, left--) {
    const map_entry *e = dx_node(d, r);
    next = e->next;
    dxemem_entry_info info;
    info.start = e->start;
    info.end = e->end;
    info.attribute = e->attribute;
    info.type = e->type;
    info.from_pages = e->from_pages != 0;
    info.entry_address = REF_IS_HOST(r) ? 0 : r;
    if (!visit(ctx, &info)) {
      break;
    }
  }
  return dx_api_leave(d, DXEMEM_SUCCESS);
}

dxemem_status dxemem_get_counts(const dxemem *d, dxemem_counts *out) {
  if (!instance_ok(d) || out == NULL) {
    return DXEMEM_INVALID_PARAMETER;
  }
  if (!dx_claim(READER(d))) {
    return DXEMEM_ACCESS_DENIED;
  }
  out->map_entries = d->map_entries;
  out->free_entries = d->free_entries;
  out->refuel_pages = d->refuel_pages;
  out->stack_depth = d->map_depth;
  dx_release(READER(d));
  return DXEMEM_SUCCESS;
}
