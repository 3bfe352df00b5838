/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * The pool's lists and the structures Pool.c keeps in pool pages, and how
 * to check them before they are followed.
 *
 * edk2 links its free blocks (POOL_FREE: Signature, Index, Link) and its
 * OEM/OS pools (POOL: Signature, Used, MemoryType, FreeList[12], Link) with
 * LIST_ENTRY pointers into pool pages. dxemem keeps the same structures at
 * the same offsets in the region, with physical addresses in the links, and
 * the list heads of mPoolHead[0..15] and mPoolHeadList in the instance
 * (named by odd tags, so a tag is never an address in the region).
 *
 * The pool does not seal its blocks (the bytes are edk2's); instead every
 * node an operation is about to follow or rewrite is checked first: a free
 * block must sit on a 128-byte boundary inside the region, carry the free
 * signature and the index of the list it is on, and agree with its
 * neighbours' links (as Linux's list debugging does). A scribble is then
 * reported as DXEMEM_VOLUME_CORRUPTED before anything changes.
 */
#include "internal.h"

/* Blocks start on multiples of the smallest bucket inside pool pages. */
#define POOL_BLOCK_ALIGN UINT64_C(128)
/* The POOL_HEAD of an OEM/OS POOL: a BootServicesData block of this Used. */
#define POOL_STRUCT_BLOCK_SIZE (((POOL_STRUCT_BYTES + 7u) & ~UINT64_C(7)) + \
                                POOL_OVERHEAD)

/* Models CoreInitializePool: every list head points at itself. */
void dx_pool_init(dxemem *d) {
  for (uint32_t t = 0; t < DXEMEM_MAX_MEMORY_TYPE; t++) {
    d->pool_used[t] = 0;
    for (uint32_t i = 0; i < POOL_LIST_COUNT; i++) {
      dx_pool_list_init(d, POOL_REF_HOST_LIST(t, i));
    }
  }
  dx_pool_list_init(d, POOL_REF_HEAD_LIST);
  d->pool_oem_count = 0;
}

/* The {ForwardLink, BackLink} pair a reference names. A reference that
 * names nothing gets a scratch pair (never reached after validation). */
uint64_t *dx_pool_links(dxemem *d, pool_ref ref) {
  if ((ref & 1u) != 0) {
    uint64_t k = (ref - 1u) / 2u;
    if (k < POOL_HOST_NODES) {
      return d->pool_nodes[k];
    }
  } else if ((ref & 7u) == 0) {
    uint64_t *links = dx_region_host_of(d, ref, 2 * sizeof(uint64_t));
    if (links != NULL) {
      return links;
    }
  }
  d->last_corruption = ref;
  return d->pool_poison;
}

pool_ref dx_pool_list_head(pool_id pool, uint32_t index) {
  if (pool.oem != 0) {
    return pool.oem + POOL_STRUCT_LISTS + 16u * (uint64_t)index;
  }
  return POOL_REF_HOST_LIST(pool.type, index);
}

/* InitializeListHead. */
void dx_pool_list_init(dxemem *d, pool_ref head) {
  uint64_t *links = dx_pool_links(d, head);
  links[0] = head;
  links[1] = head;
}

/* InsertHeadList: ref becomes the first node after head. */
void dx_pool_insert_head(dxemem *d, pool_ref head, pool_ref ref) {
  pool_ref first = dx_pool_next(d, head);
  uint64_t *links = dx_pool_links(d, ref);
  links[0] = first;
  links[1] = head;
  dx_pool_links(d, first)[1] = ref;
  dx_pool_links(d, head)[0] = ref;
}

/* RemoveEntryList: the node's own links are left as they are. */
void dx_pool_unlink(dxemem *d, pool_ref ref) {
  pool_ref next = dx_pool_next(d, ref);
  pool_ref prev = dx_pool_prev(d, ref);
  dx_pool_links(d, prev)[0] = next;
  dx_pool_links(d, next)[1] = prev;
}

/* A POOL_FREE of bucket index at block, as far as its own bytes tell. */
bool dx_pool_free_block_ok(const dxemem *d, uint64_t block, uint32_t index) {
  if ((block & (POOL_BLOCK_ALIGN - 1u)) != 0) {
    return false;
  }
  const uint8_t *p = dx_region_host_of(d, block, POOL_FREE_LINK + 16u);
  return p != NULL && dx_load32(p) == POOL_FREE_SIGNATURE &&
         dx_load32(p + 4) == index;
}

/* A node of list (head, index): the head itself or a free block's link. */
static bool node_ok(const dxemem *d, pool_ref ref, pool_ref head,
                    uint32_t index) {
  if (ref == head) {
    return true;
  }
  if ((ref & 1u) != 0 || ref < POOL_FREE_LINK) {
    return false;
  }
  return dx_pool_free_block_ok(d, ref - POOL_FREE_LINK, index);
}

/* The head and its two neighbours agree, so an insert at the head is safe. */
bool dx_pool_list_head_ok(dxemem *d, pool_ref head, uint32_t index) {
  pool_ref first = dx_pool_next(d, head);
  pool_ref last = dx_pool_prev(d, head);
  if (!node_ok(d, first, head, index) || dx_pool_prev(d, first) != head) {
    d->last_corruption = first;
    return false;
  }
  if (!node_ok(d, last, head, index) || dx_pool_next(d, last) != head) {
    d->last_corruption = last;
    return false;
  }
  return true;
}

/* ref is a free block on list (head, index) whose neighbours point back at
 * it, so it can be unlinked. */
bool dx_pool_unlink_ok(dxemem *d, pool_ref ref, pool_ref head,
                       uint32_t index) {
  if (ref == head || !node_ok(d, ref, head, index)) {
    d->last_corruption = ref;
    return false;
  }
  pool_ref next = dx_pool_next(d, ref);
  pool_ref prev = dx_pool_prev(d, ref);
  if (!node_ok(d, next, head, index) || dx_pool_prev(d, next) != ref ||
      !node_ok(d, prev, head, index) || dx_pool_next(d, prev) != ref) {
    d->last_corruption = ref;
    return false;
  }
  return true;
}

/* An OEM/OS POOL at pool: its signature and type, and the live
 * BootServicesData POOL_HEAD / POOL_TAIL around it (it is a pool buffer). */
bool dx_pool_struct_ok(const dxemem *d, uint64_t pool) {
  if ((pool & (POOL_BLOCK_ALIGN - 1u)) != POOL_HEAD_BYTES) {
    return false;
  }
  uint64_t head = pool - POOL_HEAD_BYTES;
  const uint8_t *h = dx_region_host_of(d, head, POOL_STRUCT_BLOCK_SIZE);
  if (h == NULL) {
    return false;
  }
  const uint8_t *p = h + POOL_HEAD_BYTES;
  const uint8_t *t = h + POOL_STRUCT_BLOCK_SIZE - POOL_TAIL_BYTES;
  /* Under the freed-memory guard the POOL takes a page of its own. */
  return (dx_load32(h) == POOL_HEAD_SIGNATURE ||
          dx_load32(h) == POOLPAGE_HEAD_SIGNATURE) &&
         dx_load32(h + 8) == DXEMEM_BOOT_SERVICES_DATA &&
         dx_load64(h + 16) == POOL_STRUCT_BLOCK_SIZE &&
         dx_load32(t) == POOL_TAIL_SIGNATURE &&
         dx_load64(t + 8) == POOL_STRUCT_BLOCK_SIZE &&
         dx_load64(p) == POOL_SIGNATURE &&
         dx_load32(p + 16) >= DXEMEM_OEM_RESERVED_MIN;
}

uint64_t dx_pool_used(const dxemem *d, pool_id pool) {
  if (pool.oem == 0) {
    return d->pool_used[pool.type];
  }
  return dx_load64((const uint8_t *)dx_region_host_of(d, pool.oem + 8u, 8u));
}

void dx_pool_set_used(dxemem *d, pool_id pool, uint64_t used) {
  if (pool.oem == 0) {
    d->pool_used[pool.type] = used;
    return;
  }
  dx_store64((uint8_t *)dx_region_host_of(d, pool.oem + 8u, 8u), used);
}

/* The search half of LookupPoolHead for OEM/OS types: walks mPoolHeadList,
 * checking each POOL before reading it. *pool is 0 when the type has no
 * pool yet; DXEMEM_VOLUME_CORRUPTED when the list is damaged. */
dxemem_status dx_pool_find_oem(dxemem *d, uint32_t type, uint64_t *pool) {
  *pool = 0;
  pool_ref prev = POOL_REF_HEAD_LIST;
  pool_ref link = dx_pool_next(d, POOL_REF_HEAD_LIST);
  uint64_t seen = 0;
  while (link != POOL_REF_HEAD_LIST) {
    uint64_t candidate = link - POOL_STRUCT_LINK;
    if (seen++ >= d->pool_oem_count || (link & 1u) != 0 ||
        link < POOL_STRUCT_LINK || !dx_pool_struct_ok(d, candidate) ||
        dx_pool_prev(d, link) != prev) {
      d->last_corruption = (link & 1u) != 0 ? prev : link;
      return DXEMEM_VOLUME_CORRUPTED;
    }
    const uint8_t *p = dx_region_host_of(d, candidate, POOL_STRUCT_BYTES);
    if (dx_load32(p + 16) == type) {
      *pool = candidate;
      return DXEMEM_SUCCESS;
    }
    prev = link;
    link = dx_pool_next(d, link);
  }
  if (seen != d->pool_oem_count || dx_pool_prev(d, link) != prev) {
    d->last_corruption = prev;
    return DXEMEM_VOLUME_CORRUPTED;
  }
  return DXEMEM_SUCCESS;
}
