/** @file
  The one BaseLib function edk2's BaseMemoryLib calls (SetMem.c widens the
  fill value with LShiftU64); ../shared/edk2 holds no BaseLib, so the test
  brings this piece with the prototype of edk2's own Library/BaseLib.h.

  SPDX-License-Identifier: BSD-2-Clause-Patent
**/
#include <Base.h>
#include <Library/BaseLib.h>

UINT64
EFIAPI
LShiftU64 (
  IN UINT64  Operand,
  IN UINTN   Count
  )
{
  return Count < 64 ? Operand << Count : 0;
}
