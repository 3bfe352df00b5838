/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * Multi-boot bin feedback: what edk2's boot manager does with the bins
 * before it boots an OS (BmSetMemoryTypeInformationVariable in
 * MdeModulePkg/Library/UefiBootManagerLib/BmMisc.c), and what the next
 * boot does with the result.
 *
 * The HOB a boot starts with (Previous) and the high-water marks the DXE
 * core leaves in gMemoryTypeInformation (Current) give the next boot's
 * table (Next); the platform puts it in a variable, resets, and PEI builds
 * the next HOB from it. Bins that stay the same size keep the runtime and
 * ACPI ranges at the same addresses, which an S4 resume needs.
 *
 * Deliberately different: there is no variable store and no reset; the
 * next boot is the same trace replayed with Next as its HOB.
 */
#include <inttypes.h>
#include <string.h>

#include "view.h"

uint32_t view_boots_next_pages(uint32_t previous, uint32_t current,
                               bool default_settings) {
  uint32_t next = previous;
  /* Computed in 32 bits as edk2 does, wrap included. */
  uint32_t current_and_half = current + (current >> 1);
  if (current_and_half < previous) {
    /* More than 150% of what was needed: shrink, in the default-settings
     * boot mode only. */
    if (default_settings) {
      next = current + (current >> 2);
    }
  } else if (current > previous) {
    /* Too small: grow to 125% of what was needed. */
    next = current + (current >> 2);
  }
  if (next > 0 && next < 4) {
    next = 4;
  }
  return next;
}

bool view_boots_feedback(const dxemem_memory_type_information *previous,
                         size_t count,
                         const dxemem_memory_type_information *current,
                         size_t current_count, bool default_settings,
                         dxemem_memory_type_information *next,
                         view_boot_row *rows, size_t *row_count) {
  bool modified = false;
  *row_count = 0;
  for (size_t i = 0; i < count; i++) {
    next[i] = previous[i];
    if (previous[i].type == DXEMEM_MAX_MEMORY_TYPE) {
      break; /* edk2 stops at the HOB's terminator */
    }
    size_t j = 0;
    while (j < current_count && current[j].type != DXEMEM_MAX_MEMORY_TYPE &&
           current[j].type != previous[i].type) {
      j++;
    }
    if (j == current_count || current[j].type == DXEMEM_MAX_MEMORY_TYPE) {
      continue; /* a type the DXE core does not track */
    }
    uint32_t n = view_boots_next_pages(previous[i].number_of_pages,
                                       current[j].number_of_pages,
                                       default_settings);
    if (n != previous[i].number_of_pages) {
      next[i].number_of_pages = n;
      modified = true;
    }
    rows[*row_count] = (view_boot_row){previous[i].type,
                                       previous[i].number_of_pages,
                                       current[j].number_of_pages, n};
    *row_count += 1;
  }
  return modified;
}

/* ---- the loop ---------------------------------------------------------- */

static void print_table(FILE *out, const view_boot_row *rows, size_t count) {
  fprintf(out, "  %-26s  %10s  %10s  %10s\n", "memory type", "previous",
          "current", "next");
  for (size_t i = 0; i < count; i++) {
    char buffer[11];
    const view_boot_row *r = &rows[i];
    const char *note = r->next > r->previous   ? "  grown"
                       : r->next < r->previous ? "  shrunk"
                                               : "";
    fprintf(out,
            "  %-26s  %10" PRIu32 "  %10" PRIu32 "  %10" PRIu32 "%s\n",
            trace_type_text(r->type, buffer), r->previous, r->current, r->next,
            note);
  }
}

static bool same_runtime_ranges(const view_boot_result *a,
                                const view_boot_result *b) {
  if (a->runtime_count != b->runtime_count ||
      a->runtime_truncated != b->runtime_truncated) {
    return false;
  }
  for (size_t i = 0; i < a->runtime_count; i++) {
    const view_range *x = &a->runtime[i], *y = &b->runtime[i];
    if (x->start != y->start || x->pages != y->pages || x->type != y->type) {
      return false;
    }
  }
  return true;
}

trace_exit view_boots_run(view_boot_runner run, void *context,
                          const view_boots_options *options,
                          unsigned *boots_run, bool *converged) {
  static view_boot_result results[2];
  FILE *out = options->out;
  dxemem_memory_type_information bins[DXEMEM_MAX_MEMORY_TYPE + 1];
  size_t bin_count = 0;
  bool use_trace_bins = true;
  *boots_run = 0;
  *converged = false;
  for (unsigned boot = 1; boot <= options->max_boots; boot++) {
    view_boot_result *result = &results[boot % 2];
    memset(result, 0, sizeof(*result));
    trace_exit status =
        run(context, use_trace_bins ? NULL : bins, bin_count, result);
    *boots_run = boot;
    if (status != TRACE_EXIT_OK) {
      fprintf(out, "boot %u: the replay stopped (exit status %d)\n", boot,
              (int)status);
      return status;
    }
    if (!result->has_hob) {
      fprintf(out,
              "boot %u: no Memory Type Information HOB (the trace has no "
              "`bins`),\n  so the boot manager has nothing to adjust "
              "and never resets.\n",
              boot);
      *converged = true;
      return TRACE_EXIT_OK;
    }
    size_t current_count = 0;
    while (current_count <= DXEMEM_MAX_MEMORY_TYPE &&
           result->current[current_count].type != DXEMEM_MAX_MEMORY_TYPE) {
      current_count++;
    }
    dxemem_memory_type_information next[DXEMEM_MAX_MEMORY_TYPE + 1];
    view_boot_row rows[DXEMEM_MAX_MEMORY_TYPE + 1];
    size_t row_count = 0;
    bool modified = view_boots_feedback(
        result->hob, result->hob_count, result->current,
        current_count < DXEMEM_MAX_MEMORY_TYPE + 1 ? current_count + 1
                                                   : current_count,
        options->default_settings, next, rows, &row_count);
    fprintf(out, "boot %u\n", boot);
    print_table(out, rows, row_count);
    if (boot > 1) {
      bool same = same_runtime_ranges(&results[boot % 2],
                                      &results[(boot + 1) % 2]);
      fprintf(out, "  runtime and ACPI ranges: %s boot %u\n",
              same ? "same addresses as" : "moved since", boot - 1);
    }
    if (!modified) {
      fprintf(out,
              "  nothing changes: no reset; this is the table an S4 resume "
              "relies on\n");
      if (boot > 1) {
        fprintf(out,
                "  (every later boot starts with this table, so its runtime "
                "and ACPI ranges\n  stay where boot %u put them)\n",
                boot);
      }
      *converged = true;
      return TRACE_EXIT_OK;
    }
    fprintf(out,
            "  the table changes: the variable is written and a warm reset "
            "is requested\n  (PcdResetOnMemoryTypeInformationChange), so "
            "boot %u starts with Next\n",
            boot + 1);
    memcpy(bins, next, result->hob_count * sizeof(bins[0]));
    bin_count = result->hob_count;
    use_trace_bins = false;
  }
  fprintf(out, "no fixed point after %u boots\n", options->max_boots);
  return TRACE_EXIT_OK;
}

/* ---- one boot of a trace ----------------------------------------------- */

typedef struct boot_observer {
  view_boot_result *result;
  bool bins_forced;
  const dxemem_memory_type_information *bins;
  size_t count;
} boot_observer;

static bool collect_runtime(void *context, const dxemem_entry_info *e) {
  view_boot_result *result = context;
  switch (e->type) {
  case DXEMEM_RESERVED_MEMORY_TYPE:
  case DXEMEM_RUNTIME_SERVICES_CODE:
  case DXEMEM_RUNTIME_SERVICES_DATA:
  case DXEMEM_ACPI_RECLAIM_MEMORY:
  case DXEMEM_ACPI_MEMORY_NVS:
    break;
  default:
    return true;
  }
  size_t capacity = sizeof(result->runtime) / sizeof(result->runtime[0]);
  if (result->runtime_count == capacity) {
    result->runtime_truncated = true;
    return false;
  }
  result->runtime[result->runtime_count++] =
      (view_range){e->start, (e->end - e->start + 1) >> DXEMEM_PAGE_SHIFT,
                   e->type, e->attribute};
  return true;
}

static void boot_command(void *context, const trace_command *command,
                         const trace_outcome *outcome, dxemem *d) {
  (void)outcome;
  boot_observer *o = context;
  view_boot_result *result = o->result;
  if (command->op == TRACE_OP_REGION && o->bins_forced) {
    result->has_hob = true;
    memcpy(result->hob, o->bins, o->count * sizeof(o->bins[0]));
    result->hob_count = o->count;
  } else if (command->op == TRACE_OP_BINS && !o->bins_forced) {
    result->has_hob = true;
    memcpy(result->hob, command->bins.entries,
           command->bins.count * sizeof(result->hob[0]));
    result->hob_count = command->bins.count;
  }
  if (d == NULL) {
    return;
  }
  for (size_t i = 0; i <= DXEMEM_MAX_MEMORY_TYPE; i++) {
    (void)dxemem_get_memory_type_information(d, i, &result->current[i]);
  }
  result->runtime_count = 0;
  result->runtime_truncated = false;
  (void)dxemem_for_each_entry(d, collect_runtime, result);
}

trace_exit view_boots_run_trace(void *context,
                                const dxemem_memory_type_information *bins,
                                size_t count, view_boot_result *result) {
  const view_trace_boot *boot = context;
  boot_observer o = {result, bins != NULL, bins, count};
  trace_observer observer = {.context = &o, .command = boot_command};
  FILE *sink = fopen("/dev/null", "w");
  if (sink == NULL) {
    return TRACE_EXIT_HOST_FAILURE;
  }
  trace_run_options options = {.out = sink,
                               .err = boot->err,
                               .check_output = true,
                               .observer = &observer,
                               .bins_override = bins,
                               .bins_override_count = count,
                               .bins_override_set = bins != NULL};
  static trace_reader reader;
  trace_reader_init_memory(&reader, boot->text, boot->bytes);
  trace_exit status = trace_run(&reader, &options);
  fclose(sink);
  return status;
}
