/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/* The printers on hand-made outcomes: the `--check` format byte for byte,
 * and the human view's shape. */
/* cmocka 1.1 needs these four before it */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"

/* Everything written to a temporary file, as one string. */
typedef struct capture {
  FILE *file;
  char text[16384];
} capture;

static int setup(void **state) {
  capture *c = calloc(1, sizeof(*c));
  assert_non_null(c);
  c->file = tmpfile();
  assert_non_null(c->file);
  *state = c;
  return 0;
}

static int teardown(void **state) {
  capture *c = *state;
  fclose(c->file);
  free(c);
  return 0;
}

static const char *captured(capture *c) {
  fflush(c->file);
  rewind(c->file);
  size_t n = fread(c->text, 1, sizeof(c->text) - 1, c->file);
  c->text[n] = '\0';
  rewind(c->file);
  return c->text;
}

static trace_command command_at(trace_op op, uint64_t line) {
  trace_command command;
  memset(&command, 0, sizeof(command));
  command.op = op;
  command.line = line;
  return command;
}

static void test_type_and_status_text(void **state) {
  (void)state;
  char buffer[19];
  assert_string_equal(trace_type_text(0, buffer), "EfiReservedMemoryType");
  assert_string_equal(trace_type_text(15, buffer), "EfiUnacceptedMemoryType");
  assert_string_equal(trace_type_text(16, buffer), "EfiMaxMemoryType");
  assert_string_equal(trace_type_text(17, buffer), "0x00000011");
  assert_string_equal(trace_type_text(0x70000005, buffer), "0x70000005");
  assert_string_equal(trace_type_text(UINT32_MAX, buffer), "0xffffffff");
  assert_string_equal(trace_status_text(DXEMEM_SUCCESS, buffer), "EFI_SUCCESS");
  assert_string_equal(trace_status_text(DXEMEM_BUFFER_TOO_SMALL, buffer),
                      "EFI_BUFFER_TOO_SMALL");
  assert_string_equal(trace_status_text(DXEMEM_ERROR(99), buffer),
                      "0x8000000000000063");
}

static void test_simple_results(void **state) {
  capture *c = *state;
  trace_outcome outcome = {0};
  trace_command add = command_at(TRACE_OP_ADD, 8);
  trace_print_check(c->file, &add, &outcome);
  trace_command alloc = command_at(TRACE_OP_ALLOC, 9);
  outcome.address = 0x1fb000;
  trace_print_check(c->file, &alloc, &outcome);
  outcome.status = DXEMEM_OUT_OF_RESOURCES;
  trace_command alloc_fail = command_at(TRACE_OP_ALLOC, 10);
  trace_print_check(c->file, &alloc_fail, &outcome);
  outcome.status = DXEMEM_NOT_FOUND;
  trace_command free_pages = command_at(TRACE_OP_FREE, 11);
  trace_print_check(c->file, &free_pages, &outcome);
  outcome.status = DXEMEM_INVALID_PARAMETER;
  trace_command terminate = command_at(TRACE_OP_TERMINATE, 12);
  trace_print_check(c->file, &terminate, &outcome);
  trace_command attr = command_at(TRACE_OP_ATTR, 13);
  trace_print_check(c->file, &attr, &outcome); /* status not shown */
  trace_command fill = command_at(TRACE_OP_FILL, 14);
  trace_print_check(c->file, &fill, &outcome);
  trace_command check = command_at(TRACE_OP_CHECK, 15);
  outcome.mismatch = false;
  trace_print_check(c->file, &check, &outcome);
  check.line = 16;
  outcome.mismatch = true;
  outcome.address = 0x27e6000;
  trace_print_check(c->file, &check, &outcome);
  /* setup commands print nothing */
  static const trace_op setups[] = {TRACE_OP_REGION, TRACE_OP_GRANULARITY,
                                    TRACE_OP_BINS, TRACE_OP_BINRANGE};
  for (size_t i = 0; i < 4; i++) {
    trace_command setup_command = command_at(setups[i], 20 + i);
    trace_print_check(c->file, &setup_command, &outcome);
  }
  assert_string_equal(captured(c), "8 add\n"
                                   "9 alloc EFI_SUCCESS 0x00000000001fb000\n"
                                   "10 alloc EFI_OUT_OF_RESOURCES\n"
                                   "11 free EFI_NOT_FOUND\n"
                                   "12 terminate EFI_INVALID_PARAMETER\n"
                                   "13 attr\n"
                                   "14 fill\n"
                                   "15 check ok\n"
                                   "16 check MISMATCH 0x00000000027e6000\n");
}

static void test_map(void **state) {
  capture *c = *state;
  dxemem_memory_descriptor descriptors[2];
  memset(descriptors, 0, sizeof(descriptors));
  /* 0x30 apart, as GetMemoryMap lays them out */
  unsigned char buffer[0x60];
  memset(buffer, 0xa5, sizeof(buffer));
  descriptors[0] = (dxemem_memory_descriptor){.type = 7,
                                              .physical_start = 0x100000000,
                                              .number_of_pages = 0xfc,
                                              .attribute = 0xf};
  descriptors[1] =
      (dxemem_memory_descriptor){.type = 0x80000001,
                                 .physical_start = 0x1000fc000,
                                 .number_of_pages = 0,
                                 .attribute = UINT64_C(0x800000000000000f)};
  memcpy(buffer, &descriptors[0], sizeof(descriptors[0]));
  memcpy(buffer + 0x30, &descriptors[1], sizeof(descriptors[1]));
  trace_outcome outcome = {.map_size = 0x60,
                           .map_key = 0x1b,
                           .descriptor_size = 0x30,
                           .descriptor_version = 1,
                           .descriptors = buffer};
  trace_command map = command_at(TRACE_OP_MAP, 12);
  trace_print_check(c->file, &map, &outcome);
  trace_outcome empty = {
      .descriptor_size = 0x30, .descriptor_version = 1, .descriptors = buffer};
  map.line = 13;
  trace_print_check(c->file, &map, &empty);
  trace_outcome small = {.status = DXEMEM_BUFFER_TOO_SMALL,
                         .map_size = 0x720,
                         .map_key = 0x33,
                         .descriptor_size = 0x30,
                         .descriptor_version = 1};
  map.line = 55;
  trace_print_check(c->file, &map, &small);
  assert_string_equal(
      captured(c),
      "12 map EFI_SUCCESS size=0x60 key=0x1b dsize=0x30 dver=1\n"
      "12   0x0000000100000000 0xfc EfiConventionalMemory 0x000000000000000f\n"
      "12   0x00000001000fc000 0x0 0x80000001 0x800000000000000f\n"
      "13 map EFI_SUCCESS size=0x0 key=0x0 dsize=0x30 dver=1\n"
      "55 map EFI_BUFFER_TOO_SMALL size=0x720 key=0x33 dsize=0x30 dver=1\n");
}

static void test_stats(void **state) {
  capture *c = *state;
  trace_stats stats;
  memset(&stats, 0, sizeof(stats));
  for (uint32_t type = 0; type < DXEMEM_MAX_MEMORY_TYPE; type++) {
    stats.types[type].maximum_address = UINT64_MAX;
    stats.types[type].information_index = 16;
  }
  stats.types[0].special = true;
  stats.types[5].special = true;
  stats.types[5].runtime = true;
  stats.types[5].base_address = 0x6d7b000;
  stats.types[5].maximum_address = 0x6dbafff;
  stats.types[5].number_of_pages = 0x40;
  stats.types[5].current_number_of_pages = 0x2;
  stats.types[5].information_index = 3;
  stats.default_base = UINT64_MAX;
  stats.default_maximum = 0x6d3afff;
  for (uint32_t i = 0; i <= DXEMEM_MAX_MEMORY_TYPE; i++) {
    stats.info[i].type = i;
  }
  stats.info[3] = (dxemem_memory_type_information){0x70000000, 0xc4};
  trace_outcome outcome = {.stats = &stats};
  trace_command command = command_at(TRACE_OP_STATS, 30);
  trace_print_check(c->file, &command, &outcome);
  const char *text = captured(c);
  static const char first_lines[] =
      "30 stats\n"
      "30   EfiReservedMemoryType base=0x0000000000000000 "
      "max=0xffffffffffffffff bin=0x0 cur=0x0 info=0x10 special=1 runtime=0\n"
      "30   EfiLoaderCode base=0x0000000000000000 max=0xffffffffffffffff "
      "bin=0x0 cur=0x0 info=0x10 special=0 runtime=0\n";
  assert_memory_equal(text, first_lines, strlen(first_lines));
  assert_non_null(
      strstr(text, "\n30   EfiRuntimeServicesCode base=0x0000000006d7b000 "
                   "max=0x0000000006dbafff bin=0x40 cur=0x2 info=0x3 special=1 "
                   "runtime=1\n"));
  assert_non_null(strstr(text, "\n30   default base=0xffffffffffffffff "
                               "max=0x0000000006d3afff\n30   info[0] "
                               "EfiReservedMemoryType 0x0\n"));
  assert_non_null(strstr(text, "\n30   info[3] 0x70000000 0xc4\n"));
  assert_non_null(strstr(text, "\n30   info[16] EfiMaxMemoryType 0x0\n"));
  size_t lines = 0;
  for (const char *p = text; *p != '\0'; p++) {
    lines += *p == '\n';
  }
  assert_int_equal(lines, 1 + 16 + 1 + 17);
}

static void test_human_view(void **state) {
  capture *c = *state;
  trace_command alloc = command_at(TRACE_OP_ALLOC, 7);
  alloc.alloc.allocate_type = DXEMEM_ALLOCATE_ANY_PAGES;
  alloc.alloc.type = DXEMEM_BOOT_SERVICES_DATA;
  alloc.alloc.pages = 4;
  strcpy(alloc.alloc.name, "bs");
  trace_print_human_command(c->file, &alloc);
  dxemem_event refuel = {.kind = DXEMEM_EVENT_REFUEL,
                         .start = 0x1ff000,
                         .function = "AllocateMemoryMapEntry"};
  trace_print_human_event(c->file, &refuel, 0);
  trace_outcome outcome = {.address = 0x1fb000};
  trace_print_human_outcome(c->file, &alloc, &outcome);
  const char *text = captured(c);
  assert_non_null(
      strstr(text, "     7  alloc any EfiBootServicesData 0x4 @bs\n"));
  assert_non_null(strstr(text, "          AllocateMemoryMapEntry page 0x1ff000 "
                               "becomes 64 free map entries\n"));
  assert_non_null(strstr(text, "-> EFI_SUCCESS at 0x00000000001fb000\n"));

  unsigned char buffer[0x30];
  dxemem_memory_descriptor d = {.type = 7,
                                .physical_start = 0x100000,
                                .number_of_pages = 0x180,
                                .attribute = 0xf};
  memcpy(buffer, &d, sizeof(d));
  trace_outcome map = {.map_size = 0x30,
                       .map_key = 2,
                       .descriptor_size = 0x30,
                       .descriptor_version = 1,
                       .descriptors = buffer};
  trace_command map_command = command_at(TRACE_OP_MAP, 8);
  trace_print_human_outcome(c->file, &map_command, &map);
  text = captured(c);
  assert_non_null(strstr(text, "1 descriptor, key 0x2, size 0x30\n"));
  assert_non_null(strstr(text, "\n        Available  0000000000100000-"
                               "000000000027FFFF 0000000000000180 "
                               "000000000000000F\n"));
  assert_non_null(
      strstr(text, "  Available :            384 Pages (1,572,864 Bytes)\n"));
  assert_non_null(strstr(
      text, "Total Memory:              1 MB (1,572,864 Bytes)\n"));
  /* Only types with pages are totalled in the readable view. */
  assert_null(strstr(text, "BS_Code"));
}

/* A nested event is indented two columns per recursion level, and the
 * first one of a refuel is preceded by why it happens. */
static void test_events_nest_by_recursion(void **state) {
  capture *c = *state;
  dxemem_event convert = {.kind = DXEMEM_EVENT_CONVERT_TYPE,
                          .type = DXEMEM_BOOT_SERVICES_DATA,
                          .start = 0x1ff000,
                          .end = 0x1fffff,
                          .depth = 1,
                          .recursion = 1,
                          .function = "CoreConvertPagesEx"};
  trace_print_human_event(c->file, &convert, 0);
  dxemem_event push = convert;
  push.kind = DXEMEM_EVENT_STACK_PUSH;
  push.depth = 2;
  push.function = "CoreAddRange";
  trace_print_human_event(c->file, &push, 1);
  dxemem_event pop = {.kind = DXEMEM_EVENT_STACK_POP,
                      .type = DXEMEM_CONVENTIONAL_MEMORY,
                      .start = 0x100000,
                      .end = 0x1fefff,
                      .depth = 0,
                      .entry_address = 0x1ff040,
                      .function = "CoreFreeMemoryMapStack"};
  trace_print_human_event(c->file, &pop, 1);
  const char *text = captured(c);
  assert_string_equal(
      text, "          AllocateMemoryMapEntry no free entry for stack[0]: "
            "refuel with one page\n"
            "            CoreConvertPagesEx     convert 0x1ff000-0x1fffff to "
            "EfiBootServicesData\n"
            "            CoreAddRange           push stack[1] BS data "
            "0x1ff000-0x1fffff\n"
            "          CoreFreeMemoryMapStack pop stack[0] -> entry 0x1ff040: "
            "free 0x100000-0x1fefff\n");
}

/* --format shell: the UEFI shell's memmap, byte for byte (LF ends). */
static void test_shell_memmap(void **state) {
  capture *c = *state;
  unsigned char buffer[0x60];
  dxemem_memory_descriptor d[2] = {
      {.type = 4, .physical_start = 0x100000, .number_of_pages = 0x10,
       .attribute = 0xf},
      {.type = 0x80000001u, .physical_start = 0x110000,
       .number_of_pages = 0x1000, .attribute = 0x800000000000000f}};
  memset(buffer, 0, sizeof(buffer));
  memcpy(buffer, &d[0], sizeof(d[0]));
  memcpy(buffer + 0x30, &d[1], sizeof(d[1]));
  trace_outcome map = {.map_size = 0x60, .descriptor_size = 0x30,
                       .descriptor_version = 1, .descriptors = buffer};
  trace_command map_command = command_at(TRACE_OP_MAP, 3);
  trace_print_shell_memmap(c->file, &map_command, &map);
  assert_string_equal(
      captured(c),
      "Type       Start            End              # Pages          "
      "Attributes\n"
      "BS_Data    0000000000100000-000000000010FFFF 0000000000000010 "
      "000000000000000F\n"
      "80000001   0000000000110000-000000000110FFFF 0000000000001000 "
      "800000000000000F\n"
      " \n"
      "  Reserved  :              0 Pages (0 Bytes)\n"
      "  LoaderCode:              0 Pages (0 Bytes)\n"
      "  LoaderData:              0 Pages (0 Bytes)\n"
      "  BS_Code   :              0 Pages (0 Bytes)\n"
      "  BS_Data   :             16 Pages (65,536 Bytes)\n"
      "  RT_Code   :              0 Pages (0 Bytes)\n"
      "  RT_Data   :              0 Pages (0 Bytes)\n"
      "  ACPI_Recl :              0 Pages (0 Bytes)\n"
      "  ACPI_NVS  :              0 Pages (0 Bytes)\n"
      "  MMIO      :              0 Pages (0 Bytes)\n"
      "  MMIO_Port :              0 Pages (0 Bytes)\n"
      "  PalCode   :              0 Pages (0 Bytes)\n"
      "  Unaccepted:              0 Pages (0 Bytes)\n"
      "  Available :              0 Pages (0 Bytes)\n"
      "  Persistent:              0 Pages (0 Bytes)\n"
      "  80000001  :          4,096 Pages (16,777,216 Bytes)\n"
      "              -------------- \n"
      "Total Memory:             16 MB (16,842,752 Bytes)\n");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_type_and_status_text),
      cmocka_unit_test_setup_teardown(test_simple_results, setup, teardown),
      cmocka_unit_test_setup_teardown(test_map, setup, teardown),
      cmocka_unit_test_setup_teardown(test_stats, setup, teardown),
      cmocka_unit_test_setup_teardown(test_human_view, setup, teardown),
      cmocka_unit_test_setup_teardown(test_events_nest_by_recursion, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_shell_memmap, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
