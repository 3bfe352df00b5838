/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * The heap guard on the host (src/host/guard.c): guard pages and guarded
 * freed memory really fault, and the fault comes back as a report naming
 * the allocation. Each test writes where a buggy caller would:
 *
 *   one byte past a guarded AllocatePool buffer (BIT7 clear: the buffer
 *   ends at the tail guard)      | head | ... POOL_HEAD buffer |X tail |
 *   one byte past a guarded page allocation   | head | a a |X tail |
 *   into pages freed under the freed-memory guard         | X freed |
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "dxemem/host.h"

#define BASE UINT64_C(0x10000000)
#define SIZE UINT64_C(0x400000)

static void make(dxemem_host_instance *h, uint8_t property, uint64_t pages,
                 uint64_t pools) {
  dxemem_config config = {.region_base = BASE, .region_size = SIZE};
  assert_int_equal(dxemem_host_create(&config, h), DXEMEM_SUCCESS);
  assert_non_null(h->cpu);
  assert_int_equal(dxemem_set_heap_guard(h->allocator, property, pages, pools),
                   DXEMEM_SUCCESS);
  assert_int_equal(dxemem_add_memory_descriptor(
                       h->allocator, DXEMEM_CONVENTIONAL_MEMORY, BASE,
                       SIZE >> 12, 0xf),
                   DXEMEM_SUCCESS);
  assert_int_equal(dxemem_host_guard_protect(h, true), DXEMEM_SUCCESS);
}

typedef struct write_job {
  volatile uint8_t *at;
} write_job;

static void write_byte(void *context) {
  write_job *job = context;
  *job->at = 0x5a;
}

static bool write_faults(dxemem_host_instance *h, uint64_t phys,
                         dxemem_host_guard_fault *fault) {
  write_job job = {dxemem_phys_to_host(h->allocator, phys, 1)};
  assert_non_null((void *)job.at);
  return dxemem_host_guard_catch(write_byte, &job, fault);
}

static void test_pool_overrun_by_one_byte(void **state) {
  (void)state;
  dxemem_host_instance h;
  make(&h, DXEMEM_GUARD_POOL, 0, UINT64_C(1) << DXEMEM_BOOT_SERVICES_DATA);
  dxemem_host_guard_set_call(&h, "test: AllocatePool 104");
  uint64_t buffer = 0;
  assert_int_equal(dxemem_allocate_pool(h.allocator, DXEMEM_BOOT_SERVICES_DATA,
                                        104, &buffer),
                   DXEMEM_SUCCESS);
  dxemem_host_guard_fault fault;
  assert_false(write_faults(&h, buffer + 103, &fault)); /* its last byte */
  assert_true(write_faults(&h, buffer + 104, &fault));  /* one past */
  assert_int_equal(fault.address, buffer + 104);
  assert_int_equal(fault.kind, DXEMEM_GUARD_KIND_TAIL);
  assert_int_equal(fault.type, DXEMEM_BOOT_SERVICES_DATA);
  assert_int_equal(fault.start, (buffer + 104) - 0x1000);
  assert_int_equal(fault.pages, 1);
  assert_string_equal(fault.call, "test: AllocatePool 104");
  char line[320];
  dxemem_host_guard_fault_format(&fault, line, sizeof line);
  assert_non_null(strstr(line, "tail guard of EfiBootServicesData"));
  assert_non_null(strstr(line, "made by test: AllocatePool 104"));
  /* Freed, the guard is present memory again. */
  assert_int_equal(dxemem_free_pool(h.allocator, buffer, NULL),
                   DXEMEM_SUCCESS);
  assert_false(dxemem_host_page_rp(&h, buffer + 104));
  dxemem_host_destroy(&h);
}

static void test_page_overrun_and_underrun(void **state) {
  (void)state;
  dxemem_host_instance h;
  make(&h, DXEMEM_GUARD_PAGE, UINT64_C(1) << DXEMEM_LOADER_DATA, 0);
  dxemem_host_guard_set_call(&h, "test: AllocatePages 2");
  uint64_t a = 0;
  assert_int_equal(dxemem_allocate_pages(h.allocator, DXEMEM_ALLOCATE_ANY_PAGES,
                                         DXEMEM_LOADER_DATA, 2, &a),
                   DXEMEM_SUCCESS);
  dxemem_host_guard_fault fault;
  assert_false(write_faults(&h, a + 0x1fff, &fault));
  assert_true(write_faults(&h, a + 0x2000, &fault));
  assert_int_equal(fault.kind, DXEMEM_GUARD_KIND_TAIL);
  assert_int_equal(fault.start, a);
  assert_int_equal(fault.pages, 2);
  assert_int_equal(fault.type, DXEMEM_LOADER_DATA);
  assert_true(write_faults(&h, a - 1, &fault));
  assert_int_equal(fault.kind, DXEMEM_GUARD_KIND_HEAD);
  assert_int_equal(fault.start, a);
  /* Protection off: the same write goes through. */
  assert_int_equal(dxemem_host_guard_protect(&h, false), DXEMEM_SUCCESS);
  assert_false(write_faults(&h, a + 0x2000, &fault));
  assert_true(dxemem_host_page_rp(&h, a + 0x2000));
  assert_int_equal(dxemem_host_guard_protect_failures(&h), 0);
  dxemem_host_destroy(&h);
}

static void test_write_after_free(void **state) {
  (void)state;
  dxemem_host_instance h;
  make(&h, DXEMEM_GUARD_FREED, 0, 0);
  uint64_t a = 0;
  assert_int_equal(dxemem_allocate_pages(h.allocator, DXEMEM_ALLOCATE_ANY_PAGES,
                                         DXEMEM_BOOT_SERVICES_DATA, 3, &a),
                   DXEMEM_SUCCESS);
  dxemem_host_guard_fault fault;
  assert_false(write_faults(&h, a + 0x1000, &fault));
  dxemem_host_guard_set_call(&h, "test: FreePages 3");
  assert_int_equal(dxemem_free_pages(h.allocator, a, 3), DXEMEM_SUCCESS);
  assert_true(write_faults(&h, a + 0x1000, &fault));
  assert_int_equal(fault.kind, DXEMEM_GUARD_KIND_FREED);
  assert_int_equal(fault.start, a);
  assert_int_equal(fault.pages, 3);
  assert_string_equal(fault.call, "test: FreePages 3");
  char line[320];
  dxemem_host_guard_fault_format(&fault, line, sizeof line);
  assert_non_null(strstr(line, "freed memory"));
  dxemem_host_destroy(&h);
}

/* A fault outside any guard page is not caught (checked without faulting:
 * a write into a live page just works), and the callbacks of a caller
 * still run behind the host model. */
static int events_seen;
static void count_event(void *context, const dxemem_event *event) {
  (void)event;
  *(int *)context += 1;
}

static void test_caller_callbacks_still_run(void **state) {
  (void)state;
  dxemem_host_instance h;
  dxemem_config config = {.region_base = BASE,
                          .region_size = SIZE,
                          .event = count_event,
                          .user_context = &events_seen};
  assert_int_equal(dxemem_host_create(&config, &h), DXEMEM_SUCCESS);
  assert_int_equal(dxemem_add_memory_descriptor(
                       h.allocator, DXEMEM_CONVENTIONAL_MEMORY, BASE,
                       SIZE >> 12, 0xf),
                   DXEMEM_SUCCESS);
  assert_true(events_seen > 0);
  assert_false(dxemem_host_page_rp(&h, BASE));
  assert_false(dxemem_host_page_rp(&h, BASE + SIZE));
  dxemem_host_destroy(&h);
  assert_int_equal(dxemem_host_guard_protect(NULL, true),
                   DXEMEM_INVALID_PARAMETER);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_pool_overrun_by_one_byte),
      cmocka_unit_test(test_page_overrun_and_underrun),
      cmocka_unit_test(test_write_after_free),
      cmocka_unit_test(test_caller_callbacks_still_run),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
