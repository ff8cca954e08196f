package main

import (
	"fmt"
	"io"
	"log/slog"
	"unicode/utf8"

	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/pyjson"
	"github.com/djsession/djsession/signing"
)

// signingOptions are the options of signing.dumps/loads from the flags.
func (c *cli) signingOptions(s django.Settings) (signing.Options, error) {
	o := signing.Options{Key: s.SecretKey, Now: s.Clock}
	if s.Version().AtLeast(4, 1) {
		o.FallbackKeys = s.SecretKeyFallbacks
	}
	o.LegacySHA1 = s.Version() == django.Django32
	if salt, ok := c.flags.get("salt"); ok {
		if salt == "" {
			// Django replaces an empty salt by the class's dotted name.
			salt = "django.core.signing.TimestampSigner"
		}
		o.Salt = salt
	}
	if a, ok := c.flags.get("algorithm"); ok {
		o.Algorithm = signing.Algorithm(a)
	}
	return o, nil
}

// dumps prints signing.dumps(value) for the JSON value on stdin.
func (c *cli) dumps() error {
	if _, err := c.positional(0); err != nil {
		return err
	}
	s, err := c.settings()
	if err != nil {
		return err
	}
	o, err := c.signingOptions(s)
	if err != nil {
		return err
	}
	v, err := c.readJSON()
	if err != nil {
		return err
	}
	token, err := signing.Dumps(v, o, c.flags.boolean("compress"))
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(c.stdout, token)
	return err
}

// loads prints the value of a signing.dumps token.
func (c *cli) loads() error {
	a, err := c.positional(1)
	if err != nil {
		return err
	}
	s, err := c.settings()
	if err != nil {
		return err
	}
	o, err := c.signingOptions(s)
	if err != nil {
		return err
	}
	var v any
	if m, ok := c.flags.get("max-age"); ok {
		d, err := durationFlag("max-age", m)
		if err != nil {
			return err
		}
		v, err = signing.LoadsMaxAge(a[0], o, d)
		if err != nil {
			return err
		}
	} else if v, err = signing.Loads(a[0], o); err != nil {
		return err
	}
	return c.writeJSON(v)
}

// encode prints SessionStore.encode of the JSON object on stdin.
func (c *cli) encode() error {
	if _, err := c.positional(0); err != nil {
		return err
	}
	s, err := c.settings()
	if err != nil {
		return err
	}
	codec, err := django.NewCodec(s)
	if err != nil {
		return err
	}
	v, err := c.readJSON()
	if err != nil {
		return err
	}
	d, ok := v.(*pyjson.Dict)
	if !ok {
		return usagef("encode reads a JSON object, not a %s", pyjson.TypeName(v))
	}
	data, err := codec.Encode(d)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(c.stdout, data)
	return err
}

// decode prints the session dict that SessionStore.decode reads.
func (c *cli) decode() error {
	a, err := c.positional(1)
	if err != nil {
		return err
	}
	s, err := c.settings()
	if err != nil {
		return err
	}
	s.Logger = slog.New(slog.DiscardHandler) // the command reports the reason itself
	codec, err := django.NewCodec(s)
	if err != nil {
		return err
	}
	d, err := codec.Decode(a[0])
	if err != nil {
		// Django would quietly return {} here; the command says why.
		return err
	}
	return c.writeJSON(d)
}

// readJSON reads stdin as Python's json.loads reads a str: UTF-8 text.
func (c *cli) readJSON() (any, error) {
	raw, err := io.ReadAll(c.stdin)
	if err != nil {
		return nil, fmt.Errorf("reading stdin: %w", err)
	}
	if !utf8.Valid(raw) {
		return nil, usagef("stdin is not UTF-8 text")
	}
	// pyjson reads bytes as Django does, as latin-1; escaping every
	// non-ASCII character first makes it read UTF-8 text as json.loads
	// reads a str (raw non-ASCII can only stand inside strings).
	v, err := pyjson.Unmarshal(asciiEscape(raw))
	if err != nil {
		return nil, usagef("stdin is not a JSON value: %v", err)
	}
	return v, nil
}

func asciiEscape(b []byte) []byte {
	ascii := true
	for _, c := range b {
		if c >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return b
	}
	out := make([]byte, 0, len(b)+len(b)/2)
	for _, r := range string(b) {
		switch {
		case r < 0x80:
			out = append(out, byte(r))
		case r < 0x10000:
			out = fmt.Appendf(out, `\u%04x`, r)
		default:
			r -= 0x10000
			out = fmt.Appendf(out, `\u%04x\u%04x`, 0xd800+(r>>10), 0xdc00+(r&0x3ff))
		}
	}
	return out
}

func (c *cli) writeJSON(v any) error {
	out, err := pyjson.Marshal(v)
	if err != nil {
		return err
	}
	out = append(out, '\n')
	_, err = c.stdout.Write(out)
	return err
}
