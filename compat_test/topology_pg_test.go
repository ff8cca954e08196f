package compat_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/djsession/djsession/backends/db"
	djsession "github.com/djsession/djsession/django"
	"github.com/djsession/djsession/django/auth"
	"github.com/djsession/djsession/internal/sitepeer"
	"github.com/djsession/djsession/internal/testnet"
	"github.com/djsession/djsession/pyjson"
)

// PostgreSQL topologies of issue 12: a streaming replica whose replay is
// paused (sessions read from replicas, with the primary as the fallback),
// and PgBouncer in transaction mode between Django, Go and the server.

// pgPool opens a lib/pq pool on addr with the options the README gives
// (binary_parameters=yes: one round trip per statement).
func pgPool(t *testing.T, addr, user, dbname string) *sql.DB {
	t.Helper()
	pool, err := sql.Open("postgres", pgDSN(addr, user, dbname))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pool.Close() })
	return pool
}

// pgDSN is lib/pq's DSN for addr with the README's options.
func pgDSN(addr, user, dbname string) string {
	host, port, _ := net.SplitHostPort(addr)
	return fmt.Sprintf("host=%s port=%s user=%s dbname=%s sslmode=disable binary_parameters=yes connect_timeout=5", host, port, user, dbname)
}

// waitUntil polls cond every 20 ms until it holds, failing t at ctx's end.
func waitUntil(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v", what, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// rowOn reports whether the server behind pool holds a row under key.
func rowOn(t *testing.T, ctx context.Context, pool *sql.DB, table, key string) bool {
	t.Helper()
	var n int
	if err := pool.QueryRowContext(ctx, fmt.Sprintf(`SELECT count(*) FROM %q WHERE session_key = $1`, table), key).Scan(&n); err != nil {
		t.Fatalf("reading %s: %v", table, err)
	}
	return n > 0
}

// A streaming replica (pg_basebackup of the PostgreSQL at 127.0.0.1:5432
// into a temporary directory, on its own port) with replay paused: a
// session written on the primary just now is not on the replica, and the
// store with WithReplicas still finds it, through the fallback; one the
// replica has replayed costs the primary no round trip.
func TestPostgresReplicaLive(t *testing.T) {
	requireLive(t)
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	role, admin := livePGUser(t)
	t.Cleanup(func() { admin.Close() })
	bin, err := testnet.PostgresBinDir()
	if err != nil {
		dbServerDown(t, "%v", err)
	}
	if err := testnet.AllowReplication(ctx, admin); err != nil {
		dbServerDown(t, "the PostgreSQL at 127.0.0.1:5432 does not allow replication from 127.0.0.1: %v", err)
	}
	table := randomName("djs_replica_")
	if err := db.CreateTable(ctx, admin, db.Postgres, db.WithTable(table)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Exec(fmt.Sprintf("DROP TABLE %q", table)) })

	replica, err := testnet.StartPostgresReplica(ctx, bin, "127.0.0.1:5432", role)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(replica.Stop)
	t.Logf("replica on %s: pg_basebackup and start-up took %v", replica.Addr, time.Since(start).Round(time.Millisecond))

	primaryProxy, err := testnet.NewProxy("127.0.0.1:5432")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(primaryProxy.Cut)
	replicaProxy, err := testnet.NewProxy(replica.Addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(replicaProxy.Cut)
	primary := pgPool(t, primaryProxy.Addr(), role, "test")
	onReplica := pgPool(t, replicaProxy.Addr(), role, "test")
	replicaAdmin := pgPool(t, replica.Addr, role, "test")

	st := djsession.DefaultSettings(dbSecret)
	store, err := db.New(primary, db.Postgres, st, db.WithTable(table), db.WithReplicas(onReplica))
	if err != nil {
		t.Fatal(err)
	}
	replicaOnly, err := db.New(replicaAdmin, db.Postgres, st, db.WithTable(table))
	if err != nil {
		t.Fatal(err)
	}
	session := func(user string) *pyjson.Dict {
		d := pyjson.NewDict(0)
		d.Set("_auth_user_id", user)
		return d
	}
	// flights loads key and returns the round trips it cost the replica
	// and the primary.
	flights := func(key string) (toReplica, toPrimary int64) {
		t.Helper()
		r, p := replicaProxy.Flights(), primaryProxy.Flights()
		lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if _, err := store.Load(lctx, key); err != nil {
			t.Fatalf("Load: %v", err)
		}
		return replicaProxy.Flights() - r, primaryProxy.Flights() - p
	}

	// A session the replica has replayed: read from the replica alone.
	old, err := djsession.Create(ctx, store, session("1"))
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, ctx, "the replica to replay the first session", func() bool {
		var n int
		err := replicaAdmin.QueryRowContext(ctx, fmt.Sprintf(`SELECT count(*) FROM %q WHERE session_key = $1`, table), old).Scan(&n)
		return err == nil && n == 1
	})
	flights(old) // warm the pools
	if r, p := flights(old); r != 1 || p != 0 {
		t.Errorf("a session the replica holds: %d round trips to the replica, %d to the primary; want 1 and 0", r, p)
	}

	// Replay paused: what the primary writes now stays off the replica.
	if _, err := replicaAdmin.ExecContext(ctx, "SELECT pg_wal_replay_pause()"); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, ctx, "replay to pause", func() bool {
		var state string
		replicaAdmin.QueryRowContext(ctx, "SELECT pg_get_wal_replay_pause_state()").Scan(&state)
		return state == "paused"
	})
	fresh, err := djsession.Create(ctx, store, session("2"))
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // what streaming would deliver meanwhile, paused
	if rowOn(t, ctx, replicaAdmin, table, fresh) {
		t.Fatal("the replica holds the session written after the pause: replay is not paused")
	}
	if _, err := replicaOnly.Load(ctx, fresh); !errors.Is(err, djsession.ErrNotFound) {
		t.Fatalf("reading the paused replica alone: %v, want ErrNotFound (the user logged out by lag)", err)
	}
	got, err := store.Load(ctx, fresh)
	if err != nil {
		t.Fatalf("the session written just now, through the fallback: %v", err)
	}
	if u, _ := got.GetString("_auth_user_id"); u != "2" {
		t.Fatalf("loaded %v", got)
	}
	if _, _, err := store.LoadWithExpiry(ctx, fresh); err != nil {
		t.Fatalf("LoadWithExpiry (the primary's): %v", err)
	}
	if r, p := flights(fresh); r != 1 || p != 1 {
		t.Errorf("a session the replica lacks: %d round trips to the replica, %d to the primary; want 1 and 1", r, p)
	}
	// The lag a replica read accepts: a logout on the primary is not seen
	// until replay (the reason Django sites route sessions to the primary).
	if err := store.Delete(ctx, old); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Load(ctx, old); err != nil {
		t.Errorf("a session deleted on the primary, read from the paused replica: %v; want its stale copy", err)
	}

	// Replay resumed: the replica catches up, and serves the new session.
	if _, err := replicaAdmin.ExecContext(ctx, "SELECT pg_wal_replay_resume()"); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, ctx, "the replica to catch up", func() bool {
		return rowOn(t, ctx, replicaAdmin, table, fresh) && !rowOn(t, ctx, replicaAdmin, table, old)
	})
	if r, p := flights(fresh); r != 1 || p != 0 {
		t.Errorf("after replay: %d round trips to the replica, %d to the primary; want 1 and 0", r, p)
	}
	if _, err := store.Load(ctx, old); !errors.Is(err, djsession.ErrNotFound) {
		t.Errorf("the deleted session after replay: %v, want ErrNotFound", err)
	}
	t.Logf("replica test: %v in all", time.Since(start).Round(time.Millisecond))
}

// pgBouncerSite creates a database of its own, starts a PgBouncer in
// transaction mode in front of the PostgreSQL at 127.0.0.1:5432, and a
// Django 5.2 site (fixtures/sitepeer.py, one request cycle per op, so
// that Django reconnects after a PgBouncer restart as a server would)
// migrated through it; Go reaches the same database through a counting
// proxy in front of the same PgBouncer, with lib/pq and
// binary_parameters=yes.
func pgBouncerSite(t *testing.T, ctx context.Context) (site *sitepeer.Site, bouncer *testnet.PgBouncer, proxy *testnet.Proxy, direct *sql.DB, role, name string) {
	t.Helper()
	requireLive(t)
	role, admin := livePGUser(t)
	t.Cleanup(func() { admin.Close() })
	name = randomName("djs_pgbouncer_")
	bin, err := testnet.PgBouncerBinary()
	if err != nil {
		dbServerDown(t, "%v (scripts/services.sh installs it)", err)
	}
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec("DROP DATABASE " + name + " WITH (FORCE)"); err != nil {
			t.Errorf("dropping %s: %v", name, err)
		}
	})
	if bouncer, err = testnet.StartPgBouncer(ctx, bin, "127.0.0.1:5432", role); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(bouncer.Stop)
	if proxy, err = testnet.NewProxy(bouncer.Addr); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxy.Cut)
	_, port, _ := net.SplitHostPort(bouncer.Addr)
	p := sitepeer.Start(t, map[string]any{"engine": "db", "secret_key": sitepeer.SecretKey, "request_cycle": true,
		"database": map[string]any{"vendor": "postgresql", "name": name, "user": role, "port": port}})
	p.Call(t, map[string]any{"op": "whoami", "cookie": ""}) // waits for the migration
	st := djsession.DefaultSettings(sitepeer.SecretKey)
	st.SessionEngine = djsession.EngineDB
	st.DjangoVersion = djsession.Django52
	site = (&sitepeer.Site{Peer: p, Settings: st}).On(t, pgPool(t, proxy.Addr(), role, name), db.Postgres)
	return site, bouncer, proxy, pgPool(t, "127.0.0.1:5432", role, name), role, name
}

// Django 5.2 and Go (lib/pq, binary_parameters=yes) through one PgBouncer
// 1.18 in transaction mode: login in Django, the user in Go (the auth_user
// lookup through PgBouncer), a Go write Django sees, a Go logout Django
// honours; one round trip per load, save and user lookup; and a PgBouncer
// restart in the middle of a run of Go writes surfaces as errors within
// the request deadline, with no acknowledged write lost.
func TestPgBouncerLive(t *testing.T) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Second)
	defer cancel()
	site, bouncer, proxy, direct, role, name := pgBouncerSite(t, ctx)
	srv := httptest.NewServer(djsession.Middleware(site.Store)(site.Mux("pgbouncer lib/pq")))
	defer srv.Close()
	site.Run(t, srv.URL, sitepeer.Scenario{Name: "pgbouncer lib/pq", Vary: true})

	store := site.Store.(*db.Store)
	cookie, userID := site.Login(t, "bob")
	perOp := pgBouncerRoundTrips(t, ctx, store, site.Auth.Users, proxy.Flights, userID)
	t.Logf("lib/pq through PgBouncer, round trips: %v", perOp)

	// lib/pq without binary_parameters sends Parse/Describe/Sync, then
	// Bind/Execute/Sync: two round trips, between which PgBouncer may give
	// the server connection, and its unnamed statement, to another client.
	plain, err := sql.Open("postgres", strings.Replace(pgDSN(proxy.Addr(), role, name), " binary_parameters=yes", "", 1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { plain.Close() })
	plainStore, err := db.New(plain, db.Postgres, site.Settings)
	if err != nil {
		t.Fatal(err)
	}
	trips, failed, total, first := pgBouncerBurst(ctx, plainStore, proxy.Flights, userID)
	t.Logf("lib/pq without binary_parameters through PgBouncer: %d round trips per load; %d of %d concurrent loads and saves failed (first: %v)",
		trips, failed, total, first)

	pgBouncerRestart(t, ctx, store, bouncer, direct)

	// Django's login from before the restart is intact, on both sides;
	// Django reads what Go writes after it, and Go what Django writes.
	if id, _ := site.WhoAmI(t, cookie); id != userID {
		t.Fatalf("Django after the restart: user %q, want %s", id, userID)
	}
	if r := site.Do(t, srv.URL, "GET", "/whoami", cookie); r.Body != "user "+userID {
		t.Fatalf("Go after the restart: %q, want user %s", r.Body, userID)
	}
	if r := site.Do(t, srv.URL, "POST", "/write", cookie); r.Status != http.StatusOK {
		t.Fatalf("Go write after the restart: %d %q", r.Status, r.Body)
	}
	if _, data := site.WhoAmI(t, cookie); data["go_wrote"] != "pgbouncer lib/pq" {
		t.Fatalf("Django after the Go write: %v", data)
	}
	t.Logf("PgBouncer test: %v in all", time.Since(start).Round(time.Millisecond))
}

// pgBouncerRoundTrips measures, after a warm-up, the round trips (request
// flights through the proxy) of one Load, one Save of each kind, one
// Delete and one auth_user lookup, and fails t unless each is one.
func pgBouncerRoundTrips(t *testing.T, ctx context.Context, store *db.Store, users auth.UserStore, flights func() int64, userID string) map[string]int64 {
	t.Helper()
	s := pyjson.NewDict(0)
	s.Set("_auth_user_id", userID)
	key, err := djsession.Create(ctx, store, s)
	if err != nil {
		t.Fatal(err)
	}
	fresh := randomName("pgbouncerroundtrip")
	ops := []struct {
		name string
		f    func() error
	}{
		{"load", func() error { _, err := store.Load(ctx, key); return err }},
		{"save", func() error { return store.Save(ctx, key, s, false) }},
		{"save (create)", func() error { return store.Save(ctx, fresh, s, true) }},
		{"delete", func() error { return store.Delete(ctx, fresh) }},
		{"user lookup", func() error { _, err := users.User(ctx, userID); return err }},
	}
	for _, op := range ops[:2] { // warm-up: connections opened, caches filled
		if err := op.f(); err != nil {
			t.Fatalf("%s: %v", op.name, err)
		}
	}
	got := map[string]int64{}
	for _, op := range ops {
		for range 3 {
			n := flights()
			if err := op.f(); err != nil && !(op.name == "save (create)" && errors.Is(err, djsession.ErrCreate)) {
				t.Fatalf("%s: %v", op.name, err)
			}
			got[op.name] = max(got[op.name], flights()-n)
		}
		if got[op.name] != 1 {
			t.Errorf("%s through PgBouncer: %d round trips, want 1", op.name, got[op.name])
		}
	}
	return got
}

// pgBouncerBurst measures a store that may not work through PgBouncer:
// the round trips of one load after a warm-up, then how many of 8
// goroutines × 30 loads and saves fail.
func pgBouncerBurst(ctx context.Context, store *db.Store, flights func() int64, userID string) (trips int64, failed, total int, first error) {
	s := pyjson.NewDict(0)
	s.Set("_auth_user_id", userID)
	key, err := djsession.Create(ctx, store, s)
	if err != nil {
		return 0, 1, 1, err
	}
	store.Load(ctx, key)
	n := flights()
	store.Load(ctx, key)
	trips = flights() - n
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 30 {
				cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
				var err error
				if (w+i)%2 == 0 {
					_, err = store.Load(cctx, key)
				} else {
					err = store.Save(cctx, key, s, false)
				}
				cancel()
				mu.Lock()
				total++
				if err != nil {
					failed++
					if first == nil {
						first = err
					}
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return trips, failed, total, first
}

// pgBouncerRestart runs Go writes on 8 sessions from 4 goroutines, each
// with a 2-second deadline, restarts PgBouncer in the middle
// (testnet.RestartDrill), and checks that every failure came within the
// deadline and wraps ErrBackend, that writes succeed again after the
// restart, and that the database (read directly) holds every acknowledged
// write.
func pgBouncerRestart(t *testing.T, ctx context.Context, store *db.Store, bouncer *testnet.PgBouncer, direct *sql.DB) {
	t.Helper()
	const workers, perWorker, deadline = 4, 2, 2 * time.Second
	type slot struct {
		key   string
		acked int64 // the last n a Save acknowledged
		tried int64 // the last n a Save was sent with
	}
	slots := make([]*slot, workers*perWorker)
	for i := range slots {
		d := pyjson.NewDict(0)
		d.Set("n", int64(0))
		key, err := djsession.Create(ctx, store, d)
		if err != nil {
			t.Fatal(err)
		}
		slots[i] = &slot{key: key}
	}
	drill := testnet.RestartDrill{Workers: workers, Deadline: deadline, Restart: bouncer.Restart,
		Write: func(ctx context.Context, w, i int) error {
			sl := slots[w*perWorker+i%perWorker] // each worker owns its slots
			sl.tried++
			d := pyjson.NewDict(0)
			d.Set("n", sl.tried)
			err := store.Save(ctx, sl.key, d, false)
			if err == nil {
				sl.acked = sl.tried
			} else if !errors.Is(err, djsession.ErrBackend) {
				t.Errorf("a failed save during the restart: %v, want ErrBackend", err)
			}
			return err
		}}
	r, err := drill.Run(ctx)
	if err != nil {
		t.Fatalf("restarting PgBouncer: %v", err)
	}
	t.Logf("PgBouncer restart (lib/pq): %v (deadline %v)", r, deadline)
	if r.AckedAfter == 0 {
		t.Fatalf("no save succeeded after the restart; the first failure: %v", r.FirstError)
	}
	if r.SlowestFailure > deadline+time.Second {
		t.Errorf("a failure took %v, past the %v deadline", r.SlowestFailure, deadline)
	}
	lost := 0
	for _, sl := range slots {
		var data string
		if err := direct.QueryRowContext(ctx, "SELECT session_data FROM django_session WHERE session_key = $1", sl.key).Scan(&data); err != nil {
			t.Fatal(err)
		}
		d, err := store.Codec().Decode(data)
		if err != nil {
			t.Fatal(err)
		}
		n, _ := d.GetInt64("n")
		if n < sl.acked || n > sl.tried {
			lost++
			t.Errorf("a session holds n=%d; the last acknowledged save wrote %d, the last sent %d", n, sl.acked, sl.tried)
		}
	}
	t.Logf("after the restart: %d of %d sessions checked on the server, %d acknowledged writes lost", len(slots), len(slots), lost)
}
