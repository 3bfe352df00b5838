/** @file
  The edk2 drop-in against real edk2 code: edk2-stable202605's unmodified
  UefiMemoryAllocationLib, UefiBootServicesTableLib, BaseMemoryLib and
  BaseDebugLibNull run over DxememBootServicesLib (instance "firmware"),
  and every call is repeated through dxemem's own API on a second instance
  ("mirror") over the same physical range, with the steps the edk2 library
  takes spelled out. Addresses, statuses, the memory map and the map key
  must agree after every step. CMake builds this twice: EFIAPI empty and
  EFIAPI = __attribute__((ms_abi)).

  SPDX-License-Identifier: BSD-2-Clause-Patent
**/
#include <Uefi.h>
#include <Library/BaseMemoryLib.h>
#include <Library/MemoryAllocationLib.h>
#include <Library/UefiBootServicesTableLib.h>
#include <Library/DxememBootServicesLib.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

EFI_STATUS EFIAPI UefiBootServicesTableLibConstructor (EFI_HANDLE, EFI_SYSTEM_TABLE *);

#define REGION_SIZE  SIZE_64MB

static EFI_GUID  mSomeProtocolGuid = {
  0x4c1a7b6e, 0x0d3f, 0x4e5a, { 0x9b, 0x1e, 0x2d, 0x6f, 0x70, 0x81, 0x92, 0xa3 }
};

static DXEMEM_EDK2_PLATFORM  Firmware;
static dxemem_host_instance  Mirror;

// ---- comparing the two instances --------------------------------------------

typedef struct {
  uint64_t    Size;
  uint64_t    Key;
  uint64_t    DescriptorSize;
  uint32_t    Version;
  uint64_t    Status;
  uint8_t     Bytes[64 * 1024];
} MAP_SNAPSHOT;

static MAP_SNAPSHOT  FirmwareMap;
static MAP_SNAPSHOT  MirrorMap;

// gBS->GetMemoryMap on the firmware side, the size asked first as callers do.
static void
SnapFirmware (
  MAP_SNAPSHOT  *Snap
  )
{
  UINTN   Size = 0, Key = 0, DescriptorSize = 0;
  UINT32  Version = 0;

  memset (Snap, 0, sizeof *Snap);
  assert_int_equal (gBS->GetMemoryMap (&Size, NULL, &Key, &DescriptorSize, &Version), EFI_BUFFER_TOO_SMALL);
  assert_true (Size <= sizeof Snap->Bytes);
  Size         = sizeof Snap->Bytes;
  Snap->Status = gBS->GetMemoryMap (&Size, (EFI_MEMORY_DESCRIPTOR *)Snap->Bytes, &Key, &DescriptorSize, &Version);
  Snap->Size   = Size;
  Snap->Key    = Key;
  Snap->DescriptorSize = DescriptorSize;
  Snap->Version        = Version;
}

static void
SnapMirror (
  MAP_SNAPSHOT  *Snap
  )
{
  uint64_t  Size = 0;

  memset (Snap, 0, sizeof *Snap);
  assert_int_equal (
    dxemem_get_memory_map (Mirror.allocator, &Size, NULL, &Snap->Key, &Snap->DescriptorSize, &Snap->Version),
    DXEMEM_BUFFER_TOO_SMALL
    );
  Size         = sizeof Snap->Bytes;
  Snap->Status = dxemem_get_memory_map (
                   Mirror.allocator,
                   &Size,
                   (dxemem_memory_descriptor *)Snap->Bytes,
                   &Snap->Key,
                   &Snap->DescriptorSize,
                   &Snap->Version
                   );
  Snap->Size = Size;
}

// Both maps, byte for byte, and both map keys.
static void
AssertSameMap (
  void
  )
{
  SnapFirmware (&FirmwareMap);
  SnapMirror (&MirrorMap);
  assert_int_equal (FirmwareMap.Status, EFI_SUCCESS);
  assert_int_equal (MirrorMap.Status, DXEMEM_SUCCESS);
  assert_int_equal (FirmwareMap.Size, MirrorMap.Size);
  assert_int_equal (FirmwareMap.Key, MirrorMap.Key);
  assert_int_equal (FirmwareMap.DescriptorSize, MirrorMap.DescriptorSize);
  assert_int_equal (FirmwareMap.Version, MirrorMap.Version);
  assert_memory_equal (FirmwareMap.Bytes, MirrorMap.Bytes, (size_t)FirmwareMap.Size);
}

// The mirror's host view of physical [Address, Address + Bytes).
static uint8_t *
MirrorHost (
  uint64_t  Address,
  uint64_t  Bytes
  )
{
  uint8_t  *Host = dxemem_phys_to_host (Mirror.allocator, Address, Bytes);

  assert_non_null (Host);
  return Host;
}

static uint64_t
MirrorAllocatePages (
  uint32_t  MemoryType,
  uint64_t  Pages
  )
{
  uint64_t  Address = 0;

  assert_int_equal (
    dxemem_allocate_pages (Mirror.allocator, DXEMEM_ALLOCATE_ANY_PAGES, MemoryType, Pages, &Address),
    DXEMEM_SUCCESS
    );
  return Address;
}

// ---- fixture -----------------------------------------------------------------

static int
SetUpPlatforms (
  void  **State
  )
{
  dxemem_config  Config;

  (void)State;
  if (DxememCreateOvmfLikePlatform (REGION_SIZE, &Firmware) != EFI_SUCCESS) {
    return -1;
  }

  // The mirror covers the same physical range over host memory of its own.
  memset (&Config, 0, sizeof Config);
  Config.region_base         = Firmware.Host.region.base;
  Config.region_size         = REGION_SIZE;
  Config.runtime_granularity = EFI_PAGE_SIZE;
  if (dxemem_host_create (&Config, &Mirror) != DXEMEM_SUCCESS) {
    return -1;
  }

  if (DxememAddOvmfLikeMemory (Mirror.allocator, Config.region_base, REGION_SIZE, NULL, 0) != EFI_SUCCESS) {
    return -1;
  }

  // edk2's own constructor takes the table from the "image entry point".
  return UefiBootServicesTableLibConstructor (Firmware.ImageHandle, Firmware.SystemTable) == EFI_SUCCESS ? 0 : -1;
}

static int
TearDownPlatforms (
  void  **State
  )
{
  (void)State;
  DxememDestroyPlatform (&Firmware);
  dxemem_host_destroy (&Mirror);
  return 0;
}

// ---- the tables ----------------------------------------------------------------

static void
TestTablesAreEdk2s (
  void  **State
  )
{
  UINT32  Crc;

  (void)State;
  assert_ptr_equal (gST, Firmware.SystemTable);
  assert_ptr_equal (gBS, Firmware.SystemTable->BootServices);
  assert_non_null (gImageHandle);
  assert_non_null (gST->RuntimeServices);
  assert_true (gST->Hdr.Signature == EFI_SYSTEM_TABLE_SIGNATURE);
  assert_true (gBS->Hdr.Signature == EFI_BOOT_SERVICES_SIGNATURE);
  assert_true (gST->RuntimeServices->Hdr.Signature == EFI_RUNTIME_SERVICES_SIGNATURE);
  assert_int_equal (gBS->Hdr.HeaderSize, sizeof (EFI_BOOT_SERVICES));

  // The header CRCs hold, as a UEFI application may check.
  memcpy (&Crc, &gBS->Hdr.CRC32, sizeof Crc);
  {
    EFI_BOOT_SERVICES  Copy = *gBS;
    UINT32             Computed;

    Copy.Hdr.CRC32 = 0;
    assert_int_equal (gBS->CalculateCrc32 (&Copy, sizeof Copy, &Computed), EFI_SUCCESS);
    assert_int_equal (Computed, Crc);
  }
  {
    // The CRC-32 check value of "123456789".
    UINT32  Check;
    assert_int_equal (gBS->CalculateCrc32 ("123456789", 9, &Check), EFI_SUCCESS);
    assert_int_equal (Check, 0xCBF43926);
  }

  // Services without a firmware behind them say so.
  {
    VOID  *Interface = NULL;
    assert_int_equal (gBS->LocateProtocol (&mSomeProtocolGuid, NULL, &Interface), EFI_UNSUPPORTED);
    assert_int_equal (gBS->Stall (1), EFI_UNSUPPORTED);
    assert_int_equal (gST->RuntimeServices->GetTime (NULL, NULL), EFI_UNSUPPORTED);
  }
  // Unbound, the memory services refuse; bound again, the same tables work.
  {
    EFI_PHYSICAL_ADDRESS  Address;
    VOID                  *Buffer;
    UINTN                 Size = 0;

    assert_ptr_equal (DxememBootServicesInstance (), Firmware.Host.allocator);
    DxememUninstallBootServices ();
    assert_null (DxememBootServicesInstance ());
    assert_int_equal (gBS->AllocatePages (AllocateAnyPages, EfiBootServicesData, 1, &Address), EFI_NOT_READY);
    assert_int_equal (gBS->FreePages (0x1000, 1), EFI_NOT_READY);
    assert_int_equal (gBS->GetMemoryMap (&Size, NULL, NULL, NULL, NULL), EFI_NOT_READY);
    assert_int_equal (gBS->AllocatePool (EfiBootServicesData, 8, &Buffer), EFI_NOT_READY);
    assert_int_equal (gBS->FreePool (&Size), EFI_NOT_READY);
    assert_int_equal (gBS->ExitBootServices (gImageHandle, 0), EFI_NOT_READY);
    assert_ptr_equal (DxememInstallBootServices (Firmware.Host.allocator), gST);
  }
  {
    EFI_TPL  Old = gBS->RaiseTPL (TPL_NOTIFY);
    assert_int_equal (Old, TPL_APPLICATION);
    assert_int_equal (gBS->RaiseTPL (TPL_HIGH_LEVEL), TPL_NOTIFY);
    gBS->RestoreTPL (TPL_NOTIFY);
    gBS->RestoreTPL (Old);
    assert_int_equal (gBS->RaiseTPL (TPL_APPLICATION), TPL_APPLICATION);
  }
  AssertSameMap ();
}

// ---- the OVMF-like setup -------------------------------------------------------------

static void
TestOvmfLikeSetup (
  void  **State
  )
{
  dxemem_type_statistics  Stats;
  DXEMEM_EDK2_PLATFORM    Other;
  UINT64                  Top   = Firmware.Host.region.base + REGION_SIZE;
  UINT64                  First = Top - SIZE_4MB - SIZE_32MB;

  (void)State;
  // OVMF's bins were carved from the first add, the range DXE starts in.
  assert_int_equal (dxemem_get_type_statistics (Firmware.Host.allocator, EfiRuntimeServicesData, &Stats), DXEMEM_SUCCESS);
  assert_int_equal (Stats.number_of_pages, 0x100);
  assert_true (Stats.base_address >= First && Stats.maximum_address < Top - SIZE_4MB);
  assert_int_equal (dxemem_get_type_statistics (Firmware.Host.allocator, EfiACPIReclaimMemory, &Stats), DXEMEM_SUCCESS);
  assert_int_equal (Stats.number_of_pages, 0x12);

  // The PEI pieces at the top, typed.
  {
    EFI_MEMORY_DESCRIPTOR  *Last;

    SnapFirmware (&FirmwareMap);
    Last = (EFI_MEMORY_DESCRIPTOR *)(FirmwareMap.Bytes + FirmwareMap.Size - FirmwareMap.DescriptorSize);
    assert_int_equal (Last->Type, EfiBootServicesData);
    assert_int_equal (Last->PhysicalStart + EFI_PAGES_TO_SIZE (Last->NumberOfPages), Top);
  }

  // Arguments the helpers refuse.
  assert_int_equal (DxememAddOvmfLikeMemory (NULL, 0, SIZE_16MB, NULL, 0), EFI_INVALID_PARAMETER);
  assert_int_equal (DxememAddOvmfLikeMemory (Mirror.allocator, 0x1000, SIZE_16MB, NULL, 0), EFI_INVALID_PARAMETER);
  assert_int_equal (DxememAddOvmfLikeMemory (Mirror.allocator, 0, SIZE_4MB, NULL, 0), EFI_INVALID_PARAMETER);
  assert_int_equal (DxememAddOvmfLikeMemory (Mirror.allocator, 0, SIZE_16MB + 1, NULL, 0), EFI_INVALID_PARAMETER);
  // Setup is closed on an instance that has its map already.
  assert_int_equal (
    DxememAddOvmfLikeMemory (Mirror.allocator, Firmware.Host.region.base, REGION_SIZE, NULL, 0),
    EFI_ALREADY_STARTED
    );
  assert_int_equal (DxememCreateOvmfLikePlatform (SIZE_64MB, NULL), EFI_INVALID_PARAMETER);
  assert_int_equal (DxememCreateOvmfLikePlatform (SIZE_1MB, &Other), EFI_INVALID_PARAMETER);
  assert_null (Other.SystemTable);
  AssertSameMap ();
}

// ---- pages ----------------------------------------------------------------------

static void *
AllocatePagesOnBoth (
  UINT32  Type,
  UINTN   Pages,
  VOID *(EFIAPI *Allocate)(UINTN)
  )
{
  VOID      *Buffer = Allocate (Pages);
  uint64_t  Address = MirrorAllocatePages (Type, Pages);

  assert_non_null (Buffer);
  assert_int_equal ((UINTN)Buffer, Address);
  // The address is usable memory of the firmware instance's region.
  assert_ptr_equal (dxemem_phys_to_host (Firmware.Host.allocator, Address, EFI_PAGES_TO_SIZE (Pages)), Buffer);
  SetMem (Buffer, EFI_PAGES_TO_SIZE (Pages), 0xA5);
  AssertSameMap ();
  return Buffer;
}

static void
TestAllocatePages (
  void  **State
  )
{
  VOID  *Data;
  VOID  *Runtime;
  VOID  *Reserved;

  (void)State;
  Data     = AllocatePagesOnBoth (EfiBootServicesData, 3, AllocatePages);
  Runtime  = AllocatePagesOnBoth (EfiRuntimeServicesData, 2, AllocateRuntimePages);
  Reserved = AllocatePagesOnBoth (EfiReservedMemoryType, 1, AllocateReservedPages);

  FreePages (Runtime, 2);
  assert_int_equal (dxemem_free_pages (Mirror.allocator, (UINTN)Runtime, 2), DXEMEM_SUCCESS);
  AssertSameMap ();
  FreePages (Data, 3);
  assert_int_equal (dxemem_free_pages (Mirror.allocator, (UINTN)Data, 3), DXEMEM_SUCCESS);
  AssertSameMap ();
  FreePages (Reserved, 1);
  assert_int_equal (dxemem_free_pages (Mirror.allocator, (UINTN)Reserved, 1), DXEMEM_SUCCESS);
  AssertSameMap ();
}

// AllocateAlignedPages over-allocates, then frees the unaligned head and
// tail: the mirror takes the same steps through dxemem's API.
static uint64_t
MirrorAllocateAligned (
  uint32_t  Type,
  uint64_t  Pages,
  uint64_t  Alignment
  )
{
  if (Alignment <= EFI_PAGE_SIZE) {
    // Page alignment or less: no over-allocation.
    return MirrorAllocatePages (Type, Pages);
  }

  uint64_t  RealPages = Pages + EFI_SIZE_TO_PAGES (Alignment);
  uint64_t  Memory    = MirrorAllocatePages (Type, RealPages);
  uint64_t  Aligned   = (Memory + Alignment - 1) & ~(Alignment - 1);
  uint64_t  Head      = EFI_SIZE_TO_PAGES (Aligned - Memory);
  uint64_t  Tail      = RealPages - Pages - Head;

  if (Head > 0) {
    assert_int_equal (dxemem_free_pages (Mirror.allocator, Memory, Head), DXEMEM_SUCCESS);
  }

  if (Tail > 0) {
    assert_int_equal (dxemem_free_pages (Mirror.allocator, Aligned + EFI_PAGES_TO_SIZE (Pages), Tail), DXEMEM_SUCCESS);
  }

  return Aligned;
}

static void
TestAllocateAlignedPages (
  void  **State
  )
{
  static const UINTN  Alignments[] = { SIZE_64KB, SIZE_2MB, SIZE_4KB };
  UINTN               Index;
  VOID                *Buffers[ARRAY_SIZE (Alignments)];

  (void)State;
  // A one-page hole first, so that the 64 KiB case frees a head and a tail.
  VOID  *Hole = AllocatePagesOnBoth (EfiBootServicesData, 1, AllocatePages);

  for (Index = 0; Index < ARRAY_SIZE (Alignments); Index++) {
    Buffers[Index] = AllocateAlignedPages (5, Alignments[Index]);
    assert_non_null (Buffers[Index]);
    assert_int_equal ((UINTN)Buffers[Index] % Alignments[Index], 0);
    assert_int_equal ((UINTN)Buffers[Index], MirrorAllocateAligned (EfiBootServicesData, 5, Alignments[Index]));
    AssertSameMap ();
  }

  // Runtime pages at an alignment, as runtime drivers ask.
  VOID  *Runtime = AllocateAlignedRuntimePages (2, SIZE_64KB);
  assert_int_equal ((UINTN)Runtime, MirrorAllocateAligned (EfiRuntimeServicesData, 2, SIZE_64KB));
  AssertSameMap ();

  for (Index = 0; Index < ARRAY_SIZE (Alignments); Index++) {
    FreeAlignedPages (Buffers[Index], 5);
    assert_int_equal (dxemem_free_pages (Mirror.allocator, (UINTN)Buffers[Index], 5), DXEMEM_SUCCESS);
    AssertSameMap ();
  }

  FreeAlignedPages (Runtime, 2);
  assert_int_equal (dxemem_free_pages (Mirror.allocator, (UINTN)Runtime, 2), DXEMEM_SUCCESS);
  FreePages (Hole, 1);
  assert_int_equal (dxemem_free_pages (Mirror.allocator, (UINTN)Hole, 1), DXEMEM_SUCCESS);
  AssertSameMap ();
}

// gBS called directly: the statuses of bad calls are the DXE core's.
static void
TestBootServicesStatuses (
  void  **State
  )
{
  EFI_PHYSICAL_ADDRESS  Address;
  uint64_t              MirrorAddress;
  UINTN                 Size;

  (void)State;
  // Below 4 GiB, as ACPI table and DMA buffer allocations ask.
  Address       = MAX_UINT32;
  MirrorAddress = MAX_UINT32;
  assert_int_equal (
    gBS->AllocatePages (AllocateMaxAddress, EfiACPIReclaimMemory, 4, &Address),
    dxemem_allocate_pages (Mirror.allocator, DXEMEM_ALLOCATE_MAX_ADDRESS, DXEMEM_ACPI_RECLAIM_MEMORY, 4, &MirrorAddress)
    );
  assert_int_equal (Address, MirrorAddress);
  AssertSameMap ();

  // The same pages again at their address: EFI_NOT_FOUND on both.
  assert_int_equal (gBS->AllocatePages (AllocateAddress, EfiBootServicesData, 1, &Address), EFI_NOT_FOUND);
  assert_int_equal (
    dxemem_allocate_pages (Mirror.allocator, DXEMEM_ALLOCATE_ADDRESS, DXEMEM_BOOT_SERVICES_DATA, 1, &MirrorAddress),
    DXEMEM_NOT_FOUND
    );
  assert_int_equal (gBS->FreePages (Address, 4), EFI_SUCCESS);
  assert_int_equal (dxemem_free_pages (Mirror.allocator, MirrorAddress, 4), DXEMEM_SUCCESS);
  // A double free, an unaligned free, a bad type, no output pointer.
  assert_int_equal (gBS->FreePages (Address, 4), EFI_NOT_FOUND);
  assert_int_equal (dxemem_free_pages (Mirror.allocator, MirrorAddress, 4), DXEMEM_NOT_FOUND);
  assert_int_equal (gBS->FreePages (Address + 1, 1), EFI_INVALID_PARAMETER);
  assert_int_equal (gBS->AllocatePages (AllocateAnyPages, EfiConventionalMemory, 1, &Address), EFI_INVALID_PARAMETER);
  assert_int_equal (gBS->AllocatePages (AllocateAnyPages, EfiBootServicesData, 1, NULL), EFI_INVALID_PARAMETER);
  assert_int_equal (gBS->AllocatePages (MaxAllocateType, EfiBootServicesData, 1, &Address), EFI_INVALID_PARAMETER);
  // Too many pages for the region.
  assert_int_equal (
    gBS->AllocatePages (AllocateAnyPages, EfiBootServicesData, EFI_SIZE_TO_PAGES (REGION_SIZE), &Address),
    EFI_OUT_OF_RESOURCES
    );
  AssertSameMap ();

  // GetMemoryMap's own checks.
  assert_int_equal (gBS->GetMemoryMap (NULL, NULL, NULL, NULL, NULL), EFI_INVALID_PARAMETER);
  Size = FirmwareMap.Size - 1;
  {
    UINTN   Key, DescriptorSize;
    UINT32  Version;
    uint64_t  MirrorSize = Size, MirrorKey, MirrorDescriptorSize;
    uint32_t  MirrorVersion;

    assert_int_equal (
      gBS->GetMemoryMap (&Size, (EFI_MEMORY_DESCRIPTOR *)FirmwareMap.Bytes, &Key, &DescriptorSize, &Version),
      EFI_BUFFER_TOO_SMALL
      );
    assert_int_equal (
      dxemem_get_memory_map (Mirror.allocator, &MirrorSize, (dxemem_memory_descriptor *)MirrorMap.Bytes, &MirrorKey, &MirrorDescriptorSize, &MirrorVersion),
      DXEMEM_BUFFER_TOO_SMALL
      );
    assert_int_equal (Size, MirrorSize);
    assert_int_equal (Key, MirrorKey);
  }
}

// ---- pool -----------------------------------------------------------------------

static uint64_t
MirrorAllocatePool (
  uint32_t  PoolType,
  uint64_t  Size
  )
{
  uint64_t  Address = 0;

  assert_int_equal (dxemem_allocate_pool (Mirror.allocator, PoolType, Size, &Address), DXEMEM_SUCCESS);
  return Address;
}

static void
MirrorFreePool (
  uint64_t  Address
  )
{
  assert_int_equal (dxemem_free_pool (Mirror.allocator, Address, NULL), DXEMEM_SUCCESS);
}

// Pool usage of a type agrees, and the maps do.
static void
AssertSamePool (
  uint32_t  PoolType
  )
{
  uint64_t  FirmwareUsed = 0;
  uint64_t  MirrorUsed   = 1;

  assert_int_equal (dxemem_get_pool_used (Firmware.Host.allocator, PoolType, &FirmwareUsed), DXEMEM_SUCCESS);
  assert_int_equal (dxemem_get_pool_used (Mirror.allocator, PoolType, &MirrorUsed), DXEMEM_SUCCESS);
  assert_int_equal (FirmwareUsed, MirrorUsed);
  AssertSameMap ();
}

static void
TestPool (
  void  **State
  )
{
  static const UINT8  Pattern[] = "dxemem: Pool.c through gBS";
  UINT8               *Plain;
  UINT8               *Zero;
  UINT8               *Copy;
  UINT8               *Bigger;
  UINT8               *Reserved;
  UINT8               *Runtime;
  UINTN               Index;

  (void)State;
  // AllocatePool, scribbled over, then freed: its block is reused first.
  Plain = AllocatePool (200);
  assert_int_equal ((UINTN)Plain, MirrorAllocatePool (EfiBootServicesData, 200));
  SetMem (Plain, 200, 0xAA);
  AssertSamePool (EfiBootServicesData);
  FreePool (Plain);
  MirrorFreePool ((UINTN)Plain);
  AssertSamePool (EfiBootServicesData);

  // AllocateZeroPool gets that block back, zeroed by edk2's ZeroMem.
  Zero = AllocateZeroPool (200);
  assert_int_equal ((UINTN)Zero, MirrorAllocatePool (EfiBootServicesData, 200));
  assert_ptr_equal (Zero, Plain);
  for (Index = 0; Index < 200; Index++) {
    assert_int_equal (Zero[Index], 0);
  }

  // AllocateCopyPool: a new block with the bytes.
  Copy = AllocateCopyPool (sizeof Pattern, Pattern);
  assert_int_equal ((UINTN)Copy, MirrorAllocatePool (EfiBootServicesData, sizeof Pattern));
  assert_memory_equal (Copy, Pattern, sizeof Pattern);
  AssertSamePool (EfiBootServicesData);

  // ReallocatePool: a zeroed new block, the old bytes copied, the old freed.
  Bigger = ReallocatePool (sizeof Pattern, 3000, Copy);
  assert_int_equal ((UINTN)Bigger, MirrorAllocatePool (EfiBootServicesData, 3000));
  MirrorFreePool ((UINTN)Copy);
  assert_memory_equal (Bigger, Pattern, sizeof Pattern);
  for (Index = sizeof Pattern; Index < 3000; Index++) {
    assert_int_equal (Bigger[Index], 0);
  }

  AssertSamePool (EfiBootServicesData);

  // Other pool types, each in its own pool (and its own bin's pages).
  Reserved = AllocateReservedPool (100);
  assert_int_equal ((UINTN)Reserved, MirrorAllocatePool (EfiReservedMemoryType, 100));
  AssertSamePool (EfiReservedMemoryType);
  Runtime = AllocateRuntimeZeroPool (5000);
  assert_int_equal ((UINTN)Runtime, MirrorAllocatePool (EfiRuntimeServicesData, 5000));
  AssertSamePool (EfiRuntimeServicesData);

  // Bad calls: the statuses of CoreAllocatePool / CoreFreePool.
  {
    VOID      *Buffer = (VOID *)(UINTN)1;
    uint64_t  Address;

    assert_int_equal (gBS->AllocatePool (EfiConventionalMemory, 16, &Buffer), EFI_INVALID_PARAMETER);
    assert_int_equal (gBS->AllocatePool (EfiBootServicesData, 16, NULL), EFI_INVALID_PARAMETER);
    assert_int_equal (
      gBS->AllocatePool (EfiBootServicesData, REGION_SIZE, &Buffer),
      dxemem_allocate_pool (Mirror.allocator, DXEMEM_BOOT_SERVICES_DATA, REGION_SIZE, &Address)
      );
    assert_null (Buffer);
    assert_int_equal (gBS->FreePool (NULL), EFI_INVALID_PARAMETER);
    // A page allocation is no pool buffer.
    Buffer = AllocatePages (1);
    assert_int_equal ((UINTN)Buffer, MirrorAllocatePages (EfiBootServicesData, 1));
    SetMem (Buffer, EFI_PAGE_SIZE, 0);
    SetMem (MirrorHost ((UINTN)Buffer, EFI_PAGE_SIZE), EFI_PAGE_SIZE, 0);
    assert_int_equal (
      gBS->FreePool ((UINT8 *)Buffer + 64),
      dxemem_free_pool (Mirror.allocator, (UINTN)Buffer + 64, NULL)
      );
    FreePages (Buffer, 1);
    assert_int_equal (dxemem_free_pages (Mirror.allocator, (UINTN)Buffer, 1), DXEMEM_SUCCESS);
  }

  FreePool (Zero);
  MirrorFreePool ((UINTN)Zero);
  FreePool (Bigger);
  MirrorFreePool ((UINTN)Bigger);
  FreePool (Reserved);
  MirrorFreePool ((UINTN)Reserved);
  FreePool (Runtime);
  MirrorFreePool ((UINTN)Runtime);
  AssertSamePool (EfiBootServicesData);
  AssertSamePool (EfiReservedMemoryType);
  AssertSamePool (EfiRuntimeServicesData);
}

// ---- ExitBootServices: the map key decides ----------------------------------------

static void
TestExitBootServices (
  void  **State
  )
{
  (void)State;
  AssertSameMap ();
  // A key that is not the latest map's, as a loader racing an event gets.
  assert_int_equal (gBS->ExitBootServices (gImageHandle, FirmwareMap.Key + 1), EFI_INVALID_PARAMETER);
  assert_int_equal (dxemem_terminate_memory_map (Mirror.allocator, MirrorMap.Key + 1), DXEMEM_INVALID_PARAMETER);
  assert_non_null (gST->BootServices);

  assert_int_equal (gBS->ExitBootServices (gImageHandle, FirmwareMap.Key), EFI_SUCCESS);
  assert_int_equal (dxemem_terminate_memory_map (Mirror.allocator, MirrorMap.Key), DXEMEM_SUCCESS);
  assert_null (gST->BootServices);
  {
    EFI_SYSTEM_TABLE  Copy = *gST;
    UINT32            Computed;

    Copy.Hdr.CRC32 = 0;
    assert_int_equal (gBS->CalculateCrc32 (&Copy, sizeof Copy, &Computed), EFI_SUCCESS);
    assert_int_equal (Computed, gST->Hdr.CRC32);
  }
}

int
main (
  void
  )
{
  const struct CMUnitTest  Tests[] = {
    cmocka_unit_test (TestTablesAreEdk2s),
    cmocka_unit_test (TestOvmfLikeSetup),
    cmocka_unit_test (TestAllocatePages),
    cmocka_unit_test (TestAllocateAlignedPages),
    cmocka_unit_test (TestBootServicesStatuses),
    cmocka_unit_test (TestPool),
    cmocka_unit_test (TestExitBootServices),
  };

  return cmocka_run_group_tests (Tests, SetUpPlatforms, TearDownPlatforms);
}
