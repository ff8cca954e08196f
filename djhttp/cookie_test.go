package djhttp

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestSetCookieHeader(t *testing.T) {
	full := CookieOptions{Domain: ".ex.com", Path: "/p", Secure: true, HTTPOnly: true, SameSite: "Strict"}
	full.SetMaxAge(60, time.Unix(1700000000, 0))
	for _, tc := range []struct {
		name, value string
		o           CookieOptions
		want        string
	}{
		{"a", "b", CookieOptions{Path: "/"}, "a=b; Path=/"},
		{"a", "", CookieOptions{}, `a=""`},
		{"a", "x y", full,
			`a="x y"; Domain=.ex.com; expires=Tue, 14 Nov 2023 22:14:20 GMT; HttpOnly; Max-Age=60; Path=/p; SameSite=Strict; Secure`},
		{"a", `q"\é`, CookieOptions{}, `a="q\"\\\351"`},
	} {
		if got := SetCookieHeader(tc.name, tc.value, tc.o); got != tc.want {
			t.Errorf("got  %s\nwant %s", got, tc.want)
		}
	}
	if got := DeleteCookieHeader("__Host-x", CookieOptions{SameSite: "Lax"}); got != `__Host-x=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=Lax; Secure` {
		t.Error(got)
	}
}

func TestParseCookieLikeDjango(t *testing.T) {
	got := ParseCookie(`sessionid=a; other="x\054y"; sessionid=b; novalue; =e; spaced = v `)
	want := map[string]string{"sessionid": "b", "other": "x,y", "": "e", "spaced": "v"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v want %v", got, want)
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Add("Cookie", "a=1; b=2")
	r.Header.Add("Cookie", "a=3")
	if got := RequestCookies(r); got["a"] != "3" || got["b"] != "2" {
		t.Errorf("RequestCookies over two headers: %v", got)
	}
}

// TestPatchVaryHeaders follows Django's test_patch_vary_headers.
func TestPatchVaryHeaders(t *testing.T) {
	for _, tc := range []struct {
		initial string
		add     []string
		want    string
	}{
		{"", []string{"Accept-Encoding"}, "Accept-Encoding"},
		{"Accept-Encoding", []string{"accept-encoding"}, "Accept-Encoding"},
		{"Accept-Encoding", []string{"ACCEPT-ENCODING"}, "Accept-Encoding"},
		{"Cookie", []string{"Accept-Encoding"}, "Cookie, Accept-Encoding"},
		{"Cookie, Accept-Encoding", []string{"Accept-Encoding"}, "Cookie, Accept-Encoding"},
		{"Cookie, Accept-Encoding", []string{"Accept-Encoding", "cookie"}, "Cookie, Accept-Encoding"},
		{"", []string{"Accept-Encoding", "Cookie"}, "Accept-Encoding, Cookie"},
		{"Cookie,     Accept-Encoding", []string{"Accept-Encoding", "cookie"}, "Cookie, Accept-Encoding"},
		{"*", []string{"Accept-Language", "Cookie"}, "*"},
		{"Accept-Language, Cookie", []string{"*"}, "*"},
		{"Accept-Language, Cookie", []string{"*", "Accept-Encoding"}, "*"},
	} {
		h := http.Header{}
		if tc.initial != "" {
			h.Set("Vary", tc.initial)
		}
		PatchVaryHeaders(h, tc.add...)
		if got := h.Get("Vary"); got != tc.want {
			t.Errorf("Vary %q + %q: got %q, want %q", tc.initial, tc.add, got, tc.want)
		}
	}
}

func TestHTTPDate(t *testing.T) {
	// Django's test_http_date: datetime(2006, 11, 6, 13, 47, 12, 123456).
	in := time.Date(2006, 11, 6, 13, 47, 12, 123456000, time.FixedZone("CET", 3600))
	if got := HTTPDate(in); got != "Mon, 06 Nov 2006 12:47:12 GMT" {
		t.Error(got)
	}
}
