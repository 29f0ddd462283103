/* zc_send_file from C: the exact bytes (header, body, trailer) for every strategy and clamp, a
 * congested non-blocking socket resumed to the end, bad input that loses nothing, and a reset
 * peer with SIGPIPE at its default disposition (EPIPE or ECONNRESET, never death).
 * Built by tests/c_face.rs with -Wall -Wextra -Werror and AddressSanitizer + UBSan.
 * Usage: send_file TMPDIR */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include "testutil.h"

enum { SIZE = (1 << 20) + 7 };
static unsigned char data[SIZE];
static char head1[] = "HTTP/1.1 200 OK\r\n", head2[] = "Content-Length: whatever\r\n\r\n";
static char tail1[] = "\r\n-- trailer --\r\n";

/* What the receiver must get: head1 head2 data[from, from + body) tail1. */
static int matches(const struct sink *s, uint64_t from, uint64_t body) {
    size_t h1 = strlen(head1), h2 = strlen(head2), t = strlen(tail1);
    if (s->len != h1 + h2 + body + t) return 0;
    const unsigned char *p = s->buf;
    return memcmp(p, head1, h1) == 0 && memcmp(p + h1, head2, h2) == 0 &&
           memcmp(p + h1 + h2, data + from, body) == 0 && memcmp(p + h1 + h2 + body, tail1, t) == 0;
}

static void test_bytes(int src) {
    struct iovec header[] = {{head1, strlen(head1)}, {NULL, 0}, {head2, strlen(head2)}};
    struct iovec trailer[] = {{tail1, strlen(tail1)}};
    uint64_t regions[][2] = {{0, SIZE}, {5, 4096}, {100, 16 * 1024 + 3}, {0, UINT64_MAX},
                             {SIZE - 3, 10}, {SIZE, 5}, {UINT64_MAX, 5}, {0, 0}};
    for (size_t i = 0; i < NSTRATEGIES; i++) {
        for (size_t r = 0; r < sizeof regions / sizeof regions[0]; r++) {
            uint64_t pos = regions[r][0], count = regions[r][1];
            uint64_t from = pos > SIZE ? SIZE : pos;
            uint64_t body = count < SIZE - from ? count : SIZE - from;
            int w, peer;
            tcp_pair(&w, &peer);
            struct sink sink = {.fd = peer};
            pthread_t t;
            pthread_create(&t, NULL, drain, &sink);
            uint64_t sent = 0;
            int rc = zc_send_file(w, header, 3, src, pos, count, trailer, 1, STRATEGIES[i], &sent);
            close(w);
            pthread_join(t, NULL);
            close(peer);
            CHECK(rc == 0 && sent == sink.len && matches(&sink, from, body),
                  "%s region %zu: rc %d (%s) sent %llu received %zu", zc_strategy_name(STRATEGIES[i]), r, rc,
                  strerror(rc), (unsigned long long)sent, sink.len);
            free(sink.buf);
        }
    }
    CHECK(lseek(src, 0, SEEK_CUR) == 17, "the file offset moved");
}

/* A non-blocking socket with a small send buffer and a peer that starts reading late: each call
 * writes what fits, and the caller resumes from *sent. */
static void test_nonblocking(int src) {
    size_t h1 = strlen(head1), t1 = strlen(tail1);
    for (size_t i = 0; i < NSTRATEGIES; i++) {
        int w, peer;
        tcp_pair(&w, &peer);
        int small = 8192;
        setsockopt(w, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
        fcntl(w, F_SETFL, fcntl(w, F_GETFL) | O_NONBLOCK);
        uint64_t total = h1 + SIZE + t1, done = 0;
        int calls = 0, zeros = 0, failures = 0;
        struct sink sink = {.fd = peer};
        pthread_t t;
        while (done < total && failures == 0) {
            /* The rest of the response, from where the last call stopped. */
            uint64_t hdone = done < h1 ? done : h1;
            uint64_t bdone = done - hdone < SIZE ? done - hdone : SIZE;
            uint64_t tdone = done - hdone - bdone;
            struct iovec header = {head1 + hdone, h1 - hdone};
            struct iovec trailer = {tail1 + tdone, t1 - tdone};
            uint64_t sent = 0;
            int rc = zc_send_file(w, &header, 1, src, bdone, SIZE - bdone, &trailer, 1, STRATEGIES[i], &sent);
            failures += rc != 0;
            done += sent;
            zeros += sent == 0;
            if (++calls == 3) pthread_create(&t, NULL, drain, &sink);
            if (sent == 0 && calls > 3) poll(&(struct pollfd){.fd = w, .events = POLLOUT}, 1, 1000);
        }
        close(w);
        if (calls < 3) pthread_create(&t, NULL, drain, &sink);
        pthread_join(t, NULL);
        close(peer);
        int ok = sink.len == total && memcmp(sink.buf, head1, h1) == 0 &&
                 memcmp(sink.buf + h1, data, SIZE) == 0 && memcmp(sink.buf + h1 + SIZE, tail1, t1) == 0;
        CHECK(failures == 0 && ok && zeros > 0, "%s non-blocking: %d calls, %d zeros, %d failures, %zu bytes",
              zc_strategy_name(STRATEGIES[i]), calls, zeros, failures, sink.len);
        free(sink.buf);
    }
}

#define EXPECT_ERROR(call, want)                                                           \
    do {                                                                                   \
        uint64_t sent = 777;                                                               \
        int rc_ = (call);                                                                  \
        CHECK(rc_ == (want) && sent == 777, "%s: rc %d (%s), want %s", #call, rc_,          \
              strerror(rc_), #want);                                                       \
    } while (0)

/* Bad input: an errno that says what is wrong, *sent untouched, and not a byte written. */
static void test_bad_input(int src, const char *dir) {
    int w, peer;
    tcp_pair(&w, &peer);
    struct iovec header = {head1, strlen(head1)}, null_base = {NULL, 5};
    char path[4096];
    snprintf(path, sizeof path, "%s/source", dir);
    int wo = open(path, O_WRONLY), dirfd = open(dir, O_RDONLY | O_DIRECTORY), p[2];
    if (pipe(p)) exit(2);
    for (size_t i = 0; i < NSTRATEGIES; i++) {
        zc_strategy s = STRATEGIES[i];
        EXPECT_ERROR(zc_send_file(w, &header, 1, src, 0, 10, NULL, 0, s, NULL), EINVAL);
        EXPECT_ERROR(zc_send_file(w, &header, -1, src, 0, 10, NULL, 0, s, &sent), EINVAL);
        EXPECT_ERROR(zc_send_file(w, NULL, 1, src, 0, 10, NULL, 0, s, &sent), EINVAL);
        EXPECT_ERROR(zc_send_file(w, &null_base, 1, src, 0, 10, NULL, 0, s, &sent), EFAULT);
        EXPECT_ERROR(zc_send_file(w, &header, 1, src, 0, 10, NULL, 0, 42, &sent), EINVAL);
        EXPECT_ERROR(zc_send_file(-1, &header, 1, src, 0, 10, NULL, 0, s, &sent), EBADF);
        EXPECT_ERROR(zc_send_file(w, &header, 1, 1 << 20, 0, 10, NULL, 0, s, &sent), EBADF);
        /* Sources that cannot be read at a position, whatever the size of the body. */
        for (uint64_t count = 10; count <= SIZE; count += SIZE - 10) {
            EXPECT_ERROR(zc_send_file(w, &header, 1, wo, 0, count, NULL, 0, s, &sent), EBADF);
            EXPECT_ERROR(zc_send_file(w, &header, 1, dirfd, 0, count, NULL, 0, s, &sent), EISDIR);
            EXPECT_ERROR(zc_send_file(w, &header, 1, p[0], 0, count, NULL, 0, s, &sent), ESPIPE);
        }
    }
    close(w);
    char buf[64];
    CHECK(read(peer, buf, sizeof buf) == 0, "a failed call wrote to the socket");
    close(peer), close(wo), close(dirfd), close(p[0]), close(p[1]);
}

/* A peer that reset the connection: an errno, and this process (SIGPIPE at its default
 * disposition, which kills) lives on with no SIGPIPE left pending or blocked. */
static void test_reset_peer(int src) {
    signal(SIGPIPE, SIG_DFL);
    struct iovec header = {head1, strlen(head1)};
    for (size_t i = 0; i < NSTRATEGIES; i++) {
        int w, peer;
        tcp_pair(&w, &peer);
        struct linger hard = {1, 0};
        setsockopt(peer, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
        close(peer);
        usleep(20000);
        int rc = 0;
        for (int k = 0; k < 8 && rc == 0; k++) {
            uint64_t sent;
            rc = zc_send_file(w, &header, 1, src, 0, SIZE, NULL, 0, STRATEGIES[i], &sent);
        }
        CHECK(rc == EPIPE || rc == ECONNRESET, "%s to a reset peer: rc %d (%s)", zc_strategy_name(STRATEGIES[i]), rc,
              strerror(rc));
        close(w);
    }
    sigset_t now;
    sigpending(&now);
    CHECK(!sigismember(&now, SIGPIPE), "a SIGPIPE was left pending");
    pthread_sigmask(SIG_BLOCK, NULL, &now);
    CHECK(!sigismember(&now, SIGPIPE), "SIGPIPE was left blocked");
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s TMPDIR\n", argv[0]);
        return 2;
    }
    for (size_t i = 0; i < SIZE; i++) data[i] = (unsigned char)(i * 2654435761u >> 11);
    char path[4096];
    int src = source_file(path, sizeof path, argv[1], data, SIZE);

    test_bytes(src);
    test_nonblocking(src);
    test_bad_input(src, argv[1]);
    test_reset_peer(src);

    close(src);
    unlink(path);
    printf("send_file: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
