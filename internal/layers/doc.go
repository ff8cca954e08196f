// Package layers holds the test that keeps the packages on the layers
// DESIGN.md draws: a user who imports signing, pyjson, pickle or django
// compiles no database driver, no cache client and no store.
package layers
