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
#include "views.h"

static const char usage_text[] =
    "usage: dxemem replay [--check] [--verify] [--events] [--reference NAME]\n"
    "                     [--no-guard-faults] TRACE\n"
    "       dxemem diff [--reference A --reference B] [--lines N] [--addresses]\n"
    "                   TRACE\n"
    "       dxemem replay --html OUT.html | --svg DIR [--verify] TRACE\n"
    "       dxemem replay --format shell TRACE\n"
    "       dxemem boots [--boots N] [--default-settings] TRACE\n"
    "       dxemem --help | --version\n";

static const char help_text[] =
    "Replays a trace (see docs/traces.md) against the dxemem page allocator\n"
    "over a fake physical region.\n"
    "\n"
    "  TRACE       the trace file, or - for standard input\n"
    "  --check     print the byte-exact check output of the trace format\n"
    "              (default: a readable view with tables after map and stats)\n"
    "  --verify    run dxemem_check() after every command\n"
    "  --events    readable view: the allocator's events under each command,\n"
    "              nested by refuel recursion, with the edk2 function acting\n"
    "  --format shell\n"
    "              print each map exactly as the UEFI shell's memmap does\n"
    "  --html OUT  write a self-contained page that steps through the trace\n"
    "              (arrow keys, slider, a link to every step)\n"
    "  --svg DIR   write DIR/map-LINE.svg, a picture of each map\n"
    "  --reference NAME\n"
    "              the edk2 version to behave like:\n"
    "                edk2-stable202605    (default) bins set up one by one\n"
    "                edk2-master-2026-08  master c5aa7e7d94: one contiguous\n"
    "                                     block for all bins (MemoryBin.c)\n"
    "  --no-guard-faults  with a heap guard (`guard`), keep guard pages and\n"
    "              guarded freed memory accessible; by default they are\n"
    "              PROT_NONE and a command touching one stops with a report\n"
    "              naming the allocation (exit status 3)\n"
    "\n"
    "Exit status: 0 ok, 1 host failure (mmap, memory, I/O), 2 trace or usage\n"
    "error, 3 invariant violation.\n"
    "\n"
    "boots replays TRACE as boot 1, computes the next boot's Memory Type\n"
    "Information as edk2's boot manager does (BmSetMemoryTypeInformation-\n"
    "Variable), boots again with it and repeats until nothing changes (at\n"
    "most N boots, default 10); --default-settings lets bins shrink\n"
    "(BOOT_WITH_DEFAULT_SETTINGS).\n"
    "\n"
    "diff replays TRACE under two references (default: edk2-stable202605 and\n"
    "edk2-master-2026-08), prints the first check-output lines that differ\n"
    "(at most N, default 8) and the memory map of both after that trace line.\n"
    "--addresses compares without the stats blocks and the map keys, which\n"
    "differ in almost every trace, so that the first difference shown is one\n"
    "of addresses, statuses or the map.\n"
    "Exit status: 0 same output, 1 they differ, 2 usage error or unreadable\n"
    "trace, 3 a replay could not be captured.\n";

static int usage_error(const char *format, const char *argument) {
  fputs("dxemem: ", stderr);
  fprintf(stderr, format, argument);
  fputc('\n', stderr);
  fputs(usage_text, stderr);
  return TRACE_EXIT_TRACE_ERROR;
}

static int replay(int argc, char **argv) {
  trace_run_options options = {
      .out = stdout, .err = stderr, .guard_faults = true};
  const char *path = NULL, *html_path = NULL, *svg_dir = NULL;
  bool options_done = false;
  for (int i = 0; i < argc; i++) {
    const char *arg = argv[i];
    if (!options_done && (strcmp(arg, "--format") == 0 ||
                          strcmp(arg, "--html") == 0 ||
                          strcmp(arg, "--svg") == 0)) {
      if (i + 1 >= argc) {
        return usage_error("%s needs an argument", arg);
      }
      const char *value = argv[++i];
      if (strcmp(arg, "--html") == 0) {
        html_path = value;
      } else if (strcmp(arg, "--svg") == 0) {
        svg_dir = value;
      } else if (strcmp(value, "shell") == 0) {
        options.shell_format = true;
      } else if (strcmp(value, "human") != 0) {
        return usage_error("unknown format '%s' (human or shell)", value);
      }
    } else if (!options_done && strcmp(arg, "--") == 0) {
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
    } else if (!options_done && strcmp(arg, "--no-guard-faults") == 0) {
      options.guard_faults = false;
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
  if (options.check_output && (options.events || options.shell_format)) {
    return usage_error("%s", "--check prints the check output only, "
                             "without --events or --format");
  }
  if (html_path != NULL || svg_dir != NULL) {
    if (options.check_output || options.events || options.shell_format ||
        (html_path != NULL && svg_dir != NULL)) {
      return usage_error("%s", "--html and --svg go alone (with --verify)");
    }
    return dxemem_replay_view(&options, path, html_path, svg_dir);
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

/* ---- dxemem diff ------------------------------------------------------- */

static int diff_command(int argc, char **argv) {
  trace_diff_options options = {
      .references = {DXEMEM_REFERENCE_EDK2_STABLE202605,
                     DXEMEM_REFERENCE_EDK2_MASTER_2026_08},
      .out = stdout,
      .err = stderr};
  int references = 0;
  const char *path = NULL;
  for (int i = 0; i < argc; i++) {
    const char *arg = argv[i];
    if (strcmp(arg, "--reference") == 0 || strcmp(arg, "--lines") == 0) {
      if (i + 1 >= argc) {
        return usage_error("%s needs a value", arg);
      }
      const char *value = argv[++i];
      if (strcmp(arg, "--lines") == 0) {
        char *end = NULL;
        unsigned long n = strtoul(value, &end, 10);
        if (end == value || *end != '\0' || n == 0 || n > 100000) {
          return usage_error("bad --lines '%s'", value);
        }
        options.max_lines = n;
      } else if (references == 2) {
        return usage_error("%s", "diff takes two --reference at most");
      } else if (!dxemem_reference_from_name(
                     value, &options.references[references++])) {
        return usage_error("unknown reference '%s' (see --help)", value);
      }
    } else if (strcmp(arg, "--addresses") == 0) {
      options.addresses_only = true;
    } else if (strcmp(arg, "--help") == 0) {
      fputs(usage_text, stdout);
      fputs(help_text, stdout);
      return TRACE_EXIT_OK;
    } else if (arg[0] == '-' && arg[1] != '\0') {
      return usage_error("unknown option '%s'", arg);
    } else if (path != NULL) {
      return usage_error("more than one TRACE ('%s')", arg);
    } else {
      path = arg;
    }
  }
  if (references == 1) {
    return usage_error("%s", "diff needs two --reference, or none");
  }
  if (path == NULL) {
    return usage_error("%s", "diff needs a TRACE");
  }
  char *data = NULL;
  size_t size = 0;
  int read_status = dxemem_read_trace_file(path, &data, &size);
  if (read_status != TRACE_EXIT_OK) {
    return read_status;
  }
  int status = trace_diff(data, size, &options);
  free(data);
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
  if (strcmp(command, "boots") == 0) {
    return dxemem_boots(argc - 2, argv + 2);
  }
  if (strcmp(command, "diff") == 0) {
    return diff_command(argc - 2, argv + 2);
  }
  return usage_error("unknown command '%s'", command);
}
