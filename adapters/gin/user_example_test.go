package djgin_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"

	djgin "github.com/djsession/djsession/adapters/gin"
	"github.com/djsession/djsession/backends/file"
	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/django/auth"
	"github.com/djsession/djsession/djangotest"
	"github.com/gin-gonic/gin"
)

// The Django user in a gin handler: auth reads it from the session as
// Django's get_user does, the session auth hash checked, so a user whose
// password changed in Django is logged out here too. The file engine and
// djangotest keep the example self-contained; a real service passes its
// db or cache store and auth.NewSQLUsers on auth_user.
func Example_user() {
	settings := django.DefaultSettings("the Django project's SECRET_KEY")
	settings.SessionEngine = django.EngineFile
	settings.SessionFilePath, _ = os.MkdirTemp("", "sessions")
	defer os.RemoveAll(settings.SessionFilePath)
	store, err := file.New(settings)
	if err != nil {
		log.Fatal(err)
	}
	alice := &auth.User{ID: "1", Username: "alice", Password: "pbkdf2_sha256$1000000$salt$hash=", IsActive: true}
	users := &auth.Auth{Users: djangotest.NewUsers(alice)}

	r := gin.New()
	r.Use(djgin.Middleware(store))
	r.GET("/go/account", func(c *gin.Context) {
		user, err := users.UserFromRequest(c.Request) // get_user(request)
		switch {
		case err != nil:
			c.String(http.StatusServiceUnavailable, "try again later")
		case user == nil:
			c.Redirect(http.StatusFound, "/accounts/login/")
		default:
			c.JSON(http.StatusOK, gin.H{"user": user.Username})
		}
	})

	cookie, err := djangotest.Login(context.Background(), store, alice) // as Django's login() leaves it
	if err != nil {
		log.Fatal(err)
	}
	req := httptest.NewRequest("GET", "/go/account", nil)
	req.AddCookie(cookie)
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	fmt.Println(w.Code, w.Body.String())

	w = httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest("GET", "/go/account", nil)) // no cookie
	fmt.Println(w.Code, w.Header().Get("Location"))
	// Output:
	// 200 {"user":"alice"}
	// 302 /accounts/login/
}
