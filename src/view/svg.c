/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * SVG pictures of the memory map, and the colours every view shares.
 *
 * A picture is the region drawn to scale as one bar, each descriptor a
 * rectangle in its type's colour (never narrower than one pixel, so a
 * one-page allocation in a gigabyte still shows), the bins outlined in a
 * lane above it, refuel pages marked with ticks below, and a legend of the
 * types that appear.
 */
#define _POSIX_C_SOURCE 200809L /* fmemopen, mkdir */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "view.h"

/* Chosen so neighbours differ: free memory is pale, boot-time types are
 * blues and greens, runtime types warm, ACPI purple, reserved grey. */
static const char *const type_colours[DXEMEM_MAX_MEMORY_TYPE + 1] = {
    "#7f7f7f", /* reserved */
    "#2e86c1", /* loader code */
    "#85c1e9", /* loader data */
    "#1e8449", /* boot services code */
    "#82e0aa", /* boot services data */
    "#c0392b", /* runtime services code */
    "#f1948a", /* runtime services data */
    "#f4f6f7", /* conventional */
    "#17202a", /* unusable */
    "#8e44ad", /* ACPI reclaim */
    "#d2b4de", /* ACPI NVS */
    "#b9770e", /* MMIO */
    "#f5cba7", /* MMIO port space */
    "#f1c40f", /* PAL code */
    "#48c9b0", /* persistent */
    "#d5dbdb", /* unaccepted */
    "#000000", /* EfiMaxMemoryType: never in a map */
};

const char *view_type_colour(uint32_t type) {
  if (type <= DXEMEM_MAX_MEMORY_TYPE) {
    return type_colours[type];
  }
  if (type >= 0x80000000u) {
    return "#e67e22"; /* every OS type */
  }
  if (type >= 0x70000000u) {
    return "#16a085"; /* every OEM type */
  }
  return "#ff00ff"; /* an invalid value, loud on purpose */
}

const char *view_type_label(uint32_t type) {
  return trace_type_label(type);
}

/* ---- one picture ------------------------------------------------------- */

#define WIDTH 1000.0
#define LEFT 10.0
#define BAR_WIDTH (WIDTH - 2 * LEFT)
#define BIN_Y 30.0
#define BAR_Y 48.0
#define BAR_HEIGHT 60.0

static void xml_text(FILE *out, const char *text) {
  for (; *text != '\0'; text++) {
    switch (*text) {
    case '<':
      fputs("&lt;", out);
      break;
    case '>':
      fputs("&gt;", out);
      break;
    case '&':
      fputs("&amp;", out);
      break;
    case '"':
      fputs("&quot;", out);
      break;
    default:
      fputc(*text, out);
    }
  }
}

/* The address window a lane shows: [lo, lo + span). */
typedef struct lane {
  uint64_t lo, span;
  double y; /* top of the bin outlines; the bar is 18 below */
} lane;

/* x of an address; the window maps onto [LEFT, LEFT + BAR_WIDTH]. */
static double x_of(const lane *l, uint64_t address) {
  if (address <= l->lo) {
    return LEFT;
  }
  uint64_t offset = address - l->lo;
  if (offset >= l->span) {
    return LEFT + BAR_WIDTH;
  }
  return LEFT + BAR_WIDTH * ((double)offset / (double)l->span);
}

static uint64_t range_end(uint64_t start, uint64_t pages) {
  if (pages > (UINT64_MAX - start) / DXEMEM_PAGE_SIZE + 1) {
    return UINT64_MAX;
  }
  return pages == 0 ? start : start + (pages * DXEMEM_PAGE_SIZE - 1);
}

static void bar_rect(FILE *out, double x0, double x1, double y, double h,
                     const char *fill, const char *stroke, const char *title) {
  double w = x1 - x0;
  if (w < 1.0) {
    w = 1.0;
  }
  fprintf(out,
          "<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\" "
          "fill=\"%s\" stroke=\"%s\" stroke-width=\"0.5\"><title>",
          x0, y, w, h, fill, stroke);
  xml_text(out, title);
  fputs("</title></rect>\n", out);
}

/* One to-scale bar of the window l: descriptors, bins, refuel pages and
 * the window's two ends. Marks the types drawn in used[]. */
static void draw_lane(FILE *out, const view_picture *p, const lane *l,
                      bool *used) {
  double bar_y = l->y + 18;
  for (size_t i = 0; i < p->range_count; i++) {
    const view_range *r = &p->ranges[i];
    char buffer[11], title[160];
    uint64_t end = range_end(r->start, r->pages);
    if (end < l->lo || r->start - l->lo >= l->span) {
      continue;
    }
    snprintf(title, sizeof(title),
             "%s 0x%016" PRIx64 "-0x%016" PRIx64 " 0x%" PRIx64
             " pages attr 0x%" PRIx64,
             trace_type_text(r->type, buffer), r->start, end, r->pages,
             r->attribute);
    bar_rect(out, x_of(l, r->start), x_of(l, end + (end != UINT64_MAX)),
             bar_y, BAR_HEIGHT, view_type_colour(r->type), "#555555", title);
    size_t slot = r->type <= DXEMEM_MAX_MEMORY_TYPE ? r->type
                  : r->type >= 0x80000000u          ? DXEMEM_MAX_MEMORY_TYPE + 2
                  : r->type >= 0x70000000u          ? DXEMEM_MAX_MEMORY_TYPE + 1
                                                    : DXEMEM_MAX_MEMORY_TYPE + 3;
    used[slot] = true;
  }
  for (size_t i = 0; i < p->bin_count; i++) {
    const view_bin *b = &p->bins[i];
    char buffer[11], title[160];
    if (b->maximum < l->lo || b->base - l->lo >= l->span) {
      continue;
    }
    snprintf(title, sizeof(title), "bin of %s 0x%016" PRIx64 "-0x%016" PRIx64,
             trace_type_text(b->type, buffer), b->base, b->maximum);
    double x0 = x_of(l, b->base);
    double x1 = x_of(l, b->maximum + (b->maximum != UINT64_MAX));
    double w = x1 - x0 < 1.0 ? 1.0 : x1 - x0;
    fprintf(out,
            "<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\" "
            "fill=\"none\" stroke=\"%s\" stroke-width=\"2\" "
            "stroke-dasharray=\"4 2\"><title>",
            x0, l->y, w, bar_y + BAR_HEIGHT - l->y + 4,
            view_type_colour(b->type));
    xml_text(out, title);
    fputs("</title></rect>\n", out);
    used[b->type <= DXEMEM_MAX_MEMORY_TYPE ? b->type
                                           : DXEMEM_MAX_MEMORY_TYPE + 3] = true;
  }
  for (size_t i = 0; i < p->refuel_count; i++) {
    if (p->refuel_pages[i] < l->lo || p->refuel_pages[i] - l->lo >= l->span) {
      continue;
    }
    fprintf(out,
            "<path d=\"M%.2f %.1f l-4 8 h8 z\" fill=\"#000000\"><title>refuel "
            "page 0x%016" PRIx64 " (64 map entries)</title></path>\n",
            x_of(l, p->refuel_pages[i]), bar_y + BAR_HEIGHT + 2,
            p->refuel_pages[i]);
  }
  double axis_y = bar_y + BAR_HEIGHT + 24;
  fprintf(out,
          "<text x=\"%.0f\" y=\"%.0f\">0x%" PRIx64 "</text>\n"
          "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">0x%" PRIx64
          "</text>\n",
          LEFT, axis_y, l->lo, LEFT + BAR_WIDTH, axis_y, l->lo + (l->span - 1));
}

/* The bins and the refuel pages: where a detail lane looks when the
 * whole region shows them as slivers. */
static bool busy_window(const view_picture *p, uint64_t *lo, uint64_t *hi) {
  if (p->bin_count == 0) {
    return false;
  }
  *lo = UINT64_MAX;
  *hi = 0;
  for (size_t i = 0; i < p->bin_count; i++) {
    *lo = p->bins[i].base < *lo ? p->bins[i].base : *lo;
    *hi = p->bins[i].maximum > *hi ? p->bins[i].maximum : *hi;
  }
  for (size_t i = 0; i < p->refuel_count; i++) {
    uint64_t page = p->refuel_pages[i];
    *lo = page < *lo ? page : *lo;
    *hi = page + DXEMEM_PAGE_MASK > *hi ? page + DXEMEM_PAGE_MASK : *hi;
  }
  uint64_t top = p->region_base + (p->region_bytes - 1);
  if (*lo < p->region_base || *hi > top || *hi <= *lo) {
    return false;
  }
  /* A little room either side, inside the region. */
  uint64_t pad = (*hi - *lo) / 16 + 1;
  *lo = *lo - p->region_base > pad ? (*lo - pad) & ~(uint64_t)DXEMEM_PAGE_MASK
                                   : p->region_base;
  *hi = top - *hi > pad ? *hi + pad : top;
  return *hi - *lo < p->region_bytes / 4;
}

#define LANE_HEIGHT (18.0 + BAR_HEIGHT + 34.0)

bool view_svg_write(FILE *out, const view_picture *p) {
  bool used[DXEMEM_MAX_MEMORY_TYPE + 4] = {false};
  size_t legend_slots = DXEMEM_MAX_MEMORY_TYPE + 4;
  lane whole = {p->region_base, p->region_bytes, BIN_Y};
  /* A second lane, to scale too, for the bins and refuel pages when they
   * take less than a quarter of the region. */
  uint64_t low = 0, high = 0;
  bool detail = busy_window(p, &low, &high);
  lane zoom = {low, high - low + 1, BIN_Y + LANE_HEIGHT + 14};
  double axis_y = (detail ? zoom.y : whole.y) + LANE_HEIGHT - 10;
  double height = axis_y + 70.0;
  fprintf(out,
          "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
          "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" "
          "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
          "font-family=\"sans-serif\" font-size=\"11\">\n"
          "<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>\n",
          WIDTH, height, WIDTH, height);
  fputs("<text x=\"10\" y=\"16\" font-size=\"13\" font-weight=\"bold\">", out);
  xml_text(out, p->title != NULL ? p->title : "memory map");
  fputs("</text>\n", out);
  draw_lane(out, p, &whole, used);
  if (detail) {
    fprintf(out,
            "<text x=\"%.0f\" y=\"%.0f\" fill=\"#555555\">closer, to "
            "scale: the bins and the refuel pages</text>\n",
            LEFT, zoom.y - 4);
    draw_lane(out, p, &zoom, used);
  }
  /* Legend. */
  double lx = LEFT, ly = axis_y + 22;
  for (size_t slot = 0; slot < legend_slots; slot++) {
    if (!used[slot]) {
      continue;
    }
    uint32_t type = slot <= DXEMEM_MAX_MEMORY_TYPE       ? (uint32_t)slot
                    : slot == DXEMEM_MAX_MEMORY_TYPE + 1 ? 0x70000000u
                    : slot == DXEMEM_MAX_MEMORY_TYPE + 2 ? 0x80000000u
                                                         : 0x20u;
    if (lx > WIDTH - 110) {
      lx = LEFT;
      ly += 16;
    }
    fprintf(out,
            "<rect x=\"%.0f\" y=\"%.0f\" width=\"12\" height=\"12\" "
            "fill=\"%s\" stroke=\"#555555\"/><text x=\"%.0f\" y=\"%.0f\">%s"
            "</text>\n",
            lx, ly - 10, view_type_colour(type), lx + 16, ly,
            view_type_label(type));
    lx += 100;
  }
  fputs("<text x=\"990\" y=\"16\" text-anchor=\"end\" fill=\"#555555\">"
        "dashed: bins; triangles: refuel pages</text>\n</svg>\n",
        out);
  return !ferror(out);
}

/* ---- `--svg DIR` ------------------------------------------------------- */

struct view_svg_state {
  char *directory;
  FILE *err;
  trace_observer observer;
  long written;
  bool failed;
  uint64_t region_base, region_bytes;
  uint64_t *refuel_pages;
  size_t refuel_count, refuel_capacity;
};

static void svg_event(void *context, const dxemem_event *event) {
  view_svg_state *s = context;
  if (event->kind != DXEMEM_EVENT_REFUEL) {
    return;
  }
  if (s->refuel_count == s->refuel_capacity) {
    size_t capacity = s->refuel_capacity != 0 ? s->refuel_capacity * 2 : 64;
    uint64_t *pages = realloc(s->refuel_pages, capacity * sizeof(*pages));
    if (pages == NULL) {
      return;
    }
    s->refuel_pages = pages;
    s->refuel_capacity = capacity;
  }
  s->refuel_pages[s->refuel_count++] = event->start;
}

static void svg_command(void *context, const trace_command *command,
                        const trace_outcome *outcome, dxemem *d) {
  view_svg_state *s = context;
  if (command->op == TRACE_OP_REGION) {
    s->region_base = command->region.base;
    s->region_bytes = command->region.bytes;
  }
  if (command->op != TRACE_OP_MAP || outcome->status != DXEMEM_SUCCESS ||
      outcome->descriptors == NULL || s->failed) {
    return;
  }
  size_t count = (size_t)(outcome->map_size / outcome->descriptor_size);
  view_range *ranges = calloc(count != 0 ? count : 1, sizeof(*ranges));
  if (ranges == NULL) {
    return;
  }
  for (size_t i = 0; i < count; i++) {
    dxemem_memory_descriptor m;
    memcpy(&m, outcome->descriptors + i * outcome->descriptor_size, sizeof(m));
    ranges[i] = (view_range){m.physical_start, m.number_of_pages, m.type,
                             m.attribute};
  }
  view_bin bins[DXEMEM_MAX_MEMORY_TYPE];
  size_t bin_count = 0;
  for (uint32_t t = 0; t < DXEMEM_MAX_MEMORY_TYPE && d != NULL; t++) {
    dxemem_type_statistics row;
    if (dxemem_get_type_statistics(d, t, &row) == DXEMEM_SUCCESS &&
        row.number_of_pages != 0 && row.maximum_address > row.base_address) {
      bins[bin_count++] = (view_bin){t, row.base_address, row.maximum_address};
    }
  }
  char title[96];
  snprintf(title, sizeof(title),
           "map at line %" PRIu64 ": %zu descriptors, key 0x%" PRIx64,
           command->line, count, outcome->map_key);
  view_picture picture = {s->region_base, s->region_bytes, ranges,     count,
                          bins,           bin_count,       s->refuel_pages,
                          s->refuel_count, title};
  size_t path_size = strlen(s->directory) + 48;
  char *path = malloc(path_size);
  FILE *out = path != NULL ? (snprintf(path, path_size, "%s/map-%06" PRIu64
                                       ".svg", s->directory, command->line),
                              fopen(path, "w"))
                           : NULL;
  if (out == NULL || !view_svg_write(out, &picture) || fclose(out) != 0) {
    fprintf(s->err, "dxemem: cannot write '%s': %s\n",
            path != NULL ? path : s->directory, strerror(errno));
    s->failed = true;
  } else {
    s->written++;
  }
  free(path);
  free(ranges);
}

view_svg_state *view_svg_open(const char *directory, FILE *err) {
  if (mkdir(directory, 0777) != 0 && errno != EEXIST) {
    fprintf(err, "dxemem: cannot create '%s': %s\n", directory,
            strerror(errno));
    return NULL;
  }
  view_svg_state *s = calloc(1, sizeof(*s));
  char *copy = s != NULL ? malloc(strlen(directory) + 1) : NULL;
  if (copy == NULL) {
    free(s);
    return NULL;
  }
  strcpy(copy, directory);
  s->directory = copy;
  s->err = err;
  s->observer.context = s;
  s->observer.event = svg_event;
  s->observer.command = svg_command;
  return s;
}

const trace_observer *view_svg_observer(view_svg_state *state) {
  return &state->observer;
}

long view_svg_close(view_svg_state *s) {
  long written = s->failed ? -1 : s->written;
  free(s->refuel_pages);
  free(s->directory);
  free(s);
  return written;
}
