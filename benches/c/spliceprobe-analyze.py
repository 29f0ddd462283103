#!/usr/bin/env python3
# Aggregate results.csv -> markdown tables.
#  median/min/max/p75 : GB/s (1e9 bytes/s) over all rounds
#  paired %           : per round, variant GB/s / geometric mean of all variants in that
#                       same round (same config); median over rounds; scaled so best = 100%.
#                       Cancels slow periods caused by other tenants/processes.
#  syscalls/MiB       : all syscalls in the timed loop (incl. pipe create/close, pwrite, splice-out)
#  src-calls/MiB      : read()/splice-in/pread/copy_file_range/sendfile calls only
import csv, sys, statistics, collections, math
fn = sys.argv[1] if len(sys.argv) > 1 else 'results.csv'
data = collections.defaultdict(list)      # (cfg, var) -> list of (gbps, sys, src) in time order
order = collections.OrderedDict()
for r in csv.reader(open(fn)):
    src, mode, size, var, rnd, sec, byt, nsys, nin = r
    cfg = (src, mode, int(size))
    b = int(byt)
    data[(cfg, var)].append((b / float(sec) / 1e9, int(nsys) * 1048576 / b, int(nin) * 1048576 / b))
    order.setdefault(cfg, [])
    if var not in order[cfg]:
        order[cfg].append(var)
def hs(n):
    for u, d in (('GiB', 1 << 30), ('MiB', 1 << 20), ('KiB', 1 << 10)):
        if n >= d and n % d == 0: return f'{n // d} {u}'
    return str(n)
def pct(xs, p):
    xs = sorted(xs); k = (len(xs) - 1) * p; f = math.floor(k); c = math.ceil(k)
    return xs[f] + (xs[c] - xs[f]) * (k - f)
for cfg in sorted(order, key=lambda k: ({'tcp': 0, 'pipe': 1, 'file': 2}[k[0]], k[1], k[2])):
    vs = order[cfg]
    nr = min(len(data[(cfg, v)]) for v in vs)
    # paired ratio per round
    ratios = {v: [] for v in vs}
    for i in range(nr):
        g = math.exp(sum(math.log(data[(cfg, v)][i][0]) for v in vs) / len(vs))
        for v in vs:
            ratios[v].append(data[(cfg, v)][i][0] / g)
    pr = {v: statistics.median(ratios[v]) for v in vs}
    bestpr = max(pr.values())
    meds = {v: statistics.median(x[0] for x in data[(cfg, v)]) for v in vs}
    best = max(meds.values())
    print(f'\n### {cfg[0]} / {cfg[1]} / transfer {hs(cfg[2])}\n')
    print('| variant | median GB/s | min | max | p75 | n | median % of best | paired % of best | syscalls/MiB | src-calls/MiB |')
    print('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
    for v in vs:
        d = data[(cfg, v)]; g = [x[0] for x in d]
        mark = ' **(best median)**' if meds[v] == best else ''
        mark += ' *(best paired)*' if pr[v] == bestpr else ''
        print(f'| {v}{mark} | {meds[v]:.2f} | {min(g):.2f} | {max(g):.2f} | {pct(g, .75):.2f} | {len(g)} | '
              f'{meds[v] / best * 100:.0f}% | {pr[v] / bestpr * 100:.0f}% | '
              f'{statistics.median(x[1] for x in d):.1f} | {statistics.median(x[2] for x in d):.1f} |')
