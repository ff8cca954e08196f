package manage

import "github.com/djsession/djsession/django"

// Bridge returns settings for the transition from PickleSerializer to
// JSONSerializer: s with SessionSerializer = django.BridgeSerializer (and
// AllowPickleSerializer, since it reads pickle). A store made with them
// reads what either serializer wrote and writes JSON, except for a session
// holding a value JSON cannot carry (django.PickleOnlyTypes), which stays
// pickle so that no request fails; Django runs the same class,
// djsession_bridge.BridgeSerializer from python/djsession_bridge.py.
//
// The migration, in order:
//
//  1. Django (3.2 or 4.2, on PickleSerializer): copy python/djsession_bridge.py
//     where the project imports from and set SESSION_SERIALIZER =
//     "djsession_bridge.BridgeSerializer"; Go services: store settings from
//     Bridge. Deploy both. Sessions keep loading; new saves write JSON.
//  2. Run ConvertSerializer (djsession convert-serializer --to json): every
//     stored pickle session that JSON can carry is rewritten as JSON.
//  3. Fix the code that stores the types the report counts (a datetime as
//     its isoformat(), a set or tuple as a list...) and run step 2 again
//     until it reports nothing unconvertible (or accept that those sessions
//     will be lost: Django 5 reads them as empty, logging them out).
//  4. Set SESSION_SERIALIZER back to JSONSerializer (the default) on Django
//     and in Go, then upgrade Django to 5.x.
//
// signed_cookies sessions live in the browser and cannot be converted by
// any command: keep the bridge for SESSION_COOKIE_AGE after step 1 (every
// cookie saved meanwhile is JSON) before step 4.
func Bridge(s django.Settings) django.Settings {
	s.SessionSerializer = django.BridgeSerializer
	s.AllowPickleSerializer = true
	return s
}
