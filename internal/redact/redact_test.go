package redact

import "testing"

func TestURL(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://u:pw@h/db":                      "postgres://u:***@h/db",
		"postgres://u@h/db":                         "postgres://u@h/db",
		"postgres://h/db?opt=a:b@c":                 "postgres://h/db?opt=a:b@c",
		"postgres://u:p@ss@h:x/db":                  "postgres://u:***@h:x/db",
		"postgres://u:p/ss@h/db":                    "postgres://u:***@h/db",
		"postgres://u:@h/db":                        "postgres://u:***@h/db",
		`parse "mysql://u:pw@h:x/db": invalid port`: `parse "mysql://u:***@h:x/db": invalid port`,
		"redis://h:1/0,redis://u:pw@h:2/0":          "redis://h:1/0,redis://u:***@h:2/0",
		"redis://u:a@h/0 and redis://v:b@g/1":       "redis://u:***@h/0 and redis://v:***@g/1",
		"no URL: user:pw@host":                      "no URL: user:pw@host",
		"sqlite:////var/db.sqlite3":                 "sqlite:////var/db.sqlite3",
		"memcached://h:11211,memcached://h2:11211":  "memcached://h:11211,memcached://h2:11211",
	} {
		if got := URL(in); got != want {
			t.Errorf("URL(%q) = %q, want %q", in, got, want)
		}
	}
}
