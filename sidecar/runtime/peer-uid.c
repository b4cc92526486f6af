/*
 * peer-uid: prints "UID PID\n" of the process at the other end of the connected unix socket that
 * is its standard input (SO_PEERCRED: the kernel's record of who connected, which the client
 * cannot forge). Node has no getsockopt, so the control server runs this for every connection it
 * accepts and refuses a peer whose uid is not its own (sidecar/peer-credentials.ts).
 *
 * Exit 0 on success, 1 when standard input is no connected unix socket. Static, no shell.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/socket.h>

int main(void) {
  struct ucred cred;
  socklen_t length = sizeof cred;
  if (getsockopt(0, SOL_SOCKET, SO_PEERCRED, &cred, &length) != 0) {
    perror("peer-uid: SO_PEERCRED on standard input");
    return 1;
  }
  printf("%u %d\n", (unsigned)cred.uid, (int)cred.pid);
  return 0;
}
