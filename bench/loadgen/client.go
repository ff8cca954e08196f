package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"time"
)

// client is a minimal HTTP/1.1 client for GET requests to one endpoint.
//
// The load generator shares its core with the database and the cache, so
// what it spends per request is taken from them, and from every contender
// alike: net/http's Transport costs two goroutines per connection and
// channel hand-offs between them on every request (about 45-65 µs of CPU
// per request here), where writing a prepared request and parsing the
// status line, Content-Length and Connection of the answer on the
// worker's own goroutine costs little beyond the two syscalls. It speaks
// only what the contenders answer: Content-Length or chunked bodies, kept
// alive unless the server says close (gunicorn's sync workers do).
type client struct {
	addr    string
	prefix  []byte // the request up to the Cookie header's value
	timeout time.Duration
	idle    chan *clientConn // connections kept alive, for the open loop's goroutines
}

// clientConn is one connection with its read buffer and request buffer.
type clientConn struct {
	nc  net.Conn
	br  *bufio.Reader
	req []byte
}

// errClosedEarly is a kept-alive connection the server had closed before
// the request: the request is sent again on a new connection, as net/http
// retries an idempotent request.
var errClosedEarly = errors.New("connection closed before any answer")

// newClient returns a client for GET rawURL (http only).
func newClient(rawURL string, timeout time.Duration) (*client, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("-url %q: want http://HOST:PORT/PATH", rawURL)
	}
	path := u.RequestURI()
	prefix := []byte("GET " + path + " HTTP/1.1\r\nHost: " + u.Host + "\r\nUser-Agent: djsession-loadgen\r\nCookie: ")
	return &client{addr: u.Host, prefix: prefix, timeout: timeout, idle: make(chan *clientConn, 4096)}, nil
}

// get sends one GET with the Cookie header cookie and returns the status
// and the body, appended to body[:0].
func (cl *client) get(ctx context.Context, cookie string, body []byte) (int, []byte, error) {
	for attempt := 0; ; attempt++ {
		c, reused, err := cl.conn(ctx)
		if err != nil {
			return 0, body, err
		}
		status, out, keep, err := c.roundTrip(ctx, cl, cookie, body[:0])
		if err != nil {
			c.nc.Close()
			if errors.Is(err, errClosedEarly) && reused && attempt == 0 {
				continue
			}
			return 0, out, err
		}
		if keep {
			select {
			case cl.idle <- c:
			default:
				c.nc.Close()
			}
		} else {
			c.nc.Close()
		}
		return status, out, nil
	}
}

// conn takes a kept-alive connection or dials a new one.
func (cl *client) conn(ctx context.Context) (*clientConn, bool, error) {
	select {
	case c := <-cl.idle:
		return c, true, nil
	default:
	}
	d := net.Dialer{Timeout: cl.timeout}
	nc, err := d.DialContext(ctx, "tcp", cl.addr)
	if err != nil {
		return nil, false, err
	}
	return &clientConn{nc: nc, br: bufio.NewReaderSize(nc, 4096), req: make([]byte, 0, 512)}, false, nil
}

// closeIdle closes the connections kept alive.
func (cl *client) closeIdle() {
	for {
		select {
		case c := <-cl.idle:
			c.nc.Close()
		default:
			return
		}
	}
}

// roundTrip writes the request and reads the answer; keep reports that the
// connection may carry the next request.
func (c *clientConn) roundTrip(ctx context.Context, cl *client, cookie string, body []byte) (status int, _ []byte, keep bool, err error) {
	deadline := time.Now().Add(cl.timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	c.nc.SetDeadline(deadline)
	c.req = append(append(append(c.req[:0], cl.prefix...), cookie...), "\r\n\r\n"...)
	if _, err := c.nc.Write(c.req); err != nil {
		return 0, body, false, fmt.Errorf("%w: %w", errClosedEarly, err)
	}
	line, err := c.br.ReadSlice('\n')
	if err != nil {
		if len(line) == 0 && (err == io.EOF || errors.Is(err, net.ErrClosed) || isReset(err)) {
			return 0, body, false, errClosedEarly
		}
		return 0, body, false, err
	}
	// HTTP/1.x SP 3DIGIT SP reason
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' {
		return 0, body, false, fmt.Errorf("malformed status line %q", line)
	}
	status, err = strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, body, false, fmt.Errorf("malformed status line %q", line)
	}
	keep = line[7] == '1'
	length, chunked := -1, false
	for {
		h, err := c.br.ReadSlice('\n')
		if err != nil {
			return status, body, false, err
		}
		h = bytes.TrimRight(h, "\r\n")
		if len(h) == 0 {
			break
		}
		name, value, ok := bytes.Cut(h, []byte(":"))
		if !ok {
			return status, body, false, fmt.Errorf("malformed header %q", h)
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if length, err = strconv.Atoi(string(value)); err != nil || length < 0 {
				return status, body, false, fmt.Errorf("malformed Content-Length %q", value)
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(value, []byte("chunked"))
		case bytes.EqualFold(name, []byte("Connection")):
			if bytes.EqualFold(value, []byte("close")) {
				keep = false
			} else if bytes.EqualFold(value, []byte("keep-alive")) {
				keep = true
			}
		}
	}
	switch {
	case chunked:
		body, err = readChunked(c.br, body)
	case length >= 0:
		body, err = readN(c.br, body, length)
	default:
		keep = false
		body, err = readAll(c.br, body)
	}
	return status, body, keep && err == nil, err
}

// readN appends exactly n bytes from r to buf.
func readN(r io.Reader, buf []byte, n int) ([]byte, error) {
	buf = growTo(buf, n)
	_, err := io.ReadFull(r, buf[len(buf):len(buf)+n])
	return buf[:len(buf)+n], err
}

// readChunked appends a chunked body (RFC 9112 7.1; extensions and
// trailers are skipped) from br to buf.
func readChunked(br *bufio.Reader, buf []byte) ([]byte, error) {
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return buf, err
		}
		line = bytes.TrimRight(line, "\r\n")
		if i := bytes.IndexByte(line, ';'); i >= 0 {
			line = line[:i]
		}
		n, err := strconv.ParseInt(string(bytes.TrimSpace(line)), 16, 32)
		if err != nil || n < 0 {
			return buf, fmt.Errorf("malformed chunk size %q", line)
		}
		if n == 0 {
			for { // trailers, then the empty line
				t, err := br.ReadSlice('\n')
				if err != nil {
					return buf, err
				}
				if len(bytes.TrimRight(t, "\r\n")) == 0 {
					return buf, nil
				}
			}
		}
		if buf, err = readN(br, buf, int(n)); err != nil {
			return buf, err
		}
		if _, err := br.Discard(2); err != nil { // the chunk's CRLF
			return buf, err
		}
	}
}

// growTo makes room for n more bytes in buf.
func growTo(buf []byte, n int) []byte {
	if cap(buf)-len(buf) < n {
		grown := make([]byte, len(buf), len(buf)+n+512)
		copy(grown, buf)
		buf = grown
	}
	return buf
}

// isReset reports a connection reset by the peer (a server closing a
// kept-alive connection as the request arrives).
func isReset(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && !op.Timeout()
}
