/** @file
  What the files of DxememBootServicesLib share. SystemTables.c owns the
  tables and the bound instance; each other file fills its group of
  services into them:

    MemoryServices.c       AllocatePages, FreePages, GetMemoryMap,
                           AllocatePool, FreePool on the bound instance
    SmallServices.c        the services that need no firmware: TPL,
                           CopyMem, SetMem, CalculateCrc32, monotonic count
    UnsupportedServices.c  every other boot and runtime service
    OvmfLikePlatform.c     an OVMF-like map and platform in one call

  SPDX-License-Identifier: BSD-2-Clause-Patent
**/

#ifndef DXEMEM_BOOT_SERVICES_LIB_INTERNAL_H_
#define DXEMEM_BOOT_SERVICES_LIB_INTERNAL_H_

#include <Library/DxememBootServicesLib.h>

/**
  Sets the memory services of BootServices.
**/
VOID
DxememFillMemoryServices (
  IN OUT EFI_BOOT_SERVICES  *BootServices
  );

/**
  Sets the small services of BootServices and starts the TPL at
  TPL_APPLICATION.
**/
VOID
DxememFillSmallServices (
  IN OUT EFI_BOOT_SERVICES  *BootServices
  );

/**
  Sets every boot service slot that has no implementation here.
**/
VOID
DxememFillUnsupportedBootServices (
  IN OUT EFI_BOOT_SERVICES  *BootServices
  );

/**
  Sets every runtime service slot (none has an implementation here).
**/
VOID
DxememFillUnsupportedRuntimeServices (
  IN OUT EFI_RUNTIME_SERVICES  *RuntimeServices
  );

/**
  UEFI's CRC32 (IEEE 802.3, reflected) of Size bytes at Data.
**/
UINT32
DxememCrc32 (
  IN CONST VOID  *Data,
  IN UINTN       Size
  );

/**
  The SetMem boot service, also used to clear structures.
**/
VOID
EFIAPI
DxememSetMem (
  IN VOID   *Buffer,
  IN UINTN  Size,
  IN UINT8  Value
  );

#endif
