#!/usr/bin/python3
"""Bar chart of bench/compare.py's results (JSON on stdin) to the PNG named
on the command line. Needs matplotlib (Debian: python3-matplotlib).

With an "http" key (the closed-loop runs of bench/http/run.py) it draws the
HTTP chart instead: per engine, requests per second at each concurrency and
server CPU per request, for every contender."""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

d = json.load(sys.stdin)


def http_chart(rows, path):
    contenders = ["djsession", "scs", "django-sync", "django-gthread"]
    colors = {"djsession": "#1f77b4", "scs": "#2ca02c", "django-sync": "#d62728", "django-gthread": "#ff9896"}
    engines = [e for e in ("postgres", "redis") if any(r["engine"] == e for r in rows)]
    concs = sorted({r["conc"] for r in rows})
    fig, axes = plt.subplots(len(engines), 2, figsize=(14, 4.8 * len(engines)), squeeze=False)
    width = 0.8 / len(contenders)
    for i, e in enumerate(engines):
        at = {(r["contender"], r["conc"]): r for r in rows if r["engine"] == e}
        ax = axes[i][0]
        for j, c in enumerate(contenders):
            xs = [k + (j - (len(contenders) - 1) / 2) * width for k in range(len(concs))]
            vals = [at[(c, n)]["rps"] if (c, n) in at else 0 for n in concs]
            ax.bar(xs, vals, width, label=c, color=colors[c])
            for x, v in zip(xs, vals):
                ax.text(x, v, "%.0f" % v, ha="center", va="bottom", fontsize=7)
        ax.set_xticks(range(len(concs)))
        ax.set_xticklabels(["concurrency %d" % n for n in concs])
        ax.set_ylabel("requests per second (higher is better)")
        ax.set_title("HTTP end to end, %s: requests per second" % e)
        ax.grid(axis="y", alpha=0.3)
        ax.legend(fontsize=8)
        ax = axes[i][1]
        for j, c in enumerate(contenders):
            xs = [k + (j - (len(contenders) - 1) / 2) * width for k in range(len(concs))]
            vals = [at[(c, n)]["server_cpu_us_per_req"] if (c, n) in at else 0 for n in concs]
            ax.bar(xs, vals, width, label=c, color=colors[c])
            for x, v in zip(xs, vals):
                ax.text(x, v, "%.0f" % v, ha="center", va="bottom", fontsize=7)
        ax.set_xticks(range(len(concs)))
        ax.set_xticklabels(["concurrency %d" % n for n in concs])
        ax.set_yscale("log")
        ax.set_ylabel("server CPU µs per request (log, lower is better)")
        ax.set_title("HTTP end to end, %s: server CPU per request" % e)
        ax.grid(axis="y", alpha=0.3, which="both")
    fig.tight_layout()
    fig.savefig(path, dpi=90)


if "http" in d:
    http_chart(d["http"], sys.argv[1])
    sys.exit(0)

ops, payloads = d["ops"], d["payloads"]
series = [("djsession (Go)", d["go"], "#1f77b4"), ("floor (primitives)", d["floor"], "#9ecae1")]
colors = ["#d62728", "#ff9896"]
for v, c in zip(d["versions"], colors):
    series.append(("Django %s" % v, d["django"][v], c))
series.append(("securecookie JSON (encode/decode)", d["sc_json"], "#2ca02c"))

rows = 2 if d["stores"] else 1
fig = plt.figure(figsize=(16, 5.5 * rows))
width = 0.8 / len(series)
for i, p in enumerate(payloads):
    ax = fig.add_subplot(rows, 3, i + 1)
    for j, (name, vals, color) in enumerate(series):
        xs = [k + (j - (len(series) - 1) / 2) * width for k in range(len(ops))]
        ax.bar(xs, [vals[op][i] for op in ops], width, label=name, color=color)
    ax.set_xticks(range(len(ops)))
    ax.set_xticklabels([o.replace("signed_cookies_load", "signed_cookies\nload").replace("_read_all", " +\nread all") for o in ops], fontsize=7)
    ax.set_yscale("log")
    ax.set_ylabel("µs per operation (log, lower is better)")
    ax.set_title("codec, payload %s" % p)
    ax.grid(axis="y", alpha=0.3, which="both")
    if i == 0:
        ax.legend(fontsize=8)

if d["stores"]:
    ax = fig.add_subplot(rows, 1, 2)
    st = d["stores"]
    labels = ["%s\nconc %d" % (s["engine"], s["conc"]) for s in st]
    xs = range(len(st))
    ax.bar([x - 0.2 for x in xs], [s["go"] for s in st], 0.4, label="djsession (Go)", color="#1f77b4")
    ax.bar([x + 0.2 for x in xs], [s["django"] for s in st], 0.4, label="Django %s" % d["store_version"], color="#d62728")
    for x, s in zip(xs, st):
        ax.text(x - 0.2, s["go"], "%.0f" % s["go"], ha="center", va="bottom", fontsize=8)
        ax.text(x + 0.2, s["django"], "%.0f" % s["django"], ha="center", va="bottom", fontsize=8)
    ax.set_xticks(list(xs))
    ax.set_xticklabels(labels)
    ax.set_ylabel("load+save cycles per second (higher is better)")
    ax.set_title("stores: load + save of an existing session (cart1K)")
    ax.legend()
    ax.grid(axis="y", alpha=0.3)

fig.tight_layout()
fig.savefig(sys.argv[1], dpi=90)
