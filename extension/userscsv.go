package extension

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// csvColumns are the columns a CSV user file may have, by normalised
// header (lower case, without _ - and spaces), and the field each fills:
// a text field, or -1 for id, -2 for twoFactor.
var csvColumns = map[string]int{
	"email": fieldEmail, "password": fieldPassword, "totpsecret": fieldTOTPSecret, "secret": fieldTOTPSecret,
	"phone": fieldPhone, "username": fieldUsername, "externalid": fieldExternalID,
	"id": colID, "twofactor": colTwoFactor,
}

const (
	colID        = -1
	colTwoFactor = -2
)

const csvExpected = "email, password, totpSecret, phone, twoFactor, id, username, externalId"

func normalizeColumn(h string) string {
	return strings.ToLower(strings.NewReplacer("_", "", "-", "", " ", "").Replace(strings.TrimSpace(h)))
}

// csvHeader maps the header row to fields: cols[i] is what column i fills.
func csvHeader(header []string) ([]int, error) {
	cols := make([]int, len(header))
	seen := map[int]string{}
	for i, h := range header {
		f, ok := csvColumns[normalizeColumn(h)]
		if !ok {
			if strings.TrimSpace(h) == "" {
				return nil, fmt.Errorf("CSV: column %d of the header row has no name (expected %s)", i+1, csvExpected)
			}
			return nil, fmt.Errorf("CSV: unknown column %q (expected %s)", clip([]byte(strings.TrimSpace(h))), csvExpected)
		}
		if prev, dup := seen[f]; dup {
			return nil, fmt.Errorf("CSV: columns %q and %q say the same", clip([]byte(prev)), clip([]byte(strings.TrimSpace(h))))
		}
		seen[f] = strings.TrimSpace(h)
		cols[i] = f
	}
	if _, ok := seen[fieldEmail]; !ok {
		return nil, fmt.Errorf("CSV: the header row has no email column (expected %s)", csvExpected)
	}
	return cols, nil
}

// decodeUsersCSV reads every user of a CSV user file (a header row, then
// one user a row) and hands each to add; n counts them.
func decodeUsersCSV(r io.Reader, add func(n int, u *rawUser) error) error {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return errors.New("CSV: cannot read the header row")
	}
	cols, err := csvHeader(header)
	if err != nil {
		return err
	}
	var u rawUser
	n := 0
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			line := 0
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.Line
			}
			return fmt.Errorf("CSV line %d: malformed", line)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // blank line
		}
		if len(rec) > len(cols) {
			return fmt.Errorf("CSV line %d: %d cells, but the header row names %d columns", line, len(rec), len(cols))
		}
		if err := csvUser(&u, cols, rec); err != nil {
			return fmt.Errorf("CSV line %d: %w", line, err)
		}
		n++
		if err := add(n, &u); err != nil {
			return fmt.Errorf("CSV line %d: %w", line, err)
		}
	}
}

// csvUser reads one row into u.
func csvUser(u *rawUser, cols []int, rec []string) error {
	u.reset()
	u.tf = tfGiven // an empty twoFactor cell, or none: no 2FA
	for i, cell := range rec {
		cell = strings.TrimSpace(cell)
		switch f := cols[i]; f {
		case colID:
			if cell == "" {
				continue
			}
			id, err := strconv.ParseInt(cell, 10, 64)
			if err != nil {
				return errors.New("id is not an integer")
			}
			u.id = id
		case colTwoFactor:
			tf, err := parseMethods(cell)
			if err != nil {
				return err
			}
			u.tf = tf
		default:
			if (f == fieldTOTPSecret || f == fieldPhone) && strings.EqualFold(cell, "null") {
				continue
			}
			u.fields[f] = append(u.fields[f], cell...)
		}
	}
	return checkRaw(u)
}
