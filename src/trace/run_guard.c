/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * The runner's version 3 commands: guard (HeapGuard.c's PCDs) and
 * guardpage (IsGuardPage, IsMemoryGuarded and the CPU model's RP record),
 * and the guard-fault catcher that turns a touch of a not-present guard
 * page into a report naming the line.
 */
#include <inttypes.h>
#include <stdio.h>

#include "runner.h"

trace_exit run_guard(runner *r, const trace_command *command,
                     trace_outcome *outcome) {
  outcome->status = dxemem_set_heap_guard(
      r->instance.allocator, command->guard.property, command->guard.page_types,
      command->guard.pool_types);
  if (outcome->status != DXEMEM_SUCCESS) {
    return runner_unexpected_status(r, "dxemem_set_heap_guard",
                                    outcome->status);
  }
  if (r->options->guard_faults && command->guard.property != 0 &&
      dxemem_host_guard_protect(&r->instance, true) == DXEMEM_SUCCESS) {
    r->protecting = true;
  }
  return TRACE_EXIT_OK;
}

trace_exit run_guardpage(runner *r, const resolved_ref *ref,
                         trace_outcome *outcome) {
  if (ref->address == 0 || (ref->address & DXEMEM_PAGE_MASK) != 0 ||
      !runner_inside_region(r, ref->address, 0)) {
    return runner_fail(
        r, TRACE_EXIT_TRACE_ERROR,
        "guardpage 0x%" PRIx64 " is not a nonzero page address in the "
        "region 0x%" PRIx64 "-0x%" PRIx64,
        ref->address, r->region_base, r->region_base + (r->region_bytes - 1));
  }
  dxemem_guard_page_info info;
  outcome->status =
      dxemem_guard_page_query(r->instance.allocator, ref->address, &info);
  if (outcome->status != DXEMEM_SUCCESS) {
    return runner_unexpected_status(r, "dxemem_guard_page_query",
                                    outcome->status);
  }
  outcome->address = ref->address;
  outcome->guard_page = info.is_guard_page;
  outcome->guarded = info.is_memory_guarded;
  outcome->rp = dxemem_host_page_rp(&r->instance, ref->address);
  return TRACE_EXIT_OK;
}

trace_exit run_guarded(runner *r, const trace_command *command,
                       void (*call)(void *context), void *context) {
  /* The name a fault report gives the allocations this command makes. */
  char text[160];
  char call_name[192];
  trace_format_command(command, text, sizeof text);
  snprintf(call_name, sizeof call_name, "line %" PRIu64 ": %s", command->line,
           text);
  dxemem_host_guard_set_call(&r->instance, call_name);
  dxemem_host_guard_fault fault;
  if (dxemem_host_guard_catch(call, context, &fault)) {
    char report[320];
    dxemem_host_guard_fault_format(&fault, report, sizeof report);
    return runner_fail(r, TRACE_EXIT_INVARIANT, "%s", report);
  }
  return TRACE_EXIT_OK;
}
