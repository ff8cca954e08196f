package chiexample_test

import (
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
	r.Get("/whoami", sitepeer.WhoAmI(site.Auth))
	r.Post("/write", sitepeer.Write("chi"))
	r.Post("/logout", sitepeer.Logout(site.Auth))
	srv := httptest.NewServer(r)
	defer srv.Close()
	site.Run(t, srv.URL, sitepeer.Scenario{Name: "chi", Vary: true})
}
