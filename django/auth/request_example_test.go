package auth_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"

	_ "modernc.org/sqlite" // the program's SQL driver; the library imports none

	"github.com/djsession/djsession/backends/db"
	"github.com/djsession/djsession/backends/file"
	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/django/auth"
	"github.com/djsession/djsession/djangotest"
)

// The Django user in a Go handler: the session Django's login() stored in
// django_session, the user from auth_user, and the session auth hash that
// logs the user out here too when the password changes in Django.
func ExampleAuth_UserFromRequest() {
	dir, _ := os.MkdirTemp("", "site")
	defer os.RemoveAll(dir)
	sqlDB, _ := sql.Open("sqlite", filepath.Join(dir, "db.sqlite3")) // Django's database
	defer sqlDB.Close()
	ctx := context.Background()
	// Django's migrate makes these tables; here, the columns auth reads.
	db.CreateTable(ctx, sqlDB, db.SQLite)
	sqlDB.Exec(`CREATE TABLE auth_user (id integer PRIMARY KEY, password varchar(128), is_active bool, username varchar(150))`)
	sqlDB.Exec(`INSERT INTO auth_user VALUES (1, 'pbkdf2_sha256$1000000$salt$hash=', 1, 'alice')`)

	settings := django.DefaultSettings("the Django site's SECRET_KEY")
	settings.Logger = slog.New(slog.NewTextHandler(io.Discard, nil)) // the stale hash below is logged
	store, _ := db.New(sqlDB, db.SQLite, settings)
	users := &auth.Auth{Users: auth.NewSQLUsers(sqlDB, db.SQLite, auth.UserTable{})}

	site := django.Middleware(store)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, err := users.UserFromRequest(r) // get_user(request)
		switch {
		case err != nil: // the database failed: not an anonymous user
			http.Error(w, "try again later", http.StatusServiceUnavailable)
		case user == nil:
			http.Redirect(w, r, "/accounts/login/", http.StatusFound)
		default:
			fmt.Fprintf(w, "hello %s", user.Username)
		}
	}))
	get := func(cookie *http.Cookie) string {
		req := httptest.NewRequest("GET", "/go/", nil)
		req.AddCookie(cookie)
		rec := httptest.NewRecorder()
		site.ServeHTTP(rec, req)
		if to := rec.Header().Get("Location"); to != "" {
			return fmt.Sprint(rec.Code, " to ", to)
		}
		return fmt.Sprint(rec.Code, " ", rec.Body.String())
	}

	// The session Django's login() leaves: the three _auth_user_* keys.
	alice, _ := users.Users.User(ctx, "1")
	cookie, err := djangotest.Login(ctx, store, alice)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(get(cookie))

	// alice changes her password in Django: the session's hash is stale.
	sqlDB.Exec(`UPDATE auth_user SET password = 'pbkdf2_sha256$1000000$salt2$hash2=' WHERE id = 1`)
	fmt.Println(get(cookie))
	// Output:
	// 200 hello alice
	// 302 to /accounts/login/
}

// A Go logout: LogoutRequest is Django's logout(request). The session is
// flushed (deleted from the store, so Django sees the user logged out
// too), and the middleware deletes the cookie.
func ExampleAuth_LogoutRequest() {
	settings := django.DefaultSettings("the Django site's SECRET_KEY")
	settings.SessionEngine = django.EngineFile
	settings.SessionFilePath, _ = os.MkdirTemp("", "sessions")
	defer os.RemoveAll(settings.SessionFilePath)
	store, _ := file.New(settings)
	alice := &auth.User{ID: "1", Username: "alice", Password: "pbkdf2_sha256$1000000$salt$hash=", IsActive: true}
	users := &auth.Auth{Users: djangotest.NewUsers(alice)} // auth.NewSQLUsers on auth_user in a service

	mux := http.NewServeMux()
	mux.HandleFunc("POST /go/logout", func(w http.ResponseWriter, r *http.Request) {
		if err := users.LogoutRequest(r); err != nil {
			http.Error(w, "try again later", http.StatusServiceUnavailable)
			return
		}
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
	mux.HandleFunc("GET /go/", func(w http.ResponseWriter, r *http.Request) {
		if user, err := users.UserFromRequest(r); err == nil && user != nil {
			fmt.Fprint(w, user.Username)
			return
		}
		fmt.Fprint(w, "anonymous")
	})
	site := django.Middleware(store)(mux)
	do := func(method, path string, cookie *http.Cookie) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, nil)
		req.AddCookie(cookie)
		rec := httptest.NewRecorder()
		site.ServeHTTP(rec, req)
		return rec
	}

	cookie, err := djangotest.Login(context.Background(), store, alice) // logged in by Django
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("before:", do("GET", "/go/", cookie).Body.String())
	deleted := do("POST", "/go/logout", cookie).Result().Cookies()[0]
	fmt.Printf("logout: %s=%q Max-Age %d\n", deleted.Name, deleted.Value, deleted.MaxAge)
	exists, _ := store.Exists(context.Background(), cookie.Value)
	fmt.Println("session still stored:", exists)
	fmt.Println("old cookie:", do("GET", "/go/", cookie).Body.String())
	// Output:
	// before: alice
	// logout: sessionid="" Max-Age -1
	// session still stored: false
	// old cookie: anonymous
}
