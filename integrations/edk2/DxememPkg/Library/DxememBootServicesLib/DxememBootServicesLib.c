/** @file
  DxememBootServicesLib: EFI_BOOT_SERVICES memory services on a dxemem
  instance (see Library/DxememBootServicesLib.h).

  Each memory service converts edk2's types (UINTN, EFI_PHYSICAL_ADDRESS,
  the enums) to dxemem's, calls the dxemem function that models the same
  DXE core function, and converts back; statuses are the same numbers.
  Where the DXE core leaves an output untouched, so does this wrapper: it
  passes dxemem a copy of the caller's value and writes back only what
  dxemem wrote.

  SPDX-License-Identifier: BSD-2-Clause-Patent
**/

#include <Library/DxememBootServicesLib.h>

//
// EFI_MEMORY_DESCRIPTOR and dxemem_memory_descriptor are the same 40 bytes,
// so GetMemoryMap fills the caller's buffer directly.
//
_Static_assert (
  sizeof (EFI_MEMORY_DESCRIPTOR) == sizeof (dxemem_memory_descriptor),
  "EFI_MEMORY_DESCRIPTOR layout"
  );
_Static_assert (
  OFFSET_OF (EFI_MEMORY_DESCRIPTOR, PhysicalStart) == offsetof (dxemem_memory_descriptor, physical_start) &&
  OFFSET_OF (EFI_MEMORY_DESCRIPTOR, NumberOfPages) == offsetof (dxemem_memory_descriptor, number_of_pages) &&
  OFFSET_OF (EFI_MEMORY_DESCRIPTOR, Attribute) == offsetof (dxemem_memory_descriptor, attribute),
  "EFI_MEMORY_DESCRIPTOR field offsets"
  );
_Static_assert (sizeof (UINTN) == sizeof (uint64_t), "64-bit UINTN");

STATIC dxemem                *mInstance;
STATIC EFI_TPL               mTpl = TPL_APPLICATION;
STATIC UINT64                mMonotonicCount;
STATIC EFI_SYSTEM_TABLE      mSystemTable;
STATIC EFI_BOOT_SERVICES     mBootServices;
STATIC EFI_RUNTIME_SERVICES  mRuntimeServices;
STATIC UINT8                 mImageHandle;
STATIC CHAR16                mFirmwareVendor[] = { 'd', 'x', 'e', 'm', 'e', 'm', 0 };

// ---- CRC32 (UEFI's CalculateCrc32: IEEE 802.3, reflected) ----------------

STATIC
UINT32
DxememCrc32 (
  IN CONST VOID  *Data,
  IN UINTN       Size
  )
{
  CONST UINT8  *Byte;
  UINT32       Crc;
  UINTN        Index;
  UINTN        Bit;

  Byte = Data;
  Crc  = 0xFFFFFFFF;
  for (Index = 0; Index < Size; Index++) {
    Crc ^= Byte[Index];
    for (Bit = 0; Bit < 8; Bit++) {
      Crc = (Crc >> 1) ^ (0xEDB88320 & (0U - (Crc & 1)));
    }
  }

  return Crc ^ 0xFFFFFFFF;
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

// ---- the memory services --------------------------------------------------

STATIC
EFI_STATUS
EFIAPI
DxememAllocatePages (
  IN     EFI_ALLOCATE_TYPE     Type,
  IN     EFI_MEMORY_TYPE       MemoryType,
  IN     UINTN                 Pages,
  IN OUT EFI_PHYSICAL_ADDRESS  *Memory
  )
{
  uint64_t       Address;
  dxemem_status  Status;

  if (mInstance == NULL) {
    return EFI_NOT_READY;
  }

  if (Memory == NULL) {
    return (EFI_STATUS)dxemem_allocate_pages (mInstance, (uint32_t)Type, (uint32_t)MemoryType, Pages, NULL);
  }

  Address = *Memory;
  Status  = dxemem_allocate_pages (mInstance, (uint32_t)Type, (uint32_t)MemoryType, Pages, &Address);
  *Memory = Address;
  return (EFI_STATUS)Status;
}

STATIC
EFI_STATUS
EFIAPI
DxememFreePages (
  IN EFI_PHYSICAL_ADDRESS  Memory,
  IN UINTN                 Pages
  )
{
  if (mInstance == NULL) {
    return EFI_NOT_READY;
  }

  return (EFI_STATUS)dxemem_free_pages (mInstance, Memory, Pages);
}

STATIC
EFI_STATUS
EFIAPI
DxememGetMemoryMap (
  IN OUT UINTN                  *MemoryMapSize,
  OUT    EFI_MEMORY_DESCRIPTOR  *MemoryMap,
  OUT    UINTN                  *MapKey,
  OUT    UINTN                  *DescriptorSize,
  OUT    UINT32                 *DescriptorVersion
  )
{
  uint64_t       Size;
  uint64_t       Key;
  uint64_t       DescSize;
  uint32_t       Version;
  dxemem_status  Status;

  if (mInstance == NULL) {
    return EFI_NOT_READY;
  }

  if (MemoryMapSize == NULL) {
    return (EFI_STATUS)dxemem_get_memory_map (mInstance, NULL, NULL, NULL, NULL, NULL);
  }

  Size     = *MemoryMapSize;
  Key      = (MapKey != NULL) ? *MapKey : 0;
  DescSize = (DescriptorSize != NULL) ? *DescriptorSize : 0;
  Version  = (DescriptorVersion != NULL) ? *DescriptorVersion : 0;
  Status   = dxemem_get_memory_map (
               mInstance,
               &Size,
               (dxemem_memory_descriptor *)MemoryMap,
               (MapKey != NULL) ? &Key : NULL,
               (DescriptorSize != NULL) ? &DescSize : NULL,
               (DescriptorVersion != NULL) ? &Version : NULL
               );
  *MemoryMapSize = Size;
  if (MapKey != NULL) {
    *MapKey = Key;
  }

  if (DescriptorSize != NULL) {
    *DescriptorSize = DescSize;
  }

  if (DescriptorVersion != NULL) {
    *DescriptorVersion = Version;
  }

  return (EFI_STATUS)Status;
}

STATIC
EFI_STATUS
EFIAPI
DxememAllocatePool (
  IN  EFI_MEMORY_TYPE  PoolType,
  IN  UINTN            Size,
  OUT VOID             **Buffer
  )
{
  uint64_t       Address;
  dxemem_status  Status;

  if (mInstance == NULL) {
    return EFI_NOT_READY;
  }

  if (Buffer == NULL) {
    return (EFI_STATUS)dxemem_allocate_pool (mInstance, (uint32_t)PoolType, Size, NULL);
  }

  Address = 0;
  Status  = dxemem_allocate_pool (mInstance, (uint32_t)PoolType, Size, &Address);
  if (Status == DXEMEM_SUCCESS) {
    *Buffer = dxemem_phys_to_host (mInstance, Address, Size);
  } else if (Status != DXEMEM_INVALID_PARAMETER) {
    //
    // CoreAllocatePool clears *Buffer once the arguments are valid.
    //
    *Buffer = NULL;
  }

  return (EFI_STATUS)Status;
}

STATIC
EFI_STATUS
EFIAPI
DxememFreePool (
  IN VOID  *Buffer
  )
{
  uint64_t  Address;
  uint32_t  PoolType;

  if (mInstance == NULL) {
    return EFI_NOT_READY;
  }

  //
  // A pointer outside the region is no pool buffer; let dxemem judge the
  // address it stands for (NULL gives EFI_INVALID_PARAMETER as in edk2).
  //
  if (!dxemem_host_to_phys (mInstance, Buffer, &Address)) {
    Address = (uint64_t)(UINTN)Buffer;
  }

  return (EFI_STATUS)dxemem_free_pool (mInstance, Address, &PoolType);
}

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

// ---- the small services that need no firmware ------------------------------

STATIC
EFI_TPL
EFIAPI
DxememRaiseTpl (
  IN EFI_TPL  NewTpl
  )
{
  EFI_TPL  OldTpl;

  OldTpl = mTpl;
  mTpl   = NewTpl;
  return OldTpl;
}

STATIC
VOID
EFIAPI
DxememRestoreTpl (
  IN EFI_TPL  OldTpl
  )
{
  mTpl = OldTpl;
}

STATIC
VOID
EFIAPI
DxememCopyMem (
  IN VOID   *Destination,
  IN VOID   *Source,
  IN UINTN  Length
  )
{
  UINT8        *To;
  CONST UINT8  *From;

  //
  // Overlapping buffers are allowed, as in the UEFI spec.
  //
  To   = Destination;
  From = Source;
  if (To < From) {
    while (Length-- > 0) {
      *To++ = *From++;
    }
  } else if (To > From) {
    while (Length-- > 0) {
      To[Length] = From[Length];
    }
  }
}

STATIC
VOID
EFIAPI
DxememSetMem (
  IN VOID   *Buffer,
  IN UINTN  Size,
  IN UINT8  Value
  )
{
  UINT8  *Byte;

  for (Byte = Buffer; Size > 0; Size--) {
    *Byte++ = Value;
  }
}

STATIC
EFI_STATUS
EFIAPI
DxememCalculateCrc32 (
  IN  VOID    *Data,
  IN  UINTN   DataSize,
  OUT UINT32  *Crc32
  )
{
  if ((Data == NULL) || (DataSize == 0) || (Crc32 == NULL)) {
    return EFI_INVALID_PARAMETER;
  }

  *Crc32 = DxememCrc32 (Data, DataSize);
  return EFI_SUCCESS;
}

STATIC
EFI_STATUS
EFIAPI
DxememGetNextMonotonicCount (
  OUT UINT64  *Count
  )
{
  if (Count == NULL) {
    return EFI_INVALID_PARAMETER;
  }

  *Count = mMonotonicCount++;
  return EFI_SUCCESS;
}

// ---- everything else: EFI_UNSUPPORTED ---------------------------------------

STATIC EFI_STATUS EFIAPI UnsupportedCreateEvent (UINT32 Type, EFI_TPL NotifyTpl, EFI_EVENT_NOTIFY NotifyFunction, VOID *NotifyContext, EFI_EVENT *Event)
{
  return EFI_UNSUPPORTED;
}

STATIC EFI_STATUS EFIAPI UnsupportedSetTimer (EFI_EVENT Event, EFI_TIMER_DELAY Type, UINT64 TriggerTime)
{
  return EFI_UNSUPPORTED;
}

STATIC EFI_STATUS EFIAPI UnsupportedWaitForEvent (UINTN NumberOfEvents, EFI_EVENT *Event, UINTN *Index)
{
  return EFI_UNSUPPORTED;
}

STATIC EFI_STATUS EFIAPI UnsupportedEvent (EFI_EVENT Event)
{
  return EFI_UNSUPPORTED;
}

STATIC EFI_STATUS EFIAPI UnsupportedInstallProtocolInterface (EFI_HANDLE *Handle, EFI_GUID *Protocol, EFI_INTERFACE_TYPE InterfaceType, VOID *Interface)
{
  return EFI_UNSUPPORTED;
}

STATIC EFI_STATUS EFIAPI UnsupportedReinstallProtocolInterface (EFI_HANDLE Handle, EFI_GUID *Protocol, VOID *OldInterface, VOID *NewInterface)
{
  return EFI_UNSUPPORTED;
}

STATIC EFI_STATUS EFIAPI UnsupportedUninstallProtocolInterface (EFI_HANDLE Handle, EFI_GUID *Protocol, VOID *Interface)
{
  return EFI_UNSUPPORTED;
}

STATIC EFI_STATUS EFIAPI UnsupportedHandleProtocol (EFI_HANDLE Handle, EFI_GUID *Protocol, VOID **Interface)
{
  return EFI_UNSUPPORTED;
}

STATIC EFI_STATUS EFIAPI UnsupportedRegisterProtocolNotify (EFI_GUID *Protocol, EFI_EVENT Event, VOID **Registration)
{
  return EFI_UNSUPPORTED;
}

STATIC EFI_STATUS EFIAPI UnsupportedLocateHandle (EFI_LOCATE_SEARCH_TYPE SearchType, EFI_GUID *Protocol, VOID *SearchKey, UINTN *BufferSize, EFI_HANDLE *Buffer)
{
  return EFI_UNSUPPORTED;
}

STATIC EFI_STATUS EFIAPI UnsupportedLocateDevicePath (EFI_GUID *Protocol, EFI_DEVICE_PATH_PROTOCOL **DevicePath, EFI_HANDLE *Device)
{
  return EFI_UNSUPPORTED;
}

STATIC EFI_STATUS EFIAPI UnsupportedInstallConfigurationTable (EFI_GUID *Guid, VOID *Table)
{
  return EFI_UNSUPPORTED;
}

STATIC EFI_STATUS EFIAPI UnsupportedLoadImage (BOOLEAN BootPolicy, EFI_HANDLE ParentImageHandle, EFI_DEVICE_PATH_PROTOCOL *DevicePath, VOID *SourceBuffer, UINTN SourceSize, EFI_HANDLE *ImageHandle)
{
  return EFI_UNSUPPORTED;
}

STATIC EFI_STATUS EFIAPI UnsupportedStartImage (EFI_HANDLE ImageHandle, UINTN *ExitDataSize, CHAR16 **ExitData)
{
  return EFI_UNSUPPORTED;
}

STATIC EFI_STATUS EFIAPI UnsupportedExit (EFI_HANDLE ImageHandle, EFI_STATUS ExitStatus, UINTN ExitDataSize, CHAR16 *ExitData)
{
  return EFI_UNSUPPORTED;
}

STATIC EFI_STATUS EFIAPI UnsupportedUnloadImage (EFI_HANDLE ImageHandle)
{
  return EFI_UNSUPPORTED;
}

STATIC EFI_STATUS EFIAPI UnsupportedStall (UINTN Microseconds)
{
  return EFI_UNSUPPORTED;
}

STATIC EFI_STATUS EFIAPI UnsupportedSetWatchdogTimer (UINTN Timeout, UINT64 WatchdogCode, UINTN DataSize, CHAR16 *WatchdogData)
{
  return EFI_UNSUPPORTED;
}

STATIC EFI_STATUS EFIAPI UnsupportedConnectController (EFI_HANDLE ControllerHandle, EFI_HANDLE *DriverImageHandle, EFI_DEVICE_PATH_PROTOCOL *RemainingDevicePath, BOOLEAN Recursive)
{
  return EFI_UNSUPPORTED;
}

STATIC EFI_STATUS EFIAPI UnsupportedDisconnectController (EFI_HANDLE ControllerHandle, EFI_HANDLE DriverImageHandle, EFI_HANDLE ChildHandle)
{
  return EFI_UNSUPPORTED;
}

STATIC EFI_STATUS EFIAPI UnsupportedOpenProtocol (EFI_HANDLE Handle, EFI_GUID *Protocol, VOID **Interface, EFI_HANDLE AgentHandle, EFI_HANDLE ControllerHandle, UINT32 Attributes)
{
  return EFI_UNSUPPORTED;
}

STATIC EFI_STATUS EFIAPI UnsupportedCloseProtocol (EFI_HANDLE Handle, EFI_GUID *Protocol, EFI_HANDLE AgentHandle, EFI_HANDLE ControllerHandle)
{
  return EFI_UNSUPPORTED;
}

STATIC EFI_STATUS EFIAPI UnsupportedOpenProtocolInformation (EFI_HANDLE Handle, EFI_GUID *Protocol, EFI_OPEN_PROTOCOL_INFORMATION_ENTRY **EntryBuffer, UINTN *EntryCount)
{
  return EFI_UNSUPPORTED;
}

STATIC EFI_STATUS EFIAPI UnsupportedProtocolsPerHandle (EFI_HANDLE Handle, EFI_GUID ***ProtocolBuffer, UINTN *ProtocolBufferCount)
{
  return EFI_UNSUPPORTED;
}

STATIC EFI_STATUS EFIAPI UnsupportedLocateHandleBuffer (EFI_LOCATE_SEARCH_TYPE SearchType, EFI_GUID *Protocol, VOID *SearchKey, UINTN *NoHandles, EFI_HANDLE **Buffer)
{
  return EFI_UNSUPPORTED;
}

STATIC EFI_STATUS EFIAPI UnsupportedLocateProtocol (EFI_GUID *Protocol, VOID *Registration, VOID **Interface)
{
  return EFI_UNSUPPORTED;
}

STATIC EFI_STATUS EFIAPI UnsupportedInstallMultipleProtocolInterfaces (EFI_HANDLE *Handle, ...)
{
  return EFI_UNSUPPORTED;
}

STATIC EFI_STATUS EFIAPI UnsupportedUninstallMultipleProtocolInterfaces (EFI_HANDLE Handle, ...)
{
  return EFI_UNSUPPORTED;
}

STATIC EFI_STATUS EFIAPI UnsupportedCreateEventEx (UINT32 Type, EFI_TPL NotifyTpl, EFI_EVENT_NOTIFY NotifyFunction, CONST VOID *NotifyContext, CONST EFI_GUID *EventGroup, EFI_EVENT *Event)
{
  return EFI_UNSUPPORTED;
}

STATIC EFI_STATUS EFIAPI UnsupportedGetTime (EFI_TIME *Time, EFI_TIME_CAPABILITIES *Capabilities)
{
  return EFI_UNSUPPORTED;
}

STATIC EFI_STATUS EFIAPI UnsupportedSetTime (EFI_TIME *Time)
{
  return EFI_UNSUPPORTED;
}

STATIC EFI_STATUS EFIAPI UnsupportedGetWakeupTime (BOOLEAN *Enabled, BOOLEAN *Pending, EFI_TIME *Time)
{
  return EFI_UNSUPPORTED;
}

STATIC EFI_STATUS EFIAPI UnsupportedSetWakeupTime (BOOLEAN Enable, EFI_TIME *Time)
{
  return EFI_UNSUPPORTED;
}

STATIC EFI_STATUS EFIAPI UnsupportedSetVirtualAddressMap (UINTN MemoryMapSize, UINTN DescriptorSize, UINT32 DescriptorVersion, EFI_MEMORY_DESCRIPTOR *VirtualMap)
{
  return EFI_UNSUPPORTED;
}

STATIC EFI_STATUS EFIAPI UnsupportedConvertPointer (UINTN DebugDisposition, VOID **Address)
{
  return EFI_UNSUPPORTED;
}

STATIC EFI_STATUS EFIAPI UnsupportedGetVariable (CHAR16 *VariableName, EFI_GUID *VendorGuid, UINT32 *Attributes, UINTN *DataSize, VOID *Data)
{
  return EFI_UNSUPPORTED;
}

STATIC EFI_STATUS EFIAPI UnsupportedGetNextVariableName (UINTN *VariableNameSize, CHAR16 *VariableName, EFI_GUID *VendorGuid)
{
  return EFI_UNSUPPORTED;
}

STATIC EFI_STATUS EFIAPI UnsupportedSetVariable (CHAR16 *VariableName, EFI_GUID *VendorGuid, UINT32 Attributes, UINTN DataSize, VOID *Data)
{
  return EFI_UNSUPPORTED;
}

STATIC EFI_STATUS EFIAPI UnsupportedGetNextHighMonotonicCount (UINT32 *HighCount)
{
  return EFI_UNSUPPORTED;
}

STATIC VOID EFIAPI UnsupportedResetSystem (EFI_RESET_TYPE ResetType, EFI_STATUS ResetStatus, UINTN DataSize, VOID *ResetData)
{
  //
  // There is no platform to reset; a host test goes on.
  //
}

STATIC EFI_STATUS EFIAPI UnsupportedUpdateCapsule (EFI_CAPSULE_HEADER **CapsuleHeaderArray, UINTN CapsuleCount, EFI_PHYSICAL_ADDRESS ScatterGatherList)
{
  return EFI_UNSUPPORTED;
}

STATIC EFI_STATUS EFIAPI UnsupportedQueryCapsuleCapabilities (EFI_CAPSULE_HEADER **CapsuleHeaderArray, UINTN CapsuleCount, UINT64 *MaximumCapsuleSize, EFI_RESET_TYPE *ResetType)
{
  return EFI_UNSUPPORTED;
}

STATIC EFI_STATUS EFIAPI UnsupportedQueryVariableInfo (UINT32 Attributes, UINT64 *MaximumVariableStorageSize, UINT64 *RemainingVariableStorageSize, UINT64 *MaximumVariableSize)
{
  return EFI_UNSUPPORTED;
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

  Bs                                      = &mBootServices;
  Bs->Hdr.Signature                       = EFI_BOOT_SERVICES_SIGNATURE;
  Bs->Hdr.Revision                        = EFI_BOOT_SERVICES_REVISION;
  Bs->Hdr.HeaderSize                      = sizeof (*Bs);
  Bs->Hdr.Reserved                        = 0;
  Bs->RaiseTPL                            = DxememRaiseTpl;
  Bs->RestoreTPL                          = DxememRestoreTpl;
  Bs->AllocatePages                       = DxememAllocatePages;
  Bs->FreePages                           = DxememFreePages;
  Bs->GetMemoryMap                        = DxememGetMemoryMap;
  Bs->AllocatePool                        = DxememAllocatePool;
  Bs->FreePool                            = DxememFreePool;
  Bs->CreateEvent                         = UnsupportedCreateEvent;
  Bs->SetTimer                            = UnsupportedSetTimer;
  Bs->WaitForEvent                        = UnsupportedWaitForEvent;
  Bs->SignalEvent                         = UnsupportedEvent;
  Bs->CloseEvent                          = UnsupportedEvent;
  Bs->CheckEvent                          = UnsupportedEvent;
  Bs->InstallProtocolInterface            = UnsupportedInstallProtocolInterface;
  Bs->ReinstallProtocolInterface          = UnsupportedReinstallProtocolInterface;
  Bs->UninstallProtocolInterface          = UnsupportedUninstallProtocolInterface;
  Bs->HandleProtocol                      = UnsupportedHandleProtocol;
  Bs->Reserved                            = NULL;
  Bs->RegisterProtocolNotify              = UnsupportedRegisterProtocolNotify;
  Bs->LocateHandle                        = UnsupportedLocateHandle;
  Bs->LocateDevicePath                    = UnsupportedLocateDevicePath;
  Bs->InstallConfigurationTable           = UnsupportedInstallConfigurationTable;
  Bs->LoadImage                           = UnsupportedLoadImage;
  Bs->StartImage                          = UnsupportedStartImage;
  Bs->Exit                                = UnsupportedExit;
  Bs->UnloadImage                         = UnsupportedUnloadImage;
  Bs->ExitBootServices                    = DxememExitBootServices;
  Bs->GetNextMonotonicCount               = DxememGetNextMonotonicCount;
  Bs->Stall                               = UnsupportedStall;
  Bs->SetWatchdogTimer                    = UnsupportedSetWatchdogTimer;
  Bs->ConnectController                   = UnsupportedConnectController;
  Bs->DisconnectController                = UnsupportedDisconnectController;
  Bs->OpenProtocol                        = UnsupportedOpenProtocol;
  Bs->CloseProtocol                       = UnsupportedCloseProtocol;
  Bs->OpenProtocolInformation             = UnsupportedOpenProtocolInformation;
  Bs->ProtocolsPerHandle                  = UnsupportedProtocolsPerHandle;
  Bs->LocateHandleBuffer                  = UnsupportedLocateHandleBuffer;
  Bs->LocateProtocol                      = UnsupportedLocateProtocol;
  Bs->InstallMultipleProtocolInterfaces   = UnsupportedInstallMultipleProtocolInterfaces;
  Bs->UninstallMultipleProtocolInterfaces = UnsupportedUninstallMultipleProtocolInterfaces;
  Bs->CalculateCrc32                      = DxememCalculateCrc32;
  Bs->CopyMem                             = DxememCopyMem;
  Bs->SetMem                              = DxememSetMem;
  Bs->CreateEventEx                       = UnsupportedCreateEventEx;
  DxememSealHeader (&Bs->Hdr);

  Rt                            = &mRuntimeServices;
  Rt->Hdr.Signature             = EFI_RUNTIME_SERVICES_SIGNATURE;
  Rt->Hdr.Revision              = EFI_RUNTIME_SERVICES_REVISION;
  Rt->Hdr.HeaderSize            = sizeof (*Rt);
  Rt->Hdr.Reserved              = 0;
  Rt->GetTime                   = UnsupportedGetTime;
  Rt->SetTime                   = UnsupportedSetTime;
  Rt->GetWakeupTime             = UnsupportedGetWakeupTime;
  Rt->SetWakeupTime             = UnsupportedSetWakeupTime;
  Rt->SetVirtualAddressMap      = UnsupportedSetVirtualAddressMap;
  Rt->ConvertPointer            = UnsupportedConvertPointer;
  Rt->GetVariable               = UnsupportedGetVariable;
  Rt->GetNextVariableName       = UnsupportedGetNextVariableName;
  Rt->SetVariable               = UnsupportedSetVariable;
  Rt->GetNextHighMonotonicCount = UnsupportedGetNextHighMonotonicCount;
  Rt->ResetSystem               = UnsupportedResetSystem;
  Rt->UpdateCapsule             = UnsupportedUpdateCapsule;
  Rt->QueryCapsuleCapabilities  = UnsupportedQueryCapsuleCapabilities;
  Rt->QueryVariableInfo         = UnsupportedQueryVariableInfo;
  DxememSealHeader (&Rt->Hdr);

  St                       = &mSystemTable;
  St->Hdr.Signature        = EFI_SYSTEM_TABLE_SIGNATURE;
  St->Hdr.Revision         = EFI_SYSTEM_TABLE_REVISION;
  St->Hdr.HeaderSize       = sizeof (*St);
  St->Hdr.Reserved         = 0;
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

EFI_SYSTEM_TABLE *
EFIAPI
DxememInstallBootServices (
  IN dxemem  *Instance
  )
{
  DxememFillTables ();
  mInstance = Instance;
  mTpl      = TPL_APPLICATION;
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

// ---- an OVMF-like platform --------------------------------------------------

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

  if ((mInstance != NULL) && (mInstance == Platform->Host.allocator)) {
    DxememUninstallBootServices ();
  }

  dxemem_host_destroy (&Platform->Host);
  Platform->SystemTable = NULL;
  Platform->ImageHandle = NULL;
}
