package db

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/djsession/djsession/django"
)

func TestParseDialect(t *testing.T) {
	for in, want := range map[string]Dialect{
		"postgres": Postgres, "PostgreSQL": Postgres, "pgx": Postgres, "django.db.backends.postgresql": Postgres,
		"mysql": MySQL, "MariaDB": MySQL, "django.db.backends.mysql": MySQL,
		"sqlite": SQLite, "sqlite3": SQLite, "django.db.backends.sqlite3": SQLite,
	} {
		got, err := ParseDialect(in)
		if err != nil || got != want {
			t.Errorf("ParseDialect(%q) = %v, %v; want %v", in, got, err, want)
		}
		if back, _ := ParseDialect(got.String()); back != got {
			t.Errorf("ParseDialect(%v.String()) = %v", got, back)
		}
	}
	if _, err := ParseDialect("oracle"); !errors.Is(err, django.ErrImproperlyConfigured) {
		t.Errorf("ParseDialect(oracle) = %v", err)
	}
}

func TestQuoteName(t *testing.T) {
	if got := Postgres.QuoteName(`a"b`); got != `"a""b"` {
		t.Error(got)
	}
	if got := MySQL.QuoteName("a`b"); got != "`a``b`" {
		t.Error(got)
	}
}

// TestIndexNames compares with BaseDatabaseSchemaEditor._create_index_name
// run by Django 5.2 (max_name_length 63, 64 and None).
func TestIndexNames(t *testing.T) {
	long := "myapp_customsession_with_a_rather_long_table_name_for_tests_x"
	under := strings.Repeat("_x", 40)
	cases := []struct {
		d                   Dialect
		table, expire, like string
	}{
		{Postgres, "django_session", "django_session_expire_date_a5c62663", "django_session_session_key_c0390e0f_like"},
		{MySQL, "django_session", "django_session_expire_date_a5c62663", "django_session_session_key_c0390e0f_like"},
		{SQLite, "django_session", "django_session_expire_date_a5c62663", "django_session_session_key_c0390e0f_like"},
		{Postgres, long, "myapp_customsession_with_a_expire_date_3da5b6c1", "myapp_customsession_with_session_key_462f3431_like"},
		{MySQL, long, "myapp_customsession_with_a__expire_date_3da5b6c1", "myapp_customsession_with_session_key_462f3431_like"},
		{SQLite, long, long + "_expire_date_3da5b6c1", long + "_session_key_462f3431_like"},
		{Postgres, under, "D_x_x_x_x_x_x_x_x_x_x_x_x_x_expire_date_bbb9cd8", "D_x_x_x_x_x_x_x_x_x_x_x_x_session_key_1f02cef6_lik"},
		{MySQL, under, "D_x_x_x_x_x_x_x_x_x_x_x_x_x__expire_date_bbb9cd8", "D_x_x_x_x_x_x_x_x_x_x_x_x_session_key_1f02cef6_lik"},
		{SQLite, under, under + "_expire_date_bbb9cd84", under + "_session_key_1f02cef6_like"},
	}
	for _, c := range cases {
		if got := c.d.indexName(c.table, "expire_date", ""); got != c.expire {
			t.Errorf("%v %s: expire_date index %q, want %q", c.d, c.table, got, c.expire)
		}
		if got := c.d.indexName(c.table, "session_key", "_like"); got != c.like {
			t.Errorf("%v %s: _like index %q, want %q", c.d, c.table, got, c.like)
		}
	}
}

func TestSchemaDefault(t *testing.T) {
	want := map[Dialect]string{
		Postgres: `CREATE TABLE "django_session" ("session_key" varchar(40) NOT NULL PRIMARY KEY, "session_data" text NOT NULL, "expire_date" timestamp with time zone NOT NULL);
CREATE INDEX "django_session_session_key_c0390e0f_like" ON "django_session" ("session_key" varchar_pattern_ops);
CREATE INDEX "django_session_expire_date_a5c62663" ON "django_session" ("expire_date");`,
		MySQL: "CREATE TABLE `django_session` (`session_key` varchar(40) NOT NULL PRIMARY KEY, `session_data` longtext NOT NULL, `expire_date` datetime(6) NOT NULL);\n" +
			"CREATE INDEX `django_session_expire_date_a5c62663` ON `django_session` (`expire_date`);",
		SQLite: `CREATE TABLE "django_session" ("session_key" varchar(40) NOT NULL PRIMARY KEY, "session_data" text NOT NULL, "expire_date" datetime NOT NULL);
CREATE INDEX "django_session_expire_date_a5c62663" ON "django_session" ("expire_date");`,
	}
	for d, w := range want {
		if got := strings.Join(d.Schema(""), ";\n") + ";"; got != w {
			t.Errorf("%v schema:\n%s\nwant\n%s", d, got, w)
		}
	}
}

// fakeErr mimics the errors of drivers this package does not import.
type sqlStateErr string

func (e sqlStateErr) Error() string    { return "pq: duplicate" }
func (e sqlStateErr) SQLState() string { return string(e) }

type codeErr int

func (e codeErr) Error() string { return fmt.Sprintf("sqlite error %d", int(e)) }
func (e codeErr) Code() int     { return int(e) }

func TestUniqueViolation(t *testing.T) {
	for _, c := range []struct {
		d    Dialect
		err  error
		want bool
	}{
		{Postgres, fmt.Errorf("wrapped: %w", sqlStateErr("23505")), true},
		{Postgres, sqlStateErr("23502"), false},
		{Postgres, errors.New(`ERROR: duplicate key value violates unique constraint "django_session_pkey" (SQLSTATE 23505)`), true},
		{MySQL, errors.New("Error 1062 (23000): Duplicate entry 'abc' for key 'PRIMARY'"), true},
		{MySQL, errors.New("Error 1048 (23000): Column 'session_data' cannot be null"), false},
		{SQLite, codeErr(1555), true},
		{SQLite, codeErr(2067), true},
		{SQLite, codeErr(1299), false},
		{SQLite, errors.New("UNIQUE constraint failed: django_session.session_key"), true},
		{SQLite, errors.New("database is locked"), false},
	} {
		if got := c.d.isUniqueViolation(c.err); got != c.want {
			t.Errorf("%v isUniqueViolation(%v) = %v", c.d, c.err, got)
		}
	}
}
