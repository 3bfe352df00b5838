/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * Parsing one trace line into a trace_command. Everything a single line can
 * get wrong is caught here, each with a message that names the culprit;
 * rules that need other lines live in reader.c, rules that need the running
 * allocator (bound names, ranges against the region) in run.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "trace.h"

/* The command word plus at most 16 bins pairs, plus one to spot extras. */
#define TOKENS_MAX (2 + TRACE_BINS_MAX)
/* Longest token quoted in a message before it is cut with "...". */
#define QUOTE_MAX 40

typedef struct slice {
  const char *text;
  size_t length;
} slice;

typedef struct line_parser {
  slice tokens[TOKENS_MAX];
  size_t token_count; /* all tokens, even those past TOKENS_MAX */
  const char *usage;  /* of the command being parsed */
  char *message;
  size_t message_size;
} line_parser;

typedef struct quote_buffer {
  char text[QUOTE_MAX + 8];
} quote_buffer;

/* 'token', cut short for messages; the line holds printable ASCII only. */
static const char *quote(slice token, quote_buffer *buffer) {
  if (token.length > QUOTE_MAX) {
    snprintf(buffer->text, sizeof(buffer->text), "'%.*s...'", QUOTE_MAX - 3,
             token.text);
  } else {
    snprintf(buffer->text, sizeof(buffer->text), "'%.*s'", (int)token.length,
             token.text);
  }
  return buffer->text;
}

TRACE_PRINTF_LIKE(2, 3)
static bool fail(line_parser *parser, const char *format, ...) {
  va_list args;
  va_start(args, format);
  vsnprintf(parser->message, parser->message_size, format, args);
  va_end(args);
  return false;
}

/* Whether token spells word. Tokens hold no NUL, so the loop stops at the
 * end of word too; most candidates differ at their first bytes. */
static bool slice_is(slice token, const char *word) {
  size_t i = 0;
  while (i < token.length && word[i] == token.text[i]) {
    i++;
  }
  return i == token.length && word[i] == '\0';
}

/* ---- numbers, types, names --------------------------------------------- */

typedef enum number_status {
  NUMBER_OK,
  NUMBER_BAD,
  NUMBER_OVERFLOW
} number_status;

static int digit_value(char c, unsigned base) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (base == 16 && c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (base == 16 && c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

/* Decimal, or hex after 0x/0X; no sign. A bad digit wins over overflow so
 * the message points at the real problem. */
static number_status parse_number(slice token, uint64_t *out) {
  unsigned base = 10;
  size_t i = 0;
  if (token.length >= 2 && token.text[0] == '0' &&
      (token.text[1] == 'x' || token.text[1] == 'X')) {
    base = 16;
    i = 2;
  }
  if (i == token.length) {
    return NUMBER_BAD;
  }
  uint64_t value = 0;
  bool overflow = false;
  for (; i < token.length; i++) {
    int digit = digit_value(token.text[i], base);
    if (digit < 0) {
      return NUMBER_BAD;
    }
    if (value > (UINT64_MAX - (uint64_t)digit) / base) {
      overflow = true;
    }
    value = value * base + (uint64_t)digit;
  }
  if (overflow) {
    return NUMBER_OVERFLOW;
  }
  *out = value;
  return NUMBER_OK;
}

/* A plain number operand called `what` in messages. */
static bool number_operand(line_parser *parser, slice token, const char *what,
                           uint64_t *out) {
  quote_buffer q;
  if (token.length > 0 && token.text[0] == '@') {
    return fail(parser,
                "%s %s: @name references are accepted by free, fill, "
                "check, freepool, fillb and checkb only",
                what, quote(token, &q));
  }
  switch (parse_number(token, out)) {
  case NUMBER_OK:
    return true;
  case NUMBER_OVERFLOW:
    return fail(parser, "%s %s does not fit in 64 bits", what,
                quote(token, &q));
  case NUMBER_BAD:
  default:
    return fail(parser, "%s %s is not a number", what, quote(token, &q));
  }
}

/* A number that must also fit 32 bits (memory types, bins pages). */
static bool number32_operand(line_parser *parser, slice token, const char *what,
                             uint32_t *out) {
  uint64_t value;
  if (!number_operand(parser, token, what, &value)) {
    return false;
  }
  if (value > UINT32_MAX) {
    quote_buffer q;
    return fail(parser, "%s %s does not fit in 32 bits", what,
                quote(token, &q));
  }
  *out = (uint32_t)value;
  return true;
}

/* A UEFI memory type name (0..16) or a 32-bit number. */
static bool type_operand(line_parser *parser, slice token, uint32_t *out) {
  if (token.length > 0 && token.text[0] >= '0' && token.text[0] <= '9') {
    return number32_operand(parser, token, "memory type", out);
  }
  if (dxemem_memory_type_from_name(token.text, token.length, out)) {
    return true;
  }
  quote_buffer q;
  return fail(parser, "unknown memory type %s", quote(token, &q));
}

static bool is_name_start(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool is_name_char(char c) {
  return is_name_start(c) || (c >= '0' && c <= '9');
}

/* The name after '@' up to the first non-name character; *rest gets what
 * follows it. */
static bool name_part(line_parser *parser, slice token, char *name,
                      slice *rest) {
  quote_buffer q;
  size_t end = 1;
  while (end < token.length && is_name_char(token.text[end])) {
    end++;
  }
  if (end == 1 || !is_name_start(token.text[1])) {
    return fail(parser, "bad name %s: expected @ and [A-Za-z_][A-Za-z0-9_]*",
                quote(token, &q));
  }
  if (end - 1 > TRACE_NAME_MAX) {
    return fail(parser, "name %s is longer than %d characters",
                quote(token, &q), TRACE_NAME_MAX);
  }
  memcpy(name, token.text + 1, end - 1);
  name[end - 1] = '\0';
  rest->text = token.text + end;
  rest->length = token.length - end;
  return true;
}

/* REF: an address number, @name or @name+OFFSET. */
static bool ref_operand(line_parser *parser, slice token, trace_ref *out) {
  memset(out, 0, sizeof(*out));
  if (token.length == 0 || token.text[0] != '@') {
    return number_operand(parser, token, "address", &out->value);
  }
  slice rest;
  if (!name_part(parser, token, out->name, &rest)) {
    return false;
  }
  out->is_name = true;
  if (rest.length == 0) {
    return true;
  }
  if (rest.text[0] != '+') {
    quote_buffer q;
    return fail(parser, "bad reference %s: expected @name or @name+OFFSET",
                quote(token, &q));
  }
  rest.text++;
  rest.length--;
  return number_operand(parser, rest, "offset", &out->value);
}

/* The optional @name an alloc or pool binds: a bare name, no offset. */
static bool binding_operand(line_parser *parser, slice token, char *name,
                            const char *binder) {
  quote_buffer q;
  if (token.length == 0 || token.text[0] != '@') {
    return fail(parser, "unexpected argument %s: %s binds an @name here",
                quote(token, &q), binder);
  }
  slice rest;
  if (!name_part(parser, token, name, &rest)) {
    return false;
  }
  if (rest.length != 0) {
    return fail(parser, "%s binds a plain @name, not %s", binder,
                quote(token, &q));
  }
  return true;
}

/* ---- commands ---------------------------------------------------------- */

/* Checks the operand count (the command word not included). */
static bool operand_count(line_parser *parser, size_t minimum, size_t maximum) {
  size_t operands = parser->token_count - 1;
  if (operands < minimum) {
    return fail(parser, "missing argument; usage: %s", parser->usage);
  }
  if (operands > maximum) {
    quote_buffer q;
    if (maximum + 1 < TOKENS_MAX) {
      return fail(parser, "unexpected argument %s; usage: %s",
                  quote(parser->tokens[maximum + 1], &q), parser->usage);
    }
    return fail(parser, "too many arguments; usage: %s", parser->usage);
  }
  return true;
}

static slice operand(const line_parser *parser, size_t index) {
  return parser->tokens[index + 1];
}

static bool parse_region(line_parser *parser, trace_command *out) {
  if (!operand_count(parser, 2, 2) ||
      !number_operand(parser, operand(parser, 0), "BASE", &out->region.base) ||
      !number_operand(parser, operand(parser, 1), "BYTES",
                      &out->region.bytes)) {
    return false;
  }
  uint64_t base = out->region.base;
  uint64_t bytes = out->region.bytes;
  if ((base & DXEMEM_PAGE_MASK) != 0) {
    return fail(parser, "region BASE 0x%llx is not a multiple of 4096",
                (unsigned long long)base);
  }
  if (bytes == 0 || (bytes & DXEMEM_PAGE_MASK) != 0) {
    return fail(parser,
                "region BYTES 0x%llx is not a positive multiple of 4096",
                (unsigned long long)bytes);
  }
  if (bytes - 1 > UINT64_MAX - base) {
    return fail(parser, "region 0x%llx + 0x%llx ends past 2^64",
                (unsigned long long)base, (unsigned long long)bytes);
  }
  return true;
}

static bool parse_granularity(line_parser *parser, trace_command *out) {
  if (!operand_count(parser, 1, 1) ||
      !number_operand(parser, operand(parser, 0), "BYTES",
                      &out->granularity.bytes)) {
    return false;
  }
  if (out->granularity.bytes != 4096 && out->granularity.bytes != 65536) {
    return fail(parser, "granularity must be 4096 or 65536, not 0x%llx",
                (unsigned long long)out->granularity.bytes);
  }
  return true;
}

static bool parse_bins(line_parser *parser, trace_command *out) {
  if (parser->token_count - 1 > TRACE_BINS_MAX) {
    return fail(parser, "bins takes at most %d TYPE:PAGES pairs",
                TRACE_BINS_MAX);
  }
  if (!operand_count(parser, 1, TRACE_BINS_MAX)) {
    return false;
  }
  out->bins.count = parser->token_count - 1;
  for (size_t i = 0; i < out->bins.count; i++) {
    slice pair = operand(parser, i);
    const char *colon = memchr(pair.text, ':', pair.length);
    if (colon == NULL) {
      quote_buffer q;
      return fail(parser, "bins entry %s is not TYPE:PAGES", quote(pair, &q));
    }
    slice type = {pair.text, (size_t)(colon - pair.text)};
    slice pages = {colon + 1, pair.length - type.length - 1};
    dxemem_memory_type_information *entry = &out->bins.entries[i];
    if (!type_operand(parser, type, &entry->type) ||
        !number32_operand(parser, pages, "bins PAGES",
                          &entry->number_of_pages)) {
      return false;
    }
  }
  return true;
}

static bool parse_binrange(line_parser *parser, trace_command *out) {
  return operand_count(parser, 2, 2) &&
         number_operand(parser, operand(parser, 0), "START",
                        &out->binrange.start) &&
         number_operand(parser, operand(parser, 1), "BYTES",
                        &out->binrange.bytes);
}

static bool parse_add(line_parser *parser, trace_command *out) {
  if (!operand_count(parser, 3, 4) ||
      !type_operand(parser, operand(parser, 0), &out->add.type) ||
      !number_operand(parser, operand(parser, 1), "START", &out->add.start) ||
      !number_operand(parser, operand(parser, 2), "PAGES", &out->add.pages)) {
    return false;
  }
  out->add.attribute =
      DXEMEM_MEMORY_UC | DXEMEM_MEMORY_WC | DXEMEM_MEMORY_WT | DXEMEM_MEMORY_WB;
  return parser->token_count == 4 ||
         number_operand(parser, operand(parser, 3), "ATTR",
                        &out->add.attribute);
}

static bool parse_alloc(line_parser *parser, trace_command *out) {
  if (!operand_count(parser, 3, 5)) {
    return false;
  }
  slice kind = operand(parser, 0);
  size_t operands = 3; /* kind, TYPE, PAGES */
  if (slice_is(kind, "any")) {
    out->alloc.allocate_type = DXEMEM_ALLOCATE_ANY_PAGES;
    parser->usage = "alloc any TYPE PAGES [@name]";
  } else if (slice_is(kind, "max")) {
    out->alloc.allocate_type = DXEMEM_ALLOCATE_MAX_ADDRESS;
    parser->usage = "alloc max TYPE PAGES MAXADDR [@name]";
    operands = 4;
  } else if (slice_is(kind, "addr")) {
    out->alloc.allocate_type = DXEMEM_ALLOCATE_ADDRESS;
    parser->usage = "alloc addr TYPE PAGES ADDR [@name]";
    operands = 4;
  } else {
    quote_buffer q;
    return fail(parser, "alloc kind must be any, max or addr, not %s",
                quote(kind, &q));
  }
  if (!operand_count(parser, operands, operands + 1) ||
      !type_operand(parser, operand(parser, 1), &out->alloc.type) ||
      !number_operand(parser, operand(parser, 2), "PAGES", &out->alloc.pages)) {
    return false;
  }
  if (operands == 4 &&
      !number_operand(parser, operand(parser, 3),
                      out->alloc.allocate_type == DXEMEM_ALLOCATE_ADDRESS
                          ? "ADDR"
                          : "MAXADDR",
                      &out->alloc.address)) {
    return false;
  }
  return parser->token_count - 1 == operands ||
         binding_operand(parser, operand(parser, operands), out->alloc.name,
                         "alloc");
}

static bool parse_free(line_parser *parser, trace_command *out) {
  if (!operand_count(parser, 1, 2) ||
      !ref_operand(parser, operand(parser, 0), &out->free.ref)) {
    return false;
  }
  out->free.has_pages = parser->token_count == 3;
  if (out->free.has_pages) {
    return number_operand(parser, operand(parser, 1), "PAGES",
                          &out->free.pages);
  }
  if (!out->free.ref.is_name) {
    return fail(parser, "free of an address needs PAGES; usage: %s",
                parser->usage);
  }
  return true;
}

static bool parse_attr(line_parser *parser, trace_command *out) {
  return operand_count(parser, 3, 3) &&
         number_operand(parser, operand(parser, 0), "START",
                        &out->attr.start) &&
         number_operand(parser, operand(parser, 1), "PAGES",
                        &out->attr.pages) &&
         number_operand(parser, operand(parser, 2), "ATTR",
                        &out->attr.attribute);
}

static bool parse_map(line_parser *parser, trace_command *out) {
  if (!operand_count(parser, 0, 1)) {
    return false;
  }
  out->map.has_bytes = parser->token_count == 2;
  return !out->map.has_bytes ||
         number_operand(parser, operand(parser, 0), "BYTES", &out->map.bytes);
}

static bool parse_no_operands(line_parser *parser, trace_command *out) {
  (void)out;
  return operand_count(parser, 0, 0);
}

/* fill and check share their operands. */
static bool parse_fill(line_parser *parser, trace_command *out) {
  uint64_t byte;
  if (!operand_count(parser, 3, 3) ||
      !ref_operand(parser, operand(parser, 0), &out->fill.ref) ||
      !number_operand(parser, operand(parser, 1), "PAGES", &out->fill.pages) ||
      !number_operand(parser, operand(parser, 2), "BYTE", &byte)) {
    return false;
  }
  if (byte > UINT8_MAX) {
    return fail(parser, "BYTE 0x%llx does not fit in 8 bits",
                (unsigned long long)byte);
  }
  out->fill.byte = (uint8_t)byte;
  return true;
}

/* ---- version 2: pool --------------------------------------------------- */

static bool parse_pool(line_parser *parser, trace_command *out) {
  if (!operand_count(parser, 2, 3) ||
      !type_operand(parser, operand(parser, 0), &out->pool.type) ||
      !number_operand(parser, operand(parser, 1), "BYTES", &out->pool.bytes)) {
    return false;
  }
  return parser->token_count == 3 ||
         binding_operand(parser, operand(parser, 2), out->pool.name, "pool");
}

static bool parse_freepool(line_parser *parser, trace_command *out) {
  return operand_count(parser, 1, 1) &&
         ref_operand(parser, operand(parser, 0), &out->freepool.ref);
}

/* fillb and checkb share their operands. */
static bool parse_fillb(line_parser *parser, trace_command *out) {
  uint64_t byte;
  if (!operand_count(parser, 3, 3) ||
      !ref_operand(parser, operand(parser, 0), &out->fillb.ref) ||
      !number_operand(parser, operand(parser, 1), "BYTES", &out->fillb.bytes) ||
      !number_operand(parser, operand(parser, 2), "BYTE", &byte)) {
    return false;
  }
  if (byte > UINT8_MAX) {
    return fail(parser, "BYTE 0x%llx does not fit in 8 bits",
                (unsigned long long)byte);
  }
  out->fillb.byte = (uint8_t)byte;
  return true;
}

/* guard PROPERTY PAGETYPES POOLTYPES (version 3). */
static bool parse_guard(line_parser *parser, trace_command *out) {
  uint64_t property;
  if (!operand_count(parser, 3, 3) ||
      !number_operand(parser, operand(parser, 0), "PROPERTY", &property) ||
      !number_operand(parser, operand(parser, 1), "PAGETYPES",
                      &out->guard.page_types) ||
      !number_operand(parser, operand(parser, 2), "POOLTYPES",
                      &out->guard.pool_types)) {
    return false;
  }
  if (property > UINT8_MAX) {
    return fail(parser, "guard PROPERTY 0x%llx does not fit in 8 bits",
                (unsigned long long)property);
  }
  if ((property & (DXEMEM_GUARD_PAGE | DXEMEM_GUARD_POOL)) != 0 &&
      (property & DXEMEM_GUARD_FREED) != 0) {
    return fail(parser,
                "guard PROPERTY 0x%llx: the page or pool guard (BIT0, BIT1) "
                "and the freed-memory guard (BIT4) exclude each other",
                (unsigned long long)property);
  }
  out->guard.property = (uint8_t)property;
  return true;
}

static bool parse_guardpage(line_parser *parser, trace_command *out) {
  return operand_count(parser, 1, 1) &&
         ref_operand(parser, operand(parser, 0), &out->guardpage.ref);
}

typedef struct command_syntax {
  const char *word;
  trace_op op;
  const char *usage;
  bool (*parse)(line_parser *parser, trace_command *out);
} command_syntax;

/* In trace_op order (trace_op_word looks words up by position). */
static const command_syntax command_table[] = {
    {"region", TRACE_OP_REGION, "region BASE BYTES", parse_region},
    {"granularity", TRACE_OP_GRANULARITY, "granularity BYTES",
     parse_granularity},
    {"bins", TRACE_OP_BINS, "bins TYPE:PAGES ...", parse_bins},
    {"binrange", TRACE_OP_BINRANGE, "binrange START BYTES", parse_binrange},
    {"guard", TRACE_OP_GUARD, "guard PROPERTY PAGETYPES POOLTYPES",
     parse_guard},
    {"add", TRACE_OP_ADD, "add TYPE START PAGES [ATTR]", parse_add},
    {"alloc", TRACE_OP_ALLOC, "alloc any|max|addr TYPE PAGES [ADDR] [@name]",
     parse_alloc},
    {"free", TRACE_OP_FREE, "free REF [PAGES]", parse_free},
    {"attr", TRACE_OP_ATTR, "attr START PAGES ATTR", parse_attr},
    {"map", TRACE_OP_MAP, "map [BYTES]", parse_map},
    {"terminate", TRACE_OP_TERMINATE, "terminate", parse_no_operands},
    {"stats", TRACE_OP_STATS, "stats", parse_no_operands},
    {"fill", TRACE_OP_FILL, "fill REF PAGES BYTE", parse_fill},
    {"check", TRACE_OP_CHECK, "check REF PAGES BYTE", parse_fill},
    {"pool", TRACE_OP_POOL, "pool TYPE BYTES [@name]", parse_pool},
    {"freepool", TRACE_OP_FREEPOOL, "freepool REF", parse_freepool},
    {"fillb", TRACE_OP_FILLB, "fillb REF BYTES BYTE", parse_fillb},
    {"checkb", TRACE_OP_CHECKB, "checkb REF BYTES BYTE", parse_fillb},
    {"poolstats", TRACE_OP_POOLSTATS, "poolstats", parse_no_operands},
    {"guardpage", TRACE_OP_GUARDPAGE, "guardpage REF", parse_guardpage},
};

const char *trace_op_word(trace_op op) {
  /* The table is in trace_op order: every printed line asks. */
  if ((size_t)op < sizeof(command_table) / sizeof(command_table[0]) &&
      command_table[op].op == op) {
    return command_table[op].word;
  }
  for (size_t i = 0; i < sizeof(command_table) / sizeof(command_table[0]);
       i++) {
    if (command_table[i].op == op) {
      return command_table[i].word;
    }
  }
  return "?";
}

/* ---- the line ---------------------------------------------------------- */

static bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

/* Cuts the comment and a final CR, rejects bytes that no token may hold,
 * and splits the rest into tokens. */
static bool tokenize(line_parser *parser, const char *text, size_t length) {
  if (length > 0 && text[length - 1] == '\r') {
    length--;
  }
  const char *comment = memchr(text, '#', length);
  if (comment != NULL) {
    length = (size_t)(comment - text);
  }
  parser->token_count = 0;
  size_t i = 0;
  while (i < length) {
    if (is_blank(text[i])) {
      i++;
      continue;
    }
    size_t start = i;
    for (; i < length && !is_blank(text[i]); i++) {
      unsigned char c = (unsigned char)text[i];
      if (c < 0x21 || c > 0x7e) {
        return fail(parser, "unexpected byte 0x%02x in column %zu", c, i + 1);
      }
    }
    if (parser->token_count < TOKENS_MAX) {
      parser->tokens[parser->token_count] = (slice){text + start, i - start};
    }
    parser->token_count++;
  }
  return true;
}

trace_line_kind trace_parse_line(const char *text, size_t length,
                                 trace_command *out, char *message,
                                 size_t message_size) {
  line_parser parser; /* tokens are read only up to token_count */
  parser.token_count = 0;
  parser.usage = NULL;
  parser.message = message;
  parser.message_size = message_size;
  if (message_size > 0) {
    message[0] = '\0';
  }
  if (!tokenize(&parser, text, length)) {
    return TRACE_LINE_INVALID;
  }
  if (parser.token_count == 0) {
    return TRACE_LINE_BLANK;
  }
  uint64_t line = out->line;
  memset(out, 0, sizeof(*out));
  out->line = line;
  for (size_t i = 0; i < sizeof(command_table) / sizeof(command_table[0]);
       i++) {
    const command_syntax *syntax = &command_table[i];
    /* The first byte turns most words away before the full compare. */
    if (syntax->word[0] == parser.tokens[0].text[0] &&
        slice_is(parser.tokens[0], syntax->word)) {
      out->op = syntax->op;
      parser.usage = syntax->usage;
      return syntax->parse(&parser, out) ? TRACE_LINE_COMMAND
                                         : TRACE_LINE_INVALID;
    }
  }
  quote_buffer q;
  fail(&parser, "unknown command %s", quote(parser.tokens[0], &q));
  return TRACE_LINE_INVALID;
}
