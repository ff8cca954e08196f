package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"time"

	"github.com/djsession/djsession/django"
)

// A Row is one django_session row as stored: the tools that move or
// rewrite session_data without decoding it (convert-serializer, rotate-key,
// copy-sessions in package manage) read and write Rows.
type Row struct {
	// Key is session_key.
	Key string
	// Data is session_data as stored, not decoded.
	Data string
	// ExpireDate is expire_date as the store reads it: the instant on
	// PostgreSQL, the wall clock in UTC (USE_TZ) or TIME_ZONE elsewhere.
	ExpireDate time.Time
}

// DefaultRowsBatch is the batch size Rows uses for a batch of 0 or less.
const DefaultRowsBatch = 1000

// Rows returns every row of the table, expired ones included, in
// session_key order. It reads batch rows a query, by keyset pagination
// (WHERE session_key > last ORDER BY session_key LIMIT batch), so memory
// stays bounded by one batch whatever the table's size, no cursor stays
// open between batches (the caller may write to the table while it
// iterates, SQLite included), and no row is read twice. A row inserted
// behind the iteration's position is not seen; one deleted ahead of it is
// not returned.
//
// An error (a failed query, an expire_date that is not a datetime) is
// yielded once, wrapped with django.ErrBackend, and ends the iteration.
// Session keys are compared by the column's collation; Django's keys are
// lowercase [a-z0-9], which every collation orders alike.
func (s *Store) Rows(ctx context.Context, batch int) iter.Seq2[Row, error] {
	if batch <= 0 {
		batch = DefaultRowsBatch
	}
	d := s.dialect
	key, data, exp := d.QuoteName("session_key"), d.QuoteName("session_data"), d.QuoteName("expire_date")
	first := fmt.Sprintf("SELECT %s, %s, %s FROM %s ORDER BY %s LIMIT %d", key, data, exp, d.QuoteName(s.table), key, batch)
	next := fmt.Sprintf("SELECT %s, %s, %s FROM %s WHERE %s > %s ORDER BY %s LIMIT %d", key, data, exp, d.QuoteName(s.table), key, d.Placeholder(1), key, batch)
	return func(yield func(Row, error) bool) {
		var last string
		started := false
		buf := make([]rawRow, 0, batch)
		for {
			q, args := first, []any(nil)
			if started {
				q, args = next, []any{last}
			}
			// The whole batch is read and the rows closed before the
			// first is yielded: the caller's writes never wait on this
			// query's connection.
			got, err := s.queryRows(ctx, buf, q, args...)
			if err != nil {
				yield(Row{}, backendErr("rows", err))
				return
			}
			for _, r := range got {
				t, err := s.readTime(r.exp)
				if err != nil {
					yield(Row{}, backendErr("rows", err))
					return
				}
				if !yield(Row{Key: r.key, Data: r.data, ExpireDate: t}, nil) {
					return
				}
			}
			if len(got) < batch {
				return
			}
			last, started = got[len(got)-1].key, true
			clear(got) // let the batch's strings go before the next query
			buf = got
		}
	}
}

// Replace sets the session_data of key to data only if the row still holds
// old, in one statement:
//
//	UPDATE django_session SET session_data = D WHERE session_key = K AND session_data = OLD
//
// It reports false, with a nil error, when the row changed since old was
// read or is gone: the caller read it, Django (or anyone) wrote it
// meanwhile, and that newer write must win. expire_date is left as it is.
// The comparison is byte for byte on every vendor (MySQL compares the
// binary strings, not the column's case-insensitive collation).
func (s *Store) Replace(ctx context.Context, key, old, data string) (bool, error) {
	if !storable(key) {
		return false, nil
	}
	q, _ := s.replaceSQL()
	res, err := s.exec(ctx, q, data, key, old)
	if err != nil {
		return false, backendErr("replace", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, backendErr("replace", err)
	}
	if n > 0 {
		return true, nil
	}
	if s.dialect == MySQL && data == old {
		// MySQL counts changed rows unless the DSN sets
		// clientFoundRows=true: writing the same value changes nothing.
		return s.holds(ctx, key, data)
	}
	return false, nil
}

// replaceSQL returns Replace's conditional UPDATE (data, key, old) and,
// for MySQL, the SELECT that tells a row already holding data (key, data)
// from a row that changed. The comparisons are binary on MySQL, whose
// session_data collation is case-insensitive.
func (s *Store) replaceSQL() (update, hold string) {
	d := s.dialect
	table, key, data := d.QuoteName(s.table), d.QuoteName("session_key"), d.QuoteName("session_data")
	cond := fmt.Sprintf("%s = %s", data, d.Placeholder(3))
	if d == MySQL {
		cond = fmt.Sprintf("CAST(%s AS BINARY) = CAST(%s AS BINARY)", data, d.Placeholder(3))
	}
	update = fmt.Sprintf("UPDATE %s SET %s = %s WHERE %s = %s AND %s", table, data, d.Placeholder(1), key, d.Placeholder(2), cond)
	hold = fmt.Sprintf("SELECT 1 FROM %s WHERE %s = %s AND CAST(%s AS BINARY) = CAST(%s AS BINARY)", table,
		key, d.Placeholder(1), data, d.Placeholder(2))
	return update, hold
}

// holds reports whether the row of key holds data.
func (s *Store) holds(ctx context.Context, key, data string) (bool, error) {
	_, q := s.replaceSQL()
	_, err := scanOne[int](ctx, s.db, q, key, data)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, backendErr("replace", err)
	}
	return true, nil
}

// Insert adds r as stored, without decoding or re-signing Data: a
// create-only INSERT, as Save with create. A row already under r.Key is
// django.ErrCreate and is left as it is. r.ExpireDate is written as Save
// writes expire_date (the instant on PostgreSQL, the wall clock in UTC or
// TIME_ZONE elsewhere).
func (s *Store) Insert(ctx context.Context, r Row) error {
	if !storable(r.Key) || !django.ValidSessionKey(r.Key) {
		return fmt.Errorf("%w: db: insert: the session key does not fit session_key varchar(%d) or is not a session key", django.ErrBackend, MaxKeyLength)
	}
	if _, err := s.exec(ctx, s.qInsert, r.Key, r.Data, s.bindTime(r.ExpireDate)); err != nil {
		if s.isUnique(err) {
			return fmt.Errorf("db: insert: %w", django.ErrCreate)
		}
		return backendErr("insert", err)
	}
	return nil
}

// Count returns how many rows the table holds, expired ones included
// (SELECT COUNT(*)): the total a progress report shows before Rows.
func (s *Store) Count(ctx context.Context) (int64, error) {
	n, err := scanOne[int64](ctx, s.db, "SELECT COUNT(*) FROM "+s.dialect.QuoteName(s.table))
	if err != nil {
		return 0, backendErr("count", err)
	}
	return n, nil
}

// A Replacement is one conditional write of ReplaceMany: session_data of
// Key becomes Data if it still is Old.
type Replacement struct {
	Key, Old, Data string
}

// ReplaceMany runs Replace for each of rs in one transaction, so that a
// batch costs one commit instead of one per row, and returns for each
// whether it was written (false: the row changed since Old was read, or
// is gone; Django's newer write stands). Each UPDATE compares in its WHERE
// clause, so the database decides under its own row locking (PostgreSQL
// and InnoDB re-check the condition against a row another transaction
// committed meanwhile; SQLite serialises writers). The tests prove the
// comparison with a row changed before the write (TestReplaceMany, and
// Django rewriting a row in TestConvertSerializerLive); no test holds a
// competing transaction open. On an error nothing was written.
func (s *Store) ReplaceMany(ctx context.Context, rs []Replacement) ([]bool, error) {
	done := make([]bool, len(rs))
	if len(rs) == 0 {
		return done, nil
	}
	q, hold := s.replaceSQL()
	_, err := bounded(ctx, func() (struct{}, error) {
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return struct{}{}, err
		}
		defer tx.Rollback()
		stmt, err := tx.PrepareContext(ctx, q)
		if err != nil {
			return struct{}{}, err
		}
		defer stmt.Close()
		for i, r := range rs {
			if !storable(r.Key) {
				continue
			}
			res, err := stmt.ExecContext(ctx, r.Data, r.Key, r.Old)
			if err != nil {
				return struct{}{}, err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return struct{}{}, err
			}
			done[i] = n > 0
			if n == 0 && s.dialect == MySQL && r.Data == r.Old {
				// MySQL counts changed rows (see Replace).
				var one int
				err := tx.QueryRowContext(ctx, hold, r.Key, r.Data).Scan(&one)
				if err != nil && !errors.Is(err, sql.ErrNoRows) {
					return struct{}{}, err
				}
				done[i] = err == nil
			}
		}
		return struct{}{}, tx.Commit()
	})
	if err != nil {
		return make([]bool, len(rs)), backendErr("replace", err)
	}
	return done, nil
}
