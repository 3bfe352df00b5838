/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * dxemem as an emulator's page allocator: several guests in one process
 * (one instance each, no locks), then several threads sharing one guest
 * (lock callbacks around a pthread mutex). Every mapping is written through
 * its host pointer and read back through the physical-to-host translation,
 * so overlapping mappings or a lost lock show up as wrong bytes. Built and
 * run by CTest (examples/emulator-guests); exits 0 when all checks hold.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <dxemem/emulator.h>
#include <dxemem/host.h>

#define GUESTS 3
#define THREADS 4
#define ROUNDS 2000
#define GUEST_RAM (UINT64_C(64) << 20)

/* A guest: RAM at physical 1 MiB, all of it free (conventional). */
static int guest_create(dxemem_host_instance *guest, dxemem_config *config) {
  config->region_base = 0x100000;
  config->region_size = GUEST_RAM;
  if (dxemem_host_create(config, guest) != DXEMEM_SUCCESS) {
    return -1;
  }
  return dxemem_add_memory_descriptor(guest->allocator,
                                      DXEMEM_CONVENTIONAL_MEMORY, 0x100000,
                                      GUEST_RAM >> 12, DXEMEM_MEMORY_WB) ==
                 DXEMEM_SUCCESS
             ? 0
             : -1;
}

/* Fills a mapping with a pattern of its owner, through the host pointer. */
static void fill(const dxemem_mapping *m, unsigned owner) {
  memset(m->host, (int)(owner & 0xff), (size_t)m->size);
}

/* Checks the pattern, reading through the guest's physical address. */
static int intact(dxemem *d, const dxemem_mapping *m, unsigned owner) {
  const unsigned char *bytes = dxemem_phys_to_host(d, m->phys, m->size);
  if (bytes != m->host) {
    return 0;
  }
  for (uint64_t i = 0; i < m->size; i++) {
    if (bytes[i] != (unsigned char)owner) {
      return 0;
    }
  }
  return 1;
}

/* ---- several guests, one instance each ---------------------------------- */

/* 3 MiB of LoaderCode at guest physical 2 MiB, as a loader places a kernel;
 * then reads its first byte back through the guest's physical address. */
static dxemem_status load_kernel(dxemem *d, dxemem_mapping *kernel) {
  // snippet emulator begin
  dxemem_map_options at_2m = {DXEMEM_ALLOCATE_ADDRESS, DXEMEM_LOADER_CODE,
                              0x200000};
  dxemem_status status = dxemem_map(d, 3 << 20, &at_2m, kernel);
  if (status != DXEMEM_SUCCESS) {
    return status;
  }
  memcpy(kernel->host, "\x7f" "ELF", 4); /* the host writes guest memory */
  const char *seen = dxemem_phys_to_host(d, 0x200000, 4); /* guest -> host */
  // snippet emulator end
  return seen == kernel->host && seen[0] == 0x7f ? DXEMEM_SUCCESS
                                                 : DXEMEM_VOLUME_CORRUPTED;
}

static dxemem_status unload_kernel(dxemem *d, dxemem_mapping *kernel) {
  // snippet emulator-unmap begin
  return dxemem_unmap(d, kernel->host, 3 << 20); /* munmap's shape */
  // snippet emulator-unmap end
}

static int run_guests(void) {
  dxemem_host_instance guests[GUESTS];
  dxemem_mapping kernel[GUESTS];
  int failed = 0;
  for (unsigned g = 0; g < GUESTS; g++) {
    dxemem_config config = {0};
    if (guest_create(&guests[g], &config) != 0) {
      return 1;
    }
    /* Each guest loads a "kernel" at the same guest physical address. */
    failed |= load_kernel(guests[g].allocator, &kernel[g]) != DXEMEM_SUCCESS;
    fill(&kernel[g], 0x10 + g);
  }
  /* Same guest address, different host memory: no guest sees another's. */
  for (unsigned g = 0; g < GUESTS; g++) {
    failed |= kernel[g].phys != 0x200000;
    failed |= !intact(guests[g].allocator, &kernel[g], 0x10 + g);
    failed |= unload_kernel(guests[g].allocator, &kernel[g]) != DXEMEM_SUCCESS;
    failed |= dxemem_check(guests[g].allocator, NULL) != DXEMEM_SUCCESS;
    dxemem_host_destroy(&guests[g]);
  }
  printf("%d guests in one process, each with its own kernel at 0x200000: %s\n",
         GUESTS, failed ? "FAILED" : "ok");
  return failed;
}

/* ---- several threads, one instance -------------------------------------- */

static pthread_mutex_t guest_lock = PTHREAD_MUTEX_INITIALIZER;

static void lock(void *context) { pthread_mutex_lock(context); }
static void unlock(void *context) { pthread_mutex_unlock(context); }

typedef struct worker {
  dxemem *d;
  unsigned id;
  int failed;
} worker;

/* Maps a few buffers of varied sizes and types, checks and unmaps them. */
static void *work(void *arg) {
  worker *w = arg;
  dxemem_mapping live[4];
  static const uint32_t types[] = {DXEMEM_BOOT_SERVICES_DATA,
                                   DXEMEM_LOADER_DATA,
                                   DXEMEM_RUNTIME_SERVICES_DATA,
                                   DXEMEM_ACPI_RECLAIM_MEMORY};
  for (unsigned round = 0; round < ROUNDS; round++) {
    for (unsigned i = 0; i < 4; i++) {
      dxemem_map_options options = {DXEMEM_ALLOCATE_ANY_PAGES, types[i], 0};
      uint64_t length = 100 + (uint64_t)((round * 7 + i * 13 + w->id) % 5) *
                                  4096;
      if (dxemem_map(w->d, length, &options, &live[i]) != DXEMEM_SUCCESS) {
        w->failed = 1;
        return NULL;
      }
      fill(&live[i], w->id * 4 + i);
    }
    for (unsigned i = 0; i < 4; i++) {
      w->failed |= !intact(w->d, &live[i], w->id * 4 + i);
      w->failed |= dxemem_unmap(w->d, live[i].host, live[i].size) !=
                   DXEMEM_SUCCESS;
    }
  }
  return NULL;
}

/* Adds up the pages of entries that are not free memory. */
static bool count_busy(void *context, const dxemem_entry_info *entry) {
  if (entry->type != DXEMEM_CONVENTIONAL_MEMORY) {
    *(uint64_t *)context += (entry->end + 1 - entry->start) >> 12;
  }
  return true;
}

static int run_threads(void) {
  dxemem_config config = {0};
  config.lock = lock;
  config.unlock = unlock;
  config.user_context = &guest_lock;
  dxemem_host_instance guest;
  if (guest_create(&guest, &config) != 0) {
    return 1;
  }
  uint64_t key_before = dxemem_get_map_key(guest.allocator);
  pthread_t threads[THREADS];
  worker workers[THREADS];
  for (unsigned t = 0; t < THREADS; t++) {
    workers[t] = (worker){guest.allocator, t + 1, 0};
    if (pthread_create(&threads[t], NULL, work, &workers[t]) != 0) {
      return 1;
    }
  }
  int failed = 0;
  for (unsigned t = 0; t < THREADS; t++) {
    pthread_join(threads[t], NULL);
    failed |= workers[t].failed;
  }
  /* Every mapping went back: only free memory is left in the map (the
   * allocator's own entry pages aside), and the invariants hold. */
  uint64_t busy_pages = 0;
  failed |= dxemem_for_each_entry(guest.allocator, count_busy, &busy_pages) !=
            DXEMEM_SUCCESS;
  dxemem_counts counts;
  failed |= dxemem_get_counts(guest.allocator, &counts) != DXEMEM_SUCCESS;
  failed |= busy_pages != counts.refuel_pages;
  failed |= dxemem_check(guest.allocator, NULL) != DXEMEM_SUCCESS;
  uint64_t changes = dxemem_get_map_key(guest.allocator) - key_before;
  printf("%d threads on one instance, %u map/unmap each: the map key moved "
         "%llu times, %llu page(s) in use at the end: %s\n",
         THREADS, ROUNDS * 4, (unsigned long long)changes,
         (unsigned long long)busy_pages, failed ? "FAILED" : "ok");
  dxemem_host_destroy(&guest);
  return failed;
}

int main(void) {
  int failed = run_guests();
  failed |= run_threads();
  return failed;
}
