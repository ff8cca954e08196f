package pickle

import (
	"math/big"
)

// saveOther writes the datetime, decimal and uuid types as CPython's
// __reduce_ex__ of each class describes them, and the Go conveniences.
func (e *encoder) saveOther(v any) error {
	switch x := v.(type) {
	case Datetime:
		if !validDate(x.Year, x.Month, x.Day) || !validClock(x.Hour, x.Minute, x.Second, x.Microsecond, x.Fold) || !validTZ(x.TZ) {
			return encErr(ErrUnsupported, "invalid datetime.datetime %+v", x)
		}
		m := byte(x.Month)
		if x.Fold == 1 && e.proto > 3 {
			m |= 0x80 // fold is pickled from protocol 4 on only
		}
		us := x.Microsecond
		st := stateBytes{byte(x.Year >> 8), byte(x.Year), m, byte(x.Day), byte(x.Hour), byte(x.Minute),
			byte(x.Second), byte(us >> 16), byte(us >> 8), byte(us)}
		return e.saveReduce(gDatetime, withTZ(freshTuple{st}, x.TZ), nil)
	case Date:
		if !validDate(x.Year, x.Month, x.Day) {
			return encErr(ErrUnsupported, "invalid datetime.date %+v", x)
		}
		return e.saveReduce(gDate, freshTuple{stateBytes{byte(x.Year >> 8), byte(x.Year), byte(x.Month), byte(x.Day)}}, nil)
	case Time:
		if !validClock(x.Hour, x.Minute, x.Second, x.Microsecond, x.Fold) || !validTZ(x.TZ) {
			return encErr(ErrUnsupported, "invalid datetime.time %+v", x)
		}
		h := byte(x.Hour)
		if x.Fold == 1 && e.proto > 3 {
			h |= 0x80
		}
		us := x.Microsecond
		st := stateBytes{h, byte(x.Minute), byte(x.Second), byte(us >> 16), byte(us >> 8), byte(us)}
		return e.saveReduce(gTime, withTZ(freshTuple{st}, x.TZ), nil)
	case Timedelta:
		if !x.valid() {
			return encErr(ErrUnsupported, "timedelta not in Python's normalized form: %+v", x)
		}
		return e.saveReduce(gTimedelta, freshTuple{int64(x.Days), int64(x.Seconds), int64(x.Microseconds)}, nil)
	case Decimal:
		if !validDecimal(string(x)) {
			return encErr(ErrUnsupported, "invalid decimal.Decimal string")
		}
		return e.saveReduce(gDecimal, freshTuple{freshStr(x)}, nil)
	case UUID:
		return e.saveUUID(x)
	case Timezone, PytzUTC, PytzZone, ZoneInfo:
		return e.saveTZ(x.(TZInfo))
	case zoneUnpickleObj:
		// A bound method reduces to getattr(ZoneInfo, '_unpickle'): a new
		// method object, and a new name string, each time.
		return e.saveReduce(gGetattr, freshTuple{globalObj(gZoneInfo), freshStr("_unpickle")}, nil)
	}
	if n, ok := normalize(v); ok {
		return e.save(n)
	}
	return encErr(ErrUnsupported, "Go type %T has no pickle form", v)
}

func withTZ(args freshTuple, tz TZInfo) freshTuple {
	if tz != nil {
		return append(args, tz)
	}
	return args
}

// saveTZ writes a tzinfo once per pickle: later uses fetch it from the memo,
// as CPython does for the timezone.utc and pytz.utc singletons and for
// ZoneInfo's per-key cache.
func (e *encoder) saveTZ(tz TZInfo) error {
	key := tzKey{tz}
	if ok, err := e.fetch(key); ok {
		return err
	}
	if !validTZ(tz) {
		return encErr(ErrUnsupported, "invalid tzinfo %#v", tz)
	}
	switch z := tz.(type) {
	case Timezone:
		args := freshTuple{z.Offset}
		if z.HasName {
			args = append(args, z.Name)
		}
		return e.saveReduce(gTimezone, args, key)
	case PytzUTC:
		return e.saveReduce(gPytzUTC, freshTuple{}, key)
	case PytzZone:
		args := freshTuple{z.Zone}
		if !z.Static {
			args = append(args, int64(z.UTCOffset), int64(z.DST), z.TZName)
		}
		return e.saveReduce(gPytzP, args, key)
	case ZoneInfo:
		src := int64(1)
		if z.NoCache {
			src = 0
		}
		return e.saveReduce(zoneUnpickleObj{}, freshTuple{z.Key, src}, key)
	}
	return encErr(ErrUnsupported, "tzinfo %T", tz)
}

// saveUUID writes copyreg.__newobj__(UUID) + BUILD with UUID.__getstate__().
func (e *encoder) saveUUID(u UUID) error {
	if err := e.saveGlobal(gUUID); err != nil {
		return err
	}
	if err := e.saveTuple(nil, nil); err != nil {
		return err
	}
	e.write(opNewObj)
	e.memoize(nil)
	e.boundary()
	// The state dict is new; its keys are interned attribute names.
	e.write(opEmptyDict)
	e.memoize(nil)
	n := new(big.Int).SetBytes(u.Bytes[:])
	var safe int64
	switch u.IsSafe {
	case UUIDSafeUnknown:
		if err := e.save("int"); err != nil {
			return err
		}
		if err := e.save(n); err != nil {
			return err
		}
		e.write(opSetItem, opBuild)
		return nil
	case UUIDSafe:
		safe = 0
	case UUIDUnsafe:
		safe = -1
	default:
		return encErr(ErrUnsupported, "invalid SafeUUID %d", u.IsSafe)
	}
	e.write(opMark)
	for _, v := range []any{"int", n, "is_safe", safe} {
		if err := e.save(v); err != nil {
			return err
		}
	}
	e.write(opSetItems, opBuild)
	return nil
}
