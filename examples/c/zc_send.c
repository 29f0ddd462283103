/* zc_send: send a file to a TCP address with zerocopy-nio, and say which path ran.
 *
 *   cc -Wall -Wextra -O2 -Iinclude examples/c/zc_send.c -Ltarget/release -lzerocopy_nio \
 *      -Wl,-rpath,"$PWD/target/release" -o zc_send
 *   ./zc_send FILE HOST PORT [auto|sendfile|mmap|read_write]
 *
 * Copy it as a starting point: it shows the resume loop every caller of zc_transfer_to needs
 * (a short count is normal on non-blocking sockets; resume at position + transferred). */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "zerocopy_nio.h"

static int parse_strategy(const char *s, zc_strategy *out) {
    static const zc_strategy all[] = {ZC_STRATEGY_AUTO, ZC_STRATEGY_SENDFILE, ZC_STRATEGY_MMAP,
                                      ZC_STRATEGY_READ_WRITE};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        if (strcasecmp(s, zc_strategy_name(all[i])) == 0) {
            *out = all[i];
            return 0;
        }
    }
    return -1;
}

static int connect_to(const char *host, const char *port) {
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res, *ai;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc) {
        fprintf(stderr, "zc_send: %s:%s: %s\n", host, port, gai_strerror(rc));
        return -1;
    }
    int fd = -1;
    for (ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) break;
        if (fd >= 0) close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) perror("zc_send: connect");
    return fd;
}

int main(int argc, char **argv) {
    zc_strategy strategy = ZC_STRATEGY_AUTO;
    if (argc < 4 || argc > 5 || (argc == 5 && parse_strategy(argv[4], &strategy))) {
        fprintf(stderr, "usage: %s FILE HOST PORT [auto|sendfile|mmap|read_write]\n", argv[0]);
        return 2;
    }
    int src = open(argv[1], O_RDONLY);
    struct stat st;
    if (src < 0 || fstat(src, &st) < 0) {
        perror(argv[1]);
        return 1;
    }
    int sock = connect_to(argv[2], argv[3]);
    if (sock < 0) return 1;

    uint64_t position = 0, size = (uint64_t)st.st_size, calls = 0;
    zc_report report = {0};
    while (position < size) {
        int err = zc_transfer_to_report(src, position, size - position, sock, strategy, &report);
        if (err) {
            fprintf(stderr, "zc_send: after %llu bytes: %s\n", (unsigned long long)position,
                    strerror(err));
            return 1;
        }
        if (report.transferred == 0) break; /* the file shrank: nothing more to send */
        position += report.transferred;
        calls += report.syscalls;
    }
    printf("sent %llu bytes with %s (%s requested), %llu kernel calls\n",
           (unsigned long long)position, zc_strategy_name(report.strategy),
           zc_strategy_name(strategy), (unsigned long long)calls);
    close(sock);
    close(src);
    return position == size ? 0 : 1;
}
