package backends

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/djsession/djsession/django"
)

// LookupEnv is how the environment is read: os.LookupEnv, or a map's
// lookup in tests.
type LookupEnv func(name string) (string, bool)

// SettingsFromEnv returns Django's defaults changed by the settings a
// Django deployment keeps in its environment, under their Django names:
// SECRET_KEY (or DJANGO_SECRET_KEY), SECRET_KEY_FALLBACKS (comma
// separated), SESSION_ENGINE (a dotted path or db, cache, cached_db, file,
// signed_cookies), SESSION_SERIALIZER, SESSION_COOKIE_NAME,
// SESSION_COOKIE_AGE, SESSION_COOKIE_DOMAIN, SESSION_COOKIE_PATH,
// SESSION_COOKIE_SECURE, SESSION_COOKIE_HTTPONLY, SESSION_COOKIE_SAMESITE,
// SESSION_SAVE_EVERY_REQUEST, SESSION_EXPIRE_AT_BROWSER_CLOSE,
// SESSION_FILE_PATH, SESSION_CACHE_ALIAS, USE_TZ, TIME_ZONE, and
// DJANGO_VERSION (the behaviour to follow: 3.2, 4.2, 5.2 or 6.1). Booleans
// are read as django-environ reads them (true, on, ok, y, yes, 1). A value
// that does not parse is an error naming the variable, wrapping
// django.ErrImproperlyConfigured.
func SettingsFromEnv(lookup LookupEnv) (django.Settings, error) {
	get := func(name string) (string, bool) {
		v, ok := lookup(name)
		return v, ok && v != ""
	}
	secret, ok := get("SECRET_KEY")
	if !ok {
		secret, ok = get("DJANGO_SECRET_KEY")
	}
	if !ok {
		return django.Settings{}, fmt.Errorf("%w: set the SECRET_KEY environment variable (or DJANGO_SECRET_KEY) to the Django site's", django.ErrImproperlyConfigured)
	}
	s := django.DefaultSettings(secret)
	var errs []string
	str := func(name string, dst *string) {
		if v, ok := get(name); ok {
			*dst = v
		}
	}
	boolean := func(name string, dst *bool) {
		if v, ok := get(name); ok {
			if n, err := strconv.Atoi(v); err == nil {
				*dst = n != 0
				return
			}
			*dst = slices.Contains([]string{"true", "on", "ok", "y", "yes", "1"}, strings.ToLower(strings.TrimSpace(v)))
		}
	}
	if v, ok := get("SECRET_KEY_FALLBACKS"); ok {
		for _, k := range strings.Split(v, ",") {
			if k = strings.TrimSpace(k); k != "" {
				s.SecretKeyFallbacks = append(s.SecretKeyFallbacks, k)
			}
		}
	}
	if v, ok := get("SESSION_ENGINE"); ok {
		s.SessionEngine = django.EngineName(v)
	}
	str("SESSION_SERIALIZER", &s.SessionSerializer)
	str("SESSION_COOKIE_NAME", &s.SessionCookieName)
	if v, ok := get("SESSION_COOKIE_AGE"); ok {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			errs = append(errs, fmt.Sprintf("SESSION_COOKIE_AGE takes whole seconds, not %q", v))
		}
		s.SessionCookieAge = n
	}
	str("SESSION_COOKIE_DOMAIN", &s.SessionCookieDomain)
	str("SESSION_COOKIE_PATH", &s.SessionCookiePath)
	boolean("SESSION_COOKIE_SECURE", &s.SessionCookieSecure)
	boolean("SESSION_COOKIE_HTTPONLY", &s.SessionCookieHTTPOnly)
	if v, ok := lookup("SESSION_COOKIE_SAMESITE"); ok {
		if v == "False" || v == "none" { // Python's None/False: no attribute
			v = ""
		}
		s.SessionCookieSameSite = v
	}
	boolean("SESSION_SAVE_EVERY_REQUEST", &s.SessionSaveEveryRequest)
	boolean("SESSION_EXPIRE_AT_BROWSER_CLOSE", &s.SessionExpireAtBrowserClose)
	str("SESSION_FILE_PATH", &s.SessionFilePath)
	str("SESSION_CACHE_ALIAS", &s.SessionCacheAlias)
	boolean("USE_TZ", &s.UseTZ)
	str("TIME_ZONE", &s.TimeZone)
	if _, err := s.Location(); err != nil {
		errs = append(errs, fmt.Sprintf("TIME_ZONE: %v", err))
	}
	if v, ok := get("DJANGO_VERSION"); ok {
		ver, err := django.ParseVersion(v)
		if err != nil {
			errs = append(errs, fmt.Sprintf("DJANGO_VERSION: %v", err))
		}
		s.DjangoVersion = ver
	}
	if len(errs) > 0 {
		return s, fmt.Errorf("%w: %s", django.ErrImproperlyConfigured, strings.Join(errs, "; "))
	}
	return s, nil
}

// redisTopologyFromEnv reads DJANGO_CACHE_CLIENT (default, shard,
// sentinel, cluster, or a django_redis.client class path: CLIENT_CLASS)
// and DJANGO_CACHE_SENTINELS (host:port, comma-separated: SENTINELS) into
// cc. A shard or sentinel client names django-redis' BACKEND unless
// DJANGO_CACHE_BACKEND said otherwise (CacheConfig.Open then refuses it).
func redisTopologyFromEnv(lookup LookupEnv, cc *CacheConfig) error {
	named := "" // the client this environment names, not the URL
	if v, ok := lookup("DJANGO_CACHE_CLIENT"); ok && v != "" {
		name, isClass := clientClasses[v]
		if !isClass {
			name = v
		}
		if !validRedisClient(name) {
			return fmt.Errorf("%w: DJANGO_CACHE_CLIENT %q: give default, shard, sentinel, cluster or a django_redis.client class", django.ErrImproperlyConfigured, v)
		}
		cc.Client, named = name, name
	}
	if v, ok := lookup("DJANGO_CACHE_SENTINELS"); ok && v != "" {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				cc.Sentinels = append(cc.Sentinels, s)
			}
		}
		if cc.Client == "" {
			cc.Client, named = RedisClientSentinel, RedisClientSentinel
		}
	}
	if b, ok := lookup("DJANGO_CACHE_BACKEND"); (!ok || b == "") && (named == RedisClientShard || named == RedisClientSentinel) && cc.Backend == RedisCache {
		cc.Backend = DjangoRedis
	}
	return nil
}

// OpenFromEnv builds the settings (SettingsFromEnv) and the store that
// SESSION_ENGINE names from the environment a Django deployment already
// defines: DATABASE_URL for the db and cached_db engines, CACHE_URL (else
// REDIS_URL) for the cache and cached_db engines, DJANGO_CACHE_BACKEND to
// name the Redis client's format when the URL cannot (see CacheConfig),
// DJANGO_CACHE_CLIENT and DJANGO_CACHE_SENTINELS for django-redis'
// CLIENT_CLASS and SENTINELS or a Redis Cluster (CacheConfig.Client).
// The program imports its SQL driver. close releases the clients it
// opened.
//
//	store, settings, closeStore, err := backends.OpenFromEnv(os.LookupEnv)
func OpenFromEnv(lookup LookupEnv) (store django.Store, settings django.Settings, close func() error, err error) {
	settings, err = SettingsFromEnv(lookup)
	if err != nil {
		return nil, settings, nil, err
	}
	var clients Clients
	var closers []func() error
	closeAll := func() error {
		for _, f := range closers {
			f()
		}
		return nil
	}
	engine := django.EngineName(settings.SessionEngine)
	if engine == django.EngineDB || engine == django.EngineCachedDB {
		raw, ok := lookup("DATABASE_URL")
		if !ok || raw == "" {
			return nil, settings, nil, fmt.Errorf("%w: SESSION_ENGINE %s needs DATABASE_URL", django.ErrImproperlyConfigured, engine)
		}
		d, err := ParseDatabaseURL(raw)
		if err != nil {
			return nil, settings, nil, err
		}
		sqlDB, err := d.Open()
		if err != nil {
			return nil, settings, nil, err
		}
		clients.DB, clients.Dialect = sqlDB, d.Dialect
		closers = append(closers, sqlDB.Close)
	}
	if engine == django.EngineCache || engine == django.EngineCachedDB {
		raw, ok := lookup("CACHE_URL")
		if !ok || raw == "" {
			raw, ok = lookup("REDIS_URL")
		}
		if !ok || raw == "" {
			closeAll()
			return nil, settings, nil, fmt.Errorf("%w: SESSION_ENGINE %s needs CACHE_URL (or REDIS_URL)", django.ErrImproperlyConfigured, engine)
		}
		cc, err := ParseCacheURL(raw)
		if err != nil {
			closeAll()
			return nil, settings, nil, err
		}
		if b, ok := lookup("DJANGO_CACHE_BACKEND"); ok && b != "" {
			cc.Backend = b
		}
		if err := redisTopologyFromEnv(lookup, &cc); err != nil {
			closeAll()
			return nil, settings, nil, err
		}
		c, closeCache, err := cc.Open()
		if err != nil {
			closeAll()
			return nil, settings, nil, err
		}
		clients.Cache = c
		closers = append(closers, closeCache)
	}
	store, err = Open(settings, clients)
	if err != nil {
		closeAll()
		return nil, settings, nil, err
	}
	return store, settings, closeAll, nil
}
