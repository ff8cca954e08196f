package manage

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
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

// DefaultCheckSample is how many sessions Check reads without
// CheckOptions.All: the most recently written.
const DefaultCheckSample = 200

// CheckOptions are Check's: the shared Options (BatchSize, Progress) and
// how much of the store to read.
type CheckOptions struct {
	Options
	// All reads every session instead of a sample.
	All bool
	// Sample is how many of the most recently written sessions a check
	// without All reads (the rows that expire last, the files written
	// last, the first cache entries listed); 0 means DefaultCheckSample.
	Sample int
}

func (o CheckOptions) sample() int {
	if o.Sample <= 0 {
		return DefaultCheckSample
	}
	return o.Sample
}

// KeyCounts count sessions by the key that verifies them.
type KeyCounts struct {
	// Current verify under SECRET_KEY.
	Current int64 `json:"current"`
	// Fallbacks[i] verify under SECRET_KEY_FALLBACKS[i] (and not under
	// SECRET_KEY).
	Fallbacks []int64 `json:"fallbacks"`
	// None verify under no configured key.
	None int64 `json:"none"`
	// Unsigned are cache entries: the pickled dict, not signed.
	Unsigned int64 `json:"unsigned"`
}

// OffsetCount is how many rows have expire_date this far from when their
// own data says they expire (to the minute).
type OffsetCount struct {
	Offset time.Duration `json:"offset_ns"`
	Count  int64         `json:"count"`
}

// PlaceCount is how many sessions were found in one place that is not the
// configured one.
type PlaceCount struct {
	// Engine is the engine whose key layout the entries have: "cache" or
	// "cached_db" (a cached_db cache copy).
	Engine string `json:"engine"`
	// Where is the place as reports show it: KEY_PREFIX, VERSION and the
	// Redis database; Count how many sessions are there.
	Where string `json:"where"`
	Count int64  `json:"count"`
	// KeyPrefix and Version are the place's KEY_PREFIX and VERSION;
	// RedisDB its Redis database (-1 on memcached).
	KeyPrefix string `json:"key_prefix"`
	Version   int    `json:"version"`
	RedisDB   int    `json:"redis_db"`
}

// MaxElsewhere is how many places CheckReport.Elsewhere lists, the closest
// to the configured settings first; ElsewhereMore counts the others.
const MaxElsewhere = 20

// CachedDBCounts compare cached_db's cache copies with their rows.
type CachedDBCounts struct {
	// Live rows that verified and are not expired; Cached of them have a
	// copy under the configured cache settings; Differ of those differ.
	Live   int64 `json:"live"`
	Cached int64 `json:"cached"`
	Differ int64 `json:"differ"`
}

// UserCounts count logged-in sessions by what their auth hash says.
type UserCounts struct {
	LoggedIn int64 `json:"logged_in"`
	// Current hashes verify under SECRET_KEY; Fallbacks[i] under
	// SECRET_KEY_FALLBACKS[i].
	Current   int64   `json:"current"`
	Fallbacks []int64 `json:"fallbacks"`
	// Invalid match no configured key (a password changed since the
	// login, or another SECRET_KEY); Missing name no existing user.
	Invalid int64 `json:"invalid"`
	Missing int64 `json:"missing"`
}

// CheckReport is what Check found. No field holds a key, a secret or
// session contents.
type CheckReport struct {
	// Engine is the configured SESSION_ENGINE's short name.
	Engine string `json:"engine"`
	// All reports that every session was read, not a sample.
	All bool `json:"all"`
	// Sessions is how many sessions of the configured store were read;
	// Expired of them are expired; Undecodable verified but did not decode.
	Sessions    int64 `json:"sessions"`
	Expired     int64 `json:"expired"`
	Undecodable int64 `json:"undecodable"`
	// Keys count them by the key that verifies them.
	Keys KeyCounts `json:"keys"`
	// Serializers count the verified ones by serializer ("json",
	// "pickle").
	Serializers map[string]int64 `json:"serializers"`
	// Offsets count rows by how far expire_date is from when their data
	// says they expire (db and cached_db), most common first.
	Offsets []OffsetCount `json:"expire_date_offsets,omitempty"`
	// Elsewhere are sessions found under another KEY_PREFIX, VERSION,
	// Redis database or engine prefix.
	Elsewhere []PlaceCount `json:"elsewhere,omitempty"`
	// ElsewhereMore is how many more places hold sessions than Elsewhere
	// lists.
	ElsewhereMore int `json:"elsewhere_more,omitempty"`
	// CachedDB compares cached_db's copies with the rows.
	CachedDB *CachedDBCounts `json:"cached_db,omitempty"`
	// Users count the logged-in sessions by auth hash (with
	// Sources.Users).
	Users *UserCounts `json:"users,omitempty"`
	// Findings are the report's lines; those naming a setting disagree.
	Findings []Finding `json:"findings"`
	// Disagrees reports a finding that names a setting.
	Disagrees bool `json:"disagrees"`
}

func (r *CheckReport) say(format string, a ...any) {
	r.Findings = append(r.Findings, Finding{Text: fmt.Sprintf(format, a...)})
}

func (r *CheckReport) disagree(setting, format string, a ...any) {
	r.Findings = append(r.Findings, Finding{Text: fmt.Sprintf(format, a...), Setting: setting})
	r.Disagrees = true
}

// checker holds one run's state.
type checker struct {
	src     Sources
	s       *django.Settings
	opts    CheckOptions
	ver     *Verifier
	r       *CheckReport
	now     time.Time
	offsets map[time.Duration]int64
	done    int64
	total   int64
	users   *userCache // with Sources.Users, else nil
}

// userCacheSize bounds the users a check remembers.
const userCacheSize = 10_000

// userCache remembers the users a check looked up, so that a user logged
// in on several devices costs one query; it forgets them all when full,
// so memory stays bounded.
type userCache struct {
	users auth.UserStore
	m     map[string]userResult
}

type userResult struct {
	u   *auth.User
	err error
}

// User is auth.UserStore's User, answered from memory for an id asked
// before. Only answers are remembered (a user, or ErrNoUser): a failure
// is asked again for the next session, so one timeout does not mark every
// later session of that user.
func (c *userCache) User(ctx context.Context, id string) (*auth.User, error) {
	if r, ok := c.m[id]; ok {
		return r.u, r.err
	}
	u, err := c.users.User(ctx, id)
	if err == nil || errors.Is(err, auth.ErrNoUser) {
		if len(c.m) >= userCacheSize {
			clear(c.m)
		}
		c.m[id] = userResult{u, err}
	}
	return u, err
}

// Check inspects what the configured store holds and reports how it
// agrees with the configured settings: how many sessions verify under
// SECRET_KEY, under each fallback (by index), under none; which serializer
// wrote them; expire_date offsets that a USE_TZ/TIME_ZONE mismatch makes;
// sessions found under another KEY_PREFIX, VERSION or Redis database
// (Redis SCAN, memcached lru_crawler metadump); cached_db copies that
// differ from their rows; and, with Sources.Users, how many logged-in
// sessions carry a valid auth hash. Each disagreement is a Finding that
// names the setting to look at.
//
// It reads a sample of the most recently written sessions, or every one
// with All, streaming in batches: memory stays bounded whatever the store
// holds. The search elsewhere (cache and cached_db) always lists every
// session key of the cache's databases, keys and TTLs only, one SCAN or
// metadump per database or server. It only reads. A store that fails is
// an error wrapping django.ErrBackend; settings it cannot use (no
// SECRET_KEY, an engine whose store src lacks, signed_cookies, which keeps
// nothing server-side), one wrapping django.ErrImproperlyConfigured.
func Check(ctx context.Context, src Sources, opts CheckOptions) (*CheckReport, error) {
	s := &src.Settings
	ver, err := NewVerifier(s)
	if err != nil {
		return nil, err
	}
	c := &checker{src: src, s: s, opts: opts, ver: ver, now: s.Now(), offsets: map[time.Duration]int64{},
		r: &CheckReport{Engine: engineShort(s.SessionEngine), All: opts.All, Serializers: map[string]int64{},
			Keys: KeyCounts{Fallbacks: make([]int64, len(s.SecretKeyFallbacks))}}}
	if src.Users != nil {
		c.r.Users = &UserCounts{Fallbacks: make([]int64, len(s.SecretKeyFallbacks))}
		c.users = &userCache{users: src.Users, m: map[string]userResult{}}
	}
	need := func(ok bool, what string) error {
		if !ok {
			return fmt.Errorf("%w: check: the %s engine needs %s", django.ErrImproperlyConfigured, c.r.Engine, what)
		}
		return nil
	}
	switch c.r.Engine {
	case "db":
		err = need(src.DB != nil, "the database")
		if err == nil {
			err = c.rows(ctx, false)
		}
	case "cached_db":
		err = need(src.DB != nil && src.Cache != nil, "the database and the cache")
		if err == nil {
			c.r.CachedDB = &CachedDBCounts{}
			err = c.rows(ctx, true)
		}
	case "cache":
		err = need(src.Cache != nil, "the cache")
		if err == nil {
			err = c.cacheEntries(ctx)
		}
	case "file":
		err = need(src.File != nil, "SESSION_FILE_PATH")
		if err == nil {
			err = c.files(ctx)
		}
	case "signed_cookies":
		return nil, fmt.Errorf("%w: check: the signed_cookies engine stores nothing server-side: explain a cookie instead", django.ErrImproperlyConfigured)
	default:
		return nil, fmt.Errorf("%w: check: SESSION_ENGINE %q is not one of Django's", django.ErrImproperlyConfigured, s.SessionEngine)
	}
	if err != nil {
		return nil, err
	}
	if src.Cache != nil && (c.r.Engine == "cache" || c.r.Engine == "cached_db") {
		if err := c.elsewhere(ctx); err != nil {
			return nil, err
		}
	}
	c.judge()
	return c.r, nil
}

// finish reports the last, partial batch to Progress.
func (c *checker) finish() {
	if c.done%int64(c.opts.Batch()) != 0 || c.done == 0 {
		c.opts.progress(c.done, c.total)
	}
}

// step counts one session for Progress.
func (c *checker) step() {
	c.done++
	if b := int64(c.opts.Batch()); c.done%b == 0 {
		c.opts.progress(c.done, c.total)
	}
}

// signed tallies one signed session_data; it returns the decoded session
// when it verified and decoded, and when it was signed.
func (c *checker) signed(data string) (*pyjson.Dict, time.Time) {
	c.r.Sessions++
	sig, v := c.ver.Verify(data, SaltSessionData)
	switch {
	case !sig.Verified:
		c.r.Keys.None++
		return nil, time.Time{}
	case sig.Fallback >= 0:
		c.r.Keys.Fallbacks[sig.Fallback]++
	default:
		c.r.Keys.Current++
	}
	if sig.Serializer != "" {
		c.r.Serializers[sig.Serializer]++
	}
	d, ok := v.(*pyjson.Dict)
	if !ok {
		c.r.Undecodable++
		return nil, time.Time{}
	}
	return d, sig.SignedAt
}

// rows checks django_session (and, for cached_db, the cache copies).
func (c *checker) rows(ctx context.Context, cachedDB bool) error {
	each := func(row db.Row) error {
		d, signedAt := c.signed(row.Data)
		live := row.ExpireDate.After(c.now)
		if !live {
			c.r.Expired++
		}
		if d != nil && !signedAt.IsZero() {
			if want, err := c.s.ExpiryDate(d, signedAt); err == nil {
				c.offsets[row.ExpireDate.Sub(want).Round(time.Minute)]++
				if !live && want.After(c.now) {
					live = true // a zone misread: the data says it is live
				}
			}
		}
		if cachedDB && d != nil && live {
			c.r.CachedDB.Live++
			e, ok, err := c.src.Cache.GetEntry(ctx, cache.CachedDBKeyPrefix+row.Key)
			if err != nil {
				return err
			}
			if ok {
				c.r.CachedDB.Cached++
				v, err := c.src.Cache.DecodeEntry(ctx, e)
				if cd, isDict := v.(*pyjson.Dict); err != nil || !isDict || !cd.Equal(d) {
					c.r.CachedDB.Differ++
				}
			}
		}
		if d != nil {
			if err := c.user(ctx, d); err != nil {
				return err
			}
		}
		c.step()
		return nil
	}
	if !c.opts.All {
		rows, err := c.src.DB.RecentRows(ctx, c.opts.sample())
		if err != nil {
			return err
		}
		c.total = int64(len(rows))
		for _, row := range rows {
			if err := each(row); err != nil {
				return err
			}
		}
		c.finish()
		return nil
	}
	n, err := c.src.DB.Count(ctx)
	if err != nil {
		return err
	}
	c.total = n
	for row, err := range c.src.DB.Rows(ctx, c.opts.Batch()) {
		if err != nil {
			return err
		}
		if err := each(row); err != nil {
			return err
		}
	}
	c.finish()
	return nil
}

// cacheEntries checks the cache engine's entries under the configured
// KEY_PREFIX and VERSION.
func (c *checker) cacheEntries(ctx context.Context) error {
	c.total = -1
	limit := int64(c.opts.sample())
	for e, err := range c.src.Cache.Entries(ctx, cache.Scan{SessionPrefix: cache.KeyPrefix, Batch: c.opts.Batch()}) {
		if err != nil {
			return err
		}
		c.r.Sessions++
		c.r.Keys.Unsigned++
		v, err := c.src.Cache.DecodeEntry(ctx, e)
		d, ok := v.(*pyjson.Dict)
		if err != nil || !ok {
			c.r.Undecodable++
		} else {
			c.r.Serializers[cacheSerializer]++
			if err := c.user(ctx, d); err != nil {
				return err
			}
		}
		c.step()
		if !c.opts.All && c.r.Sessions >= limit {
			break
		}
	}
	c.finish()
	return nil
}

// fileHeap keeps the n files written last.
type fileHeap []file.Entry

func (h fileHeap) Len() int           { return len(h) }
func (h fileHeap) Less(i, j int) bool { return h[i].ModTime.Before(h[j].ModTime) }
func (h fileHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *fileHeap) Push(x any)        { *h = append(*h, x.(file.Entry)) }
func (h *fileHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// files checks SESSION_FILE_PATH: every file, or the sample written last
// (kept in a heap of the sample's size while the directory streams).
func (c *checker) files(ctx context.Context) error {
	each := func(e file.Entry) error {
		if e.Data == "" {
			return nil // a create's placeholder
		}
		d, _ := c.signed(e.Data)
		if d != nil {
			if !fileExpires(c.s, d, e.ModTime).After(c.now) {
				c.r.Expired++
			}
			if err := c.user(ctx, d); err != nil {
				return err
			}
		}
		c.step()
		return nil
	}
	c.total = -1
	n := c.opts.sample()
	h := &fileHeap{}
	for e, err := range c.src.File.Entries(ctx) {
		if err != nil {
			return err
		}
		if c.opts.All {
			if err := each(e); err != nil {
				return err
			}
			continue
		}
		if h.Len() < n {
			heap.Push(h, e)
		} else if e.ModTime.After((*h)[0].ModTime) {
			(*h)[0] = e
			heap.Fix(h, 0)
		}
	}
	for _, e := range *h {
		if err := each(e); err != nil {
			return err
		}
	}
	c.finish()
	return nil
}

// user tallies a session's auth hash.
func (c *checker) user(ctx context.Context, d *pyjson.Dict) error {
	u := c.r.Users
	if u == nil {
		return nil
	}
	id, ok := d.GetString(auth.SessionKey)
	if !ok {
		return nil
	}
	u.LoggedIn++
	hash, _ := d.GetString(auth.HashSessionKey)
	h, err := checkUserHash(ctx, c.users, c.s, id, hash)
	if err != nil {
		return err
	}
	switch {
	case !h.found:
		u.Missing++
	case !h.valid:
		u.Invalid++
	case h.fallback >= 0:
		u.Fallbacks[h.fallback]++
	default:
		u.Current++
	}
	return nil
}

// elsewhere counts the session entries in the cache under every
// KEY_PREFIX, VERSION and Redis database other than the configured ones.
func (c *checker) elsewhere(ctx context.Context) error {
	own, others, isRedis := c.src.redisDBs()
	wantPrefix := cache.KeyPrefix
	if c.r.Engine == "cached_db" {
		wantPrefix = cache.CachedDBKeyPrefix
	}
	counts := map[PlaceCount]int64{}
	count := func(l cache.Lister, dbN int) error {
		for e, err := range l.Entries(ctx, cache.Scan{AnyKeyPrefix: true, KeysOnly: true, Batch: c.opts.Batch()}) {
			if err != nil {
				return err
			}
			if dbN == own && e.SessionPrefix == wantPrefix && c.src.Cache.MadeKey(e.SessionPrefix+e.Key) == e.CacheKey {
				continue // the configured store's own, read above
			}
			p := PlaceCount{Engine: engineOfPrefix(e.SessionPrefix), Where: cachePlace(e, dbN, isRedis), KeyPrefix: e.KeyPrefix, Version: e.Version, RedisDB: -1}
			if isRedis {
				p.RedisDB = dbN
			}
			counts[p]++
		}
		return nil
	}
	if err := count(c.src.Cache, own); err != nil {
		return err
	}
	for _, n := range others {
		rc, closeFn, err := c.src.Cache.(*cache.Redis).InDB(n)
		if err != nil {
			return err
		}
		err = count(rc, n)
		closeFn()
		if noSuchDB(err) {
			break // a server with fewer databases: the rest do not exist either
		}
		if err != nil {
			return err
		}
	}
	ownPrefix, ownVersion := c.ownLayout()
	closeness := func(p PlaceCount) int {
		n := 0
		if p.Engine == c.r.Engine {
			n += 4
		}
		if p.KeyPrefix == ownPrefix {
			n += 2
		}
		if p.RedisDB == own || p.RedisDB < 0 {
			n++
		}
		if p.Version == ownVersion {
			n++
		}
		return n
	}
	for p, n := range counts {
		p.Count = n
		c.r.Elsewhere = append(c.r.Elsewhere, p)
	}
	sort.Slice(c.r.Elsewhere, func(i, j int) bool {
		a, b := c.r.Elsewhere[i], c.r.Elsewhere[j]
		if ca, cb := closeness(a), closeness(b); ca != cb {
			return ca > cb
		}
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		return a.Engine+a.Where < b.Engine+b.Where
	})
	if len(c.r.Elsewhere) > MaxElsewhere {
		c.r.ElsewhereMore = len(c.r.Elsewhere) - MaxElsewhere
		c.r.Elsewhere = c.r.Elsewhere[:MaxElsewhere]
	}
	return nil
}

// ownLayout is the configured cache's KEY_PREFIX and VERSION as
// Django's default KEY_FUNCTION writes them in a made key.
func (c *checker) ownLayout() (string, int) {
	made := c.src.Cache.MadeKey(cache.KeyPrefix + "probe0000")
	head, _, ok := strings.Cut(made, ":"+cache.KeyPrefix)
	if !ok {
		return "", 0
	}
	i := strings.LastIndexByte(head, ':')
	if i < 0 {
		return "", 0
	}
	v, _ := strconv.Atoi(head[i+1:])
	return head[:i], v
}

// judge turns the counts into findings.
func (c *checker) judge() {
	r, s := c.r, c.s
	what := "most recently written sessions"
	if r.All {
		what = "sessions"
	}
	// Offsets, most common first.
	for off, n := range c.offsets {
		r.Offsets = append(r.Offsets, OffsetCount{Offset: off, Count: n})
	}
	sort.Slice(r.Offsets, func(i, j int) bool {
		if r.Offsets[i].Count != r.Offsets[j].Count {
			return r.Offsets[i].Count > r.Offsets[j].Count
		}
		return r.Offsets[i].Offset < r.Offsets[j].Offset
	})

	elsewhere := int64(0)
	for _, p := range r.Elsewhere {
		elsewhere += p.Count
	}
	if r.Sessions == 0 {
		if elsewhere > 0 {
			r.disagree("CACHES[SESSION_CACHE_ALIAS] (KEY_PREFIX, VERSION, LOCATION, the Redis db)",
				"no sessions under the configured cache settings, but %s: use Django's cache settings", closest(r.Elsewhere, r.ElsewhereMore))
		} else {
			r.say("no sessions in the configured %s store: nothing to compare the settings with", r.Engine)
		}
		return
	}
	r.say("read %d %s of the %s store; %d expired", r.Sessions, what, r.Engine, r.Expired)

	// Keys.
	if r.Keys.Unsigned > 0 {
		r.say("%d cache entries: pickled session dicts, not signed (SECRET_KEY shows in the auth hashes only)", r.Keys.Unsigned)
	}
	verified := r.Keys.Current
	for _, n := range r.Keys.Fallbacks {
		verified += n
	}
	if r.Keys.Current > 0 {
		r.say("%d verify under SECRET_KEY", r.Keys.Current)
	}
	for i, n := range r.Keys.Fallbacks {
		if n == 0 {
			continue
		}
		if !s.Version().AtLeast(4, 1) {
			r.disagree("SECRET_KEY", "%d verify only under SECRET_KEY_FALLBACKS[%d], which Django %s ignores", n, i, s.Version())
			continue
		}
		r.say("%d verify only under SECRET_KEY_FALLBACKS[%d]: keep it until they are saved again (djsession rotate-key re-signs them)", n, i)
	}
	if r.Keys.None > 0 {
		if verified == 0 {
			r.disagree("SECRET_KEY, SECRET_KEY_FALLBACKS", "none of the %d %s is signed with SECRET_KEY or SECRET_KEY_FALLBACKS: use Django's SECRET_KEY",
				r.Keys.None, what)
		} else {
			r.say("%d verify under no configured key (signed with a key since removed, or tampered with)", r.Keys.None)
		}
	}
	// Serializers.
	want := configuredSerializer(s)
	var names []string
	for name := range r.Serializers {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if name == cacheSerializer {
			r.say("%d pickled by the cache backend (SESSION_SERIALIZER plays no part)", r.Serializers[name])
			continue
		}
		r.say("%d written by the %s serializer", r.Serializers[name], name)
	}
	if r.Keys.Unsigned == 0 && verified > 0 {
		other := SerializerPickle
		if want == SerializerPickle {
			other = SerializerJSON
		}
		switch {
		case r.Serializers[want] == 0 && r.Serializers[other] > 0:
			r.disagree("SESSION_SERIALIZER", "the sessions are written by the %s serializer, but SESSION_SERIALIZER is %s's: use Django's",
				other, want)
		case r.Serializers[SerializerPickle] > 0 && s.Version().AtLeast(5, 0):
			r.disagree("SESSION_SERIALIZER", "%d PickleSerializer sessions, which Django %s cannot read: djsession convert-serializer rewrites them as JSON",
				r.Serializers[SerializerPickle], s.Version())
		}
	}
	if r.Undecodable > 0 {
		r.say("%d do not decode here (beyond a limit, or a pickle outside the safe subset): left as they are", r.Undecodable)
	}
	// Offsets.
	if len(r.Offsets) > 0 {
		top := r.Offsets[0]
		total := int64(0)
		for _, o := range r.Offsets {
			total += o.Count
		}
		if top.Count*2 > total && top.Offset.Abs() > time.Minute {
			r.disagree("USE_TZ, TIME_ZONE, SESSION_COOKIE_AGE", "expire_date of %d of the %d rows is %s off from when their data says they expire: "+
				"use Django's USE_TZ and TIME_ZONE (a whole number of hours off) or SESSION_COOKIE_AGE", top.Count, total, signedDuration(top.Offset))
		} else if top.Offset == 0 {
			r.say("expire_date agrees with the data of %d of %d rows (USE_TZ, TIME_ZONE)", top.Count, total)
		}
	}
	// cached_db.
	if cd := r.CachedDB; cd != nil {
		switch {
		case cd.Live >= 1 && cd.Cached == 0:
			line := fmt.Sprintf("none of the %d live sessions has a cache copy under the configured cache settings", cd.Live)
			if elsewhere > 0 {
				line += ", but there are " + closest(r.Elsewhere, r.ElsewhereMore)
			}
			r.disagree("CACHES[SESSION_CACHE_ALIAS] (KEY_PREFIX, VERSION, LOCATION, the Redis db)",
				"%s: use Django's cache settings (or, if the cache was just emptied, check again later)", line)
		case cd.Live > 0:
			r.say("%d of %d live sessions have a cache copy under the configured cache settings", cd.Cached, cd.Live)
		}
		if cd.Differ > 0 {
			r.disagree("CACHES[SESSION_CACHE_ALIAS] (KEY_PREFIX, VERSION, LOCATION, the Redis db)",
				"%d of %d cache copies differ from their rows: Django writes its copies elsewhere, or one side is stale", cd.Differ, cd.Cached)
		}
	}
	if elsewhere > 0 {
		r.say("also %s, not under the configured cache settings (another site, or an old KEY_PREFIX/VERSION)", closest(r.Elsewhere, r.ElsewhereMore))
	}
	// Users.
	if u := r.Users; u != nil && u.LoggedIn > 0 {
		valid := u.Current
		for _, n := range u.Fallbacks {
			valid += n
		}
		r.say("%d logged in: %d auth hashes verify under SECRET_KEY, %d under a fallback, %d under none, %d name no user",
			u.LoggedIn, u.Current, valid-u.Current, u.Invalid, u.Missing)
		for i, n := range u.Fallbacks {
			if n > 0 {
				r.say("%d auth hashes depend on SECRET_KEY_FALLBACKS[%d]", n, i)
			}
		}
		if valid == 0 && u.Invalid > 0 {
			r.disagree("SECRET_KEY, SECRET_KEY_FALLBACKS", "none of the %d auth hashes verifies under SECRET_KEY or its fallbacks: "+
				"use Django's SECRET_KEY", u.Invalid)
		}
	}
}

// cacheSerializer is what wrote a cache engine entry: the cache backend's
// pickle, whatever SESSION_SERIALIZER says.
const cacheSerializer = "pickle (the cache's)"

// closest names the first places found elsewhere (the closest to the
// configured settings first), three at most.
func closest(places []PlaceCount, more int) string {
	var parts []string
	for i, p := range places {
		if i == 3 {
			more += len(places) - 3
			break
		}
		parts = append(parts, fmt.Sprintf("%d %s sessions under %s", p.Count, p.Engine, p.Where))
	}
	out := strings.Join(parts, "; ")
	if more > 0 {
		out += fmt.Sprintf(" (and %d more places)", more)
	}
	return out
}

// signedDuration writes d with its sign: "+9h0m0s".
func signedDuration(d time.Duration) string {
	if d > 0 {
		return "+" + d.String()
	}
	return d.String()
}

// ExitCode is the command line's exit status for the report: ExitOK when
// everything agrees with the configuration, ExitLeft when a finding
// disagrees.
func (r *CheckReport) ExitCode() int {
	if r.Disagrees {
		return ExitLeft
	}
	return ExitOK
}
