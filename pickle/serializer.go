package pickle

// Serializer is Django's PickleSerializer (django.contrib.sessions
// .serializers in Django 3.2–4.2, deprecated in 4.1 and removed in 5.0):
// Dumps is pickle.dumps(obj, pickle.HIGHEST_PROTOCOL), protocol 5 on Python
// 3.8+, and Loads is pickle.loads. It satisfies signing.Serializer (and
// signing.AppendDumper), so a signing.Signer with Serializer: pickle.Serializer{}
// reads and writes the session_data of a site configured with
// SESSION_SERIALIZER = "django.contrib.sessions.serializers.PickleSerializer".
//
// Security: in Django, a leaked SECRET_KEY combined with PickleSerializer
// is remote code execution, because whoever can sign data makes every
// Django process run pickle.loads on it. djsession never executes anything
// and Loads decodes only the safe subset (see the package documentation),
// refusing everything else with ErrRefused; but the Django side of a shared
// deployment stays exposed. Nothing in djsession uses this serializer
// unless it is configured explicitly: the default is JSON.
type Serializer struct {
	// Protocol for Dumps; 0 means HighestProtocol (5), as Django.
	Protocol int
	// Options bound Loads; zero fields take the defaults.
	Options Options
}

// Dumps returns the pickle of v.
func (s Serializer) Dumps(v any) ([]byte, error) { return s.AppendDumps(nil, v) }

// AppendDumps appends the pickle of v to dst.
func (s Serializer) AppendDumps(dst []byte, v any) ([]byte, error) {
	p := s.Protocol
	if p == 0 {
		p = HighestProtocol
	}
	return AppendMarshal(dst, v, p)
}

// Loads decodes a pickle of protocol 2 to 5. It copies what it keeps, so
// data may be reused after it returns.
func (s Serializer) Loads(data []byte) (any, error) { return UnmarshalOptions(data, s.Options) }
