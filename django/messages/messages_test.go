package messages

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/django/signedcookie"
	"github.com/djsession/djsession/signing"
)

func testSettings(v django.Version) django.Settings {
	s := django.DefaultSettings("test-secret")
	s.DjangoVersion = v
	s.Clock = func() time.Time { return time.Unix(1700000000, 0) }
	return s
}

func TestExtraTagsRule(t *testing.T) {
	for _, v := range django.Versions {
		s := testSettings(v)
		value, _, _ := Encode(&s, []Message{{Level: LevelInfo, Message: "é", ExtraTags: str("")}})
		got, _, err := Decode(&s, value)
		if err != nil || len(got) != 1 {
			t.Fatal(err)
		}
		if want := v != django.Django32; (got[0].ExtraTags != nil) != want || got[0].Message != "é" {
			t.Errorf("%v: %+v", v, got[0])
		}
	}
}

func TestDecodeFailures(t *testing.T) {
	s := testSettings(django.Django61)
	good, _, _ := Encode(&s, []Message{{Level: LevelInfo, Message: "hi"}})
	signer, _ := signedcookie.CookieSigner(&s, KeySalt)
	for name, value := range map[string]string{
		"tampered":    good[:len(good)-2] + "xx",
		"not a list":  signer.SignPayload([]byte(`{"a":1}`), false),
		"bad message": signer.SignPayload([]byte(`[["__json_message",0,"x","hi"]]`), false),
		"not json":    signer.SignPayload([]byte(`[`), false),
	} {
		if _, _, err := Decode(&s, value); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, _, err := Decode(&s, good[:len(good)-2]+"xx"); !errors.Is(err, signing.ErrBadSignature) {
		t.Errorf("tampered: %v", err)
	}
	// A bad cookie gives no messages and is deleted.
	h := Middleware(s)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if m := Get(r); len(m) != 0 {
			t.Errorf("messages from a bad cookie: %v", m)
		}
	}))
	rec := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Cookie", "messages=garbage")
	h.ServeHTTP(rec, r)
	if got := rec.Header().Get("Set-Cookie"); got != `messages=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=Lax` {
		t.Errorf("Set-Cookie %s", got)
	}
}

func TestDecode32LegacyFormats(t *testing.T) {
	s := testSettings(django.Django32)
	data := `[["__json_message",0,20,"old"]]`
	signer, _ := signedcookie.CookieSigner(&s, KeySalt)
	mac, _ := signing.SaltedHMAC(KeySalt, data, s.SecretKey, signing.SHA1)
	for name, value := range map[string]string{
		"3.1 format":     signer.Sign(data),
		"pre-3.1 format": fmt.Sprintf("%x$%s", mac, data),
	} {
		got, _, err := Decode(&s, value)
		if err != nil || len(got) != 1 || got[0].Message != "old" {
			t.Errorf("%s: %v %v", name, got, err)
		}
		s42 := testSettings(django.Django42)
		if _, _, err := Decode(&s42, value); err == nil {
			t.Errorf("%s read by 4.2", name)
		}
	}
}

func TestSizeLimit(t *testing.T) {
	for _, v := range django.Versions {
		s := testSettings(v)
		var in []Message
		for i := range 60 {
			in = append(in, Message{Level: LevelInfo, Message: fmt.Sprintf("%x", sha256.Sum256([]byte{byte(i)}))})
		}
		value, unstored, err := Encode(&s, in)
		if err != nil || len(value) > DefaultMaxCookieSize || len(unstored) == 0 {
			t.Fatalf("%v: %d bytes, %d unstored, %v", v, len(value), len(unstored), err)
		}
		got, all, _ := Decode(&s, value)
		if all || got[0] != in[len(unstored)] || len(got)+len(unstored) != len(in) {
			t.Errorf("%v: oldest not dropped", v)
		}
	}
}

func TestStorageUpdate(t *testing.T) {
	s := testSettings(django.Django61)
	// Added, not read: old and new are stored together.
	old, _, _ := Encode(&s, []Message{{Level: LevelWarning, Message: "old"}})
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Cookie", "messages="+old)
	st := NewStorage(r, &s)
	st.Add(Message{Level: LevelDebug, Message: "dropped"})
	st.Add(Message{Level: LevelInfo, Message: ""})
	st.Add(Message{Level: LevelInfo, Message: "new"})
	h := http.Header{}
	st.Update(h)
	value, _ := strings.CutPrefix(strings.Split(h.Get("Set-Cookie"), ";")[0], "messages=")
	got, _, _ := Decode(&s, value)
	if len(got) != 2 || got[0].Message != "old" || got[1].Message != "new" {
		t.Errorf("got %v", got)
	}
	// Read and nothing new: the cookie is deleted.
	st = NewStorage(r, &s)
	if m := st.Messages(); len(m) != 1 {
		t.Fatal(m)
	}
	h = http.Header{}
	st.Update(h)
	if !strings.Contains(h.Get("Set-Cookie"), "Max-Age=0") {
		t.Errorf("not deleted: %s", h.Get("Set-Cookie"))
	}
	// Untouched: nothing.
	h = http.Header{}
	NewStorage(r, &s).Update(h)
	if len(h) != 0 {
		t.Errorf("untouched storage wrote %v", h)
	}
}

func Example() {
	s := django.DefaultSettings("django-insecure-example")
	mux := http.NewServeMux()
	mux.HandleFunc("POST /profile", func(w http.ResponseWriter, r *http.Request) {
		Success(r, "Profile saved.")
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		for _, m := range Get(r) {
			fmt.Fprintf(w, "<li class=%q>%s</li>\n", m.Tags(&s), m.Message)
		}
	})
	h := Middleware(s)(mux)

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/profile", nil))
	cookie := strings.Split(rec.Header().Get("Set-Cookie"), ";")[0]

	rec = httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Cookie", cookie)
	h.ServeHTTP(rec, r)
	fmt.Print(rec.Body.String())
	fmt.Println(strings.Split(rec.Header().Get("Set-Cookie"), ";")[0])
	// Output:
	// <li class="success">Profile saved.</li>
	// messages=""
}
