#!/usr/bin/env python3
"""Inputs for scripts/bench-collector.sh, generated from the recorded fixtures.

  bench-inputs.py lmstat OUT MB      the lmstat -a fixtures, concatenated until OUT holds MB
  bench-inputs.py log OUT MB         the debug logs, copied until OUT holds MB; each copy's
                                     dates shifted 70 days past the one before
  bench-inputs.py polls OUT N        N saved polls of two ~5 KB recorded outputs, one a
                                     minute from 2026-01-05 00:00, appended to one file
"""
import datetime as dt
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures"
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def read(path):
    return path.read_bytes().decode("utf-8", "replace")


def lmstat(out, mb):
    corpus = "".join(
        read(p) + "\n"
        for p in sorted((ROOT / "lmstat").iterdir())
        if "lmstat_i_" not in p.name
    )
    with open(out, "w") as f:
        written = 0
        while written < mb * 1e6:
            f.write(corpus)
            written += len(corpus.encode())


def shift_dates(text, days):
    delta = dt.timedelta(days=days)

    def mdy(m):
        d = dt.date(int(m[3]), int(m[1]), int(m[2])) + delta
        head, tail = m[0][: m.start(1) - m.start(0)], m[0][m.end(3) - m.start(0) :]
        return f"{head}{d.month}/{d.day}/{d.year}{tail}"

    text = re.sub(r"TIMESTAMP (\d+)/(\d+)/(\d+)", mdy, text)
    text = re.sub(r"\((\d+)/(\d+)/(\d+)\)", mdy, text)

    def system(m):
        d = dt.date(int(m[3]), MONTHS.index(m[1]) + 1, int(m[2])) + delta
        return f"Date and Time: {d.strftime('%a')} {MONTHS[d.month - 1]} {d.day:02} {d.year}"

    return re.sub(r"Date and Time: \w+ (\w+) (\d+) (\d+)", system, text)


def log(out, mb):
    logs = [read(p) for p in sorted((ROOT / "debuglog").iterdir())]
    with open(out, "w") as f:
        written, copy = 0, 0
        while written < mb * 1e6:
            for text in logs:
                chunk = shift_dates(text, 70 * copy)
                f.write(chunk if chunk.endswith("\n") else chunk + "\n")
                written += len(chunk.encode())
            copy += 1


def polls(out, n):
    names = [
        "mjtrangoni__flexlm_exporter__collector_fixtures_lmstat_app2.txt",
        "omnivector-solutions__license-manager__doc_example_lmutil.txt",
    ]
    outputs = [read(ROOT / "lmstat" / name) for name in names]
    header = re.compile(r"Flexible License Manager status on [^\n]*")
    start = dt.datetime(2026, 1, 5)
    with open(out, "w") as f:
        for i in range(n):
            at = start + dt.timedelta(minutes=i)
            stamp = f"Flexible License Manager status on {at.strftime('%a')} {at.month}/{at.day}/{at.year} {at.strftime('%H:%M')}"
            f.write(header.sub(stamp, outputs[i % len(outputs)], count=1))


if __name__ == "__main__":
    kind, out, size = sys.argv[1], sys.argv[2], float(sys.argv[3])
    {"lmstat": lmstat, "log": log, "polls": lambda o, s: polls(o, int(s))}[kind](out, size)
