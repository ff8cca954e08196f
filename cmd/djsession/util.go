package main

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/djsession/djsession/pyjson"
)

// commandTimeout bounds every store call: a server that does not answer
// is exit 5, not a hang.
const commandTimeout = 30 * time.Second

func (c *cli) context() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), commandTimeout)
}

// quietLogger drops Django's warnings: the command reports errors itself.
func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func errorsIs(err, target error) bool { return errors.Is(err, target) }

func asDict(v any) (*pyjson.Dict, bool) {
	d, ok := v.(*pyjson.Dict)
	return d, ok
}
