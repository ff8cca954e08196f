package backends

import (
	"database/sql"
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/redis/go-redis/v9"

	"github.com/djsession/djsession/backends/cache"
	"github.com/djsession/djsession/backends/db"
	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/internal/redact"
)

// A Database is a DATABASE_URL read as dj-database-url and django-environ
// read it: the vendor, and the database/sql driver and DSN that open it.
type Database struct {
	Dialect db.Dialect
	// Driver is the database/sql driver name, chosen among the drivers the
	// program registered (it imports them; this package imports none):
	// pgx, else postgres (lib/pq); mysql; sqlite (modernc.org/sqlite), else
	// sqlite3 (mattn/go-sqlite3).
	Driver string
	// DSN is the data source name for Driver, with the options that give
	// one round trip per statement (see the README's db section).
	DSN string
}

// driversFor lists the database/sql driver names of each vendor, first
// preferred.
var driversFor = map[db.Dialect][]string{
	db.Postgres: {"pgx", "postgres"},
	db.MySQL:    {"mysql"},
	db.SQLite:   {"sqlite", "sqlite3"},
}

// ParseDatabaseURL reads a DATABASE_URL: postgres://, postgresql://,
// pgsql://, psql:// (PostgreSQL); mysql://, mysql2://, mariadb://
// (MySQL/MariaDB); sqlite:////absolute/path, sqlite:///relative/path
// (SQLite). The driver is the first of the vendor's that the program
// registered (Database.Driver); with none registered, it is an error naming
// the imports that would do. Errors wrap django.ErrImproperlyConfigured and
// never show the password.
func ParseDatabaseURL(raw string) (Database, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Database{}, fmt.Errorf("%w: DATABASE_URL %q: %v", django.ErrImproperlyConfigured, shown(raw), urlReason(err))
	}
	var d Database
	switch u.Scheme {
	case "postgres", "postgresql", "pgsql", "psql":
		d.Dialect = db.Postgres
	case "mysql", "mysql2", "mariadb":
		d.Dialect = db.MySQL
	case "sqlite", "sqlite3":
		d.Dialect = db.SQLite
	default:
		return Database{}, fmt.Errorf("%w: DATABASE_URL: unsupported scheme %q (postgres://, mysql://, sqlite://)", django.ErrImproperlyConfigured, u.Scheme)
	}
	registered := sql.Drivers()
	for _, name := range driversFor[d.Dialect] {
		if slices.Contains(registered, name) {
			d.Driver = name
			break
		}
	}
	if d.Driver == "" {
		return Database{}, fmt.Errorf("%w: DATABASE_URL is %s, but no driver for it is registered: import one of %v",
			django.ErrImproperlyConfigured, d.Dialect, driverImports[d.Dialect])
	}
	switch d.Dialect {
	case db.Postgres:
		q := u.Query()
		if q.Get("sslmode") == "" {
			q.Set("sslmode", "disable")
		}
		if d.Driver == "postgres" {
			q.Set("binary_parameters", "yes") // lib/pq: one round trip per statement
		}
		u.Scheme = "postgres"
		u.RawQuery = q.Encode()
		d.DSN = u.String()
	case db.MySQL:
		user := u.User.Username()
		pass, _ := u.User.Password()
		host := u.Host
		if host == "" {
			host = "127.0.0.1:3306"
		} else if u.Port() == "" {
			host += ":3306"
		}
		q := u.Query()
		q.Set("interpolateParams", "true")
		q.Set("clientFoundRows", "true")
		cred := user
		if pass != "" {
			cred += ":" + pass
		}
		d.DSN = fmt.Sprintf("%s@tcp(%s)/%s?%s", cred, host, strings.TrimPrefix(u.Path, "/"), q.Encode())
	case db.SQLite:
		// sqlite:////absolute/path, sqlite:///relative/path
		rest, ok := strings.CutPrefix(raw, u.Scheme+"://")
		if !ok {
			return Database{}, fmt.Errorf("%w: DATABASE_URL: a sqlite URL is sqlite:////absolute/path or sqlite:///relative/path", django.ErrImproperlyConfigured)
		}
		path := strings.TrimPrefix(rest, "/")
		path, _, _ = strings.Cut(path, "?")
		if path == "" || path == ":memory:" {
			return Database{}, fmt.Errorf("%w: DATABASE_URL: a sqlite URL needs a file path (Django and Go must share the file)", django.ErrImproperlyConfigured)
		}
		path = filepath.Clean(path)
		if d.Driver == "sqlite" {
			d.DSN = "file:" + path + "?_pragma=busy_timeout(5000)"
		} else {
			d.DSN = "file:" + path + "?_busy_timeout=5000"
		}
	}
	return d, nil
}

var driverImports = map[db.Dialect][]string{
	db.Postgres: {"github.com/jackc/pgx/v5/stdlib", "github.com/lib/pq"},
	db.MySQL:    {"github.com/go-sql-driver/mysql"},
	db.SQLite:   {"modernc.org/sqlite", "github.com/mattn/go-sqlite3"},
}

// Open opens the database (sql.Open: no connection is made yet).
func (d Database) Open() (*sql.DB, error) {
	sqlDB, err := sql.Open(d.Driver, d.DSN)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", django.ErrBackend, err)
	}
	return sqlDB, nil
}

// The cache BACKEND paths a CacheConfig names.
const (
	PyMemcacheCache      = "django.core.cache.backends.memcached.PyMemcacheCache"
	PyLibMCCache         = "django.core.cache.backends.memcached.PyLibMCCache"
	MemcachedCache       = "django.core.cache.backends.memcached.MemcachedCache" // python-memcached (Django 3.2)
	RedisCache           = "django.core.cache.backends.redis.RedisCache"         // Django 4.0+
	DjangoRedis          = "django_redis.cache.RedisCache"                       // the django-redis package
	defaultRedisBackend  = RedisCache
	defaultMemcachedPath = PyMemcacheCache
)

// A CacheConfig is one CACHES entry as django-environ's cache_url reads a
// CACHE_URL (or REDIS_URL): BACKEND from the scheme, LOCATION from the
// servers, KEY_PREFIX and VERSION from the query.
type CacheConfig struct {
	// Backend is the BACKEND path. redis:// means Django's own RedisCache
	// unless django-redis is named (django-environ picks django-redis when
	// it is installed: say which with CacheConfig.Backend or the
	// DJANGO_CACHE_BACKEND variable, since Go cannot tell).
	Backend string
	// Location is LOCATION: one entry per server, as written in the URL
	// (memcached placement hashes these strings).
	Location []string
	// KeyPrefix and Version are KEY_PREFIX and VERSION.
	KeyPrefix string
	Version   int
	// Client is how the Redis servers of Location are used, after
	// django-redis' OPTIONS["CLIENT_CLASS"]: "" or "default"
	// (DefaultClient, and Django's own RedisCache: the first server takes
	// the writes, a random other one the reads), "shard" (ShardClient:
	// each key on the server its HashRing picks, Location as written in
	// settings), "sentinel" (SentinelClient: Location is one
	// redis://SERVICE/DB, Sentinels the Sentinels to ask for SERVICE's
	// primary and replicas) or "cluster" (a Redis Cluster reached from the
	// seed nodes of Location, as redis-py's RedisCluster does). shard and
	// sentinel are django-redis clients and need its BACKEND.
	Client string
	// Sentinels are OPTIONS["SENTINELS"], as host:port, for the sentinel
	// client.
	Sentinels []string
}

// The Redis clients a CacheConfig names (django-redis' CLIENT_CLASS, and a
// Redis Cluster).
const (
	RedisClientDefault  = "default"
	RedisClientShard    = "shard"
	RedisClientSentinel = "sentinel"
	RedisClientCluster  = "cluster"
)

// clientClasses are django-redis' CLIENT_CLASS paths, for a URL's
// ?client_class= (django-environ moves unknown query options to OPTIONS,
// upper-cased).
var clientClasses = map[string]string{
	"django_redis.client.DefaultClient":  RedisClientDefault,
	"django_redis.client.ShardClient":    RedisClientShard,
	"django_redis.client.SentinelClient": RedisClientSentinel,
}

// ParseCacheURL reads a cache URL: redis://, rediss://, valkey://,
// valkeys:// (a Redis LOCATION each, several separated by commas; Valkey
// speaks Redis' protocol, so valkey:// is redis:// and valkeys://
// rediss://); pymemcache://, pylibmc://, memcache:// (python-memcached),
// memcached:// (pymemcache) with host:port[,host:port]. The query's
// key_prefix and version (any case) are KEY_PREFIX and VERSION; a Redis
// URL's client_class (a django-redis CLIENT_CLASS path, or default, shard,
// sentinel, cluster) is CacheConfig.Client, and a django-redis class names
// the django-redis BACKEND. Errors wrap django.ErrImproperlyConfigured and
// never show a password.
func ParseCacheURL(raw string) (CacheConfig, error) {
	if parts := strings.Split(raw, ","); len(parts) > 1 && strings.Count(raw, "://") > 1 {
		// Several whole URLs separated by commas, as LOCATION lists them.
		var c CacheConfig
		for i, part := range parts {
			if strings.Count(part, "://") != 1 {
				return CacheConfig{}, fmt.Errorf("%w: cache URL %q: give servers as one URL each, or hosts after one scheme",
					django.ErrImproperlyConfigured, shown(raw))
			}
			pc, err := ParseCacheURL(part)
			if err != nil {
				return CacheConfig{}, err
			}
			// A part's query (client_class) may name django-redis: the
			// last part's query is the URL's, as for key_prefix.
			if i > 0 && redisKind(pc.Backend) != redisKind(c.Backend) {
				return CacheConfig{}, fmt.Errorf("%w: cache URL: servers of different kinds", django.ErrImproperlyConfigured)
			}
			pc.Location = append(c.Location, pc.Location...)
			c = pc
		}
		return c, nil
	}
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok || !validScheme(scheme) {
		return CacheConfig{}, fmt.Errorf("%w: cache URL %q: no scheme", django.ErrImproperlyConfigured, shown(raw))
	}
	netloc, query, _ := strings.Cut(rest, "?")
	var c CacheConfig
	switch scheme {
	case "redis", "rediss", "valkey", "valkeys", "rediscache":
		c.Backend = defaultRedisBackend
		path := ""
		if i := strings.IndexByte(netloc, '/'); i >= 0 {
			netloc, path = netloc[:i], netloc[i:]
		}
		s := strings.TrimSuffix(strings.Replace(scheme, "valkey", "redis", 1), "cache")
		for _, host := range strings.Split(netloc, ",") {
			c.Location = append(c.Location, s+"://"+host+path)
		}
	case "pymemcache", "memcached", "pylibmc", "memcache":
		c.Backend = map[string]string{"pymemcache": PyMemcacheCache, "memcached": defaultMemcachedPath,
			"pylibmc": PyLibMCCache, "memcache": MemcachedCache}[scheme]
		netloc = strings.TrimSuffix(netloc, "/")
		for _, part := range strings.Split(netloc, ",") {
			c.Location = append(c.Location, strings.TrimPrefix(part, scheme+"://"))
		}
	default:
		return CacheConfig{}, fmt.Errorf("%w: cache URL %q: unsupported scheme %q (redis://, valkey://, pymemcache://, pylibmc://, memcache://)",
			django.ErrImproperlyConfigured, shown(raw), scheme)
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return CacheConfig{}, fmt.Errorf("%w: cache URL %q: %v", django.ErrImproperlyConfigured, shown(raw), err)
	}
	for k, v := range q {
		switch strings.ToUpper(k) {
		case "KEY_PREFIX":
			c.KeyPrefix = v[0]
		case "VERSION":
			n, err := strconv.Atoi(v[0])
			if err != nil {
				return CacheConfig{}, fmt.Errorf("%w: cache URL: VERSION takes an integer, not %q", django.ErrImproperlyConfigured, v[0])
			}
			c.Version = n
		case "CLIENT_CLASS":
			if c.Backend != RedisCache {
				return CacheConfig{}, fmt.Errorf("%w: cache URL: client_class is for Redis", django.ErrImproperlyConfigured)
			}
			if name, ok := clientClasses[v[0]]; ok {
				c.Client, c.Backend = name, DjangoRedis
			} else if validRedisClient(v[0]) {
				c.Client = v[0]
			} else {
				return CacheConfig{}, fmt.Errorf("%w: cache URL: client_class %q: give a django_redis.client class, or default, shard, sentinel or cluster",
					django.ErrImproperlyConfigured, v[0])
			}
		}
	}
	return c, nil
}

// redisKind is backend, with the two Redis backends as one.
func redisKind(backend string) string {
	if backend == DjangoRedis {
		return RedisCache
	}
	return backend
}

func validRedisClient(name string) bool {
	switch name {
	case "", RedisClientDefault, RedisClientShard, RedisClientSentinel, RedisClientCluster:
		return true
	}
	return false
}

// Open returns the cache of c, with Django's key layout and the client
// placement and value format of its BACKEND (the session store that uses
// it brings the clock). The function closes the clients it made.
func (c CacheConfig) Open() (cache.Cache, func() error, error) {
	opts := cache.Options{KeyPrefix: c.KeyPrefix, Version: c.Version}
	switch c.Backend {
	case PyMemcacheCache, PyLibMCCache, MemcachedCache:
		lib := map[string]cache.MemcachedLibrary{PyMemcacheCache: cache.PyMemcacheCache, PyLibMCCache: cache.PyLibMCCache,
			MemcachedCache: cache.MemcachedCache}[c.Backend]
		sel, err := lib.Selector(c.Location...)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: cache LOCATION: %w", django.ErrImproperlyConfigured, err)
		}
		m, err := cache.NewMemcached(memcache.NewFromSelector(sel), lib, opts)
		if err != nil {
			return nil, nil, err
		}
		return m, func() error { return nil }, nil
	case RedisCache, DjangoRedis:
		format := cache.RedisCache
		if c.Backend == DjangoRedis {
			format = cache.DjangoRedis
		}
		return c.openRedis(format, opts)
	}
	return nil, nil, fmt.Errorf("%w: cache BACKEND %q is not one djsession reads", django.ErrImproperlyConfigured, c.Backend)
}

// openRedis opens the Redis clients c.Client names over c.Location and the
// cache of format on them.
func (c CacheConfig) openRedis(format cache.RedisFormat, opts cache.Options) (cache.Cache, func() error, error) {
	var clients []redis.UniversalClient
	closeAll := func() error {
		for _, cl := range clients {
			cl.Close()
		}
		return nil
	}
	fail := func(err error) (cache.Cache, func() error, error) {
		closeAll()
		return nil, nil, err
	}
	parse := func(loc string) (*redis.Options, error) {
		o, err := redis.ParseURL(loc)
		if err != nil {
			return nil, fmt.Errorf("%w: cache LOCATION %q: %s", django.ErrImproperlyConfigured, shown(loc), redact.URL(err.Error()))
		}
		return o, nil
	}
	if !validRedisClient(c.Client) {
		return nil, nil, fmt.Errorf("%w: cache client %q: give default, shard, sentinel or cluster", django.ErrImproperlyConfigured, c.Client)
	}
	if (c.Client == RedisClientShard || c.Client == RedisClientSentinel) && format != cache.DjangoRedis {
		return nil, nil, fmt.Errorf("%w: the %s client is django-redis' CLIENT_CLASS: the BACKEND must be %s", django.ErrImproperlyConfigured, c.Client, DjangoRedis)
	}
	if len(c.Sentinels) > 0 && c.Client != RedisClientSentinel {
		return nil, nil, fmt.Errorf("%w: SENTINELS are for the sentinel client", django.ErrImproperlyConfigured)
	}
	switch c.Client {
	case RedisClientSentinel:
		// django-redis' SentinelClient: LOCATION redis://SERVICE/DB becomes
		// the primary (is_master=1, writes) and a replica chosen by the
		// Sentinels (is_master=0, reads; the primary when none is up).
		if len(c.Location) != 1 || len(c.Sentinels) == 0 {
			return nil, nil, fmt.Errorf("%w: the sentinel client needs one LOCATION redis://SERVICE/DB and at least one Sentinel host:port", django.ErrImproperlyConfigured)
		}
		o, err := parse(c.Location[0])
		if err != nil {
			return nil, nil, err
		}
		service, _, _ := strings.Cut(o.Addr, ":")
		fo := &redis.FailoverOptions{MasterName: service, SentinelAddrs: c.Sentinels, DB: o.DB,
			Username: o.Username, Password: o.Password, TLSConfig: o.TLSConfig}
		primary := redis.NewFailoverClient(fo)
		ro := *fo
		ro.ReplicaOnly = true
		clients = append(clients, primary, redis.NewFailoverClient(&ro))
	case RedisClientCluster:
		// A Redis Cluster from its seed nodes; the servers place the keys
		// (CRC16 slots) and go-redis follows MOVED and ASK.
		co := &redis.ClusterOptions{}
		for _, loc := range c.Location {
			o, err := parse(loc)
			if err != nil {
				return nil, nil, err
			}
			if o.DB != 0 {
				return nil, nil, fmt.Errorf("%w: cache LOCATION %q: a Redis Cluster has only database 0", django.ErrImproperlyConfigured, shown(loc))
			}
			co.Addrs = append(co.Addrs, o.Addr)
			co.Username, co.Password, co.TLSConfig = o.Username, o.Password, o.TLSConfig
		}
		clients = append(clients, redis.NewClusterClient(co))
	default:
		for _, loc := range c.Location {
			o, err := parse(loc)
			if err != nil {
				return fail(err)
			}
			clients = append(clients, redis.NewClient(o))
		}
	}
	var r *cache.Redis
	var err error
	if c.Client == RedisClientShard {
		r, err = cache.NewShardClient(opts, c.Location, clients)
	} else {
		r, err = cache.NewRedis(format, opts, clients...)
	}
	if err != nil {
		return fail(err)
	}
	return r, closeAll, nil
}

// shown is raw as an error may quote it: the password hidden, and where
// redact.URL finds none to hide but the text has an "@" (no scheme, or
// one it cannot tell from the rest), everything before the last "@".
func shown(raw string) string {
	r := redact.URL(raw)
	if i := strings.LastIndexByte(r, '@'); i >= 0 && !strings.Contains(r[:i], "***") {
		return "***" + r[i:]
	}
	return r
}

// validScheme is RFC 3986's scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ).
func validScheme(s string) bool {
	for i, c := range s {
		alpha := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !alpha && (i == 0 || !(c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	return s != ""
}

// urlReason is url.Parse's reason without the URL it quotes whole.
func urlReason(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}
