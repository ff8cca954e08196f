// Package chiexample shows django.Middleware in a chi router: r.Use takes
// it as it is (chi middlewares are func(http.Handler) http.Handler), and
// chi's handlers write to the middleware's writer, so the session cookie
// and Vary header leave with the response. Example is the whole program;
// the live test runs it against Django 5.2.
package chiexample
