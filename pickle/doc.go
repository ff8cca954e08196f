// Package pickle reads and writes the Python pickles that Django sessions
// live in: the cache and cached_db engines store the session dict pickled
// (memcached, Redis, django-redis), and sites on Django ≤ 4.2 may use
// PickleSerializer for session_data. Output is byte-identical to CPython's
// C pickler (protocols 2 to 5) for the value model; input is limited to a
// safe subset, and nothing is ever executed or imported.
//
// # The value model
//
// Values are those of package pyjson (nil, bool, int64, *big.Int, float64,
// string, []any, *pyjson.Dict) plus the types only pickle carries:
//
//	Python                        Go
//	bytes / bytearray             Bytes / ByteArray
//	tuple                         Tuple
//	set / frozenset               Set / FrozenSet (elements in pickle order)
//	dict with a non-str key       *Map (a dict with only str keys is a *pyjson.Dict)
//	datetime.datetime/date/time   Datetime / Date / Time (tzinfo: Timezone,
//	                              PytzUTC, PytzZone, ZoneInfo)
//	datetime.timedelta            Timedelta
//	decimal.Decimal               Decimal (its string)
//	uuid.UUID                     UUID
//
// Marshal also accepts Go integer kinds, float32, []byte, []string,
// map[string]any (keys sorted) and time.Time (see DatetimeOf). Use Equal, not
// pyjson.Equal, to compare values that may hold the types above.
//
// A str may carry a lone surrogate; pickle writes it with surrogatepass,
// which is exactly the WTF-8 form package pyjson uses, so such strings
// round-trip unchanged.
//
// # The safe subset
//
// Unmarshal implements the data opcodes of protocols 2–5 (including FRAME and
// every memo form) and resolves only the globals on a fixed allowlist, each
// in the one shape CPython writes for it: datetime.datetime/date/time (their
// byte state, plus a tzinfo), datetime.timedelta (three ints),
// datetime.timezone (offset[, name]), decimal.Decimal (a str), uuid.UUID
// (NEWOBJ then BUILD with {'int': n[, 'is_safe': s]}), builtins.set/frozenset
// (a list), builtins.bytes (no argument), builtins.bytearray, _codecs.encode
// (str, 'latin1') for protocol-2 bytes, pytz._UTC and pytz._p (Django 3.2),
// and getattr(zoneinfo.ZoneInfo, '_unpickle') followed by (key, 0 or 1).
// Any other global is refused at the GLOBAL or STACK_GLOBAL opcode itself,
// before anything else happens, and so are INST, OBJ, NEWOBJ_EX, EXT*,
// PERSID, buffers, protocol 0/1 opcodes, and BUILD or NEWOBJ on anything but
// a UUID. A refused pickle is an error wrapping ErrRefused: never a partial
// or empty value. Input size, nesting, and the number of items (shared
// references counted where they appear) are bounded by Options; a declared
// length is checked against the remaining input before anything is
// allocated, and no input makes Unmarshal panic. Within those bounds the
// work is linear in the input: each object is hashed once as a set element
// or dict key, however many references share it. UnmarshalContext also
// stops when a context is done, for a decode that must keep to a deadline.
//
// Django itself unpickles whatever its cache returns: anyone who can write
// to a shared memcached or Redis can run code in every Django process. This
// package protects the Go side only.
//
// # Identity
//
// Pickle's memo records objects by identity, which shapes the bytes
// (BINGET instead of a second copy). Marshal reproduces CPython's choices
// for values built the way Django builds them; see Marshal for the rules.
// CPython still accepts any pickle Marshal writes, and Unmarshal keeps
// sharing: a list fetched twice from the memo is one Go slice.
package pickle
