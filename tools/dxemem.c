/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * dxemem: the command-line front end.
 *
 *   dxemem replay [--check] [--verify] [--events] TRACE
 *
 * Exit status: 0 ok, 1 host failure, 2 trace or usage error, 3 invariant
 * violation (see src/trace/trace.h, trace_exit).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dxemem/dxemem.h"
#include "trace.h"

static const char usage_text[] =
    "usage: dxemem replay [--check] [--verify] [--events] [--reference NAME]\n"
    "                     TRACE\n"
    "       dxemem --help | --version\n";

static const char help_text[] =
    "Replays a trace (see docs/traces.md) against the dxemem page allocator\n"
    "over a fake physical region.\n"
    "\n"
    "  TRACE       the trace file, or - for standard input\n"
    "  --check     print the byte-exact check output of the trace format\n"
    "              (default: a readable view with tables after map and stats)\n"
    "  --verify    run dxemem_check() after every command\n"
    "  --events    readable view only: show the allocator's events (ranges\n"
    "              added and converted, refuels, map-stack pushes and pops)\n"
    "              under the command that caused them\n"
    "  --reference NAME\n"
    "              the edk2 version to behave like:\n"
    "                edk2-stable202605    (default) bins set up one by one\n"
    "                edk2-master-2026-08  master c5aa7e7d94: one contiguous\n"
    "                                     block for all bins (MemoryBin.c)\n"
    "\n"
    "Exit status: 0 ok, 1 host failure (mmap, memory, I/O), 2 trace or usage\n"
    "error, 3 invariant violation.\n";

static int usage_error(const char *format, const char *argument) {
  fputs("dxemem: ", stderr);
  fprintf(stderr, format, argument);
  fputc('\n', stderr);
  fputs(usage_text, stderr);
  return TRACE_EXIT_TRACE_ERROR;
}

static int replay(int argc, char **argv) {
  trace_run_options options = {.out = stdout, .err = stderr};
  const char *path = NULL;
  bool options_done = false;
  for (int i = 0; i < argc; i++) {
    const char *arg = argv[i];
    if (!options_done && strcmp(arg, "--") == 0) {
      options_done = true;
    } else if (!options_done && strcmp(arg, "--check") == 0) {
      options.check_output = true;
    } else if (!options_done && strcmp(arg, "--verify") == 0) {
      options.verify = true;
    } else if (!options_done && strcmp(arg, "--events") == 0) {
      options.events = true;
    } else if (!options_done && strcmp(arg, "--reference") == 0) {
      if (i + 1 >= argc) {
        return usage_error("%s", "--reference needs a NAME");
      }
      i++;
      if (!dxemem_reference_from_name(argv[i], &options.reference)) {
        return usage_error("unknown reference '%s' (see --help)", argv[i]);
      }
    } else if (!options_done && strcmp(arg, "--help") == 0) {
      fputs(usage_text, stdout);
      fputs(help_text, stdout);
      return TRACE_EXIT_OK;
    } else if (!options_done && arg[0] == '-' && arg[1] != '\0') {
      return usage_error("unknown option '%s'", arg);
    } else if (path != NULL) {
      return usage_error("more than one TRACE ('%s')", arg);
    } else {
      path = arg;
    }
  }
  if (path == NULL) {
    return usage_error("%s", "replay needs a TRACE");
  }
  if (options.check_output && options.events) {
    return usage_error("%s", "--events shows in the readable view only, "
                             "not with --check");
  }

  FILE *input = stdin;
  if (strcmp(path, "-") != 0) {
    input = fopen(path, "rb");
    if (input == NULL) {
      fprintf(stderr, "dxemem: cannot open '%s': %s\n", path, strerror(errno));
      return TRACE_EXIT_TRACE_ERROR;
    }
  }
  trace_reader *reader = malloc(sizeof(*reader));
  if (reader == NULL) {
    fprintf(stderr, "dxemem: out of memory\n");
    if (input != stdin) {
      fclose(input);
    }
    return TRACE_EXIT_HOST_FAILURE;
  }
  trace_reader_init_file(reader, input);
  trace_exit status = trace_run(reader, &options);
  free(reader);
  if (input != stdin) {
    fclose(input);
  }
  return status;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fputs(usage_text, stderr);
    return TRACE_EXIT_TRACE_ERROR;
  }
  const char *command = argv[1];
  if (strcmp(command, "--help") == 0 || strcmp(command, "-h") == 0 ||
      strcmp(command, "help") == 0) {
    fputs(usage_text, stdout);
    fputs(help_text, stdout);
    return TRACE_EXIT_OK;
  }
  if (strcmp(command, "--version") == 0) {
    printf("dxemem %s\n", DXEMEM_VERSION_STRING);
    return TRACE_EXIT_OK;
  }
  if (strcmp(command, "replay") == 0) {
    return replay(argc - 2, argv + 2);
  }
  return usage_error("unknown command '%s'", command);
}
