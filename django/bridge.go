package django

import (
	"math/big"
	"slices"

	"github.com/djsession/djsession/pickle"
	"github.com/djsession/djsession/pyjson"
)

// BridgeSerializer is the SESSION_SERIALIZER of the move from
// PickleSerializer to JSONSerializer: the class BridgeSerializer of
// python/djsession_bridge.py, which a Django site installs as the module
// djsession_bridge and names with this very string. It reads what either
// serializer wrote (a pickle starts with the PROTO opcode, byte 0x80, which
// no JSON text does) and writes JSON, except for a session holding a value
// JSON cannot carry as the same Python value (PickleOnlyTypes), which it
// keeps writing as pickle so that no request fails while the code that
// stores such values is fixed. Go and Django configured with it read each
// other's sessions whichever serializer wrote them.
//
// Reading pickle keeps Django exposed as PickleSerializer does (a leaked
// SECRET_KEY is remote code execution there), so it needs
// AllowPickleSerializer like PickleSerializer. It is accepted on every
// version: the Python module brings its own pickle handling, which 5.0's
// removal of PickleSerializer does not touch. See manage.Bridge for the
// steps of the transition.
const BridgeSerializer = "djsession_bridge.BridgeSerializer"

// bridgeSerializer is BridgeSerializer's signing.Serializer.
type bridgeSerializer struct{ pickle pickle.Serializer }

// Dumps writes v as JSON, or as pickle when JSON cannot carry it.
func (b bridgeSerializer) Dumps(v any) ([]byte, error) {
	if len(PickleOnlyTypes(v)) > 0 {
		return b.pickle.Dumps(v)
	}
	return pyjson.Marshal(v)
}

// Loads reads a pickle (it starts with PROTO, 0x80) or JSON.
func (b bridgeSerializer) Loads(data []byte) (any, error) {
	if len(data) > 0 && data[0] == 0x80 {
		return b.pickle.Loads(data)
	}
	return pyjson.Unmarshal(data)
}

// PickleOnlyTypes returns the Python type names ("datetime.datetime",
// "set", "tuple", "bytes", "decimal.Decimal", "uuid.UUID", "dict with
// non-str keys"...) of the values in v that JSONSerializer cannot carry as
// the same Python value, sorted, each once. It is empty when json.dumps
// and json.loads give v back unchanged: v holds only None, bool, int,
// float, str, lists and dicts with str keys.
func PickleOnlyTypes(v any) []string {
	var out []string
	pickleOnly(v, &out)
	slices.Sort(out)
	return slices.Compact(out)
}

func pickleOnly(v any, out *[]string) {
	switch x := v.(type) {
	case nil, bool, int64, *big.Int, float64, string:
	case []any:
		for _, e := range x {
			pickleOnly(e, out)
		}
	case *pyjson.Dict:
		for _, e := range x.All() {
			pickleOnly(e, out)
		}
	case *pickle.Map:
		*out = append(*out, "dict with non-str keys")
		for k, e := range x.All() {
			pickleOnly(k, out)
			pickleOnly(e, out)
		}
	case pickle.Tuple:
		*out = append(*out, "tuple")
		for _, e := range x {
			pickleOnly(e, out)
		}
	default:
		*out = append(*out, pickle.TypeName(v))
	}
}
