package cache

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/redis/go-redis/v9"

	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/pyjson"
)

// sharedTuplesPickle is {((S,)*100,)*100} with S a str of n bytes: the
// value of issue 9 whose decode, with n = 16 KiB, took seconds and
// gigabytes inside Load (10,000 references to S, each once rehashed).
func sharedTuplesPickle(n int) []byte {
	b := []byte{0x80, 4, 0x8f, '(', '(', '(', 'X'}
	b = binary.LittleEndian.AppendUint32(b, uint32(n))
	b = append(b, bytes.Repeat([]byte("s"), n)...)
	b = append(b, 0x94)
	b = append(b, bytes.Repeat([]byte{'h', 0}, 99)...)
	b = append(b, 't', 0x94)
	b = append(b, bytes.Repeat([]byte{'h', 1}, 99)...)
	return append(b, 't', 0x90, '.')
}

// setOfIntsPickle is {0, 1, ..., n-1}: a value whose decode takes time in
// proportion to its size, and a lot of it for n near MaxItems.
func setOfIntsPickle(n int) []byte {
	b := []byte{0x80, 4, 0x8f, '('}
	for i := range n {
		b = append(b, 'J')
		b = binary.LittleEndian.AppendUint32(b, uint32(i))
	}
	return append(b, 0x90, '.')
}

// allocated returns the bytes allocated while f runs.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestHostileValueInMemcached is issue 9's report: an 18 KB value under
// :1:django.contrib.sessions.cache<key> made Load run for seconds and
// allocate gigabytes past a 500 ms deadline. It is now refused as what it
// is (a set, not a session dict) well within the deadline.
func TestHostileValueInMemcached(t *testing.T) {
	addr := startMemcached(t)
	c := newMemcached(t, memcache.New(addr), PyMemcacheCache, Options{})
	st := newStore(t, c)
	key := "hostilevalue0000000000000000001"
	sk, err := c.Key(st.CacheKey(key))
	if err != nil {
		t.Fatal(err)
	}
	value := sharedTuplesPickle(16 << 10)
	rawSet(t, addr, sk, flagPickle, 0, value)
	const deadline = 500 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	var d *pyjson.Dict
	start := time.Now()
	alloc := allocated(func() { d, err = st.Load(ctx, key) })
	elapsed := time.Since(start)
	t.Logf("Load: %v, %d bytes allocated, %v", elapsed, alloc, err)
	if !errors.Is(err, ErrBadValue) || d != nil {
		t.Errorf("Load = %v, %v; want ErrBadValue", d, err)
	}
	if elapsed > deadline+time.Second {
		t.Errorf("Load took %v with a %v deadline", elapsed, deadline)
	}
	if limit := uint64(16*len(value) + 4<<20); alloc > limit {
		t.Errorf("Load of %d bytes allocated %d bytes, want at most %d", len(value), alloc, limit)
	}
}

// deadlineHook holds each GET's answer until 1 ms before the request's
// deadline, so that the deadline passes while the value is decoded: what
// a slow network and a costly value do together, made certain.
type deadlineHook struct{}

func (deadlineHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (deadlineHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		if dl, ok := ctx.Deadline(); ok && cmd.Name() == "get" {
			time.Sleep(time.Until(dl) - time.Millisecond)
		}
		return err
	}
}

func (deadlineHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// TestDecodeKeepsTheDeadline: a value fetched just before the deadline and
// slow to decode makes Load return by the deadline (plus scheduling slack)
// with the context's error as a backend failure (django.ErrBackend,
// context.DeadlineExceeded), not after decoding it all, and not as a bad
// value: the decode runs under the request's context.
func TestDecodeKeepsTheDeadline(t *testing.T) {
	rc := redisClient(t, 0)
	rc.AddHook(deadlineHook{})
	c, err := NewRedis(RedisCache, Options{KeyPrefix: runID}, rc)
	if err != nil {
		t.Fatal(err)
	}
	st := newStore(t, c)
	key := "slowvalue00000000000000000000001"
	sk := c.Key(st.CacheKey(key))
	value := setOfIntsPickle(900_000) // 4.5 MB, under MaxItems
	if err := rc.Set(ctxT(t), sk, value, time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rc.Del(context.Background(), sk) })

	const deadline = 300 * time.Millisecond
	const slack = 250 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	var d *pyjson.Dict
	start := time.Now()
	alloc := allocated(func() { d, err = st.Load(ctx, key) })
	elapsed := time.Since(start)
	t.Logf("Load: %v, %d bytes allocated, %v", elapsed, alloc, err)
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, django.ErrBackend) || errors.Is(err, ErrBadValue) || d != nil {
		t.Errorf("Load = %v, %v; want ErrBackend and DeadlineExceeded", d, err)
	}
	if elapsed > deadline+slack {
		t.Errorf("Load took %v with a %v deadline", elapsed, deadline)
	}
	if limit := uint64(8 * len(value)); alloc > limit {
		t.Errorf("Load of %d bytes allocated %d bytes, want at most %d", len(value), alloc, limit)
	}
}
