// Command sharedlogin shows a Go service and a Django site sharing one
// login. It migrates the Django project in djangoapp/, creates the user
// alice, starts Django's runserver behind it, and serves one address:
//
//	/go/...   Go handlers, inside django.Middleware: they read and write
//	          Django's own sessions and see Django's logged-in user
//	anything  proxied to Django (/django/, /admin/, /static/)
//
// One origin means one sessionid cookie for both. Run it from this folder:
//
//	PYTHON="bash ../../fixtures/python.sh 5.2" go run .
//
// then open http://127.0.0.1:8000/admin/login/?next=/go/ (alice /
// wonderland-1). The environment: DJANGO_SECRET_KEY, SESSION_ENGINE (db,
// cache or cached_db), MEMCACHED (host:port), ADDR, DJANGO_ADDR, PYTHON,
// DJANGO_VERSION (the series PYTHON runs: 3.2, 4.2, 5.2 or 6.1).
package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	_ "modernc.org/sqlite"

	"github.com/djsession/djsession/backends"
	"github.com/djsession/djsession/backends/cache"
	"github.com/djsession/djsession/backends/db"
	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/django/auth"
	"github.com/djsession/djsession/django/csrf"
)

// The demo user that the setup step creates.
const (
	demoUser     = "alice"
	demoPassword = "wonderland-1"
)

// config is what both halves must agree on, and where they listen.
type config struct {
	Addr       string   // the one address the browser uses (the Go service)
	DjangoAddr string   // where runserver listens, behind the proxy
	Python     []string // a Python that imports Django, with its arguments
	DjangoDir  string   // the Django project (manage.py)
	DB         string   // the SQLite file: Django's database, shared with Go
	SecretKey  string   // SECRET_KEY, the same on both sides
	Engine     string   // SESSION_ENGINE: db, cache or cached_db
	Memcached  string   // the memcached server of the cache engines
	// DjangoVersion is the series Python runs, whose behaviour Go follows.
	DjangoVersion django.Version
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func main() {
	cfg := config{
		Addr:       env("ADDR", "127.0.0.1:8000"),
		DjangoAddr: env("DJANGO_ADDR", "127.0.0.1:8001"),
		Python:     strings.Fields(env("PYTHON", "python3")),
		DjangoDir:  "djangoapp",
		DB:         env("DJANGO_DB", filepath.Join("djangoapp", "db.sqlite3")),
		SecretKey:  env("DJANGO_SECRET_KEY", "django-insecure-sharedlogin-demo-key"),
		Engine:     env("SESSION_ENGINE", "db"),
		Memcached:  env("MEMCACHED", "127.0.0.1:11211"),
	}
	var err error
	if cfg.DjangoVersion, err = django.ParseVersion(env("DJANGO_VERSION", "5.2")); err != nil {
		log.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("open http://%s/admin/login/?next=/go/ and log in as %s / %s", cfg.Addr, demoUser, demoPassword)
	if err := run(ctx, cfg, ln, os.Stderr); err != nil {
		log.Fatal(err)
	}
}

// run sets Django up, starts it, and serves ln until ctx is done. Django's
// output goes to logs.
func run(ctx context.Context, cfg config, ln net.Listener, logs io.Writer) error {
	abs, err := filepath.Abs(cfg.DB)
	if err != nil {
		return err
	}
	cfg.DB = abs
	if err := setupDjango(ctx, cfg, logs); err != nil {
		return err
	}
	djangoCmd := djangoCommand(ctx, cfg, logs, "runserver", "--noreload", cfg.DjangoAddr)
	if err := djangoCmd.Start(); err != nil {
		return err
	}
	defer func() { djangoCmd.Cancel(); djangoCmd.Wait() }()
	if err := waitForPort(ctx, cfg.DjangoAddr); err != nil {
		return err
	}

	handler, closeAll, err := newHandler(cfg)
	if err != nil {
		return err
	}
	defer closeAll()
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// setupDjango is the management step: Django owns the schema and the
// users, so it migrates and creates alice.
func setupDjango(ctx context.Context, cfg config, logs io.Writer) error {
	if err := manage(ctx, cfg, logs, "migrate", "--noinput"); err != nil {
		return err
	}
	return manage(ctx, cfg, logs, "shell", "-c", fmt.Sprintf(`
from django.contrib.auth.models import User
if not User.objects.filter(username=%q).exists():
    User.objects.create_superuser(%[1]q, "", %q)`, demoUser, demoPassword))
}

// newHandler is the whole sharing: the same settings as settings.py, the
// same session store, the same users, and django.Middleware around the Go
// handlers.
func newHandler(cfg config) (http.Handler, func(), error) {
	settings := django.DefaultSettings(cfg.SecretKey)
	settings.SessionEngine = django.EngineName(cfg.Engine)
	settings.DjangoVersion = cfg.DjangoVersion // the series running beside us

	// Django's database, with a busy timeout so Go waits for Django's writers.
	sqlDB, err := sql.Open("sqlite", "file:"+cfg.DB+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)")
	if err != nil {
		return nil, nil, err
	}
	// CACHES["default"]: PyMemcacheCache at the same LOCATION.
	memcached, err := cache.NewMemcached(memcache.New(cfg.Memcached), cache.PyMemcacheCache, cache.Options{})
	if err != nil {
		sqlDB.Close()
		return nil, nil, err
	}
	// The store SESSION_ENGINE names, over the same database and cache.
	store, err := backends.Open(settings, backends.Clients{DB: sqlDB, Dialect: db.SQLite, Cache: memcached})
	if err != nil {
		sqlDB.Close()
		return nil, nil, err
	}

	a := &app{
		auth: &auth.Auth{Users: auth.NewSQLUsers(sqlDB, db.SQLite, auth.UserTable{})},
	}
	goPages := http.NewServeMux()
	goPages.HandleFunc("GET /go/{$}", a.page)
	goPages.HandleFunc("POST /go/cart/add", a.addToCart)
	goPages.HandleFunc("POST /go/logout", a.logout)

	mux := http.NewServeMux()
	// Django's CSRF protection, with Django's csrftoken cookie: a token
	// minted by either side is accepted by the other. The CSRF_* settings
	// are part of the same settings (Django's defaults here, as in
	// settings.py).
	mux.Handle("/go/", django.Middleware(store)(csrf.Middleware(settings)(goPages)))
	mux.Handle("GET /{$}", http.RedirectHandler("/go/", http.StatusFound))
	mux.Handle("/", djangoProxy(cfg.DjangoAddr))
	return mux, func() { sqlDB.Close() }, nil
}

// djangoProxy forwards to runserver, keeping the browser's Host header so
// that Django's ALLOWED_HOSTS and CSRF origin checks see the one origin.
func djangoProxy(addr string) http.Handler {
	target := &url.URL{Scheme: "http", Host: addr}
	return &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(target)
		r.Out.Host = r.In.Host
		r.SetXForwarded()
	}}
}

type app struct {
	auth *auth.Auth
}

var pageTemplate = template.Must(template.New("go").Parse(`<!doctype html><title>Go</title>
<body style="font-family:sans-serif;background:#e6eefa">
<h1>Go page</h1>
<p>Logged in as: <b id="user">{{.User}}</b></p>
<p>Cart:</p><ul id="cart">{{range .Cart}}<li>{{.}}</li>{{end}}</ul>
<form method="post" action="/go/cart/add"><input type="hidden" name="csrfmiddlewaretoken" value="{{.CSRF}}">
<input id="item" name="item" placeholder="item">
<button id="add">add to cart (Go)</button></form>
<form method="post" action="/go/logout"><input type="hidden" name="csrfmiddlewaretoken" value="{{.CSRF}}">
<button id="logout">log out (Go)</button></form>
<p><a href="/django/">the Django page</a> · <a href="/admin/login/?next=/go/">log in (Django)</a></p>
`))

// page shows the user Django logged in and the session's cart.
func (a *app) page(w http.ResponseWriter, r *http.Request) {
	sess := django.FromRequest(r)
	// GetUser is Django's get_user: nil when anonymous, and it flushes a
	// session whose password hash is stale (a password changed elsewhere).
	user, err := a.auth.GetUser(r.Context(), sess)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	name := "anonymous"
	if user != nil {
		name = user.Username
	}
	token, err := csrf.GetToken(r) // get_token(request): the form's token
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	pageTemplate.Execute(w, map[string]any{"User": name, "Cart": cart(sess), "CSRF": token})
}

// cart is session.get("cart", []): a JSON list, so a []any in Go.
func cart(sess *django.Session) []any {
	v, _ := sess.Get("cart")
	items, _ := v.([]any)
	return items
}

// addToCart appends an item to the session's cart; Django sees it on its
// next request.
func (a *app) addToCart(w http.ResponseWriter, r *http.Request) {
	sess := django.FromRequest(r)
	if item := strings.TrimSpace(r.PostFormValue("item")); item != "" {
		sess.Set("cart", append(cart(sess), item))
	}
	http.Redirect(w, r, "/go/", http.StatusSeeOther)
}

// logout is Django's logout: the session is flushed, for Django too.
func (a *app) logout(w http.ResponseWriter, r *http.Request) {
	if err := a.auth.LogoutRequest(r); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	http.Redirect(w, r, "/go/", http.StatusSeeOther)
}

// djangoCommand is `python manage.py args...` with the shared settings.
func djangoCommand(ctx context.Context, cfg config, logs io.Writer, args ...string) *exec.Cmd {
	argv := append(append(cfg.Python[1:len(cfg.Python):len(cfg.Python)], filepath.Join(cfg.DjangoDir, "manage.py")), args...)
	cmd := exec.CommandContext(ctx, cfg.Python[0], argv...)
	cmd.Env = append(os.Environ(),
		"DJANGO_SECRET_KEY="+cfg.SecretKey,
		"SESSION_ENGINE="+cfg.Engine,
		"MEMCACHED="+cfg.Memcached,
		"DJANGO_DB="+cfg.DB,
		"PYTHONUNBUFFERED=1",
	)
	cmd.Stdout, cmd.Stderr = logs, logs
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

func manage(ctx context.Context, cfg config, logs io.Writer, args ...string) error {
	if err := djangoCommand(ctx, cfg, logs, args...).Run(); err != nil {
		return fmt.Errorf("manage.py %s: %w", args[0], err)
	}
	return nil
}

// waitForPort waits until runserver accepts connections.
func waitForPort(ctx context.Context, addr string) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			return c.Close()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("Django did not start on %s: %w", addr, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
