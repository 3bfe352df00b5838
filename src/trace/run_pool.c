/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * The runner's version 2 commands: pool, freepool, fillb/checkb and
 * poolstats (Pool.c's services and the bytes they hand out).
 */
#include <inttypes.h>
#include <stdlib.h>

#include "runner.h"

trace_exit run_pool(runner *r, const trace_command *command,
                    trace_outcome *outcome) {
  uint64_t buffer = 0;
  outcome->status = dxemem_allocate_pool(
      r->instance.allocator, command->pool.type, command->pool.bytes, &buffer);
  outcome->address = buffer;
  if (outcome->status != DXEMEM_SUCCESS) {
    return TRACE_EXIT_OK;
  }
  return runner_bind_name(r, command->pool.name,
                          (trace_binding){buffer, 0, true});
}

trace_exit run_freepool(runner *r, const resolved_ref *ref,
                        trace_outcome *outcome) {
  outcome->status = dxemem_free_pool(r->instance.allocator, ref->address, NULL);
  return TRACE_EXIT_OK;
}

/* fillb and checkb: bytes through the host mapping of the region. */
trace_exit run_fillb(runner *r, const trace_command *command,
                     const resolved_ref *ref, trace_outcome *outcome) {
  uint64_t bytes = command->fillb.bytes;
  const char *what = command->op == TRACE_OP_FILLB ? "fillb" : "checkb";
  if (ref->address < r->region_base ||
      ref->address - r->region_base > r->region_bytes ||
      bytes > r->region_bytes - (ref->address - r->region_base)) {
    return runner_fail(r, TRACE_EXIT_TRACE_ERROR,
                       "%s of 0x%" PRIx64 " bytes at 0x%" PRIx64
                       " is not inside the region 0x%" PRIx64 "-0x%" PRIx64,
                       what, bytes, ref->address, r->region_base,
                       r->region_base + (r->region_bytes - 1));
  }
  return runner_write_or_compare(r, "fillb", ref->address, bytes,
                                 command->fillb.byte,
                                 command->op == TRACE_OP_FILLB, outcome);
}

/* The OEM/OS pools' lists grow as poolstats finds more of them. */
static trace_exit grow_oem_lists(runner *r, trace_pool_stats *stats) {
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
    return runner_fail(r, TRACE_EXIT_HOST_FAILURE,
                       "out of memory reading the pools");
  }
  r->oem_capacity = capacity;
  return TRACE_EXIT_OK;
}

trace_exit run_poolstats(runner *r, trace_outcome *outcome) {
  const dxemem *d = r->instance.allocator;
  trace_pool_stats *stats = &r->pool_stats;
  for (uint32_t type = 0; type < DXEMEM_MAX_MEMORY_TYPE; type++) {
    dxemem_status status = dxemem_get_pool_used(d, type, &stats->used[type]);
    if (status != DXEMEM_SUCCESS) {
      return runner_unexpected_status(r, "dxemem_get_pool_used", status);
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
      return runner_unexpected_status(r, "dxemem_get_oem_pool", status);
    }
    if (stats->oem_count == r->oem_capacity) {
      trace_exit exit_status = grow_oem_lists(r, stats);
      if (exit_status != TRACE_EXIT_OK) {
        return exit_status;
      }
    }
    stats->oem_types[stats->oem_count] = type;
    stats->oem_used[stats->oem_count] = used;
    stats->oem_count++;
  }
  outcome->status = DXEMEM_SUCCESS;
  outcome->pool_stats = stats;
  return TRACE_EXIT_OK;
}
