"""Settings of the Django side of the HTTP comparison (bench/http/run.py).

The same sessions and user as the Go servers: SECRET_KEY, the bench
database djsbenchhttp on PostgreSQL, and, with DJSBENCH_ENGINE=redis,
Django's RedisCache on the same Redis database and KEY_PREFIX as
bench/http's -impl djsession -engine redis. Only the two middlewares the
endpoint needs (sessions, auth), as the Go server has.
"""
import os

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "django-insecure-djsession-http-bench-key-0123456789")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
USE_TZ = True
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "django.contrib.sessions"]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
ROOT_URLCONF = "benchsite.urls"
WSGI_APPLICATION = "benchsite.wsgi.application"
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ.get("DJSBENCH_PG_DB", "djsbenchhttp"),
        "USER": "postgres",
        "HOST": "127.0.0.1",
        "PORT": "5432",
        # Persistent connections, as a production site configures them:
        # the default (0) would connect to PostgreSQL on every request.
        "CONN_MAX_AGE": 600,
    }
}
ENGINE = os.environ.get("DJSBENCH_ENGINE", "postgres")
if ENGINE == "redis":
    SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://%s/%s" % (os.environ.get("DJSBENCH_REDIS", "127.0.0.1:6379"),
                                           os.environ.get("DJSBENCH_REDIS_DB", "15")),
            "KEY_PREFIX": os.environ.get("DJSBENCH_KEY_PREFIX", "djsbenchhttp"),
        }
    }
else:
    SESSION_ENGINE = "django.contrib.sessions.backends.db"
LOGGING = {"version": 1, "disable_existing_loggers": False,
           "handlers": {"stderr": {"class": "logging.StreamHandler"}},
           "root": {"handlers": ["stderr"], "level": "WARNING"}}
