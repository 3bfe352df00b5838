/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * The CLI's views for people: `replay --html`, `replay --svg` and `boots`
 * (src/view does the work; this file reads the trace and wires it up).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dxemem/dxemem.h"
#include "trace.h"
#include "view.h"
#include "views.h"

static int views_usage_error(const char *message) {
  fprintf(stderr, "dxemem: %s\n", message);
  fputs("usage: dxemem boots [--boots N] [--default-settings] TRACE\n",
        stderr);
  return TRACE_EXIT_TRACE_ERROR;
}

/* The whole input, for the views that show the trace text or replay it
 * more than once. */
int dxemem_read_trace_file(const char *path, char **text, size_t *bytes) {
  FILE *input = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
  if (input == NULL) {
    fprintf(stderr, "dxemem: cannot open '%s': %s\n", path, strerror(errno));
    return TRACE_EXIT_TRACE_ERROR;
  }
  size_t capacity = 1 << 16, used = 0;
  char *buffer = malloc(capacity);
  while (buffer != NULL) {
    used += fread(buffer + used, 1, capacity - used, input);
    if (used < capacity) {
      break;
    }
    char *bigger = realloc(buffer, capacity * 2);
    if (bigger == NULL) {
      free(buffer);
      buffer = NULL;
      break;
    }
    buffer = bigger;
    capacity *= 2;
  }
  bool failed = ferror(input) != 0;
  if (input != stdin) {
    fclose(input);
  }
  if (buffer == NULL || failed) {
    fprintf(stderr, "dxemem: cannot read '%s'%s\n", path,
            buffer == NULL ? ": out of memory" : "");
    free(buffer);
    return TRACE_EXIT_HOST_FAILURE;
  }
  *text = buffer;
  *bytes = used;
  return TRACE_EXIT_OK;
}

static const char *base_name(const char *path) {
  const char *slash = strrchr(path, '/');
  return slash != NULL ? slash + 1 : path;
}

/* --html / --svg: replay with a view attached; only errors are printed. */
int dxemem_replay_view(trace_run_options *options, const char *path,
                       const char *html_path, const char *svg_dir) {
  char *text = NULL;
  size_t bytes = 0;
  int status = dxemem_read_trace_file(path, &text, &bytes);
  if (status != TRACE_EXIT_OK) {
    return status;
  }
  FILE *sink = fopen("/dev/null", "w");
  FILE *page = NULL;
  view_html_state *html = NULL;
  view_svg_state *svg = NULL;
  if (sink != NULL && html_path != NULL) {
    page = fopen(html_path, "w");
    if (page == NULL) {
      fprintf(stderr, "dxemem: cannot create '%s': %s\n", html_path,
              strerror(errno));
    } else {
      html = view_html_open(page, base_name(path), text, bytes);
    }
  } else if (sink != NULL) {
    svg = view_svg_open(svg_dir, stderr);
  }
  if (sink == NULL || (html == NULL && svg == NULL)) {
    if (page != NULL) {
      fclose(page);
    }
    if (sink != NULL) {
      fclose(sink);
    }
    free(text);
    return TRACE_EXIT_HOST_FAILURE;
  }
  options->out = sink;
  options->check_output = true; /* the cheapest printer; output unused */
  options->observer = html != NULL ? view_html_observer(html)
                                   : view_svg_observer(svg);
  trace_reader *reader = malloc(sizeof(*reader));
  trace_exit exit_status = TRACE_EXIT_HOST_FAILURE;
  if (reader != NULL) {
    trace_reader_init_memory(reader, text, bytes);
    exit_status = trace_run(reader, options);
    free(reader);
  }
  if (html != NULL) {
    bool ok = view_html_close(html, exit_status);
    if (fclose(page) != 0 || !ok) {
      fprintf(stderr, "dxemem: cannot write '%s'\n", html_path);
      exit_status = TRACE_EXIT_HOST_FAILURE;
    }
  } else if (view_svg_close(svg) < 0) {
    exit_status = TRACE_EXIT_HOST_FAILURE;
  }
  fclose(sink);
  free(text);
  return exit_status;
}

int dxemem_boots(int argc, char **argv) {
  view_boots_options options = {.max_boots = 10, .out = stdout};
  const char *path = NULL;
  for (int i = 0; i < argc; i++) {
    const char *arg = argv[i];
    if (strcmp(arg, "--boots") == 0) {
      char *end = NULL;
      unsigned long n = i + 1 < argc ? strtoul(argv[i + 1], &end, 10) : 0;
      if (end == NULL || *end != '\0' || n < 1 || n > 1000) {
        return views_usage_error("--boots needs a count from 1 to 1000");
      }
      options.max_boots = (unsigned)n;
      i++;
    } else if (strcmp(arg, "--default-settings") == 0) {
      options.default_settings = true;
    } else if (arg[0] == '-' && arg[1] != '\0') {
      return views_usage_error("unknown option to boots");
    } else if (path != NULL) {
      return views_usage_error("boots takes one TRACE");
    } else {
      path = arg;
    }
  }
  if (path == NULL) {
    return views_usage_error("boots needs a TRACE");
  }
  char *text = NULL;
  size_t bytes = 0;
  int status = dxemem_read_trace_file(path, &text, &bytes);
  if (status != TRACE_EXIT_OK) {
    return status;
  }
  view_trace_boot boot = {text, bytes, stderr};
  unsigned boots_run = 0;
  bool converged = false;
  trace_exit exit_status = view_boots_run(view_boots_run_trace, &boot,
                                          &options, &boots_run, &converged);
  free(text);
  return exit_status;
}
