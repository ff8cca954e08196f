package djpgx_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/djsession/djsession/backends/db"
	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/django/auth"
)

// A Go service on pgx beside a Django site on PostgreSQL with the default
// SESSION_ENGINE (db): the pool the service already has serves
// django_session and auth_user through database/sql. It needs the server,
// so it is compiled, not run.
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	config, err := pgxpool.ParseConfig("postgres://app@db/app")
	if err != nil {
		log.Fatal(err)
	}
	// Through PgBouncer in transaction mode, which keeps no prepared
	// statements: config.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeExec.
	pool, err := pgxpool.NewWithConfig(ctx, config)
	if err != nil {
		log.Fatal(err)
	}
	sqlDB := stdlib.OpenDBFromPool(pool)

	settings := django.DefaultSettings(os.Getenv("DJANGO_SECRET_KEY"))
	store, err := db.New(sqlDB, db.Postgres, settings)
	if err != nil {
		log.Fatal(err)
	}
	// At start-up: SECRET_KEY, SESSION_SERIALIZER, USE_TZ and TIME_ZONE
	// checked against the sessions Django wrote last, which no single
	// request can do (a wrong one makes every user anonymous here).
	if err := store.Check(ctx); err != nil {
		log.Fatal(err)
	}

	users := &auth.Auth{Users: auth.NewSQLUsers(sqlDB, db.Postgres, auth.UserTable{})}
	http.Handle("/go/", django.Middleware(store)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, err := users.UserFromRequest(r) // the session auth hash checked, as get_user does
		if err != nil || user == nil {
			http.Redirect(w, r, "/accounts/login/", http.StatusFound)
			return
		}
		fmt.Fprintf(w, "hello %s", user.Username)
	})))
	log.Fatal(http.ListenAndServe(":8080", nil))
}
