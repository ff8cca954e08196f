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
	"github.com/djsession/djsession/django/auth/hashers"
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
	cmd    *command // the command word's, once dispatch found it
}

// command is one command word: what help says of it and what runs it.
type command struct {
	name    string
	args    string // the synopsis after the flags
	summary string // one line, for the list of commands
	doc     string // what the command does, for its own help
	argDocs [][2]string
	flags   []string // its own flags, in help order
	// override replaces, in this command's help, what a flag shared with
	// other commands means here.
	override map[string]flagSpec
	groups   []flagGroup
	run      func(*cli) error
}

// flagGroup is a set of flags that several commands share.
type flagGroup struct {
	title string
	names []string
}

var (
	signingSettings = flagGroup{"settings flags", []string{"secret-key", "fallback-key", "django-version", "now"}}
	sessionSettings = flagGroup{"settings flags", []string{"secret-key", "fallback-key", "engine", "session-cookie-age", "now", "django-version", "session-serializer", "allow-pickle"}}
	storeFlags      = flagGroup{"store flags", []string{"database", "use-tz", "time-zone", "cache", "cache-backend", "cache-client", "sentinel", "cache-key-prefix", "cache-version", "session-file-path", "session-cookie-name"}}
	hasherFlags     = flagGroup{"hasher flags", []string{"django-version", "password-hashers", "max-iterations", "max-bcrypt-cost"}}
)

// commands are the command words, in the order help lists them.
var commands = []command{
	{name: "dumps", args: "< value.json", summary: "stdin JSON value -> signing.dumps token",
		doc:   "Reads a JSON value on stdin and prints django.core.signing.dumps(value): a signed, timestamped token.",
		flags: []string{"salt", "compress", "algorithm"}, groups: []flagGroup{signingSettings}, run: (*cli).dumps},
	{name: "loads", args: "TOKEN", summary: "signing.dumps token -> its JSON value",
		doc:     "Prints the JSON value of a token, as django.core.signing.loads reads it (exit 3 BadSignature or Malformed, 4 SignatureExpired).",
		argDocs: [][2]string{{"TOKEN", "a signing.dumps token"}},
		flags:   []string{"salt", "max-age", "algorithm"}, groups: []flagGroup{signingSettings}, run: (*cli).loads},
	{name: "encode", args: "< session.json", summary: "stdin JSON object -> SessionStore.encode",
		doc:   "Reads the session dict as a JSON object on stdin and prints SessionStore.encode(dict) of the engine: the session_data of db, cache and file, the cookie of signed_cookies.",
		flags: nil, groups: []flagGroup{sessionSettings}, run: (*cli).encode},
	{name: "decode", args: "DATA", summary: "session data -> the session dict as JSON",
		doc:     "Prints the session dict that SessionStore.decode reads from DATA as JSON. Where Django would quietly read {}, the command says why (exit 3).",
		argDocs: [][2]string{{"DATA", "session_data, or the cookie of signed_cookies"}},
		groups:  []flagGroup{sessionSettings}, run: (*cli).decode},
	{name: "get", args: "KEY", summary: "print a stored session",
		doc:     "Prints the session stored under KEY in the engine's store as JSON (exit 1 when it is missing or expired).",
		argDocs: [][2]string{{"KEY", "the session key (the cookie's value)"}},
		groups:  []flagGroup{sessionSettings, storeFlags}, run: (*cli).getSession},
	{name: "set", args: "KEY < session.json", summary: "store a session",
		doc:     "Makes the session under KEY exactly the JSON object on stdin, saved as SessionStore.save saves it (a create when KEY is absent).",
		argDocs: [][2]string{{"KEY", "the session key: 8 or more characters ([a-z0-9] for the file engine)"}},
		flags:   []string{"expiry"}, groups: []flagGroup{sessionSettings, storeFlags}, run: (*cli).setSession},
	{name: "delete", args: "KEY", summary: "delete a stored session",
		doc:     "Deletes the session stored under KEY; a missing session is not an error.",
		argDocs: [][2]string{{"KEY", "the session key"}},
		groups:  []flagGroup{sessionSettings, storeFlags}, run: (*cli).deleteSession},
	{name: "clearsessions", summary: "delete expired sessions",
		doc:    "Deletes the expired sessions of the engine's store, as manage.py clearsessions does.",
		groups: []flagGroup{sessionSettings, storeFlags}, run: (*cli).clearSessions},
	{name: "whois", args: "KEY", summary: "who a session belongs to",
		doc:     "Prints the user a session is logged in as (user_id, backend, whether the session auth hash is valid, is_active), reading the user table from --database. It only reads.",
		argDocs: [][2]string{{"KEY", "the session key, or the cookie of signed_cookies"}},
		flags:   []string{"user-table"}, groups: []flagGroup{sessionSettings, storeFlags}, run: (*cli).whois},
	{name: "check-password", args: "ENCODED < password", summary: "check_password(stdin, ENCODED)",
		doc:     "Checks the password on stdin, byte for byte (use printf, not echo), against an encoded password: exit 0 match, 1 no match, 2 a hash no enabled hasher reads or one refused for its work factor.",
		argDocs: [][2]string{{"ENCODED", "the stored password, such as auth_user.password"}},
		groups:  []flagGroup{hasherFlags}, run: (*cli).checkPassword},
	{name: "make-password", args: "< password", summary: "make_password(stdin)",
		doc:      "Prints make_password(password) for the password on stdin, byte for byte.",
		flags:    []string{"hasher", "salt", "iterations"},
		override: map[string]flagSpec{"salt": {arg: "S", def: "a random one", usage: "the hasher's salt"}},
		groups:   []flagGroup{hasherFlags}, run: (*cli).makePassword},
	{name: "convert-serializer", summary: "rewrite PickleSerializer sessions as JSON, in place",
		doc:   "Rewrites every stored session_data (db, cached_db, file) that PickleSerializer wrote as JSONSerializer data signed with the current key, each write conditional on what was read; sessions holding values JSON cannot carry are left and counted by type. Describe the site as it is: --django-version 4.2 --session-serializer pickle --allow-pickle. Exit 0 all converted, 1 something left, 2 usage, 5 backend.",
		flags: []string{"to", "dry-run", "json", "batch-size"}, groups: []flagGroup{sessionSettings, storeFlags}, run: (*cli).convertSerializer},
	{name: "rotate-key", summary: "re-sign sessions and auth hashes made under a fallback key",
		doc:   "With --secret-key NEW --fallback-key OLD...: re-signs stored session_data (db, cached_db, file) that verifies only under a fallback, and re-stamps _auth_user_hash made under a fallback (users from --database), with conditional writes; reports per fallback index how many sessions still depend on it. Exit 0 no session depends on a fallback, 1 some still do, 2 usage, 5 backend.",
		flags: []string{"dry-run", "json", "batch-size", "user-table"}, groups: []flagGroup{sessionSettings, storeFlags}, run: (*cli).rotateKey},
	copyCommand,
	checkCommand,
	explainCommand,
	{name: "help", args: "[COMMAND]", summary: "this help, or a command's",
		doc:     "Prints the list of commands, or what COMMAND does, its arguments and its flags with their defaults.",
		argDocs: [][2]string{{"COMMAND", "a command word"}}},
}

func init() {
	// Set here: help reads commands, which would make the table's
	// initialization depend on itself.
	h, _ := lookup("help")
	h.run = (*cli).help
}

// lookup returns the command a word names.
func lookup(name string) (*command, bool) {
	for i := range commands {
		if commands[i].name == name {
			return &commands[i], true
		}
	}
	return nil, false
}

func newFlags() *flagSet {
	f := newFlagSet()
	d := django.DefaultSettings("")
	limits := hashers.DefaultLimits
	// Settings flags.
	f.define("secret-key", "KEY", "$"+envSecretKey, "SECRET_KEY")
	f.define("fallback-key", "KEY", "$"+envFallbacks+", comma-separated", "a SECRET_KEY_FALLBACKS entry (repeatable, in order; replaces the environment's)")
	f.define("engine", "NAME", "db", "SESSION_ENGINE: db, cache, cached_db, file, signed_cookies or a dotted path")
	f.define("session-cookie-age", "N", strconv.FormatInt(d.SessionCookieAge, 10), "SESSION_COOKIE_AGE in seconds")
	f.define("now", "UNIX", "the system clock", "the clock, as Unix seconds: signing timestamps, expiry, memcached's absolute expiration times")
	f.define("django-version", "V", django.LatestVersion.String(), "the Django version to follow: 3.2, 4.2, 5.2 or 6.1")
	f.define("session-serializer", "NAME", "json", "SESSION_SERIALIZER: json, pickle (Django 3.2/4.2) or bridge (djsession_bridge.BridgeSerializer); the last two need --allow-pickle")
	f.defineBool("allow-pickle", "false", "allow SESSION_SERIALIZER = PickleSerializer (see the README's security notes)")
	// Command flags.
	f.define("salt", "S", "django.core.signing", "signing salt")
	f.defineBool("compress", "false", "zlib-compress when it saves at least 2 bytes")
	f.define("algorithm", "A", "sha256", "hashlib name of the HMAC hash")
	f.define("max-age", "N", "none", "maximum token age in seconds")
	// Store flags (dj-database-url style).
	f.define("database", "URL", "$"+envDatabaseURL+", else "+defaultDatabase, "postgres://user:pass@host:port/name, mysql://..., sqlite:////abs/path")
	f.defineBool("use-tz", strconv.FormatBool(d.UseTZ), "USE_TZ")
	f.define("time-zone", "NAME", d.TimeZone, "TIME_ZONE")
	f.define("cache", "URL", "$"+envCacheURL+", else $"+envRedisURL, "memcached://host:port[,host:port...] or redis://host:port/N[,redis://...] (valkey:// too)")
	f.define("cache-backend", "NAME", "pymemcache or redis", "pymemcache, pylibmc, python-memcached, redis or django-redis")
	f.define("cache-client", "NAME", "default", "Redis: default, shard, sentinel (django-redis' CLIENT_CLASS) or cluster (a Redis Cluster from the seed nodes in --cache)")
	f.define("sentinel", "HOST:PORT", "", "a Sentinel of --cache redis://SERVICE/DB (repeatable: SENTINELS)")
	f.define("cache-key-prefix", "S", `""`, "CACHES KEY_PREFIX")
	f.define("cache-version", "N", "1", "CACHES VERSION")
	f.define("session-file-path", "DIR", "the OS temp dir", "SESSION_FILE_PATH")
	f.define("session-cookie-name", "NAME", d.SessionCookieName, "SESSION_COOKIE_NAME")
	f.define("expiry", "N", "SESSION_COOKIE_AGE", "_session_expiry in seconds")
	f.define("user-table", "NAME", "auth_user", "the user model's table")
	f.define("hasher", "NAME", hashers.PBKDF2SHA256, "the hasher's algorithm name")
	f.define("iterations", "N", "the Django version's", "PBKDF2 iterations")
	f.define("password-hashers", "LIST", "all the version has", "PASSWORD_HASHERS as algorithm names, comma-separated")
	f.define("max-iterations", "N", strconv.FormatUint(limits.PBKDF2Iterations, 10), "refuse PBKDF2 hashes above this many iterations")
	f.define("max-bcrypt-cost", "N", strconv.Itoa(limits.BcryptCost), "refuse bcrypt hashes above this cost")
	defineCopyFlags(f) // after the store flags: --to-NAME is described as NAME
	f.defineBool("help", "", "show help (also -h)")
	defineRewriteFlags(f) // convert-serializer and rotate-key (convert.go)
	defineCheckFlags(f)   // check and explain (check.go)
	return f
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	c := &cli{flags: newFlags(), stdin: stdin, stdout: stdout, getenv: getenv}
	err := c.flags.parse(args)
	if err == nil {
		err = c.dispatch(stderr)
	}
	if err == nil {
		return exitOK
	}
	code, msg := describe(err)
	fmt.Fprintln(stderr, c.redact(strings.ReplaceAll(msg, "\n", " ")))
	return code
}

// dispatch runs the command word, or prints the help asked for: help goes
// to stdout when asked for, to stderr (exit 2) when the command is missing.
func (c *cli) dispatch(stderr io.Writer) error {
	args := c.flags.args
	help := c.flags.boolean("help")
	if len(args) == 0 {
		if help {
			return printUsage(c.stdout)
		}
		printUsage(stderr)
		return errNoCommand
	}
	cmd, ok := lookup(args[0])
	if !ok {
		return usagef("unknown command %q (djsession help lists them)", args[0])
	}
	if help {
		return cmd.printHelp(c.stdout, c.flags)
	}
	c.cmd = cmd
	return cmd.run(c)
}

// errNoCommand is exit 2 after the usage was printed.
var errNoCommand = usageError{"no command given"}

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

// positional returns the command's arguments after the command word,
// requiring exactly n.
func (c *cli) positional(n int) ([]string, error) {
	a := c.flags.args[1:]
	if len(a) != n {
		return nil, usagef("%s takes %d argument(s); usage: %s", c.cmd.name, n, c.cmd.synopsis())
	}
	return a, nil
}

// settings builds Django's settings from the flags.
func (c *cli) settings() (django.Settings, error) {
	key, _, _ := c.setting("secret-key", envSecretKey)
	if key == "" {
		return django.Settings{}, usagef("no secret key: give --secret-key or set %s", envSecretKey)
	}
	s := django.DefaultSettings(key)
	if c.flags.isSet("fallback-key") {
		s.SecretKeyFallbacks = c.flags.all("fallback-key")
	} else if v := c.getenv(envFallbacks); v != "" {
		for _, k := range strings.Split(v, ",") {
			// An empty entry is a stray comma, not a key anyone signs with.
			if k != "" {
				s.SecretKeyFallbacks = append(s.SecretKeyFallbacks, k)
			}
		}
	}
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
	case "bridge":
		// python/djsession_bridge.py's BridgeSerializer: reads pickle and JSON (convert.go).
		s.SessionSerializer = django.BridgeSerializer
		s.AllowPickleSerializer = c.flags.boolean("allow-pickle")
		if !s.AllowPickleSerializer {
			return s, usagef("--session-serializer bridge reads pickle: it needs --allow-pickle")
		}
	default:
		return s, usagef("--session-serializer takes json, pickle or bridge, not %q", v)
	}
	if e, ok := c.flags.get("engine"); ok {
		s.SessionEngine = django.EngineName(e)
		if !isDottedPath(s.SessionEngine) {
			return s, usagef("--engine %q: give db, cache, cached_db, file, signed_cookies or a dotted module path", e)
		}
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

// isDottedPath reports whether s reads as a Python module path with at
// least one dot (SESSION_ENGINE names a module, "myapp.sessions"): a word
// that is neither that nor a short engine name is a typo, not an engine.
func isDottedPath(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) < 2 {
		return false
	}
	for _, p := range parts {
		if p == "" || ('0' <= p[0] && p[0] <= '9') {
			return false
		}
		for _, r := range p {
			if !(r == '_' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') {
				return false
			}
		}
	}
	return true
}
