#!/usr/bin/env python3
"""Helper of tests/bench/run.sh: turns one logged GET /v1/persons/{id} into a pgbench script.

  pgbench_script.py LOG_EXCERPT REQUEST_ID PERSON_ID SCRIPT_OUT VARS_OUT [BATCH BATCH_OUT]

LOG_EXCERPT is PostgreSQL's log (log_statement = 'all', default log_line_prefix '%m [%p] ')
while crt-api answered one read whose X-Request-Id was REQUEST_ID. The transaction of that
request (from its BEGIN to its COMMIT, on the backend that logged the request id) is written to
SCRIPT_OUT statement for statement, so pgbench -M prepared repeats exactly the SQL crt-api sends:
each parameter becomes a pgbench variable (its value, as logged, goes to VARS_OUT as name=value
for pgbench -D), NULL stays NULL, and the person id becomes
(SELECT id FROM bench_ids WHERE n = :k) with \\set k random(1, :nids): a random person of the
helper table bench_ids (controller 3's ids numbered 1..N, made by run.sh), picked inside the same
statement, so no extra round trip (one primary-key probe of a small unlogged table per use).

crt-api sends a read's statements in a pipeline on its read connection (BEGIN and COMMIT through
the extended protocol, logged as "execute <unnamed>: BEGIN"); a capture of one read alone is its
own transaction. With BATCH and BATCH_OUT, a second script repeats the statements between BEGIN
and COMMIT BATCH times in one transaction, each with a person of its own (:k1 ... :kBATCH): the
database's ceiling for reads that share a commit, as crt-api's group commit does.
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


def is_tx(rec, word):
    """Whether a log record is BEGIN/COMMIT, by the simple or the extended protocol."""
    msg = rec[2].strip()
    return rec[1] == "LOG" and msg in (f"statement: {word}", f"execute <unnamed>: {word}")


def main():
    if len(sys.argv) not in (6, 8):
        sys.exit(__doc__)
    log_path, request_id, person_id, script_out, vars_out = sys.argv[1:6]
    batch, batch_out = (int(sys.argv[6]), sys.argv[7]) if len(sys.argv) == 8 else (0, None)
    recs = records(open(log_path, errors="replace").read())
    hit = next((i for i, r in enumerate(recs) if r[1] == "DETAIL" and request_id in r[2]), None)
    if hit is None:
        sys.exit("pgbench_script.py: the request was not found in the log")
    pid = recs[hit][0]
    mine = [i for i, r in enumerate(recs) if r[0] == pid]
    pos = mine.index(hit)
    start = next((mine[j] for j in range(pos, -1, -1) if is_tx(recs[mine[j]], "BEGIN")), None)
    end = next((mine[j] for j in range(pos, len(mine)) if is_tx(recs[mine[j]], "COMMIT")), None)
    if start is None or end is None:
        sys.exit("pgbench_script.py: no BEGIN ... COMMIT around the request in the log")

    stmts = []  # (name, sql, {n: value or None})
    for j in range(mine.index(start), mine.index(end) + 1):
        lvl, msg = recs[mine[j]][1], recs[mine[j]][2]
        if lvl == "LOG" and msg.startswith("statement: "):
            stmts.append(("", msg[len("statement: "):], {}))
        elif lvl == "LOG" and msg.startswith("execute "):
            name, sql = re.match(r"execute ([^:]+): (.*)", msg, re.S).groups()
            stmts.append(("" if name == "<unnamed>" else name, sql, {}))
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
    if batch_out:
        write_batch(lines, batch, batch_out)


def write_batch(lines, batch, out):
    """The statements between BEGIN and COMMIT, batch times, each with a person of its own."""
    body = lines[1:-1]
    with open(out, "w") as f:
        f.write(f"-- pgbench script of tests/bench/run.sh: {batch} reads (each its session check and its\n"
                "-- read, as crt-api sends them) in one transaction, one commit, sent as one pipeline as\n"
                "-- crt-api's flights are: the database's ceiling for group-committed reads\n"
                "-- (see tests/bench/pgbench_script.py).\n")
        for i in range(1, batch + 1):
            f.write(f"\\set k{i} random(1, :nids)\n")
        f.write("\\startpipeline\n" + lines[0] + "\n")
        for i in range(1, batch + 1):
            f.write("\n".join(x.replace(":k)", f":k{i})") for x in body) + "\n")
        f.write(lines[-1] + "\n\\endpipeline\n")


if __name__ == "__main__":
    main()
