/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * fuzz_api's view of hazards: what one call raised, from the hazard
 * events (kept with their pages) and from the per-kind counters, which must
 * agree.
 */
#ifndef DXEMEM_FUZZ_API_HAZARD_H
#define DXEMEM_FUZZ_API_HAZARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dxemem/dxemem.h"

#define HAZARD_LOG_MAX 32

typedef struct hazard_record {
  dxemem_hazard_kind kind;
  uint64_t start, end;
} hazard_record;

typedef struct hazard_log {
  bool active; /* between begin and end */
  uint64_t before[DXEMEM_HAZARD_KIND_LIMIT];
  uint64_t counted; /* how much the counters rose */
  size_t seen;      /* hazard events during the call */
  size_t kept;      /* of them in records (the first HAZARD_LOG_MAX) */
  hazard_record records[HAZARD_LOG_MAX];
} hazard_log;

/* Around one call of d. */
void hazard_log_begin(hazard_log *log, const dxemem *d);
void hazard_log_end(hazard_log *log, const dxemem *d);
/* A DXEMEM_EVENT_HAZARD event: false, with why, when it is malformed. */
bool hazard_log_event(hazard_log *log, const dxemem_event *event, char *why,
                      size_t why_size);
/* The counters rose by as many as there were events. */
bool hazard_log_counts_agree(const hazard_log *log);
/* Events of kind during the call. */
uint64_t hazard_log_count(const hazard_log *log, dxemem_hazard_kind kind);
/* Some event of kind covers [start, end]. */
bool hazard_log_covers(const hazard_log *log, dxemem_hazard_kind kind,
                       uint64_t start, uint64_t end);

#endif /* DXEMEM_FUZZ_API_HAZARD_H */
