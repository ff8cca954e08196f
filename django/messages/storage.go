package messages

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"sync"

	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/djhttp"
	"github.com/djsession/djsession/internal/hookwriter"
)

// Storage is Django's CookieStorage for one request: the messages that
// arrived in the request's cookie, and those added during the request.
// Reading the messages (Messages) consumes them, as iterating over
// Django's storage does; Update then writes what is left to the response.
// It is safe for concurrent use.
type Storage struct {
	mu       sync.Mutex
	s        *django.Settings
	opts     []Option
	cookie   string
	loaded   bool
	messages []Message // _loaded_data
	all      bool
	queued   []Message
	used     bool
	addedNew bool
}

// NewStorage returns the storage of r: its messages cookie is decoded on
// first use, with s (which must not change while the storage is in use);
// opts are those of Encode.
func NewStorage(r *http.Request, s *django.Settings, opts ...Option) *Storage {
	return &Storage{s: s, opts: opts, cookie: djhttp.RequestCookies(r)[CookieName]}
}

func (st *Storage) load() {
	if st.loaded {
		return
	}
	st.loaded = true
	msgs, all, err := Decode(st.s, st.cookie)
	if err != nil {
		st.used = true // the cookie is deleted at the end of the request
		st.all = true
		return
	}
	st.messages, st.all = msgs, all
}

// Add queues m (BaseStorage.add): nothing happens if its text is empty or
// its level is below MESSAGE_LEVEL (django.Settings.MessageLevel). It
// reports whether m was queued.
func (st *Storage) Add(m Message) bool {
	if !records(st.s, m) {
		return false
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	st.addedNew = true
	st.queued = append(st.queued, m)
	return true
}

// Messages returns every message, the stored ones first, and marks them
// read: they will not be stored again (iterating over Django's storage).
func (st *Storage) Messages() []Message {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.load()
	st.used = true
	st.messages = append(st.messages, st.queued...)
	st.queued = nil
	return append([]Message(nil), st.messages...)
}

// Len is len(storage): stored and queued messages, without reading them.
func (st *Storage) Len() int {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.load()
	return len(st.messages) + len(st.queued)
}

// AllRetrieved reports whether the cookie held every message it was
// meant to: false when it ended with NotFinished (with Django's
// FallbackStorage, the rest are in the session).
func (st *Storage) AllRetrieved() bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.load()
	return st.all
}

// Update is BaseStorage.update(response): if the messages were read, it
// stores only those added since; if not, and some were added, the old and
// new ones together; otherwise it leaves the cookie alone. Storing no
// messages deletes the cookie. It adds the Set-Cookie header to h and
// returns the messages that did not fit.
func (st *Storage) Update(h http.Header) (unstored []Message, err error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	var msgs []Message
	switch {
	case st.used:
		msgs = st.queued
	case st.addedNew:
		st.load()
		msgs = append(append([]Message(nil), st.messages...), st.queued...)
	default:
		return nil, nil
	}
	value, unstored, err := Encode(st.s, msgs, st.opts...)
	if err != nil {
		return nil, err
	}
	h.Add("Set-Cookie", SetCookieHeader(st.s, value))
	return unstored, nil
}

type ctxKey struct{}

// ErrNoMiddleware reports Add on a request that did not pass through
// Middleware: Django's MessageFailure.
var ErrNoMiddleware = errors.New("messages: you cannot add messages without messages.Middleware")

// FromRequest returns the Storage that Middleware attached to r, or nil.
func FromRequest(r *http.Request) *Storage {
	st, _ := r.Context().Value(ctxKey{}).(*Storage)
	return st
}

// Middleware is Django's MessageMiddleware with CookieStorage: every
// request gets a Storage (see FromRequest, Add, Get), which is written to
// the response before its headers leave. Messages that do not fit in the
// cookie are dropped, the oldest first (Django's default FallbackStorage
// would keep them in the session); use a Storage and Update directly to
// see them.
//
// s is Django's settings module: SECRET_KEY and its fallbacks,
// MESSAGE_LEVEL, the SESSION_COOKIE_* attributes the cookie shares with
// the session cookie, the version, clock and logger. Start from
// django.DefaultSettings, which holds Django's MESSAGE_LEVEL (INFO).
// Middleware keeps its own copy of s. opts are those of Encode.
func Middleware(s django.Settings, opts ...Option) func(http.Handler) http.Handler {
	// The caller may reuse its slice of keys; the signer must not see it
	// change. (MessageTags is read by Message.Tags, with the caller's
	// settings, not here.)
	s.SecretKeyFallbacks = slices.Clone(s.SecretKeyFallbacks)
	opts = slices.Clone(opts)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			st := NewStorage(r, &s, opts...)
			rw := hookwriter.New(w, func(int) bool {
				if _, err := st.Update(w.Header()); err != nil {
					s.Log().Error("messages: storing the messages cookie failed", "err", err)
				}
				return false
			})
			next.ServeHTTP(rw, r.WithContext(context.WithValue(r.Context(), ctxKey{}, st)))
			rw.Finish()
		})
	}
}

// Add is messages.add_message(request, level, text): the message is
// queued with extra_tags "" (Django's default). Use the Storage for
// extra tags or safe text.
func Add(r *http.Request, level int, text string) error {
	st := FromRequest(r)
	if st == nil {
		return ErrNoMiddleware
	}
	tags := ""
	st.Add(Message{Level: level, Message: text, ExtraTags: &tags})
	return nil
}

// Debug adds a LevelDebug message (recorded only if MESSAGE_LEVEL,
// django.Settings.MessageLevel, allows it; Django's default does not).
func Debug(r *http.Request, text string) error { return Add(r, LevelDebug, text) }

// Info adds a LevelInfo message.
func Info(r *http.Request, text string) error { return Add(r, LevelInfo, text) }

// Success adds a LevelSuccess message.
func Success(r *http.Request, text string) error { return Add(r, LevelSuccess, text) }

// Warning adds a LevelWarning message.
func Warning(r *http.Request, text string) error { return Add(r, LevelWarning, text) }

// Error adds a LevelError message.
func Error(r *http.Request, text string) error { return Add(r, LevelError, text) }

// Get is get_messages(request) iterated: the messages to show, which are
// then consumed. Outside Middleware it returns nil.
func Get(r *http.Request) []Message {
	if st := FromRequest(r); st != nil {
		return st.Messages()
	}
	return nil
}
