package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/djsession/djsession/backends/db"
	"github.com/djsession/djsession/django/auth/hashers"
)

const vectorKey = "django-insecure-interop-vector-secret-key-0123456789"

// djs runs the command in-process and returns its exit status and output.
func djs(t *testing.T, stdin string, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errb, func(k string) string { return env[k] })
	return code, out.String(), errb.String()
}

func TestCLIContract(t *testing.T) {
	key := []string{"--secret-key", vectorKey}
	cases := []struct {
		name   string
		stdin  string
		env    map[string]string
		args   []string
		code   int
		stdout string
		stderr string // prefix
	}{
		// Tokens from fixtures/vectors, made by Django at T0.
		{"dumps", `"hello"`, nil, append([]string{"dumps", "--now", "1700000000"}, key...), 0, "ImhlbGxvIg:1r31eq:lvXmi7fJY-FWJDTLjufsyOz-vD0ZV1pqn_fbUv4QTv8\n", ""},
		{"settings flags before the command", `"hello"`, nil, append(key, "--now=1700000000", "dumps"), 0, "ImhlbGxvIg:1r31eq:lvXmi7fJY-FWJDTLjufsyOz-vD0ZV1pqn_fbUv4QTv8\n", ""},
		{"key from the environment", `"hello"`, map[string]string{"DJANGO_SECRET_KEY": vectorKey}, []string{"dumps", "--now", "1700000000"}, 0, "ImhlbGxvIg:1r31eq:lvXmi7fJY-FWJDTLjufsyOz-vD0ZV1pqn_fbUv4QTv8\n", ""},
		{"loads", "", nil, append([]string{"loads", "ImhlbGxvIg:1r31eq:lvXmi7fJY-FWJDTLjufsyOz-vD0ZV1pqn_fbUv4QTv8"}, key...), 0, "\"hello\"\n", ""},
		{"loads expired", "", nil, append([]string{"loads", "--max-age", "10", "--now", "1700000011", "ImhlbGxvIg:1r31eq:lvXmi7fJY-FWJDTLjufsyOz-vD0ZV1pqn_fbUv4QTv8"}, key...), 4, "", "SignatureExpired"},
		{"loads at max age", "", nil, append([]string{"loads", "--max-age", "10", "--now", "1700000010", "ImhlbGxvIg:1r31eq:lvXmi7fJY-FWJDTLjufsyOz-vD0ZV1pqn_fbUv4QTv8"}, key...), 0, "\"hello\"\n", ""},
		{"loads tampered", "", nil, append([]string{"loads", "ImhlbGxvJg:1r31eq:lvXmi7fJY-FWJDTLjufsyOz-vD0ZV1pqn_fbUv4QTv8"}, key...), 3, "", "BadSignature"},
		{"loads wrong salt", "", nil, append([]string{"loads", "--salt", "x", "ImhlbGxvIg:1r31eq:lvXmi7fJY-FWJDTLjufsyOz-vD0ZV1pqn_fbUv4QTv8"}, key...), 3, "", "BadSignature"},
		{"empty key", `1`, nil, []string{"dumps", "--secret-key", ""}, 2, "", "usage"},
		{"no key", `1`, nil, []string{"dumps"}, 2, "", "usage"},
		{"unknown algorithm", `1`, nil, append([]string{"dumps", "--algorithm", "sha512_256"}, key...), 2, "", ""},
		{"unknown command", ``, nil, append([]string{"frobnicate"}, key...), 2, "", "usage"},
		{"bad JSON", `{"a":}`, nil, append([]string{"dumps"}, key...), 2, "", "usage"},
		{"encode", `{"foo":"bar"}`, nil, append([]string{"encode", "--now", "1700000000"}, key...), 0, "eyJmb28iOiJiYXIifQ:1r31eq:0jK3LKkGSb8jMQldpueAZNYcrX6XNXl9rcTuPTQI1rw\n", ""},
		{"encode signed_cookies", `{"foo":"bar"}`, nil, append([]string{"encode", "--engine", "signed_cookies", "--now", "1700000000"}, key...), 0, "eyJmb28iOiJiYXIifQ:1r31eq:zSIC1LqY9WkkLhghtSPt3YYAvRbHmoySof6WxeY84vk\n", ""},
		{"encode needs an object", `[1]`, nil, append([]string{"encode"}, key...), 2, "", "usage"},
		{"decode", ``, nil, append([]string{"decode", "eyJmb28iOiJiYXIifQ:1r31eq:0jK3LKkGSb8jMQldpueAZNYcrX6XNXl9rcTuPTQI1rw"}, key...), 0, "{\"foo\":\"bar\"}\n", ""},
		{"decode says why Django gives {}", ``, nil, append([]string{"decode", "garbage"}, key...), 3, "", "BadSignature"},
		{"decode malformed", ``, nil, append([]string{"decode", "a:1r31eq:Vi9szoZflUe-o-TY8s5cRLThaXi_OOjL0YvudvncXL0"}, key...), 3, "", "Malformed"},
		{"decode legacy on 3.2", ``, nil, append([]string{"decode", "--django-version", "3.2", "ZDM1MGJlNjI5YTgyZjE5ODc2Zjk0ZGY0NWI0ODg2MDdiZTk2NzgxZDp7ImZvbyI6ImJhciJ9"}, key...), 0, "{\"foo\":\"bar\"}\n", ""},
		{"decode legacy on 4.2", ``, nil, append([]string{"decode", "--django-version", "4.2", "ZDM1MGJlNjI5YTgyZjE5ODc2Zjk0ZGY0NWI0ODg2MDdiZTk2NzgxZDp7ImZvbyI6ImJhciJ9"}, key...), 3, "", "BadSignature"},
		{"signed cookie within age", ``, nil, append([]string{"decode", "--engine", "signed_cookies", "--now", "1701209600", "eyJmb28iOiJiYXIifQ:1r31eq:zSIC1LqY9WkkLhghtSPt3YYAvRbHmoySof6WxeY84vk"}, key...), 0, "{\"foo\":\"bar\"}\n", ""},
		{"signed cookie too old", ``, nil, append([]string{"decode", "--engine", "signed_cookies", "--now", "1701209601", "eyJmb28iOiJiYXIifQ:1r31eq:zSIC1LqY9WkkLhghtSPt3YYAvRbHmoySof6WxeY84vk"}, key...), 4, "", "SignatureExpired"},
		// The tokens Django 6.1 makes of json.loads(stdin) at T0
		// (signing.dumps under fixtures/python.sh 6.1, time.time patched).
		{"UTF-8 on stdin is text", `{"name":"Zoë 😀"}`, nil, append([]string{"dumps", "--now", "1700000000"}, key...), 0, "eyJuYW1lIjoiWm9cdTAwZWIgXHVkODNkXHVkZTAwIn0:1r31eq:ag7k2aJwfsIC90iFL6UQ5jNwJLewCDkH8TTZ9SXzyfs\n", ""},
		{"python floats and big ints round trip", `[1.0, 1e16, 1E-5, -0.0, NaN, 123456789012345678901234567890]`, nil, append([]string{"dumps", "--now", "1700000000"}, key...), 0, "WzEuMCwxZSsxNiwxZS0wNSwtMC4wLE5hTiwxMjM0NTY3ODkwMTIzNDU2Nzg5MDEyMzQ1Njc4OTBd:1r31eq:lCNWcuOkkNLl-HkALHLOHDFMT829uNIyCQimT4g3ttA\n", ""},
		// Flag errors are usage errors (2), never backend errors (5).
		{"unknown flag", `1`, nil, append([]string{"dumps", "--foo"}, key...), 2, "", "usage: unknown flag --foo"},
		{"unknown short flag", `1`, nil, append([]string{"dumps", "-x"}, key...), 2, "", "usage: unknown flag -x"},
		{"flag without its value", `1`, nil, []string{"dumps", "--secret-key"}, 2, "", "usage: --secret-key needs a value"},
		{"boolean flag with a bad value", `1`, nil, append([]string{"dumps", "--compress=maybe"}, key...), 2, "", "usage: --compress takes true or false"},
		{"unknown engine", `{}`, nil, append([]string{"encode", "--engine", "nosuch"}, key...), 2, "", `usage: --engine "nosuch"`},
		{"empty engine", `{}`, nil, append([]string{"encode", "--engine="}, key...), 2, "", `usage: --engine ""`},
		{"engine path with an empty part", `{}`, nil, append([]string{"encode", "--engine", "myapp..sessions"}, key...), 2, "", `usage: --engine`},
		{"engine as a dotted path", `{"foo":"bar"}`, nil, append([]string{"encode", "--engine", "django.contrib.sessions.backends.db", "--now", "1700000000"}, key...), 0, "eyJmb28iOiJiYXIifQ:1r31eq:0jK3LKkGSb8jMQldpueAZNYcrX6XNXl9rcTuPTQI1rw\n", ""},
		{"a project's own engine", `{}`, nil, append([]string{"encode", "--engine", "myapp.sessions"}, key...), 0, "", ""},
		{"empty encoded password", "pw", nil, []string{"check-password", ""}, 2, "", "usage: check-password: the encoded password is empty"},
		{"help for an unknown command", "", nil, []string{"help", "frobnicate"}, 2, "", `usage: help: unknown command "frobnicate"`},
		{"help takes one command", "", nil, []string{"help", "get", "set"}, 2, "", "usage: help takes at most one"},
		{"fallback keys from the environment", "", map[string]string{"DJANGO_SECRET_KEY": "new key", "DJANGO_SECRET_KEY_FALLBACKS": "other,," + vectorKey}, []string{"loads", "ImhlbGxvIg:1r31eq:lvXmi7fJY-FWJDTLjufsyOz-vD0ZV1pqn_fbUv4QTv8"}, 0, "\"hello\"\n", ""},
		{"--fallback-key replaces the environment's", "", map[string]string{"DJANGO_SECRET_KEY": "new key", "DJANGO_SECRET_KEY_FALLBACKS": vectorKey}, []string{"loads", "--fallback-key", "other", "ImhlbGxvIg:1r31eq:lvXmi7fJY-FWJDTLjufsyOz-vD0ZV1pqn_fbUv4QTv8"}, 3, "", "BadSignature"},
		{"--secret-key overrides the environment", "", map[string]string{"DJANGO_SECRET_KEY": "new key"}, append([]string{"loads", "ImhlbGxvIg:1r31eq:lvXmi7fJY-FWJDTLjufsyOz-vD0ZV1pqn_fbUv4QTv8"}, key...), 0, "\"hello\"\n", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := djs(t, c.stdin, c.env, c.args...)
			if code != c.code {
				t.Fatalf("exit %d, want %d (stderr %q)", code, c.code, errOut)
			}
			if c.stdout != "" && out != c.stdout {
				t.Errorf("stdout %q, want %q", out, c.stdout)
			}
			if !strings.HasPrefix(errOut, c.stderr) {
				t.Errorf("stderr %q, want it to start with %q", errOut, c.stderr)
			}
			if strings.Count(errOut, "\n") > 1 {
				t.Errorf("stderr is more than one line: %q", errOut)
			}
		})
	}
}

// TestCLIDumpsLoadsRoundTrip: what dumps writes, loads prints back as
// Python's json.dumps would.
func TestCLIDumpsLoadsRoundTrip(t *testing.T) {
	for _, compress := range []string{"--compress=false", "--compress"} {
		in := `{"name":"Zoë 😀","f":[1.0,1e16,1E-5,-0.0,NaN,Infinity],"big":123456789012345678901234567890,"b":1,"a":2}`
		code, token, errOut := djs(t, in, nil, "dumps", compress, "--secret-key", "k")
		if code != 0 {
			t.Fatal(errOut)
		}
		code, out, errOut := djs(t, "", nil, "loads", strings.TrimSpace(token), "--secret-key", "k")
		if code != 0 {
			t.Fatal(errOut)
		}
		want := `{"name":"Zo\u00eb \ud83d\ude00","f":[1.0,1e+16,1e-05,-0.0,NaN,Infinity],"big":123456789012345678901234567890,"b":1,"a":2}` + "\n"
		if out != want {
			t.Errorf("%s: got %s want %s", compress, out, want)
		}
	}
}

// TestCLIHelp: help asked for goes to stdout with exit 0; it says what a
// command does, its arguments, and its flags with their defaults.
func TestCLIHelp(t *testing.T) {
	general := []string{"usage: djsession [flags] COMMAND [ARGS]", "check-password ENCODED < password", "help [COMMAND]",
		"DJANGO_SECRET_KEY_FALLBACKS (comma-separated)", "DATABASE_URL", "CACHE_URL", "REDIS_URL", exitStatuses}
	loads := []string{"usage: djsession loads [flags] TOKEN", "django.core.signing.loads", "arguments:\n  TOKEN",
		"--max-age N", "--salt S", "signing salt (default django.core.signing)", "--algorithm A", "hashlib name of the HMAC hash (default sha256)",
		"settings flags:", "--now UNIX", "(default $DJANGO_SECRET_KEY)", exitStatuses}
	maxIter := fmt.Sprintf("(default %d)", hashers.DefaultLimits.PBKDF2Iterations)
	cases := []struct {
		name string
		args []string
		want []string // in stdout
		not  []string // not in stdout
	}{
		{"-h", []string{"-h"}, general, nil},
		{"--help", []string{"--help"}, general, nil},
		{"help", []string{"help"}, general, nil},
		{"help loads", []string{"help", "loads"}, loads, []string{"store flags"}},
		{"loads -h", []string{"loads", "-h"}, loads, nil},
		{"loads --help after flags", []string{"--secret-key", "k", "loads", "--help"}, loads, nil},
		{"set", []string{"help", "set"}, []string{"usage: djsession set [flags] KEY < session.json", "--expiry N", "store flags:",
			"--database URL", "(default $DATABASE_URL, else sqlite:///db.sqlite3)", "(default $CACHE_URL, else $REDIS_URL)",
			"--engine NAME", "(default db)", "--session-cookie-age N", "(default 1209600)"}, nil},
		{"make-password", []string{"make-password", "-h"}, []string{"--salt S", "the hasher's salt (default a random one)",
			"--hasher NAME", "(default pbkdf2_sha256)", "--max-iterations N", maxIter}, []string{"django.core.signing"}},
		{"check-password", []string{"help", "check-password"}, []string{"exit 0 match, 1 no match, 2", "ENCODED"}, []string{"--salt"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := djs(t, "", nil, c.args...)
			if code != 0 || errOut != "" {
				t.Fatalf("exit %d, stderr %q; want 0 and nothing", code, errOut)
			}
			for _, w := range c.want {
				if !strings.Contains(out, w) {
					t.Errorf("help lacks %q:\n%s", w, out)
				}
			}
			for _, n := range c.not {
				if strings.Contains(out, n) {
					t.Errorf("help shows %q:\n%s", n, out)
				}
			}
		})
	}
	// Every command has its help, and its help names every flag it reads.
	for _, cmd := range commands {
		code, out, _ := djs(t, "", nil, "help", cmd.name)
		if code != 0 || !strings.HasPrefix(out, "usage: "+cmd.synopsis()+"\n\n"+cmd.doc+"\n") {
			t.Errorf("help %s: exit %d\n%s", cmd.name, code, out)
		}
	}
	// No command at all is a usage error: the usage goes to stderr.
	code, out, errOut := djs(t, "", nil)
	if code != 2 || out != "" || !strings.HasPrefix(errOut, "usage: djsession [flags] COMMAND [ARGS]") {
		t.Errorf("no command: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// TestCLIURLsFromTheEnvironment: DATABASE_URL, CACHE_URL and REDIS_URL are
// read when no flag is given, the flag wins, and no error shows a password.
func TestCLIURLsFromTheEnvironment(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "db.sqlite3")
	sqlDB, err := sql.Open("sqlite", dbPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateTable(context.Background(), sqlDB, db.SQLite); err != nil {
		t.Fatal(err)
	}
	sqlDB.Close()
	const secret = "s3cr3t-pw"
	key := "abcdefgh0123456789abcdefgh012345"
	cases := []struct {
		name   string
		env    map[string]string
		args   []string
		code   int
		stderr []string
	}{
		{"DATABASE_URL is read", map[string]string{"DATABASE_URL": "sqlite:///" + dbPath}, []string{"get", key}, 1, []string{"no session"}},
		{"DATABASE_URL malformed", map[string]string{"DATABASE_URL": "postgres://u:" + secret + "@h:port/db"}, []string{"get", key}, 2,
			[]string{"usage: $DATABASE_URL: ", `"postgres://u:***@h:port/db": invalid port`}},
		{"--database overrides DATABASE_URL", map[string]string{"DATABASE_URL": "postgres://u:" + secret + "@h:port/db"}, []string{"get", key, "--database", "sqlite:///" + dbPath}, 1, []string{"no session"}},
		{"--database malformed", nil, []string{"get", key, "--database", "mysql://u:" + secret + "@h:port/db"}, 2,
			[]string{"usage: --database: ", `"mysql://u:***@h:port/db"`}},
		{"a password holding @ and /", nil, []string{"get", key, "--database", "postgres://u:p@ss/" + secret + "@h:x/db"}, 5, nil},
		{"a password holding a space", nil, []string{"get", key, "--database", "postgres://u:a " + secret + "@h/db"}, 2, []string{"u:***@h/db"}},
		{"CACHE_URL is read", map[string]string{"CACHE_URL": "redis://u:" + secret + "@h:port/0"}, []string{"get", key, "--engine", "cache"}, 2,
			[]string{"usage: $CACHE_URL: ", `"redis://u:***@h:port/0"`}},
		{"REDIS_URL after CACHE_URL", map[string]string{"REDIS_URL": "redis://u:" + secret + "@h:6379/x"}, []string{"get", key, "--engine", "cache"}, 2,
			[]string{"usage: $REDIS_URL: ", `"redis://u:***@h:6379/x": redis: invalid database number`}},
		{"CACHE_URL before REDIS_URL", map[string]string{"CACHE_URL": "memcached://h:1,bad host", "REDIS_URL": "redis://u:" + secret + "@h:6379/x"}, []string{"get", key, "--engine", "cache"}, 2,
			[]string{"usage: $CACHE_URL: "}},
		{"--cache overrides CACHE_URL", map[string]string{"CACHE_URL": "redis://u:" + secret + "@h:6379/x"}, []string{"get", key, "--engine", "cache", "--cache", "ftp://u:" + secret + "@h"}, 2,
			[]string{"usage: --cache: ", `"ftp://u:***@h": unsupported scheme`}},
		{"several redis servers", nil, []string{"get", key, "--engine", "cache", "--cache", "redis://h:1/0,redis://u:" + secret + "@h:x/0"}, 2,
			[]string{"usage: --cache: ", `"redis://u:***@h:x/0"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, errOut := djs(t, "", c.env, append(c.args, "--secret-key", vectorKey)...)
			if code != c.code {
				t.Fatalf("exit %d, want %d (stderr %q)", code, c.code, errOut)
			}
			for _, w := range c.stderr {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr %q lacks %q", errOut, w)
				}
			}
			if strings.Contains(errOut, secret) {
				t.Errorf("stderr shows the password: %q", errOut)
			}
		})
	}
}
