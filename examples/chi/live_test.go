package chiexample_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/internal/sitepeer"
	"github.com/go-chi/chi/v5"
)

// Live: login in Django 5.2, the user in a chi handler, a write Django
// sees, a logout in chi that Django honours.
func TestDjangoLive(t *testing.T) {
	site := sitepeer.NewSite(t)
	r := chi.NewRouter()
	r.Use(django.Middleware(site.Store))
	r.Get("/whoami", func(w http.ResponseWriter, r *http.Request) {
		u, err := site.Auth.UserFromRequest(r)
		switch {
		case err != nil:
			http.Error(w, err.Error(), http.StatusInternalServerError)
		case u == nil:
			fmt.Fprint(w, "anonymous")
		default:
			fmt.Fprint(w, "user "+u.ID)
		}
	})
	r.Post("/write", func(w http.ResponseWriter, r *http.Request) {
		if err := django.FromRequest(r).Set("go_wrote", "chi"); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, "written")
	})
	r.Post("/logout", func(w http.ResponseWriter, r *http.Request) {
		if err := site.Auth.LogoutRequest(r); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, "bye")
	})
	srv := httptest.NewServer(r)
	defer srv.Close()
	site.Run(t, srv.URL, sitepeer.Scenario{Name: "chi", Vary: true})
}
