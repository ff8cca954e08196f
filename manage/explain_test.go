package manage

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/djsession/djsession/backends/cache"
	"github.com/djsession/djsession/backends/db"
	"github.com/djsession/djsession/backends/file"
	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/django/auth"
	"github.com/djsession/djsession/pyjson"
	"github.com/djsession/djsession/signing"
)

func mustExplain(t *testing.T, src Sources, value string) *ExplainReport {
	t.Helper()
	r, err := Explain(context.Background(), src, value)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range r.Findings {
		if strings.Contains(f.Text, value) && len(value) > ShortKeyLength {
			t.Fatalf("a finding shows the whole value: %q", f.Text)
		}
		for _, secret := range []string{chkSecret, chkOld} {
			if strings.Contains(f.Text, secret) {
				t.Fatalf("a finding shows a key: %q", f.Text)
			}
		}
	}
	return r
}

func said(r *ExplainReport, text string) bool {
	for _, f := range r.Findings {
		if strings.Contains(f.Text, text) {
			return true
		}
	}
	return false
}

func TestExplainDB(t *testing.T) {
	sqlDB := chkDB(t)
	site := chkSettings(chkSecret)
	site.SecretKeyFallbacks = []string{chkOld}
	store, _ := db.New(sqlDB, db.SQLite, site)
	oldStore, _ := db.New(sqlDB, db.SQLite, chkSettings(chkOld))
	users := auth.NewSQLUsers(sqlDB, db.SQLite, auth.UserTable{})
	src := Sources{Settings: site, DB: store, Users: users}

	k := create(t, store, loginDict(chkSecret))
	r := mustExplain(t, src, k)
	if r.Disagrees || r.Kind != KindSessionKey || r.Signature == nil || r.Signature.Key != "SECRET_KEY" || r.Serializer != SerializerJSON ||
		r.User == nil || !r.User.HashValid || r.User.HashKey != "SECRET_KEY" || r.Expired || len(r.Places) != 1 || !r.Places[0].Configured ||
		!r.Expires.Equal(chkNow.Add(time.Duration(site.SessionCookieAge)*time.Second)) {
		t.Fatalf("current key: %+v", r)
	}

	k = create(t, oldStore, loginDict(chkOld))
	r = mustExplain(t, src, k)
	if r.Disagrees || r.Signature.Fallback != 0 || r.Signature.Key != "SECRET_KEY_FALLBACKS[0]" || r.User.HashFallback != 0 ||
		!said(r, "depends on SECRET_KEY_FALLBACKS[0]") {
		t.Fatalf("fallback: %+v", r.Findings)
	}

	// Another SECRET_KEY: the signature and the hash verify under none.
	wrong := chkSettings("not-the-site-key-0123456789abcdefghijklmnopq")
	ws, _ := db.New(sqlDB, db.SQLite, wrong)
	r = mustExplain(t, Sources{Settings: wrong, DB: ws, Users: users}, k)
	if !r.Disagrees || r.Signature.Verified || r.Findings[len(r.Findings)-1].Setting == "" {
		t.Fatalf("wrong key: %+v", r.Findings)
	}

	// A zone unlike Django's on SQLite: expire_date reads 9 hours off.
	tokyo := chkSettings(chkSecret)
	tokyo.UseTZ, tokyo.TimeZone = false, "Asia/Tokyo"
	tz, _ := db.New(sqlDB, db.SQLite, tokyo)
	k = create(t, store, pyjson.NewDict(0))
	r = mustExplain(t, Sources{Settings: tokyo, DB: tz}, k)
	if !r.Disagrees || !said(r, "off from when the data says") {
		t.Fatalf("zone: %+v", r.Findings)
	}

	// A key nowhere.
	r = mustExplain(t, src, "nosuchsessionkeynosuchsessionkey")
	if !r.Disagrees || len(r.Places) != 0 {
		t.Fatalf("missing: %+v", r)
	}
	if _, err := Explain(context.Background(), src, ""); err == nil {
		t.Fatal("empty value: no error")
	}
}

// TestExplainCookies: signed_cookies cookies, session_data pasted whole,
// signing.dumps values and values signed with an unknown key.
func TestExplainCookies(t *testing.T) {
	site := chkSettings(chkSecret)
	site.SessionEngine = django.EngineSignedCookies
	codec, err := django.NewCodec(site)
	if err != nil {
		t.Fatal(err)
	}
	cookie, err := codec.Encode(loginDict(chkSecret))
	if err != nil {
		t.Fatal(err)
	}
	sqlDB := chkDB(t)
	src := Sources{Settings: site, Users: auth.NewSQLUsers(sqlDB, db.SQLite, auth.UserTable{})}
	r := mustExplain(t, src, cookie)
	if r.Disagrees || r.Kind != KindSignedCookies || r.User == nil || !r.User.HashValid || r.Expired {
		t.Fatalf("signed_cookies: %+v", r)
	}
	// The same cookie, 15 days later: expired (SESSION_COOKIE_AGE).
	late := site
	late.Clock = func() time.Time { return chkNow.Add(15 * 24 * time.Hour) }
	if r := mustExplain(t, Sources{Settings: late}, cookie); !r.Expired {
		t.Fatalf("old cookie: %+v", r)
	}
	// Read by a db site: a signed_cookies cookie where SESSION_ENGINE is db.
	dbSite := chkSettings(chkSecret)
	if r := mustExplain(t, Sources{Settings: dbSite}, cookie); !r.Disagrees || r.Findings[1].Setting != "SESSION_ENGINE" {
		t.Fatalf("engine: %+v", r.Findings)
	}
	// signing.dumps with the default salt.
	tok, err := signing.Dumps("x", signing.Options{Key: chkSecret}, false)
	if err != nil {
		t.Fatal(err)
	}
	if r := mustExplain(t, Sources{Settings: dbSite}, tok); r.Kind != KindSigningDumps || r.Disagrees {
		t.Fatalf("dumps: %+v", r)
	}
	// Another key.
	other := chkSettings("another-site-key-0123456789abcdefghijklmnopq")
	other.SessionEngine = django.EngineSignedCookies
	oc, _ := django.NewCodec(other)
	foreign, _ := oc.Encode(pyjson.NewDict(0))
	if r := mustExplain(t, Sources{Settings: site}, foreign); r.Kind != KindSignedUnknown || !r.Disagrees {
		t.Fatalf("foreign: %+v", r)
	}
	// Pickle session_data on a 5.2 site.
	pk := chkSettings(chkSecret)
	pk.DjangoVersion, pk.SessionSerializer, pk.AllowPickleSerializer = django.Django42, django.PickleSerializer, true
	pc, _ := django.NewCodec(pk)
	data, _ := pc.Encode(loginDict(chkSecret))
	if r := mustExplain(t, Sources{Settings: dbSite}, data); r.Kind != KindSessionData || r.Serializer != SerializerPickle || !r.Disagrees {
		t.Fatalf("pickle session_data on 5.2: %+v", r)
	}
}

// TestExplainFileAndCache: a file session; a cache session found under
// another KEY_PREFIX and Redis db than the configured.
func TestExplainFileAndCache(t *testing.T) {
	site := chkSettings(chkSecret)
	site.SessionEngine = django.EngineFile
	site.SessionFilePath = t.TempDir()
	fs, _ := file.New(site)
	k := create(t, fs, loginDict(chkSecret))
	r := mustExplain(t, Sources{Settings: site, File: fs}, k)
	if r.Disagrees || len(r.Places) != 1 || r.Places[0].Engine != "file" || r.Signature.Key != "SECRET_KEY" {
		t.Fatalf("file: %+v", r)
	}

	ctx := context.Background()
	rc := chkRedis(t, 0)
	prefix := "exp" + time.Now().Format("150405.000000")
	cs := chkSettings(chkSecret)
	cs.SessionEngine, cs.Clock = django.EngineCache, nil
	c := mustRedis(t, cache.Options{KeyPrefix: prefix}, rc)
	st, _ := cache.New(c, cs)
	k = create(t, st, loginDict(chkSecret))
	defer st.Delete(ctx, k)
	r = mustExplain(t, Sources{Settings: cs, Cache: c, RedisDBs: []int{}}, k)
	if r.Disagrees || len(r.Places) != 1 || !r.Places[0].Configured || r.Serializer != "pickle (the cache's)" || r.User == nil {
		t.Fatalf("cache: %+v", r)
	}
	for _, other := range []*cache.Redis{mustRedis(t, cache.Options{KeyPrefix: prefix + "x"}, rc), mustRedis(t, cache.Options{KeyPrefix: prefix}, chkRedis(t, 1))} {
		r = mustExplain(t, Sources{Settings: cs, Cache: other, RedisDBs: []int{0, 1}}, k)
		if !r.Disagrees || len(r.Places) != 1 || r.Places[0].Configured || !strings.Contains(r.Places[0].Where, "Redis db 0") {
			t.Fatalf("cache elsewhere: %+v", r)
		}
	}
}
