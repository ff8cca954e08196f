//go:build unix

package file

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/pyjson"
	"github.com/djsession/djsession/signing"
)

// TestHostilePaths: a session path planted by another user of the
// directory (the default is /tmp) is refused by every method, within a
// bounded time and without reading it: a named pipe (which blocked Load
// for ever), a link to /dev/zero (which Load read without end), a link to
// a regular file, a directory, and a file larger than any session. What
// was planted is left as it was: not written over, not deleted.
func TestHostilePaths(t *testing.T) {
	const key = "planted0planted0"
	cases := []struct {
		name  string
		plant func(t *testing.T, st *Store, p string)
		want  error
	}{
		{"fifo", func(t *testing.T, _ *Store, p string) {
			if err := syscall.Mkfifo(p, 0o666); err != nil {
				t.Skipf("mkfifo: %v", err)
			}
		}, ErrNotRegular},
		{"symlink to /dev/zero", func(t *testing.T, _ *Store, p string) {
			if err := os.Symlink("/dev/zero", p); err != nil {
				t.Fatal(err)
			}
		}, ErrNotRegular},
		{"symlink to a session file", func(t *testing.T, st *Store, p string) {
			// A valid session under another key: the link is still not
			// a session file, and the save must not write through it.
			if err := st.Save(context.Background(), "target00target00", dict(t, `{"a":1}`), true); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(filepath.Join(st.Dir(), "sessionidtarget00target00"), p); err != nil {
				t.Fatal(err)
			}
		}, ErrNotRegular},
		{"directory", func(t *testing.T, _ *Store, p string) {
			if err := os.Mkdir(p, 0o700); err != nil {
				t.Fatal(err)
			}
		}, ErrNotRegular},
		{"oversized", func(t *testing.T, _ *Store, p string) {
			// Sparse: MaxFileSize+1 bytes that take no disk.
			f, err := os.Create(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := f.Truncate(MaxFileSize + 1); err != nil {
				t.Fatal(err)
			}
			f.Close()
		}, ErrTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			now := time.Unix(1700000000, 0)
			st := newStore(t, &now)
			p := filepath.Join(st.Dir(), "sessionid"+key)
			c.plant(t, st, p)
			before := snapshot(t, p)

			check := func(op string, f func(ctx context.Context) error) {
				t.Helper()
				ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
				defer cancel()
				done := make(chan error, 1)
				var alloc uint64
				go func() {
					var m0, m1 runtime.MemStats
					runtime.ReadMemStats(&m0)
					err := f(ctx)
					runtime.ReadMemStats(&m1)
					alloc = m1.TotalAlloc - m0.TotalAlloc
					done <- err
				}()
				select {
				case err := <-done:
					if !errors.Is(err, c.want) || !errors.Is(err, django.ErrBackend) {
						t.Errorf("%s: %v; want %v wrapped with ErrBackend", op, err, c.want)
					}
					// Nothing is read: the refusal comes from the open
					// and its fstat. A read of /dev/zero or of the
					// sparse file would allocate megabytes.
					if alloc > 1<<20 {
						t.Errorf("%s allocated %d bytes", op, alloc)
					}
				case <-time.After(10 * time.Second):
					t.Fatalf("%s still blocked 10s after a 500ms deadline", op)
				}
			}
			check("Load", func(ctx context.Context) error {
				d, err := st.Load(ctx, key)
				if d == nil || d.Len() != 0 {
					t.Errorf("Load gave %v", d)
				}
				return err
			})
			check("Save", func(ctx context.Context) error {
				return st.Save(ctx, key, pyjson.NewDict(0), false)
			})
			if c.want == ErrNotRegular {
				check("Delete", func(ctx context.Context) error { return st.Delete(ctx, key) })
			}
			if err := st.Save(context.Background(), key, pyjson.NewDict(0), true); !errors.Is(err, django.ErrCreate) {
				t.Errorf("create over a planted path: %v; want ErrCreate", err)
			}
			if err := st.ClearExpired(context.Background()); err != nil {
				t.Errorf("ClearExpired stopped at a planted path: %v", err)
			}
			if after := snapshot(t, p); after != before {
				t.Errorf("the planted path changed: %+v, was %+v", after, before)
			}
			if c.name == "symlink to a session file" {
				if d, err := st.Load(context.Background(), "target00target00"); err != nil || d.Len() != 1 {
					t.Errorf("the link's target: %v, %v; want it intact", d, err)
				}
			}
		})
	}
}

type pathState struct {
	mode os.FileMode
	size int64
	link string
}

func snapshot(t *testing.T, p string) pathState {
	t.Helper()
	st, err := os.Lstat(p)
	if err != nil {
		t.Fatalf("the planted path is gone: %v", err)
	}
	s := pathState{mode: st.Mode(), size: st.Size()}
	if st.Mode()&os.ModeSymlink != 0 {
		s.link, _ = os.Readlink(p)
	}
	if st.IsDir() {
		s.size = 0
	}
	return s
}

// TestMaxFileSizeHoldsTheLargestSession: a payload at the codec's limit,
// signed and base64-encoded, fits in MaxFileSize.
func TestMaxFileSizeHoldsTheLargestSession(t *testing.T) {
	// base64 of n bytes is 4*ceil(n/3) at most; the signature, the
	// timestamp and the '.' take under 100 bytes.
	if MaxFileSize < (int64(signing.DefaultMaxDecompressedSize)+2)/3*4+100 {
		t.Errorf("MaxFileSize %d is below the encoded size of a 16 MiB payload", MaxFileSize)
	}
}
