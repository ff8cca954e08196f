package djscs_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"

	djscs "github.com/djsession/djsession/adapters/scs"
	"github.com/djsession/djsession/backends/file"
	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/pyjson"
)

// An scs application over a session Django made: it reads the user and
// writes the cart with scs's API. The file engine keeps the example
// self-contained; a real service passes its db or cache store.
func Example() {
	settings := django.DefaultSettings("the Django project's SECRET_KEY")
	settings.SessionEngine = django.EngineFile
	settings.SessionFilePath, _ = os.MkdirTemp("", "sessions")
	defer os.RemoveAll(settings.SessionFilePath)
	store, err := file.New(settings)
	if err != nil {
		log.Fatal(err)
	}
	// What Django's login() leaves, made here so the example runs alone.
	d := pyjson.NewDict(1)
	d.Set("_auth_user_id", "7")
	key, _ := django.Create(context.Background(), store, d)

	sm := djscs.New(store)
	h := sm.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sm.Put(r.Context(), "cart", []string{"42"})
	}))

	req := httptest.NewRequest("POST", "/cart", nil)
	req.Header.Set("Cookie", "sessionid="+key)
	h.ServeHTTP(httptest.NewRecorder(), req)
	data, _ := store.Load(context.Background(), key)
	fmt.Println(data)
	// Output:
	// {'_auth_user_id': '7', 'cart': ['42']}
}
