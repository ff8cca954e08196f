package djgorilla_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"

	djgorilla "github.com/djsession/djsession/adapters/gorilla"
	"github.com/djsession/djsession/backends/file"
	"github.com/djsession/djsession/django"
)

// A gorilla/sessions handler over Django's sessions. The file engine keeps
// the example self-contained; a real service passes its db or cache store.
func Example() {
	settings := django.DefaultSettings("the Django project's SECRET_KEY")
	settings.SessionEngine = django.EngineFile
	settings.SessionFilePath, _ = os.MkdirTemp("", "sessions")
	defer os.RemoveAll(settings.SessionFilePath)
	dstore, err := file.New(settings)
	if err != nil {
		log.Fatal(err)
	}
	store := djgorilla.NewStore(dstore)

	h := func(w http.ResponseWriter, r *http.Request) {
		sess, err := store.Get(r, settings.SessionCookieName)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		sess.Values["cart"] = []string{"42"}
		if err := sess.Save(r, w); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	}

	w := httptest.NewRecorder()
	h(w, httptest.NewRequest("POST", "/cart", nil))
	cookie := w.Result().Cookies()[0]
	data, _ := dstore.Load(context.Background(), cookie.Value)
	fmt.Println(cookie.Name, cookie.MaxAge, data)
	// Output:
	// sessionid 1209600 {'cart': ['42']}
}
