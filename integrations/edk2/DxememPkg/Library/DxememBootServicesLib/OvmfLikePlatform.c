/** @file
  An OVMF-like platform for DxememBootServicesLib: the memory map PEI would
  hand to DXE on OVMF, with OvmfPkg's Memory Type Information bins, on an
  identity-mapped instance bound to the tables.

  SPDX-License-Identifier: BSD-2-Clause-Patent
**/

#include "DxememBootServicesLibInternal.h"

STATIC UINT8  mImageHandle;

#define DXEMEM_SIZE_1MB  0x100000ULL
#define DXEMEM_ALL_CACHE  \
  (DXEMEM_MEMORY_UC | DXEMEM_MEMORY_WC | DXEMEM_MEMORY_WT | DXEMEM_MEMORY_WB)

//
// OvmfPkg PlatformPei's Memory Type Information defaults.
//
STATIC CONST dxemem_memory_type_information  mOvmfBins[] = {
  { DXEMEM_ACPI_MEMORY_NVS,       0x80  },
  { DXEMEM_ACPI_RECLAIM_MEMORY,   0x12  },
  { DXEMEM_RESERVED_MEMORY_TYPE,  0x80  },
  { DXEMEM_RUNTIME_SERVICES_CODE, 0x100 },
  { DXEMEM_RUNTIME_SERVICES_DATA, 0x100 },
};

EFI_STATUS
EFIAPI
DxememAddOvmfLikeMemory (
  IN dxemem                                *Instance,
  IN UINT64                                Base,
  IN UINT64                                Size,
  IN CONST dxemem_memory_type_information  *Bins OPTIONAL,
  IN UINTN                                 BinCount
  )
{
  //
  // The pieces, from the top down: what PEI keeps (PeiTop bytes) and the
  // range DXE starts in (First bytes), then the rest below.
  //
  struct {
    uint32_t    Type;
    UINT64      Start;
    UINT64      Bytes;
  } Adds[5];
  UINT64         Top;
  UINT64         PeiTop;
  UINT64         First;
  UINTN          Index;
  dxemem_status  Status;

  PeiTop = 4 * DXEMEM_SIZE_1MB;
  if ((Instance == NULL) || ((Base & 0xFFFF) != 0) || ((Size % DXEMEM_SIZE_1MB) != 0) ||
      (Size < 8 * DXEMEM_SIZE_1MB) || (Size - 1 > MAX_UINT64 - Base))
  {
    return EFI_INVALID_PARAMETER;
  }

  if (Bins == NULL) {
    Bins     = mOvmfBins;
    BinCount = ARRAY_SIZE (mOvmfBins);
  }

  Status = dxemem_set_memory_type_information (Instance, Bins, BinCount);
  if (Status != DXEMEM_SUCCESS) {
    return (EFI_STATUS)Status;
  }

  Top   = Base + (Size - 1) + 1;  // 2^64 wraps to 0, and every use subtracts
  First = (Size - PeiTop) / 2;
  First = First - First % DXEMEM_SIZE_1MB;
  if (First > 32 * DXEMEM_SIZE_1MB) {
    First = 32 * DXEMEM_SIZE_1MB;
  }

  Adds[0].Type  = DXEMEM_CONVENTIONAL_MEMORY;
  Adds[0].Start = Top - PeiTop - First;
  Adds[0].Bytes = First;
  Adds[1].Type  = DXEMEM_ACPI_MEMORY_NVS;
  Adds[1].Start = Top - PeiTop;
  Adds[1].Bytes = 0x10000;
  Adds[2].Type  = DXEMEM_BOOT_SERVICES_CODE;
  Adds[2].Start = Adds[1].Start + Adds[1].Bytes;
  Adds[2].Bytes = DXEMEM_SIZE_1MB;
  Adds[3].Type  = DXEMEM_BOOT_SERVICES_DATA;
  Adds[3].Start = Adds[2].Start + Adds[2].Bytes;
  Adds[3].Bytes = PeiTop - Adds[1].Bytes - Adds[2].Bytes;
  Adds[4].Type  = DXEMEM_CONVENTIONAL_MEMORY;
  Adds[4].Start = Base;
  Adds[4].Bytes = Size - PeiTop - First;

  for (Index = 0; Index < ARRAY_SIZE (Adds); Index++) {
    Status = dxemem_add_memory_descriptor (
               Instance,
               Adds[Index].Type,
               Adds[Index].Start,
               Adds[Index].Bytes / EFI_PAGE_SIZE,
               DXEMEM_ALL_CACHE
               );
    if (Status != DXEMEM_SUCCESS) {
      return (EFI_STATUS)Status;
    }
  }

  return EFI_SUCCESS;
}

EFI_STATUS
EFIAPI
DxememCreateOvmfLikePlatform (
  IN  UINT64                Size,
  OUT DXEMEM_EDK2_PLATFORM  *Platform
  )
{
  dxemem_config  Config;
  dxemem_status  Status;

  if (Platform == NULL) {
    return EFI_INVALID_PARAMETER;
  }

  DxememSetMem (Platform, sizeof (*Platform), 0);
  if ((Size % DXEMEM_SIZE_1MB != 0) || (Size < 8 * DXEMEM_SIZE_1MB)) {
    return EFI_INVALID_PARAMETER;
  }

  DxememSetMem (&Config, sizeof (Config), 0);
  Config.region_size         = Size;
  Config.runtime_granularity = EFI_PAGE_SIZE;
  //
  // Below 4 GiB when the host allows, so that AllocateMaxAddress at
  // 0xFFFFFFFF, as drivers do for ACPI and DMA buffers, succeeds.
  //
  Status = dxemem_host_create_identity (&Config, 0x40000000, &Platform->Host);
  if (Status != DXEMEM_SUCCESS) {
    return (EFI_STATUS)Status;
  }

  Status = DxememAddOvmfLikeMemory (Platform->Host.allocator, Platform->Host.region.base, Size, NULL, 0);
  if (Status != DXEMEM_SUCCESS) {
    dxemem_host_destroy (&Platform->Host);
    return (EFI_STATUS)Status;
  }

  Platform->SystemTable = DxememInstallBootServices (Platform->Host.allocator);
  Platform->ImageHandle = &mImageHandle;
  return EFI_SUCCESS;
}

VOID
EFIAPI
DxememDestroyPlatform (
  IN OUT DXEMEM_EDK2_PLATFORM  *Platform
  )
{
  if (Platform == NULL) {
    return;
  }

  if ((Platform->Host.allocator != NULL) && (DxememBootServicesInstance () == Platform->Host.allocator)) {
    DxememUninstallBootServices ();
  }

  dxemem_host_destroy (&Platform->Host);
  Platform->SystemTable = NULL;
  Platform->ImageHandle = NULL;
}
