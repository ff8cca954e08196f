package compat_test

import (
	"errors"
	"strings"
	"testing"

	djsession "github.com/djsession/djsession/django"
	"github.com/djsession/djsession/pyjson"
	"github.com/djsession/djsession/signing"
)

// nestedJSON is depth lists, each inside the next.
func nestedJSON(depth int) string {
	return strings.Repeat("[", depth) + strings.Repeat("]", depth)
}

// sizedJSON is a JSON object of exactly n bytes: {"a":"xx..."}.
func sizedJSON(n int) string {
	return `{"a":"` + strings.Repeat("x", n-len(`{"a":""}`)) + `"}`
}

// TestLimitsAgreeWithDjango: what Go writes at its limits (pyjson.MaxDepth
// levels, signing.DefaultMaxDecompressedSize bytes) Django 5.2 loads; one
// step past, Go refuses to write it; and what Django writes past them Go
// reads as a limit error (signing.ErrLimit), not as corrupt data, although
// Django reads it fine.
func TestLimitsAgreeWithDjango(t *testing.T) {
	const v = "5.2"
	dj := django(t, v)
	o := goOptions(v, "")
	loads := func(t *testing.T, token string) map[string]any {
		t.Helper()
		return dj.mustCall(t, map[string]any{"op": "loads", "token": token, "key": secret, "salt": "django.core.signing", "now": t0})
	}
	for _, c := range []struct {
		name     string
		at, past string
		kind     error
	}{
		{"depth", nestedJSON(pyjson.MaxDepth), nestedJSON(pyjson.MaxDepth + 1), pyjson.ErrTooDeep},
		{"size", sizedJSON(signing.DefaultMaxDecompressedSize), sizedJSON(signing.DefaultMaxDecompressedSize + 1), signing.ErrTooLarge},
	} {
		t.Run(c.name, func(t *testing.T) {
			// At the limit: Go writes it, Django loads it.
			tok, err := signing.Dumps(mustValue(t, c.at), o, true)
			if err != nil {
				t.Fatalf("Go dumps at the limit: %v", err)
			}
			r := loads(t, tok)
			okOrFatal(t, r, "Django loads Go's token at the limit")
			sameValue(t, "Django loads(Go dumps) at the limit", str(r, "value_json"), c.at)

			// One step past: Go refuses to write it.
			if _, err := signing.Dumps(mustValueDeep(t, c.past), o, true); !errors.Is(err, c.kind) || !errors.Is(err, signing.ErrLimit) {
				t.Errorf("Go dumps past the limit: %v, want %v", err, c.kind)
			}

			// Django writes it and reads it; Go says "beyond my limit".
			r = dj.mustCall(t, map[string]any{"op": "dumps", "value_json": c.past, "key": secret, "salt": "django.core.signing", "compress": true, "now": t0})
			okOrFatal(t, r, "Django dumps past Go's limit")
			djTok := str(r, "token")
			okOrFatal(t, loads(t, djTok), "Django loads its own token past Go's limit")
			_, err = signing.Loads(djTok, o)
			if !errors.Is(err, c.kind) || !errors.Is(err, signing.ErrLimit) || errors.Is(err, signing.ErrMalformed) || errors.Is(err, signing.ErrBadSignature) {
				t.Errorf("Go loads Django's token past the limit: %v, want %v (ErrLimit), not ErrMalformed", err, c.kind)
			}
		})
	}
}

// mustValueDeep builds the value of text even past pyjson.MaxDepth (which
// Unmarshal refuses): nested lists are made in Go.
func mustValueDeep(t *testing.T, text string) any {
	t.Helper()
	if n := strings.Count(text, "["); n > 0 && text == nestedJSON(n) {
		var v any = []any{}
		for range n - 1 {
			v = []any{v}
		}
		return v
	}
	return mustValue(t, text)
}

// TestLargeSessionBothWays: the 23 KB logged-in session of issue 9, which
// Go once replaced with an empty one, travels both ways through the db
// engine's session_data, compressed.
func TestLargeSessionBothWays(t *testing.T) {
	const v = "5.2"
	dj := django(t, v)
	sessionJSON := cartJSON(350)
	if len(sessionJSON) < 23000 {
		t.Fatalf("test session is %d bytes, want 23 KB", len(sessionJSON))
	}
	s := djsession.DefaultSettings(secret)
	s.DjangoVersion, _ = djsession.ParseVersion(v)
	s.Clock = fixedClock(t0)
	codec, err := djsession.NewCodec(s)
	if err != nil {
		t.Fatal(err)
	}
	r := dj.mustCall(t, map[string]any{"op": "encode", "engine": "db", "session_json": sessionJSON, "key": secret, "now": t0})
	okOrFatal(t, r, "Django encodes")
	got, err := codec.Decode(str(r, "data"))
	if err != nil {
		t.Fatalf("Go decodes Django's 23 KB session: %v", err)
	}
	gb, _ := pyjson.Marshal(got)
	sameValue(t, "Go decode(Django encode)", string(gb), sessionJSON)

	got.Set("visits", int64(1))
	data, err := codec.Encode(got)
	if err != nil {
		t.Fatalf("Go encodes it again: %v", err)
	}
	r = dj.mustCall(t, map[string]any{"op": "decode", "engine": "db", "data": data, "key": secret, "now": t0})
	okOrFatal(t, r, "Django decodes Go's session")
	want, _ := pyjson.Marshal(got)
	sameValue(t, "Django decode(Go encode)", str(r, "value_json"), string(want))
}

// TestDepthLimitEveryVersion: a session nested pyjson.MaxDepth levels deep,
// as Go's codec writes it, is decoded by SessionStore.decode of every
// Django version (3.2 to 5.2 on CPython 3.11, whose json.loads stops near
// 1000 levels minus the caller's stack; 6.1 on 3.13).
func TestDepthLimitEveryVersion(t *testing.T) {
	sessionJSON := `{"a":` + nestedJSON(pyjson.MaxDepth-1) + `}`
	for _, v := range versions {
		t.Run(v, func(t *testing.T) {
			dj := django(t, v)
			s := djsession.DefaultSettings(secret)
			s.DjangoVersion, _ = djsession.ParseVersion(v)
			s.Clock = fixedClock(t0)
			codec, err := djsession.NewCodec(s)
			if err != nil {
				t.Fatal(err)
			}
			data, err := codec.Encode(mustValue(t, sessionJSON).(*pyjson.Dict))
			if err != nil {
				t.Fatalf("Go encodes a session of MaxDepth levels: %v", err)
			}
			r := dj.mustCall(t, map[string]any{"op": "decode", "engine": "db", "data": data, "key": secret, "now": t0})
			okOrFatal(t, r, "Django decodes it")
			sameValue(t, "Django decode(Go encode)", str(r, "value_json"), sessionJSON)
		})
	}
}
