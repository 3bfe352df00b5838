/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/* trace_reader: streaming lines, line numbers, and the cross-line rules. */
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

/* Reads text up to its end or first error; returns the last status, the
 * number of commands in *count and the error in *error. */
static trace_read_status read_all_bytes(const char *text, size_t size,
                                        size_t *count, trace_error *error) {
  trace_reader *reader = malloc(sizeof(*reader));
  assert_non_null(reader);
  trace_reader_init_memory(reader, text, size);
  trace_command command;
  trace_read_status status;
  *count = 0;
  while ((status = trace_reader_next(reader, &command, error)) ==
         TRACE_READ_COMMAND) {
    (*count)++;
  }
  free(reader);
  return status;
}

static trace_read_status read_all(const char *text, size_t *count,
                                  trace_error *error) {
  return read_all_bytes(text, strlen(text), count, error);
}

static void expect_error(const char *text, uint64_t line,
                         const char *fragment) {
  size_t count;
  trace_error error;
  assert_int_equal(read_all(text, &count, &error), TRACE_READ_INVALID);
  if (error.line != line || strstr(error.message, fragment) == NULL) {
    fail_msg("got '%llu: %s', expected line %llu with '%s'",
             (unsigned long long)error.line, error.message,
             (unsigned long long)line, fragment);
  }
}

static void expect_commands(const char *text, size_t expected) {
  size_t count;
  trace_error error;
  trace_read_status status = read_all(text, &count, &error);
  if (status != TRACE_READ_END) {
    fail_msg("%llu: %s", (unsigned long long)error.line, error.message);
  }
  assert_int_equal(count, expected);
}

static void test_line_numbers_count_everything(void **state) {
  (void)state;
  static const char text[] = "# header\n"
                             "\n"
                             "region 0x100000 0x100000\n"
                             "   \t\n"
                             "add EfiConventionalMemory 0x100000 0x10 # c\n"
                             "map\n";
  trace_reader reader;
  trace_reader_init_memory(&reader, text, strlen(text));
  trace_command command;
  trace_error error;
  static const uint64_t lines[] = {3, 5, 6};
  for (size_t i = 0; i < 3; i++) {
    assert_int_equal(trace_reader_next(&reader, &command, &error),
                     TRACE_READ_COMMAND);
    assert_int_equal(command.line, lines[i]);
  }
  assert_int_equal(trace_reader_next(&reader, &command, &error),
                   TRACE_READ_END);
}

static void test_crlf_and_missing_final_newline(void **state) {
  (void)state;
  expect_commands("region 0x100000 0x100000\r\n"
                  "# comment\r\n"
                  "\r\n"
                  "add EfiConventionalMemory 0x100000 0x10\r\n"
                  "map",
                  3);
  expect_error("region 0x100000 0x100000\r\nmap\r\nfoo\r\n", 3,
               "unknown command 'foo'");
  expect_commands("region 0x1000 0x1000", 1);
}

static void test_region_rules(void **state) {
  (void)state;
  expect_error("", 1, "no 'region' command");
  expect_error("# nothing\n\n", 3, "no 'region' command");
  expect_error("map\nregion 0x1000 0x1000\n", 1,
               "first command must be 'region'");
  expect_error("# c\ngranularity 4096\nregion 0x1000 0x1000\n", 2,
               "first command must be 'region'");
  expect_error("region 0x1000 0x1000\nregion 0x1000 0x1000\n", 2,
               "'region' given twice (first at line 1)");
}

static void test_setup_rules(void **state) {
  (void)state;
  static const char head[] = "region 0x100000 0x100000\n";
  char text[512];

  snprintf(text, sizeof(text), "%sgranularity 4096\n# x\ngranularity 4096\n",
           head);
  expect_error(text, 4, "'granularity' given twice (first at line 2)");
  snprintf(text, sizeof(text), "%sbins EfiLoaderData:1\nbins EfiLoaderData:1\n",
           head);
  expect_error(text, 3, "'bins' given twice");
  snprintf(text, sizeof(text),
           "%sbins EfiLoaderData:1\nbinrange 0x100000 0x10000\n"
           "binrange 0x100000 0x10000\n",
           head);
  expect_error(text, 4, "'binrange' given twice");
  snprintf(text, sizeof(text), "%sbinrange 0x100000 0x10000\n", head);
  expect_error(text, 2, "'binrange' needs 'bins' before it");
  snprintf(text, sizeof(text),
           "%sbinrange 0x100000 0x10000\nbins EfiLoaderData:1\n", head);
  expect_error(text, 2, "'binrange' needs 'bins' before it");

  /* setup after the first add */
  static const char *const setups[] = {"granularity 65536",
                                       "bins EfiLoaderData:1"};
  for (size_t i = 0; i < 2; i++) {
    snprintf(text, sizeof(text),
             "%sadd EfiConventionalMemory 0x100000 0x10\nmap\n%s\n", head,
             setups[i]);
    expect_error(text, 4, "must come before the first 'add' (line 2)");
  }
  snprintf(text, sizeof(text),
           "%sbins EfiLoaderData:1\nadd EfiConventionalMemory 0x100000 0x10\n"
           "binrange 0x100000 0x1000\n",
           head);
  expect_error(text, 4, "'binrange' must come before the first 'add'");

  /* setup may follow operations that precede the first add */
  snprintf(text, sizeof(text),
           "%smap\nstats\nterminate\ngranularity 65536\nbins EfiLoaderData:1\n"
           "map 0\nbinrange 0x100000 0x10000\n"
           "add EfiConventionalMemory 0x100000 0x10\n",
           head);
  expect_commands(text, 9);
}

static void test_line_too_long(void **state) {
  (void)state;
  size_t size = 5 * TRACE_LINE_MAX;
  char *text = malloc(size + 1);
  assert_non_null(text);
  static const char head[] = "region 0x1000 0x1000\n# fine\n";
  strcpy(text, head);
  size_t at = strlen(head);
  /* exactly TRACE_LINE_MAX bytes is fine (a comment) */
  text[at++] = '#';
  memset(text + at, 'x', TRACE_LINE_MAX - 1);
  at += TRACE_LINE_MAX - 1;
  text[at++] = '\n';
  /* a comment of any length is skipped, also after a command */
  text[at++] = '#';
  memset(text + at, 'y', 2 * TRACE_LINE_MAX);
  at += 2 * TRACE_LINE_MAX;
  text[at++] = '\n';
  /* text before any comment is capped */
  memset(text + at, 'z', TRACE_LINE_MAX + 1);
  at += TRACE_LINE_MAX + 1;
  text[at++] = '\n';
  text[at] = '\0';
  size_t count;
  trace_error error;
  assert_int_equal(read_all_bytes(text, at, &count, &error),
                   TRACE_READ_INVALID);
  assert_int_equal(error.line, 5);
  assert_non_null(strstr(error.message, "longer than 4096 bytes"));
  free(text);
}

static void test_binary_junk(void **state) {
  (void)state;
  static const char junk[] = "region 0x1000 0x1000\n\x7f\x45\x4c\x46\x02\x01";
  size_t count;
  trace_error error;
  assert_int_equal(read_all_bytes(junk, sizeof(junk) - 1, &count, &error),
                   TRACE_READ_INVALID);
  assert_int_equal(error.line, 2);
  assert_non_null(strstr(error.message, "unexpected byte 0x7f in column 1"));
  static const char nul[] = "region 0x1000 0x1000\nmap # \0\0\nst\0ats\n";
  assert_int_equal(read_all_bytes(nul, sizeof(nul) - 1, &count, &error),
                   TRACE_READ_INVALID);
  assert_int_equal(error.line, 3);
  assert_non_null(strstr(error.message, "unexpected byte 0x00 in column 3"));
}

/* The FILE path streams through a fixed buffer: lines that straddle its
 * refills come out whole, and the line count is exact. */
static void test_file_input(void **state) {
  (void)state;
  FILE *file = tmpfile();
  assert_non_null(file);
  fputs("region 0x100000 0x100000\r\n", file);
  const unsigned lines = 20000;
  for (unsigned i = 0; i < lines; i++) {
    fprintf(file, "alloc any EfiLoaderData %u @n%u # %u\n", i % 7, i, i);
  }
  fputs("free @n19999 1 2", file); /* no final newline, extra argument */
  rewind(file);
  trace_reader *reader = malloc(sizeof(*reader));
  assert_non_null(reader);
  trace_reader_init_file(reader, file);
  trace_command command;
  trace_error error;
  unsigned count = 0;
  trace_read_status status;
  while ((status = trace_reader_next(reader, &command, &error)) ==
         TRACE_READ_COMMAND) {
    if (count > 0) {
      char expected[32];
      snprintf(expected, sizeof(expected), "n%u", count - 1);
      assert_string_equal(command.alloc.name, expected);
      assert_int_equal(command.alloc.pages, (count - 1) % 7);
    }
    count++;
  }
  assert_int_equal(status, TRACE_READ_INVALID);
  assert_int_equal(count, lines + 1);
  assert_int_equal(error.line, lines + 2);
  assert_non_null(strstr(error.message, "unexpected argument '2'"));
  free(reader);
  fclose(file);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_line_numbers_count_everything),
      cmocka_unit_test(test_crlf_and_missing_final_newline),
      cmocka_unit_test(test_region_rules),
      cmocka_unit_test(test_setup_rules),
      cmocka_unit_test(test_line_too_long),
      cmocka_unit_test(test_binary_junk),
      cmocka_unit_test(test_file_input),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
