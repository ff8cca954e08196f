// Package manage is djsession's manage.py: the operations a team runs on
// a Django deployment's sessions at the hard moments, each a library
// function that a Go service can run in-process (at start-up, or during a
// migration), and each a command of cmd/djsession, which is a thin layer
// over it.
//
//   - Check inspects what a store holds and reports, against the
//     configured settings, which key (current or fallback, by index)
//     signed the sessions, which serializer wrote them, expire_date offsets
//     that a USE_TZ/TIME_ZONE mismatch makes, sessions found under another
//     KEY_PREFIX, VERSION or Redis db, cached_db copies that differ from
//     their rows, and auth hashes that no longer verify.
//   - Explain says everything that can be told about one session key or
//     one cookie value: where it is stored (and where else it was found),
//     which key signed it, its age, expiry and serializer, and for a
//     logged-in session the user and whether the auth hash verifies.
//   - ConvertSerializer rewrites PickleSerializer session data as JSON,
//     RotateKey re-signs data that verifies only under a fallback key,
//     CopySessions moves sessions between engines (and a switch-over store
//     keeps users logged in while the engines change).
//
// Every command streams the store in batches of bounded size
// (Options.BatchSize), so a million sessions need no more memory than one
// batch; writes are conditional on what was read, so a session Django
// changes while a command runs keeps Django's data. Every command returns
// a report struct with JSON tags. No report, error or progress line holds
// a secret, session contents or a whole session key: keys appear as
// ShortKey, fallback keys by their index in SECRET_KEY_FALLBACKS.
//
// The exit statuses ExitOK, ExitLeft, ExitUsage and ExitBackend are the
// command line's, for services that report a run the same way.
package manage
