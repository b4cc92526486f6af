/*
 * notify-socket PATH: binds a unix datagram socket at PATH (the NOTIFY_SOCKET of a program with
 * `notify: true`), writes one NUL byte to standard output once bound, then every datagram it
 * receives followed by a NUL byte (sd_notify messages are text: NUL never occurs in them), until
 * its standard output closes or it gets SIGTERM; then it removes PATH. Node has no unix datagram
 * sockets (dgram is UDP only), so the supervisor reads them through this helper
 * (sidecar/notify-socket.ts).
 *
 * notify-socket --send MESSAGE [PATH]: sends MESSAGE (e.g. "READY=1\nSTATUS=up") as one datagram
 * to PATH or $NOTIFY_SOCKET, like systemd-notify, for images without it.
 *
 * Exit 0 on success, 1 on a system error, 2 on bad usage. Static, no shell.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static const char *bound_path;

static void on_term(int sig) {
  (void)sig;
  if (bound_path) unlink(bound_path);
  _exit(0);
}

static int address(const char *path, struct sockaddr_un *addr) {
  memset(addr, 0, sizeof *addr);
  addr->sun_family = AF_UNIX;
  if (strlen(path) >= sizeof addr->sun_path) {
    fprintf(stderr, "notify-socket: path too long (at most %zu bytes): %s\n", sizeof addr->sun_path - 1, path);
    return -1;
  }
  strcpy(addr->sun_path, path);
  /* An abstract socket ("@name"), as systemd allows. */
  if (addr->sun_path[0] == '@') addr->sun_path[0] = '\0';
  return 0;
}

static int write_all(const char *data, size_t length) {
  while (length > 0) {
    ssize_t n = write(1, data, length);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    data += n;
    length -= (size_t)n;
  }
  return 0;
}

static int send_message(const char *message, const char *path) {
  struct sockaddr_un addr;
  if (!path || !*path) {
    fprintf(stderr, "notify-socket: no socket: give PATH or set NOTIFY_SOCKET\n");
    return 2;
  }
  if (address(path, &addr) < 0) return 2;
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || sendto(fd, message, strlen(message), 0, (struct sockaddr *)&addr, sizeof addr) < 0) {
    fprintf(stderr, "notify-socket: %s: %s\n", path, strerror(errno));
    return 1;
  }
  close(fd);
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 3 && argc <= 4 && strcmp(argv[1], "--send") == 0) return send_message(argv[2], argc == 4 ? argv[3] : getenv("NOTIFY_SOCKET"));
  if (argc != 2 || argv[1][0] == '-') {
    fprintf(stderr, "usage: notify-socket PATH | notify-socket --send MESSAGE [PATH]\n");
    return 2;
  }
  struct sockaddr_un addr;
  if (address(argv[1], &addr) < 0) return 2;
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    fprintf(stderr, "notify-socket: socket: %s\n", strerror(errno));
    return 1;
  }
  if (argv[1][0] != '@') unlink(argv[1]);
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
    fprintf(stderr, "notify-socket: bind %s: %s\n", argv[1], strerror(errno));
    return 1;
  }
  if (argv[1][0] != '@') {
    bound_path = argv[1];
    /* Any uid may send: a program may run as another user (access is the directory's). */
    chmod(argv[1], 0666);
  }
  /* Gone with the supervisor, even when it was SIGKILLed. */
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() == 1 && getpid() != 1) on_term(0);
  signal(SIGTERM, on_term);
  signal(SIGINT, on_term);
  signal(SIGPIPE, on_term);
  if (write_all("", 1) < 0) on_term(0);
  static char buffer[65536];
  for (;;) {
    ssize_t n = recv(fd, buffer, sizeof buffer - 1, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      fprintf(stderr, "notify-socket: recv: %s\n", strerror(errno));
      on_term(0);
    }
    buffer[n] = '\0';
    /* Stop at a NUL inside the datagram: what follows is not sd_notify text. */
    if (write_all(buffer, strlen(buffer) + 1) < 0) on_term(0);
  }
}
