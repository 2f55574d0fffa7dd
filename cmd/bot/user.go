package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/web"
)

func (c *cli) userCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "user", Short: "Manage the web console's accounts", Args: cobra.NoArgs,
		Long: `Manage the web console's accounts. An account signs in with a password (kept as
an argon2id hash). Its console roles are groups that drone's roles name as
web:group:ROLE (the account itself is web:NAME); the role admin also
administers the console (accounts, the queue). Its clearance, a TLP level,
decides which incidents it sees at all.

Passwords are read from the terminal without echo, or from the first line
of standard input when it is not a terminal.`}
	var roles []string
	var clearance, display string
	add := &cobra.Command{
		Use: "add NAME", Short: "Add an account", Args: cobra.ExactArgs(1),
		Example: "  drone user add alice --role responders --clearance AMBER --display \"Alice Martin\"\n" +
			"  printf '%s\\n' \"$PASSWORD\" | drone user add bot --role readers --clearance GREEN",
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.withApp(cmd, func(ctx context.Context, a *app) error {
				password, err := c.readNewPassword()
				if err != nil {
					return err
				}
				acc, errs := web.NewAccount(a.cfg.Framework, args[0], display, password, clearance, roles)
				if len(errs) > 0 {
					var lines []string
					for _, k := range []string{"name", "password", "clearance", "roles"} {
						if m := errs[k]; m != "" {
							lines = append(lines, k+": "+m)
						}
					}
					return usageError{errors.New(strings.Join(lines, "\n"))}
				}
				if acc.PasswordHash, err = web.HashPassword(password); err != nil {
					return err
				}
				acc.CreatedAt = time.Now().UTC()
				acc.UpdatedAt = acc.CreatedAt
				if err := a.db.CreateAccount(ctx, acc); err != nil {
					return err
				}
				fmt.Fprintf(c.Out, "added %s (web:%s), console roles %s, clearance TLP:%s\n", acc.Name, acc.Name,
					orDefault(strings.Join(acc.Roles, ", "), "none"), acc.Clearance)
				return nil
			})
		},
	}
	add.Flags().StringSliceVar(&roles, "role", nil, "console role (repeat or separate with commas); admin administers the console")
	add.Flags().StringVar(&clearance, "clearance", "AMBER", "highest TLP the account may see")
	add.Flags().StringVar(&display, "display", "", "display name (default: the name)")

	var asJSON bool
	list := &cobra.Command{
		Use: "list", Short: "List the accounts", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return c.withApp(cmd, func(ctx context.Context, a *app) error {
				accs, err := a.db.ListAccounts(ctx)
				if err != nil {
					return err
				}
				if asJSON {
					return c.printJSON(nonNil(accs))
				}
				if len(accs) == 0 {
					fmt.Fprintln(c.Out, "no account yet: drone user add NAME --role admin, or the set-up link drone serve prints")
				}
				for _, acc := range accs {
					state := ""
					if acc.Disabled {
						state = "  (disabled)"
					}
					fmt.Fprintf(c.Out, "%-20s %-14s roles %-24s %s%s\n", acc.Name, "TLP:"+acc.Clearance,
						orDefault(strings.Join(acc.Roles, ","), "-"), acc.DisplayName, state)
				}
				return nil
			})
		},
	}
	list.Flags().BoolVar(&asJSON, "json", false, "print JSON")

	passwd := &cobra.Command{
		Use: "passwd NAME", Short: "Set an account's password and sign it out everywhere", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.withApp(cmd, func(ctx context.Context, a *app) error {
				acc, err := a.db.Account(ctx, web.NormaliseName(args[0]))
				if err != nil {
					return err
				}
				password, err := c.readNewPassword()
				if err != nil {
					return err
				}
				if err := web.CheckPassword(acc.Name, password); err != nil {
					return usageError{err}
				}
				if acc.PasswordHash, err = web.HashPassword(password); err != nil {
					return err
				}
				acc.UpdatedAt = time.Now().UTC()
				return c.saveAndSignOut(ctx, a, acc, "password changed")
			})
		},
	}
	setDisabled := func(use, short string, disabled bool) *cobra.Command {
		return &cobra.Command{
			Use: use + " NAME", Short: short, Args: cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				return c.withApp(cmd, func(ctx context.Context, a *app) error {
					acc, err := a.db.Account(ctx, web.NormaliseName(args[0]))
					if err != nil {
						return err
					}
					acc.Disabled, acc.UpdatedAt = disabled, time.Now().UTC()
					return c.saveAndSignOut(ctx, a, acc, use+"d")
				})
			},
		}
	}
	var setRoles []string
	var setClearance string
	set := &cobra.Command{
		Use: "set NAME", Short: "Change an account's console roles or clearance", Args: cobra.ExactArgs(1),
		Long: `Change an account's console roles (--role, which replaces them all; --role ""
takes them all away) or its clearance (--clearance TLP), or both. The change
holds from the account's next page in the console. An account that signs in
through OpenID Connect gets its roles and clearance from the provider's
claims again at its next sign-in.`,
		Example: "  drone user set alice --role responders,admin\n  drone user set bob --clearance RED",
		RunE: func(cmd *cobra.Command, args []string) error {
			ch := web.AccountChange{}
			if cmd.Flags().Changed("role") {
				ch.Roles = &setRoles
			}
			if cmd.Flags().Changed("clearance") {
				ch.Clearance = &setClearance
			}
			if ch.Roles == nil && ch.Clearance == nil {
				return usageError{errors.New("say what to change: --role ROLE and/or --clearance TLP")}
			}
			return c.withApp(cmd, func(ctx context.Context, a *app) error {
				acc, err := a.db.Account(ctx, web.NormaliseName(args[0]))
				if err != nil {
					return err
				}
				if errs := web.EditAccount(a.cfg.Framework, acc, ch); len(errs) > 0 {
					var lines []string
					for _, k := range []string{"roles", "clearance"} {
						if m := errs[k]; m != "" {
							lines = append(lines, k+": "+m)
						}
					}
					return usageError{errors.New(strings.Join(lines, "\n"))}
				}
				acc.UpdatedAt = time.Now().UTC()
				if err := a.db.SaveAccount(ctx, *acc); err != nil {
					return err
				}
				fmt.Fprintf(c.Out, "%s: console roles %s, clearance TLP:%s\n", acc.Name,
					orDefault(strings.Join(acc.Roles, ", "), "none"), acc.Clearance)
				if web.IsOIDC(acc) {
					fmt.Fprintln(c.Out, "(it signs in through OpenID Connect: the provider's claims set these again at its next sign-in)")
				}
				return nil
			})
		},
	}
	set.Flags().StringSliceVar(&setRoles, "role", nil, "the console roles (repeat or separate with commas), replacing the current ones")
	set.Flags().StringVar(&setClearance, "clearance", "", "the highest TLP the account may see")

	cmd.AddCommand(add, list, set, passwd, setDisabled("disable", "Stop an account from signing in, and sign it out", true),
		setDisabled("enable", "Let a disabled account sign in again", false))
	return cmd
}

func (c *cli) saveAndSignOut(ctx context.Context, a *app, acc *drone.Account, what string) error {
	if err := a.db.SaveAccount(ctx, *acc); err != nil {
		return err
	}
	n, err := a.db.DeleteSessions(ctx, drone.SessionFilter{Account: acc.Name})
	if err != nil {
		return err
	}
	fmt.Fprintf(c.Out, "%s: %s; %d session(s) signed out\n", acc.Name, what, n)
	return nil
}

// readNewPassword reads a new password twice without echo from a terminal,
// or once from the first line of standard input otherwise.
func (c *cli) readNewPassword() (string, error) {
	if f, ok := c.In.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(c.Err, "password: ")
		p1, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(c.Err)
		if err != nil {
			return "", fmt.Errorf("reading the password: %w", err)
		}
		fmt.Fprint(c.Err, "again: ")
		p2, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(c.Err)
		if err != nil {
			return "", fmt.Errorf("reading the password: %w", err)
		}
		if string(p1) != string(p2) {
			return "", usageError{errors.New("the two passwords differ")}
		}
		return string(p1), nil
	}
	line, err := bufio.NewReader(c.In).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading the password: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", usageError{errors.New("no password on standard input")}
	}
	return line, nil
}
