package django

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"sync"
	"time"

	"github.com/djsession/djsession/pickle"
	"github.com/djsession/djsession/pyjson"
)

// testCookieName and testCookieWorked are what set_test_cookie stores.
const (
	testCookieName   = "testcookie"
	testCookieWorked = "worked"
)

// A CookieStore keeps the whole session in the cookie (the signed_cookies
// engine): the cookie value is computed from the data at every save.
type CookieStore interface {
	Store
	CookieValue(session *pyjson.Dict) (string, error)
}

// Session is request.session: a dict with Django's semantics over a Store.
// It loads lazily, on first use, as Django does, and keeps Django's two
// flags: Accessed (the session was looked at, so the response depends on
// the cookie) and Modified (it must be saved). It is safe for use by the
// goroutines of one request.
//
// Reading methods never fail: when the store cannot be read, the session
// behaves as empty, Err reports why, and Save refuses to write, so a
// failed read never overwrites the stored session.
type Session struct {
	mu       sync.Mutex
	ctx      context.Context
	store    Store
	settings *Settings

	key      string       // "" is Python's None
	data     *pyjson.Dict // nil until loaded
	accessed bool
	modified bool
	loadErr  error
	// missing: the load found no session under the key, which a setting
	// unlike Django's (KEY_PREFIX, the Redis db, USE_TZ) also causes.
	missing bool
}

// NewSession is SessionStore(session_key=key): key is the cookie's value,
// kept only if Django would keep it (at least 8 characters). The settings
// are the store's (Store.Settings). ctx bounds the lazy load, so pass the
// request's context.
func NewSession(ctx context.Context, store Store, key string) *Session {
	s := &Session{ctx: ctx, store: store, settings: store.Settings()}
	if ValidSessionKey(key) {
		s.key = key
	}
	return s
}

// Settings returns the settings of the session's store. They are shared:
// read them, never change them.
func (s *Session) Settings() *Settings { return s.settings }

// Key returns session_key: "" when the session has none yet.
func (s *Session) Key() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.key
}

// Accessed reports whether the session was read or written.
func (s *Session) Accessed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accessed
}

// Modified reports whether the session must be saved.
func (s *Session) Modified() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.modified
}

// Err returns the error of the lazy load, if it found anything but a
// session or its absence: a server down (wrapping ErrBackend), or data it
// could not use (wrapping ErrUnreadable and the store's error, with the
// likely cause and the setting to look at, as "signed with none of the
// configured keys: is SECRET_KEY the one Django uses?"). A missing or
// expired session is not an error.
func (s *Session) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.loadErr
}

// Load loads the session now, if it is not loaded yet, and returns the
// error a lazy load would have hidden behind Err.
func (s *Session) Load(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ctx = ctx
	s.session()
	return s.loadErr
}

// session is SessionBase._get_session: it marks the session accessed and
// loads it on first use. The caller holds mu.
func (s *Session) session() *pyjson.Dict {
	s.accessed = true
	if s.data == nil {
		s.data = s.load()
	}
	return s.data
}

// load is the backend's load(), with Django's reactions to each outcome
// where a wrong setting could not have caused it, and the rules of
// unreadable.go where it could.
func (s *Session) load() *pyjson.Dict {
	if s.key == "" {
		return pyjson.NewDict(0)
	}
	ctx := s.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	d, err := s.store.Load(ctx, s.key)
	if err == nil {
		return d
	}
	_, cookie := s.store.(CookieStore)
	u, data := classify(err)
	switch {
	case !data && errors.Is(err, ErrNotFound):
		return s.notFound(cookie)
	case !data:
		s.loadErr = err // an outage: not an empty session either
		return pyjson.NewDict(0)
	}
	if s.settings.DiscardUnreadable && u.djangoToo {
		if cookie || errors.Is(err, ErrExpiryMismatch) {
			return s.notFound(cookie)
		}
		// Django decodes unreadable session_data as {} and keeps the
		// key: the next save replaces the stored data.
		return pyjson.NewDict(0)
	}
	s.loadErr = u.wrap(err)
	s.settings.Log().Warn("session data left as it is: "+u.cause,
		"logger", "djsession", "setting", u.setting, "err", err)
	return pyjson.NewDict(0)
}

// notFound is Django's reaction to a session that does not exist.
func (s *Session) notFound(cookie bool) *pyjson.Dict {
	s.missing = true
	s.settings.Log().Debug("session not found or expired: starting an empty one", "logger", "djsession")
	if cookie {
		// signed_cookies: load() calls create(), which only marks the
		// session modified; the (invalid) cookie value stays the key, so
		// the response carries a fresh cookie.
		s.modified = true
	} else {
		s.key = ""
	}
	return pyjson.NewDict(0)
}

// IsEmpty is is_empty(): no session key, and no data loaded or none set.
func (s *Session) IsEmpty() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.key == "" && (s.data == nil || s.data.Len() == 0)
}

// Get returns the value stored under k (session.get(k)). It is the
// session's own value, not a copy: to change a list or dict in place, Set
// it back afterwards so the session is marked modified, as in Django
// (request.session.modified = True).
func (s *Session) Get(k string) (any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.session().Get(k)
}

// GetString returns the string stored under k.
func (s *Session) GetString(k string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.session().GetString(k)
}

// GetInt64 returns the int stored under k.
func (s *Session) GetInt64(k string) (int64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.session().GetInt64(k)
}

// GetList returns the list stored under k (the session's own slice).
func (s *Session) GetList(k string) ([]any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.session().GetList(k)
}

// GetFloat64 returns the float stored under k (an int is not a float, as
// 1 and 1.0 are different values in Python).
func (s *Session) GetFloat64(k string) (float64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.session().GetFloat64(k)
}

// GetDict returns the dict stored under k (the session's own dict).
func (s *Session) GetDict(k string) (*pyjson.Dict, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.session().GetDict(k)
}

// Decode stores the value under k into target, a pointer (a struct by its
// json tags, a map, a slice, a string...), as pyjson.Decode does; a
// missing key is ErrNotFound.
func (s *Session) Decode(k string, target any) error {
	v, ok := s.Get(k)
	if !ok {
		return fmt.Errorf("%w: no key %q in the session", ErrNotFound, k)
	}
	return pyjson.Decode(v, target)
}

// GetBool returns the bool stored under k.
func (s *Session) GetBool(k string) (bool, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.session().GetBool(k)
}

// Has reports whether k is in the session (`k in session`).
func (s *Session) Has(k string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.session().Get(k)
	return ok
}

// Set stores v under k (session[k] = v). v is what Go code has: a value
// of the model (string, int64, float64, bool, nil, []any, *pyjson.Dict), or
// Go data that pyjson.ValueOf converts (other number kinds, slices, maps in
// key order, structs by their json tags), so Get returns what Django will
// read. A value the session could not save is refused here, with an error
// wrapping ErrNotSerializable, and nothing is stored. The cache engine and
// the PickleSerializer also take pickle's types (tuples, sets, datetimes).
func (s *Session) Set(k string, v any) error {
	v, err := s.value(v)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.session().Set(k, v)
	s.modified = true
	return nil
}

// value checks and converts v for Set.
func (s *Session) value(v any) (any, error) {
	switch v.(type) {
	case nil, bool, string, int64, float64:
		// What most Set calls store: a value in every model, with no
		// encoding to try.
		return v, nil
	}
	if s.settings.SessionSerializer == PickleSerializer || s.settings.SessionSerializer == BridgeSerializer || EngineName(s.settings.SessionEngine) == EngineCache {
		// Django pickles the whole dict: whatever pickle writes is a value.
		if _, err := pickle.Marshal(v, pickle.HighestProtocol); err == nil {
			return v, nil
		}
	}
	nv, err := pyjson.ValueOf(v)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotSerializable, err)
	}
	return nv, nil
}

// Delete removes k (del session[k]); it reports whether k was there, and
// marks the session modified only then, as Django's KeyError leaves it.
func (s *Session) Delete(k string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.session().Delete(k) {
		s.modified = true
		return true
	}
	return false
}

// Pop removes k and returns its value (session.pop(k)).
func (s *Session) Pop(k string) (any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.session().Pop(k)
	if ok {
		s.modified = true
	}
	return v, ok
}

// SetDefault returns the value under k, storing v there first if k is
// absent (session.setdefault(k, v)); v is checked and converted as by Set.
func (s *Session) SetDefault(k string, v any) (any, error) {
	v, err := s.value(v)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.session()
	if old, ok := d.Get(k); ok {
		return old, nil
	}
	d.Set(k, v)
	s.modified = true
	got, _ := d.Get(k)
	return got, nil
}

// Update stores every entry of other (session.update(other)), each checked
// and converted as by Set; nothing is stored if one is refused.
func (s *Session) Update(other *pyjson.Dict) error {
	conv := pyjson.NewDict(other.Len())
	for k, v := range other.All() {
		nv, err := s.value(v)
		if err != nil {
			return fmt.Errorf("%q: %w", k, err)
		}
		conv.Set(k, nv)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.session()
	for k, v := range conv.All() {
		d.Set(k, v)
	}
	s.modified = true
	return nil
}

// Keys returns the session's keys in order.
func (s *Session) Keys() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.session().Keys()
}

// Items iterates over a snapshot of the session's entries.
func (s *Session) Items() iter.Seq2[string, any] {
	s.mu.Lock()
	d := s.session().Clone()
	s.mu.Unlock()
	return d.All()
}

// Data returns a copy of the session dict.
func (s *Session) Data() *pyjson.Dict {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.session().Clone()
}

// Clear empties the session and keeps its key (session.clear()).
func (s *Session) Clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clear()
}

func (s *Session) clear() {
	s.data = pyjson.NewDict(0)
	s.accessed = true
	s.modified = true
}

// SetExpiry is set_expiry(value); see Settings.SetExpiry for the values.
func (s *Session) SetExpiry(value any) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.session()
	had := d.Has(ExpiryKey)
	if err := s.settings.SetExpiry(d, value, s.settings.Now()); err != nil {
		return err
	}
	if value != nil || had {
		s.modified = true
	}
	return nil
}

// ExpiryAge is get_expiry_age(): seconds left from now.
func (s *Session) ExpiryAge() (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.settings.ExpiryAge(s.session(), s.settings.Now())
}

// ExpiryDate is get_expiry_date(): when the session expires.
func (s *Session) ExpiryDate() (time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.settings.ExpiryDate(s.session(), s.settings.Now())
}

// ExpireAtBrowserClose is get_expire_at_browser_close().
func (s *Session) ExpireAtBrowserClose() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.settings.ExpireAtBrowserClose(s.session())
}

// CookieAge is get_session_cookie_age(): SESSION_COOKIE_AGE.
func (s *Session) CookieAge() int64 { return s.settings.SessionCookieAge }

// SetTestCookie is set_test_cookie().
func (s *Session) SetTestCookie() { _ = s.Set(testCookieName, testCookieWorked) }

// TestCookieWorked is test_cookie_worked().
func (s *Session) TestCookieWorked() bool {
	v, _ := s.Get(testCookieName)
	return v == testCookieWorked
}

// DeleteTestCookie is delete_test_cookie().
func (s *Session) DeleteTestCookie() { s.Delete(testCookieName) }

// Save is save(): a session without a key is created under a new one; a
// session with a key replaces the stored one, and ErrUpdate means it was
// deleted meanwhile (Django's middleware answers 400). The signed_cookies
// engine computes the new cookie value instead.
func (s *Session) Save(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.save(ctx, false)
}

func (s *Session) save(ctx context.Context, mustCreate bool) error {
	if s.loadErr != nil {
		return fmt.Errorf("django: not writing over a session that failed to load: %w", s.loadErr)
	}
	data := s.data
	if data == nil {
		if mustCreate || s.key == "" {
			data = pyjson.NewDict(0)
		} else {
			data = s.session()
			if s.loadErr != nil {
				return fmt.Errorf("django: not writing over a session that failed to load: %w", s.loadErr)
			}
		}
	}
	if cs, ok := s.store.(CookieStore); ok {
		v, err := cs.CookieValue(data)
		if err != nil {
			return err
		}
		s.key = v
		s.modified = true
		return nil
	}
	if s.key == "" {
		return s.create(ctx, data)
	}
	return s.store.Save(ctx, s.key, data, mustCreate)
}

// create is SessionBase.create: a new key, saved at once.
func (s *Session) create(ctx context.Context, data *pyjson.Dict) error {
	if _, ok := s.store.(CookieStore); ok {
		s.modified = true
		return nil
	}
	key, err := Create(ctx, s.store, data)
	if err != nil {
		return err
	}
	s.key = key
	s.modified = true
	return nil
}

// CycleKey is cycle_key(): the same data under a new key, the old stored
// session deleted. Call it at login, against session fixation. Over a
// session whose data could not be used (Err wraps ErrUnreadable) it starts
// an empty session under a new key and leaves the stored one as it is:
// what could not be read is not deleted.
func (s *Session) CycleKey(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	data := s.session()
	old := s.key
	if s.loadErr != nil {
		if !errors.Is(s.loadErr, ErrUnreadable) {
			return fmt.Errorf("django: not cycling a session that failed to load: %w", s.loadErr)
		}
		s.loadErr, old = nil, ""
		data = pyjson.NewDict(0)
		s.data = data
	}
	if _, ok := s.store.(CookieStore); ok {
		return s.save(ctx, false)
	}
	if err := s.create(ctx, data); err != nil {
		return err
	}
	s.data = data
	if old != "" {
		return s.store.Delete(ctx, old)
	}
	return nil
}

// Flush is flush(): the data cleared, the stored session deleted, no key.
// Call it at logout. It deletes the stored session even when its data
// could not be used: the key is the user's own cookie, and a logout that
// left a session Django can read would not log out. When the delete
// fails, the key is kept and the error returned, as in Django (whose
// flush raises before it forgets the key): the middleware then keeps the
// cookie, since the session is still stored.
func (s *Session) Flush(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clear()
	if err := s.deleteStored(ctx); err != nil {
		return err
	}
	s.key = ""
	s.loadErr = nil
	s.settings.Log().Debug("session flushed: data cleared, stored session deleted", "logger", "djsession")
	return nil
}

// DeleteSession is delete(): it removes the stored session under the
// current key (session.delete() in Django), leaving the data in memory.
func (s *Session) DeleteSession(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.deleteStored(ctx)
}

func (s *Session) deleteStored(ctx context.Context) error {
	if _, ok := s.store.(CookieStore); ok {
		s.key = ""
		s.data = pyjson.NewDict(0)
		s.modified = true
		return nil
	}
	if s.key == "" {
		return nil
	}
	return s.store.Delete(ctx, s.key)
}

// ClearExpired is clear_expired(): the store removes expired sessions.
func (s *Session) ClearExpired(ctx context.Context) error { return s.store.ClearExpired(ctx) }
