/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * `dxemem diff`: what a move from one edk2 version to another changes for
 * a trace. The trace is replayed under both references in the check format;
 * at the first output line that differs the command's differing lines are
 * shown side by side, then each reference replays the trace again up to that
 * trace line and its memory map (GetMemoryMap, as a caller sees it) is
 * printed, descriptors the other map does not have marked with '*'.
 */
/* open_memstream is POSIX.1-2008. */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"

#define DIFF_MAX_LINES_DEFAULT 8u

/* One replay's standard output and error, and how it ended. */
typedef struct capture {
  char *out;
  size_t out_size;
  char *err;
  size_t err_size;
  trace_exit status;
} capture;

/* The memory map at the stop, copied out before the instance goes. */
typedef struct map_capture {
  bool taken;
  dxemem_status status;
  uint64_t key;
  size_t count;
  dxemem_memory_descriptor *descriptors;
} map_capture;

/* A line of a capture: start and length without the newline. */
typedef struct text_line {
  const char *text;
  size_t length;
} text_line;

static void take_map(void *context, dxemem *d) {
  map_capture *map = context;
  uint64_t size = 0, descriptor_size = 0;
  uint32_t version = 0;
  map->taken = true;
  /* A non-NULL buffer, so that an empty map is a success of size 0. */
  dxemem_memory_descriptor probe;
  map->status = dxemem_get_memory_map(d, &size, &probe, &map->key,
                                      &descriptor_size, &version);
  if (map->status != DXEMEM_BUFFER_TOO_SMALL &&
      map->status != DXEMEM_SUCCESS) {
    return;
  }
  unsigned char *buffer = malloc(size != 0 ? (size_t)size : 1);
  if (buffer == NULL) {
    map->status = DXEMEM_OUT_OF_RESOURCES;
    return;
  }
  map->status = dxemem_get_memory_map(d, &size,
                                      (dxemem_memory_descriptor *)buffer,
                                      &map->key, &descriptor_size, &version);
  if (map->status == DXEMEM_SUCCESS && descriptor_size != 0) {
    map->count = (size_t)(size / descriptor_size);
    map->descriptors = calloc(map->count + 1, sizeof *map->descriptors);
    if (map->descriptors == NULL) {
      map->status = DXEMEM_OUT_OF_RESOURCES;
      map->count = 0;
    }
    for (size_t i = 0; i < map->count && map->descriptors != NULL; i++) {
      memcpy(&map->descriptors[i], buffer + i * descriptor_size,
             sizeof map->descriptors[i]);
    }
  }
  free(buffer);
}

/* Replays the whole trace (stop_line 0) or up to a line, capturing both
 * streams; with map, the map at the end is taken too. */
static bool replay(const void *data, size_t size, uint32_t reference,
                   uint64_t stop_line, map_capture *map, capture *out) {
  memset(out, 0, sizeof *out);
  FILE *stdout_stream = open_memstream(&out->out, &out->out_size);
  FILE *stderr_stream = open_memstream(&out->err, &out->err_size);
  trace_reader *reader = malloc(sizeof *reader);
  bool ok = stdout_stream != NULL && stderr_stream != NULL && reader != NULL;
  if (ok) {
    trace_reader_init_memory(reader, data, size);
    trace_run_options options = {.check_output = true,
                                 .out = stdout_stream,
                                 .err = stderr_stream,
                                 .reference = reference,
                                 .stop_after_line = stop_line};
    if (map != NULL) {
      options.at_end = take_map;
      options.at_end_context = map;
    }
    out->status = trace_run(reader, &options);
  }
  free(reader);
  if (stdout_stream != NULL) {
    fclose(stdout_stream);
  }
  if (stderr_stream != NULL) {
    fclose(stderr_stream);
  }
  return ok;
}

static void capture_free(capture *c) {
  free(c->out);
  free(c->err);
}

/* Line index (0-based) of a text, if it has one. */
static bool line_at(const char *text, size_t size, size_t index,
                    text_line *out) {
  const char *p = text;
  const char *end = text + size;
  for (size_t i = 0; i < index; i++) {
    const char *newline = memchr(p, '\n', (size_t)(end - p));
    if (newline == NULL) {
      return false;
    }
    p = newline + 1;
  }
  if (p >= end) {
    return false;
  }
  const char *newline = memchr(p, '\n', (size_t)(end - p));
  out->text = p;
  out->length = newline != NULL ? (size_t)(newline - p) : (size_t)(end - p);
  return true;
}

static uint64_t trace_line_of(const text_line *line) {
  uint64_t number = 0;
  for (size_t i = 0; i < line->length && line->text[i] >= '0' &&
                     line->text[i] <= '9';
       i++) {
    number = number * 10 + (uint64_t)(line->text[i] - '0');
  }
  return number;
}

static bool same_line(const text_line *a, bool has_a, const text_line *b,
                      bool has_b) {
  if (has_a != has_b) {
    return false;
  }
  return !has_a ||
         (a->length == b->length && memcmp(a->text, b->text, a->length) == 0);
}

/* --addresses: drops what differs between the references in almost every
 * trace (the `stats` blocks, the map key), so that the first difference
 * left is one of addresses, statuses or descriptors. Rewrites the capture's
 * output in place; false when out of memory. */
static bool keep_addresses_only(capture *c) {
  char *kept = malloc(c->out_size + 1);
  if (kept == NULL) {
    return false;
  }
  size_t used = 0;
  uint64_t stats_line = 0;
  text_line line;
  for (size_t i = 0; line_at(c->out, c->out_size, i, &line); i++) {
    uint64_t number = trace_line_of(&line);
    const char *rest = memchr(line.text, ' ', line.length);
    size_t rest_length =
        rest != NULL ? line.length - (size_t)(rest - line.text) : 0;
    if (rest_length == 6 && memcmp(rest, " stats", 6) == 0) {
      stats_line = number;
    }
    if (stats_line != 0 && number == stats_line) {
      continue;
    }
    const char *key = NULL;
    for (size_t j = 0; j + 7 <= line.length; j++) {
      if (memcmp(line.text + j, " key=0x", 7) == 0) {
        key = line.text + j;
        break;
      }
    }
    size_t head = key != NULL ? (size_t)(key - line.text) : line.length;
    memcpy(kept + used, line.text, head);
    used += head;
    if (key != NULL) {
      const char *end = key + 7;
      while (end < line.text + line.length && *end != ' ') {
        end++;
      }
      memcpy(kept + used, " key=*", 6);
      used += 6;
      size_t tail = (size_t)(line.text + line.length - end);
      memcpy(kept + used, end, tail);
      used += tail;
    }
    kept[used++] = '\n';
  }
  free(c->out);
  c->out = kept;
  c->out_size = used;
  return true;
}

/* The first output line the two captures disagree on; false if none. */
static bool first_difference(const capture *a, const capture *b,
                             size_t *index) {
  for (size_t i = 0;; i++) {
    text_line la, lb;
    bool has_a = line_at(a->out, a->out_size, i, &la);
    bool has_b = line_at(b->out, b->out_size, i, &lb);
    if (!has_a && !has_b) {
      return false;
    }
    if (!same_line(&la, has_a, &lb, has_b)) {
      *index = i;
      return true;
    }
  }
}

static void print_side(FILE *out, const char *name, int width,
                       const text_line *line, bool has) {
  if (has) {
    fprintf(out, "  %-*s  %.*s\n", width, name, (int)line->length, line->text);
  } else {
    fprintf(out, "  %-*s  (no line)\n", width, name);
  }
}

/* Prints the differing lines of the command on trace line number, from
 * output line first on. */
static void print_differing_lines(FILE *out, const capture *c[2],
                                  const char *names[2], int width,
                                  size_t first, uint64_t number,
                                  size_t max_lines) {
  size_t shown = 0, hidden = 0;
  for (size_t i = first;; i++) {
    text_line l[2];
    bool has[2];
    for (int s = 0; s < 2; s++) {
      has[s] = line_at(c[s]->out, c[s]->out_size, i, &l[s]) &&
               trace_line_of(&l[s]) == number;
    }
    if (!has[0] && !has[1]) {
      break;
    }
    if (same_line(&l[0], has[0], &l[1], has[1])) {
      continue;
    }
    if (shown == max_lines) {
      hidden++;
      continue;
    }
    for (int s = 0; s < 2; s++) {
      print_side(out, names[s], width, &l[s], has[s]);
    }
    shown++;
  }
  if (hidden != 0) {
    fprintf(out, "  ... and %zu more differing line%s of line %" PRIu64 "\n",
            hidden, hidden == 1 ? "" : "s", number);
  }
}

static bool has_descriptor(const map_capture *map,
                           const dxemem_memory_descriptor *d) {
  for (size_t i = 0; i < map->count; i++) {
    const dxemem_memory_descriptor *e = &map->descriptors[i];
    if (e->physical_start == d->physical_start &&
        e->number_of_pages == d->number_of_pages && e->type == d->type &&
        e->attribute == d->attribute) {
      return true;
    }
  }
  return false;
}

static void print_map(FILE *out, const char *name, uint64_t number,
                      const map_capture *map, const map_capture *other) {
  if (number != 0) {
    fprintf(out, "\n%s: memory map after line %" PRIu64, name, number);
  } else {
    fprintf(out, "\n%s: memory map at the end", name);
  }
  if (!map->taken) {
    fputs(": none (no region)\n", out);
    return;
  }
  char status_text[19];
  if (map->status != DXEMEM_SUCCESS) {
    fprintf(out, ": GetMemoryMap returned %s\n",
            trace_status_text(map->status, status_text));
    return;
  }
  fprintf(out, " (%zu descriptor%s, key 0x%" PRIx64 ")\n", map->count,
          map->count == 1 ? "" : "s", map->key);
  for (size_t i = 0; i < map->count; i++) {
    const dxemem_memory_descriptor *d = &map->descriptors[i];
    char type[11];
    uint64_t end = d->number_of_pages == 0
                       ? d->physical_start
                       : d->physical_start +
                             (d->number_of_pages << DXEMEM_PAGE_SHIFT) - 1;
    fprintf(out,
            "  %c 0x%016" PRIx64 "-0x%016" PRIx64 " 0x%-8" PRIx64
            " %-26s 0x%" PRIx64 "\n",
            has_descriptor(other, d) ? ' ' : '*', d->physical_start, end,
            d->number_of_pages, trace_type_text(d->type, type), d->attribute);
  }
}

/* The text of trace line number, without its newline. */
static text_line trace_source_line(const void *data, size_t size,
                                   uint64_t number) {
  text_line line = {"", 0};
  if (number != 0) {
    (void)line_at(data, size, (size_t)(number - 1), &line);
  }
  if (line.length > 0 && line.text[line.length - 1] == '\r') {
    line.length--;
  }
  return line;
}

/* The last line of a replay's standard error: the diagnostic it stopped
 * on (warnings come before it). */
static void print_stderr_tail(FILE *out, const char *name, const capture *c) {
  text_line line, last = {NULL, 0};
  for (size_t i = 0; line_at(c->err, c->err_size, i, &line); i++) {
    last = line;
  }
  if (last.text != NULL) {
    fprintf(out, "  %s: %.*s\n", name, (int)last.length, last.text);
  }
}

int trace_diff(const void *data, size_t size,
               const trace_diff_options *options) {
  const char *names[2];
  for (int s = 0; s < 2; s++) {
    names[s] = dxemem_reference_name(options->references[s]);
    if (names[s] == NULL) {
      fprintf(options->err, "dxemem diff: unknown reference %u\n",
              options->references[s]);
      return TRACE_EXIT_TRACE_ERROR;
    }
  }
  int width = (int)(strlen(names[0]) > strlen(names[1]) ? strlen(names[0])
                                                        : strlen(names[1]));
  size_t max_lines =
      options->max_lines != 0 ? options->max_lines : DIFF_MAX_LINES_DEFAULT;
  FILE *out = options->out;

  capture runs[2];
  bool ok = replay(data, size, options->references[0], 0, NULL, &runs[0]);
  ok = replay(data, size, options->references[1], 0, NULL, &runs[1]) && ok;
  if (ok && options->addresses_only) {
    ok = keep_addresses_only(&runs[0]) && keep_addresses_only(&runs[1]);
  }
  if (!ok) {
    capture_free(&runs[0]);
    capture_free(&runs[1]);
    fprintf(options->err, "dxemem diff: cannot capture a replay\n");
    return TRACE_EXIT_INVARIANT;
  }

  size_t first = 0;
  bool differ = first_difference(&runs[0], &runs[1], &first);
  bool status_differs = runs[0].status != runs[1].status;
  uint64_t number = 0;
  if (!differ && !status_differs) {
    fprintf(out, "%s and %s print the same output (exit status %d)\n",
            names[0], names[1], (int)runs[0].status);
    capture_free(&runs[0]);
    capture_free(&runs[1]);
    return 0;
  }
  if (differ) {
    text_line l[2];
    bool has[2];
    for (int s = 0; s < 2; s++) {
      has[s] = line_at(runs[s].out, runs[s].out_size, first, &l[s]);
      uint64_t n = has[s] ? trace_line_of(&l[s]) : 0;
      if (has[s] && (number == 0 || n < number)) {
        number = n;
      }
    }
    text_line source = trace_source_line(data, size, number);
    fprintf(out, "first difference: trace line %" PRIu64
                 " (check output line %zu): %.*s\n",
            number, first + 1, (int)source.length, source.text);
    const capture *c[2] = {&runs[0], &runs[1]};
    print_differing_lines(out, c, names, width, first, number, max_lines);
  } else {
    fprintf(out, "the same output, but not the same exit status\n");
  }
  if (status_differs || runs[0].status != TRACE_EXIT_OK) {
    fprintf(out, "exit status: %s %d, %s %d\n", names[0], (int)runs[0].status,
            names[1], (int)runs[1].status);
    print_stderr_tail(out, names[0], &runs[0]);
    print_stderr_tail(out, names[1], &runs[1]);
  }
  capture_free(&runs[0]);
  capture_free(&runs[1]);

  map_capture maps[2];
  memset(maps, 0, sizeof maps);
  for (int s = 0; s < 2; s++) {
    capture again;
    /* A failed capture leaves its map untaken, and print_map says so. */
    (void)replay(data, size, options->references[s], number, &maps[s],
                 &again);
    capture_free(&again);
  }
  print_map(out, names[0], number, &maps[0], &maps[1]);
  print_map(out, names[1], number, &maps[1], &maps[0]);
  free(maps[0].descriptors);
  free(maps[1].descriptors);
  return 1;
}
