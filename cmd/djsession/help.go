package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// exitStatuses is the contract of run's exit codes, as help states it.
const exitStatuses = "exit status: 0 ok; 1 not found, or no match; 2 usage or configuration error; " +
	"3 BadSignature or Malformed; 4 SignatureExpired; 5 backend error (a server, a file, a database)"

// environment is what help says of the variables the command reads.
var environment = "environment: " + envSecretKey + ", " + envFallbacks + " (comma-separated), " +
	envDatabaseURL + ", " + envCacheURL + ", " + envRedisURL + "; a flag overrides its variable. " +
	"Secrets on the command line are visible to every local user (ps): prefer the environment."

// printUsage is the general help: the commands and where to learn more.
func printUsage(w io.Writer) error {
	var b strings.Builder
	b.WriteString("usage: djsession [flags] COMMAND [ARGS]\n\n")
	b.WriteString("Reads and writes Django's signed tokens and sessions, byte for byte as Django does.\n\n")
	b.WriteString("commands:\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, cmd := range commands {
		fmt.Fprintf(tw, "  %s %s\t%s\n", cmd.name, cmd.args, cmd.summary)
	}
	tw.Flush()
	b.WriteString("\n`djsession help COMMAND` (or `djsession COMMAND -h`) shows what a command does, its arguments and its flags with their defaults.\n")
	b.WriteString("Flags may stand before or after the command word; `--` ends them.\n\n")
	b.WriteString(environment + "\n")
	b.WriteString(exitStatuses + "\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// synopsis is the command's usage line.
func (cmd *command) synopsis() string {
	s := "djsession " + cmd.name
	if len(cmd.flags) > 0 || len(cmd.groups) > 0 {
		s += " [flags]"
	}
	if cmd.args != "" {
		s += " " + cmd.args
	}
	return s
}

// printHelp is a command's own help: what it does, its arguments, its
// flags with their defaults.
func (cmd *command) printHelp(w io.Writer, f *flagSet) error {
	var b strings.Builder
	fmt.Fprintf(&b, "usage: %s\n\n%s\n", cmd.synopsis(), cmd.doc)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	if len(cmd.argDocs) > 0 {
		fmt.Fprintf(tw, "\narguments:\n")
		for _, a := range cmd.argDocs {
			fmt.Fprintf(tw, "  %s\t%s\n", a[0], a[1])
		}
	}
	section := func(title string, names []string) {
		if len(names) == 0 {
			return
		}
		fmt.Fprintf(tw, "\n%s:\n", title)
		for _, name := range names {
			spec, ok := cmd.override[name]
			if !ok {
				spec = f.specs[name]
			}
			flag := "--" + name
			if !spec.boolean() {
				flag += " " + spec.arg
			}
			def := ""
			if spec.def != "" {
				def = " (default " + spec.def + ")"
			}
			fmt.Fprintf(tw, "  %s\t%s%s\n", flag, spec.usage, def)
		}
	}
	section("flags", cmd.flags)
	for _, g := range cmd.groups {
		section(g.title, g.names)
	}
	tw.Flush()
	if len(cmd.groups) > 0 {
		b.WriteString("\n" + environment + "\n")
	}
	b.WriteString(exitStatuses + "\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// help prints the general help, or one command's.
func (c *cli) help() error {
	a := c.flags.args[1:]
	switch {
	case len(a) == 0:
		return printUsage(c.stdout)
	case len(a) > 1:
		return usagef("help takes at most one command word")
	}
	cmd, ok := lookup(a[0])
	if !ok {
		return usagef("help: unknown command %q", a[0])
	}
	return cmd.printHelp(c.stdout, c.flags)
}
