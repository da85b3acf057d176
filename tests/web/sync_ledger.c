/* sync_ledger: an LD_PRELOAD library that records what a process has made durable.
 *
 * Every fsync/fdatasync of a regular file appends "inode size path" to the file named by
 * SYNC_LEDGER once the real call has returned 0: from then on, the first `size` bytes of that
 * inode survive a power cut. A ftruncate is recorded the same way (what is beyond is gone).
 * With SYNC_LEDGER_DROP=1 the library plays a build that forgets to sync: it returns 0 without
 * syncing and records nothing. tests/web/test_ingest_durability.py reads the ledger after a
 * SIGKILL and cuts the write-ahead log back to its last synced length: a power cut.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

static void record(int fd) {
    const char *ledger = getenv("SYNC_LEDGER");
    struct stat st;
    if (ledger == NULL || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return;
    char link[64], path[4096], line[4200];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    if (n < 0) return;
    path[n] = '\0';
    int len = snprintf(line, sizeof line, "%llu %lld %s\n", (unsigned long long)st.st_ino,
                       (long long)st.st_size, path);
    int out = open(ledger, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (out < 0) return;
    if (write(out, line, (size_t)len) != len) { /* the test sees a short ledger */ }
    close(out);
}

static int dropping(void) {
    const char *drop = getenv("SYNC_LEDGER_DROP");
    return drop != NULL && strcmp(drop, "1") == 0;
}

int fsync(int fd) {
    static int (*real)(int);
    if (dropping()) return 0;
    if (real == NULL) real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    int rc = real(fd);
    if (rc == 0) record(fd);
    return rc;
}

int fdatasync(int fd) {
    static int (*real)(int);
    if (dropping()) return 0;
    if (real == NULL) real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    int rc = real(fd);
    if (rc == 0) record(fd);
    return rc;
}

int ftruncate(int fd, off_t length) {
    static int (*real)(int, off_t);
    if (real == NULL) real = (int (*)(int, off_t))dlsym(RTLD_NEXT, "ftruncate");
    int rc = real(fd, length);
    if (rc == 0 && !dropping()) record(fd);
    return rc;
}
