#!/usr/bin/env python3
"""The Django side of the store comparison (driven by compare.py): Django's
own SessionStore doing what bench/store_test.go does in Go, a load+save
cycle (load an existing session, set one key, save as an update) on the
same server, on the same django_session table, with the same payload.

    fixtures/python.sh 5.2 bench/django_stores.py ENGINE MODE [options]

ENGINE: postgres | sqlite | memcached | redis. MODE: time (concurrency from
--conc, by that many threads, each with its own connection and session, for
--seconds) or count (--count-ops cycles at concurrency 1). One JSON line per
run to --out. CPU is time.process_time(): this process, all threads, user +
system. SQLite statements are counted with sqlite3's trace callback (every
statement, BEGIN and COMMIT included); the network engines' round trips are
counted by rtproxy, which compare.py puts at --addr.
"""
import argparse
import json
import os
import sys
import threading
import time

ap = argparse.ArgumentParser()
ap.add_argument("engine")
ap.add_argument("mode")
ap.add_argument("--addr", default="")
ap.add_argument("--sqlite", default="")
ap.add_argument("--conc", default="1,16")
ap.add_argument("--seconds", type=float, default=2.0)
ap.add_argument("--count-ops", type=int, default=20)
ap.add_argument("--out", required=True)
args = ap.parse_args()

host, _, port = args.addr.rpartition(":")
conf = dict(
    SECRET_KEY="django-insecure-interop-vector-secret-key-0123456789",
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "django.contrib.sessions"],
    USE_TZ=True,
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
)
if args.engine == "postgres":
    conf["DATABASES"] = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "djsbench",
                                     "USER": "postgres", "HOST": host, "PORT": port}}
    conf["SESSION_ENGINE"] = "django.contrib.sessions.backends.db"
elif args.engine == "mariadb":
    try:
        import MySQLdb  # noqa: F401  (mysqlclient, Debian's python3-mysqldb)
    except ImportError:
        import pymysql
        pymysql.install_as_MySQLdb()
    conf["DATABASES"] = {"default": {"ENGINE": "django.db.backends.mysql", "NAME": "djsbench",
                                     "USER": "root", "HOST": host, "PORT": port}}
    conf["SESSION_ENGINE"] = "django.contrib.sessions.backends.db"
elif args.engine == "sqlite":
    conf["DATABASES"] = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": args.sqlite,
                                     "OPTIONS": {"timeout": 5}}}
    conf["SESSION_ENGINE"] = "django.contrib.sessions.backends.db"
elif args.engine == "memcached":
    conf["CACHES"] = {"default": {"BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache",
                                  "LOCATION": args.addr, "KEY_PREFIX": "djsbench"}}
    conf["SESSION_ENGINE"] = "django.contrib.sessions.backends.cache"
elif args.engine == "redis":
    conf["CACHES"] = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                  "LOCATION": "redis://%s/15" % args.addr, "KEY_PREFIX": "djsbench"}}
    conf["SESSION_ENGINE"] = "django.contrib.sessions.backends.cache"
else:
    sys.exit("unknown engine " + args.engine)

import django  # noqa: E402
from django.conf import settings  # noqa: E402

settings.configure(**conf)
django.setup()
from importlib import import_module  # noqa: E402

from django.db import connection, connections  # noqa: E402

SessionStore = import_module(settings.SESSION_ENGINE).SessionStore
here = os.path.dirname(os.path.abspath(__file__))
payload = json.load(open(os.path.join(here, "payloads.json")))["cart1K"]

statements = [0]


def count_statements(_sql):
    statements[0] += 1


def thread_setup():
    if args.engine == "sqlite":
        connection.ensure_connection()
        connection.connection.set_trace_callback(count_statements)


def new_key():
    s = SessionStore()
    s.update(payload)
    s.create()
    return s.session_key


def cycle(key, i):
    s = SessionStore(session_key=key)
    s["visits"] = i  # loads the session first
    s.save()
    assert s.session_key == key


def delete(key):
    SessionStore(session_key=key).delete()


out = open(args.out, "a")
if args.mode == "count":
    thread_setup()
    key = new_key()
    cycle(key, 0)
    before = statements[0]
    for i in range(args.count_ops):
        cycle(key, i + 1)
    stmts = statements[0] - before
    delete(key)
    out.write(json.dumps({"side": "django", "engine": args.engine, "ops": args.count_ops, "statements": stmts}) + "\n")
    sys.exit(0)

MAX_OPS_PER_WORKER = 200000  # a bound besides the clock
for conc in [int(c) for c in args.conc.split(",")]:
    totals = [0] * conc
    ready = threading.Barrier(conc + 1)
    go = threading.Event()
    errors = []

    def worker(w):
        try:
            thread_setup()
            key = new_key()
            cycle(key, 0)  # connect, warm up
        except Exception as e:  # noqa: BLE001
            errors.append(e)
            ready.wait()
            return
        ready.wait()
        go.wait()
        end = time.monotonic() + args.seconds
        n = 0
        try:
            while n < MAX_OPS_PER_WORKER and time.monotonic() < end:
                cycle(key, n)
                n += 1
        except Exception as e:  # noqa: BLE001
            errors.append(e)
        totals[w] = n
        go_done.wait()
        delete(key)
        connections.close_all()

    go_done = threading.Event()
    threads = [threading.Thread(target=worker, args=(w,)) for w in range(conc)]
    for t in threads:
        t.start()
    ready.wait()
    cpu0, t0, sys0 = time.process_time(), time.monotonic(), os.times().system
    go.set()
    # Wait for every worker to finish its timed loop, then stop the clocks
    # before the cleanup (deleting the sessions).
    while True:
        time.sleep(0.001)
        if all(totals[w] or not t.is_alive() for w, t in enumerate(threads)) and sum(1 for x in totals if x) + len(errors) >= conc:
            break
        if time.monotonic() - t0 > args.seconds + 30:
            break
    wall, cpu, sys_ = time.monotonic() - t0, time.process_time() - cpu0, os.times().system - sys0
    go_done.set()
    for t in threads:
        t.join()
    if errors:
        sys.exit("errors: %r" % errors[:3])
    out.write(json.dumps({"side": "django", "engine": args.engine, "conc": conc, "ops": sum(totals),
                          "secs": wall, "cpu": cpu, "sys": sys_}) + "\n")
    out.flush()
