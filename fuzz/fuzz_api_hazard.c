/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/* fuzz_api's record of the hazards one call raised (fuzz_api_hazard.h). */
#include "fuzz_api_hazard.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void hazard_log_begin(hazard_log *log, const dxemem *d) {
  memset(log, 0, sizeof(*log));
  for (unsigned k = 0; k < DXEMEM_HAZARD_KIND_LIMIT; k++) {
    log->before[k] = dxemem_get_hazard_count(d, (dxemem_hazard_kind)k);
  }
  log->active = true;
}

void hazard_log_end(hazard_log *log, const dxemem *d) {
  log->active = false;
  log->counted = 0;
  for (unsigned k = 1; k < DXEMEM_HAZARD_KIND_LIMIT; k++) {
    log->counted +=
        dxemem_get_hazard_count(d, (dxemem_hazard_kind)k) - log->before[k];
  }
}

bool hazard_log_event(hazard_log *log, const dxemem_event *event, char *why,
                      size_t why_size) {
  if (dxemem_hazard_name(event->hazard) == NULL) {
    snprintf(why, why_size, "hazard event of unknown kind %d",
             (int)event->hazard);
    return false;
  }
  if (event->end < event->start) {
    snprintf(why, why_size,
             "hazard %d range 0x%" PRIx64 "-0x%" PRIx64 " runs backwards",
             (int)event->hazard, event->start, event->end);
    return false;
  }
  if (!log->active) {
    return true; /* a call the harness does not watch for hazards */
  }
  if (log->kept < HAZARD_LOG_MAX) {
    hazard_record *r = &log->records[log->kept++];
    r->kind = event->hazard;
    r->start = event->start;
    r->end = event->end;
  }
  log->seen++;
  return true;
}

bool hazard_log_counts_agree(const hazard_log *log) {
  return log->counted == log->seen;
}

uint64_t hazard_log_count(const hazard_log *log, dxemem_hazard_kind kind) {
  uint64_t n = 0;
  for (size_t i = 0; i < log->kept; i++) {
    n += log->records[i].kind == kind;
  }
  return n;
}

bool hazard_log_covers(const hazard_log *log, dxemem_hazard_kind kind,
                       uint64_t start, uint64_t end) {
  for (size_t i = 0; i < log->kept; i++) {
    const hazard_record *r = &log->records[i];
    if (r->kind == kind && r->start <= start && end <= r->end) {
      return true;
    }
  }
  return false;
}
