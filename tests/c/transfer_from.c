/* zc_transfer_from from C: exact bytes from a TCP socket, a Unix socket, a pipe and a file into a
 * file at a position (the target's offset never moves; a file source's offset, shared with the
 * private duplicate, advances by the count), O_APPEND targets, bad input that leaves the
 * out-parameter alone, EINTR from a handler without SA_RESTART (before and after some bytes), and
 * a SIGUSR1 handler that runs a whole SPLICE transfer while this thread is blocked in one.
 * Built by tests/c_face.rs with -Wall -Wextra -Werror and AddressSanitizer + UBSan.
 * Usage: transfer_from TMPDIR */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>

#include "testutil.h"

enum { SIZE = (3 << 20) + 11, NESTED = 100003, OUTER = 300007 };
static unsigned char data[SIZE];
static const char *dir;

static const zc_strategy STREAM_WAYS[] = {ZC_STRATEGY_AUTO, ZC_STRATEGY_SPLICE, ZC_STRATEGY_READ_WRITE};
static const zc_strategy FILE_WAYS[] = {ZC_STRATEGY_AUTO, ZC_STRATEGY_COPY_FILE_RANGE, ZC_STRATEGY_SENDFILE,
                                        ZC_STRATEGY_MMAP, ZC_STRATEGY_READ_WRITE, ZC_STRATEGY_SPLICE};
#define COUNT(a) (sizeof a / sizeof a[0])

/* A new temp file DIR/NAME holding `len` bytes of `prefill`, open with `flags`. */
static int temp_file(const char *name, const void *prefill, size_t len, int flags) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int w = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (w < 0 || write(w, prefill, len) != (ssize_t)len) {
        perror(path);
        exit(2);
    }
    close(w);
    int fd = open(path, flags);
    if (fd < 0) {
        perror(path);
        exit(2);
    }
    unlink(path);
    return fd;
}

/* Whether the file `fd` holds exactly `prefix` (`plen` bytes) then `len` bytes of `bytes`. */
static int holds(int fd, const void *prefix, size_t plen, const unsigned char *bytes, size_t len) {
    struct stat st;
    if (fstat(fd, &st) || (size_t)st.st_size != plen + len) return 0;
    unsigned char *got = malloc(plen + len + 1);
    int ok = pread(fd, got, plen + len, 0) == (ssize_t)(plen + len) && memcmp(got, prefix, plen) == 0 &&
             memcmp(got + plen, bytes, len) == 0;
    free(got);
    return ok;
}

enum kind { TCP, UNIX_SOCKET, PIPE };
static const char *const KIND_NAMES[] = {"TCP", "Unix socket", "pipe"};

/* A connected stream: *rx is read by the transfers, *tx written by a sender. */
static void stream(enum kind kind, int *rx, int *tx) {
    int fds[2];
    switch (kind) {
    case TCP:
        tcp_pair(tx, rx);
        return;
    case UNIX_SOCKET:
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds)) exit(2);
        break;
    case PIPE:
        if (pipe(fds)) exit(2);
        break;
    }
    *rx = fds[0];
    *tx = fds[1];
}

struct sender {
    int fd;
    const unsigned char *bytes;
    size_t len;
};

/* Writes the bytes, then closes the descriptor. */
static void *send_all(void *arg) {
    struct sender *s = arg;
    size_t done = 0;
    while (done < s->len) {
        ssize_t n = write(s->fd, s->bytes + done, s->len - done);
        if (n <= 0) break;
        done += (size_t)n;
    }
    close(s->fd);
    return NULL;
}

#define EXPECT_ERROR(call, want)                                                                  \
    do {                                                                                          \
        uint64_t n = 777;                                                                         \
        int rc_ = (call);                                                                         \
        CHECK(rc_ == (want) && n == 777, "%s: rc %d (%s), want %s, n %llu", #call, rc_, strerror(rc_), \
              #want, (unsigned long long)n);                                                      \
    } while (0)

/* Every strategy from every kind of stream: the stream ones move every byte to position 5 (the
 * target's first 5 bytes and its offset stay); the file ones are EINVAL, take nothing, and give 0
 * for a count of 0. */
static void test_streams(void) {
    for (int kind = TCP; kind <= PIPE; kind++) {
        for (zc_strategy s = ZC_STRATEGY_AUTO; s <= ZC_STRATEGY_SPLICE; s++) {
            int rx, tx;
            stream(kind, &rx, &tx);
            struct sender sender = {tx, data, SIZE};
            pthread_t t;
            pthread_create(&t, NULL, send_all, &sender);
            int dst = temp_file("target", "0123456789", 10, O_RDWR);
            lseek(dst, 2, SEEK_SET);
            uint64_t n = 777;
            int rc = zc_transfer_from(dst, rx, 5, UINT64_MAX, s, &n);
            int stream_way = s == ZC_STRATEGY_AUTO || s == ZC_STRATEGY_SPLICE || s == ZC_STRATEGY_READ_WRITE;
            if (stream_way) {
                CHECK(rc == 0 && n == SIZE && holds(dst, "01234", 5, data, SIZE), "%s %s: rc %d (%s) n %llu",
                      KIND_NAMES[kind], zc_strategy_name(s), rc, strerror(rc), (unsigned long long)n);
                pthread_join(t, NULL);
            } else {
                CHECK(rc == EINVAL && n == 777, "%s %s: rc %d (%s)", KIND_NAMES[kind], zc_strategy_name(s), rc,
                      strerror(rc));
                rc = zc_transfer_from(dst, rx, 5, 0, s, &n);
                CHECK(rc == 0 && n == 0, "%s %s count 0: rc %d n %llu", KIND_NAMES[kind], zc_strategy_name(s), rc,
                      (unsigned long long)n);
                /* Nothing was taken: READ_WRITE gets every byte. */
                rc = zc_transfer_from(dst, rx, 5, UINT64_MAX, ZC_STRATEGY_READ_WRITE, &n);
                pthread_join(t, NULL);
                CHECK(rc == 0 && n == SIZE && holds(dst, "01234", 5, data, SIZE),
                      "%s %s: a refused transfer took bytes: rc %d n %llu", KIND_NAMES[kind], zc_strategy_name(s),
                      rc, (unsigned long long)n);
            }
            CHECK(lseek(dst, 0, SEEK_CUR) == 2, "%s %s: the target's offset moved", KIND_NAMES[kind],
                  zc_strategy_name(s));
            close(dst);
            close(rx);
        }
    }
}

/* `count` smaller than what waits: exactly `count` bytes leave the stream, and the rest stays
 * there, in order. */
static void test_count_within_stream(void) {
    for (int kind = TCP; kind <= PIPE; kind++) {
        for (size_t i = 0; i < COUNT(STREAM_WAYS); i++) {
            zc_strategy s = STREAM_WAYS[i];
            int rx, tx;
            stream(kind, &rx, &tx);
            if (write(tx, data, 50000) != 50000) exit(2);
            close(tx);
            int dst = temp_file("target", "", 0, O_RDWR);
            uint64_t n = 777;
            int rc = zc_transfer_from(dst, rx, 0, 3001, s, &n);
            struct sink rest = {.fd = rx};
            drain(&rest);
            CHECK(rc == 0 && n == 3001 && holds(dst, "", 0, data, 3001) && rest.len == 50000 - 3001 &&
                      memcmp(rest.buf, data + 3001, rest.len) == 0,
                  "%s %s count 3001: rc %d n %llu, %zu left", KIND_NAMES[kind], zc_strategy_name(s), rc,
                  (unsigned long long)n, rest.len);
            free(rest.buf);
            close(dst);
            close(rx);
        }
    }
}

/* A file source through the C face: read from its own offset (17), which the private duplicate
 * shares, so the caller sees it advance by exactly the count; then the rest from there. */
static void test_file_source(int src) {
    for (size_t i = 0; i < COUNT(FILE_WAYS); i++) {
        zc_strategy s = FILE_WAYS[i];
        lseek(src, 17, SEEK_SET);
        int dst = temp_file("target", "ab", 2, O_RDWR);
        uint64_t n = 777, rest = 777;
        int rc = zc_transfer_from(dst, src, 2, 100000, s, &n);
        off_t after = lseek(src, 0, SEEK_CUR);
        int rc2 = zc_transfer_from(dst, src, 2 + n, UINT64_MAX, s, &rest);
        CHECK(rc == 0 && n == 100000 && after == 17 + 100000, "%s: rc %d (%s) n %llu offset %lld",
              zc_strategy_name(s), rc, strerror(rc), (unsigned long long)n, (long long)after);
        CHECK(rc2 == 0 && rest == SIZE - 17 - 100000 && lseek(src, 0, SEEK_CUR) == SIZE &&
                  holds(dst, "ab", 2, data + 17, SIZE - 17),
              "%s, the rest: rc %d n %llu", zc_strategy_name(s), rc2, (unsigned long long)rest);
        /* At its end: 0, the offset stays. */
        rc = zc_transfer_from(dst, src, 0, 10, s, &n);
        CHECK(rc == 0 && n == 0 && lseek(src, 0, SEEK_CUR) == SIZE, "%s at the end: rc %d n %llu",
              zc_strategy_name(s), rc, (unsigned long long)n);
        CHECK(lseek(dst, 0, SEEK_CUR) == 0, "%s: the target's offset moved", zc_strategy_name(s));
        close(dst);
    }
    /* A count of 0 moves nothing and leaves the offset. */
    lseek(src, 17, SEEK_SET);
    int dst = temp_file("target", "", 0, O_RDWR);
    uint64_t n = 777;
    int rc = zc_transfer_from(dst, src, 0, 0, ZC_STRATEGY_SPLICE, &n);
    CHECK(rc == 0 && n == 0 && lseek(src, 0, SEEK_CUR) == 17, "SPLICE count 0: rc %d n %llu", rc,
          (unsigned long long)n);
    close(dst);
}

/* A position past the end: a gap of zeros. */
static void test_gap(int src) {
    for (size_t i = 0; i < COUNT(FILE_WAYS); i++) {
        lseek(src, 0, SEEK_SET);
        int dst = temp_file("target", "xy", 2, O_RDWR);
        uint64_t n = 777;
        int rc = zc_transfer_from(dst, src, 10000, 5000, FILE_WAYS[i], &n);
        unsigned char *want = calloc(1, 10000 + 5000);
        memcpy(want, "xy", 2);
        memcpy(want + 10000, data, 5000);
        CHECK(rc == 0 && n == 5000 && holds(dst, "", 0, want, 15000), "%s gap: rc %d n %llu",
              zc_strategy_name(FILE_WAYS[i]), rc, (unsigned long long)n);
        free(want);
        close(dst);
    }
}

/* O_APPEND: AUTO and READ_WRITE append wherever `position` points; the other strategies are EINVAL
 * where bytes would move and 0 where none would. */
static void test_append(int src) {
    for (zc_strategy s = ZC_STRATEGY_AUTO; s <= ZC_STRATEGY_SPLICE; s++) {
        lseek(src, 17, SEEK_SET);
        int dst = temp_file("log", "head:", 5, O_RDWR | O_APPEND);
        uint64_t n = 777;
        int rc = zc_transfer_from(dst, src, 1, 1000, s, &n);
        if (s == ZC_STRATEGY_AUTO || s == ZC_STRATEGY_READ_WRITE) {
            int rx, tx;
            stream(TCP, &rx, &tx);
            struct sender sender = {tx, data + 1017, 4000};
            pthread_t t;
            pthread_create(&t, NULL, send_all, &sender);
            uint64_t m = 777;
            int rc2 = zc_transfer_from(dst, rx, 0, UINT64_MAX, s, &m);
            pthread_join(t, NULL);
            close(rx);
            CHECK(rc == 0 && n == 1000 && rc2 == 0 && m == 4000 && holds(dst, "head:", 5, data + 17, 5000),
                  "%s append: rc %d n %llu, rc %d m %llu", zc_strategy_name(s), rc, (unsigned long long)n, rc2,
                  (unsigned long long)m);
        } else {
            CHECK(rc == EINVAL && n == 777 && lseek(src, 0, SEEK_CUR) == 17, "%s append: rc %d (%s)",
                  zc_strategy_name(s), rc, strerror(rc));
            rc = zc_transfer_from(dst, src, 1, 0, s, &n);
            CHECK(rc == 0 && n == 0 && holds(dst, "head:", 5, data, 0), "%s append count 0: rc %d",
                  zc_strategy_name(s), rc);
        }
        close(dst);
    }
}

/* Bad input: an errno that says what is wrong, the out-parameter untouched, nothing written. */
static void test_bad_input(int src) {
    int dst = temp_file("target", "keep", 4, O_RDWR);
    int ro = temp_file("read-only", "keep", 4, O_RDONLY);
    int dirfd = open(dir, O_RDONLY | O_DIRECTORY);
    int p[2], sock, peer;
    if (pipe(p) || dirfd < 0) exit(2);
    tcp_pair(&sock, &peer);
    /* A closed number above a lower free one (the private duplicate of the first descriptor
     * takes the lowest free number: see the ignored test in tests/transfer_from.rs). */
    int lower = dup(dst), closed = dup(dst);
    close(lower);
    close(closed);
    lseek(src, 17, SEEK_SET);
    for (zc_strategy s = ZC_STRATEGY_AUTO; s <= ZC_STRATEGY_SPLICE; s++) {
        EXPECT_ERROR(zc_transfer_from(dst, src, 0, 10, s, NULL), EINVAL);
        EXPECT_ERROR(zc_transfer_from(-1, src, 0, 10, s, &n), EBADF);
        EXPECT_ERROR(zc_transfer_from(dst, -1, 0, 10, s, &n), EBADF);
        EXPECT_ERROR(zc_transfer_from(closed, src, 0, 10, s, &n), EBADF);
        EXPECT_ERROR(zc_transfer_from(dst, closed, 0, 10, s, &n), EBADF);
        EXPECT_ERROR(zc_transfer_from(1 << 20, src, 0, 10, s, &n), EBADF);
        EXPECT_ERROR(zc_transfer_from(dst, 1 << 20, 0, 10, s, &n), EBADF);
        EXPECT_ERROR(zc_transfer_from(sock, src, 0, 10, s, &n), ESPIPE);
        EXPECT_ERROR(zc_transfer_from(p[1], src, 0, 10, s, &n), ESPIPE);
        EXPECT_ERROR(zc_transfer_from(dirfd, src, 0, 10, s, &n), EISDIR);
        EXPECT_ERROR(zc_transfer_from(dst, dirfd, 0, 10, s, &n), EISDIR);
        EXPECT_ERROR(zc_transfer_from(dst, src, 1ULL << 63, 10, s == ZC_STRATEGY_SPLICE ? ZC_STRATEGY_AUTO : s, &n),
                     EINVAL);
        /* Read-only targets: SENDFILE is left out (it writes through a second open of the file:
         * see the ignored test in tests/transfer_from.rs). */
        if (s != ZC_STRATEGY_SPLICE && s != ZC_STRATEGY_SENDFILE) {
            EXPECT_ERROR(zc_transfer_from(ro, src, 0, 10, s, &n), EBADF);
        }
    }
    for (zc_strategy bad = -1; bad <= 42; bad += 7) { /* -1, 6, 13, ... 41 */
        EXPECT_ERROR(zc_transfer_from(dst, src, 0, 10, bad, &n), EINVAL);
    }
    EXPECT_ERROR(zc_transfer_from(dst, src, 0, 10, INT32_MIN, &n), EINVAL);
    CHECK(holds(dst, "keep", 4, data, 0) && holds(ro, "keep", 4, data, 0), "a failed call wrote to a target");
    CHECK(lseek(src, 0, SEEK_CUR) == 17, "a failed call moved the source's offset");
    close(dst), close(ro), close(dirfd), close(p[0]), close(p[1]), close(sock), close(peer);
}

/* ---- Signals ---- */

static pid_t main_tid;

/* Waits (5 s at most) until thread `tid` sleeps in the kernel. */
static int wait_sleeping(pid_t tid) {
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)tid);
    for (int i = 0; i < 5000; i++) {
        int fd = open(path, O_RDONLY);
        ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
        if (fd >= 0) close(fd);
        if (n > 0) {
            buf[n] = 0;
            char *state = strrchr(buf, ')');
            if (state && state[1] == ' ' && state[2] == 'S') return 1;
        }
        usleep(1000);
    }
    return 0;
}

static atomic_int interrupting, interrupts;
static pthread_t main_thread;

static void on_usr2(int sig) {
    (void)sig;
    atomic_fetch_add(&interrupts, 1);
}

/* Signals the main thread with SIGUSR2 every 20 ms, once it sleeps, while `interrupting`. */
static void *interrupter(void *arg) {
    (void)arg;
    if (!wait_sleeping(main_tid)) return NULL;
    usleep(20000);
    while (atomic_load(&interrupting)) {
        pthread_kill(main_thread, SIGUSR2);
        usleep(20000);
    }
    return NULL;
}

/* A handler without SA_RESTART interrupts a blocked transfer: EINTR with nothing read (and the
 * out-parameter untouched); with some bytes read, their count. */
static void test_eintr(void) {
    struct sigaction sa = {.sa_handler = on_usr2}, old;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR2, &sa, &old);
    for (int kind = TCP; kind <= PIPE; kind++) {
        for (size_t i = 0; i < COUNT(STREAM_WAYS); i++) {
            zc_strategy s = STREAM_WAYS[i];
            for (int some = 0; some <= 1; some++) {
                int rx, tx;
                stream(kind, &rx, &tx);
                if (some && write(tx, data, 100) != 100) exit(2);
                int dst = temp_file("target", "", 0, O_RDWR);
                atomic_store(&interrupting, 1);
                atomic_store(&interrupts, 0);
                pthread_t t;
                pthread_create(&t, NULL, interrupter, NULL);
                uint64_t n = 777;
                int rc = zc_transfer_from(dst, rx, 0, 1000, s, &n);
                atomic_store(&interrupting, 0);
                pthread_join(t, NULL);
                if (some) {
                    CHECK(rc == 0 && n == 100 && holds(dst, "", 0, data, 100), "%s %s EINTR after 100: rc %d n %llu",
                          KIND_NAMES[kind], zc_strategy_name(s), rc, (unsigned long long)n);
                } else {
                    CHECK(rc == EINTR && n == 777 && holds(dst, "", 0, data, 0), "%s %s EINTR: rc %d (%s) n %llu",
                          KIND_NAMES[kind], zc_strategy_name(s), rc, strerror(rc), (unsigned long long)n);
                }
                CHECK(atomic_load(&interrupts) > 0, "no signal arrived");
                /* The stream goes on: the next bytes, exactly. */
                if (write(tx, data + 100, 500) != 500) exit(2);
                close(tx);
                rc = zc_transfer_from(dst, rx, some ? 100 : 0, UINT64_MAX, s, &n);
                CHECK(rc == 0 && n == 500 && holds(dst, "", 0, data + (some ? 0 : 100), some ? 600 : 500),
                      "%s %s after EINTR: rc %d n %llu", KIND_NAMES[kind], zc_strategy_name(s), rc,
                      (unsigned long long)n);
                close(dst);
                close(rx);
            }
        }
    }
    sigaction(SIGUSR2, &old, NULL);
}

/* What the SIGUSR1 handler transfers, and what it got. */
static int nested_src, nested_dst;
static atomic_int nested_calls, nested_rc;
static uint64_t nested_n;

static void on_usr1(int sig) {
    (void)sig;
    int saved = errno;
    uint64_t n = 0;
    int rc = zc_transfer_from(nested_dst, nested_src, 7, UINT64_MAX, ZC_STRATEGY_SPLICE, &n);
    nested_n = n;
    atomic_store(&nested_rc, rc);
    atomic_fetch_add(&nested_calls, 1);
    errno = saved;
}

struct outer {
    int tx;
};

/* Once the main thread sleeps in its transfer: SIGUSR1, then (once the handler finished) the
 * outer bytes. */
static void *nest_then_send(void *arg) {
    struct outer *o = arg;
    if (wait_sleeping(main_tid)) {
        usleep(20000);
        pthread_kill(main_thread, SIGUSR1);
        for (int i = 0; i < 5000 && atomic_load(&nested_calls) == 0; i++) usleep(1000);
    }
    struct sender sender = {o->tx, data + 1, OUTER};
    send_all(&sender);
    return NULL;
}

/* A SIGUSR1 handler (SA_RESTART) runs a whole SPLICE transfer from a filled Unix socket while this
 * thread is blocked in a SPLICE transfer from a silent stream (which holds this thread's cached
 * pipe): each file gets exactly its own bytes, and the next SPLICE transfer too. */
static void test_nested(void) {
    struct sigaction sa = {.sa_handler = on_usr1, .sa_flags = SA_RESTART}, old;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, &old);
    for (int kind = TCP; kind <= PIPE; kind++) {
        int fds[2];
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds)) exit(2);
        int bufsize = 1 << 20;
        setsockopt(fds[1], SOL_SOCKET, SO_SNDBUF, &bufsize, sizeof bufsize);
        if (write(fds[1], data + 5, NESTED) != NESTED) {
            perror("fill");
            exit(2);
        }
        close(fds[1]);
        nested_src = fds[0];
        nested_dst = temp_file("nested", "1234567", 7, O_RDWR);
        atomic_store(&nested_calls, 0);
        atomic_store(&nested_rc, -1);

        int rx, tx;
        stream(kind, &rx, &tx);
        int dst = temp_file("outer", "", 0, O_RDWR);
        struct outer o = {tx};
        pthread_t t;
        pthread_create(&t, NULL, nest_then_send, &o);
        uint64_t n = 777;
        int rc = zc_transfer_from(dst, rx, 0, UINT64_MAX, ZC_STRATEGY_SPLICE, &n);
        pthread_join(t, NULL);
        CHECK(atomic_load(&nested_calls) == 1, "%s: the handler ran %d times", KIND_NAMES[kind],
              atomic_load(&nested_calls));
        CHECK(atomic_load(&nested_rc) == 0 && nested_n == NESTED && holds(nested_dst, "1234567", 7, data + 5, NESTED),
              "%s: nested transfer: rc %d n %llu", KIND_NAMES[kind], atomic_load(&nested_rc),
              (unsigned long long)nested_n);
        CHECK(rc == 0 && n == OUTER && holds(dst, "", 0, data + 1, OUTER), "%s: outer transfer: rc %d (%s) n %llu",
              KIND_NAMES[kind], rc, strerror(rc), (unsigned long long)n);
        close(dst), close(rx), close(nested_src), close(nested_dst);

        /* The next SPLICE transfer on this thread: its own bytes only. */
        stream(TCP, &rx, &tx);
        struct sender sender = {tx, data + 9, 200000};
        pthread_create(&t, NULL, send_all, &sender);
        dst = temp_file("after", "", 0, O_RDWR);
        rc = zc_transfer_from(dst, rx, 0, UINT64_MAX, ZC_STRATEGY_SPLICE, &n);
        pthread_join(t, NULL);
        CHECK(rc == 0 && n == 200000 && holds(dst, "", 0, data + 9, 200000), "%s: after the nested call: rc %d n %llu",
              KIND_NAMES[kind], rc, (unsigned long long)n);
        close(dst), close(rx);
    }
    sigaction(SIGUSR1, &old, NULL);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s TMPDIR\n", argv[0]);
        return 2;
    }
    dir = argv[1];
    main_thread = pthread_self();
    main_tid = (pid_t)syscall(SYS_gettid);
    for (size_t i = 0; i < SIZE; i++) data[i] = (unsigned char)(i * 2654435761u >> 13);
    char path[4096];
    int src = source_file(path, sizeof path, dir, data, SIZE);

    test_streams();
    test_count_within_stream();
    test_file_source(src);
    test_gap(src);
    test_append(src);
    test_bad_input(src);
    test_eintr();
    test_nested();

    close(src);
    unlink(path);
    printf("transfer_from: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
