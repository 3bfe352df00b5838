/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/* The fixture and helpers declared in core_test.h. */
#include "core_test.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *aligned_buffer(uint64_t size) {
  /* aligned_alloc wants a size that is a multiple of the alignment. */
  size_t bytes = (size_t)((size + 4095) & ~UINT64_C(4095));
  void *p = aligned_alloc(4096, bytes);
  assert_non_null(p);
  memset(p, 0xa5, bytes); /* not zero: the core must not rely on it */
  return p;
}

static void release(core_fixture *fx) {
  if (fx->d != NULL) {
    dxemem_destroy(fx->d);
    fx->d = NULL;
  }
  free(fx->storage);
  free(fx->host);
  free(fx->index);
  fx->storage = NULL;
  fx->host = NULL;
  fx->index = NULL;
}

/* The debug level of the fixture's instance: dxemem_check() runs at the
 * end of every call that reads or changes the map, and a broken invariant
 * fails the test right there (unless the test breaks them on purpose). */
static void invariant_failed(void *ctx, const char *message) {
  const core_fixture *fx = ctx;
  if (!fx->broken) {
    fail_msg("invariant broken after a call: %s", message);
  }
}

void fx_rebuild(core_fixture *fx, uint64_t base, uint64_t size,
                uint64_t granularity) {
  release(fx);
  /* Tests of the debug level itself install their own callback. */
  if (fx->config.assert_failed == NULL) {
    fx->config.user_context = fx;
    fx->config.assert_failed = invariant_failed;
  }
  fx->config.check_every_call = true;
  /* Every call walks both lists and compares the index with them. The
   * suite runs once on the index and once on the list path
   * (DXEMEM_TEST_LIST_PATH=1, a second CTest per module). */
  fx->config.check_level = DXEMEM_CHECK_FULL;
  const char *list_path = getenv("DXEMEM_TEST_LIST_PATH");
  fx->config.list_path = list_path != NULL && strcmp(list_path, "1") == 0;
  fx->config.index_storage = NULL;
  fx->config.index_storage_size = 0;
  if (!fx->config.list_path) {
    size_t bytes = dxemem_index_size(dxemem_index_entries_for_region(size));
    fx->index = aligned_buffer(bytes);
    fx->config.index_storage = fx->index;
    fx->config.index_storage_size = bytes;
  }
  fx->storage = aligned_buffer(dxemem_instance_size());
  fx->host = aligned_buffer(size);
  fx->config.region_base = base;
  fx->config.region_size = size;
  fx->config.region_host = fx->host;
  fx->config.runtime_granularity = granularity;
  dxemem_status status =
      dxemem_create(fx->storage, dxemem_instance_size(), &fx->config, &fx->d);
  assert_int_equal(status, DXEMEM_SUCCESS);
  assert_non_null(fx->d);
}

int fx_setup(void **state) {
  core_fixture *fx = calloc(1, sizeof *fx);
  assert_non_null(fx);
  fx_rebuild(fx, FX_BASE, FX_SIZE, 0);
  *state = fx;
  return 0;
}

int fx_teardown(void **state) {
  core_fixture *fx = *state;
  dxemem_violation v;
  dxemem_status status = DXEMEM_SUCCESS;
  if (fx->d != NULL && !fx->broken) {
    status = dxemem_check(fx->d, &v);
  }
  /* Release first: a failing check must not leak the fixture. */
  release(fx);
  free(fx);
  if (status != DXEMEM_SUCCESS) {
    print_error("teardown: checker: kind %d: %s\n", (int)v.kind, v.message);
  }
  assert_int_equal(status, DXEMEM_SUCCESS);
  return 0;
}

static void record_event(void *ctx, const dxemem_event *event) {
  core_fixture *fx = ctx;
  assert_true(fx->event_count < FX_EVENT_LOG);
  fx->events[fx->event_count++] = *event;
}

void fx_log_events(core_fixture *fx) {
  fx->config.user_context = fx;
  fx->config.event = record_event;
  fx_rebuild(fx, fx->config.region_base, fx->config.region_size,
             fx->config.runtime_granularity);
  fx_clear_events(fx);
}

void fx_clear_events(core_fixture *fx) {
  fx->event_count = 0;
}

static void count_lock(void *ctx) {
  core_fixture *fx = ctx;
  if (fx->lock_depth != 0) {
    fx->lock_nested = true;
  }
  fx->lock_depth++;
  fx->lock_calls++;
}

static void count_unlock(void *ctx) {
  core_fixture *fx = ctx;
  fx->lock_depth--;
  fx->unlock_calls++;
}

void fx_count_locks(core_fixture *fx) {
  fx->config.user_context = fx;
  fx->config.lock = count_lock;
  fx->config.unlock = count_unlock;
  fx_rebuild(fx, fx->config.region_base, fx->config.region_size,
             fx->config.runtime_granularity);
}

/* ---- calls that must succeed ------------------------------------------- */

static void expect_status(dxemem_status got, const char *what) {
  if (got != DXEMEM_SUCCESS) {
    const char *name = dxemem_status_name(got);
    print_error("%s returned %s\n", what, name != NULL ? name : "?");
  }
  assert_int_equal(got, DXEMEM_SUCCESS);
}

void fx_add(core_fixture *fx, uint32_t type, uint64_t start, uint64_t pages,
            uint64_t attribute) {
  expect_status(
      dxemem_add_memory_descriptor(fx->d, type, start, pages, attribute),
      "add");
}

void fx_add_all(core_fixture *fx) {
  fx_add(fx, T_CONV, fx->config.region_base, fx->config.region_size >> 12, 0);
}

uint64_t fx_alloc(core_fixture *fx, uint32_t allocate_type, uint32_t type,
                  uint64_t pages, uint64_t address) {
  uint64_t memory = address;
  expect_status(
      dxemem_allocate_pages(fx->d, allocate_type, type, pages, &memory),
      "allocate");
  return memory;
}

void fx_free(core_fixture *fx, uint64_t address, uint64_t pages) {
  expect_status(dxemem_free_pages(fx->d, address, pages), "free");
}

void fx_bins(core_fixture *fx, const dxemem_memory_type_information *bins,
             size_t count) {
  expect_status(dxemem_set_memory_type_information(fx->d, bins, count),
                "set_memory_type_information");
}

void fx_assert_green(core_fixture *fx) {
  dxemem_violation v;
  dxemem_status status = dxemem_check(fx->d, &v);
  if (status != DXEMEM_SUCCESS) {
    print_error("checker: kind %d: %s\n", (int)v.kind, v.message);
  }
  assert_int_equal(status, DXEMEM_SUCCESS);
  assert_int_equal(v.kind, DXEMEM_VIOLATION_NONE);
}

dxemem_violation fx_assert_violation(core_fixture *fx,
                                     dxemem_violation_kind kind) {
  dxemem_violation v;
  memset(&v, 0, sizeof v);
  assert_int_equal(dxemem_check(fx->d, &v), DXEMEM_VOLUME_CORRUPTED);
  if (v.kind != kind) {
    print_error("checker reported kind %d (%s), expected %d\n", (int)v.kind,
                v.message, (int)kind);
  }
  assert_int_equal(v.kind, kind);
  assert_true(strlen(v.message) > 0);
  return v;
}

/* ---- map tables --------------------------------------------------------- */

static bool collect(void *ctx, const dxemem_entry_info *e) {
  map_view *view = ctx;
  assert_true(view->count < FX_MAX_ENTRIES);
  view->e[view->count++] = *e;
  return true;
}

void fx_read_map(dxemem *d, map_view *out) {
  out->count = 0;
  assert_int_equal(dxemem_for_each_entry(d, collect, out), DXEMEM_SUCCESS);
}

static uint64_t entry_pages(const dxemem_entry_info *e) {
  return (e->end + 1 - e->start) >> 12;
}

static void print_table(const char *title, const exp_entry *rows, size_t n) {
  print_error("%s (%zu):\n", title, n);
  for (size_t i = 0; i < n; i++) {
    print_error("  type %#" PRIx32 " start %#" PRIx64 " pages %#" PRIx64
                " attr %#" PRIx64 "\n",
                rows[i].type, rows[i].start, rows[i].pages, rows[i].attribute);
  }
}

static void compare_tables(const exp_entry *got, size_t got_n,
                           const exp_entry *want, size_t want_n,
                           const char *file, int line) {
  bool same = got_n == want_n;
  for (size_t i = 0; same && i < want_n; i++) {
    same = got[i].type == want[i].type && got[i].start == want[i].start &&
           got[i].pages == want[i].pages &&
           got[i].attribute == want[i].attribute;
  }
  if (!same) {
    print_error("%s:%d: map differs\n", file, line);
    print_table("got", got, got_n);
    print_table("want", want, want_n);
  }
  assert_true(same);
}

void fx_expect_map(dxemem *d, const exp_entry *want, size_t n, const char *file,
                   int line) {
  static map_view view;
  static exp_entry got[FX_MAX_ENTRIES];
  fx_read_map(d, &view);
  for (size_t i = 0; i < view.count; i++) {
    got[i].type = view.e[i].type;
    got[i].start = view.e[i].start;
    got[i].pages = entry_pages(&view.e[i]);
    got[i].attribute = view.e[i].attribute;
  }
  compare_tables(got, view.count, want, n, file, line);
}

void fx_get_memory_map(dxemem *d, descriptor_view *out) {
  uint64_t size = 0;
  uint64_t key = 0;
  uint64_t descriptor_size = 0;
  uint32_t version = 0;
  assert_int_equal(
      dxemem_get_memory_map(d, &size, NULL, &key, &descriptor_size, &version),
      DXEMEM_BUFFER_TOO_SMALL);
  assert_int_equal(descriptor_size, 0x30);
  assert_int_equal(version, 1);
  uint8_t *buffer = malloc((size_t)size + 1);
  assert_non_null(buffer);
  uint64_t used = size;
  assert_int_equal(dxemem_get_memory_map(d, &used, (void *)buffer, &out->key,
                                         &descriptor_size, &version),
                   DXEMEM_SUCCESS);
  assert_true(used <= size);
  assert_int_equal(used % descriptor_size, 0);
  out->count = (size_t)(used / descriptor_size);
  assert_true(out->count <= FX_MAX_DESCRIPTORS);
  for (size_t i = 0; i < out->count; i++) {
    memcpy(&out->m[i], buffer + i * descriptor_size, sizeof out->m[i]);
  }
  free(buffer);
}

void fx_expect_descriptors(dxemem *d, const exp_entry *want, size_t n,
                           const char *file, int line) {
  static descriptor_view view;
  static exp_entry got[FX_MAX_DESCRIPTORS];
  fx_get_memory_map(d, &view);
  for (size_t i = 0; i < view.count; i++) {
    got[i].type = view.m[i].type;
    got[i].start = view.m[i].physical_start;
    got[i].pages = view.m[i].number_of_pages;
    got[i].attribute = view.m[i].attribute;
  }
  compare_tables(got, view.count, want, n, file, line);
}

/* ---- snapshots ---------------------------------------------------------- */

void fx_snapshot(dxemem *d, state_snapshot *out) {
  memset(out, 0, sizeof *out);
  fx_read_map(d, &out->map);
  out->key = dxemem_get_map_key(d);
  assert_int_equal(dxemem_get_counts(d, &out->counts), DXEMEM_SUCCESS);
  for (uint32_t t = 0; t <= DXEMEM_MAX_MEMORY_TYPE; t++) {
    assert_int_equal(dxemem_get_type_statistics(d, t, &out->stats[t]),
                     DXEMEM_SUCCESS);
    assert_int_equal(dxemem_get_memory_type_information(d, t, &out->info[t]),
                     DXEMEM_SUCCESS);
  }
  assert_int_equal(
      dxemem_get_default_range(d, &out->default_base, &out->default_max),
      DXEMEM_SUCCESS);
  out->bins_initialized = dxemem_bins_initialized(d);
}

static bool same_entry(const dxemem_entry_info *a, const dxemem_entry_info *b) {
  return a->start == b->start && a->end == b->end &&
         a->attribute == b->attribute && a->type == b->type &&
         a->from_pages == b->from_pages && a->entry_address == b->entry_address;
}

static bool same_stats(const dxemem_type_statistics *a,
                       const dxemem_type_statistics *b) {
  return a->base_address == b->base_address &&
         a->maximum_address == b->maximum_address &&
         a->current_number_of_pages == b->current_number_of_pages &&
         a->number_of_pages == b->number_of_pages &&
         a->information_index == b->information_index &&
         a->special == b->special && a->runtime == b->runtime;
}

void fx_expect_same_state(const state_snapshot *a, const state_snapshot *b,
                          const char *file, int line) {
  const char *diff = NULL;
  size_t index = 0;
  if (a->map.count != b->map.count) {
    diff = "number of entries";
  }
  for (size_t i = 0; diff == NULL && i < a->map.count; i++) {
    if (!same_entry(&a->map.e[i], &b->map.e[i])) {
      diff = "map entry";
      index = i;
    }
  }
  if (diff == NULL && a->key != b->key) {
    diff = "map key";
  }
  if (diff == NULL && memcmp(&a->counts, &b->counts, sizeof a->counts) != 0) {
    diff = "counts";
  }
  for (size_t t = 0; diff == NULL && t <= DXEMEM_MAX_MEMORY_TYPE; t++) {
    if (!same_stats(&a->stats[t], &b->stats[t])) {
      diff = "statistics of type";
      index = t;
    } else if (a->info[t].type != b->info[t].type ||
               a->info[t].number_of_pages != b->info[t].number_of_pages) {
      diff = "memory type information slot";
      index = t;
    }
  }
  if (diff == NULL && (a->default_base != b->default_base ||
                       a->default_max != b->default_max)) {
    diff = "default range";
  }
  if (diff == NULL && a->bins_initialized != b->bins_initialized) {
    diff = "bins initialised";
  }
  if (diff != NULL) {
    print_error("%s:%d: state changed: %s %zu\n", file, line, diff, index);
  }
  assert_null(diff);
}

dxemem_type_statistics fx_stats(dxemem *d, uint32_t type) {
  dxemem_type_statistics s;
  assert_int_equal(dxemem_get_type_statistics(d, type, &s), DXEMEM_SUCCESS);
  return s;
}

dxemem_counts fx_counts(dxemem *d) {
  dxemem_counts c;
  assert_int_equal(dxemem_get_counts(d, &c), DXEMEM_SUCCESS);
  return c;
}

dxemem_memory_type_information fx_slot(core_fixture *fx, size_t index) {
  dxemem_memory_type_information info;
  assert_int_equal(dxemem_get_memory_type_information(fx->d, index, &info),
                   DXEMEM_SUCCESS);
  return info;
}

void fx_expect_bin(core_fixture *fx, uint32_t type, uint64_t base,
                   uint64_t max, uint64_t pages, uint64_t index) {
  dxemem_type_statistics s = fx_stats(fx->d, type);
  assert_int_equal(s.base_address, base);
  assert_int_equal(s.maximum_address, max);
  assert_int_equal(s.number_of_pages, pages);
  assert_int_equal(s.information_index, index);
  assert_int_equal(s.current_number_of_pages, 0);
}

void fx_expect_default_range(core_fixture *fx, uint64_t base, uint64_t max) {
  uint64_t b = 0;
  uint64_t m = 0;
  assert_int_equal(dxemem_get_default_range(fx->d, &b, &m), DXEMEM_SUCCESS);
  assert_int_equal(b, base);
  assert_int_equal(m, max);
}

size_t fx_use_up_free_entries(core_fixture *fx) {
  size_t n = 0;
  while (fx_counts(fx->d).free_entries > 0) {
    uint32_t type = (n % 2 == 0) ? T_LC : T_LD;
    (void)fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, type, 1, 0);
    n++;
    assert_true(n < 4096);
  }
  return n;
}
