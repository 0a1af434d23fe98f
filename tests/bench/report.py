#!/usr/bin/env python3
"""Helper of tests/bench/run.sh: reads wrk and pgbench outputs, prints the table of figures.

  report.py wrk OUT                 -> "rps p50_ms p99_ms requests non2xx"
  report.py pgbench OUT LOG...      -> "tps p50_ms p99_ms transactions failed" (percentiles from -l logs)
  report.py table RESULTS.tsv ...   -> the table, medians, ratio, checks against the targets
"""
import argparse
import os
import re
import statistics
import sys

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def ms(text):
    m = re.fullmatch(r"([0-9.]+)(us|ms|s|m)", text)
    if not m:
        raise ValueError(f"not a duration: {text}")
    return float(m.group(1)) * UNITS[m.group(2)]


def parse_wrk(path):
    out = open(path).read()
    rps = float(re.search(r"^Requests/sec:\s+([0-9.]+)", out, re.M).group(1))
    p50 = ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
    p99 = ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
    total = int(re.search(r"^\s+(\d+) requests in", out, re.M).group(1))
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    non2xx = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m and any(int(x) for x in m.groups()):
        print(f"wrk socket errors: {m.group(0)}", file=sys.stderr)
    print(f"{rps:.1f} {p50:.2f} {p99:.2f} {total} {non2xx}")


def percentile(sorted_values, q):
    """Nearest-rank percentile (q in 0..100) of a sorted list."""
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, int(round(q / 100.0 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[k]


def parse_pgbench(path, logs):
    out = open(path).read()
    tps = float(re.search(r"^tps = ([0-9.]+) \(without initial connection time\)", out, re.M).group(1))
    done = int(re.search(r"^number of transactions actually processed: (\d+)", out, re.M).group(1))
    m = re.search(r"^number of failed transactions: (\d+)", out, re.M)
    failed = int(m.group(1)) if m else 0
    lat = []
    for log in logs:
        with open(log) as f:
            for line in f:
                parts = line.split()
                # client_id transaction_no time(us) script_no time_epoch time_us [...]
                if len(parts) >= 6 and parts[2].isdigit():
                    lat.append(int(parts[2]) / 1000.0)
    lat.sort()
    print(f"{tps:.1f} {percentile(lat, 50):.2f} {percentile(lat, 99):.2f} {done} {failed}")


COLS = ["phase", "tag", "side", "threads", "rps", "p50", "p99", "ok", "errors", "server2xx",
        "rows", "cpu_api", "cpu_gen", "cpu_pg", "cpu_all", "window"]
NCPU = os.cpu_count() or 1


def num(v):
    return None if v == "-" else float(v)


def table(args):
    rows = []
    for line in open(args.results):
        line = line.rstrip("\n")
        if line:
            rows.append(dict(zip(COLS, line.split("\t"))))

    def cpu_pct(r, key):
        v = num(r[key])
        return "-" if v is None else f"{100 * v / float(r['window']):.0f}%"

    def other(r):  # CPU of everything else on the machine (0 when it was quiet)
        v = float(r["cpu_all"]) - sum(num(r[k]) or 0.0 for k in ("cpu_api", "cpu_gen", "cpu_pg"))
        return f"{100 * v / float(r['window']):.0f}%"

    def busy(r):
        return f"{100 * float(r['cpu_all']) / (NCPU * float(r['window'])):.0f}%"

    hdr = (f"{'run':<10} {'side':<8} {'thr':>4} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} "
           f"{'2xx/tx':>8} {'non2xx':>6} {'srv 2xx':>8} {'log rows':>8}  {'rows=':<6} "
           f"{'api cpu':>7} {'gen cpu':>7} {'pg cpu':>7} {'other':>6} {'busy':>5}")

    def line(r):
        rows_ = int(r["rows"])
        if r["side"] == "api":
            check = "yes" if rows_ == int(r["server2xx"]) else "NO"
            extra = rows_ - int(r["ok"])
            check += f" +{extra}" if extra else ""
        else:
            check = "yes" if rows_ == int(r["ok"]) else "NO"
        return (f"{r['tag']:<10} {r['side']:<8} {r['threads']:>4} {float(r['rps']):>8.0f} "
                f"{float(r['p50']):>7.2f} {float(r['p99']):>7.2f} {int(r['ok']):>8} "
                f"{int(r['errors']):>6} {r['server2xx']:>8} {rows_:>8}  {check:<6} "
                f"{cpu_pct(r, 'cpu_api'):>7} {cpu_pct(r, 'cpu_gen'):>7} {cpu_pct(r, 'cpu_pg'):>7} "
                f"{other(r):>6} {busy(r):>5}")

    print()
    print("=" * len(hdr))
    print("CRT benchmark: GET /v1/persons/{id} via crt-api (wrk) vs the same SQL via pgbench -M prepared")
    print("=" * len(hdr))
    print(f"machine: {args.machine}")
    print(f"data:    {args.data}")
    print(f"load:    {args.load}")
    if args.script:
        print(f"sql:     {args.script}")
    print("note:    load generator, crt-api and PostgreSQL share the same CPUs. cpu columns: % of one CPU")
    print("         (api: crt-api, gen: wrk or pgbench, pg: PostgreSQL, other: the rest of the machine);")
    print(f"         busy: % of all {NCPU} CPUs")

    sweep = [r for r in rows if r["phase"] == "sweep"]
    if sweep:
        rss = {}
        for x in args.sweep_rss.split():
            t, kb = x.split(":")
            rss[t] = str(max(int(kb), int(rss.get(t, 0))))
        print("\nCRT_THREADS sweep (wrk on crt-api only; medians over sweep rounds):")
        print(f"  {'CRT_THREADS':>11} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'api cpu':>7} "
              f"{'gen cpu':>7} {'pg cpu':>7} {'other':>7} {'peak RSS':>9}")
        by_t = {}
        for r in sweep:
            by_t.setdefault(int(r["threads"]), []).append(r)
        for t in sorted(by_t):
            rs = by_t[t]
            med = lambda k: statistics.median(float(r[k]) for r in rs)
            secs = statistics.median(float(r["window"]) for r in rs)
            kb = rss.get(str(t))
            oth = statistics.median(float(r["cpu_all"]) - float(r["cpu_api"]) - float(r["cpu_gen"])
                                    - float(r["cpu_pg"]) for r in rs)
            print(f"  {t:>11} {med('rps'):>8.0f} {med('p50'):>7.2f} {med('p99'):>7.2f} "
                  f"{100 * med('cpu_api') / secs:>6.0f}% {100 * med('cpu_gen') / secs:>6.0f}% "
                  f"{100 * med('cpu_pg') / secs:>6.0f}% {100 * oth / secs:>6.0f}% "
                  f"{(int(kb) / 1024 if kb else float('nan')):>7.1f}MB")

    main = [r for r in rows if r["phase"] == "main"]
    print("\nruns (alternated; rows= : access-log rows (read, allowed) written during the run equal")
    print("crt-api's own count of 200 answers (api) / pgbench's committed transactions (pgbench);")
    print("+N: requests answered after wrk stopped counting, in flight at its end):")
    print("  " + hdr)
    for r in main:
        print("  " + line(r))

    noisy = [r for r in rows if r["phase"] == "noisy"]
    if noisy:
        print("\nrepeated runs, not counted (other processes were busy during them):")
        for r in noisy:
            print("  " + line(r))

    api = [r for r in main if r["side"] == "api"]
    pgb = [r for r in main if r["side"] == "pgbench"]
    if not api or not pgb:
        return
    med = lambda rs, k: statistics.median(float(r[k]) for r in rs)
    a_rps, a50, a99 = med(api, "rps"), med(api, "p50"), med(api, "p99")
    p_rps, p50, p99 = med(pgb, "rps"), med(pgb, "p50"), med(pgb, "p99")
    ratio = a_rps / p_rps if p_rps else float("nan")
    rss_mb = int(args.rss_kb) / 1024 if args.rss_kb else float("nan")
    ok_api = all(int(r["rows"]) == int(r["server2xx"]) for r in api)
    ok_pgb = all(int(r["rows"]) == int(r["ok"]) for r in pgb)
    in_flight = [int(r["rows"]) - int(r["ok"]) for r in api]
    non2xx = sum(int(r["errors"]) for r in api)

    def target(ok):
        return "meets target" if ok else "MISSES target"

    print(f"\nmedians over {len(api)} rounds:")
    print(f"  {'':<26} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7}")
    print(f"  {'crt-api (wrk)':<26} {a_rps:>8.0f} {a50:>7.2f} {a99:>7.2f}")
    print(f"  {'pgbench -M prepared':<26} {p_rps:>8.0f} {p50:>7.2f} {p99:>7.2f}")
    print()
    print(f"  ratio API/pgbench (req/s)   {ratio:.2f}       (target >= 0.70: {target(ratio >= 0.7)})")
    print(f"  API p99                     {a99:.2f} ms   (target < 20 ms: {target(a99 < 20)})")
    print(f"  crt-api peak RSS (VmHWM)    {rss_mb:.1f} MB    (target < 64 MB: {target(rss_mb < 64)}; "
          f"peak of the reads: VmHWM reset after start-up and login)")
    if args.rss_end_kb or args.login_rss_kb:
        end = int(args.rss_end_kb) / 1024 if args.rss_end_kb else float("nan")
        login = int(args.login_rss_kb) / 1024 if args.login_rss_kb else float("nan")
        print(f"  crt-api RSS at the end      {end:.1f} MB;  peak with the login   {login:.1f} MB "
              f"(scrypt of the password check)")
    print(f"  access-log rows = 2xx       {'yes' if ok_api and ok_pgb else 'NO'}"
          f"       (crt-api: rows = its 200 answers in every run: {'yes' if ok_api else 'NO'}; "
          f"wrk counted {min(in_flight)}..{max(in_flight)} fewer, still in flight at its end; "
          f"non-2xx: {non2xx}; pgbench: rows = transactions: {'yes' if ok_pgb else 'NO'})")


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cmd = sys.argv[1]
    if cmd == "wrk":
        parse_wrk(sys.argv[2])
    elif cmd == "pgbench":
        parse_pgbench(sys.argv[2], sys.argv[3:])
    elif cmd == "table":
        ap = argparse.ArgumentParser(prog="report.py table")
        ap.add_argument("results")
        ap.add_argument("--machine", default="")
        ap.add_argument("--data", default="")
        ap.add_argument("--load", default="")
        ap.add_argument("--script", default="")
        ap.add_argument("--rss-kb", default="")
        ap.add_argument("--rss-end-kb", default="")
        ap.add_argument("--login-rss-kb", default="")
        ap.add_argument("--sweep-rss", default="")
        table(ap.parse_args(sys.argv[2:]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
