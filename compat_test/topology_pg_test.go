package compat_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/djsession/djsession/backends/db"
	djsession "github.com/djsession/djsession/django"
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
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := sql.Open("postgres", fmt.Sprintf("host=%s port=%s user=%s dbname=%s sslmode=disable binary_parameters=yes connect_timeout=5", host, port, user, dbname))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pool.Close() })
	return pool
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
		t.Fatal(err)
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
		t.Fatalf("LoadWithExpiry through the fallback: %v", err)
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
