package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/internal/pydatetime"
	"github.com/djsession/djsession/pyjson"
)

// DefaultTable is the table of Django's Session model.
const DefaultTable = "django_session"

// MaxKeyLength is the length of the session_key column, varchar(40).
const MaxKeyLength = 40

// Store is Django's django.contrib.sessions.backends.db.SessionStore on a
// *sql.DB: it implements django.Store on the django_session table. A Store
// is safe for concurrent use; it keeps no state beyond its configuration.
type Store struct {
	db       *sql.DB
	dialect  Dialect
	settings django.Settings
	codec    *django.Codec
	zone     *time.Location // the zone of naive datetimes: UTC with USE_TZ, TIME_ZONE without
	table    string
	isUnique func(error) bool
	replicas []*sql.DB // WithReplicas: Load asks one of these first (replica.go)

	qLoad, qLoadExpiry, qLoadAny, qExists, qInsert, qUpdate, qDelete, qClear string
}

// An Option changes a Store's configuration.
type Option func(*config)

type config struct {
	table    string
	codec    *django.Codec
	isUnique func(error) bool
	replicas []*sql.DB
}

// WithTable uses table instead of django_session (the db_table of a
// custom AbstractBaseSession model). The name is quoted as one identifier;
// select a PostgreSQL schema with the connection's search_path.
func WithTable(table string) Option { return func(c *config) { c.table = table } }

// WithCodec uses codec for session_data instead of django.NewCodec of the
// settings: for a SessionStore subclass, whose class name is in the salt
// (django.NewCodecForClass).
func WithCodec(codec *django.Codec) Option { return func(c *config) { c.codec = codec } }

// WithUniqueViolation replaces the check that tells a duplicate session key
// on INSERT (Django's IntegrityError → CreateError) from other errors, for
// a driver whose errors the built-in checks do not recognise. They match:
// PostgreSQL SQLSTATE 23505 (an error with a SQLState() string method, as
// lib/pq's and pgx's, else the message "duplicate key value violates unique
// constraint"); MySQL/MariaDB error 1062 (the message "Error 1062" or
// "Duplicate entry", as go-sql-driver/mysql writes it); SQLite extended
// codes 1555 and 2067 (an error with a Code() int method, as
// modernc.org/sqlite's, else the message "UNIQUE constraint failed").
func WithUniqueViolation(f func(error) bool) Option { return func(c *config) { c.isUnique = f } }

// New returns the db session store on db for the given vendor and Django
// settings. settings must be the Django site's: SECRET_KEY (and fallbacks)
// sign session_data; USE_TZ and TIME_ZONE decide how expire_date is
// written on MySQL and SQLite; SESSION_COOKIE_AGE and the clock give the
// expiry. The table must exist (Django's migrate, or CreateTable).
func New(db *sql.DB, dialect Dialect, settings django.Settings, opts ...Option) (*Store, error) {
	if db == nil {
		return nil, fmt.Errorf("%w: db: nil *sql.DB", django.ErrImproperlyConfigured)
	}
	if !dialect.valid() {
		return nil, fmt.Errorf("%w: db: invalid dialect %v", django.ErrImproperlyConfigured, dialect)
	}
	cfg := config{table: DefaultTable}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.table == "" {
		return nil, fmt.Errorf("%w: db: empty table name", django.ErrImproperlyConfigured)
	}
	loc, err := settings.Location()
	if err != nil {
		return nil, err
	}
	zone := loc
	if settings.UseTZ {
		zone = time.UTC
	}
	codec := cfg.codec
	if codec == nil {
		if codec, err = django.NewCodec(settings); err != nil {
			return nil, err
		}
	}
	s := &Store{db: db, dialect: dialect, settings: settings, codec: codec, zone: zone, table: cfg.table, isUnique: cfg.isUnique, replicas: cfg.replicas}
	if s.isUnique == nil {
		s.isUnique = dialect.isUniqueViolation
	}
	t, p := dialect.QuoteName(cfg.table), dialect.Placeholder
	key, data, exp := dialect.QuoteName("session_key"), dialect.QuoteName("session_data"), dialect.QuoteName("expire_date")
	s.qLoad = fmt.Sprintf("SELECT %s FROM %s WHERE %s > %s AND %s = %s", data, t, exp, p(1), key, p(2))
	s.qLoadExpiry = fmt.Sprintf("SELECT %s, %s FROM %s WHERE %s > %s AND %s = %s", data, exp, t, exp, p(1), key, p(2))
	s.qLoadAny = fmt.Sprintf("SELECT %s, %s FROM %s WHERE %s = %s", data, exp, t, key, p(1))
	s.qExists = fmt.Sprintf("SELECT 1 FROM %s WHERE %s = %s LIMIT 1", t, key, p(1))
	s.qInsert = fmt.Sprintf("INSERT INTO %s (%s, %s, %s) VALUES (%s, %s, %s)", t, key, data, exp, p(1), p(2), p(3))
	s.qUpdate = fmt.Sprintf("UPDATE %s SET %s = %s, %s = %s WHERE %s = %s", t, data, p(1), exp, p(2), key, p(3))
	s.qDelete = fmt.Sprintf("DELETE FROM %s WHERE %s = %s", t, key, p(1))
	s.qClear = fmt.Sprintf("DELETE FROM %s WHERE %s < %s", t, exp, p(1))
	return s, nil
}

// Dialect returns the store's vendor.
func (s *Store) Dialect() Dialect { return s.dialect }

// Table returns the store's table name.
func (s *Store) Table() string { return s.table }

// Codec returns the codec of session_data.
func (s *Store) Codec() *django.Codec { return s.codec }

// Settings returns the settings the store was made with (django.Store).
func (s *Store) Settings() *django.Settings { return &s.settings }

// storable reports whether key can be a session_key value at all: valid
// UTF-8 without NUL and at most 40 characters (varchar(40); PostgreSQL
// and MySQL in strict mode refuse anything longer, and refuse invalid
// UTF-8). Such keys are answered without a query.
func storable(key string) bool {
	if len(key) > MaxKeyLength*utf8.UTFMax || !utf8.ValidString(key) || utf8.RuneCountInString(key) > MaxKeyLength {
		return false
	}
	for i := 0; i < len(key); i++ {
		if key[i] == 0 {
			return false
		}
	}
	return true
}

// bindTime is a datetime as Django's backend adapts it for this vendor:
// an instant on PostgreSQL; on MySQL and SQLite the naive wall clock in UTC
// (USE_TZ) or TIME_ZONE, as text, so no driver setting (loc, _time_format)
// can change it. Python keeps microseconds: the rest is truncated.
func (s *Store) bindTime(t time.Time) any {
	t = t.Truncate(time.Microsecond)
	if s.dialect == Postgres {
		return t.UTC()
	}
	return pydatetime.Str(t.In(s.zone))
}

// now is timezone.now(), bound for the vendor.
func (s *Store) now() any { return s.bindTime(s.settings.Now()) }

// expireDate is get_expiry_date() bound for this vendor. PostgreSQL takes
// the instant; the others take Django's wall clock, which for a naive time
// in the hour skipped by a DST change is not a time.Time in TIME_ZONE.
func (s *Store) expireDate(session *pyjson.Dict) (any, error) {
	if s.dialect == Postgres {
		t, err := s.settings.ExpiryDate(session, s.settings.Now())
		if err != nil {
			return nil, err
		}
		return s.bindTime(t), nil
	}
	wall, err := s.settings.ExpiryDateWall(session, s.settings.Now())
	if err != nil {
		return nil, err
	}
	return pydatetime.Str(wall.Truncate(time.Microsecond)), nil
}

func backendErr(op string, err error) error {
	return fmt.Errorf("%w: db: %s: %w", django.ErrBackend, op, err)
}

// Load returns the session stored under key, as SessionStore.load: one
//
//	SELECT session_data FROM django_session WHERE expire_date > NOW AND session_key = K
//
// where NOW is the settings' clock. A row whose expire_date equals NOW is
// expired. No row (missing or expired) is ErrNotFound with an empty
// session. A key Django would not keep (shorter than 8 characters), or one
// that cannot be in the column (longer than 40 characters, invalid UTF-8,
// NUL) is ErrNotFound without a query. Data that does not decode is an
// empty session and the codec's error (the key is still Django's). On
// MySQL and SQLite, when no live row matched, a second query reads the row
// whatever its expire_date: one that its own session_data says is live
// (USE_TZ or TIME_ZONE differ from Django's) is django.ErrExpiryMismatch,
// not ErrNotFound (mismatch.go). With WithReplicas, one replica is asked
// first and the primary only when the replica has no live, readable row.
func (s *Store) Load(ctx context.Context, key string) (*pyjson.Dict, error) {
	if !django.ValidSessionKey(key) || !storable(key) {
		return pyjson.NewDict(0), django.ErrNotFound
	}
	if d, ok := s.loadReplica(ctx, key); ok {
		return d, nil
	}
	data, err := scanOne[string](ctx, s.db, s.qLoad, s.now(), key)
	if errors.Is(err, sql.ErrNoRows) {
		return pyjson.NewDict(0), s.notFound(ctx, key)
	}
	if err != nil {
		return pyjson.NewDict(0), backendErr("load", err)
	}
	d, err := s.codec.Decode(data)
	if err != nil {
		return d, fmt.Errorf("db: load: %w", err)
	}
	return d, nil
}

// LoadWithExpiry is Load that also returns the row's expire_date, as
// Django's cached_db backend reads it (to set the cache timeout with
// get_expiry_age(expiry=expire_date)). The time is the stored instant on
// PostgreSQL; on MySQL and SQLite the stored wall clock read in UTC
// (USE_TZ) or TIME_ZONE. It is still one query, on the primary even with
// WithReplicas: cached_db copies the session into the cache, where a
// replica's stale copy would outlive the replica's lag.
func (s *Store) LoadWithExpiry(ctx context.Context, key string) (*pyjson.Dict, time.Time, error) {
	if !django.ValidSessionKey(key) || !storable(key) {
		return pyjson.NewDict(0), time.Time{}, django.ErrNotFound
	}
	type row struct {
		data string
		raw  any
	}
	r, err := bounded(ctx, func() (row, error) {
		var r row
		err := s.db.QueryRowContext(ctx, s.qLoadExpiry, s.now(), key).Scan(&r.data, &r.raw)
		return r, err
	})
	data, raw := r.data, r.raw
	if errors.Is(err, sql.ErrNoRows) {
		return pyjson.NewDict(0), time.Time{}, s.notFound(ctx, key)
	}
	if err != nil {
		return pyjson.NewDict(0), time.Time{}, backendErr("load", err)
	}
	exp, err := s.readTime(raw)
	if err != nil {
		return pyjson.NewDict(0), time.Time{}, backendErr("load", err)
	}
	d, err := s.codec.Decode(data)
	if err != nil {
		return d, exp, fmt.Errorf("db: load: %w", err)
	}
	return d, exp, nil
}

// readTime reads an expire_date value as the driver returns it: a
// time.Time, or text (MySQL without parseTime, SQLite). Naive values are
// wall clocks in the store's zone, whatever zone a driver attached.
func (s *Store) readTime(v any) (time.Time, error) {
	switch x := v.(type) {
	case time.Time:
		if s.dialect == Postgres {
			return x.In(s.zone), nil
		}
		return time.Date(x.Year(), x.Month(), x.Day(), x.Hour(), x.Minute(), x.Second(), x.Nanosecond(), s.zone), nil
	case []byte:
		return s.parseTime(string(x))
	case string:
		return s.parseTime(x)
	}
	return time.Time{}, fmt.Errorf("%w: a %T", errBadDatetime, v)
}

func (s *Store) parseTime(text string) (time.Time, error) {
	// Django's converters read the text as fromisoformat does: naive
	// text is a wall clock in the store's zone, text with an offset (as
	// PostgreSQL prints it) that instant.
	d, err := pydatetime.Parse(text)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: %q", errBadDatetime, text)
	}
	return d.Time(s.zone).In(s.zone), nil
}

// Save stores session under key with expire_date = get_expiry_date(), as
// SessionStore.save:
//
//	create:  INSERT INTO django_session (session_key, session_data, expire_date) VALUES (K, D, E)
//	update:  UPDATE django_session SET session_data = D, expire_date = E WHERE session_key = K
//
// A duplicate key on INSERT is ErrCreate (django.Create then draws another
// key). An UPDATE that matches no row is ErrUpdate: the session was
// deleted meanwhile, and, as in Django, it is not brought back (never an
// upsert).
//
// Django wraps the statement in transaction.atomic(); one statement in
// autocommit mode is atomic by itself, so Save sends only the statement:
// one round trip. On MySQL, unless the DSN sets clientFoundRows=true (as
// Django does with CLIENT.FOUND_ROWS), the server counts changed rather
// than matched rows, so an UPDATE that rewrites identical values reports
// 0 rows; Save then asks Exists before answering ErrUpdate (a second round
// trip only in that case).
//
// A key longer than 40 characters cannot be stored: create fails with an
// ErrBackend error (PostgreSQL and MySQL would refuse it), update is
// ErrUpdate, without a query.
func (s *Store) Save(ctx context.Context, key string, session *pyjson.Dict, create bool) error {
	if !storable(key) {
		if create {
			return fmt.Errorf("%w: db: save: the session key does not fit session_key varchar(%d)", django.ErrBackend, MaxKeyLength)
		}
		return django.ErrUpdate
	}
	exp, err := s.expireDate(session)
	if err != nil {
		return fmt.Errorf("db: save: %w", err)
	}
	data, err := s.codec.Encode(session)
	if err != nil {
		return fmt.Errorf("db: save: %w", err)
	}
	if create {
		_, err := s.exec(ctx, s.qInsert, key, data, exp)
		if err != nil {
			if s.isUnique(err) {
				return fmt.Errorf("db: save: %w", django.ErrCreate)
			}
			return backendErr("save", err)
		}
		return nil
	}
	res, err := s.exec(ctx, s.qUpdate, data, exp, key)
	if err != nil {
		return backendErr("save", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return backendErr("save", err)
	}
	if n == 0 {
		if s.dialect == MySQL {
			ok, err := s.Exists(ctx, key)
			if err != nil {
				return err
			}
			if ok {
				return nil
			}
		}
		return fmt.Errorf("db: save: %w", django.ErrUpdate)
	}
	return nil
}

// Delete removes the session stored under key, expired or not:
//
//	DELETE FROM django_session WHERE session_key = K
//
// Django first SELECTs the row and then deletes it by primary key; one
// DELETE has the same effect in one round trip. A missing row is not an
// error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if !storable(key) {
		return nil
	}
	if _, err := s.exec(ctx, s.qDelete, key); err != nil {
		return backendErr("delete", err)
	}
	return nil
}

// Exists reports whether a row exists under key, expired or not, as
// SessionStore.exists:
//
//	SELECT 1 FROM django_session WHERE session_key = K LIMIT 1
func (s *Store) Exists(ctx context.Context, key string) (bool, error) {
	if !storable(key) {
		return false, nil
	}
	_, err := scanOne[int](ctx, s.db, s.qExists, key)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, backendErr("exists", err)
	}
	return true, nil
}

// ClearExpired deletes the expired sessions, as SessionStore.clear_expired
// (manage.py clearsessions):
//
//	DELETE FROM django_session WHERE expire_date < NOW
//
// A row whose expire_date equals NOW survives (it is already invisible to
// Load).
func (s *Store) ClearExpired(ctx context.Context) error {
	if _, err := s.exec(ctx, s.qClear, s.now()); err != nil {
		return backendErr("clear expired", err)
	}
	return nil
}

var _ django.Store = (*Store)(nil)
