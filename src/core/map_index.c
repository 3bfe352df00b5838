/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * The address-ordered index beside gMemoryMap: an AVL tree over the pool
 * entries (the ones in refuel pages), keyed by start, each node carrying the
 * largest free entry of its subtree (the augmentation of Linux's old VMA
 * tree rb_subtree_gap). It answers, in O(log n):
 *  - the entry holding an address and the entries next to it;
 *  - the top-down free search of CoreFindFreePagesI: the rightmost fitting
 *    entry below MaxAddress, skipping subtrees whose largest free entry is
 *    too small, each candidate re-checked with edk2's exact per-entry rule
 *    (dx_free_candidate), so the answer is the one the full walk gives;
 *  - whether a range holds a refuel page (a sorted table of those pages).
 *
 * edk2 has no such tree: the list stays the truth, in edk2's order, and
 * every change of the list in map_list.c updates the tree in step. The tree
 * relies on what edk2's list is between overlapping or empty adds: sorted,
 * disjoint, page-aligned entries. After such an add (or when the caller's
 * storage is full) the instance drops the index and goes on with the list
 * walks, which give the same answers.
 *
 * Storage is the caller's (config.index_storage): per refuel page a block of
 * 64 nodes of 32 bytes, tied to the page's 64 entries by position, plus 24
 * bytes in the page tables. In the region there is only a hint in three
 * spare bytes of each entry (its page's block, checked before use), so the
 * memory map is the one edk2 builds.
 */
#include "internal.h"

#define NIL 0u
#define SATURATED UINT32_MAX
#define BLOCK_BYTES                                                            \
  (ENTRIES_PER_PAGE * sizeof(index_node) + sizeof(index_page) +                \
   sizeof(uint64_t))
/* Node ids are 32-bit: block * 64 + slot + 1. */
#define MAX_BLOCKS ((UINT64_C(0xffffffff) / ENTRIES_PER_PAGE) - 1u)

_Static_assert(sizeof(index_node) == DXEMEM_INDEX_BYTES_PER_ENTRY,
               "index node size is documented");
_Static_assert(sizeof(index_page) + sizeof(uint64_t) ==
                   DXEMEM_INDEX_BYTES_PER_PAGE,
               "index page size is documented");

size_t dxemem_index_size(uint64_t max_entries) {
  uint64_t blocks = max_entries / ENTRIES_PER_PAGE +
                    (max_entries % ENTRIES_PER_PAGE != 0 ? 1u : 0u);
  if (blocks > MAX_BLOCKS || blocks > SIZE_MAX / BLOCK_BYTES) {
    return SIZE_MAX;
  }
  return (size_t)(blocks * BLOCK_BYTES);
}

uint64_t dxemem_index_entries_for_region(uint64_t region_size) {
  return region_size / DXEMEM_PAGE_SIZE + MAX_MAP_DEPTH + 2 * ENTRIES_PER_PAGE;
}

bool dxemem_index_active(const dxemem *d) {
  return d != NULL && d->magic == DXEMEM_INSTANCE_MAGIC && d->indexed;
}

void dx_index_init(dxemem *d, void *storage, size_t size) {
  uint64_t blocks = size / BLOCK_BYTES;
  if (blocks > MAX_BLOCKS) {
    blocks = MAX_BLOCKS;
  }
  uint8_t *p = storage;
  d->index_nodes = (index_node *)p;
  p += blocks * ENTRIES_PER_PAGE * sizeof(index_node);
  d->index_pages = (index_page *)p;
  p += blocks * sizeof(index_page);
  d->index_block_page = (uint64_t *)p;
  d->index_blocks = blocks;
  d->index_root = NIL;
  d->indexed = true;
}

void dx_index_drop(dxemem *d) {
  d->floor_valid = false;
  d->indexed = false;
  d->index_stale = false;
  d->index_root = NIL;
}

/* ---- nodes and entries -------------------------------------------------- */

static index_node *node(const dxemem *d, uint32_t id) {
  return &d->index_nodes[id - 1u];
}

static entry_ref ref_of(const dxemem *d, uint32_t id) {
  uint64_t i = id - 1u;
  return d->index_block_page[i / ENTRIES_PER_PAGE] +
         (i % ENTRIES_PER_PAGE) * MAP_ENTRY_SIZE;
}

/* The refuel pages are sorted by address, highest first: pages come from
 * the top-down search, so a new one usually goes at the end. Returns the
 * position of the first page <= address. */
static uint64_t first_page_at_or_below(const dxemem *d, uint64_t address) {
  uint64_t lo = 0;
  uint64_t hi = d->refuel_pages;
  while (lo < hi) {
    uint64_t mid = lo + (hi - lo) / 2u;
    if (d->index_pages[mid].page > address) {
      lo = mid + 1u;
    } else {
      hi = mid;
    }
  }
  return lo;
}

#define PAGE_CACHE_SLOTS (sizeof(((dxemem *)0)->page_cache) / sizeof(index_page))

/* The node of an entry: its page's block and its slot. The block comes
 * from the entry itself (written when its page was carved, so a read of
 * the entry a call is about to use anyway), confirmed by the page table in
 * the caller's storage; a scribbled hint falls back to the search (a small
 * cache in front of a binary search; the low bit marks a used slot). */
static uint32_t id_of(dxemem *d, entry_ref ref) {
  uint64_t page = ref & ~(uint64_t)DXEMEM_PAGE_MASK;
  uint64_t slot = (ref - page) / MAP_ENTRY_SIZE;
  const uint8_t *hint = dx_node(d, ref)->index_block;
  uint64_t block =
      hint[0] | ((uint64_t)hint[1] << 8) | ((uint64_t)hint[2] << 16);
  if (block < d->refuel_pages && d->index_block_page[block] == page) {
    return (uint32_t)(block * ENTRIES_PER_PAGE + slot + 1u);
  }
  index_page *cached =
      &d->page_cache[(page >> DXEMEM_PAGE_SHIFT) % PAGE_CACHE_SLOTS];
  if (cached->page != (page | 1u)) {
    uint64_t at = first_page_at_or_below(d, page);
    if (at == d->refuel_pages || d->index_pages[at].page != page) {
      return NIL;
    }
    cached->page = page | 1u;
    cached->block = d->index_pages[at].block;
  }
  return (uint32_t)(cached->block * ENTRIES_PER_PAGE + slot + 1u);
}

/* Called for a new refuel page, before it is counted. */
void dx_index_add_page(dxemem *d, uint64_t page) {
  uint64_t block = d->refuel_pages;
  if (block >= d->index_blocks) {
    dx_index_drop(d); /* the caller's storage is full: list walks from now */
    return;
  }
  uint64_t at = first_page_at_or_below(d, page);
  for (uint64_t i = block; i > at; i--) {
    d->index_pages[i] = d->index_pages[i - 1u];
  }
  d->index_pages[at].page = page;
  d->index_pages[at].block = block;
  d->index_block_page[block] = page;
  for (uint64_t i = 0; i < ENTRIES_PER_PAGE; i++) {
    uint8_t *hint = dx_node(d, page + i * MAP_ENTRY_SIZE)->index_block;
    hint[0] = (uint8_t)block;
    hint[1] = (uint8_t)(block >> 8);
    hint[2] = (uint8_t)(block >> 16);
  }
}

bool dx_index_holds_page(const dxemem *d, uint64_t start, uint64_t end) {
  uint64_t at = first_page_at_or_below(d, end);
  return at < d->refuel_pages &&
         d->index_pages[at].page + DXEMEM_PAGE_MASK >= start;
}

/* ---- the AVL tree ------------------------------------------------------- */

static uint8_t height(const dxemem *d, uint32_t id) {
  return id == NIL ? 0 : node(d, id)->height;
}

static uint32_t max_free(const dxemem *d, uint32_t id) {
  return id == NIL ? 0 : node(d, id)->max_free;
}

static uint32_t own_free_pages(const index_node *n) {
  if (!n->free) {
    return 0;
  }
  uint64_t pages = (n->end - n->start) >> DXEMEM_PAGE_SHIFT;
  return pages >= SATURATED ? SATURATED : (uint32_t)pages + 1u;
}

static uint32_t max3(uint32_t a, uint32_t b, uint32_t c) {
  uint32_t m = a > b ? a : b;
  return m > c ? m : c;
}

/* Height from the kept child heights, maximum from the children. */
static void refresh(dxemem *d, uint32_t id) {
  index_node *n = node(d, id);
  uint8_t hl = n->child_height[0];
  uint8_t hr = n->child_height[1];
  n->height = (uint8_t)((hl > hr ? hl : hr) + 1u);
  n->max_free = max3(own_free_pages(n), max_free(d, n->child[0]),
                     max_free(d, n->child[1]));
}

/* dir 0 lifts the right child, dir 1 the left one. */
static uint32_t rotate(dxemem *d, uint32_t id, int dir) {
  index_node *x = node(d, id);
  uint32_t up = x->child[!dir];
  index_node *u = node(d, up);
  x->child[!dir] = u->child[dir];
  x->child_height[!dir] = u->child_height[dir];
  u->child[dir] = id;
  refresh(d, id);
  u->child_height[dir] = x->height;
  refresh(d, up);
  return up;
}

/* A node whose kept child heights differ by 2: one or two rotations. */
static uint32_t balance(dxemem *d, uint32_t id) {
  index_node *n = node(d, id);
  if (n->child_height[0] > n->child_height[1]) {
    const index_node *l = node(d, n->child[0]);
    if (l->child_height[0] < l->child_height[1]) {
      n->child[0] = rotate(d, n->child[0], 0);
      n->child_height[0] = height(d, n->child[0]);
    }
    return rotate(d, id, 1);
  }
  const index_node *r = node(d, n->child[1]);
  if (r->child_height[1] < r->child_height[0]) {
    n->child[1] = rotate(d, n->child[1], 1);
    n->child_height[1] = height(d, n->child[1]);
  }
  return rotate(d, id, 0);
}

#define MAX_PATH INDEX_MAX_PATH
typedef index_path tree_path;

static void set_child(dxemem *d, const tree_path *p, int i, uint32_t sub) {
  if (i == 0) {
    d->index_root = sub;
  } else {
    node(d, p->id[i - 1])->child[p->dir[i - 1]] = sub;
  }
}

/* Walks back up the path after a change below it, rebalancing, and stops
 * at the first subtree that comes out as it was (above level stop_below:
 * a node moved there has old figures that say nothing). Each level needs
 * only the figures of the subtree just below it on the path, which the
 * level below has just worked out (they are carried up, not read back):
 * the other child's height is kept in the node, and its maximum is needed
 * only when the path's maximum went down below what the node had (never
 * after an insert: grew). */
static void retrace(dxemem *d, const tree_path *p, int stop_below, bool grew) {
  if (p->depth == 0) {
    return;
  }
  uint32_t below_id = node(d, p->id[p->depth - 1])->child[p->dir[p->depth - 1]];
  uint8_t below_height = height(d, below_id);
  uint32_t below = max_free(d, below_id);
  for (int i = p->depth - 1; i >= 0; i--) {
    uint32_t t = p->id[i];
    index_node *n = node(d, t);
    uint8_t dir = p->dir[i];
    n->child_height[dir] = below_height;
    uint8_t hl = n->child_height[0];
    uint8_t hr = n->child_height[1];
    if (hl > hr + 1 || hr > hl + 1) {
      uint32_t up = balance(d, t);
      set_child(d, p, i, up);
      below_height = node(d, up)->height;
      below = node(d, up)->max_free;
      continue;
    }
    uint8_t h = (uint8_t)((hl > hr ? hl : hr) + 1u);
    bool moved = i >= stop_below;
    uint32_t m;
    if (moved) {
      m = max3(own_free_pages(n), below, max_free(d, n->child[!dir]));
    } else if (below >= n->max_free) {
      m = below; /* the old maximum held the node's own entry and the rest */
    } else if (grew || own_free_pages(n) == n->max_free) {
      m = n->max_free;
    } else {
      m = max3(own_free_pages(n), below, max_free(d, n->child[!dir]));
    }
    if (!moved && h == n->height && m == n->max_free) {
      return;
    }
    n->height = h;
    n->max_free = m;
    below_height = h;
    below = m;
  }
}

/* The path from the root to id (found by its start); false if id is not
 * in the tree. */
static bool find_path(dxemem *d, uint32_t id, tree_path *p) {
  if (d->floor_valid && d->floor_node == id && id != NIL) {
    /* The last floor look-up went there already. */
    p->depth = d->floor_path.depth;
    memcpy(p->id, d->floor_path.id, (size_t)p->depth * sizeof p->id[0]);
    memcpy(p->dir, d->floor_path.dir, (size_t)p->depth * sizeof p->dir[0]);
    return true;
  }
  uint64_t key = node(d, id)->start;
  p->depth = 0;
  for (uint32_t t = d->index_root; t != NIL && p->depth < MAX_PATH;) {
    if (t == id) {
      return true;
    }
    const index_node *n = node(d, t);
    uint8_t dir = key > n->start;
    p->id[p->depth] = t;
    p->dir[p->depth] = dir;
    p->depth += 1;
    t = n->child[dir];
  }
  return false;
}

/* Returns the node that follows the new one (NIL for the last). */
static uint32_t tree_insert(dxemem *d, uint32_t id) {
  tree_path p;
  uint64_t key = node(d, id)->start;
  uint32_t next = NIL;
  d->floor_valid = false;
  p.depth = 0;
  for (uint32_t t = d->index_root; t != NIL && p.depth < MAX_PATH;) {
    const index_node *n = node(d, t);
    uint8_t dir = key > n->start;
    next = dir == 0 ? t : next;
    p.id[p.depth] = t;
    p.dir[p.depth] = dir;
    p.depth += 1;
    t = n->child[dir];
  }
  set_child(d, &p, p.depth, id);
  retrace(d, &p, p.depth, true);
  return next;
}

static void tree_remove(dxemem *d, uint32_t id) {
  tree_path p;
  bool found = find_path(d, id, &p);
  d->floor_valid = false;
  if (!found) {
    return;
  }
  index_node *n = node(d, id);
  if (n->child[0] == NIL || n->child[1] == NIL) {
    set_child(d, &p, p.depth, n->child[n->child[0] == NIL]);
    retrace(d, &p, p.depth, false);
    return;
  }
  /* Two children: the next node up takes its place. */
  int at = p.depth;
  p.id[at] = id;
  p.dir[at] = 1;
  p.depth += 1;
  uint32_t next = n->child[1];
  while (node(d, next)->child[0] != NIL && p.depth < MAX_PATH) {
    p.id[p.depth] = next;
    p.dir[p.depth] = 0;
    p.depth += 1;
    next = node(d, next)->child[0];
  }
  index_node *m = node(d, next);
  if (p.depth - 1 != at) {
    node(d, p.id[p.depth - 1])->child[0] = m->child[1];
    m->child[1] = n->child[1];
  }
  m->child[0] = n->child[0];
  m->child_height[0] = n->child_height[0];
  m->child_height[1] = n->child_height[1]; /* level `at` reads its path */
  p.id[at] = next;
  set_child(d, &p, at, next);
  retrace(d, &p, at, false);
}

static void load(dxemem *d, uint32_t id, entry_ref ref) {
  const map_entry *e = dx_node(d, ref);
  index_node *n = node(d, id);
  n->start = e->start;
  n->end = e->end;
  n->free = e->type == DXEMEM_CONVENTIONAL_MEMORY &&
            (e->attribute & DXEMEM_MEMORY_SP) == 0;
}

/* Entries outside the refuel pages (the map stack, a test's scratch entry)
 * have no node. */
entry_ref dx_index_insert_find_next(dxemem *d, entry_ref ref) {
  uint32_t id = id_of(d, ref);
  if (id == NIL) {
    return REF_NULL;
  }
  index_node *n = node(d, id);
  load(d, id, ref);
  n->child[0] = NIL;
  n->child[1] = NIL;
  n->child_height[0] = 0;
  n->child_height[1] = 0;
  refresh(d, id);
  uint32_t next = tree_insert(d, id);
  return next == NIL ? REF_NULL : ref_of(d, next);
}

void dx_index_insert(dxemem *d, entry_ref ref) {
  (void)dx_index_insert_find_next(d, ref);
}

void dx_index_remove(dxemem *d, entry_ref ref) {
  uint32_t id = id_of(d, ref);
  if (id != NIL) {
    tree_remove(d, id);
  }
}

/* The entry's range changed. Inside its old range (a clip: the common
 * case) it keeps its place and only the maxima above it change; otherwise
 * it goes out under its old start and back in under the new one. An entry
 * clipped to nothing keeps its node: it leaves the map next, and the
 * removal finds it under its old start. */
void dx_index_update(dxemem *d, entry_ref ref) {
  uint32_t id = id_of(d, ref);
  if (id == NIL) {
    return;
  }
  const map_entry *e = dx_node(d, ref);
  index_node *n = node(d, id);
  tree_path p;
  if (e->start == e->end + 1) {
    return; /* clipped to nothing: removed next, under its old start */
  }
  if (e->start >= n->start && e->end <= n->end && e->start <= e->end &&
      find_path(d, id, &p)) {
    d->floor_valid = false;
    /* Same place, same heights: only the maxima on the way up change. */
    n->start = e->start;
    n->end = e->end;
    uint32_t before = n->max_free;
    refresh(d, id);
    for (int i = p.depth - 1; i >= 0 && n->max_free != before; i--) {
      n = node(d, p.id[i]);
      before = n->max_free;
      n->max_free = max3(own_free_pages(n), max_free(d, n->child[0]),
                         max_free(d, n->child[1]));
    }
    return;
  }
  tree_remove(d, id);
  dx_index_insert(d, ref);
}

/* ---- searches ----------------------------------------------------------- */

entry_ref dx_index_floor(dxemem *d, uint64_t address) {
  if (d->floor_valid && d->floor_address == address) {
    return d->floor_answer;
  }
  uint32_t best = NIL;
  tree_path *p = &d->floor_path;
  int best_depth = 0;
  p->depth = 0;
  for (uint32_t t = d->index_root; t != NIL && p->depth < MAX_PATH;) {
    const index_node *n = node(d, t);
    uint8_t dir = n->start <= address;
    if (dir) {
      best = t;
      best_depth = p->depth;
    }
    p->id[p->depth] = t;
    p->dir[p->depth] = dir;
    p->depth += 1;
    t = n->child[dir];
  }
  p->depth = best_depth; /* the way down to best, best excluded */
  d->floor_address = address;
  d->floor_node = best;
  d->floor_answer = best == NIL ? REF_NULL : ref_of(d, best);
  d->floor_valid = true;
  return d->floor_answer;
}

entry_ref dx_index_above(dxemem *d, uint64_t address) {
  uint32_t best = NIL;
  for (uint32_t t = d->index_root; t != NIL;) {
    const index_node *n = node(d, t);
    if (n->start > address) {
      best = t;
      t = n->child[0];
    } else {
      t = n->child[1];
    }
  }
  return best == NIL ? REF_NULL : ref_of(d, best);
}

typedef struct free_search {
  const free_query *q;
  bool stop;      /* reached entries that end below min_address */
  uint32_t found; /* the node that gave the answer */
} free_search;

static bool may_fit(uint32_t pages_below, uint64_t pages) {
  return pages_below == SATURATED || pages_below >= pages;
}

/* The entries are disjoint and sorted, so the aligned end edk2 keeps as the
 * maximum grows with the start: the answer is the first fitting entry
 * from the right. */
static uint64_t search_free(dxemem *d, free_search *s, uint32_t t) {
  while (t != NIL) {
    const index_node *n = node(d, t);
    if (!may_fit(n->max_free, s->q->pages)) {
      return 0;
    }
    if (n->start >= s->q->max_address) {
      t = n->child[0];
      continue;
    }
    uint64_t found = search_free(d, s, n->child[1]);
    if (found != 0 || s->stop) {
      return found;
    }
    bool below_min = n->end < s->q->min_address;
    if (n->free) {
      found = dx_free_candidate(s->q, n->start, n->end, &below_min);
      if (found != 0) {
        s->found = t;
        return found;
      }
    }
    if (below_min) {
      s->stop = true;
      return 0;
    }
    t = n->child[0];
  }
  return 0;
}

uint64_t dx_index_highest_free_end(dxemem *d, const free_query *q,
                                   entry_ref *winner) {
  free_search s = {.q = q, .stop = false, .found = NIL};
  uint64_t end = search_free(d, &s, d->index_root);
  *winner = s.found == NIL ? REF_NULL : ref_of(d, s.found);
  return end;
}

/* ---- rebuild and verification ------------------------------------------- */

/* After a roll-back restored the list: the tree is made again from it. */
void dx_index_rebuild(dxemem *d) {
  d->index_root = NIL;
  d->floor_valid = false;
  uint64_t limit = d->map_entries + MAX_MAP_DEPTH + 1u;
  entry_ref r = dx_list_first(d, REF_MAP_HEAD);
  for (uint64_t i = 0; r != REF_MAP_HEAD && i < limit; i++) {
    if (!REF_IS_HOST(r)) {
      dx_index_insert(d, r);
    }
    r = dx_list_next(d, r);
  }
}

/* Checks order, heights and maxima below t; counts the nodes. */
static bool subtree_ok(const dxemem *d, uint32_t t, uint64_t above,
                       bool have_above, uint64_t *count, uint64_t limit) {
  if (t == NIL) {
    return true;
  }
  const index_node *n = node(d, t);
  if (*count >= limit || (have_above && n->start <= above)) {
    return false;
  }
  *count += 1;
  if (!subtree_ok(d, n->child[0], above, have_above, count, limit)) {
    return false;
  }
  uint8_t hl = height(d, n->child[0]);
  uint8_t hr = height(d, n->child[1]);
  if ((n->child[0] != NIL && node(d, n->child[0])->start >= n->start) ||
      n->child_height[0] != hl || n->child_height[1] != hr ||
      n->height != (hl > hr ? hl : hr) + 1u || hl > hr + 1u || hr > hl + 1u ||
      n->max_free != max3(own_free_pages(n), max_free(d, n->child[0]),
                          max_free(d, n->child[1]))) {
    return false;
  }
  return subtree_ok(d, n->child[1], n->start, true, count, limit);
}

/* The tree holds exactly the pool entries of the list, with their ranges.
 * Runs after the list itself validated. */
bool dx_index_matches_list(dxemem *d, uint64_t *bad) {
  uint64_t nodes = 0;
  if (!subtree_ok(d, d->index_root, 0, false, &nodes, d->map_entries + 1u) ||
      nodes != d->map_entries) {
    *bad = d->last_refuel_page;
    return false;
  }
  uint64_t limit = d->map_entries + MAX_MAP_DEPTH + 1u;
  entry_ref r = dx_list_first(d, REF_MAP_HEAD);
  for (uint64_t i = 0; r != REF_MAP_HEAD && i < limit; i++) {
    if (!REF_IS_HOST(r)) {
      const map_entry *e = dx_node(d, r);
      uint32_t id = id_of(d, r);
      if (id == NIL || dx_index_floor(d, e->start) != r ||
          node(d, id)->end != e->end ||
          node(d, id)->free != (e->type == DXEMEM_CONVENTIONAL_MEMORY &&
                                (e->attribute & DXEMEM_MEMORY_SP) == 0)) {
        *bad = r;
        return false;
      }
    }
    r = dx_list_next(d, r);
  }
  return true;
}
