#!/usr/bin/env python3
"""The HTTP comparison, end to end: one endpoint (load the session from the
cookie, resolve the user with the session auth hash check, set one key, save,
answer a small JSON body) served by

  djsession       bench/http's server: net/http + django.Middleware + auth
  scs             bench/http's server: scs/v2 + postgresstore / redisstore
  django-sync     Django 5.2's view under gunicorn, sync workers
  django-gthread  the same under gunicorn's gthread workers

each on PostgreSQL (the db engine; scs: postgresstore) and on Redis (the
cache engine; scs: redisstore); the users are in PostgreSQL's auth_user for
all. Load comes from bench/loadgen: closed loop at each --concs, open loop
at each --rates, --warmup then --duration seconds per run; --rounds times
over, each round in another order of the contenders.

    python3 bench/http/run.py --out FILE.jsonl [--rounds 3 --warmup 1 --duration 3]

Placement on the 2 cores, the same for every contender: the server (the Go
process, or gunicorn's master and all its workers) on CPU 1; PostgreSQL,
Redis and the load generator on CPU 0 (the servers' processes and threads are
moved there for the run and given their former affinity back afterwards).

Writes one JSON line per run to --out (loadgen's fields plus contender,
engine, workers) and progress to stderr. compare.py --http calls it and
writes the table.
"""
import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.dirname(HERE)
ROOT = os.path.dirname(BENCH)
PYTHON_SH = os.path.join(ROOT, "fixtures", "python.sh")
GUNICORN_CACHE = os.path.join(HERE, ".cache", "gunicorn")
GUNICORN_PATH = os.path.join(GUNICORN_CACHE, "usr", "lib", "python3", "dist-packages")
SERVER_CPU, REST_CPU = 1, 0
CONTENDERS = ["djsession", "scs", "django-sync", "django-gthread"]
ENGINES = ["postgres", "redis"]


def log(*a):
    print("http:", *a, file=sys.stderr, flush=True)


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw).stdout


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def loadavg():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


# ---------------------------------------------------------------- set-up

def ensure_gunicorn():
    """Debian's python3-gunicorn, unpacked for the Python fixtures/python.sh
    runs (pure Python; not installed system-wide, since Django 5.2 runs on
    another interpreter than /usr/bin/python3)."""
    if os.path.isdir(os.path.join(GUNICORN_PATH, "gunicorn")):
        return
    dl = os.path.join(HERE, ".cache", "debs")
    os.makedirs(dl, exist_ok=True)
    log("fetching Debian's python3-gunicorn")
    try:
        run(["apt-get", "download", "python3-gunicorn"], cwd=dl)
    except subprocess.CalledProcessError:
        run(["apt-get", "update", "-qq"])
        run(["apt-get", "download", "python3-gunicorn"], cwd=dl)
    deb = sorted(f for f in os.listdir(dl) if f.startswith("python3-gunicorn_") and f.endswith(".deb"))[-1]
    tmp = GUNICORN_CACHE + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    run(["dpkg-deb", "-x", os.path.join(dl, deb), tmp])
    shutil.rmtree(GUNICORN_CACHE, ignore_errors=True)
    os.rename(tmp, GUNICORN_CACHE)


def gunicorn_version():
    for f in os.listdir(GUNICORN_PATH):
        if f.startswith("gunicorn-") and f.endswith(".egg-info"):
            return f[len("gunicorn-"):-len(".egg-info")]
    return "?"


def build(tmp):
    bins = {"server": os.path.join(tmp, "server"), "loadgen": os.path.join(tmp, "loadgen")}
    run(["go", "build", "-o", bins["server"], "."], cwd=HERE)
    run(["go", "build", "-o", bins["loadgen"], "."], cwd=os.path.join(BENCH, "loadgen"))
    return bins


def setup(bins, tmp, n):
    """The database, Django's tables and user, and n sessions of that user
    per store: Django's format (read by djsession and by Django alike) and
    scs's. Returns the cookie files and the user's id."""
    run([bins["server"], "-setup", "db"])
    run(["bash", PYTHON_SH, "5.2", os.path.join(HERE, "django", "setup.py")])
    cookies = {}
    for impl in ("djsession", "scs"):
        for e in ENGINES:
            path = os.path.join(tmp, "cookies-%s-%s" % (impl, e))
            run([bins["server"], "-setup", "sessions", "-impl", impl, "-engine", e, "-n", str(n), "-cookies", path])
            cookies[(impl, e)] = path
    return cookies


# ---------------------------------------------------------------- placement

def pids_named(*names):
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/comm" % d) as f:
                if f.read().strip() in names:
                    out.append(int(d))
        except OSError:
            pass
    return out


def threads_of(pid):
    try:
        return [int(t) for t in os.listdir("/proc/%d/task" % pid)]
    except OSError:
        return []


def service_roots():
    """PostgreSQL's postmaster (its backends are its children) and Redis."""
    pids = set(pids_named(*Pinned.NAMES))
    roots = []
    for pid in pids:
        try:
            with open("/proc/%d/stat" % pid) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if ppid not in pids:
            roots.append(pid)
    return roots


class Pinned:
    """PostgreSQL's and Redis' processes (every thread) on one CPU for the
    run; their former affinity back afterwards, also for the PostgreSQL
    backends forked meanwhile (which inherit the postmaster's)."""

    NAMES = ("postgres", "redis-server")

    def __init__(self, cpu):
        self.cpu = cpu
        self.saved = {}

    def __enter__(self):
        for pid in pids_named(*self.NAMES):
            for tid in threads_of(pid):
                try:
                    self.saved[tid] = os.sched_getaffinity(tid)
                    os.sched_setaffinity(tid, {self.cpu})
                except OSError:
                    pass
        return self

    def __exit__(self, *exc):
        default = set(range(os.cpu_count()))
        for pid in pids_named(*self.NAMES):
            for tid in threads_of(pid):
                try:
                    os.sched_setaffinity(tid, self.saved.get(tid, default))
                except OSError:
                    pass


# ---------------------------------------------------------------- contenders

class Server:
    def __init__(self, bins, contender, engine, workers, threads, pprof=None):
        self.port = free_port()
        self.addr = "127.0.0.1:%d" % self.port
        self.url = "http://%s/bench/" % self.addr
        self.contender, self.engine = contender, engine
        pin = ["taskset", "-c", str(SERVER_CPU)]
        env = dict(os.environ)
        if contender in ("djsession", "scs"):
            cmd = pin + [bins["server"], "-impl", contender, "-engine", engine, "-listen", self.addr]
            if pprof:
                cmd += ["-pprof", pprof]
            self.workers = "1 process, GOMAXPROCS 1"
        else:
            env.update(DJSBENCH_ENGINE=engine, DJSBENCH_GUNICORN=GUNICORN_PATH)
            # --worker-tmp-dir /dev/shm: gunicorn's documented advice, so
            # that the workers' heartbeat (an fchmod per loop) never waits
            # on a disk-backed /tmp.
            cmd = pin + ["bash", PYTHON_SH, "5.2", os.path.join(HERE, "django", "gunicorn_run.py"),
                         "--bind", self.addr, "--workers", str(workers), "--worker-tmp-dir", "/dev/shm",
                         "--log-level", "warning"]
            if contender == "django-gthread":
                cmd += ["--worker-class", "gthread", "--threads", str(threads)]
                self.workers = "%d gthread workers x %d threads, gunicorn %s" % (workers, threads, gunicorn_version())
            else:
                cmd += ["--worker-class", "sync"]
                self.workers = "%d sync workers, gunicorn %s" % (workers, gunicorn_version())
        # taskset and python.sh exec: the PID is the server's (gunicorn's master).
        self.p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def get(self, cookie, timeout=5):
        req = urllib.request.Request(self.url, headers={"Cookie": cookie})
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read())

    def wait_ready(self, cookie, deadline=60):
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            if self.p.poll() is not None:
                raise RuntimeError("%s/%s exited: %s" % (self.contender, self.engine, self.p.stderr.read()[-2000:]))
            try:
                self.get(cookie, timeout=2)
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("%s/%s did not answer within %ds" % (self.contender, self.engine, deadline))

    def check(self, cookie, user_id):
        """The endpoint does the work: the user is the bench user, and the
        key set by one request is read by the next (which may have been
        written by another contender on the same session)."""
        s1, b1 = self.get(cookie)
        s2, b2 = self.get(cookie)
        if (s1, s2) != (200, 200) or b1["user"] != user_id or b2["hits"] != b1["hits"] + 1:
            raise RuntimeError("%s/%s answered %r then %r" % (self.contender, self.engine, b1, b2))

    def stop(self):
        self.p.terminate()
        try:
            self.p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait(timeout=5)


def loadgen(bins, srv, cookies, args, mode, value):
    cmd = ["taskset", "-c", str(REST_CPU), bins["loadgen"], "-url", srv.url, "-cookies", cookies,
           "-warmup", "%gs" % args.warmup, "-duration", "%gs" % args.duration, "-pid", str(srv.p.pid),
           "-expect", '"hits"', "-mode", mode, "-db-pid", ",".join(str(p) for p in service_roots())]
    cmd += ["-conc", str(value)] if mode == "closed" else ["-rate", str(value)]
    return json.loads(run(cmd, timeout=args.warmup + args.duration + 60))


def profile(srv, pprof, seconds, path):
    url = "http://%s/debug/pprof/profile?seconds=%d" % (pprof, seconds)
    with urllib.request.urlopen(url, timeout=seconds + 30) as r, open(path, "wb") as f:
        f.write(r.read())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--warmup", type=float, default=1)
    ap.add_argument("--duration", type=float, default=3)
    ap.add_argument("--concs", default="1,16,64")
    ap.add_argument("--rates", default="100,400")
    ap.add_argument("--sessions", type=int, default=128)
    ap.add_argument("--contenders", default=",".join(CONTENDERS))
    ap.add_argument("--engines", default=",".join(ENGINES))
    ap.add_argument("--workers", type=int, default=os.cpu_count(), help="gunicorn workers (default: one per core)")
    ap.add_argument("--threads", type=int, default=8, help="threads per gthread worker")
    ap.add_argument("--profile", default="", help="directory: after the timed runs, a CPU profile of each Go server at concurrency 16")
    args = ap.parse_args()
    concs = [int(c) for c in args.concs.split(",") if c]
    rates = [float(r) for r in args.rates.split(",") if r]
    tmp = tempfile.mkdtemp(prefix="djshttp")
    try:
        ensure_gunicorn()
        log("building")
        bins = build(tmp)
        log("setting up the database, the user and %d sessions per store" % args.sessions)
        cookies = setup(bins, tmp, args.sessions)
        user_id = run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "djsbenchhttp", "-Atc",
                       "SELECT id FROM auth_user WHERE username = 'bench'"]).strip()
        cells = [(e, c) for e in args.engines.split(",") for c in args.contenders.split(",")]
        with Pinned(REST_CPU), open(args.out, "a") as out:
            for rnd in range(args.rounds):
                # Each round in another order, so that no contender always
                # runs at the same point of the others' jobs on the machine.
                order = cells[rnd % len(cells):] + cells[:rnd % len(cells)]
                if rnd % 2:
                    order.reverse()
                log("round %d/%d" % (rnd + 1, args.rounds))
                for e, c in order:
                    cf = cookies[("scs" if c == "scs" else "djsession", e)]
                    with open(cf) as f:
                        first = f.readline().strip()
                    pprof = "127.0.0.1:%d" % free_port() if args.profile and c in ("djsession", "scs") else None
                    srv = Server(bins, c, e, args.workers, args.threads, pprof)
                    try:
                        srv.wait_ready(first)
                        srv.check(first, user_id)
                        # Warm every gunicorn worker (each imports Django
                        # and connects on its first request); the Go
                        # server's one process was warmed by the check.
                        if c.startswith("django"):
                            loadgen(bins, srv, cf, argparse.Namespace(warmup=1.5, duration=0.5), "closed", 16)
                        for mode, values in (("closed", concs), ("open", rates)):
                            for v in values:
                                r = loadgen(bins, srv, cf, args, mode, v)
                                r.update(contender=c, engine=e, workers=srv.workers, load=loadavg(), round=rnd)
                                log("%-14s %-8s %-6s %5g: %7.0f req/s, p50 %6.2f ms, p99 %7.2f ms, %5.0f µs CPU/req, "
                                    "%d errors, load %.1f" % (c, e, mode, v, r["rps"], r["p50_us"] / 1e3,
                                                              r["p99_us"] / 1e3, r["server_cpu_us_per_req"],
                                                              r["errors"] + r.get("dropped", 0), r["load"]))
                                out.write(json.dumps(r) + "\n")
                                out.flush()
                        if pprof:
                            os.makedirs(args.profile, exist_ok=True)
                            path = os.path.join(args.profile, "%s-%s-%d.pprof" % (c, e, rnd))
                            th = threading.Thread(target=profile, args=(srv, pprof, int(args.duration), path))
                            th.start()
                            loadgen(bins, srv, cf, argparse.Namespace(warmup=0.5, duration=args.duration + 1),
                                    "closed", 16)
                            th.join()
                            log("profile: %s" % path)
                    finally:
                        srv.stop()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
