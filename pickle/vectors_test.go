package pickle

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/djsession/djsession/pyjson"
)

type vectorFile struct {
	Python  string   `json:"python"`
	Vectors []vector `json:"vectors"`
}

type vector struct {
	Name    string          `json:"name"`
	Value   json.RawMessage `json:"value"`
	Pickles map[string]struct {
		Hex string `json:"hex"`
	} `json:"pickles"`
	Minimal string `json:"minimal_proto4_no_frame_no_memo_hex"`
}

func loadVectors(t testing.TB) []vector {
	t.Helper()
	raw, err := os.ReadFile("testdata/pickle-vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var f vectorFile
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Vectors) == 0 {
		t.Fatal("no vectors")
	}
	return f.Vectors
}

// typedValue converts the generator's lossless description (see
// typed_value_format in the vectors file) into the value model.
func typedValue(t testing.TB, raw json.RawMessage) any {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	str := func(k string) string {
		var s string
		if err := json.Unmarshal(m[k], &s); err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		return s
	}
	num := func(k string) int {
		var n int
		if err := json.Unmarshal(m[k], &n); err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		return n
	}
	items := func() []any {
		var rs []json.RawMessage
		if err := json.Unmarshal(m["items"], &rs); err != nil {
			t.Fatal(err)
		}
		out := make([]any, len(rs))
		for i, r := range rs {
			out[i] = typedValue(t, r)
		}
		return out
	}
	switch ty := str("t"); ty {
	case "none":
		return nil
	case "bool":
		var b bool
		json.Unmarshal(m["v"], &b)
		return b
	case "int":
		n, ok := new(big.Int).SetString(str("v"), 10)
		if !ok {
			t.Fatal("bad int")
		}
		if n.IsInt64() {
			return n.Int64()
		}
		return n
	case "float":
		bits, err := strconv.ParseUint(str("bits"), 16, 64)
		if err != nil {
			t.Fatal(err)
		}
		return math.Float64frombits(bits)
	case "str":
		return str("v")
	case "bytes":
		b, err := hex.DecodeString(str("hex"))
		if err != nil {
			t.Fatal(err)
		}
		return Bytes(b)
	case "list":
		return items()
	case "tuple":
		return Tuple(items())
	case "set":
		return Set(items())
	case "frozenset":
		return FrozenSet(items())
	case "dict":
		var pairs [][2]json.RawMessage
		if err := json.Unmarshal(m["items"], &pairs); err != nil {
			t.Fatal(err)
		}
		d := pyjson.NewDict(len(pairs))
		for _, p := range pairs {
			k, ok := typedValue(t, p[0]).(string)
			if !ok {
				t.Fatal("non-str key in vectors")
			}
			d.Set(k, typedValue(t, p[1]))
		}
		return d
	case "datetime":
		dt := parseISO(t, str("v"))
		switch tz := str("tzinfo"); {
		case tz == "None":
		case tz == "datetime.timezone.utc":
			dt.TZ = UTC
		case tz == "<UTC>":
			dt.TZ = PytzUTC{}
		case strings.HasPrefix(tz, "zoneinfo.ZoneInfo(key='"):
			dt.TZ = ZoneInfo{Key: strings.TrimSuffix(strings.TrimPrefix(tz, "zoneinfo.ZoneInfo(key='"), "')")}
		default:
			t.Fatalf("tzinfo %q", tz)
		}
		return dt
	case "date":
		dt := parseISO(t, str("v")+"T00:00:00")
		return dt.Date()
	case "timedelta":
		return Timedelta{num("days"), num("seconds"), num("microseconds")}
	case "decimal":
		return Decimal(str("v"))
	default:
		t.Fatalf("type %q", ty)
	}
	return nil
}

func parseISO(t testing.TB, s string) Datetime {
	var d Datetime
	if len(s) > 26 && (s[26] == '+' || s[26] == '-') || len(s) > 19 && (s[19] == '+' || s[19] == '-') {
		s = s[:len(s)-6] // the offset follows from tzinfo
	}
	n, err := fmt.Sscanf(s[:19], "%4d-%2d-%2dT%2d:%2d:%2d", &d.Year, &d.Month, &d.Day, &d.Hour, &d.Minute, &d.Second)
	if err != nil || n != 6 {
		t.Fatalf("isoformat %q: %v", s, err)
	}
	if len(s) > 19 {
		us, err := strconv.Atoi(s[20:])
		if err != nil {
			t.Fatalf("isoformat %q: %v", s, err)
		}
		d.Microsecond = us
	}
	return d
}

func TestVectors(t *testing.T) {
	for _, v := range loadVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			want := typedValue(t, v.Value)
			for proto, p := range v.Pickles {
				data, _ := hex.DecodeString(p.Hex)
				got, err := Unmarshal(data)
				if err != nil {
					t.Fatalf("protocol %s: Unmarshal: %v", proto, err)
				}
				if !Equal(got, want) {
					t.Errorf("protocol %s: Unmarshal = %#v, want %#v", proto, got, want)
				}
				n, _ := strconv.Atoi(proto)
				enc, err := Marshal(want, n)
				if err != nil {
					t.Fatalf("protocol %s: Marshal: %v", proto, err)
				}
				if hex.EncodeToString(enc) != p.Hex {
					t.Errorf("protocol %s: Marshal =\n%x\nwant\n%s", proto, enc, p.Hex)
				}
				// Re-encoding what was decoded gives the same bytes too.
				if enc2, err := Marshal(got, n); err != nil || hex.EncodeToString(enc2) != p.Hex {
					t.Errorf("protocol %s: Marshal(Unmarshal(x)) = %x, %v", proto, enc2, err)
				}
			}
			if v.Minimal != "" {
				data, _ := hex.DecodeString(v.Minimal)
				got, err := Unmarshal(data)
				if err != nil || !Equal(got, want) {
					t.Errorf("minimal encoding: %#v, %v", got, err)
				}
			}
		})
	}
}
