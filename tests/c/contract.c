/* The C face's contract, from C: every strategy over TCP, a pipe and a file, the report, bad
 * input, and SIGPIPE with its default disposition (a hung-up peer must give EPIPE, not kill us).
 * Built by tests/c_face.rs with -Wall -Wextra -Werror and AddressSanitizer + UBSan.
 * Usage: contract TMPDIR */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

enum { SIZE = (1 << 20) + 13, POS = 4093 };
static unsigned char data[SIZE];

/* Sends [POS, SIZE) of src to the writing end `w`, read back from `r` by a thread. */
static void send_and_check(int src, int w, int r, zc_strategy s, const char *what) {
    struct sink sink = {.fd = r};
    pthread_t t;
    pthread_create(&t, NULL, drain, &sink);
    zc_report rep;
    memset(&rep, 0xAB, sizeof rep);
    int rc = zc_transfer_to_report(src, POS, UINT64_MAX, w, s, &rep);
    close(w);
    pthread_join(t, NULL);
    CHECK(rc == 0, "%s %s: rc %d (%s)", zc_strategy_name(s), what, rc, strerror(rc));
    CHECK(rep.transferred == SIZE - POS, "%s %s: %llu", zc_strategy_name(s), what,
          (unsigned long long)rep.transferred);
    CHECK(sink.len == SIZE - POS && memcmp(sink.buf, data + POS, SIZE - POS) == 0,
          "%s %s: received %zu bytes, not the file's", zc_strategy_name(s), what, sink.len);
    zc_strategy ran = s == ZC_STRATEGY_AUTO ? ZC_STRATEGY_SENDFILE : s;
    CHECK(rep.strategy == ran, "%s %s: ran %d", zc_strategy_name(s), what, rep.strategy);
    CHECK(rep.syscalls >= 3, "%s %s: %llu calls", zc_strategy_name(s), what,
          (unsigned long long)rep.syscalls);
    CHECK(lseek(src, 0, SEEK_CUR) == 17, "%s %s: the source offset moved", zc_strategy_name(s), what);
    free(sink.buf);
    close(r);
}

static void test_targets(int src, const char *dir) {
    for (size_t i = 0; i < NSTRATEGIES; i++) {
        zc_strategy s = STRATEGIES[i];
        int c, sv, p[2], u[2];
        tcp_pair(&c, &sv);
        send_and_check(src, c, sv, s, "tcp");
        if (pipe(p)) exit(2);
        send_and_check(src, p[1], p[0], s, "pipe");
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, u)) exit(2);
        send_and_check(src, u[0], u[1], s, "unix socket");

        char path[4096];
        snprintf(path, sizeof path, "%s/target-%d", dir, s);
        int f = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
        if (write(f, "abc", 3) != 3) exit(2);
        uint64_t n = 0;
        int rc = zc_transfer_to(src, POS, 1000, f, s, &n);
        CHECK(rc == 0 && n == 1000, "%s file: rc %d n %llu", zc_strategy_name(s), rc,
              (unsigned long long)n);
        CHECK(lseek(f, 0, SEEK_CUR) == 1003, "%s file: target offset not advanced", zc_strategy_name(s));
        unsigned char back[1003];
        CHECK(pread(f, back, sizeof back, 0) == 1003 && memcmp(back, "abc", 3) == 0 &&
                  memcmp(back + 3, data + POS, 1000) == 0,
              "%s file: wrong bytes", zc_strategy_name(s));
        close(f);
        unlink(path);
    }
    /* COPY_FILE_RANGE: to a file (what it ran: copy_file_range, or where the file system refuses
     * it, the next rung), and EINVAL, with nothing sent, for a target that is not a file. */
    char path[4096];
    snprintf(path, sizeof path, "%s/target-cfr", dir);
    int f = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    zc_report rep;
    int rc = zc_transfer_to_report(src, POS, 100000, f, ZC_STRATEGY_COPY_FILE_RANGE, &rep);
    unsigned char back[100000];
    CHECK(rc == 0 && rep.transferred == 100000 && lseek(f, 0, SEEK_CUR) == 100000 &&
              pread(f, back, sizeof back, 0) == 100000 && memcmp(back, data + POS, 100000) == 0,
          "COPY_FILE_RANGE file: rc %d n %llu", rc, (unsigned long long)rep.transferred);
    CHECK(rep.strategy == ZC_STRATEGY_COPY_FILE_RANGE || rep.strategy == ZC_STRATEGY_SENDFILE,
          "COPY_FILE_RANGE ran %s", zc_strategy_name(rep.strategy));
    close(f);
    unlink(path);
    int c, sv;
    tcp_pair(&c, &sv);
    uint64_t n = 777;
    CHECK(zc_transfer_to(src, POS, 1000, c, ZC_STRATEGY_COPY_FILE_RANGE, &n) == EINVAL && n == 777,
          "COPY_FILE_RANGE to a socket");
    /* SPLICE (5) is transfer_from's: EINVAL from zc_transfer_to where bytes would move, 0 where none. */
    CHECK(ZC_STRATEGY_SPLICE == 5 && strcmp(zc_strategy_name(ZC_STRATEGY_SPLICE), "SPLICE") == 0 &&
              zc_strategy_name(6) == NULL,
          "SPLICE is code 5 and the last");
    CHECK(zc_transfer_to(src, POS, 1000, c, ZC_STRATEGY_SPLICE, &n) == EINVAL && n == 777, "SPLICE to a socket");
    CHECK(zc_transfer_to(src, POS, 0, c, ZC_STRATEGY_SPLICE, &n) == 0 && n == 0, "SPLICE, count 0");
    close(c);
    close(sv);
}

/* A peer that hung up, with SIGPIPE at its default action: EPIPE/ECONNRESET, and we live. */
static void test_sigpipe(int src) {
    signal(SIGPIPE, SIG_DFL);
    for (size_t i = 0; i < NSTRATEGIES; i++) {
        zc_strategy s = STRATEGIES[i];
        for (int kind = 0; kind < 2; kind++) {
            int w, r, p[2];
            if (kind == 0) {
                tcp_pair(&w, &r);
            } else {
                if (pipe(p)) exit(2);
                r = p[0], w = p[1];
            }
            close(r);
            int rc = 0;
            for (int tries = 0; tries < 100 && rc == 0; tries++) {
                uint64_t n;
                rc = zc_transfer_to(src, 0, SIZE, w, s, &n);
            }
            CHECK(rc == EPIPE || rc == ECONNRESET, "%s to a closed %s: rc %d (%s)",
                  zc_strategy_name(s), kind ? "pipe" : "socket", rc, strerror(rc));
            close(w);
        }
    }
    sigset_t now;
    sigprocmask(SIG_BLOCK, NULL, &now);
    CHECK(!sigismember(&now, SIGPIPE), "SIGPIPE was left blocked");
    sigpending(&now);
    CHECK(!sigismember(&now, SIGPIPE), "a SIGPIPE was left pending");
}

#define EXPECT_ERR(call, want)                                                             \
    do {                                                                                   \
        uint64_t out = 777;                                                                \
        int rc_ = (call);                                                                  \
        CHECK(rc_ == (want) && out == 777, "%s: rc %d (%s), want %s", #call, rc_,          \
              strerror(rc_), #want);                                                       \
        (void)out;                                                                         \
    } while (0)

static void test_bad_input(int src, const char *dir) {
    char path[4096];
    snprintf(path, sizeof path, "%s/bad-target", dir);
    int dst = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    int ro = open(path, O_RDONLY);
    int wo = open(path, O_WRONLY);
    int append = open(path, O_WRONLY | O_APPEND);
    int dirfd = open(dir, O_RDONLY | O_DIRECTORY);
    int p[2];
    if (pipe(p)) exit(2);
    int closed = dup(dst);
    close(closed);

    EXPECT_ERR(zc_transfer_to(-1, 0, 10, dst, ZC_STRATEGY_AUTO, &out), EBADF);
    EXPECT_ERR(zc_transfer_to(src, 0, 10, -1, ZC_STRATEGY_AUTO, &out), EBADF);
    EXPECT_ERR(zc_transfer_to(closed, 0, 10, dst, ZC_STRATEGY_AUTO, &out), EBADF);
    EXPECT_ERR(zc_transfer_to(src, 0, 10, closed, ZC_STRATEGY_AUTO, &out), EBADF);
    EXPECT_ERR(zc_transfer_to(src, 0, 10, dst, (zc_strategy)99, &out), EINVAL);
    EXPECT_ERR(zc_transfer_to(src, 0, 10, dst, (zc_strategy)-1, &out), EINVAL);
    EXPECT_ERR(zc_transfer_to(src, 0, 10, dst, (zc_strategy)0x7fffffff, &out), EINVAL);
    EXPECT_ERR(zc_transfer_to(src, 0, 10, dst, ZC_STRATEGY_AUTO, NULL), EINVAL);
    EXPECT_ERR(zc_transfer_to_report(src, 0, 10, dst, ZC_STRATEGY_AUTO, NULL), EINVAL);
    EXPECT_ERR(zc_transfer_to(dirfd, 0, 10, dst, ZC_STRATEGY_AUTO, &out), EISDIR);
    EXPECT_ERR(zc_transfer_to(p[0], 0, 10, dst, ZC_STRATEGY_AUTO, &out), ESPIPE);
    int sp[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp)) exit(2);
    EXPECT_ERR(zc_transfer_to(sp[0], 0, 10, dst, ZC_STRATEGY_SENDFILE, &out), ESPIPE);
    close(sp[0]), close(sp[1]);
    EXPECT_ERR(zc_transfer_to(src, 0, 10, append, ZC_STRATEGY_SENDFILE, &out), EINVAL);
    /* ... but only where bytes would move: nothing to send is 0, as transferTo returns. */
    uint64_t none = 99;
    CHECK(zc_transfer_to(src, 0, 0, append, ZC_STRATEGY_SENDFILE, &none) == 0 && none == 0,
          "SENDFILE to O_APPEND, count 0: n %llu", (unsigned long long)none);
    none = 99;
    CHECK(zc_transfer_to(src, UINT64_MAX / 2, 10, append, ZC_STRATEGY_SENDFILE, &none) == 0 && none == 0,
          "SENDFILE to O_APPEND past the end: n %llu", (unsigned long long)none);
    for (size_t i = 0; i < NSTRATEGIES; i++) {
        EXPECT_ERR(zc_transfer_to(wo, 0, 10, dst, STRATEGIES[i], &out), EBADF);
        EXPECT_ERR(zc_transfer_to(src, 0, 10, ro, STRATEGIES[i], &out), EBADF);
    }
    /* A write-only source with content: EBADF for every strategy (mmap's own word is EACCES). */
    char wo_path[4096];
    snprintf(wo_path, sizeof wo_path, "%s/write-only-source", dir);
    int wo_src = open(wo_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (wo_src < 0 || write(wo_src, "0123456789abcdef", 16) != 16) exit(2);
    for (size_t i = 0; i < NSTRATEGIES; i++) {
        EXPECT_ERR(zc_transfer_to(wo_src, 0, 10, dst, STRATEGIES[i], &out), EBADF);
    }
    close(wo_src);
    unlink(wo_path);
    struct stat st;
    CHECK(fstat(dst, &st) == 0 && st.st_size == 0, "a failed call wrote %lld bytes",
          (long long)st.st_size);

    /* Positions past the end, and counts that overflow position + count, move nothing wrong. */
    uint64_t n = 99;
    CHECK(zc_transfer_to(src, UINT64_MAX, UINT64_MAX, dst, ZC_STRATEGY_AUTO, &n) == 0 && n == 0,
          "huge position: n %llu", (unsigned long long)n);
    CHECK(zc_transfer_to(src, SIZE - 1, UINT64_MAX, dst, ZC_STRATEGY_AUTO, &n) == 0 && n == 1,
          "position + count overflowing: n %llu", (unsigned long long)n);

    CHECK(strcmp(zc_strategy_name(ZC_STRATEGY_READ_WRITE), "READ_WRITE") == 0, "name");
    CHECK(zc_strategy_name(42) == NULL, "name of an unknown strategy");
    CHECK(zc_version() != NULL && strchr(zc_version(), '.') != NULL, "version");
    close(dst), close(ro), close(wo), close(append), close(dirfd), close(p[0]), close(p[1]);
    unlink(path);
}

/* zc_statistics: a transfer into a file is counted under its direction and the strategy that ran
 * (other threads of this program transfer nothing meanwhile, so the counts are exact), a failed
 * call under the strategy asked for; NULL is EINVAL. */
static void test_statistics(int src, const char *dir) {
    CHECK(zc_statistics(NULL) == EINVAL, "zc_statistics(NULL)");
    zc_stats before, after;
    CHECK(zc_statistics(&before) == 0, "zc_statistics");
    char path[4096];
    snprintf(path, sizeof path, "%s/target-stats", dir);
    int f = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    zc_report rep;
    int rc = zc_transfer_to_report(src, POS, 5000, f, ZC_STRATEGY_READ_WRITE, &rep);
    uint64_t n = 777;
    int bad = zc_transfer_to(src, POS, 10, -1, ZC_STRATEGY_MMAP, &n);
    int dirfd = open(dir, O_RDONLY | O_DIRECTORY);
    int failed_call = zc_transfer_to(src, POS, 10, dirfd, ZC_STRATEGY_MMAP, &n);
    CHECK(zc_statistics(&after) == 0 && rc == 0 && bad == EBADF && failed_call == EISDIR, "transfers");
    zc_counters b = before.counters[ZC_DIRECTION_TO][ZC_STRATEGY_READ_WRITE];
    zc_counters a = after.counters[ZC_DIRECTION_TO][ZC_STRATEGY_READ_WRITE];
    CHECK(a.calls == b.calls + 1 && a.bytes == b.bytes + 5000 && a.syscalls == b.syscalls + rep.syscalls,
          "READ_WRITE counted: calls %llu -> %llu, bytes %llu -> %llu", (unsigned long long)b.calls,
          (unsigned long long)a.calls, (unsigned long long)b.bytes, (unsigned long long)a.bytes);
    /* A bad descriptor fails before the core runs; the directory fails in it. */
    CHECK(after.counters[ZC_DIRECTION_TO][ZC_STRATEGY_MMAP].errors ==
              before.counters[ZC_DIRECTION_TO][ZC_STRATEGY_MMAP].errors + 1,
          "the failed MMAP call counted");
    CHECK(after.counters[ZC_DIRECTION_FROM][ZC_STRATEGY_READ_WRITE].calls ==
              before.counters[ZC_DIRECTION_FROM][ZC_STRATEGY_READ_WRITE].calls,
          "nothing counted in another direction");
    close(dirfd);
    close(f);
    unlink(path);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s TMPDIR\n", argv[0]);
        return 2;
    }
    for (size_t i = 0; i < SIZE; i++) data[i] = (unsigned char)(i * 2654435761u >> 13);
    char path[4096];
    int src = source_file(path, sizeof path, argv[1], data, SIZE);

    test_targets(src, argv[1]);
    test_bad_input(src, argv[1]);
    test_sigpipe(src);
    test_statistics(src, argv[1]);

    close(src);
    unlink(path);
    printf("contract: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
