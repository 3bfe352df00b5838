/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * The one internal header of the freestanding core.
 *
 * Where edk2 keeps globals (gMemoryMap, mMapStack, mMapDepth, mFreeMapStack,
 * mFreeMemoryMapEntryList, mMemoryMapKey, mMemoryTypeStatistics,
 * gMemoryTypeInformation, mDefaultBaseAddress, mDefaultMaximumAddress,
 * mMemoryTypeInformationInitialized), dxemem keeps fields of struct dxemem.
 *
 * Map entries (edk2's MEMORY_MAP, 64 bytes) live in refuel pages inside the
 * fake region, exactly where edk2 keeps them. They link to each other by
 * reference (entry_ref): the physical address of an entry, or a small odd
 * tag for the nodes kept in the instance (the two list heads and the map
 * stack). Physical references keep the region position independent and let
 * every link be validated before it is followed.
 */
#ifndef DXEMEM_CORE_INTERNAL_H
#define DXEMEM_CORE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dxemem/dxemem.h"
#include "heap_guard.h"

/* The freestanding contract: only these four libc symbols. */
void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
/* -ffreestanding turns the builtins off; these let the compiler inline the
 * copies and fills of a known size (and call the two above otherwise). */
#define memcpy(dst, src, n) __builtin_memcpy((dst), (src), (n))
#define memset(dst, c, n) __builtin_memset((dst), (c), (n))

#define DXEMEM_INSTANCE_MAGIC UINT32_C(0x4d455844)  /* "DXEM" */
#define DXEMEM_ENTRY_SIGNATURE UINT32_C(0x504d4d44) /* "DMMP" */
#define MAP_ENTRY_SIZE 64u
#define ENTRIES_PER_PAGE 64u /* 4 KiB / sizeof (MEMORY_MAP) on X64 */
#define MAX_MAP_DEPTH 6u
#define MEMORY_TYPE_SLOTS 17u /* EfiMaxMemoryType + 1 */
#define MAX_ALLOC_ADDRESS UINT64_MAX
#define DEFAULT_GRANULARITY UINT64_C(4096)
#define JOURNAL_CAPACITY 192u
#define JOURNAL_SEEN_SLOTS 32u
#define FREED_PAGE_HEADS 32u /* freed page-path pool heads kept (pool.c) */

typedef uint64_t entry_ref;

/* ---- pool (Pool.c) layout, X64 sizes ------------------------------------ */
#define POOL_LIST_COUNT 12u          /* MAX_POOL_LIST */
#define POOL_HEAD_BYTES UINT64_C(24) /* SIZE_OF_POOL_HEAD */
#define POOL_TAIL_BYTES UINT64_C(16) /* sizeof (POOL_TAIL) */
#define POOL_OVERHEAD (POOL_HEAD_BYTES + POOL_TAIL_BYTES)
#define POOL_MAX_SIZE (UINT64_MAX - POOL_OVERHEAD) /* MAX_POOL_SIZE */
#define POOL_STRUCT_BYTES UINT64_C(232)           /* sizeof (POOL) */
#define POOL_FREE_SIGNATURE UINT32_C(0x30726670)  /* "pfr0" */
#define POOL_HEAD_SIGNATURE UINT32_C(0x30646870)  /* "phd0" */
#define POOLPAGE_HEAD_SIGNATURE UINT32_C(0x31646870) /* "phd1" */
#define POOL_TAIL_SIGNATURE UINT32_C(0x6c617470)  /* "ptal" */
#define POOL_SIGNATURE UINT32_C(0x74736c70)       /* "plst" */
/* Offsets inside the structures edk2 keeps in pool pages. */
#define POOL_FREE_LINK 8u        /* POOL_FREE.Link */
#define POOL_STRUCT_LISTS 24u    /* POOL.FreeList[0] */
#define POOL_STRUCT_LINK 216u    /* POOL.Link */
/* A pool list node: the physical address of a LIST_ENTRY in the region,
 * or an odd tag for the nodes kept in the instance (mPoolHead[t].FreeList
 * and mPoolHeadList); 0 never names a node. */
typedef uint64_t pool_ref;
#define POOL_HOST_NODES (DXEMEM_MAX_MEMORY_TYPE * POOL_LIST_COUNT + 1u)
#define POOL_REF_HOST_LIST(type, index)                                        \
  (UINT64_C(1) + 2u * ((uint64_t)(type)*POOL_LIST_COUNT + (uint64_t)(index)))
#define POOL_REF_HEAD_LIST (UINT64_C(1) + 2u * (POOL_HOST_NODES - 1u))

/* One pool: mPoolHead[type] (oem == 0) or the OEM/OS POOL at oem. */
typedef struct pool_id {
  uint32_t type;
  uint64_t oem; /* physical address of the POOL structure, or 0 */
} pool_id;

/* References to the nodes kept in the instance: odd, so never an entry
 * address (entries are 64-byte aligned). 0 is edk2's NULL ForwardLink. */
#define REF_NULL UINT64_C(0)
#define REF_MAP_HEAD UINT64_C(1)
#define REF_FREE_HEAD UINT64_C(3)
#define REF_STACK(i) (UINT64_C(5) + 2u * (uint64_t)(i))
#define REF_IS_HOST(r) (((r)&1u) != 0)

/* MEMORY_MAP: one gMemoryMap entry. 64 bytes, like edk2's on X64. */
typedef struct map_entry {
  uint32_t signature;
  uint32_t seal;  /* keyed hash of the data fields and the address */
  entry_ref next; /* Link.ForwardLink */
  entry_ref prev; /* Link.BackLink */
  uint64_t start;
  uint64_t end; /* last byte; start - 1 for an empty entry */
  uint64_t attribute;
  uint32_t type;
  uint8_t from_pages; /* FromPages: lives in a refuel page */
  /* dxemem: the index block of the entry's refuel page (map_index.c),
   * 24 bits little-endian; only a hint, checked before use, so it is not
   * sealed. */
  uint8_t index_block[3];
  uint64_t page_link; /* slot 0 of a refuel page: the previous refuel page */
} map_entry;

_Static_assert(sizeof(map_entry) == MAP_ENTRY_SIZE, "MEMORY_MAP is 64 bytes");

/* EFI_MEMORY_TYPE_STATISTICS. */
typedef struct type_statistics {
  uint64_t base_address;
  uint64_t maximum_address;
  uint64_t current_number_of_pages;
  uint64_t number_of_pages;
  uint64_t information_index;
  bool special;
  bool runtime;
} type_statistics;

/* One saved node for roll-back (see journal.c comment in map_list.c). */
typedef struct journal_record {
  entry_ref ref;
  map_entry before;
} journal_record;

/* Everything a transaction may change besides nodes. */
typedef struct journal_scalars {
  uint64_t map_depth;
  uint64_t map_key;
  uint64_t map_entries;
  uint64_t free_entries;
  map_entry heads[2]; /* gMemoryMap and the free list heads */
  bool whole_stats; /* stats and info saved whole, else as they change: */
  uint32_t kept_counts;      /* bit t: current_pages[t] holds the old count */
  uint32_t kept_information; /* bit i: info[i] holds the old slot */
  type_statistics stats[MEMORY_TYPE_SLOTS];
  uint64_t current_pages[MEMORY_TYPE_SLOTS];
  dxemem_memory_type_information info[MEMORY_TYPE_SLOTS];
  uint64_t default_base;
} journal_scalars;

/* The reference seam: the few steps where edk2 versions differ, one table
 * per reference (bins_stable.c, bins_master.c). Everything above calls
 * through it and keeps one shape; each entry names what it models. */
typedef struct dx_reference_ops {
  const char *name; /* dxemem_reference_name() */
  /* gMemoryTypeInformation's initial contents (Page.c). */
  void (*init_information)(dxemem *d);
  /* The Memory Type Information HOB has just been copied into d->info:
   * what the DXE core does to the copy before using it. */
  void (*populate_information)(dxemem *d);
  /* The bin step at the end of CoreAddMemoryDescriptor. */
  void (*allocate_bins)(dxemem *d);
  /* CoreSetMemoryTypeInformationRange: DXEMEM_BAD_BUFFER_SIZE when the bins
   * do not fit (nothing changes); bins_initialized is false on entry. */
  dxemem_status (*set_range)(dxemem *d, uint64_t start, uint64_t length);
  /* The statistics update of CoreConvertPagesEx. */
  void (*update_statistics)(dxemem *d, uint32_t old_type, uint32_t new_type,
                            uint64_t start, uint64_t pages);
  /* Whether InformationIndex 16 (types the table does not list) still
   * records a high-water mark, in the terminator slot. */
  bool terminator_records_high_water;
} dx_reference_ops;

extern const dx_reference_ops dx_reference_stable202605;
extern const dx_reference_ops dx_reference_master_2026_08;
/* names.c: the table of a dxemem_reference value, NULL if unknown. */
const dx_reference_ops *dx_reference_ops_of(uint32_t reference);
/* One node of the address-ordered index (map_index.c): a pool entry of
 * gMemoryMap, tied to its entry by position (block of its refuel page,
 * slot). 32 bytes, in the caller's index storage. */
typedef struct index_node {
  uint64_t start;
  uint64_t end;
  uint32_t child[2];  /* 0: none */
  uint32_t max_free;  /* largest free entry below, in pages (saturates) */
  uint8_t height;     /* AVL height, 1 for a leaf */
  /* The children's heights, kept here so that a walk up the tree
   * rebalances without reading the siblings off the path. */
  uint8_t child_height[2];
  uint8_t free; /* conventional and not EFI_MEMORY_SP */
} index_node;

/* A path from the root of the index to a node (AVL height stays below
 * 1.45 log2(n + 2), so 64 levels hold any 32-bit node id). */
#define INDEX_MAX_PATH 64
typedef struct index_path {
  uint32_t id[INDEX_MAX_PATH];
  uint8_t dir[INDEX_MAX_PATH]; /* which child of id[i] the path goes on to */
  int depth;
} index_path;

/* A refuel page and the node block of its 64 entries. */
typedef struct index_page {
  uint64_t page;
  uint64_t block;
} index_page;

/* What CoreFindFreePagesI looks for (find.c), shared by the list walk and
 * the index search. The per-entry rule is dx_free_candidate: the one seam
 * where a guard-aware rule can plug in (a guarded search sets exact_walk). */
typedef struct free_query {
  uint64_t max_address; /* already clipped to the end of a page */
  uint64_t min_address;
  uint64_t pages;
  uint64_t bytes;
  uint64_t alignment;
  bool exact_walk; /* walk the whole list as edk2 does */
} free_query;

struct dxemem {
  uint32_t magic;
  const dx_reference_ops *reference; /* never NULL */
  uint32_t reference_id;             /* dxemem_reference */

  /* The fake physical region. */
  uint64_t region_base;
  uint64_t region_size;
  uint8_t *region_host;
  uint64_t runtime_granularity; /* RUNTIME_PAGE_ALLOCATION_GRANULARITY */

  dxemem_config config; /* callbacks and flags */

  /* gMemoryMap, mFreeMemoryMapEntryList, mMapStack. */
  /* The nodes kept in the instance, in the order of their references
   * (REF_MAP_HEAD, REF_FREE_HEAD, REF_STACK(i)): dx_node indexes them. */
  union {
    struct {
      map_entry map_head;
      map_entry free_head;
      map_entry stack[MAX_MAP_DEPTH];
    };
    map_entry host_nodes[2 + MAX_MAP_DEPTH];
  };
  uint64_t map_depth;     /* mMapDepth */
  uint32_t freeing_stack; /* mFreeMapStack */
  uint32_t refuel_nesting; /* refuels in progress (event recursion depth) */
  uint64_t map_key;       /* mMemoryMapKey */
  uint64_t map_entries;   /* pool entries linked in gMemoryMap */
  uint64_t free_entries;  /* entries on the free list */
  uint64_t refuel_pages;
  uint64_t last_refuel_page; /* head of the refuel page chain */

  /* Bins. */
  type_statistics stats[MEMORY_TYPE_SLOTS]; /* mMemoryTypeStatistics */
  dxemem_memory_type_information
      info[MEMORY_TYPE_SLOTS]; /* gMemoryTypeInformation */
  uint64_t default_base;       /* mDefaultBaseAddress */
  uint64_t default_max;        /* mDefaultMaximumAddress */
  bool bins_initialized;       /* mMemoryTypeInformationInitialized */
  /* The Memory Type Information HOB as the caller set it (hob_count
   * entries, then the terminator), kept until the first add so that a
   * later granularity can populate the table again. */
  bool hob_present;
  size_t hob_count;
  dxemem_memory_type_information hob[MEMORY_TYPE_SLOTS];

  /* dxemem's own bookkeeping. */
  bool any_add;           /* setup is closed after the first add */
  bool overlap_added;     /* an add overlapped: order checks are off */
  bool pool_pages_freed;  /* FreePages took pool pages: pool checks off */
  bool pool_pages_taken;  /* the pool took pages: free blocks may exist */
  /* Heads of the page-path pool buffers freed last (a ring; 0 = empty),
   * until a page-path buffer is made at the same head again: a second free
   * of one is stale even when its pages went back to the same type. */
  uint64_t freed_page_heads[FREED_PAGE_HEADS];
  uint32_t freed_page_next;
  uint32_t event_mask;    /* event kinds config.event takes (none without) */
  bool wrap_added;        /* an empty entry at 0 ends at 2^64 - 1 */
  bool counter_truncated; /* a high-water slot got a 32-bit cut */
  uint64_t seal_key;
  uint64_t last_corruption;
  uint64_t last_checked_key;
  map_entry poison; /* returned for a reference that is bad */
  uint32_t busy;    /* a call holds the instance (dx_claim) */

  /* Hazards (hazard.c): per-kind counts and the last one raised; the
   * bin set-up's watch over its own frees (bins.c). */
  struct bin_watch *bin_watch;
  uint64_t hazard_counts[DXEMEM_HAZARD_KIND_LIMIT];
  dxemem_hazard_kind last_hazard;
  uint64_t last_hazard_start, last_hazard_end;
  /* Pool.c: mPoolHead[].Used, the list heads of mPoolHead[].FreeList[] and
   * mPoolHeadList (nodes: {ForwardLink, BackLink}), the POOLs linked there. */
  uint64_t pool_used[DXEMEM_MAX_MEMORY_TYPE];
  uint64_t pool_nodes[POOL_HOST_NODES][2];
  uint64_t pool_oem_count;
  uint64_t pool_poison[2];
  /* The heap guard (heap_guard.h). */
  heap_guard guard;
  /* The index beside the list (map_index.c). indexed is false for the
   * list path and once the map leaves the shape the index relies on. */
  bool indexed;
  bool index_stale;   /* a roll-back met corruption: rebuild when whole */
  bool touch_failed;  /* a touched entry failed its check in this call */
  uint32_t touched_count; /* entries checked in this call (a few) */
  entry_ref touched[8];
  uint32_t index_root;
  index_node *index_nodes;
  index_page *index_pages;   /* sorted by page, descending */
  uint64_t *index_block_page; /* block -> its refuel page */
  uint64_t index_blocks;      /* capacity in blocks of 64 nodes */
  uint64_t floor_address;     /* last dx_index_floor answer, until a change */
  entry_ref floor_answer;
  uint32_t floor_node;
  bool floor_valid;
  index_path floor_path;      /* the way to floor_node */
  index_page page_cache[512]; /* recent page -> block look-ups */
  entry_ref hole_below;       /* convert_piece's hint for CoreAddRange */
  bool hole_below_known;

  /* Roll-back journal of the running transaction. */
  bool journal_active;
  bool journal_overflow;
  uint32_t journal_used;
  journal_scalars journal_saved;
  journal_record journal[JOURNAL_CAPACITY];
  /* Which nodes this transaction saved already: a direct-mapped filter
   * stamped with the transaction's number (a miss only saves twice). */
  uint64_t journal_number;
  struct journal_seen {
    entry_ref ref;
    uint64_t number;
  } journal_seen[JOURNAL_SEEN_SLOTS];
};

/* ---- instance.c: region, events, locking -------------------------------- */
/* Host address of [phys, phys + length) when the region backs all of it. */
static inline void *dx_region_host_of(const dxemem *d, uint64_t phys,
                                      uint64_t length) {
  if (phys < d->region_base) {
    return NULL;
  }
  uint64_t offset = phys - d->region_base;
  if (offset > d->region_size || length > d->region_size - offset) {
    return NULL;
  }
  return d->region_host + offset;
}
bool dx_region_contains(const dxemem *d, uint64_t start, uint64_t length);
bool dx_host_ranges_overlap(const void *a, uint64_t a_size, const void *b,
                            uint64_t b_size);
void dx_emit_event(dxemem *d, dxemem_event_kind kind, uint32_t type,
                   uint64_t start, uint64_t end, uint64_t attribute);
/* function: the edk2 function that moves the stack entry; entry_address:
 * the pool entry it went to (pop), else 0. */
void dx_emit_stack_event(dxemem *d, dxemem_event_kind kind, const map_entry *e,
                         const char *function, entry_ref entry_address);
void dx_emit_raw_event(dxemem *d, dxemem_event *ev);
/* True when config.event takes events of this kind (config.event_kinds). */
static inline bool dx_event_wanted(const dxemem *d, dxemem_event_kind kind) {
  return ((d->event_mask >> (unsigned)kind) & 1u) != 0;
}
void dx_lock(const dxemem *d);
void dx_unlock(const dxemem *d);
/* One call's hold on the instance (lock + busy mark); false: it is busy
 * (a callback calling in, or unlocked use from two threads). */
bool dx_claim(dxemem *d);
void dx_release(dxemem *d);
/* Common prologue/epilogue of every public state-changing call. */
dxemem_status dx_api_enter(dxemem *d);
dxemem_status dx_api_enter_whole_list(dxemem *d);
dxemem_status dx_api_leave(dxemem *d, dxemem_status status);

/* ---- hazard.c: what edk2 does that no caller can want ----------------- */
/* Counts the hazard, remembers it and sends a DXEMEM_EVENT_HAZARD event
 * for [start, end] (end is the last byte). The result stays edk2's. */
void dx_raise_hazard(dxemem *d, dxemem_hazard_kind kind, uint64_t start,
                     uint64_t end);

/* ---- map_list.c: the entry list interface ------------------------------ */
map_entry *dx_node_poison(dxemem *d, entry_ref ref);
/* The node a reference names: a list head, a stack slot or an entry in the
 * region. Inline: every list walk goes through it. */
static inline map_entry *dx_node(dxemem *d, entry_ref ref) {
  if (REF_IS_HOST(ref)) {
    /* 1, 3, 5 + 2i name host_nodes 0, 1, 2 + i; a stack slot past the
     * stack is slot 0. */
    uint64_t i = ref / 2u;
    return &d->host_nodes[i < 2u + MAX_MAP_DEPTH ? i : 2u];
  }
  /* One unsigned compare for "inside the region" (below the base wraps
   * high). No entry lives at 0 (the search never returns page 0), so a 0
   * link is bad even when the region starts at 0. */
  uint64_t offset = ref - d->region_base;
  if (offset > d->region_size - MAP_ENTRY_SIZE ||
      (ref % MAP_ENTRY_SIZE) != 0 || ref == REF_NULL) {
    return dx_node_poison(d, ref);
  }
  return (map_entry *)(d->region_host + offset);
}
void dx_entry_set_range(dxemem *d, entry_ref ref, uint64_t start, uint64_t end);
entry_ref dx_map_find_containing(dxemem *d, uint64_t address);
/* Validation of the allocator's structures in the region. */
dxemem_status dx_validate_map_list(dxemem *d, uint64_t *bad_address);
bool dx_ref_is_valid_entry(const dxemem *d, entry_ref ref);
/* Journal: transactions that can be rolled back. */
void dx_journal_begin(dxemem *d);
/* The same for one piece of CoreConvertPagesEx, which changes of the
 * statistics only the current page counts (and the high-water marks). */
void dx_journal_begin_piece(dxemem *d);
void dx_journal_commit(dxemem *d);
/* Before a piece changes a type's current page count or a slot of
 * gMemoryTypeInformation: keeps the old value (once per transaction). */
void dx_journal_keep_count(dxemem *d, uint32_t type);
void dx_journal_keep_information(dxemem *d, uint32_t index);
/* Saves ref's node before its first change in the running transaction
 * (inline: every link change calls it; the save itself is not). */
void dx_journal_save(dxemem *d, entry_ref ref, struct journal_seen *seen);
static inline void dx_journal_touch(dxemem *d, entry_ref ref) {
  if (!d->journal_active) {
    return;
  }
  /* The two list heads are saved at the start; stack slots at or past the
   * depth the transaction started at hold nothing a roll-back needs. */
  if (REF_IS_HOST(ref) &&
      (ref < REF_STACK(0) || ref >= REF_STACK(d->journal_saved.map_depth))) {
    return;
  }
  /* A node saved twice is harmless (roll-back restores newest first, so
   * the oldest copy wins); the filter avoids most. Host nodes are small odd
   * numbers, entries 64-byte aligned: both spread over the slots. */
  struct journal_seen *seen =
      &d->journal_seen[(ref ^ (ref >> 6)) % JOURNAL_SEEN_SLOTS];
  if (seen->ref != ref || seen->number != d->journal_number) {
    dx_journal_save(d, ref, seen);
  }
}

/* A keyed hash over everything but the links (links are checked by
 * following them both ways). One multiply per word by its own odd
 * constant, all independent (a change of any one field always changes the
 * sum), then one mix: cheap enough for every entry a call touches. */
static inline uint32_t dx_entry_hash(const dxemem *d, entry_ref ref,
                                     const map_entry *e) {
  uint64_t h = (ref ^ d->seal_key) * UINT64_C(0x9e3779b97f4a7c15) +
               e->start * UINT64_C(0xc2b2ae3d27d4eb4f) +
               e->end * UINT64_C(0x165667b19e3779f9) +
               e->attribute * UINT64_C(0xd6e8feb86659fd93) +
               ((((uint64_t)e->type << 32) |
                 (((uint64_t)e->from_pages << 31) ^ e->signature)) *
                UINT64_C(0xff51afd7ed558ccd)) +
               e->page_link * UINT64_C(0xc4ceb9fe1a85ec53);
  h ^= h >> 29;
  h *= UINT64_C(0xbf58476d1ce4e5b9);
  return (uint32_t)((h >> 32) ^ h);
}

static inline void dx_entry_seal(dxemem *d, entry_ref ref) {
  map_entry *e = dx_node(d, ref);
  e->seal = dx_entry_hash(d, ref, e);
}

static inline bool dx_entry_seal_ok(const dxemem *d, entry_ref ref,
                                    const map_entry *e) {
  return e->signature == DXEMEM_ENTRY_SIGNATURE &&
         e->seal == dx_entry_hash(d, ref, e);
}

/* The list primitives (LIST_ENTRY's), inline: every step of every
 * algorithm goes through them. */
static inline entry_ref dx_list_first(dxemem *d, entry_ref head) {
  return dx_node(d, head)->next;
}

static inline entry_ref dx_list_next(dxemem *d, entry_ref ref) {
  return dx_node(d, ref)->next;
}

static inline bool dx_list_is_empty(dxemem *d, entry_ref head) {
  return dx_node(d, head)->next == head;
}

/* InsertTailList (at, ref): ref goes just before at. */
static inline void dx_list_insert_before(dxemem *d, entry_ref at,
                                         entry_ref ref) {
  map_entry *a = dx_node(d, at);
  entry_ref prev = a->prev;
  dx_journal_touch(d, ref);
  dx_journal_touch(d, prev);
  dx_journal_touch(d, at);
  map_entry *n = dx_node(d, ref);
  n->next = at;
  n->prev = prev;
  dx_node(d, prev)->next = ref;
  a->prev = ref;
}

static inline void dx_list_insert_tail(dxemem *d, entry_ref head,
                                       entry_ref ref) {
  dx_list_insert_before(d, head, ref);
}

/* RemoveEntryList: the node's own links are left for the caller. */
static inline void dx_list_unlink(dxemem *d, entry_ref ref) {
  map_entry *n = dx_node(d, ref);
  entry_ref prev = n->prev;
  entry_ref next = n->next;
  dx_journal_touch(d, ref);
  dx_journal_touch(d, prev);
  dx_journal_touch(d, next);
  dx_node(d, prev)->next = next;
  dx_node(d, next)->prev = prev;
}
void dx_journal_rollback(dxemem *d);

/* Map-level operations: the list plus the index beside it. */
bool dx_map_insert_sorted(dxemem *d, entry_ref ref);
void dx_map_unlink(dxemem *d, entry_ref ref);
entry_ref dx_map_entry_ending_at(dxemem *d, uint64_t last, uint32_t type,
                                 uint64_t attribute, entry_ref near);
entry_ref dx_map_entry_starting_at(dxemem *d, uint64_t start, uint32_t type,
                                   uint64_t attribute, entry_ref near);
entry_ref dx_map_pool_floor(dxemem *d, uint64_t address);
entry_ref dx_map_stack_entry_where(dxemem *d, bool by_end, uint64_t address,
                                   uint32_t type, uint64_t attribute);
uint32_t dx_map_list_order(dxemem *d, const entry_ref *refs, uint32_t count,
                           entry_ref *out);
bool dx_map_overlap_bounds(dxemem *d, uint64_t start, uint64_t end,
                           uint64_t *lo, uint64_t *hi);
uint64_t dx_map_highest_free_end(dxemem *d, const free_query *q);
bool dx_map_holds_refuel_page(dxemem *d, uint64_t start, uint64_t end);
bool dx_touch_ok(dxemem *d, entry_ref ref);
bool dx_touch_links_ok(dxemem *d, entry_ref ref);
void dx_map_note_irregular(dxemem *d);

/* ---- map_index.c: the address-ordered index ---------------------------- */
void dx_index_init(dxemem *d, void *storage, size_t size);
void dx_index_drop(dxemem *d);
void dx_index_add_page(dxemem *d, uint64_t page);
void dx_index_insert(dxemem *d, entry_ref ref);
entry_ref dx_index_insert_find_next(dxemem *d, entry_ref ref);
void dx_index_remove(dxemem *d, entry_ref ref);
void dx_index_update(dxemem *d, entry_ref ref);
entry_ref dx_index_floor(dxemem *d, uint64_t address);
entry_ref dx_index_above(dxemem *d, uint64_t address);
uint64_t dx_index_highest_free_end(dxemem *d, const free_query *q,
                                   entry_ref *winner);
bool dx_index_holds_page(const dxemem *d, uint64_t start, uint64_t end);
void dx_index_rebuild(dxemem *d);
bool dx_index_matches_list(dxemem *d, uint64_t *bad);

/* ---- map_entry.c: CoreAddRange, the map stack and the entry pool -------- */
dxemem_status dx_core_add_range(dxemem *d, uint32_t type, uint64_t start,
                                uint64_t end, uint64_t attribute);
void dx_remove_memory_map_entry(dxemem *d, entry_ref ref);
entry_ref dx_allocate_memory_map_entry(dxemem *d);
dxemem_status dx_core_free_memory_map_stack(dxemem *d);
bool dx_range_holds_map_entries(dxemem *d, uint64_t start, uint64_t end);

/* ---- convert.c: CoreConvertPagesEx ------------------------------------- */
dxemem_status dx_core_convert_pages_ex(dxemem *d, uint64_t start,
                                       uint64_t pages, bool changing_type,
                                       uint32_t new_type,
                                       bool changing_attributes,
                                       uint64_t new_attributes);
dxemem_status dx_core_convert_pages(dxemem *d, uint64_t start, uint64_t pages,
                                    uint32_t new_type);

/* ---- find.c: CoreFindFreePagesI / FindFreePages ------------------------ */
uint64_t dx_core_find_free_pages_i(dxemem *d, uint64_t max_address,
                                   uint64_t min_address, uint64_t pages,
                                   uint64_t alignment, bool need_guard);
uint64_t dx_free_candidate(const free_query *q, uint64_t start, uint64_t end,
                           bool *below_min);
uint64_t dx_find_free_pages(dxemem *d, uint64_t max_address, uint64_t pages,
                            uint32_t new_type, uint64_t alignment,
                            bool need_guard);

/* ---- pages.c: allocate / free ------------------------------------------ */
uint64_t dx_granularity_for_type(const dxemem *d, uint32_t type);
bool dx_memory_type_valid_for_allocate(uint32_t type);
dxemem_status dx_core_internal_allocate_pages(dxemem *d, uint32_t allocate_type,
                                              uint32_t memory_type,
                                              uint64_t pages, uint64_t *memory,
                                              bool need_guard);
dxemem_status dx_core_allocate_pages(dxemem *d, uint32_t allocate_type,
                                     uint32_t memory_type, uint64_t pages,
                                     uint64_t *memory);
dxemem_status dx_core_internal_free_pages(dxemem *d, uint64_t memory,
                                          uint64_t pages);
dxemem_status dx_core_free_pages(dxemem *d, uint64_t memory, uint64_t pages);
dxemem_status dx_core_allocate_pool_pages(dxemem *d, uint32_t pool_type,
                                          uint64_t pages, uint64_t alignment,
                                          bool need_guard, uint64_t *start);

/* ---- pool_list.c: pool lists, blocks and POOL headers in the region ----- */
void dx_pool_init(dxemem *d);
uint64_t *dx_pool_links(dxemem *d, pool_ref ref);
static inline pool_ref dx_pool_next(dxemem *d, pool_ref ref) {
  return dx_pool_links(d, ref)[0];
}
static inline pool_ref dx_pool_prev(dxemem *d, pool_ref ref) {
  return dx_pool_links(d, ref)[1];
}
pool_ref dx_pool_list_head(pool_id pool, uint32_t index);
void dx_pool_list_init(dxemem *d, pool_ref head);
void dx_pool_insert_head(dxemem *d, pool_ref head, pool_ref ref);
void dx_pool_unlink(dxemem *d, pool_ref ref);
bool dx_pool_free_block_ok(const dxemem *d, uint64_t block, uint32_t index);
bool dx_pool_list_head_ok(dxemem *d, pool_ref head, uint32_t index);
bool dx_pool_unlink_ok(dxemem *d, pool_ref ref, pool_ref head, uint32_t index);
bool dx_pool_struct_ok(const dxemem *d, uint64_t pool);
uint64_t dx_pool_used(const dxemem *d, pool_id pool);
void dx_pool_set_used(dxemem *d, pool_id pool, uint64_t used);
dxemem_status dx_pool_find_oem(dxemem *d, uint32_t type, uint64_t *pool);
/* Unaligned-safe access to the region's host bytes. */
static inline uint32_t dx_load32(const uint8_t *p) {
  uint32_t v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}
static inline uint64_t dx_load64(const uint8_t *p) {
  uint64_t v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}
static inline void dx_store32(uint8_t *p, uint32_t v) {
  __builtin_memcpy(p, &v, sizeof v);
}
static inline void dx_store64(uint8_t *p, uint64_t v) {
  __builtin_memcpy(p, &v, sizeof v);
}

/* ---- pool.c: CoreAllocatePoolI / CoreFreePoolI ------------------------- */
extern const uint16_t dx_pool_size_table[POOL_LIST_COUNT];
uint32_t dx_pool_index_from_size(uint64_t size);
dxemem_status dx_lookup_pool_head(dxemem *d, uint32_t type, pool_id *out);
dxemem_status dx_core_allocate_pool_i(dxemem *d, uint32_t pool_type,
                                      uint64_t size, bool need_guard,
                                      uint64_t *buffer);
dxemem_status dx_core_free_pool_i(dxemem *d, uint64_t buffer,
                                  uint32_t *pool_type);

/* ---- pool_check.c: the pool part of the invariant checker -------------- */
dxemem_status dx_check_pool(dxemem *d, dxemem_violation *out);
/* Some free block of some pool lies in [lo, hi]. */
bool dx_pool_free_block_within(dxemem *d, uint64_t lo, uint64_t hi);

/* ---- check.c: the invariant checker, with the lock held --------------- */
dxemem_status dx_check_locked(dxemem *d, dxemem_violation *out);
dxemem_status dx_violation(dxemem_violation *out, dxemem_violation_kind kind,
                           uint64_t address, const char *what);

/* ---- bins.c: memory type information, common to both references ------- */
void dx_statistics_init(dxemem *d);
void dx_populate_memory_type_information(dxemem *d);
bool dx_memory_type_valid_for_add(uint32_t type);
bool dx_slot_in_table(const dxemem *d, size_t index);
bool dx_slot_names_bin(const dxemem *d, size_t index);
uint32_t dx_bin_pages_rounded(const dxemem *d, uint32_t type, uint32_t pages);
void dx_initialize_bin_statistics_from_range(dxemem *d);
void dx_count_converted_pages(dxemem *d, uint32_t old_type, uint32_t new_type,
                              uint64_t start, uint64_t pages);
/* The seam calls, so the callers read like edk2. */
static inline void dx_allocate_memory_type_information_bins(dxemem *d) {
  d->reference->allocate_bins(d);
}
static inline void dx_update_memory_statistics(dxemem *d, uint32_t old_type,
                                               uint32_t new_type,
                                               uint64_t start, uint64_t pages) {
  d->reference->update_statistics(d, old_type, new_type, start, pages);
}

/* ---- memory_allocation_lib.c: DxeCoreMemoryAllocationLib --------------- */
uint64_t dx_allocate_aligned_pages(dxemem *d, uint64_t pages,
                                   uint64_t alignment);
void dx_free_aligned_pages(dxemem *d, uint64_t buffer, uint64_t pages);

/* ---- hazard.c: the stable202605 bin set-up's watch over its own frees */
#define BIN_WATCH_PIECES 32u
struct bin_watch {
  size_t bins;
  uint64_t bin_start[MEMORY_TYPE_SLOTS];
  uint64_t bin_end[MEMORY_TYPE_SLOTS]; /* last byte */
  size_t pieces;
  bool pieces_lost; /* more freed pieces than the array holds */
  uint64_t piece_start[BIN_WATCH_PIECES];
  uint64_t piece_end[BIN_WATCH_PIECES];
};
/* convert.c: a piece of a type change is done (for the bin set-up watch). */
void dx_note_converted_piece(dxemem *d, uint64_t start, uint64_t end,
                             uint32_t new_type);
/* Each bin of the watch that the frees seen did not free completely. */
void dx_report_leaked_bins(dxemem *d, const struct bin_watch *w);

#endif /* DXEMEM_CORE_INTERNAL_H */
