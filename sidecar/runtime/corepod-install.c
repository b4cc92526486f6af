/*
 * corepod-install DEST: the init container's command. Copies the sidecar runtime (this binary's
 * ../runtime, i.e. /opt/corepod/runtime in the sidecar image) into DEST, the pod's emptyDir.
 * Regular files keep their mode, symbolic links are recreated; nothing is followed outside the
 * tree. Static, no shell.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

static long long files, bytes;

static int fail(const char *what, const char *path) {
  fprintf(stderr, "corepod-install: %s %s: %s\n", what, path, strerror(errno));
  return -1;
}

static int copy_file(const char *from, const char *to, mode_t mode, off_t size) {
  int in = open(from, O_RDONLY | O_CLOEXEC);
  if (in < 0) return fail("cannot open", from);
  int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode & 07777);
  if (out < 0) {
    close(in);
    return fail("cannot create", to);
  }
  off_t left = size;
  while (left > 0) {
    ssize_t n = copy_file_range(in, NULL, out, NULL, (size_t)left, 0);
    if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP)) {
      char buf[1 << 16];
      n = read(in, buf, sizeof buf);
      if (n > 0 && write(out, buf, (size_t)n) != n) n = -1;
    }
    if (n < 0) {
      close(in);
      close(out);
      return fail("cannot copy to", to);
    }
    if (n == 0) break;
    left -= n;
  }
  if (fchmod(out, mode & 07777) != 0 || close(out) != 0) {
    close(in);
    return fail("cannot finish", to);
  }
  close(in);
  files++;
  bytes += size;
  return 0;
}

static int copy_tree(const char *from, const char *to) {
  DIR *dir = opendir(from);
  if (dir == NULL) return fail("cannot read", from);
  struct dirent *entry;
  int rc = 0;
  while (rc == 0 && (entry = readdir(dir)) != NULL) {
    if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) continue;
    char src[PATH_MAX], dst[PATH_MAX];
    snprintf(src, sizeof src, "%s/%s", from, entry->d_name);
    snprintf(dst, sizeof dst, "%s/%s", to, entry->d_name);
    struct stat st;
    if (lstat(src, &st) != 0) {
      rc = fail("cannot stat", src);
    } else if (S_ISDIR(st.st_mode)) {
      if (mkdir(dst, st.st_mode & 07777) != 0 && errno != EEXIST) rc = fail("cannot create", dst);
      else rc = copy_tree(src, dst);
      if (rc == 0) chmod(dst, st.st_mode & 07777);
    } else if (S_ISLNK(st.st_mode)) {
      char target[PATH_MAX];
      ssize_t n = readlink(src, target, sizeof target - 1);
      if (n < 0) rc = fail("cannot read link", src);
      else {
        target[n] = '\0';
        unlink(dst);
        if (symlink(target, dst) != 0) rc = fail("cannot link", dst);
      }
    } else if (S_ISREG(st.st_mode)) {
      unlink(dst); /* a file left by an earlier run of this init container */
      rc = copy_file(src, dst, st.st_mode, st.st_size);
    }
  }
  closedir(dir);
  return rc;
}

int main(int argc, char **argv) {
  if (argc != 2 || argv[1][0] != '/') {
    fprintf(stderr, "usage: corepod-install DEST (an absolute directory)\n");
    return 2;
  }
  char source[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", source, sizeof source - 1);
  if (n <= 0) strcpy(source, "/opt/corepod/bin/corepod-install");
  else source[n] = '\0';
  *strrchr(source, '/') = '\0'; /* .../bin */
  char *up = strrchr(source, '/');
  if (up) *up = '\0';
  strncat(source, "/runtime", sizeof source - strlen(source) - 1);

  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  if (mkdir(argv[1], 0755) != 0 && errno != EEXIST) {
    fail("cannot create", argv[1]);
    return 1;
  }
  if (copy_tree(source, argv[1]) != 0) return 1;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
  printf("corepod-install: %lld files, %.1f MB from %s to %s in %ld ms\n", files, bytes / 1e6, source, argv[1], ms);
  return 0;
}
