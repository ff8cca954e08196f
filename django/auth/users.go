package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/djsession/djsession/django"
	runner "github.com/djsession/djsession/internal/bounded"
)

// SQLDialect is what SQLUsers needs of an SQL vendor: its placeholders and
// its identifier quoting. backends/db.Dialect (db.Postgres, db.MySQL,
// db.SQLite) is one; the rule lives there, and this package, a layer above
// the session stores, does not import them.
type SQLDialect interface {
	// Placeholder returns the n-th (1-based) bind parameter.
	Placeholder(n int) string
	// QuoteName quotes an identifier as Django's quote_name does.
	QuoteName(name string) string
}

// SQLUsers reads users from Django's auth_user table (or a custom user
// model's table) with the caller's *sql.DB.
type SQLUsers struct {
	db     *sql.DB
	query  string
	textID bool
}

var _ UserStore = (*SQLUsers)(nil)

// UserTable names a custom user model's table and columns; zero fields
// take Django's defaults (auth_user, id, password, is_active, username).
type UserTable struct {
	Table, IDColumn, PasswordColumn, IsActiveColumn string
	// UsernameColumn is USERNAME_FIELD's column (default "username").
	UsernameColumn string
	// TextID is for a primary key that is not an integer (a custom user
	// model with a UUIDField or CharField pk): ids are then sent to the
	// database as they are. By default the pk is an integer, as Django's
	// AutoField and BigAutoField are, and an id that is not one is no such
	// user without a query.
	TextID bool
}

// errNoDialect is SQLUsers.User's error when NewSQLUsers had no dialect.
var errNoDialect = fmt.Errorf("%w: auth: NewSQLUsers needs an SQL dialect (db.Postgres, db.MySQL or db.SQLite)", django.ErrImproperlyConfigured)

// NewSQLUsers returns the users of table t (zero: auth_user) in sqlDB, a
// database of the given dialect (db.Postgres, db.MySQL, db.SQLite).
func NewSQLUsers(sqlDB *sql.DB, dialect SQLDialect, t UserTable) *SQLUsers {
	if t.Table == "" {
		t.Table = "auth_user"
	}
	if t.IDColumn == "" {
		t.IDColumn = "id"
	}
	if t.PasswordColumn == "" {
		t.PasswordColumn = "password"
	}
	if t.IsActiveColumn == "" {
		t.IsActiveColumn = "is_active"
	}
	if t.UsernameColumn == "" {
		t.UsernameColumn = "username"
	}
	u := &SQLUsers{db: sqlDB, textID: t.TextID}
	if dialect == nil {
		return u
	}
	q := dialect.QuoteName
	u.query = fmt.Sprintf("SELECT %s, %s, %s FROM %s WHERE %s = %s",
		q(t.PasswordColumn), q(t.IsActiveColumn), q(t.UsernameColumn), q(t.Table), q(t.IDColumn), dialect.Placeholder(1))
	return u
}

type userRow struct {
	password, username string
	active             any
}

// User returns the user with primary key id. It returns when ctx is done
// even if the database does not answer (internal/bounded).
func (u *SQLUsers) User(ctx context.Context, id string) (*User, error) {
	if u.query == "" {
		return nil, errNoDialect
	}
	var arg any = id
	if !u.textID {
		// Django reads the session's id with the pk field's to_python,
		// int(value), before any query, and raises ValidationError for
		// anything else. The database must not judge it instead:
		// PostgreSQL fails the query (an outage, to the caller) and MySQL
		// casts '1abc' to 1 (someone else's user).
		n, err := strconv.ParseInt(strings.TrimSpace(id), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%w: user id %q is not an integer", ErrNoUser, id)
		}
		arg = n
	}
	r, err := runner.Call(ctx, func() (userRow, error) {
		var r userRow
		err := u.db.QueryRowContext(ctx, u.query, arg).Scan(&r.password, &r.active, &r.username)
		return r, err
	}, nil)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNoUser
	}
	if err != nil {
		return nil, fmt.Errorf("%w: reading user %q: %w", django.ErrBackend, id, err)
	}
	return &User{ID: id, Password: r.password, IsActive: truthy(r.active), Username: r.username}, nil
}

// truthy reads a boolean column as each driver returns it.
func truthy(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case int64:
		return x != 0
	case []byte:
		return len(x) > 0 && x[0] != '0' && x[0] != 'f' && x[0] != 'F'
	case string:
		return x != "" && x != "0" && x != "f" && x != "false"
	}
	return false
}
