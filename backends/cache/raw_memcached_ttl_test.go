package cache

import (
	"fmt"
	"testing"
	"time"

	"github.com/djsession/djsession/pyjson"
)

// TestListerMemcachedTTLAtHandOut: the memcached lister counts an entry's
// TTL when it hands the entry out, not when the metadump started, so a
// consumer that takes its time is not handed a TTL longer than the
// entry has left (what mg reads then), and a copy made from it does not
// outlive or undercut the original by the time the listing took.
func TestListerMemcachedTTLAtHandOut(t *testing.T) {
	ctx := ctxT(t)
	lc := listers(t, runID+"ttl")[0]
	if lc.name != "memcached" {
		t.Fatalf("listers()[0] is %s, want memcached", lc.name)
	}
	var keys []string
	for i := range 2 {
		k := fmt.Sprintf("ttl%02dabcdefghijklmnopqrstuvwxyz", i)
		if err := lc.cache.Set(ctx, KeyPrefix+k, pyjson.NewDict(0), 100); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	t.Cleanup(func() {
		for _, k := range keys {
			lc.cache.Delete(ctx, KeyPrefix+k)
		}
	})
	n := 0
	for e, err := range lc.l.Entries(ctx, Scan{SessionPrefix: KeyPrefix, Batch: 1}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		now, found, err := lc.l.GetEntry(ctx, KeyPrefix+e.Key)
		if err != nil || !found {
			t.Fatalf("GetEntry: %v, %v", found, err)
		}
		if d := e.TTL - now.TTL; d < -time.Second || d > time.Second {
			t.Errorf("entry %d: listed TTL %v, mg reads %v", n, e.TTL, now.TTL)
		}
		if n == 1 {
			// A slow consumer: the next entry is handed out later.
			time.Sleep(2500 * time.Millisecond)
		}
	}
	if n != len(keys) {
		t.Fatalf("listed %d entries, want %d", n, len(keys))
	}
}
