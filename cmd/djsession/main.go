// Command djsession reads and writes Django's signed tokens and sessions
// from the shell, byte for byte as Django does.
//
//	djsession [flags] COMMAND [ARGS]
//
// Commands (djsession help COMMAND, or djsession COMMAND -h, shows each
// one's arguments and flags with their defaults):
//
//	dumps < value.json                 stdin JSON value → signing.dumps token
//	loads TOKEN                        signing.dumps token → its JSON value
//	encode < session.json              stdin JSON object → SessionStore.encode
//	decode DATA                        session data → the session dict as JSON
//	get KEY                            print a stored session
//	set KEY < session.json             store a session (--expiry N)
//	delete KEY                         delete a stored session
//	clearsessions                      delete expired sessions
//	whois KEY                          who a session belongs to
//	check-password ENCODED < password  check_password(stdin, ENCODED)
//	make-password < password           make_password(stdin)
//	check                              does the store agree with these settings?
//	explain VALUE                      everything about one session key or cookie
//	convert-serializer                 rewrite PickleSerializer sessions as JSON
//	rotate-key                         re-sign what verifies only under a fallback key
//	copy-sessions --to-engine E        copy every live session to another engine
//	help [COMMAND]                     the list of commands, or a command's help
//
// Flags go before or after the command word. Settings flags: --secret-key,
// --fallback-key (repeatable), --engine, --session-cookie-age, --now UNIX,
// --django-version, --session-serializer, --allow-pickle. Store flags:
// --database URL, --cache URL, --cache-backend, --cache-client,
// --sentinel (repeatable), --cache-key-prefix, --cache-version, --use-tz,
// --time-zone, --session-file-path, --session-cookie-name; copy-sessions
// reads the destination's from the same flags with --to- before them.
//
// Secrets and servers also come from the environment, as Django projects
// read them, so they need not show in ps: DJANGO_SECRET_KEY,
// DJANGO_SECRET_KEY_FALLBACKS (comma-separated), DATABASE_URL, CACHE_URL,
// then REDIS_URL. A flag overrides its variable. Error messages show a URL's
// password as ***.
//
// Exit status: 0 success; 1 not found (get, whois), or no match
// (check-password); 2 usage or configuration error (a bad flag, argument,
// setting or URL; an encoded password no hasher reads); 3 bad signature
// ("BadSignature") or signed data that does not decode ("Malformed");
// 4 expired ("SignatureExpired"); 5 backend error: a database, cache or
// file that failed or did not answer. -h and --help print help on stdout
// and exit 0.
package main

import (
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
}
