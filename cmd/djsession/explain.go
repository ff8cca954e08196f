package main

import (
	"fmt"

	"github.com/djsession/djsession/manage"
)

// explainCommand is `djsession explain VALUE`.
var explainCommand = command{
	name: "explain", args: "VALUE", summary: "everything about one session key or cookie value",
	doc: "Says, one finding a line, whether and where VALUE is stored (and where else it was found: another KEY_PREFIX, " +
		"VERSION, Redis db or engine; every store the flags name is searched), whether it is a signed_cookies value or a " +
		"value signed with another salt, under which key index it verifies, its age and expiry, its serializer, and for a " +
		"logged-in session the user id and whether the auth hash verifies (and under which key index). It only reads, and " +
		"shows no more of VALUE than its first 8 characters. Exit 0 everything agrees, 1 something disagrees (or VALUE is " +
		"stored nowhere the settings look), 2 usage, 5 backend error.",
	argDocs: [][2]string{{"VALUE", "a session key, or a whole sessionid cookie value"}},
	flags:   []string{"json", "user-table"},
	groups:  []flagGroup{sessionSettings, storeFlags}, run: (*cli).explain,
}

// explain is `djsession explain VALUE`.
func (c *cli) explain() error {
	a, err := c.positional(1)
	if err != nil {
		return err
	}
	s, err := c.storeSettings()
	if err != nil {
		return err
	}
	s.Logger = quietLogger()
	ctx, cancel := c.context()
	defer cancel()
	src, closeFn, err := c.sources(ctx, s, true)
	if err != nil {
		return err
	}
	defer closeFn()
	r, err := manage.Explain(ctx, src, a[0])
	if err != nil {
		return err
	}
	if c.flags.boolean("json") {
		if err := c.writeReport(r); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(c.stdout, "explain %s…: a %s, %s engine configured\n", r.Value, r.Kind, r.Engine)
		printFindings(c.stdout, r.Findings)
	}
	return leftOver(r.ExitCode(), "explain: something disagrees with the configuration (the lines starting with !); exit 1")
}
