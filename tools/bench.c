/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * dxemem-bench: how fast is dxemem as a page allocator? A benchmark
 * program, never a timed test. Everything it compares runs side by side in
 * one process, alternating, and it prints medians of several runs and their
 * ratios: absolute times on shared machines mean little. Times are the
 * thread's CPU time (user + system, so mmap's time in the kernel counts),
 * which a loaded machine disturbs less than the wall clock.
 *
 *   dxemem-bench [mmap] [--runs N] [--ops N]   dxemem beside mmap/munmap,
 *                                              LIVE 64 .. 32768
 *   dxemem-bench scale  [--runs N] [--ops N] [--max LIVE]
 *                                              dxemem alone, LIVE 64 .. 1M
 *   dxemem-bench paths  [--runs N] [--ops N] [--max LIVE]
 *                                              index vs list path, results
 *                                              asserted equal call by call
 *   dxemem-bench memory [--live N]             host memory for a big map
 *   dxemem-bench replay TRACE [--runs N]       commands/s of a trace replay
 *   dxemem-bench LIVE [OPS [SEED]]             one mmap comparison (old form)
 *
 * The workload: LIVE allocations of 1..16 pages of mixed types are made,
 * then each of OPS steps frees one at random and allocates a new one; the
 * steps are timed. The map then holds about 2 x LIVE entries, which is what
 * edk2's list algorithms scale with.
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, clock_gettime */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>

#include "dxemem/dxemem.h"
#include "dxemem/host.h"
#include "trace.h"

#define MAX_RUNS 15

typedef struct workload {
  uint64_t *pages;  /* per call: pages to allocate */
  uint32_t *types;  /* per call: memory type */
  uint64_t *victim; /* per step: which live slot to free */
  size_t ops;
  size_t live;
} workload;

static uint64_t next_random(uint64_t *state) {
  *state ^= *state << 13;
  *state ^= *state >> 7;
  *state ^= *state << 17;
  return *state;
}

static double cpu_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void free_workload(workload *w) {
  free(w->pages);
  free(w->types);
  free(w->victim);
  memset(w, 0, sizeof *w);
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

static uint64_t region_bytes_for(size_t live) {
  return (uint64_t)(live * 16 * 2 + 4096) * 4096;
}

/* A fresh instance over a region sized for the workload. */
static bool make_instance(const workload *w, bool list_path,
                          dxemem_host_instance *instance) {
  uint64_t bytes = region_bytes_for(w->live);
  dxemem_config config = {.region_base = 0x100000,
                          .region_size = bytes,
                          .list_path = list_path};
  if (dxemem_host_create(&config, instance) != DXEMEM_SUCCESS) {
    return false;
  }
  return dxemem_add_memory_descriptor(instance->allocator,
                                      DXEMEM_CONVENTIONAL_MEMORY, 0x100000,
                                      bytes >> 12, 0xf) == DXEMEM_SUCCESS;
}

/* What each call returned, to hold one path's results against another's. */
typedef struct call_log {
  uint64_t *address;
  dxemem_status *status;
  bool record; /* else compare */
  size_t mismatches;
} call_log;

static void log_call(call_log *log, size_t i, dxemem_status status,
                     uint64_t address) {
  if (log == NULL) {
    return;
  }
  if (log->record) {
    log->status[i] = status;
    log->address[i] = address;
  } else if (log->status[i] != status || log->address[i] != address) {
    if (log->mismatches++ == 0) {
      fprintf(stderr,
              "dxemem-bench: call %zu differs: index 0x%" PRIx64
              " status %#" PRIx64 ", list 0x%" PRIx64 " status %#" PRIx64 "\n",
              i, log->address[i], (uint64_t)log->status[i], address,
              (uint64_t)status);
    }
  }
}

/* Runs the workload on dxemem; returns the CPU seconds of the steps, or -1
 * on a failed call. The instance is left for the caller to inspect. */
static double run_dxemem(const workload *w, dxemem_host_instance *instance,
                         bool list_path, call_log *log) {
  if (!make_instance(w, list_path, instance)) {
    return -1;
  }
  dxemem *d = instance->allocator;
  uint64_t *addr = calloc(w->live, sizeof *addr);
  uint64_t *pages = calloc(w->live, sizeof *pages);
  double seconds = -1;
  double start = 0;
  if (addr == NULL || pages == NULL) {
    goto done;
  }
  for (size_t i = 0; i < w->live + w->ops; i++) {
    if (i == w->live) {
      start = cpu_seconds();
    }
    size_t slot = i < w->live ? i : w->victim[i];
    if (i >= w->live) {
      dxemem_status s = dxemem_free_pages(d, addr[slot], pages[slot]);
      log_call(log, 2 * i, s, 0);
      if (s != DXEMEM_SUCCESS) {
        goto done;
      }
    }
    dxemem_status s = dxemem_allocate_pages(
        d, DXEMEM_ALLOCATE_ANY_PAGES, w->types[i], w->pages[i], &addr[slot]);
    log_call(log, 2 * i + 1, s, addr[slot]);
    if (s != DXEMEM_SUCCESS) {
      goto done;
    }
    pages[slot] = w->pages[i];
  }
  seconds = cpu_seconds() - start;
done:
  free(addr);
  free(pages);
  return seconds;
}

static double run_dxemem_alone(const workload *w, bool list_path) {
  dxemem_host_instance instance;
  double seconds = run_dxemem(w, &instance, list_path, NULL);
  dxemem_host_destroy(&instance);
  return seconds;
}

/* The same workload on mmap/munmap. */
static double run_mmap(const workload *w) {
  void **slots = calloc(w->live, sizeof *slots);
  uint64_t *pages = calloc(w->live, sizeof *pages);
  double seconds = -1;
  double start = 0;
  size_t made = 0;
  if (slots == NULL || pages == NULL) {
    goto done;
  }
  for (size_t i = 0; i < w->live + w->ops; i++) {
    if (i == w->live) {
      start = cpu_seconds();
    }
    size_t slot = i < w->live ? i : w->victim[i];
    if (i >= w->live && munmap(slots[slot], pages[slot] * 4096) != 0) {
      goto done;
    }
    slots[slot] = mmap(NULL, w->pages[i] * 4096, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (slots[slot] == MAP_FAILED) {
      goto done;
    }
    pages[slot] = w->pages[i];
    made = made < w->live ? made + 1 : made;
  }
  seconds = cpu_seconds() - start;
done:
  for (size_t s = 0; s < made; s++) {
    munmap(slots[s], pages[s] * 4096);
  }
  free(slots);
  free(pages);
  return seconds;
}

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a;
  double y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, compare_doubles);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static bool any_failed(const double *v, int n) {
  for (int i = 0; i < n; i++) {
    if (v[i] < 0) {
      return true;
    }
  }
  return false;
}

typedef struct options {
  int runs;
  size_t ops;
  size_t max_live;
  uint64_t seed;
  const char *trace;
} options;

/* ---- mmap: dxemem beside mmap/munmap ------------------------------------ */

static int mode_mmap(const options *o, size_t first, size_t last) {
  printf("dxemem vs mmap/munmap: random free+alloc steps, %zu per run, "
         "median of %d runs\n",
         o->ops, o->runs);
  printf("%9s %14s %14s %12s\n", "LIVE", "dxemem call/s", "mmap call/s",
         "time ratio");
  for (size_t live = first; live <= last; live *= 2) {
    workload w;
    if (!make_workload(&w, live, o->ops, o->seed)) {
      fprintf(stderr, "dxemem-bench: out of memory\n");
      return 1;
    }
    double tx[MAX_RUNS], tm[MAX_RUNS];
    for (int r = 0; r < o->runs; r++) {
      tx[r] = run_dxemem_alone(&w, false);
      tm[r] = run_mmap(&w);
    }
    free_workload(&w);
    if (any_failed(tx, o->runs) || any_failed(tm, o->runs)) {
      fprintf(stderr, "dxemem-bench: a call failed at LIVE %zu\n", live);
      return 1;
    }
    double x = median(tx, o->runs);
    double m = median(tm, o->runs);
    double calls = 2.0 * (double)o->ops;
    printf("%9zu %14.0f %14.0f %11.2fx\n", live, calls / x, calls / m, x / m);
  }
  printf("(time ratio: dxemem's time over mmap/munmap's for the same calls)\n");
  return 0;
}

/* ---- scale: dxemem alone ------------------------------------------------ */

static int mode_scale(const options *o) {
  printf("dxemem alone: random free+alloc steps, %zu per run, median of %d "
         "runs\n",
         o->ops, o->runs);
  printf("%9s %10s %14s %12s %16s\n", "LIVE", "entries", "call/s", "ns/call",
         "vs LIVE 1024");
  double at_1024 = 0;
  for (size_t live = 64; live <= o->max_live; live *= 2) {
    workload w;
    if (!make_workload(&w, live, o->ops, o->seed)) {
      fprintf(stderr, "dxemem-bench: out of memory\n");
      return 1;
    }
    double t[MAX_RUNS];
    uint64_t entries = 0;
    for (int r = 0; r < o->runs; r++) {
      dxemem_host_instance instance;
      t[r] = run_dxemem(&w, &instance, false, NULL);
      dxemem_counts c;
      if (instance.allocator != NULL &&
          dxemem_get_counts(instance.allocator, &c) == DXEMEM_SUCCESS) {
        entries = c.map_entries;
      }
      dxemem_host_destroy(&instance);
    }
    free_workload(&w);
    if (any_failed(t, o->runs)) {
      fprintf(stderr, "dxemem-bench: a call failed at LIVE %zu\n", live);
      return 1;
    }
    double ns = median(t, o->runs) * 1e9 / (2.0 * (double)o->ops);
    if (live == 1024) {
      at_1024 = ns;
    }
    printf("%9zu %10" PRIu64 " %14.0f %12.0f", live, entries, 1e9 / ns, ns);
    if (at_1024 > 0) {
      printf(" %15.2fx", ns / at_1024);
    }
    printf("\n");
  }
  return 0;
}

/* ---- paths: index vs the list path -------------------------------------- */

typedef struct map_copy {
  dxemem_entry_info *e;
  size_t n, cap;
} map_copy;

static bool copy_entry(void *ctx, const dxemem_entry_info *e) {
  map_copy *m = ctx;
  if (m->n == m->cap) {
    size_t cap = m->cap ? 2 * m->cap : 1024;
    dxemem_entry_info *grown = realloc(m->e, cap * sizeof *grown);
    if (grown == NULL) {
      return false;
    }
    m->e = grown;
    m->cap = cap;
  }
  m->e[m->n++] = *e;
  return true;
}

/* Same map (entry addresses too, so the same free-list order) and key. */
static bool same_state(dxemem *a, dxemem *b) {
  map_copy ma = {0}, mb = {0};
  bool same = dxemem_for_each_entry(a, copy_entry, &ma) == DXEMEM_SUCCESS &&
              dxemem_for_each_entry(b, copy_entry, &mb) == DXEMEM_SUCCESS &&
              ma.n == mb.n &&
              memcmp(ma.e, mb.e, ma.n * sizeof *ma.e) == 0 &&
              dxemem_get_map_key(a) == dxemem_get_map_key(b);
  free(ma.e);
  free(mb.e);
  return same;
}

static int mode_paths(const options *o) {
  printf("index vs list path (edk2's walks): random free+alloc steps, %zu "
         "per run, median of %d runs; every call's status and address and "
         "the final map asserted equal\n",
         o->ops, o->runs);
  printf("%9s %14s %14s %12s %10s\n", "LIVE", "index call/s", "list call/s",
         "list/index", "results");
  for (size_t live = 64; live <= o->max_live; live *= 4) {
    workload w;
    size_t calls = 2 * (live + o->ops);
    call_log log = {.address = calloc(calls, sizeof(uint64_t)),
                    .status = calloc(calls, sizeof(dxemem_status))};
    if (!make_workload(&w, live, o->ops, o->seed) || log.address == NULL ||
        log.status == NULL) {
      fprintf(stderr, "dxemem-bench: out of memory\n");
      return 1;
    }
    double ti[MAX_RUNS], tl[MAX_RUNS];
    bool same = true;
    for (int r = 0; r < o->runs; r++) {
      dxemem_host_instance indexed, listed;
      log.record = true;
      ti[r] = run_dxemem(&w, &indexed, false, &log);
      log.record = false;
      tl[r] = run_dxemem(&w, &listed, true, &log);
      same = same && log.mismatches == 0 && indexed.allocator != NULL &&
             listed.allocator != NULL &&
             dxemem_index_active(indexed.allocator) &&
             same_state(indexed.allocator, listed.allocator);
      dxemem_host_destroy(&indexed);
      dxemem_host_destroy(&listed);
    }
    free_workload(&w);
    free(log.address);
    free(log.status);
    if (any_failed(ti, o->runs) || any_failed(tl, o->runs)) {
      fprintf(stderr, "dxemem-bench: a call failed at LIVE %zu\n", live);
      return 1;
    }
    double i = median(ti, o->runs);
    double l = median(tl, o->runs);
    double n = 2.0 * (double)o->ops;
    printf("%9zu %14.0f %14.0f %11.1fx %10s\n", live, n / i, n / l, l / i,
           same ? "same" : "DIFFER");
    if (!same) {
      return 1;
    }
  }
  return 0;
}

/* ---- memory: what a big map costs the host ------------------------------ */

static int mode_memory(const options *o) {
  workload w;
  if (!make_workload(&w, o->max_live, 1, o->seed)) {
    fprintf(stderr, "dxemem-bench: out of memory\n");
    return 1;
  }
  struct rusage before;
  getrusage(RUSAGE_SELF, &before);
  dxemem_host_instance instance;
  double t = run_dxemem(&w, &instance, false, NULL);
  struct rusage after;
  getrusage(RUSAGE_SELF, &after);
  dxemem_counts c;
  if (t < 0 || dxemem_get_counts(instance.allocator, &c) != DXEMEM_SUCCESS) {
    fprintf(stderr, "dxemem-bench: a call failed\n");
    return 1;
  }
  uint64_t region = instance.region.size;
  uint64_t index_used = dxemem_index_size(c.refuel_pages * 64);
  uint64_t entry_pages = c.refuel_pages * 4096;
  printf("map entries          %12" PRIu64 " (%" PRIu64 " refuel pages)\n",
         c.map_entries, c.refuel_pages);
  printf("region               %12" PRIu64 " bytes (entry pages in it: %" PRIu64
         ")\n",
         region, entry_pages);
  printf("instance             %12zu bytes\n", dxemem_instance_size());
  printf("index in use         %12" PRIu64 " bytes = %.4f%% of the region\n",
         index_used, 100.0 * (double)index_used / (double)region);
  printf("same, tightest region %11.4f%% (32 bytes per 4 KiB page)\n",
         100.0 * DXEMEM_INDEX_BYTES_PER_ENTRY / 4096.0);
  printf("peak RSS             %12ld KiB (before the instance: %ld KiB; "
         "includes the entry pages and the workload arrays)\n",
         after.ru_maxrss, before.ru_maxrss);
  dxemem_host_destroy(&instance);
  free_workload(&w);
  return 0;
}

/* ---- replay: commands/s of a trace -------------------------------------- */

static size_t count_commands(const char *text, size_t size) {
  size_t n = 0;
  bool start = true;
  bool counted = false;
  for (size_t i = 0; i < size; i++) {
    char c = text[i];
    if (c == '\n') {
      start = true;
      counted = false;
    } else if (start && c != ' ' && c != '\t' && c != '\r') {
      n += (c != '#' && !counted) ? 1u : 0u;
      counted = true;
      start = false;
    }
  }
  return n;
}

static int mode_replay(const options *o) {
  FILE *f = fopen(o->trace, "rb");
  if (f == NULL) {
    perror(o->trace);
    return 1;
  }
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *text = malloc((size_t)size + 1);
  if (text == NULL || fread(text, 1, (size_t)size, f) != (size_t)size) {
    fclose(f);
    fprintf(stderr, "dxemem-bench: cannot read %s\n", o->trace);
    return 1;
  }
  fclose(f);
  FILE *sink = fopen("/dev/null", "w");
  double t[MAX_RUNS];
  for (int r = 0; r < o->runs; r++) {
    trace_reader reader;
    trace_reader_init_memory(&reader, text, (size_t)size);
    trace_run_options ro = {
        .check_output = true, .verify = false, .out = sink, .err = stderr};
    double start = cpu_seconds();
    trace_exit status = trace_run(&reader, &ro);
    t[r] = cpu_seconds() - start;
    if (status != TRACE_EXIT_OK) {
      fprintf(stderr, "dxemem-bench: the replay stopped (exit %d)\n",
              (int)status);
      return 1;
    }
  }
  fclose(sink);
  size_t commands = count_commands(text, (size_t)size);
  double m = median(t, o->runs);
  printf("replay %s: %zu commands, median %.3f s CPU of %d runs, %.0f "
         "commands/s (--check output to /dev/null)\n",
         o->trace, commands, m, o->runs, (double)commands / m);
  free(text);
  return 0;
}

/* ---- command line ------------------------------------------------------- */

static const char usage[] =
    "usage: dxemem-bench [mmap|scale|paths|memory|all] [--runs N] [--ops N] "
    "[--max LIVE] [--live N] [--seed N]\n"
    "       dxemem-bench replay TRACE [--runs N]\n"
    "       dxemem-bench LIVE [OPS [SEED]]\n";

static bool parse_size(const char *s, size_t *out) {
  char *end = NULL;
  unsigned long long v = strtoull(s, &end, 0);
  if (end == s || *end != '\0' || v == 0 || v > (1ull << 26)) {
    return false;
  }
  *out = (size_t)v;
  return true;
}

int main(int argc, char **argv) {
  options o = {.runs = 3, .ops = 100000, .max_live = 0, .seed = 1};
  const char *mode = "mmap";
  int i = 1;
  if (argc > 1 && argv[1][0] >= '0' && argv[1][0] <= '9') {
    /* The old form: one LIVE, beside mmap. */
    size_t live = 0;
    if (!parse_size(argv[1], &live) || live > (1u << 20) ||
        (argc > 2 && !parse_size(argv[2], &o.ops))) {
      fputs(usage, stderr);
      return 2;
    }
    o.seed = argc > 3 ? strtoull(argv[3], NULL, 0) : 1;
    return mode_mmap(&o, live, live);
  }
  if (argc > 1 && argv[1][0] != '-') {
    mode = argv[i++];
    if (strcmp(mode, "replay") == 0) {
      if (i >= argc) {
        fputs(usage, stderr);
        return 2;
      }
      o.trace = argv[i++];
    }
  }
  for (; i < argc; i++) {
    size_t v = 0;
    if (i + 1 >= argc || !parse_size(argv[i + 1], &v)) {
      fputs(usage, stderr);
      return 2;
    }
    if (strcmp(argv[i], "--runs") == 0 && v <= MAX_RUNS) {
      o.runs = (int)v;
    } else if (strcmp(argv[i], "--ops") == 0) {
      o.ops = v;
    } else if (strcmp(argv[i], "--max") == 0 || strcmp(argv[i], "--live") == 0) {
      o.max_live = v;
    } else if (strcmp(argv[i], "--seed") == 0) {
      o.seed = v;
    } else {
      fputs(usage, stderr);
      return 2;
    }
    i++;
  }
  if (strcmp(mode, "mmap") == 0) {
    return mode_mmap(&o, 64, o.max_live ? o.max_live : 32768);
  }
  if (strcmp(mode, "scale") == 0) {
    o.max_live = o.max_live ? o.max_live : (size_t)1 << 20;
    return mode_scale(&o);
  }
  if (strcmp(mode, "paths") == 0) {
    o.max_live = o.max_live ? o.max_live : 4096;
    o.ops = o.ops > 20000 ? 20000 : o.ops;
    return mode_paths(&o);
  }
  if (strcmp(mode, "memory") == 0) {
    o.max_live = o.max_live ? o.max_live : 50000;
    return mode_memory(&o);
  }
  if (strcmp(mode, "replay") == 0) {
    return mode_replay(&o);
  }
  if (strcmp(mode, "all") == 0) {
    options s = o;
    s.max_live = (size_t)1 << 20;
    options p = o;
    p.max_live = 4096;
    p.ops = o.ops > 20000 ? 20000 : o.ops;
    options m = o;
    m.max_live = 50000;
    int rc = mode_mmap(&o, 64, 32768);
    rc = rc ? rc : (printf("\n"), mode_scale(&s));
    rc = rc ? rc : (printf("\n"), mode_paths(&p));
    rc = rc ? rc : (printf("\n"), mode_memory(&m));
    return rc;
  }
  fputs(usage, stderr);
  return 2;
}
