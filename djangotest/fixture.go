package djangotest

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/djsession/djsession/backends/db"
	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/django/auth"
	"github.com/djsession/djsession/internal/pydatetime"
)

// ErrFixture means a fixture file is not the output of
// `manage.py dumpdata` that the loader understands.
var ErrFixture = errors.New("djangotest: malformed fixture")

// Fixture is a `manage.py dumpdata sessions.session auth.user` file:
// Django's serialization format, a JSON list of {"model", "pk", "fields"}.
// Objects of other models are skipped.
type Fixture struct {
	// Sessions are the sessions.session objects, in file order.
	Sessions []SessionRow
	// Users are the auth.user objects.
	Users *Users
}

// SessionRow is one django_session row as dumpdata wrote it.
type SessionRow struct {
	// Key is session_key (the pk).
	Key string
	// SessionData is session_data, byte for byte.
	SessionData string
	// ExpireDate is expire_date as Django serialized it: ISO 8601 cut to
	// milliseconds, "Z" for UTC when USE_TZ is on, naive otherwise.
	ExpireDate string
}

// ReadFixtureFile reads a dumpdata file (see ReadFixture).
func ReadFixtureFile(path string) (*Fixture, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadFixture(f)
}

// ReadFixture reads the sessions and users of a dumpdata JSON document.
func ReadFixture(r io.Reader) (*Fixture, error) {
	var objects []struct {
		Model  string                     `json:"model"`
		PK     json.RawMessage            `json:"pk"`
		Fields map[string]json.RawMessage `json:"fields"`
	}
	dec := json.NewDecoder(r)
	dec.UseNumber()
	if err := dec.Decode(&objects); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFixture, err)
	}
	f := &Fixture{Users: NewUsers()}
	for i, o := range objects {
		pk, err := pkString(o.PK)
		if err != nil {
			return nil, fmt.Errorf("%w: object %d (%s): pk: %w", ErrFixture, i, o.Model, err)
		}
		switch o.Model {
		case "sessions.session":
			row := SessionRow{Key: pk}
			if err := field(o.Fields, "session_data", &row.SessionData); err != nil {
				return nil, fmt.Errorf("%w: object %d (%s %s): %w", ErrFixture, i, o.Model, pk, err)
			}
			if err := field(o.Fields, "expire_date", &row.ExpireDate); err != nil {
				return nil, fmt.Errorf("%w: object %d (%s %s): %w", ErrFixture, i, o.Model, pk, err)
			}
			if _, _, err := row.expiry(); err != nil {
				return nil, fmt.Errorf("%w: object %d (%s %s): %w", ErrFixture, i, o.Model, pk, err)
			}
			f.Sessions = append(f.Sessions, row)
		case "auth.user":
			u := &auth.User{ID: pk}
			if err := field(o.Fields, "password", &u.Password); err != nil {
				return nil, fmt.Errorf("%w: object %d (%s %s): %w", ErrFixture, i, o.Model, pk, err)
			}
			// username and is_active are optional in a fixture: Django's
			// loaddata fills in the model's defaults (is_active=True).
			u.IsActive = true
			_ = field(o.Fields, "is_active", &u.IsActive)
			_ = field(o.Fields, "username", &u.Username)
			f.Users.Add(u)
		}
	}
	return f, nil
}

// pkString is pk.value_to_string: an integer as its digits, a string
// (a UUID, a CharField) as it is.
func pkString(raw json.RawMessage) (string, error) {
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return "", err
	}
	switch x := v.(type) {
	case json.Number:
		n, err := strconv.ParseInt(x.String(), 10, 64)
		if err != nil {
			return "", fmt.Errorf("not an integer: %s", x)
		}
		return strconv.FormatInt(n, 10), nil
	case string:
		return x, nil
	}
	return "", fmt.Errorf("want an integer or a string, got %s", raw)
}

func field(fields map[string]json.RawMessage, name string, dst any) error {
	raw, ok := fields[name]
	if !ok {
		return fmt.Errorf("no field %q", name)
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return fmt.Errorf("field %q: %w", name, err)
	}
	return nil
}

// expiry reads ExpireDate: an instant (aware, USE_TZ on) or a naive wall
// clock (USE_TZ off), the forms DjangoJSONEncoder writes.
func (r SessionRow) expiry() (t time.Time, aware bool, err error) {
	d, err := pydatetime.Parse(r.ExpireDate)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("expire_date %q is not an ISO 8601 datetime", r.ExpireDate)
	}
	return d.Time(time.UTC), d.Aware, nil
}

// InsertSQL inserts the session rows into table (default "django_session")
// of sqlDB, as loaddata does: session_key and session_data byte for byte,
// expire_date bound as Django binds it for the vendor (the instant on
// PostgreSQL; the wall clock as text on MySQL and SQLite: UTC for an aware
// value, the value itself for a naive one). A naive expire_date (a project
// with USE_TZ off) cannot be placed on PostgreSQL without the connection's
// time zone and is refused.
func (f *Fixture) InsertSQL(ctx context.Context, sqlDB *sql.DB, dialect db.Dialect, table string) error {
	if table == "" {
		table = db.DefaultTable
	}
	q := fmt.Sprintf("INSERT INTO %s (%s, %s, %s) VALUES (%s, %s, %s)", dialect.QuoteName(table),
		dialect.QuoteName("session_key"), dialect.QuoteName("session_data"), dialect.QuoteName("expire_date"),
		dialect.Placeholder(1), dialect.Placeholder(2), dialect.Placeholder(3))
	for _, row := range f.Sessions {
		t, aware, err := row.expiry()
		if err != nil {
			return fmt.Errorf("%w: session %s: %w", ErrFixture, row.Key, err)
		}
		var exp any
		switch {
		case dialect == db.Postgres && !aware:
			return fmt.Errorf("%w: session %s: a naive expire_date (USE_TZ off) cannot be placed on PostgreSQL", ErrFixture, row.Key)
		case dialect == db.Postgres:
			exp = t.UTC()
		case aware:
			exp = pydatetime.Str(t.UTC())
		default:
			exp = pydatetime.Str(t)
		}
		if _, err := sqlDB.ExecContext(ctx, q, row.Key, row.SessionData, exp); err != nil {
			return fmt.Errorf("%w: inserting session %s: %w", django.ErrBackend, row.Key, err)
		}
	}
	return nil
}

// Save stores each session in store under its own key, for the stores
// that keep no rows (cache, file): the data is decoded with settings'
// codec (so a fixture made under another SECRET_KEY fails here, wrapping
// django.ErrSessionCorrupted) and written again by the store, which signs
// it anew and starts its expiry from settings' clock. Use InsertSQL for a
// db store, where the rows go in byte for byte. A signed_cookies store
// keeps nothing: sign the data with its CookieValue instead.
func (f *Fixture) Save(ctx context.Context, store django.Store, settings django.Settings) error {
	if _, ok := store.(django.CookieStore); ok {
		return fmt.Errorf("%w: a signed_cookies store keeps no sessions: use its CookieValue", django.ErrImproperlyConfigured)
	}
	codec, err := django.NewCodec(settings)
	if err != nil {
		return err
	}
	for _, row := range f.Sessions {
		data, err := codec.Decode(row.SessionData)
		if err != nil {
			return fmt.Errorf("djangotest: session %s: %w", row.Key, err)
		}
		if err := store.Save(ctx, row.Key, data, true); err != nil {
			return fmt.Errorf("djangotest: session %s: %w", row.Key, err)
		}
	}
	return nil
}

// Users is an in-memory auth.UserStore, for tests. It is safe for
// concurrent use.
type Users struct {
	mu    sync.RWMutex
	users map[string]auth.User
}

var _ auth.UserStore = (*Users)(nil)

// NewUsers returns a store holding users.
func NewUsers(users ...*auth.User) *Users {
	u := &Users{users: map[string]auth.User{}}
	for _, x := range users {
		u.Add(x)
	}
	return u
}

// Add stores a copy of user, replacing one with the same id.
func (u *Users) Add(user *auth.User) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.users[normalID(user.ID)] = *user
}

// User returns a copy of the user with primary key id, or auth.ErrNoUser.
// An integer id matches as Django's pk.to_python does ("01" is 1).
func (u *Users) User(ctx context.Context, id string) (*auth.User, error) {
	u.mu.RLock()
	defer u.mu.RUnlock()
	x, ok := u.users[normalID(id)]
	if !ok {
		return nil, fmt.Errorf("%w: %q", auth.ErrNoUser, id)
	}
	return &x, nil
}

// ByUsername returns a copy of the user with that username.
func (u *Users) ByUsername(name string) (*auth.User, bool) {
	u.mu.RLock()
	defer u.mu.RUnlock()
	for _, x := range u.users {
		if x.Username == name {
			return &x, true
		}
	}
	return nil, false
}

// Len returns the number of users.
func (u *Users) Len() int {
	u.mu.RLock()
	defer u.mu.RUnlock()
	return len(u.users)
}

func normalID(id string) string {
	if n, err := strconv.ParseInt(strings.TrimSpace(id), 10, 64); err == nil {
		return strconv.FormatInt(n, 10)
	}
	return id
}
