// Package djpgx holds no code: it is the test, against PostgreSQL and
// Django 5.2, that the db engine (backends/db) runs on pgx's database/sql
// driver. The root module does not depend on pgx; this module does.
//
// With pgx's stdlib driver:
//
//	sqlDB, err := sql.Open("pgx", "postgres://user@host/db")
//	store, err := db.New(sqlDB, db.Postgres, settings)
//
// With a pgxpool.Pool the service already has:
//
//	sqlDB := stdlib.OpenDBFromPool(pool)
//	store, err := db.New(sqlDB, db.Postgres, settings)
//
// Every query execution mode works against PostgreSQL itself
// (pgx.QueryExecModeCacheStatement, the default; CacheDescribe; DescribeExec;
// Exec; SimpleProtocol): the store binds strings and timestamps only, which
// each mode sends alike. Through PgBouncer in transaction mode, which cannot
// keep named prepared statements (1.18, Debian bookworm's), use Exec,
// SimpleProtocol or CacheDescribe: CacheStatement collides on its statement
// names and DescribeExec on the unnamed statement under concurrency
// (TestPgBouncerModes measures each).
package djpgx
