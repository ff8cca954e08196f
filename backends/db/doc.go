// Package db is Django's database session engine
// (SESSION_ENGINE = "django.contrib.sessions.backends.db") on database/sql:
// a Go service and a Django site that share a database read, write and
// delete each other's sessions in the django_session table.
//
//	store, err := db.New(sqlDB, db.Postgres, settings)
//	session, err := store.Load(ctx, cookie.Value) // django.ErrNotFound: no such session
//
// The package imports no SQL driver: open the *sql.DB with the driver you
// use and name the vendor with a Dialect (ParseDialect reads "postgres",
// "mysql", "sqlite").
//
// # The table
//
// Django's migration sessions.0001_initial creates it; CreateTable runs the
// same DDL for a Go-only setup. On PostgreSQL:
//
//	CREATE TABLE "django_session" ("session_key" varchar(40) NOT NULL PRIMARY KEY, "session_data" text NOT NULL, "expire_date" timestamp with time zone NOT NULL);
//	CREATE INDEX "django_session_session_key_c0390e0f_like" ON "django_session" ("session_key" varchar_pattern_ops);
//	CREATE INDEX "django_session_expire_date_a5c62663" ON "django_session" ("expire_date");
//
// On MySQL and MariaDB:
//
//	CREATE TABLE `django_session` (`session_key` varchar(40) NOT NULL PRIMARY KEY, `session_data` longtext NOT NULL, `expire_date` datetime(6) NOT NULL);
//	CREATE INDEX `django_session_expire_date_a5c62663` ON `django_session` (`expire_date`);
//
// On SQLite:
//
//	CREATE TABLE "django_session" ("session_key" varchar(40) NOT NULL PRIMARY KEY, "session_data" text NOT NULL, "expire_date" datetime NOT NULL);
//	CREATE INDEX "django_session_expire_date_a5c62663" ON "django_session" ("expire_date");
//
// session_data is SessionStore.encode of the session (django.Codec), and
// expire_date is get_expiry_date() at the last save.
//
// # expire_date, per vendor
//
// Django compares expire_date with timezone.now() computed in Python, never
// with the server's clock, and so does Store (Settings.Now):
//   - PostgreSQL: timestamp with time zone; Store binds an instant. With
//     USE_TZ=False Django sets the connection's TIME ZONE to TIME_ZONE and
//     sends naive local time, which the server turns into the same instant.
//   - MySQL/MariaDB: datetime(6), no zone: the wall clock in UTC with
//     USE_TZ=True, in TIME_ZONE with USE_TZ=False. Store formats that
//     string itself, so the driver's loc/parseTime settings cannot shift it.
//   - SQLite: TEXT "YYYY-MM-DD HH:MM:SS.ffffff" (the fraction left out when
//     the microsecond is 0), UTC or TIME_ZONE wall clock as on MySQL.
//     Comparisons are string comparisons, so the exact layout matters: any
//     other layout makes expired sessions valid or valid ones expired.
//
// Load treats a row whose expire_date equals now as expired (Django's >);
// ClearExpired keeps it (Django's <).
//
// # Statements and round trips
//
// Every method is one statement in autocommit mode, sent with the
// caller's context. Django wraps INSERT and UPDATE in transaction.atomic();
// a single statement is atomic on its own, so the BEGIN/COMMIT pair would
// only add round trips. Django's delete() is a SELECT and then a DELETE by
// primary key; Store.Delete sends the DELETE alone, with the same effect.
// Nothing is prepared per call. For one network round trip per Load and per
// Save, open the pool with these DSN options:
//   - github.com/lib/pq: binary_parameters=yes (otherwise every statement
//     with parameters is a Parse/Describe round trip and then a
//     Bind/Execute round trip). pgx's stdlib driver needs nothing.
//   - github.com/go-sql-driver/mysql: interpolateParams=true (otherwise
//     every statement is a server-side prepare, execute and close), and
//     clientFoundRows=true, as Django connects with CLIENT.FOUND_ROWS: the
//     server then reports matched rows, so an UPDATE that rewrites
//     identical values does not need the Exists check Save falls back to.
//     Keep the connection charset utf8mb4.
//   - modernc.org/sqlite: _pragma=busy_timeout(5000)&_pragma=journal_mode(WAL),
//     so a writer waits for Django's writers instead of failing with
//     SQLITE_BUSY.
//
// # Read replicas
//
// Reads go to the primary by default, as on Django sites whose
// DATABASE_ROUTERS send the Session model to the primary: a lagging
// replica would not yet hold the row a login has just written.
// WithReplicas reads from replicas instead and falls back to the primary
// when the replica has no live row (missing or expired there), fails, or
// holds data that does not decode; writes, Exists, Check and
// LoadWithExpiry (cached_db's read, which it caches) stay on the primary. A session deleted on the primary (a logout) is still read from
// a replica until the replica replays the delete.
//
// # PgBouncer
//
// PgBouncer in transaction mode (Debian bookworm's 1.18) gives a client a
// server connection for one transaction at a time and keeps no named
// prepared statements. Each statement must reach it with its Bind and
// Execute in one flight, on the unnamed statement:
//   - lib/pq: binary_parameters=yes, and extra_float_digits in PgBouncer's
//     ignore_startup_parameters (lib/pq sends it at connect). Without
//     binary_parameters a statement takes two round trips, between which
//     PgBouncer may hand the server connection to another client: about
//     half the statements of a concurrent run failed ("bind message
//     supplies 3 parameters, but prepared statement "" requires 2").
//   - pgx (stdlib driver or pgxpool): QueryExecModeExec,
//     QueryExecModeSimpleProtocol or QueryExecModeCacheDescribe. The
//     default, QueryExecModeCacheStatement, fails ('prepared statement
//     "stmtcache_…" already exists'); QueryExecModeDescribeExec takes two
//     round trips and fails as lib/pq does without binary_parameters.
//
// With these, Load, Save, Delete and the auth_user lookup are one round
// trip each through PgBouncer, as without it (adapters/pgx and
// compat_test/topology_pg_test.go measure them).
//
// # Keys
//
// Keys are used as given, never normalised. Django keeps any key of at
// least 8 characters (django.ValidSessionKey); Load answers a shorter one
// with ErrNotFound without a query. A key that cannot be in the
// varchar(40) column (over 40 characters, invalid UTF-8, a NUL) is not
// found either, without a query. Note that MySQL/MariaDB's default
// collations compare keys case-insensitively and ignore trailing spaces, as
// they do for Django: callers that want PostgreSQL's exact matching
// everywhere can check keys against [a-z0-9] (django.ValidFileSessionKey)
// first.
//
// # Errors
//
// Load: a missing or expired session is django.ErrNotFound; data that does
// not decode is an empty session and the codec's error (wrapping
// django.ErrSessionCorrupted or signing.ErrMalformed). Save: a duplicate
// key on create is django.ErrCreate; an update of a deleted session is
// django.ErrUpdate. Every database failure, including a cancelled context,
// wraps django.ErrBackend and the driver's error.
package db
