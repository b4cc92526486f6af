/*
 * corepod-init: the app container's command. Starts the sidecar-init from the runtime the init
 * container copied into the pod (this binary's ../ , i.e. /corepod): Node.js with its own loader
 * and libraries, running the corepod CLI. As PID 1 it puts Debian's static tini in front, which
 * reaps orphaned grandchildren (Node reaps only its own children), so the supervisor is never
 * PID 1 and never needs a second Node process as a shim. Static, no shell: it needs nothing from
 * the app image.
 *
 *   corepod-init [ARGS...]   ->  [tini-static --] node app/bin/corepod.js run ARGS...
 *   corepod ARGS...          ->  node app/bin/corepod.js ARGS...      (e.g. kubectl exec ... status)
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void parent_dir(char *path) {
  char *slash = strrchr(path, '/');
  if (slash == NULL) strcpy(path, ".");
  else if (slash == path) path[1] = '\0';
  else *slash = '\0';
}

int main(int argc, char **argv) {
  char root[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", root, sizeof root - 1);
  if (n <= 0) {
    strcpy(root, "/corepod/bin/corepod-init"); /* no /proc: the contract's location */
  } else {
    root[n] = '\0';
  }
  parent_dir(root); /* .../bin */
  parent_dir(root); /* the runtime root */

  char node[PATH_MAX], app[PATH_MAX], tini[PATH_MAX];
  snprintf(node, sizeof node, "%s/node", root);
  snprintf(app, sizeof app, "%s/app/bin/corepod.js", root);
  snprintf(tini, sizeof tini, "%s/tini-static", root);

  const char *name = strrchr(argv[0], '/');
  name = name ? name + 1 : argv[0];
  int cli = strcmp(name, "corepod") == 0;
  int under_tini = !cli && getpid() == 1 && access(tini, X_OK) == 0;

  char **args = calloc((size_t)argc + 8, sizeof *args);
  if (args == NULL) return 127;
  int i = 0;
  if (under_tini) {
    args[i++] = tini;
    args[i++] = "--";
  }
  args[i++] = node;
  args[i++] = app;
  if (!cli) args[i++] = "run";
  for (int a = 1; a < argc; a++) args[i++] = argv[a];
  args[i] = NULL;

  execv(args[0], args);
  fprintf(stderr, "corepod-init: cannot start %s: %s\n", args[0], strerror(errno));
  return 127;
}
