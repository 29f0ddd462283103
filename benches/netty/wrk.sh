#!/usr/bin/env bash
# Netty file server under wrk: ZeroCopyFileRegion (AUTO, SENDFILE) against Netty's DefaultFileRegion,
# per transport and file size, interleaved.
#
# For each transport and size it runs ROUNDS rounds; in each round every variant gets a freshly started
# server (its own JVM, --threads 1), a warm-up wrk run, then a measured wrk run. The order of the
# variants rotates from round to round, so that a slow stretch of this (shared, noisy) machine does not
# fall on one variant only. It prints a Markdown table per transport: the median over rounds, the
# spread, and the ratio to DefaultFileRegion's median. Beside wrk's numbers it measures the server's CPU
# time (user + system, from /proc/PID/stat) over the measured run, per request: with 2 CPUs wrk itself
# is often the bottleneck, and then the CPU a request costs the server is what tells the variants apart.
#
#   benches/netty/wrk.sh                                  # epoll nio io_uring, 4k 64k 1m 64m, 5 rounds
#   TRANSPORTS=epoll JAVA=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java benches/netty/wrk.sh
#
# Environment (defaults in brackets):
#   ROUNDS [5]            rounds per transport and size
#   DURATION [5s]         measured wrk run (wrk's -d syntax)
#   WARMUP [3s]           warm-up wrk run before each measured one (after 3 s C2 is still compiling on
#                         the server's CPU, more so for ZeroCopy's longer path on JDK 25: 15s removes that)
#   CONNECTIONS [8]       wrk connections (-c), one wrk thread (-t1)
#   BIG_DURATION [10s], BIG_CONNECTIONS [4]
#                         the same for files of 16 MiB and more
#   SIZES [4k 64k 1m 64m] file sizes (suffix k or m: KiB, MiB; or bytes)
#   TRANSPORTS [epoll nio io_uring]
#   VARIANTS [default zerocopy-auto zerocopy-sendfile]
#                         default = --region default; zerocopy-S = --region zerocopy --strategy S
#   JAVA [java]           the java binary running the server
#   JAVA_OPTS []          extra JVM options for the server
#   PIN [1]               1: server on CPU 0, wrk on CPU 1 (taskset); 0: neither pinned
#   KEEP_LOGS []          a directory to keep each run's wrk and server output in
#
# It only listens on and connects to 127.0.0.1, on ports the kernel picks (--port 0).
set -euo pipefail
set -E # the ERR trap below also in functions

ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-5s}
WARMUP=${WARMUP:-3s}
CONNECTIONS=${CONNECTIONS:-8}
BIG_DURATION=${BIG_DURATION:-10s}
BIG_CONNECTIONS=${BIG_CONNECTIONS:-4}
SIZES=${SIZES:-4k 64k 1m 64m}
TRANSPORTS=${TRANSPORTS:-epoll nio io_uring}
VARIANTS=${VARIANTS:-default zerocopy-auto zerocopy-sendfile}
JAVA=${JAVA:-java}
JAVA_OPTS=${JAVA_OPTS:-}
PIN=${PIN:-1}
KEEP_LOGS=${KEEP_LOGS:-}
WRK=${WRK:-wrk}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
MAIN=dev.zerocopy.examples.netty.NettyFileServer

WORK=$(mktemp -d /tmp/zerocopy-netty-wrk.XXXXXX)
SERVER_PID=
cleanup() {
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -KILL "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'echo "wrk.sh: line $LINENO: a command failed (status $?)" >&2' ERR
trap 'exit 130' INT
trap 'exit 143' TERM

log() { echo "[$(date +%T)] $*" >&2; }
die() { echo "wrk.sh: $*" >&2; exit 1; }

command -v "$WRK" >/dev/null || die "wrk not found"
"$JAVA" -version >/dev/null 2>&1 || die "cannot run $JAVA"
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive integer"

if [[ "$PIN" == 1 ]]; then
    command -v taskset >/dev/null || die "PIN=1 needs taskset"
    [[ $(nproc) -ge 2 ]] || die "PIN=1 needs 2 CPUs"
    SERVER_CPU=(taskset -c 0)
    WRK_CPU=(taskset -c 1)
else
    SERVER_CPU=()
    WRK_CPU=()
fi

log "building the class path"
(cd "$ROOT" && gradle --no-daemon -q nettyExampleClasspath)
CP=$(cat "$ROOT/build/netty-example.classpath")

bytes() {
    case "$1" in
        *[kK]) echo $(( ${1%[kK]} * 1024 )) ;;
        *[mM]) echo $(( ${1%[mM]} * 1024 * 1024 )) ;;
        *) echo "$1" ;;
    esac
}

mkdir -p "$WORK/files"
for size in $SIZES; do
    head -c "$(bytes "$size")" /dev/urandom > "$WORK/files/$size"
done

# Starts a server for $1 (transport) $2 (variant); sets SERVER_PID and PORT.
start_server() {
    local transport=$1 variant=$2 out=$3 args
    rm -f "$out"
    case "$variant" in
        default) args=(--region default) ;;
        zerocopy-*) args=(--region zerocopy --strategy "${variant#zerocopy-}") ;;
        *) die "unknown variant $variant" ;;
    esac
    # shellcheck disable=SC2086 # JAVA_OPTS is a list of options
    "${SERVER_CPU[@]}" "$JAVA" $JAVA_OPTS -cp "$CP" "$MAIN" --dir "$WORK/files" --port 0 --bind 127.0.0.1 \
        --transport "$transport" --threads 1 "${args[@]}" > "$out" 2>&1 &
    SERVER_PID=$!
    PORT=
    local i
    for (( i = 0; i < 300; i++ )); do
        PORT=$(sed -n 's|^serving .* on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$out" 2>/dev/null || true)
        [[ -n "$PORT" ]] && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || { wait "$SERVER_PID" || true; SERVER_PID=; return 1; }
        sleep 0.1
    done
    return 1
}

# Stops the server (SIGTERM: its shutdown hook prints the statistics), SIGKILL after 10 s.
stop_server() {
    [[ -n "$SERVER_PID" ]] || return 0
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    local i
    for (( i = 0; i < 100; i++ )); do
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
}

# The CPU time (user + system) of process $1 so far, in clock ticks.
cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo NA; }
TICK_US=$(( 1000000 / $(getconf CLK_TCK) ))

# One wrk output -> "req_per_s mb_per_s p50_ms requests non2xx socket_errors"
parse_wrk() {
    awk '
        function ms(v) {
            if (v ~ /us$/) return substr(v, 1, length(v) - 2) / 1000
            if (v ~ /ms$/) return substr(v, 1, length(v) - 2) + 0
            if (v ~ /s$/) return substr(v, 1, length(v) - 1) * 1000
            return v + 0
        }
        function mb(v) {
            if (v ~ /GB$/) return substr(v, 1, length(v) - 2) * 1024
            if (v ~ /MB$/) return substr(v, 1, length(v) - 2) + 0
            if (v ~ /KB$/) return substr(v, 1, length(v) - 2) / 1024
            if (v ~ /B$/) return substr(v, 1, length(v) - 1) / 1048576
            return v + 0
        }
        BEGIN { rps = "NA"; tps = "NA"; p50 = "NA"; n = "NA"; non2xx = 0; errs = 0 }
        /^Requests\/sec:/ { rps = $2 }
        /^Transfer\/sec:/ { tps = mb($2) }
        $1 == "50%" { p50 = ms($2) }
        / requests in / { n = $1 }
        /Non-2xx or 3xx responses:/ { non2xx = $NF }
        /Socket errors:/ { gsub(",", ""); errs = $4 + $6 + $8 + $10 }
        END { printf "%s %s %s %s %s %s\n", rps, tps, p50, n, non2xx, errs }
    ' "$1"
}

RESULTS=$WORK/results.tsv # transport size round variant rps mbps p50 requests non2xx errors cpu_us_per_req cpu_pct
: > "$RESULTS"
FAILURES=$WORK/failures.txt
: > "$FAILURES"
STATS=$WORK/stats.txt
: > "$STATS"
read -r -a VARIANT_LIST <<< "$VARIANTS"
NV=${#VARIANT_LIST[@]}
[[ -n "$KEEP_LOGS" ]] && mkdir -p "$KEEP_LOGS"
START=$(date +%s)

for transport in $TRANSPORTS; do
    for size in $SIZES; do
        if (( $(bytes "$size") >= 16 * 1024 * 1024 )); then
            d=$BIG_DURATION c=$BIG_CONNECTIONS
        else
            d=$DURATION c=$CONNECTIONS
        fi
        for (( r = 1; r <= ROUNDS; r++ )); do
            for (( k = 0; k < NV; k++ )); do
                variant=${VARIANT_LIST[$(( (k + r - 1) % NV ))]}
                tag="$transport-$size-r$r-$variant"
                [[ -d "$WORK/files" ]] || die "the temporary directory $WORK vanished (removed by another process?)"
                out=$WORK/server.out
                if ! start_server "$transport" "$variant" "$out"; then
                    echo "$tag: server did not start: $(tr '\n' ' ' < "$out" | cut -c1-300)" >> "$FAILURES"
                    log "$tag: server did not start"
                    stop_server
                    continue
                fi
                url="http://127.0.0.1:$PORT/$size"
                "${WRK_CPU[@]}" "$WRK" -t1 -c"$c" -d"$WARMUP" --timeout 10s "$url" > "$WORK/warmup.out" 2>&1 || true
                t0=$(cpu_ticks "$SERVER_PID") w0=$(date +%s%N)
                "${WRK_CPU[@]}" "$WRK" -t1 -c"$c" -d"$d" --timeout 10s --latency "$url" > "$WORK/wrk.out" 2>&1 || true
                t1=$(cpu_ticks "$SERVER_PID") w1=$(date +%s%N)
                stop_server
                measured=$(parse_wrk "$WORK/wrk.out") || die "$tag: no wrk output ($WORK vanished?)"
                warm=$(parse_wrk "$WORK/warmup.out") || die "$tag: no wrk output ($WORK vanished?)"
                read -r rps mbps p50 n non2xx errs <<< "$measured"
                read -r _ _ _ _ wnon2xx werrs <<< "$warm"
                # Server CPU per request (µs) and its share of one CPU (%) over the measured run.
                read -r cpureq cpupct < <(awk -v t0="$t0" -v t1="$t1" -v n="$n" -v us="$TICK_US" -v w0="$w0" -v w1="$w1" \
                    'BEGIN { if (t0 == "NA" || t1 == "NA" || n == "NA" || n == 0) { print "NA NA"; exit }
                             printf "%.1f %.1f\n", (t1 - t0) * us / n, (t1 - t0) * us / ((w1 - w0) / 1000) * 100 }')
                if [[ "$rps" == NA || "$non2xx" != 0 || "$errs" != 0 || "$wnon2xx" != 0 || "$werrs" != 0 ]]; then
                    echo "$tag: measured run: requests/s $rps, non-2xx $non2xx, socket errors $errs;" \
                        "warm-up: non-2xx $wnon2xx, socket errors $werrs" >> "$FAILURES"
                fi
                if [[ $r == 1 ]]; then
                    { echo "$transport $size $variant:"; grep -v '^serving' "$out" | sed 's/^/    /'; } >> "$STATS"
                fi
                if [[ -n "$KEEP_LOGS" ]]; then
                    cp "$WORK/wrk.out" "$KEEP_LOGS/$tag.wrk"
                    cp "$WORK/warmup.out" "$KEEP_LOGS/$tag.warmup"
                    cp "$out" "$KEEP_LOGS/$tag.server"
                fi
                [[ "$rps" == NA ]] || printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$transport" "$size" "$r" \
                    "$variant" "$rps" "$mbps" "$p50" "$n" "$non2xx" "$errs" "$cpureq" "$cpupct" >> "$RESULTS"
                log "$tag: $rps req/s, $mbps MB/s, p50 $p50 ms, server CPU $cpureq us/req ($cpupct %)," \
                    "non-2xx $non2xx, socket errors $errs"
            done
        done
    done
done
ELAPSED=$(( $(date +%s) - START ))

# ---- report ----
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) print "NA"; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
col() { awk -F'\t' -v t="$1" -v s="$2" -v v="$3" -v c="$4" '$1 == t && $2 == s && $4 == v { print $c }' "$RESULTS"; }

echo "## Netty file server under wrk: ZeroCopyFileRegion vs DefaultFileRegion"
echo
echo "- java: \`$JAVA\` ($("$JAVA" -version 2>&1 | head -1))${JAVA_OPTS:+, options \`$JAVA_OPTS\`}"
echo "- wrk: $( ("$WRK" --version 2>&1 || true) | head -1 | cut -d" " -f1-2)"
echo "- server: \`$MAIN --threads 1 --bind 127.0.0.1\` (one event loop, so that wrk has the other CPU), a fresh JVM per run"
if [[ "$PIN" == 1 ]]; then
    echo "- pinned: server JVM on CPU 0, wrk on CPU 1 (taskset)"
else
    echo "- not pinned"
fi
echo "- each run: warm-up \`wrk -t1 -c$CONNECTIONS -d$WARMUP\`, then measured \`wrk -t1 -c$CONNECTIONS -d$DURATION --latency\`" \
    "(files of 16 MiB and more: -c$BIG_CONNECTIONS, measured -d$BIG_DURATION); $ROUNDS rounds, the order of the variants rotated each round"
echo "- variants: default = Netty's DefaultFileRegion (--region default); zerocopy-S = ZeroCopyFileRegion with strategy S"
echo "- ratio = median req/s of the variant / median req/s of default; min–max = the spread over the rounds"
echo "- server CPU: the server JVM's user + system time over the measured run (/proc/PID/stat), per request" \
    "(µs/req, and its ratio to default's median) and as a share of one CPU (%; near 100 % the server is the" \
    "bottleneck, below it wrk, which runs on the other CPU, is)"
echo "- elapsed: ${ELAPSED} s ($(( ELAPSED / 60 )) min $(( ELAPSED % 60 )) s)"
echo
for transport in $TRANSPORTS; do
    echo "### $transport"
    echo
    echo "| size | variant | median req/s | min–max req/s | ratio to default | median MB/s | median p50 latency (ms)" \
        "| server CPU µs/req | CPU/req ratio to default | server CPU % | runs |"
    echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    for size in $SIZES; do
        base=$(col "$transport" "$size" default 5 | median)
        cbase=$(col "$transport" "$size" default 11 | grep -v NA | median)
        for variant in "${VARIANT_LIST[@]}"; do
            runs=$(col "$transport" "$size" "$variant" 5 | wc -l)
            if (( runs == 0 )); then
                echo "| $size | $variant | – | – | – | – | – | – | – | – | 0 |"
                continue
            fi
            med=$(col "$transport" "$size" "$variant" 5 | median)
            lo=$(col "$transport" "$size" "$variant" 5 | sort -g | head -1)
            hi=$(col "$transport" "$size" "$variant" 5 | sort -g | tail -1)
            mbps=$(col "$transport" "$size" "$variant" 6 | median)
            p50=$(col "$transport" "$size" "$variant" 7 | median)
            ratio=$(awk -v a="$med" -v b="$base" 'BEGIN { if (b == "NA" || b == 0) print "–"; else printf "%.3f", a / b }')
            cpu=$(col "$transport" "$size" "$variant" 11 | grep -v NA | median)
            cpct=$(col "$transport" "$size" "$variant" 12 | grep -v NA | median)
            cratio=$(awk -v a="$cpu" -v b="$cbase" 'BEGIN { if (a == "NA" || b == "NA" || b == 0) print "–"; else printf "%.3f", a / b }')
            printf '| %s | %s | %.0f | %.0f–%.0f | %s | %.1f | %.3f | %s | %s | %s | %d |\n' \
                "$size" "$variant" "$med" "$lo" "$hi" "$ratio" "$mbps" "$p50" "$cpu" "$cratio" "$cpct" "$runs"
        done
    done
    echo
done

echo "### Failures (non-2xx responses, socket errors, servers that did not start)"
echo
if [[ -s "$FAILURES" ]]; then
    sed 's/^/- /' "$FAILURES"
else
    echo "none"
fi
echo
echo "### Every run (in round order)"
echo
echo "| transport | size | variant | req/s per round | server CPU µs/req per round |"
echo "| --- | --- | --- | --- | --- |"
for transport in $TRANSPORTS; do
    for size in $SIZES; do
        for variant in "${VARIANT_LIST[@]}"; do
            echo "| $transport | $size | $variant" \
                "| $(col "$transport" "$size" "$variant" 5 | awk '{ printf "%s%.0f", (NR > 1 ? ", " : ""), $1 }')" \
                "| $(col "$transport" "$size" "$variant" 11 | awk '{ printf "%s%s", (NR > 1 ? ", " : ""), $1 }') |"
        done
    done
done
echo
echo "### What ran (the server's statistics at shutdown, round 1)"
echo
echo '```'
cat "$STATS"
echo '```'
