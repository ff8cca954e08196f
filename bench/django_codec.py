#!/usr/bin/env python3
"""Time Django's own codec on bench/payloads.json: one line of JSON per
operation and payload, {"op", "payload", "ns"} (the best of a few timeit
repeats, in nanoseconds per call). Run with the Django under test:

    fixtures/python.sh 5.2 bench/django_codec.py
"""
import json
import os
import sys
import timeit

import django
from django.conf import settings

settings.configure(
    SECRET_KEY="django-insecure-interop-vector-secret-key-0123456789",
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "django.contrib.sessions"],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
)
django.setup()
from django.core import signing  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402

here = os.path.dirname(os.path.abspath(__file__))
payloads = json.load(open(os.path.join(here, "payloads.json")))
store = SessionStore()
SALT = "django.contrib.sessions.backends.signed_cookies"


def best(fn):
    t = timeit.Timer(fn)
    n, _ = t.autorange()
    n = max(1, n // 2)
    return min(t.repeat(repeat=5, number=n)) / n * 1e9


for name, value in payloads.items():
    token = signing.dumps(value, compress=True)
    data = store.encode(value)
    cookie = signing.dumps(value, compress=True, salt=SALT)
    ops = {
        "dumps": lambda: signing.dumps(value, compress=True),
        "loads": lambda: signing.loads(token),
        "encode": lambda: store.encode(value),
        "decode": lambda: store.decode(data),
        "signed_cookies_load": lambda: signing.loads(cookie, salt=SALT, max_age=1209600),
    }
    for op, fn in ops.items():
        print(json.dumps({"op": op, "payload": name, "ns": best(fn)}))
        sys.stdout.flush()
