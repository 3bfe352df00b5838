/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * fuzz_trace: the input is a trace (../shared/trace-format.md), run by the
 * trace library with dxemem_check() after every command (trace_run's
 * verify mode), as `dxemem replay --verify` runs it.
 *
 * Outcomes:
 *  - the trace runs, or stops at a trace error or a host failure: fine;
 *  - trace_run reports an invariant (dxemem_check or a core contract the
 *    runner checks): a finding, unless `fill` commands explain it (below);
 *  - a crash, a sanitizer report or a leak: a finding (libFuzzer's own).
 *
 * `fill` and `fillb` may write any byte of the region, including the
 * pages that hold the allocator's map entries and pool blocks, and then
 * the checker rightly reports a corrupted entry or block. So when a trace
 * with such commands hits an invariant, it runs again with every `fill`
 * and `fillb` turned into a comment (same lines, same line numbers): only
 * if that run breaks an invariant too is it a finding. Likewise `free` of
 * pages may release pool pages behind the pool's back (a hazard warning,
 * and whatever the pool's stale blocks then damage): a trace with `pool`
 * and `free` whose diagnostics mention the pool runs once more without
 * its `free` lines. Findings quote the line that stopped the run, not the
 * warnings before it.
 *
 * Budget (inputs over it are not run and return -1): a region of at most
 * 1 GiB, the largest the conformance suite uses (it is mapped lazily, so
 * only the touched pages cost memory), and at most 4096 pages written or
 * read by fill/check in all, four times what any conformance trace needs.
 *
 * The output mode follows the input's length, so both printers get fuzzed
 * and a reproducer replays the same way: an even length prints the
 * `--check` view, an odd one the readable view with events. So does the
 * heap guard's faults: bit 2 set backs guard pages with PROT_NONE. So does the
 * reference: bit 1 of the length set runs edk2-master-2026-08, clear
 * edk2-stable202605 (a finding names it; replay it with --reference).
 */
#define _POSIX_C_SOURCE 200809L /* fmemopen */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "trace.h"

#define REGION_BYTES_MAX (UINT64_C(1) << 30)
#define FILL_PAGES_MAX UINT64_C(4096)

/* Where trace_run writes: results are thrown away, diagnostics are kept so
 * a finding can quote the runner's own message. Made once per process. */
typedef struct sinks {
  FILE *out;
  FILE *err;
  char err_text[65536];
} sinks;

/* The reader is about 20 KiB; one per process, off the stack. */
static trace_reader reader;
static sinks streams;

static void open_sinks(void) {
  if (streams.out != NULL) {
    return;
  }
  streams.out = fopen("/dev/null", "w");
  streams.err = fmemopen(streams.err_text, sizeof(streams.err_text), "w");
  if (streams.out == NULL || streams.err == NULL) {
    /* Not a finding in dxemem, but nothing can run without them. */
    fprintf(stderr, "fuzz_trace: cannot open its output streams\n");
    abort();
  }
}

typedef struct scan {
  bool within_budget;
  bool has_fill; /* fill or fillb */
  bool has_free; /* free of pages */
  bool has_pool; /* pool */
} scan;

/* Reads the trace once without running it, up to where the runner would
 * stop at a trace error the reader sees. */
static scan prescan(const uint8_t *data, size_t size) {
  scan result = {.within_budget = true, .has_fill = false};
  uint64_t pages = 0;
  trace_command command;
  trace_error error;
  trace_reader_init_memory(&reader, data, size);
  while (trace_reader_next(&reader, &command, &error) == TRACE_READ_COMMAND) {
    switch (command.op) {
    case TRACE_OP_REGION:
      if (command.region.bytes > REGION_BYTES_MAX) {
        result.within_budget = false;
      }
      break;
    case TRACE_OP_FILL:
      result.has_fill = true;
      /* fall through - fill and check cost the same */
    case TRACE_OP_CHECK:
      if (command.fill.pages > FILL_PAGES_MAX - pages) {
        result.within_budget = false;
      } else {
        pages += command.fill.pages;
      }
      break;
    case TRACE_OP_FILLB:
      result.has_fill = true;
      /* fall through */
    case TRACE_OP_CHECKB: {
      uint64_t touched = command.fillb.bytes / DXEMEM_PAGE_SIZE + 1;
      if (touched > FILL_PAGES_MAX - pages) {
        result.within_budget = false;
      } else {
        pages += touched;
      }
      break;
    }
    case TRACE_OP_FREE:
      result.has_free = true;
      break;
    case TRACE_OP_POOL:
      result.has_pool = true;
      break;
    default:
      break;
    }
    if (!result.within_budget) {
      break;
    }
  }
  return result;
}

/* A copy of the trace with each `fill` and `fillb` line (and with
 * frees: each `free` line) commented out in place: the first non-blank
 * byte becomes '#'. The library's own parser decides what such a line is,
 * so the copy matches what the runner would have run. */
static unsigned char *without_fills(const uint8_t *data, size_t size,
                                    bool frees) {
  unsigned char *copy = malloc(size > 0 ? size : 1);
  if (copy == NULL) {
    return NULL;
  }
  memcpy(copy, data, size);
  size_t start = 0;
  while (start < size) {
    const unsigned char *newline = memchr(copy + start, '\n', size - start);
    size_t end = newline != NULL ? (size_t)(newline - copy) : size;
    trace_command command;
    char message[TRACE_MESSAGE_MAX];
    command.line = 0;
    if (trace_parse_line((const char *)copy + start, end - start, &command,
                         message, sizeof(message)) == TRACE_LINE_COMMAND &&
        (command.op == TRACE_OP_FILL || command.op == TRACE_OP_FILLB ||
         (frees && command.op == TRACE_OP_FREE))) {
      size_t i = start;
      while (copy[i] == ' ' || copy[i] == '\t') {
        i++;
      }
      copy[i] = '#';
    }
    start = end + 1;
  }
  return copy;
}

/* One verified run; the runner's diagnostic (if any) lands in
 * streams.err_text. */
static trace_exit run_verified(const uint8_t *data, size_t size,
                               bool readable_view, uint32_t reference,
                               bool guard_faults) {
  rewind(streams.err);
  trace_run_options options = {.check_output = !readable_view,
                               .verify = true,
                               .events = readable_view,
                               .guard_faults = guard_faults,
                               .out = streams.out,
                               .err = streams.err,
                               .reference = reference};
  trace_reader_init_memory(&reader, data, size);
  trace_exit status = trace_run(&reader, &options);
  fflush(streams.err);
  long length = ftell(streams.err);
  if (length < 0) {
    length = 0;
  }
  if ((size_t)length >= sizeof(streams.err_text)) {
    length = (long)sizeof(streams.err_text) - 1;
  }
  streams.err_text[length] = '\0';
  return status;
}

/* The line of text that stopped the run (hazard warnings may come
 * first), without its newline, in line. */
static void stop_line(const char *text, char *line, size_t size) {
  const char *start = strstr(text, ": invariant:");
  if (start == NULL) {
    start = text;
  }
  while (start > text && start[-1] != '\n') {
    start--;
  }
  size_t n = strcspn(start, "\n");
  if (n >= size) {
    n = size - 1;
  }
  memcpy(line, start, n);
  line[n] = '\0';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  open_sinks();
  scan s = prescan(data, size);
  if (!s.within_budget) {
    return -1;
  }
  bool readable_view = (size % 2) != 0;
  uint32_t reference = ((size >> 1) & 1) != 0
                           ? DXEMEM_REFERENCE_EDK2_MASTER_2026_08
                           : DXEMEM_REFERENCE_EDK2_STABLE202605;
  const char *reference_name = dxemem_reference_name(reference);
  /* Bit 2 of the length: guard pages PROT_NONE, as the CLI has them. A
   * guard fault is the trace's own bug (a fill over a guard page, a use
   * after free); what counts is whether the run breaks without them. */
  bool guard_faults = ((size >> 2) & 1) != 0;
  trace_exit first_run =
      run_verified(data, size, readable_view, reference, guard_faults);
  if (first_run == TRACE_EXIT_INVARIANT && guard_faults) {
    /* Protection changes nothing but faults: the run without it decides
     * (the stderr text may not even hold the fault line after warnings). */
    first_run = run_verified(data, size, readable_view, reference, false);
  }
  if (first_run != TRACE_EXIT_INVARIANT) {
    return 0;
  }
  /* `fill`/`fillb` may write over the allocator's own pages, and `free`
   * of pages may pull pool pages from under the pool (both are the
   * caller's bugs, which the checker rightly reports): a finding is an
   * invariant that stays without them. */
  bool pool_pages_freed = s.has_free && s.has_pool &&
                          strstr(streams.err_text, "pool") != NULL;
  static char first[1024];
  stop_line(streams.err_text, first, sizeof(first));
  if (!s.has_fill && !pool_pages_freed) {
    fuzz_fail("invariant broken (%s): %s", reference_name, first);
  }
  trace_exit again = TRACE_EXIT_INVARIANT;
  for (int frees = 0; frees <= 1 && again == TRACE_EXIT_INVARIANT; frees++) {
    if (frees == 1 && !(s.has_free && s.has_pool &&
                        strstr(streams.err_text, "pool") != NULL)) {
      break;
    }
    unsigned char *stripped = without_fills(data, size, frees == 1);
    if (stripped == NULL) {
      fprintf(stderr, "fuzz_trace: out of memory\n");
      abort();
    }
    again = run_verified(stripped, size, readable_view, reference, false);
    free(stripped);
  }
  if (again == TRACE_EXIT_INVARIANT) {
    static char last[1024];
    stop_line(streams.err_text, last, sizeof(last));
    fuzz_fail("invariant broken (%s): %s (without its fill commands: %s)",
              reference_name, first, last);
  }
  return 0;
}
