package djgin_test

import (
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"

	djgin "github.com/djsession/djsession/adapters/gin"
	"github.com/djsession/djsession/backends/file"
	"github.com/djsession/djsession/django"
	"github.com/gin-gonic/gin"
)

// A gin service that shares Django's sessions. The file engine keeps the
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

	r := gin.New()
	r.Use(djgin.Middleware(store))
	r.POST("/cart/:item", func(c *gin.Context) {
		if err := djgin.Session(c).Set("cart", []string{c.Param("item")}); err != nil {
			c.String(http.StatusBadRequest, err.Error())
			return
		}
		c.JSON(http.StatusOK, gin.H{"added": c.Param("item")})
	})

	w := httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest("POST", "/cart/42", nil))
	cookie := w.Result().Cookies()[0]
	fmt.Println(w.Code, cookie.Name, len(cookie.Value), w.Header().Get("Vary"))
	// Output:
	// 200 sessionid 32 Cookie
}
