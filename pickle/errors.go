package pickle

import (
	"errors"
	"fmt"
)

// The sentinel errors. Every error from Unmarshal and Marshal is an *Error
// that matches exactly one of ErrRefused, ErrMalformed or ErrUnsupported with
// errors.Is; ErrTooLarge and ErrTooDeep additionally match ErrRefused.
var (
	// ErrRefused reports a pickle outside the safe subset: a global that is
	// not on the allowlist, an allowlisted global used in a shape CPython
	// never writes for it, or an opcode that can run code (BUILD, INST, OBJ,
	// NEWOBJ, EXT*, PERSID...). The input may be a valid pickle; djsession
	// declines to interpret it. Log it: in a shared cache it can be an attack.
	ErrRefused = errors.New("pickle: refused")

	// ErrMalformed reports input that is not a valid pickle at all: truncated,
	// an unknown opcode, a stack or memo inconsistency, invalid UTF-8, a date
	// out of range. CPython's pickle.loads would raise too.
	ErrMalformed = errors.New("pickle: malformed")

	// ErrTooLarge reports input longer than Options.MaxSize, or a value with
	// more than Options.MaxItems elements (shared references counted at
	// every place they appear, so a "billion laughs" pickle stops here).
	// It matches ErrRefused as well: the pickle may be valid, it exceeds
	// a limit chosen by policy.
	ErrTooLarge = errors.New("pickle: too large")

	// ErrTooDeep reports containers nested deeper than Options.MaxDepth, or
	// a value that contains itself (Python can pickle a list holding itself;
	// no Go consumer of a session could walk it). It matches ErrRefused.
	ErrTooDeep = errors.New("pickle: nesting too deep")

	// ErrUnsupported reports, from Marshal, a Go value with no meaning in
	// the value model (a channel, a struct...), or a protocol outside 2–5.
	ErrUnsupported = errors.New("pickle: unsupported value")
)

// An Error describes why a pickle was not decoded or a value not encoded.
// It never quotes string or bytes payloads from the input (they may hold
// session secrets), only opcode names, global names and offsets.
type Error struct {
	Kind   error // one of the sentinels above
	Offset int   // byte offset of the opcode in the input; -1 when encoding
	Msg    string
}

// Error formats the kind, the message and the offset.
func (e *Error) Error() string {
	if e.Offset >= 0 {
		return fmt.Sprintf("%v: %s (at offset %d)", e.Kind, e.Msg, e.Offset)
	}
	return fmt.Sprintf("%v: %s", e.Kind, e.Msg)
}

// Unwrap returns the sentinel, so errors.Is(err, ErrRefused) works.
func (e *Error) Unwrap() error { return e.Kind }

// Is makes ErrTooLarge and ErrTooDeep also match ErrRefused.
func (e *Error) Is(target error) bool {
	return target == ErrRefused && (e.Kind == ErrTooLarge || e.Kind == ErrTooDeep)
}

func encErr(kind error, format string, args ...any) error {
	return &Error{Kind: kind, Offset: -1, Msg: fmt.Sprintf(format, args...)}
}
