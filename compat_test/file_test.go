package compat_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/djsession/djsession/backends/file"
	djsession "github.com/djsession/djsession/django"
	"github.com/djsession/djsession/pyjson"
)

// TestFileEngine: Django's file engine and Go's share a directory, for
// every version and both USE_TZ settings.
func TestFileEngine(t *testing.T) {
	ctx := context.Background()
	for _, v := range versions {
		for _, useTZ := range []bool{true, false} {
			name := v + "/USE_TZ=" + map[bool]string{true: "True", false: "False"}[useTZ]
			t.Run(name, func(t *testing.T) {
				dj := django(t, v)
				dir := t.TempDir()
				tz := "America/Chicago"
				s := djsession.DefaultSettings(secret)
				s.DjangoVersion, _ = djsession.ParseVersion(v)
				s.SessionFilePath = dir
				s.UseTZ = useTZ
				s.TimeZone = tz
				st, err := file.New(s)
				if err != nil {
					t.Fatal(err)
				}
				call := func(req map[string]any) map[string]any {
					t.Helper()
					req["op"] = "file"
					req["path"] = dir
					req["key"] = secret
					req["use_tz"] = useTZ
					req["time_zone"] = tz
					r := dj.mustCall(t, req)
					okOrFatal(t, r, "Django file engine")
					return r
				}
				payload := values[1].json

				// Django writes, Go reads.
				key := str(call(map[string]any{"action": "save", "session_json": payload}), "session_key")
				got, err := st.Load(ctx, key)
				if err != nil {
					t.Fatalf("Go loads Django's file: %v", err)
				}
				sameValue(t, "Go load(Django save)", mustJSON(got), payload)

				// Go modifies, Django sees the change.
				got.Set("visits", int64(43))
				if err := st.Save(ctx, key, got, false); err != nil {
					t.Fatal(err)
				}
				r := call(map[string]any{"action": "load", "session_key": key})
				sameValue(t, "Django load(Go update)", str(r, "value_json"), mustJSON(got))

				// Go creates, Django reads.
				d := mustValue(t, values[3].json).(*pyjson.Dict)
				goKey, err := djsession.Create(ctx, st, d)
				if err != nil {
					t.Fatal(err)
				}
				r = call(map[string]any{"action": "load", "session_key": goKey})
				sameValue(t, "Django load(Go create)", str(r, "value_json"), values[3].json)
				if str(r, "session_key") != goKey {
					t.Errorf("Django dropped the key: %v", r)
				}

				// Deleted by Django while Go holds it: Go's save is ErrUpdate.
				call(map[string]any{"action": "delete", "session_key": goKey})
				if err := st.Save(ctx, goKey, d, false); !errors.Is(err, djsession.ErrUpdate) {
					t.Errorf("Go save after Django's delete: %v, want ErrUpdate", err)
				}
				if r := call(map[string]any{"action": "exists", "session_key": goKey}); r["exists"] != false {
					t.Errorf("the session came back: %v", r)
				}
			})
		}
	}
}

// TestFileEngineExpiry: the same files are expired for Django and Go, and
// clear_expired from either side keeps exactly the same ones.
func TestFileEngineExpiry(t *testing.T) {
	ctx := context.Background()
	for _, v := range versions {
		for _, useTZ := range []bool{true, false} {
			name := v + "/USE_TZ=" + map[bool]string{true: "True", false: "False"}[useTZ]
			t.Run(name, func(t *testing.T) {
				dj := django(t, v)
				now := time.Now()
				layout := func(dir string, st *file.Store, s *djsession.Settings) {
					t.Helper()
					w := func(key string, d string) string {
						if err := st.Save(ctx, key, mustValue(t, d).(*pyjson.Dict), true); err != nil {
							t.Fatal(err)
						}
						return filepath.Join(dir, "sessionid"+key)
					}
					old := now.Add(-time.Duration(s.SessionCookieAge+5) * time.Second)
					os.Chtimes(w("oldmtime0000000a", `{"a":1}`), old, old)
					w("freshmtime00000b", `{"a":1}`)
					os.Chtimes(w("seconds000000000", `{"a":1,"_session_expiry":300}`), old, old)
					w("negative00000000", `{"a":1,"_session_expiry":-1}`)
					os.WriteFile(filepath.Join(dir, "sessionidplaceholder00"), nil, 0o600)
					if v != "3.2" {
						past := now.Add(-time.Minute).UTC().Format("2006-01-02T15:04:05+00:00")
						future := now.Add(time.Hour).UTC().Format("2006-01-02T15:04:05+00:00")
						if !useTZ {
							loc, _ := time.LoadLocation(s.TimeZone)
							past = now.Add(-time.Minute).In(loc).Format("2006-01-02T15:04:05")
							future = now.Add(time.Hour).In(loc).Format("2006-01-02T15:04:05")
						}
						w("isopast000000000", `{"a":1,"_session_expiry":"`+past+`"}`)
						w("isofuture0000000", `{"a":1,"_session_expiry":"`+future+`"}`)
					}
				}
				survivors := func(dir string) []string {
					entries, _ := os.ReadDir(dir)
					var names []string
					for _, e := range entries {
						names = append(names, e.Name())
					}
					sort.Strings(names)
					return names
				}
				var results [2][]string
				for i, who := range []string{"Django", "Go"} {
					dir := t.TempDir()
					s := djsession.DefaultSettings(secret)
					s.DjangoVersion, _ = djsession.ParseVersion(v)
					s.SessionFilePath = dir
					s.UseTZ = useTZ
					s.TimeZone = "America/Chicago"
					st, err := file.New(s)
					if err != nil {
						t.Fatal(err)
					}
					layout(dir, st, &s)
					if who == "Django" {
						r := dj.mustCall(t, map[string]any{"op": "file", "action": "clear_expired", "path": dir, "key": secret, "use_tz": useTZ, "time_zone": s.TimeZone})
						okOrFatal(t, r, "Django clear_expired")
					} else if err := st.ClearExpired(ctx); err != nil {
						t.Fatal(err)
					}
					results[i] = survivors(dir)
				}
				if mustJSON(toList(results[0])) != mustJSON(toList(results[1])) {
					t.Errorf("clear_expired keeps\n Django %v\n Go     %v", results[0], results[1])
				}
				if len(results[0]) < 3 {
					t.Errorf("suspiciously few survivors: %v", results[0])
				}
			})
		}
	}
}

func toList(s []string) []any {
	out := make([]any, len(s))
	for i, x := range s {
		out[i] = x
	}
	return out
}
