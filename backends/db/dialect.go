package db

import (
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/djsession/djsession/django"
)

// A Dialect is the SQL vendor behind a *sql.DB: it decides the placeholder
// style, how identifiers are quoted, the column types of Django's migration,
// and, above all, how expire_date is written and compared, which differs per
// vendor exactly as Django's database backends make it differ.
type Dialect int

// The vendors Django's db session backend runs on and this package supports.
const (
	// Postgres is PostgreSQL (lib/pq, pgx's stdlib driver): $1 placeholders,
	// "double-quoted" names, expire_date timestamp with time zone, bound
	// as an instant.
	Postgres Dialect = iota + 1
	// MySQL is MySQL or MariaDB (go-sql-driver/mysql): ? placeholders,
	// `backquoted` names, expire_date datetime(6), bound as the wall-clock
	// string Django writes (UTC with USE_TZ, TIME_ZONE without).
	MySQL
	// SQLite is SQLite (modernc.org/sqlite, mattn/go-sqlite3): ?
	// placeholders, "double-quoted" names, expire_date TEXT in Django's
	// "YYYY-MM-DD HH:MM:SS[.ffffff]" form, compared as text.
	SQLite
)

// ParseDialect reads a vendor name: "postgres" (also "postgresql", "pgx",
// "pq"), "mysql" (also "mariadb") or "sqlite" (also "sqlite3"), in any case.
// The names of Django's ENGINE modules are accepted too
// ("django.db.backends.postgresql", ...).
func ParseDialect(name string) (Dialect, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	n = strings.TrimPrefix(n, "django.db.backends.")
	switch n {
	case "postgres", "postgresql", "postgresql_psycopg2", "pgx", "pq":
		return Postgres, nil
	case "mysql", "mariadb":
		return MySQL, nil
	case "sqlite", "sqlite3":
		return SQLite, nil
	}
	return 0, fmt.Errorf("%w: unknown database dialect %q (want postgres, mysql or sqlite)", django.ErrImproperlyConfigured, name)
}

// String returns "postgres", "mysql" or "sqlite".
func (d Dialect) String() string {
	switch d {
	case Postgres:
		return "postgres"
	case MySQL:
		return "mysql"
	case SQLite:
		return "sqlite"
	}
	return "Dialect(" + strconv.Itoa(int(d)) + ")"
}

func (d Dialect) valid() bool { return d >= Postgres && d <= SQLite }

// Placeholder returns the n-th (1-based) bind parameter: "$n" on
// PostgreSQL, "?" elsewhere.
func (d Dialect) Placeholder(n int) string {
	if d == Postgres {
		return "$" + strconv.Itoa(n)
	}
	return "?"
}

// QuoteName quotes an identifier as Django's quote_name does: backquotes on
// MySQL, double quotes elsewhere. A quote character inside the name is
// doubled, so any string is a single identifier.
func (d Dialect) QuoteName(name string) string {
	q := `"`
	if d == MySQL {
		q = "`"
	}
	return q + strings.ReplaceAll(name, q, q+q) + q
}

// maxNameLength is DatabaseOperations.max_name_length(): 63 on PostgreSQL,
// 64 on MySQL, none on SQLite (Django then uses 200).
func (d Dialect) maxNameLength() int {
	switch d {
	case Postgres:
		return 63
	case MySQL:
		return 64
	}
	return 200
}

// indexName is BaseDatabaseSchemaEditor._create_index_name(table,
// [column], suffix): <table>_<column>_<md5(table+column)[:8]><suffix>,
// shortened the way Django shortens it when it exceeds the vendor's limit.
func (d Dialect) indexName(table, column, suffix string) string {
	sum := md5.Sum([]byte(table + column))
	hashSuffix := hex.EncodeToString(sum[:])[:8] + suffix
	maxLen := d.maxNameLength()
	name := table + "_" + column + "_" + hashSuffix
	if len(name) <= maxLen {
		return name
	}
	if float64(len(hashSuffix)) > float64(maxLen)/3 {
		hashSuffix = hashSuffix[:maxLen/3]
	}
	other := (maxLen-len(hashSuffix))/2 - 1
	name = prefix(table, other) + "_" + prefix(column, other) + "_" + hashSuffix
	if name[0] == '_' || name[0] >= '0' && name[0] <= '9' {
		name = "D" + name[:len(name)-1]
	}
	return name
}

// prefix is Python's s[:n] for the ASCII names Django generates.
func prefix(s string, n int) string {
	if n < len(s) {
		return s[:n]
	}
	return s
}

// Schema returns the statements of Django's migration sessions.0001_initial
// for table on this vendor, exactly as `manage.py sqlmigrate sessions 0001`
// prints them (without the trailing semicolons and the BEGIN/COMMIT around
// them): what a service whose schema lives in migration files (goose,
// golang-migrate, Atlas) puts in its first one, where CreateTable would
// run the same statements at start-up. For the default table name:
//
// PostgreSQL:
//
//	CREATE TABLE "django_session" ("session_key" varchar(40) NOT NULL PRIMARY KEY, "session_data" text NOT NULL, "expire_date" timestamp with time zone NOT NULL)
//	CREATE INDEX "django_session_session_key_c0390e0f_like" ON "django_session" ("session_key" varchar_pattern_ops)
//	CREATE INDEX "django_session_expire_date_a5c62663" ON "django_session" ("expire_date")
//
// MySQL and MariaDB:
//
//	CREATE TABLE `django_session` (`session_key` varchar(40) NOT NULL PRIMARY KEY, `session_data` longtext NOT NULL, `expire_date` datetime(6) NOT NULL)
//	CREATE INDEX `django_session_expire_date_a5c62663` ON `django_session` (`expire_date`)
//
// SQLite:
//
//	CREATE TABLE "django_session" ("session_key" varchar(40) NOT NULL PRIMARY KEY, "session_data" text NOT NULL, "expire_date" datetime NOT NULL)
//	CREATE INDEX "django_session_expire_date_a5c62663" ON "django_session" ("expire_date")
func (d Dialect) Schema(table string) []string {
	if table == "" {
		table = DefaultTable
	}
	q := d.QuoteName
	var dataType, dateType string
	switch d {
	case Postgres:
		dataType, dateType = "text", "timestamp with time zone"
	case MySQL:
		dataType, dateType = "longtext", "datetime(6)"
	case SQLite:
		dataType, dateType = "text", "datetime"
	default:
		return nil
	}
	stmts := []string{fmt.Sprintf("CREATE TABLE %s (%s varchar(40) NOT NULL PRIMARY KEY, %s %s NOT NULL, %s %s NOT NULL)",
		q(table), q("session_key"), q("session_data"), dataType, q("expire_date"), dateType)}
	if d == Postgres {
		stmts = append(stmts, fmt.Sprintf("CREATE INDEX %s ON %s (%s varchar_pattern_ops)",
			q(d.indexName(table, "session_key", "_like")), q(table), q("session_key")))
	}
	stmts = append(stmts, fmt.Sprintf("CREATE INDEX %s ON %s (%s)",
		q(d.indexName(table, "expire_date", "")), q(table), q("expire_date")))
	return stmts
}

// errBadDatetime is returned for expire_date text that is not a datetime.
var errBadDatetime = errors.New("db: expire_date is not a datetime")

// isUniqueViolation reports whether err is the database refusing a second
// row with the same primary key. The drivers are not imported, so the
// check goes by the interfaces and messages they expose:
//   - PostgreSQL: SQLSTATE 23505 (unique_violation) from any error with a
//     SQLState() string method (lib/pq's *pq.Error, pgx's *pgconn.PgError);
//     else the server's message "duplicate key value violates unique
//     constraint".
//   - MySQL/MariaDB: error 1062 (ER_DUP_ENTRY). go-sql-driver/mysql's
//     *MySQLError has no method to ask, so its message is matched:
//     "Error 1062 (23000): Duplicate entry ...".
//   - SQLite: extended result code 1555 (SQLITE_CONSTRAINT_PRIMARYKEY) or
//     2067 (SQLITE_CONSTRAINT_UNIQUE) from an error with a Code() int method
//     (modernc.org/sqlite); else the message "UNIQUE constraint failed"
//     (mattn/go-sqlite3 and others).
func (d Dialect) isUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	msg := err.Error()
	switch d {
	case Postgres:
		var e interface{ SQLState() string }
		if errors.As(err, &e) {
			return e.SQLState() == "23505"
		}
		return strings.Contains(msg, "duplicate key value violates unique constraint")
	case MySQL:
		return strings.Contains(msg, "Error 1062 (23000)") || strings.Contains(msg, "Error 1062:") ||
			strings.Contains(msg, "Duplicate entry")
	case SQLite:
		var e interface{ Code() int }
		if errors.As(err, &e) {
			if c := e.Code(); c == 1555 || c == 2067 {
				return true
			}
		}
		return strings.Contains(msg, "UNIQUE constraint failed")
	}
	return false
}
