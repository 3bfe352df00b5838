/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * The runner: applies each command of a trace to one hosted dxemem
 * instance and hands the outcome to a printer.
 *
 * Every trace error (unknown @name, an offset that wraps, a range outside
 * the region, a full name table) is found before the command touches the
 * allocator, so a failing line has no effect and prints nothing.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, fileno, isatty */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "trace.h"

typedef struct runner {
  const trace_run_options *options;
  dxemem_host_instance instance; /* created by `region` */
  uint64_t region_base, region_bytes;
  uint64_t line; /* of the command being run */
  trace_names names;
  uint64_t last_map_key;     /* of the latest `map`; 0 before any */
  unsigned char *map_buffer; /* reused by every `map` */
  size_t map_capacity;
  trace_stats stats; /* filled by `stats` */
  trace_pool_stats pool_stats; /* filled by `poolstats` */
  size_t oem_capacity;
  bool protecting;   /* guard pages are PROT_NONE (heap guard) */
  /* Human view: the command not printed yet; it is printed by its first
   * event or its result, so a line that fails early prints nothing. */
  const trace_command *unprinted;
  uint32_t last_recursion; /* of the command's previous event */
  char why[TRACE_MESSAGE_MAX]; /* a failure's reason, for the human view */
} runner;

/* Where a free/fill/check lands once its reference is resolved. */
typedef struct resolved_ref {
  uint64_t address;
  const trace_binding *binding; /* for @name, else NULL */
} resolved_ref;

/* The largest map buffer the runner hands to GetMemoryMap. */
#define MAP_BUFFER_CAP (UINT64_C(64) << 20)

/* ---- diagnostics ------------------------------------------------------- */

/* Prints `LINE: KIND: message` after the results of earlier lines and
 * returns status; KIND follows status. */
TRACE_PRINTF_LIKE(3, 4)
static trace_exit fail(runner *r, trace_exit status, const char *format, ...) {
  const char *kind = status == TRACE_EXIT_TRACE_ERROR    ? "error"
                     : status == TRACE_EXIT_HOST_FAILURE ? "host failure"
                                                         : "invariant";
  char message[TRACE_MESSAGE_MAX + 128];
  va_list args;
  va_start(args, format);
  vsnprintf(message, sizeof(message), format, args);
  va_end(args);
  fflush(r->options->out);
  fprintf(r->options->err, "%" PRIu64 ": %s: %s\n", r->line, kind, message);
  fflush(r->options->err);
  const trace_observer *observer = r->options->observer;
  if (observer != NULL && observer->stopped != NULL) {
    observer->stopped(observer->context, r->line, kind, message);
  }
  return status;
}

static trace_exit unexpected_status(runner *r, const char *call,
                                    dxemem_status status) {
  char text[19];
  return fail(r, TRACE_EXIT_INVARIANT, "%s returned %s", call,
              trace_status_text(status, text));
}

/* ---- operands ---------------------------------------------------------- */

/* [start, start + pages * 4 KiB) inside the region; 0 pages may sit at its
 * very end. Written on offsets so that nothing overflows. */
static bool inside_region(const runner *r, uint64_t start, uint64_t pages) {
  if (start < r->region_base || start - r->region_base > r->region_bytes) {
    return false;
  }
  uint64_t room = r->region_bytes - (start - r->region_base);
  return pages <= room / DXEMEM_PAGE_SIZE;
}

static trace_exit outside_region(runner *r, const char *what, uint64_t start,
                                 uint64_t pages) {
  return fail(r, TRACE_EXIT_TRACE_ERROR,
              "%s of 0x%" PRIx64 " pages at 0x%" PRIx64
              " is not inside the region 0x%" PRIx64 "-0x%" PRIx64,
              what, pages, start, r->region_base,
              r->region_base + (r->region_bytes - 1));
}

static trace_exit resolve(runner *r, const trace_ref *ref, resolved_ref *out) {
  out->address = ref->value;
  out->binding = NULL;
  if (!ref->is_name) {
    return TRACE_EXIT_OK;
  }
  out->binding = trace_names_find(&r->names, ref->name);
  if (out->binding == NULL) {
    return fail(r, TRACE_EXIT_TRACE_ERROR,
                "unknown name @%s (no successful alloc bound it)", ref->name);
  }
  if (ref->value > UINT64_MAX - out->binding->address) {
    return fail(r, TRACE_EXIT_TRACE_ERROR, "@%s+0x%" PRIx64 " wraps past 2^64",
                ref->name, ref->value);
  }
  out->address = out->binding->address + ref->value;
  return TRACE_EXIT_OK;
}

/* ---- commands ---------------------------------------------------------- */

static void print_pending_command(runner *r) {
  if (r->unprinted != NULL) {
    trace_print_human_command(r->options->out, r->unprinted);
    r->unprinted = NULL;
  }
}

/* A hazard (edk2 did something no caller can want, and dxemem did it too)
 * is a warning on stderr; the results stay the reference's. */
static void warn_hazard(runner *r, const dxemem_event *event) {
  const char *what = dxemem_hazard_name(event->hazard);
  fflush(r->options->out);
  if (event->hazard == DXEMEM_HAZARD_POOL_OVERLAP) {
    fprintf(r->options->err, "%" PRIu64 ": warning: %s: 0x%" PRIx64 " bytes\n",
            r->line, what, event->start);
  } else {
    fprintf(r->options->err,
            "%" PRIu64 ": warning: %s: 0x%016" PRIx64 "-0x%016" PRIx64 "\n",
            r->line, what != NULL ? what : "hazard", event->start,
            event->end);
  }
  fflush(r->options->err);
}

static void on_event(void *context, const dxemem_event *event) {
  runner *r = context;
  if (event->kind == DXEMEM_EVENT_HAZARD) {
    warn_hazard(r, event);
  }
  const trace_observer *observer = r->options->observer;
  if (observer != NULL && observer->event != NULL) {
    observer->event(observer->context, event);
  }
  if (!r->options->check_output && !r->options->shell_format &&
      r->options->events) {
    print_pending_command(r);
    trace_print_human_event(r->options->out, event, r->last_recursion);
  }
  r->last_recursion = event->recursion;
}

static trace_exit run_region(runner *r, const trace_command *command) {
  dxemem_config config = {
      .region_base = command->region.base,
      .region_size = command->region.bytes,
      .reference = r->options->reference,
      /* --verify: every call also walks both lists and checks the index. */
      .check_level =
          r->options->verify ? DXEMEM_CHECK_FULL : DXEMEM_CHECK_TOUCHED,
  };
  config.user_context = r;
  config.event = on_event;
  dxemem_status status = dxemem_host_create(&config, &r->instance);
  if (status == DXEMEM_OUT_OF_RESOURCES) {
    return fail(r, TRACE_EXIT_HOST_FAILURE,
                "cannot map a region of 0x%" PRIx64 " bytes: %s",
                command->region.bytes, strerror(errno));
  }
  if (status != DXEMEM_SUCCESS) {
    return unexpected_status(r, "dxemem_create", status);
  }
  r->region_base = command->region.base;
  r->region_bytes = command->region.bytes;
  if (r->options->bins_override_set) {
    status = dxemem_set_memory_type_information(
        r->instance.allocator, r->options->bins_override,
        r->options->bins_override_count);
    if (status != DXEMEM_SUCCESS) {
      return unexpected_status(r, "dxemem_set_memory_type_information",
                               status);
    }
  }
  return TRACE_EXIT_OK;
}

static trace_exit run_setup(runner *r, const trace_command *command,
                            trace_outcome *outcome) {
  dxemem *d = r->instance.allocator;
  switch (command->op) {
  case TRACE_OP_GRANULARITY:
    outcome->status =
        dxemem_set_runtime_granularity(d, command->granularity.bytes);
    if (outcome->status != DXEMEM_SUCCESS) {
      return unexpected_status(r, "dxemem_set_runtime_granularity",
                               outcome->status);
    }
    return TRACE_EXIT_OK;
  case TRACE_OP_BINS:
    if (r->options->bins_override_set) { /* this boot's bins are set */
      outcome->status = DXEMEM_SUCCESS;
      return TRACE_EXIT_OK;
    }
    outcome->status = dxemem_set_memory_type_information(
        d, command->bins.entries, command->bins.count);
    if (outcome->status != DXEMEM_SUCCESS) {
      return unexpected_status(r, "dxemem_set_memory_type_information",
                               outcome->status);
    }
    return TRACE_EXIT_OK;
  case TRACE_OP_GUARD:
    outcome->status = dxemem_set_heap_guard(d, command->guard.property,
                                            command->guard.page_types,
                                            command->guard.pool_types);
    if (outcome->status != DXEMEM_SUCCESS) {
      return unexpected_status(r, "dxemem_set_heap_guard", outcome->status);
    }
    if (r->options->guard_faults && command->guard.property != 0 &&
        dxemem_host_guard_protect(&r->instance, true) == DXEMEM_SUCCESS) {
      r->protecting = true;
    }
    return TRACE_EXIT_OK;
  default: /* binrange: edk2 ignores a range the bins do not fit in */
    outcome->status = dxemem_set_memory_type_information_range(
        d, command->binrange.start, command->binrange.bytes);
    if (outcome->status != DXEMEM_SUCCESS &&
        outcome->status != DXEMEM_BAD_BUFFER_SIZE &&
        outcome->status != DXEMEM_ALREADY_STARTED) {
      return unexpected_status(r, "dxemem_set_memory_type_information_range",
                               outcome->status);
    }
    return TRACE_EXIT_OK;
  }
}

static trace_exit run_alloc(runner *r, const trace_command *command,
                            trace_outcome *outcome) {
  const char *name = command->alloc.name;
  if (name[0] != '\0' && !trace_names_room_for(&r->names, name)) {
    return fail(r, TRACE_EXIT_TRACE_ERROR,
                "too many names (at most %d, %zu bytes of names)",
                TRACE_NAMES_MAX, TRACE_NAME_BYTES_MAX);
  }
  uint64_t memory = command->alloc.address;
  outcome->status =
      dxemem_allocate_pages(r->instance.allocator, command->alloc.allocate_type,
                            command->alloc.type, command->alloc.pages, &memory);
  outcome->address = memory;
  if (outcome->status != DXEMEM_SUCCESS || name[0] == '\0') {
    return TRACE_EXIT_OK;
  }
  trace_binding binding = {memory, command->alloc.pages, false};
  if (trace_names_bind(&r->names, name, binding) != TRACE_BIND_OK) {
    return fail(r, TRACE_EXIT_HOST_FAILURE, "out of memory binding @%s", name);
  }
  return TRACE_EXIT_OK;
}

static trace_exit run_free(runner *r, const trace_command *command,
                           trace_outcome *outcome) {
  resolved_ref ref;
  trace_exit exit_status = resolve(r, &command->free.ref, &ref);
  if (exit_status != TRACE_EXIT_OK) {
    return exit_status;
  }
  /* Without PAGES the reference is a name (the parser makes sure). */
  if (!command->free.has_pages && ref.binding->is_pool) {
    return fail(r, TRACE_EXIT_TRACE_ERROR,
                "free @%s needs PAGES: the name was bound by pool",
                command->free.ref.name);
  }
  uint64_t pages =
      command->free.has_pages ? command->free.pages : ref.binding->pages;
  outcome->address = ref.address; /* for the reason of a failure */
  outcome->status =
      dxemem_free_pages(r->instance.allocator, ref.address, pages);
  return TRACE_EXIT_OK;
}

/* Grows the reusable map buffer to at least bytes (at least 1, so the
 * buffer passed is never NULL). */
static trace_exit map_buffer_reserve(runner *r, uint64_t bytes) {
  if (bytes == 0) {
    bytes = 1;
  }
  if (bytes <= r->map_capacity) {
    return TRACE_EXIT_OK;
  }
  void *buffer = bytes <= SIZE_MAX ? malloc((size_t)bytes) : NULL;
  if (buffer == NULL) {
    return fail(r, TRACE_EXIT_HOST_FAILURE,
                "cannot allocate 0x%" PRIx64 " bytes for the map", bytes);
  }
  free(r->map_buffer);
  r->map_buffer = buffer;
  r->map_capacity = (size_t)bytes;
  return TRACE_EXIT_OK;
}

/* `map`: a size probe (size 0, NULL buffer), then the real call with the
 * probed size, or with BYTES (capped at MAP_BUFFER_CAP). */
static trace_exit run_map(runner *r, const trace_command *command,
                          trace_outcome *outcome) {
  dxemem *d = r->instance.allocator;
  uint64_t needed = 0;
  outcome->status = dxemem_get_memory_map(d, &needed, NULL, &outcome->map_key,
                                          &outcome->descriptor_size,
                                          &outcome->descriptor_version);
  uint64_t passed = command->map.has_bytes ? command->map.bytes : needed;
  /* The core may write up to the size it is given (a bin split can need
   * more than the size it asked for, after overlapping adds), so the host
   * buffer is exactly what is passed; a huge BYTES is capped, which only
   * matters for a map of more than MAP_BUFFER_CAP bytes. */
  if (passed > MAP_BUFFER_CAP) {
    passed = MAP_BUFFER_CAP;
  }
  uint64_t host_bytes = passed;
  trace_exit exit_status = map_buffer_reserve(r, host_bytes);
  if (exit_status != TRACE_EXIT_OK) {
    return exit_status;
  }
  outcome->map_size = passed;
  outcome->status = dxemem_get_memory_map(
      d, &outcome->map_size, (dxemem_memory_descriptor *)r->map_buffer,
      &outcome->map_key, &outcome->descriptor_size,
      &outcome->descriptor_version);
  r->last_map_key = outcome->map_key;
  if (outcome->status != DXEMEM_SUCCESS) {
    return TRACE_EXIT_OK;
  }
  if (outcome->map_size > host_bytes ||
      outcome->descriptor_size < sizeof(dxemem_memory_descriptor) ||
      outcome->map_size % outcome->descriptor_size != 0) {
    return fail(r, TRACE_EXIT_INVARIANT,
                "GetMemoryMap returned size 0x%" PRIx64
                " with descriptor size 0x%" PRIx64
                " after asking for 0x%" PRIx64,
                outcome->map_size, outcome->descriptor_size, needed);
  }
  outcome->descriptors = r->map_buffer;
  return TRACE_EXIT_OK;
}

static trace_exit run_stats(runner *r, trace_outcome *outcome) {
  const dxemem *d = r->instance.allocator;
  dxemem_status status = DXEMEM_SUCCESS;
  for (uint32_t type = 0; type < DXEMEM_MAX_MEMORY_TYPE; type++) {
    if (status == DXEMEM_SUCCESS) {
      status = dxemem_get_type_statistics(d, type, &r->stats.types[type]);
    }
  }
  if (status == DXEMEM_SUCCESS) {
    status = dxemem_get_default_range(d, &r->stats.default_base,
                                      &r->stats.default_maximum);
  }
  for (size_t i = 0; i <= DXEMEM_MAX_MEMORY_TYPE; i++) {
    if (status == DXEMEM_SUCCESS) {
      status = dxemem_get_memory_type_information(d, i, &r->stats.info[i]);
    }
  }
  if (status != DXEMEM_SUCCESS) {
    return unexpected_status(r, "a statistics read", status);
  }
  outcome->status = DXEMEM_SUCCESS;
  outcome->stats = &r->stats;
  return TRACE_EXIT_OK;
}

static trace_exit fill_too_big(runner *r, const char *what, uint64_t bytes) {
  return fail(r, TRACE_EXIT_TRACE_ERROR,
              "%s of 0x%" PRIx64 " bytes is above the limit of 0x%" PRIx64
              " bytes one command may write",
              what, bytes, TRACE_FILL_BYTES_MAX);
}

/* The shared body of fill/check and fillb/checkb, once the range is known
 * to lie inside the region: write BYTE over it, or find the first byte
 * that differs. Only writes are capped; a check reads what is there. */
static trace_exit write_or_compare(runner *r, const char *what,
                                   uint64_t address, uint64_t bytes,
                                   uint8_t byte, bool write,
                                   trace_outcome *outcome) {
  if (write && bytes > TRACE_FILL_BYTES_MAX) {
    return fill_too_big(r, what, bytes);
  }
  unsigned char *host =
      dxemem_phys_to_host(r->instance.allocator, address, bytes);
  if (host == NULL) {
    return fail(r, TRACE_EXIT_INVARIANT,
                "dxemem_phys_to_host refused 0x%" PRIx64 " bytes at 0x%" PRIx64
                " inside the region",
                bytes, address);
  }
  outcome->status = DXEMEM_SUCCESS;
  if (write) {
    memset(host, byte, (size_t)bytes);
    return TRACE_EXIT_OK;
  }
  for (uint64_t i = 0; i < bytes; i++) {
    if (host[i] != byte) {
      outcome->mismatch = true;
      outcome->address = address + i;
      break;
    }
  }
  return TRACE_EXIT_OK;
}

/* fill and check: the pages through the host mapping of the region. */
static trace_exit run_fill(runner *r, const trace_command *command,
                           trace_outcome *outcome) {
  resolved_ref ref;
  trace_exit exit_status = resolve(r, &command->fill.ref, &ref);
  if (exit_status != TRACE_EXIT_OK) {
    return exit_status;
  }
  uint64_t pages = command->fill.pages;
  if (!inside_region(r, ref.address, pages)) {
    return outside_region(r, command->op == TRACE_OP_FILL ? "fill" : "check",
                          ref.address, pages);
  }
  return write_or_compare(r, "fill", ref.address, pages * DXEMEM_PAGE_SIZE,
                          command->fill.byte, command->op == TRACE_OP_FILL,
                          outcome);
}

/* ---- version 2: pool ---------------------------------------------------- */

static trace_exit run_pool(runner *r, const trace_command *command,
                           trace_outcome *outcome) {
  const char *name = command->pool.name;
  if (name[0] != '\0' && !trace_names_room_for(&r->names, name)) {
    return fail(r, TRACE_EXIT_TRACE_ERROR,
                "too many names (at most %d, %zu bytes of names)",
                TRACE_NAMES_MAX, TRACE_NAME_BYTES_MAX);
  }
  uint64_t buffer = 0;
  outcome->status = dxemem_allocate_pool(
      r->instance.allocator, command->pool.type, command->pool.bytes, &buffer);
  outcome->address = buffer;
  if (outcome->status != DXEMEM_SUCCESS || name[0] == '\0') {
    return TRACE_EXIT_OK;
  }
  trace_binding binding = {buffer, 0, true};
  if (trace_names_bind(&r->names, name, binding) != TRACE_BIND_OK) {
    return fail(r, TRACE_EXIT_HOST_FAILURE, "out of memory binding @%s", name);
  }
  return TRACE_EXIT_OK;
}

static trace_exit run_freepool(runner *r, const trace_command *command,
                               trace_outcome *outcome) {
  resolved_ref ref;
  trace_exit exit_status = resolve(r, &command->freepool.ref, &ref);
  if (exit_status != TRACE_EXIT_OK) {
    return exit_status;
  }
  outcome->status = dxemem_free_pool(r->instance.allocator, ref.address, NULL);
  return TRACE_EXIT_OK;
}

/* fillb and checkb: bytes through the host mapping of the region. */
static trace_exit run_fillb(runner *r, const trace_command *command,
                            trace_outcome *outcome) {
  resolved_ref ref;
  trace_exit exit_status = resolve(r, &command->fillb.ref, &ref);
  if (exit_status != TRACE_EXIT_OK) {
    return exit_status;
  }
  uint64_t bytes = command->fillb.bytes;
  const char *what = command->op == TRACE_OP_FILLB ? "fillb" : "checkb";
  if (ref.address < r->region_base ||
      ref.address - r->region_base > r->region_bytes ||
      bytes > r->region_bytes - (ref.address - r->region_base)) {
    return fail(r, TRACE_EXIT_TRACE_ERROR,
                "%s of 0x%" PRIx64 " bytes at 0x%" PRIx64
                " is not inside the region 0x%" PRIx64 "-0x%" PRIx64,
                what, bytes, ref.address, r->region_base,
                r->region_base + (r->region_bytes - 1));
  }
  return write_or_compare(r, "fillb", ref.address, bytes, command->fillb.byte,
                          command->op == TRACE_OP_FILLB, outcome);
}

static trace_exit run_poolstats(runner *r, trace_outcome *outcome) {
  const dxemem *d = r->instance.allocator;
  trace_pool_stats *stats = &r->pool_stats;
  for (uint32_t type = 0; type < DXEMEM_MAX_MEMORY_TYPE; type++) {
    dxemem_status status = dxemem_get_pool_used(d, type, &stats->used[type]);
    if (status != DXEMEM_SUCCESS) {
      return unexpected_status(r, "dxemem_get_pool_used", status);
    }
  }
  stats->oem_count = 0;
  for (;;) {
    uint32_t type = 0;
    uint64_t used = 0;
    dxemem_status status =
        dxemem_get_oem_pool(d, stats->oem_count, &type, &used);
    if (status == DXEMEM_NOT_FOUND) {
      break;
    }
    if (status != DXEMEM_SUCCESS) {
      return unexpected_status(r, "dxemem_get_oem_pool", status);
    }
    if (stats->oem_count == r->oem_capacity) {
      size_t capacity = r->oem_capacity == 0 ? 16 : 2 * r->oem_capacity;
      uint32_t *types = realloc(stats->oem_types, capacity * sizeof(*types));
      if (types != NULL) {
        stats->oem_types = types;
      }
      uint64_t *useds = realloc(stats->oem_used, capacity * sizeof(*useds));
      if (useds != NULL) {
        stats->oem_used = useds;
      }
      if (types == NULL || useds == NULL) {
        return fail(r, TRACE_EXIT_HOST_FAILURE,
                    "out of memory reading the pools");
      }
      r->oem_capacity = capacity;
    }
    stats->oem_types[stats->oem_count] = type;
    stats->oem_used[stats->oem_count] = used;
    stats->oem_count++;
  }
  outcome->status = DXEMEM_SUCCESS;
  outcome->pool_stats = stats;
  return TRACE_EXIT_OK;
}

/* guardpage: IsGuardPage, IsMemoryGuarded and the CPU model's RP record. */
static trace_exit run_guardpage(runner *r, const trace_command *command,
                                trace_outcome *outcome) {
  resolved_ref ref;
  trace_exit exit_status = resolve(r, &command->guardpage.ref, &ref);
  if (exit_status != TRACE_EXIT_OK) {
    return exit_status;
  }
  if (ref.address == 0 || (ref.address & DXEMEM_PAGE_MASK) != 0 ||
      !inside_region(r, ref.address, 0)) {
    return fail(r, TRACE_EXIT_TRACE_ERROR,
                "guardpage 0x%" PRIx64 " is not a nonzero page address in the "
                "region 0x%" PRIx64 "-0x%" PRIx64,
                ref.address, r->region_base,
                r->region_base + (r->region_bytes - 1));
  }
  dxemem_guard_page_info info;
  outcome->status =
      dxemem_guard_page_query(r->instance.allocator, ref.address, &info);
  if (outcome->status != DXEMEM_SUCCESS) {
    return unexpected_status(r, "dxemem_guard_page_query", outcome->status);
  }
  outcome->address = ref.address;
  outcome->guard_page = info.is_guard_page;
  outcome->guarded = info.is_memory_guarded;
  outcome->rp = dxemem_host_page_rp(&r->instance, ref.address);
  return TRACE_EXIT_OK;
}

static trace_exit run_command(runner *r, const trace_command *command,
                              trace_outcome *outcome) {
  dxemem *d = r->instance.allocator;
  switch (command->op) {
  case TRACE_OP_REGION:
    return run_region(r, command);
  case TRACE_OP_GRANULARITY:
  case TRACE_OP_BINS:
  case TRACE_OP_BINRANGE:
  case TRACE_OP_GUARD:
    return run_setup(r, command, outcome);
  case TRACE_OP_GUARDPAGE:
    return run_guardpage(r, command, outcome);
  case TRACE_OP_ADD:
    if (!inside_region(r, command->add.start, command->add.pages)) {
      return outside_region(r, "add", command->add.start, command->add.pages);
    }
    outcome->status = dxemem_add_memory_descriptor(
        d, command->add.type, command->add.start, command->add.pages,
        command->add.attribute);
    return TRACE_EXIT_OK;
  case TRACE_OP_ALLOC:
    return run_alloc(r, command, outcome);
  case TRACE_OP_FREE:
    return run_free(r, command, outcome);
  case TRACE_OP_ATTR:
    outcome->status = dxemem_update_memory_attributes(
        d, command->attr.start, command->attr.pages, command->attr.attribute);
    return TRACE_EXIT_OK;
  case TRACE_OP_MAP:
    return run_map(r, command, outcome);
  case TRACE_OP_TERMINATE:
    outcome->status = dxemem_terminate_memory_map(d, r->last_map_key);
    return TRACE_EXIT_OK;
  case TRACE_OP_STATS:
    return run_stats(r, outcome);
  case TRACE_OP_FILL:
  case TRACE_OP_CHECK:
    return run_fill(r, command, outcome);
  case TRACE_OP_POOL:
    return run_pool(r, command, outcome);
  case TRACE_OP_FREEPOOL:
    return run_freepool(r, command, outcome);
  case TRACE_OP_FILLB:
  case TRACE_OP_CHECKB:
    return run_fillb(r, command, outcome);
  case TRACE_OP_POOLSTATS:
    return run_poolstats(r, outcome);
  }
  return fail(r, TRACE_EXIT_TRACE_ERROR, "command %d is not implemented",
              (int)command->op);
}

/* ---- guard faults ------------------------------------------------------ */

typedef struct command_call {
  runner *r;
  const trace_command *command;
  trace_outcome *outcome;
  trace_exit exit_status;
} command_call;

static void run_command_call(void *context) {
  command_call *call = context;
  call->exit_status = run_command(call->r, call->command, call->outcome);
}

/* With guard pages PROT_NONE, a command that touches one (a fill over a
 * guard, say) is stopped and reported with its line instead of crashing. */
static trace_exit run_command_caught(runner *r, const trace_command *command,
                                     trace_outcome *outcome) {
  if (!r->protecting) {
    return run_command(r, command, outcome);
  }
  char text[160];
  char call_name[192];
  trace_format_command(command, text, sizeof text);
  snprintf(call_name, sizeof call_name, "line %" PRIu64 ": %s", command->line,
           text);
  dxemem_host_guard_set_call(&r->instance, call_name);
  command_call call = {r, command, outcome, TRACE_EXIT_OK};
  dxemem_host_guard_fault fault;
  if (dxemem_host_guard_catch(run_command_call, &call, &fault)) {
    char report[320];
    dxemem_host_guard_fault_format(&fault, report, sizeof report);
    return fail(r, TRACE_EXIT_INVARIANT, "%s", report);
  }
  return call.exit_status;
}

/* ---- the loop ---------------------------------------------------------- */

/* Long replays say how far they are on stderr, when it is a terminal:
 * the line every half second or so (the clock is read every 4096
 * commands), wiped again at the end. */
typedef struct progress {
  bool on;
  bool shown;
  uint64_t count;
  double next;
} progress;

static double seconds_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void progress_tick(progress *p, const runner *r, uint64_t line) {
  if (!p->on || (++p->count & 4095u) != 0) {
    return;
  }
  double now = seconds_now();
  if (now < p->next) {
    return;
  }
  p->next = now + 0.5;
  fprintf(r->options->err, "\rdxemem: line %" PRIu64 " ...", line);
  fflush(r->options->err);
  p->shown = true;
}

static void progress_done(const progress *p, const runner *r) {
  if (p->shown) {
    fputs("\r\033[K", r->options->err);
    fflush(r->options->err);
  }
}

static trace_exit run_all_lines(runner *r, trace_reader *reader,
                                progress *p);

/* The final validation pass, with or without --verify: a trace that only
 * reads after scribbling over the allocator's entries (a fill over its
 * pages) still ends with the damage named, on the last command's line. */
static trace_exit final_check(runner *r) {
  if (r->instance.allocator == NULL) {
    return TRACE_EXIT_OK;
  }
  dxemem_violation violation;
  if (dxemem_check(r->instance.allocator, &violation) != DXEMEM_SUCCESS) {
    return fail(r, TRACE_EXIT_INVARIANT, "at the end of the trace: %s",
                violation.message);
  }
  return TRACE_EXIT_OK;
}

static trace_exit run_all(runner *r, trace_reader *reader) {
  progress p = {.on = r->options->err != NULL &&
                      isatty(fileno(r->options->err)) != 0,
                .next = 0};
  p.next = p.on ? seconds_now() + 1.0 : 0;
  trace_exit status = run_all_lines(r, reader, &p);
  progress_done(&p, r);
  return status;
}

static trace_exit run_all_lines(runner *r, trace_reader *reader,
                                progress *p) {
  const trace_run_options *options = r->options;
  trace_command command;
  trace_error error;
  for (;;) {
    trace_read_status read = trace_reader_next(reader, &command, &error);
    if (read == TRACE_READ_END) {
      return final_check(r);
    }
    progress_tick(p, r, command.line);
    if (read == TRACE_READ_INVALID) {
      r->line = error.line;
      return fail(r, TRACE_EXIT_TRACE_ERROR, "%s", error.message);
    }
    if (read == TRACE_READ_IO_ERROR) {
      r->line = error.line;
      return fail(r, TRACE_EXIT_HOST_FAILURE, "cannot read the trace: %s",
                  strerror(errno));
    }
    r->line = command.line;
    r->unprinted =
        options->check_output || options->shell_format ? NULL : &command;
    r->last_recursion = 0;
    uint64_t key_used = r->last_map_key;
    trace_outcome outcome = {0};
    trace_exit exit_status = run_command_caught(r, &command, &outcome);
    if (exit_status != TRACE_EXIT_OK) {
      return exit_status;
    }
    if (!options->check_output &&
        trace_explain_failure(&command, &outcome, r->instance.allocator,
                              key_used, r->why, sizeof(r->why))) {
      outcome.why = r->why;
    }
    if (options->observer != NULL && options->observer->command != NULL) {
      options->observer->command(options->observer->context, &command,
                                 &outcome, r->instance.allocator);
    }
    if (options->check_output) {
      trace_print_check(options->out, &command, &outcome);
    } else if (options->shell_format) {
      trace_print_shell_memmap(options->out, &command, &outcome);
    } else {
      print_pending_command(r);
      trace_print_human_outcome(options->out, &command, &outcome);
    }
    /* The allocator's own entries were overwritten (a fill over its pages,
     * say): say where, and stop, since nothing can be changed any more. */
    if (outcome.status == DXEMEM_VOLUME_CORRUPTED) {
      return fail(r, TRACE_EXIT_INVARIANT,
                  "corrupted: the allocator's data at 0x%016" PRIx64
                  " was overwritten (EFI_VOLUME_CORRUPTED)",
                  dxemem_last_corruption(r->instance.allocator));
    }
    if (options->verify) {
      dxemem_violation violation;
      if (dxemem_check(r->instance.allocator, &violation) != DXEMEM_SUCCESS) {
        return fail(r, TRACE_EXIT_INVARIANT, "%s", violation.message);
      }
    }
    if (options->stop_after_line != 0 &&
        command.line >= options->stop_after_line) {
      return TRACE_EXIT_OK;
    }
  }
}

trace_exit trace_run(trace_reader *reader, const trace_run_options *options) {
  runner r = {.options = options};
  trace_names_init(&r.names);
  trace_exit exit_status = run_all(&r, reader);
  if (fflush(options->out) != 0 || ferror(options->out)) {
    if (exit_status == TRACE_EXIT_OK) {
      exit_status = fail(&r, TRACE_EXIT_HOST_FAILURE,
                         "cannot write the output: %s", strerror(errno));
    }
  }
  if (options->at_end != NULL && r.instance.allocator != NULL) {
    options->at_end(options->at_end_context, r.instance.allocator);
  }
  free(r.map_buffer);
  free(r.pool_stats.oem_types);
  free(r.pool_stats.oem_used);
  trace_names_free(&r.names);
  dxemem_host_destroy(&r.instance);
  return exit_status;
}
