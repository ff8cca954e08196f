package pyjson

// MarshalJSON implements encoding/json's Marshaler with Marshal, so a *Dict
// can sit inside values that encoding/json writes. encoding/json rejects the
// NaN and Infinity tokens that Python writes for non-finite floats, so a Dict
// holding one cannot be written this way; use Marshal directly.
func (d *Dict) MarshalJSON() ([]byte, error) {
	return Marshal(d)
}

// UnmarshalJSON implements encoding/json's Unmarshaler with the rules of
// Unmarshal, except that the input is read as UTF-8 text (what
// encoding/json hands over) rather than as latin-1 bytes. The entries of data
// replace the contents of d.
func (d *Dict) UnmarshalJSON(data []byte) error {
	if string(data) == "null" { // encoding/json's convention: no-op
		return nil
	}
	v, err := unmarshal(data, true)
	if err != nil {
		return err
	}
	nd, ok := v.(*Dict)
	if !ok {
		return ErrNotDict
	}
	*d = *nd
	return nil
}
