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
	"net"
	"os"
	"sync"
	"sync/atomic"
)

var flights atomic.Int64

func main() {
	target := flag.String("target", "", "server address")
	flag.Parse()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("ADDR", ln.Addr())
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go serve(c, *target)
		}
	}()
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		fmt.Println(flights.Swap(0))
	}
}

func serve(client net.Conn, target string) {
	server, err := net.Dial("tcp", target)
	if err != nil {
		client.Close()
		return
	}
	var mu sync.Mutex
	clientTurn := false
	pump := func(dst, src net.Conn, fromClient bool) {
		buf := make([]byte, 64<<10)
		for {
			n, err := src.Read(buf)
			if n > 0 {
				mu.Lock()
				if fromClient && !clientTurn {
					flights.Add(1)
				}
				clientTurn = fromClient
				mu.Unlock()
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
	go pump(server, client, true)
	pump(client, server, false)
}
