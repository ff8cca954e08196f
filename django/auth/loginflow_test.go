package auth

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/djsession/djsession/backends/file"
	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/internal/vectors"
	"github.com/djsession/djsession/pyjson"
)

// loginRow is one row of login_flow (fixtures/generate.py gen_login): what
// Django's login, get_user and logout did, with session keys drawn from a
// generator re-seeded before each case. Key cells are raw so that a null
// (the key was dropped) differs from an absent cell.
type loginRow struct {
	Case            string          `json:"case"`
	KeyBefore       json.RawMessage `json:"session_key_before"`
	KeyAfter        json.RawMessage `json:"session_key_after"`
	KeyAfterLogin   json.RawMessage `json:"session_key_after_login"`
	SessionAfter    json.RawMessage `json:"session_after"`
	Session         json.RawMessage `json:"session"`
	Encoded         string          `json:"encoded"`
	User            string          `json:"user"`
	IsAuthenticated *bool           `json:"is_authenticated"`
	LegacyHash      string          `json:"legacy_hash"`
	NewSecretKey    string          `json:"new_secret_key"`
	Fallbacks       []string        `json:"fallbacks"`
	HashBefore      string          `json:"hash_before"`
}

// djangoMode turns on Settings.DiscardUnreadable, which makes Go act as
// Django does where Go is safe by default instead: GetUser flushes a
// session whose auth hash does not match, and a session that does not
// verify reads as empty. Django's rows are replayed with it.
func djangoMode(s *django.Settings) { s.DiscardUnreadable = true }

// flowReplay runs gen_login's steps in Go for one Django version.
type flowReplay struct {
	t        *testing.T
	ctx      context.Context
	dir      string
	version  django.Version
	secret   string
	t0       time.Time
	rng      *vectors.PyRandom
	settings django.Settings
	store    django.Store
	auth     *Auth
}

// seed is generate.py's seed(n): the next session keys are the ones Django
// drew after it.
func (r *flowReplay) seed(n uint32) { *r.rng = *vectors.NewPyRandom(n) }

// use switches SECRET_KEY and SECRET_KEY_FALLBACKS (override_settings):
// a store is built from its settings, so it is built again.
func (r *flowReplay) use(secret string, fallbacks []string) {
	r.t.Helper()
	s := django.DefaultSettings(secret)
	s.SecretKeyFallbacks = fallbacks
	s.DjangoVersion = r.version
	s.SessionEngine = django.EngineFile
	s.SessionFilePath = r.dir
	s.Rand = r.rng.SessionKeyReader()
	t0 := r.t0
	s.Clock = func() time.Time { return t0 }
	r.settings = s
	r.auth = &Auth{Users: mapUsers{"1": alice, "2": bob}}
	djangoMode(&r.settings)
	st, err := file.New(r.settings)
	if err != nil {
		r.t.Fatal(err)
	}
	r.store = st
}

func (r *flowReplay) session(key string) *django.Session {
	return django.NewSession(r.ctx, r.store, key)
}

// freshLogin is gen_login's fresh_login: a saved anonymous session, then
// user logged in over it and saved.
func (r *flowReplay) freshLogin(n uint32, user *User) (before string, sess *django.Session) {
	r.t.Helper()
	r.seed(n)
	sess = r.session("")
	sess.Set("pre_login", "kept")
	if err := sess.Save(r.ctx); err != nil {
		r.t.Fatal(err)
	}
	before = sess.Key()
	if err := r.auth.Login(r.ctx, sess, user, ModelBackend); err != nil {
		r.t.Fatal(err)
	}
	if err := sess.Save(r.ctx); err != nil {
		r.t.Fatal(err)
	}
	return before, sess
}

func (r *flowReplay) login(sess *django.Session, user *User) {
	r.t.Helper()
	if err := r.auth.Login(r.ctx, sess, user, ModelBackend); err != nil {
		r.t.Fatal(err)
	}
}

// getUser is get_user: the user's name as str(user) prints it, and
// is_authenticated.
func (r *flowReplay) getUser(sess *django.Session) (string, bool) {
	r.t.Helper()
	u, err := r.auth.GetUser(r.ctx, sess)
	if err != nil {
		r.t.Fatalf("GetUser: %v", err)
	}
	if u == nil {
		return "AnonymousUser", false
	}
	return u.Username, true
}

// key asserts a key cell: a string is the key Django had, null no key.
func (r *flowReplay) key(what string, cell json.RawMessage, got string) {
	r.t.Helper()
	if len(cell) == 0 {
		r.t.Fatalf("the row has no %s", what)
	}
	var want *string
	if err := json.Unmarshal(cell, &want); err != nil {
		r.t.Fatalf("%s %s: %v", what, cell, err)
	}
	switch {
	case want == nil && got != "":
		r.t.Errorf("%s: Go has key %q, Django had none", what, got)
	case want != nil && got != *want:
		r.t.Errorf("%s: Go %q, Django %q", what, got, *want)
	}
}

// data asserts the session's dict, its order included (Django encodes it
// in that order).
func (r *flowReplay) data(what string, want json.RawMessage, sess *django.Session) {
	r.t.Helper()
	if len(want) == 0 {
		r.t.Fatalf("the row has no %s", what)
	}
	wv, err := pyjson.Unmarshal(want)
	if err != nil {
		r.t.Fatal(err)
	}
	if err := sess.Err(); err != nil {
		r.t.Errorf("%s: the session failed to load: %v", what, err)
	}
	got, err := pyjson.Marshal(sess.Data())
	if err != nil {
		r.t.Fatal(err)
	}
	wb, err := pyjson.Marshal(wv)
	if err != nil {
		r.t.Fatal(err)
	}
	if string(got) != string(wb) {
		r.t.Errorf("%s: Go %s, Django %s", what, got, wb)
	}
}

func (r *flowReplay) user(row loginRow, name string, authenticated bool) {
	r.t.Helper()
	if row.IsAuthenticated == nil || row.User == "" {
		r.t.Fatal("the row has no user")
	}
	if name != row.User || authenticated != *row.IsAuthenticated {
		r.t.Errorf("get_user: Go %s (authenticated %v), Django %s (%v)", name, authenticated, row.User, *row.IsAuthenticated)
	}
}

// TestLoginFlowVectors replays every row of every version's login_flow
// through Login, GetUser and Logout on a Session over a store, with the
// session keys drawn as Django drew them, and asserts Django's outcome:
// keys cycled, kept or dropped, the session's data, the user.
func TestLoginFlowVectors(t *testing.T) {
	for _, f := range vectors.PerVersion(t, "auth") {
		t.Run(f.Version, func(t *testing.T) {
			var head struct {
				Secret string `json:"secret_key"`
				T0     int64  `json:"frozen_time_T0"`
			}
			var rows []loginRow
			f.Into(t, &head, "secret_key", "frozen_time_T0")
			f.Section(t, "login_flow", &rows)
			ver, err := django.ParseVersion(f.Version)
			if err != nil {
				t.Fatal(err)
			}
			r := &flowReplay{t: t, ctx: context.Background(), dir: t.TempDir(), version: ver,
				secret: head.Secret, t0: time.Unix(head.T0, 0), rng: vectors.NewPyRandom(0)}
			r.use(head.Secret, nil)
			replayLoginFlow(t, r, rows)
		})
	}
}

func replayLoginFlow(t *testing.T, r *flowReplay, rows []loginRow) {
	var lastKey string // the key of the latest fresh login, which rows 2 to 7 reuse
	want := []string{"anonymous session", "encoded logged-in session", "same user logs in again",
		"different user logs in", "same user, stale", "get_user with valid session",
		"get_user with empty _auth_user_hash"}
	if r.version.AtLeast(4, 1) {
		want = append(want, "get_user after SECRET_KEY rotation (old key", "get_user after SECRET_KEY rotation without")
	} else {
		want = append(want, "get_user with legacy (sha1)")
	}
	want = append(want, "logout")
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d: %q", len(rows), len(want), want)
	}
	for i, row := range rows {
		if !strings.HasPrefix(row.Case, want[i]) {
			t.Fatalf("row %d is %q, want %q...", i, row.Case, want[i])
		}
		r.t = t
		ok := t.Run(row.Case, func(t *testing.T) {
			r.t = t
			switch i {
			case 0:
				before, sess := r.freshLogin(7, alice)
				r.key("session_key_before", row.KeyBefore, before)
				r.key("session_key_after", row.KeyAfter, sess.Key())
				r.data("session_after", row.SessionAfter, sess)
				lastKey = sess.Key()
			case 1:
				sess := r.session(lastKey)
				r.data("session", row.Session, sess)
				codec, err := django.NewCodec(r.settings)
				if err != nil {
					t.Fatal(err)
				}
				enc, err := codec.Encode(sess.Data())
				if err != nil {
					t.Fatal(err)
				}
				// Compressed data is Django's bytes only at Django's zlib
				// level, which Go does not claim (signing picks its own
				// level); both sides read each other's, checked here.
				if !strings.HasPrefix(row.Encoded, ".") && enc != row.Encoded {
					t.Errorf("encode = %s, Django %s", enc, row.Encoded)
				}
				for who, data := range map[string]string{"Go": enc, "Django": row.Encoded} {
					got, err := codec.Decode(data)
					if err != nil {
						t.Fatalf("Decode(%s's data): %v", who, err)
					}
					if !pyjson.Equal(got, sess.Data()) {
						t.Errorf("Decode(%s's data) = %v", who, got)
					}
				}
			case 2:
				r.seed(8)
				sess := r.session(lastKey)
				r.key("session_key_before", row.KeyBefore, sess.Key())
				sess.Set("extra", "x")
				r.login(sess, alice)
				r.key("session_key_after", row.KeyAfter, sess.Key())
				r.data("session_after", row.SessionAfter, sess)
			case 3, 4:
				n, user := uint32(9), bob
				if i == 4 {
					n, user = 11, alice
				}
				_, prev := r.freshLogin(n, alice)
				key := prev.Key()
				r.seed(n + 1)
				sess := r.session(key)
				r.key("session_key_before", row.KeyBefore, sess.Key())
				if i == 4 {
					sess.Set(HashSessionKey, "stale")
				}
				r.login(sess, user)
				r.key("session_key_after_login", row.KeyAfterLogin, sess.Key())
				r.data("session_after", row.SessionAfter, sess)
				if ok, err := r.store.Exists(r.ctx, key); err != nil || ok {
					t.Errorf("the flushed session is still stored: %v, %v", ok, err)
				}
			case 5:
				_, prev := r.freshLogin(13, alice)
				lastKey = prev.Key()
				sess := r.session(lastKey)
				name, authed := r.getUser(sess)
				r.user(row, name, authed)
				r.key("session_key_after", row.KeyAfter, sess.Key())
			case 6:
				r.seed(14)
				sess := r.session(lastKey)
				sess.Set(HashSessionKey, "")
				name, authed := r.getUser(sess)
				r.user(row, name, authed)
				r.data("session_after", row.SessionAfter, sess)
			case 7:
				_, prev := r.freshLogin(15, alice)
				key := prev.Key()
				if !r.version.AtLeast(4, 1) {
					if got := LegacySessionAuthHash(alice.Password, r.secret); got != row.LegacyHash {
						t.Fatalf("legacy hash %s, Django %s", got, row.LegacyHash)
					}
					sess := r.session(key)
					sess.Set(HashSessionKey, row.LegacyHash)
					if err := sess.Save(r.ctx); err != nil {
						t.Fatal(err)
					}
					sess = r.session(key)
					name, authed := r.getUser(sess)
					r.user(row, name, authed)
					r.data("session_after", row.SessionAfter, sess)
					return
				}
				if h, _ := prev.GetString(HashSessionKey); h != row.HashBefore {
					t.Errorf("hash before the rotation: Go %s, Django %s", h, row.HashBefore)
				}
				if len(row.Fallbacks) != 1 || row.Fallbacks[0] != r.secret || row.NewSecretKey == "" {
					t.Fatalf("rotation row: new key %q, fallbacks %q", row.NewSecretKey, row.Fallbacks)
				}
				r.seed(16)
				r.use(row.NewSecretKey, row.Fallbacks)
				defer r.use(r.secret, nil)
				sess := r.session(key)
				r.key("session_key_before", row.KeyBefore, sess.Key())
				name, authed := r.getUser(sess)
				r.user(row, name, authed)
				r.key("session_key_after", row.KeyAfter, sess.Key())
				r.data("session_after", row.SessionAfter, sess)
			case 8:
				if !r.version.AtLeast(4, 1) {
					logoutRow(r, row)
					return
				}
				_, prev := r.freshLogin(17, alice)
				key := prev.Key()
				r.seed(18)
				r.use("brand-new-secret-key", []string{})
				defer r.use(r.secret, nil)
				sess := r.session(key)
				name, authed := r.getUser(sess)
				r.user(row, name, authed)
				r.data("session_after", row.SessionAfter, sess)
			case 9:
				logoutRow(r, row)
			}
		})
		if !ok {
			// Later rows build on the keys of earlier ones.
			return
		}
	}
}

// logoutRow is the last row: logout flushes; no key is left.
func logoutRow(r *flowReplay, row loginRow) {
	r.t.Helper()
	_, prev := r.freshLogin(19, alice)
	key := prev.Key()
	sess := r.session(key)
	r.key("session_key_before", row.KeyBefore, sess.Key())
	if err := r.auth.Logout(r.ctx, sess); err != nil {
		r.t.Fatal(err)
	}
	r.key("session_key_after", row.KeyAfter, sess.Key())
	r.data("session_after", row.SessionAfter, sess)
	if ok, err := r.store.Exists(r.ctx, key); err != nil || ok {
		r.t.Errorf("the logged-out session is still stored: %v, %v", ok, err)
	}
}
