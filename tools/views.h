/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/* The CLI's views (views.c): the step-through page, SVG pictures, boots. */
#ifndef DXEMEM_TOOLS_VIEWS_H
#define DXEMEM_TOOLS_VIEWS_H

#include "trace.h"

/* `replay --html OUT` (html_path) or `replay --svg DIR` (svg_dir) of the
 * trace at path, with options (verify, reference) as parsed. */
/* The whole trace file (or stdin for "-") in memory, for the commands
 * that replay it more than once. A trace exit status; errors are printed. */
int dxemem_read_trace_file(const char *path, char **text, size_t *bytes);

int dxemem_replay_view(trace_run_options *options, const char *path,
                       const char *html_path, const char *svg_dir);
/* `boots [--boots N] [--default-settings] TRACE`. */
int dxemem_boots(int argc, char **argv);

#endif
