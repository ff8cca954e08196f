package djgin_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	djgin "github.com/djsession/djsession/adapters/gin"
	"github.com/djsession/djsession/backends/file"
	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/internal/sitepeer"
	"github.com/djsession/djsession/pyjson"
	"github.com/gin-gonic/gin"
)

func init() { gin.SetMode(gin.TestMode) }

// fileStore is a store that needs no server: SESSION_FILE_PATH in a
// temporary directory.
func fileStore(t *testing.T) (django.Store, django.Settings) {
	t.Helper()
	st := django.DefaultSettings("gin-adapter-unit-test-secret-key")
	st.SessionEngine = django.EngineFile
	st.SessionFilePath = t.TempDir()
	st.DjangoVersion = django.Django52
	store, err := file.New(st)
	if err != nil {
		t.Fatal(err)
	}
	return store, st
}

func serve(r *gin.Engine, method, path, cookie string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, nil)
	if cookie != "" {
		req.Header.Set("Cookie", "sessionid="+cookie)
	}
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	return w
}

// sessionCookie returns the value of the sessionid cookie w sets, or "".
func sessionCookie(w *httptest.ResponseRecorder) string {
	for _, c := range w.Result().Cookies() {
		if c.Name == "sessionid" {
			return c.Value
		}
	}
	return ""
}

// A session written by a gin handler reaches the browser whatever way the
// handler answers: the cookie and Vary: Cookie are in the headers gin
// sends, and the stored session holds the write.
func TestWriteSetsCookie(t *testing.T) {
	store, _ := fileStore(t)
	r := gin.New()
	r.Use(djgin.Middleware(store))
	set := func(c *gin.Context) {
		if err := djgin.Session(c).Set("from", c.FullPath()); err != nil {
			t.Error(err)
		}
	}
	r.GET("/string", func(c *gin.Context) { set(c); c.String(http.StatusOK, "ok") })
	r.GET("/json", func(c *gin.Context) { set(c); c.JSON(http.StatusCreated, gin.H{"ok": true}) })
	r.GET("/status", func(c *gin.Context) { set(c); c.Status(http.StatusNoContent) })
	r.GET("/abort", func(c *gin.Context) { set(c); c.AbortWithStatus(http.StatusForbidden) })
	r.GET("/stream", func(c *gin.Context) {
		set(c)
		c.Writer.Flush()
		_, _ = c.Writer.WriteString("streamed")
	})
	r.GET("/redirect", func(c *gin.Context) { set(c); c.Redirect(http.StatusFound, "/string") })

	for _, path := range []string{"/string", "/json", "/status", "/abort", "/stream", "/redirect"} {
		w := serve(r, "GET", path, "")
		key := sessionCookie(w)
		if key == "" {
			t.Fatalf("%s: no session cookie; Set-Cookie %q", path, w.Header().Values("Set-Cookie"))
		}
		if !strings.Contains(w.Header().Get("Vary"), "Cookie") {
			t.Fatalf("%s: Vary %q, want Cookie", path, w.Header().Get("Vary"))
		}
		d, err := store.Load(t.Context(), key)
		if err != nil {
			t.Fatalf("%s: stored session: %v", path, err)
		}
		if got, _ := d.GetString("from"); got != path {
			t.Fatalf("%s: stored from=%q", path, got)
		}
	}
}

// Django skips the save on a 5xx response (5.2): a status gin sets lazily
// (c.Status with no body, c.AbortWithStatus) is the one the hook sees.
func TestServerErrorNotSaved(t *testing.T) {
	store, _ := fileStore(t)
	r := gin.New()
	r.Use(djgin.Middleware(store))
	r.GET("/status", func(c *gin.Context) { _ = djgin.Session(c).Set("x", 1); c.Status(http.StatusInternalServerError) })
	r.GET("/abort", func(c *gin.Context) { _ = djgin.Session(c).Set("x", 1); c.AbortWithStatus(http.StatusBadGateway) })
	r.GET("/string", func(c *gin.Context) {
		_ = djgin.Session(c).Set("x", 1)
		c.String(http.StatusServiceUnavailable, "down")
	})
	for _, path := range []string{"/status", "/abort", "/string"} {
		w := serve(r, "GET", path, "")
		if w.Code < 500 || sessionCookie(w) != "" {
			t.Fatalf("%s: status %d, Set-Cookie %q; want a 5xx and no session cookie", path, w.Code, w.Header().Values("Set-Cookie"))
		}
	}
}

// The wrapper this package replaces: the session is saved, but the cookie
// is added after gin sent the headers, so the browser never gets it.
func TestNaiveWrapperLosesCookie(t *testing.T) {
	store, _ := fileStore(t)
	mw := django.Middleware(store)
	r := gin.New()
	r.Use(func(c *gin.Context) {
		mw(http.HandlerFunc(func(_ http.ResponseWriter, req *http.Request) {
			c.Request = req
			c.Next()
		})).ServeHTTP(c.Writer, c.Request)
	})
	r.GET("/", func(c *gin.Context) { _ = django.FromRequest(c.Request).Set("x", 1); c.String(http.StatusOK, "ok") })
	if w := serve(r, "GET", "/", ""); sessionCookie(w) != "" {
		t.Fatalf("the naive wrapper sent the cookie (%q): gin changed, revisit the package doc", w.Header().Values("Set-Cookie"))
	}
}

// A session save that fails answers with the middleware's error handler,
// and the handler's own response is discarded: here the session is deleted
// during the request, so the update fails (Django's SessionInterrupted).
func TestErrorHandlerAnswers(t *testing.T) {
	store, _ := fileStore(t)
	d := pyjson.NewDict(1)
	d.Set("x", int64(1))
	key, err := django.Create(t.Context(), store, d)
	if err != nil {
		t.Fatal(err)
	}
	var got error
	r := gin.New()
	r.Use(djgin.Middleware(store, django.WithErrorHandler(func(w http.ResponseWriter, _ *http.Request, err error) {
		got = err
		w.WriteHeader(http.StatusTeapot)
		_, _ = w.Write([]byte("refused"))
	})))
	r.GET("/", func(c *gin.Context) {
		s := djgin.Session(c)
		if _, ok := s.Get("x"); !ok {
			t.Error("the session did not load")
		}
		if err := store.Delete(c, key); err != nil {
			t.Error(err)
		}
		_ = s.Set("y", 2)
		c.String(http.StatusOK, "handler")
	})
	w := serve(r, "GET", "/", key)
	if w.Code != http.StatusTeapot || w.Body.String() != "refused" || sessionCookie(w) != "" || !errors.Is(got, django.ErrUpdate) {
		t.Fatalf("status %d, body %q, Set-Cookie %q, err %v; want the error handler's 418 alone, for ErrUpdate", w.Code, w.Body, w.Header().Values("Set-Cookie"), got)
	}
}

// A websocket-style upgrade: Hijack works through the adapter's writer,
// and the session is saved first (the hook runs with status 101).
func TestHijack(t *testing.T) {
	store, _ := fileStore(t)
	r := gin.New()
	r.Use(djgin.Middleware(store))
	keys := make(chan string, 1)
	r.GET("/ws", func(c *gin.Context) {
		s := djgin.Session(c)
		_ = s.Set("ws", true)
		conn, rw, err := c.Writer.Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		keys <- s.Key()
		_, _ = rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: test\r\nConnection: Upgrade\r\n\r\n")
		_ = rw.Flush()
	})
	srv := httptest.NewServer(r)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/ws")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("status %d, want 101", resp.StatusCode)
	}
	key := <-keys
	if d, err := store.Load(t.Context(), key); err != nil || !d.Has("ws") {
		t.Fatalf("session %q before the upgrade: %v, %v; want saved", key, d, err)
	}
}

// Live: login in Django 5.2, the user in a gin handler, a write Django
// sees, a logout in gin that Django honours.
func TestDjangoLive(t *testing.T) {
	site := sitepeer.NewSite(t)
	r := gin.New()
	r.Use(djgin.Middleware(site.Store))
	r.GET("/whoami", func(c *gin.Context) {
		u, err := site.Auth.UserFromRequest(c.Request)
		switch {
		case err != nil:
			c.String(http.StatusInternalServerError, err.Error())
		case u == nil:
			c.String(http.StatusOK, "anonymous")
		default:
			c.String(http.StatusOK, "user "+u.ID)
		}
	})
	r.POST("/write", func(c *gin.Context) {
		if err := djgin.Session(c).Set("go_wrote", "gin"); err != nil {
			c.String(http.StatusInternalServerError, err.Error())
			return
		}
		c.String(http.StatusOK, "written")
	})
	r.POST("/logout", func(c *gin.Context) {
		if err := site.Auth.LogoutRequest(c.Request); err != nil {
			c.String(http.StatusInternalServerError, err.Error())
			return
		}
		c.String(http.StatusOK, "bye")
	})
	srv := httptest.NewServer(r)
	defer srv.Close()
	site.Run(t, srv.URL, sitepeer.Scenario{Name: "gin", Vary: true})
}
