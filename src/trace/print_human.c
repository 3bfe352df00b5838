/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * The human view of a replay, at most 100 columns wide: each command as
 * canonical trace text, the allocator's events under it (with --events,
 * indented by refuel recursion and labelled with the edk2 function), then
 * its result, with the reason in words when dxemem knows why a call failed.
 * `map` prints as the UEFI shell's memmap does (type, start, end, pages,
 * attributes, per-type totals, total memory); `--format shell` prints only
 * that listing, in the shell's exact layout. Nothing here is a contract
 * except the shell layout; the byte-exact output is print_check.c.
 */
#include <inttypes.h>
#include <string.h>

#include "trace.h"

#define COMMAND_TEXT_MAX 1024
#define RESULT_INDENT "        "
#define EVENT_INDENT 10
#define FUNCTION_WIDTH 22

void trace_print_human_command(FILE *out, const trace_command *command) {
  char text[COMMAND_TEXT_MAX];
  trace_format_command(command, text, sizeof(text));
  /* 6 + 2 columns of line number; long @names are cut to fit. */
  if (strlen(text) > TRACE_HUMAN_COLUMNS - 8) {
    strcpy(text + TRACE_HUMAN_COLUMNS - 8 - 3, "...");
  }
  fprintf(out, "%6" PRIu64 "  %s\n", command->line, text);
}

/* ---- events ------------------------------------------------------------ */

static void event_prefix(FILE *out, const dxemem_event *event) {
  fprintf(out, "%*s%-*s ", EVENT_INDENT + 2 * (int)event->recursion, "",
          FUNCTION_WIDTH, event->function != NULL ? event->function : "?");
}

void trace_print_human_event(FILE *out, const dxemem_event *event,
                             uint32_t previous_recursion) {
  char type[11];
  const char *label = trace_type_label(event->type);
  if (event->recursion > previous_recursion) {
    /* A refuel began: say why before its nested work. */
    fprintf(out,
            "%*s%-*s no free entry for stack[%" PRIu32
            "]: refuel with one page\n",
            EVENT_INDENT + 2 * (int)(event->recursion - 1), "",
            FUNCTION_WIDTH, "AllocateMemoryMapEntry",
            event->depth != 0 ? event->depth - 1 : 0);
  }
  event_prefix(out, event);
  switch (event->kind) {
  case DXEMEM_EVENT_ADD_RANGE:
    fprintf(out, "add %s 0x%" PRIx64 "-0x%" PRIx64 " attr 0x%" PRIx64 "\n",
            label, event->start, event->end, event->attribute);
    break;
  case DXEMEM_EVENT_CONVERT_TYPE:
    fprintf(out, "convert 0x%" PRIx64 "-0x%" PRIx64 " to %s\n", event->start,
            event->end, trace_type_text(event->type, type));
    break;
  case DXEMEM_EVENT_CONVERT_ATTRIBUTE:
    fprintf(out, "convert 0x%" PRIx64 "-0x%" PRIx64 " to attr 0x%" PRIx64 "\n",
            event->start, event->end, event->attribute);
    break;
  case DXEMEM_EVENT_REFUEL:
    fprintf(out, "page 0x%" PRIx64 " becomes 64 free map entries\n",
            event->start);
    break;
  case DXEMEM_EVENT_STACK_PUSH:
    fprintf(out, "push stack[%" PRIu32 "] %s 0x%" PRIx64 "-0x%" PRIx64 "\n",
            event->depth != 0 ? event->depth - 1 : 0, label, event->start,
            event->end);
    break;
  case DXEMEM_EVENT_STACK_POP:
    if (event->merged_away) {
      fprintf(out, "pop stack[%" PRIu32 "]: merged away, entry unused\n",
              event->depth);
    } else {
      fprintf(out,
              "pop stack[%" PRIu32 "] -> entry 0x%" PRIx64 ": %s 0x%" PRIx64
              "-0x%" PRIx64 "\n",
              event->depth, event->entry_address, label, event->start,
              event->end);
    }
    break;
  case DXEMEM_EVENT_HAZARD:
    fprintf(out, "hazard: %s 0x%" PRIx64 "-0x%" PRIx64 "\n",
            dxemem_hazard_name(event->hazard) != NULL
                ? dxemem_hazard_name(event->hazard)
                : "(unknown)",
            event->start, event->end);
    break;
  case DXEMEM_EVENT_POOL_PAGES:
    fprintf(out, "pool pages 0x%" PRIx64 "-0x%" PRIx64 " for %s\n",
            event->start, event->end, trace_type_text(event->type, type));
    break;
  case DXEMEM_EVENT_POOL_CARVE:
    fprintf(out, "carve 0x%" PRIx64 ", a block of %" PRIu64 " bytes\n",
            event->start, event->end - event->start + 1);
    break;
  case DXEMEM_EVENT_POOL_REUSE:
    fprintf(out, "reuse 0x%" PRIx64 ", a free block of %" PRIu64 " bytes\n",
            event->start, event->end - event->start + 1);
    break;
  case DXEMEM_EVENT_POOL_PAGE_RETURN:
    fprintf(out, "give back pool pages 0x%" PRIx64 "-0x%" PRIx64 " (%s)\n",
            event->start, event->end, trace_type_text(event->type, type));
    break;
  case DXEMEM_EVENT_GUARD_SET:
    fprintf(out, "guarded 0x%" PRIx64 "-0x%" PRIx64 " %s, guard pages around it\n",
            event->start, event->end, trace_type_text(event->type, type));
    break;
  case DXEMEM_EVENT_GUARD_FREED:
    fprintf(out, "freed guard 0x%" PRIx64 "-0x%" PRIx64
                 " kept out of use, not present\n",
            event->start, event->end);
    break;
  default:
    fprintf(out, "event %d 0x%" PRIx64 "-0x%" PRIx64 " %s\n", (int)event->kind,
            event->start, event->end, label);
    break;
  }
}

/* ---- the memory map, as the UEFI shell's memmap shows it --------------- */

/* The shell's type column: short names for some types, full for others. */
static const char *const shell_type_names[DXEMEM_MAX_MEMORY_TYPE] = {
    "Reserved", "LoaderCode", "LoaderData", "BS_Code",    "BS_Data",
    "RT_Code",  "RT_Data",    "Available",  "Unusable",   "ACPI_Recl",
    "ACPI_NVS", "MMIO",       "MMIO_Port",  "PalCode",    "Persistent",
    "Unaccepted",
};

/* Types whose pages count toward the shell's total (not reserved,
 * unusable or MMIO). */
static bool counts_toward_total(uint32_t type) {
  switch (type) {
  case DXEMEM_RESERVED_MEMORY_TYPE:
  case DXEMEM_UNUSABLE_MEMORY:
  case DXEMEM_MEMORY_MAPPED_IO:
  case DXEMEM_MEMORY_MAPPED_IO_PORT_SPACE:
    return false;
  default:
    return true;
  }
}

/* The summary's order and labels ("  BS_Code   : "). */
static const struct {
  uint32_t type;
  const char *label;
} shell_summary[] = {
    {DXEMEM_RESERVED_MEMORY_TYPE, "Reserved  "},
    {DXEMEM_LOADER_CODE, "LoaderCode"},
    {DXEMEM_LOADER_DATA, "LoaderData"},
    {DXEMEM_BOOT_SERVICES_CODE, "BS_Code   "},
    {DXEMEM_BOOT_SERVICES_DATA, "BS_Data   "},
    {DXEMEM_RUNTIME_SERVICES_CODE, "RT_Code   "},
    {DXEMEM_RUNTIME_SERVICES_DATA, "RT_Data   "},
    {DXEMEM_ACPI_RECLAIM_MEMORY, "ACPI_Recl "},
    {DXEMEM_ACPI_MEMORY_NVS, "ACPI_NVS  "},
    {DXEMEM_MEMORY_MAPPED_IO, "MMIO      "},
    {DXEMEM_MEMORY_MAPPED_IO_PORT_SPACE, "MMIO_Port "},
    {DXEMEM_PAL_CODE, "PalCode   "},
    {DXEMEM_UNACCEPTED_MEMORY_TYPE, "Unaccepted"},
    {DXEMEM_CONVENTIONAL_MEMORY, "Available "},
    {DXEMEM_PERSISTENT_MEMORY, "Persistent"},
};

/* PrintLib's "%,Nld": digits grouped by commas, right-aligned in width. */
static void comma_number(char *buffer, size_t size, uint64_t value,
                         int width) {
  /* At most 20 digits and 6 commas: sized so the compiler sees it fits. */
  char digits[21], grouped[27];
  int n = snprintf(digits, sizeof(digits), "%" PRIu64, value);
  size_t g = 0;
  for (int i = 0; i < n; i++) {
    if (i != 0 && (n - i) % 3 == 0) {
      grouped[g++] = ',';
    }
    grouped[g++] = digits[i];
  }
  grouped[g] = '\0';
  snprintf(buffer, size, "%*s", width, grouped);
}

/* An OEM or OS type's running total, kept sorted by type like the shell's
 * list. */
typedef struct other_total {
  uint32_t type;
  uint64_t pages;
} other_total;

#define OTHER_TYPES_MAX 64

static void add_other(other_total *others, size_t *count, uint32_t type,
                      uint64_t pages) {
  size_t i = 0;
  while (i < *count && others[i].type < type) {
    i++;
  }
  if (i < *count && others[i].type == type) {
    others[i].pages += pages;
    return;
  }
  if (*count == OTHER_TYPES_MAX) {
    return;
  }
  memmove(&others[i + 1], &others[i], (*count - i) * sizeof(others[0]));
  others[i] = (other_total){type, pages};
  *count += 1;
}

static void print_memmap(FILE *out, const trace_outcome *outcome,
                         const char *indent, bool all_totals) {
  uint64_t per_type[DXEMEM_MAX_MEMORY_TYPE] = {0};
  other_total others[OTHER_TYPES_MAX];
  size_t other_count = 0;
  uint64_t total = 0;
  fprintf(out,
          "%sType       Start            End              # Pages          "
          "Attributes\n",
          indent);
  for (uint64_t offset = 0; offset < outcome->map_size;
       offset += outcome->descriptor_size) {
    dxemem_memory_descriptor d;
    memcpy(&d, outcome->descriptors + offset, sizeof(d));
    uint64_t end = d.physical_start + d.number_of_pages * DXEMEM_PAGE_SIZE - 1;
    if (d.type < DXEMEM_MAX_MEMORY_TYPE) {
      per_type[d.type] += d.number_of_pages;
      total += counts_toward_total(d.type) ? d.number_of_pages : 0;
      fprintf(out, "%s%-10s %016" PRIX64 "-%016" PRIX64 " %016" PRIX64
                   " %016" PRIX64 "\n",
              indent, shell_type_names[d.type], d.physical_start, end,
              d.number_of_pages, d.attribute);
    } else {
      total += d.number_of_pages;
      add_other(others, &other_count, d.type, d.number_of_pages);
      fprintf(out, "%s%08" PRIx32 "   %016" PRIX64 "-%016" PRIX64 " %016" PRIX64
                   " %016" PRIX64 "\n",
              indent, d.type, d.physical_start, end, d.number_of_pages,
              d.attribute);
    }
  }
  char pages[32], bytes[40];
  fprintf(out, "%s \n", all_totals ? "" : indent);
  for (size_t i = 0; i < sizeof(shell_summary) / sizeof(shell_summary[0]);
       i++) {
    uint64_t n = per_type[shell_summary[i].type];
    if (!all_totals && n == 0) {
      continue;
    }
    comma_number(pages, sizeof(pages), n, 14);
    comma_number(bytes, sizeof(bytes), n * DXEMEM_PAGE_SIZE, 0);
    fprintf(out, "%s  %s: %s Pages (%s Bytes)\n", indent,
            shell_summary[i].label, pages, bytes);
  }
  for (size_t i = 0; i < other_count; i++) {
    comma_number(pages, sizeof(pages), others[i].pages, 14);
    comma_number(bytes, sizeof(bytes), others[i].pages * DXEMEM_PAGE_SIZE, 0);
    fprintf(out, "%s  %08" PRIx32 "  : %s Pages (%s Bytes)\n", indent,
            others[i].type, pages, bytes);
  }
  fprintf(out, "%s              -------------- \n", indent);
  comma_number(pages, sizeof(pages), total * DXEMEM_PAGE_SIZE / (1u << 20), 14);
  comma_number(bytes, sizeof(bytes), total * DXEMEM_PAGE_SIZE, 0);
  fprintf(out, "%sTotal Memory: %s MB (%s Bytes)\n", indent, pages, bytes);
}

void trace_print_shell_memmap(FILE *out, const trace_command *command,
                              const trace_outcome *outcome) {
  if (command->op == TRACE_OP_MAP && outcome->status == DXEMEM_SUCCESS &&
      outcome->descriptors != NULL) {
    print_memmap(out, outcome, "", true);
  }
}

/* ---- statistics -------------------------------------------------------- */

static void print_stats_table(FILE *out, const trace_stats *stats) {
  char type[11];
  bool any = false;
  for (uint32_t i = 0; i < DXEMEM_MAX_MEMORY_TYPE; i++) {
    const dxemem_type_statistics *row = &stats->types[i];
    bool has_bin = row->number_of_pages != 0;
    if (!has_bin && row->current_number_of_pages == 0) {
      continue;
    }
    if (!any) {
      fprintf(out, RESULT_INDENT "%-26s  %-23s  %8s  %8s\n",
            "type (binned or in use)", "bin", "bin pg", "used pg");
      any = true;
    }
    char bin[40];
    if (has_bin) {
      snprintf(bin, sizeof(bin), "0x%" PRIx64 "-0x%" PRIx64,
               row->base_address, row->maximum_address);
    } else {
      snprintf(bin, sizeof(bin), "none");
    }
    const char *flag = row->runtime ? "  runtime" : row->special ? "  special" : "";
    fprintf(out,
            RESULT_INDENT "%-26s  %-23s  %8" PRIu64 "  %8" PRIu64 "%s\n",
            trace_type_text(i, type), bin, row->number_of_pages,
            row->current_number_of_pages, flag);
  }
  if (!any) {
    fprintf(out, RESULT_INDENT "no type has a bin or pages in use\n");
  }
  if (stats->default_maximum == UINT64_MAX) {
    fprintf(out, RESULT_INDENT
            "default range: the whole address space (no bins placed yet)\n");
  } else {
    fprintf(out,
            RESULT_INDENT "default range: up to 0x%016" PRIx64
                          ", just below the lowest bin;\n" RESULT_INDENT
                          "  types without a bin, and full bins, search "
                          "there first, top down\n",
            stats->default_maximum);
  }
  if (stats->default_base != UINT64_MAX) {
    fprintf(out,
            RESULT_INDENT "  lowest page it has handed out: 0x%016" PRIx64
                          "\n",
            stats->default_base);
  }
  fprintf(out, RESULT_INDENT
          "gMemoryTypeInformation (the slots before the terminator):\n");
  for (size_t i = 0; i <= DXEMEM_MAX_MEMORY_TYPE; i++) {
    if (stats->info[i].type == DXEMEM_MAX_MEMORY_TYPE) {
      fprintf(out, RESULT_INDENT "  [%2zu] EfiMaxMemoryType ends the table\n",
              i);
      break;
    }
    fprintf(out, RESULT_INDENT "  [%2zu] %-26s %10" PRIu32 " pages\n", i,
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

/* ---- results ----------------------------------------------------------- */

void trace_print_human_result(FILE *out, const trace_command *command,
                              const trace_outcome *outcome) {
  char status[19];
  const char *status_text = trace_status_text(outcome->status, status);
  switch (command->op) {
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
    if (outcome->status == DXEMEM_SUCCESS) {
      uint64_t count = outcome->descriptor_size != 0
                           ? outcome->map_size / outcome->descriptor_size
                           : 0;
      fprintf(out,
              RESULT_INDENT "-> %s, %" PRIu64 " descriptor%s, key 0x%" PRIx64
                            ", size 0x%" PRIx64 "\n",
              status_text, count, count == 1 ? "" : "s", outcome->map_key,
              outcome->map_size);
    } else {
      fprintf(out, RESULT_INDENT "-> %s, size 0x%" PRIx64 "\n", status_text,
              outcome->map_size);
    }
    break;
  case TRACE_OP_STATS:
    fprintf(out, RESULT_INDENT "-> statistics read\n");
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
  default:
    fprintf(out, RESULT_INDENT "-> %s\n", status_text);
    break;
  }
  /* The reason, one indented line per line of it. */
  for (const char *why = outcome->why; why != NULL && *why != '\0';) {
    const char *end = strchr(why, '\n');
    int length = end != NULL ? (int)(end - why) : (int)strlen(why);
    fprintf(out, RESULT_INDENT "   %.*s\n", length, why);
    why = end != NULL ? end + 1 : why + length;
  }
}

void trace_print_human_outcome(FILE *out, const trace_command *command,
                               const trace_outcome *outcome) {
  if (command->op == TRACE_OP_STATS) {
    print_stats_table(out, outcome->stats);
    return;
  }
  if (command->op == TRACE_OP_POOLSTATS) {
    print_pool_table(out, outcome->pool_stats);
    return;
  }
  trace_print_human_result(out, command, outcome);
  if (command->op == TRACE_OP_MAP && outcome->status == DXEMEM_SUCCESS &&
      outcome->descriptors != NULL && outcome->map_size != 0) {
    print_memmap(out, outcome, RESULT_INDENT, false);
  }
}
