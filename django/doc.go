// Package django is Django's request.session for Go: a Go handler beside a
// Django site reads and writes the very session Django does.
//
// The common task, reading who is logged in and changing the session:
//
//	settings := django.DefaultSettings(os.Getenv("DJANGO_SECRET_KEY")) // then what settings.py changes
//	store, err := db.New(sqlDB, db.Postgres, settings)                   // or cache, cacheddb, file, signedcookies
//	a := &auth.Auth{Users: auth.NewSQLUsers(sqlDB, db.Postgres, auth.UserTable{})}
//
//	mux.HandleFunc("/cart", func(w http.ResponseWriter, r *http.Request) {
//		user, err := a.UserFromRequest(r) // get_user: the auth hash checked
//		...
//		err = django.FromRequest(r).Set("cart", items) // saved before the headers leave
//	})
//	http.ListenAndServe(addr, django.Middleware(store)(mux))
//
// The package holds what Django's contrib.sessions keeps in SessionBase:
// the settings that shape a session, session keys, the session_data codec
// (SessionStore.encode and decode), the _session_expiry arithmetic
// (get_expiry_age, get_expiry_date, get_expire_at_browser_close), the
// SessionMiddleware, and the errors that the session stores report.
//
// Every backend stores the same encoded form, so a Go service and a Django
// site that share SECRET_KEY and a store read each other's sessions:
//
//	codec, err := django.NewCodec(django.DefaultSettings(secretKey))
//	session, err := codec.Decode(row.SessionData)
//	userID, _ := session.GetString("_auth_user_id")
//
// Where Django versions differ (3.2's sha1 signatures and pre-3.1 format,
// 4.1's SECRET_KEY_FALLBACKS, 4.2's ISO-8601 expiry strings), the
// Settings.DjangoVersion field chooses; the default is the newest.
//
// # Sessions this service cannot read
//
// A setting unlike Django's (SECRET_KEY, SESSION_SERIALIZER, KEY_PREFIX,
// the Redis db, USE_TZ, TIME_ZONE) makes every session look unreadable or
// missing, and Django's reactions to such sessions would log users out of
// Django. So, unless Settings.DiscardUnreadable is set:
//
//   - Session.Err reports data the store returned but this service could
//     not use, wrapping ErrUnreadable and the store's error, with the likely
//     cause and the setting to look at; Settings.Logger gets the same line.
//     The session reads as empty and keeps its key.
//   - Save refuses to write over it; the middleware answers 500 and sends
//     no cookie. Flush (logout) still deletes it: the key is the user's own.
//     CycleKey (login) starts a new session and leaves it in place.
//   - Middleware never deletes the cookie of a session the load did not
//     find, unless the request emptied the session itself.
//   - Stores that can tell report what no single request could otherwise
//     (db: ErrExpiryMismatch for a row live by its own timestamp), and the
//     db and cached_db stores have a start-up Check.
package django
