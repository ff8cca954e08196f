// Package django holds what Django's contrib.sessions keeps in SessionBase:
// the settings that shape a session, session keys, the session_data codec
// (SessionStore.encode and decode), the _session_expiry arithmetic
// (get_expiry_age, get_expiry_date, get_expire_at_browser_close), and the
// errors that the session stores report.
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
package django
