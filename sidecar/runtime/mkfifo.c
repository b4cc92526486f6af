/*
 * mkfifo [-m MODE] NAME...: the runtime's own mkfifo(1), so the supervisor can give programs real
 * pipes (sidecar/logs/output-pipe.ts) in images that have no mkfifo. Static, no shell.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int main(int argc, char **argv) {
  mode_t mode = 0666;
  int i = 1;
  if (i + 1 < argc && strcmp(argv[i], "-m") == 0) {
    char *end;
    mode = (mode_t)strtol(argv[i + 1], &end, 8);
    if (*end != '\0') {
      fprintf(stderr, "mkfifo: invalid mode '%s'\n", argv[i + 1]);
      return 1;
    }
    i += 2;
    umask(0);
  }
  if (i >= argc) {
    fprintf(stderr, "usage: mkfifo [-m MODE] NAME...\n");
    return 1;
  }
  int rc = 0;
  for (; i < argc; i++) {
    if (mkfifo(argv[i], mode) != 0) {
      fprintf(stderr, "mkfifo: %s: %s\n", argv[i], strerror(errno));
      rc = 1;
    }
  }
  return rc;
}
