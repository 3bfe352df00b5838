/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/* Text shared by both printers: type and status names, commands as text. */
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "trace.h"

const char *trace_type_text(uint32_t type, char *buffer) {
  const char *name = dxemem_memory_type_name(type);
  if (type <= DXEMEM_MAX_MEMORY_TYPE && name != NULL) {
    return name;
  }
  snprintf(buffer, 11, "0x%08" PRIx32, type);
  return buffer;
}

static const char *const type_labels[DXEMEM_MAX_MEMORY_TYPE + 1] = {
    "reserved", "LD code",  "LD data",    "BS code",    "BS data", "RT code",
    "RT data",  "free",     "unusable",   "ACPI",       "ACPI NVS", "MMIO",
    "MMIO port", "PAL code", "persistent", "unaccepted", "max",
};

const char *trace_type_label(uint32_t type) {
  if (type <= DXEMEM_MAX_MEMORY_TYPE) {
    return type_labels[type];
  }
  if (type >= 0x80000000u) {
    return "OS";
  }
  return type >= 0x70000000u ? "OEM" : "invalid";
}

const char *trace_status_text(dxemem_status status, char *buffer) {
  const char *name = dxemem_status_name(status);
  if (name != NULL) {
    return name;
  }
  snprintf(buffer, 19, "0x%016" PRIx64, status);
  return buffer;
}

/* Appends to a fixed buffer, silently truncating. */
typedef struct text_builder {
  char *buffer;
  size_t size, used;
} text_builder;

TRACE_PRINTF_LIKE(2, 3)
static void append(text_builder *text, const char *format, ...) {
  if (text->used + 1 >= text->size) {
    return;
  }
  va_list args;
  va_start(args, format);
  int n = vsnprintf(text->buffer + text->used, text->size - text->used, format,
                    args);
  va_end(args);
  if (n > 0) {
    size_t room = text->size - text->used - 1;
    text->used += (size_t)n < room ? (size_t)n : room;
  }
}

static void append_type(text_builder *text, uint32_t type) {
  char buffer[11];
  append(text, " %s", trace_type_text(type, buffer));
}

static void append_ref(text_builder *text, const trace_ref *ref) {
  if (!ref->is_name) {
    append(text, " 0x%" PRIx64, ref->value);
  } else if (ref->value == 0) {
    append(text, " @%s", ref->name);
  } else {
    append(text, " @%s+0x%" PRIx64, ref->name, ref->value);
  }
}

void trace_format_command(const trace_command *command, char *buffer,
                          size_t size) {
  text_builder text = {buffer, size, 0};
  if (size == 0) {
    return;
  }
  buffer[0] = '\0';
  append(&text, "%s", trace_op_word(command->op));
  switch (command->op) {
  case TRACE_OP_REGION:
    append(&text, " 0x%" PRIx64 " 0x%" PRIx64, command->region.base,
           command->region.bytes);
    break;
  case TRACE_OP_GRANULARITY:
    append(&text, " %" PRIu64, command->granularity.bytes);
    break;
  case TRACE_OP_BINS:
    for (size_t i = 0; i < command->bins.count; i++) {
      append_type(&text, command->bins.entries[i].type);
      append(&text, ":0x%" PRIx32, command->bins.entries[i].number_of_pages);
    }
    break;
  case TRACE_OP_BINRANGE:
    append(&text, " 0x%" PRIx64 " 0x%" PRIx64, command->binrange.start,
           command->binrange.bytes);
    break;
  case TRACE_OP_ADD:
    append_type(&text, command->add.type);
    append(&text, " 0x%" PRIx64 " 0x%" PRIx64 " 0x%" PRIx64, command->add.start,
           command->add.pages, command->add.attribute);
    break;
  case TRACE_OP_ALLOC: {
    static const char *const kinds[] = {"any", "max", "addr"};
    uint32_t kind = command->alloc.allocate_type;
    append(&text, " %s", kind < 3 ? kinds[kind] : "?");
    append_type(&text, command->alloc.type);
    append(&text, " 0x%" PRIx64, command->alloc.pages);
    if (kind != DXEMEM_ALLOCATE_ANY_PAGES) {
      append(&text, " 0x%" PRIx64, command->alloc.address);
    }
    if (command->alloc.name[0] != '\0') {
      append(&text, " @%s", command->alloc.name);
    }
    break;
  }
  case TRACE_OP_FREE:
    append_ref(&text, &command->free.ref);
    if (command->free.has_pages) {
      append(&text, " 0x%" PRIx64, command->free.pages);
    }
    break;
  case TRACE_OP_ATTR:
    append(&text, " 0x%" PRIx64 " 0x%" PRIx64 " 0x%" PRIx64,
           command->attr.start, command->attr.pages, command->attr.attribute);
    break;
  case TRACE_OP_MAP:
    if (command->map.has_bytes) {
      append(&text, " 0x%" PRIx64, command->map.bytes);
    }
    break;
  case TRACE_OP_TERMINATE:
  case TRACE_OP_STATS:
    break;
  case TRACE_OP_FILL:
  case TRACE_OP_CHECK:
    append_ref(&text, &command->fill.ref);
    append(&text, " 0x%" PRIx64 " 0x%02x", command->fill.pages,
           command->fill.byte);
    break;
  case TRACE_OP_POOL:
    append_type(&text, command->pool.type);
    append(&text, " 0x%" PRIx64, command->pool.bytes);
    if (command->pool.name[0] != '\0') {
      append(&text, " @%s", command->pool.name);
    }
    break;
  case TRACE_OP_FREEPOOL:
    append_ref(&text, &command->freepool.ref);
    break;
  case TRACE_OP_FILLB:
  case TRACE_OP_CHECKB:
    append_ref(&text, &command->fillb.ref);
    append(&text, " 0x%" PRIx64 " 0x%02x", command->fillb.bytes,
           command->fillb.byte);
    break;
  case TRACE_OP_POOLSTATS:
    break;
  case TRACE_OP_GUARD:
    append(&text, " 0x%02x 0x%" PRIx64 " 0x%" PRIx64, command->guard.property,
           command->guard.page_types, command->guard.pool_types);
    break;
  case TRACE_OP_GUARDPAGE:
    append_ref(&text, &command->guardpage.ref);
    break;
  }
}
