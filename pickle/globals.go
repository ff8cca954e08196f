package pickle

// The allowlist: the only (module, name) pairs a pickle may name, each with
// the one call shape CPython's pickler writes for it (checked in reduce.go).
// Everything here is data Django sessions really hold (pickle.md §4): no
// entry can reach the filesystem, the network or an interpreter.
type globalKind uint8

const (
	gDatetime     globalKind = iota + 1 // datetime.datetime(state[, tz])
	gDate                               // datetime.date(state)
	gTime                               // datetime.time(state[, tz])
	gTimedelta                          // datetime.timedelta(days, seconds, us)
	gTimezone                           // datetime.timezone(offset[, name])
	gDecimal                            // decimal.Decimal(str)
	gUUID                               // uuid.UUID: NEWOBJ () + BUILD {'int': n}
	gSet                                // builtins.set(list): protocols 2 and 3
	gFrozenSet                          // builtins.frozenset(list): protocols 2 and 3
	gBytes                              // builtins.bytes(): b'' at protocol 2
	gByteArray                          // builtins.bytearray([bytes]): protocols 2–4
	gCodecsEncode                       // _codecs.encode(str, 'latin1'): bytes at protocol 2
	gGetattr                            // builtins.getattr(zoneinfo.ZoneInfo, '_unpickle') only
	gZoneInfo                           // zoneinfo.ZoneInfo: only as getattr's first argument
	gPytzUTC                            // pytz._UTC(): Django 3.2's timezone.utc
	gPytzP                              // pytz._p(zone[, utcoffset, dst, tzname])
)

type global struct{ module, name string }

var allowlist = map[global]globalKind{
	{"datetime", "datetime"}:  gDatetime,
	{"datetime", "date"}:      gDate,
	{"datetime", "time"}:      gTime,
	{"datetime", "timedelta"}: gTimedelta,
	{"datetime", "timezone"}:  gTimezone,
	{"decimal", "Decimal"}:    gDecimal,
	{"uuid", "UUID"}:          gUUID,
	{"builtins", "set"}:       gSet,
	{"builtins", "frozenset"}: gFrozenSet,
	{"builtins", "bytes"}:     gBytes,
	{"builtins", "bytearray"}: gByteArray,
	{"_codecs", "encode"}:     gCodecsEncode,
	{"builtins", "getattr"}:   gGetattr,
	{"zoneinfo", "ZoneInfo"}:  gZoneInfo,
	{"pytz", "_UTC"}:          gPytzUTC,
	{"pytz", "_p"}:            gPytzP,
}

// globalNames is the reverse of allowlist, for the encoder.
var globalNames = func() map[globalKind]global {
	m := make(map[globalKind]global, len(allowlist))
	for g, k := range allowlist {
		m[k] = g
	}
	return m
}()

// A globalRef is an allowlisted global on the decoder's stack. It is not a
// value: a pickle whose result still holds one is refused.
type globalRef struct {
	kind globalKind
	global
}

// py3Module maps a protocol 0–2 module name to Python 3's, as pickle's
// fix_imports does (_compat_pickle.IMPORT_MAPPING; only the entry our
// allowlist needs).
func py3Module(module string, proto int) string {
	if proto < 3 && module == "__builtin__" {
		return "builtins"
	}
	return module
}

// py2Module is the reverse mapping the pickler applies below protocol 3.
func py2Module(module string, proto int) string {
	if proto < 3 && module == "builtins" {
		return "__builtin__"
	}
	return module
}
