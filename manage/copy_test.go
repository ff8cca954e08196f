package manage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/djsession/djsession/backends/db"
	"github.com/djsession/djsession/backends/file"
	"github.com/djsession/djsession/django"
)

// copyClock is the tests' frozen clock.
var copyClock = time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)

func copySettings() django.Settings {
	st := django.DefaultSettings(testSecret)
	st.DjangoVersion = django.Django52
	st.Clock = func() time.Time { return copyClock }
	return st
}

func sqliteStore(t testing.TB, st django.Settings) *db.Store { return sqliteStoreDSN(t, st, "") }

// sqliteStoreDSN is sqliteStore with more DSN options (&name=value...).
func sqliteStoreDSN(t testing.TB, st django.Settings, options string) *db.Store {
	t.Helper()
	sqlDB, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "db.sqlite3")+"?_pragma=busy_timeout(5000)"+options)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sqlDB.Close() })
	if err := db.CreateTable(context.Background(), sqlDB, db.SQLite); err != nil {
		t.Fatal(err)
	}
	s, err := db.New(sqlDB, db.SQLite, st)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func fileStore(t testing.TB, st django.Settings) *file.Store {
	t.Helper()
	st.SessionEngine = django.EngineFile
	st.SessionFilePath = t.TempDir()
	s, err := file.New(st)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestCopyDBToFileAndBack copies db rows to files and the files to another
// db: same keys, same signed data, same expiry; expired rows stay behind,
// a session already at the destination is left as it is, and a second run
// copies nothing.
func TestCopyDBToFileAndBack(t *testing.T) {
	ctx := context.Background()
	st := copySettings()
	src := sqliteStore(t, st)
	keys := []string{"live0000session0key0000000000001", "live0000session0key0000000000002", "live0000session0key0000000000003"}
	exp := []time.Time{copyClock.Add(time.Hour), copyClock.Add(3 * 24 * time.Hour), copyClock.Add(90 * time.Second)}
	for i, k := range keys {
		data, err := src.Codec().Encode(session("_auth_user_id", "1", "n", int64(i)))
		if err != nil {
			t.Fatal(err)
		}
		if err := src.Insert(ctx, db.Row{Key: k, Data: data, ExpireDate: exp[i]}); err != nil {
			t.Fatal(err)
		}
	}
	expired := "dead0000session0key0000000000000"
	if err := src.Insert(ctx, db.Row{Key: expired, Data: "x", ExpireDate: copyClock.Add(-time.Second)}); err != nil {
		t.Fatal(err)
	}
	dst := fileStore(t, st)
	// A session the destination holds already is never overwritten.
	if err := dst.Save(ctx, keys[2], session("theirs", true), true); err != nil {
		t.Fatal(err)
	}
	fs, err := FileSessions(dst)
	if err != nil {
		t.Fatal(err)
	}

	dry, err := CopySessions(ctx, DBSessions(src), fs, Options{DryRun: true, BatchSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	if dry.Copied != 2 || dry.AlreadyThere != 1 || dry.Expired != 1 || dry.Seen != 4 {
		t.Fatalf("dry run: %+v", dry)
	}
	if ok, _ := dst.Exists(ctx, keys[0]); ok {
		t.Fatal("the dry run wrote")
	}
	rep, err := CopySessions(ctx, DBSessions(src), fs, Options{BatchSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Copied != 2 || rep.AlreadyThere != 1 || rep.Expired != 1 || rep.ExitCode() != ExitOK {
		t.Fatalf("copy: %+v", rep)
	}
	for i, k := range keys[:2] {
		raw, err := os.ReadFile(filepath.Join(dst.Dir(), "sessionid"+k))
		if err != nil {
			t.Fatal(err)
		}
		want, _ := src.Codec().Encode(session("_auth_user_id", "1", "n", int64(i)))
		if string(raw) != want {
			t.Fatalf("%s: the file holds other data than the row", k[:8])
		}
		fi, _ := os.Stat(filepath.Join(dst.Dir(), "sessionid"+k))
		got := fi.ModTime().Add(time.Duration(st.SessionCookieAge) * time.Second)
		if d := got.Sub(exp[i]); d < -time.Second || d > time.Second {
			t.Fatalf("%s: the file expires at %v, the row at %v", k[:8], got, exp[i])
		}
	}
	if d, _ := dst.Load(ctx, keys[2]); !d.Has("theirs") {
		t.Fatal("a session at the destination was overwritten")
	}
	again, err := CopySessions(ctx, DBSessions(src), fs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if again.Copied != 0 || again.AlreadyThere != 3 {
		t.Fatalf("second run: %+v", again)
	}

	// And from the files to another database: the expiry comes back.
	back := sqliteStore(t, st)
	rep, err = CopySessions(ctx, fs, DBSessions(back), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Copied != 3 || rep.Seen != 3 {
		t.Fatalf("files to db: %+v", rep)
	}
	for r, err := range back.Rows(ctx, 10) {
		if err != nil {
			t.Fatal(err)
		}
		if r.Key == keys[2] {
			continue // the destination's own session, written at the file system's time
		}
		want := exp[0]
		if r.Key == keys[1] {
			want = exp[1]
		}
		if d := r.ExpireDate.Sub(want); d < -time.Second || d > time.Second {
			t.Fatalf("%s: expire_date %v, want %v", r.Key[:8], r.ExpireDate, want)
		}
	}
}

// A session whose data this configuration cannot read is copied as it is
// between signed stores (same data), and counted, not copied, where it
// would have to be decoded.
func TestCopyUnreadableRows(t *testing.T) {
	ctx := context.Background()
	st := copySettings()
	src := sqliteStore(t, st)
	other := st
	other.SecretKey = "another-site-entirely-0123456789"
	codec, _ := django.NewCodec(other)
	data, _ := codec.Encode(session("a", int64(1)))
	const key = "othr0000session0key0000000000000"
	if err := src.Insert(ctx, db.Row{Key: key, Data: data, ExpireDate: copyClock.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	dst := sqliteStore(t, st)
	rep, err := CopySessions(ctx, DBSessions(src), DBSessions(dst), Options{})
	if err != nil || rep.Copied != 1 {
		t.Fatalf("db to db: %+v, %v", rep, err)
	}
}

// A destination that fails ends the run with its error, wrapping
// django.ErrBackend, and the writers stop: here a directory removed under
// the file store, written by several writers at once.
func TestCopyDestinationFails(t *testing.T) {
	ctx := context.Background()
	st := copySettings()
	src := sqliteStore(t, st)
	data, _ := src.Codec().Encode(session("a", int64(1)))
	for i := range 50 {
		key := fmt.Sprintf("fail%028d", i)
		if err := src.Insert(ctx, db.Row{Key: key, Data: data, ExpireDate: copyClock.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	dst := fileStore(t, st)
	fs, _ := FileSessions(dst)
	if err := os.RemoveAll(dst.Dir()); err != nil {
		t.Fatal(err)
	}
	rep, err := CopySessions(ctx, DBSessions(src), fs, Options{BatchSize: 7})
	if !errors.Is(err, django.ErrBackend) {
		t.Fatalf("copy to a removed directory: %v, want ErrBackend", err)
	}
	if rep == nil || rep.Copied != 0 || strings.Contains(err.Error(), "fail0000000000000000000000000000") {
		t.Fatalf("report %+v, error %v", rep, err)
	}
}
