package cache

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bradfitz/gomemcache/memcache"

	"github.com/djsession/djsession/django"
)

// MemcachedLister is the raw access to a memcached cache's entries (a
// Lister). gomemcache has no command to list keys, nor to read a TTL, so
// the lister talks to the servers itself: lru_crawler metadump (of the hash
// table since memcached 1.6.10, of the LRUs since 1.4.31) lists the keys,
// get fetches values, mg (meta get, memcached 1.6) reads one entry with its
// TTL. Adds go through the cache's own client, to the server Django's
// library picks.
type MemcachedLister struct {
	m       *Memcached
	servers memcache.ServerSelector
	mu      sync.Mutex
	idle    map[string][]*mcConn // GetEntry's connections, by server
}

// maxIdlePerServer bounds GetEntry's idle connections to each server.
const maxIdlePerServer = 2

var _ Lister = (*MemcachedLister)(nil)

// NewMemcachedLister returns the lister of m over servers: the selector m's
// client was made with (a *Selector from MemcachedLibrary.Selector, or a
// *memcache.ServerList), whose Each names every server to list and whose
// PickServer places GetEntry. A nil m or servers is an error wrapping
// django.ErrImproperlyConfigured.
func NewMemcachedLister(m *Memcached, servers memcache.ServerSelector) (*MemcachedLister, error) {
	if m == nil || servers == nil {
		return nil, fmt.Errorf("%w: cache: NewMemcachedLister needs the cache and its servers", django.ErrImproperlyConfigured)
	}
	return &MemcachedLister{m: m, servers: servers}, nil
}

// timeout is the per-read deadline on a lister's connections: the client's
// own (gomemcache's default 500 ms), at least 5 seconds, since a metadump
// of a large cache pauses while the crawler walks.
func (l *MemcachedLister) timeout() time.Duration {
	return max(l.m.client.Timeout, 5*time.Second)
}

// mcConn is one text-protocol connection, closed when ctx ends.
type mcConn struct {
	nc      net.Conn
	r       *bufio.Reader
	timeout time.Duration
	addr    string
	ctx     context.Context
	stop    func() bool
}

func (l *MemcachedLister) dial(ctx context.Context, addr net.Addr) (*mcConn, error) {
	var d net.Dialer
	dctx, cancel := context.WithTimeout(ctx, l.timeout())
	defer cancel()
	nc, err := d.DialContext(dctx, addr.Network(), addr.String())
	if err != nil {
		return nil, backendErr("memcached dial "+addr.String(), err)
	}
	c := &mcConn{nc: nc, r: bufio.NewReaderSize(nc, 64<<10), timeout: l.timeout(), addr: addr.String()}
	c.bind(ctx)
	return c, nil
}

// bind makes ctx the connection's: its deadline bounds every read and
// write, and its end closes the connection.
func (c *mcConn) bind(ctx context.Context) {
	c.ctx = ctx
	nc := c.nc
	c.stop = context.AfterFunc(ctx, func() { nc.Close() })
}

func (c *mcConn) close() {
	c.stop()
	c.nc.Close()
}

// conn returns an idle connection to addr, or a new one.
func (l *MemcachedLister) conn(ctx context.Context, addr net.Addr) (*mcConn, error) {
	l.mu.Lock()
	if cs := l.idle[addr.String()]; len(cs) > 0 {
		c := cs[len(cs)-1]
		l.idle[addr.String()] = cs[:len(cs)-1]
		l.mu.Unlock()
		c.bind(ctx)
		return c, nil
	}
	l.mu.Unlock()
	return l.dial(ctx, addr)
}

// release keeps c for the next GetEntry when its exchange completed (ok)
// and its context did not close it; else it closes c.
func (l *MemcachedLister) release(c *mcConn, ok bool) {
	if !c.stop() || !ok || c.r.Buffered() > 0 {
		c.nc.Close()
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.idle == nil {
		l.idle = map[string][]*mcConn{}
	}
	if len(l.idle[c.addr]) >= maxIdlePerServer {
		c.nc.Close()
		return
	}
	l.idle[c.addr] = append(l.idle[c.addr], c)
}

// deadline extends the connection's deadline by the timeout, within ctx's.
func (c *mcConn) deadline() {
	t := time.Now().Add(c.timeout)
	if d, ok := c.ctx.Deadline(); ok && d.Before(t) {
		t = d
	}
	c.nc.SetDeadline(t)
}

func (c *mcConn) send(cmd string) error {
	c.deadline()
	_, err := io.WriteString(c.nc, cmd)
	return c.err(err)
}

func (c *mcConn) line() (string, error) {
	c.deadline()
	s, err := c.r.ReadString('\n')
	if err != nil {
		return "", c.err(err)
	}
	return strings.TrimRight(s, "\r\n"), nil
}

// err is a failed read or write, with ctx's error when ctx ended it.
func (c *mcConn) err(err error) error {
	if err == nil {
		return nil
	}
	if cerr := c.ctx.Err(); cerr != nil {
		err = errors.Join(cerr, err)
	}
	return backendErr("memcached "+c.nc.RemoteAddr().String(), err)
}

// Entries lists each server's keys with lru_crawler metadump, keeps
// the session keys scan selects (and those not expired), and fetches the
// values of each batch with one get on a second connection to the same
// server. The TTL is metadump's expiry time less the server's own time
// (stats), less the time since the server told it, counted when the
// entry is handed out, to the second: a long dump or a slow consumer
// does not make it stale, and a server whose clock is off from this
// machine's (memcached counts on a monotonic clock from its start) does
// not shift it. A
// server busy with another crawl is asked again until ctx ends; one that
// refuses (lru_crawler disabled) is ErrNotListable.
func (l *MemcachedLister) Entries(ctx context.Context, scan Scan) iter.Seq2[Entry, error] {
	return func(yield func(Entry, error) bool) {
		pats, err := patterns(&l.m.opts, scan)
		if err != nil {
			yield(Entry{}, err)
			return
		}
		var addrs []net.Addr
		if err := l.servers.Each(func(a net.Addr) error { addrs = append(addrs, a); return nil }); err != nil {
			yield(Entry{}, backendErr("memcached servers", err))
			return
		}
		for _, a := range addrs {
			if !l.listServer(ctx, a, pats, scan, yield) {
				return
			}
		}
	}
}

// listServer lists one server; false when the iteration must stop.
func (l *MemcachedLister) listServer(ctx context.Context, addr net.Addr, pats []keyPattern, scan Scan,
	yield func(Entry, error) bool) bool {
	dump, err := l.dial(ctx, addr)
	if err != nil {
		yield(Entry{}, err)
		return false
	}
	defer dump.close()
	serverNow, asked, err := serverTime(dump)
	if err != nil {
		yield(Entry{}, err)
		return false
	}
	// ttl is the TTL now of an entry metadump says expires at exp.
	ttl := func(exp int64) time.Duration {
		return (time.Duration(exp-serverNow)*time.Second - time.Since(asked)).Truncate(time.Second)
	}
	if err := l.startDump(ctx, dump); err != nil {
		yield(Entry{}, err)
		return false
	}
	var values *mcConn
	defer func() {
		if values != nil {
			values.close()
		}
	}()
	batch := make([]Entry, 0, scan.batch())
	// The expiry times (Unix seconds) of the batch's entries that have
	// one, by cache key: the TTL is counted when an entry is handed out,
	// not when the dump listed it, which on a large or busy server can be
	// seconds or minutes earlier.
	expires := make(map[string]int64, scan.batch())
	flush := func() bool {
		if len(batch) == 0 {
			return true
		}
		if !scan.KeysOnly {
			if values == nil {
				if values, err = l.dial(ctx, addr); err != nil {
					yield(Entry{}, err)
					return false
				}
			}
			if batch, err = getValues(values, batch); err != nil {
				yield(Entry{}, err)
				return false
			}
		}
		for _, e := range batch {
			if exp, ok := expires[e.CacheKey]; ok {
				if e.TTL = ttl(exp); e.TTL <= 0 {
					continue // expired since the dump listed it
				}
			}
			if !yield(e, nil) {
				return false
			}
		}
		batch = batch[:0]
		clear(expires)
		return true
	}
	for {
		line, err := dump.line()
		if err != nil {
			yield(Entry{}, err)
			return false
		}
		if line == "END" {
			return flush()
		}
		key, exp, ok := parseMetadump(line)
		if !ok {
			continue
		}
		e, ok := match(&l.m.opts, pats, scan, key)
		if !ok {
			continue
		}
		e.Server = addr.String()
		e.TTL = NoTTL
		if exp >= 0 {
			if ttl(exp) <= 0 {
				continue // expired, not yet reclaimed
			}
			expires[e.CacheKey] = exp
		}
		batch = append(batch, e)
		if len(batch) == cap(batch) && !flush() {
			return false
		}
	}
}

// serverTime asks the server its time ("STAT time": the Unix seconds
// metadump's exp is counted in) and returns it with the local time it was
// asked at.
func serverTime(c *mcConn) (int64, time.Time, error) {
	asked := time.Now()
	if err := c.send("stats\r\n"); err != nil {
		return 0, asked, err
	}
	now := int64(-1)
	for {
		line, err := c.line()
		if err != nil {
			return 0, asked, err
		}
		if line == "END" {
			break
		}
		if v, ok := strings.CutPrefix(line, "STAT time "); ok {
			if now, err = strconv.ParseInt(v, 10, 64); err != nil {
				return 0, asked, c.protocolErr(line)
			}
		}
	}
	if now < 0 {
		return 0, asked, c.protocolErr("stats without time")
	}
	return now, asked, nil
}

// startDump starts a metadump: of the hash table (lru_crawler metadump
// hash, memcached 1.6.10 and later), which lists every item once however
// the LRUs move meanwhile, else of the LRUs (metadump all), where an item
// the LRU maintainer moves during the crawl (one just read, as sessions
// are) can be missed. A crawler busy with another request is asked again.
func (l *MemcachedLister) startDump(ctx context.Context, c *mcConn) error {
	modes := []string{"hash", "all"}
	for len(modes) > 0 {
		if err := c.send("lru_crawler metadump " + modes[0] + "\r\n"); err != nil {
			return err
		}
		head, err := c.r.Peek(4)
		if err != nil {
			return c.err(err)
		}
		switch {
		case bytes.HasPrefix(head, []byte("BUSY")):
			c.line()
			select {
			case <-ctx.Done():
				return backendErr("memcached lru_crawler", ctx.Err())
			case <-time.After(100 * time.Millisecond):
			}
			continue
		case bytes.HasPrefix(head, []byte("ERRO")), bytes.HasPrefix(head, []byte("CLIE")), bytes.HasPrefix(head, []byte("SERV")):
			msg, _ := c.line()
			if len(modes) == 1 {
				return fmt.Errorf("%w: memcached %s: lru_crawler metadump: %s", ErrNotListable, c.nc.RemoteAddr(), msg)
			}
			modes = modes[1:]
			continue
		}
		return nil
	}
	return nil
}

// parseMetadump reads "key=<uri-encoded> exp=<unix|-1> la=... ..." lines.
func parseMetadump(line string) (key string, exp int64, ok bool) {
	exp = -1
	haveKey := false
	for _, f := range strings.Fields(line) {
		name, v, found := strings.Cut(f, "=")
		if !found {
			continue
		}
		switch name {
		case "key":
			k, err := url.PathUnescape(v)
			if err != nil {
				return "", 0, false
			}
			key, haveKey = k, true
		case "exp":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return "", 0, false
			}
			exp = n
		}
	}
	return key, exp, haveKey
}

// getValues fetches the values and flags of entries with one get; the
// entries that vanished meanwhile are dropped.
func getValues(c *mcConn, entries []Entry) ([]Entry, error) {
	var b strings.Builder
	b.WriteString("get")
	index := make(map[string]int, len(entries))
	for i, e := range entries {
		b.WriteByte(' ')
		b.WriteString(e.CacheKey)
		index[e.CacheKey] = i
	}
	b.WriteString("\r\n")
	if err := c.send(b.String()); err != nil {
		return nil, err
	}
	found := make([]bool, len(entries))
	for {
		line, err := c.line()
		if err != nil {
			return nil, err
		}
		if line == "END" {
			break
		}
		key, flags, value, err := c.value(line)
		if err != nil {
			return nil, err
		}
		if i, ok := index[key]; ok {
			entries[i].Value, entries[i].Flags, found[i] = value, flags, true
		}
	}
	out := entries[:0]
	for i, e := range entries {
		if found[i] {
			out = append(out, e)
		}
	}
	return out, nil
}

// value reads the data block after a "VALUE key flags bytes" line.
func (c *mcConn) value(line string) (key string, flags uint32, data []byte, err error) {
	f := strings.Fields(line)
	if len(f) < 4 || f[0] != "VALUE" {
		return "", 0, nil, c.protocolErr(line)
	}
	fl, err1 := strconv.ParseUint(f[2], 10, 32)
	n, err2 := strconv.Atoi(f[3])
	if err1 != nil || err2 != nil || n < 0 {
		return "", 0, nil, c.protocolErr(line)
	}
	data, err = c.block(n)
	return f[1], uint32(fl), data, err
}

// block reads n bytes of data and the \r\n after them.
func (c *mcConn) block(n int) ([]byte, error) {
	data := make([]byte, n+2)
	c.deadline()
	if _, err := io.ReadFull(c.r, data); err != nil {
		return nil, c.err(err)
	}
	return data[:n], nil
}

func (c *mcConn) protocolErr(line string) error {
	if len(line) > 40 {
		line = line[:40] + "..."
	}
	return backendErr("memcached "+c.nc.RemoteAddr().String(), fmt.Errorf("unexpected answer %q", line))
}

// GetEntry reads key with mg (meta get: value, flags and TTL in one
// request) from the server that Django's library places the key on.
func (l *MemcachedLister) GetEntry(ctx context.Context, key string) (Entry, bool, error) {
	k, err := l.m.Key(key)
	if err != nil {
		return Entry{}, false, err
	}
	addr, err := l.servers.PickServer(k)
	if err != nil {
		return Entry{}, false, backendErr("memcached pick server", err)
	}
	c, err := l.conn(ctx, addr)
	if err != nil {
		return Entry{}, false, err
	}
	e, found, err := l.metaGet(c, key, k, addr)
	l.release(c, err == nil)
	return e, found, err
}

// metaGet sends mg for the made key k on c and reads the answer.
func (l *MemcachedLister) metaGet(c *mcConn, key, k string, addr net.Addr) (Entry, bool, error) {
	if err := c.send("mg " + k + " v f t\r\n"); err != nil {
		return Entry{}, false, err
	}
	line, err := c.line()
	if err != nil {
		return Entry{}, false, err
	}
	f := strings.Fields(line)
	switch {
	case len(f) == 1 && f[0] == "EN":
		return Entry{}, false, nil
	case len(f) == 0 || f[0] != "VA" || len(f) < 2:
		if strings.HasPrefix(line, "ERROR") {
			return Entry{}, false, fmt.Errorf("%w: memcached %s has no meta commands (memcached 1.6 or later)", ErrNotListable, addr)
		}
		return Entry{}, false, c.protocolErr(line)
	}
	n, err := strconv.Atoi(f[1])
	if err != nil || n < 0 {
		return Entry{}, false, c.protocolErr(line)
	}
	e := keyEntry(&l.m.opts, key, k)
	e.Server, e.TTL = addr.String(), NoTTL
	for _, flag := range f[2:] {
		switch {
		case strings.HasPrefix(flag, "f"):
			v, err := strconv.ParseUint(flag[1:], 10, 32)
			if err != nil {
				return Entry{}, false, c.protocolErr(line)
			}
			e.Flags = uint32(v)
		case strings.HasPrefix(flag, "t"):
			v, err := strconv.ParseInt(flag[1:], 10, 64)
			if err != nil {
				return Entry{}, false, c.protocolErr(line)
			}
			if v >= 0 {
				e.TTL = time.Duration(v) * time.Second
			}
		}
	}
	if e.Value, err = c.block(n); err != nil {
		return Entry{}, false, err
	}
	return e, true, nil
}

// AddEntry is an add command through the cache's client, with the value
// and flags as they are and memcached's expiration for the TTL (past 30
// days an absolute time, from the clock on ctx, see WithClock).
func (l *MemcachedLister) AddEntry(ctx context.Context, e Entry) (bool, error) {
	if err := checkEntry(e); err != nil {
		return false, err
	}
	secs, err := ttlSeconds(e.TTL)
	if err != nil {
		return false, err
	}
	k, err := l.m.Key(e.SessionPrefix + e.Key)
	if err != nil {
		return false, err
	}
	exp := int32(0)
	if secs > 0 {
		exp = memcachedExpiration(secs, now(ctx))
	}
	it := &memcache.Item{Key: k, Value: e.Value, Flags: e.Flags, Expiration: exp}
	return bounded(ctx, "memcached add", func() (bool, error) {
		err := l.m.client.Add(it)
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, memcache.ErrNotStored):
			return false, nil
		}
		return false, memcachedErr("add", err)
	})
}

// DecodeEntry decodes e.Value by its flags, as Get does.
func (l *MemcachedLister) DecodeEntry(ctx context.Context, e Entry) (any, error) {
	return decodeMemcached(ctx, e.Flags, e.Value)
}

// MadeKey returns the key sent to memcached for key, unvalidated.
func (l *MemcachedLister) MadeKey(key string) string { return l.m.opts.makeKey(key) }

// Library returns the Python client library m reads and writes as: what
// places keys (MemcachedLibrary.Selector), for a lister built from the
// cache's LOCATION.
func (m *Memcached) Library() MemcachedLibrary { return m.lib }
