/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * Four threads share one instance. Each allocates pages, stamps every page
 * with its thread and allocation number, checks the stamps before freeing,
 * and frees. With a mutex as the lock the stamps never change and no page
 * is handed out twice; without any lock each call either runs alone or is
 * refused (DXEMEM_ACCESS_DENIED), never hangs, and the stamps hold too. The
 * checker is green at the end. Run under the sanitizers in CI.
 */
#include "core_test.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define THREADS 4
#define ROUNDS 1500
#define LIVE 8

typedef struct shared {
  dxemem *d;
  pthread_mutex_t mutex;
  bool locked;
  int failures; /* stamps broken or statuses not allowed */
  int refused;  /* DXEMEM_ACCESS_DENIED without a lock */
} shared;

typedef struct worker {
  shared *s;
  uint32_t id;
  uint64_t seed;
} worker;

static void lock_cb(void *ctx) {
  pthread_mutex_lock(&((shared *)ctx)->mutex);
}

static void unlock_cb(void *ctx) {
  pthread_mutex_unlock(&((shared *)ctx)->mutex);
}

static void ignore_assert(void *ctx, const char *message) {
  (void)ctx;
  (void)message;
}

static uint64_t next_random(uint64_t *x) {
  *x ^= *x << 13;
  *x ^= *x >> 7;
  *x ^= *x << 17;
  return *x;
}

static uint64_t stamp_of(uint32_t id, uint64_t n, uint64_t page) {
  return ((uint64_t)id << 56) ^ (n << 20) ^ page;
}

static void stamp(dxemem *d, uint64_t base, uint64_t pages, uint64_t value) {
  for (uint64_t p = 0; p < pages; p++) {
    uint64_t *w = dxemem_phys_to_host(d, base + PG(p), 4096);
    for (size_t i = 0; i < 512; i++) {
      w[i] = value ^ p ^ i;
    }
  }
}

static bool stamp_ok(dxemem *d, uint64_t base, uint64_t pages,
                     uint64_t value) {
  for (uint64_t p = 0; p < pages; p++) {
    const uint64_t *w = dxemem_phys_to_host(d, base + PG(p), 4096);
    for (size_t i = 0; i < 512; i++) {
      if (w[i] != (value ^ p ^ i)) {
        return false;
      }
    }
  }
  return true;
}

static void note(shared *s, bool failure, bool refused) {
  pthread_mutex_lock(&s->mutex);
  s->failures += failure;
  s->refused += refused;
  pthread_mutex_unlock(&s->mutex);
}

static void *run_worker(void *arg) {
  worker *w = arg;
  shared *s = w->s;
  uint64_t base[LIVE] = {0};
  uint64_t pages[LIVE] = {0};
  uint64_t value[LIVE] = {0};
  for (uint64_t n = 0; n < ROUNDS; n++) {
    size_t slot = next_random(&w->seed) % LIVE;
    if (pages[slot] != 0) {
      bool ok = stamp_ok(s->d, base[slot], pages[slot], value[slot]);
      dxemem_status st = dxemem_free_pages(s->d, base[slot], pages[slot]);
      bool refused = st == DXEMEM_ACCESS_DENIED && !s->locked;
      note(s, !ok || (st != DXEMEM_SUCCESS && !refused), refused);
      if (st == DXEMEM_SUCCESS) {
        pages[slot] = 0;
      }
      continue;
    }
    uint64_t count = 1 + next_random(&w->seed) % 4;
    uint32_t type = (next_random(&w->seed) & 1) ? T_LD : T_BSD;
    uint64_t memory = 0;
    dxemem_status st = dxemem_allocate_pages(
        s->d, DXEMEM_ALLOCATE_ANY_PAGES, type, count, &memory);
    bool refused = st == DXEMEM_ACCESS_DENIED && !s->locked;
    note(s, st != DXEMEM_SUCCESS && !refused && st != DXEMEM_OUT_OF_RESOURCES,
         refused);
    if (st == DXEMEM_SUCCESS) {
      base[slot] = memory;
      pages[slot] = count;
      value[slot] = stamp_of(w->id, n, memory);
      stamp(s->d, memory, count, value[slot]);
    }
  }
  for (size_t slot = 0; slot < LIVE; slot++) {
    while (pages[slot] != 0) {
      bool ok = stamp_ok(s->d, base[slot], pages[slot], value[slot]);
      dxemem_status st = dxemem_free_pages(s->d, base[slot], pages[slot]);
      bool refused = st == DXEMEM_ACCESS_DENIED && !s->locked;
      note(s, !ok || (st != DXEMEM_SUCCESS && !refused), refused);
      if (st == DXEMEM_SUCCESS || !refused) {
        pages[slot] = 0;
      }
    }
  }
  return NULL;
}

static void run_threads(core_fixture *fx, bool locked) {
  shared s = {.locked = locked};
  assert_int_equal(pthread_mutex_init(&s.mutex, NULL), 0);
  fx->config.check_every_call = false;
  /* Our context (the fixture installs its own only without a handler). */
  fx->config.user_context = &s;
  fx->config.assert_failed = ignore_assert;
  if (locked) {
    fx->config.lock = lock_cb;
    fx->config.unlock = unlock_cb;
  }
  fx_rebuild(fx, FX_BASE, FX_SIZE, 0);
  fx->d->config.check_every_call = false;
  fx_add_all(fx);
  s.d = fx->d;
  pthread_t threads[THREADS];
  worker workers[THREADS];
  for (uint32_t i = 0; i < THREADS; i++) {
    workers[i] = (worker){&s, i + 1, 0x9e3779b97f4a7c15u * (i + 1)};
    assert_int_equal(
        pthread_create(&threads[i], NULL, run_worker, &workers[i]), 0);
  }
  for (int i = 0; i < THREADS; i++) {
    assert_int_equal(pthread_join(threads[i], NULL), 0);
  }
  assert_int_equal(s.failures, 0);
  if (locked) {
    assert_int_equal(s.refused, 0);
  }
  fx_assert_green(fx);
  /* Everything went back: free memory and the refuel pages only. */
  map_view v;
  fx_read_map(fx->d, &v);
  for (size_t i = 0; i < v.count; i++) {
    assert_true(v.e[i].type == T_CONV || v.e[i].type == T_BSD);
  }
  fx->config.lock = NULL;
  fx->config.unlock = NULL;
  fx->config.assert_failed = NULL;
  fx_rebuild(fx, FX_BASE, FX_SIZE, 0); /* before s goes away */
  pthread_mutex_destroy(&s.mutex);
}

static void test_four_threads_with_a_lock(void **state) {
  run_threads(*state, true);
}

static void test_four_threads_without_a_lock(void **state) {
  run_threads(*state, false);
}

#define T(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      T(test_four_threads_with_a_lock),
      T(test_four_threads_without_a_lock),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
