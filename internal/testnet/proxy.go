// Package testnet holds the network tools of djsession's own tests and
// benchmarks: a TCP proxy that counts round trips, records what clients
// send, and can cut or stall a server; and a database/sql connector that
// counts statements (for SQLite, which has no wire). Only loopback.
package testnet

import (
	"bytes"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Proxy is a TCP relay between clients and one server.
//
// It counts request flights: each time a client sends after the server
// answered (or first) is one round trip, however many packets it takes.
// It records what clients send (TakeSent), and can be cut (every
// connection closed, new ones refused: the server is gone) or stalled
// (bytes swallowed both ways, connections left open: the server hangs).
type Proxy struct {
	ln      net.Listener
	target  string
	flights atomic.Int64
	stalled atomic.Bool
	closed  atomic.Bool

	mu    sync.Mutex
	conns []net.Conn
	sent  bytes.Buffer
}

// NewProxy listens on a free loopback port and relays to target.
func NewProxy(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{ln: ln, target: target}
	go p.serve()
	return p, nil
}

// Addr is the address clients connect to.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Flights returns the request flights counted so far.
func (p *Proxy) Flights() int64 { return p.flights.Load() }

// Stall stops forwarding without closing anything.
func (p *Proxy) Stall() { p.stalled.Store(true) }

// Cut closes the listener and every connection.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed.Store(true)
	p.ln.Close()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// Close is Cut.
func (p *Proxy) Close() error { p.Cut(); return nil }

// TakeSent returns and forgets what clients sent so far.
func (p *Proxy) TakeSent() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	b := bytes.Clone(p.sent.Bytes())
	p.sent.Reset()
	return b
}

func (p *Proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.DialTimeout("tcp", p.target, time.Second)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		if p.closed.Load() {
			p.mu.Unlock()
			c.Close()
			s.Close()
			return
		}
		p.conns = append(p.conns, c, s)
		p.mu.Unlock()
		var turn sync.Mutex
		clientTurn := false // the last bytes came from the client
		pipe := func(dst, src net.Conn, fromClient bool) {
			buf := make([]byte, 64<<10)
			for {
				n, err := src.Read(buf)
				if n > 0 && !p.stalled.Load() {
					turn.Lock()
					if fromClient && !clientTurn {
						p.flights.Add(1)
					}
					clientTurn = fromClient
					turn.Unlock()
					if fromClient {
						p.mu.Lock()
						p.sent.Write(buf[:n])
						p.mu.Unlock()
					}
					if _, werr := dst.Write(buf[:n]); werr != nil {
						break
					}
				}
				if err != nil {
					break
				}
			}
			dst.Close()
			src.Close()
		}
		go pipe(s, c, true)
		go pipe(c, s, false)
	}
}
