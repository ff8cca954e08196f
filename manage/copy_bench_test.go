package manage

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/djsession/djsession/backends/cache"
	"github.com/djsession/djsession/backends/db"
	"github.com/djsession/djsession/django"
)

// benchRows is the size of the benchmarks' source table.
const benchRows = 100_000

// benchSource is a SQLite django_session of benchRows live rows, each a
// logged-in user's session signed as Django signs it, made once per
// benchmark run (filled in one transaction: the filling is not measured).
func benchSource(b *testing.B, st django.Settings, rows int) *db.Store {
	b.Helper()
	path := filepath.Join(b.TempDir(), "source.sqlite3")
	sqlDB, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { sqlDB.Close() })
	ctx := context.Background()
	if err := db.CreateTable(ctx, sqlDB, db.SQLite); err != nil {
		b.Fatal(err)
	}
	src, err := db.New(sqlDB, db.SQLite, st)
	if err != nil {
		b.Fatal(err)
	}
	data, err := src.Codec().Encode(session("_auth_user_id", "42", "_auth_user_backend", "django.contrib.auth.backends.ModelBackend",
		"_auth_user_hash", "3f1e0c5b2d6a4e8f9a7b1c0d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f", "cart", []any{int64(1), int64(2), int64(3)}))
	if err != nil {
		b.Fatal(err)
	}
	tx, err := sqlDB.BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO "django_session" ("session_key", "session_data", "expire_date") VALUES (?, ?, ?)`)
	if err != nil {
		b.Fatal(err)
	}
	exp := st.Now().Add(7 * 24 * time.Hour).UTC().Format("2006-01-02 15:04:05.000000")
	for i := range rows {
		if _, err := stmt.ExecContext(ctx, fmt.Sprintf("bench%027d", i), data, exp); err != nil {
			b.Fatal(err)
		}
	}
	stmt.Close()
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	return src
}

// peakHeap samples the Go heap in use every 20 ms until stop is called,
// and returns the highest figure seen, in bytes.
func peakHeap() (stop func() uint64) {
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	return func() uint64 { close(done); wg.Wait(); return peak.Load() }
}

// benchCopy runs CopySessions from src to the destination dst makes, once
// per iteration, and reports sessions per second and the peak heap.
func benchCopy(b *testing.B, src *db.Store, rows int64, dst func(b *testing.B) *Sessions) {
	ctx := context.Background()
	runtime.GC()
	var copied int64
	var elapsed time.Duration
	var peak uint64
	for b.Loop() {
		b.StopTimer()
		to := dst(b)
		runtime.GC()
		stop := peakHeap()
		b.StartTimer()
		start := time.Now()
		rep, err := CopySessions(ctx, DBSessions(src), to, Options{})
		elapsed += time.Since(start)
		b.StopTimer()
		peak = max(peak, stop())
		if err != nil {
			b.Fatal(err)
		}
		if rep.Copied != rows {
			b.Fatalf("copied %d of %d: %+v", rep.Copied, rows, rep)
		}
		copied += rep.Copied
		b.StartTimer()
	}
	b.ReportMetric(float64(copied)/elapsed.Seconds(), "sessions/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
}

// BenchmarkCopySessionsSQLiteToSQLite: copy-sessions over 100,000 SQLite
// rows to another SQLite database (session_data moves byte for byte), in
// WAL mode with synchronous=NORMAL (Django 5.1's "init_command" sets
// these; they spare the fsync of every commit). Each session is its own
// create-only INSERT, so with SQLite's default rollback journal and
// synchronous=FULL every row costs an fsync: see the FullSync benchmark.
//
//	go test -run '^$' -bench CopySessions -benchtime 1x ./manage
func BenchmarkCopySessionsSQLiteToSQLite(b *testing.B) {
	st := django.DefaultSettings(testSecret)
	st.DjangoVersion = django.Django52
	src := benchSource(b, st, benchRows)
	benchCopy(b, src, benchRows, func(b *testing.B) *Sessions {
		return DBSessions(sqliteStoreDSN(b, st, "&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)"))
	})
}

// BenchmarkCopySessionsSQLiteToSQLiteFullSync: 2,000 rows to a SQLite
// database in its default mode (rollback journal, synchronous=FULL):
// bounded by the disk's fsync, one a row.
func BenchmarkCopySessionsSQLiteToSQLiteFullSync(b *testing.B) {
	st := django.DefaultSettings(testSecret)
	st.DjangoVersion = django.Django52
	src := benchSource(b, st, 2000)
	benchCopy(b, src, 2000, func(b *testing.B) *Sessions { return DBSessions(sqliteStore(b, st)) })
}

// BenchmarkCopySessionsSQLiteToRedis: the same rows to Redis (each
// decoded and pickled as Django's RedisCache stores it), on
// $DJSESSION_REDIS (default 127.0.0.1:6379) database 15, which it empties
// of its own keys afterwards. Skipped when no Redis answers.
func BenchmarkCopySessionsSQLiteToRedis(b *testing.B) {
	addr := os.Getenv("DJSESSION_REDIS")
	if addr == "" {
		addr = "127.0.0.1:6379"
	}
	rc := redis.NewClient(&redis.Options{Addr: addr, DB: 15})
	b.Cleanup(func() { rc.Close() }) // after the key cleanups below, which run first
	ctx := context.Background()
	if err := rc.Ping(ctx).Err(); err != nil {
		b.Skipf("no Redis at %s: %v", addr, err)
	}
	st := django.DefaultSettings(testSecret)
	st.DjangoVersion = django.Django52
	src := benchSource(b, st, benchRows)
	n := 0
	benchCopy(b, src, benchRows, func(b *testing.B) *Sessions {
		n++
		prefix := fmt.Sprintf("djsbenchcopy%d-%d", os.Getpid(), n)
		b.Cleanup(func() {
			iter := rc.Scan(ctx, 0, prefix+"*", 1000).Iterator()
			var keys []string
			for iter.Next(ctx) {
				if keys = append(keys, iter.Val()); len(keys) == 1000 {
					rc.Del(ctx, keys...)
					keys = keys[:0]
				}
			}
			if len(keys) > 0 {
				rc.Del(ctx, keys...)
			}
		})
		c, err := cache.NewRedis(cache.RedisCache, cache.Options{KeyPrefix: prefix}, rc)
		if err != nil {
			b.Fatal(err)
		}
		s, err := CacheSessions(c, c, st)
		if err != nil {
			b.Fatal(err)
		}
		return s
	})
}
