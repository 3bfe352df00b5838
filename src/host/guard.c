/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * The heap guard on the host: the CPU architectural protocol the core's
 * heap guard talks to (SetMemoryAttributes), as a model that records the
 * EFI_MEMORY_RP state of every page of the region and, when asked, makes
 * those pages really not present with mprotect, plus a SIGSEGV handler
 * that turns a fault in such a page into a report naming the allocation.
 *
 * The core stays freestanding: it only calls the config's
 * set_memory_attributes; everything that needs the host lives here.
 */
#define _GNU_SOURCE /* siginfo_t details and MAP_ANONYMOUS on every libc */

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "host_internal.h"

#define CALL_MAX 128
#define PROTECTED_MAX 64

/* One guarded allocation or freed range, with the call it was made under. */
typedef struct guard_record {
  uint64_t start;
  uint64_t end;
  uint32_t type;
  bool freed;
  char call[CALL_MAX];
} guard_record;

struct dxemem_host_cpu {
  uint64_t base;
  uint64_t size;
  unsigned char *host;
  dxemem *allocator;
  unsigned char *rp; /* one bit per page, allocated on the first RP */
  bool protect;
  uint64_t protect_failures;
  char call[CALL_MAX];
  guard_record *records;
  size_t record_count, record_capacity;
  /* The caller's callbacks, which the host forwards to. */
  void *user_context;
  void (*lock)(void *user_context);
  void (*unlock)(void *user_context);
  void (*event)(void *user_context, const dxemem_event *event);
  uint32_t event_kinds; /* the caller's config.event_kinds */
  void (*assert_failed)(void *user_context, const char *message);
};

/* ---- the RP record and protection ---------------------------------- */

static uint64_t region_pages(const struct dxemem_host_cpu *cpu) {
  return cpu->size >> DXEMEM_PAGE_SHIFT;
}

static bool rp_bit(const struct dxemem_host_cpu *cpu, uint64_t page) {
  return cpu->rp != NULL && ((cpu->rp[page / 8] >> (page % 8)) & 1) != 0;
}

static void protect_pages(struct dxemem_host_cpu *cpu, uint64_t first,
                          uint64_t count, bool not_present) {
  if (count == 0) {
    return;
  }
  int saved_errno = errno;
  if (mprotect(cpu->host + (first << DXEMEM_PAGE_SHIFT),
               (size_t)(count << DXEMEM_PAGE_SHIFT),
               not_present ? PROT_NONE : PROT_READ | PROT_WRITE) != 0) {
    cpu->protect_failures += 1;
  }
  errno = saved_errno;
}

/* set_memory_attributes: the pages of [base, base + length) inside the
 * region take the RP state of attributes. */
static void host_set_memory_attributes(void *context, uint64_t base,
                                       uint64_t length, uint64_t attributes) {
  struct dxemem_host_cpu *cpu = context;
  bool not_present = (attributes & DXEMEM_MEMORY_RP) != 0;
  if (length == 0 || base >= cpu->base + (cpu->size - 1) ||
      base + (length - 1) < cpu->base) {
    return;
  }
  uint64_t first = base <= cpu->base ? 0 : (base - cpu->base) >> DXEMEM_PAGE_SHIFT;
  uint64_t last = (base + (length - 1) - cpu->base) >> DXEMEM_PAGE_SHIFT;
  if (last >= region_pages(cpu)) {
    last = region_pages(cpu) - 1;
  }
  if (cpu->rp == NULL) {
    if (!not_present) {
      return;
    }
    cpu->rp = calloc((size_t)(region_pages(cpu) / 8 + 1), 1);
    if (cpu->rp == NULL) {
      cpu->protect_failures += 1;
      return;
    }
  }
  for (uint64_t page = first; page <= last; page++) {
    if (not_present) {
      cpu->rp[page / 8] |= (unsigned char)(1u << (page % 8));
    } else {
      cpu->rp[page / 8] &= (unsigned char)~(1u << (page % 8));
    }
  }
  if (cpu->protect) {
    protect_pages(cpu, first, last - first + 1, not_present);
  }
}

bool dxemem_host_page_rp(const dxemem_host_instance *instance, uint64_t phys) {
  if (instance == NULL || instance->cpu == NULL) {
    return false;
  }
  const struct dxemem_host_cpu *cpu = instance->cpu;
  if (phys < cpu->base || phys - cpu->base >= cpu->size) {
    return false;
  }
  return rp_bit(cpu, (phys - cpu->base) >> DXEMEM_PAGE_SHIFT);
}

uint64_t dxemem_host_guard_protect_failures(
    const dxemem_host_instance *instance) {
  return instance != NULL && instance->cpu != NULL
             ? instance->cpu->protect_failures
             : 0;
}

/* ---- the registry the signal handler reads --------------------------- */

static struct dxemem_host_cpu *volatile protected_cpus[PROTECTED_MAX];
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;

static bool registry_set(struct dxemem_host_cpu *cpu, bool present) {
  bool done = !present;
  pthread_mutex_lock(&registry_lock);
  for (size_t i = 0; i < PROTECTED_MAX; i++) {
    if (protected_cpus[i] == cpu) {
      if (!present) {
        protected_cpus[i] = NULL;
      }
      done = true;
      present = false;
    }
  }
  for (size_t i = 0; present && i < PROTECTED_MAX; i++) {
    if (protected_cpus[i] == NULL) {
      protected_cpus[i] = cpu;
      done = true;
      present = false;
    }
  }
  pthread_mutex_unlock(&registry_lock);
  return done;
}

dxemem_status dxemem_host_guard_protect(dxemem_host_instance *instance,
                                        bool on) {
  if (instance == NULL || instance->cpu == NULL) {
    return DXEMEM_INVALID_PARAMETER;
  }
  struct dxemem_host_cpu *cpu = instance->cpu;
  if (on && sysconf(_SC_PAGESIZE) != (long)DXEMEM_PAGE_SIZE) {
    return DXEMEM_UNSUPPORTED;
  }
  if (on == cpu->protect) {
    return DXEMEM_SUCCESS;
  }
  if (on && !registry_set(cpu, true)) {
    return DXEMEM_OUT_OF_RESOURCES;
  }
  if (!on) {
    (void)registry_set(cpu, false);
    protect_pages(cpu, 0, region_pages(cpu), false);
  } else {
    for (uint64_t page = 0; cpu->rp != NULL && page < region_pages(cpu);
         page++) {
      if (rp_bit(cpu, page)) {
        protect_pages(cpu, page, 1, true);
      }
    }
  }
  cpu->protect = on;
  return DXEMEM_SUCCESS;
}

/* ---- calls and records ------------------------------------------------ */

void dxemem_host_guard_set_call(dxemem_host_instance *instance,
                                const char *call) {
  if (instance == NULL || instance->cpu == NULL) {
    return;
  }
  snprintf(instance->cpu->call, sizeof instance->cpu->call, "%s",
           call != NULL ? call : "");
}

static void remember(struct dxemem_host_cpu *cpu, const dxemem_event *event) {
  if (cpu->record_count == cpu->record_capacity) {
    size_t capacity = cpu->record_capacity ? 2 * cpu->record_capacity : 64;
    guard_record *grown = realloc(cpu->records, capacity * sizeof *grown);
    if (grown == NULL) {
      return; /* the report then names no call */
    }
    cpu->records = grown;
    cpu->record_capacity = capacity;
  }
  guard_record *r = &cpu->records[cpu->record_count++];
  r->start = event->start;
  r->end = event->end;
  r->type = event->type;
  r->freed = event->kind == DXEMEM_EVENT_GUARD_FREED;
  memcpy(r->call, cpu->call, sizeof r->call);
}

/* The newest record that holds address. */
static const guard_record *record_for(const struct dxemem_host_cpu *cpu,
                                      uint64_t address, bool freed) {
  for (size_t i = cpu->record_count; i-- > 0;) {
    const guard_record *r = &cpu->records[i];
    if (r->freed == freed && r->start <= address && address <= r->end) {
      return r;
    }
  }
  return NULL;
}

/* ---- forwarding the caller's callbacks -------------------------------- */

static void forward_lock(void *context) {
  struct dxemem_host_cpu *cpu = context;
  cpu->lock(cpu->user_context);
}

static void forward_unlock(void *context) {
  struct dxemem_host_cpu *cpu = context;
  cpu->unlock(cpu->user_context);
}

static void forward_assert(void *context, const char *message) {
  struct dxemem_host_cpu *cpu = context;
  cpu->assert_failed(cpu->user_context, message);
}

static void forward_event(void *context, const dxemem_event *event) {
  struct dxemem_host_cpu *cpu = context;
  if (event->kind == DXEMEM_EVENT_GUARD_SET ||
      event->kind == DXEMEM_EVENT_GUARD_FREED) {
    remember(cpu, event);
  }
  if (cpu->event != NULL &&
      (cpu->event_kinds == 0 ||
       (cpu->event_kinds & DXEMEM_EVENT_BIT(event->kind)) != 0)) {
    cpu->event(cpu->user_context, event);
  }
}

struct dxemem_host_cpu *dxemem_host_cpu_new(const dxemem_host_region *region,
                                            dxemem_config *hosted) {
  struct dxemem_host_cpu *cpu = calloc(1, sizeof *cpu);
  if (cpu == NULL) {
    return NULL;
  }
  cpu->base = region->base;
  cpu->size = region->size;
  cpu->host = region->host;
  cpu->user_context = hosted->user_context;
  cpu->lock = hosted->lock;
  cpu->unlock = hosted->unlock;
  cpu->event = hosted->event;
  cpu->event_kinds = hosted->event_kinds;
  cpu->assert_failed = hosted->assert_failed;
  hosted->user_context = cpu;
  hosted->lock = cpu->lock != NULL ? forward_lock : NULL;
  hosted->unlock = cpu->unlock != NULL ? forward_unlock : NULL;
  hosted->assert_failed = cpu->assert_failed != NULL ? forward_assert : NULL;
  hosted->event = forward_event;
  /* The guard records need only these two kinds; the caller's callback
   * gets what it asked for (its 0 is every kind). */
  uint32_t records = DXEMEM_EVENT_BIT(DXEMEM_EVENT_GUARD_SET) |
                     DXEMEM_EVENT_BIT(DXEMEM_EVENT_GUARD_FREED);
  hosted->event_kinds =
      cpu->event == NULL         ? records
      : hosted->event_kinds == 0 ? 0u
                                 : hosted->event_kinds | records;
  hosted->set_memory_attributes = host_set_memory_attributes;
  hosted->cpu_context = cpu;
  return cpu;
}

void dxemem_host_cpu_attach(struct dxemem_host_cpu *cpu, dxemem *allocator) {
  cpu->allocator = allocator;
}

void dxemem_host_cpu_free(struct dxemem_host_cpu *cpu) {
  if (cpu == NULL) {
    return;
  }
  if (cpu->protect) {
    (void)registry_set(cpu, false);
    protect_pages(cpu, 0, region_pages(cpu), false);
  }
  free(cpu->rp);
  free(cpu->records);
  free(cpu);
}

/* ---- faults ----------------------------------------------------------- */

static const char *kind_text(dxemem_guard_page_kind kind) {
  switch (kind) {
  case DXEMEM_GUARD_KIND_HEAD:
    return "head guard";
  case DXEMEM_GUARD_KIND_TAIL:
    return "tail guard";
  case DXEMEM_GUARD_KIND_FREED:
    return "freed memory";
  default:
    return "guard page";
  }
}

void dxemem_host_guard_fault_format(const dxemem_host_guard_fault *fault,
                                    char *buffer, size_t size) {
  const char *type = dxemem_memory_type_name(fault->type);
  char number[16];
  if (type == NULL) {
    snprintf(number, sizeof number, "0x%08" PRIx32, fault->type);
    type = number;
  }
  if (fault->kind == DXEMEM_GUARD_KIND_FREED) {
    snprintf(buffer, size,
             "guard fault at 0x%016" PRIx64 ": freed memory 0x%016" PRIx64
             "+0x%" PRIx64 " pages, freed by %s",
             fault->address, fault->start, fault->pages,
             fault->call[0] ? fault->call : "an unnamed call");
    return;
  }
  snprintf(buffer, size,
           "guard fault at 0x%016" PRIx64 ": %s of %s 0x%016" PRIx64
           "+0x%" PRIx64 " pages, made by %s",
           fault->address, kind_text(fault->kind), type, fault->start,
           fault->pages, fault->call[0] ? fault->call : "an unnamed call");
}

/* Fills *out for a fault at host address `at`; false if it is no guard
 * page of a protected instance. */
static bool describe_fault(uintptr_t at, dxemem_host_guard_fault *out) {
  for (size_t i = 0; i < PROTECTED_MAX; i++) {
    struct dxemem_host_cpu *cpu = protected_cpus[i];
    if (cpu == NULL || at < (uintptr_t)cpu->host ||
        at - (uintptr_t)cpu->host >= cpu->size) {
      continue;
    }
    uint64_t phys = cpu->base + (uint64_t)(at - (uintptr_t)cpu->host);
    if (!rp_bit(cpu, (phys - cpu->base) >> DXEMEM_PAGE_SHIFT)) {
      return false;
    }
    memset(out, 0, sizeof *out);
    out->address = phys;
    dxemem_guard_page_info info;
    if (cpu->allocator != NULL &&
        dxemem_guard_page_query(cpu->allocator, phys, &info) ==
            DXEMEM_SUCCESS) {
      out->kind = info.kind;
      out->start = info.start;
      out->pages = info.pages;
      out->type = info.type;
    }
    bool freed = out->kind == DXEMEM_GUARD_KIND_FREED;
    const guard_record *r = record_for(cpu, freed ? phys : out->start, freed);
    if (r != NULL) {
      memcpy(out->call, r->call, sizeof out->call);
      if (!freed) {
        out->type = r->type;
      }
    }
    return true;
  }
  return false;
}

static _Thread_local sigjmp_buf *catch_target;
static _Thread_local dxemem_host_guard_fault catch_report;
static _Thread_local struct sigaction previous_segv, previous_bus;

static void on_fault(int signal_number, siginfo_t *info, void *ucontext) {
  (void)ucontext;
  dxemem_host_guard_fault report;
  if (catch_target != NULL &&
      describe_fault((uintptr_t)info->si_addr, &report)) {
    catch_report = report;
    siglongjmp(*catch_target, 1);
  }
  /* Not a guard page: the previous action handles the re-executed access
   * (the default one, a test framework's or a sanitizer's). */
  sigaction(signal_number,
            signal_number == SIGBUS ? &previous_bus : &previous_segv, NULL);
}

/* The handler is in place only while a catcher runs; the actions it
 * replaced come back afterwards. */
static void install_handler(struct sigaction *saved_segv,
                            struct sigaction *saved_bus) {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_sigaction = on_fault;
  action.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigemptyset(&action.sa_mask);
  sigaction(SIGSEGV, &action, saved_segv);
  sigaction(SIGBUS, &action, saved_bus);
}

bool dxemem_host_guard_catch(void (*fn)(void *context), void *context,
                             dxemem_host_guard_fault *fault) {
  struct sigaction outer_segv = previous_segv;
  struct sigaction outer_bus = previous_bus;
  install_handler(&previous_segv, &previous_bus);
  sigjmp_buf target;
  sigjmp_buf *volatile saved_target = catch_target;
  volatile bool faulted = false;
  if (sigsetjmp(target, 1) != 0) {
    faulted = true;
    if (fault != NULL) {
      *fault = catch_report;
    }
  } else {
    catch_target = &target;
    fn(context);
  }
  catch_target = saved_target;
  sigaction(SIGSEGV, &previous_segv, NULL);
  sigaction(SIGBUS, &previous_bus, NULL);
  previous_segv = outer_segv;
  previous_bus = outer_bus;
  return faulted;
}
