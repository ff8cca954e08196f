package main

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/django/auth/hashers"
)

// errNoMatch is check-password's exit status 1.
var errNoMatch = notFound{"the password does not match"}

// readPassword reads stdin byte for byte: nothing is trimmed, not even a
// final newline (use printf, not echo).
func (c *cli) readPassword() (string, error) {
	raw, err := io.ReadAll(c.stdin)
	if err != nil {
		return "", fmt.Errorf("reading stdin: %w", err)
	}
	if !utf8.Valid(raw) {
		return "", usagef("the password on stdin is not UTF-8 text")
	}
	return string(raw), nil
}

// hasherOptions are the options common to both password commands.
func (c *cli) hasherOptions() ([]hashers.Option, error) {
	v := django.LatestVersion
	if s, ok := c.flags.get("django-version"); ok {
		var err error
		if v, err = django.ParseVersion(s); err != nil {
			return nil, usagef("--django-version: %v", err)
		}
	}
	opts := []hashers.Option{hashers.WithVersion(v)}
	if list, ok := c.flags.get("password-hashers"); ok {
		opts = append(opts, hashers.WithHashers(strings.Split(list, ",")...))
	}
	limits := hashers.Limits{}
	if m, ok := c.flags.get("max-iterations"); ok {
		n, err := strconv.ParseUint(m, 10, 64)
		if err != nil || n == 0 {
			return nil, usagef("--max-iterations takes a positive integer")
		}
		limits.PBKDF2Iterations = n
	}
	if m, ok := c.flags.get("max-bcrypt-cost"); ok {
		n, err := strconv.Atoi(m)
		if err != nil || n <= 0 {
			return nil, usagef("--max-bcrypt-cost takes a positive integer")
		}
		limits.BcryptCost = n
	}
	return append(opts, hashers.WithLimits(limits)), nil
}

// checkPassword is check_password(stdin, ENCODED).
func (c *cli) checkPassword() error {
	a, err := c.positional(1)
	if err != nil {
		return err
	}
	if a[0] == "" {
		// check_password answers False, but only because identify_hasher
		// raised ValueError: like any hash no hasher reads, it is exit 2,
		// not a password that does not match.
		return usagef("check-password: the encoded password is empty; Django's identify_hasher finds no hasher for it")
	}
	opts, err := c.hasherOptions()
	if err != nil {
		return err
	}
	pw, err := c.readPassword()
	if err != nil {
		return err
	}
	ok, err := hashers.Check(pw, a[0], opts...)
	switch {
	case errors.Is(err, hashers.ErrWorkFactorTooHigh):
		return usagef("refused, not computed: %v", err)
	case errors.Is(err, hashers.ErrUnknownHasher):
		return usagef("%v", err)
	case err != nil:
		return err
	case !ok:
		return errNoMatch
	}
	return nil
}

// makePassword is make_password(stdin, salt, hasher).
func (c *cli) makePassword() error {
	if _, err := c.positional(0); err != nil {
		return err
	}
	opts, err := c.hasherOptions()
	if err != nil {
		return err
	}
	hasher, ok := c.flags.get("hasher")
	if !ok {
		hasher = hashers.PBKDF2SHA256
	}
	if s, ok := c.flags.get("salt"); ok {
		opts = append(opts, hashers.WithSalt(s))
	}
	if s, ok := c.flags.get("iterations"); ok {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			return usagef("--iterations takes a positive integer")
		}
		opts = append(opts, hashers.WithIterations(n))
	}
	pw, err := c.readPassword()
	if err != nil {
		return err
	}
	encoded, err := hashers.Make(pw, hasher, opts...)
	if errors.Is(err, hashers.ErrUnknownHasher) || errors.Is(err, hashers.ErrInvalidArgument) {
		return usagef("%v", err)
	}
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(c.stdout, encoded)
	return err
}
