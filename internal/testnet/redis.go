package testnet

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrNoRedis is RedisBinary's error when redis-server is not installed:
// the caller decides whether that skips or fails its test.
var ErrNoRedis = errors.New("redis-server is not installed (apt-get install -y redis-server)")

// RedisBinary returns the redis-server to start: $DJSESSION_REDIS_SERVER,
// else the first on the usual paths or $PATH. The same binary runs
// Sentinel (--sentinel) and cluster nodes.
func RedisBinary() (string, error) {
	return findBinary("DJSESSION_REDIS_SERVER", "redis-server", ErrNoRedis, "/usr/bin/redis-server", "/usr/local/bin/redis-server")
}

// findBinary returns the program to run: the path in $env when it exists,
// else the first of paths that exists, else name on $PATH, else notFound.
// $env comes first so that a developer's own build wins over the system's.
func findBinary(env, name string, notFound error, paths ...string) (string, error) {
	for _, p := range append([]string{os.Getenv(env)}, paths...) {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	return "", notFound
}

// RedisServer is a redis-server process of the caller's own: a server, a
// replica, a Sentinel or a cluster node, on a loopback port, with its
// files in a temporary directory. Stop ends it and removes the directory.
type RedisServer struct {
	// Addr is "127.0.0.1:port".
	Addr string
	Port int
	// Dir holds its files (its config file for a Sentinel, nodes.conf for
	// a cluster node).
	Dir    string
	cmd    *exec.Cmd
	exited chan struct{}
}

// StartRedis starts redis-server on a free loopback port, in a temporary
// directory, with no persistence (save "", appendonly no), replicas synced
// without delay (repl-diskless-sync-delay 0), and the extra
// configuration args ("--replicaof", "127.0.0.1 6379", ...). A port taken
// between choosing and binding is retried on another. The ports chosen
// leave port+10000 free as well, for a cluster node's bus.
func StartRedis(bin string, args ...string) (*RedisServer, error) {
	return start(bin, nil, args)
}

// start runs bin [confFile] --port P ... args; conf, when not nil, writes
// the config file the server is started with (a Sentinel needs one it can
// rewrite) for port and dir.
func start(bin string, conf func(port int, dir string) string, args []string) (*RedisServer, error) {
	for range 8 {
		port, err := freePortPair()
		if err != nil {
			return nil, err
		}
		dir, err := os.MkdirTemp("", "djsession-redis-")
		if err != nil {
			return nil, err
		}
		var argv []string
		if conf != nil {
			path := filepath.Join(dir, "server.conf")
			if err := os.WriteFile(path, []byte(conf(port, dir)), 0o600); err != nil {
				os.RemoveAll(dir)
				return nil, err
			}
			argv = append(argv, path)
		}
		argv = append(argv, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir,
			"--save", "", "--appendonly", "no", "--logfile", filepath.Join(dir, "log"),
			"--repl-diskless-sync-delay", "0") // a replica syncs at once, not after 5 s
		argv = append(argv, args...)
		cmd := exec.Command(bin, argv...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // never outlive the test binary
		if err := cmd.Start(); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("starting redis-server: %w", err)
		}
		s := &RedisServer{Addr: "127.0.0.1:" + strconv.Itoa(port), Port: port, Dir: dir, cmd: cmd, exited: make(chan struct{})}
		go func() { cmd.Wait(); close(s.exited) }()
		if listening(s.Addr, s.exited) {
			return s, nil
		}
		s.Stop()
	}
	return nil, errors.New("redis-server did not start")
}

// freePortPair returns a loopback port free now whose port+10000 is free too.
func freePortPair() (int, error) {
	for range 50 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := ln.Addr().(*net.TCPAddr).Port
		if port+10000 > 65535 {
			ln.Close()
			continue
		}
		bus, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port+10000))
		ln.Close()
		if err != nil {
			continue
		}
		bus.Close()
		return port, nil
	}
	return 0, errors.New("no free pair of loopback ports")
}

// Stop kills the server (if it still runs), waits for it and removes its
// directory. It may be called more than once.
func (s *RedisServer) Stop() {
	s.Kill()
	os.RemoveAll(s.Dir)
}

// Kill ends the server at once (SIGKILL), as a crash would, and waits for
// it; its directory stays.
func (s *RedisServer) Kill() {
	select {
	case <-s.exited:
		return
	default:
	}
	s.cmd.Process.Signal(syscall.SIGCONT) // a stopped process dies on SIGKILL too, but be sure it is reaped
	s.cmd.Process.Kill()
	<-s.exited
}

// Pause stops the process (SIGSTOP): connections stay open and nothing
// answers, as with a hung server. Resume continues it.
func (s *RedisServer) Pause() error { return s.cmd.Process.Signal(syscall.SIGSTOP) }

// Resume continues a paused server (SIGCONT).
func (s *RedisServer) Resume() error { return s.cmd.Process.Signal(syscall.SIGCONT) }

// Client returns a go-redis client of the server, db 0.
func (s *RedisServer) Client() *redis.Client {
	return redis.NewClient(&redis.Options{Addr: s.Addr, DialTimeout: time.Second, ReadTimeout: 2 * time.Second, WriteTimeout: 2 * time.Second})
}

// StartReplica starts a replica of primary (replicaof) and waits until its
// link to the primary is up.
func StartReplica(ctx context.Context, bin string, primary *RedisServer) (*RedisServer, error) {
	s, err := StartRedis(bin, "--replicaof", "127.0.0.1 "+strconv.Itoa(primary.Port))
	if err != nil {
		return nil, err
	}
	c := s.Client()
	defer c.Close()
	err = waitFor(ctx, func() bool {
		info, err := c.Info(ctx, "replication").Result()
		return err == nil && strings.Contains(info, "master_link_status:up")
	})
	if err != nil {
		s.Stop()
		return nil, fmt.Errorf("replica of %s: link not up: %w", primary.Addr, err)
	}
	return s, nil
}

// SentinelTimes are a Sentinel's down-after-milliseconds and
// failover-timeout for the monitored primary: short ones keep a failover
// test short.
type SentinelTimes struct {
	DownAfter       time.Duration
	FailoverTimeout time.Duration
}

// StartSentinels starts n Sentinels (redis-server --sentinel) that monitor
// primary as service with a quorum of n/2+1, and waits until each of them
// sees the primary, its replicas and the other Sentinels.
func StartSentinels(ctx context.Context, bin, service string, primary *RedisServer, replicas, n int, times SentinelTimes) ([]*RedisServer, error) {
	quorum := n/2 + 1
	var out []*RedisServer
	stopAll := func() {
		for _, s := range out {
			s.Stop()
		}
	}
	for range n {
		s, err := start(bin, func(port int, dir string) string {
			return fmt.Sprintf("sentinel monitor %s 127.0.0.1 %d %d\n"+
				"sentinel down-after-milliseconds %s %d\n"+
				"sentinel failover-timeout %s %d\n"+
				"sentinel parallel-syncs %s 1\n",
				service, primary.Port, quorum,
				service, times.DownAfter.Milliseconds(),
				service, times.FailoverTimeout.Milliseconds(),
				service)
		}, []string{"--sentinel"})
		if err != nil {
			stopAll()
			return nil, err
		}
		out = append(out, s)
	}
	for _, s := range out {
		// Redis 7's test timers: ask the primary for its replicas and
		// greet the other Sentinels every 100 ms instead of 10 s and 2 s,
		// so the Sentinels find each other and new replicas at once.
		// (Older servers do not have SENTINEL DEBUG; they find them all
		// the same, slower.)
		c := redis.NewSentinelClient(&redis.Options{Addr: s.Addr})
		c.Process(ctx, redis.NewStatusCmd(ctx, "sentinel", "debug", "info-period", 100, "publish-period", 100))
		c.Close()
	}
	for _, s := range out {
		c := redis.NewSentinelClient(&redis.Options{Addr: s.Addr})
		err := waitFor(ctx, func() bool {
			m, err := c.Master(ctx, service).Result()
			if err != nil {
				return false
			}
			r, _ := strconv.Atoi(m["num-slaves"])
			o, _ := strconv.Atoi(m["num-other-sentinels"])
			return r >= replicas && o >= n-1
		})
		c.Close()
		if err != nil {
			stopAll()
			return nil, fmt.Errorf("sentinel %s does not see the primary, %d replica(s) and %d other sentinels: %w", s.Addr, replicas, n-1, err)
		}
	}
	return out, nil
}

// StartCluster starts n cluster nodes (cluster-enabled yes, a short node
// timeout), joins them with redis-cli --cluster create as n primaries
// sharing the 16384 slots, and waits until every node reports
// cluster_state:ok and agrees on the slots.
func StartCluster(ctx context.Context, bin, cli string, n int) ([]*RedisServer, error) {
	var nodes []*RedisServer
	stopAll := func() {
		for _, s := range nodes {
			s.Stop()
		}
	}
	for range n {
		s, err := StartRedis(bin, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
			"--cluster-node-timeout", "2000", "--appendonly", "no")
		if err != nil {
			stopAll()
			return nil, err
		}
		nodes = append(nodes, s)
	}
	args := []string{"--cluster", "create"}
	for _, s := range nodes {
		args = append(args, s.Addr)
	}
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(cctx, cli, args...).CombinedOutput(); err != nil {
		stopAll()
		return nil, fmt.Errorf("redis-cli --cluster create: %v: %s", err, lastLines(string(out), 5))
	}
	for _, s := range nodes {
		c := s.Client()
		err := waitFor(ctx, func() bool {
			info, err := c.ClusterInfo(ctx).Result()
			return err == nil && strings.Contains(info, "cluster_state:ok") && strings.Contains(info, "cluster_known_nodes:"+strconv.Itoa(n)+"\r")
		})
		c.Close()
		if err != nil {
			stopAll()
			return nil, fmt.Errorf("cluster node %s not ok: %w", s.Addr, err)
		}
	}
	return nodes, nil
}

// WaitSentinelsSeeReplica waits until every Sentinel lists replica among
// service's replicas, up and linked to its primary: a replica started
// after the Sentinels, which a failover may then promote.
func WaitSentinelsSeeReplica(ctx context.Context, sentinels []*RedisServer, service string, replica *RedisServer) error {
	for _, s := range sentinels {
		c := redis.NewSentinelClient(&redis.Options{Addr: s.Addr})
		err := waitFor(ctx, func() bool {
			rs, err := c.Replicas(ctx, service).Result()
			if err != nil {
				return false
			}
			for _, r := range rs {
				if r["name"] == replica.Addr && !strings.Contains(r["flags"], "down") && !strings.Contains(r["flags"], "disconnected") &&
					r["master-link-status"] == "ok" {
					return true
				}
			}
			return false
		})
		c.Close()
		if err != nil {
			return fmt.Errorf("sentinel %s does not see the replica %s: %w", s.Addr, replica.Addr, err)
		}
	}
	return nil
}

// RedisCLI returns the redis-cli to run: $DJSESSION_REDIS_CLI, else the
// first on the usual paths or $PATH.
func RedisCLI() (string, error) {
	return findBinary("DJSESSION_REDIS_CLI", "redis-cli", errors.New("redis-cli is not installed (apt-get install -y redis-tools)"),
		"/usr/bin/redis-cli", "/usr/local/bin/redis-cli")
}

// waitFor polls ok every 50 ms until it holds, ctx ends, or 20 s pass.
func waitFor(ctx context.Context, ok func() bool) error {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	for {
		if ok() {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
