#!/bin/bash
# Run all configurations; PASSES x ROUNDS rounds total per config, configs interleaved per pass.
set -e
cd "$(dirname "$0")"
PASSES=${PASSES:-3}
ROUNDS=${ROUNDS:-7}
OUT=${OUT:-results.csv}
T256=$((256*1024*1024)); T64=$((64*1024*1024))
K64=65536; M1=1048576; M16=16777216; M64=67108864; M256=268435456
: > "$OUT"
for pass in $(seq 1 $PASSES); do
  for sz in $K64 $M1 $M16 $M64 $M256; do ./spliceprobe tcp  $sz $T256 $ROUNDS >> "$OUT"; done
  for sz in $K64 $M1;                 do ./spliceprobe tcp  $sz $T64  $ROUNDS sync >> "$OUT"; done
  for sz in $M1 $M256;                do ./spliceprobe tcp  $sz $T256 $ROUNDS sendfile >> "$OUT"; done
  for sz in $K64 $M1 $M16 $M256;      do ./spliceprobe pipe $sz $T256 $ROUNDS >> "$OUT"; done
  for sz in $K64 $M1 $M16 $M256;      do ./spliceprobe file $sz $T256 $ROUNDS >> "$OUT"; done
done
