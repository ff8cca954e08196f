package file

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/djsession/djsession/django"
)

// An Entry is one session file as stored: the tools that move or rewrite
// session data without decoding it (convert-serializer, rotate-key,
// copy-sessions in package manage) read and write Entries.
type Entry struct {
	// Key is the session key: the file name without SESSION_COOKIE_NAME.
	Key string
	// Data is the file's content, the session_data string, not decoded.
	// It is empty for the placeholder of a create in progress.
	Data string
	// ModTime is the file's modification time, which with
	// SESSION_COOKIE_AGE gives the expiry of a session without a
	// _session_expiry datetime.
	ModTime time.Time
}

// entriesBatch is how many directory entries Entries reads at once.
const entriesBatch = 256

// Entries returns every session file of the directory: the regular files
// whose name is SESSION_COOKIE_NAME followed by a key Django would use,
// expired ones included. The directory is read entriesBatch names at a
// time and each file when its turn comes, so memory stays bounded whatever
// the number of sessions. Leftover temporary files, files of other names,
// paths that are not regular files (ErrNotRegular), files larger than
// MaxFileSize and files removed meanwhile are skipped: none holds a session
// Load would read. An error reading the directory, or another error
// reading a file, is yielded once, wrapped with django.ErrBackend, and ends
// the iteration. As with os.ReadDir, a file created or removed during the
// iteration may or may not be seen.
func (s *Store) Entries(ctx context.Context) iter.Seq2[Entry, error] {
	return func(yield func(Entry, error) bool) {
		dir, err := os.Open(s.dir)
		if err != nil {
			yield(Entry{}, fmt.Errorf("%w: %w", django.ErrBackend, err))
			return
		}
		defer dir.Close()
		for {
			if err := ctx.Err(); err != nil {
				yield(Entry{}, fmt.Errorf("%w: %w", django.ErrBackend, err))
				return
			}
			names, err := dir.Readdirnames(entriesBatch)
			for _, name := range names {
				if !strings.HasPrefix(name, s.prefix) {
					continue
				}
				key := name[len(s.prefix):]
				if !django.ValidSessionKey(key) || !django.ValidFileSessionKey(key) {
					continue
				}
				raw, mtime, rerr := readSession(filepath.Join(s.dir, name))
				switch {
				case rerr == nil:
				case errors.Is(rerr, fs.ErrNotExist), errors.Is(rerr, ErrNotRegular), errors.Is(rerr, ErrTooLarge):
					continue
				default:
					yield(Entry{}, rerr)
					return
				}
				if !yield(Entry{Key: key, Data: string(raw), ModTime: mtime}, nil) {
					return
				}
			}
			if errors.Is(err, io.EOF) || (err == nil && len(names) == 0) {
				return
			}
			if err != nil {
				yield(Entry{}, fmt.Errorf("%w: %w", django.ErrBackend, err))
				return
			}
		}
	}
}

// Replace writes data as the session file of key only if the file still
// holds old, and keeps the file's modification time (so that a session
// without a _session_expiry datetime keeps its expiry). It reports false,
// with a nil error, when the file holds something else or is gone: Django
// (or anyone) wrote it since old was read, and that newer write must win.
//
// The write is Django's own: a temporary file in the same directory,
// renamed over the session file. Django takes no locks, so neither can
// this: the file is compared with old once more just before the rename,
// and a save by Django between that comparison and the rename (a window of
// one rename system call, microseconds) is still overwritten, and a
// delete (a logout) in that window is undone. A save or a delete that
// lands after the rename wins, as any later one does.
func (s *Store) Replace(ctx context.Context, key, old, data string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("%w: %w", django.ErrBackend, err)
	}
	p, err := s.path(key)
	if err != nil {
		return false, nil
	}
	same, mtime, err := holds(p, old)
	if err != nil || !same {
		return false, err
	}
	tmp, err := writeTemp(p, data, mtime)
	if err != nil {
		return false, err
	}
	if same, _, err = holds(p, old); err != nil || !same {
		os.Remove(tmp)
		return false, err
	}
	if err := os.Rename(tmp, p); err != nil {
		os.Remove(tmp)
		return false, fmt.Errorf("%w: %w", django.ErrBackend, err)
	}
	return true, nil
}

// holds reports whether the session file p holds data, and its
// modification time. A missing file is false with a nil error; a path
// that is not a regular file is false and ErrNotRegular.
func holds(p, data string) (bool, time.Time, error) {
	raw, mtime, err := readSession(p)
	if errors.Is(err, fs.ErrNotExist) {
		return false, time.Time{}, nil
	}
	if err != nil {
		return false, time.Time{}, err
	}
	return string(raw) == data, mtime, nil
}

// writeTemp writes data to a temporary file beside p (p + "_out_" +
// random, as Python's mkstemp names it: see writeAtomic), syncs it, sets
// its modification time to mtime (unless zero) and returns its path. On an
// error no temporary file is left.
func writeTemp(p, data string, mtime time.Time) (string, error) {
	tmp, err := os.CreateTemp(filepath.Dir(p), filepath.Base(p)+"_out_")
	if err != nil {
		return "", fmt.Errorf("%w: %w", django.ErrBackend, err)
	}
	_, werr := tmp.WriteString(data)
	if werr == nil {
		werr = tmp.Sync()
	}
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil && !mtime.IsZero() {
		werr = os.Chtimes(tmp.Name(), time.Time{}, mtime)
	}
	if werr != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("%w: %w", django.ErrBackend, werr)
	}
	return tmp.Name(), nil
}

// Insert writes e as stored, without decoding or re-signing Data, only if
// no file exists for e.Key (else django.ErrCreate, and the file is left as
// it is), with e.ModTime as the file's modification time (unless zero).
// As a create by Save, it first claims the name with O_CREAT|O_EXCL (an
// empty file, which Django reads as an empty session) and then renames the
// written file over it.
func (s *Store) Insert(ctx context.Context, e Entry) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: %w", django.ErrBackend, err)
	}
	if !django.ValidSessionKey(e.Key) {
		return fmt.Errorf("%w: %q", django.ErrInvalidSessionKey, e.Key)
	}
	p, err := s.path(e.Key)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL|openFlags, 0o777)
	switch {
	case err == nil:
		f.Close()
	case errors.Is(err, fs.ErrExist):
		return fmt.Errorf("%w: %s", django.ErrCreate, filepath.Base(p))
	default:
		return fmt.Errorf("%w: %w", django.ErrBackend, err)
	}
	tmp, err := writeTemp(p, e.Data, e.ModTime)
	if err == nil {
		if err = os.Rename(tmp, p); err != nil {
			os.Remove(tmp)
			err = fmt.Errorf("%w: %w", django.ErrBackend, err)
		}
	}
	if err != nil {
		os.Remove(p) // the empty placeholder this call created
		return err
	}
	return nil
}

// Entry reads key's session file as it is stored, undecoded, with the
// same refusals as Load (a link, a pipe or a file larger than MaxFileSize
// is ErrNotRegular or ErrTooLarge, refused before a byte is read). A
// missing file, or a key the file engine would not use, is
// django.ErrNotFound.
func (s *Store) Entry(ctx context.Context, key string) (Entry, error) {
	if err := ctx.Err(); err != nil {
		return Entry{}, fmt.Errorf("%w: %w", django.ErrBackend, err)
	}
	p, err := s.path(key)
	if err != nil {
		return Entry{}, fmt.Errorf("%w: %w", django.ErrNotFound, err)
	}
	raw, mtime, err := readSession(p)
	if errors.Is(err, fs.ErrNotExist) {
		return Entry{}, django.ErrNotFound
	}
	if err != nil {
		return Entry{}, err
	}
	return Entry{Key: key, Data: string(raw), ModTime: mtime}, nil
}
