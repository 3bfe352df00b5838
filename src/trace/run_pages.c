/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * The runner's version 1 commands: the region, the setup before the first
 * add (granularity, bins, binrange), and the page services (add, alloc,
 * free, map, stats, fill/check). attr and terminate are one call each and
 * run in run.c's dispatch.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "runner.h"

/* The largest map buffer the runner hands to GetMemoryMap. */
#define MAP_BUFFER_CAP (UINT64_C(64) << 20)

trace_exit run_region(runner *r, const trace_command *command) {
  dxemem_config config = {
      .region_base = command->region.base,
      .region_size = command->region.bytes,
      .reference = r->options->reference,
      /* --verify: every call also walks both lists and checks the index. */
      .check_level =
          r->options->verify ? DXEMEM_CHECK_FULL : DXEMEM_CHECK_TOUCHED,
  };
  config.user_context = r;
  config.event = run_on_event;
  /* The check output needs only the hazards (its warning lines); the
   * observer's views and the human --events view take every kind. */
  bool every_kind = r->options->observer != NULL ||
                    (!r->options->check_output && !r->options->shell_format &&
                     r->options->events);
  config.event_kinds =
      every_kind ? 0u : DXEMEM_EVENT_BIT(DXEMEM_EVENT_HAZARD);
  dxemem_status status = dxemem_host_create(&config, &r->instance);
  if (status == DXEMEM_OUT_OF_RESOURCES) {
    return runner_fail(r, TRACE_EXIT_HOST_FAILURE,
                       "cannot map a region of 0x%" PRIx64 " bytes: %s",
                       command->region.bytes, strerror(errno));
  }
  if (status != DXEMEM_SUCCESS) {
    return runner_unexpected_status(r, "dxemem_create", status);
  }
  r->region_base = command->region.base;
  r->region_bytes = command->region.bytes;
  if (r->options->bins_override_set) {
    status = dxemem_set_memory_type_information(
        r->instance.allocator, r->options->bins_override,
        r->options->bins_override_count);
    if (status != DXEMEM_SUCCESS) {
      return runner_unexpected_status(r, "dxemem_set_memory_type_information",
                                      status);
    }
  }
  return TRACE_EXIT_OK;
}

trace_exit run_setup(runner *r, const trace_command *command,
                     trace_outcome *outcome) {
  dxemem *d = r->instance.allocator;
  switch (command->op) {
  case TRACE_OP_GRANULARITY:
    outcome->status =
        dxemem_set_runtime_granularity(d, command->granularity.bytes);
    if (outcome->status != DXEMEM_SUCCESS) {
      return runner_unexpected_status(r, "dxemem_set_runtime_granularity",
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
      return runner_unexpected_status(r, "dxemem_set_memory_type_information",
                                      outcome->status);
    }
    return TRACE_EXIT_OK;
  default: /* binrange: edk2 ignores a range the bins do not fit in */
    outcome->status = dxemem_set_memory_type_information_range(
        d, command->binrange.start, command->binrange.bytes);
    if (outcome->status != DXEMEM_SUCCESS &&
        outcome->status != DXEMEM_BAD_BUFFER_SIZE &&
        outcome->status != DXEMEM_ALREADY_STARTED) {
      return runner_unexpected_status(
          r, "dxemem_set_memory_type_information_range", outcome->status);
    }
    return TRACE_EXIT_OK;
  }
}

trace_exit run_add(runner *r, const trace_command *command,
                   trace_outcome *outcome) {
  if (!runner_inside_region(r, command->add.start, command->add.pages)) {
    return runner_outside_region(r, "add", command->add.start,
                                 command->add.pages);
  }
  outcome->status = dxemem_add_memory_descriptor(
      r->instance.allocator, command->add.type, command->add.start,
      command->add.pages, command->add.attribute);
  return TRACE_EXIT_OK;
}

trace_exit run_alloc(runner *r, const trace_command *command,
                     trace_outcome *outcome) {
  uint64_t memory = command->alloc.address;
  outcome->status =
      dxemem_allocate_pages(r->instance.allocator, command->alloc.allocate_type,
                            command->alloc.type, command->alloc.pages, &memory);
  outcome->address = memory;
  if (outcome->status != DXEMEM_SUCCESS) {
    return TRACE_EXIT_OK;
  }
  return runner_bind_name(r, command->alloc.name,
                          (trace_binding){memory, command->alloc.pages, false});
}

trace_exit run_free(runner *r, const trace_command *command,
                    const resolved_ref *ref, trace_outcome *outcome) {
  /* Without PAGES the reference is a name (the parser makes sure). */
  if (!command->free.has_pages && ref->binding->is_pool) {
    return runner_fail(r, TRACE_EXIT_TRACE_ERROR,
                       "free @%s needs PAGES: the name was bound by pool",
                       command->free.ref.name);
  }
  uint64_t pages =
      command->free.has_pages ? command->free.pages : ref->binding->pages;
  outcome->address = ref->address; /* for the reason of a failure */
  outcome->status =
      dxemem_free_pages(r->instance.allocator, ref->address, pages);
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
    return runner_fail(r, TRACE_EXIT_HOST_FAILURE,
                       "cannot allocate 0x%" PRIx64 " bytes for the map",
                       bytes);
  }
  free(r->map_buffer);
  r->map_buffer = buffer;
  r->map_capacity = (size_t)bytes;
  return TRACE_EXIT_OK;
}

/* `map`: a size probe (size 0, NULL buffer), then the real call with the
 * probed size, or with BYTES (capped at MAP_BUFFER_CAP). */
trace_exit run_map(runner *r, const trace_command *command,
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
    return runner_fail(r, TRACE_EXIT_INVARIANT,
                       "GetMemoryMap returned size 0x%" PRIx64
                       " with descriptor size 0x%" PRIx64
                       " after asking for 0x%" PRIx64,
                       outcome->map_size, outcome->descriptor_size, needed);
  }
  outcome->descriptors = r->map_buffer;
  return TRACE_EXIT_OK;
}

trace_exit run_stats(runner *r, trace_outcome *outcome) {
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
    return runner_unexpected_status(r, "a statistics read", status);
  }
  outcome->status = DXEMEM_SUCCESS;
  outcome->stats = &r->stats;
  return TRACE_EXIT_OK;
}

/* fill and check: the pages through the host mapping of the region. */
trace_exit run_fill(runner *r, const trace_command *command,
                    const resolved_ref *ref, trace_outcome *outcome) {
  uint64_t pages = command->fill.pages;
  if (!runner_inside_region(r, ref->address, pages)) {
    return runner_outside_region(
        r, command->op == TRACE_OP_FILL ? "fill" : "check", ref->address,
        pages);
  }
  return runner_write_or_compare(r, "fill", ref->address,
                                 pages * DXEMEM_PAGE_SIZE, command->fill.byte,
                                 command->op == TRACE_OP_FILL, outcome);
}
