/** @file
  An edk2 host test on dxemem: edk2's own MemoryAllocationLib and
  UefiBootServicesTableLib over DxememBootServicesLib, with an OVMF-like map
  from one call. Built and run by CTest (tests/edk2).

  SPDX-License-Identifier: BSD-2-Clause-Patent
**/
#include <Uefi.h>
#include <Library/MemoryAllocationLib.h>
#include <Library/UefiBootServicesTableLib.h>
#include <Library/DxememBootServicesLib.h>

// The constructor edk2's build would call before main.
EFI_STATUS EFIAPI UefiBootServicesTableLibConstructor (EFI_HANDLE, EFI_SYSTEM_TABLE *);

int
main (
  void
  )
{
  DXEMEM_EDK2_PLATFORM  Platform;
  UINTN                 MapSize = 0, MapKey, DescriptorSize;
  UINT32                DescriptorVersion;
  EFI_STATUS            Status;

  // snippet edk2-host-test begin
  if (EFI_ERROR (DxememCreateOvmfLikePlatform (SIZE_64MB, &Platform))) {
    return 1;
  }

  UefiBootServicesTableLibConstructor (Platform.ImageHandle, Platform.SystemTable);

  UINT8  *Buffer = AllocatePages (4);    // gBS->AllocatePages, as in firmware
  Buffer[0] = 0x5a;                      // physical address == host address
  Status    = gBS->GetMemoryMap (&MapSize, NULL, &MapKey, &DescriptorSize, &DescriptorVersion);
  FreePages (Buffer, 4);

  DxememDestroyPlatform (&Platform);
  // snippet edk2-host-test end
  return Status == EFI_BUFFER_TOO_SMALL ? 0 : 1;
}
