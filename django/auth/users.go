package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/djsession/djsession/backends/db"
	"github.com/djsession/djsession/django"
)

// SQLUsers reads users from Django's auth_user table (or a custom user
// model's table) with the caller's *sql.DB.
type SQLUsers struct {
	db      *sql.DB
	dialect db.Dialect
	query   string
}

var _ UserStore = (*SQLUsers)(nil)

// UserTable names a custom user model's table and columns; zero fields
// take Django's defaults (auth_user, id, password, is_active, username).
type UserTable struct {
	Table, IDColumn, PasswordColumn, IsActiveColumn string
	// UsernameColumn is USERNAME_FIELD's column (default "username").
	UsernameColumn string
}

// NewSQLUsers returns the users of table t (zero: auth_user) in sqlDB.
func NewSQLUsers(sqlDB *sql.DB, dialect db.Dialect, t UserTable) *SQLUsers {
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
	q := dialect.QuoteName
	query := fmt.Sprintf("SELECT %s, %s, %s FROM %s WHERE %s = %s",
		q(t.PasswordColumn), q(t.IsActiveColumn), q(t.UsernameColumn), q(t.Table), q(t.IDColumn), dialect.Placeholder(1))
	return &SQLUsers{db: sqlDB, dialect: dialect, query: query}
}

// User returns the user with primary key id.
func (u *SQLUsers) User(ctx context.Context, id string) (*User, error) {
	var password, username string
	var active any
	err := u.db.QueryRowContext(ctx, u.query, id).Scan(&password, &active, &username)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNoUser
	}
	if err != nil {
		// A non-numeric id against an integer column is "no such user"
		// in Django (to_python raises ValidationError before any query);
		// PostgreSQL reports it as an error, so check the shape first.
		return nil, fmt.Errorf("%w: reading user %q: %w", django.ErrBackend, id, err)
	}
	return &User{ID: id, Password: password, IsActive: truthy(active), Username: username}, nil
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
