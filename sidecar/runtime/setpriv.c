/*
 * setpriv --reuid=UID --regid=GID (--init-groups|--clear-groups) -- PROGRAM ARGS...
 * The subset of util-linux setpriv(1) the supervisor uses to start a program as another user
 * (sidecar/user-switch.ts), shipped static in the runtime so that it does not depend on the app
 * image (busybox's setpriv has none of these options; a static image has no setpriv at all).
 * Order as login does: supplementary groups, then gid, then uid; then exec with PATH lookup.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int number(const char *text, const char *what, long *out) {
  char *end;
  errno = 0;
  *out = strtol(text, &end, 10);
  if (errno || *end != '\0' || *out < 0) {
    fprintf(stderr, "setpriv: invalid %s '%s'\n", what, text);
    return -1;
  }
  return 0;
}

int main(int argc, char **argv) {
  long uid = -1, gid = -1;
  int init_groups = 0, clear_groups = 0, i = 1;
  for (; i < argc; i++) {
    if (strcmp(argv[i], "--") == 0) { i++; break; }
    if (strncmp(argv[i], "--reuid=", 8) == 0) { if (number(argv[i] + 8, "uid", &uid)) return 127; }
    else if (strncmp(argv[i], "--regid=", 8) == 0) { if (number(argv[i] + 8, "gid", &gid)) return 127; }
    else if (strcmp(argv[i], "--init-groups") == 0) init_groups = 1;
    else if (strcmp(argv[i], "--clear-groups") == 0) clear_groups = 1;
    else { fprintf(stderr, "setpriv: unsupported option '%s'\n", argv[i]); return 127; }
  }
  if (i >= argc || uid < 0 || gid < 0 || init_groups == clear_groups) {
    fprintf(stderr, "usage: setpriv --reuid=UID --regid=GID (--init-groups|--clear-groups) -- PROGRAM [ARGS...]\n");
    return 127;
  }
  if (init_groups) {
    struct passwd *pw = getpwuid((uid_t)uid);
    if (pw == NULL) { fprintf(stderr, "setpriv: uid %ld is not in /etc/passwd (needed by --init-groups)\n", uid); return 127; }
    if (initgroups(pw->pw_name, (gid_t)gid) != 0) { perror("setpriv: initgroups"); return 127; }
  } else if (setgroups(0, NULL) != 0) { perror("setpriv: setgroups"); return 127; }
  if (setresgid((gid_t)gid, (gid_t)gid, (gid_t)gid) != 0) { perror("setpriv: setresgid"); return 127; }
  if (setresuid((uid_t)uid, (uid_t)uid, (uid_t)uid) != 0) { perror("setpriv: setresuid"); return 127; }
  execvp(argv[i], argv + i);
  fprintf(stderr, "setpriv: cannot execute %s: %s\n", argv[i], strerror(errno));
  return 127;
}
