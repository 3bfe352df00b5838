/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * Trace replay (project-internal): the reader that turns a trace (format:
 * ../shared/trace-format.md) into commands, the name table for @name
 * references, the runner that applies commands to one hosted dxemem
 * instance, and the two printers (`--check` output and a human view).
 *
 * Data flow, one line at a time so memory stays bounded whatever the input:
 *
 *   bytes --trace_reader_next--> trace_command --trace_run--> dxemem calls
 *                                                   |
 *                              trace_outcome <------+
 *                                   |
 *                 trace_print_check / trace_print_human --> stdout
 */
#ifndef DXEMEM_TRACE_H
#define DXEMEM_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dxemem/dxemem.h"
#include "dxemem/host.h"

/* Limits that keep hostile input bounded; breaking one is a trace error
 * that names the line. Real traces stay far below them. */
enum {
  TRACE_LINE_MAX = 4096,     /* bytes per line before any comment */
  TRACE_NAME_MAX = 255,      /* characters in an @name */
  TRACE_NAMES_MAX = 1 << 21, /* distinct names bound at once */
  TRACE_BINS_MAX = 16,       /* TYPE:PAGES pairs after `bins` */
  TRACE_MESSAGE_MAX = 200    /* bytes in an error message */
};

/* The most one fill or fillb writes (each written page costs host memory;
 * a region may be far larger than the host can commit). Larger is a trace
 * error naming the line. */
#define TRACE_FILL_BYTES_MAX (UINT64_C(1) << 28)

/* Lets the compiler check printf-style formats of our own helpers. */
#if defined(__GNUC__)
#define TRACE_PRINTF_LIKE(format_index, first_argument)                        \
  __attribute__((format(printf, format_index, first_argument)))
#else
#define TRACE_PRINTF_LIKE(format_index, first_argument)
#endif

/* Bytes of name text the name table may hold in all. */
#define TRACE_NAME_BYTES_MAX ((size_t)32 << 20)

/* Setup commands first: trace_op_is_setup relies on the order. */
typedef enum trace_op {
  TRACE_OP_REGION,
  TRACE_OP_GRANULARITY,
  TRACE_OP_BINS,
  TRACE_OP_BINRANGE,
  TRACE_OP_GUARD, /* version 3 */
  TRACE_OP_ADD,
  TRACE_OP_ALLOC,
  TRACE_OP_FREE,
  TRACE_OP_ATTR,
  TRACE_OP_MAP,
  TRACE_OP_TERMINATE,
  TRACE_OP_STATS,
  TRACE_OP_FILL,
  TRACE_OP_CHECK,
  /* version 2: pool */
  TRACE_OP_POOL,
  TRACE_OP_FREEPOOL,
  TRACE_OP_FILLB,
  TRACE_OP_CHECKB,
  TRACE_OP_POOLSTATS,
  TRACE_OP_GUARDPAGE /* version 3 */
} trace_op;

static inline bool trace_op_is_setup(trace_op op) {
  return op <= TRACE_OP_GUARD;
}

/* The command word of op: "region", "alloc", ... */
const char *trace_op_word(trace_op op);

/* An address operand of free/fill/check: a number, or @name+offset. */
typedef struct trace_ref {
  bool is_name;
  uint64_t value;                /* the address, or the offset */
  char name[TRACE_NAME_MAX + 1]; /* without the '@'; "" for a number */
} trace_ref;

/* One parsed command. Only the member named by op is meaningful. */
typedef struct trace_command {
  trace_op op;
  uint64_t line; /* 1-based, comments and blanks count */
  union {
    struct {
      uint64_t base, bytes;
    } region;
    struct {
      uint64_t bytes;
    } granularity;
    struct {
      dxemem_memory_type_information entries[TRACE_BINS_MAX];
      size_t count;
    } bins;
    struct {
      uint64_t start, bytes;
    } binrange;
    struct {
      uint32_t type;
      uint64_t start, pages, attribute;
    } add;
    struct {
      uint32_t allocate_type; /* DXEMEM_ALLOCATE_* */
      uint32_t type;
      uint64_t pages;
      uint64_t address;              /* MAXADDR or ADDR; 0 for `any` */
      char name[TRACE_NAME_MAX + 1]; /* name to bind, "" for none */
    } alloc;
    struct {
      trace_ref ref;
      bool has_pages;
      uint64_t pages;
    } free;
    struct {
      uint64_t start, pages, attribute;
    } attr;
    struct {
      bool has_bytes;
      uint64_t bytes;
    } map;
    struct {
      trace_ref ref;
      uint64_t pages;
      uint8_t byte;
    } fill; /* and check */
    struct {
      uint32_t type;
      uint64_t bytes;
      char name[TRACE_NAME_MAX + 1]; /* name to bind, "" for none */
    } pool;
    struct {
      trace_ref ref;
    } freepool;
    struct {
      trace_ref ref;
      uint64_t bytes;
      uint8_t byte;
    } fillb; /* and checkb */
    struct {
      uint8_t property;
      uint64_t page_types, pool_types;
    } guard;
    struct {
      trace_ref ref;
    } guardpage;
  };
} trace_command;

/* A trace error: `LINE: error: message`. */
typedef struct trace_error {
  uint64_t line;
  char message[TRACE_MESSAGE_MAX];
} trace_error;

/* ---- parsing one line -------------------------------------------------- */

typedef enum trace_line_kind {
  TRACE_LINE_COMMAND, /* *out holds a command (op and operands) */
  TRACE_LINE_BLANK,   /* nothing but blanks and a comment */
  TRACE_LINE_INVALID  /* message says why */
} trace_line_kind;

/* Parses one line (length bytes, no newline; NUL bytes allowed and
 * rejected outside comments). Checks everything one line can show: syntax,
 * numbers, value rules of each command. out->line is left alone. */
trace_line_kind trace_parse_line(const char *text, size_t length,
                                 trace_command *out, char *message,
                                 size_t message_size);

/* ---- reading a whole trace --------------------------------------------- */

typedef enum trace_read_status {
  TRACE_READ_COMMAND, /* *command holds the next command */
  TRACE_READ_END,     /* the trace ended cleanly */
  TRACE_READ_INVALID, /* a trace error, in *error */
  TRACE_READ_IO_ERROR /* the input stream failed (errno says why) */
} trace_read_status;

/* Streams lines from a FILE or a memory buffer and applies the rules that
 * span lines (region first, setup commands once and before the first add,
 * binrange after bins). Large: keep it off small stacks. */
typedef struct trace_reader {
  FILE *file;                /* NULL for a memory buffer */
  const unsigned char *data; /* bytes not yet consumed ... */
  size_t data_size;          /* ... and how many */
  bool input_ended;
  uint64_t line_number; /* of the last line read */
  /* Line of each setup command and of the first add; 0 = not seen. */
  uint64_t region_line, granularity_line, bins_line, binrange_line;
  uint64_t guard_line;
  uint64_t first_add_line;
  unsigned char file_buffer[16384];
  char line[TRACE_LINE_MAX + 1];
} trace_reader;

void trace_reader_init_file(trace_reader *reader, FILE *file);
void trace_reader_init_memory(trace_reader *reader, const void *data,
                              size_t size);
/* Next command, skipping blank and comment lines. After INVALID or
 * IO_ERROR the reader is done; stop calling it. */
trace_read_status trace_reader_next(trace_reader *reader,
                                    trace_command *command, trace_error *error);

/* ---- @name bindings ---------------------------------------------------- */

typedef struct trace_binding {
  uint64_t address; /* where the alloc (or pool) put it */
  uint64_t pages;   /* what the alloc asked for; 0 for pool */
  bool is_pool;     /* bound by `pool` */
} trace_binding;

/* Open-addressing hash table; name text lives in one growing arena. */
typedef struct trace_names {
  struct trace_name_slot *slots;
  size_t slot_count; /* a power of two, or 0 */
  size_t used;       /* bound names */
  char *text;        /* arena of NUL-terminated names */
  size_t text_used, text_capacity;
} trace_names;

typedef enum trace_bind_status {
  TRACE_BIND_OK,
  TRACE_BIND_LIMIT,    /* TRACE_NAMES_MAX or the text budget */
  TRACE_BIND_NO_MEMORY /* the host ran out of memory */
} trace_bind_status;

void trace_names_init(trace_names *names);
void trace_names_free(trace_names *names);
/* Binds name (without '@'), replacing an earlier binding of it. */
trace_bind_status trace_names_bind(trace_names *names, const char *name,
                                   trace_binding binding);
/* Whether binding name would succeed as far as the caps go (it is bound
 * already, or there is room for one more), so a trace error can be raised
 * before the alloc runs. */
bool trace_names_room_for(const trace_names *names, const char *name);
/* The binding of name, or NULL. */
const trace_binding *trace_names_find(const trace_names *names,
                                      const char *name);

/* ---- results and printing ---------------------------------------------- */

/* The statistics `stats` reads. */
typedef struct trace_stats {
  dxemem_type_statistics types[DXEMEM_MAX_MEMORY_TYPE];
  uint64_t default_base, default_maximum;
  dxemem_memory_type_information info[DXEMEM_MAX_MEMORY_TYPE + 1];
} trace_stats;

/* The Used counts `poolstats` reads: types 0..15, then the OEM/OS pools
 * in mPoolHeadList order. */
typedef struct trace_pool_stats {
  uint64_t used[DXEMEM_MAX_MEMORY_TYPE];
  size_t oem_count;
  uint32_t *oem_types; /* oem_count of each */
  uint64_t *oem_used;
} trace_pool_stats;

/* What one command produced, for the printers. */
typedef struct trace_outcome {
  dxemem_status status; /* every call that returns one */
  uint64_t address;     /* alloc: the base; check: mismatch */
  bool mismatch;        /* check found a differing byte */
  /* map: GetMemoryMap's outputs and the descriptors on success */
  uint64_t map_size, map_key, descriptor_size;
  uint32_t descriptor_version;
  const unsigned char *descriptors; /* map_size bytes on EFI_SUCCESS */
  const trace_stats *stats;         /* stats only */
  const trace_pool_stats *pool_stats; /* poolstats only */
  /* guardpage: IsGuardPage, IsMemoryGuarded, the CPU protocol's RP */
  bool guard_page, guarded, rp;
  const char *why; /* a failure's reason in words, or NULL (human view) */
} trace_outcome;

/* Writes "0x" and 8 hex digits, or the UEFI name for 0..16, into buffer
 * (at least 11 bytes) and returns it. */
const char *trace_type_text(uint32_t type, char *buffer);
/* The UEFI status name, or "0x" and 16 hex digits into buffer (19 bytes). */
const char *trace_status_text(dxemem_status status, char *buffer);
/* The command as trace text (canonical spelling), truncated to size. */
void trace_format_command(const trace_command *command, char *buffer,
                          size_t size);

/* The human view's width: every line it prints fits in this many columns
 * (addresses below 2^40). */
#define TRACE_HUMAN_COLUMNS 100

/* A short label for a type ("BS data", "free", "RT code", "OEM", ...). */
const char *trace_type_label(uint32_t type);

/* The `--check` block of one command (nothing for setup commands). */
void trace_print_check(FILE *out, const trace_command *command,
                       const trace_outcome *outcome);
/* Human view: the command, then (from the event callback) its events, then
 * its result with a table after `map` and `stats`. */
void trace_print_human_command(FILE *out, const trace_command *command);
/* previous_recursion: the recursion depth of the command's event before
 * this one (0 for its first), so the start of a refuel can be explained. */
void trace_print_human_event(FILE *out, const dxemem_event *event,
                             uint32_t previous_recursion);
/* The result line(s) of a command (with the reason for a failure), without
 * the tables. */
void trace_print_human_result(FILE *out, const trace_command *command,
                              const trace_outcome *outcome);
/* `--format shell`: a successful `map` exactly as the UEFI shell's memmap
 * prints it (LF line ends; the shell writes CR LF); nothing otherwise. */
void trace_print_shell_memmap(FILE *out, const trace_command *command,
                              const trace_outcome *outcome);
/* Why a call failed, in words, where dxemem can tell (a stale map key, a
 * runtime entry freed off the granularity, an address inside another
 * type's bin, ...): writes buffer and returns true, else false. key_used
 * is the key `terminate` passed. Reads d, changes nothing. */
bool trace_explain_failure(const trace_command *command,
                           const trace_outcome *outcome, dxemem *d,
                           uint64_t key_used, char *buffer, size_t size);
void trace_print_human_outcome(FILE *out, const trace_command *command,
                               const trace_outcome *outcome);

/* ---- running ----------------------------------------------------------- */

/* diff.c: `dxemem diff`. Replays the trace (size bytes of data) under two
 * references, prints the first check-output lines that differ and the
 * memory map of both after that trace line. Returns 0 when both print the
 * same and exit alike, 1 when they differ, 2 on a trace error in either
 * replay (nothing compared), 3 when a replay fails otherwise. */
typedef struct trace_diff_options {
  uint32_t references[2];
  size_t max_lines; /* differing lines shown; 0 = 8 */
  /* Compare without `stats` blocks and with every map key as "*". */
  bool addresses_only;
  FILE *out;
  FILE *err;
} trace_diff_options;
int trace_diff(const void *data, size_t size, const trace_diff_options *options);

typedef enum trace_exit {
  TRACE_EXIT_OK = 0,
  TRACE_EXIT_HOST_FAILURE = 1, /* mmap, malloc or I/O failed */
  TRACE_EXIT_TRACE_ERROR = 2,  /* the trace broke the format */
  TRACE_EXIT_INVARIANT = 3     /* dxemem_check or the core contract */
} trace_exit;

typedef struct trace_run_options {
  bool check_output; /* `--check` output; else the human view */
  bool verify;       /* dxemem_check() after every command */
  bool events;       /* human view: print the allocator's events */
  bool guard_faults; /* back guard pages with PROT_NONE (heap guard) */
  bool shell_format; /* print only each map, as the UEFI shell's memmap */
  FILE *out;         /* results */
  FILE *err;         /* `LINE: error: ...` and other diagnostics */
  uint32_t reference; /* dxemem_reference of the instance `region` makes */
  /* Stop after the command on this line (0: run to the end). */
  uint64_t stop_after_line;
  /* If set, called with the instance when the run ends or stops, before
   * the instance goes away (not called when `region` never ran). */
  void (*at_end)(void *context, dxemem *d);
  void *at_end_context;
  /* Optional observer (the HTML, SVG and multi-boot views): sees every
   * event, every command that ran with its outcome and the instance, and
   * the message of the error that stops a run. */
  const struct trace_observer *observer;
  /* Optional: gMemoryTypeInformation for this boot, used instead of the
   * trace's `bins` (applied right after `region`; the multi-boot view). */
  const dxemem_memory_type_information *bins_override;
  size_t bins_override_count;
  bool bins_override_set;
} trace_run_options;

typedef struct trace_observer {
  void *context;
  void (*event)(void *context, const dxemem_event *event);
  /* d is NULL for nothing; the outcome is valid during the call only. */
  void (*command)(void *context, const trace_command *command,
                  const trace_outcome *outcome, dxemem *d);
  void (*stopped)(void *context, uint64_t line, const char *kind,
                  const char *message);
} trace_observer;

/* Runs the trace to its end or its first error and returns the exit
 * status. Output of earlier lines is flushed before a diagnostic. */
trace_exit trace_run(trace_reader *reader, const trace_run_options *options);

#endif /* DXEMEM_TRACE_H */
