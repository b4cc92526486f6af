/*
 * tiny-http PORT [NAME]: a minimal HTTP/1.0 server for the images that have no node or nginx.
 * GET /health -> 200 "ok"; any other path -> 200 "NAME\n". Built against musl, dynamically for
 * the busybox/musl image and statically for the single-binary image. One connection at a time.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: tiny-http PORT [NAME]\n");
    return 2;
  }
  const char *name = argc > 2 ? argv[2] : "tiny-http";
  signal(SIGPIPE, SIG_IGN);
  int server = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(server, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr = {0};
  addr.sin_family = AF_INET;
  addr.sin_port = htons((unsigned short)atoi(argv[1]));
  addr.sin_addr.s_addr = htonl(INADDR_ANY);
  if (bind(server, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(server, 64) != 0) {
    perror("tiny-http: listen");
    return 1;
  }
  printf("%s listening on %s\n", name, argv[1]);
  fflush(stdout);
  for (;;) {
    int client = accept(server, NULL, NULL);
    if (client < 0) continue;
    char request[1024];
    ssize_t n = read(client, request, sizeof request - 1);
    if (n > 0) {
      request[n] = '\0';
      int health = strncmp(request, "GET /health", 11) == 0;
      char body[256];
      int len = snprintf(body, sizeof body, "%s\n", health ? "ok" : name);
      char response[512];
      int total = snprintf(response, sizeof response, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", len, body);
      if (write(client, response, (size_t)total) < 0) perror("tiny-http: write");
    }
    close(client);
  }
}
