"""
A SESSION_ENGINE for changing SESSION_ENGINE without logging anyone out.

Django keeps no session across a change of SESSION_ENGINE: the sessions of the
old engine are simply gone. During the switch, this engine reads the new
engine, falls back to the old one, and copies forward what it finds there
(create-only, so nothing already in the new engine is written over); saves go
to the new engine, deletes (logout) to both. Go services do the same with
djsession's manage.SwitchoverStore, by the same rules in the same order, so a
user stays logged in whichever side serves the request.

    # settings.py, for the switch (Django 3.2 to 6.1)
    SESSION_ENGINE = "djsession_switchover"       # this file, on the Python path
    DJSESSION_SWITCHOVER_OLD_ENGINE = "django.contrib.sessions.backends.cache"
    DJSESSION_SWITCHOVER_NEW_ENGINE = "django.contrib.sessions.backends.db"

The steps, in order:
  1. Make the new engine ready (migrate for db and cached_db; the cache in
     CACHES for cache and cached_db). Keep the old engine's settings.
  2. Deploy Django with the settings above, and the Go services with
     manage.SwitchoverStore(new, old).
  3. Copy the sessions nobody visits: djsession copy-sessions from the old
     engine to the new one (same keys, same data, same remaining lifetimes).
  4. Set SESSION_ENGINE to the new engine and drop these two settings; the Go
     services take the new store alone. (Waiting SESSION_COOKIE_AGE after step 2
     instead of running step 3 works too.)

A session copied forward on load is saved as Django saves it (its expiry is
get_expiry_age() from now), so a copy never expires before the original would
have. A logout removes the old copy first, then the new one; a load that copied
a session forward checks that the old one is still there and removes its copy
when it is not, so no interleaving of a logout and a load brings the session
back.
"""
import logging
from importlib import import_module

from django.conf import settings
from django.contrib.sessions.backends.base import CreateError, SessionBase, UpdateError
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger("djsession_switchover")

OLD_SETTING = "DJSESSION_SWITCHOVER_OLD_ENGINE"
NEW_SETTING = "DJSESSION_SWITCHOVER_NEW_ENGINE"


def _engine(setting):
    path = getattr(settings, setting, None)
    if not path:
        raise ImproperlyConfigured("djsession_switchover needs %s (a SESSION_ENGINE module path)" % setting)
    if path == __name__:
        raise ImproperlyConfigured("%s cannot be djsession_switchover itself" % setting)
    if path == "django.contrib.sessions.backends.signed_cookies":
        raise ImproperlyConfigured(
            "%s: signed_cookies keeps sessions in the browser; there is nothing to switch over" % setting)
    return import_module(path).SessionStore


class SessionStore(SessionBase):
    """Reads the new engine, falls back to the old one, writes the new one."""

    def __init__(self, session_key=None):
        self._new_class = _engine(NEW_SETTING)
        self._old_class = _engine(OLD_SETTING)
        super().__init__(session_key)

    @staticmethod
    def _loaded(store, key):
        """store.load() -> (found, data). The file engine answers an expired or
        undecodable session by creating one under a new key: that orphan is
        removed, and the session counts as missing."""
        data = store.load()
        if store.session_key == key:
            return True, data
        if store.session_key is not None:
            store.delete()
        return False, {}

    def load(self):
        key = self.session_key
        if key is None:
            return {}
        found, data = self._loaded(self._new_class(key), key)
        if found:
            return data
        found, data = self._loaded(self._old_class(key), key)
        if not found:
            self._session_key = None
            return {}
        copy = self._new_class(key)
        copy._session_cache = data
        try:
            copy.save(must_create=True)
        except CreateError:
            # Copied meanwhile by another request: that copy is the session now.
            found, data = self._loaded(self._new_class(key), key)
            if not found:
                self._session_key = None
                return {}
            return data
        except (TypeError, ValueError) as e:
            # A value the new engine's serializer cannot carry: serve the old
            # session uncopied; a save fails later as it would without us.
            logger.warning("djsession_switchover: session %s... not copied to the new engine: %s", key[:8], e)
            return data
        if not self._old_class().exists(key):
            # Logged out between the read and the copy: the copy must go too.
            self._new_class().delete(key)
            self._session_key = None
            return {}
        return data

    def exists(self, session_key):
        return self._new_class().exists(session_key) or self._old_class().exists(session_key)

    def create(self):
        for _ in range(10000):
            self._session_key = self._get_new_session_key()
            try:
                self.save(must_create=True)
            except CreateError:
                continue
            self.modified = True
            return
        raise RuntimeError("Unable to create a new session key in the new engine.")

    def save(self, must_create=False):
        if self.session_key is None:
            return self.create()
        key = self.session_key
        data = self._get_session(no_load=must_create)
        new = self._new_class(key)
        new._session_cache = data
        if must_create:
            if self._old_class().exists(key):
                raise CreateError
            new.save(must_create=True)
            return
        try:
            new.save(must_create=False)
        except UpdateError:
            # Still only in the old engine (loaded before the copy, or by a
            # process not yet switched): create it in the new one.
            if not self._old_class().exists(key):
                raise
            try:
                new.save(must_create=True)
            except CreateError:
                new.save(must_create=False)

    def delete(self, session_key=None):
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        self._old_class().delete(session_key)
        self._new_class().delete(session_key)

    @classmethod
    def clear_expired(cls):
        for setting in (NEW_SETTING, OLD_SETTING):
            _engine(setting).clear_expired()
