/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * Streaming a trace line by line from a FILE or a memory buffer, and the
 * rules that span lines: `region` first and once, the other setup commands
 * at most once and before the first `add`, `binrange` after `bins`.
 * Memory use is fixed: one input buffer and one line of TRACE_LINE_MAX
 * bytes; a longer line is an error, never a bigger buffer.
 */
#include <stdarg.h>
#include <string.h>

#include "trace.h"

typedef enum line_status {
  LINE_READ,
  LINE_NONE, /* the input has ended */
  LINE_TOO_LONG,
  LINE_IO_ERROR
} line_status;

static void reader_init(trace_reader *reader) {
  memset(reader, 0, offsetof(trace_reader, file_buffer));
}

void trace_reader_init_file(trace_reader *reader, FILE *file) {
  reader_init(reader);
  reader->file = file;
}

void trace_reader_init_memory(trace_reader *reader, const void *data,
                              size_t size) {
  reader_init(reader);
  reader->data = data;
  reader->data_size = size;
}

/* Makes more input available; false at the end or on a read error. */
static bool refill(trace_reader *reader) {
  if (reader->data_size > 0) {
    return true;
  }
  if (reader->file == NULL || reader->input_ended) {
    reader->input_ended = true;
    return false;
  }
  size_t got =
      fread(reader->file_buffer, 1, sizeof(reader->file_buffer), reader->file);
  if (got == 0) {
    reader->input_ended = true;
    return false;
  }
  reader->data = reader->file_buffer;
  reader->data_size = got;
  return true;
}

/* Reads the next line into reader->line (newline dropped). A comment may
 * be of any length: once the line passes TRACE_LINE_MAX, a `#` already
 * read (or within the cap) lets the rest of the line be skipped instead of
 * kept; only the text before the comment counts against the cap. */
static line_status read_line(trace_reader *reader, size_t *length) {
  size_t used = 0;
  bool any_byte = false;
  bool skipping = false; /* the rest of the line is comment, dropped */
  while (refill(reader)) {
    any_byte = true;
    const unsigned char *newline =
        memchr(reader->data, '\n', reader->data_size);
    size_t take =
        newline != NULL ? (size_t)(newline - reader->data) : reader->data_size;
    size_t keep = skipping ? 0 : take;
    if (keep > TRACE_LINE_MAX - used) {
      const unsigned char *hash = memchr(reader->data, '#', take);
      if (memchr(reader->line, '#', used) != NULL) {
        keep = 0;
      } else if (hash != NULL &&
                 (size_t)(hash - reader->data) <= TRACE_LINE_MAX - used) {
        keep = (size_t)(hash - reader->data);
      } else {
        return LINE_TOO_LONG;
      }
      skipping = true;
    }
    memcpy(reader->line + used, reader->data, keep);
    used += keep;
    size_t consumed = take + (newline != NULL ? 1 : 0);
    reader->data += consumed;
    reader->data_size -= consumed;
    if (newline != NULL) {
      *length = used;
      return LINE_READ;
    }
  }
  if (reader->file != NULL && ferror(reader->file)) {
    return LINE_IO_ERROR;
  }
  *length = used;
  return any_byte ? LINE_READ : LINE_NONE;
}

TRACE_PRINTF_LIKE(3, 4)
static trace_read_status invalid(trace_error *error, uint64_t line,
                                 const char *format, ...) {
  va_list args;
  error->line = line;
  va_start(args, format);
  vsnprintf(error->message, sizeof(error->message), format, args);
  va_end(args);
  return TRACE_READ_INVALID;
}

/* Where the reader remembers the line of each setup command. */
static uint64_t *setup_line(trace_reader *reader, trace_op op) {
  switch (op) {
  case TRACE_OP_REGION:
    return &reader->region_line;
  case TRACE_OP_GRANULARITY:
    return &reader->granularity_line;
  case TRACE_OP_BINS:
    return &reader->bins_line;
  case TRACE_OP_BINRANGE:
    return &reader->binrange_line;
  case TRACE_OP_GUARD:
    return &reader->guard_line;
  default:
    return NULL;
  }
}

/* The rules that need earlier lines. */
static trace_read_status check_order(trace_reader *reader,
                                     const trace_command *command,
                                     trace_error *error) {
  uint64_t line = command->line;
  if (reader->region_line == 0 && command->op != TRACE_OP_REGION) {
    return invalid(error, line, "the first command must be 'region'");
  }
  uint64_t *seen = setup_line(reader, command->op);
  if (seen != NULL) {
    const char *word = trace_op_word(command->op);
    if (*seen != 0) {
      return invalid(error, line, "'%s' given twice (first at line %llu)", word,
                     (unsigned long long)*seen);
    }
    if (reader->first_add_line != 0) {
      return invalid(error, line,
                     "'%s' must come before the first 'add' (line %llu)", word,
                     (unsigned long long)reader->first_add_line);
    }
    if (command->op == TRACE_OP_BINRANGE && reader->bins_line == 0) {
      return invalid(error, line, "'binrange' needs 'bins' before it");
    }
    *seen = line;
  } else if (command->op == TRACE_OP_ADD && reader->first_add_line == 0) {
    reader->first_add_line = line;
  }
  return TRACE_READ_COMMAND;
}

trace_read_status trace_reader_next(trace_reader *reader,
                                    trace_command *command,
                                    trace_error *error) {
  for (;;) {
    size_t length = 0;
    line_status status = read_line(reader, &length);
    if (status == LINE_NONE) {
      if (reader->region_line == 0) {
        return invalid(error, reader->line_number + 1,
                       "the trace has no 'region' command");
      }
      return TRACE_READ_END;
    }
    reader->line_number++;
    if (status == LINE_IO_ERROR) {
      error->line = reader->line_number;
      snprintf(error->message, sizeof(error->message), "read error");
      return TRACE_READ_IO_ERROR;
    }
    if (status == LINE_TOO_LONG) {
      return invalid(error, reader->line_number,
                     "line is longer than %d bytes before any comment",
                     TRACE_LINE_MAX);
    }
    command->line = reader->line_number;
    trace_line_kind kind = trace_parse_line(
        reader->line, length, command, error->message, sizeof(error->message));
    if (kind == TRACE_LINE_INVALID) {
      error->line = reader->line_number;
      return TRACE_READ_INVALID;
    }
    if (kind == TRACE_LINE_COMMAND) {
      return check_order(reader, command, error);
    }
  }
}
