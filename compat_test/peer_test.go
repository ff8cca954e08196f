package compat_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The live tests talk to real Django: one long-lived peer process per
// version (fixtures/peer.py), which answers one JSON request per line. They
// run when DJSESSION_LIVE=1 or CI=true; in CI a missing Django is a
// failure, never a skip.

var versions = []string{"3.2", "4.2", "5.2", "6.1"}

var (
	peersMu sync.Mutex
	peers   = map[string]*peer{}
)

func repoRoot() string {
	wd, _ := os.Getwd()
	return filepath.Dir(wd)
}

func liveEnabled() bool {
	return os.Getenv("DJSESSION_LIVE") == "1" || os.Getenv("CI") == "true"
}

// requireLive skips the test unless live tests are on.
func requireLive(t *testing.T) {
	t.Helper()
	if !liveEnabled() {
		t.Skip("live Django tests: set DJSESSION_LIVE=1 (the README's full test command does)")
	}
}

var installOnce sync.Once
var installErr error

// installDjango runs fixtures/install-django.sh once per test binary.
func installDjango(t *testing.T) {
	t.Helper()
	installOnce.Do(func() {
		cmd := exec.Command("bash", filepath.Join(repoRoot(), "fixtures", "install-django.sh"))
		out, err := cmd.CombinedOutput()
		if err != nil {
			installErr = fmt.Errorf("fixtures/install-django.sh: %v\n%s", err, out)
		}
	})
	if installErr != nil {
		t.Fatal(installErr)
	}
}

// django returns the peer for version v, installing Django first if needed.
func django(t *testing.T, v string) *peer {
	t.Helper()
	requireLive(t)
	installDjango(t)
	peersMu.Lock()
	defer peersMu.Unlock()
	if p, ok := peers[v]; ok {
		return p
	}
	p, err := startPeer(v)
	if err != nil {
		t.Fatalf("starting the Django %s peer: %v", v, err)
	}
	peers[v] = p
	return p
}

type peer struct {
	version string
	cmd     *exec.Cmd
	in      io.WriteCloser
	out     *bufio.Reader
	mu      sync.Mutex
}

// launchPeer starts fixtures/<script> under Django v (fixtures/python.sh),
// with env added to the environment: one long-lived process that answers
// one JSON request per line.
func launchPeer(v, script string, env ...string) (*peer, error) {
	root := repoRoot()
	cmd := exec.Command("bash", filepath.Join(root, "fixtures", "python.sh"), v, filepath.Join(root, "fixtures", script))
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return &peer{version: v, cmd: cmd, in: in, out: bufio.NewReaderSize(out, 1<<20)}, nil
}

// close ends the peer.
func (p *peer) close() {
	p.in.Close()
	p.cmd.Wait()
}

func startPeer(v string) (*peer, error) {
	p, err := launchPeer(v, "peer.py")
	if err != nil {
		return nil, err
	}
	r, err := p.call(map[string]any{"op": "version"})
	if err != nil {
		return nil, err
	}
	got, _ := r["version"].(string)
	if !strings.HasPrefix(got, v+".") {
		return nil, fmt.Errorf("peer runs Django %q, want %s.x", got, v)
	}
	return p, nil
}

// call sends one request and returns the decoded response.
func (p *peer) call(req map[string]any) (map[string]any, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	line, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	if _, err := p.in.Write(append(line, '\n')); err != nil {
		return nil, err
	}
	done := make(chan struct{})
	var resp []byte
	var rerr error
	go func() {
		resp, rerr = p.out.ReadBytes('\n')
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		return nil, fmt.Errorf("Django %s peer did not answer %s", p.version, line)
	}
	if rerr != nil {
		return nil, fmt.Errorf("Django %s peer: %v", p.version, rerr)
	}
	var m map[string]any
	d := json.NewDecoder(strings.NewReader(string(resp)))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		return nil, fmt.Errorf("peer answer %q: %v", resp, err)
	}
	return m, nil
}

// mustCall is call with the test failed on a transport error.
func (p *peer) mustCall(t *testing.T, req map[string]any) map[string]any {
	t.Helper()
	m, err := p.call(req)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, p := range peers {
		p.close()
	}
	os.Exit(code)
}
