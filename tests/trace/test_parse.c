/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/* trace_parse_line: one line to one command, or a message naming why not. */
/* cmocka 1.1 needs these four before it */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "trace.h"

typedef struct parsed {
  trace_line_kind kind;
  trace_command command;
  char message[TRACE_MESSAGE_MAX];
} parsed;

static parsed parse_bytes(const char *text, size_t length) {
  parsed result;
  memset(&result, 0, sizeof(result));
  result.kind = trace_parse_line(text, length, &result.command, result.message,
                                 sizeof(result.message));
  return result;
}

static parsed parse(const char *text) {
  return parse_bytes(text, strlen(text));
}

static trace_command parse_ok(const char *text) {
  parsed result = parse(text);
  if (result.kind != TRACE_LINE_COMMAND) {
    fail_msg("'%s' did not parse: %s", text, result.message);
  }
  return result.command;
}

/* The line is rejected with a message containing fragment. */
static void expect_invalid(const char *text, const char *fragment) {
  parsed result = parse(text);
  if (result.kind != TRACE_LINE_INVALID) {
    fail_msg("'%s' was accepted", text);
  }
  if (strstr(result.message, fragment) == NULL) {
    fail_msg("'%s': message '%s' lacks '%s'", text, result.message, fragment);
  }
}

static void test_numbers(void **state) {
  (void)state;
  assert_int_equal(parse_ok("map 42").map.bytes, 42);
  assert_int_equal(parse_ok("map 0x2A").map.bytes, 42);
  assert_int_equal(parse_ok("map 0X2a").map.bytes, 42);
  assert_int_equal(parse_ok("map 010").map.bytes, 10); /* never octal */
  assert_int_equal(parse_ok("map 0").map.bytes, 0);
  assert_true(parse_ok("map 18446744073709551615").map.bytes == UINT64_MAX);
  assert_true(parse_ok("map 0xffffffffffffffff").map.bytes == UINT64_MAX);
  assert_true(parse_ok("map 0x0000000000000000ffffffffffffffff").map.bytes ==
              UINT64_MAX);
  expect_invalid("map 18446744073709551616", "does not fit in 64 bits");
  expect_invalid("map 0x10000000000000000", "does not fit in 64 bits");
  expect_invalid("map 99999999999999999999999", "does not fit in 64 bits");
  expect_invalid("map 0x", "is not a number");
  expect_invalid("map 0xg", "is not a number");
  expect_invalid("map 12a", "is not a number");
  expect_invalid("map -1", "is not a number");
  expect_invalid("map +1", "is not a number");
  expect_invalid("map 1.5", "is not a number");
  /* a bad digit is reported even when the number would also overflow */
  expect_invalid("map 0xffffffffffffffffffz", "is not a number");
}

static void test_memory_types(void **state) {
  (void)state;
  for (uint32_t type = 0; type <= DXEMEM_MAX_MEMORY_TYPE; type++) {
    char line[80];
    snprintf(line, sizeof(line), "add %s 0x1000 1",
             dxemem_memory_type_name(type));
    assert_int_equal(parse_ok(line).add.type, type);
  }
  assert_int_equal(parse_ok("add 0x70000000 0 1").add.type, 0x70000000u);
  assert_int_equal(parse_ok("add 4294967295 0 1").add.type, UINT32_MAX);
  assert_int_equal(parse_ok("add 16 0 1").add.type, 16);
  expect_invalid("add 0x100000000 0 1", "does not fit in 32 bits");
  expect_invalid("add EfiConventional 0 1", "unknown memory type");
  expect_invalid("add efiloadercode 0 1", "unknown memory type");
  expect_invalid("add 7x 0 1", "is not a number");
}

static void test_blank_comment_and_line_ends(void **state) {
  (void)state;
  assert_int_equal(parse("").kind, TRACE_LINE_BLANK);
  assert_int_equal(parse(" \t ").kind, TRACE_LINE_BLANK);
  assert_int_equal(parse("# just a comment").kind, TRACE_LINE_BLANK);
  assert_int_equal(parse("\r").kind, TRACE_LINE_BLANK);
  assert_int_equal(parse("   # comment\r").kind, TRACE_LINE_BLANK);
  assert_int_equal(parse_ok("map\r").op, TRACE_OP_MAP);
  assert_int_equal(parse_ok("\tmap\t0x30\t# tabs").map.bytes, 0x30);
  assert_int_equal(parse_ok("map 0x30#comment right after").map.bytes, 0x30);
  /* only the CR right before the end of the line is ignored */
  expect_invalid("map\r\r", "unexpected byte 0x0d in column 4");
  expect_invalid("map\r # x", "unexpected byte 0x0d in column 4");
  /* anything goes inside a comment, NUL bytes included */
  static const char comment_junk[] = "stats # \x01\xff\0junk";
  assert_int_equal(parse_bytes(comment_junk, sizeof(comment_junk) - 1).kind,
                   TRACE_LINE_COMMAND);
  static const char nul[] = "map\0 1";
  parsed with_nul = parse_bytes(nul, sizeof(nul) - 1);
  assert_int_equal(with_nul.kind, TRACE_LINE_INVALID);
  assert_non_null(strstr(with_nul.message, "unexpected byte 0x00 in column 4"));
  expect_invalid("map\v1", "unexpected byte 0x0b");
  expect_invalid("m\xc3\xa4p", "unexpected byte 0xc3 in column 2");
}

static void test_unknown_command_and_arity(void **state) {
  (void)state;
  expect_invalid("frobnicate 1 2", "unknown command 'frobnicate'");
  expect_invalid("MAP", "unknown command 'MAP'");
  expect_invalid("region 0x1000", "missing argument; usage: region BASE BYTES");
  expect_invalid("region 0x1000 0x1000 0x1000", "unexpected argument '0x1000'");
  expect_invalid("terminate now", "unexpected argument 'now'");
  expect_invalid("stats 1", "unexpected argument '1'");
  expect_invalid("map 1 2", "unexpected argument '2'");
  expect_invalid("attr 0 1", "missing argument");
  expect_invalid("attr 0 1 2 3", "unexpected argument '3'");
  expect_invalid("add EfiLoaderData 0", "missing argument");
  expect_invalid("add EfiLoaderData 0 1 0xf 5", "unexpected argument '5'");
  expect_invalid("fill @a 1", "missing argument");
  expect_invalid("free", "missing argument");
  expect_invalid("free @a 1 2", "unexpected argument '2'");
  /* a long token is cut in the message */
  char line[200];
  snprintf(line, sizeof(line), "%0150d", 7);
  parsed long_word = parse(line);
  assert_int_equal(long_word.kind, TRACE_LINE_INVALID);
  assert_true(strlen(long_word.message) < 80);
  assert_non_null(strstr(long_word.message, "...'"));
}

static void test_region(void **state) {
  (void)state;
  trace_command c = parse_ok("region 0x100000 0x200000");
  assert_int_equal(c.op, TRACE_OP_REGION);
  assert_int_equal(c.region.base, 0x100000);
  assert_int_equal(c.region.bytes, 0x200000);
  parse_ok("region 0 4096");
  parse_ok("region 0xfffffffffffff000 0x1000"); /* ends exactly at 2^64 */
  expect_invalid("region 0xfffffffffffff000 0x2000", "ends past 2^64");
  expect_invalid("region 0x100800 0x1000", "not a multiple of 4096");
  expect_invalid("region 0x100000 0x1800", "not a positive multiple of 4096");
  expect_invalid("region 0x100000 0", "not a positive multiple of 4096");
}

static void test_granularity(void **state) {
  (void)state;
  assert_int_equal(parse_ok("granularity 4096").granularity.bytes, 4096);
  assert_int_equal(parse_ok("granularity 0x10000").granularity.bytes, 65536);
  expect_invalid("granularity 8192", "must be 4096 or 65536");
  expect_invalid("granularity 0", "must be 4096 or 65536");
  expect_invalid("granularity", "missing argument");
}

static void test_bins(void **state) {
  (void)state;
  trace_command c = parse_ok(
      "bins EfiACPIMemoryNVS:0x4 EfiRuntimeServicesData:32 0x70000001:1");
  assert_int_equal(c.bins.count, 3);
  assert_int_equal(c.bins.entries[0].type, DXEMEM_ACPI_MEMORY_NVS);
  assert_int_equal(c.bins.entries[0].number_of_pages, 4);
  assert_int_equal(c.bins.entries[1].type, DXEMEM_RUNTIME_SERVICES_DATA);
  assert_int_equal(c.bins.entries[1].number_of_pages, 32);
  assert_int_equal(c.bins.entries[2].type, 0x70000001u);
  c = parse_ok("bins EfiMaxMemoryType:0 0:0xffffffff");
  assert_int_equal(c.bins.entries[1].number_of_pages, UINT32_MAX);

  char line[512] = "bins";
  for (int i = 0; i < TRACE_BINS_MAX; i++) {
    strcat(line, " EfiLoaderData:1");
  }
  assert_int_equal(parse_ok(line).bins.count, TRACE_BINS_MAX);
  strcat(line, " EfiLoaderData:1");
  expect_invalid(line, "at most 16 TYPE:PAGES pairs");
  for (int i = 0; i < 10; i++) {
    strcat(line, " 1:1");
  }
  expect_invalid(line, "at most 16 TYPE:PAGES pairs");

  expect_invalid("bins", "missing argument");
  expect_invalid("bins EfiLoaderData", "is not TYPE:PAGES");
  expect_invalid("bins EfiLoaderData:", "'' is not a number");
  expect_invalid("bins :4", "unknown memory type ''");
  expect_invalid("bins EfiLoaderData:0x100000000", "does not fit in 32 bits");
  expect_invalid("bins 0x100000000:1", "does not fit in 32 bits");
  expect_invalid("bins EfiLoaderData : 1", "is not TYPE:PAGES");
}

static void test_add_attr_binrange(void **state) {
  (void)state;
  trace_command c = parse_ok("add EfiConventionalMemory 0x100000 0x80");
  assert_int_equal(c.op, TRACE_OP_ADD);
  assert_int_equal(c.add.type, DXEMEM_CONVENTIONAL_MEMORY);
  assert_int_equal(c.add.start, 0x100000);
  assert_int_equal(c.add.pages, 0x80);
  assert_int_equal(c.add.attribute, 0xf); /* UC|WC|WT|WB by default */
  c = parse_ok("add 0x80000000 0x100000 0 0x800000000000000f");
  assert_true(c.add.attribute == UINT64_C(0x800000000000000f));
  c = parse_ok("attr 0x100000 2 0x600f");
  assert_int_equal(c.op, TRACE_OP_ATTR);
  assert_int_equal(c.attr.start, 0x100000);
  assert_int_equal(c.attr.pages, 2);
  assert_int_equal(c.attr.attribute, 0x600f);
  c = parse_ok("binrange 0x200000 0x100000");
  assert_int_equal(c.binrange.start, 0x200000);
  assert_int_equal(c.binrange.bytes, 0x100000);
  expect_invalid("add EfiLoaderData @a 1",
                 "accepted by free, fill, check, freepool, fillb and checkb only");
  expect_invalid("attr @a+0x1000 1 0xf",
                 "accepted by free, fill, check, freepool, fillb and checkb only");
}

static void test_alloc(void **state) {
  (void)state;
  trace_command c = parse_ok("alloc any EfiBootServicesData 4");
  assert_int_equal(c.op, TRACE_OP_ALLOC);
  assert_int_equal(c.alloc.allocate_type, DXEMEM_ALLOCATE_ANY_PAGES);
  assert_int_equal(c.alloc.type, DXEMEM_BOOT_SERVICES_DATA);
  assert_int_equal(c.alloc.pages, 4);
  assert_string_equal(c.alloc.name, "");
  c = parse_ok("alloc max EfiLoaderData 2 0xffffffff @below4g");
  assert_int_equal(c.alloc.allocate_type, DXEMEM_ALLOCATE_MAX_ADDRESS);
  assert_int_equal(c.alloc.address, 0xffffffff);
  assert_string_equal(c.alloc.name, "below4g");
  c = parse_ok("alloc addr 0x70000005 1 0x1000 @_x9");
  assert_int_equal(c.alloc.allocate_type, DXEMEM_ALLOCATE_ADDRESS);
  assert_int_equal(c.alloc.type, 0x70000005u);
  assert_int_equal(c.alloc.address, 0x1000);
  assert_string_equal(c.alloc.name, "_x9");

  expect_invalid("alloc some EfiLoaderData 1", "must be any, max or addr");
  expect_invalid("alloc any EfiLoaderData", "missing argument");
  expect_invalid("alloc max EfiLoaderData 1",
                 "usage: alloc max TYPE PAGES MAXADDR");
  expect_invalid("alloc addr EfiLoaderData 1",
                 "usage: alloc addr TYPE PAGES ADDR");
  expect_invalid("alloc any EfiLoaderData 1 0x1000",
                 "alloc binds an @name here");
  expect_invalid("alloc any EfiLoaderData 1 @a @b", "unexpected argument '@b'");
  expect_invalid("alloc any EfiLoaderData 1 @a+4", "plain @name, not '@a+4'");
  expect_invalid("alloc any EfiLoaderData 1 @9a", "bad name '@9a'");
  expect_invalid("alloc addr EfiLoaderData 1 @a", "ADDR '@a'");
  expect_invalid("alloc any 0x100000000 1", "does not fit in 32 bits");
}

static void test_references(void **state) {
  (void)state;
  trace_command c = parse_ok("free @img");
  assert_int_equal(c.op, TRACE_OP_FREE);
  assert_true(c.free.ref.is_name);
  assert_string_equal(c.free.ref.name, "img");
  assert_int_equal(c.free.ref.value, 0);
  assert_false(c.free.has_pages);
  c = parse_ok("free @img+0x3000 2");
  assert_int_equal(c.free.ref.value, 0x3000);
  assert_true(c.free.has_pages);
  assert_int_equal(c.free.pages, 2);
  c = parse_ok("free @img+12 0");
  assert_int_equal(c.free.ref.value, 12);
  assert_true(c.free.has_pages);
  assert_int_equal(c.free.pages, 0);
  c = parse_ok("free 0x100000 4");
  assert_false(c.free.ref.is_name);
  assert_int_equal(c.free.ref.value, 0x100000);
  c = parse_ok("fill @a_B_9+0xffffffffffffffff 1 0xff");
  assert_int_equal(c.op, TRACE_OP_FILL);
  assert_true(c.fill.ref.value == UINT64_MAX);
  assert_int_equal(c.fill.byte, 0xff);
  c = parse_ok("check 0x2000 0 7");
  assert_int_equal(c.op, TRACE_OP_CHECK);
  assert_int_equal(c.fill.pages, 0);
  assert_int_equal(c.fill.byte, 7);

  expect_invalid("free 0x100000", "free of an address needs PAGES");
  expect_invalid("free @", "bad name '@'");
  expect_invalid("free @+1 1", "bad name '@+1'");
  expect_invalid("free @a- 1", "bad reference '@a-'");
  expect_invalid("free @a+ 1", "offset '' is not a number");
  expect_invalid("free @a+@b 1", "accepted by free, fill, check, freepool, fillb and checkb only");
  expect_invalid("free @a+0x10000000000000000", "does not fit in 64 bits");
  expect_invalid("free @a 0x10000000000000000", "does not fit in 64 bits");
  expect_invalid("fill @a 1 0x100", "BYTE 0x100 does not fit in 8 bits");
  expect_invalid("check @a 1 -1", "is not a number");
  expect_invalid("fill @a 1 @b", "BYTE '@b'");

  char line[TRACE_NAME_MAX + 64];
  memset(line, 0, sizeof(line));
  strcpy(line, "free @");
  memset(line + 6, 'n', TRACE_NAME_MAX);
  assert_int_equal(strlen(parse_ok(line).free.ref.name), TRACE_NAME_MAX);
  strcat(line, "n");
  expect_invalid(line, "longer than 255 characters");
}

static void test_map_terminate_stats(void **state) {
  (void)state;
  trace_command c = parse_ok("map");
  assert_int_equal(c.op, TRACE_OP_MAP);
  assert_false(c.map.has_bytes);
  c = parse_ok("map 0");
  assert_true(c.map.has_bytes);
  assert_int_equal(c.map.bytes, 0);
  assert_int_equal(parse_ok("terminate").op, TRACE_OP_TERMINATE);
  assert_int_equal(parse_ok("stats").op, TRACE_OP_STATS);
  expect_invalid("map @a", "accepted by free, fill, check, freepool, fillb and checkb only");
}

/* parse -> format -> parse gives the same command. */
static void test_format_round_trip(void **state) {
  (void)state;
  static const char *const lines[] = {
      "region 0x100000 0x1000000",
      "granularity 65536",
      "bins EfiACPIMemoryNVS:4 EfiMaxMemoryType:0 0x80000000:7",
      "binrange 0x200000 0x10000",
      "add EfiConventionalMemory 0x100000 0x80 0x800000000000000f",
      "add 0x70000001 0 0",
      "alloc any EfiBootServicesData 4 @bs",
      "alloc max EfiLoaderData 1 0xffffffff",
      "alloc addr EfiRuntimeServicesData 2 0x4e0000 @rt",
      "free @rt+0x1000 1",
      "free @rt",
      "free 0x100000 3",
      "attr 0x100000 1 0x400f",
      "map",
      "map 0x30",
      "terminate",
      "stats",
      "fill @a+0x2000 2 0xab",
      "check 0x100000 1 0",
      "pool EfiBootServicesData 24 @a",
      "pool 0x70000001 0xffffffffffffffff",
      "freepool @a+0x10",
      "freepool 0",
      "fillb @a 100 0x11",
      "checkb 0x100018 1 0xff",
      "poolstats",
  };
  for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
    trace_command first = parse_ok(lines[i]);
    char text[1024];
    trace_format_command(&first, text, sizeof(text));
    trace_command second = parse_ok(text);
    if (memcmp(&first, &second, sizeof(first)) != 0) {
      fail_msg("'%s' formatted as '%s' parses differently", lines[i], text);
    }
  }
  char small[8];
  trace_command c = parse_ok("alloc max EfiLoaderData 1 0xffffffff");
  trace_format_command(&c, small, sizeof(small));
  assert_string_equal(small, "alloc m"); /* truncated, terminated */
}

/* Version 2: pool, freepool, fillb, checkb, poolstats. */
static void test_pool_commands(void **state) {
  (void)state;
  trace_command c = parse_ok("pool EfiBootServicesData 24 @a");
  assert_int_equal(c.op, TRACE_OP_POOL);
  assert_int_equal(c.pool.type, 4);
  assert_int_equal(c.pool.bytes, 24);
  assert_string_equal(c.pool.name, "a");
  c = parse_ok("pool 0x80000000 0");
  assert_int_equal(c.pool.type, 0x80000000u);
  assert_string_equal(c.pool.name, "");
  c = parse_ok("freepool @a+8");
  assert_int_equal(c.op, TRACE_OP_FREEPOOL);
  assert_true(c.freepool.ref.is_name);
  assert_int_equal(c.freepool.ref.value, 8);
  c = parse_ok("fillb @a 100 0x11");
  assert_int_equal(c.op, TRACE_OP_FILLB);
  assert_int_equal(c.fillb.bytes, 100);
  assert_int_equal(c.fillb.byte, 0x11);
  c = parse_ok("checkb 0x1000 1 0");
  assert_int_equal(c.op, TRACE_OP_CHECKB);
  c = parse_ok("poolstats");
  assert_int_equal(c.op, TRACE_OP_POOLSTATS);
  expect_invalid("pool EfiBootServicesData", "missing argument");
  expect_invalid("pool EfiBootServicesData 8 a", "pool binds an @name here");
  expect_invalid("pool EfiBootServicesData 8 @a+1", "pool binds a plain @name");
  expect_invalid("pool EfiBootServicesData @a", "accepted by free, fill");
  expect_invalid("pool Bogus 8", "unknown memory type");
  expect_invalid("freepool", "missing argument");
  expect_invalid("freepool 1 2", "unexpected argument");
  expect_invalid("fillb @a 1 256", "does not fit in 8 bits");
  expect_invalid("checkb @a 1", "missing argument");
  expect_invalid("poolstats 1", "unexpected argument");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_numbers),
      cmocka_unit_test(test_memory_types),
      cmocka_unit_test(test_blank_comment_and_line_ends),
      cmocka_unit_test(test_unknown_command_and_arity),
      cmocka_unit_test(test_region),
      cmocka_unit_test(test_granularity),
      cmocka_unit_test(test_bins),
      cmocka_unit_test(test_add_attr_binrange),
      cmocka_unit_test(test_alloc),
      cmocka_unit_test(test_references),
      cmocka_unit_test(test_map_terminate_stats),
      cmocka_unit_test(test_format_round_trip),
      cmocka_unit_test(test_pool_commands),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
