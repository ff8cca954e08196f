package cache

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/djsession/djsession/internal/testnet"
)

// Test servers: the tests start their own memcached processes on free
// loopback ports and use the Redis at 127.0.0.1:6379 (DJSESSION_REDIS_ADDR
// overrides it) with a random KEY_PREFIX per run. Under CI=true a missing
// server fails the test; otherwise the test is skipped with the reason.

var runID = func() string {
	b := make([]byte, 6)
	rand.Read(b)
	return "djst" + hex.EncodeToString(b)
}()

func inCI() bool { return os.Getenv("CI") == "true" }

func missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if inCI() {
		t.Fatalf(format, args...)
	}
	t.Skipf(format+" (skipping; under CI=true this fails)", args...)
}

func memcachedBinary(t testing.TB) string {
	t.Helper()
	bin, err := testnet.MemcachedBinary()
	if err != nil {
		missing(t, "%v", err)
	}
	return bin
}

// freePort returns a loopback TCP port nobody listens on right now.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startMemcached starts a memcached owned by the test on a free port and
// returns "127.0.0.1:port"; it is killed when the test ends.
func startMemcached(t testing.TB) string {
	t.Helper()
	addr, stop, err := testnet.StartMemcached(memcachedBinary(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return addr
}

func redisAddr() string {
	if a := os.Getenv("DJSESSION_REDIS_ADDR"); a != "" {
		return a
	}
	return "127.0.0.1:6379"
}

func pingRedis() error {
	c := redis.NewClient(&redis.Options{Addr: redisAddr(), MaxRetries: -1})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return c.Ping(ctx).Err()
}

// redisClient returns a client of the test Redis on db, or skips.
func redisClient(t testing.TB, db int) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: redisAddr(), DB: db})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		c.Close()
		missing(t, "Redis is not reachable at %s: %v", redisAddr(), err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// meta is memcached's answer to "mg <key> t f v s".
type meta struct {
	found bool
	ttl   int64 // -1: never expires
	flags uint32
	value []byte
}

// rawMeta asks a memcached server directly for an item's TTL, flags and
// value, bypassing every client library.
func rawMeta(t testing.TB, addr, key string) meta {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		t.Fatalf("raw memcached connection: %v", err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	fmt.Fprintf(c, "mg %s t f v s\r\n", key)
	r := bufio.NewReader(c)
	line, err := r.ReadString('\n')
	if err != nil {
		t.Fatalf("mg: %v", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "EN" {
		return meta{}
	}
	fields := strings.Fields(line)
	if len(fields) < 2 || fields[0] != "VA" {
		t.Fatalf("mg answered %q", line)
	}
	size, _ := strconv.Atoi(fields[1])
	m := meta{found: true}
	for _, f := range fields[2:] {
		switch f[0] {
		case 't':
			m.ttl, _ = strconv.ParseInt(f[1:], 10, 64)
		case 'f':
			v, _ := strconv.ParseUint(f[1:], 10, 32)
			m.flags = uint32(v)
		}
	}
	m.value = make([]byte, size+2)
	if _, err := io.ReadFull(r, m.value); err != nil {
		t.Fatalf("mg value: %v", err)
	}
	m.value = m.value[:size]
	return m
}

// rawSet stores an item on a memcached server directly.
func rawSet(t testing.TB, addr, key string, flags uint32, exptime int64, value []byte) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		t.Fatalf("raw memcached connection: %v", err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	fmt.Fprintf(c, "set %s %d %d %d\r\n", key, flags, exptime, len(value))
	c.Write(value)
	c.Write([]byte("\r\n"))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || line != "STORED\r\n" {
		t.Fatalf("raw set: %q %v", line, err)
	}
}

// newProxy starts a testnet.Proxy to target, cut when the test ends.
func newProxy(t testing.TB, target string) *testnet.Proxy {
	t.Helper()
	p, err := testnet.NewProxy(target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Cut)
	return p
}

// memcachedCommands splits a recorded client stream into command lines
// (data blocks of storage commands skipped).
func memcachedCommands(b []byte) []string {
	var out []string
	for len(b) > 0 {
		i := bytes.Index(b, []byte("\r\n"))
		if i < 0 {
			break
		}
		line := string(b[:i])
		b = b[i+2:]
		out = append(out, line)
		f := strings.Fields(line)
		if len(f) >= 5 && (f[0] == "set" || f[0] == "add" || f[0] == "replace" || f[0] == "cas") {
			n, _ := strconv.Atoi(f[4])
			if n+2 <= len(b) {
				b = b[n+2:]
			}
		}
	}
	return out
}

// redisCommands parses a recorded RESP stream into commands (arguments
// holding binary data abbreviated).
func redisCommands(b []byte) [][]string {
	var out [][]string
	r := bufio.NewReader(bytes.NewReader(b))
	for {
		line, err := r.ReadString('\n')
		if err != nil || !strings.HasPrefix(line, "*") {
			return out
		}
		n, _ := strconv.Atoi(strings.TrimSpace(line[1:]))
		var cmd []string
		for range n {
			h, err := r.ReadString('\n')
			if err != nil || !strings.HasPrefix(h, "$") {
				return out
			}
			l, _ := strconv.Atoi(strings.TrimSpace(h[1:]))
			arg := make([]byte, l+2)
			if _, err := io.ReadFull(r, arg); err != nil {
				return out
			}
			s := string(arg[:l])
			if strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r >= 0x7f }) {
				s = fmt.Sprintf("<%d bytes>", l)
			}
			cmd = append(cmd, s)
		}
		out = append(out, cmd)
	}
}
