package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/signing"
)

// Exit statuses, part of the command's contract.
const (
	exitOK         = 0
	exitNotFound   = 1
	exitUsage      = 2
	exitBadData    = 3
	exitExpired    = 4
	exitBackendErr = 5
)

// usageError is a mistake in the command line or the configuration.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

// cli is one invocation: its flags, streams and environment.
type cli struct {
	flags  *flagSet
	stdin  io.Reader
	stdout io.Writer
	getenv func(string) string
}

// commandOrder lists the commands as usage shows them.
var commandOrder = []string{"dumps", "loads", "encode", "decode", "get", "set", "delete", "clearsessions", "whois", "check-password", "make-password"}

// usages are the synopses printed by --help and on a usage error.
var usages = map[string]string{
	"dumps":          "dumps [--salt S] [--compress] [--algorithm A] < value.json",
	"loads":          "loads [--salt S] [--max-age N] [--algorithm A] TOKEN",
	"encode":         "encode < session.json",
	"decode":         "decode DATA",
	"get":            "get KEY                       (store flags: --database, --cache, ...)",
	"set":            "set KEY [--expiry N] < session.json",
	"delete":         "delete KEY",
	"clearsessions":  "clearsessions",
	"whois":          "whois KEY [--user-table NAME]   (reads auth_user from --database)",
	"check-password": "check-password ENCODED < password   (exit 0 match, 1 no match, 2 unreadable)",
	"make-password":  "make-password [--hasher NAME] [--salt S] [--iterations N] < password",
}

// commandFunc returns the implementation of a command word.
func commandFunc(name string) (func(*cli) error, bool) {
	switch name {
	case "dumps":
		return (*cli).dumps, true
	case "loads":
		return (*cli).loads, true
	case "encode":
		return (*cli).encode, true
	case "decode":
		return (*cli).decode, true
	case "get":
		return (*cli).getSession, true
	case "set":
		return (*cli).setSession, true
	case "delete":
		return (*cli).deleteSession, true
	case "clearsessions":
		return (*cli).clearSessions, true
	case "whois":
		return (*cli).whois, true
	case "check-password":
		return (*cli).checkPassword, true
	case "make-password":
		return (*cli).makePassword, true
	}
	return nil, false
}

func newFlags() *flagSet {
	f := newFlagSet()
	// Settings flags.
	f.define("secret-key", false, "SECRET_KEY (default $DJANGO_SECRET_KEY)")
	f.define("fallback-key", false, "a SECRET_KEY_FALLBACKS entry (repeatable, in order)")
	f.define("engine", false, "SESSION_ENGINE: db, cache, cached_db, file, signed_cookies or a dotted path")
	f.define("session-cookie-age", false, "SESSION_COOKIE_AGE in seconds")
	f.define("now", false, "the clock, as Unix seconds")
	f.define("django-version", false, "3.2, 4.2, 5.2 or 6.1 (default: newest)")
	f.define("session-serializer", false, "json (default) or pickle (Django 3.2/4.2; needs --allow-pickle)")
	f.define("allow-pickle", true, "allow SESSION_SERIALIZER = PickleSerializer (see the README's security notes)")
	// Command flags.
	f.define("salt", false, "signing salt")
	f.define("compress", true, "zlib-compress when it saves at least 2 bytes")
	f.define("algorithm", false, "hashlib name of the HMAC hash")
	f.define("max-age", false, "maximum token age in seconds")
	// Store flags (dj-database-url style).
	f.define("database", false, "postgres://user:pass@host:port/name, mysql://..., sqlite:////abs/path")
	f.define("use-tz", true, "USE_TZ (default true)")
	f.define("time-zone", false, "TIME_ZONE (default UTC)")
	f.define("cache", false, "memcached://host:port[,host:port...] or redis://host:port/N[,redis://...]")
	f.define("cache-backend", false, "pymemcache, pylibmc, python-memcached, redis or django-redis")
	f.define("cache-key-prefix", false, "CACHES KEY_PREFIX")
	f.define("cache-version", false, "CACHES VERSION (default 1)")
	f.define("session-file-path", false, "SESSION_FILE_PATH (default the OS temp dir)")
	f.define("session-cookie-name", false, "SESSION_COOKIE_NAME (default sessionid)")
	f.define("expiry", false, "set: _session_expiry in seconds")
	f.define("user-table", false, "whois: the user model's table (default auth_user)")
	f.define("hasher", false, "make-password: the hasher's algorithm name (default pbkdf2_sha256)")
	f.define("iterations", false, "make-password: PBKDF2 iterations (default: the Django version's)")
	f.define("password-hashers", false, "PASSWORD_HASHERS as algorithm names, comma-separated (default: all the version has)")
	f.define("max-iterations", false, "check-password: refuse PBKDF2 hashes above this many iterations (default 10000000)")
	f.define("max-bcrypt-cost", false, "check-password: refuse bcrypt hashes above this cost (default 16)")
	f.define("help", true, "show usage")
	return f
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	c := &cli{flags: newFlags(), stdin: stdin, stdout: stdout, getenv: getenv}
	err := c.flags.parse(args)
	if err == nil {
		if c.flags.boolean("help") || len(c.flags.args) == 0 {
			printUsage(stderr)
			if c.flags.boolean("help") {
				return exitOK
			}
			return exitUsage
		}
		if fn, ok := commandFunc(c.flags.args[0]); !ok {
			err = usagef("unknown command %q", c.flags.args[0])
		} else {
			err = fn(c)
		}
	}
	if err == nil {
		return exitOK
	}
	code, msg := describe(err)
	fmt.Fprintln(stderr, strings.ReplaceAll(msg, "\n", " "))
	return code
}

// describe maps an error to the exit status and the one line the contract
// promises: BadSignature, SignatureExpired and Malformed start their line.
func describe(err error) (int, string) {
	var ue usageError
	var nf notFound
	switch {
	case errors.As(err, &ue):
		return exitUsage, "usage: " + err.Error()
	case errors.As(err, &nf):
		return exitNotFound, err.Error()
	case errors.Is(err, signing.ErrSignatureExpired):
		return exitExpired, "SignatureExpired: " + err.Error()
	case errors.Is(err, signing.ErrBadSignature):
		return exitBadData, "BadSignature: " + err.Error()
	case errors.Is(err, signing.ErrMalformed):
		return exitBadData, "Malformed: " + err.Error()
	case errors.Is(err, signing.ErrNoKey), errors.Is(err, signing.ErrInvalidAlgorithm),
		errors.Is(err, signing.ErrUnsafeSeparator), errors.Is(err, django.ErrImproperlyConfigured):
		return exitUsage, "configuration: " + err.Error()
	}
	return exitBackendErr, err.Error()
}

// notFound is exit status 1.
type notFound struct{ msg string }

func (e notFound) Error() string { return e.msg }

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: djsession [settings flags] COMMAND [flags] [ARGS]")
	for _, name := range commandOrder {
		fmt.Fprintln(w, "  djsession "+usages[name])
	}
	fmt.Fprintln(w, "settings flags: --secret-key KEY --fallback-key KEY --engine NAME --session-cookie-age N --now UNIX --django-version V")
	fmt.Fprintln(w, "store flags: --database URL --use-tz=BOOL --time-zone NAME --cache URL --cache-backend NAME --cache-key-prefix S --cache-version N --session-file-path DIR --session-cookie-name NAME")
}

// positional returns the command's arguments after the command word,
// requiring exactly n.
func (c *cli) positional(n int) ([]string, error) {
	a := c.flags.args[1:]
	if len(a) != n {
		return nil, usagef("%s takes %d argument(s); usage: djsession %s", c.flags.args[0], n, usages[c.flags.args[0]])
	}
	return a, nil
}

// settings builds Django's settings from the flags.
func (c *cli) settings() (django.Settings, error) {
	key, ok := c.flags.get("secret-key")
	if !ok {
		key = c.getenv("DJANGO_SECRET_KEY")
	}
	if key == "" {
		return django.Settings{}, usagef("no secret key: give --secret-key or set DJANGO_SECRET_KEY")
	}
	s := django.DefaultSettings(key)
	s.SecretKeyFallbacks = c.flags.all("fallback-key")
	if v, ok := c.flags.get("django-version"); ok {
		ver, err := django.ParseVersion(v)
		if err != nil {
			return s, usagef("--django-version: %v", err)
		}
		s.DjangoVersion = ver
	}
	switch v, _ := c.flags.get("session-serializer"); v {
	case "", "json":
	case "pickle":
		s.SessionSerializer = django.PickleSerializer
		s.AllowPickleSerializer = c.flags.boolean("allow-pickle")
		if !s.AllowPickleSerializer {
			return s, usagef("--session-serializer pickle needs --allow-pickle: in Django, a leaked SECRET_KEY with PickleSerializer is remote code execution")
		}
	default:
		return s, usagef("--session-serializer takes json or pickle, not %q", v)
	}
	if e, ok := c.flags.get("engine"); ok {
		if e == "" {
			return s, usagef("--engine must not be empty")
		}
		s.SessionEngine = django.EngineName(e)
	}
	if v, ok := c.flags.get("session-cookie-age"); ok {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return s, usagef("--session-cookie-age takes whole seconds, not %q", v)
		}
		s.SessionCookieAge = n
	}
	if v, ok := c.flags.get("now"); ok {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return s, usagef("--now takes Unix seconds, not %q", v)
		}
		sec, frac := math.Modf(f)
		t := time.Unix(int64(sec), int64(math.Round(frac*1e9)))
		s.Clock = func() time.Time { return t }
	}
	return s, nil
}

// durationFlag reads a number of seconds (a float is allowed).
func durationFlag(name, v string) (time.Duration, error) {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || math.Abs(f) > float64(math.MaxInt64)/1e9 {
		return 0, usagef("--%s takes seconds, not %q", name, v)
	}
	return time.Duration(math.Round(f * 1e9)), nil
}
