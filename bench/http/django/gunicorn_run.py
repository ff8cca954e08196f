#!/usr/bin/env python3
"""Run gunicorn (Debian's python3-gunicorn, unpacked by bench/http/run.py
into the directory DJSBENCH_GUNICORN names) under the Python and Django
that fixtures/python.sh picks, on the bench site:

    DJSBENCH_GUNICORN=DIR fixtures/python.sh 5.2 bench/http/django/gunicorn_run.py [gunicorn args]

python.sh sets PYTHONPATH to Django's own packages, so gunicorn's
directory is added here rather than through the environment.
"""
import os
import sys

sys.path.insert(0, os.environ["DJSBENCH_GUNICORN"])
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from gunicorn.app.wsgiapp import run  # noqa: E402

sys.argv = ["gunicorn"] + sys.argv[1:] + ["benchsite.wsgi:application"]
run()
