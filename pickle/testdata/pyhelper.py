"""Differential-test helper for package pickle: one JSON request per line on
stdin, one JSON answer per line on stdout.

Values travel in a lossless description (see describe/build below):
strings and bytes as hex (strings as UTF-8 with surrogatepass), ints as
decimal strings, floats as their IEEE bits. build() interns every str and
shares equal bytes, tzinfo and 1-char objects, which is the identity model
the Go encoder assumes.
"""
import datetime
import decimal
import json
import math
import pickle
import struct
import sys
import uuid
import zoneinfo

_bytes_cache = {}
_tz_cache = {}


def build(d):
    if d is None or d is True or d is False:
        return d
    (k, v), = [(k, v) for k, v in d.items() if k not in ("tz", "safe", "nc", "name")] or [(None, None)]
    if k == "i":
        return int(v)
    if k == "f":
        return struct.unpack(">d", bytes.fromhex(v))[0]
    if k == "s":
        s = bytes.fromhex(v).decode("utf-8", "surrogatepass")
        if len(s) == 1 and ord(s) < 256:
            return s  # CPython's cached 1-char singleton, as json.loads gives
        return sys.intern(s)
    if k == "b":
        b = bytes.fromhex(v)
        return _bytes_cache.setdefault(b, b)
    if k == "ba":
        return bytearray(bytes.fromhex(v))
    if k == "l":
        return [build(x) for x in v]
    if k == "t":
        return tuple(build(x) for x in v)
    if k == "set":
        return set(build(x) for x in v)
    if k == "fs":
        return frozenset(build(x) for x in v)
    if k == "d":
        return {build(a): build(b) for a, b in v}
    if k == "dt":
        y, mo, da, h, mi, s, us, fold = v
        return datetime.datetime(y, mo, da, h, mi, s, us, tzinfo=build_tz(d["tz"]), fold=fold)
    if k == "date":
        return datetime.date(*v)
    if k == "time":
        h, mi, s, us, fold = v
        return datetime.time(h, mi, s, us, tzinfo=build_tz(d["tz"]), fold=fold)
    if k == "td":
        return datetime.timedelta(days=v[0], seconds=v[1], microseconds=v[2])
    if k == "dec":
        return decimal.Decimal(v)
    if k == "uuid":
        safe = [uuid.SafeUUID.unknown, uuid.SafeUUID.safe, uuid.SafeUUID.unsafe][d["safe"]]
        return uuid.UUID(hex=v, is_safe=safe)
    raise ValueError(d)


def build_tz(t):
    if t is None:
        return None
    if "utc" in t:
        return datetime.timezone.utc
    if "off" in t:
        key = (tuple(t["off"]), t.get("name"))
        if key not in _tz_cache:
            off = datetime.timedelta(days=t["off"][0], seconds=t["off"][1], microseconds=t["off"][2])
            _tz_cache[key] = datetime.timezone(off) if t.get("name") is None else datetime.timezone(off, sys.intern(t["name"]))
        return _tz_cache[key]
    if "zi" in t:
        key = sys.intern(t["zi"])
        return zoneinfo.ZoneInfo.no_cache(key) if t.get("nc") else zoneinfo.ZoneInfo(key)
    raise ValueError(t)


def describe(v):
    if v is None or v is True or v is False:
        return v
    t = type(v)
    if t is int:
        return {"i": str(v)}
    if t is float:
        return {"f": struct.pack(">d", v).hex()}
    if t is str:
        return {"s": v.encode("utf-8", "surrogatepass").hex()}
    if t is bytes:
        return {"b": v.hex()}
    if t is bytearray:
        return {"ba": bytes(v).hex()}
    if t is list:
        return {"l": [describe(x) for x in v]}
    if t is tuple:
        return {"t": [describe(x) for x in v]}
    if t is set:
        return {"set": [describe(x) for x in v]}
    if t is frozenset:
        return {"fs": [describe(x) for x in v]}
    if t is dict:
        return {"d": [[describe(a), describe(b)] for a, b in v.items()]}
    if t is datetime.datetime:
        return {"dt": [v.year, v.month, v.day, v.hour, v.minute, v.second, v.microsecond, v.fold], "tz": describe_tz(v.tzinfo)}
    if t is datetime.date:
        return {"date": [v.year, v.month, v.day]}
    if t is datetime.time:
        return {"time": [v.hour, v.minute, v.second, v.microsecond, v.fold], "tz": describe_tz(v.tzinfo)}
    if t is datetime.timedelta:
        return {"td": [v.days, v.seconds, v.microseconds]}
    if t is decimal.Decimal:
        return {"dec": str(v)}
    if t is uuid.UUID:
        return {"uuid": v.hex, "safe": {uuid.SafeUUID.unknown: 0, uuid.SafeUUID.safe: 1, uuid.SafeUUID.unsafe: 2}[v.is_safe]}
    raise TypeError(t)


def describe_tz(z):
    if z is None:
        return None
    if z is datetime.timezone.utc:
        return {"utc": 1}
    if type(z) is datetime.timezone:
        args = z.__getinitargs__()
        off = args[0]
        return {"off": [off.days, off.seconds, off.microseconds], "name": args[1] if len(args) > 1 else None}
    if isinstance(z, zoneinfo.ZoneInfo):
        return {"zi": z.key, "nc": z is not zoneinfo.ZoneInfo(z.key)}
    raise TypeError(type(z))


def strict_equal(a, b):
    if type(a) is not type(b):
        return False
    if type(a) is float:
        return (math.isnan(a) and math.isnan(b)) or struct.pack(">d", a) == struct.pack(">d", b)
    if type(a) in (list, tuple):
        return len(a) == len(b) and all(strict_equal(x, y) for x, y in zip(a, b))
    if type(a) is dict:
        return list(a.keys()) == list(b.keys()) and all(strict_equal(a[k], b[k]) for k in a)
    if type(a) in (datetime.datetime, datetime.time):
        return a == b and a.fold == b.fold and repr(a) == repr(b)
    if type(a) is decimal.Decimal:
        return str(a) == str(b)
    if type(a) is uuid.UUID:
        return a == b and a.is_safe == b.is_safe
    return a == b


def main():
    for line in sys.stdin:
        req = json.loads(line)
        try:
            if req["op"] == "dumps":
                v = build(req["value"])
                ans = {"desc": describe(v), "pickles": {str(p): pickle.dumps(v, p).hex() for p in req["protocols"]}}
            elif req["op"] == "check":
                # Does Go's pickle load to the value build() makes?
                v = build(req["value"])
                got = pickle.loads(bytes.fromhex(req["hex"]))
                ans = {"equal": strict_equal(got, v), "got": repr(got)[:300]}
            else:
                raise ValueError(req["op"])
        except Exception as e:  # report, keep serving
            ans = {"error": "%s: %s" % (type(e).__name__, e)}
        sys.stdout.write(json.dumps(ans) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
