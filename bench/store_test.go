//go:build benchharness

// The store half of the harness: run by bench/compare.py, which builds the
// test binary with -tags benchharness (a plain go test never runs it).

package bench

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	_ "github.com/go-sql-driver/mysql"
	_ "github.com/lib/pq"
	"github.com/redis/go-redis/v9"
	_ "modernc.org/sqlite"

	"github.com/djsession/djsession/backends/cache"
	"github.com/djsession/djsession/backends/db"
	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/internal/testnet"
	"github.com/djsession/djsession/pyjson"
)

// TestStoreBench is the Go side of the store comparison that compare.py
// drives (it does nothing unless DJS_STORE is set): a load+save cycle
// (Load of an existing session, one key set, Save as an update) on one
// engine, at each concurrency in DJS_CONC, by that many goroutines, each on
// its own session, for DJS_SECONDS. One JSON line per concurrency goes to
// DJS_OUT: ops, wall seconds, and the process CPU seconds (getrusage, user +
// system) spent inside the timed window.
//
// DJS_MODE=count instead runs DJS_COUNT_OPS cycles at concurrency 1 and
// reports the statements the SQLite driver saw (a counting driver
// wrapper); for the network engines compare.py points DJS_ADDR at
// rtproxy and counts the round trips there, from the difference between
// a run of 0 cycles and one of DJS_COUNT_OPS.
//
// DJS_STORE=setup creates the PostgreSQL and MariaDB databases djsbench
// and the django_session tables (Django's schema, db.CreateTable).
func TestStoreBench(t *testing.T) {
	engine := os.Getenv("DJS_STORE")
	if engine == "" {
		t.Skip("DJS_STORE not set: run through bench/compare.py")
	}
	ctx := context.Background()
	if engine == "setup" {
		storeSetup(t, ctx)
		return
	}
	settings := django.DefaultSettings(secret)
	settings.DjangoVersion = django.Django52
	addr := os.Getenv("DJS_ADDR")
	payload := payloads(t)["cart1K"]

	maxConc := 1
	concs := []int{1}
	if os.Getenv("DJS_MODE") != "count" {
		concs = nil
		for _, f := range strings.Split(os.Getenv("DJS_CONC"), ",") {
			c, _ := strconv.Atoi(f)
			concs = append(concs, c)
			maxConc = max(maxConc, c)
		}
	}
	var store django.Store
	var stmts atomic.Int64
	switch engine {
	case "postgres":
		sdb, err := sql.Open("postgres", "host="+hostOf(addr)+" port="+portOf(addr)+" user=postgres dbname=djsbench sslmode=disable binary_parameters=yes")
		if err != nil {
			t.Fatal(err)
		}
		defer sdb.Close()
		sdb.SetMaxOpenConns(maxConc)
		sdb.SetMaxIdleConns(maxConc)
		store, err = db.New(sdb, db.Postgres, settings)
		if err != nil {
			t.Fatal(err)
		}
	case "mariadb":
		sdb, err := sql.Open("mysql", "root@tcp("+addr+")/djsbench?interpolateParams=true&clientFoundRows=true")
		if err != nil {
			t.Fatal(err)
		}
		defer sdb.Close()
		sdb.SetMaxOpenConns(maxConc)
		sdb.SetMaxIdleConns(maxConc)
		store, err = db.New(sdb, db.MySQL, settings)
		if err != nil {
			t.Fatal(err)
		}
	case "sqlite":
		base, _ := sql.Open("sqlite", ":memory:")
		drv := base.Driver()
		base.Close()
		sdb := sql.OpenDB(testnet.CountingConnector{Base: drv, DSN: "file:" + os.Getenv("DJS_SQLITE") + "?_pragma=busy_timeout(5000)", Count: &stmts})
		defer sdb.Close()
		sdb.SetMaxOpenConns(maxConc)
		sdb.SetMaxIdleConns(maxConc)
		var err error
		store, err = db.New(sdb, db.SQLite, settings)
		if err != nil {
			t.Fatal(err)
		}
	case "memcached":
		settings.SessionEngine = django.EngineCache
		sel, _ := cache.PyMemcacheCache.Selector(addr)
		mc := memcache.NewFromSelector(sel)
		mc.MaxIdleConns = maxConc
		mc.Timeout = 5 * time.Second
		m, err := cache.NewMemcached(mc, cache.PyMemcacheCache, cache.Options{KeyPrefix: "djsbench"})
		if err != nil {
			t.Fatal(err)
		}
		if store, err = cache.New(m, settings); err != nil {
			t.Fatal(err)
		}
	case "redis":
		settings.SessionEngine = django.EngineCache
		rc := redis.NewClient(&redis.Options{Addr: addr, DB: 15, PoolSize: max(maxConc, 10)})
		defer rc.Close()
		r, err := cache.NewRedis(cache.RedisCache, cache.Options{KeyPrefix: "djsbench"}, rc)
		if err != nil {
			t.Fatal(err)
		}
		if store, err = cache.New(r, settings); err != nil {
			t.Fatal(err)
		}
	default:
		t.Fatalf("unknown engine %q", engine)
	}

	out, err := os.OpenFile(os.Getenv("DJS_OUT"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()

	cycle := func(key string, i int) {
		d, err := store.Load(ctx, key)
		if err != nil {
			t.Error(err)
			return
		}
		d.Set("visits", int64(i))
		if err := store.Save(ctx, key, d, false); err != nil {
			t.Error(err)
		}
	}
	newKeys := func(n int) []string {
		keys := make([]string, n)
		for i := range keys {
			k, err := django.Create(ctx, store, pyjson.Clone(payload).(*pyjson.Dict))
			if err != nil {
				t.Fatal(err)
			}
			keys[i] = k
		}
		return keys
	}
	deleteKeys := func(keys []string) {
		for _, k := range keys {
			store.Delete(ctx, k)
		}
	}

	if os.Getenv("DJS_MODE") == "count" {
		n, _ := strconv.Atoi(os.Getenv("DJS_COUNT_OPS"))
		keys := newKeys(1)
		cycle(keys[0], 0) // connect and warm up
		before := stmts.Load()
		for i := range n {
			cycle(keys[0], i+1)
		}
		after := stmts.Load()
		deleteKeys(keys)
		json.NewEncoder(out).Encode(map[string]any{"side": "go", "engine": engine, "ops": n, "statements": after - before})
		return
	}

	secs, _ := strconv.ParseFloat(os.Getenv("DJS_SECONDS"), 64)
	const maxOpsPerWorker = 200000 // a bound besides the clock
	for _, c := range concs {
		keys := newKeys(c)
		for _, k := range keys { // open c connections, warm up
			cycle(k, 0)
		}
		var wg sync.WaitGroup
		var total atomic.Int64
		start := make(chan struct{})
		for w := range c {
			wg.Go(func() {
				<-start
				end := time.Now().Add(time.Duration(secs * float64(time.Second)))
				n := 0
				for ; n < maxOpsPerWorker && time.Now().Before(end); n++ {
					cycle(keys[w], n)
				}
				total.Add(int64(n))
			})
		}
		cpu0, sys0 := cpuSeconds()
		t0 := time.Now()
		close(start)
		wg.Wait()
		wall := time.Since(t0).Seconds()
		cpu, sys := cpuSeconds()
		cpu, sys = cpu-cpu0, sys-sys0
		deleteKeys(keys)
		json.NewEncoder(out).Encode(map[string]any{"side": "go", "engine": engine, "conc": c,
			"ops": total.Load(), "secs": wall, "cpu": cpu, "sys": sys})
	}
}

// cpuSeconds is the CPU time of this whole process, user + system, and the
// system (kernel) part alone.
func cpuSeconds() (total, sys float64) {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9, float64(ru.Stime.Nano()) / 1e9
}

func hostOf(addr string) string { return addr[:strings.LastIndexByte(addr, ':')] }
func portOf(addr string) string { return addr[strings.LastIndexByte(addr, ':')+1:] }

func storeSetup(t *testing.T, ctx context.Context) {
	admin, err := sql.Open("postgres", "host=127.0.0.1 port=5432 user=postgres dbname=test sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var exists bool
	if err := admin.QueryRow("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'djsbench')").Scan(&exists); err != nil {
		t.Fatal(err)
	}
	if !exists {
		if _, err := admin.Exec("CREATE DATABASE djsbench"); err != nil {
			t.Fatal(err)
		}
	}
	pg, err := sql.Open("postgres", "host=127.0.0.1 port=5432 user=postgres dbname=djsbench sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	var have bool
	pg.QueryRow("SELECT to_regclass('django_session') IS NOT NULL").Scan(&have)
	if !have {
		if err := db.CreateTable(ctx, pg, db.Postgres); err != nil {
			t.Fatal(err)
		}
	}
	pg.Exec("DELETE FROM django_session")

	my, err := sql.Open("mysql", "root@tcp(127.0.0.1:3306)/")
	if err != nil {
		t.Fatal(err)
	}
	defer my.Close()
	if _, err := my.Exec("CREATE DATABASE IF NOT EXISTS djsbench"); err != nil {
		t.Fatal(err)
	}
	mydb, err := sql.Open("mysql", "root@tcp(127.0.0.1:3306)/djsbench")
	if err != nil {
		t.Fatal(err)
	}
	defer mydb.Close()
	mydb.Exec("DROP TABLE IF EXISTS django_session")
	if err := db.CreateTable(ctx, mydb, db.MySQL); err != nil {
		t.Fatal(err)
	}

	path := os.Getenv("DJS_SQLITE")
	os.Remove(path)
	lite, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	if err := db.CreateTable(ctx, lite, db.SQLite); err != nil {
		t.Fatal(err)
	}
	var mode string
	lite.QueryRow("PRAGMA journal_mode").Scan(&mode)
	fmt.Println("sqlite journal_mode", mode)
}
