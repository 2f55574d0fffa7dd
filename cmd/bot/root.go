package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ttp0/drone/config"
	"github.com/ttp0/drone/drone"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// Streams are the command's standard input and outputs.
type Streams struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
}

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1 // something failed
	exitUsage   = 2 // bad usage or input; the message says what is allowed
)

// usageError marks errors of the command line itself.
type usageError struct{ error }

// cli holds what every command shares.
type cli struct {
	Streams
	env        func(string) (string, bool)
	configPath string
	dbPath     string
}

// Run runs the drone command line and returns its exit code.
func Run(ctx context.Context, args []string, s Streams, env func(string) (string, bool)) int {
	c := &cli{Streams: s, env: env}
	root := c.rootCommand()
	root.SetArgs(args)
	root.SetIn(s.In)
	root.SetOut(s.Out)
	root.SetErr(s.Err)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	fmt.Fprintln(s.Err, "drone: "+message(err))
	return exitCode(err)
}

func message(err error) string {
	var ue usageError
	if errors.As(err, &ue) {
		return ue.Error()
	}
	var probs drone.Problems
	if errors.As(err, &probs) {
		return "the configuration has problems:\n" + probs.Error()
	}
	if drone.ErrorCode(err) == drone.EINTERNAL {
		return err.Error() // the operator is the one who reads logs here
	}
	return drone.ErrorMessage(err)
}

func exitCode(err error) int {
	var ue usageError
	var probs drone.Problems
	switch {
	case errors.As(err, &ue), errors.As(err, &probs):
		return exitUsage
	}
	switch drone.ErrorCode(err) {
	case drone.EINVALID, drone.ENOTFOUND, drone.ECONFLICT, drone.EFORBIDDEN:
		return exitUsage
	}
	return exitFailure
}

func (c *cli) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "drone",
		Short: "drone runs security incidents from chat with the DRONE workflow",
		Long: `drone runs security incidents with the DRONE workflow (Define, Reduce,
Outline, Notify, Enable) from Slack, Discord, e-mail and this command line,
and keeps TheHive in sync.

The command line acts as the local operator, who holds every role.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usageError{fmt.Errorf("%w\nsee: %s --help", err, cmd.CommandPath())}
	})
	pf := root.PersistentFlags()
	pf.StringVar(&c.configPath, "config", "", "configuration file (default $DRONE_CONFIG, else the embedded defaults)")
	pf.StringVar(&c.dbPath, "db", "", "database file (default $DRONE_DB, else the configuration's)")
	root.AddCommand(c.serveCommand(), c.shellCommand(), c.declareCommand(), c.incidentCommand(), c.iocCommand(),
		c.ackCommand(), c.leadCommand(), c.roleCommand(), c.grantCommand(), c.statusCommand(), c.closeCommand(), c.reopenCommand(),
		c.deliverCommand(), c.queueCommand(), c.configCommand(), c.configureCommand(), c.backupCommand(),
		c.versionCommand(), c.tdsCommand(), c.hiveCommand(), c.mispCommand(), c.cortexCommand(), c.jiraCommand(), c.serviceNowCommand(),
		c.discordCommand(), c.reportCommand(), c.notifyCommand(), c.slackCommand(), c.migrateCommand(), c.userCommand(), c.reviewCommand(),
		c.actionCommand(), c.actionsCommand(), c.snoozeCommand())
	wrapAllArgs(root)
	return root
}

// wrapAllArgs makes every command's argument errors usage errors.
func wrapAllArgs(cmd *cobra.Command) {
	for _, sub := range cmd.Commands() {
		sub.Args = wrapArgs(sub.Args)
		wrapAllArgs(sub)
	}
}

// wrapArgs turns cobra's argument errors into usage errors.
func wrapArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	if check == nil {
		return nil
	}
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return usageError{fmt.Errorf("%w\nusage: %s", err, cmd.UseLine())}
		}
		return nil
	}
}

// loadConfig reads the configuration named by --config or DRONE_CONFIG.
func (c *cli) loadConfig() (*config.Config, error) {
	path := c.configPath
	if path == "" {
		path, _ = c.env("DRONE_CONFIG")
	}
	var data []byte
	if path != "" {
		var err error
		if data, err = os.ReadFile(path); err != nil {
			return nil, usageError{fmt.Errorf("reading configuration: %w", err)}
		}
	}
	cfg, err := config.Parse(path, data, c.env)
	if err != nil {
		return nil, err
	}
	if c.dbPath != "" {
		cfg.Database = c.dbPath
	}
	return cfg, nil
}

// operator is the local user, who holds every role on the command line.
func (c *cli) operator() drone.Actor {
	name, _ := c.env("USER")
	if name == "" {
		if u, err := user.Current(); err == nil {
			name = u.Username
		}
	}
	return drone.Actor{Platform: "local", ID: orDefault(name, "operator"), Name: orDefault(name, "operator")}
}

func orDefault(v, def string) string {
	if strings.TrimSpace(v) == "" {
		return def
	}
	return v
}

var cliOrigin = drone.Origin{Channel: "cli"}

// printJSON writes v as indented JSON.
func (c *cli) printJSON(v any) error {
	enc := json.NewEncoder(c.Out)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("writing JSON: %w", err)
	}
	return nil
}

// parseRef reads an INC-n argument as a usage error when it is not one.
func parseRef(s string) (int64, error) {
	n, err := drone.ParseRef(s)
	if err != nil {
		return 0, usageError{err}
	}
	return n, nil
}

// buffered runs fn with standard output and standard error buffered, for
// the commands that print many lines: one write system call per 64 KB
// instead of one per line. Both are flushed when fn returns, and a failed
// write (a full disk, a closed pipe) is an error even when fn succeeded.
func (c *cli) buffered(fn func() error) (err error) {
	out, errOut := bufio.NewWriterSize(c.Out, 64<<10), bufio.NewWriterSize(c.Err, 16<<10)
	saved := c.Streams
	c.Out, c.Err = out, errOut
	defer func() {
		c.Streams = saved
		if ferr := out.Flush(); ferr != nil && err == nil {
			err = fmt.Errorf("writing output: %w", ferr)
		}
		if ferr := errOut.Flush(); ferr != nil && err == nil {
			err = fmt.Errorf("writing standard error: %w", ferr)
		}
	}()
	return fn()
}
