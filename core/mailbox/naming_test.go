package mailbox

import "testing"

// TestGuessSeparator: the most frequent of /, ., \\ and \ in all names
// wins, / when none appears.
func TestGuessSeparator(t *testing.T) {
	for _, tc := range []struct {
		name  string
		names []string
		want  string
	}{
		{"none", nil, "/"},
		{"abcd", []string{"abcd"}, "/"},
		{"a/b/c.d", []string{"a/b/c.d"}, "/"},
		{"a.b/c.d", []string{"a.b/c.d"}, "."},
		{`a\\b\\c.c\\d/e/f`, []string{`a\\b\\c.c\\d/e/f`}, `\\`},
		{`a\b\c.c\d/e/f`, []string{`a\b\c.c\d/e/f`}, `\`},
		{`a\b`, []string{`a\b`}, `\`},
		{"counts over all names", []string{"INBOX", "INBOX.a", "INBOX.b", "x/y"}, "."},
		{"tie goes to slash", []string{"a/b.c"}, "/"},
		{"tie dot before backslash", []string{`a.b\c`}, "."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := GuessSeparator(tc.names); got != tc.want {
				t.Errorf("GuessSeparator(%q) = %q, want %q", tc.names, got, tc.want)
			}
		})
	}
}

// TestGuessPrefix: INBOX. or INBOX/ (in the server's case) when every name
// but INBOX starts with it, else empty.
func TestGuessPrefix(t *testing.T) {
	for _, tc := range []struct {
		name  string
		names []string
		want  string
	}{
		{"empty", []string{}, ""},
		{"INBOX", []string{"INBOX"}, ""},
		{"INBOX INBOX/Junk", []string{"INBOX", "INBOX/Junk"}, "INBOX/"},
		{"INBOX INBOX.Junk", []string{"INBOX", "INBOX.Junk"}, "INBOX."},
		{"Inbox Inbox/Junk", []string{"Inbox", "Inbox/Junk"}, "Inbox/"},
		{"INBOX INBOX/Junk INBOX/rrr zzz", []string{"INBOX", "INBOX/Junk", "INBOX/rrr", "zzz"}, ""},
		{"INBOX Junk", []string{"INBOX", "Junk"}, ""},
		{"no INBOX itself", []string{"INBOX.a", "INBOX.b"}, "INBOX."},
		{"INBOX without separator", []string{"INBOX", "INBOXes"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := GuessPrefix(tc.names); got != tc.want {
				t.Errorf("GuessPrefix(%q) = %q, want %q", tc.names, got, tc.want)
			}
		})
	}
}

func ptr(s string) *string { return &s }

func TestResolve(t *testing.T) {
	for _, tc := range []struct {
		name        string
		option, ns  *string
		guess, want string
		wantFrom    Source
	}{
		{"option beats namespace", ptr("."), ptr("/"), "\\", ".", FromOption},
		{"empty option is a value", ptr(""), ptr("INBOX."), "INBOX.", "", FromOption},
		{"namespace beats guess", nil, ptr("/"), ".", "/", FromNamespace},
		{"empty namespace prefix", nil, ptr(""), "INBOX.", "", FromNamespace},
		{"guess without namespace", nil, nil, ".", ".", FromGuess},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, from := Resolve(tc.option, tc.ns, tc.guess)
			if got != tc.want || from != tc.wantFrom {
				t.Errorf("Resolve = %q, %s; want %q, %s", got, from, tc.want, tc.wantFrom)
			}
		})
	}
}

func TestResolveSide(t *testing.T) {
	names := []string{"INBOX", "INBOX.Drafts", "INBOX.Sent"}
	for _, tc := range []struct {
		name              string
		sepOpt, prefixOpt *string
		ns                *Namespace
		want              Naming
	}{
		{"guess", nil, nil, nil, Naming{".", "INBOX.", FromGuess, FromGuess}},
		{"namespace", nil, nil, &Namespace{Prefix: "", Sep: "/"}, Naming{"/", "", FromNamespace, FromNamespace}},
		{"namespace NIL delimiter", nil, nil, &Namespace{Prefix: "INBOX."}, Naming{".", "INBOX.", FromGuess, FromNamespace}},
		{"options win", ptr("/"), ptr(""), &Namespace{Prefix: "INBOX.", Sep: "."}, Naming{"/", "", FromOption, FromOption}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ResolveSide(names, tc.sepOpt, tc.prefixOpt, tc.ns); got != tc.want {
				t.Errorf("ResolveSide = %+v, want %+v", got, tc.want)
			}
		})
	}
	if got, want := (Naming{Sep: "/"}).String(), "separator and prefix: [/][]"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
}
