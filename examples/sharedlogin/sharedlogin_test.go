package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/internal/testnet"
)

// TestSharedLogin drives headless Chromium through one login shared by
// Django and Go, once per session engine: log in on Django, be the same
// user in Go, fill the cart in Go and see it in Django, log out in Go and
// be logged out of Django, log out in Django and be logged out of Go,
// change the password in Django elsewhere and be logged out of Go.
// Screenshots go to $SHAREDLOGIN_ARTIFACTS (default testdata/artifacts).
// Django 5.2 runs every engine; 3.2, 4.2 and 6.1 run the db engine (the
// version-dependent parts, CSRF tokens and the session auth hash, are the
// same for every engine; a browser run costs seconds).
//
// It needs Django (fixtures/install-django.sh, or $PYTHON with
// $DJANGO_VERSION), Chromium and memcached. Without them it skips; with CI=true it installs the Debian
// packages it misses, and anything still missing is a failure.
func TestSharedLogin(t *testing.T) {
	if testing.Short() {
		t.Skip("a browser test")
	}
	pythons := requireDjango(t)
	chromium := requireCommand(t, "chromium", "chromium")
	artifacts := os.Getenv("SHAREDLOGIN_ARTIFACTS")
	if artifacts == "" {
		artifacts = filepath.Join("testdata", "artifacts")
	}
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	memcached := "" // for the cache engines
	if bin := findCommand(t, "memcached", "memcached"); bin != "" {
		memcached = startMemcached(t, bin)
	}

	t.Setenv("DJANGO_FAST_PASSWORD_HASHER", "1") // see settings.py
	for _, v := range django.Versions {
		python, ok := pythons[v.String()]
		if !ok {
			continue
		}
		engines := []string{"db"}
		if v == django.Django52 {
			engines = []string{"db", "cache", "cached_db"}
		}
		t.Run(v.String(), func(t *testing.T) {
			sharedLogin(t, v, python, engines, chromium, memcached, filepath.Join(artifacts, v.String()))
		})
	}
}

// sharedLogin runs the browser flow on Django v, once per engine.
func sharedLogin(t *testing.T, v django.Version, python, engines []string, chromium, memcached, artifacts string) {
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	// Migrate once; each engine starts from a copy.
	template := config{
		Python:        python,
		DjangoDir:     "djangoapp",
		DB:            filepath.Join(t.TempDir(), "db.sqlite3"),
		SecretKey:     "django-insecure-sharedlogin-test-key",
		DjangoVersion: v,
	}
	start := time.Now()
	if err := setupDjango(t.Context(), template, io.Discard); err != nil {
		t.Fatal(err)
	}
	t.Logf("migrated in %v", time.Since(start).Round(time.Millisecond))

	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			start := time.Now()
			if engine != "db" && memcached == "" {
				missing(t, "memcached not found: apt-get install -y memcached")
			}
			cfg := template
			cfg.DB, cfg.Engine, cfg.Memcached = filepath.Join(t.TempDir(), "db.sqlite3"), engine, memcached
			copyFile(t, template.DB, cfg.DB)
			base := startServers(t, cfg, filepath.Join(artifacts, engine+"-server.log"))
			t.Logf("servers up in %v", time.Since(start).Round(time.Millisecond))

			a := newBrowser(t, chromium, base, filepath.Join(artifacts, engine))
			a.login(demoPassword)
			if got := a.user("/go/"); got != demoUser {
				t.Fatalf("Go page after a Django login: user %q, want %q", got, demoUser)
			}
			a.screenshot("1-go-logged-in")

			a.submit(chromedp.SendKeys("#item", "espresso"), chromedp.Click("#add"))
			if got := a.cart("/django/"); !slices.Equal(got, []string{"espresso"}) {
				t.Fatalf("Django page after adding in Go: cart %q, want [espresso]", got)
			}
			a.screenshot("2-django-cart-from-go")

			a.navigate("/go/")
			a.submit(chromedp.Click("#logout"))
			if got := a.user("/django/"); got != "anonymous" {
				t.Fatalf("Django page after a Go logout: user %q, want anonymous", got)
			}
			a.screenshot("3-django-after-go-logout")

			// Log in again and log out in Django: Go sees anonymous, and
			// the cookie Django logged out, sent again (as a copy of it
			// kept elsewhere would be), is anonymous in Go too: Django's
			// flush deleted the session on the server, not just the cookie.
			a.login(demoPassword)
			if got := a.user("/go/"); got != demoUser {
				t.Fatalf("Go page after logging in again: user %q", got)
			}
			loggedOut := a.cookie("sessionid")
			a.navigate("/django/")
			a.submit(chromedp.Click("#django-logout"))
			if got := a.cookie("sessionid"); got == loggedOut {
				t.Fatalf("Django's logout left the session cookie %q in place", got)
			}
			if got := a.user("/go/"); got != "anonymous" {
				t.Fatalf("Go page after a Django logout: user %q, want anonymous", got)
			}
			a.screenshot("4-go-after-django-logout")
			a.setCookie("sessionid", loggedOut)
			if got := a.user("/go/"); got != "anonymous" {
				t.Fatalf("Go page with the cookie Django logged out: user %q, want anonymous", got)
			}

			// Log in again, then change the password from another browser
			// (its own cookies): Django stamps the new hash into that
			// session only, so this one is logged out, in Go as in Django.
			a.login(demoPassword)
			if got := a.user("/go/"); got != demoUser {
				t.Fatalf("Go page after logging in again: user %q", got)
			}
			b := a.otherBrowser()
			b.login(demoPassword)
			b.navigate("/admin/password_change/")
			if url := b.submit(
				chromedp.SendKeys("#id_old_password", demoPassword),
				chromedp.SendKeys("#id_new_password1", "looking-glass-2"),
				chromedp.SendKeys("#id_new_password2", "looking-glass-2"),
				chromedp.Submit("#id_new_password2"),
			); !strings.HasSuffix(url, "/admin/password_change/done/") {
				t.Fatalf("changing the password led to %s, not to password_change/done/", url)
			}
			if got := b.user("/go/"); got != demoUser {
				t.Fatalf("Go page in the browser that changed the password: user %q, want %q", got, demoUser)
			}
			b.screenshot("5-go-where-the-password-changed")
			if got := a.user("/go/"); got != "anonymous" {
				t.Fatalf("Go page after the password changed elsewhere: user %q, want anonymous", got)
			}
			a.screenshot("6-go-after-password-changed-elsewhere")
			if got := a.user("/django/"); got != "anonymous" {
				t.Fatalf("Django page after the password changed elsewhere: user %q, want anonymous", got)
			}
			t.Logf("%s: passed in %v", engine, time.Since(start).Round(time.Millisecond))
		})
	}
}

// missing skips, or fails under CI=true.
func missing(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format+" (a skip; with CI=true, a failure)", args...)
}

// requireDjango returns the Python command with Django per series:
// $PYTHON for $DJANGO_VERSION (default 5.2), or each of the repository's
// Djangos from fixtures/install-django.sh.
func requireDjango(t *testing.T) map[string][]string {
	if p := os.Getenv("PYTHON"); p != "" {
		v := os.Getenv("DJANGO_VERSION")
		if v == "" {
			v = "5.2"
		}
		if _, err := django.ParseVersion(v); err != nil {
			t.Fatal(err)
		}
		return map[string][]string{v: strings.Fields(p)}
	}
	fixtures, err := filepath.Abs(filepath.Join("..", "..", "fixtures"))
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("bash", filepath.Join(fixtures, "install-django.sh")).CombinedOutput(); err != nil {
		missing(t, "Django: fixtures/install-django.sh: %v\n%s", err, out)
	}
	pythons := map[string][]string{}
	for _, v := range django.Versions {
		pythons[v.String()] = []string{"bash", filepath.Join(fixtures, "python.sh"), v.String()}
	}
	return pythons
}

// requireCommand finds a program, or skips (fails under CI=true).
func requireCommand(t *testing.T, name, debianPackage string) string {
	t.Helper()
	p := findCommand(t, name, debianPackage)
	if p == "" {
		missing(t, "%s not found: apt-get install -y %s", name, debianPackage)
	}
	return p
}

// findCommand finds a program, or returns ""; under CI=true it first
// apt-get installs the Debian package that has it.
func findCommand(t *testing.T, name, debianPackage string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		out, err := exec.Command("sh", "-c", "apt-get update -qq && apt-get install -y -qq "+debianPackage).CombinedOutput()
		if err != nil {
			t.Fatalf("apt-get install %s: %v\n%s", debianPackage, err, out)
		}
	}
	p, _ := exec.LookPath(name)
	return p
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func copyFile(t *testing.T, from, to string) {
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// startMemcached runs a memcached of our own on a free loopback port.
func startMemcached(t *testing.T, bin string) string {
	addr, stop, err := testnet.StartMemcached(bin)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return addr
}

// startServers runs main's run (migrate, the user, runserver, the Go
// service) until the test ends, and returns the one origin.
func startServers(t *testing.T, cfg config, logPath string) string {
	logs, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	// The Go service's listener first, held while Django's port is drawn:
	// drawn the other way round, the kernel may hand the port just freed for
	// Django to this listener, and the proxy then forwards /django/ to itself.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.DjangoAddr = freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, cfg, ln, logs) }()
	t.Cleanup(func() { cancel(); <-done; logs.Close() })

	base := "http://" + ln.Addr().String()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		select {
		case err := <-done:
			done <- err
			t.Fatalf("the servers stopped: %v (see %s)", err, logPath)
		default:
		}
		if resp, err := http.Get(base + "/django/"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no answer from %s (see %s)", base, logPath)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// browser is one browser context (its own cookies) on the shared origin.
type browser struct {
	t     *testing.T
	ctx   context.Context
	base  string
	shots string
}

func newBrowser(t *testing.T, chromium, base, shots string) *browser {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.NoSandbox, // root, in a container
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.WindowSize(900, 600),
	)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelTab := chromedp.NewContext(ctx)
	t.Cleanup(cancelTab)
	b := &browser{t: t, ctx: ctx, base: base, shots: shots}
	b.run() // starts the browser
	return b
}

// otherBrowser is a new browser context in the same browser: no cookies.
func (b *browser) otherBrowser() *browser {
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	b.t.Cleanup(cancel)
	return &browser{t: b.t, ctx: ctx, base: b.base, shots: b.shots + "-other"}
}

// run runs the steps in order in this browser's tab.
func (b *browser) run(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatal(err)
	}
}

// submit runs steps that submit a form, waits for the page it leads to,
// and returns that page's URL.
func (b *browser) submit(steps ...chromedp.Action[chromedp.Void]) string {
	b.t.Helper()
	resp, err := chromedp.RunResponse(b.ctx, steps...)
	if err != nil {
		b.t.Fatal(err)
	}
	if resp.Status != http.StatusOK {
		b.t.Fatalf("%s: HTTP %d", resp.URL, resp.Status)
	}
	return resp.URL
}

// get runs an action that returns a value.
func get[T any](b *browser, action chromedp.Action[T]) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, action)
	if err != nil {
		b.t.Fatal(err)
	}
	return v
}

func (b *browser) navigate(path string) {
	b.t.Helper()
	b.run(chromedp.Navigate(b.base + path))
}

// login logs alice in with Django's admin login form.
func (b *browser) login(password string) {
	b.t.Helper()
	b.navigate("/admin/login/?next=/django/")
	b.submit(
		chromedp.SendKeys("#id_username", demoUser),
		chromedp.SendKeys("#id_password", password),
		chromedp.Submit("#id_password"),
	)
	if got := b.text("#user"); got != demoUser {
		b.t.Fatalf("Django page after logging in: user %q, want %q", got, demoUser)
	}
}

func (b *browser) text(sel string) string {
	b.t.Helper()
	return strings.TrimSpace(get(b, chromedp.Text(sel)))
}

// user opens a page (/go/ or /django/) and returns who it says is logged in.
func (b *browser) user(path string) string {
	b.t.Helper()
	b.navigate(path)
	return b.text("#user")
}

// cart opens a page and returns its cart.
func (b *browser) cart(path string) []string {
	b.t.Helper()
	b.navigate(path)
	return get(b, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#cart li")].map(li => li.textContent)`))
}

// cookie returns the value of the origin's cookie name ("" when unset),
// HttpOnly included.
func (b *browser) cookie(name string) string {
	b.t.Helper()
	return get(b, func(ctx context.Context, t *chromedp.Target) (string, error) {
		res, err := cdp.Call(ctx, t, network.GetCookies, network.GetCookiesParams{URLs: []string{b.base + "/"}})
		if err != nil {
			return "", err
		}
		for _, c := range res.Cookies {
			if c.Name == name {
				return c.Value, nil
			}
		}
		return "", nil
	})
}

// setCookie sets the origin's cookie name to value, as the server would.
func (b *browser) setCookie(name, value string) {
	b.t.Helper()
	b.run(func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, t, network.SetCookie, network.SetCookieParams{Name: name, Value: value, URL: b.base + "/"})
		return chromedp.Void{}, err
	})
}

func (b *browser) screenshot(name string) {
	b.t.Helper()
	png := get(b, chromedp.CaptureScreenshot())
	if err := os.WriteFile(b.shots+"-"+name+".png", png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}
