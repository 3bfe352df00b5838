/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/* names.c: UEFI names of status codes and memory types. */
#include "core_test.h"

#include <string.h>

static void test_status_names(void **state) {
  (void)state;
  static const struct {
    dxemem_status status;
    const char *name;
  } known[] = {
      {DXEMEM_SUCCESS, "EFI_SUCCESS"},
      {DXEMEM_LOAD_ERROR, "EFI_LOAD_ERROR"},
      {DXEMEM_INVALID_PARAMETER, "EFI_INVALID_PARAMETER"},
      {DXEMEM_UNSUPPORTED, "EFI_UNSUPPORTED"},
      {DXEMEM_BAD_BUFFER_SIZE, "EFI_BAD_BUFFER_SIZE"},
      {DXEMEM_BUFFER_TOO_SMALL, "EFI_BUFFER_TOO_SMALL"},
      {DXEMEM_NOT_READY, "EFI_NOT_READY"},
      {DXEMEM_DEVICE_ERROR, "EFI_DEVICE_ERROR"},
      {DXEMEM_WRITE_PROTECTED, "EFI_WRITE_PROTECTED"},
      {DXEMEM_OUT_OF_RESOURCES, "EFI_OUT_OF_RESOURCES"},
      {DXEMEM_VOLUME_CORRUPTED, "EFI_VOLUME_CORRUPTED"},
      {DXEMEM_ERROR(11), "EFI_VOLUME_FULL"},
      {DXEMEM_ERROR(12), "EFI_NO_MEDIA"},
      {DXEMEM_ERROR(13), "EFI_MEDIA_CHANGED"},
      {DXEMEM_NOT_FOUND, "EFI_NOT_FOUND"},
      {DXEMEM_ACCESS_DENIED, "EFI_ACCESS_DENIED"},
      {DXEMEM_ERROR(16), "EFI_NO_RESPONSE"},
      {DXEMEM_ERROR(17), "EFI_NO_MAPPING"},
      {DXEMEM_ERROR(18), "EFI_TIMEOUT"},
      {DXEMEM_ERROR(19), "EFI_NOT_STARTED"},
      {DXEMEM_ALREADY_STARTED, "EFI_ALREADY_STARTED"},
      {DXEMEM_ABORTED, "EFI_ABORTED"},
  };
  for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
    const char *name = dxemem_status_name(known[i].status);
    assert_non_null(name);
    assert_string_equal(name, known[i].name);
  }
}

/* Codes without a name: past EFI_ABORTED, the error bit alone, warnings. */
static void test_status_without_name(void **state) {
  (void)state;
  assert_null(dxemem_status_name(DXEMEM_ERROR(22)));
  assert_null(dxemem_status_name(DXEMEM_ERROR(0x63)));
  assert_null(dxemem_status_name(DXEMEM_ERROR(0x7fffffffffffffff)));
  assert_null(dxemem_status_name(DXEMEM_ERROR_BIT));
  assert_null(dxemem_status_name(1)); /* EFI_WARN_UNKNOWN_GLYPH */
  assert_null(dxemem_status_name(UINT64_C(0x7fffffffffffffff)));
}

static void test_memory_type_names(void **state) {
  (void)state;
  static const char *const names[] = {"EfiReservedMemoryType",
                                      "EfiLoaderCode",
                                      "EfiLoaderData",
                                      "EfiBootServicesCode",
                                      "EfiBootServicesData",
                                      "EfiRuntimeServicesCode",
                                      "EfiRuntimeServicesData",
                                      "EfiConventionalMemory",
                                      "EfiUnusableMemory",
                                      "EfiACPIReclaimMemory",
                                      "EfiACPIMemoryNVS",
                                      "EfiMemoryMappedIO",
                                      "EfiMemoryMappedIOPortSpace",
                                      "EfiPalCode",
                                      "EfiPersistentMemory",
                                      "EfiUnacceptedMemoryType",
                                      "EfiMaxMemoryType"};
  for (uint32_t t = 0; t <= DXEMEM_MAX_MEMORY_TYPE; t++) {
    const char *name = dxemem_memory_type_name(t);
    assert_non_null(name);
    assert_string_equal(name, names[t]);
  }
  assert_null(dxemem_memory_type_name(17));
  assert_null(dxemem_memory_type_name(DXEMEM_OEM_RESERVED_MIN));
  assert_null(dxemem_memory_type_name(DXEMEM_OS_RESERVED_MAX));
}

/* The look-up by name finds each type from its name alone (no NUL after
 * it), and nothing else: a near miss of either end, another length, an
 * empty or missing text. */
static void test_memory_type_from_name(void **state) {
  (void)state;
  for (uint32_t t = 0; t <= DXEMEM_MAX_MEMORY_TYPE; t++) {
    char text[40];
    const char *name = dxemem_memory_type_name(t);
    size_t length = strlen(name);
    memcpy(text, name, length);
    text[length] = 'x'; /* not NUL-terminated where it ends */
    uint32_t found = 99;
    assert_true(dxemem_memory_type_from_name(text, length, &found));
    assert_int_equal(found, t);
    text[length - 1] ^= 0x20; /* last byte differs */
    assert_false(dxemem_memory_type_from_name(text, length, &found));
    text[length - 1] ^= 0x20;
    text[0] = 'e'; /* first byte differs */
    assert_false(dxemem_memory_type_from_name(text, length, &found));
    text[0] = 'E';
    assert_false(dxemem_memory_type_from_name(text, length - 1, &found));
    assert_false(dxemem_memory_type_from_name(text, length + 1, &found));
    assert_int_equal(found, t);
  }
  uint32_t found = 99;
  assert_false(dxemem_memory_type_from_name("EfiBootServicesCodf", 19, &found));
  assert_false(dxemem_memory_type_from_name("", 0, &found));
  assert_false(dxemem_memory_type_from_name(NULL, 3, &found));
  assert_false(dxemem_memory_type_from_name("EfiPalCode", 10, NULL));
  assert_int_equal(found, 99);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_status_names),
      cmocka_unit_test(test_status_without_name),
      cmocka_unit_test(test_memory_type_names),
      cmocka_unit_test(test_memory_type_from_name),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
