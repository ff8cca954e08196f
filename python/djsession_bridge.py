"""
A SESSION_SERIALIZER for moving a Django site from PickleSerializer to
JSONSerializer without logging anyone out.

Django 4.1 deprecated and 5.0 removed PickleSerializer; a site that switches
straight to JSONSerializer reads every stored pickle session as empty, which
logs every user out. During the move, this serializer reads what either
serializer wrote (a pickle starts with the PROTO opcode, byte 0x80, which no
JSON text does) and writes JSON, except for a session holding a value JSON
cannot carry as the same Python value (a datetime, a set, a tuple, bytes, a
Decimal, a UUID, a dict with non-str keys...), which it keeps writing as pickle
so that no request fails while the code that stores such values is fixed.
djsession's Go side does the same with manage.Bridge
(django.BridgeSerializer, whose name is this class's dotted path), so a Go
service and Django read each other's sessions whichever serializer wrote them.

    # settings.py, for the move (Django 3.2 to 6.1): this file on the Python path
    SESSION_SERIALIZER = "djsession_bridge.BridgeSerializer"

The steps, in order:
  1. Deploy Django with the setting above (Go services: manage.Bridge of their
     settings). Sessions keep loading; every save writes JSON.
  2. Run `djsession convert-serializer --to json` with the site's settings
     (--django-version 4.2 --session-serializer pickle --allow-pickle): every
     stored pickle session (db, cached_db, file) that JSON can carry is
     rewritten as JSON, in place, never over a session Django saved meanwhile.
  3. Fix the code that stores the value types the report counts (store a
     datetime as its isoformat(), a set or a tuple as a list...) and run step 2
     again until nothing is left (or accept that those users log in again).
     signed_cookies sessions cannot be converted server-side: wait
     SESSION_COOKIE_AGE after step 1 instead.
  4. Remove SESSION_SERIALIZER (JSONSerializer is the default) on Django and
     in Go, then upgrade Django to 5.x if that was the goal.

Reading pickle keeps the risk of PickleSerializer while the bridge is in place:
whoever knows SECRET_KEY can make the site run code. Keep step 1 to step 4
short.
"""
import json
import pickle

__all__ = ["BridgeSerializer", "json_carries"]

# The PROTO opcode that starts every pickle of protocol 2 and above; Django's
# PickleSerializer writes pickle.HIGHEST_PROTOCOL.
_PROTO = b"\x80"


def json_carries(value):
    """True when json.loads(json.dumps(value)) == value with the same types:
    only None, bool, int, float, str, lists and dicts with str keys."""
    t = type(value)
    if value is None or t is bool or t is int or t is float or isinstance(value, str):
        return True
    if t is list:
        return all(json_carries(v) for v in value)
    if t is dict:
        return all(type(k) is str and json_carries(v) for k, v in value.items())
    return False


class BridgeSerializer:
    """Reads JSONSerializer and PickleSerializer data; writes JSON, or pickle
    for a session JSON cannot carry (see json_carries)."""

    protocol = pickle.HIGHEST_PROTOCOL

    def dumps(self, obj):
        if json_carries(obj):
            # django.core.signing.JSONSerializer, byte for byte.
            return json.dumps(obj, separators=(",", ":")).encode("latin-1")
        return pickle.dumps(obj, self.protocol)

    def loads(self, data):
        if data[:1] == _PROTO:
            return pickle.loads(data)
        return json.loads(data.decode("latin-1"))
