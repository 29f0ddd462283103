// spliceprobe.c - measure socket/pipe/file -> regular file receive loops.
// Build: gcc -O2 -Wall -pthread -o spliceprobe spliceprobe.c
//
// Usage: spliceprobe SRC SIZE TOTAL ROUNDS [sync] [sendfile]
//   SRC    tcp | pipe | file
//   SIZE   bytes per transfer (e.g. 65536, 1048576, 16777216, 268435456)
//   TOTAL  bytes per measurement (transfers are repeated until >= TOTAL)
//   ROUNDS number of round-robin rounds over all variants
//   sync   (tcp only) sender waits for a 1-byte ack after each transfer
//          (ping-pong: each transfer starts with an empty socket)
//   sendfile (tcp only) sender uses sendfile() from a page-cached file instead
//          of write() from a memory buffer
// Output: one CSV line per measurement:
//   src,mode,size,variant,round,seconds,bytes,syscalls,source_calls
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define KiB 1024L
#define MiB (1024L * 1024L)

static void die(const char *m) { perror(m); exit(1); }

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

enum kind { RD, SPL, CFR, SNDF, SPL_FILE };

struct variant {
    const char *name;
    enum kind k;
    long buf;      // read buffer / splice length / cfr chunk
    long pipesz;   // intermediate pipe size (tcp/file splice) or source pipe size (pipe src)
    unsigned flags;
    int reuse;     // intermediate pipe created once per measurement (1) or per transfer (0)
};

#define WHOLE (1L << 62)

static struct variant tcp_variants[] = {
    {"read8K", RD, 8 * KiB, 0, 0, 1},
    {"read64K", RD, 64 * KiB, 0, 0, 1},
    {"read256K", RD, 256 * KiB, 0, 0, 1},
    {"read1M", RD, 1 * MiB, 0, 0, 1},
    {"spl64K", SPL, 64 * KiB, 64 * KiB, 0, 1},
    {"spl64K_MOVE", SPL, 64 * KiB, 64 * KiB, SPLICE_F_MOVE, 1},
    {"spl64K_MORE", SPL, 64 * KiB, 64 * KiB, SPLICE_F_MORE, 1},
    {"spl64K_MOVE_MORE", SPL, 64 * KiB, 64 * KiB, SPLICE_F_MOVE | SPLICE_F_MORE, 1},
    {"spl64K_newpipe", SPL, 64 * KiB, 64 * KiB, 0, 0},
    {"spl256K", SPL, 256 * KiB, 256 * KiB, 0, 1},
    {"spl256K_MOVE", SPL, 256 * KiB, 256 * KiB, SPLICE_F_MOVE, 1},
    {"spl256K_MORE", SPL, 256 * KiB, 256 * KiB, SPLICE_F_MORE, 1},
    {"spl256K_MOVE_MORE", SPL, 256 * KiB, 256 * KiB, SPLICE_F_MOVE | SPLICE_F_MORE, 1},
    {"spl256K_newpipe", SPL, 256 * KiB, 256 * KiB, 0, 0},
    {"spl1M", SPL, 1 * MiB, 1 * MiB, 0, 1},
    {"spl1M_MOVE", SPL, 1 * MiB, 1 * MiB, SPLICE_F_MOVE, 1},
    {"spl1M_MORE", SPL, 1 * MiB, 1 * MiB, SPLICE_F_MORE, 1},
    {"spl1M_MOVE_MORE", SPL, 1 * MiB, 1 * MiB, SPLICE_F_MOVE | SPLICE_F_MORE, 1},
    {"spl1M_newpipe", SPL, 1 * MiB, 1 * MiB, 0, 0},
};

// pipe source: pipesz = size of the source pipe (set by F_SETPIPE_SZ on it)
static struct variant pipe_variants[] = {
    {"p64K_read8K", RD, 8 * KiB, 64 * KiB, 0, 1},
    {"p64K_read64K", RD, 64 * KiB, 64 * KiB, 0, 1},
    {"p64K_read256K", RD, 256 * KiB, 64 * KiB, 0, 1},
    {"p64K_read1M", RD, 1 * MiB, 64 * KiB, 0, 1},
    {"p64K_spl64K", SPL, 64 * KiB, 64 * KiB, 0, 1},
    {"p64K_spl64K_MOVE", SPL, 64 * KiB, 64 * KiB, SPLICE_F_MOVE, 1},
    {"p64K_spl64K_MORE", SPL, 64 * KiB, 64 * KiB, SPLICE_F_MORE, 1},
    {"p64K_spl1M", SPL, 1 * MiB, 64 * KiB, 0, 1},
    {"p256K_read256K", RD, 256 * KiB, 256 * KiB, 0, 1},
    {"p256K_spl256K", SPL, 256 * KiB, 256 * KiB, 0, 1},
    {"p256K_spl256K_MOVE", SPL, 256 * KiB, 256 * KiB, SPLICE_F_MOVE, 1},
    {"p1M_read64K", RD, 64 * KiB, 1 * MiB, 0, 1},
    {"p1M_read1M", RD, 1 * MiB, 1 * MiB, 0, 1},
    {"p1M_spl64K", SPL, 64 * KiB, 1 * MiB, 0, 1},
    {"p1M_spl1M", SPL, 1 * MiB, 1 * MiB, 0, 1},
    {"p1M_spl1M_MOVE", SPL, 1 * MiB, 1 * MiB, SPLICE_F_MOVE, 1},
    {"p1M_spl1M_MORE", SPL, 1 * MiB, 1 * MiB, SPLICE_F_MORE, 1},
};

static struct variant file_variants[] = {
    {"cfr_whole", CFR, WHOLE, 0, 0, 1},
    {"cfr_1G", CFR, 1024 * MiB, 0, 0, 1},
    {"cfr_1M", CFR, 1 * MiB, 0, 0, 1},
    {"cfr_64K", CFR, 64 * KiB, 0, 0, 1},
    {"sendfile_whole", SNDF, WHOLE, 0, 0, 1},
    {"read64K", RD, 64 * KiB, 0, 0, 1},
    {"read1M", RD, 1 * MiB, 0, 0, 1},
    {"splpipe1M", SPL_FILE, 1 * MiB, 1 * MiB, 0, 1},
};

/* ---------------- sender side ---------------- */
static char *sbuf;          // sender memory buffer (1 MiB)
#define SCHUNK (1 * MiB)

struct sender {
    int fd;           // socket or pipe write end
    long size, ntrans;
    int sync;         // wait for ack after each transfer (tcp)
    int srcfile;      // sendfile from this fd if >= 0
    pthread_barrier_t *bar;
};

static void *sender_main(void *arg) {
    struct sender *s = arg;
    char ack;
    pthread_barrier_wait(s->bar);
    for (long t = 0; t < s->ntrans; t++) {
        long left = s->size;
        off_t soff = 0;
        while (left > 0) {
            ssize_t n;
            if (s->srcfile >= 0) {
                n = sendfile(s->fd, s->srcfile, &soff, left);
            } else {
                long c = left < SCHUNK ? left : SCHUNK;
                n = write(s->fd, sbuf, c);
            }
            if (n <= 0) die("sender write");
            left -= n;
        }
        if (s->sync) {
            if (read(s->fd, &ack, 1) != 1) die("ack read");
        }
    }
    return NULL;
}

/* ---------------- receiver side ---------------- */
static char *rbuf;          // receiver buffer (1 MiB, page aligned)
static long nsys;           // syscall counter (all syscalls in the timed loop)
static long nin;            // source-side calls only (read / splice-in / pread / cfr)

static int mkpipe(int p[2], long sz) {
    if (pipe2(p, O_CLOEXEC) < 0) die("pipe");
    nsys++;
    if (sz > 0) {
        int r = fcntl(p[1], F_SETPIPE_SZ, (int)sz);
        nsys++;
        if (r < sz) { fprintf(stderr, "F_SETPIPE_SZ %ld -> %d\n", sz, r); exit(1); }
    }
    return 0;
}
static void rmpipe(int p[2]) { close(p[0]); close(p[1]); nsys += 2; }

// receive exactly `size` bytes from fd (socket/pipe) into out at *off.
static void recv_rd(int fd, int out, off_t *off, long size, long buf) {
    long left = size;
    while (left > 0) {
        long want = left < buf ? left : buf;
        ssize_t n = read(fd, rbuf, want);
        nsys++; nin++;
        if (n <= 0) die("read");
        ssize_t w = 0;
        while (w < n) {
            ssize_t m = pwrite(out, rbuf + w, n - w, *off + w);
            nsys++;
            if (m <= 0) die("pwrite");
            w += m;
        }
        *off += n;
        left -= n;
    }
}

// socket -> pipe -> file
static void recv_spl_via_pipe(int fd, int out, off_t *off, long size, long len,
                              int p[2], unsigned flags) {
    long left = size;
    while (left > 0) {
        long want = left < len ? left : len;
        ssize_t n = splice(fd, NULL, p[1], NULL, want, flags);
        nsys++; nin++;
        if (n <= 0) die("splice in");
        ssize_t w = 0;
        while (w < n) {
            ssize_t m = splice(p[0], NULL, out, off, n - w, flags);
            nsys++;
            if (m <= 0) die("splice out");
            w += m;
        }
        left -= n;
    }
}

// pipe -> file directly
static void recv_spl_direct(int fd, int out, off_t *off, long size, long len,
                            unsigned flags) {
    long left = size;
    while (left > 0) {
        long want = left < len ? left : len;
        ssize_t n = splice(fd, NULL, out, off, want, flags);
        nsys++; nin++;
        if (n <= 0) die("splice direct");
        left -= n;
    }
}

static int listen_fd = -1;
static struct sockaddr_in laddr;

static void setup_listener(void) {
    listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listen_fd < 0) die("socket");
    int one = 1;
    setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    memset(&laddr, 0, sizeof laddr);
    laddr.sin_family = AF_INET;
    laddr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    laddr.sin_port = 0;
    if (bind(listen_fd, (void *)&laddr, sizeof laddr) < 0) die("bind");
    socklen_t l = sizeof laddr;
    getsockname(listen_fd, (void *)&laddr, &l);
    if (listen(listen_fd, 4) < 0) die("listen");
}

static const char *outpath;
static const char *srcpath;

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: %s tcp|pipe|file SIZE TOTAL ROUNDS [sync] [sendfile]\n", argv[0]);
        return 2;
    }
    const char *src = argv[1];
    long size = atol(argv[2]);
    long total = atol(argv[3]);
    int rounds = atoi(argv[4]);
    int sync = 0, use_sendfile = 0;
    for (int i = 5; i < argc; i++) {
        if (!strcmp(argv[i], "sync")) sync = 1;
        if (!strcmp(argv[i], "sendfile")) use_sendfile = 1;
    }
    long ntrans = (total + size - 1) / size;
    if (ntrans < 1) ntrans = 1;

    const char *dir = getenv("PROBE_DIR") ? getenv("PROBE_DIR") : "/tmp/spliceprobe";
    static char op[512], sp[512];
    snprintf(op, sizeof op, "%s/out.%d.tmp", dir, getpid());
    snprintf(sp, sizeof sp, "%s/src.%d.tmp", dir, getpid());
    outpath = op; srcpath = sp;

    sbuf = aligned_alloc(4096, SCHUNK);
    rbuf = aligned_alloc(4096, 1 * MiB);
    for (long i = 0; i < SCHUNK; i++) sbuf[i] = (char)(i * 131 + 7);
    memset(rbuf, 0, 1 * MiB);

    struct variant *vs;
    int nv;
    enum { S_TCP, S_PIPE, S_FILE } sk;
    if (!strcmp(src, "tcp")) { vs = tcp_variants; nv = sizeof tcp_variants / sizeof *vs; sk = S_TCP; }
    else if (!strcmp(src, "pipe")) { vs = pipe_variants; nv = sizeof pipe_variants / sizeof *vs; sk = S_PIPE; }
    else if (!strcmp(src, "file")) { vs = file_variants; nv = sizeof file_variants / sizeof *vs; sk = S_FILE; }
    else { fprintf(stderr, "bad src\n"); return 2; }

    int out = open(outpath, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (out < 0) die("open out");

    int srcfd = -1;
    if (sk == S_FILE || use_sendfile) {
        // source file of `size` bytes, written once, fsynced so it is clean page cache
        srcfd = open(srcpath, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (srcfd < 0) die("open src");
        for (long w = 0; w < size;) {
            long c = size - w < SCHUNK ? size - w : SCHUNK;
            ssize_t n = pwrite(srcfd, sbuf, c, w);
            if (n <= 0) die("src write");
            w += n;
        }
        fsync(srcfd);
        // warm page cache
        for (long r = 0; r < size;) { ssize_t n = pread(srcfd, rbuf, 1 * MiB, r); if (n <= 0) break; r += n; }
    }
    if (sk == S_TCP) setup_listener();

    const char *mode = sk == S_TCP ? (sync ? (use_sendfile ? "sync_sendfile" : "sync")
                                          : (use_sendfile ? "stream_sendfile" : "stream"))
                                   : "stream";

    for (int r = 0; r < rounds; r++) {
        for (int vi0 = 0; vi0 < nv; vi0++) {
            // rotate start per round so order effects spread over variants
            struct variant *v = &vs[(vi0 + r) % nv];
            if (ftruncate(out, 0) < 0) die("ftruncate");
            off_t off = 0;
            nsys = 0; nin = 0;
            double t0 = 0, t1 = 0;

            if (sk == S_FILE) {
                int p[2] = {-1, -1};
                t0 = now();
                if (v->k == SPL_FILE) mkpipe(p, v->pipesz);
                for (long t = 0; t < ntrans; t++) {
                    off_t in_off = 0;
                    long left = size;
                    while (left > 0) {
                        ssize_t n;
                        if (v->k == CFR) {
                            long c = left < v->buf ? left : v->buf;
                            n = copy_file_range(srcfd, &in_off, out, &off, c, 0);
                            nsys++;
                        } else if (v->k == SNDF) {
                            // sendfile writes at out's file position
                            if (lseek(out, off, SEEK_SET) < 0) die("lseek");
                            nsys++;
                            long c = left < 0x7ffff000L ? left : 0x7ffff000L;
                            n = sendfile(out, srcfd, &in_off, c);
                            nsys++;
                            if (n > 0) off += n;
                        } else if (v->k == RD) {
                            long c = left < v->buf ? left : v->buf;
                            n = pread(srcfd, rbuf, c, in_off);
                            nsys++;
                            if (n > 0) {
                                ssize_t w = 0;
                                while (w < n) {
                                    ssize_t m = pwrite(out, rbuf + w, n - w, off + w);
                                    nsys++;
                                    if (m <= 0) die("pwrite");
                                    w += m;
                                }
                                in_off += n; off += n;
                            }
                        } else { // SPL_FILE: file -> pipe -> file
                            long c = left < v->buf ? left : v->buf;
                            n = splice(srcfd, &in_off, p[1], NULL, c, 0);
                            nsys++;
                            ssize_t w = 0;
                            while (n > 0 && w < n) {
                                ssize_t m = splice(p[0], NULL, out, &off, n - w, 0);
                                nsys++;
                                if (m <= 0) die("splice out");
                                w += m;
                            }
                        }
                        nin++;
                        if (n <= 0) die("file copy");
                        left -= n;
                    }
                }
                if (v->k == SPL_FILE) rmpipe(p);
                t1 = now();
            } else {
                // set up source fd + sender thread
                int rfd, wfd;
                if (sk == S_TCP) {
                    wfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
                    if (wfd < 0) die("socket");
                    if (connect(wfd, (void *)&laddr, sizeof laddr) < 0) die("connect");
                    rfd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
                    if (rfd < 0) die("accept");
                    if (sync) {
                        int one = 1;
                        setsockopt(wfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                        setsockopt(rfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    }
                } else {
                    int pp[2];
                    if (pipe2(pp, O_CLOEXEC) < 0) die("pipe");
                    if (fcntl(pp[1], F_SETPIPE_SZ, (int)v->pipesz) < v->pipesz) die("setpipe src");
                    rfd = pp[0]; wfd = pp[1];
                }
                pthread_barrier_t bar;
                pthread_barrier_init(&bar, NULL, 2);
                struct sender s = {wfd, size, ntrans, sync && sk == S_TCP,
                                   use_sendfile ? srcfd : -1, &bar};
                pthread_t th;
                pthread_create(&th, NULL, sender_main, &s);
                int p[2] = {-1, -1};
                pthread_barrier_wait(&bar);
                t0 = now();
                if (v->k == SPL && sk == S_TCP && v->reuse) mkpipe(p, v->pipesz);
                for (long t = 0; t < ntrans; t++) {
                    if (v->k == RD) {
                        recv_rd(rfd, out, &off, size, v->buf);
                    } else if (sk == S_TCP) {
                        if (!v->reuse) mkpipe(p, v->pipesz);
                        recv_spl_via_pipe(rfd, out, &off, size, v->buf, p, v->flags);
                        if (!v->reuse) rmpipe(p);
                    } else {
                        recv_spl_direct(rfd, out, &off, size, v->buf, v->flags);
                    }
                    if (s.sync) {
                        char a = 1;
                        if (write(rfd, &a, 1) != 1) die("ack");
                        nsys++;
                    }
                }
                if (v->k == SPL && sk == S_TCP && v->reuse) rmpipe(p);
                t1 = now();
                pthread_join(th, NULL);
                pthread_barrier_destroy(&bar);
                close(rfd); close(wfd);
            }
            if (off != (off_t)(size * ntrans)) {
                fprintf(stderr, "size mismatch %s: %ld vs %ld\n", v->name, (long)off, size * ntrans);
                return 1;
            }
            if (r == 0 && getenv("PROBE_VERIFY")) {
                long tot = size * ntrans;
                for (long o = 0; o < tot;) {
                    ssize_t n = pread(out, rbuf, 1 * MiB, o);
                    if (n <= 0) die("verify read");
                    for (ssize_t i = 0; i < n; i++)
                        if (rbuf[i] != sbuf[((o + i) % size) % SCHUNK]) {
                            fprintf(stderr, "VERIFY FAIL %s at %ld\n", v->name, o + i);
                            return 1;
                        }
                    o += n;
                }
                fprintf(stderr, "verify ok %s\n", v->name);
            }
            printf("%s,%s,%ld,%s,%d,%.9f,%ld,%ld,%ld\n", src, mode, size, v->name, r, t1 - t0,
                   size * ntrans, nsys, nin);
            fflush(stdout);
        }
    }
    close(out);
    unlink(outpath);
    if (srcfd >= 0) { close(srcfd); unlink(srcpath); }
    return 0;
}
