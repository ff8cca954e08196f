package echoexample_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/djsession/djsession/backends/file"
	"github.com/djsession/djsession/django"
	"github.com/labstack/echo/v4"
)

// An echo service that shares Django's sessions: e.Use(echo.WrapMiddleware(
// django.Middleware(...))) and django.FromRequest(c.Request()) in the
// handlers. The file engine keeps the example self-contained; a real
// service passes its db or cache store.
func Example() {
	settings := django.DefaultSettings("the Django project's SECRET_KEY")
	settings.SessionEngine = django.EngineFile
	settings.SessionFilePath, _ = os.MkdirTemp("", "sessions")
	defer os.RemoveAll(settings.SessionFilePath)
	store, err := file.New(settings)
	if err != nil {
		log.Fatal(err)
	}

	e := echo.New()
	e.Use(echo.WrapMiddleware(django.Middleware(store)))
	e.POST("/cart/:item", func(c echo.Context) error {
		if err := django.FromRequest(c.Request()).Set("cart", []string{c.Param("item")}); err != nil {
			return echo.NewHTTPError(http.StatusBadRequest, err.Error())
		}
		return c.String(http.StatusOK, "added\n")
	})

	w := httptest.NewRecorder()
	e.ServeHTTP(w, httptest.NewRequest("POST", "/cart/42", nil))
	cookie := w.Result().Cookies()[0]
	fmt.Println(w.Code, cookie.Name, len(cookie.Value), w.Header().Get("Vary"))
	data, _ := store.Load(context.Background(), cookie.Value)
	fmt.Println(data)
	// Output:
	// 200 sessionid 32 Cookie
	// {'cart': ['42']}
}
