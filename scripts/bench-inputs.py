#!/usr/bin/env python3
"""Inputs for scripts/bench-collector.sh, generated from the recorded fixtures.

  bench-inputs.py lmstat OUT MB      the lmstat -a fixtures, concatenated until OUT holds MB
  bench-inputs.py log OUT MB         the debug logs, copied until OUT holds MB, each copy's
                                     dates moved to start after the one before ended
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


def anchor_dates(text):
    """The dates a log states (TIMESTAMP, startup and System Date lines)."""
    dates = [dt.date(int(y), int(m), int(d)) for m, d, y in re.findall(r"TIMESTAMP (\d+)/(\d+)/(\d+)", text)]
    dates += [dt.date(int(y), int(m), int(d)) for m, d, y in re.findall(r"\((\d+)/(\d+)/(\d+)\)", text)]
    dates += [
        dt.date(int(y), MONTHS.index(mon) + 1, int(d))
        for mon, d, y in re.findall(r"Date and Time: \w+ (\w+) (\d+) (\d+)", text)
    ]
    return min(dates), max(dates)


def log(out, mb):
    """One server's log in time order: each copy of a recorded log is moved to start the
    day after the previous one ended, as a busy daemon's log of years would read."""
    logs = [read(p) for p in sorted((ROOT / "debuglog").iterdir())]
    spans = [anchor_dates(text) for text in logs]
    cursor = dt.date(2020, 1, 1)
    with open(out, "w") as f:
        written = 0
        while written < mb * 1e6:
            for text, (first, last) in zip(logs, spans):
                shift = (cursor - first).days
                chunk = shift_dates(text, shift)
                f.write(chunk if chunk.endswith("\n") else chunk + "\n")
                written += len(chunk.encode())
                cursor = last + dt.timedelta(days=shift + 2)


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
