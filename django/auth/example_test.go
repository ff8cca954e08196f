package auth_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/djsession/djsession/backends/signedcookies"
	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/django/auth"
	"github.com/djsession/djsession/djangotest"
)

// A Go login form and a Go logout beside a Django site: LoginRequest is
// django.contrib.auth.login (the key cycled against fixation, the
// _auth_user_* keys stored, the CSRF secret rotated when csrf.Middleware
// runs), UserFromRequest is get_user (with the session auth hash check),
// LogoutRequest is logout (the session flushed, the cookie deleted).
func ExampleAuth_LoginRequest() {
	settings := django.DefaultSettings("the Django site's SECRET_KEY")
	settings.SessionEngine = django.EngineSignedCookies
	store, _ := signedcookies.New(settings)
	alice := &auth.User{ID: "1", Username: "alice", Password: "pbkdf2_sha256$1500000$salt$hash", IsActive: true}
	a := &auth.Auth{Users: djangotest.NewUsers(alice)} // auth.NewSQLUsers on auth_user in a service

	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		// ... after hashers.Check(r.FormValue("password"), alice.Password):
		if err := a.LoginRequest(r, alice, ""); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	mux.HandleFunc("GET /whoami", func(w http.ResponseWriter, r *http.Request) {
		if u, err := a.UserFromRequest(r); err == nil && u != nil {
			fmt.Fprint(w, u.Username)
			return
		}
		fmt.Fprint(w, "anonymous")
	})
	mux.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) {
		if err := a.LogoutRequest(r); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	site := django.Middleware(store)(mux)

	do := func(method, path string, cookie *http.Cookie) *http.Response {
		req := httptest.NewRequest(method, path, nil)
		if cookie != nil {
			req.AddCookie(cookie)
		}
		rec := httptest.NewRecorder()
		site.ServeHTTP(rec, req)
		return rec.Result()
	}
	session := do("POST", "/login", nil).Cookies()[0]
	body := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/whoami", nil)
	req.AddCookie(session)
	site.ServeHTTP(body, req)
	fmt.Println("logged in as", body.Body.String())
	deleted := do("POST", "/logout", session).Cookies()[0]
	fmt.Println("logout sets", deleted.Name, "to", fmt.Sprintf("%q", deleted.Value), "with Max-Age", deleted.MaxAge)
	// Output:
	// logged in as alice
	// logout sets sessionid to "" with Max-Age -1
}
