/** @file
  DxememBootServicesLib's tables: the EFI_SYSTEM_TABLE, EFI_BOOT_SERVICES
  and EFI_RUNTIME_SERVICES it hands out, the instance bound to them, and
  ExitBootServices, the one service that changes a table.

  SPDX-License-Identifier: BSD-2-Clause-Patent
**/

#include "DxememBootServicesLibInternal.h"

STATIC dxemem                *mInstance;
STATIC EFI_SYSTEM_TABLE      mSystemTable;
STATIC EFI_BOOT_SERVICES     mBootServices;
STATIC EFI_RUNTIME_SERVICES  mRuntimeServices;
STATIC CHAR16                mFirmwareVendor[] = { 'd', 'x', 'e', 'm', 'e', 'm', 0 };

// ---- table headers --------------------------------------------------------

STATIC
VOID
DxememStartHeader (
  OUT EFI_TABLE_HEADER  *Header,
  IN  UINT64            Signature,
  IN  UINT32            Revision,
  IN  UINT32            HeaderSize
  )
{
  Header->Signature  = Signature;
  Header->Revision   = Revision;
  Header->HeaderSize = HeaderSize;
  Header->CRC32      = 0;
  Header->Reserved   = 0;
}

STATIC
VOID
DxememSealHeader (
  IN OUT EFI_TABLE_HEADER  *Header
  )
{
  Header->CRC32 = 0;
  Header->CRC32 = DxememCrc32 (Header, Header->HeaderSize);
}

// ---- ExitBootServices -----------------------------------------------------

STATIC
EFI_STATUS
EFIAPI
DxememExitBootServices (
  IN EFI_HANDLE  ImageHandle,
  IN UINTN       MapKey
  )
{
  dxemem_status  Status;

  if (mInstance == NULL) {
    return EFI_NOT_READY;
  }

  Status = dxemem_terminate_memory_map (mInstance, MapKey);
  if (Status != DXEMEM_SUCCESS) {
    return (EFI_STATUS)Status;
  }

  //
  // What CoreExitBootServices does to the system table once the key held.
  //
  mSystemTable.ConsoleInHandle     = NULL;
  mSystemTable.ConIn               = NULL;
  mSystemTable.ConsoleOutHandle    = NULL;
  mSystemTable.ConOut              = NULL;
  mSystemTable.StandardErrorHandle = NULL;
  mSystemTable.StdErr              = NULL;
  mSystemTable.BootServices        = NULL;
  DxememSealHeader (&mSystemTable.Hdr);
  return EFI_SUCCESS;
}

// ---- the tables -------------------------------------------------------------

STATIC
VOID
DxememFillTables (
  VOID
  )
{
  EFI_BOOT_SERVICES     *Bs;
  EFI_RUNTIME_SERVICES  *Rt;
  EFI_SYSTEM_TABLE      *St;

  Bs = &mBootServices;
  DxememStartHeader (&Bs->Hdr, EFI_BOOT_SERVICES_SIGNATURE, EFI_BOOT_SERVICES_REVISION, sizeof (*Bs));
  DxememFillMemoryServices (Bs);
  DxememFillSmallServices (Bs);
  Bs->ExitBootServices = DxememExitBootServices;
  Bs->Reserved         = NULL;
  DxememFillUnsupportedBootServices (Bs);
  DxememSealHeader (&Bs->Hdr);

  Rt = &mRuntimeServices;
  DxememStartHeader (&Rt->Hdr, EFI_RUNTIME_SERVICES_SIGNATURE, EFI_RUNTIME_SERVICES_REVISION, sizeof (*Rt));
  DxememFillUnsupportedRuntimeServices (Rt);
  DxememSealHeader (&Rt->Hdr);

  St = &mSystemTable;
  DxememStartHeader (&St->Hdr, EFI_SYSTEM_TABLE_SIGNATURE, EFI_SYSTEM_TABLE_REVISION, sizeof (*St));
  St->FirmwareVendor       = mFirmwareVendor;
  St->FirmwareRevision     = 0;
  St->ConsoleInHandle      = NULL;
  St->ConIn                = NULL;
  St->ConsoleOutHandle     = NULL;
  St->ConOut               = NULL;
  St->StandardErrorHandle  = NULL;
  St->StdErr               = NULL;
  St->RuntimeServices      = Rt;
  St->BootServices         = Bs;
  St->NumberOfTableEntries = 0;
  St->ConfigurationTable   = NULL;
  DxememSealHeader (&St->Hdr);
}

// ---- binding an instance ----------------------------------------------------

EFI_SYSTEM_TABLE *
EFIAPI
DxememInstallBootServices (
  IN dxemem  *Instance
  )
{
  DxememFillTables ();
  mInstance = Instance;
  return &mSystemTable;
}

VOID
EFIAPI
DxememUninstallBootServices (
  VOID
  )
{
  mInstance = NULL;
}

dxemem *
EFIAPI
DxememBootServicesInstance (
  VOID
  )
{
  return mInstance;
}
