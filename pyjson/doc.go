// Package pyjson holds Python values in Go and reads and writes them exactly as
// Django's JSONSerializer does: json.dumps(obj, separators=(",", ":")) and
// json.loads(data.decode("latin-1")), byte for byte.
//
// # The value model
//
// A Python value decoded by [Unmarshal] is always one of these Go types, and
// [Marshal] writes them back to the bytes Python would write:
//
//	Python        Go
//	None          nil
//	bool          bool
//	int           int64, or *big.Int when the value does not fit in an int64
//	float         float64 (NaN and ±Inf included: Python writes NaN, Infinity, -Infinity)
//	str           string (UTF-8; see below for lone surrogates)
//	list, tuple   []any (a tuple becomes a list, as in Python's json)
//	dict          *Dict (insertion-ordered, string keys)
//
// int and float stay apart: 1 is int64(1) and 1.0 is float64(1), because
// Python prints them differently ("1" and "1.0") and a session must re-encode
// to the same bytes. The decoder never produces a *big.Int whose value fits in
// an int64, so a type switch on int64 catches every ordinary integer.
//
// A Python str may hold a lone surrogate (U+D800–U+DFFF), which JSON can carry
// as "\ud83d" but UTF-8 cannot. Such a code point is stored as its 3-byte
// WTF-8 form (0xED 0xA0–0xBF 0x80–0xBF), so it survives a round trip and is
// written back as "\ud83d". Every other string is valid UTF-8.
//
// # Convenience inputs
//
// Marshal also accepts common Go values that have an obvious Python meaning:
// every integer kind, float32, big.Int, []string, []int, []int64, []float64,
// map[string]any and map[string]string. A Go map has no order, so its keys are
// written sorted; use a *Dict whenever the order matters (it always does for
// bytes that Django must reproduce). [Dict.Set] turns Go integer kinds and
// float32 into int64 and float64, so the typed getters find them.
//
// # Decoding rules
//
// Unmarshal reads every byte as one latin-1 code point, as Django does: the
// raw bytes 0xC3 0xA9 become the two characters "Ã©", not "é" (Django itself
// only ever writes ASCII). It then follows CPython's json.loads: any value at
// top level, NaN/Infinity/-Infinity, arbitrarily large ints (up to Python's
// 4300-digit limit), the last duplicate key wins at the first key's position,
// and errors carry CPython's message and position (see [SyntaxError]).
//
// # Values decoded when read
//
// When the top-level value is a dict, as session data always is, Unmarshal
// decodes its keys and checks its whole text, but decodes each value only
// when it is first read (Get, Range, Pop, Equal, Clone, Marshal...). Nothing
// of this shows but the time it saves: an input is accepted or refused, with
// the same error, exactly as if it had been decoded at once; a value read
// later is the value the whole decode would have given; concurrent reads stay
// safe. A request that reads two keys of an 8 KB session pays for validating
// the text and decoding those two values only.
//
// A value nobody read whose text is exactly what Marshal writes for it (any
// value Django or Marshal wrote, floats apart) is written back as that text,
// so re-encoding a session after changing one key costs little more than a
// copy of the others.
package pyjson
