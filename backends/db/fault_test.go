package db

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/pyjson"
)

// TestServerGoesAway: a database that goes away (every connection cut) or
// hangs (a proxy that stops forwarding) in the middle of a test gives
// django.ErrBackend within the context's deadline: never a panic, a hang,
// or an empty session that a save would then write over the stored one.
func TestServerGoesAway(t *testing.T) {
	for _, d := range []Dialect{Postgres, MySQL} {
		for _, mode := range []string{"cut", "stall"} {
			t.Run(d.String()+"/"+mode, func(t *testing.T) {
				direct := openDB(t, d, "", "")
				table := newTable(t, direct, d)
				target := pgAddr
				if d == MySQL {
					target = mysqlAddr
				}
				px := startProxy(t, target)
				viaProxy := openDB(t, d, px.Addr(), "")
				s := django.DefaultSettings("fault-test")
				st, err := New(viaProxy, d, s, WithTable(table))
				if err != nil {
					t.Fatal(err)
				}
				ctx := context.Background()
				good, _ := pyjson.UnmarshalDict([]byte(`{"cart":[1,2,3]}`))
				key, err := django.Create(ctx, st, good)
				if err != nil {
					t.Fatal(err)
				}
				if mode == "cut" {
					px.Cut()
				} else {
					px.Stall()
				}
				for _, op := range []string{"load", "save", "exists", "delete"} {
					ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
					start := time.Now()
					var err error
					switch op {
					case "load":
						var got *pyjson.Dict
						got, err = st.Load(ctx, key)
						if err == nil || got.Len() != 0 {
							t.Errorf("load through a dead server: %v, %v", got, err)
						}
					case "save":
						err = st.Save(ctx, key, pyjson.NewDict(0), false)
					case "exists":
						_, err = st.Exists(ctx, key)
					case "delete":
						err = st.Delete(ctx, key)
					}
					cancel()
					if !errors.Is(err, django.ErrBackend) {
						t.Errorf("%s: %v, want ErrBackend", op, err)
					}
					if errors.Is(err, django.ErrNotFound) || errors.Is(err, django.ErrUpdate) {
						t.Errorf("%s: a dead server must not look like a missing session: %v", op, err)
					}
					if el := time.Since(start); el > 3*time.Second {
						t.Errorf("%s took %v with a 500ms deadline", op, el)
					}
				}
				// The stored session is intact.
				check, err := New(direct, d, s, WithTable(table))
				if err != nil {
					t.Fatal(err)
				}
				got, err := check.Load(context.Background(), key)
				if err != nil || !got.Equal(good) {
					t.Errorf("after the fault the stored session is %v, %v", got, err)
				}
			})
		}
	}
}
