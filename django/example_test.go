package django_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"time"

	"github.com/djsession/djsession/backends/file"
	"github.com/djsession/djsession/backends/signedcookies"
	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/django/auth"
	"github.com/djsession/djsession/pyjson"
)

// Read the Django user in a Go handler: the middleware reads the
// sessionid cookie as Django does, and auth.Auth.UserFromRequest runs
// Django's get_user: the user id from the session, the user from
// auth_user, and the session auth hash check that logs a user out
// everywhere when their password changes. (Never trust _auth_user_id
// alone: a session whose hash no longer matches is not logged in.)
func ExampleMiddleware() {
	settings := django.DefaultSettings("django-insecure-interop-vector-secret-key-0123456789")
	settings.SessionEngine = django.EngineSignedCookies
	store, _ := signedcookies.New(settings)
	// In a service: auth.NewSQLUsers(sqlDB, db.Postgres, auth.UserTable{}) on Django's auth_user.
	alice := &auth.User{ID: "1", Username: "alice", Password: "pbkdf2_sha256$1500000$salt$hash", IsActive: true}
	a := &auth.Auth{Users: users{"1": alice}}

	whoami := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, err := a.UserFromRequest(r)
		switch {
		case err != nil:
			http.Error(w, "session store unavailable", http.StatusServiceUnavailable)
		case user == nil:
			fmt.Fprint(w, "anonymous")
		default:
			fmt.Fprintf(w, "user %s (%s)", user.ID, user.Username)
		}
	})
	handler := django.Middleware(store)(whoami)

	// A cookie that Django's login() wrote for alice (signed_cookies engine).
	cookie, _ := store.CookieValue(mustDict(`{"_auth_user_id":"1","_auth_user_backend":"django.contrib.auth.backends.ModelBackend","_auth_user_hash":"` +
		auth.SessionAuthHash(alice.Password, settings.SecretKey) + `"}`))
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Cookie", "sessionid="+cookie)
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, req)
	fmt.Println(rec.Body.String())
	// Output: user 1 (alice)
}

// users is a UserStore over a map, for the examples.
type users map[string]*auth.User

func (u users) User(_ context.Context, id string) (*auth.User, error) {
	if user, ok := u[id]; ok {
		return user, nil
	}
	return nil, auth.ErrNoUser
}

// Write a value Django reads: change the session in Go and save it; the
// next Django request finds it in request.session.
func ExampleSession_Set() {
	dir, _ := os.MkdirTemp("", "sessions")
	defer os.RemoveAll(dir)
	settings := django.DefaultSettings("django-insecure-interop-vector-secret-key-0123456789")
	settings.SessionEngine = django.EngineFile
	settings.SessionFilePath = dir // SESSION_FILE_PATH, shared with Django
	store, _ := file.New(settings)

	ctx := context.Background()
	session := django.NewSession(ctx, store, "") // no cookie yet
	session.Set("cart", []any{"SKU-1", "SKU-2"})
	session.SetExpiry(30 * time.Minute)
	if err := session.Save(ctx); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("saved under a new key of", len(session.Key()), "characters")
	// Output: saved under a new key of 32 characters
}

// Log a user in from Go, as django.contrib.auth.login does: the session
// key is cycled against fixation and the _auth_user_* keys are stored,
// so Django sees the user logged in.
func ExampleMiddleware_login() {
	settings := django.DefaultSettings("django-insecure-interop-vector-secret-key-0123456789")
	settings.SessionEngine = django.EngineSignedCookies
	store, _ := signedcookies.New(settings)
	a := &auth.Auth{Users: nil}

	login := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// ... after checking the password (hashers.Check) against auth_user:
		user := &auth.User{ID: "42", Password: "pbkdf2_sha256$1500000$salt$hash", IsActive: true}
		if err := a.Login(r.Context(), django.FromRequest(r), user, ""); err != nil {
			http.Error(w, err.Error(), 500)
		}
	})
	rec := httptest.NewRecorder()
	django.Middleware(store)(login).ServeHTTP(rec, httptest.NewRequest("POST", "/login", nil))
	cookie := rec.Result().Cookies()[0]
	session, _ := store.Load(context.Background(), cookie.Value)
	id, _ := session.GetString(auth.SessionKey)
	fmt.Println(cookie.Name, "for user", id)
	// Output: sessionid for user 42
}

func mustDict(js string) *pyjson.Dict {
	d, err := pyjson.UnmarshalDict([]byte(js))
	if err != nil {
		panic(err)
	}
	return d
}
