package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// live reports whether live tests run: DJSESSION_LIVE=1, or CI=true where
// a live test never skips (as in compat_test and internal/sitepeer).
func live() bool { return os.Getenv("DJSESSION_LIVE") == "1" || os.Getenv("CI") == "true" }

// TestEndpointLive: each Go contender of the comparison does the work the
// Django view does, on the real servers: the bench user resolved from the
// session with the auth hash check, and the key one request sets read by
// the next. (bench/http/run.py checks the same of every contender, Django
// included, before its timed runs, on sessions the others wrote.)
func TestEndpointLive(t *testing.T) {
	if !live() {
		t.Skip("live test: set DJSESSION_LIVE=1 (PostgreSQL, Redis and Django 5.2 from fixtures/install-django.sh)")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	c := config{
		pgDSN:     "host=127.0.0.1 port=5432 user=postgres dbname=djsbenchhttp sslmode=disable",
		redisAddr: "127.0.0.1:6379", redisDB: 15, keyPrefix: "djsbenchhttp", secret: benchSecret,
	}
	if err := setupDB(ctx, c); err != nil {
		t.Fatalf("setupDB: %v", err)
	}
	py := exec.CommandContext(ctx, "bash", "../../fixtures/python.sh", "5.2", "django/setup.py")
	if out, err := py.CombinedOutput(); err != nil {
		t.Fatalf("django/setup.py (Django's tables and the bench user): %v\n%s", err, out)
	}
	for _, impl := range []string{"djsession", "scs"} {
		for _, engine := range []string{"postgres", "redis"} {
			t.Run(impl+"/"+engine, func(t *testing.T) {
				c := c
				c.impl, c.engine = impl, engine
				path := filepath.Join(t.TempDir(), "cookies")
				if err := setupSessions(ctx, c, 2, path); err != nil {
					t.Fatalf("setupSessions: %v", err)
				}
				b, _ := os.ReadFile(path)
				lines := strings.Fields(string(b))
				if len(lines) != 2 || lines[0] == lines[1] {
					t.Fatalf("want 2 distinct sessions, got %d", len(lines))
				}
				h, closeAll, err := handler(c)
				if err != nil {
					t.Fatal(err)
				}
				defer closeAll()
				srv := httptest.NewServer(h)
				defer srv.Close()
				var prev int64
				for i := range 2 {
					req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/bench/", nil)
					req.Header.Set("Cookie", lines[0])
					resp, err := srv.Client().Do(req)
					if err != nil {
						t.Fatal(err)
					}
					var body struct {
						User string `json:"user"`
						Hits int64  `json:"hits"`
					}
					err = json.NewDecoder(resp.Body).Decode(&body)
					resp.Body.Close()
					if resp.StatusCode != 200 || err != nil || body.User == "" {
						t.Fatalf("request %d: status %d, body %+v, %v", i, resp.StatusCode, body, err)
					}
					if i == 1 && body.Hits != prev+1 {
						t.Errorf("hits %d after %d: the key set by one request is not read by the next", body.Hits, prev)
					}
					prev = body.Hits
				}
				// No cookie: anonymous, refused, nothing written.
				req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/bench/", nil)
				resp, err := srv.Client().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusForbidden {
					t.Errorf("without a session: status %d, want 403", resp.StatusCode)
				}
			})
		}
	}
}
