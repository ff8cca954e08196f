package manage

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/djsession/djsession/backends/cache"
	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/django/auth"
	"github.com/djsession/djsession/pyjson"
)

// The kinds of value Explain tells apart.
const (
	KindSessionKey    = "session key"
	KindSignedCookies = "signed_cookies session cookie"
	KindSessionData   = "session_data"
	KindSigningDumps  = "signing.dumps value"
	KindMessages      = "messages cookie"
	KindSignedUnknown = "signed value (no configured key or known salt verifies it)"
)

// A Finding is one line of a report. Setting names what to look at when
// the finding disagrees with the configuration; it is empty for a finding
// that only informs.
type Finding struct {
	Text    string `json:"text"`
	Setting string `json:"setting,omitempty"`
}

// A Place is where a session is stored: an engine's store, with what
// locates it there (never the key itself).
type Place struct {
	// Engine is the engine whose layout the place has: "db", "cache",
	// "cached_db" (a cache copy), "file".
	Engine string `json:"engine"`
	// Where says where in that engine: "django_session", the cache's
	// KEY_PREFIX, VERSION and Redis database, the directory.
	Where string `json:"where"`
	// Configured reports that the service's settings read this place.
	Configured bool `json:"configured"`
	// Expires is when the store expires the session (expire_date, the
	// TTL's end, the file's modification time plus its age); zero when
	// it never does.
	Expires time.Time `json:"expires,omitzero"`
}

// UserFacts is what a logged-in session says of its user.
type UserFacts struct {
	// ID is _auth_user_id, Backend _auth_user_backend.
	ID      string `json:"user_id"`
	Backend string `json:"backend,omitempty"`
	// Checked reports that the user table was read (Sources.Users).
	Checked bool `json:"checked"`
	// Found reports that the user exists.
	Found bool `json:"found"`
	// HashValid reports that _auth_user_hash is the user's under a
	// configured key, named by HashKey ("SECRET_KEY" or
	// "SECRET_KEY_FALLBACKS[i]"); HashFallback is i, or -1.
	HashValid    bool   `json:"hash_valid"`
	HashKey      string `json:"hash_key,omitempty"`
	HashFallback int    `json:"hash_fallback"`
}

// ExplainReport is everything Explain tells of one value.
type ExplainReport struct {
	// Value is the value as reports show it: its first 8 characters.
	Value string `json:"value"`
	// Kind is what the value is (KindSessionKey, KindSignedCookies...).
	Kind string `json:"kind"`
	// Engine is the configured SESSION_ENGINE's short name.
	Engine string `json:"engine"`
	// Places are where the session is stored, the configured ones first.
	Places []Place `json:"places"`
	// Signature is how the session data (or the cookie) was signed; nil
	// for a cache engine entry, which is not signed.
	Signature *Signature `json:"signature,omitempty"`
	// Serializer is what wrote the session: "json", "pickle", or "pickle
	// (the cache's)" for a cache entry.
	Serializer string `json:"serializer,omitempty"`
	// SignedAt is when the data was signed, Age how long ago.
	SignedAt time.Time     `json:"signed_at,omitzero"`
	Age      time.Duration `json:"age_ns,omitempty"`
	// Expires is when the session expires by its own data (signing time
	// plus its age), or, without a signing time, by its store.
	Expires time.Time `json:"expires,omitzero"`
	// Expired reports that it has.
	Expired bool `json:"expired"`
	// User is the logged-in user, nil for an anonymous session.
	User *UserFacts `json:"user,omitempty"`
	// Findings are the report's lines, in order.
	Findings []Finding `json:"findings"`
	// Disagrees reports a finding that names a setting.
	Disagrees bool `json:"disagrees"`
}

func (r *ExplainReport) say(format string, a ...any) {
	r.Findings = append(r.Findings, Finding{Text: fmt.Sprintf(format, a...)})
}

func (r *ExplainReport) disagree(setting, format string, a ...any) {
	r.Findings = append(r.Findings, Finding{Text: fmt.Sprintf(format, a...), Setting: setting})
	r.Disagrees = true
}

// Explain tells what can be told of value, a session key or a whole
// cookie value (signed_cookies, or any value Django signs), against the
// configured settings and stores of src: where it is stored and where
// else it was found, which key verifies it and under which salt, its
// serializer, age and expiry, and for a logged-in session the user and
// whether the auth hash verifies, under which key. It only reads.
//
// An empty value or a SECRET_KEY missing from the settings is an error
// wrapping django.ErrImproperlyConfigured; a store that fails, one
// wrapping django.ErrBackend. Everything about the value itself, found or
// not, is in the report.
func Explain(ctx context.Context, src Sources, value string) (*ExplainReport, error) {
	if value == "" {
		return nil, fmt.Errorf("%w: explain needs a session key or a cookie value", django.ErrImproperlyConfigured)
	}
	s := &src.Settings
	r := &ExplainReport{Value: ShortKey(value), Engine: engineShort(s.SessionEngine)}
	if strings.ContainsRune(value, ':') {
		return r, explainSigned(ctx, src, value, r)
	}
	r.Kind = KindSessionKey
	if !django.ValidSessionKey(value) {
		r.disagree("SESSION_COOKIE_NAME", "%q is not a session key Django would keep (fewer than 8 characters)", r.Value)
		return r, nil
	}
	return r, explainKey(ctx, src, value, r)
}

// found is one stored copy of a session.
type found struct {
	place Place
	data  string       // signed session_data (db, file)
	dict  *pyjson.Dict // the decoded session (cache entries, verified data)
	err   string       // why a cache entry did not decode
	entry bool         // a cache entry: unsigned
}

func explainKey(ctx context.Context, src Sources, key string, r *ExplainReport) error {
	s := &src.Settings
	engine := r.Engine
	var all []found
	if src.DB != nil {
		row, ok, err := src.DB.Row(ctx, key)
		if err != nil {
			return err
		}
		if ok {
			all = append(all, found{place: Place{Engine: "db", Where: "django_session", Configured: engine == "db" || engine == "cached_db",
				Expires: row.ExpireDate}, data: row.Data})
		}
	}
	if src.Cache != nil {
		own, others, isRedis := src.redisDBs()
		seen := map[string]bool{}
		for _, sp := range []string{cache.KeyPrefix, cache.CachedDBKeyPrefix} {
			e, ok, err := src.Cache.GetEntry(ctx, sp+key)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			seen[e.CacheKey] = true
			f := found{place: Place{Engine: engineOfPrefix(sp), Where: cachePlace(e, own, isRedis), Configured: engine == engineOfPrefix(sp),
				Expires: ttlEnd(s, e)}, entry: true}
			v, err := src.Cache.DecodeEntry(ctx, e)
			if d, ok := v.(*pyjson.Dict); err == nil && ok {
				f.dict = d
			} else if err != nil {
				f.err = err.Error()
			} else {
				f.err = "the cached value is not a dict"
			}
			all = append(all, f)
		}
		// search adds the entries of key in one Redis database (or the
		// memcached servers) that the look-ups above did not find.
		search := func(l cache.Lister, dbN int) error {
			for e, err := range l.Entries(ctx, cache.Scan{AnyKeyPrefix: true, Key: key, KeysOnly: true}) {
				if err != nil {
					return err
				}
				if dbN == own && seen[e.CacheKey] {
					continue
				}
				all = append(all, found{place: Place{Engine: engineOfPrefix(e.SessionPrefix), Where: cachePlace(e, dbN, isRedis),
					Expires: ttlEnd(s, e)}, entry: true})
			}
			return nil
		}
		if err := search(src.Cache, own); err != nil && !noSuchDB(err) {
			return err
		}
		for _, n := range others {
			// One database's client at a time, closed before the next.
			rc, closeFn, err := src.Cache.(*cache.Redis).InDB(n)
			if err != nil {
				return err
			}
			err = search(rc, n)
			closeFn()
			if err != nil && !noSuchDB(err) {
				return err
			}
		}
	}
	if src.File != nil {
		data, mtime, ok, err := readSessionFile(ctx, src.File, key)
		if err != nil {
			return err
		}
		if ok {
			f := found{place: Place{Engine: "file", Where: src.File.Dir(), Configured: engine == "file"}, data: data}
			f.place.Expires = mtime // completed below, once decoded
			all = append(all, f)
		}
	}

	// The configured places first.
	var ordered []found
	for _, conf := range []bool{true, false} {
		for _, f := range all {
			if f.place.Configured == conf {
				ordered = append(ordered, f)
			}
		}
	}
	if len(ordered) == 0 {
		r.disagree(storeSetting(engine), "not stored in any store searched (%s): expired and removed, logged out, "+
			"or kept where these settings do not look", searched(src))
		return nil
	}
	ver, err := NewVerifier(s)
	if err != nil {
		return err
	}
	var primary *found
	for i := range ordered {
		f := &ordered[i]
		if f.data != "" {
			sig, v := ver.Verify(f.data, SaltSessionData)
			if d, ok := v.(*pyjson.Dict); ok {
				f.dict = d
			}
			if f.place.Engine == "file" {
				// f.place.Expires holds the file's modification time.
				f.place.Expires = fileExpires(s, f.dict, f.place.Expires)
			}
			if primary == nil {
				primary = f
				r.Signature = &sig
			}
		} else if primary == nil && f.dict != nil {
			primary = f
		}
		r.Places = append(r.Places, f.place)
	}
	configured := false
	for _, f := range ordered {
		line := fmt.Sprintf("stored: %s, %s", f.place.Engine, f.place.Where)
		if !f.place.Expires.IsZero() {
			line += fmt.Sprintf(", expires %s", f.place.Expires.UTC().Format(time.RFC3339))
		}
		if f.place.Configured {
			configured = true
			r.say("%s (where the configured settings read it)", line)
		} else {
			r.say("%s (not where the configured settings read)", line)
		}
	}
	if !configured {
		r.disagree(storeSetting(engine), "not stored where the configured %s engine reads it, but elsewhere (above): use Django's %s",
			engine, storeSetting(engine))
	}
	if primary == nil {
		// Only keys found elsewhere, or cache entries that do not decode.
		for _, f := range ordered {
			if f.err != "" {
				r.say("the cached value in %s does not decode here: %s", f.place.Where, f.err)
			}
		}
		return nil
	}
	if primary.entry {
		r.Serializer = cacheSerializer
		r.say("a cache entry: the pickled session dict, not signed (SECRET_KEY and SESSION_SERIALIZER play no part)")
		r.Expires = primary.place.Expires
	} else {
		describeSignature(s, r, *r.Signature, true)
		r.Expires = primary.place.Expires
	}
	if primary.dict == nil {
		return nil
	}
	if !r.SignedAt.IsZero() {
		if t, err := s.ExpiryDate(primary.dict, r.SignedAt); err == nil {
			r.Expires = t
			if !primary.entry && !primary.place.Expires.IsZero() && primary.place.Engine == "db" {
				if off := primary.place.Expires.Sub(t); off.Abs() > time.Minute {
					r.disagree("USE_TZ, TIME_ZONE, SESSION_COOKIE_AGE", "expire_date says %s, %s off from when the data says it expires (%s): "+
						"use Django's USE_TZ and TIME_ZONE (a whole number of hours off) or SESSION_COOKIE_AGE",
						primary.place.Expires.UTC().Format(time.RFC3339), ago(off), t.UTC().Format(time.RFC3339))
				}
			}
		}
	}
	describeExpiry(s, r)
	// cached_db: the cache copy against the row.
	if engine == "cached_db" {
		var row, copyOf *found
		for i := range ordered {
			switch f := &ordered[i]; {
			case f.place.Configured && f.place.Engine == "db":
				row = f
			case f.place.Configured && f.place.Engine == "cached_db":
				copyOf = f
			}
		}
		switch {
		case row != nil && copyOf == nil:
			r.say("no cache copy under the configured cache settings (Django writes one on every save; evicted, or Django's cache settings differ)")
		case row != nil && copyOf != nil && row.dict != nil && copyOf.dict != nil && !row.dict.Equal(copyOf.dict):
			r.disagree("CACHES[SESSION_CACHE_ALIAS]", "the cache copy differs from the database row: Django reads the copy, so one of them is stale")
		case row != nil && copyOf != nil:
			r.say("the cache copy is the database row's")
		}
	}
	return explainUser(ctx, src, primary.dict, r)
}

// ttlEnd is when a cache entry's TTL runs out, or zero for an entry
// without one.
func ttlEnd(s *django.Settings, e cache.Entry) time.Time {
	if e.TTL == cache.NoTTL {
		return time.Time{}
	}
	return s.Now().Add(e.TTL)
}

// storeSetting names the settings that place an engine's sessions.
func storeSetting(engine string) string {
	switch engine {
	case "db":
		return "DATABASES"
	case "cache", "cached_db":
		return "CACHES (KEY_PREFIX, VERSION, LOCATION, the Redis db)"
	case "file":
		return "SESSION_FILE_PATH"
	}
	return "SESSION_ENGINE"
}

// searched lists the stores src holds, for a report.
func searched(src Sources) string {
	var parts []string
	if src.DB != nil {
		parts = append(parts, "django_session")
	}
	if src.Cache != nil {
		parts = append(parts, "the cache under every KEY_PREFIX and VERSION")
		if _, others, ok := src.redisDBs(); ok && len(others) > 0 {
			parts[len(parts)-1] += fmt.Sprintf(" and %d other Redis databases", len(others))
		}
	}
	if src.File != nil {
		parts = append(parts, "SESSION_FILE_PATH")
	}
	if len(parts) == 0 {
		return "none given"
	}
	return strings.Join(parts, ", ")
}

// describeSignature reports a signature: which key and salt, the format
// and the serializer, and what disagrees with the settings.
func describeSignature(s *django.Settings, r *ExplainReport, sig Signature, sessionData bool) {
	if !sig.Verified {
		r.disagree("SECRET_KEY, SECRET_KEY_FALLBACKS", "signed with none of the configured keys (SECRET_KEY and %d fallbacks): "+
			"use Django's SECRET_KEY (or the data was tampered with)", len(s.SecretKeyFallbacks))
		return
	}
	r.SignedAt = sig.SignedAt
	r.Serializer = sig.Serializer
	format := "Django 3.1+ format"
	if sig.Format == "pre-3.1" {
		format = "pre-3.1 format (Django 3.2 with DEFAULT_HASHING_ALGORITHM = \"sha1\")"
	}
	line := fmt.Sprintf("signed with %s (%s, %s", sig.Key, sig.Algorithm, format)
	if sig.Compressed {
		line += ", compressed"
	}
	line += ")"
	if !sig.SignedAt.IsZero() {
		r.Age = s.Now().Sub(sig.SignedAt)
		line += fmt.Sprintf(" at %s, %s ago", sig.SignedAt.UTC().Format(time.RFC3339), ago(r.Age))
	}
	r.say("%s", line)
	if sig.Fallback >= 0 {
		if !s.Version().AtLeast(4, 1) {
			r.disagree("SECRET_KEY", "Django %s has no SECRET_KEY_FALLBACKS: it reads this session under %s only if that is its SECRET_KEY",
				s.Version(), sig.Key)
		} else {
			r.say("depends on %s: keep it until the session is saved again (djsession rotate-key re-signs it)", sig.Key)
		}
	}
	if sig.Algorithm == "sha1" && s.Version().AtLeast(4, 0) {
		r.disagree("SECRET_KEY (and the Django version)", "a sha1 signature, which Django %s no longer accepts: the data was signed by a Django 3.2 site", s.Version())
	}
	if sig.Serializer != "" {
		r.say("serializer: %s", sig.Serializer)
		want := configuredSerializer(s)
		if sessionData && sig.Serializer != want {
			r.disagree("SESSION_SERIALIZER", "written by the %s serializer, but SESSION_SERIALIZER is %s's: use Django's SESSION_SERIALIZER",
				sig.Serializer, want)
		}
		if sig.Serializer == SerializerPickle && s.Version().AtLeast(5, 0) {
			r.disagree("SESSION_SERIALIZER", "a PickleSerializer session, which Django %s cannot read (5.0 removed it): "+
				"djsession convert-serializer rewrites it as JSON", s.Version())
		}
	}
	if sig.DecodeError != "" {
		r.say("verified, but does not decode here: %s", sig.DecodeError)
	}
}

// describeExpiry reports the age and expiry.
func describeExpiry(s *django.Settings, r *ExplainReport) {
	if r.Expires.IsZero() {
		return
	}
	now := s.Now()
	if !r.Expires.After(now) {
		r.Expired = true
		r.say("expired at %s, %s ago: Django does not load it", r.Expires.UTC().Format(time.RFC3339), ago(now.Sub(r.Expires)))
		return
	}
	r.say("expires at %s, in %s", r.Expires.UTC().Format(time.RFC3339), ago(r.Expires.Sub(now)))
}

// explainUser reports the logged-in user and the auth hash.
func explainUser(ctx context.Context, src Sources, d *pyjson.Dict, r *ExplainReport) error {
	id, ok := d.GetString(auth.SessionKey)
	if !ok {
		r.say("anonymous: no %s", auth.SessionKey)
		return nil
	}
	u := &UserFacts{ID: id, HashFallback: -1}
	u.Backend, _ = d.GetString(auth.BackendSessionKey)
	r.User = u
	hash, _ := d.GetString(auth.HashSessionKey)
	if src.Users == nil {
		r.say("logged in as user %s (%s); the auth hash is not checked without the user table (--database)", id, u.Backend)
		return nil
	}
	u.Checked = true
	h, err := checkUserHash(ctx, src.Users, &src.Settings, id, hash)
	if err != nil {
		return err
	}
	u.Found, u.HashValid, u.HashKey, u.HashFallback = h.found, h.valid, h.key, h.fallback
	switch {
	case !h.found:
		r.say("logged in as user %s, who no longer exists: Django treats the session as anonymous", id)
	case h.valid:
		line := fmt.Sprintf("logged in as user %s (%s); the auth hash verifies under %s", id, u.Backend, h.key)
		if h.legacy {
			line += " (the sha1 form)"
		}
		r.say("%s", line)
		if h.fallback >= 0 {
			r.say("the auth hash depends on %s: Django re-stamps it on the user's next request (djsession rotate-key does it now)", h.key)
		}
	case r.Signature != nil && r.Signature.Verified:
		r.say("logged in as user %s, but the auth hash matches no configured key: the password changed since the login "+
			"(Django logs the user out on the next request)", id)
	default:
		r.disagree("SECRET_KEY, SECRET_KEY_FALLBACKS", "logged in as user %s, but the auth hash matches none of the configured keys: "+
			"the password changed since the login, or SECRET_KEY differs from Django's", id)
	}
	return nil
}

// signedKinds are the salts a cookie value is tried under, with the kind
// each makes it.
var signedKinds = []struct{ salt, kind string }{
	{SaltSignedCookies, KindSignedCookies},
	{SaltSessionData, KindSessionData},
	{SaltSigning, KindSigningDumps},
	{SaltMessages, KindMessages},
}

func explainSigned(ctx context.Context, src Sources, value string, r *ExplainReport) error {
	s := &src.Settings
	salts := make([]string, len(signedKinds))
	for i, k := range signedKinds {
		salts[i] = k.salt
	}
	ver, err := NewVerifier(s, salts...)
	if err != nil {
		return err
	}
	for _, k := range signedKinds {
		sig, v := ver.Verify(value, k.salt)
		if !sig.Verified {
			continue
		}
		r.Kind = k.kind
		r.Signature = &sig
		r.say("a %s (salt %q)", k.kind, k.salt)
		switch k.salt {
		case SaltSignedCookies:
			if r.Engine != "signed_cookies" {
				r.disagree("SESSION_ENGINE", "a signed_cookies session, but SESSION_ENGINE is %s: use Django's SESSION_ENGINE", r.Engine)
			}
		case SaltSessionData:
			r.say("session_data as the db, file and cached_db engines store it (not a cookie value)")
		default:
			r.say("not a session: a value signed by Django for another use")
		}
		describeSignature(s, r, sig, k.salt == SaltSignedCookies || k.salt == SaltSessionData)
		d, isDict := v.(*pyjson.Dict)
		if !isDict || (k.salt != SaltSignedCookies && k.salt != SaltSessionData) {
			return nil
		}
		if k.salt == SaltSignedCookies && !sig.SignedAt.IsZero() {
			// The cookie is loaded with max_age = SESSION_COOKIE_AGE.
			r.Expires = sig.SignedAt.Add(time.Duration(s.SessionCookieAge) * time.Second)
		} else if !sig.SignedAt.IsZero() {
			if t, err := s.ExpiryDate(d, sig.SignedAt); err == nil {
				r.Expires = t
			}
		}
		describeExpiry(s, r)
		return explainUser(ctx, src, d, r)
	}
	r.Kind = KindSignedUnknown
	r.disagree("SECRET_KEY, SECRET_KEY_FALLBACKS", "signed with none of the configured keys (SECRET_KEY and %d fallbacks) under any salt Django uses "+
		"for sessions, signing.dumps or messages: use Django's SECRET_KEY, or the value was signed for another use", len(s.SecretKeyFallbacks))
	return nil
}

// ExitCode is the command line's exit status for the report: ExitOK when
// everything agrees with the configuration, ExitLeft when a finding
// disagrees (a value stored nowhere the settings look included).
func (r *ExplainReport) ExitCode() int {
	if r.Disagrees {
		return ExitLeft
	}
	return ExitOK
}
