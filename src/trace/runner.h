/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * What the runner's files share (project-internal): the runner itself, its
 * diagnostics and the operand checks every command makes before it touches
 * the allocator. The loop and the dispatch are in run.c; the commands of
 * each trace-format version in run_pages.c (1), run_pool.c (2) and
 * run_guard.c (3).
 */
#ifndef DXEMEM_TRACE_RUNNER_H
#define DXEMEM_TRACE_RUNNER_H

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
  trace_stats stats;           /* filled by `stats` */
  trace_pool_stats pool_stats; /* filled by `poolstats` */
  size_t oem_capacity;
  bool protecting; /* guard pages are PROT_NONE (heap guard) */
  /* Human view: the command not printed yet; it is printed by its first
   * event or its result, so a line that fails early prints nothing. */
  const trace_command *unprinted;
  uint32_t last_recursion;     /* of the command's previous event */
  char why[TRACE_MESSAGE_MAX]; /* a failure's reason, for the human view */
} runner;

/* Where a command's REF lands once resolved (run.c resolves it before the
 * command runs). */
typedef struct resolved_ref {
  uint64_t address;
  const trace_binding *binding; /* for @name, else NULL */
} resolved_ref;

/* ---- runner.c: diagnostics and operands ------------------------------- */

/* Prints `LINE: KIND: message` after the results of earlier lines and
 * returns status; KIND follows status. */
TRACE_PRINTF_LIKE(3, 4)
trace_exit runner_fail(runner *r, trace_exit status, const char *format, ...);
trace_exit runner_unexpected_status(runner *r, const char *call,
                                    dxemem_status status);
/* [start, start + pages * 4 KiB) inside the region; 0 pages may sit at its
 * very end. */
bool runner_inside_region(const runner *r, uint64_t start, uint64_t pages);
trace_exit runner_outside_region(runner *r, const char *what, uint64_t start,
                                 uint64_t pages);
trace_exit runner_resolve(runner *r, const trace_ref *ref, resolved_ref *out);
/* Before a call that binds name ("" for none; run.c asks for alloc and
 * pool): a trace error when the name table is full. */
trace_exit runner_name_room(runner *r, const char *name);
/* After it succeeded: name ("" for none) now stands for binding. */
trace_exit runner_bind_name(runner *r, const char *name, trace_binding binding);
/* fill/check and fillb/checkb once the range is known to lie inside the
 * region: write BYTE over it, or find the first byte that differs. */
trace_exit runner_write_or_compare(runner *r, const char *what,
                                   uint64_t address, uint64_t bytes,
                                   uint8_t byte, bool write,
                                   trace_outcome *outcome);

/* ---- run.c ------------------------------------------------------------- */

/* The instance's event callback (config.event of `region`). */
void run_on_event(void *context, const dxemem_event *event);

/* ---- the commands, by trace-format version ----------------------------- */

/* run_pages.c: version 1. */
trace_exit run_region(runner *r, const trace_command *command);
trace_exit run_setup(runner *r, const trace_command *command,
                     trace_outcome *outcome); /* granularity, bins, binrange */
trace_exit run_add(runner *r, const trace_command *command,
                   trace_outcome *outcome);
trace_exit run_alloc(runner *r, const trace_command *command,
                     trace_outcome *outcome);
trace_exit run_free(runner *r, const trace_command *command,
                    const resolved_ref *ref, trace_outcome *outcome);
trace_exit run_map(runner *r, const trace_command *command,
                   trace_outcome *outcome);
trace_exit run_stats(runner *r, trace_outcome *outcome);
trace_exit run_fill(runner *r, const trace_command *command,
                    const resolved_ref *ref, trace_outcome *outcome);

/* run_pool.c: version 2. */
trace_exit run_pool(runner *r, const trace_command *command,
                    trace_outcome *outcome);
trace_exit run_freepool(runner *r, const resolved_ref *ref,
                        trace_outcome *outcome);
trace_exit run_fillb(runner *r, const trace_command *command,
                     const resolved_ref *ref, trace_outcome *outcome);
trace_exit run_poolstats(runner *r, trace_outcome *outcome);

/* run_guard.c: version 3. */
trace_exit run_guard(runner *r, const trace_command *command,
                     trace_outcome *outcome);
trace_exit run_guardpage(runner *r, const resolved_ref *ref,
                         trace_outcome *outcome);
/* With guard pages PROT_NONE: runs call(context) so that a command that
 * touches one is stopped and reported with its line instead of crashing.
 * TRACE_EXIT_INVARIANT after such a report, else TRACE_EXIT_OK. */
trace_exit run_guarded(runner *r, const trace_command *command,
                       void (*call)(void *context), void *context);

#endif /* DXEMEM_TRACE_RUNNER_H */
