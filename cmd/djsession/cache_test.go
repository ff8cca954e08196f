package main

import (
	"errors"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/djsession/djsession/backends/cache"
	"github.com/djsession/djsession/internal/testnet"
)

// TestCLIMemcachedClock: --now is the clock of memcached's absolute
// expiration times too. A session that lives more than 30 days is stored
// with the absolute time --now + expiry (Django's get_backend_timeout),
// not the system clock's; a shorter one stays relative. The --now used is
// 10 days ahead of the system clock, so the server's TTL tells which clock
// made the time.
func TestCLIMemcachedClock(t *testing.T) {
	bin, err := testnet.MemcachedBinary()
	if errors.Is(err, testnet.ErrNoMemcached) {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skipf("%v (skipping; under CI=true this fails)", err)
	}
	addr, stop, err := testnet.StartMemcached(bin)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	const ahead = 10 * 24 * 3600
	now := time.Now().Unix() + ahead
	for _, c := range []struct {
		name   string
		expiry int64
		ttl    int64 // what the server should report, give or take a minute
	}{
		{"over 30 days: absolute, from --now", 40 * 24 * 3600, 40*24*3600 + ahead},
		{"30 days: relative", cache.MemcachedMaxRelative, cache.MemcachedMaxRelative},
		{"an hour: relative", 3600, 3600},
	} {
		t.Run(c.name, func(t *testing.T) {
			key := "abcdefgh0123456789abcdefgh" + strconv.FormatInt(c.expiry, 36)
			flags := []string{"--engine", "cache", "--cache", "memcached://" + addr, "--now", strconv.FormatInt(now, 10), "--secret-key", vectorKey}
			exp := strconv.FormatInt(c.expiry, 10)
			if code, _, e := djs(t, `{"a":1}`, nil, append([]string{"set", key, "--expiry", exp}, flags...)...); code != 0 {
				t.Fatalf("set: exit %d %s", code, e)
			}
			ttl, found, err := testnet.MemcachedTTL(addr, cache.MakeKey(cache.KeyPrefix+key, "", 1))
			if err != nil || !found {
				t.Fatalf("the server has no item (found %v, %v)", found, err)
			}
			if ttl < c.ttl-60 || ttl > c.ttl {
				t.Errorf("memcached TTL %d s, want %d s (give or take a minute): %d days, want %d", ttl, c.ttl, ttl/86400, c.ttl/86400)
			}
			code, out, e := djs(t, "", nil, append([]string{"get", key}, flags...)...)
			if want := `{"a":1,"_session_expiry":` + exp + "}\n"; code != 0 || out != want {
				t.Errorf("get: exit %d %q %s, want %q", code, out, e, want)
			}
		})
	}
}
