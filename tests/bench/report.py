#!/usr/bin/env python3
"""Helper of tests/bench/run.sh: reads wrk and pgbench outputs, prints the table of figures.

  report.py wrk OUT                 -> "rps p50_ms p99_ms requests non2xx"
  report.py pgbench OUT LOG...      -> "tps p50_ms p99_ms transactions failed" (percentiles from -l logs)
  report.py table RESULTS.tsv ...   -> the table, medians, ratio, checks against the targets
  report.py statements STMTS FUNCS READS SECS -> per read: statements' and functions' time
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
        "rows", "cpu_api", "cpu_gen", "cpu_pg", "cpu_all", "window", "conns"]
SIDES = [("api", "crt-api (wrk, one token)"), ("api-users", "crt-api (wrk, many users)"),
         ("pgbench", "pgbench, a commit per read"), ("pgb-batch", "pgbench, reads share commits")]
NCPU = os.cpu_count() or 1


def num(v):
    return None if v == "-" else float(v)


def table(args):
    rows = []
    for line in open(args.results):
        line = line.rstrip("\n")
        if line:
            r = dict(zip(COLS, line.split("\t")))
            r.setdefault("conns", "-")
            rows.append(r)

    def cpu_pct(r, key):
        v = num(r[key])
        return "-" if v is None else f"{100 * v / float(r['window']):.0f}%"

    def other(r):  # CPU of everything else on the machine (0 when it was quiet)
        v = float(r["cpu_all"]) - sum(num(r[k]) or 0.0 for k in ("cpu_api", "cpu_gen", "cpu_pg"))
        return f"{100 * v / float(r['window']):.0f}%"

    def busy(r):
        return f"{100 * float(r['cpu_all']) / (NCPU * float(r['window'])):.0f}%"

    hdr = (f"{'run':<10} {'side':<9} {'thr':>4} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} "
           f"{'2xx/tx':>8} {'non2xx':>6} {'srv 2xx':>8} {'log rows':>8}  {'rows=':<6} "
           f"{'api cpu':>7} {'gen cpu':>7} {'pg cpu':>7} {'other':>6} {'busy':>5}")

    def line(r):
        rows_ = int(r["rows"])
        if r["side"].startswith("api"):
            check = "yes" if rows_ == int(r["server2xx"]) else "NO"
            extra = rows_ - int(r["ok"])
            check += f" +{extra}" if extra else ""
        else:
            check = "yes" if rows_ == int(r["ok"]) else "NO"
        return (f"{r['tag']:<10} {r['side']:<9} {r['threads']:>4} {float(r['rps']):>8.0f} "
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

    for c in sorted({r["conns"] for r in main}, key=lambda x: (len(x), x)):
        summary([r for r in main if r["conns"] == c], c, args)


def summary(main, conns, args):
    """Medians per side at one connection count, CPU per read, the targets of issue 16."""
    med = lambda rs, k: statistics.median(float(r[k]) for r in rs)
    by = {side: [r for r in main if r["side"] == side] for side, _ in SIDES}
    print(f"\nmedians at {conns} connections:")
    print(f"  {'':<30} {'reads/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'api us/read':>11} {'pg us/read':>10}")
    for side, label in SIDES:
        rs = by[side]
        if not rs:
            continue
        per = lambda k: statistics.median(1e6 * float(r[k]) / max(1, int(r["ok"])) for r in rs)
        api_us = "-" if side.startswith("pg") else f"{per('cpu_api'):.0f}"
        print(f"  {label:<30} {med(rs, 'rps'):>8.0f} {med(rs, 'p50'):>7.2f} {med(rs, 'p99'):>7.2f} "
              f"{api_us:>11} {per('cpu_pg'):>10.0f}")
    api, pgb = by["api"], by["pgbench"]
    if not api or not pgb:
        return
    a_rps, a99 = med(api, "rps"), med(api, "p99")
    p_rps, p99 = med(pgb, "rps"), med(pgb, "p99")
    ratio = a_rps / p_rps if p_rps else float("nan")

    def target(ok):
        return "meets target" if ok else "MISSES target"

    print(f"  ratio crt-api/pgbench (reads/s)  {ratio:.2f}  (issue 16 target >= 2.00: {target(ratio >= 2.0)})")
    if by["api-users"]:
        u = med(by["api-users"], "rps") / p_rps if p_rps else float("nan")
        print(f"  ratio with many users            {u:.2f}")
    print(f"  p99 crt-api vs pgbench           {a99:.2f} vs {p99:.2f} ms "
          f"(issue 16 target at 64: below pgbench's: {target(a99 < p99)})")
    apis = by["api"] + by["api-users"]
    ok_api = all(int(r["rows"]) == int(r["server2xx"]) for r in apis)
    ok_pgb = all(int(r["rows"]) == int(r["ok"]) for r in pgb + by["pgb-batch"])
    in_flight = [int(r["rows"]) - int(r["ok"]) for r in apis]
    non2xx = sum(int(r["errors"]) for r in apis)
    print(f"  access-log rows = 2xx            {'yes' if ok_api and ok_pgb else 'NO'}"
          f"  (crt-api: rows = its 200 answers in every run: {'yes' if ok_api else 'NO'}; "
          f"wrk counted {min(in_flight)}..{max(in_flight)} fewer, still in flight at its end; "
          f"non-2xx: {non2xx}; pgbench: rows = reads: {'yes' if ok_pgb else 'NO'})")
    if args.rss_kb:
        print(f"  crt-api peak RSS (VmHWM)         {int(args.rss_kb) / 1024:.1f} MB (peak of the reads)")


def statements(stmts_path, funcs_path, reads, secs):
    """Per read: each statement's and each function's time (from pg_stat_statements and
    pg_stat_user_functions over `reads` reads of one pgbench client)."""
    reads = int(reads)
    rows = [l.rstrip("\n").split("\t") for l in open(stmts_path) if l.strip()]
    top = sum(float(r[0]) for r in rows if r[2] == "t")
    print(f"\nwhere PostgreSQL's time per read goes ({reads} reads of one pgbench client in {secs}s, "
          f"one commit per read; {top * 1000 / reads:.0f} us of statement time per read at top level)")
    print("  statements (pg_stat_statements, track = all: nested statements of functions too)")
    print(f"  {'us/read':>8} {'share':>6} {'calls/read':>10} {'level':>6} {'blks hit/read':>13} {'wal/read':>8}  statement")
    for r in rows:
        t, calls, toplevel, hit, wal = float(r[0]), int(r[1]), r[2] == "t", int(r[4]), int(r[6])
        if t * 1000 / reads < 1:
            continue
        q = r[7] if len(r[7]) <= 90 else r[7][:87] + "..."
        print(f"  {t * 1000 / reads:8.1f} {100 * t / top if toplevel and top else 0:5.1f}% {calls / reads:10.2f} "
              f"{'top' if toplevel else 'nested':>6} {hit / reads:13.1f} {wal / reads:8.1f}  {q}")
    print("  PL/pgSQL functions (track_functions = pl, which leaves SQL functions inlined; self: without the functions it called)")
    print(f"  {'calls/read':>10} {'total us/read':>13} {'self us/read':>12}  function")
    for l in open(funcs_path):
        if not l.strip():
            continue
        name, calls, total, selft = l.rstrip("\n").split("\t")
        print(f"  {int(calls) / reads:10.2f} {float(total) * 1000 / reads:13.1f} {float(selft) * 1000 / reads:12.1f}  {name}")


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
    elif cmd == "statements":
        statements(*sys.argv[2:6])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
