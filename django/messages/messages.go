// Package messages reads and writes the cookie of Django's
// django.contrib.messages CookieStorage, so that a message flashed by a Go
// handler ("Profile saved.") is shown by the next Django page, and the
// reverse.
//
// Django keeps pending messages in a cookie named "messages": a JSON list,
// each message written as ["__json_message", safe, level, text] plus its
// extra_tags, compressed when that is shorter, then timestamped and signed
// with get_cookie_signer(salt="django.contrib.messages"). A cookie may not
// exceed 2048 characters: the oldest messages are dropped to make room and
// the string "__messagesnotfinished__" ends the list (Django's default
// FallbackStorage puts the dropped ones in the session). A cookie that
// fails its signature or does not decode yields no messages and is
// deleted.
//
// A handler uses [Middleware] and the helpers [Info], [Success], [Add]...
// to flash messages and [Get] to show them; [Encode] and [Decode] are the
// cookie format alone.
//
// Everything reads the project's one [django.Settings]: SECRET_KEY and
// SECRET_KEY_FALLBACKS sign the cookie, MESSAGE_LEVEL
// (Settings.MessageLevel) decides which messages are recorded,
// MESSAGE_TAGS (Settings.MessageTags) the CSS classes of [Message.Tags],
// the SESSION_COOKIE_* settings the cookie's attributes, and the version,
// clock and logger are the ones every layer uses. The cookie's size limit
// is not a setting in Django but CookieStorage's class attribute
// max_cookie_size; here it is the option [WithMaxCookieSize].
package messages

import (
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/django/signedcookie"
	"github.com/djsession/djsession/djhttp"
	"github.com/djsession/djsession/pyjson"
	"github.com/djsession/djsession/signing"
)

// The levels of django.contrib.messages.constants.
const (
	LevelDebug   = 10
	LevelInfo    = 20
	LevelSuccess = 25
	LevelWarning = 30
	LevelError   = 40
)

// Names and constants of CookieStorage.
const (
	// CookieName is CookieStorage.cookie_name.
	CookieName = "messages"
	// KeySalt is CookieStorage.key_salt, the salt of its cookie signer.
	KeySalt = "django.contrib.messages"
	// NotFinished is the sentinel that ends a list some of whose messages
	// did not fit in the cookie.
	NotFinished = "__messagesnotfinished__"
	// DefaultMaxCookieSize is CookieStorage.max_cookie_size.
	DefaultMaxCookieSize = 2048
)

const messageKey = "__json_message"

// ErrMalformed reports a messages cookie that must be ignored: a bad
// signature, or content that is not a list of messages. Django shows no
// messages then and deletes the cookie; so do Storage and Middleware.
var ErrMalformed = errors.New("messages: malformed messages cookie")

// Message is django.contrib.messages.storage.base.Message.
type Message struct {
	// Level is one of the Level constants, or a project's own.
	Level int
	// Message is the text.
	Message string
	// ExtraTags are the extra CSS classes; nil is Python's None. Django's
	// add_message passes "" by default, which Django 4.2+ writes and 3.2
	// omits (so it reads back as None on 3.2).
	ExtraTags *string
	// Safe marks text that Django's templates must not escape
	// (mark_safe): HTML of your own making, never user input.
	Safe bool
}

// defaultTag is constants.DEFAULT_TAGS: the CSS class of each level when
// MESSAGE_TAGS does not name it. A switch rather than a map, so that no
// caller can change Django's defaults for everyone.
func defaultTag(level int) string {
	switch level {
	case LevelDebug:
		return "debug"
	case LevelInfo:
		return "info"
	case LevelSuccess:
		return "success"
	case LevelWarning:
		return "warning"
	case LevelError:
		return "error"
	}
	return ""
}

// LevelTags is get_level_tags(): Django's default tags (debug, info,
// success, warning, error) with s.MessageTags (MESSAGE_TAGS) laid over
// them. The map is the caller's to change; a nil s gives the defaults.
func LevelTags(s *django.Settings) map[int]string {
	tags := make(map[int]string, 5)
	for _, l := range []int{LevelDebug, LevelInfo, LevelSuccess, LevelWarning, LevelError} {
		tags[l] = defaultTag(l)
	}
	if s != nil {
		for l, t := range s.MessageTags {
			tags[l] = t
		}
	}
	return tags
}

// LevelTag is Message.level_tag: the CSS class of m's level under
// MESSAGE_TAGS (s.MessageTags over Django's defaults), "" for a level
// neither names. A nil s means Django's defaults.
func (m Message) LevelTag(s *django.Settings) string {
	if s != nil {
		// A key present with "" is a tag removed, as in Django's dict.
		if t, ok := s.MessageTags[m.Level]; ok {
			return t
		}
	}
	return defaultTag(m.Level)
}

// Tags is Message.tags: the extra tags and the level tag (under
// MESSAGE_TAGS, as LevelTag), space separated, empty ones left out.
func (m Message) Tags(s *django.Settings) string {
	switch et, lt := m.extra(), m.LevelTag(s); {
	case et == "":
		return lt
	case lt == "":
		return et
	default:
		return et + " " + lt
	}
}

func (m Message) extra() string {
	if m.ExtraTags == nil {
		return ""
	}
	return *m.ExtraTags
}

// String returns the text, as str(message).
func (m Message) String() string { return m.Message }

// Option shapes the storage with what is not a Django setting; the
// settings themselves (MESSAGE_LEVEL, MESSAGE_TAGS, SECRET_KEY, the
// SESSION_COOKIE_* attributes...) are fields of django.Settings.
type Option func(*options)

type options struct {
	maxCookieSize int
}

// WithMaxCookieSize sets CookieStorage.max_cookie_size, the longest
// cookie value written (default DefaultMaxCookieSize, 2048). 0 (or less)
// means no limit, as a falsy max_cookie_size does in Django. A project
// that subclasses CookieStorage to change it gives the same number here.
func WithMaxCookieSize(n int) Option {
	return func(o *options) { o.maxCookieSize = n }
}

// resolve applies opts over the defaults.
func resolve(opts []Option) options {
	o := options{maxCookieSize: DefaultMaxCookieSize}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// jsonMessage is the MessageEncoder form of m for the configured version.
func jsonMessage(s *django.Settings, m Message) []any {
	safe := 0
	if m.Safe {
		safe = 1
	}
	out := []any{messageKey, safe, m.Level, m.Message}
	if s.Version() == django.Django32 {
		if m.extra() != "" { // 3.2: `if obj.extra_tags:`
			out = append(out, m.extra())
		}
	} else if m.ExtraTags != nil { // 4.2+: `is not None`
		out = append(out, *m.ExtraTags)
	}
	return out
}

// Encode is CookieStorage._store without the response: the cookie value
// that holds msgs, signed under s's SECRET_KEY as s's Django version
// writes it, and the messages that did not fit under the maximum cookie
// size (WithMaxCookieSize; the oldest are dropped and the value then ends
// with NotFinished). An empty value means Django would delete the cookie
// (no messages). Encode stores what it is given: MESSAGE_LEVEL is applied
// when a message is added (Storage.Add), as in Django.
//
// The value's compressed payload is valid zlib that Django reads, but not
// CPython's bytes (often a little shorter, sometimes longer), so when the
// size limit bites the number of messages kept can differ from Django's;
// both keep the newest that fit.
func Encode(s *django.Settings, msgs []Message, opts ...Option) (value string, unstored []Message, err error) {
	signer, err := signedcookie.CookieSigner(s, KeySalt)
	if err != nil {
		return "", nil, err
	}
	parts := make([][]byte, len(msgs))
	for i, m := range msgs {
		if parts[i], err = pyjson.Marshal(jsonMessage(s, m)); err != nil {
			return "", nil, fmt.Errorf("messages: encoding: %w", err)
		}
	}
	encode := func(p [][]byte, sentinel bool) string {
		b := []byte{'['}
		for i, x := range p {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, x...)
		}
		if sentinel {
			if len(p) > 0 {
				b = append(b, ',')
			}
			b = append(b, `"`+NotFinished+`"`...)
		}
		return signer.SignPayload(append(b, ']'), true)
	}
	if len(msgs) == 0 {
		return "", nil, nil
	}
	value = encode(parts, false)
	max := resolve(opts).maxCookieSize
	if max <= 0 || len(value) <= max {
		return value, nil, nil
	}
	tooLarge := func(p [][]byte) bool { return len(encode(p, true)) > max }
	if s.Version().AtLeast(5, 0) {
		// bisect_keep_right: the first index whose tail fits.
		idx := sort.Search(len(parts), func(i int) bool { return !tooLarge(parts[i:]) })
		return encode(parts[idx:], true), msgs[:idx], nil
	}
	// 3.2 and 4.2: drop the oldest until it fits.
	idx := 0
	for {
		idx++
		value = encode(parts[idx:], true)
		if len(value) <= max || idx == len(parts) {
			return value, msgs[:idx], nil
		}
	}
}

// Decode is CookieStorage._decode and _get: the messages in a cookie
// value, in order, and whether they are all there (false when the list
// ended with NotFinished). Any failure is ErrMalformed (wrapping the
// signing error when the signature is bad). Django 3.2 also reads the
// formats of Django 3.1 (unencoded JSON, timestamped and signed) and
// before (a sha1 salted HMAC, "$", the JSON).
func Decode(s *django.Settings, value string) (msgs []Message, all bool, err error) {
	if value == "" {
		return nil, true, nil
	}
	signer, err := signedcookie.CookieSigner(s, KeySalt)
	if err != nil {
		return nil, false, err
	}
	data, err := signer.UnsignPayload(value)
	var v any
	if err == nil {
		v, err = pyjson.Unmarshal(data)
	}
	if err != nil && s.Version() == django.Django32 {
		var legacy string
		var ok bool
		if errors.Is(err, signing.ErrBadSignature) {
			legacy, ok = legacyDecode(s, value)
		} else {
			// 3.1's format: JSON:timestamp:signature, no base64. The
			// signature was good, so only the JSON can fail now.
			legacy, err = signer.Unsign(value)
			ok = err == nil
		}
		if ok {
			v, err = pyjson.Unmarshal([]byte(legacy))
		}
	}
	if err != nil {
		return nil, false, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return fromJSON(v)
}

// legacyDecode is 3.2's _legacy_decode: "<hex sha1 HMAC>$<JSON>".
func legacyDecode(s *django.Settings, value string) (string, bool) {
	hash, data, ok := strings.Cut(value, "$")
	if !ok {
		return "", false
	}
	mac, err := signing.SaltedHMAC(KeySalt, data, s.SecretKey, signing.SHA1)
	if err != nil {
		return "", false
	}
	return data, constantTimeHexEqual(hash, mac)
}

// fromJSON is MessageDecoder over the decoded list.
func fromJSON(v any) ([]Message, bool, error) {
	list, ok := v.([]any)
	if !ok {
		if v == nil {
			return nil, true, nil
		}
		return nil, false, fmt.Errorf("%w: not a list", ErrMalformed)
	}
	all := true
	if n := len(list); n > 0 && list[n-1] == NotFinished {
		list, all = list[:n-1], false
	}
	out := make([]Message, 0, len(list))
	for _, item := range list {
		m, ok := messageFromJSON(item)
		if !ok {
			return nil, false, fmt.Errorf("%w: not a message", ErrMalformed)
		}
		out = append(out, m)
	}
	return out, all, nil
}

// messageFromJSON is Message(*obj[2:]) for ["__json_message", safe, level,
// text(, extra_tags)], with mark_safe when safe is truthy.
func messageFromJSON(item any) (Message, bool) {
	a, ok := item.([]any)
	if !ok || len(a) < 4 || len(a) > 5 || a[0] != messageKey {
		return Message{}, false
	}
	var m Message
	switch l := a[2].(type) {
	case int64:
		if l < math.MinInt32 || l > math.MaxInt32 {
			return Message{}, false
		}
		m.Level = int(l)
	case float64: // int(level) truncates
		if math.IsNaN(l) || math.Abs(l) > math.MaxInt32 {
			return Message{}, false
		}
		m.Level = int(l)
	default:
		return Message{}, false
	}
	if m.Message, ok = a[3].(string); !ok {
		return Message{}, false
	}
	if len(a) == 5 && a[4] != nil {
		t, ok := a[4].(string)
		if !ok {
			return Message{}, false
		}
		m.ExtraTags = &t
	}
	m.Safe = pyjson.Truthy(a[1])
	return m, true
}

// cookieOptions are the set_cookie arguments of _update_cookie.
func cookieOptions(s *django.Settings) djhttp.CookieOptions {
	return djhttp.CookieOptions{
		Domain: s.SessionCookieDomain, Path: "/", Secure: s.SessionCookieSecure,
		HTTPOnly: s.SessionCookieHTTPOnly, SameSite: s.SessionCookieSameSite,
	}
}

// SetCookieHeader is CookieStorage._update_cookie: the Set-Cookie value
// that stores value, a browser-session cookie on Path=/ with the
// SESSION_COOKIE_DOMAIN, _SECURE, _HTTPONLY and _SAMESITE settings, or for
// an empty value the one that deletes the cookie.
func SetCookieHeader(s *django.Settings, value string) string {
	o := cookieOptions(s)
	if value == "" {
		return djhttp.DeleteCookieHeader(CookieName, djhttp.CookieOptions{Domain: o.Domain, SameSite: o.SameSite})
	}
	return djhttp.SetCookieHeader(CookieName, value, o)
}

// records is BaseStorage.add's checks: empty text and levels below
// MESSAGE_LEVEL are not recorded.
func records(s *django.Settings, m Message) bool {
	return m.Message != "" && m.Level >= s.MessageLevel
}

func constantTimeHexEqual(h string, mac []byte) bool {
	return subtle.ConstantTimeCompare([]byte(h), []byte(hex.EncodeToString(mac))) == 1
}
