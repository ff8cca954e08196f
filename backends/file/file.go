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
//
// Unlike Django, a session path is never followed through a symbolic link,
// and one that is not a regular file (a named pipe, a directory, a device)
// or is larger than MaxFileSize is refused before it is read, and left in
// place by saves and deletes (ErrNotRegular, ErrTooLarge): anyone can plant
// a file in the default directory, /tmp, and a planted pipe would block
// the request, a link to /dev/zero would feed it without end.
package file

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/pyjson"
	"github.com/djsession/djsession/signing"
)

// Sessions are read only from regular files of a bounded size: a file
// anyone can plant in a shared directory (the default, /tmp) must not
// block a request (a named pipe), feed it without end (a link to
// /dev/zero), or be written over or deleted by a save.
var (
	// ErrNotRegular reports a session path that is a symbolic link, a
	// named pipe, a directory, a device or a socket: it is neither read,
	// written over nor deleted. It is returned wrapped with
	// django.ErrBackend.
	ErrNotRegular = errors.New("file: not a regular file")
	// ErrTooLarge reports a session file larger than MaxFileSize: it is
	// neither read nor written over. It is returned wrapped with
	// django.ErrBackend.
	ErrTooLarge = errors.New("file: session file too large")
)

// MaxFileSize is the largest session file read: the signed session_data of
// a payload of signing.DefaultMaxDecompressedSize bytes (the codec's limit
// on a session's serialized size), base64-encoded, with room for the
// compression flag, timestamp and signature. A larger file holds no session
// the codec would decode, so it is refused before it is read.
const MaxFileSize = int64((signing.DefaultMaxDecompressedSize+2)/3*4) + 1024

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
	raw, mtime, err := readSession(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrInvalid) {
			return pyjson.NewDict(0), false, django.ErrNotFound
		}
		return pyjson.NewDict(0), false, err
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
	expiry := s.expiryOf(session, mtime)
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
func (s *Store) expiryOf(session *pyjson.Dict, mtime time.Time) any {
	if v, ok := session.Get(django.ExpiryKey); ok && pyjson.Truthy(v) {
		return v
	}
	// datetime.fromtimestamp(st_mtime) keeps microseconds, rounding half
	// to even.
	return mtime.Round(time.Microsecond).Add(time.Duration(s.settings.SessionCookieAge) * time.Second)
}

// openRegular opens p for reading if it is a regular file of at most
// MaxFileSize bytes, without following a link and without waiting on a
// pipe; anything else is refused before a byte is read, with an error
// naming what p is. A missing file is fs.ErrNotExist.
func openRegular(p string) (*os.File, fs.FileInfo, error) {
	f, err := os.OpenFile(p, os.O_RDONLY|openFlags, 0)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, err
		}
		// O_NOFOLLOW fails with ELOOP on Linux, EMLINK on FreeBSD: ask
		// the path itself.
		if st, lerr := os.Lstat(p); lerr == nil && !st.Mode().IsRegular() {
			return nil, nil, notRegular(p, st.Mode())
		}
		return nil, nil, fmt.Errorf("%w: %w", django.ErrBackend, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("%w: %w", django.ErrBackend, err)
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, nil, notRegular(p, st.Mode())
	}
	if st.Size() > MaxFileSize {
		f.Close()
		return nil, nil, fmt.Errorf("%w: %w: %s holds %d bytes, more than any session read or written here (MaxFileSize, %d bytes)",
			django.ErrBackend, ErrTooLarge, filepath.Base(p), st.Size(), MaxFileSize)
	}
	return f, st, nil
}

// notRegular is ErrNotRegular for p, naming what p is.
func notRegular(p string, mode fs.FileMode) error {
	what := "not a regular file"
	switch {
	case mode&fs.ModeSymlink != 0:
		what = "a symbolic link (session files are not followed through links)"
	case mode&fs.ModeNamedPipe != 0:
		what = "a named pipe (FIFO)"
	case mode.IsDir():
		what = "a directory"
	case mode&fs.ModeDevice != 0:
		what = "a device"
	case mode&fs.ModeSocket != 0:
		what = "a socket"
	}
	return fmt.Errorf("%w: %w: %s is %s; it is neither read, written over nor deleted", django.ErrBackend, ErrNotRegular, filepath.Base(p), what)
}

// readSession reads the session file p through openRegular, at most
// MaxFileSize bytes even if the file grows meanwhile, and returns its
// modification time from the same open file.
func readSession(p string) ([]byte, time.Time, error) {
	f, st, err := openRegular(p)
	if err != nil {
		return nil, time.Time{}, err
	}
	defer f.Close()
	buf := bytes.NewBuffer(make([]byte, 0, st.Size()+bytes.MinRead))
	if _, err := buf.ReadFrom(io.LimitReader(f, MaxFileSize+1)); err != nil {
		return nil, time.Time{}, fmt.Errorf("%w: %w", django.ErrBackend, err)
	}
	if int64(buf.Len()) <= MaxFileSize {
		return buf.Bytes(), st.ModTime(), nil
	}
	return nil, time.Time{}, fmt.Errorf("%w: %w: %s grew past MaxFileSize (%d bytes) while read", django.ErrBackend, ErrTooLarge, filepath.Base(p), MaxFileSize)
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
	// plain O_WRONLY for an update; the open decides the outcome. An
	// update opens for reading through openRegular instead: the rename
	// replaces the file, so only its kind matters, and a link, a pipe or a
	// file too large to have been read is not replaced.
	var f *os.File
	if create {
		f, err = os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL|openFlags, 0o777)
	} else {
		f, _, err = openRegular(p)
	}
	switch {
	case err == nil:
		f.Close()
	case create && errors.Is(err, fs.ErrExist):
		return fmt.Errorf("%w: %s", django.ErrCreate, filepath.Base(p))
	case !create && errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%w: session file %s is gone", django.ErrUpdate, filepath.Base(p))
	case errors.Is(err, django.ErrBackend):
		return err
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
	tmp, err := writeTemp(p, data, time.Time{})
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, p); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("%w: %w", django.ErrBackend, err)
	}
	return nil
}

// Delete removes the session file of key; a missing file is not an error.
// A path that is not a regular file (ErrNotRegular) is left in place: it
// holds no session this store wrote.
func (s *Store) Delete(ctx context.Context, key string) error {
	p, err := s.path(key)
	if err != nil {
		return nil
	}
	st, err := os.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err == nil && !st.Mode().IsRegular() {
		return notRegular(p, st.Mode())
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
// and sessions with a numeric _session_expiry are kept; so are the paths
// Load refuses (ErrNotRegular, ErrTooLarge), which are skipped.
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
		_, _, err := s.load(key)
		if errors.Is(err, ErrNotRegular) || errors.Is(err, ErrTooLarge) {
			continue
		}
		if errors.Is(err, django.ErrBackend) {
			return err
		}
	}
	return nil
}

// Settings returns the settings the store was made with (django.Store).
func (s *Store) Settings() *django.Settings { return &s.settings }
