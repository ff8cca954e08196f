package messages

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/djsession/djsession/django"
)

// TestMessageLevel: MESSAGE_LEVEL comes from django.Settings. Django's
// default (INFO) drops Debug; the zero value is MESSAGE_LEVEL = 0 and
// records every level from 0 up; a higher level drops what is below it.
func TestMessageLevel(t *testing.T) {
	if s := django.DefaultSettings("k"); s.MessageLevel != LevelInfo {
		t.Fatalf("DefaultSettings: MessageLevel %d, want %d (INFO)", s.MessageLevel, LevelInfo)
	}
	levels := []int{-1, 0, LevelDebug, LevelInfo, LevelSuccess, LevelWarning, LevelError}
	for _, tc := range []struct {
		name  string
		level int
		want  []bool // per levels
	}{
		{"default INFO", LevelInfo, []bool{false, false, false, true, true, true, true}},
		{"zero", 0, []bool{false, true, true, true, true, true, true}},
		{"WARNING", LevelWarning, []bool{false, false, false, false, false, true, true}},
	} {
		s := testSettings(django.Django61)
		s.MessageLevel = tc.level
		st := NewStorage(httptest.NewRequest("GET", "/", nil), &s)
		for i, l := range levels {
			if got := st.Add(Message{Level: l, Message: "m"}); got != tc.want[i] {
				t.Errorf("%s: Add(level %d) = %v, want %v", tc.name, l, got, tc.want[i])
			}
		}
	}
}

// TestMessageTags: MESSAGE_TAGS is laid over Django's defaults, as
// get_level_tags() does: a changed level, an added level, a level mapped
// to "" (no tag), and the untouched defaults.
func TestMessageTags(t *testing.T) {
	s := django.DefaultSettings("k")
	for l, want := range map[int]string{LevelDebug: "debug", LevelInfo: "info", LevelSuccess: "success", LevelWarning: "warning", LevelError: "error", 35: ""} {
		if got := (Message{Level: l}).LevelTag(&s); got != want {
			t.Errorf("defaults: level %d tag %q, want %q", l, got, want)
		}
		if got := (Message{Level: l}).LevelTag(nil); got != want {
			t.Errorf("nil settings: level %d tag %q, want %q", l, got, want)
		}
	}
	s.MessageTags = map[int]string{LevelError: "danger", 35: "notice", LevelDebug: ""}
	x := "x"
	for _, tc := range []struct {
		m    Message
		want string
	}{
		{Message{Level: LevelError}, "danger"},
		{Message{Level: 35, ExtraTags: &x}, "x notice"},
		{Message{Level: LevelDebug}, ""},
		{Message{Level: LevelDebug, ExtraTags: &x}, "x"},
		{Message{Level: LevelInfo, ExtraTags: &x}, "x info"},
		{Message{Level: 99}, ""},
	} {
		if got := tc.m.Tags(&s); got != tc.want {
			t.Errorf("level %d: Tags %q, want %q", tc.m.Level, got, tc.want)
		}
	}
	tags := LevelTags(&s)
	want := map[int]string{LevelDebug: "", LevelInfo: "info", LevelSuccess: "success", LevelWarning: "warning", LevelError: "danger", 35: "notice"}
	if fmt.Sprint(tags) != fmt.Sprint(want) {
		t.Errorf("LevelTags = %v, want %v", tags, want)
	}
	// The map is the caller's: changing it changes neither the settings
	// nor Django's defaults.
	tags[LevelInfo] = "changed"
	if LevelTags(nil)[LevelInfo] != "info" || (Message{Level: LevelInfo}).LevelTag(&s) != "info" {
		t.Error("changing LevelTags' map changed the tags")
	}
}

// TestMaxCookieSize: WithMaxCookieSize reaches Encode, NewStorage and
// Middleware; without it the limit is 2048; 0 means none.
func TestMaxCookieSize(t *testing.T) {
	s := testSettings(django.Django61)
	// Hex digests barely compress, so the limit bites; extra_tags "" is
	// what Info gives the middleware's messages.
	empty := ""
	var in []Message
	for i := range 60 {
		in = append(in, Message{Level: LevelInfo, Message: fmt.Sprintf("%x", sha256.Sum256([]byte{byte(i)})), ExtraTags: &empty})
	}
	unlimited, unstored, err := Encode(&s, in, WithMaxCookieSize(0))
	if err != nil || len(unstored) != 0 || len(unlimited) <= DefaultMaxCookieSize {
		t.Fatalf("no limit: %d bytes, %d unstored, %v", len(unlimited), len(unstored), err)
	}
	for _, tc := range []struct {
		name string
		opts []Option
		max  int
	}{
		{"default", nil, DefaultMaxCookieSize},
		{"1000", []Option{WithMaxCookieSize(1000)}, 1000},
		{"last wins", []Option{WithMaxCookieSize(0), WithMaxCookieSize(700)}, 700},
	} {
		value, unstored, err := Encode(&s, in, tc.opts...)
		if err != nil || len(unstored) == 0 || len(value) > tc.max || len(value) < tc.max-300 {
			t.Errorf("%s: Encode %d bytes, %d unstored, %v; want at most %d", tc.name, len(value), len(unstored), err, tc.max)
		}
		// The same limit through NewStorage and through Middleware.
		st := NewStorage(httptest.NewRequest("GET", "/", nil), &s, tc.opts...)
		for _, m := range in {
			st.Add(m)
		}
		h := http.Header{}
		if u, err := st.Update(h); err != nil || len(u) != len(unstored) || cookieValue(h) != value {
			t.Errorf("%s: Storage.Update %d unstored, %v, same value %v", tc.name, len(u), err, cookieValue(h) == value)
		}
		mw := Middleware(s, tc.opts...)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			for _, m := range in {
				Info(r, m.Message)
			}
		}))
		rec := httptest.NewRecorder()
		mw.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
		got, all, err := Decode(&s, cookieValue(rec.Header()))
		if err != nil || all || len(got) != len(in)-len(unstored) || len(cookieValue(rec.Header())) > tc.max {
			t.Errorf("%s: Middleware stored %d of %d (all %v, %v), want %d", tc.name, len(got), len(in), all, err, len(in)-len(unstored))
		}
	}
}

// TestMiddlewareOwnsSettings: Middleware keeps its own copy of the
// settings, so a caller that changes its value afterwards (a key list
// reused, the level changed) does not change the running middleware.
func TestMiddlewareOwnsSettings(t *testing.T) {
	s := testSettings(django.Django61)
	s.SecretKeyFallbacks = []string{"old"}
	h := Middleware(s)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		Debug(r, "dropped")
		Info(r, "kept")
	}))
	s.MessageLevel = 0
	s.SecretKeyFallbacks[0] = "changed"
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	got, _, err := Decode(&s, cookieValue(rec.Header()))
	if err != nil || len(got) != 1 || got[0].Message != "kept" {
		t.Errorf("got %v, %v; want only the Info message", got, err)
	}
}

// cookieValue is the messages cookie's value in h's Set-Cookie header.
func cookieValue(h http.Header) string {
	v, _ := strings.CutPrefix(strings.Split(h.Get("Set-Cookie"), ";")[0], CookieName+"=")
	return v
}

// A project's MESSAGE_TAGS (here Bootstrap's "danger" for errors) is a
// field of django.Settings; Message.Tags reads it over Django's defaults.
func ExampleMessage_Tags() {
	s := django.DefaultSettings("django-insecure-example")
	s.MessageTags = map[int]string{LevelError: "danger"} // settings.py: MESSAGE_TAGS
	extra := "sticky"
	for _, m := range []Message{
		{Level: LevelError, Message: "Payment refused."},
		{Level: LevelSuccess, Message: "Saved.", ExtraTags: &extra},
	} {
		fmt.Printf("<div class=%q>%s</div>\n", "alert "+m.Tags(&s), m.Message)
	}
	// Output:
	// <div class="alert danger">Payment refused.</div>
	// <div class="alert sticky success">Saved.</div>
}

// LevelTags is Django's get_level_tags(): the defaults with MESSAGE_TAGS
// over them.
func ExampleLevelTags() {
	s := django.DefaultSettings("django-insecure-example")
	s.MessageTags = map[int]string{LevelError: "danger", 35: "notice"}
	tags := LevelTags(&s)
	fmt.Println(tags[LevelInfo], tags[LevelError], tags[35])
	// Output: info danger notice
}

// A site whose CookieStorage subclass sets max_cookie_size = 200 gives
// the same number to Middleware (or NewStorage, or Encode); the oldest
// messages that do not fit are dropped.
func ExampleWithMaxCookieSize() {
	s := django.DefaultSettings("django-insecure-example")
	var msgs []Message
	for i := range 30 {
		msgs = append(msgs, Message{Level: LevelInfo, Message: fmt.Sprintf("Imported row %d of 30.", i+1)})
	}
	value, unstored, err := Encode(&s, msgs, WithMaxCookieSize(200))
	if err != nil {
		panic(err)
	}
	kept, all, _ := Decode(&s, value)
	fmt.Println(len(value) <= 200, all, len(kept)+len(unstored) == 30, kept[len(kept)-1])
	// Output: true false true Imported row 30 of 30.
}
