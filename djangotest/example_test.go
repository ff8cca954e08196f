package djangotest_test

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
	"github.com/djsession/djsession/djangotest"
)

// profile is the Go handler under test: it greets the Django user.
func profile(a *auth.Auth) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, err := a.UserFromRequest(r)
		switch {
		case err != nil:
			http.Error(w, err.Error(), http.StatusInternalServerError)
		case u == nil:
			http.Error(w, "log in first", http.StatusUnauthorized)
		default:
			fmt.Fprintf(w, "hello %s", u.Username)
		}
	})
}

// A test request arrives logged in: Login stores the session Django's
// login() would have stored, and the handler, behind django.Middleware,
// finds the user through auth.
func ExampleLogin() {
	dir, _ := os.MkdirTemp("", "sessions")
	defer os.RemoveAll(dir)
	settings := django.DefaultSettings("the project's SECRET_KEY")
	settings.SessionEngine = django.EngineFile
	settings.SessionFilePath = dir
	store, _ := file.New(settings)

	user := &auth.User{ID: "42", Username: "alice", IsActive: true, Password: "pbkdf2_sha256$1000000$salt$hash="}
	cookie, err := djangotest.Login(context.Background(), store, user)
	if err != nil {
		fmt.Println(err)
		return
	}

	a := &auth.Auth{Users: djangotest.NewUsers(user)}
	handler := django.Middleware(store)(profile(a))
	req := httptest.NewRequest("GET", "/profile", nil)
	req.AddCookie(cookie)
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Body.String())
	// Output: 200 hello alice
}

// With the signed_cookies engine the cookie is the session; AddLogin puts
// it (and the CSRF cookie and token header) on the request.
func ExampleAddLogin() {
	settings := django.DefaultSettings("the project's SECRET_KEY")
	settings.SessionEngine = django.EngineSignedCookies
	store, _ := signedcookies.New(settings)
	user := &auth.User{ID: "7", Username: "bob", IsActive: true, Password: "argon2$argon2id$v=19$m=102400,t=2,p=8$salt$hash"}

	req := httptest.NewRequest("GET", "/profile", nil)
	if err := djangotest.AddLogin(req, store, user); err != nil {
		fmt.Println(err)
		return
	}
	a := &auth.Auth{Users: djangotest.NewUsers(user)}
	rec := httptest.NewRecorder()
	django.Middleware(store)(profile(a)).ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Body.String())
	// Output: 200 hello bob
}

// The project's own fixtures (manage.py dumpdata sessions.session
// auth.user > fixture.json) give a test the sessions and users Django made.
func ExampleReadFixture() {
	f, err := djangotest.ReadFixtureFile("testdata/dumpdata-5.2.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	dir, _ := os.MkdirTemp("", "sessions")
	defer os.RemoveAll(dir)
	settings := django.DefaultSettings(secret)
	settings.SessionEngine = django.EngineFile
	settings.SessionFilePath = dir
	// The dumped session expires on 2026-12-17.
	settings.Clock = func() time.Time { return time.Date(2026, 12, 3, 17, 0, 0, 0, time.UTC) }
	store, _ := file.New(settings)
	if err := f.Save(context.Background(), store, settings); err != nil {
		fmt.Println(err)
		return
	}

	a := &auth.Auth{Users: f.Users}
	req := httptest.NewRequest("GET", "/profile", nil)
	req.AddCookie(&http.Cookie{Name: settings.SessionCookieName, Value: f.Sessions[0].Key})
	rec := httptest.NewRecorder()
	django.Middleware(store)(profile(a)).ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Body.String())
	// Output: 200 hello alice
}
