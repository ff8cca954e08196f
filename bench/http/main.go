// Command server is the Go side of the end-to-end HTTP comparison that
// bench/http/run.py drives: one endpoint that loads the session from the
// cookie, resolves the logged-in user with the session auth hash check,
// sets one key, saves and answers a small JSON body. The same work is done
// by the Django view in bench/http/django (under gunicorn).
//
//	server -impl djsession -engine postgres -listen 127.0.0.1:8001
//	server -impl scs -engine redis -listen 127.0.0.1:8002
//	server -setup db                          (database, scs's table)
//	server -setup sessions -impl djsession -engine redis -n 128 -cookies FILE
//
// -impl djsession: net/http with django.Middleware and auth.Auth, on
// Django's own session format: the db engine (django_session on
// PostgreSQL, pgx or lib/pq) or the cache engine (Django's RedisCache layout on
// Redis, go-redis); the very sessions the Django view serves.
//
// -impl scs: github.com/alexedwards/scs/v2 with its postgresstore or
// redisstore, in scs's own format (gob), doing the same work: the user id
// from the session, the user's row from auth_user, the same session auth
// hash compared, one key set, the session committed.
//
// It is a module of its own so that scs, redigo and the drivers it
// imports outside tests never reach djsession's go.mod.
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	_ "net/http/pprof" // served only on -pprof's own listener
	"os"
	"os/signal"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	_ "github.com/lib/pq"
	"github.com/redis/go-redis/v9"
)

// benchSecret is the bench's SECRET_KEY, the one bench/http/django's
// settings use (overridden by DJANGO_SECRET_KEY in both).
const benchSecret = "django-insecure-djsession-http-bench-key-0123456789"

// config is what the flags say.
type config struct {
	impl, engine string
	pgDSN        string
	pgDriver     string
	redisCheck   bool
	redisAddr    string
	redisDB      int
	keyPrefix    string
	secret       string
}

func main() {
	var c config
	flag.StringVar(&c.impl, "impl", "djsession", "djsession or scs")
	flag.StringVar(&c.engine, "engine", "postgres", "postgres or redis (the session store; users are always in PostgreSQL)")
	flag.StringVar(&c.pgDSN, "pg", "host=127.0.0.1 port=5432 user=postgres dbname=djsbenchhttp sslmode=disable", "PostgreSQL DSN (key=value)")
	flag.StringVar(&c.pgDriver, "pg-driver", "pgx", "pgx (pgx v5's database/sql driver, its default statement cache) or pq (lib/pq, binary_parameters=yes)")
	flag.BoolVar(&c.redisCheck, "redis-check", false, "keep go-redis' recvfrom(MSG_PEEK) check of every pooled connection it takes (see openRedis)")
	flag.StringVar(&c.redisAddr, "redis", "127.0.0.1:6379", "Redis address")
	flag.IntVar(&c.redisDB, "redis-db", 15, "Redis database")
	flag.StringVar(&c.keyPrefix, "key-prefix", "djsbenchhttp", "the cache's KEY_PREFIX (scs: its key prefix starts with it)")
	listen := flag.String("listen", "127.0.0.1:8001", "address to serve on")
	pprofAddr := flag.String("pprof", "", "serve net/http/pprof on this address too (off by default)")
	noCancel := flag.Bool("no-cancel", false, "serve every request under context.WithoutCancel(r.Context()): an experiment, to measure what the per-call cancellation costs (a goroutine per store or user call in the library's bounded runner, and the driver's per-query context watcher: pgx's ctxwatch, lib/pq's watchCancel)")
	setup := flag.String("setup", "", "db: create the database and scs's table; sessions: log the bench user in -n times and write the cookies to -cookies")
	n := flag.Int("n", 128, "-setup sessions: how many sessions")
	cookies := flag.String("cookies", "", "-setup sessions: where to write the Cookie header values, one a line")
	flag.Parse()
	c.secret = benchSecret
	if s := os.Getenv("DJANGO_SECRET_KEY"); s != "" {
		c.secret = s
	}
	log.SetFlags(0)
	log.SetPrefix("bench/http server: ")

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch *setup {
	case "":
	case "db":
		if err := setupDB(ctx, c); err != nil {
			log.Fatal(err)
		}
		return
	case "sessions":
		if err := setupSessions(ctx, c, *n, *cookies); err != nil {
			log.Fatal(err)
		}
		return
	default:
		log.Fatalf("-setup %q: want db or sessions", *setup)
	}

	h, closeAll, err := handler(c)
	if err != nil {
		log.Fatal(err)
	}
	defer closeAll()
	if *pprofAddr != "" {
		go func() { log.Print(http.ListenAndServe(*pprofAddr, http.DefaultServeMux)) }()
	}
	if *noCancel {
		inner := h
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			inner.ServeHTTP(w, r.WithContext(context.WithoutCancel(r.Context())))
		})
	}
	mux := http.NewServeMux()
	mux.Handle("/bench/", h)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
		log.Fatal(err)
	}
}

// handler returns the endpoint of c.impl on c.engine and what closes its
// clients.
func handler(c config) (http.Handler, func(), error) {
	pg, err := openPG(c)
	if err != nil {
		return nil, nil, err
	}
	var rc *redis.Client
	if c.impl == "djsession" && c.engine == "redis" {
		rc = openRedis(c)
	}
	closeAll := func() {
		pg.Close()
		if rc != nil {
			rc.Close()
		}
	}
	var h http.Handler
	switch c.impl {
	case "djsession":
		h, err = djsessionHandler(c, pg, rc)
	case "scs":
		h, err = scsHandler(c, pg)
	default:
		err = fmt.Errorf("-impl %q: want djsession or scs", c.impl)
	}
	if err != nil {
		closeAll()
		return nil, nil, err
	}
	return h, closeAll, nil
}

// openPG opens the PostgreSQL pool of c.pgDriver with room for every
// worker of the load: database/sql keeps 2 idle connections by default,
// which at concurrency 16 would close and reopen connections all the time.
// pgx (the default) keeps each statement prepared on its connection, so
// PostgreSQL parses and plans each query once per connection; lib/pq with
// binary_parameters=yes sends it unnamed, parsed and planned on every call
// (one round trip either way).
func openPG(c config) (*sql.DB, error) {
	var pg *sql.DB
	var err error
	switch c.pgDriver {
	case "pgx", "":
		pg, err = sql.Open("pgx", c.pgDSN)
	case "pq":
		pg, err = sql.Open("postgres", c.pgDSN+" binary_parameters=yes")
	default:
		err = fmt.Errorf("-pg-driver %q: want pgx or pq", c.pgDriver)
	}
	if err != nil {
		return nil, err
	}
	pg.SetMaxIdleConns(128)
	pg.SetConnMaxIdleTime(5 * time.Minute)
	return pg, nil
}

// openRedis opens go-redis' pool, sized like the PostgreSQL one (its
// default, 10 per GOMAXPROCS, would be 10 on the one CPU the server is
// pinned to).
//
// Its connections are handed to go-redis without their SyscallConn
// method: go-redis v9 checks every connection it takes from its pool with
// a recvfrom(MSG_PEEK) syscall (internal/pool.connCheck), two per request
// here, about 7% of the server's CPU, and skips the check for a
// connection that does not expose its descriptor. redis-py and redigo
// (the other contenders' clients) do no such check either; a connection
// the server closed is then found by the command that uses it, which
// go-redis retries on a new connection (Options.MaxRetries). -redis-check
// keeps go-redis' check.
func openRedis(c config) *redis.Client {
	opts := &redis.Options{Addr: c.redisAddr, DB: c.redisDB, PoolSize: 128, MinIdleConns: 4}
	if !c.redisCheck {
		opts.Dialer = func(ctx context.Context, network, addr string) (net.Conn, error) {
			var d net.Dialer
			conn, err := d.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return opaqueConn{conn}, nil
		}
	}
	return redis.NewClient(opts)
}

// opaqueConn is a net.Conn without the syscall.Conn of the TCP connection
// it wraps.
type opaqueConn struct{ net.Conn }

// writeJSON answers the endpoint's body, {"user": "ID", "hits": N}: what
// the Django view's JsonResponse sends.
func writeJSON(w http.ResponseWriter, userID string, hits int64) {
	w.Header().Set("Content-Type", "application/json")
	b := make([]byte, 0, 64)
	b = append(b, `{"user": "`...)
	b = append(b, userID...)
	b = append(b, `", "hits": `...)
	b = fmt.Appendf(b, "%d}", hits)
	w.Write(b)
}
