package main

import (
	"context"
	"fmt"

	"github.com/djsession/djsession/django/auth"
	"github.com/djsession/djsession/manage"
)

// rotateKey is `djsession rotate-key`.
func (c *cli) rotateKey() error {
	if _, err := c.positional(0); err != nil {
		return err
	}
	s, err := c.storeSettings()
	if err != nil {
		return err
	}
	s.Logger = quietLogger()
	if len(s.SecretKeyFallbacks) == 0 {
		return usagef("rotate-key needs the old key(s): --secret-key NEW --fallback-key OLD [--fallback-key OLDER...]")
	}
	t, closeFn, err := c.rewriteTarget(s, "rotate-key")
	if err != nil {
		return err
	}
	defer closeFn()
	var users auth.UserStore
	_, _, dbGiven := c.setting("database", envDatabaseURL)
	if t.DB != nil || dbGiven {
		// auth_user: in --database, the sessions' own for db and
		// cached_db. The file engine's auth hashes are checked only when
		// --database is given.
		sqlDB, dialect, err := c.openDatabase()
		if err != nil {
			return err
		}
		defer sqlDB.Close()
		table := auth.UserTable{}
		if v, ok := c.flags.get("user-table"); ok {
			table.Table = v
		}
		users = auth.NewSQLUsers(sqlDB, dialect, table)
	}
	return runRewrite(c, "rotate-key", func(ctx context.Context, o manage.Options) (*manage.RotateReport, error) {
		return manage.RotateKey(ctx, t, users, o)
	}, c.printRotate, "rotate-key: sessions still depend on a fallback key, or changed meanwhile (see the report); exit 1")
}

func (c *cli) printRotate(r *manage.RotateReport) {
	w := c.stdout
	resigned, restamped := "re-signed", "re-stamped"
	if r.DryRun {
		resigned, restamped = "would re-sign", "would re-stamp"
	}
	fmt.Fprintf(w, "rotate-key: %d sessions read (%s engine), %d fallback key(s)\n", r.Seen, r.Engine, r.Fallbacks)
	fmt.Fprintf(w, "%s with the current key: %d; auth hashes %s: %d; already current: %d; expired: %d\n",
		resigned, r.Resigned, restamped, r.Restamped, r.Current, r.Expired)
	if !r.AuthChecked {
		fmt.Fprintln(w, "auth hashes not checked: give --database with the auth_user table")
	}
	if r.StaleAuthHash > 0 || r.UserMissing > 0 {
		fmt.Fprintf(w, "logged out whatever the keys: %d auth hashes match no key (password changed), %d users missing\n", r.StaleAuthHash, r.UserMissing)
	}
	printChangedMeanwhile(w, r.ChangedMeanwhile)
	if len(r.Unreadable) > 0 {
		fmt.Fprintf(w, "signed by none of the keys given: %s\n", counts(r.Unreadable))
	}
	for i, n := range r.StillDepending {
		if n == 0 {
			fmt.Fprintf(w, "SECRET_KEY_FALLBACKS[%d]: no live session depends on it; it can be removed\n", i)
		} else {
			fmt.Fprintf(w, "SECRET_KEY_FALLBACKS[%d]: %d live sessions still depend on it; removing it logs them out\n", i, n)
		}
	}
	printRewriteEnd(w, r.CacheCopiesDropped, r.Examples)
}
