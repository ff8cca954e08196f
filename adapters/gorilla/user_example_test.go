package djgorilla_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"

	djgorilla "github.com/djsession/djsession/adapters/gorilla"
	"github.com/djsession/djsession/backends/file"
	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/django/auth"
	"github.com/djsession/djsession/djangotest"
	"github.com/gorilla/sessions"
)

// The Django user in a gorilla/sessions handler: the three _auth_user_*
// values go to auth's Whois, which checks the session auth hash as
// get_user does, so a user whose password changed in Django is anonymous
// here too. Whois only reads: a hash made under a SECRET_KEY_FALLBACKS key
// is accepted as is, and Django re-stamps it on its next request. The file
// engine and djangotest keep the example self-contained; a real service
// passes its db or cache store and auth.NewSQLUsers on auth_user.
func Example_user() {
	settings := django.DefaultSettings("the Django project's SECRET_KEY")
	settings.SessionEngine = django.EngineFile
	settings.SessionFilePath, _ = os.MkdirTemp("", "sessions")
	defer os.RemoveAll(settings.SessionFilePath)
	dstore, err := file.New(settings)
	if err != nil {
		log.Fatal(err)
	}
	store := djgorilla.NewStore(dstore)
	alice := &auth.User{ID: "1", Username: "alice", Password: "pbkdf2_sha256$1000000$salt$hash=", IsActive: true}
	accounts := djangotest.NewUsers(alice) // auth.NewSQLUsers(sqlDB, db.Postgres, auth.UserTable{}) in a service
	users := &auth.Auth{Users: accounts}

	// currentUser is get_user(request): nil when anonymous.
	currentUser := func(ctx context.Context, sess *sessions.Session) (*auth.User, error) {
		id, _ := sess.Values[auth.SessionKey].(string)
		backend, _ := sess.Values[auth.BackendSessionKey].(string)
		hash, _ := sess.Values[auth.HashSessionKey].(string)
		user, valid, err := users.Whois(ctx, dstore.Settings(), id, backend, hash)
		if errors.Is(err, auth.ErrNoUser) || (err == nil && !valid) {
			return nil, nil
		}
		return user, err
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess, err := store.Get(r, settings.SessionCookieName)
		if err != nil {
			http.Error(w, "try again later", http.StatusServiceUnavailable)
			return
		}
		user, err := currentUser(r.Context(), sess)
		switch {
		case err != nil: // the user store failed: not an anonymous user
			http.Error(w, "try again later", http.StatusServiceUnavailable)
		case user == nil:
			http.Redirect(w, r, "/accounts/login/", http.StatusFound)
		default:
			fmt.Fprintf(w, "hello %s", user.Username)
		}
	})
	get := func(cookie *http.Cookie) string {
		req := httptest.NewRequest("GET", "/go/", nil)
		req.AddCookie(cookie)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if to := rec.Header().Get("Location"); to != "" {
			return fmt.Sprint(rec.Code, " to ", to)
		}
		return fmt.Sprint(rec.Code, " ", rec.Body.String())
	}

	cookie, err := djangotest.Login(context.Background(), dstore, alice) // as Django's login() leaves it
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(get(cookie))
	// alice changes her password in Django: the session's hash is stale.
	accounts.Add(&auth.User{ID: "1", Username: "alice", Password: "pbkdf2_sha256$1000000$salt2$hash2=", IsActive: true})
	fmt.Println(get(cookie))
	// Output:
	// 200 hello alice
	// 302 to /accounts/login/
}
