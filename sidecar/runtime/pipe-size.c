/*
 * pipe-size BYTES: sets the capacity of the pipe on standard input (F_SETPIPE_SZ) and prints the
 * capacity it got (the kernel rounds up to a power of two pages). Node cannot call fcntl(2), so the
 * supervisor hands a busy program's output pipe to this helper (sidecar/logs/pipe-sizer.ts): with
 * room for a few milliseconds of output the program never waits for the supervisor's next read.
 * Exit 0 on success, 1 when the kernel refuses (EPERM past /proc/sys/fs/pipe-max-size or the
 * user's pipe-user-pages-soft), 2 on bad usage. Static, no shell.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  char *end = NULL;
  long bytes = argc == 2 ? strtol(argv[1], &end, 10) : 0;
  if (argc != 2 || *end != '\0' || bytes <= 0 || bytes > (1L << 30)) {
    fprintf(stderr, "usage: pipe-size BYTES   (sets the capacity of the pipe on stdin)\n");
    return 2;
  }
  int got = fcntl(0, F_SETPIPE_SZ, (int)bytes);
  if (got < 0) {
    fprintf(stderr, "pipe-size: %s\n", strerror(errno));
    return 1;
  }
  printf("%d\n", got);
  return 0;
}
