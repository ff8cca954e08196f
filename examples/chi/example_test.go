package chiexample_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/djsession/djsession/backends/file"
	"github.com/djsession/djsession/django"
	"github.com/go-chi/chi/v5"
)

// A chi service that shares Django's sessions: r.Use(django.Middleware(...))
// and django.FromRequest in the handlers. The file engine keeps the
// example self-contained; a real service passes its db or cache store.
func Example() {
	settings := django.DefaultSettings("the Django project's SECRET_KEY")
	settings.SessionEngine = django.EngineFile
	settings.SessionFilePath, _ = os.MkdirTemp("", "sessions")
	defer os.RemoveAll(settings.SessionFilePath)
	store, err := file.New(settings)
	if err != nil {
		log.Fatal(err)
	}

	r := chi.NewRouter()
	r.Use(django.Middleware(store))
	r.Post("/cart/{item}", func(w http.ResponseWriter, r *http.Request) {
		if err := django.FromRequest(r).Set("cart", []string{chi.URLParam(r, "item")}); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		fmt.Fprintln(w, "added")
	})

	w := httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest("POST", "/cart/42", nil))
	cookie := w.Result().Cookies()[0]
	fmt.Println(w.Code, cookie.Name, len(cookie.Value), w.Header().Get("Vary"))
	data, _ := store.Load(context.Background(), cookie.Value)
	fmt.Println(data)
	// Output:
	// 200 sessionid 32 Cookie
	// {'cart': ['42']}
}
