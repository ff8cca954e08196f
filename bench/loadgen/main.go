// Command loadgen is the HTTP load generator of the end-to-end comparison
// (bench/http/run.py drives it): it sends GET requests carrying session
// cookies to one server, either in a closed loop (a fixed number of workers,
// each sending its next request when the last one answered) or in an open
// loop (requests started at a fixed rate whatever the server does, so a slow
// server meets a queue instead of a politely waiting client), and prints one
// JSON line: requests per second, latency percentiles, errors, and the
// server's CPU per request and memory, read from /proc for the process trees
// given with -pid (gunicorn's master and every worker under it).
//
// Every run is bounded: -warmup then -duration, after which the workers stop
// and requests still in flight are abandoned after -timeout. Only requests
// that complete inside the measured window are counted; the server's CPU is
// read at the window's two edges.
//
// It is a module of its own, with no dependency outside the standard
// library, so that nothing it needs reaches djsession's go.mod.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"

	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// result is the JSON line loadgen prints.
type result struct {
	Label    string  `json:"label,omitempty"`
	Mode     string  `json:"mode"`
	Conc     int     `json:"conc,omitempty"`
	Rate     float64 `json:"rate,omitempty"`
	Secs     float64 `json:"secs"`
	OK       int     `json:"ok"`
	Errors   int     `json:"errors"`
	Dropped  int     `json:"dropped,omitempty"`
	RPS      float64 `json:"rps"`
	P50us    float64 `json:"p50_us"`
	P90us    float64 `json:"p90_us"`
	P99us    float64 `json:"p99_us"`
	MaxUs    float64 `json:"max_us"`
	CPUSecs  float64 `json:"server_cpu_s"`
	CPUPerRq float64 `json:"server_cpu_us_per_req"`
	SysPerRq float64 `json:"server_sys_us_per_req"`
	RSSKB    int64   `json:"server_rss_kb"`
	// The other core's share: the -db-pid trees (PostgreSQL's postmaster
	// and its backends, redis-server) and this process itself.
	DBPerRq     float64 `json:"db_cpu_us_per_req,omitempty"`
	ClientPerRq float64 `json:"client_cpu_us_per_req"`
	Procs       int     `json:"server_procs"`
	FirstErr    string  `json:"first_error,omitempty"`
}

func main() {
	url := flag.String("url", "", "the endpoint, http://127.0.0.1:PORT/path")
	cookieFile := flag.String("cookies", "", "file of Cookie header values, one per line: one session per worker (round robin in the open loop)")
	mode := flag.String("mode", "closed", "closed (a fixed number of workers) or open (a fixed rate)")
	conc := flag.Int("conc", 1, "closed loop: workers")
	rate := flag.Float64("rate", 100, "open loop: requests per second")
	maxInFlight := flag.Int("max-in-flight", 512, "open loop: requests outstanding at once; a request due beyond it is dropped (counted, not sent)")
	warmup := flag.Duration("warmup", 2*time.Second, "time before the measured window")
	duration := flag.Duration("duration", 5*time.Second, "the measured window")
	timeout := flag.Duration("timeout", 5*time.Second, "per request")
	pids := flag.String("pid", "", "comma-separated PIDs of the server: CPU and RSS are summed over each one's process tree")
	dbPids := flag.String("db-pid", "", "comma-separated PIDs of the database and cache servers: their trees' CPU per request is reported too")
	expect := flag.String("expect", "", "a response is an error unless its body contains this text")
	label := flag.String("label", "", "copied to the output")
	flag.Parse()
	if *url == "" || *cookieFile == "" {
		fmt.Fprintln(os.Stderr, "loadgen: -url and -cookies are required")
		os.Exit(2)
	}
	cookies, err := readLines(*cookieFile)
	if err != nil || len(cookies) == 0 {
		fmt.Fprintf(os.Stderr, "loadgen: reading -cookies: %v (lines: %d)\n", err, len(cookies))
		os.Exit(2)
	}
	roots, dbRoots := pidList("-pid", *pids), pidList("-db-pid", *dbPids)
	self := []int{os.Getpid()}

	r := &runner{
		url:     *url,
		cookies: cookies,
		expect:  []byte(*expect),
		timeout: *timeout,
	}
	// One connection per worker, kept alive where the server allows it
	// (gunicorn's sync workers close every connection).
	if r.client, err = newClient(*url, *timeout); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(2)
	}
	res := result{Label: *label, Mode: *mode}
	start := time.Now()
	r.measureFrom = start.Add(*warmup)
	r.measureTo = r.measureFrom.Add(*duration)
	ctx, cancel := context.WithDeadline(context.Background(), r.measureTo.Add(*timeout))
	defer cancel()

	var u0, u1, db0, db1, me0, me1 usage
	edges := make(chan struct{})
	go func() {
		defer close(edges)
		time.Sleep(time.Until(r.measureFrom))
		u0, db0, me0 = treeUsage(roots), treeUsage(dbRoots), treeUsage(self)
		time.Sleep(time.Until(r.measureTo))
		u1, db1, me1 = treeUsage(roots), treeUsage(dbRoots), treeUsage(self)
	}()

	switch *mode {
	case "closed":
		res.Conc = *conc
		r.closed(ctx, *conc)
	case "open":
		res.Rate = *rate
		res.Dropped = r.open(ctx, *rate, *maxInFlight)
	default:
		fmt.Fprintf(os.Stderr, "loadgen: -mode %q: want closed or open\n", *mode)
		os.Exit(2)
	}
	<-edges

	lat := r.latencies()
	res.Secs = duration.Seconds()
	res.OK = len(lat)
	res.Errors = int(r.errors.Load())
	res.RPS = float64(res.OK) / res.Secs
	if len(lat) > 0 {
		slices.Sort(lat)
		res.P50us = pct(lat, 0.50)
		res.P90us = pct(lat, 0.90)
		res.P99us = pct(lat, 0.99)
		res.MaxUs = float64(lat[len(lat)-1]) / 1e3
	}
	if len(roots) > 0 {
		res.CPUSecs = (u1.user + u1.sys) - (u0.user + u0.sys)
		if res.OK > 0 {
			res.CPUPerRq = res.CPUSecs / float64(res.OK) * 1e6
			res.SysPerRq = (u1.sys - u0.sys) / float64(res.OK) * 1e6
		}
		res.RSSKB, res.Procs = u1.rssKB, u1.procs
	}
	if res.OK > 0 {
		res.ClientPerRq = (me1.user + me1.sys - me0.user - me0.sys) / float64(res.OK) * 1e6
		if len(dbRoots) > 0 {
			res.DBPerRq = (db1.user + db1.sys - db0.user - db0.sys) / float64(res.OK) * 1e6
		}
	}
	if e := r.firstErr.Load(); e != nil {
		res.FirstErr = *e
	}
	out, _ := json.Marshal(res)
	fmt.Println(string(out))
}

// pidList parses a comma-separated list of PIDs.
func pidList(flagName, s string) []int {
	var pids []int
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			p, err := strconv.Atoi(f)
			if err != nil {
				fmt.Fprintf(os.Stderr, "loadgen: %s %q: %v\n", flagName, f, err)
				os.Exit(2)
			}
			pids = append(pids, p)
		}
	}
	return pids
}

// runner sends the requests and keeps the latencies of those that
// completed inside the measured window.
type runner struct {
	url         string
	cookies     []string
	expect      []byte
	timeout     time.Duration
	client      *client
	measureFrom time.Time
	measureTo   time.Time

	mu       sync.Mutex
	lat      []time.Duration
	errors   atomic.Int64
	firstErr atomic.Pointer[string]
}

func (r *runner) closed(ctx context.Context, conc int) {
	var wg sync.WaitGroup
	for w := range conc {
		wg.Go(func() {
			cookie := r.cookies[w%len(r.cookies)]
			buf := make([]byte, 0, 4096)
			var mine []time.Duration
			for ctx.Err() == nil {
				t0 := time.Now()
				if t0.After(r.measureTo) {
					break
				}
				var ok bool
				buf, ok = r.do(ctx, cookie, buf)
				t1 := time.Now()
				if t1.Before(r.measureFrom) || t1.After(r.measureTo) {
					continue
				}
				if ok {
					mine = append(mine, t1.Sub(t0))
				}
			}
			r.mu.Lock()
			r.lat = append(r.lat, mine...)
			r.mu.Unlock()
		})
	}
	wg.Wait()
}

// open starts requests at rate per second, each on its own goroutine,
// and measures each from the time it was due (not the time it left), so
// a server that falls behind shows its queue in the latencies. It
// returns how many requests were due while max were outstanding.
func (r *runner) open(ctx context.Context, rate float64, max int) int {
	sem := make(chan struct{}, max)
	var wg sync.WaitGroup
	dropped := 0
	interval := time.Duration(float64(time.Second) / rate)
	begin := time.Now()
	for i := 0; ; i++ {
		due := begin.Add(time.Duration(i) * interval)
		if due.After(r.measureTo) || ctx.Err() != nil {
			break
		}
		time.Sleep(time.Until(due))
		select {
		case sem <- struct{}{}:
		default:
			if !due.Before(r.measureFrom) {
				dropped++
			}
			continue
		}
		cookie := r.cookies[i%len(r.cookies)]
		wg.Go(func() {
			defer func() { <-sem }()
			_, ok := r.do(ctx, cookie, nil)
			t1 := time.Now()
			if ok && !due.Before(r.measureFrom) && !t1.After(r.measureTo) {
				r.mu.Lock()
				r.lat = append(r.lat, t1.Sub(due))
				r.mu.Unlock()
			}
		})
	}
	wg.Wait()
	return dropped
}

// do sends one request; a transport error, a status other than 200 or a
// body without the expected text is counted as an error (only inside the
// measured window).
func (r *runner) do(ctx context.Context, cookie string, buf []byte) ([]byte, bool) {
	status, buf, err := r.client.get(ctx, cookie, buf)
	switch {
	case err != nil:
		if ctx.Err() == nil || time.Now().Before(r.measureTo) {
			r.fail(err)
		}
		return buf, false
	case status != 200:
		r.fail(fmt.Errorf("status %d", status))
		return buf, false
	case len(r.expect) > 0 && !bytes.Contains(buf, r.expect):
		r.fail(errors.New("the body lacks the expected text"))
		return buf, false
	}
	return buf, true
}

func (r *runner) fail(err error) {
	now := time.Now()
	if now.Before(r.measureFrom) || now.After(r.measureTo) {
		return
	}
	r.errors.Add(1)
	s := err.Error()
	r.firstErr.CompareAndSwap(nil, &s)
}

func (r *runner) latencies() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lat
}

func readAll(rd io.Reader, buf []byte) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := rd.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

func pct(sorted []time.Duration, p float64) float64 {
	i := int(p * float64(len(sorted)))
	if i >= len(sorted) {
		i = len(sorted) - 1
	}
	return float64(sorted[i]) / 1e3
}

func readLines(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			lines = append(lines, l)
		}
	}
	return lines, sc.Err()
}
