/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * The step-through page: one self-contained HTML file (page.html, with the
 * data of the run in it as JSON) that steps through a trace command by
 * command.
 *
 * The file holds no full map per step. Each step stores what changed: one
 * splice of the gMemoryMap entry list (common prefix and suffix kept), the
 * statistics rows that changed, the events of the command, and the
 * descriptors only at `map`. The page rebuilds full states from these once
 * at load, keeping one every 256 steps, so a 46,000-command boot opens and
 * steps at once. Data is streamed as the trace runs, so memory stays the
 * size of one map.
 */
#define _POSIX_C_SOURCE 200809L /* fmemopen, mkdir */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "page_html.h"
#include "view.h"

#define DATA_MARKER "/*DXEMEM-DATA*/"
#define FUNCTIONS_MAX 32
#define EVENTS_PER_STEP_MAX 100000

typedef struct entry {
  uint64_t start, end, attribute;
  uint32_t type;
} entry;

typedef struct entry_list {
  entry *items;
  size_t count, capacity;
  bool failed; /* out of memory */
} entry_list;

struct view_html_state {
  FILE *out;
  trace_observer observer;
  const char *page_tail; /* the template after the data marker */
  bool failed;
  uint64_t steps;
  /* Events of the command running. */
  dxemem_event *events;
  size_t event_count, event_capacity;
  uint64_t events_dropped;
  const char *functions[FUNCTIONS_MAX];
  size_t function_count;
  /* The state after the previous step, to write deltas. */
  entry_list previous, current;
  dxemem_type_statistics stats[DXEMEM_MAX_MEMORY_TYPE];
  dxemem_memory_type_information info[DXEMEM_MAX_MEMORY_TYPE + 1];
  uint64_t default_base, default_maximum;
  dxemem_counts counts;
  uint64_t key;
  bool have_region;
  uint64_t region_base, region_bytes, granularity;
  /* How the run ended. */
  bool stopped;
  uint64_t stop_line;
  char stop_kind[32];
  char stop_message[TRACE_MESSAGE_MAX + 128];
};

/* ---- JSON output ------------------------------------------------------- */

/* A JSON string that is also safe inside <script>: no '<', '>' or '&'
 * unescaped, control bytes as \u00XX, non-UTF-8 bytes as U+FFFD. */
static void json_string(FILE *out, const char *text, size_t length) {
  fputc('"', out);
  for (size_t i = 0; i < length; i++) {
    unsigned char c = (unsigned char)text[i];
    if (c == '"' || c == '\\') {
      fputc('\\', out);
      fputc(c, out);
    } else if (c < 0x20 || c == '<' || c == '>' || c == '&' || c == 0x7f) {
      fprintf(out, "\\u%04x", c);
    } else if (c < 0x80) {
      fputc(c, out);
    } else {
      /* Pass valid UTF-8 sequences through, replace anything else. */
      size_t n = c >= 0xf0 && c < 0xf5 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
      bool ok = n != 0 && i + n <= length;
      for (size_t k = 1; ok && k < n; k++) {
        ok = ((unsigned char)text[i + k] & 0xc0) == 0x80;
      }
      if (ok) {
        fwrite(text + i, 1, n, out);
        i += n - 1;
      } else {
        fputs("\\ufffd", out);
      }
    }
  }
  fputc('"', out);
}

static void json_cstring(FILE *out, const char *text) {
  json_string(out, text, strlen(text));
}

/* 64-bit values travel as hex strings (JavaScript numbers hold 53 bits). */
static void json_hex(FILE *out, uint64_t value) {
  fprintf(out, "\"%" PRIx64 "\"", value);
}

static void json_entry(FILE *out, const entry *e) {
  fputc('[', out);
  json_hex(out, e->start);
  fputc(',', out);
  json_hex(out, e->end);
  fprintf(out, ",%" PRIu32 ",", e->type);
  json_hex(out, e->attribute);
  fputc(']', out);
}

/* ---- the entry list ---------------------------------------------------- */

static bool collect_entry(void *context, const dxemem_entry_info *info) {
  entry_list *list = context;
  if (list->count == list->capacity) {
    size_t capacity = list->capacity != 0 ? list->capacity * 2 : 256;
    entry *items = realloc(list->items, capacity * sizeof(*items));
    if (items == NULL) {
      list->failed = true;
      return false;
    }
    list->items = items;
    list->capacity = capacity;
  }
  entry *e = &list->items[list->count++];
  e->start = info->start;
  e->end = info->end;
  e->attribute = info->attribute;
  e->type = info->type;
  return true;
}

static bool entry_equal(const entry *a, const entry *b) {
  return a->start == b->start && a->end == b->end &&
         a->attribute == b->attribute && a->type == b->type;
}

/* The one splice that turns previous into current: [at, removed, added]. */
static void write_list_delta(FILE *out, const entry_list *previous,
                             const entry_list *current) {
  size_t prefix = 0;
  while (prefix < previous->count && prefix < current->count &&
         entry_equal(&previous->items[prefix], &current->items[prefix])) {
    prefix++;
  }
  if (prefix == previous->count && prefix == current->count) {
    return;
  }
  size_t suffix = 0;
  while (suffix < previous->count - prefix && suffix < current->count - prefix &&
         entry_equal(&previous->items[previous->count - 1 - suffix],
                     &current->items[current->count - 1 - suffix])) {
    suffix++;
  }
  fprintf(out, ",\"d\":[%zu,%zu,[", prefix, previous->count - prefix - suffix);
  for (size_t i = prefix; i < current->count - suffix; i++) {
    if (i != prefix) {
      fputc(',', out);
    }
    json_entry(out, &current->items[i]);
  }
  fputs("]]", out);
}

/* ---- events ------------------------------------------------------------ */

static size_t function_index(view_html_state *s, const char *function) {
  for (size_t i = 0; i < s->function_count; i++) {
    if (s->functions[i] == function || strcmp(s->functions[i], function) == 0) {
      return i;
    }
  }
  if (s->function_count == FUNCTIONS_MAX) {
    return FUNCTIONS_MAX - 1;
  }
  s->functions[s->function_count] = function;
  return s->function_count++;
}

static void on_event(void *context, const dxemem_event *event) {
  view_html_state *s = context;
  if (s->event_count == s->event_capacity) {
    if (s->event_capacity >= EVENTS_PER_STEP_MAX) {
      s->events_dropped++;
      return;
    }
    size_t capacity = s->event_capacity != 0 ? s->event_capacity * 2 : 64;
    dxemem_event *events = realloc(s->events, capacity * sizeof(*events));
    if (events == NULL) {
      s->failed = true;
      s->events_dropped++;
      return;
    }
    s->events = events;
    s->event_capacity = capacity;
  }
  s->events[s->event_count++] = *event;
}

/* [kind, recursion, stack depth, function, type, start, end, attribute,
 *  entry address, merged away[, hazard name]] */
static void write_events(view_html_state *s) {
  if (s->event_count == 0 && s->events_dropped == 0) {
    return;
  }
  FILE *out = s->out;
  fputs(",\"e\":[", out);
  for (size_t i = 0; i < s->event_count; i++) {
    const dxemem_event *e = &s->events[i];
    const char *function = e->function != NULL ? e->function : "?";
    fprintf(out, "%s[%d,%" PRIu32 ",%" PRIu32 ",%zu,%" PRIu32 ",",
            i != 0 ? "," : "", (int)e->kind, e->recursion, e->depth,
            function_index(s, function), e->type);
    json_hex(out, e->start);
    fputc(',', out);
    json_hex(out, e->end);
    fputc(',', out);
    json_hex(out, e->attribute);
    fputc(',', out);
    json_hex(out, e->entry_address);
    fprintf(out, ",%d", e->merged_away ? 1 : 0);
    if (e->kind == DXEMEM_EVENT_HAZARD) {
      const char *name = dxemem_hazard_name(e->hazard);
      fputc(',', out);
      json_cstring(out, name != NULL ? name : "hazard");
    }
    fputc(']', out);
  }
  fputc(']', out);
  if (s->events_dropped != 0) {
    fprintf(out, ",\"ed\":%" PRIu64, s->events_dropped);
  }
  s->event_count = 0;
  s->events_dropped = 0;
}

/* ---- statistics -------------------------------------------------------- */

static bool stats_row_equal(const dxemem_type_statistics *a,
                            const dxemem_type_statistics *b) {
  return a->base_address == b->base_address &&
         a->maximum_address == b->maximum_address &&
         a->current_number_of_pages == b->current_number_of_pages &&
         a->number_of_pages == b->number_of_pages &&
         a->information_index == b->information_index &&
         a->special == b->special && a->runtime == b->runtime;
}

/* Rows that changed: [type, base, max, bin pages, current pages, info
 * index, special, runtime]; info slots that changed: [index, type, pages];
 * the default range when it changed. */
static void write_stats_delta(view_html_state *s, const dxemem *d, bool all) {
  FILE *out = s->out;
  bool first = true;
  for (uint32_t t = 0; t < DXEMEM_MAX_MEMORY_TYPE; t++) {
    dxemem_type_statistics row;
    if (dxemem_get_type_statistics(d, t, &row) != DXEMEM_SUCCESS) {
      continue;
    }
    if (!all && stats_row_equal(&row, &s->stats[t])) {
      continue;
    }
    s->stats[t] = row;
    fputs(first ? ",\"s\":[" : ",", out);
    first = false;
    fprintf(out, "[%" PRIu32 ",", t);
    json_hex(out, row.base_address);
    fputc(',', out);
    json_hex(out, row.maximum_address);
    fputc(',', out);
    json_hex(out, row.number_of_pages);
    fputc(',', out);
    json_hex(out, row.current_number_of_pages);
    fprintf(out, ",%" PRIu64 ",%d,%d]", row.information_index,
            row.special ? 1 : 0, row.runtime ? 1 : 0);
  }
  if (!first) {
    fputc(']', out);
  }
  first = true;
  for (size_t i = 0; i <= DXEMEM_MAX_MEMORY_TYPE; i++) {
    dxemem_memory_type_information info;
    if (dxemem_get_memory_type_information(d, i, &info) != DXEMEM_SUCCESS) {
      continue;
    }
    if (!all && info.type == s->info[i].type &&
        info.number_of_pages == s->info[i].number_of_pages) {
      continue;
    }
    s->info[i] = info;
    fputs(first ? ",\"i\":[" : ",", out);
    first = false;
    fprintf(out, "[%zu,%" PRIu32 ",%" PRIu32 "]", i, info.type,
            info.number_of_pages);
  }
  if (!first) {
    fputc(']', out);
  }
  uint64_t base = 0, maximum = 0;
  if (dxemem_get_default_range(d, &base, &maximum) == DXEMEM_SUCCESS &&
      (all || base != s->default_base || maximum != s->default_maximum)) {
    s->default_base = base;
    s->default_maximum = maximum;
    fputs(",\"dr\":[", out);
    json_hex(out, base);
    fputc(',', out);
    json_hex(out, maximum);
    fputc(']', out);
  }
}

/* ---- one step ---------------------------------------------------------- */

static void write_map(FILE *out, const trace_outcome *outcome) {
  fputs(",\"m\":{\"size\":", out);
  json_hex(out, outcome->map_size);
  fputs(",\"key\":", out);
  json_hex(out, outcome->map_key);
  fputs(",\"dsize\":", out);
  json_hex(out, outcome->descriptor_size);
  fprintf(out, ",\"dver\":%" PRIu32 ",\"rows\":[", outcome->descriptor_version);
  if (outcome->status == DXEMEM_SUCCESS && outcome->descriptors != NULL &&
      outcome->descriptor_size >= sizeof(dxemem_memory_descriptor)) {
    for (uint64_t offset = 0; offset < outcome->map_size;
         offset += outcome->descriptor_size) {
      dxemem_memory_descriptor m;
      memcpy(&m, outcome->descriptors + offset, sizeof(m));
      fputs(offset != 0 ? ",[" : "[", out);
      json_hex(out, m.physical_start);
      fputc(',', out);
      json_hex(out, m.number_of_pages);
      fprintf(out, ",%" PRIu32 ",", m.type);
      json_hex(out, m.attribute);
      fputc(']', out);
    }
  }
  fputs("]}", out);
}

/* The result in words, as the readable view prints it. */
static void write_result(FILE *out, const trace_command *command,
                         const trace_outcome *outcome) {
  char text[512];
  FILE *memory = fmemopen(text, sizeof(text), "w");
  if (memory == NULL) {
    return;
  }
  trace_print_human_result(memory, command, outcome);
  fclose(memory);
  text[sizeof(text) - 1] = '\0';
  size_t length = strlen(text);
  while (length > 0 && text[length - 1] == '\n') {
    length--;
  }
  fputs(",\"r\":", out);
  json_string(out, text, length);
}

static void on_command(void *context, const trace_command *command,
                       const trace_outcome *outcome, dxemem *d) {
  view_html_state *s = context;
  FILE *out = s->out;
  if (command->op == TRACE_OP_REGION) {
    s->have_region = true;
    s->region_base = command->region.base;
    s->region_bytes = command->region.bytes;
  }
  fprintf(out, "%s{\"l\":%" PRIu64, s->steps != 0 ? ",\n" : "", command->line);
  s->steps++;
  write_result(out, command, outcome);
  write_events(s);
  if (d != NULL) {
    s->current.count = 0;
    if (dxemem_for_each_entry(d, collect_entry, &s->current) ==
            DXEMEM_SUCCESS &&
        !s->current.failed) {
      write_list_delta(out, &s->previous, &s->current);
      entry_list swap = s->previous;
      s->previous = s->current;
      s->current = swap;
    }
    if (s->current.failed) {
      s->failed = true;
    }
    write_stats_delta(s, d, command->op == TRACE_OP_REGION);
    dxemem_counts counts;
    uint64_t key = dxemem_get_map_key(d);
    if (dxemem_get_counts(d, &counts) == DXEMEM_SUCCESS &&
        (command->op == TRACE_OP_REGION ||
         counts.map_entries != s->counts.map_entries ||
         counts.free_entries != s->counts.free_entries ||
         counts.refuel_pages != s->counts.refuel_pages || key != s->key)) {
      s->counts = counts;
      s->key = key;
      fprintf(out,
              ",\"c\":[%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",\"%" PRIx64 "\"]",
              counts.map_entries, counts.free_entries, counts.refuel_pages,
              key);
    }
    if (command->op == TRACE_OP_REGION) {
      s->granularity = dxemem_get_runtime_granularity(d);
    }
  }
  if (command->op == TRACE_OP_MAP) {
    write_map(out, outcome);
  }
  fputc('}', out);
}

static void on_stopped(void *context, uint64_t line, const char *kind,
                       const char *message) {
  view_html_state *s = context;
  s->stopped = true;
  s->stop_line = line;
  snprintf(s->stop_kind, sizeof(s->stop_kind), "%s", kind);
  snprintf(s->stop_message, sizeof(s->stop_message), "%s", message);
}

/* ---- the page ---------------------------------------------------------- */

view_html_state *view_html_open(FILE *out, const char *title,
                                const char *trace_text, size_t trace_bytes) {
  const char *marker = strstr(view_page_html, DATA_MARKER);
  if (marker == NULL) {
    return NULL;
  }
  view_html_state *s = calloc(1, sizeof(*s));
  if (s == NULL) {
    return NULL;
  }
  s->out = out;
  s->observer.context = s;
  s->observer.event = on_event;
  s->observer.command = on_command;
  s->observer.stopped = on_stopped;
  s->page_tail = marker + strlen(DATA_MARKER);
  fwrite(view_page_html, 1, (size_t)(marker - view_page_html), out);

  fputs("<script id=\"trace-data\" type=\"application/json\">", out);
  fputs("{\"title\":", out);
  json_cstring(out, title);
  fputs(",\"lines\":[", out);
  size_t start = 0;
  bool first = true;
  for (size_t i = 0; i <= trace_bytes; i++) {
    if (i == trace_bytes || trace_text[i] == '\n') {
      if (i == trace_bytes && i == start) {
        break; /* no empty line after the final newline */
      }
      size_t length = i - start;
      if (length > 0 && trace_text[start + length - 1] == '\r') {
        length--;
      }
      if (!first) {
        fputc(',', out);
      }
      first = false;
      json_string(out, trace_text + start, length);
      start = i + 1;
    }
  }
  fputs("]}</script>\n<script id=\"step-data\" type=\"application/json\">[\n",
        out);
  return s;
}

const trace_observer *view_html_observer(view_html_state *state) {
  return &state->observer;
}

bool view_html_close(view_html_state *s, trace_exit exit_status) {
  FILE *out = s->out;
  fputs("]</script>\n<script id=\"run-data\" type=\"application/json\">", out);
  fprintf(out, "{\"exit\":%d,\"region\":[", (int)exit_status);
  json_hex(out, s->have_region ? s->region_base : 0);
  fputc(',', out);
  json_hex(out, s->have_region ? s->region_bytes : 0);
  fprintf(out, "],\"granularity\":%" PRIu64 ",\"functions\":[",
          s->granularity);
  for (size_t i = 0; i < s->function_count; i++) {
    if (i != 0) {
      fputc(',', out);
    }
    json_cstring(out, s->functions[i]);
  }
  fputs("],\"types\":[", out);
  for (uint32_t t = 0; t <= DXEMEM_MAX_MEMORY_TYPE; t++) {
    char buffer[11];
    fprintf(out, "%s[", t != 0 ? "," : "");
    json_cstring(out, trace_type_text(t, buffer));
    fputc(',', out);
    json_cstring(out, view_type_label(t));
    fputc(',', out);
    json_cstring(out, view_type_colour(t));
    fputc(']', out);
  }
  fputs("],\"otherColours\":[", out);
  json_cstring(out, view_type_colour(0x70000000u));
  fputc(',', out);
  json_cstring(out, view_type_colour(0x80000000u));
  fputc(',', out);
  json_cstring(out, view_type_colour(0x20u));
  fputc(']', out);
  if (s->stopped) {
    fprintf(out, ",\"stop\":{\"line\":%" PRIu64 ",\"kind\":", s->stop_line);
    json_cstring(out, s->stop_kind);
    fputs(",\"message\":", out);
    json_cstring(out, s->stop_message);
    fputc('}', out);
  }
  fputs("}</script>\n", out);
  fputs(s->page_tail, out);
  bool ok = !s->failed;
  free(s->events);
  free(s->previous.items);
  free(s->current.items);
  free(s);
  return ok;
}
