package manage_test

import (
	"fmt"

	"github.com/djsession/djsession/manage"
)

// A report shows a session key by its first 8 characters, never whole:
// the key is a bearer credential.
func ExampleShortKey() {
	fmt.Println(manage.ShortKey("k3b5xq9z0m2v7c4n8p1r6t0w5y2a9d3f"))
	// Output: k3b5xq9z
}
