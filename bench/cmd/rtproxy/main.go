// Command rtproxy forwards TCP connections to a server and counts request
// flights: each time a client sends after the server has answered (or
// first) is one round trip, however many packets it takes. The bench
// harness puts it between a client (Go or Django) and PostgreSQL,
// memcached or Redis to count round trips per operation, the same way on
// both sides, in a counting run kept apart from the timed runs.
//
//	rtproxy -target 127.0.0.1:5432
//
// It prints "ADDR host:port" once listening; every line read on stdin makes
// it print the flights counted since the previous line; it exits at EOF.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"

	"github.com/djsession/djsession/internal/testnet"
)

func main() {
	target := flag.String("target", "", "server address")
	flag.Parse()
	p, err := testnet.NewProxy(*target)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer p.Close()
	fmt.Println("ADDR", p.Addr())
	var last int64
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		n := p.Flights()
		fmt.Println(n - last)
		last = n
		p.TakeSent() // nothing reads the recorded bytes here
	}
}
