/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * The `--check` output, byte for byte as trace-format.md ("Check output")
 * defines it: every line starts with the command's line number; addresses
 * and 64-bit values are 0x + 16 hex digits, counts and sizes 0x + unpadded
 * hex; types by UEFI name below 17, else 0x + 8 hex digits.
 */
#include <inttypes.h>
#include <string.h>

#include "trace.h"

static void print_map(FILE *out, uint64_t line, const trace_outcome *outcome) {
  char status[19];
  fprintf(out,
          " %s size=0x%" PRIx64 " key=0x%" PRIx64 " dsize=0x%" PRIx64
          " dver=%" PRIu32 "\n",
          trace_status_text(outcome->status, status), outcome->map_size,
          outcome->map_key, outcome->descriptor_size,
          outcome->descriptor_version);
  if (outcome->status != DXEMEM_SUCCESS || outcome->descriptors == NULL) {
    return;
  }
  for (uint64_t offset = 0; offset < outcome->map_size;
       offset += outcome->descriptor_size) {
    dxemem_memory_descriptor descriptor;
    memcpy(&descriptor, outcome->descriptors + offset, sizeof(descriptor));
    char type[11];
    fprintf(out,
            "%" PRIu64 "   0x%016" PRIx64 " 0x%" PRIx64 " %s 0x%016" PRIx64
            "\n",
            line, descriptor.physical_start, descriptor.number_of_pages,
            trace_type_text(descriptor.type, type), descriptor.attribute);
  }
}

static void print_stats(FILE *out, uint64_t line, const trace_stats *stats) {
  char type_buffer[11];
  fputc('\n', out);
  for (uint32_t type = 0; type < DXEMEM_MAX_MEMORY_TYPE; type++) {
    const dxemem_type_statistics *row = &stats->types[type];
    fprintf(out,
            "%" PRIu64 "   %s base=0x%016" PRIx64 " max=0x%016" PRIx64
            " bin=0x%" PRIx64 " cur=0x%" PRIx64 " info=0x%" PRIx64
            " special=%d runtime=%d\n",
            line, trace_type_text(type, type_buffer), row->base_address,
            row->maximum_address, row->number_of_pages,
            row->current_number_of_pages, row->information_index,
            row->special ? 1 : 0, row->runtime ? 1 : 0);
  }
  fprintf(out,
          "%" PRIu64 "   default base=0x%016" PRIx64 " max=0x%016" PRIx64 "\n",
          line, stats->default_base, stats->default_maximum);
  for (size_t i = 0; i <= DXEMEM_MAX_MEMORY_TYPE; i++) {
    fprintf(out, "%" PRIu64 "   info[%zu] %s 0x%" PRIx32 "\n", line, i,
            trace_type_text(stats->info[i].type, type_buffer),
            stats->info[i].number_of_pages);
  }
}

static void print_pool_stats(FILE *out, uint64_t line,
                             const trace_pool_stats *stats) {
  char type_buffer[11];
  fputc('\n', out);
  for (uint32_t type = 0; type < DXEMEM_MAX_MEMORY_TYPE; type++) {
    fprintf(out, "%" PRIu64 "   %s used=0x%" PRIx64 "\n", line,
            trace_type_text(type, type_buffer), stats->used[type]);
  }
  for (size_t i = 0; i < stats->oem_count; i++) {
    fprintf(out, "%" PRIu64 "   %s used=0x%" PRIx64 "\n", line,
            trace_type_text(stats->oem_types[i], type_buffer),
            stats->oem_used[i]);
  }
}

/* The lines almost every command prints ("LINE WORD STATUS [0xADDRESS]"),
 * put together by hand: a long replay spends its time here otherwise. */
static char *put_text(char *at, const char *text) {
  size_t n = strlen(text);
  memcpy(at, text, n);
  return at + n;
}

static char *put_decimal(char *at, uint64_t v) {
  char digits[20];
  int n = 0;
  do {
    digits[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n > 0) {
    *at++ = digits[--n];
  }
  return at;
}

static char *put_hex16(char *at, uint64_t v) {
  static const char hex[] = "0123456789abcdef";
  *at++ = '0';
  *at++ = 'x';
  for (int shift = 60; shift >= 0; shift -= 4) {
    *at++ = hex[(v >> shift) & 0xf];
  }
  return at;
}

static void print_status_line(FILE *out, const trace_command *command,
                              dxemem_status status, bool with_address,
                              uint64_t address) {
  char buffer[128];
  char status_text[19];
  char *at = put_decimal(buffer, command->line);
  *at++ = ' ';
  at = put_text(at, trace_op_word(command->op));
  *at++ = ' ';
  at = put_text(at, trace_status_text(status, status_text));
  if (with_address) {
    *at++ = ' ';
    at = put_hex16(at, address);
  }
  *at++ = '\n';
  fwrite(buffer, 1, (size_t)(at - buffer), out);
}

void trace_print_check(FILE *out, const trace_command *command,
                       const trace_outcome *outcome) {
  if (trace_op_is_setup(command->op)) {
    return;
  }
  switch (command->op) {
  case TRACE_OP_ALLOC:
  case TRACE_OP_POOL:
    print_status_line(out, command, outcome->status,
                      outcome->status == DXEMEM_SUCCESS, outcome->address);
    return;
  case TRACE_OP_FREE:
  case TRACE_OP_FREEPOOL:
  case TRACE_OP_TERMINATE:
    print_status_line(out, command, outcome->status, false, 0);
    return;
  default:
    break;
  }
  fprintf(out, "%" PRIu64 " %s", command->line, trace_op_word(command->op));
  switch (command->op) {
  case TRACE_OP_MAP:
    print_map(out, command->line, outcome);
    break;
  case TRACE_OP_STATS:
    print_stats(out, command->line, outcome->stats);
    break;
  case TRACE_OP_POOLSTATS:
    print_pool_stats(out, command->line, outcome->pool_stats);
    break;
  case TRACE_OP_CHECK:
  case TRACE_OP_CHECKB:
    if (outcome->mismatch) {
      fprintf(out, " MISMATCH 0x%016" PRIx64 "\n", outcome->address);
    } else {
      fputs(" ok\n", out);
    }
    break;
  case TRACE_OP_GUARDPAGE:
    fprintf(out, " 0x%016" PRIx64 " guard=%d guarded=%d rp=%d\n",
            outcome->address, outcome->guard_page ? 1 : 0,
            outcome->guarded ? 1 : 0, outcome->rp ? 1 : 0);
    break;
  default: /* add, attr, fill, fillb: the word alone */
    fputc('\n', out);
    break;
  }
}
