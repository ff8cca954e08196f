package signing

import (
	"strconv"
	"time"
)

// sentinel is an error value that may belong to a broader class: errors.Is
// matches it against its parent as well as itself.
type sentinel struct {
	msg    string
	parent error
}

func (e *sentinel) Error() string { return e.msg }
func (e *sentinel) Unwrap() error { return e.parent }

var (
	// ErrBadSignature reports a value that must not be trusted: the separator
	// is missing, or the signature does not match under any configured key,
	// salt and algorithm. It is Django's BadSignature.
	ErrBadSignature error = &sentinel{msg: "signing: bad signature"}

	// ErrSignatureExpired reports a correctly signed value whose timestamp is
	// older than the maximum age the caller allowed. Like Django's
	// SignatureExpired, a subclass of BadSignature, it also matches
	// ErrBadSignature with errors.Is. The concrete error is an *ExpiredError.
	ErrSignatureExpired error = &sentinel{msg: "signing: signature expired", parent: ErrBadSignature}

	// ErrMalformed reports a value whose signature is valid, so it was made
	// by a holder of the key, but whose content cannot be decoded: a missing
	// timestamp, bad base62 or base64, a broken zlib stream, or data the
	// serializer refuses as invalid. Django raises ValueError,
	// binascii.Error, zlib.error or JSONDecodeError in these cases.
	// Serializer errors are wrapped, so errors.Is also finds the
	// serializer's own sentinels. A value beyond a limit is not malformed:
	// see ErrLimit.
	ErrMalformed error = &sentinel{msg: "signing: malformed signed value"}

	// ErrLimit reports a value refused because it exceeds one of the limits
	// Go applies in both directions, not because it is corrupt: a signed
	// payload that inflates past Options.MaxDecompressedSize (ErrTooLarge),
	// JSON nested deeper than pyjson.MaxDepth (pyjson.ErrTooDeep), an integer
	// longer than 4300 digits (pyjson.ErrIntTooLong), a pickle beyond
	// pickle.Options (pickle.ErrTooLarge, pickle.ErrTooDeep), or any
	// serializer error that matches ErrLimit (see IsLimit). Django may have
	// read such a value fine, so a caller must never write over it as if it
	// were garbage. When signing, the same errors refuse a value that Go
	// could not read back.
	ErrLimit error = &sentinel{msg: "signing: exceeds a limit"}

	// ErrTooLarge reports a payload larger than Options.MaxDecompressedSize:
	// a compressed payload that inflates beyond it when unsigning, or a
	// serialized value longer than it when signing. It matches ErrLimit, and
	// never ErrMalformed.
	ErrTooLarge error = &sentinel{msg: "signing: payload too large", parent: ErrLimit}

	// ErrNoKey reports Options without a Key. Django falls back to
	// settings.SECRET_KEY; Go has no settings, so the key is required.
	ErrNoKey error = &sentinel{msg: "signing: no key"}

	// ErrUnsafeSeparator reports a separator Django refuses because it could
	// occur inside a base64 signature or payload.
	ErrUnsafeSeparator error = &sentinel{msg: "signing: unsafe separator"}

	// ErrInvalidAlgorithm reports an algorithm name that is not one of the
	// hashlib names Django accepts.
	ErrInvalidAlgorithm error = &sentinel{msg: "signing: invalid algorithm"}
)

// ExpiredError is the concrete error for an expired timestamp. It matches
// ErrSignatureExpired and ErrBadSignature with errors.Is, and its message is
// Django's: "Signature age 100.5 > 100 seconds".
type ExpiredError struct {
	Age    float64       // seconds between the signing time and now
	MaxAge time.Duration // the limit the caller passed
}

// Error returns Django's message, "Signature age <age> > <max_age> seconds",
// with the numbers in their shortest form.
func (e *ExpiredError) Error() string {
	return "signing: Signature age " + formatSeconds(e.Age) + " > " +
		formatSeconds(e.MaxAge.Seconds()) + " seconds"
}

// Unwrap makes errors.Is(err, ErrSignatureExpired) and
// errors.Is(err, ErrBadSignature) true.
func (e *ExpiredError) Unwrap() error { return ErrSignatureExpired }

func formatSeconds(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// wrapped is a sentinel with context: Error prints the sentinel's message,
// a colon and the detail; errors.Is sees the sentinel and, if present, the
// cause.
type wrapped struct {
	kind   error
	detail string
	cause  error
}

func (e *wrapped) Error() string {
	s := e.kind.Error() + ": " + e.detail
	if e.cause != nil {
		s += ": " + e.cause.Error()
	}
	return s
}

func (e *wrapped) Unwrap() []error {
	if e.cause == nil {
		return []error{e.kind}
	}
	return []error{e.kind, e.cause}
}

func errorf(kind error, detail string) error { return &wrapped{kind: kind, detail: detail} }

func wrapErr(kind error, detail string, cause error) error {
	return &wrapped{kind: kind, detail: detail, cause: cause}
}

// errMismatch and friends are preallocated: the hot reject path allocates
// nothing. Their messages never carry the signature or the value.
var (
	errMismatch = errorf(ErrBadSignature, "signature does not match")
	errNoTSSep  = errorf(ErrMalformed, "no timestamp separator in signed value")
)

func errNoSep(sep string) error {
	return errorf(ErrBadSignature, "No "+strconv.Quote(sep)+" found in value")
}
