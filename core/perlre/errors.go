package perlre

import "errors"

// UnsupportedError is returned for a Perl construct that imapshift's regex
// engine (Go's regexp, an RE2 engine: linear time, no backtracking) cannot
// run, or for Perl code in a rule (/e). Its message names the construct and
// points to a Lua hook, e.g.
//
//	--regexmess "s/(?<=foo)bar/x/": look-behind "(?<=" is not supported by imapshift's regex engine (RE2); write a Lua hook instead (see --script)
type UnsupportedError struct {
	// Construct is the offending text as written, e.g. "(?<=", "\\1", "/e".
	Construct string
	// Expr is the whole expression, as given.
	Expr string
	// Feature names the construct in words, e.g. "look-behind".
	Feature string
	// Option is the command-line option the expression came from, e.g.
	// "--regexmess"; the parsers leave it empty, see WithOption.
	Option string
	// Code is true when the construct is Perl code rather than regex
	// syntax (/e, (?{ })); the message then does not blame RE2.
	Code bool
}

func (e *UnsupportedError) Error() string {
	msg := prefix(e.Option, e.Expr) + e.Feature
	if e.Construct != "" {
		msg += ` "` + e.Construct + `"`
	}
	if e.Code {
		msg += " is not supported by imapshift (there is no Perl interpreter)"
	} else {
		msg += " is not supported by imapshift's regex engine (RE2)"
	}
	return msg + "; write a Lua hook instead (see --script)"
}

// SyntaxError is returned for an expression that is not valid Perl (or
// that Go's regexp rejects after translation).
type SyntaxError struct {
	Expr   string
	Msg    string
	Option string // see WithOption
}

func (e *SyntaxError) Error() string { return prefix(e.Option, e.Expr) + e.Msg }

func prefix(option, expr string) string {
	if option != "" {
		return option + ` "` + expr + `": `
	}
	return `"` + expr + `": `
}

// WithOption returns err with the option name (e.g. "--regextrans2") set on
// an *UnsupportedError or *SyntaxError, so that the message reads
// `--regextrans2 "expr": ...`. Other errors are returned unchanged.
func WithOption(err error, option string) error {
	var ue *UnsupportedError
	if errors.As(err, &ue) {
		c := *ue
		c.Option = option
		return &c
	}
	var se *SyntaxError
	if errors.As(err, &se) {
		c := *se
		c.Option = option
		return &c
	}
	return err
}

func unsupported(expr, feature, construct string) error {
	return &UnsupportedError{Construct: construct, Expr: expr, Feature: feature}
}

func syntaxErr(expr, msg string) error { return &SyntaxError{Expr: expr, Msg: msg} }
