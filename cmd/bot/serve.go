package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"

	"github.com/ttp0/drone/measure"
)

func (c *cli) serveCommand() *cobra.Command {
	var addr string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run drone: HTTP endpoints, chat connections and the job workers",
		Long: `Run drone: the HTTP endpoints (/healthz, /readyz, /metrics and those of the chat
adapters), the chat connections and the queue workers. On SIGTERM or SIGINT it
stops taking work, lets running jobs finish within http.shutdown_grace and
leaves the rest queued for the next start.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return c.withApp(cmd, func(ctx context.Context, a *app) error {
				if addr != "" {
					a.cfg.HTTP.Addr = addr
				}
				return c.serve(ctx, a)
			})
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "", "listen on HOST:PORT (default $DRONE_HTTP_ADDR, else the configuration's 127.0.0.1:8080)")
	return cmd
}

func (c *cli) serve(ctx context.Context, a *app) error {
	ln, err := net.Listen("tcp", a.cfg.HTTP.Addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", a.cfg.HTTP.Addr, err)
	}
	q, err := a.queue(ctx)
	if err != nil {
		ln.Close()
		return err
	}
	srv := &http.Server{Handler: a.handler(), ReadHeaderTimeout: 10 * time.Second}
	a.log.Info("drone serving", "addr", "http://"+ln.Addr().String(), "database", a.db.Path())
	fmt.Fprintf(c.Out, "drone serving on http://%s\n%s\n", ln.Addr(), a.describeIntegrations())
	for _, in := range a.enabled() {
		if in.Started == nil {
			continue
		}
		if err := in.Started(ctx, ln.Addr(), c.Out); err != nil {
			ln.Close()
			return fmt.Errorf("%s: %w", in.Name, err)
		}
	}
	if q != nil {
		if err := q.Start(ctx); err != nil {
			ln.Close()
			return err
		}
	}
	errs := make(chan error, 1+len(a.integrations))
	go func() { errs <- srv.Serve(ln) }()
	var wg sync.WaitGroup
	runCtx, stopRunners := context.WithCancel(ctx)
	for _, in := range a.integrations {
		if in.Enabled && in.Run != nil {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := in.Run(runCtx); err != nil && !errors.Is(err, context.Canceled) {
					errs <- fmt.Errorf("%s: %w", in.Name, err)
				}
			}()
		}
	}
	select {
	case <-ctx.Done():
		a.log.Info("stopping: finishing running jobs", "grace", a.cfg.HTTP.ShutdownGrace)
	case err = <-errs:
		a.log.Error("stopping after an error", "err", err)
	}
	stopRunners()
	grace, cancel := context.WithTimeout(context.Background(), a.cfg.HTTP.ShutdownGrace)
	defer cancel()
	shutdownErr := srv.Shutdown(grace)
	if q != nil {
		shutdownErr = errors.Join(shutdownErr, q.Stop(grace))
	}
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return errors.Join(err, shutdownErr)
}

// handler is drone serve's HTTP API: health, metrics, and the routes of the
// enabled integrations.
func (a *app) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := a.db.Ready(r.Context()); err != nil {
			a.log.Warn("not ready", "err", err)
			http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&storeCollector{a: a}, measure.NewMetrics(a.svc))
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	for _, in := range a.integrations {
		if !in.Enabled {
			continue
		}
		for pattern, h := range in.Routes {
			mux.Handle(pattern, h)
		}
	}
	return mux
}

// storeCollector reports incidents by status and jobs by state at scrape time.
type storeCollector struct{ a *app }

var (
	incidentsDesc = prometheus.NewDesc("drone_incidents", "Incidents by status.", []string{"status"}, nil)
	jobsDesc      = prometheus.NewDesc("drone_jobs", "Queued jobs by state (discarded jobs are dead).", []string{"state"}, nil)
)

func (s *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- incidentsDesc
	ch <- jobsDesc
}

func (s *storeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	counts, err := s.a.db.Counts(ctx)
	if err != nil {
		s.a.log.Warn("collecting metrics", "err", err)
		return
	}
	for st, n := range counts.Incidents {
		ch <- prometheus.MustNewConstMetric(incidentsDesc, prometheus.GaugeValue, float64(n), st)
	}
	for st, n := range counts.Jobs {
		ch <- prometheus.MustNewConstMetric(jobsDesc, prometheus.GaugeValue, float64(n), st)
	}
}
