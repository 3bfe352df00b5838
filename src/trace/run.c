/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * The runner: applies each command of a trace to one hosted dxemem
 * instance and hands the outcome to a printer. This file holds the loop,
 * the dispatch and the allocator's events; the commands themselves are in
 * run_pages.c (version 1), run_pool.c (version 2) and run_guard.c
 * (version 3), what they share in runner.c.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, fileno, isatty */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "runner.h"

/* ---- events ------------------------------------------------------------ */

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
            r->line, what != NULL ? what : "hazard", event->start, event->end);
  }
  fflush(r->options->err);
}

void run_on_event(void *context, const dxemem_event *event) {
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

/* ---- dispatch ---------------------------------------------------------- */

/* The REF operand of the commands that have one: it is resolved before the
 * command runs, so an unknown name fails the line with nothing done. */
static const trace_ref *command_ref(const trace_command *command) {
  switch (command->op) {
  case TRACE_OP_FREE:
    return &command->free.ref;
  case TRACE_OP_FILL:
  case TRACE_OP_CHECK:
    return &command->fill.ref;
  case TRACE_OP_FREEPOOL:
    return &command->freepool.ref;
  case TRACE_OP_FILLB:
  case TRACE_OP_CHECKB:
    return &command->fillb.ref;
  case TRACE_OP_GUARDPAGE:
    return &command->guardpage.ref;
  default:
    return NULL;
  }
}

/* The @name the commands that bind one bind ("" for none), NULL for the
 * others: a full name table fails the line before the call. */
static const char *command_binding(const trace_command *command) {
  switch (command->op) {
  case TRACE_OP_ALLOC:
    return command->alloc.name;
  case TRACE_OP_POOL:
    return command->pool.name;
  default:
    return NULL;
  }
}

static trace_exit run_command(runner *r, const trace_command *command,
                              trace_outcome *outcome) {
  resolved_ref ref = {0, NULL};
  const trace_ref *operand = command_ref(command);
  const char *name = command_binding(command);
  trace_exit exit_status = TRACE_EXIT_OK;
  if (operand != NULL) {
    exit_status = runner_resolve(r, operand, &ref);
  } else if (name != NULL) {
    exit_status = runner_name_room(r, name);
  }
  if (exit_status != TRACE_EXIT_OK) {
    return exit_status;
  }
  dxemem *d = r->instance.allocator;
  switch (command->op) {
  case TRACE_OP_REGION:
    return run_region(r, command);
  case TRACE_OP_GRANULARITY:
  case TRACE_OP_BINS:
  case TRACE_OP_BINRANGE:
    return run_setup(r, command, outcome);
  case TRACE_OP_ADD:
    return run_add(r, command, outcome);
  case TRACE_OP_ALLOC:
    return run_alloc(r, command, outcome);
  case TRACE_OP_FREE:
    return run_free(r, command, &ref, outcome);
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
    return run_fill(r, command, &ref, outcome);
  case TRACE_OP_POOL:
    return run_pool(r, command, outcome);
  case TRACE_OP_FREEPOOL:
    return run_freepool(r, &ref, outcome);
  case TRACE_OP_FILLB:
  case TRACE_OP_CHECKB:
    return run_fillb(r, command, &ref, outcome);
  case TRACE_OP_POOLSTATS:
    return run_poolstats(r, outcome);
  case TRACE_OP_GUARD:
    return run_guard(r, command, outcome);
  case TRACE_OP_GUARDPAGE:
    return run_guardpage(r, &ref, outcome);
  }
  return runner_fail(r, TRACE_EXIT_TRACE_ERROR, "command %d is not implemented",
                     (int)command->op);
}

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

/* With guard pages PROT_NONE the command runs under the fault catcher. */
static trace_exit run_command_caught(runner *r, const trace_command *command,
                                     trace_outcome *outcome) {
  if (!r->protecting) {
    return run_command(r, command, outcome);
  }
  command_call call = {r, command, outcome, TRACE_EXIT_OK};
  trace_exit caught = run_guarded(r, command, run_command_call, &call);
  return caught != TRACE_EXIT_OK ? caught : call.exit_status;
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

static trace_exit run_all_lines(runner *r, trace_reader *reader, progress *p);

/* The final validation pass, with or without --verify: a trace that only
 * reads after scribbling over the allocator's entries (a fill over its
 * pages) still ends with the damage named, on the last command's line. */
static trace_exit final_check(runner *r) {
  if (r->instance.allocator == NULL) {
    return TRACE_EXIT_OK;
  }
  dxemem_violation violation;
  if (dxemem_check(r->instance.allocator, &violation) != DXEMEM_SUCCESS) {
    return runner_fail(r, TRACE_EXIT_INVARIANT, "at the end of the trace: %s",
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

static trace_exit run_all_lines(runner *r, trace_reader *reader, progress *p) {
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
      return runner_fail(r, TRACE_EXIT_TRACE_ERROR, "%s", error.message);
    }
    if (read == TRACE_READ_IO_ERROR) {
      r->line = error.line;
      return runner_fail(r, TRACE_EXIT_HOST_FAILURE,
                         "cannot read the trace: %s", strerror(errno));
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
      options->observer->command(options->observer->context, &command, &outcome,
                                 r->instance.allocator);
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
      return runner_fail(r, TRACE_EXIT_INVARIANT,
                         "corrupted: the allocator's data at 0x%016" PRIx64
                         " was overwritten (EFI_VOLUME_CORRUPTED)",
                         dxemem_last_corruption(r->instance.allocator));
    }
    if (options->verify) {
      dxemem_violation violation;
      if (dxemem_check(r->instance.allocator, &violation) != DXEMEM_SUCCESS) {
        return runner_fail(r, TRACE_EXIT_INVARIANT, "%s", violation.message);
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
      exit_status = runner_fail(&r, TRACE_EXIT_HOST_FAILURE,
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
