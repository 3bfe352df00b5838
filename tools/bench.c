/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * dxemem-bench: how fast is dxemem as a page allocator, next to the host's
 * own mmap/munmap, for the same random workload (what an emulator does when
 * it uses dxemem in place of mmap)? Both run side by side in one process and
 * the result is a ratio, because absolute times on shared machines mean
 * little.
 *
 *   dxemem-bench [LIVE [OPS [SEED]]]
 *
 * LIVE allocations of 1..16 pages of mixed types are kept alive; each of
 * OPS steps frees one at random and allocates a new one. The map then holds
 * about LIVE entries, which is what edk2's list algorithms scale with.
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, clock_gettime */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#include "dxemem/dxemem.h"
#include "dxemem/host.h"

typedef struct workload {
  uint64_t *pages;  /* per op: pages to allocate */
  uint32_t *types;  /* per op: memory type */
  uint64_t *victim; /* per op: which live slot to free */
  size_t ops;
  size_t live;
} workload;

static uint64_t next_random(uint64_t *state) {
  *state ^= *state << 13;
  *state ^= *state >> 7;
  *state ^= *state << 17;
  return *state;
}

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static bool make_workload(workload *w, size_t live, size_t ops, uint64_t seed) {
  static const uint32_t types[] = {
      DXEMEM_LOADER_DATA, DXEMEM_BOOT_SERVICES_DATA, DXEMEM_BOOT_SERVICES_CODE,
      DXEMEM_LOADER_CODE};
  size_t total = live + ops;
  w->pages = calloc(total, sizeof *w->pages);
  w->types = calloc(total, sizeof *w->types);
  w->victim = calloc(total, sizeof *w->victim);
  w->ops = ops;
  w->live = live;
  if (w->pages == NULL || w->types == NULL || w->victim == NULL) {
    return false;
  }
  uint64_t state = seed | 1u;
  for (size_t i = 0; i < total; i++) {
    w->pages[i] = 1 + next_random(&state) % 16;
    w->types[i] = types[next_random(&state) % 4];
    w->victim[i] = next_random(&state) % live;
  }
  return true;
}

/* Runs the workload on dxemem; returns seconds, or -1 on a failure. */
static double run_dxemem(const workload *w, uint64_t *slots_addr,
                         uint64_t *slots_pages) {
  uint64_t region_bytes = (uint64_t)(w->live * 16 * 2 + 4096) * 4096;
  dxemem_config config = {.region_base = 0x100000,
                          .region_size = region_bytes};
  dxemem_host_instance instance;
  if (dxemem_host_create(&config, &instance) != DXEMEM_SUCCESS) {
    return -1;
  }
  dxemem *d = instance.allocator;
  double seconds = -1;
  if (dxemem_add_memory_descriptor(d, DXEMEM_CONVENTIONAL_MEMORY, 0x100000,
                                   region_bytes >> 12, 0xf) != DXEMEM_SUCCESS) {
    goto done;
  }
  double start = now_seconds();
  for (size_t i = 0; i < w->live + w->ops; i++) {
    size_t slot = i < w->live ? i : w->victim[i];
    if (i >= w->live &&
        dxemem_free_pages(d, slots_addr[slot], slots_pages[slot]) !=
            DXEMEM_SUCCESS) {
      goto done;
    }
    if (dxemem_allocate_pages(d, DXEMEM_ALLOCATE_ANY_PAGES, w->types[i],
                              w->pages[i], &slots_addr[slot]) !=
        DXEMEM_SUCCESS) {
      goto done;
    }
    slots_pages[slot] = w->pages[i];
  }
  seconds = now_seconds() - start;
done:
  dxemem_host_destroy(&instance);
  return seconds;
}

/* The same workload on mmap/munmap. */
static double run_mmap(const workload *w, void **slots, uint64_t *slots_pages) {
  double start = now_seconds();
  for (size_t i = 0; i < w->live + w->ops; i++) {
    size_t slot = i < w->live ? i : w->victim[i];
    if (i >= w->live && munmap(slots[slot], slots_pages[slot] * 4096) != 0) {
      return -1;
    }
    slots[slot] = mmap(NULL, w->pages[i] * 4096, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (slots[slot] == MAP_FAILED) {
      return -1;
    }
    slots_pages[slot] = w->pages[i];
  }
  double seconds = now_seconds() - start;
  for (size_t s = 0; s < w->live; s++) {
    munmap(slots[s], slots_pages[s] * 4096);
  }
  return seconds;
}

int main(int argc, char **argv) {
  size_t live = argc > 1 ? strtoul(argv[1], NULL, 0) : 256;
  size_t ops = argc > 2 ? strtoul(argv[2], NULL, 0) : 20000;
  uint64_t seed = argc > 3 ? strtoull(argv[3], NULL, 0) : 1;
  if (live == 0 || ops == 0 || live > (1u << 20) || ops > (1u << 26)) {
    fprintf(stderr, "usage: dxemem-bench [LIVE [OPS [SEED]]]\n");
    return 2;
  }
  workload w;
  uint64_t *addr = calloc(live, sizeof *addr);
  uint64_t *pages = calloc(live, sizeof *pages);
  void **maps = calloc(live, sizeof *maps);
  if (!make_workload(&w, live, ops, seed) || addr == NULL || pages == NULL ||
      maps == NULL) {
    fprintf(stderr, "dxemem-bench: out of memory\n");
    return 1;
  }
  double t_dxemem = run_dxemem(&w, addr, pages);
  double t_mmap = run_mmap(&w, maps, pages);
  if (t_dxemem < 0 || t_mmap < 0) {
    fprintf(stderr, "dxemem-bench: a call failed\n");
    return 1;
  }
  size_t calls = live + 2 * ops;
  printf("workload: %zu live allocations, %zu free+alloc steps, seed %" PRIu64
         "\n",
         live, ops, seed);
  printf("dxemem:    %10.0f calls/s\n", (double)calls / t_dxemem);
  printf("mmap:      %10.0f calls/s\n", (double)calls / t_mmap);
  printf("ratio:     dxemem takes %.2fx the time of mmap/munmap\n",
         t_dxemem / t_mmap);
  free(w.pages);
  free(w.types);
  free(w.victim);
  free(addr);
  free(pages);
  free(maps);
  return 0;
}
