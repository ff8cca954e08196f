package cache

import (
	"bytes"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"unicode/utf8"

	"github.com/djsession/djsession/pickle"
	"github.com/djsession/djsession/pyjson"
	"github.com/djsession/djsession/signing"
)

// The memcached client flags Django's memcached libraries use (pymemcache's
// names; python-memcached and pylibmc use the same bits).
const (
	flagBytes      uint32 = 0      // bytes, stored raw
	flagPickle     uint32 = 1 << 0 // a pickle
	flagInteger    uint32 = 1 << 1 // an int as ASCII decimal (pylibmc: a bool)
	flagLong       uint32 = 1 << 2 // an int as ASCII decimal (pylibmc)
	flagCompressed uint32 = 1 << 3 // zlib stream of the value (pylibmc, python-memcached)
	flagText       uint32 = 1 << 4 // str, UTF-8
)

// intText returns the decimal text of a Python int value, or false when v
// is not an int (a bool is not).
func intText(v any) ([]byte, bool) {
	switch x := v.(type) {
	case int64:
		return strconv.AppendInt(nil, x, 10), true
	case int:
		return strconv.AppendInt(nil, int64(x), 10), true
	case int32:
		return strconv.AppendInt(nil, int64(x), 10), true
	case *big.Int:
		if x == nil {
			return nil, false
		}
		return x.Append(nil, 10), true
	}
	return nil, false
}

// encodeMemcached is the serializer of lib: the bytes and flags a value is
// stored with.
func encodeMemcached(lib MemcachedLibrary, v any, protocol int) ([]byte, uint32, error) {
	switch x := v.(type) {
	case pickle.Bytes:
		return x, flagBytes, nil
	case []byte:
		return x, flagBytes, nil
	case string:
		return []byte(x), flagText, nil
	case bool:
		if lib == PyLibMCCache {
			if x {
				return []byte("1"), flagInteger, nil
			}
			return []byte("0"), flagInteger, nil
		}
	}
	if b, ok := intText(v); ok {
		if lib == PyLibMCCache {
			return b, flagLong, nil
		}
		return b, flagInteger, nil
	}
	data, err := pickle.Marshal(v, protocol)
	if err != nil {
		return nil, 0, fmt.Errorf("cache: pickling the value: %w", err)
	}
	return data, flagPickle, nil
}

// decodeMemcached reads a stored item the way all three libraries agree
// on: bit 8 inflates first; then 0 is bytes, bit 16 UTF-8 text, 2 or 4 a
// decimal int, 1 a pickle, decoded within ctx (see unpickle).
func decodeMemcached(ctx context.Context, flags uint32, data []byte) (any, error) {
	if flags&flagCompressed != 0 {
		var err error
		if data, err = inflate(data); err != nil {
			return nil, fmt.Errorf("%w: flags %d: %w", ErrBadValue, flags, err)
		}
		flags &^= flagCompressed
	}
	switch {
	case flags == flagBytes:
		return pickle.Bytes(bytes.Clone(data)), nil
	case flags&flagText != 0:
		if !utf8.Valid(data) {
			return nil, fmt.Errorf("%w: text value is not UTF-8", ErrBadValue)
		}
		return string(data), nil
	case flags&(flagInteger|flagLong) != 0:
		n, ok := parsePyInt(data)
		if !ok {
			return nil, fmt.Errorf("%w: integer value is not a decimal number", ErrBadValue)
		}
		return n, nil
	case flags&flagPickle != 0:
		return unpickle(ctx, data)
	}
	return nil, fmt.Errorf("%w: unknown memcached flags %d", ErrBadValue, flags)
}

// unpickle decodes a fetched pickle under the request's context: the
// decode is part of the call the caller bounded, so a value that takes
// longer than the deadline to decode fails as a server too slow to answer
// would, with django.ErrBackend and the context's error, not ErrBadValue
// (the value may well be good).
func unpickle(ctx context.Context, data []byte) (any, error) {
	v, err := pickle.UnmarshalContext(ctx, data, pickle.Options{})
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil && errors.Is(err, ctxErr) {
			return nil, backendErr("decoding the value", err)
		}
		return nil, fmt.Errorf("%w: %w", ErrBadValue, err)
	}
	return v, nil
}

// errNotZlib is zlib.error: the value is not a complete zlib stream.
var errNotZlib = errors.New("cache: not a complete zlib stream")

// inflate is zlib.decompress, bounded by the largest pickle the decoder
// takes (and Marshal writes): a value that inflates further is refused
// with signing.ErrTooLarge (a limit, signing.ErrLimit), as signed data is,
// and not as corrupt data, which Django may read fine. Data that is not
// zlib is an error that names no class: signing's ErrMalformed speaks of
// signed data (and SESSION_SERIALIZER), which a cache value is not.
func inflate(data []byte) ([]byte, error) {
	out, err := signing.Decompress(data, pickle.DefaultMaxSize)
	if err != nil && !errors.Is(err, signing.ErrTooLarge) {
		return nil, errNotZlib
	}
	return out, err
}

// deflate is zlib.compress(data, 6). The stream is valid zlib, though not
// always the bytes CPython's zlib would produce.
func deflate(data []byte) ([]byte, error) {
	var b bytes.Buffer
	w, err := zlib.NewWriterLevel(&b, 6)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(data); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// parsePyInt is Python's int(b) for bytes: optional surrounding ASCII
// whitespace, an optional sign, decimal digits with single underscores
// between them. The result is an int64, or a *big.Int when it does not fit.
func parsePyInt(b []byte) (any, bool) {
	isSpace := func(c byte) bool { return c == ' ' || c >= '\t' && c <= '\r' }
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	neg := false
	if len(b) > 0 && (b[0] == '+' || b[0] == '-') {
		neg = b[0] == '-'
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 4300 { // CPython's default int max str digits
		return nil, false
	}
	digits := make([]byte, 0, len(b)+1)
	if neg {
		digits = append(digits, '-')
	}
	for i, c := range b {
		switch {
		case c >= '0' && c <= '9':
			digits = append(digits, c)
		case c == '_' && i > 0 && i < len(b)-1 && b[i-1] != '_':
			if b[i+1] < '0' || b[i+1] > '9' {
				return nil, false
			}
		default:
			return nil, false
		}
	}
	if n, err := strconv.ParseInt(string(digits), 10, 64); err == nil {
		return n, true
	}
	n, ok := new(big.Int).SetString(string(digits), 10)
	if !ok {
		return nil, false
	}
	return n, true
}

// sessionFromValue returns the session dict of a value read from a cache:
// Django stores the dict itself. Anything else (an int, a str, a dict with
// keys that are not all str) is ErrBadValue.
func sessionFromValue(v any) (*pyjson.Dict, error) {
	d, ok := v.(*pyjson.Dict)
	if !ok || d == nil {
		return nil, fmt.Errorf("%w: the cached session is a %s, not a dict with str keys", ErrBadValue, typeName(v))
	}
	return d, nil
}

func typeName(v any) string {
	switch v.(type) {
	case *pickle.Map:
		return "dict with non-str keys"
	}
	return pickle.TypeName(v)
}
