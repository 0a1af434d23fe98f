#!/usr/bin/env python3
"""Helper of tests/bench/run.sh: turns one logged GET /v1/persons/{id} into a pgbench script.

  pgbench_script.py LOG_EXCERPT REQUEST_ID PERSON_ID SCRIPT_OUT VARS_OUT

LOG_EXCERPT is PostgreSQL's log (log_statement = 'all', default log_line_prefix '%m [%p] ')
while crt-api answered one read whose X-Request-Id was REQUEST_ID. The transaction of that
request (from its BEGIN to its COMMIT, on the backend that logged the request id) is written to
SCRIPT_OUT statement for statement, so pgbench -M prepared repeats exactly the SQL crt-api sends:
each parameter becomes a pgbench variable (its value, as logged, goes to VARS_OUT as name=value
for pgbench -D), NULL stays NULL, and the person id becomes
(SELECT id FROM bench_ids WHERE n = :k) with \\set k random(1, :nids): a random person of the
helper table bench_ids (controller 3's ids numbered 1..N, made by run.sh), picked inside the same
statement, so no extra round trip (one primary-key probe of a small unlogged table per use).
"""
import re
import sys
import time

LINE = re.compile(r"^\S+ \S+ \S+ \[(\d+)\] (?:\S*@\S* )?([A-Z]+):  (.*)$")
PARAM = re.compile(r"\$(\d+) = (NULL|'((?:[^']|'')*)')")
PICK = "(SELECT id FROM bench_ids WHERE n = :k)"


def records(text):
    """(pid, level, message) per log entry; lines without a prefix continue the entry."""
    out = []
    for line in text.splitlines():
        m = LINE.match(line)
        if m:
            out.append([m.group(1), m.group(2), m.group(3)])
        elif out:
            out[-1][2] += "\n" + line.lstrip("\t")
    return out


def main():
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    log_path, request_id, person_id, script_out, vars_out = sys.argv[1:]
    recs = records(open(log_path, errors="replace").read())
    hit = next((i for i, r in enumerate(recs) if r[1] == "DETAIL" and request_id in r[2]), None)
    if hit is None:
        sys.exit("pgbench_script.py: the request was not found in the log")
    pid = recs[hit][0]
    mine = [i for i, r in enumerate(recs) if r[0] == pid]
    pos = mine.index(hit)
    start = next((mine[j] for j in range(pos, -1, -1)
                  if recs[mine[j]][1] == "LOG" and recs[mine[j]][2].strip() == "statement: BEGIN"), None)
    end = next((mine[j] for j in range(pos, len(mine))
                if recs[mine[j]][1] == "LOG" and recs[mine[j]][2].strip() == "statement: COMMIT"), None)
    if start is None or end is None:
        sys.exit("pgbench_script.py: no BEGIN ... COMMIT around the request in the log")

    stmts = []  # (name, sql, {n: value or None})
    for j in range(mine.index(start), mine.index(end) + 1):
        lvl, msg = recs[mine[j]][1], recs[mine[j]][2]
        if lvl == "LOG" and msg.startswith("statement: "):
            stmts.append(("", msg[len("statement: "):], {}))
        elif lvl == "LOG" and msg.startswith("execute "):
            name, sql = re.match(r"execute ([^:]+): (.*)", msg, re.S).groups()
            stmts.append((name, sql, {}))
        elif lvl == "DETAIL" and msg.startswith("parameters: ") and stmts:
            for n, raw, val in PARAM.findall(msg):
                stmts[-1][2][int(n)] = None if raw == "NULL" else val.replace("''", "'")

    lines, variables, used_pick = [], [], False
    for i, (name, sql, params) in enumerate(stmts, 1):
        def sub(m):
            nonlocal used_pick
            n = int(m.group(1))
            if n not in params:
                sys.exit(f"pgbench_script.py: no logged value for ${n} of {name or sql[:40]}")
            v = params[n]
            if v is None:
                return "NULL"
            if v == person_id:
                used_pick = True
                return PICK
            var = f"s{i}p{n}"
            variables.append(f"{var}={v}")
            return ":" + var
        text = re.sub(r"\$(\d+)", sub, sql.strip().rstrip(";"))
        if "\n" in text:
            text = " ".join(part.strip() for part in text.splitlines())
        lines.append((f"-- {name}\n" if name else "") + text + ";")
    if not used_pick:
        sys.exit("pgbench_script.py: the person id is not a parameter of the logged statements")

    with open(script_out, "w") as f:
        f.write("-- pgbench script of tests/bench/run.sh (-M prepared), generated from the statements crt-api\n"
                "-- sent for one GET /v1/persons/{id} (PostgreSQL log, log_statement = 'all'), in order:\n"
                "-- parameters are pgbench variables (-D sNpM=value), the person id is a random id of\n"
                "-- bench_ids picked in the statement itself (see tests/bench/pgbench_script.py).\n"
                f"-- Generated {time.strftime('%Y-%m-%d')}; run.sh regenerates it on every run.\n"
                "\\set k random(1, :nids)\n")
        f.write("\n".join(lines) + "\n")
    with open(vars_out, "w") as f:
        f.write("\n".join(variables) + ("\n" if variables else ""))


if __name__ == "__main__":
    main()
