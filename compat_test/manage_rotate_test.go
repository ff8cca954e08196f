package compat_test

import (
	"context"
	"testing"
	"time"

	djsession "github.com/djsession/djsession/django"
	"github.com/djsession/djsession/django/auth"
	"github.com/djsession/djsession/manage"
)

// TestRotateKeyLive: Django 5.2 with SECRET_KEY=OLD logs users in (session
// data and auth hashes under OLD) on SQLite, PostgreSQL and files; Django
// with SECRET_KEY=NEW and no fallback sees them anonymous. After
// manage.RotateKey (what `djsession rotate-key --secret-key NEW
// --fallback-key OLD` runs), Django with SECRET_KEY=NEW and no fallback
// sees every user still logged in, and the report says no session depends
// on OLD any more.
func TestRotateKeyLive(t *testing.T) {
	requireLive(t)
	t.Parallel() // mostly waiting for Django peers to start
	const oldKey, newKey = "rotate-old-django-secret-0123456789abcdef", "rotate-new-django-secret-0123456789abcdef"
	// The sites run in parallel, each with its own database, schema or
	// directory and its own peers; each is bounded by its own deadline.
	for _, site := range convertSites(t) {
		t.Run(site.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Second)
			defer cancel()
			old := convertPeer(t, "5.2", peerCfg(site, "secret_key", oldKey))
			cookies := map[string]string{}
			for _, u := range []string{"alice", "bob", "carol", "dave"} {
				r := old.ok(t, map[string]any{"op": "login", "username": u})
				cookies[r["cookie"].(string)] = r["user_id"].(string)
			}
			// An anonymous session under OLD too.
			old.ok(t, map[string]any{"op": "create", "kind": "plain"})

			fresh := convertPeer(t, "5.2", peerCfg(site, "secret_key", newKey, "fallbacks", []string{}))
			for c := range cookies {
				if id := fresh.ok(t, map[string]any{"op": "whoami", "cookie": c})["user_id"]; id != nil {
					t.Fatalf("before the rotation, Django with the new key alone sees user %v", id)
				}
			}

			st := djsession.DefaultSettings(newKey)
			st.DjangoVersion = djsession.Django52
			st.SecretKeyFallbacks = []string{oldKey}
			st.Logger = quietLog()
			users := auth.NewSQLUsers(site.users, site.dialect, auth.UserTable{})
			r, err := manage.RotateKey(ctx, site.target(t, st), users, manage.Options{BatchSize: 2})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: %d read, %d re-signed, %d auth hashes re-stamped, still depending %v, %.3fs",
				site.name, r.Seen, r.Resigned, r.Restamped, r.StillDepending, r.Seconds)
			if r.Seen != 5 || r.Resigned != 5 || r.Restamped != 4 || r.StillDepending[0] != 0 || r.ExitCode() != manage.ExitOK {
				t.Fatalf("report %+v", r)
			}
			for c, id := range cookies {
				if got := fresh.ok(t, map[string]any{"op": "whoami", "cookie": c})["user_id"]; got != id {
					t.Errorf("after the rotation, Django with the new key alone sees %v for session %s, want user %s", got, manage.ShortKey(c), id)
				}
			}
			// A second run finds nothing to do.
			r2, err := manage.RotateKey(ctx, site.target(t, st), users, manage.Options{})
			if err != nil || r2.Resigned != 0 || r2.Restamped != 0 || r2.Current != 5 {
				t.Fatalf("second run: %+v %v", r2, err)
			}
		})
	}
}
