/* Faults from C, through the C face: descriptors closed by another thread during a transfer
 * (their numbers reused at once by new files), a peer that stops reading, half-closed and reset
 * connections, a source truncated, extended or deleted during the transfer, and a process with no
 * descriptor to spare. SIGPIPE keeps its default action throughout (a stray one would kill us).
 * Built by tests/c_face.rs with -Wall -Wextra -Werror and AddressSanitizer + UBSan.
 * Usage: hardening TMPDIR [RACE_ITERATIONS] */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "testutil.h"

enum { SIZE = 16 << 20 };
static unsigned char data[SIZE];
static const char *dir;

static void die(const char *what) {
    perror(what);
    exit(2);
}

static void path_of(char *out, size_t len, const char *name) {
    snprintf(out, len, "%s/%s", dir, name);
}

static int make_file(const char *name, const unsigned char *bytes, size_t len) {
    char path[4096];
    path_of(path, sizeof path, name);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || write(fd, bytes, len) != (ssize_t)len) die(name);
    return fd;
}

static void sleep_ms(long ms) {
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

/* One zc_transfer_to in its own thread. */
struct job {
    int src, dst;
    uint64_t position, count;
    zc_strategy strategy;
    int rc;
    uint64_t transferred;
    atomic_int done;
};

static void *run_job(void *arg) {
    struct job *j = arg;
    j->transferred = 0;
    j->rc = zc_transfer_to(j->src, j->position, j->count, j->dst, j->strategy, &j->transferred);
    atomic_store(&j->done, 1);
    return NULL;
}

static void start(pthread_t *t, struct job *j) {
    atomic_store(&j->done, 0);
    if (pthread_create(t, NULL, run_job, j)) die("pthread_create");
}

/* Reads exactly len bytes (or to EOF); returns the count. */
static size_t read_fully(int fd, unsigned char *buf, size_t len) {
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, buf + got, len - got);
        if (n <= 0) break;
        got += (size_t)n;
    }
    return got;
}

/* ---- 1. Descriptors closed by another thread mid-transfer, their numbers reused at once. ---- */

enum { RACE_SIZE = 1 << 20, MMAP_RACE_SIZE = 9 << 20 };
static unsigned char race_buf[MMAP_RACE_SIZE];
static unsigned char marker[MMAP_RACE_SIZE];

/* The transfer runs in a thread; this thread is its peer. Once the first byte has arrived (so the
 * transfer is under way, and the pipe's 64 KiB or the unix socket's ~200 KiB keep it from
 * finishing), it closes the source or the target and opens a file that gets the freed number: a
 * file full of 'Z' in place of the source, an empty one in place of the target. The peer must get
 * exactly the source's bytes, and the new file must stay as it was. Each strategy makes several
 * kernel calls here, so the close falls between two of them: read/write moves 256 KiB per call,
 * sendfile to a pipe 64 KiB, mmap 8 MiB per window (hence its larger file). */
static void close_race(int close_target, zc_strategy s, int use_pipe, int *reused) {
    size_t size = s == ZC_STRATEGY_MMAP ? MMAP_RACE_SIZE : RACE_SIZE;
    char path[4096];
    path_of(path, sizeof path, s == ZC_STRATEGY_MMAP ? "race-source-mmap" : "race-source");
    int src = open(path, O_RDONLY);
    int ends[2]; /* [0] written by the transfer, [1] read here */
    if (src < 0) die(path);
    int p[2];
    if (use_pipe ? pipe(p) : socketpair(AF_UNIX, SOCK_STREAM, 0, p)) die("pipe");
    ends[0] = use_pipe ? p[1] : p[0];
    ends[1] = use_pipe ? p[0] : p[1];
    const char *what = close_target ? (use_pipe ? "pipe target" : "socket target")
                                    : (use_pipe ? "source (to a pipe)" : "source (to a socket)");
    struct job j = {.src = src, .dst = ends[0], .count = size, .strategy = s};
    pthread_t t;
    start(&t, &j);
    size_t got = read_fully(ends[1], race_buf, 1);

    int victim = close_target ? ends[0] : src;
    close(victim);
    path_of(path, sizeof path, close_target ? "race-new-empty" : "race-new-marker");
    int reuse = close_target ? open(path, O_RDWR | O_CREAT | O_TRUNC, 0600) : open(path, O_RDWR);
    if (reuse < 0) die(path);
    if (reuse == victim) (*reused)++;

    got += read_fully(ends[1], race_buf + got, size - got);
    pthread_join(t, NULL);
    CHECK(j.rc == 0 && j.transferred == size, "%s, %s closed: rc %d (%s), %llu bytes",
          zc_strategy_name(s), what, j.rc, strerror(j.rc), (unsigned long long)j.transferred);
    CHECK(got == size && memcmp(race_buf, data, size) == 0,
          "%s, %s closed: the peer got %zu bytes, not the source's", zc_strategy_name(s), what, got);
    struct stat st;
    off_t want = close_target ? 0 : MMAP_RACE_SIZE;
    CHECK(fstat(reuse, &st) == 0 && st.st_size == want && lseek(reuse, 0, SEEK_CUR) == 0,
          "%s, %s closed: the file that took its number has %lld bytes", zc_strategy_name(s), what,
          (long long)st.st_size);
    close(reuse);
    close(close_target ? src : ends[0]);
    close(ends[1]);
}

static void test_close_races(int iterations) {
    memset(marker, 'Z', sizeof marker);
    close(make_file("race-new-marker", marker, sizeof marker));
    close(make_file("race-source", data, RACE_SIZE));
    close(make_file("race-source-mmap", data, MMAP_RACE_SIZE));
    int reused = 0;
    for (int i = 0; i < iterations; i++) {
        zc_strategy s = STRATEGIES[i % NSTRATEGIES];
        int use_pipe = (i / NSTRATEGIES) % 2;
        for (int side = 0; side < 2; side++) close_race(side, s, use_pipe, &reused);
    }
    /* Each new file took the closed number (the lowest free one), so each iteration tested reuse. */
    CHECK(reused == 2 * iterations, "only %d of %d closes had their number reused", reused,
          2 * iterations);
    printf("close races: %d iterations x source and target, %d numbers reused\n", iterations,
           reused);
}

/* ---- 2. A peer that stops reading. ---- */

static void on_signal(int sig) {
    (void)sig;
}

/* Blocking target: the call blocks until a signal (handled without SA_RESTART) interrupts it.
 * Signalled every 10 ms until it returns (the JDK re-signals its own threads too), it returns the
 * bytes moved, or EINTR if none. */
static void test_stalled_peer_blocking(void) {
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    for (size_t i = 0; i < NSTRATEGIES; i++) {
        zc_strategy s = STRATEGIES[i];
        int src = make_file("stalled-source", data, SIZE);
        int c, sv;
        tcp_pair(&c, &sv);
        struct job j = {.src = src, .dst = c, .count = SIZE, .strategy = s};
        pthread_t t;
        start(&t, &j);
        sleep_ms(100);
        CHECK(!atomic_load(&j.done), "%s: returned %d with a peer that never reads",
              zc_strategy_name(s), j.rc);
        int signals = 0;
        while (!atomic_load(&j.done) && signals < 500) {
            pthread_kill(t, SIGUSR1);
            signals++;
            sleep_ms(10);
        }
        pthread_join(t, NULL);
        CHECK((j.rc == 0 && j.transferred > 0 && j.transferred < SIZE) || j.rc == EINTR,
              "%s: after %d signals, rc %d (%s), %llu bytes", zc_strategy_name(s), signals, j.rc,
              strerror(j.rc), (unsigned long long)j.transferred);
        /* What was sent is the file's beginning, and nothing more. */
        close(c);
        unsigned char *got = malloc(SIZE + 1);
        size_t len = read_fully(sv, got, SIZE + 1);
        uint64_t want = j.rc == 0 ? j.transferred : 0;
        CHECK(len == want && memcmp(got, data, len) == 0,
              "%s: the peer got %zu bytes, the call reported %llu", zc_strategy_name(s), len,
              (unsigned long long)want);
        free(got);
        close(sv);
        close(src);
    }
}

/* Non-blocking target: a partial count once the socket is full, then 0, and the rest later. */
static void test_stalled_peer_nonblocking(void) {
    for (size_t i = 0; i < NSTRATEGIES; i++) {
        zc_strategy s = STRATEGIES[i];
        int src = make_file("stalled-source", data, SIZE);
        int c, sv;
        tcp_pair(&c, &sv);
        fcntl(c, F_SETFL, fcntl(c, F_GETFL) | O_NONBLOCK);
        uint64_t first = 0, more = 77, sent;
        int rc1 = zc_transfer_to(src, 0, SIZE, c, s, &first), rc2 = 0;
        /* ACKs arriving meanwhile may make room for a few more bytes; then 0, and 0 again. */
        sent = first;
        for (int k = 0; k < 50 && rc2 == 0 && more != 0; k++) {
            rc2 = zc_transfer_to(src, sent, SIZE - sent, c, s, &more);
            if (rc2 == 0) sent += more;
        }
        if (rc2 == 0) rc2 = zc_transfer_to(src, sent, SIZE - sent, c, s, &more);
        CHECK(rc1 == 0 && first > 0 && first < SIZE && rc2 == 0 && more == 0 && sent < SIZE,
              "%s: rc %d, %llu bytes, then rc %d, %llu more", zc_strategy_name(s), rc1,
              (unsigned long long)first, rc2, (unsigned long long)more);
        close(c);
        close(sv);
        close(src);
    }
}

/* ---- 3. Half-closed and reset connections. ---- */

static void test_half_close_and_reset(void) {
    for (size_t i = 0; i < NSTRATEGIES; i++) {
        zc_strategy s = STRATEGIES[i];
        int src = make_file("half-source", data, RACE_SIZE);

        /* The peer shut its sending side but reads on: everything arrives. */
        int c, sv;
        tcp_pair(&c, &sv);
        shutdown(sv, SHUT_WR);
        struct sink sink = {.fd = sv};
        pthread_t t;
        pthread_create(&t, NULL, drain, &sink);
        uint64_t n = 0;
        int rc = zc_transfer_to(src, 0, RACE_SIZE, c, s, &n);
        close(c);
        pthread_join(t, NULL);
        CHECK(rc == 0 && n == RACE_SIZE && sink.len == RACE_SIZE &&
                  memcmp(sink.buf, data, RACE_SIZE) == 0,
              "%s to a half-closed peer: rc %d, %llu sent, %zu received", zc_strategy_name(s), rc,
              (unsigned long long)n, sink.len);
        free(sink.buf);
        close(sv);

        /* Our own sending side shut: EPIPE, no signal, nothing sent. */
        tcp_pair(&c, &sv);
        shutdown(c, SHUT_WR);
        n = 77;
        rc = zc_transfer_to(src, 0, RACE_SIZE, c, s, &n);
        CHECK(rc == EPIPE && n == 77, "%s after shutdown(SHUT_WR): rc %d (%s)", zc_strategy_name(s),
              rc, strerror(rc));
        unsigned char b;
        CHECK(read(sv, &b, 1) == 0, "%s after shutdown(SHUT_WR): the peer got a byte",
              zc_strategy_name(s));
        close(c);
        close(sv);

        /* The peer reset the connection (SO_LINGER 0): ECONNRESET, then EPIPE. */
        tcp_pair(&c, &sv);
        struct linger lg = {.l_onoff = 1, .l_linger = 0};
        setsockopt(sv, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        close(sv);
        sleep_ms(5);
        rc = zc_transfer_to(src, 0, RACE_SIZE, c, s, &n);
        int rc2 = zc_transfer_to(src, 0, RACE_SIZE, c, s, &n);
        CHECK(rc == ECONNRESET && rc2 == EPIPE, "%s after a reset: rc %d (%s), then %d (%s)",
              zc_strategy_name(s), rc, strerror(rc), rc2, strerror(rc2));
        close(c);
        close(src);
    }
}

/* ---- 4. The source truncated, extended or deleted while it is sent. ---- */

struct slow_sink {
    int fd;
    size_t len;
    atomic_size_t seen;
};

/* Reads everything, 64 KiB at a time with a short pause, checking it against the source. */
static void *slow_drain(void *arg) {
    struct slow_sink *s = arg;
    static unsigned char buf[1 << 16];
    int wrong = 0;
    for (;;) {
        ssize_t n = read(s->fd, buf, sizeof buf);
        if (n <= 0) break;
        if (s->len + (size_t)n > SIZE || memcmp(buf, data + s->len, (size_t)n) != 0) wrong = 1;
        s->len += (size_t)n;
        atomic_store(&s->seen, s->len);
        sleep_ms(1);
    }
    if (wrong) s->len = (size_t)-1;
    return NULL;
}

enum fault { TRUNCATE, EXTEND, DELETE };
static const char *FAULTS[] = {"truncated", "extended", "deleted"};

static void test_source_changes(void) {
    static unsigned char tail[1 << 20];
    memset(tail, 'E', sizeof tail);
    for (size_t i = 0; i < NSTRATEGIES; i++) {
        for (int f = TRUNCATE; f <= DELETE; f++) {
            zc_strategy s = STRATEGIES[i];
            int src = make_file("changing-source", data, SIZE);
            int c, sv;
            tcp_pair(&c, &sv);
            struct slow_sink sink = {.fd = sv};
            pthread_t reader, t;
            pthread_create(&reader, NULL, slow_drain, &sink);
            struct job j = {.src = src, .dst = c, .count = SIZE, .strategy = s};
            start(&t, &j);
            while (atomic_load(&sink.seen) < (1 << 20) && !atomic_load(&j.done)) sleep_ms(1);
            char path[4096];
            path_of(path, sizeof path, "changing-source");
            if (f == TRUNCATE && ftruncate(src, 4 << 20)) die("ftruncate");
            if (f == EXTEND && pwrite(src, tail, sizeof tail, SIZE) != sizeof tail) die("pwrite");
            if (f == DELETE && unlink(path)) die("unlink");
            pthread_join(t, NULL);
            close(c);
            pthread_join(reader, NULL);
            if (f == TRUNCATE) {
                /* A short count (what was sent before the cut), or ENODATA if nothing was. */
                CHECK((j.rc == 0 && j.transferred >= (1 << 20) && j.transferred <= SIZE) ||
                          j.rc == ENODATA,
                      "%s, %s: rc %d (%s), %llu bytes", zc_strategy_name(s), FAULTS[f], j.rc,
                      strerror(j.rc), (unsigned long long)j.transferred);
            } else {
                /* The size at the start counts: extended or deleted, exactly SIZE bytes. */
                CHECK(j.rc == 0 && j.transferred == SIZE, "%s, %s: rc %d (%s), %llu bytes",
                      zc_strategy_name(s), FAULTS[f], j.rc, strerror(j.rc),
                      (unsigned long long)j.transferred);
            }
            CHECK(sink.len == (j.rc == 0 ? j.transferred : 0),
                  "%s, %s: the peer got %zd bytes (-1: not the source's), the call said %llu",
                  zc_strategy_name(s), FAULTS[f], (ssize_t)sink.len,
                  (unsigned long long)j.transferred);
            close(sv);
            close(src);
            unlink(path);
        }
    }
}

/* ---- 5. No descriptor to spare: the private duplicates are skipped, the transfer works. ---- */

static void test_no_spare_descriptor(void) {
    int src = make_file("emfile-source", data, 4096);
    int p[2];
    if (pipe(p)) die("pipe");
    struct rlimit old, low;
    getrlimit(RLIMIT_NOFILE, &old);
    low = old;
    low.rlim_cur = (rlim_t)p[1] + 16;
    if (setrlimit(RLIMIT_NOFILE, &low)) die("setrlimit");
    int fillers[64], nfill = 0;
    while (nfill < 64) {
        int fd = open("/dev/null", O_RDONLY);
        if (fd < 0) break;
        fillers[nfill++] = fd;
    }
    CHECK(nfill < 64 && errno == EMFILE, "could not exhaust the descriptors (%d)", nfill);
    uint64_t n = 0;
    int rc = zc_transfer_to(src, 0, 4096, p[1], ZC_STRATEGY_AUTO, &n);
    for (int k = 0; k < nfill; k++) close(fillers[k]);
    setrlimit(RLIMIT_NOFILE, &old);
    unsigned char back[4096];
    CHECK(rc == 0 && n == 4096 && read_fully(p[0], back, 4096) == 4096 &&
              memcmp(back, data, 4096) == 0,
          "at the descriptor limit: rc %d (%s), %llu bytes", rc, strerror(rc), (unsigned long long)n);
    close(p[0]);
    close(p[1]);
    close(src);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s TMPDIR [RACE_ITERATIONS]\n", argv[0]);
        return 2;
    }
    dir = argv[1];
    int iterations = argc > 2 ? atoi(argv[2]) : 1000;
    signal(SIGPIPE, SIG_DFL);
    alarm(600); /* a transfer that never returns kills the test (SIGALRM) instead of hanging CI */
    for (size_t i = 0; i < SIZE; i++) data[i] = (unsigned char)(i * 2654435761u >> 13);

    test_close_races(iterations);
    test_stalled_peer_blocking();
    test_stalled_peer_nonblocking();
    test_half_close_and_reset();
    test_source_changes();
    test_no_spare_descriptor();

    printf("hardening: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
