package main

import (
	"bufio"
	"context"
	"io"
	"strings"
	"sync"
	"time"
)

// serving is a drone serve that a test started with env.serve.
type serving struct {
	base string // where it listens, as http://127.0.0.1:port
	on   string // the line after it, naming the integrations that are on
	stop func() // cancels it as SIGTERM would and fails the test unless it exits 0
}

// serve runs drone serve on a free loopback port with the env's variables
// and reads the two lines it prints on starting. It stops at the end of the
// test at the latest; stop, which may be called first, is idempotent.
func (e *env) serve() serving {
	e.t.Helper()
	t := e.t
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, []string{"serve", "--addr", "127.0.0.1:0"}, Streams{In: strings.NewReader(""), Out: pw, Err: io.Discard}, e.lookup)
		pw.Close()
	}()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case code := <-done:
				if code != 0 {
					t.Errorf("serve exited %d", code)
				}
			case <-time.After(20 * time.Second):
				t.Error("serve did not stop")
			}
		})
	}
	t.Cleanup(stop)
	r := bufio.NewReader(pr)
	line, err := r.ReadString('\n')
	if err != nil {
		t.Fatalf("serve printed nothing: %v", err)
	}
	on, err := r.ReadString('\n')
	if err != nil {
		t.Fatalf("serve did not say which integrations are on: %v", err)
	}
	// Whatever serve prints later must not block it on a full pipe.
	go io.Copy(io.Discard, r)
	return serving{base: strings.TrimSpace(strings.TrimPrefix(line, "drone serving on ")), on: on, stop: stop}
}
