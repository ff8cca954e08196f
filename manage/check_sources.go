package manage

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/djsession/djsession/backends/cache"
	"github.com/djsession/djsession/backends/db"
	"github.com/djsession/djsession/backends/file"
	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/django/auth"
	"github.com/djsession/djsession/pyjson"
)

// Sources are what check and explain read: the service's settings as
// configured, and the stores to look in. The configured engine
// (Settings.SessionEngine) says which of them hold the sessions the service
// uses; the others are searched too (a session found in another engine's
// store, under another KEY_PREFIX, VERSION or Redis database, says which
// setting differs from Django's).
type Sources struct {
	// Settings are the service's settings: SECRET_KEY and its fallbacks,
	// SESSION_ENGINE, SESSION_SERIALIZER, USE_TZ, TIME_ZONE,
	// SESSION_COOKIE_AGE, SESSION_COOKIE_NAME, the Django version.
	Settings django.Settings
	// DB is the django_session table (db and cached_db engines).
	DB *db.Store
	// Cache is the raw access to CACHES[SESSION_CACHE_ALIAS] (cache and
	// cached_db engines): a *cache.Redis, or cache.NewMemcachedLister.
	Cache cache.Lister
	// File is the SESSION_FILE_PATH store (file engine).
	File *file.Store
	// Users is the user table (auth_user) for the session auth hashes;
	// nil skips them.
	Users auth.UserStore
	// RedisDBs are the other Redis databases searched for sessions when
	// Cache is a *cache.Redis on a plain client: nil means 0 to 15, an
	// empty slice none. The configured database is skipped.
	RedisDBs []int
}

// engineShort is the short name of a SESSION_ENGINE ("db", "cache"...), or
// the dotted path of a project's own engine.
func engineShort(engine string) string {
	return strings.TrimPrefix(django.EngineName(engine), "django.contrib.sessions.backends.")
}

// redisDBs returns the other Redis databases to search, with the cache's
// own first, or nil when the cache is not a plain Redis.
func (src *Sources) redisDBs() (own int, others []int, ok bool) {
	r, isRedis := src.Cache.(*cache.Redis)
	if !isRedis {
		return 0, nil, false
	}
	own, ok = r.DB()
	if !ok {
		return 0, nil, false
	}
	dbs := src.RedisDBs
	if dbs == nil {
		for i := range 16 {
			dbs = append(dbs, i)
		}
	}
	for _, n := range dbs {
		if n != own {
			others = append(others, n)
		}
	}
	return own, others, true
}

// noSuchDB reports Redis' refusal of a database number past its
// "databases" setting (16 by default): the search stops there.
func noSuchDB(err error) bool {
	return err != nil && strings.Contains(err.Error(), "DB index is out of range")
}

// cachePlace describes where a cache entry lives, without a key: KEY_PREFIX,
// VERSION and the Redis database.
func cachePlace(e cache.Entry, redisDB int, isRedis bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "KEY_PREFIX %q VERSION %d", e.KeyPrefix, e.Version)
	if isRedis {
		fmt.Fprintf(&b, " Redis db %d", redisDB)
	}
	return b.String()
}

// engineOfPrefix names the engine whose cache entries carry sp.
func engineOfPrefix(sp string) string {
	if sp == cache.CachedDBKeyPrefix {
		return "cached_db"
	}
	return "cache"
}

// readSessionFile reads the session file of key in st's directory, as the
// file engine names it (SESSION_COOKIE_NAME + key): its content and
// modification time, and false when there is none. It reads through
// file.Store.Entry, so a link, a pipe or a file larger than
// file.MaxFileSize is refused before a byte is read, as the store refuses it.
func readSessionFile(ctx context.Context, st *file.Store, key string) (string, time.Time, bool, error) {
	e, err := st.Entry(ctx, key)
	if errors.Is(err, django.ErrNotFound) {
		return "", time.Time{}, false, nil
	}
	if err != nil {
		return "", time.Time{}, false, fmt.Errorf("session file %s: %w", ShortKey(key), err)
	}
	return e.Data, e.ModTime, true, nil
}

// fileExpires is when a session file expires, for a report: by
// _session_expiry, else (also when the data did not decode, d nil, or
// _session_expiry does not read as a date) the file's modification time
// plus SESSION_COOKIE_AGE. It is FileStore._expiry_date's rule without
// the store's rounding of the time to microseconds, which no report shows;
// file.Store, not this, decides what Load treats as expired.
func fileExpires(s *django.Settings, d *pyjson.Dict, mtime time.Time) time.Time {
	if d != nil {
		if t, err := s.ExpiryDate(d, mtime); err == nil {
			return t
		}
	}
	return mtime.Add(time.Duration(s.SessionCookieAge) * time.Second)
}

// userHash is what a session's auth hash says: whether the user exists
// and which key (SECRET_KEY, a fallback, Django 3.2's sha1 form) makes
// the user's hash equal to it.
type userHash struct {
	found    bool
	valid    bool
	key      string // keyName of the key that made it
	fallback int    // -1 unless a fallback made it
	legacy   bool   // the sha1 form
}

// checkUserHash looks the user up and asks auth.HashKey, get_user's own
// rule for the configured version, which key made the session's hash.
func checkUserHash(ctx context.Context, users auth.UserStore, s *django.Settings, id, hash string) (userHash, error) {
	h := userHash{fallback: -1}
	u, err := users.User(ctx, id)
	if errors.Is(err, auth.ErrNoUser) {
		return h, nil
	}
	if err != nil {
		return h, err
	}
	h.found = true
	key, legacy := auth.HashKey(s, u.Password, hash)
	if key < 0 {
		return h, nil
	}
	h.valid, h.key, h.legacy = true, keyName(key), legacy
	h.fallback = key - 1
	return h, nil
}

// ago writes a duration as a report shows it: "3h5m0s", or "16d2h" past
// two days.
func ago(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	if d >= 48*time.Hour {
		return fmt.Sprintf("%dd%dh", d/(24*time.Hour), d%(24*time.Hour)/time.Hour)
	}
	return d.Round(time.Second).String()
}

func itoa(n int) string { return strconv.Itoa(n) }
