#!/usr/bin/env python3
"""Prepare the bench database for the HTTP comparison: Django's tables
(manage.py migrate of contenttypes, auth, sessions) and the user "bench",
whom bench/http's server -setup sessions then logs in.

    fixtures/python.sh 5.2 bench/http/django/setup.py
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchsite.settings")

import django  # noqa: E402

django.setup()
from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402

call_command("migrate", verbosity=0, interactive=False)
if not User.objects.filter(username="bench").exists():
    User.objects.create_user("bench", password="bench-password-not-secret")
