// Command cortextest runs drone's Cortex stand-in on its own, so that a
// local drone can be pointed at it:
//
//	cortextest --addr 127.0.0.1:9001 --key K --analyzers AbuseIPDB_1_0:ip,VirusTotal_GetReport_3_1:ip+domain+url+hash
//
// It prints the URL and the API key, and stops on SIGINT or SIGTERM. Its
// analyzers analyse nothing: each job succeeds with an "info" taxonomy.
// Everything lives in memory.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/ttp0/drone/cortex/cortextest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "cortextest:", err)
		os.Exit(1)
	}
}

// defaultAnalyzers are what a Cortex instance commonly offers.
const defaultAnalyzers = "AbuseIPDB_1_0:ip,VirusTotal_GetReport_3_1:ip+domain+url+hash,Urlscan_io_Scan_0_1_0:url+domain"

// run serves the stand-in until ctx ends.
func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("cortextest", flag.ContinueOnError)
	fs.SetOutput(out)
	var o cortextest.Options
	var analyzers string
	fs.StringVar(&o.Addr, "addr", "127.0.0.1:9001", "address to listen on")
	fs.StringVar(&o.Key, "key", "", "API key to accept (default: random)")
	fs.StringVar(&analyzers, "analyzers", defaultAnalyzers, "enabled analyzers, NAME:TYPE+TYPE,...")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	var err error
	if o.Analyzers, err = parseAnalyzers(analyzers); err != nil {
		return err
	}
	srv, err := cortextest.NewServer(o)
	if err != nil {
		return err
	}
	defer srv.Close()
	fmt.Fprintf(out, "Cortex stand-in listening on %s\n", srv.URL())
	fmt.Fprintf(out, "  cortex.url: %s\n  cortex.api_key: %s\n", srv.URL(), srv.Key())
	for _, a := range o.Analyzers {
		fmt.Fprintf(out, "  analyzer: %s (%s)\n", a.Name, strings.Join(a.DataTypes, ", "))
	}
	<-ctx.Done()
	fmt.Fprintln(out, "stopping")
	return nil
}

func parseAnalyzers(s string) ([]cortextest.Analyzer, error) {
	var out []cortextest.Analyzer
	for _, part := range strings.Split(s, ",") {
		name, types, ok := strings.Cut(strings.TrimSpace(part), ":")
		if !ok || name == "" || types == "" {
			return nil, fmt.Errorf("--analyzers: %q is not NAME:TYPE+TYPE", part)
		}
		out = append(out, cortextest.Analyzer{Name: name, DataTypes: strings.Split(types, "+")})
	}
	return out, nil
}
