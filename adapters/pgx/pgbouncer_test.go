package djpgx_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/djsession/djsession/backends/db"
	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/django/auth"
	"github.com/djsession/djsession/internal/sitepeer"
	"github.com/djsession/djsession/internal/testnet"
	"github.com/djsession/djsession/pyjson"
)

// pgBouncerModes are the query execution modes that work through
// PgBouncer 1.18 in transaction mode: each statement travels with its
// Bind and Execute in one flight, on the unnamed statement. Measured
// (TestPgBouncerModes' log): CacheStatement, pgx's default, fails most
// ops under concurrency ('prepared statement "stmtcache_…" already
// exists': its named statements stay on server connections that other
// clients get); DescribeExec takes two round trips, between which
// PgBouncer may hand the server connection to another client ('bind
// message supplies 2 parameters, but prepared statement "" requires 3').
var pgBouncerModes = map[pgx.QueryExecMode]bool{
	pgx.QueryExecModeCacheDescribe:  true,
	pgx.QueryExecModeExec:           true,
	pgx.QueryExecModeSimpleProtocol: true,
}

// pgBouncerResult is what one query execution mode did through PgBouncer.
type pgBouncerResult struct {
	roundTrips map[string]int64 // per load, save, user lookup, after a warm-up
	ops, errs  int              // of the concurrent burst
	firstErr   error
}

func (r pgBouncerResult) String() string {
	s := fmt.Sprintf("load %d, save %d, user lookup %d round trips; %d of %d concurrent ops failed",
		r.roundTrips["load"], r.roundTrips["save"], r.roundTrips["user lookup"], r.errs, r.ops)
	if r.firstErr != nil {
		s += fmt.Sprintf(" (first: %v)", r.firstErr)
	}
	return s
}

// The db store and the auth_user lookup on pgx through PgBouncer 1.18
// (Debian bookworm's) in transaction mode, in every query execution mode,
// through the stdlib driver and through a pgxpool.Pool: the round trips
// per load, save and user lookup, measured on the wire, and a concurrent
// burst on more client connections than PgBouncer has server connections,
// so that statements move between server connections. The modes that
// keep each statement in one flight (pgBouncerModes) must work with one
// round trip each and then run Django 5.2's login scenario through the
// same PgBouncer; what the others did is logged.
func TestPgBouncerModes(t *testing.T) {
	name, _, user := database(t)
	ctx, cancel := context.WithTimeout(context.Background(), 110*time.Second)
	defer cancel()
	bin, err := testnet.PgBouncerBinary()
	if err != nil {
		sitepeer.Missing(t, "%v (scripts/services.sh installs it)", err)
	}
	bouncer, err := testnet.StartPgBouncer(ctx, bin, "127.0.0.1:5432", user)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(bouncer.Stop) // before the database is dropped
	proxy, err := testnet.NewProxy(bouncer.Addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxy.Cut)
	url := "postgres://" + user + "@" + proxy.Addr() + "/" + name + "?sslmode=disable"

	// Django migrates and logs in through the same PgBouncer.
	_, port, _ := net.SplitHostPort(bouncer.Addr)
	peer := sitepeer.Start(t, map[string]any{"engine": "db", "secret_key": sitepeer.SecretKey, "request_cycle": true,
		"database": map[string]any{"vendor": "postgresql", "name": name, "user": user, "port": port}})
	peer.Call(t, map[string]any{"op": "whoami", "cookie": ""}) // waits for the migration
	st := django.DefaultSettings(sitepeer.SecretKey)
	st.SessionEngine = django.EngineDB
	st.DjangoVersion = django.Django52
	site := &sitepeer.Site{Peer: peer, Settings: st}
	_, userID := site.Login(t, "carol")

	results := map[string]pgBouncerResult{}
	for _, mode := range modes {
		for _, way := range []string{"stdlib", "pgxpool"} {
			cell := way + "/" + mode.String()
			sqlDB := openMode(t, ctx, url, way, mode)
			s := site.On(t, sqlDB, db.Postgres)
			r := pgBouncerRun(ctx, s.Store.(*db.Store), s.Auth.Users, proxy.Flights, userID)
			results[cell] = r
			t.Logf("%-32s %v", cell, r)
			if !pgBouncerModes[mode] {
				continue
			}
			t.Run(cell, func(t *testing.T) {
				for op, n := range r.roundTrips {
					if n != 1 {
						t.Errorf("%s: %d round trips, want 1", op, n)
					}
				}
				if r.errs != 0 {
					t.Fatalf("%d of %d ops failed, the first: %v", r.errs, r.ops, r.firstErr)
				}
				srv := httptest.NewServer(goSite(s, "pgx pgbouncer "+way))
				defer srv.Close()
				s.Run(t, srv.URL, sitepeer.Scenario{Name: "pgx pgbouncer " + way, Vary: true})
			})
		}
	}
}

// openMode opens a *sql.DB on url in mode, through the stdlib driver or a
// pgxpool.Pool; it is closed when the test ends.
func openMode(t *testing.T, ctx context.Context, url, way string, mode pgx.QueryExecMode) *sql.DB {
	t.Helper()
	var sqlDB *sql.DB
	switch way {
	case "stdlib":
		cfg, err := pgx.ParseConfig(url)
		if err != nil {
			t.Fatal(err)
		}
		cfg.DefaultQueryExecMode = mode
		sqlDB = stdlib.OpenDB(*cfg)
	case "pgxpool":
		cfg, err := pgxpool.ParseConfig(url)
		if err != nil {
			t.Fatal(err)
		}
		cfg.ConnConfig.DefaultQueryExecMode = mode
		cfg.MaxConns = 8
		pool, err := pgxpool.NewWithConfig(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		sqlDB = stdlib.OpenDBFromPool(pool)
	}
	t.Cleanup(func() { sqlDB.Close() })
	return sqlDB
}

// pgBouncerRun measures one mode: the round trips of a load, a save and
// a user lookup after a warm-up (one connection at a time), then a burst
// of 8 goroutines × 30 of those ops on up to 8 client connections, over
// PgBouncer's 4 server connections.
func pgBouncerRun(ctx context.Context, store *db.Store, users auth.UserStore, flights func() int64, userID string) pgBouncerResult {
	r := pgBouncerResult{roundTrips: map[string]int64{}}
	var mu sync.Mutex
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		r.errs++
		if r.firstErr == nil {
			r.firstErr = err
		}
	}
	s := pyjson.NewDict(0)
	s.Set("_auth_user_id", userID)
	key, err := django.Create(ctx, store, s)
	if err != nil {
		r.firstErr, r.errs, r.ops = err, 1, 1
		return r
	}
	ops := []struct {
		name string
		f    func(context.Context) error
	}{
		{"load", func(ctx context.Context) error { _, err := store.Load(ctx, key); return err }},
		{"save", func(ctx context.Context) error { return store.Save(ctx, key, s, false) }},
		{"user lookup", func(ctx context.Context) error { _, err := users.User(ctx, userID); return err }},
	}
	for _, op := range ops { // warm-up: connection, statement caches
		op.f(ctx)
	}
	for _, op := range ops {
		for range 3 {
			n := flights()
			if err := op.f(ctx); err != nil {
				r.ops++
				fail(err)
			}
			r.roundTrips[op.name] = max(r.roundTrips[op.name], flights()-n)
		}
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 30 {
				op := ops[i%len(ops)]
				cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
				err := op.f(cctx)
				cancel()
				mu.Lock()
				r.ops++
				mu.Unlock()
				if err != nil && !errors.Is(err, context.Canceled) {
					fail(errors.New(strings.ReplaceAll(err.Error(), key, "<key>")))
				}
			}
		}()
	}
	wg.Wait()
	return r
}

// A PgBouncer restart in the middle of a run of Go writes, on pgx in Exec
// mode through the stdlib driver and through a pgxpool.Pool: failures
// come within the 2-second deadline and wrap ErrBackend, writes succeed
// again once PgBouncer is back, and PostgreSQL (read directly) holds every
// acknowledged write.
func TestPgBouncerRestart(t *testing.T) {
	name, url, user := database(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	bin, err := testnet.PgBouncerBinary()
	if err != nil {
		sitepeer.Missing(t, "%v (scripts/services.sh installs it)", err)
	}
	direct, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { direct.Close() })
	if err := db.CreateTable(ctx, direct, db.Postgres); err != nil {
		t.Fatal(err)
	}
	bouncer, err := testnet.StartPgBouncer(ctx, bin, "127.0.0.1:5432", user)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(bouncer.Stop)
	st := django.DefaultSettings(sitepeer.SecretKey)
	for _, way := range []string{"stdlib", "pgxpool"} {
		t.Run(way, func(t *testing.T) {
			sqlDB := openMode(t, ctx, "postgres://"+user+"@"+bouncer.Addr+"/"+name+"?sslmode=disable&connect_timeout=2", way, pgx.QueryExecModeExec)
			store, err := db.New(sqlDB, db.Postgres, st)
			if err != nil {
				t.Fatal(err)
			}
			const workers, perWorker, deadline = 4, 2, 2 * time.Second
			type slot struct {
				key          string
				acked, tried int64
			}
			slots := make([]*slot, workers*perWorker)
			for i := range slots {
				d := pyjson.NewDict(0)
				d.Set("n", int64(0))
				key, err := django.Create(ctx, store, d)
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
					} else if !errors.Is(err, django.ErrBackend) {
						t.Errorf("a failed save during the restart: %v, want ErrBackend", err)
					}
					return err
				}}
			r, err := drill.Run(ctx)
			if err != nil {
				t.Fatalf("restarting PgBouncer: %v", err)
			}
			t.Logf("PgBouncer restart (pgx %s, Exec): %v (deadline %v)", way, r, deadline)
			if r.AckedAfter == 0 {
				t.Fatalf("no save succeeded after the restart; the first failure: %v", r.FirstError)
			}
			if r.SlowestFailure > deadline+time.Second {
				t.Errorf("a failure took %v, past the %v deadline", r.SlowestFailure, deadline)
			}
			onServer, err := db.New(direct, db.Postgres, st)
			if err != nil {
				t.Fatal(err)
			}
			lost := 0
			for _, sl := range slots {
				got, err := onServer.Load(ctx, sl.key)
				if err != nil {
					t.Fatal(err)
				}
				if n, _ := got.GetInt64("n"); n < sl.acked || n > sl.tried {
					lost++
					t.Errorf("a session holds n=%d; the last acknowledged save wrote %d, the last sent %d", n, sl.acked, sl.tried)
				}
			}
			t.Logf("pgx %s: %d sessions checked on the server, %d acknowledged writes lost", way, len(slots), lost)
		})
	}
}
