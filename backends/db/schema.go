package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/djsession/djsession/django"
)

// CreateTable creates the session table with Django's DDL for the vendor
// (Dialect.Schema: the same column types and index names as
// `manage.py migrate sessions`), for a service that runs without Django's
// migrations. Options other than WithTable are ignored.
//
// When the table already exists, CreateTable does nothing (IF NOT EXISTS
// semantics; an existing table is not compared with the schema). On
// PostgreSQL and SQLite the statements run in one transaction, as Django's
// migration does; MySQL commits each DDL statement anyway.
//
// A migration table is not written: if Django's migrate runs later on the
// same database, use `migrate sessions --fake-initial`.
func CreateTable(ctx context.Context, db *sql.DB, dialect Dialect, opts ...Option) error {
	if !dialect.valid() {
		return fmt.Errorf("%w: db: invalid dialect %v", django.ErrImproperlyConfigured, dialect)
	}
	cfg := config{table: DefaultTable}
	for _, o := range opts {
		o(&cfg)
	}
	exists, err := tableExists(ctx, db, dialect, cfg.table)
	if err != nil || exists {
		return err
	}
	stmts := dialect.Schema(cfg.table)
	err = runDDL(ctx, db, dialect, stmts)
	if err != nil {
		// Another process may have created it meanwhile.
		if ok, err2 := tableExists(ctx, db, dialect, cfg.table); err2 == nil && ok {
			return nil
		}
		return backendErr("create table", err)
	}
	return nil
}

func runDDL(ctx context.Context, db *sql.DB, dialect Dialect, stmts []string) error {
	if dialect == MySQL {
		for _, st := range stmts {
			if _, err := db.ExecContext(ctx, st); err != nil {
				return err
			}
		}
		return nil
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	for _, st := range stmts {
		if _, err := tx.ExecContext(ctx, st); err != nil {
			return errors.Join(err, tx.Rollback())
		}
	}
	return tx.Commit()
}

// tableExists looks the table up in the current schema (PostgreSQL's
// search_path, MySQL's current database, SQLite's main database).
func tableExists(ctx context.Context, db *sql.DB, dialect Dialect, table string) (bool, error) {
	var q string
	switch dialect {
	case Postgres:
		q = "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1"
	case MySQL:
		q = "SELECT 1 FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?"
	case SQLite:
		q = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
	}
	var one int
	err := db.QueryRowContext(ctx, q, table).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, backendErr("create table", err)
	}
	return true, nil
}
