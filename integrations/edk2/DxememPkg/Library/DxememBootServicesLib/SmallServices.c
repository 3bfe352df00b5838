/** @file
  The boot services DxememBootServicesLib implements without any firmware
  behind them: RaiseTPL/RestoreTPL (a TPL variable), CopyMem, SetMem,
  CalculateCrc32 and GetNextMonotonicCount.

  SPDX-License-Identifier: BSD-2-Clause-Patent
**/

#include "DxememBootServicesLibInternal.h"

STATIC EFI_TPL  mTpl = TPL_APPLICATION;
STATIC UINT64   mMonotonicCount;

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

VOID
DxememFillSmallServices (
  IN OUT EFI_BOOT_SERVICES  *BootServices
  )
{
  mTpl                                = TPL_APPLICATION;
  BootServices->RaiseTPL              = DxememRaiseTpl;
  BootServices->RestoreTPL            = DxememRestoreTpl;
  BootServices->CopyMem               = DxememCopyMem;
  BootServices->SetMem                = DxememSetMem;
  BootServices->CalculateCrc32        = DxememCalculateCrc32;
  BootServices->GetNextMonotonicCount = DxememGetNextMonotonicCount;
}
