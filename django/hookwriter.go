package django

import "github.com/djsession/djsession/internal/hookwriter"

// ErrHijackRefused is what http.Hijacker.Hijack returns under Middleware
// (and the CSRF and messages middlewares) when the middleware has already
// answered the request itself (a 500 or 400 error page whose headers have
// left): hijacking then would send the handler's "101 Switching Protocols"
// after that answer, on a connection the client has already read as
// failed. The connection is not hijacked; a websocket upgrader gives up, as
// it does on any Hijack error.
var ErrHijackRefused = hookwriter.ErrHijackRefused
