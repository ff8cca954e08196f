package testnet

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// ErrNoMemcached is MemcachedBinary's error when memcached is not
// installed: the caller decides whether that skips or fails its test.
var ErrNoMemcached = errors.New("memcached is not installed (apt-get install -y memcached)")

// MemcachedBinary returns the memcached to start: $DJSESSION_MEMCACHED,
// else the first on the usual paths or $PATH.
func MemcachedBinary() (string, error) {
	for _, p := range []string{os.Getenv("DJSESSION_MEMCACHED"), "/usr/bin/memcached", "/usr/local/bin/memcached"} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	if p, err := exec.LookPath("memcached"); err == nil {
		return p, nil
	}
	return "", ErrNoMemcached
}

// StartMemcached starts a memcached of the caller's own on a free
// loopback port (TCP only, 32 MB) and returns its "127.0.0.1:port" and the
// function that stops it. A port taken between choosing and binding is
// retried on another.
func StartMemcached(bin string) (addr string, stop func(), err error) {
	for range 5 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", nil, err
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		args := []string{"-l", "127.0.0.1", "-p", strconv.Itoa(port), "-U", "0", "-m", "32"}
		if os.Geteuid() == 0 {
			args = append(args, "-u", "root")
		}
		cmd := exec.Command(bin, args...)
		if err := cmd.Start(); err != nil {
			return "", nil, fmt.Errorf("starting memcached: %w", err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		stop := func() { cmd.Process.Kill(); <-exited }
		addr := "127.0.0.1:" + strconv.Itoa(port)
		if listening(addr, exited) {
			return addr, stop, nil
		}
		stop()
	}
	return "", nil, errors.New("memcached did not start")
}

// listening waits up to 5 s for addr to accept a connection, and gives up
// at once if the server exited (its port was taken).
func listening(addr string, exited <-chan struct{}) bool {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		select {
		case <-exited:
			return false
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond); err == nil {
			c.Close()
			return true
		}
	}
	return false
}

// MemcachedTTL asks a memcached server directly, with the meta protocol
// (memcached 1.6+), for the seconds an item has left: -1 when it never
// expires; found is false when the server does not hold key.
func MemcachedTTL(addr, key string) (ttl int64, found bool, err error) {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return 0, false, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := fmt.Fprintf(c, "mg %s t\r\n", key); err != nil {
		return 0, false, err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return 0, false, err
	}
	fields := strings.Fields(line)
	switch {
	case len(fields) == 1 && fields[0] == "EN":
		return 0, false, nil
	case len(fields) < 2 || fields[0] != "HD" || !strings.HasPrefix(fields[1], "t"):
		return 0, false, fmt.Errorf("mg answered %q", line)
	}
	ttl, err = strconv.ParseInt(fields[1][1:], 10, 64)
	return ttl, err == nil, err
}
