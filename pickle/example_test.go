package pickle_test

import (
	"fmt"
	"time"

	"github.com/djsession/djsession/pickle"
	"github.com/djsession/djsession/pyjson"
)

// A session dict as Django's cache backend stores it: read it, change it,
// and write it back the way CPython would.
func Example() {
	session := pyjson.NewDict(3)
	session.Set("_auth_user_id", "1")
	session.Set("cart", pickle.Tuple{"apple", int64(2)})
	session.Set("last_seen", pickle.DatetimeOf(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)))

	data, err := pickle.Marshal(session, pickle.HighestProtocol)
	if err != nil {
		panic(err)
	}

	v, err := pickle.Unmarshal(data)
	if err != nil {
		panic(err)
	}
	d := v.(*pyjson.Dict)
	id, _ := d.GetString("_auth_user_id")
	seen, _ := d.Get("last_seen")
	fmt.Println(id, seen)

	// A pickle that would run code in Python is refused, never executed.
	_, err = pickle.Unmarshal([]byte("\x80\x02cos\nsystem\nX\x02\x00\x00\x00id\x85R."))
	fmt.Println(err)
	// Output:
	// 1 2024-01-02T03:04:05+00:00
	// pickle: refused: global os.system is not on the allowlist (at offset 2)
}
