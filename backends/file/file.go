// Package file is Django's django.contrib.sessions.backends.file: one file
// per session in SESSION_FILE_PATH, named SESSION_COOKIE_NAME + session
// key, holding the session_data string that the db engine would store.
//
// A save writes a temporary file in the same directory and renames it over
// the session file, so readers never see a partial session; unlike Django,
// the data is fsynced before the rename, which costs a reader nothing.
// Expiry follows Django exactly, quirks included: a session expires at its
// _session_expiry datetime, or SESSION_COOKIE_AGE after the file was last
// written; a session whose _session_expiry is a number of seconds never
// expires on the server (only its cookie does).
package file

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/pyjson"
)

// Store keeps sessions as files, as Django's file engine does. It is safe
// for concurrent use; like Django it takes no locks, so of two concurrent
// saves of one session the last rename wins.
type Store struct {
	settings django.Settings
	codec    *django.Codec
	dir      string
	prefix   string
}

var _ django.Store = (*Store)(nil)

// New returns the file store for settings: SESSION_FILE_PATH (or Python's
// tempfile.gettempdir() when empty) must be an existing directory, as
// Django requires.
func New(settings django.Settings) (*Store, error) {
	codec, err := django.NewCodec(settings)
	if err != nil {
		return nil, err
	}
	dir := settings.SessionFilePath
	if dir == "" {
		dir = pythonTempDir()
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("%w: the session storage path %q doesn't exist; set SESSION_FILE_PATH to a directory",
			django.ErrImproperlyConfigured, dir)
	}
	name := settings.SessionCookieName
	if name == "" {
		name = "sessionid"
	}
	return &Store{settings: settings, codec: codec, dir: dir, prefix: name}, nil
}

// pythonTempDir is tempfile.gettempdir(): the first of $TMPDIR, $TEMP,
// $TMP, /tmp, /var/tmp, /usr/tmp that is a writable directory, else the
// working directory.
func pythonTempDir() string {
	var candidates []string
	for _, env := range []string{"TMPDIR", "TEMP", "TMP"} {
		if d := os.Getenv(env); d != "" {
			candidates = append(candidates, d)
		}
	}
	candidates = append(candidates, "/tmp", "/var/tmp", "/usr/tmp")
	for _, d := range candidates {
		if f, err := os.CreateTemp(d, ".djsession-probe-"); err == nil {
			f.Close()
			os.Remove(f.Name())
			if abs, err := filepath.Abs(d); err == nil {
				return abs
			}
			return d
		}
	}
	wd, _ := os.Getwd()
	return wd
}

// Dir returns the directory the sessions are kept in.
func (s *Store) Dir() string { return s.dir }

// path returns the session file of key, after Django's key checks.
func (s *Store) path(key string) (string, error) {
	if !django.ValidFileSessionKey(key) {
		return "", fmt.Errorf("%w: %q", django.ErrInvalidSessionKey, key)
	}
	return filepath.Join(s.dir, s.prefix+key), nil
}

// Load reads the session of key. A missing file, a key Django would not
// use, and an expired session are ErrNotFound; an expired session's file
// is removed, as Django removes it. An empty file (a create's placeholder)
// is an empty session. Data that does not decode is an empty session and
// the codec's error.
func (s *Store) Load(ctx context.Context, key string) (*pyjson.Dict, error) {
	if err := ctx.Err(); err != nil {
		return pyjson.NewDict(0), fmt.Errorf("%w: %w", django.ErrBackend, err)
	}
	if !django.ValidSessionKey(key) || !django.ValidFileSessionKey(key) {
		return pyjson.NewDict(0), django.ErrNotFound
	}
	d, _, err := s.load(key)
	return d, err
}

// load is Django's FileStore.load with create() disabled, which is also
// what clear_expired runs for each file; expired reports a deletion.
func (s *Store) load(key string) (session *pyjson.Dict, expired bool, err error) {
	p, err := s.path(key)
	if err != nil {
		return pyjson.NewDict(0), false, django.ErrNotFound
	}
	raw, err := os.ReadFile(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrInvalid) {
			return pyjson.NewDict(0), false, django.ErrNotFound
		}
		return pyjson.NewDict(0), false, fmt.Errorf("%w: %w", django.ErrBackend, err)
	}
	if len(raw) == 0 {
		// The placeholder of a create in progress: Django loads it as an
		// empty session and does not judge its expiry.
		return pyjson.NewDict(0), false, nil
	}
	for _, c := range raw {
		if c >= 0x80 {
			// Django reads the file as ASCII and fails with a
			// UnicodeDecodeError.
			return pyjson.NewDict(0), false, fmt.Errorf("%w: session file %s is not ASCII", django.ErrBackend, filepath.Base(p))
		}
	}
	session, decodeErr := s.codec.Decode(string(raw))
	expiry, err := s.expiryOf(session, p)
	if err != nil {
		return pyjson.NewDict(0), false, err
	}
	age, err := s.settings.ExpiryAgeOf(expiry, s.settings.Now())
	if err != nil {
		return pyjson.NewDict(0), false, err
	}
	if age <= 0 {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return pyjson.NewDict(0), true, fmt.Errorf("%w: %w", django.ErrBackend, err)
		}
		return pyjson.NewDict(0), true, django.ErrNotFound
	}
	return session, false, decodeErr
}

// expiryOf is FileStore._expiry_date: _session_expiry when it is truthy,
// else the file's modification time plus SESSION_COOKIE_AGE.
func (s *Store) expiryOf(session *pyjson.Dict, path string) (any, error) {
	if v, ok := session.Get(django.ExpiryKey); ok && pyjson.Truthy(v) {
		return v, nil
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", django.ErrBackend, err)
	}
	// datetime.fromtimestamp(st_mtime) keeps microseconds, rounding half
	// to even.
	mtime := st.ModTime().Round(time.Microsecond)
	return mtime.Add(time.Duration(s.settings.SessionCookieAge) * time.Second), nil
}

// Save writes session under key: with create, only if no file exists
// (else django.ErrCreate); otherwise only if the file still exists (else
// django.ErrUpdate). A key with characters outside [a-z0-9] is
// django.ErrInvalidSessionKey.
func (s *Store) Save(ctx context.Context, key string, session *pyjson.Dict, create bool) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: %w", django.ErrBackend, err)
	}
	p, err := s.path(key)
	if err != nil {
		return err
	}
	// Django opens the final name first: O_CREAT|O_EXCL for a create,
	// plain O_WRONLY for an update; the open decides the outcome.
	flags := os.O_WRONLY
	if create {
		flags |= os.O_CREATE | os.O_EXCL
	}
	f, err := os.OpenFile(p, flags, 0o777)
	switch {
	case err == nil:
		f.Close()
	case create && errors.Is(err, fs.ErrExist):
		return fmt.Errorf("%w: %s", django.ErrCreate, filepath.Base(p))
	case !create && errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%w: session file %s is gone", django.ErrUpdate, filepath.Base(p))
	default:
		return fmt.Errorf("%w: %w", django.ErrBackend, err)
	}
	data, err := s.codec.Encode(session)
	if err != nil {
		return err
	}
	return writeAtomic(p, data)
}

// writeAtomic writes data to a temporary file beside p (named as Python's
// mkstemp would be, p + "_out_" + random: '_' is not a key character, so
// Django's clear_expired skips leftovers), syncs it and renames it over p.
func writeAtomic(p, data string) error {
	tmp, err := os.CreateTemp(filepath.Dir(p), filepath.Base(p)+"_out_")
	if err != nil {
		return fmt.Errorf("%w: %w", django.ErrBackend, err)
	}
	_, werr := tmp.WriteString(data)
	if werr == nil {
		werr = tmp.Sync()
	}
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), p)
	}
	if werr != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("%w: %w", django.ErrBackend, werr)
	}
	return nil
}

// Delete removes the session file of key; a missing file is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	p, err := s.path(key)
	if err != nil {
		return nil
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %w", django.ErrBackend, err)
	}
	return nil
}

// Exists reports whether a session file exists for key, expired or not.
func (s *Store) Exists(ctx context.Context, key string) (bool, error) {
	p, err := s.path(key)
	if err != nil {
		return false, nil
	}
	_, err = os.Stat(p)
	if err == nil {
		return true, nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return false, fmt.Errorf("%w: %w", django.ErrBackend, err)
}

// ClearExpired removes every expired session file, as clearsessions does:
// each file whose name starts with SESSION_COOKIE_NAME is loaded and, if
// expired, deleted. As in Django, placeholders, leftover temporary files
// and sessions with a numeric _session_expiry are kept.
func (s *Store) ClearExpired(ctx context.Context) error {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("%w: %w", django.ErrBackend, err)
	}
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("%w: %w", django.ErrBackend, err)
		}
		name := e.Name()
		if !strings.HasPrefix(name, s.prefix) {
			continue
		}
		key := name[len(s.prefix):]
		if !django.ValidSessionKey(key) || !django.ValidFileSessionKey(key) {
			continue
		}
		if _, _, err := s.load(key); errors.Is(err, django.ErrBackend) {
			return err
		}
	}
	return nil
}
