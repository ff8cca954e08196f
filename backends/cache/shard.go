package cache

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"

	"github.com/redis/go-redis/v9"

	"github.com/djsession/djsession/django"
)

// HashRingReplicas is the number of points each node has on django-redis'
// HashRing (its replicas argument, which ShardClient leaves at 128).
const HashRingReplicas = 128

// HashRing is django_redis.hash_ring.HashRing, the consistent-hash ring
// of django-redis' ShardClient: each node (a LOCATION string, exactly as
// written in settings) has 128 points, the lowercase hex SHA-256 of
// "node:i" for i in 0..127, and the points are sorted as text. A key
// belongs to the node of the last point at or below the hex SHA-256 of the
// key (bisect_right minus one), and a key below every point to the node of
// the last point (Python's index -1).
//
// A HashRing is immutable and safe for concurrent use.
type HashRing struct {
	nodes  []string
	points []string // sorted hex digests
	owner  []int    // owner[i] is the index in nodes of points[i]
}

// NewHashRing returns the ring of nodes. A node named twice has its points
// twice, as in django-redis, and keeps its keys.
func NewHashRing(nodes ...string) *HashRing {
	h := &HashRing{nodes: slices.Clone(nodes)}
	type point struct {
		hash string
		node int
	}
	pts := make([]point, 0, len(nodes)*HashRingReplicas)
	for n, node := range nodes {
		for i := range HashRingReplicas {
			pts = append(pts, point{hexSHA256(node + ":" + strconv.Itoa(i)), n})
		}
	}
	// Python's sort is stable: equal points (a node named twice) keep the
	// order they were added in; either one names the same node.
	sort.SliceStable(pts, func(i, j int) bool { return pts[i].hash < pts[j].hash })
	h.points = make([]string, len(pts))
	h.owner = make([]int, len(pts))
	for i, p := range pts {
		h.points[i], h.owner[i] = p.hash, p.node
	}
	return h
}

func hexSHA256(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// Nodes returns the nodes in the order given.
func (h *HashRing) Nodes() []string { return slices.Clone(h.nodes) }

// Node is HashRing.get_node(key): the node key belongs to, hashing the
// whole key (no hash tag; see ServerName), and "" for an empty ring.
func (h *HashRing) Node(key string) string {
	if i := h.nodeIndex(key); i >= 0 {
		return h.nodes[i]
	}
	return ""
}

// nodeIndex is Node as an index in nodes, -1 for an empty ring.
func (h *HashRing) nodeIndex(key string) int {
	if len(h.points) == 0 {
		return -1
	}
	d := hexSHA256(key)
	// bisect.bisect (bisect_right): the first point greater than d.
	i := sort.Search(len(h.points), func(i int) bool { return h.points[i] > d }) - 1
	if i < 0 {
		i = len(h.points) - 1 // Python's points[-1]
	}
	// django-redis then takes min(i, replicas*len(HashRing.nodes)-1); its
	// nodes list is shared by every ring of the process and only grows, so
	// the bound is never below i.
	return h.owner[i]
}

// shardHashTag is ShardClient._findhash, used with re.match: both .* are
// greedy, so the tag is the text between the last "{" that a "}" follows
// and the last "}" (on the first line: "." stops at a newline, in Go's
// regexp as in Python's re). Go's regexp picks the submatch a backtracking
// engine such as Python's picks.
var shardHashTag = regexp.MustCompile(`^.*\{(.*)\}`)

// ShardKey is the text django-redis' ShardClient hashes for a made key
// (KEY_PREFIX:VERSION:key): the hash tag when re.match(r".*\{(.*)\}.*")
// matches, else the whole key. "a{b}c{d}e" hashes "d"; "x{}y" hashes "",
// an empty tag being a tag. This is not Redis Cluster's rule, which takes
// the first tag.
func ShardKey(madeKey string) string {
	if m := shardHashTag.FindStringSubmatch(madeKey); m != nil {
		return m[1]
	}
	return madeKey
}

// ServerName is ShardClient.get_server_name(key): the node (LOCATION
// entry) that holds the made key, after the hash-tag rule (ShardKey); ""
// for an empty ring.
func (h *HashRing) ServerName(madeKey string) string {
	return h.Node(ShardKey(madeKey))
}

// NewShardClient returns the cache django-redis makes with
// OPTIONS["CLIENT_CLASS"] = "django_redis.client.ShardClient": every key
// lives on one server of LOCATION, the one HashRing.ServerName picks, and
// every command for the key (get, set, add, delete, has_key) goes there.
// Values are stored as django-redis stores them (the DjangoRedis format,
// with opts' pickle protocol and compressor).
//
// locations are the LOCATION entries exactly as written in settings (the
// ring hashes these strings: "redis://10.0.0.1:6379/1" and
// "redis://10.0.0.1:6379/01" are different nodes); clients[i] is the
// client of locations[i]. A location named twice is one node, as in
// django-redis, whose dict of connections keeps the last. No location,
// lengths that differ, a nil client, ReadFromPrimary (each key has one
// server, there is no replica to read instead) and a Compressor NewRedis
// refuses are errors wrapping django.ErrImproperlyConfigured.
func NewShardClient(opts Options, locations []string, clients []redis.UniversalClient) (*Redis, error) {
	if len(locations) == 0 || len(locations) != len(clients) {
		return nil, fmt.Errorf("%w: cache: NewShardClient needs one client per LOCATION entry (%d locations, %d clients)",
			django.ErrImproperlyConfigured, len(locations), len(clients))
	}
	if opts.ReadFromPrimary {
		return nil, fmt.Errorf("%w: cache: ReadFromPrimary: a ShardClient reads each key from the one server that holds it", django.ErrImproperlyConfigured)
	}
	// django-redis: connection_dict[name] = connect(name), so a name given
	// twice keeps its last connection; the ring's points of that name may
	// name either index, so both get that client.
	byName := make(map[string]redis.UniversalClient, len(locations))
	for i, loc := range locations {
		byName[loc] = clients[i]
	}
	nodeClients := make([]redis.UniversalClient, len(locations))
	for i, loc := range locations {
		nodeClients[i] = byName[loc]
	}
	r, err := NewRedis(DjangoRedis, opts, nodeClients...)
	if err != nil {
		return nil, err
	}
	r.ring = NewHashRing(locations...)
	return r, nil
}
