package djpgx_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/djsession/djsession/backends/db"
	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/internal/sitepeer"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
)

// database creates a database of its own on the PostgreSQL at
// 127.0.0.1:5432 (Django migrates auth_user and django_session into it)
// and drops it when the test ends; it returns its name, its URL and the
// role.
func database(t *testing.T) (name, url, user string) {
	t.Helper()
	sitepeer.RequireLive(t)
	ctx := context.Background()
	var conn *pgx.Conn
	var err error
	for _, user = range []string{"postgres", "root"} {
		if conn, err = pgx.Connect(ctx, "postgres://"+user+"@127.0.0.1:5432/test?sslmode=disable&connect_timeout=5"); err == nil {
			break
		}
	}
	if err != nil {
		sitepeer.Missing(t, "PostgreSQL on 127.0.0.1:5432 is not reachable: %v", err)
	}
	b := make([]byte, 4)
	rand.Read(b)
	name = "djsession_pgx_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		conn.Close(ctx)
		t.Fatal(err)
	}
	t.Cleanup(func() {
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("dropping %s: %v", name, err)
		}
	})
	return name, "postgres://" + user + "@127.0.0.1:5432/" + name + "?sslmode=disable", user
}

// goSite is a net/http service with django.Middleware: the routes
// sitepeer's scenario drives.
func goSite(site *sitepeer.Site, name string) http.Handler {
	return django.Middleware(site.Store)(site.Mux(name))
}

var modes = []pgx.QueryExecMode{
	pgx.QueryExecModeCacheStatement, // pgx's default
	pgx.QueryExecModeCacheDescribe,
	pgx.QueryExecModeDescribeExec,
	pgx.QueryExecModeExec,
	pgx.QueryExecModeSimpleProtocol,
}

// The db store on pgx, through the stdlib driver and through a pgxpool.Pool
// (stdlib.OpenDBFromPool), in every query execution mode: login in Django
// 5.2 on PostgreSQL, the user in Go, a write Django sees, a logout in Go
// that Django honours; and the store's start-up Check passes.
func TestDjangoLive(t *testing.T) {
	name, url, user := database(t)
	base, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { base.Close() })
	site := sitepeer.NewSiteOn(t, map[string]any{"vendor": "postgresql", "name": name, "user": user}, base, db.Postgres)
	for _, mode := range modes {
		for _, way := range []string{"stdlib", "pgxpool"} {
			t.Run(way+"/"+mode.String(), func(t *testing.T) {
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
					pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
					if err != nil {
						t.Fatal(err)
					}
					t.Cleanup(pool.Close)
					sqlDB = stdlib.OpenDBFromPool(pool)
				}
				t.Cleanup(func() { sqlDB.Close() })
				s := site.On(t, sqlDB, db.Postgres)
				if err := s.Store.(*db.Store).Check(context.Background()); err != nil {
					t.Fatalf("Check: %v", err)
				}
				srv := httptest.NewServer(goSite(s, "pgx "+way))
				defer srv.Close()
				s.Run(t, srv.URL, sitepeer.Scenario{Name: "pgx " + way, Vary: true})
			})
		}
	}
}
