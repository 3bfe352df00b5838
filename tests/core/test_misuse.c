/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * Misuse the contract forbids, answered with a status instead of damage:
 * calls from the instance's own callbacks, instance storage inside the
 * region, bad links reaching the poison node, and unlocked use from two
 * threads (simulated: the busy mark another thread's call would hold).
 */
#include "core_test.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* ---- a callback that calls back in ------------------------------------ */

typedef struct reentry {
  core_fixture *fx;
  bool done;       /* call in once, from the first event */
  size_t attempts; /* calls made from the callback */
  size_t refused;  /* of them answered as documented */
  int lock_depth;  /* for the recursive lock */
} reentry;

static reentry current;

/* Every kind of call, each of which must be refused and change nothing. */
static void call_everything(dxemem *d) {
  uint64_t memory = 0;
  uint64_t size = 0;
  uint64_t key = 0;
  uint64_t dsize = 0;
  uint32_t version = 0;
  dxemem_type_statistics stats;
  dxemem_memory_type_information info;
  dxemem_counts counts;
  uint64_t base = 0;
  uint64_t max = 0;
  const dxemem_status statuses[] = {
      dxemem_allocate_pages(d, DXEMEM_ALLOCATE_ANY_PAGES, T_BSD, 1, &memory),
      dxemem_free_pages(d, FX_BASE, 1),
      dxemem_add_memory_descriptor(d, T_CONV, FX_BASE, 1, 0),
      dxemem_update_memory_attributes(d, FX_BASE, 1, 0),
      dxemem_get_memory_map(d, &size, NULL, &key, &dsize, &version),
      dxemem_terminate_memory_map(d, dxemem_get_map_key(d)),
      dxemem_allocate_pool_pages(d, T_BSD, 1, 4096, &memory),
      dxemem_free_pool_pages(d, FX_BASE, 1),
      dxemem_set_runtime_granularity(d, 4096),
      dxemem_set_memory_type_information(d, NULL, 0),
      dxemem_set_memory_type_information_range(d, FX_BASE, PG(4)),
      dxemem_get_type_statistics(d, T_BSD, &stats),
      dxemem_get_memory_type_information(d, 0, &info),
      dxemem_get_default_range(d, &base, &max),
      dxemem_get_counts(d, &counts),
      dxemem_check(d, NULL),
  };
  for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++) {
    current.attempts++;
    current.refused += statuses[i] == DXEMEM_ACCESS_DENIED;
  }
  current.attempts++;
  current.refused += dxemem_get_map_key(d) == 0;
  /* destroy does nothing while a call runs. */
  dxemem_destroy(d);
  current.attempts++;
  current.refused += d->magic == DXEMEM_INSTANCE_MAGIC;
}

static void reenter_from_event(void *ctx, const dxemem_event *event) {
  (void)ctx;
  (void)event;
  if (!current.done) {
    current.done = true;
    call_everything(current.fx->d);
  }
}

static void reenter_from_event_for_each(void *ctx, const dxemem_event *event);

static bool visit_reenter(void *ctx, const dxemem_entry_info *e) {
  (void)ctx;
  (void)e;
  if (!current.done) {
    current.done = true;
    call_everything(current.fx->d);
  }
  return true;
}

/* An allocation with a callback that calls in leaves exactly the state the
 * same allocation leaves without it. */
static void test_event_callback_calls_in(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  (void)fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_LD, 3, 0);
  state_snapshot want;
  (void)fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_BSD, 2, 0);
  fx_snapshot(fx->d, &want);

  fx->config.event = reenter_from_event;
  fx_rebuild(fx, FX_BASE, FX_SIZE, 0);
  memset(&current, 0, sizeof current);
  current.fx = fx;
  fx_add_all(fx);
  current.done = true; /* not during the add */
  (void)fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_LD, 3, 0);
  current.done = false;
  (void)fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_BSD, 2, 0);
  assert_true(current.done);
  assert_int_equal(current.refused, current.attempts);
  state_snapshot got;
  fx_snapshot(fx->d, &got);
  EXPECT_SAME_STATE(&want, &got);
  fx->config.event = NULL;
}

/* The visit callback of dxemem_for_each_entry, likewise. */
static void test_visit_callback_calls_in(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  (void)fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_LD, 3, 0);
  state_snapshot before;
  fx_snapshot(fx->d, &before);
  memset(&current, 0, sizeof current);
  current.fx = fx;
  assert_int_equal(dxemem_for_each_entry(fx->d, visit_reenter, NULL),
                   DXEMEM_SUCCESS);
  assert_true(current.done);
  assert_int_equal(current.refused, current.attempts);
  state_snapshot after;
  fx_snapshot(fx->d, &after);
  EXPECT_SAME_STATE(&before, &after);
}

/* A recursive lock lets the inner call past the lock; the busy mark still
 * refuses it, and every lock is given back. */
static void recursive_lock(void *ctx) {
  (void)ctx;
  current.lock_depth++;
}

static void recursive_unlock(void *ctx) {
  (void)ctx;
  current.lock_depth--;
}

static void reenter_from_event_for_each(void *ctx, const dxemem_event *event) {
  reenter_from_event(ctx, event);
}

static void test_callback_calls_in_under_recursive_lock(void **state) {
  core_fixture *fx = *state;
  fx->config.lock = recursive_lock;
  fx->config.unlock = recursive_unlock;
  fx->config.event = reenter_from_event_for_each;
  fx_rebuild(fx, FX_BASE, FX_SIZE, 0);
  memset(&current, 0, sizeof current);
  current.fx = fx;
  current.done = true;
  fx_add_all(fx);
  current.done = false;
  (void)fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_BSD, 2, 0);
  assert_true(current.done);
  assert_int_equal(current.refused, current.attempts);
  assert_int_equal(current.lock_depth, 0);
  fx->config.event = NULL;
}

/* The visit callback links the next entry back to the one it visits, a
 * cycle of two: the walk stays bounded and the next call names the
 * damage. */
static bool visit_scribble(void *ctx, const dxemem_entry_info *e) {
  core_fixture *fx = ctx;
  current.attempts++;
  if (e->entry_address == 0 || current.attempts > 1000) {
    return current.attempts <= 1000;
  }
  const map_entry *m = dxemem_phys_to_host(fx->d, e->entry_address, 64);
  map_entry *next = REF_IS_HOST(m->next)
                        ? NULL
                        : dxemem_phys_to_host(fx->d, m->next, 64);
  if (next != NULL) {
    next->next = e->entry_address;
  }
  return true;
}

static void test_visit_scribbles_links(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  (void)fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_LD, 3, 0);
  (void)fx_alloc(fx, DXEMEM_ALLOCATE_ANY_PAGES, T_BSD, 2, 0);
  dxemem_counts counts = fx_counts(fx->d);
  memset(&current, 0, sizeof current);
  fx->broken = true;
  fx->config.check_every_call = false;
  fx->d->config.check_every_call = false;
  assert_int_equal(dxemem_for_each_entry(fx->d, visit_scribble, fx),
                   DXEMEM_SUCCESS);
  assert_true(current.attempts <= counts.map_entries);
  uint64_t memory = 0;
  assert_int_equal(dxemem_allocate_pages(fx->d, DXEMEM_ALLOCATE_ANY_PAGES,
                                         T_BSD, 1, &memory),
                   DXEMEM_VOLUME_CORRUPTED);
  assert_int_not_equal(dxemem_last_corruption(fx->d), 0);
}

/* ---- unlocked use from two threads ------------------------------------ */

/* While another thread's call holds the instance (its busy mark), a call
 * without lock callbacks is refused and changes nothing. */
static void test_unlocked_second_caller_is_refused(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  state_snapshot before;
  fx_snapshot(fx->d, &before);
  fx->d->busy = 1; /* as if another thread were inside */
  memset(&current, 0, sizeof current);
  call_everything(fx->d);
  assert_int_equal(current.refused, current.attempts);
  assert_int_equal(dxemem_for_each_entry(fx->d, visit_reenter, NULL),
                   DXEMEM_ACCESS_DENIED);
  fx->d->busy = 0;
  state_snapshot after;
  fx_snapshot(fx->d, &after);
  EXPECT_SAME_STATE(&before, &after);
}

/* ---- instance storage -------------------------------------------------- */

static void test_storage_inside_region_is_refused(void **state) {
  core_fixture *fx = *state;
  size_t need = dxemem_instance_size();
  size_t region = 4 * 4096;
  /* aligned_alloc wants a multiple of the alignment. */
  unsigned char *block = aligned_alloc(
      4096, (region + 2 * need + 8192 + 4095) & ~(size_t)4095);
  assert_non_null(block);
  unsigned char *host = block + need + 4096; /* room on both sides */
  dxemem_config c = fx->config;
  c.event = NULL;
  c.region_base = 0x100000;
  c.region_size = region;
  c.region_host = host;
  dxemem *d = NULL;
  /* At its start, at its end, straddling either edge. */
  assert_int_equal(dxemem_create(host, need, &c, &d), DXEMEM_INVALID_PARAMETER);
  assert_null(d);
  assert_int_equal(dxemem_create(host + region - 8, need, &c, &d),
                   DXEMEM_INVALID_PARAMETER);
  assert_int_equal(dxemem_create(host - need + 8, need, &c, &d),
                   DXEMEM_INVALID_PARAMETER);
  assert_int_equal(dxemem_create(host + 4096, need, &c, &d),
                   DXEMEM_INVALID_PARAMETER);
  /* Right before and right after it: fine. */
  assert_int_equal(dxemem_create(host - need, need, &c, &d), DXEMEM_SUCCESS);
  dxemem_destroy(d);
  assert_int_equal(dxemem_create(host + region, need, &c, &d), DXEMEM_SUCCESS);
  dxemem_destroy(d);
  assert_false(dx_host_ranges_overlap(host, 8, host + 8, 8));
  assert_true(dx_host_ranges_overlap(host + 8, 8, host, 9));
  free(block);
}

/* ---- the poison node --------------------------------------------------- */

/* A bad link leads to the poison node, and the poison node leads back to
 * the map head: no walk can circle on it. Page 0 is never an entry, even
 * in a region that starts at 0. */
static void test_poison_node_ends_walks(void **state) {
  core_fixture *fx = *state;
  fx_add_all(fx);
  assert_int_equal(dx_list_next(fx->d, REF_NULL), REF_MAP_HEAD);
  assert_int_equal(dx_list_next(fx->d, FX_BASE + 8), REF_MAP_HEAD);
  assert_int_equal(dx_list_next(fx->d, FX_TOP + 4096), REF_MAP_HEAD);
  /* Even after someone wrote through it. */
  dx_node(fx->d, REF_NULL)->next = REF_NULL;
  assert_int_equal(dx_list_next(fx->d, REF_NULL), REF_MAP_HEAD);
  fx->d->last_corruption = 0;

  fx_rebuild(fx, 0, FX_SIZE, 0);
  fx_add_all(fx);
  assert_ptr_equal(dx_node(fx->d, REF_NULL), &fx->d->poison);
  assert_int_equal(dx_list_next(fx->d, REF_NULL), REF_MAP_HEAD);
  fx->d->last_corruption = 0;
}

#define T(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      T(test_event_callback_calls_in),
      T(test_visit_callback_calls_in),
      T(test_callback_calls_in_under_recursive_lock),
      T(test_visit_scribbles_links),
      T(test_unlocked_second_caller_is_refused),
      T(test_storage_inside_region_is_refused),
      T(test_poison_node_ends_walks),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
