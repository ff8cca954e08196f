// Package echoexample shows django.Middleware in an echo (v4) server:
// echo.WrapMiddleware takes it as it is, and sets the request (with the
// session on its context) and a Response around the middleware's writer,
// so the session cookie and Vary header leave with the response. Example
// is the whole program; the live test runs it against Django 5.2.
//
// One difference from Django: an error a handler returns is rendered by
// echo's HTTPErrorHandler after the middleware chain has returned, so the
// session was already saved as for a 200. A handler that must not save on
// failure calls c.Error(err) itself before returning (the page then leaves
// through the middleware, which skips the save on a 5xx as Django does).
package echoexample
