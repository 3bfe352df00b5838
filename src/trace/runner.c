/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * The runner's diagnostics and operand checks, shared by the commands of
 * every trace-format version.
 *
 * Every trace error (unknown @name, an offset that wraps, a range outside
 * the region, a full name table) is found before the command touches the
 * allocator, so a failing line has no effect and prints nothing.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "runner.h"

/* ---- diagnostics ------------------------------------------------------- */

trace_exit runner_fail(runner *r, trace_exit status, const char *format, ...) {
  const char *kind = status == TRACE_EXIT_TRACE_ERROR    ? "error"
                     : status == TRACE_EXIT_HOST_FAILURE ? "host failure"
                                                         : "invariant";
  char message[TRACE_MESSAGE_MAX + 128];
  va_list args;
  va_start(args, format);
  vsnprintf(message, sizeof(message), format, args);
  va_end(args);
  fflush(r->options->out);
  fprintf(r->options->err, "%" PRIu64 ": %s: %s\n", r->line, kind, message);
  fflush(r->options->err);
  const trace_observer *observer = r->options->observer;
  if (observer != NULL && observer->stopped != NULL) {
    observer->stopped(observer->context, r->line, kind, message);
  }
  return status;
}

trace_exit runner_unexpected_status(runner *r, const char *call,
                                    dxemem_status status) {
  char text[19];
  return runner_fail(r, TRACE_EXIT_INVARIANT, "%s returned %s", call,
                     trace_status_text(status, text));
}

/* ---- operands ---------------------------------------------------------- */

/* Written on offsets so that nothing overflows. */
bool runner_inside_region(const runner *r, uint64_t start, uint64_t pages) {
  if (start < r->region_base || start - r->region_base > r->region_bytes) {
    return false;
  }
  uint64_t room = r->region_bytes - (start - r->region_base);
  return pages <= room / DXEMEM_PAGE_SIZE;
}

trace_exit runner_outside_region(runner *r, const char *what, uint64_t start,
                                 uint64_t pages) {
  return runner_fail(r, TRACE_EXIT_TRACE_ERROR,
                     "%s of 0x%" PRIx64 " pages at 0x%" PRIx64
                     " is not inside the region 0x%" PRIx64 "-0x%" PRIx64,
                     what, pages, start, r->region_base,
                     r->region_base + (r->region_bytes - 1));
}

trace_exit runner_resolve(runner *r, const trace_ref *ref, resolved_ref *out) {
  out->address = ref->value;
  out->binding = NULL;
  if (!ref->is_name) {
    return TRACE_EXIT_OK;
  }
  out->binding = trace_names_find(&r->names, ref->name);
  if (out->binding == NULL) {
    return runner_fail(r, TRACE_EXIT_TRACE_ERROR,
                       "unknown name @%s (no successful alloc bound it)",
                       ref->name);
  }
  if (ref->value > UINT64_MAX - out->binding->address) {
    return runner_fail(r, TRACE_EXIT_TRACE_ERROR,
                       "@%s+0x%" PRIx64 " wraps past 2^64", ref->name,
                       ref->value);
  }
  out->address = out->binding->address + ref->value;
  return TRACE_EXIT_OK;
}

trace_exit runner_name_room(runner *r, const char *name) {
  if (name[0] != '\0' && !trace_names_room_for(&r->names, name)) {
    return runner_fail(r, TRACE_EXIT_TRACE_ERROR,
                       "too many names (at most %d, %zu bytes of names)",
                       TRACE_NAMES_MAX, TRACE_NAME_BYTES_MAX);
  }
  return TRACE_EXIT_OK;
}

trace_exit runner_bind_name(runner *r, const char *name,
                            trace_binding binding) {
  if (name[0] != '\0' &&
      trace_names_bind(&r->names, name, binding) != TRACE_BIND_OK) {
    return runner_fail(r, TRACE_EXIT_HOST_FAILURE, "out of memory binding @%s",
                       name);
  }
  return TRACE_EXIT_OK;
}

/* Only writes are capped; a check reads what is there. */
trace_exit runner_write_or_compare(runner *r, const char *what,
                                   uint64_t address, uint64_t bytes,
                                   uint8_t byte, bool write,
                                   trace_outcome *outcome) {
  if (write && bytes > TRACE_FILL_BYTES_MAX) {
    return runner_fail(r, TRACE_EXIT_TRACE_ERROR,
                       "%s of 0x%" PRIx64
                       " bytes is above the limit of 0x%" PRIx64
                       " bytes one command may write",
                       what, bytes, TRACE_FILL_BYTES_MAX);
  }
  unsigned char *host =
      dxemem_phys_to_host(r->instance.allocator, address, bytes);
  if (host == NULL) {
    return runner_fail(r, TRACE_EXIT_INVARIANT,
                       "dxemem_phys_to_host refused 0x%" PRIx64
                       " bytes at 0x%" PRIx64 " inside the region",
                       bytes, address);
  }
  outcome->status = DXEMEM_SUCCESS;
  if (write) {
    memset(host, byte, (size_t)bytes);
    return TRACE_EXIT_OK;
  }
  for (uint64_t i = 0; i < bytes; i++) {
    if (host[i] != byte) {
      outcome->mismatch = true;
      outcome->address = address + i;
      break;
    }
  }
  return TRACE_EXIT_OK;
}
