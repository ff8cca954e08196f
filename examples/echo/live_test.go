package echoexample_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/internal/sitepeer"
	"github.com/labstack/echo/v4"
)

// Live: login in Django 5.2, the user in an echo handler, a write Django
// sees, a logout in echo that Django honours.
func TestDjangoLive(t *testing.T) {
	site := sitepeer.NewSite(t)
	e := echo.New()
	e.Use(echo.WrapMiddleware(django.Middleware(site.Store)))
	e.GET("/whoami", func(c echo.Context) error {
		u, err := site.Auth.UserFromRequest(c.Request())
		switch {
		case err != nil:
			return err
		case u == nil:
			return c.String(http.StatusOK, "anonymous")
		default:
			return c.String(http.StatusOK, "user "+u.ID)
		}
	})
	e.POST("/write", func(c echo.Context) error {
		if err := django.FromRequest(c.Request()).Set("go_wrote", "echo"); err != nil {
			return err
		}
		return c.String(http.StatusOK, "written")
	})
	e.POST("/logout", func(c echo.Context) error {
		if err := site.Auth.LogoutRequest(c.Request()); err != nil {
			return err
		}
		return c.String(http.StatusOK, "bye")
	})
	srv := httptest.NewServer(e)
	defer srv.Close()
	site.Run(t, srv.URL, sitepeer.Scenario{Name: "echo", Vary: true})
}

// A handler that reports its failure with c.Error gets Django's rule: no
// save on a 5xx, so the session's cookie is not sent.
func TestErrorNotSaved(t *testing.T) {
	store := sitepeer.FileStore(t, "echo-example-unit-test-secret-key", t.TempDir())
	e := echo.New()
	e.Use(echo.WrapMiddleware(django.Middleware(store)))
	e.GET("/fail", func(c echo.Context) error {
		_ = django.FromRequest(c.Request()).Set("x", 1)
		c.Error(echo.NewHTTPError(http.StatusInternalServerError, "down"))
		return nil
	})
	w := httptest.NewRecorder()
	e.ServeHTTP(w, httptest.NewRequest("GET", "/fail", nil))
	if w.Code != http.StatusInternalServerError || len(w.Result().Cookies()) != 0 {
		t.Fatalf("status %d, cookies %v; want 500 and no session cookie", w.Code, w.Result().Cookies())
	}
}

// The difference the package doc names: an error the handler returns is
// rendered after the middleware chain, so the session was saved (and its
// cookie sent) as for a 200.
func TestReturnedErrorSaved(t *testing.T) {
	store := sitepeer.FileStore(t, "echo-example-unit-test-secret-key", t.TempDir())
	e := echo.New()
	e.Use(echo.WrapMiddleware(django.Middleware(store)))
	e.GET("/fail", func(c echo.Context) error {
		_ = django.FromRequest(c.Request()).Set("x", 1)
		return echo.NewHTTPError(http.StatusInternalServerError, "down")
	})
	w := httptest.NewRecorder()
	e.ServeHTTP(w, httptest.NewRequest("GET", "/fail", nil))
	if w.Code != http.StatusInternalServerError || len(w.Result().Cookies()) != 1 {
		t.Fatalf("status %d, cookies %v; want 500 with the session cookie (echo renders the error after the middleware)", w.Code, w.Result().Cookies())
	}
}
