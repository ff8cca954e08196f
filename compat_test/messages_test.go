package compat_test

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	djsession "github.com/djsession/djsession/django"
	"github.com/djsession/djsession/django/messages"
	"github.com/djsession/djsession/django/signedcookie"
	"github.com/djsession/djsession/djhttp"
	"github.com/djsession/djsession/signing"
)

func ptr(s string) *string { return &s }

func liveMessageSettings(v djsession.Version, mutate func(*djsession.Settings)) (djsession.Settings, map[string]any) {
	ds := djsession.DefaultSettings(secret)
	ds.SecretKeyFallbacks = []string{oldKey}
	ds.DjangoVersion = v
	py := map[string]any{"SECRET_KEY": secret, "SECRET_KEY_FALLBACKS": []string{oldKey}}
	if mutate != nil {
		mutate(&ds)
		py["SESSION_COOKIE_DOMAIN"] = nilIfEmpty(ds.SessionCookieDomain)
		py["SESSION_COOKIE_SECURE"] = ds.SessionCookieSecure
		py["SESSION_COOKIE_HTTPONLY"] = ds.SessionCookieHTTPOnly
		py["SESSION_COOKIE_SAMESITE"] = nilIfEmpty(ds.SessionCookieSameSite)
	}
	return ds, py
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func pyMessages(m map[string]any) []messages.Message {
	var out []messages.Message
	for _, x := range m["messages"].([]any) {
		r := x.(map[string]any)
		var lvl int
		fmt.Sscan(fmt.Sprint(r["level"]), &lvl)
		msg := messages.Message{Level: lvl, Message: r["message"].(string), Safe: r["safe"] == true}
		if t, ok := r["extra_tags"].(string); ok {
			msg.ExtraTags = ptr(t)
		}
		out = append(out, msg)
	}
	return out
}

func liveSetCookies(m map[string]any) []string {
	var out []string
	for _, c := range m["set_cookie"].([]any) {
		out = append(out, c.(string))
	}
	return out
}

func TestLiveMessagesBothWays(t *testing.T) {
	in := []messages.Message{
		{Level: messages.LevelInfo, Message: "plain", ExtraTags: ptr("")},
		{Level: messages.LevelSuccess, Message: "Zoë 😀 漢字 \u2028 <b>", ExtraTags: nil},
		{Level: messages.LevelWarning, Message: "<b>safe</b>", ExtraTags: ptr("bold x"), Safe: true},
		{Level: messages.LevelError, Message: `quote " backslash \ ; comma ,`, ExtraTags: ptr("")},
		{Level: 35, Message: "custom level"},
	}
	for _, ver := range versions {
		t.Run(ver, func(t *testing.T) {
			p := webPeer(t, ver)
			v, _ := djsession.ParseVersion(ver)
			// Under each Django: extra_tags "" survives 4.2+ and becomes None on 3.2.
			want := make([]messages.Message, len(in))
			copy(want, in)
			if ver == "3.2" {
				for i := range want {
					if want[i].ExtraTags != nil && *want[i].ExtraTags == "" {
						want[i].ExtraTags = nil
					}
				}
			}
			for _, variant := range []struct {
				name   string
				mutate func(*djsession.Settings)
			}{
				{"defaults", nil},
				{"domain secure no-httponly samesite=None", func(s *djsession.Settings) {
					s.SessionCookieDomain = ".example.com"
					s.SessionCookieSecure = true
					s.SessionCookieHTTPOnly = false
					s.SessionCookieSameSite = "None"
				}},
			} {
				s, py := liveMessageSettings(v, variant.mutate)
				// Go writes, Django reads.
				value, unstored, err := messages.Encode(&s, in)
				if err != nil || len(unstored) != 0 {
					t.Fatal(err, unstored)
				}
				m := webCall(t, p, map[string]any{"op": "messages_read", "settings": py, "cookie": "messages=" + value})
				if got := pyMessages(m); !reflect.DeepEqual(got, want) || m["all_retrieved"] != true {
					t.Errorf("%s: Django read %+v, want %+v", variant.name, got, want)
				}
				// Django iterated: it deletes the cookie as Go does.
				goDel := messages.SetCookieHeader(&s, "")
				if got := liveSetCookies(m); len(got) != 1 || got[0] != goDel {
					t.Errorf("%s: Django deletion %q, Go %q", variant.name, got, goDel)
				}
				// Django writes, Go reads.
				var pin []map[string]any
				for _, msg := range in {
					var et any
					if msg.ExtraTags != nil {
						et = *msg.ExtraTags
					}
					pin = append(pin, map[string]any{"level": msg.Level, "message": msg.Message, "extra_tags": et, "safe": msg.Safe})
				}
				w := webCall(t, p, map[string]any{"op": "messages_write", "settings": py, "messages": pin})
				dv := str(w, "value")
				got, all, err := messages.Decode(&s, dv)
				if err != nil || !all || !reflect.DeepEqual(got, want) {
					t.Errorf("%s: Go read %+v (%v, %v), want %+v", variant.name, got, all, err, want)
				}
				sc := liveSetCookies(w)
				if len(sc) != 1 || sc[0] != messages.SetCookieHeader(&s, dv) {
					t.Errorf("%s: Set-Cookie Django %q, Go %q", variant.name, sc, messages.SetCookieHeader(&s, dv))
				}
			}
			// The size limit and the sentinel, both ways.
			s, py := liveMessageSettings(v, nil)
			var many []messages.Message
			var pin []map[string]any
			for i := range 40 {
				text := fmt.Sprintf("%d %x", i, sha256.Sum256([]byte{byte(i)}))
				many = append(many, messages.Message{Level: messages.LevelInfo, Message: text, ExtraTags: ptr("")})
				pin = append(pin, map[string]any{"level": 20, "message": text, "extra_tags": ""})
			}
			value, unstored, err := messages.Encode(&s, many)
			if err != nil || len(unstored) == 0 || len(value) > 2048 {
				t.Fatalf("Go: %d bytes, %d unstored, %v", len(value), len(unstored), err)
			}
			m := webCall(t, p, map[string]any{"op": "messages_read", "settings": py, "cookie": "messages=" + value})
			if got := pyMessages(m); m["all_retrieved"] != false || len(got) != len(many)-len(unstored) || got[0].Message != many[len(unstored)].Message {
				t.Errorf("Django read Go's truncated cookie: %d messages, all=%v", len(got), m["all_retrieved"])
			}
			w := webCall(t, p, map[string]any{"op": "messages_write", "settings": py, "messages": pin})
			got, all, err := messages.Decode(&s, str(w, "value"))
			var dUnstored int
			fmt.Sscan(fmt.Sprint(w["unstored"]), &dUnstored)
			if err != nil || all || len(got)+dUnstored != len(many) || got[len(got)-1].Message != many[len(many)-1].Message {
				t.Errorf("Go read Django's truncated cookie: %d messages, all=%v, %v", len(got), all, err)
			}
			// How many fit depends on the deflate output, which differs
			// between Go and CPython: both stay under 2048 characters.
			t.Logf("40 messages: Go keeps %d, Django %d", len(many)-len(unstored), len(many)-dUnstored)
			// A tampered cookie: no messages, and deleted, on both sides.
			m = webCall(t, p, map[string]any{"op": "messages_read", "settings": py, "cookie": "messages=" + value[:len(value)-3] + "abc"})
			if len(pyMessages(m)) != 0 || liveSetCookies(m)[0] != messages.SetCookieHeader(&s, "") {
				t.Errorf("tampered: Django %v", m)
			}
			if _, _, err := messages.Decode(&s, value[:len(value)-3]+"abc"); !errors.Is(err, messages.ErrMalformed) {
				t.Errorf("tampered: Go %v", err)
			}
		})
	}
}

func TestLiveSignedCookiesBothWays(t *testing.T) {
	yes, no := true, false
	for _, ver := range versions {
		t.Run(ver, func(t *testing.T) {
			p := webPeer(t, ver)
			v, _ := djsession.ParseVersion(ver)
			s := djsession.DefaultSettings(secret)
			s.SecretKeyFallbacks = []string{oldKey}
			s.DjangoVersion = v
			py := map[string]any{"SECRET_KEY": secret, "SECRET_KEY_FALLBACKS": []string{oldKey}}
			for _, tc := range []struct{ name, value, salt string }{
				{"n", "v", "s"}, {"ab", "Zoë; x=1 \"q\"", ""}, {"prefs", "dark", "ünï"},
			} {
				o := signedcookie.Options{Salt: tc.salt}
				// Go → Django.
				gv, err := signedcookie.Sign(&s, tc.name, tc.value, o)
				if err != nil {
					t.Fatal(err)
				}
				header := djhttp.SetCookieHeader(tc.name, gv, djhttp.CookieOptions{Path: "/"})
				cookie, _, _ := strings.Cut(header, "; Path=/")
				m := webCall(t, p, map[string]any{"op": "signed_get", "settings": py, "name": tc.name, "salt": tc.salt, "cookie": cookie})
				if str(m, "value") != tc.value {
					t.Errorf("%s: Django read Go's cookie as %q", tc.name, str(m, "value"))
				}
				// Django → Go, and the same Set-Cookie rendering.
				m = webCall(t, p, map[string]any{"op": "signed_set", "settings": py, "name": tc.name, "value": tc.value, "salt": tc.salt})
				dv := str(m, "value")
				if got, err := signedcookie.Unsign(&s, tc.name, dv, o); err != nil || got != tc.value {
					t.Errorf("%s: Go read Django's cookie: %q %v", tc.name, got, err)
				}
				if want := djhttp.SetCookieHeader(tc.name, dv, djhttp.CookieOptions{Path: "/"}); str(m, "set_cookie") != want {
					t.Errorf("%s: Set-Cookie Django %s, Go %s", tc.name, str(m, "set_cookie"), want)
				}
			}
			// Both salts, with and without SIGNED_COOKIE_LEGACY_SALT_FALLBACK.
			legacy, _ := signedcookie.Sign(&s, "n", "v", signedcookie.Options{Salt: "s", LegacySalt: true})
			s52 := s
			s52.DjangoVersion = djsession.Django52
			v2, _ := signedcookie.Sign(&s52, "n", "v", signedcookie.Options{Salt: "s"})
			settings := []*bool{nil}
			if v.AtLeast(5, 2) {
				settings = []*bool{nil, &yes, &no}
			}
			for _, fb := range settings {
				pys := map[string]any{"SECRET_KEY": secret}
				if fb != nil {
					pys["SIGNED_COOKIE_LEGACY_SALT_FALLBACK"] = *fb
				}
				for name, value := range map[string]string{"legacy": legacy, "v2": v2} {
					m := p.mustCall(t, map[string]any{"op": "signed_get", "settings": pys, "name": "n", "salt": "s", "cookie": "n=" + value})
					_, err := signedcookie.Unsign(&s, "n", value, signedcookie.Options{Salt: "s", LegacySaltFallback: fb})
					if (m["ok"] == true) != (err == nil) {
						t.Errorf("%s cookie, fallback=%v: Django ok=%v (%v), Go err=%v", name, fb, m["ok"], m["message"], err)
					}
				}
			}
			// max_age: an old cookie is SignatureExpired on both sides.
			old := s
			old.Clock = func() time.Time { return time.Now().Add(-time.Hour) }
			ov, _ := signedcookie.Sign(&old, "n", "v", signedcookie.Options{})
			m := p.mustCall(t, map[string]any{"op": "signed_get", "settings": py, "name": "n", "max_age": 60, "cookie": "n=" + ov})
			age := time.Minute
			_, err := signedcookie.Unsign(&s, "n", ov, signedcookie.Options{MaxAge: &age})
			if str(m, "exception") != "SignatureExpired" || !errors.Is(err, signing.ErrSignatureExpired) {
				t.Errorf("expired: Django %v, Go %v", m, err)
			}
		})
	}
}

// TestLiveMessagesLevelAndTags: MESSAGE_LEVEL and MESSAGE_TAGS as fields of
// django.Settings behave as the same settings do in Django. The same
// messages are added under each MESSAGE_LEVEL by Django's CookieStorage and
// by Go's Storage, and both keep the same ones; a cookie of every level is
// read by Django under each MESSAGE_TAGS, and Django's message.tags are
// Go's Message.Tags.
func TestLiveMessagesLevelAndTags(t *testing.T) {
	levels := []int{-5, 0, 5, messages.LevelDebug, messages.LevelInfo, messages.LevelSuccess, messages.LevelWarning, 35, messages.LevelError, 99}
	for _, ver := range versions {
		t.Run(ver, func(t *testing.T) {
			p := webPeer(t, ver)
			v, _ := djsession.ParseVersion(ver)
			for _, lc := range []struct {
				name  string
				level *int // nil: not in settings.py, Django's INFO
			}{
				{"unset", nil}, {"0", ptrInt(0)}, {"DEBUG", ptrInt(messages.LevelDebug)},
				{"WARNING", ptrInt(messages.LevelWarning)}, {"custom 35", ptrInt(35)},
			} {
				s, py := liveMessageSettings(v, nil)
				if lc.level != nil {
					s.MessageLevel = *lc.level
					py["MESSAGE_LEVEL"] = *lc.level
				}
				var pin []map[string]any
				st := messages.NewStorage(httptest.NewRequest("GET", "/", nil), &s)
				for _, l := range levels {
					text := fmt.Sprintf("level %d", l)
					pin = append(pin, map[string]any{"level": l, "message": text, "extra_tags": ""})
					st.Add(messages.Message{Level: l, Message: text, ExtraTags: ptr("")})
				}
				h := http.Header{}
				if _, err := st.Update(h); err != nil {
					t.Fatal(err)
				}
				goValue, _ := strings.CutPrefix(strings.Split(h.Get("Set-Cookie"), ";")[0], messages.CookieName+"=")
				w := webCall(t, p, map[string]any{"op": "messages_write", "settings": py, "messages": pin})
				dj, _, err1 := messages.Decode(&s, str(w, "value"))
				gm, _, err2 := messages.Decode(&s, goValue)
				if err1 != nil || err2 != nil || !reflect.DeepEqual(levelsOf(dj), levelsOf(gm)) || len(dj) == 0 {
					t.Errorf("MESSAGE_LEVEL %s: Django kept %v (%v), Go %v (%v)", lc.name, levelsOf(dj), err1, levelsOf(gm), err2)
				}
			}
			extra := ptr("x y")
			var in []messages.Message
			for _, l := range levels {
				in = append(in, messages.Message{Level: l, Message: "a"}, messages.Message{Level: l, Message: "b", ExtraTags: extra})
			}
			for _, tags := range []map[int]string{
				nil,
				{messages.LevelError: "danger", 35: "notice", messages.LevelDebug: "", 0: "zero", messages.LevelInfo: "info blue"},
			} {
				s, py := liveMessageSettings(v, nil)
				s.MessageTags = tags
				if tags != nil {
					py["MESSAGE_TAGS"] = tags
				}
				value, _, err := messages.Encode(&s, in)
				if err != nil {
					t.Fatal(err)
				}
				m := webCall(t, p, map[string]any{"op": "messages_read", "settings": py, "cookie": "messages=" + value})
				got := m["messages"].([]any)
				if len(got) != len(in) {
					t.Fatalf("MESSAGE_TAGS %v: Django read %d messages, want %d", tags, len(got), len(in))
				}
				for i, x := range got {
					if dt, gt := x.(map[string]any)["tags"], in[i].Tags(&s); dt != gt {
						t.Errorf("MESSAGE_TAGS %v, level %d: Django's tags %q, Go's %q", tags, in[i].Level, dt, gt)
					}
				}
			}
		})
	}
}

func ptrInt(i int) *int { return &i }

func levelsOf(ms []messages.Message) []int {
	var out []int
	for _, m := range ms {
		out = append(out, m.Level)
	}
	return out
}
