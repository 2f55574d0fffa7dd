package trackertest

import (
	"fmt"
	"net"
	"net/http"
	"time"
)

// Serve serves h on addr (such as 127.0.0.1:0) and returns its base URL
// and the server, whose Close stops it.
func Serve(addr string, h http.Handler) (string, *http.Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("listening on %s: %w", addr, err)
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	return "http://" + ln.Addr().String(), hs, nil
}
