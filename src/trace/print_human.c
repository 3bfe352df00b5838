/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * The human view of a replay: each command as canonical trace text, the
 * allocator's events indented under it (with --events), then its result;
 * `map` and `stats` get aligned tables. Nothing here is a contract; the
 * byte-exact output is print_check.c.
 */
#include <inttypes.h>
#include <string.h>

#include "trace.h"

#define COMMAND_TEXT_MAX 1024
#define RESULT_INDENT "        "
#define EVENT_INDENT "          "

void trace_print_human_command(FILE *out, const trace_command *command) {
  char text[COMMAND_TEXT_MAX];
  trace_format_command(command, text, sizeof(text));
  fprintf(out, "%6" PRIu64 "  %s\n", command->line, text);
}

void trace_print_human_event(FILE *out, const dxemem_event *event) {
  char type[11];
  switch (event->kind) {
  case DXEMEM_EVENT_ADD_RANGE:
    fprintf(out,
            EVENT_INDENT "add range   0x%016" PRIx64 "-0x%016" PRIx64
                         " %s attr 0x%" PRIx64 "\n",
            event->start, event->end, trace_type_text(event->type, type),
            event->attribute);
    break;
  case DXEMEM_EVENT_CONVERT_TYPE:
    fprintf(out,
            EVENT_INDENT "convert     0x%016" PRIx64 "-0x%016" PRIx64
                         " to %s\n",
            event->start, event->end, trace_type_text(event->type, type));
    break;
  case DXEMEM_EVENT_CONVERT_ATTRIBUTE:
    fprintf(out,
            EVENT_INDENT "convert     0x%016" PRIx64 "-0x%016" PRIx64
                         " to attr 0x%" PRIx64 "\n",
            event->start, event->end, event->attribute);
    break;
  case DXEMEM_EVENT_REFUEL:
    fprintf(out,
            EVENT_INDENT "refuel      map entry page at 0x%016" PRIx64 "\n",
            event->start);
    break;
  case DXEMEM_EVENT_STACK_PUSH:
    fprintf(out, EVENT_INDENT "map stack   push, depth %" PRIu32 "\n",
            event->depth);
    break;
  case DXEMEM_EVENT_STACK_POP:
    fprintf(out, EVENT_INDENT "map stack   pop, depth %" PRIu32 "%s\n",
            event->depth, event->merged_away ? " (entry was merged away)" : "");
    break;
  case DXEMEM_EVENT_HAZARD:
    fprintf(out,
            EVENT_INDENT "hazard      0x%016" PRIx64 "-0x%016" PRIx64 " %s\n",
            event->start, event->end,
            dxemem_hazard_name(event->hazard) != NULL
                ? dxemem_hazard_name(event->hazard)
                : "(unknown)");
    break;
  case DXEMEM_EVENT_POOL_PAGES:
    fprintf(out,
            EVENT_INDENT "pool pages  0x%016" PRIx64 "-0x%016" PRIx64 " %s\n",
            event->start, event->end, trace_type_text(event->type, type));
    break;
  case DXEMEM_EVENT_POOL_CARVE:
    fprintf(out,
            EVENT_INDENT "pool carve  0x%016" PRIx64 " block of %" PRIu64
                         " bytes\n",
            event->start, event->end - event->start + 1);
    break;
  case DXEMEM_EVENT_POOL_REUSE:
    fprintf(out,
            EVENT_INDENT "pool reuse  0x%016" PRIx64 " block of %" PRIu64
                         " bytes\n",
            event->start, event->end - event->start + 1);
    break;
  case DXEMEM_EVENT_POOL_PAGE_RETURN:
    fprintf(out,
            EVENT_INDENT "pool return 0x%016" PRIx64 "-0x%016" PRIx64 " %s\n",
            event->start, event->end, trace_type_text(event->type, type));
    break;
  case DXEMEM_EVENT_GUARD_SET:
    fprintf(out,
            EVENT_INDENT "guarded     0x%016" PRIx64 "-0x%016" PRIx64
                         " %s, guard pages around it\n",
            event->start, event->end, trace_type_text(event->type, type));
    break;
  case DXEMEM_EVENT_GUARD_FREED:
    fprintf(out,
            EVENT_INDENT "freed guard 0x%016" PRIx64 "-0x%016" PRIx64
                         " kept out of use, not present\n",
            event->start, event->end);
    break;
  default:
    fprintf(out, EVENT_INDENT "event %d\n", (int)event->kind);
    break;
  }
}

/* pages as "12 KiB", "3.5 MiB", "2.0 GiB" (one decimal above KiB). */
static void size_text(uint64_t pages, char *buffer, size_t size) {
  static const char *const units[] = {"MiB", "GiB", "TiB", "PiB", "EiB"};
  uint64_t kib = pages <= UINT64_MAX / 4 ? pages * 4 : UINT64_MAX;
  if (kib < 1024) {
    snprintf(buffer, size, "%" PRIu64 " KiB", kib);
    return;
  }
  size_t unit = 0;
  uint64_t whole = kib / 1024, rest = kib % 1024;
  while (whole >= 1024 && unit + 1 < sizeof(units) / sizeof(units[0])) {
    rest = whole % 1024;
    whole /= 1024;
    unit++;
  }
  snprintf(buffer, size, "%" PRIu64 ".%" PRIu64 " %s", whole, rest * 10 / 1024,
           units[unit]);
}

/* The usual attribute bits by their short names. */
static void attribute_text(uint64_t attribute, char *buffer, size_t size) {
  static const struct {
    uint64_t bit;
    const char *name;
  } bits[] = {
      {DXEMEM_MEMORY_UC, "UC"},         {DXEMEM_MEMORY_WC, "WC"},
      {DXEMEM_MEMORY_WT, "WT"},         {DXEMEM_MEMORY_WB, "WB"},
      {DXEMEM_MEMORY_UCE, "UCE"},       {DXEMEM_MEMORY_WP, "WP"},
      {DXEMEM_MEMORY_RP, "RP"},         {DXEMEM_MEMORY_XP, "XP"},
      {DXEMEM_MEMORY_NV, "NV"},         {DXEMEM_MEMORY_MORE_RELIABLE, "MR"},
      {DXEMEM_MEMORY_RO, "RO"},         {DXEMEM_MEMORY_SP, "SP"},
      {DXEMEM_MEMORY_CPU_CRYPTO, "CC"}, {DXEMEM_MEMORY_RUNTIME, "RUNTIME"},
  };
  size_t used = 0;
  buffer[0] = '\0';
  for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
    if ((attribute & bits[i].bit) != 0 && used < size) {
      int n = snprintf(buffer + used, size - used, "%s%s", used ? "|" : "",
                       bits[i].name);
      used += n > 0 ? (size_t)n : 0;
    }
  }
}

/* Last byte of pages at start, clamped to 2^64 - 1 for absurd counts; a
 * 0-page descriptor shows its start. */
static uint64_t last_byte(uint64_t start, uint64_t pages) {
  if (pages == 0) {
    return start;
  }
  if (pages > (UINT64_MAX - start) / DXEMEM_PAGE_SIZE) {
    return UINT64_MAX;
  }
  return start + pages * DXEMEM_PAGE_SIZE - 1;
}

static void print_map_table(FILE *out, const trace_outcome *outcome) {
  uint64_t count = outcome->map_size / outcome->descriptor_size;
  fprintf(out, RESULT_INDENT "%" PRIu64 " descriptor%s, key 0x%" PRIx64 "\n",
          count, count == 1 ? "" : "s", outcome->map_key);
  if (count == 0) {
    return;
  }
  fprintf(out, RESULT_INDENT "%-18s  %-18s  %12s  %10s  %-26s  %s\n", "start",
          "end", "pages", "size", "type", "attributes");
  for (uint64_t offset = 0; offset < outcome->map_size;
       offset += outcome->descriptor_size) {
    dxemem_memory_descriptor d;
    memcpy(&d, outcome->descriptors + offset, sizeof(d));
    char type[11], size[24], flags[96];
    size_text(d.number_of_pages, size, sizeof(size));
    attribute_text(d.attribute, flags, sizeof(flags));
    uint64_t end = last_byte(d.physical_start, d.number_of_pages);
    fprintf(out,
            RESULT_INDENT "0x%016" PRIx64 "  0x%016" PRIx64 "  %12" PRIu64
                          "  %10s  %-26s  0x%016" PRIx64 " %s\n",
            d.physical_start, end, d.number_of_pages, size,
            trace_type_text(d.type, type), d.attribute, flags);
  }
}

static void print_stats_table(FILE *out, const trace_stats *stats) {
  char type[11];
  fprintf(out, RESULT_INDENT "%-26s  %-18s  %-18s  %10s  %10s  %4s  %s\n",
          "type", "bin base", "bin max", "bin pages", "cur pages", "info",
          "flags");
  for (uint32_t i = 0; i < DXEMEM_MAX_MEMORY_TYPE; i++) {
    const dxemem_type_statistics *row = &stats->types[i];
    fprintf(out,
            RESULT_INDENT "%-26s  0x%016" PRIx64 "  0x%016" PRIx64
                          "  %10" PRIu64 "  %10" PRIu64 "  %4" PRIu64
                          "  %s%s\n",
            trace_type_text(i, type), row->base_address, row->maximum_address,
            row->number_of_pages, row->current_number_of_pages,
            row->information_index, row->special ? "special " : "",
            row->runtime ? "runtime" : "");
  }
  fprintf(out, RESULT_INDENT "%-26s  0x%016" PRIx64 "  0x%016" PRIx64 "\n",
          "default range", stats->default_base, stats->default_maximum);
  fprintf(out, RESULT_INDENT "gMemoryTypeInformation:\n");
  for (size_t i = 0; i <= DXEMEM_MAX_MEMORY_TYPE; i++) {
    fprintf(out, RESULT_INDENT "  [%2zu] %-26s %" PRIu32 " pages\n", i,
            trace_type_text(stats->info[i].type, type),
            stats->info[i].number_of_pages);
  }
}

/* Used of every pool, in bytes. */
static void print_pool_table(FILE *out, const trace_pool_stats *stats) {
  char type[11];
  fprintf(out, RESULT_INDENT "%-26s  %18s\n", "pool", "used bytes");
  for (uint32_t i = 0; i < DXEMEM_MAX_MEMORY_TYPE; i++) {
    fprintf(out, RESULT_INDENT "%-26s  %18" PRIu64 "\n",
            trace_type_text(i, type), stats->used[i]);
  }
  for (size_t i = 0; i < stats->oem_count; i++) {
    fprintf(out, RESULT_INDENT "%-26s  %18" PRIu64 "\n",
            trace_type_text(stats->oem_types[i], type), stats->oem_used[i]);
  }
}

void trace_print_human_outcome(FILE *out, const trace_command *command,
                               const trace_outcome *outcome) {
  char status[19];
  const char *status_text = trace_status_text(outcome->status, status);
  switch (command->op) {
  case TRACE_OP_REGION:
  case TRACE_OP_GRANULARITY:
  case TRACE_OP_BINS:
  case TRACE_OP_BINRANGE:
  case TRACE_OP_GUARD:
  case TRACE_OP_ADD:
  case TRACE_OP_FREE:
  case TRACE_OP_ATTR:
  case TRACE_OP_TERMINATE:
  case TRACE_OP_FREEPOOL:
    fprintf(out, RESULT_INDENT "-> %s\n", status_text);
    break;
  case TRACE_OP_POOLSTATS:
    print_pool_table(out, outcome->pool_stats);
    break;
  case TRACE_OP_ALLOC:
  case TRACE_OP_POOL:
    if (outcome->status == DXEMEM_SUCCESS) {
      fprintf(out, RESULT_INDENT "-> %s at 0x%016" PRIx64 "\n", status_text,
              outcome->address);
    } else {
      fprintf(out, RESULT_INDENT "-> %s\n", status_text);
    }
    break;
  case TRACE_OP_MAP:
    fprintf(out, RESULT_INDENT "-> %s, size 0x%" PRIx64 "\n", status_text,
            outcome->map_size);
    if (outcome->status == DXEMEM_SUCCESS && outcome->descriptors != NULL) {
      print_map_table(out, outcome);
    }
    break;
  case TRACE_OP_STATS:
    print_stats_table(out, outcome->stats);
    break;
  case TRACE_OP_FILL:
  case TRACE_OP_FILLB:
    fprintf(out, RESULT_INDENT "-> filled\n");
    break;
  case TRACE_OP_CHECK:
  case TRACE_OP_CHECKB:
    if (outcome->mismatch) {
      fprintf(out, RESULT_INDENT "-> MISMATCH at 0x%016" PRIx64 "\n",
              outcome->address);
    } else {
      fprintf(out, RESULT_INDENT "-> ok\n");
    }
    break;
  case TRACE_OP_GUARDPAGE:
    fprintf(out, RESULT_INDENT "-> %s%s, %s\n",
            outcome->guard_page ? "a guard page" : "not a guard page",
            outcome->guarded ? ", guarded (bit set)" : "",
            outcome->rp ? "not present (RP)" : "present");
    break;
  }
}
