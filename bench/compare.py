#!/usr/bin/env python3
"""Run djsession's codec and Django's side by side, alternating them round
by round, and print a Markdown table of medians (min-max) and the ratio
Django / Go (higher is better for Go).

    python3 bench/compare.py [--rounds 7] [--django 5.2]
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def go_round():
    out = subprocess.run(
        ["go", "test", "-run", "^$", "-bench", "^BenchmarkCodec$", "-benchtime", "200ms", "-benchmem", "./bench"],
        cwd=ROOT, check=True, capture_output=True, text=True).stdout
    res = {}
    for m in re.finditer(r"BenchmarkCodec/(\w+)/(\w+)-\d+\s+\d+\s+([\d.]+) ns/op\s+(\d+) B/op\s+(\d+) allocs/op", out):
        res[(m.group(1), m.group(2))] = (float(m.group(3)), int(m.group(5)))
    return res


def django_round(version):
    out = subprocess.run(["bash", os.path.join(ROOT, "fixtures", "python.sh"), version,
                          os.path.join(HERE, "django_codec.py")],
                         check=True, capture_output=True, text=True).stdout
    res = {}
    for line in out.splitlines():
        r = json.loads(line)
        res[(r["op"], r["payload"])] = r["ns"]
    return res


def fmt(ns):
    return "%.1f" % (ns / 1000)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--django", action="append", default=None)
    args = ap.parse_args()
    versions = args.django or ["5.2"]
    go, dj = {}, {v: {} for v in versions}
    allocs = {}
    for r in range(args.rounds):
        print("round %d/%d" % (r + 1, args.rounds), file=sys.stderr)
        for k, (ns, a) in go_round().items():
            go.setdefault(k, []).append(ns)
            allocs[k] = a
        for v in versions:
            for k, ns in django_round(v).items():
                dj[v].setdefault(k, []).append(ns)
    head = "| op | payload | Go µs (min–max) | allocs |"
    sep = "|---|---|---|---|"
    for v in versions:
        head += " Django %s µs (min–max) | ratio |" % v
        sep += "---|---|"
    print(head)
    print(sep)
    for k in sorted(go, key=lambda k: (["user", "cart1K", "nest8K"].index(k[1]), k[0])):
        g = go[k]
        row = "| %s | %s | %s (%s–%s) | %d |" % (k[0], k[1], fmt(statistics.median(g)), fmt(min(g)), fmt(max(g)), allocs[k])
        for v in versions:
            d = dj[v].get(k)
            if not d:
                row += " – | – |"
                continue
            row += " %s (%s–%s) | %.1fx |" % (fmt(statistics.median(d)), fmt(min(d)), fmt(max(d)),
                                             statistics.median(d) / statistics.median(g))
        print(row)


if __name__ == "__main__":
    main()
