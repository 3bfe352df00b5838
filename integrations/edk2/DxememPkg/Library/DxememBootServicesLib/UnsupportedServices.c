/** @file
  The boot and runtime services DxememBootServicesLib does not implement:
  each returns EFI_UNSUPPORTED (ResetSystem, which returns nothing, returns;
  there is no platform to reset and a host test goes on).

  SPDX-License-Identifier: BSD-2-Clause-Patent
**/

#include "DxememBootServicesLibInternal.h"

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

VOID
DxememFillUnsupportedBootServices (
  IN OUT EFI_BOOT_SERVICES  *BootServices
  )
{
  EFI_BOOT_SERVICES  *Bs;

  Bs                                      = BootServices;
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
  Bs->RegisterProtocolNotify              = UnsupportedRegisterProtocolNotify;
  Bs->LocateHandle                        = UnsupportedLocateHandle;
  Bs->LocateDevicePath                    = UnsupportedLocateDevicePath;
  Bs->InstallConfigurationTable           = UnsupportedInstallConfigurationTable;
  Bs->LoadImage                           = UnsupportedLoadImage;
  Bs->StartImage                          = UnsupportedStartImage;
  Bs->Exit                                = UnsupportedExit;
  Bs->UnloadImage                         = UnsupportedUnloadImage;
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
  Bs->CreateEventEx                       = UnsupportedCreateEventEx;
}

VOID
DxememFillUnsupportedRuntimeServices (
  IN OUT EFI_RUNTIME_SERVICES  *RuntimeServices
  )
{
  EFI_RUNTIME_SERVICES  *Rt;

  Rt                            = RuntimeServices;
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
}
