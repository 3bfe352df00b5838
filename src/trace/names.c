/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * The @name table: open addressing with linear probing, FNV-1a hashes,
 * at most half full. Names are never unbound (a failed alloc keeps the old
 * binding, a successful one replaces it), so there are no tombstones. The
 * caps TRACE_NAMES_MAX and TRACE_NAME_BYTES_MAX bound its memory whatever
 * the trace does.
 */
#include <stdlib.h>
#include <string.h>

#include "trace.h"

#define FIRST_SLOT_COUNT 256u

typedef struct trace_name_slot {
  size_t text_offset; /* into names->text; SIZE_MAX when empty */
  uint64_t hash;
  trace_binding binding;
} trace_name_slot;

static uint64_t name_hash(const char *name) {
  uint64_t hash = UINT64_C(0xcbf29ce484222325);
  for (const unsigned char *p = (const unsigned char *)name; *p != '\0'; p++) {
    hash = (hash ^ *p) * UINT64_C(0x100000001b3);
  }
  return hash;
}

void trace_names_init(trace_names *names) {
  memset(names, 0, sizeof(*names));
}

void trace_names_free(trace_names *names) {
  free(names->slots);
  free(names->text);
  trace_names_init(names);
}

/* The slot holding name, or the empty slot where it would go. */
static trace_name_slot *find_slot(trace_name_slot *slots, size_t slot_count,
                                  const char *text, const char *name,
                                  uint64_t hash) {
  size_t mask = slot_count - 1;
  for (size_t i = (size_t)hash & mask;; i = (i + 1) & mask) {
    trace_name_slot *slot = &slots[i];
    if (slot->text_offset == SIZE_MAX ||
        (slot->hash == hash && strcmp(text + slot->text_offset, name) == 0)) {
      return slot;
    }
  }
}

static bool grow_slots(trace_names *names) {
  size_t count =
      names->slot_count == 0 ? FIRST_SLOT_COUNT : names->slot_count * 2;
  trace_name_slot *slots = malloc(count * sizeof(*slots));
  if (slots == NULL) {
    return false;
  }
  for (size_t i = 0; i < count; i++) {
    slots[i].text_offset = SIZE_MAX;
  }
  for (size_t i = 0; i < names->slot_count; i++) {
    const trace_name_slot *old = &names->slots[i];
    if (old->text_offset != SIZE_MAX) {
      *find_slot(slots, count, names->text, names->text + old->text_offset,
                 old->hash) = *old;
    }
  }
  free(names->slots);
  names->slots = slots;
  names->slot_count = count;
  return true;
}

/* Appends name to the arena; its offset goes to *offset. */
static trace_bind_status store_text(trace_names *names, const char *name,
                                    size_t *offset) {
  size_t size = strlen(name) + 1;
  if (size > TRACE_NAME_BYTES_MAX - names->text_used) {
    return TRACE_BIND_LIMIT;
  }
  if (size > names->text_capacity - names->text_used) {
    size_t capacity =
        names->text_capacity == 0 ? 4096 : names->text_capacity * 2;
    while (capacity - names->text_used < size) {
      capacity *= 2;
    }
    if (capacity > TRACE_NAME_BYTES_MAX) {
      capacity = TRACE_NAME_BYTES_MAX;
    }
    char *text = realloc(names->text, capacity);
    if (text == NULL) {
      return TRACE_BIND_NO_MEMORY;
    }
    names->text = text;
    names->text_capacity = capacity;
  }
  memcpy(names->text + names->text_used, name, size);
  *offset = names->text_used;
  names->text_used += size;
  return TRACE_BIND_OK;
}

trace_bind_status trace_names_bind(trace_names *names, const char *name,
                                   trace_binding binding) {
  uint64_t hash = name_hash(name);
  trace_name_slot *slot = NULL;
  if (names->slot_count > 0) {
    slot = find_slot(names->slots, names->slot_count, names->text, name, hash);
    if (slot->text_offset != SIZE_MAX) {
      slot->binding = binding;
      return TRACE_BIND_OK;
    }
  }
  if (names->used >= TRACE_NAMES_MAX) {
    return TRACE_BIND_LIMIT;
  }
  if (2 * (names->used + 1) > names->slot_count) {
    if (!grow_slots(names)) {
      return TRACE_BIND_NO_MEMORY;
    }
    slot = NULL; /* the empty slot found is gone with the old table */
  }
  size_t offset;
  trace_bind_status status = store_text(names, name, &offset);
  if (status != TRACE_BIND_OK) {
    return status;
  }
  if (slot == NULL) {
    slot = find_slot(names->slots, names->slot_count, names->text, name, hash);
  }
  slot->text_offset = offset;
  slot->hash = hash;
  slot->binding = binding;
  names->used++;
  return TRACE_BIND_OK;
}

bool trace_names_room_for(const trace_names *names, const char *name) {
  /* The caps first: below them the look-up is not needed. */
  return (names->used < TRACE_NAMES_MAX &&
          strlen(name) + 1 <= TRACE_NAME_BYTES_MAX - names->text_used) ||
         trace_names_find(names, name) != NULL;
}

const trace_binding *trace_names_find(const trace_names *names,
                                      const char *name) {
  if (names->slot_count == 0) {
    return NULL;
  }
  const trace_name_slot *slot = find_slot(names->slots, names->slot_count,
                                          names->text, name, name_hash(name));
  return slot->text_offset == SIZE_MAX ? NULL : &slot->binding;
}
