/** @file
  The memory services of DxememBootServicesLib: AllocatePages, FreePages,
  GetMemoryMap, AllocatePool and FreePool on the bound instance.

  Each converts edk2's types (UINTN, EFI_PHYSICAL_ADDRESS, the enums) to
  dxemem's, calls the dxemem function that models the same DXE core
  function, and converts back; statuses are the same numbers. An output the
  DXE core leaves untouched keeps its value: dxemem gets a copy of the
  caller's value, and the copy goes back. Without a bound instance every
  memory service returns EFI_NOT_READY.

  SPDX-License-Identifier: BSD-2-Clause-Patent
**/

#include "DxememBootServicesLibInternal.h"

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

//
// UINT64 (unsigned long long) and uint64_t (unsigned long on LP64 hosts) are
// different C types of one width, so a UINTN or EFI_PHYSICAL_ADDRESS the
// service reads and writes reaches dxemem as a copy; UINT32 is uint32_t
// and goes through as it is.
//
_Static_assert (_Generic ((UINT32 *)NULL, uint32_t *: 1, default: 0), "UINT32 is uint32_t");

/**
  @return NULL when Caller is NULL, else Copy holding *Caller.
**/
STATIC
uint64_t *
CopyIn (
  IN  CONST UINT64  *Caller OPTIONAL,
  OUT uint64_t      *Copy
  )
{
  if (Caller == NULL) {
    return NULL;
  }

  *Copy = *Caller;
  return Copy;
}

/**
  Writes Copy back to *Caller when Caller is not NULL.
**/
STATIC
VOID
CopyOut (
  OUT UINT64    *Caller OPTIONAL,
  IN  uint64_t  Copy
  )
{
  if (Caller != NULL) {
    *Caller = Copy;
  }
}

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
  dxemem         *Instance;
  uint64_t       Address;
  dxemem_status  Status;

  Instance = DxememBootServicesInstance ();
  if (Instance == NULL) {
    return EFI_NOT_READY;
  }

  Address = 0;
  Status  = dxemem_allocate_pages (Instance, (uint32_t)Type, (uint32_t)MemoryType, Pages, CopyIn (Memory, &Address));
  CopyOut (Memory, Address);
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
  dxemem  *Instance;

  Instance = DxememBootServicesInstance ();
  if (Instance == NULL) {
    return EFI_NOT_READY;
  }

  return (EFI_STATUS)dxemem_free_pages (Instance, Memory, Pages);
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
  dxemem         *Instance;
  uint64_t       Size;
  uint64_t       Key;
  uint64_t       DescSize;
  dxemem_status  Status;

  Instance = DxememBootServicesInstance ();
  if (Instance == NULL) {
    return EFI_NOT_READY;
  }

  Size     = 0;
  Key      = 0;
  DescSize = 0;
  Status   = dxemem_get_memory_map (
               Instance,
               CopyIn (MemoryMapSize, &Size),
               (dxemem_memory_descriptor *)MemoryMap,
               CopyIn (MapKey, &Key),
               CopyIn (DescriptorSize, &DescSize),
               DescriptorVersion
               );
  CopyOut (MemoryMapSize, Size);
  CopyOut (MapKey, Key);
  CopyOut (DescriptorSize, DescSize);
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
  dxemem         *Instance;
  uint64_t       Address;
  dxemem_status  Status;

  Instance = DxememBootServicesInstance ();
  if (Instance == NULL) {
    return EFI_NOT_READY;
  }

  Address = 0;
  Status  = dxemem_allocate_pool (Instance, (uint32_t)PoolType, Size, (Buffer != NULL) ? &Address : NULL);
  if (Buffer == NULL) {
    return (EFI_STATUS)Status;
  }

  if (Status == DXEMEM_SUCCESS) {
    *Buffer = dxemem_phys_to_host (Instance, Address, Size);
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
  dxemem    *Instance;
  uint64_t  Address;
  uint32_t  PoolType;

  Instance = DxememBootServicesInstance ();
  if (Instance == NULL) {
    return EFI_NOT_READY;
  }

  //
  // A pointer outside the region is no pool buffer; let dxemem judge the
  // address it stands for (NULL gives EFI_INVALID_PARAMETER as in edk2).
  //
  if (!dxemem_host_to_phys (Instance, Buffer, &Address)) {
    Address = (uint64_t)(UINTN)Buffer;
  }

  return (EFI_STATUS)dxemem_free_pool (Instance, Address, &PoolType);
}

VOID
DxememFillMemoryServices (
  IN OUT EFI_BOOT_SERVICES  *BootServices
  )
{
  BootServices->AllocatePages = DxememAllocatePages;
  BootServices->FreePages     = DxememFreePages;
  BootServices->GetMemoryMap  = DxememGetMemoryMap;
  BootServices->AllocatePool  = DxememAllocatePool;
  BootServices->FreePool      = DxememFreePool;
}
