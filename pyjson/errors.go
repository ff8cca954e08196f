package pyjson

import (
	"errors"
	"fmt"
)

// MaxDepth is the deepest nesting of lists and dicts, in both directions:
// Unmarshal refuses deeper input and Marshal refuses to write a deeper value
// (or one that contains itself), both with ErrTooDeep. One limit for both
// directions means Go never writes a session that Go could not read back.
//
// It is well below CPython's own limit so that Django can read whatever Go
// writes. CPython 3.11 (the Python of Django 3.2 to 5.2 here) raises
// RecursionError, in json.loads and json.dumps alike, at 1000 levels minus
// the depth of the caller's stack: 992 from the top level of a script, 892
// from 100 frames down. Django decodes a session lazily, at its first read,
// which can be deep inside middleware, a view or a template; 500 leaves the
// other half of the recursion limit to them. (CPython 3.13 allows 9998.)
const MaxDepth = 500

// maxIntDigits is CPython's default sys.get_int_max_str_digits() (3.11+, and
// the 3.7–3.10 security releases): longer decimal ints raise ValueError in
// both json.loads and json.dumps.
const maxIntDigits = 4300

var (
	// ErrSyntax is matched (errors.Is) by every *SyntaxError: the input is not
	// JSON that Python's json.loads accepts.
	ErrSyntax = errors.New("pyjson: invalid JSON")

	// ErrIntTooLong reports an integer of more than 4300 decimal digits, which
	// Python refuses with ValueError ("Exceeds the limit (4300 digits) for
	// integer string conversion") when loading and when dumping; Unmarshal
	// and Marshal refuse it alike. Like ErrTooDeep, it reports a limit, not
	// corrupt data.
	ErrIntTooLong = errors.New("pyjson: exceeds the limit (4300 digits) for integer string conversion")

	// ErrTooDeep reports nesting deeper than MaxDepth: input that Unmarshal
	// refuses (Python's RecursionError), or a value that Marshal refuses to
	// write, because it is deeper or contains itself. It means "beyond a
	// limit", not "corrupt": the input may be valid JSON.
	ErrTooDeep = errors.New("pyjson: nesting too deep")

	// ErrUnsupportedType reports a Go value with no Python JSON meaning, as
	// Python's "TypeError: Object of type X is not JSON serializable".
	ErrUnsupportedType = errors.New("pyjson: unsupported type")

	// ErrInvalidUTF8 reports a Go string that is neither UTF-8 nor WTF-8 (a
	// lone surrogate): Marshal never replaces bytes silently.
	ErrInvalidUTF8 = errors.New("pyjson: invalid UTF-8 in string")

	// ErrNotDict reports, from UnmarshalDict, valid JSON whose top-level value
	// is not an object.
	ErrNotDict = errors.New("pyjson: top-level value is not a dict")
)

// A SyntaxError is CPython's json.JSONDecodeError: a message such as
// "Expecting value" and the position where the decoder stopped.
//
// Because the input is read as latin-1, Python's character index is also the
// byte offset, so Offset indexes the input slice directly.
type SyntaxError struct {
	Msg    string // CPython's message, e.g. "Expecting ',' delimiter"
	Offset int    // 0-based character (= byte) index: Python's "char"
	Line   int    // 1-based line: Python's "line"
	Column int    // 1-based column: Python's "column"
}

// newSyntaxError computes line and column the way json.JSONDecodeError does:
// lines are counted by '\n' only.
func newSyntaxError(data []byte, msg string, pos int) *SyntaxError {
	line, lastNL := 1, -1
	for i := 0; i < pos && i < len(data); i++ {
		if data[i] == '\n' {
			line++
			lastNL = i
		}
	}
	return &SyntaxError{Msg: msg, Offset: pos, Line: line, Column: pos - lastNL}
}

// PythonMessage returns the text str(JSONDecodeError) would show in Python,
// e.g. "Expecting value: line 1 column 1 (char 0)".
func (e *SyntaxError) PythonMessage() string {
	return fmt.Sprintf("%s: line %d column %d (char %d)", e.Msg, e.Line, e.Column, e.Offset)
}

// Error returns "pyjson: " followed by PythonMessage.
func (e *SyntaxError) Error() string { return "pyjson: " + e.PythonMessage() }

// Is makes errors.Is(err, ErrSyntax) true for every *SyntaxError.
func (e *SyntaxError) Is(target error) bool { return target == ErrSyntax }
