package cache

import (
	"errors"
	"fmt"
	"hash/crc32"
	"math/bits"
	"net"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/bradfitz/gomemcache/memcache"
)

// A Selector is a memcache.ServerSelector that places every key on the
// server one of Django's memcached client libraries picks for the same
// LOCATION list. Build it with NewPyMemcacheSelector,
// NewPyLibMCSelector, NewPyLibMCKetamaSelector or
// NewPythonMemcachedSelector, and pass it to memcache.NewFromSelector.
//
// Servers are resolved once, when the Selector is built. Failed servers
// are not ejected: the libraries differ there (pymemcache drops a failed
// node for 60 s, moving its keys; libmemcached and python-memcached by
// default do not), and a Go client that keeps a node Django dropped
// disagrees on that node's keys during the outage only.
type Selector struct {
	algo      algorithm
	locations []string   // LOCATION entries as configured
	names     []string   // pymemcache node names (what rendezvous hashing hashes)
	addrs     []net.Addr // resolved, per location
	continuum []ketamaPoint
}

var _ memcache.ServerSelector = (*Selector)(nil)

type algorithm int

const (
	rendezvousMurmur3 algorithm = iota + 1
	libmemcachedModula
	libmemcachedKetama
	pythonMemcachedCRC32
)

type ketamaPoint struct {
	value uint32
	index int
}

// SplitLocation splits a LOCATION string as Django does
// (re.split("[;,]", location)): on every ';' and ','. Entries are not
// trimmed, as Django does not trim them.
func SplitLocation(location string) []string {
	return strings.FieldsFunc(location, func(r rune) bool { return r == ';' || r == ',' })
}

// NewPyMemcacheSelector places keys as pymemcache's HashClient, which
// Django's PyMemcacheCache builds: rendezvous hashing with MurmurHash3 over
// "<node>-<key>", where the node name is derived from the LOCATION entry
// ("localhost" becomes "localhost:11211", "[::1]:11211" becomes
// "::1:11211"). No DNS is involved in the choice: name the servers exactly
// as the Django settings do.
func NewPyMemcacheSelector(location ...string) (*Selector, error) {
	s, err := newSelector(rendezvousMurmur3, location, false)
	if err != nil {
		return nil, err
	}
	s.names = make([]string, len(location))
	for i, l := range location {
		s.names[i] = pymemcacheNodeName(l)
	}
	return s, nil
}

// NewPyLibMCSelector places keys as pylibmc with Django's PyLibMCCache and
// no "behaviors" option: libmemcached's modula distribution with its
// one-at-a-time hash, servers in LOCATION order (a single server takes
// every key).
func NewPyLibMCSelector(location ...string) (*Selector, error) {
	return newSelector(libmemcachedModula, location, true)
}

// NewPyLibMCKetamaSelector places keys as pylibmc with
// OPTIONS={"behaviors": {"ketama": True}}: libmemcached's consistent
// (non-weighted) ketama continuum of 100 points per server, hashed with
// one-at-a-time. Other behaviour sets are not reproduced.
func NewPyLibMCKetamaSelector(location ...string) (*Selector, error) {
	s, err := newSelector(libmemcachedKetama, location, true)
	if err != nil {
		return nil, err
	}
	for i, l := range s.locations {
		host, port := splitHostPort(l)
		for p := range 100 {
			var name string
			if port == 11211 {
				name = host + "-" + strconv.Itoa(p)
			} else {
				name = host + ":" + strconv.Itoa(port) + "-" + strconv.Itoa(p)
			}
			s.continuum = append(s.continuum, ketamaPoint{oneAtATime(name), i})
		}
	}
	sort.SliceStable(s.continuum, func(a, b int) bool { return s.continuum[a].value < s.continuum[b].value })
	return s, nil
}

// NewPythonMemcachedSelector places keys as python-memcached, which
// Django's MemcachedCache (Django 3.2 and earlier) uses: the CRC-32 of the
// key picks a bucket, every server having weight 1. python-memcached's
// rehash around a server it cannot reach is not reproduced.
func NewPythonMemcachedSelector(location ...string) (*Selector, error) {
	return newSelector(pythonMemcachedCRC32, location, false)
}

func newSelector(algo algorithm, location []string, libmemcached bool) (*Selector, error) {
	if len(location) == 0 {
		return nil, memcache.ErrNoServers
	}
	s := &Selector{algo: algo, locations: append([]string(nil), location...)}
	for i, l := range location {
		if libmemcached {
			// PyLibMCCache strips "unix:" from each entry.
			l = strings.TrimPrefix(l, "unix:")
			s.locations[i] = l
		}
		addr, err := resolve(l)
		if err != nil {
			return nil, fmt.Errorf("cache: memcached server %q: %w", location[i], err)
		}
		s.addrs = append(s.addrs, addr)
	}
	return s, nil
}

// resolve turns a LOCATION entry into an address: "unix:/path" and
// "/path" are unix sockets; "host", "host:port", "[v6]:port", with an
// optional "inet:"/"inet6:" prefix (python-memcached), are TCP, port 11211
// by default.
func resolve(l string) (net.Addr, error) {
	if p, ok := strings.CutPrefix(l, "unix:"); ok {
		return net.ResolveUnixAddr("unix", p)
	}
	if strings.HasPrefix(l, "/") {
		return net.ResolveUnixAddr("unix", l)
	}
	l = strings.TrimPrefix(strings.TrimPrefix(l, "inet6:"), "inet:")
	host, port := splitHostPort(l)
	if port < 0 {
		return nil, errors.New("invalid port")
	}
	return net.ResolveTCPAddr("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
}

// splitHostPort splits at the last ':' unless the entry has none or ends
// with ']'; brackets are stripped; the default port is 11211. A port that
// is not a number gives -1.
func splitHostPort(l string) (string, int) {
	host, port := l, 11211
	if i := strings.LastIndexByte(l, ':'); i >= 0 && !strings.HasSuffix(l, "]") {
		p, err := strconv.Atoi(l[i+1:])
		if err != nil {
			p = -1
		}
		host, port = l[:i], p
	}
	return strings.Trim(host, "[]"), port
}

// pymemcacheNodeName is the node name pymemcache derives from a LOCATION
// entry.
func pymemcacheNodeName(l string) string {
	if p, ok := strings.CutPrefix(l, "unix:"); ok {
		return p
	}
	if strings.HasPrefix(l, "/") {
		return l
	}
	host, port := splitHostPort(l)
	if strings.HasPrefix(host, "[") || strings.HasSuffix(host, "]") {
		host = strings.Trim(host, "[]")
	}
	return host + ":" + strconv.Itoa(port)
}

// PickServer returns the address of the server the library picks for key.
func (s *Selector) PickServer(key string) (net.Addr, error) {
	return s.addrs[s.pick(key)], nil
}

// Each calls f for every server, in LOCATION order.
func (s *Selector) Each(f func(net.Addr) error) error {
	for _, a := range s.addrs {
		if err := f(a); err != nil {
			return err
		}
	}
	return nil
}

// Server returns the LOCATION entry the library picks for key (as
// configured, after PyLibMCCache's removal of "unix:").
func (s *Selector) Server(key string) string { return s.locations[s.pick(key)] }

// Locations returns the LOCATION entries, in order.
func (s *Selector) Locations() []string { return append([]string(nil), s.locations...) }

func (s *Selector) pick(key string) int {
	n := len(s.addrs)
	switch s.algo {
	case rendezvousMurmur3:
		best, winner := uint32(0), -1
		for i, node := range s.names {
			score := murmur3Node(node, key)
			if winner < 0 || score > best || score == best && node > s.names[winner] {
				best, winner = score, i
			}
		}
		return winner
	case libmemcachedModula:
		if n == 1 {
			return 0
		}
		return int(oneAtATime(key) % uint32(n))
	case libmemcachedKetama:
		h := oneAtATime(key)
		i := sort.Search(len(s.continuum), func(i int) bool { return s.continuum[i].value >= h })
		if i == len(s.continuum) {
			i = 0
		}
		return s.continuum[i].index
	case pythonMemcachedCRC32:
		return pythonMemcachedHash(key) % n
	}
	return 0
}

// murmur3Node is pymemcache's murmur3_32 of "<node>-<key>": the low byte
// of each code point, as its pure-Python hash reads a str.
func murmur3Node(node, key string) uint32 {
	var stack [320]byte
	buf := stack[:0]
	buf = appendLowBytes(buf, node)
	buf = append(buf, '-')
	buf = appendLowBytes(buf, key)
	return murmur3(buf)
}

func appendLowBytes(buf []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			buf = append(buf, c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		buf = append(buf, byte(r))
		i += size
	}
	return buf
}

// murmur3 is MurmurHash3_x86_32 with seed 0.
func murmur3(data []byte) uint32 {
	const c1, c2 = 0xcc9e2d51, 0x1b873593
	var h uint32
	n := len(data) / 4
	for i := range n {
		k := uint32(data[4*i]) | uint32(data[4*i+1])<<8 | uint32(data[4*i+2])<<16 | uint32(data[4*i+3])<<24
		k *= c1
		k = bits.RotateLeft32(k, 15)
		k *= c2
		h ^= k
		h = bits.RotateLeft32(h, 13)
		h = h*5 + 0xe6546b64
	}
	tail := data[4*n:]
	var k uint32
	switch len(tail) {
	case 3:
		k ^= uint32(tail[2]) << 16
		fallthrough
	case 2:
		k ^= uint32(tail[1]) << 8
		fallthrough
	case 1:
		k ^= uint32(tail[0])
		k *= c1
		k = bits.RotateLeft32(k, 15)
		k *= c2
		h ^= k
	}
	h ^= uint32(len(data))
	h ^= h >> 16
	h *= 0x85ebca6b
	h ^= h >> 13
	h *= 0xc2b2ae35
	h ^= h >> 16
	return h
}

// oneAtATime is libmemcached's "default" hash over the UTF-8 bytes of s,
// each byte read through a signed char (sign-extended from 0x80 up).
func oneAtATime(s string) uint32 {
	var h uint32
	for i := 0; i < len(s); i++ {
		h += uint32(int32(int8(s[i])))
		h += h << 10
		h ^= h >> 6
	}
	h += h << 3
	h ^= h >> 11
	h += h << 15
	return h
}

// pythonMemcachedHash is python-memcached's serverhash of the UTF-8 key.
func pythonMemcachedHash(key string) int {
	h := int((crc32.ChecksumIEEE([]byte(key)) >> 16) & 0x7fff)
	if h == 0 {
		return 1
	}
	return h
}
