package file

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/pyjson"
)

const secret = "file-store-test-secret"

func newStore(t *testing.T, now *time.Time) *Store {
	t.Helper()
	s := django.DefaultSettings(secret)
	s.SessionEngine = django.EngineFile
	s.SessionFilePath = t.TempDir()
	s.Clock = func() time.Time { return *now }
	st, err := New(s)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func dict(t *testing.T, js string) *pyjson.Dict {
	t.Helper()
	d, err := pyjson.UnmarshalDict([]byte(js))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestRoundTripAndFileFormat(t *testing.T) {
	now := time.Unix(1700000000, 0)
	st := newStore(t, &now)
	ctx := context.Background()
	key := "abcdefgh12345678abcdefgh12345678"
	if err := st.Save(ctx, key, dict(t, `{"foo":"bar"}`), true); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(st.Dir(), "sessionid"+key))
	if err != nil {
		t.Fatal(err)
	}
	// The same session_data the db engine stores, no newline.
	if string(raw) != "eyJmb28iOiJiYXIifQ:1r31eq:yFyiXlvnclqSuaZn7gPb1Zt-5XV7R1iSKVQd4ahq0Hw" && !strings.HasPrefix(string(raw), "eyJmb28iOiJiYXIifQ:1r31eq:") {
		t.Errorf("file holds %q", raw)
	}
	fi, _ := os.Stat(filepath.Join(st.Dir(), "sessionid"+key))
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, Django's files are 0600", fi.Mode().Perm())
	}
	got, err := st.Load(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := got.GetString("foo"); v != "bar" {
		t.Errorf("loaded %v", got)
	}
	if err := st.Save(ctx, key, dict(t, `{}`), true); !errors.Is(err, django.ErrCreate) {
		t.Errorf("second create: %v", err)
	}
	if err := st.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	if err := st.Save(ctx, key, dict(t, `{"a":1}`), false); !errors.Is(err, django.ErrUpdate) {
		t.Errorf("update after delete: %v, want ErrUpdate (no resurrection)", err)
	}
	if _, err := os.Stat(filepath.Join(st.Dir(), "sessionid"+key)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the update brought the file back")
	}
	if _, err := st.Load(ctx, key); !errors.Is(err, django.ErrNotFound) {
		t.Errorf("load after delete: %v", err)
	}
}

func TestKeysDjangoRefuses(t *testing.T) {
	now := time.Unix(1700000000, 0)
	st := newStore(t, &now)
	ctx := context.Background()
	for _, key := range []string{"ABCDEFGH12345678", "abcdefgh/../../etc/passwd", "short", "", "abcdefgh_out_xyz"} {
		if _, err := st.Load(ctx, key); !errors.Is(err, django.ErrNotFound) {
			t.Errorf("Load(%q) = %v, want ErrNotFound", key, err)
		}
		if err := st.Save(ctx, key, dict(t, `{}`), true); key != "short" && key != "" && !errors.Is(err, django.ErrInvalidSessionKey) {
			t.Errorf("Save(%q) = %v, want ErrInvalidSessionKey", key, err)
		}
	}
}

func TestExpiryRules(t *testing.T) {
	now := time.Unix(1700000000, 0)
	st := newStore(t, &now)
	ctx := context.Background()
	save := func(key, js string) string {
		t.Helper()
		if err := st.Save(ctx, key, dict(t, js), true); err != nil {
			t.Fatal(err)
		}
		return filepath.Join(st.Dir(), "sessionid"+key)
	}
	byMtime := save("mtime000mtime000", `{"a":1}`)
	seconds := save("seconds0seconds0", `{"a":1,"_session_expiry":300}`)
	isoPast := save("isopast0isopast0", `{"a":1,"_session_expiry":"2023-11-14T22:13:19+00:00"}`)
	isoFuture := save("isofutr0isofutr0", `{"a":1,"_session_expiry":"2023-11-14T22:13:21+00:00"}`)
	negative := save("negative01234567", `{"a":1,"_session_expiry":-1}`)
	placeholder := filepath.Join(st.Dir(), "sessionidplacehol")
	os.WriteFile(placeholder, nil, 0o600)

	// The file was written SESSION_COOKIE_AGE ago (to the second, plus one).
	old := now.Add(-1209601 * time.Second)
	for _, p := range []string{byMtime, seconds, placeholder} {
		os.Chtimes(p, old, old)
	}
	want := map[string]bool{ // key → still there after load
		"mtime000mtime000": false, // mtime + age has passed
		"seconds0seconds0": true,  // a number of seconds never expires a file
		"isopast0isopast0": false,
		"isofutr0isofutr0": true,
		"negative01234567": false, // get_expiry_age returns -1: expired
		"placehol":         true,  // empty: no expiry check
	}
	if err := st.ClearExpired(ctx); err != nil {
		t.Fatal(err)
	}
	for key, alive := range want {
		_, err := os.Stat(filepath.Join(st.Dir(), "sessionid"+key))
		if (err == nil) != alive {
			t.Errorf("%s: exists=%v after ClearExpired, want %v", key, err == nil, alive)
		}
	}
	_ = isoPast
	_ = isoFuture
	_ = negative
	if _, err := st.Load(ctx, "isofutr0isofutr0"); err != nil {
		t.Errorf("future ISO expiry: %v", err)
	}
	now = now.Add(time.Second)
	if _, err := st.Load(ctx, "isofutr0isofutr0"); !errors.Is(err, django.ErrNotFound) {
		t.Errorf("ISO expiry reached: %v", err)
	}
}

func TestCorruptFileIsAnErrorNotAMiss(t *testing.T) {
	now := time.Unix(1700000000, 0)
	st := newStore(t, &now)
	p := filepath.Join(st.Dir(), "sessionidcorrupt0corrupt0")
	os.WriteFile(p, []byte("garbage"), 0o600)
	d, err := st.Load(context.Background(), "corrupt0corrupt0")
	if !errors.Is(err, django.ErrSessionCorrupted) || d.Len() != 0 {
		t.Errorf("Load = %v, %v; want an empty session and ErrSessionCorrupted", d, err)
	}
}

func TestMissingDirectory(t *testing.T) {
	s := django.DefaultSettings(secret)
	s.SessionFilePath = filepath.Join(t.TempDir(), "nope")
	if _, err := New(s); !errors.Is(err, django.ErrImproperlyConfigured) {
		t.Errorf("New = %v", err)
	}
}
