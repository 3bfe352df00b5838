/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * Views of a replay for people (hosted, project-internal): the step-through
 * HTML page, SVG pictures of the map, and the multi-boot bin feedback of
 * edk2's boot manager. Each plugs into trace_run as a trace_observer, so the
 * replay itself stays the one in src/trace.
 */
#ifndef DXEMEM_VIEW_H
#define DXEMEM_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dxemem/dxemem.h"
#include "trace.h"

/* ---- colours, shared by the page and the SVG pictures ------------------ */

/* "#rrggbb" for a memory type: one colour per UEFI type, one for all OEM
 * types, one for all OS types, one for invalid values. */
const char *view_type_colour(uint32_t type);
/* A short label ("BS data", "conv", "RT code", ...) for narrow places. */
const char *view_type_label(uint32_t type);

/* ---- SVG pictures ------------------------------------------------------ */

/* One descriptor of a picture (a GetMemoryMap descriptor or a gMemoryMap
 * entry). */
typedef struct view_range {
  uint64_t start;
  uint64_t pages;
  uint32_t type;
  uint64_t attribute;
} view_range;

/* A bin to outline: [base, maximum] of a type with a non-empty bin. */
typedef struct view_bin {
  uint32_t type;
  uint64_t base, maximum;
} view_bin;

typedef struct view_picture {
  uint64_t region_base, region_bytes;
  const view_range *ranges;
  size_t range_count;
  const view_bin *bins;
  size_t bin_count;
  const uint64_t *refuel_pages;
  size_t refuel_count;
  const char *title; /* plain text */
} view_picture;

/* Writes a standalone SVG document: the region to scale as a bar, bins
 * outlined above it, refuel pages marked below, a legend of the types that
 * appear. Returns false when the write failed. */
bool view_svg_write(FILE *out, const view_picture *picture);

/* `--svg DIR`: an observer that writes DIR/map-LINE.svg after each
 * successful `map`. */
typedef struct view_svg_state view_svg_state;
view_svg_state *view_svg_open(const char *directory, FILE *err);
const trace_observer *view_svg_observer(view_svg_state *state);
/* Frees the state; returns the number of pictures written, or -1 when one
 * could not be written (the message went to err). */
long view_svg_close(view_svg_state *state);

/* ---- the step-through page --------------------------------------------- */

typedef struct view_html_state view_html_state;
/* Starts the page on out: trace_text (trace_bytes bytes) is shown beside
 * the steps; title names the trace. */
view_html_state *view_html_open(FILE *out, const char *title,
                                const char *trace_text, size_t trace_bytes);
const trace_observer *view_html_observer(view_html_state *state);
/* Ends the page and frees the state; false when the host ran out of memory
 * on the way (the page is then incomplete). */
bool view_html_close(view_html_state *state, trace_exit exit_status);

/* ---- multi-boot bin feedback (BmSetMemoryTypeInformationVariable) ------- */

/* The boot manager's rule for one type: Next from the pages the HOB gave
 * this boot (previous) and the most the boot used (current). default_settings
 * is BootMode == BOOT_WITH_DEFAULT_SETTINGS (the only mode that shrinks). */
uint32_t view_boots_next_pages(uint32_t previous, uint32_t current,
                               bool default_settings);

/* One row of the boot manager's table. */
typedef struct view_boot_row {
  uint32_t type;
  uint32_t previous, current, next;
} view_boot_row;

/* What one boot left: its Previous/Current/Next table, and the runtime and
 * ACPI ranges of its final map. */
typedef struct view_boot_result {
  bool has_hob; /* the boot had a Memory Type Information HOB (`bins`) */
  dxemem_memory_type_information hob[DXEMEM_MAX_MEMORY_TYPE + 1];
  size_t hob_count; /* entries before the terminator */
  /* gMemoryTypeInformation at the end of the boot (the configuration
   * table the boot manager reads), terminator included. */
  dxemem_memory_type_information current[DXEMEM_MAX_MEMORY_TYPE + 1];
  view_range runtime[256]; /* reserved, runtime and ACPI entries */
  size_t runtime_count;
  bool runtime_truncated;
} view_boot_result;

/* Applies the rule to every HOB entry as edk2 does: entries of previous
 * (count entries, without the terminator) whose type appears in current
 * (terminated by EfiMaxMemoryType) get a row; next[] receives the new
 * table (count entries). Returns whether any Next differs. */
bool view_boots_feedback(const dxemem_memory_type_information *previous,
                         size_t count,
                         const dxemem_memory_type_information *current,
                         size_t current_count, bool default_settings,
                         dxemem_memory_type_information *next,
                         view_boot_row *rows, size_t *row_count);

/* Runs one boot with bins (count entries; NULL bins: the trace's own) and
 * fills result; returns the replay's exit status. */
typedef trace_exit (*view_boot_runner)(void *context,
                                       const dxemem_memory_type_information *bins,
                                       size_t count, view_boot_result *result);

typedef struct view_boots_options {
  unsigned max_boots;     /* >= 1 */
  bool default_settings;  /* BOOT_WITH_DEFAULT_SETTINGS every boot */
  FILE *out;
} view_boots_options;

/* The convergence loop: boot 1 with the trace's bins, then each boot with
 * the Next table of the one before, until a boot changes nothing or
 * max_boots ran. Prints the table of every boot to options->out. Returns
 * the exit status of a failing boot, else TRACE_EXIT_OK; *boots_run and
 * *converged tell how it ended. */
trace_exit view_boots_run(view_boot_runner run, void *context,
                          const view_boots_options *options,
                          unsigned *boots_run, bool *converged);

/* The runner view_boots_run uses for a trace in memory. */
typedef struct view_trace_boot {
  const char *text;
  size_t bytes;
  FILE *err;
} view_trace_boot;
trace_exit view_boots_run_trace(void *context,
                                const dxemem_memory_type_information *bins,
                                size_t count, view_boot_result *result);

#endif /* DXEMEM_VIEW_H */
