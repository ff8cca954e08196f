package djscs_test

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	djscs "github.com/djsession/djsession/adapters/scs"
	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/django/auth"
	"github.com/djsession/djsession/internal/sitepeer"
)

// Live, cache engine on Redis: a login done with scs's API (RenewToken,
// the _auth_user_* keys) under a token scs drew is one Django 5.2 sees,
// and scs's Destroy logs the user out of Django.
func TestScsLoginOnCache(t *testing.T) {
	sitepeer.RequireLive(t)
	b := make([]byte, 4)
	rand.Read(b)
	prefix := "djscs" + hex.EncodeToString(b)
	p := sitepeer.Start(t, map[string]any{"engine": "cache", "database": map[string]any{"vendor": "sqlite", "path": filepath.Join(t.TempDir(), "site.sqlite3")},
		"redis": "redis://127.0.0.1:6379/0", "key_prefix": prefix, "secret_key": sitepeer.SecretKey})
	user := p.Call(t, map[string]any{"op": "create_user", "username": "carol"})
	id, password := user["user_id"].(string), user["password"].(string)

	st := django.DefaultSettings(sitepeer.SecretKey)
	st.SessionEngine = django.EngineCache
	st.DjangoVersion = django.Django52
	sm := djscs.New(sitepeer.RedisStore(t, prefix, st))
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if err := sm.RenewToken(ctx); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		sm.Put(ctx, auth.SessionKey, id)
		sm.Put(ctx, "_auth_user_backend", auth.ModelBackend)
		sm.Put(ctx, "_auth_user_hash", auth.SessionAuthHash(password, sitepeer.SecretKey))
	})
	mux.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) {
		if err := sm.Destroy(r.Context()); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	srv := httptest.NewServer(sm.LoadAndSave(mux))
	defer srv.Close()
	site := &sitepeer.Site{Peer: p, Settings: st}

	r := site.Do(t, srv.URL, "POST", "/login", "")
	var token string
	for _, h := range r.SetCookie {
		if c, err := http.ParseSetCookie(h); err == nil && c.Name == "sessionid" {
			token = c.Value
		}
	}
	if r.Status != http.StatusOK || len(token) != 43 {
		t.Fatalf("scs login: %d %q, Set-Cookie %q", r.Status, r.Body, r.SetCookie)
	}
	if got, _ := site.WhoAmI(t, token); got != id {
		t.Fatalf("Django sees user %q under scs's token, want %s", got, id)
	}
	if r := site.Do(t, srv.URL, "POST", "/logout", token); r.Status != http.StatusOK {
		t.Fatalf("scs logout: %d %q", r.Status, r.Body)
	}
	if got, data := site.WhoAmI(t, token); got != "" || data != nil && len(data) > 0 {
		t.Fatalf("Django after scs's Destroy: user %q, data %v; want anonymous", got, data)
	}
}
