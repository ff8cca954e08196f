package manage

import (
	"context"
	"errors"
	"fmt"

	"github.com/djsession/djsession/django"
	"github.com/djsession/djsession/django/auth"
	"github.com/djsession/djsession/pyjson"
	"github.com/djsession/djsession/signing"
)

// RotateReport is what RotateKey did, in numbers. It names fallback keys
// by their index in SECRET_KEY_FALLBACKS, never by value, and holds no
// session contents and no key beyond ShortKey.
type RotateReport struct {
	// Engine is the target's engine: db, cached_db or file.
	Engine string `json:"engine"`
	// DryRun: nothing was written; Resigned and Restamped count what would
	// have been.
	DryRun bool `json:"dry_run"`
	// Fallbacks is how many SECRET_KEY_FALLBACKS the settings list.
	Fallbacks int `json:"fallbacks"`
	// Seen is how many stored sessions were read, expired ones included.
	Seen int64 `json:"seen"`
	// Current is how many live sessions needed nothing: signed with the
	// current key, and with no auth hash made under a fallback.
	Current int64 `json:"current"`
	// Resigned is how many live sessions signed under a fallback were
	// re-signed with the current key.
	Resigned int64 `json:"resigned"`
	// Restamped is how many _auth_user_hash values made under a fallback
	// were replaced by the current key's (a re-signed session counts in
	// both).
	Restamped int64 `json:"restamped"`
	// AuthChecked: the users were read (RotateKey had a UserStore), so
	// auth hashes were checked.
	AuthChecked bool `json:"auth_checked"`
	// StaleAuthHash is how many logged-in sessions carry a hash that
	// matches no key for the user's password: the password changed since
	// the login, and Django logs them out whatever the keys.
	StaleAuthHash int64 `json:"stale_auth_hash,omitempty"`
	// UserMissing is how many logged-in sessions name a user the user
	// table does not have.
	UserMissing int64 `json:"user_missing,omitempty"`
	// Expired is how many were expired: left for clearsessions.
	Expired int64 `json:"expired"`
	// Empty is how many session files were empty (a create in progress).
	Empty int64 `json:"empty,omitempty"`
	// ChangedMeanwhile is how many sessions Django wrote between this
	// command's read and its write: the write did not happen.
	ChangedMeanwhile int64 `json:"changed_meanwhile"`
	// Unreadable counts, by reason, the sessions that decode under none of
	// the keys: no key change makes Django read them.
	Unreadable map[string]int64 `json:"unreadable,omitempty"`
	// StillDepending[i] is how many live sessions still depend on
	// SECRET_KEY_FALLBACKS[i] after the run, by their signature or their
	// auth hash: 0 means removing that fallback logs no one out (of the
	// sessions this store holds).
	StillDepending []int64 `json:"still_depending"`
	// CacheCopiesDropped is how many cached_db cache copies were dropped
	// after their row was rewritten.
	CacheCopiesDropped int64 `json:"cache_copies_dropped,omitempty"`
	// Examples names up to three sessions per kind of leftover, as
	// ShortKey.
	Examples map[string][]string `json:"examples,omitempty"`
	// Seconds is how long the run took.
	Seconds float64 `json:"seconds"`
}

// ExitCode is the command line's exit status for the run: ExitOK when no
// live session depends on a fallback any more (in a dry run: none does
// now), ExitLeft otherwise.
func (r *RotateReport) ExitCode() int {
	for _, n := range r.StillDepending {
		if n > 0 {
			return ExitLeft
		}
	}
	if r.ChangedMeanwhile > 0 {
		return ExitLeft
	}
	return ExitOK
}

// RotateKey finishes a SECRET_KEY rotation for the sessions the target
// stores, as Django 4.1.8 and later would on each user's next request: the
// target's settings hold the new key as SecretKey and the old ones as
// SecretKeyFallbacks. Session data that verifies only under a fallback is
// re-signed with the current key; an _auth_user_hash made under a fallback
// (the HMAC of the user's password field, which users gives) is replaced
// by the current key's. Data is re-signed in the serializer that wrote
// it: JSON, or pickle when the settings set AllowPickleSerializer (a table
// mid-way through ConvertSerializer holds both). Each write is
// conditional on the data read, so a
// session Django saved meanwhile keeps Django's data. With users nil the
// auth hashes are not checked (AuthChecked is false): sessions are
// re-signed, and a hash made under a fallback still logs its user out once
// the fallback is gone.
//
// The report's StillDepending tells, per fallback index, how many live
// sessions still need that key; when all are 0, the fallbacks can go. The
// sessions are read in batches of opts.Batch(); users are looked up once
// per batch. An error is returned only for a failure of the store or the
// user table (django.ErrBackend) or of the configuration; the report so
// far comes with it.
func RotateKey(ctx context.Context, t Target, users auth.UserStore, opts Options) (*RotateReport, error) {
	r := &RotateReport{Engine: t.engine(), DryRun: opts.DryRun, AuthChecked: users != nil}
	rw := newRewrite("rotate-key", t, opts, rewriteFields{
		Seen: &r.Seen, Empty: &r.Empty, ChangedMeanwhile: &r.ChangedMeanwhile,
		CacheCopiesDropped: &r.CacheCopiesDropped, Unreadable: &r.Unreadable,
		Examples: &r.Examples, Seconds: &r.Seconds,
	})
	settings, err := t.settings("rotate-key")
	if err != nil {
		return r, err
	}
	if settings.SessionEngine == django.EngineSignedCookies {
		return r, fmt.Errorf("%w: %w", django.ErrImproperlyConfigured, ErrSignedCookies)
	}
	settings = quiet(settings)
	fallbacks := settings.SecretKeyFallbacks
	r.Fallbacks = len(fallbacks)
	r.StillDepending = make([]int64, len(fallbacks))
	// Codecs per key and serializer: which key verifies is what the
	// report is about, and data is re-signed in the serializer it was
	// written with (JSON, or pickle when the settings allow reading it: a
	// table mid-way through convert-serializer holds both).
	only := func(key, serializer string) (*django.Codec, error) {
		s := settings
		s.SecretKey, s.SecretKeyFallbacks, s.SessionSerializer = key, nil, serializer
		if serializer == django.PickleSerializer && s.Version().AtLeast(5, 0) {
			s.DjangoVersion = django.Django42 // the data is 4.2's; 5.x signs alike
		}
		return django.NewCodec(s)
	}
	serializers := []string{django.JSONSerializer}
	if settings.AllowPickleSerializer {
		serializers = append(serializers, django.PickleSerializer)
	}
	keys := append([]string{settings.SecretKey}, fallbacks...)
	codecs := make([][]*django.Codec, len(keys)) // [key][serializer]
	for i, k := range keys {
		for _, ser := range serializers {
			c, err := only(k, ser)
			if err != nil {
				if i > 0 {
					err = fmt.Errorf("%w (SECRET_KEY_FALLBACKS[%d])", err, i-1)
				}
				return r, err
			}
			codecs[i] = append(codecs[i], c)
		}
	}
	// decode returns the session, the index of the key that signed it (-1
	// the current key) and the serializer's index.
	decode := func(data string) (*pyjson.Dict, int, int, error) {
		var first error
		for i := range codecs {
			for j, c := range codecs[i] {
				d, err := c.Decode(data)
				if err == nil {
					return d, i - 1, j, nil
				}
				if first == nil || (errors.Is(first, signing.ErrBadSignature) && !errors.Is(err, signing.ErrBadSignature)) {
					first = err // the most telling: signed by a key, yet unreadable
				}
			}
		}
		return nil, 0, 0, first
	}
	hashes := newHasher(&settings, users, opts.Batch())
	err = t.each(ctx, opts, func(s rawSession) error {
		if rw.skip(s) {
			return nil
		}
		d, signedBy, ser, derr := decode(s.data)
		if exp, err := t.expired(&settings, s, d); err == nil && exp {
			r.Expired++
			return nil
		}
		if derr != nil {
			rw.unreadable.add(unreadableReason(derr), s.key)
			return nil
		}
		hashBy, newHash, err := hashes.check(ctx, d)
		if err != nil {
			return err
		}
		switch hashBy {
		case hashStale:
			r.StaleAuthHash++
		case hashNoUser:
			r.UserMissing++
		}
		if signedBy < 0 && hashBy < 0 {
			r.Current++
			return nil
		}
		left := func() {
			if signedBy >= 0 {
				r.StillDepending[signedBy]++
			}
			if hashBy >= 0 && hashBy != signedBy {
				r.StillDepending[hashBy]++
			}
		}
		if hashBy >= 0 {
			d.Set(auth.HashSessionKey, newHash)
		}
		data, err := codecs[0][ser].Encode(d)
		if err != nil {
			rw.unreadable.add("not writable within the limits", s.key)
			left()
			return nil
		}
		if opts.DryRun {
			r.count(signedBy, hashBy)
			left()
			return nil
		}
		return rw.write(ctx, s, data, func() { r.count(signedBy, hashBy) }, left)
	})
	return r, rw.finish(ctx, err)
}

func (r *RotateReport) count(signedBy, hashBy int) {
	if signedBy >= 0 {
		r.Resigned++
	}
	if hashBy >= 0 {
		r.Restamped++
	}
}

// What hasher.check found of a session's auth hash, besides a fallback
// index (0 or more).
const (
	hashCurrent = -1 // made with the current key, or no logged-in user, or not checked
	hashStale   = -2 // matches no key: the password changed since the login
	hashNoUser  = -3 // the user is not in the user table
)

// hasher checks _auth_user_hash against the users' passwords, keeping the
// users of one batch so that a user with many sessions is read once.
type hasher struct {
	settings *django.Settings
	users    auth.UserStore
	batch    int
	known    map[string]*auth.User // nil: no such user
}

func newHasher(s *django.Settings, users auth.UserStore, batch int) *hasher {
	return &hasher{settings: s, users: users, batch: batch, known: map[string]*auth.User{}}
}

// check returns which key made the session's auth hash (a fallback index,
// or hashCurrent, hashStale, hashNoUser) and, for a fallback, the hash
// under the current key.
func (h *hasher) check(ctx context.Context, d *pyjson.Dict) (int, string, error) {
	if h.users == nil {
		return hashCurrent, "", nil
	}
	id, ok := d.GetString(auth.SessionKey)
	stored, ok2 := d.GetString(auth.HashSessionKey)
	if !ok || !ok2 || stored == "" {
		return hashCurrent, "", nil
	}
	u, seen := h.known[id]
	if !seen {
		if len(h.known) >= h.batch {
			clear(h.known)
		}
		var err error
		u, err = h.users.User(ctx, id)
		if errors.Is(err, auth.ErrNoUser) {
			u, err = nil, nil
		}
		if err != nil {
			return 0, "", fmt.Errorf("%w: rotate-key: reading the user of session: %w", django.ErrBackend, err)
		}
		h.known[id] = u
	}
	if u == nil {
		return hashNoUser, "", nil
	}
	switch key, _ := auth.HashKey(h.settings, u.Password, stored); {
	case key == 0:
		return hashCurrent, "", nil
	case key > 0:
		return key - 1, auth.SessionAuthHashFor(h.settings, u.Password), nil
	}
	return hashStale, "", nil
}
