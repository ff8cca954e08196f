// Command djsession reads and writes Django's signed tokens and sessions
// from the shell, byte for byte as Django does.
//
//	djsession [settings flags] COMMAND [flags] [ARGS]
//
// Commands:
//
//	dumps  [--salt S] [--compress] [--algorithm A]   stdin JSON → signing.dumps token
//	loads  [--salt S] [--max-age N] [--algorithm A] TOKEN   → the JSON value
//	encode                                           stdin JSON object → SessionStore.encode
//	decode DATA                                      → the session dict as JSON
//
// Settings flags: --secret-key KEY (or $DJANGO_SECRET_KEY), --fallback-key
// KEY (repeatable), --engine NAME, --session-cookie-age N, --now UNIX,
// --django-version 3.2|4.2|5.2|6.1.
//
// Exit status: 0 success; 1 not found; 2 usage or configuration error;
// 3 bad signature ("BadSignature") or signed data that does not decode
// ("Malformed"); 4 expired ("SignatureExpired").
package main

import (
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
}
