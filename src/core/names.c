/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/* UEFI names of status codes and memory types. */
#include "internal.h"

const char *dxemem_status_name(dxemem_status status) {
  static const char *const errors[] = {
      [1] = "EFI_LOAD_ERROR",       [2] = "EFI_INVALID_PARAMETER",
      [3] = "EFI_UNSUPPORTED",      [4] = "EFI_BAD_BUFFER_SIZE",
      [5] = "EFI_BUFFER_TOO_SMALL", [6] = "EFI_NOT_READY",
      [7] = "EFI_DEVICE_ERROR",     [8] = "EFI_WRITE_PROTECTED",
      [9] = "EFI_OUT_OF_RESOURCES", [10] = "EFI_VOLUME_CORRUPTED",
      [11] = "EFI_VOLUME_FULL",     [12] = "EFI_NO_MEDIA",
      [13] = "EFI_MEDIA_CHANGED",   [14] = "EFI_NOT_FOUND",
      [15] = "EFI_ACCESS_DENIED",   [16] = "EFI_NO_RESPONSE",
      [17] = "EFI_NO_MAPPING",      [18] = "EFI_TIMEOUT",
      [19] = "EFI_NOT_STARTED",     [20] = "EFI_ALREADY_STARTED",
      [21] = "EFI_ABORTED",
  };
  if (status == DXEMEM_SUCCESS) {
    return "EFI_SUCCESS";
  }
  if (!DXEMEM_IS_ERROR(status)) {
    return NULL;
  }
  uint64_t code = status & ~DXEMEM_ERROR_BIT;
  if (code < sizeof errors / sizeof errors[0]) {
    return errors[code];
  }
  return NULL;
}

/* The names with their lengths, so a look-up by name compares only the
 * names of the right length. */
#define TYPE_NAME(text) {text, sizeof(text) - 1u}
static const struct {
  const char *text;
  size_t length;
} type_names[] = {
    TYPE_NAME("EfiReservedMemoryType"),
    TYPE_NAME("EfiLoaderCode"),
    TYPE_NAME("EfiLoaderData"),
    TYPE_NAME("EfiBootServicesCode"),
    TYPE_NAME("EfiBootServicesData"),
    TYPE_NAME("EfiRuntimeServicesCode"),
    TYPE_NAME("EfiRuntimeServicesData"),
    TYPE_NAME("EfiConventionalMemory"),
    TYPE_NAME("EfiUnusableMemory"),
    TYPE_NAME("EfiACPIReclaimMemory"),
    TYPE_NAME("EfiACPIMemoryNVS"),
    TYPE_NAME("EfiMemoryMappedIO"),
    TYPE_NAME("EfiMemoryMappedIOPortSpace"),
    TYPE_NAME("EfiPalCode"),
    TYPE_NAME("EfiPersistentMemory"),
    TYPE_NAME("EfiUnacceptedMemoryType"),
    TYPE_NAME("EfiMaxMemoryType"),
};
#undef TYPE_NAME

const char *dxemem_memory_type_name(uint32_t type) {
  if (type < sizeof type_names / sizeof type_names[0]) {
    return type_names[type].text;
  }
  return NULL;
}

bool dxemem_memory_type_from_name(const char *text, size_t length,
                                  uint32_t *type) {
  if (text == NULL || type == NULL) {
    return false;
  }
  for (uint32_t t = 0; t < sizeof type_names / sizeof type_names[0]; t++) {
    if (type_names[t].length != length) {
      continue;
    }
    /* From the end: names of one length differ there ("...Code",
     * "...Data"), and they all start "Efi". */
    size_t i = length;
    while (i > 0 && type_names[t].text[i - 1] == text[i - 1]) {
      i--;
    }
    if (i == 0) {
      *type = t;
      return true;
    }
  }
  return false;
}

/* ---- references --------------------------------------------------------- */

static const dx_reference_ops *const references[DXEMEM_REFERENCE_COUNT] = {
    [DXEMEM_REFERENCE_EDK2_STABLE202605] = &dx_reference_stable202605,
    [DXEMEM_REFERENCE_EDK2_MASTER_2026_08] = &dx_reference_master_2026_08,
};

/* The seam table of a reference; NULL for an unknown value. */
const dx_reference_ops *dx_reference_ops_of(uint32_t reference) {
  return reference < DXEMEM_REFERENCE_COUNT ? references[reference] : NULL;
}

const char *dxemem_reference_name(uint32_t reference) {
  const dx_reference_ops *ops = dx_reference_ops_of(reference);
  return ops != NULL ? ops->name : NULL;
}

static bool same_text(const char *a, const char *b) {
  while (*a != '\0' && *a == *b) {
    a++;
    b++;
  }
  return *a == *b;
}

bool dxemem_reference_from_name(const char *name, uint32_t *out) {
  if (name == NULL || out == NULL) {
    return false;
  }
  for (uint32_t r = 0; r < DXEMEM_REFERENCE_COUNT; r++) {
    if (same_text(name, references[r]->name)) {
      *out = r;
      return true;
    }
  }
  return false;
}
