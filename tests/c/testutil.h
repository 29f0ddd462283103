/* What the C tests share: the CHECK counter, the strategies, a loopback TCP pair, a reader
 * thread and the source file. Test code only: static functions, included once per program. */
#ifndef ZC_TESTUTIL_H
#define ZC_TESTUTIL_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "zerocopy_nio.h"

static int passed, failed;

#define CHECK(cond, ...)                                                                   \
    do {                                                                                   \
        if (cond) {                                                                        \
            passed++;                                                                      \
        } else {                                                                           \
            failed++;                                                                      \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);                \
            fprintf(stderr, __VA_ARGS__);                                                  \
            fputc('\n', stderr);                                                           \
        }                                                                                  \
    } while (0)

static const zc_strategy STRATEGIES[] = {ZC_STRATEGY_AUTO, ZC_STRATEGY_SENDFILE, ZC_STRATEGY_MMAP,
                                         ZC_STRATEGY_READ_WRITE};
#define NSTRATEGIES (sizeof STRATEGIES / sizeof STRATEGIES[0])

/* What a reader thread got: drain() reads fd to its end into buf. */
struct sink {
    int fd;
    unsigned char *buf;
    size_t len;
};

static void *drain(void *arg) {
    struct sink *s = arg;
    size_t cap = 1 << 16;
    s->buf = malloc(cap);
    for (;;) {
        if (s->len == cap) s->buf = realloc(s->buf, cap *= 2);
        ssize_t n = read(s->fd, s->buf + s->len, cap - s->len);
        if (n <= 0) break;
        s->len += (size_t)n;
    }
    return NULL;
}

/* A connected TCP pair on 127.0.0.1: *client (the target) and the accepted *server. */
static void tcp_pair(int *client, int *server) {
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) || listen(l, 1) ||
        getsockname(l, (struct sockaddr *)&a, &alen)) {
        perror("listen");
        exit(2);
    }
    *client = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(*client, (struct sockaddr *)&a, sizeof a)) {
        perror("connect");
        exit(2);
    }
    *server = accept(l, NULL, NULL);
    close(l);
}

/* Writes `size` bytes of `data` to `path` (DIR/source) and opens it for reading at offset 17,
 * where the tests check it stays. Exits 2 if that fails. */
static inline int source_file(char *path, size_t path_size, const char *dir, const unsigned char *data, size_t size) {
    snprintf(path, path_size, "%s/source", dir);
    int w = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (w < 0 || write(w, data, size) != (ssize_t)size) {
        perror("source");
        exit(2);
    }
    close(w);
    int src = open(path, O_RDONLY);
    if (src < 0 || lseek(src, 17, SEEK_SET) != 17) {
        perror("source");
        exit(2);
    }
    return src;
}

#endif
