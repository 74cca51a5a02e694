// Package batch runs many account syncs from one file of account lines,
// imapsync's loop format:
//
//	host1;user1;password1;host2;user2;password2[;extra options]
//
// one account a line, with '#' comments and blank lines. An optional
// header line names the columns (host1, user1, password1, host2, user2,
// password2, options) in any order; with a header the separator is ','
// when the header has no ';', so a CSV file works too. A password field
// may be file:PATH (the file's first line) or env:NAME (an environment
// variable) instead of the secret.
//
// Parse reads the lines, Prepare turns them into the command lines of
// their runs and checks every one before anything starts, and Runner runs
// them, several at once, each in its own directory of an output
// directory, within a per-host connection budget.
package batch

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/imapshift/imapshift/cmd/internal/fleet"
)

// Line is one account line of a batch file.
type Line struct {
	fleet.Account
	// Password1 and Password2 are the fields as written: the secret,
	// file:PATH or env:NAME (Secret resolves them).
	Password1, Password2 string
	// Options are the line's own options, split as a shell would.
	Options []string
	// OptionsText is the options field as written.
	OptionsText string
}

// LineError is a malformed line.
type LineError struct {
	Line int // 1-based line number in the file
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }
func (e *LineError) Unwrap() error { return e.Err }

// LineErrors are all the malformed lines of a file, in order.
type LineErrors []*LineError

// Merge returns the errors of es and more, in line order.
func (es LineErrors) Merge(more LineErrors) LineErrors {
	all := append(append(LineErrors(nil), es...), more...)
	sort.SliceStable(all, func(i, j int) bool { return all[i].Line < all[j].Line })
	return all
}

func (es LineErrors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "; ")
}

// columns are the names a header line may use.
var columns = []string{"host1", "user1", "password1", "host2", "user2", "password2", "options"}

// Parse reads a batch file. It returns the account lines, numbered from 0
// in the order of the file, and, when any line is malformed, LineErrors
// listing every malformed line (the lines returned are then the others,
// for a caller that checks them too before refusing the file).
func Parse(r io.Reader) ([]Line, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	var (
		lines  []Line
		errs   LineErrors
		order  = columns // the column of each field
		sep    = ";"
		seen   bool // a non-comment line was seen (a header can only be first)
		header bool
	)
	for n := 1; sc.Scan(); n++ {
		text := strings.TrimRight(sc.Text(), "\r")
		trimmed := strings.TrimSpace(text)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		if !seen {
			seen = true
			if o, s, ok := parseHeader(trimmed); ok {
				order, sep, header = o, s, true
				continue
			}
		}
		fields, err := split(text, sep, header, order[len(order)-1] == "options", len(order))
		if err != nil {
			errs = append(errs, &LineError{n, err})
			continue
		}
		l, err := fromFields(fields, order)
		if err != nil {
			errs = append(errs, &LineError{n, err})
			continue
		}
		l.Line = n
		l.Index = len(lines)
		lines = append(lines, l)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(errs) > 0 {
		return lines, errs
	}
	return lines, nil
}

// parseHeader recognizes a header line: fields that are all column
// names, host1 and user1 among them.
func parseHeader(line string) (order []string, sep string, ok bool) {
	sep = ";"
	if !strings.Contains(line, ";") {
		sep = ","
	}
	var has1, hasU bool
	for _, f := range strings.Split(line, sep) {
		f = strings.ToLower(strings.TrimSpace(f))
		if f == "" && len(order) >= 6 {
			continue // a trailing separator
		}
		known := false
		for _, c := range columns {
			if f == c {
				known = true
			}
		}
		if !known {
			return nil, "", false
		}
		has1 = has1 || f == "host1"
		hasU = hasU || f == "user1"
		order = append(order, f)
	}
	return order, sep, has1 && hasU
}

// split cuts a line into fields. With ';' (imapsync's loop, whose shell
// `read` gives the last variable the rest of the line), the options field
// is all that follows the sixth separator. With ',' (a CSV file with a
// header) fields follow CSV's quoting rules.
func split(line, sep string, header, lastIsOptions bool, ncols int) ([]string, error) {
	var fields []string
	if sep == "," {
		r := csv.NewReader(strings.NewReader(line))
		r.FieldsPerRecord = -1
		r.LazyQuotes = true
		rec, err := r.Read()
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return nil, err
		}
		fields = rec
	} else {
		limit := 7
		if header {
			limit = ncols
			if !lastIsOptions {
				limit = -1
			}
		}
		fields = strings.SplitN(line, sep, limit)
	}
	if header {
		// The options column may be left out of a line when it is last.
		if len(fields) == ncols || (lastIsOptions && len(fields) == ncols-1) {
			return fields, nil
		}
		return nil, fmt.Errorf("%d fields, want %d as the header names", len(fields), ncols)
	}
	if len(fields) < 6 {
		return nil, fmt.Errorf("%d fields, want 6 or 7 (host1;user1;password1;host2;user2;password2[;options])", len(fields))
	}
	return fields, nil
}

// fromFields builds a Line from fields in the column order.
func fromFields(fields, order []string) (Line, error) {
	var l Line
	for i, f := range fields {
		col := "options"
		if i < len(order) {
			col = order[i]
		}
		switch col {
		case "host1":
			l.Host1 = strings.TrimSpace(f)
		case "user1":
			l.User1 = strings.TrimSpace(f)
		case "password1":
			l.Password1 = f
		case "host2":
			l.Host2 = strings.TrimSpace(f)
		case "user2":
			l.User2 = strings.TrimSpace(f)
		case "password2":
			l.Password2 = f
		case "options":
			// imapsync's loop files often end every line with ';'.
			l.OptionsText = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(f), ";"))
		}
	}
	var missing []string
	for _, c := range []struct{ name, v string }{{"host1", l.Host1}, {"user1", l.User1}, {"host2", l.Host2}, {"user2", l.User2}} {
		if c.v == "" {
			missing = append(missing, c.name)
		}
	}
	if len(missing) > 0 {
		return l, fmt.Errorf("empty %s", strings.Join(missing, ", "))
	}
	opts, err := SplitWords(l.OptionsText)
	if err != nil {
		return l, fmt.Errorf("options %q: %v", l.OptionsText, err)
	}
	l.Options = opts
	return l, nil
}

// SplitWords splits s into words as a POSIX shell does, without
// expansions: blanks separate words, single quotes keep everything,
// double quotes keep all but \" and \\, and a backslash outside quotes
// keeps the next character.
func SplitWords(s string) ([]string, error) {
	var (
		words []string
		cur   strings.Builder
		in    bool // a word is being built
	)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, errors.New("unterminated single quote")
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
			in = true
		case c == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\') {
					i++
				}
				cur.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, errors.New("unterminated double quote")
			}
			in = true
		case c == '\\':
			if i+1 < len(s) {
				i++
				cur.WriteByte(s[i])
			}
			in = true
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if in {
		words = append(words, cur.String())
	}
	return words, nil
}

// Secret returns the password a field holds: the first line of PATH for
// file:PATH, the variable's value for env:NAME, else the field itself.
func Secret(field string, getenv func(string) string) (string, error) {
	switch {
	case strings.HasPrefix(field, "file:"):
		path := strings.TrimPrefix(field, "file:")
		b, err := os.ReadFile(path)
		if err != nil {
			var pe *os.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return "", fmt.Errorf("password file %s: %v", path, err)
		}
		first, _, _ := strings.Cut(string(b), "\n")
		return strings.TrimRight(first, "\r"), nil
	case strings.HasPrefix(field, "env:"):
		name := strings.TrimPrefix(field, "env:")
		v := getenv(name)
		if v == "" {
			return "", fmt.Errorf("password variable %s is not set", name)
		}
		return v, nil
	}
	return field, nil
}

// literal tells whether a password field holds the secret itself.
func literal(field string) bool {
	return field != "" && !strings.HasPrefix(field, "file:") && !strings.HasPrefix(field, "env:")
}

// ReadFile parses the batch file at path, as Parse. warnings holds a
// warning when the file holds passwords and every user can read it (a
// group-readable file is left alone: Kubernetes mounts a Secret so for a
// pod's fsGroup).
func ReadFile(path string) (lines []Line, warnings []string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	lines, err = Parse(f)
	if _, ok := err.(LineErrors); err != nil && !ok {
		return nil, nil, err
	}
	if fi, err := f.Stat(); err == nil && fi.Mode().Perm()&0o004 != 0 {
		for _, l := range lines {
			if literal(l.Password1) || literal(l.Password2) {
				warnings = append(warnings, fmt.Sprintf("%s holds passwords and every user can read it (mode %04o): chmod 600 %s, or use file:PATH or env:NAME passwords", path, fi.Mode().Perm(), path))
				break
			}
		}
	}
	return lines, warnings, err
}
