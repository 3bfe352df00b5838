/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/*
 * The plain driver of a fuzz target, without libFuzzer:
 *
 *   TARGET_replay [-q] [-t SECONDS] PATH...
 *
 * Runs the target once per file; a directory stands for the regular files
 * in it, in name order, skipping dot files. A finding aborts the process
 * as it does under libFuzzer, so the last "replay PATH" line on stderr (-q
 * leaves them out) names the input. An input that runs longer than
 * SECONDS (default 120; 0 for no limit) is a finding too, a hang: it is
 * named and the process aborts, so CTest fails at once instead of waiting
 * for its own timeout. Exit status: 0 when every input ran or was over
 * budget, 1 when a path cannot be read.
 */
#define _POSIX_C_SOURCE 200809L /* opendir, stat */
#define _DEFAULT_SOURCE         /* setitimer */

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "fuzz.h"

typedef struct tally {
  bool quiet;
  unsigned seconds; /* per input; 0: no limit */
  unsigned long ran;
  unsigned long over_budget;
  unsigned long unreadable;
} tally;

/* What the CPU-time handler prints: made before each input, because the
 * handler may only call async-signal-safe functions. */
static char hang_message[4200];
static size_t hang_message_length;

static void on_alarm(int signal_number) {
  (void)signal_number;
  ssize_t ignored = write(STDERR_FILENO, hang_message, hang_message_length);
  (void)ignored;
  abort();
}

/* Arms (seconds > 0) or disarms the CPU-time limit of one input. */
static void set_cpu_limit(unsigned seconds) {
  struct itimerval limit;
  memset(&limit, 0, sizeof limit);
  limit.it_value.tv_sec = (time_t)seconds;
  (void)setitimer(ITIMER_PROF, &limit, NULL);
}

/* The whole file in a buffer of exactly its size, so the sanitizers see a
 * read past the input as the overflow it is. */
static unsigned char *read_file(const char *path, size_t *size) {
  FILE *file = fopen(path, "rb");
  if (file == NULL) {
    return NULL;
  }
  unsigned char *data = NULL;
  size_t used = 0;
  size_t capacity = 0;
  for (;;) {
    if (used == capacity) {
      size_t grown = capacity == 0 ? 65536 : capacity * 2;
      unsigned char *bigger = realloc(data, grown);
      if (bigger == NULL) {
        free(data);
        fclose(file);
        errno = ENOMEM;
        return NULL;
      }
      data = bigger;
      capacity = grown;
    }
    size_t got = fread(data + used, 1, capacity - used, file);
    used += got;
    if (got == 0) {
      break;
    }
  }
  bool failed = ferror(file) != 0;
  fclose(file);
  if (failed) {
    free(data);
    errno = EIO;
    return NULL;
  }
  unsigned char *exact = malloc(used > 0 ? used : 1);
  if (exact != NULL) {
    memcpy(exact, data, used);
  }
  free(data);
  *size = used;
  return exact;
}

static void replay_file(tally *t, const char *path) {
  size_t size = 0;
  unsigned char *data = read_file(path, &size);
  if (data == NULL) {
    fprintf(stderr, "cannot read %s: %s\n", path, strerror(errno));
    t->unreadable++;
    return;
  }
  if (!t->quiet) {
    fprintf(stderr, "replay %s\n", path);
  }
  int n = snprintf(hang_message, sizeof(hang_message),
                   "fuzz finding: %s still runs after %u s of CPU time (a hang)\n", path,
                   t->seconds);
  hang_message_length = n < 0 ? 0
                        : (size_t)n < sizeof(hang_message)
                            ? (size_t)n
                            : sizeof(hang_message) - 1;
  /* CPU time, not wall time: a loaded machine (CI beside other jobs)
   * slows an input down without making it a hang. */
  set_cpu_limit(t->seconds);
  if (LLVMFuzzerTestOneInput(data, size) != 0) {
    t->over_budget++;
  } else {
    t->ran++;
  }
  set_cpu_limit(0);
  free(data);
}

static int compare_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void replay_directory(tally *t, const char *path) {
  DIR *dir = opendir(path);
  if (dir == NULL) {
    fprintf(stderr, "cannot open %s: %s\n", path, strerror(errno));
    t->unreadable++;
    return;
  }
  char **names = NULL;
  size_t count = 0;
  size_t capacity = 0;
  const struct dirent *entry;
  while ((entry = readdir(dir)) != NULL) {
    if (entry->d_name[0] == '.') {
      continue;
    }
    if (count == capacity) {
      capacity = capacity == 0 ? 64 : capacity * 2;
      char **bigger = realloc(names, capacity * sizeof(*names));
      if (bigger == NULL) {
        fprintf(stderr, "out of memory listing %s\n", path);
        t->unreadable++;
        break;
      }
      names = bigger;
    }
    size_t length = strlen(path) + 1 + strlen(entry->d_name) + 1;
    names[count] = malloc(length);
    if (names[count] == NULL) {
      fprintf(stderr, "out of memory listing %s\n", path);
      t->unreadable++;
      break;
    }
    snprintf(names[count], length, "%s/%s", path, entry->d_name);
    count++;
  }
  closedir(dir);
  if (count > 0) {
    qsort(names, count, sizeof(*names), compare_names);
  }
  for (size_t i = 0; i < count; i++) {
    struct stat info;
    /* Only regular files: subdirectories are not walked. */
    if (stat(names[i], &info) == 0 && S_ISREG(info.st_mode)) {
      replay_file(t, names[i]);
    }
    free(names[i]);
  }
  free(names);
}

int main(int argc, char **argv) {
  tally t = {.seconds = 120};
  int first = 1;
  for (; first < argc; first++) {
    if (strcmp(argv[first], "-q") == 0) {
      t.quiet = true;
    } else if (strcmp(argv[first], "-t") == 0 && first + 1 < argc) {
      char *end;
      unsigned long seconds = strtoul(argv[++first], &end, 10);
      if (*end != '\0' || seconds > 86400) {
        first = argc; /* a usage error */
        break;
      }
      t.seconds = (unsigned)seconds;
    } else {
      break;
    }
  }
  if (first >= argc) {
    fprintf(stderr, "usage: %s [-q] [-t SECONDS] FILE-OR-DIRECTORY...\n",
            argv[0]);
    return 2;
  }
  struct sigaction action;
  memset(&action, 0, sizeof(action));
  action.sa_handler = on_alarm;
  sigemptyset(&action.sa_mask);
  sigaction(SIGPROF, &action, NULL);
  for (int i = first; i < argc; i++) {
    struct stat info;
    if (stat(argv[i], &info) != 0) {
      fprintf(stderr, "cannot stat %s: %s\n", argv[i], strerror(errno));
      t.unreadable++;
    } else if (S_ISDIR(info.st_mode)) {
      replay_directory(&t, argv[i]);
    } else {
      replay_file(&t, argv[i]);
    }
  }
  fprintf(stderr, "%lu inputs ran, %lu over budget, %lu unreadable\n", t.ran,
          t.over_budget, t.unreadable);
  return t.unreadable == 0 ? 0 : 1;
}
