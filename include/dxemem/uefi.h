/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * UEFI-compatible values under dxemem's own prefix: status codes, memory
 * types, allocation types, attribute bits and the memory descriptor layout.
 * They carry the UEFI values, so a host test can pass them straight to or
 * from edk2 code, but never clash with edk2's own headers.
 */
#ifndef DXEMEM_UEFI_H
#define DXEMEM_UEFI_H

#include <stdint.h>

/* EFI_STATUS: high bit set means error. */
typedef uint64_t dxemem_status;

#define DXEMEM_ERROR_BIT            (UINT64_C(1) << 63)
#define DXEMEM_ERROR(code)          (DXEMEM_ERROR_BIT | (uint64_t)(code))
#define DXEMEM_IS_ERROR(status)     (((status) & DXEMEM_ERROR_BIT) != 0)

#define DXEMEM_SUCCESS              UINT64_C(0)
#define DXEMEM_LOAD_ERROR           DXEMEM_ERROR(1)
#define DXEMEM_INVALID_PARAMETER    DXEMEM_ERROR(2)
#define DXEMEM_UNSUPPORTED          DXEMEM_ERROR(3)
#define DXEMEM_BAD_BUFFER_SIZE      DXEMEM_ERROR(4)
#define DXEMEM_BUFFER_TOO_SMALL     DXEMEM_ERROR(5)
#define DXEMEM_NOT_READY            DXEMEM_ERROR(6)
#define DXEMEM_DEVICE_ERROR         DXEMEM_ERROR(7)
#define DXEMEM_WRITE_PROTECTED      DXEMEM_ERROR(8)
#define DXEMEM_OUT_OF_RESOURCES     DXEMEM_ERROR(9)
#define DXEMEM_VOLUME_CORRUPTED     DXEMEM_ERROR(10)
#define DXEMEM_NOT_FOUND            DXEMEM_ERROR(14)
#define DXEMEM_ACCESS_DENIED        DXEMEM_ERROR(15)
#define DXEMEM_ALREADY_STARTED      DXEMEM_ERROR(20)
#define DXEMEM_ABORTED              DXEMEM_ERROR(21)

/* EFI_MEMORY_TYPE values. */
enum {
  DXEMEM_RESERVED_MEMORY_TYPE = 0,
  DXEMEM_LOADER_CODE = 1,
  DXEMEM_LOADER_DATA = 2,
  DXEMEM_BOOT_SERVICES_CODE = 3,
  DXEMEM_BOOT_SERVICES_DATA = 4,
  DXEMEM_RUNTIME_SERVICES_CODE = 5,
  DXEMEM_RUNTIME_SERVICES_DATA = 6,
  DXEMEM_CONVENTIONAL_MEMORY = 7,
  DXEMEM_UNUSABLE_MEMORY = 8,
  DXEMEM_ACPI_RECLAIM_MEMORY = 9,
  DXEMEM_ACPI_MEMORY_NVS = 10,
  DXEMEM_MEMORY_MAPPED_IO = 11,
  DXEMEM_MEMORY_MAPPED_IO_PORT_SPACE = 12,
  DXEMEM_PAL_CODE = 13,
  DXEMEM_PERSISTENT_MEMORY = 14,
  DXEMEM_UNACCEPTED_MEMORY_TYPE = 15,
  DXEMEM_MAX_MEMORY_TYPE = 16
};
#define DXEMEM_OEM_RESERVED_MIN     UINT32_C(0x70000000)
#define DXEMEM_OEM_RESERVED_MAX     UINT32_C(0x7fffffff)
#define DXEMEM_OS_RESERVED_MIN      UINT32_C(0x80000000)
#define DXEMEM_OS_RESERVED_MAX      UINT32_C(0xffffffff)

/* EFI_ALLOCATE_TYPE values. */
enum {
  DXEMEM_ALLOCATE_ANY_PAGES = 0,
  DXEMEM_ALLOCATE_MAX_ADDRESS = 1,
  DXEMEM_ALLOCATE_ADDRESS = 2,
  DXEMEM_MAX_ALLOCATE_TYPE = 3
};

/* EFI_MEMORY_* attribute bits. */
#define DXEMEM_MEMORY_UC            UINT64_C(0x0000000000000001)
#define DXEMEM_MEMORY_WC            UINT64_C(0x0000000000000002)
#define DXEMEM_MEMORY_WT            UINT64_C(0x0000000000000004)
#define DXEMEM_MEMORY_WB            UINT64_C(0x0000000000000008)
#define DXEMEM_MEMORY_UCE           UINT64_C(0x0000000000000010)
#define DXEMEM_MEMORY_WP            UINT64_C(0x0000000000001000)
#define DXEMEM_MEMORY_RP            UINT64_C(0x0000000000002000)
#define DXEMEM_MEMORY_XP            UINT64_C(0x0000000000004000)
#define DXEMEM_MEMORY_NV            UINT64_C(0x0000000000008000)
#define DXEMEM_MEMORY_MORE_RELIABLE UINT64_C(0x0000000000010000)
#define DXEMEM_MEMORY_RO            UINT64_C(0x0000000000020000)
#define DXEMEM_MEMORY_SP            UINT64_C(0x0000000000040000)
#define DXEMEM_MEMORY_CPU_CRYPTO    UINT64_C(0x0000000000080000)
#define DXEMEM_MEMORY_RUNTIME       UINT64_C(0x8000000000000000)
/* The access bits GetMemoryMap clears: RP, XP, RO. */
#define DXEMEM_MEMORY_ACCESS_MASK   (DXEMEM_MEMORY_RP | DXEMEM_MEMORY_XP | DXEMEM_MEMORY_RO)

#define DXEMEM_PAGE_SIZE            UINT64_C(0x1000)
#define DXEMEM_PAGE_MASK            UINT64_C(0xfff)
#define DXEMEM_PAGE_SHIFT           12

/* EFI_MEMORY_DESCRIPTOR, 40 bytes; GetMemoryMap strides by descriptor_size. */
typedef struct dxemem_memory_descriptor {
  uint32_t type;
  uint32_t pad;
  uint64_t physical_start;
  uint64_t virtual_start;
  uint64_t number_of_pages;
  uint64_t attribute;
} dxemem_memory_descriptor;

#define DXEMEM_MEMORY_DESCRIPTOR_VERSION 1u

/* Steps to the next descriptor of a map returned by dxemem_get_memory_map. */
#define DXEMEM_NEXT_DESCRIPTOR(desc, size) \
  ((dxemem_memory_descriptor *)((uint8_t *)(desc) + (size)))

/* EFI_MEMORY_TYPE_INFORMATION: one gMemoryTypeInformation slot. */
typedef struct dxemem_memory_type_information {
  uint32_t type;
  uint32_t number_of_pages;
} dxemem_memory_type_information;

#endif /* DXEMEM_UEFI_H */
