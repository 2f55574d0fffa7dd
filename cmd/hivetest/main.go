// Command hivetest runs drone's TheHive stand-in on its own, so that a
// local drone can be pointed at it:
//
//	hivetest --addr 127.0.0.1:9000 --key K --org ORG
//
// It prints the URL and the API key, serves both the v1 and the v0 routes,
// and stops on SIGINT or SIGTERM. Everything lives in memory.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/ttp0/drone/hive/hivetest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "hivetest:", err)
		os.Exit(1)
	}
}

// run serves the stand-in until ctx ends.
func run(ctx context.Context, args []string, out io.Writer) error {
	opts, latency, err := parseFlags(args, out)
	if err != nil {
		return err
	}
	srv, err := hivetest.NewServer(opts)
	if err != nil {
		return err
	}
	defer srv.Close()
	srv.Latency(latency)
	fmt.Fprintf(out, "TheHive stand-in listening on %s\n", srv.URL())
	fmt.Fprintf(out, "  hive.url: %s\n  hive.api_key: %s\n  hive.organisation: %s\n", srv.URL(), srv.Key(), srv.Organisation())
	if opts.TLS {
		fmt.Fprintln(out, "  hive.verify_tls: false  # throw-away self-signed certificate")
	}
	if host, _, err := net.SplitHostPort(opts.Addr); err == nil && !isLoopback(host) {
		fmt.Fprintln(out, "  warning: listening beyond loopback; anyone who can reach it can read what drone sends")
	}
	<-ctx.Done()
	fmt.Fprintln(out, "stopping")
	return nil
}

// parseFlags reads the options of the stand-in and its latency.
func parseFlags(args []string, out io.Writer) (hivetest.Options, time.Duration, error) {
	fs := flag.NewFlagSet("hivetest", flag.ContinueOnError)
	fs.SetOutput(out)
	var o hivetest.Options
	var fields, templates, users string
	var latency time.Duration
	fs.StringVar(&o.Addr, "addr", "127.0.0.1:9000", "address to listen on")
	fs.StringVar(&o.Key, "key", "", "API key to accept (default: random)")
	fs.StringVar(&o.Organisation, "org", "drone", "organisation X-Organisation may name")
	fs.StringVar(&o.Login, "login", "drone@thehive.local", "login of the key's user")
	fs.StringVar(&o.Version, "version", "5.4.0", "TheHive version to report")
	fs.BoolVar(&o.TLS, "tls", false, "serve HTTPS with a throw-away self-signed certificate")
	fs.StringVar(&fields, "custom-fields", "", "comma-separated custom-field names to accept")
	fs.StringVar(&templates, "case-templates", "", "comma-separated case-template names to accept")
	fs.StringVar(&users, "users", "", "comma-separated logins that may be assignees")
	fs.DurationVar(&latency, "latency", 0, "delay every request by this much")
	if err := fs.Parse(args); err != nil {
		return o, 0, err
	}
	if fs.NArg() > 0 {
		return o, 0, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if latency < 0 {
		return o, 0, fmt.Errorf("--latency %v is negative", latency)
	}
	o.CustomFields, o.CaseTemplates, o.Users = list(fields), list(templates), list(users)
	return o, latency, nil
}

func list(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
