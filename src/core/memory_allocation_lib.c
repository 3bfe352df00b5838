/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * The two calls of MdeModulePkg/Library/DxeCoreMemoryAllocationLib
 * (MemoryAllocationLib.c) that edk2 master's MemoryBin.c makes:
 * AllocateAlignedPages and FreeAlignedPages, the DXE core's own instance,
 * which calls CoreAllocatePages and CoreFreePages directly. Only the
 * master reference uses them (bins_master.c).
 *
 * Differs from edk2 where edk2 only ASSERTs: a page count that wraps when
 * the alignment's pages are added gives no memory (edk2 RELEASE would go
 * on with the wrapped count), and the statuses of the frees are dropped as
 * RELEASE drops them.
 */
#include "internal.h"

/* Models InternalAllocateAlignedPages for EfiBootServicesData, as
 * AllocateAlignedPages calls it. An alignment above a page is met by
 * asking for that many pages more and freeing the slack below and above
 * the aligned block: up to three calls, each of which moves the map key.
 * Returns 0 when nothing could be had. */
uint64_t dx_allocate_aligned_pages(dxemem *d, uint64_t pages,
                                   uint64_t alignment) {
  if (pages == 0) {
    return 0;
  }
  uint64_t memory = 0;
  if (alignment <= DXEMEM_PAGE_SIZE) {
    if (dx_core_allocate_pages(d, DXEMEM_ALLOCATE_ANY_PAGES,
                                        DXEMEM_BOOT_SERVICES_DATA, pages,
                                        &memory) != DXEMEM_SUCCESS) {
      return 0;
    }
    return memory;
  }
  uint64_t mask = alignment - 1;
  uint64_t real_pages = pages + (alignment >> DXEMEM_PAGE_SHIFT);
  if (real_pages <= pages) {
    return 0;
  }
  if (dx_core_allocate_pages(d, DXEMEM_ALLOCATE_ANY_PAGES,
                                      DXEMEM_BOOT_SERVICES_DATA, real_pages,
                                      &memory) != DXEMEM_SUCCESS) {
    return 0;
  }
  uint64_t aligned = (memory + mask) & ~mask;
  uint64_t slack_below = (aligned - memory) >> DXEMEM_PAGE_SHIFT;
  if (slack_below > 0) {
    (void)dx_core_free_pages(d, memory, slack_below);
  }
  uint64_t slack_above = real_pages - pages - slack_below;
  if (slack_above > 0) {
    (void)dx_core_free_pages(
        d, aligned + (pages << DXEMEM_PAGE_SHIFT), slack_above);
  }
  return aligned;
}

/* Models FreeAlignedPages: CoreFreePages of the block. */
void dx_free_aligned_pages(dxemem *d, uint64_t buffer, uint64_t pages) {
  (void)dx_core_free_pages(d, buffer, pages);
}
