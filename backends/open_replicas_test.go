package backends

import (
	"database/sql"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/djsession/djsession/backends/db"
	"github.com/djsession/djsession/django"
)

// Clients.Replicas reach the db engine's store (db.WithReplicas); the
// cached_db engine's store reads the primary only.
func TestOpenReplicas(t *testing.T) {
	primary, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer primary.Close()
	replica, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer replica.Close()
	s := django.DefaultSettings("k")
	s.SessionEngine = django.EngineDB
	st, err := Open(s, Clients{DB: primary, Dialect: db.SQLite, Replicas: []*sql.DB{replica}})
	if err != nil {
		t.Fatal(err)
	}
	if got := st.(*db.Store).Replicas(); len(got) != 1 || got[0] != replica {
		t.Errorf("db engine: replicas %v, want the one given", got)
	}
	st, err = Open(s, Clients{DB: primary, Dialect: db.SQLite})
	if err != nil {
		t.Fatal(err)
	}
	if got := st.(*db.Store).Replicas(); len(got) != 0 {
		t.Errorf("db engine without Replicas: %v", got)
	}
}
