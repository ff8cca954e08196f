// Package signing is a byte-for-byte port of Django's django.core.signing.
//
// Django signs data so that it can travel through untrusted hands (a cookie,
// a URL, a cache) and be trusted again when it comes back. A signed value is
// the value itself, a separator, and a keyed hash of the value:
//
//	hello:GxEv94nXi4aU2JUpfUHFS6ekQVOoeY-aTaHY96z6-sM
//
// Nothing is encrypted: anyone can read the value, but without the secret key
// nobody can change it without the signature failing to match. The pieces,
// from the bottom up:
//
//   - [SaltedHMAC] is Django's salted_hmac: an HMAC whose key is the hash of a
//     purpose-specific salt followed by the secret, so that one SECRET_KEY
//     yields independent keys for independent uses.
//   - [B64Encode]/[B64Decode] and [B62Encode]/[B62Decode] are the text
//     encodings Django uses for signatures, payloads and timestamps.
//   - [Signer] appends and checks a signature; [TimestampSigner] also records
//     when the value was signed, so that old values can be refused.
//   - [Dumps] and [Loads] sign whole Python values: JSON, optionally zlib
//     compressed, URL-safe base64, timestamped and signed. This is the format
//     of Django's session cookies and of many tokens built on signing.dumps.
//
// Every function produces exactly the bytes Django 3.2, 4.2, 5.2 and 6.x
// produce for the same inputs (compressed payloads excepted: they are valid
// zlib that Django reads, but not the same deflate bytes as CPython's zlib),
// and accepts exactly what those versions accept.
//
// Errors fall into four groups, each testable with errors.Is:
// [ErrBadSignature] (and its refinement [ErrSignatureExpired]) means the input
// was not signed by us or is too old; [ErrMalformed] means it was signed by a
// holder of the key but cannot be decoded; [ErrLimit] (with [ErrTooLarge])
// means it was signed by a holder of the key and is beyond a limit Go
// applies, so it is not corrupt and Django may read it; [ErrNoKey],
// [ErrUnsafeSeparator] and [ErrInvalidAlgorithm] are configuration
// mistakes. The limits are the same when signing: SignObject and Dumps
// refuse, with the same errors, a value that unsigning would refuse. No function panics
// on any input. Signers are safe for concurrent use and meant to be built
// once and reused.
package signing
