/** @file
  DxememBootServicesLib: a real EFI_BOOT_SERVICES table whose memory services
  run on a dxemem instance, for edk2 host-based unit tests.

  edk2's own host boot-services table answers EFI_NOT_AVAILABLE_YET for every
  memory service. This library fills an EFI_SYSTEM_TABLE, EFI_BOOT_SERVICES
  and EFI_RUNTIME_SERVICES (edk2's header layout, from the consumer's own
  MdePkg/Include) so that gBS->AllocatePages, FreePages, GetMemoryMap,
  AllocatePool and FreePool, and everything built on them
  (MemoryAllocationLib, UefiBootServicesTableLib's constructor), behave as
  the DXE core's Page.c and Pool.c do: same addresses, map, map key and
  EFI_STATUS.

  Also implemented: RaiseTPL/RestoreTPL (a TPL variable), CopyMem, SetMem,
  CalculateCrc32, GetNextMonotonicCount and ExitBootServices (the map key
  check of CoreTerminateMemoryMap, then the system table loses its boot
  services as in CoreExitBootServices). Every other boot and runtime service
  returns EFI_UNSUPPORTED (ResetSystem, which returns nothing, returns).

  Physical addresses are host addresses: the instance's region must be
  mapped at its own physical base (dxemem_host_region_map_identity), so that
  the address AllocatePages returns can be dereferenced, as firmware does.
  UEFI services carry no context, so one instance is bound at a time.

  SPDX-License-Identifier: BSD-2-Clause-Patent
**/

#ifndef DXEMEM_BOOT_SERVICES_LIB_H_
#define DXEMEM_BOOT_SERVICES_LIB_H_

#include <Uefi.h>

#include <dxemem/dxemem.h>
#include <dxemem/host.h>

///
/// An OVMF-like platform in one piece: an instance over an identity-mapped
/// region with OVMF's Memory Type Information bins and the adds PEI hands
/// over, bound to the tables.
///
typedef struct {
  dxemem_host_instance    Host;        ///< instance and region (Host.region.base == host address)
  EFI_SYSTEM_TABLE        *SystemTable;///< the table to pass to library constructors
  EFI_HANDLE              ImageHandle; ///< a non-NULL image handle for them
} DXEMEM_EDK2_PLATFORM;

/**
  Binds Instance to this library's tables and returns the system table whose
  BootServices run on it. A later call binds another instance instead.

  @param  Instance   A dxemem instance over an identity-mapped region.

  @return The EFI_SYSTEM_TABLE (never NULL).
**/
EFI_SYSTEM_TABLE *
EFIAPI
DxememInstallBootServices (
  IN dxemem  *Instance
  );

/**
  Unbinds the instance: the memory services return EFI_NOT_READY until the
  next DxememInstallBootServices. The tables stay valid.
**/
VOID
EFIAPI
DxememUninstallBootServices (
  VOID
  );

/**
  @return The bound instance, or NULL.
**/
dxemem *
EFIAPI
DxememBootServicesInstance (
  VOID
  );

/**
  Builds an OVMF-like memory map on a fresh instance whose region is
  [Base, Base + Size): sets the Memory Type Information bins (Bins, or OVMF's
  table when Bins is NULL), then makes the adds PEI would hand over, the
  first one being the range DXE starts in, so the bins go there:

    [Top - 4 MiB - F, Top - 4 MiB)  EfiConventionalMemory (first add; F is
                                    32 MiB, or half of what is left when
                                    the region is smaller)
    [Top - 4 MiB, + 64 KiB)         EfiACPIMemoryNVS (S3 and lock box)
    [.., + 1 MiB)                   EfiBootServicesCode (the DXE core image)
    [.., Top)                       EfiBootServicesData (PEI stacks and HOBs)
    [Base, Top - 4 MiB - F)         EfiConventionalMemory

  Every range has the attributes UC | WC | WT | WB.

  @param  Instance  A new instance (no add made yet).
  @param  Base      The region's base, 64 KiB aligned.
  @param  Size      The region's size, a multiple of 1 MiB, at least 8 MiB.
  @param  Bins      A Memory Type Information table, or NULL for OVMF's.
  @param  BinCount  Entries in Bins (16 at most).

  @retval EFI_SUCCESS            The map is built.
  @retval EFI_INVALID_PARAMETER  Instance is NULL, Base or Size do not fit.
  @return Any other status of the dxemem call that failed.
**/
EFI_STATUS
EFIAPI
DxememAddOvmfLikeMemory (
  IN dxemem                                *Instance,
  IN UINT64                                Base,
  IN UINT64                                Size,
  IN CONST dxemem_memory_type_information  *Bins OPTIONAL,
  IN UINTN                                 BinCount
  );

/**
  The one call a host test needs: maps Size bytes identity-mapped (physical
  address == host address, preferably below 4 GiB), creates an instance
  (X64 granularity), builds the OVMF-like map of DxememAddOvmfLikeMemory
  with OVMF's bins and binds it to the tables.

  @param  Size      Bytes of fake physical memory (multiple of 1 MiB, >= 8 MiB).
  @param  Platform  Receives the instance, the system table and an image handle.

  @retval EFI_SUCCESS            Ready: pass Platform->ImageHandle and
                                 Platform->SystemTable to the constructors.
  @retval EFI_INVALID_PARAMETER  Platform is NULL or Size does not fit.
  @retval EFI_OUT_OF_RESOURCES   The host could not map the region.
**/
EFI_STATUS
EFIAPI
DxememCreateOvmfLikePlatform (
  IN  UINT64                Size,
  OUT DXEMEM_EDK2_PLATFORM  *Platform
  );

/**
  Unbinds (when bound) and frees what DxememCreateOvmfLikePlatform made.
**/
VOID
EFIAPI
DxememDestroyPlatform (
  IN OUT DXEMEM_EDK2_PLATFORM  *Platform
  );

#endif
