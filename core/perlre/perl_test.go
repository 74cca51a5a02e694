package perlre

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"os/exec"
	"strings"
	"testing"
)

// perlHarness evaluates each input line "kind hex(expr) hex(input)" as
// imapsync does (eval "\$_ =~ $expr", or /$pattern/ for bare patterns) on
// a byte string and prints "R hex(result)", "B 0|1" or "E" (error).
const perlHarness = `
no strict; no warnings;
binmode STDIN; binmode STDOUT; $| = 1;
while (my $line = <STDIN>) {
	chomp $line;
	my ($kind, $he, $hi) = split / /, $line, 3;
	my $expr = pack("H*", $he); my $in = pack("H*", $hi // "");
	local $_ = $in;
	if ($kind eq "s") {
		my $ok = eval "\$_ =~ $expr; 1";
		print $ok ? "R " . unpack("H*", $_) . "\n" : "E\n";
	} elsif ($kind eq "m") {
		my $r = eval "(\$_ =~ $expr) ? 1 : 0";
		print defined $r ? "B $r\n" : "E\n";
	} else {
		my $r = eval { (/$expr/) ? 1 : 0 };
		print defined $r ? "B $r\n" : "E\n";
	}
}
`

// perlDiffers lists cases where imapshift deliberately differs from Perl.
var perlDiffers = map[string]string{
	"empty pattern":          "Perl reuses the last successful pattern",
	"empty pattern once":     "Perl reuses the last successful pattern",
	"bare empty matches all": "Perl reuses the last successful pattern",
	"at sign in replacement": "Perl interpolates the array @example",
	"escapes":                "Perl keeps \\x{263A} as a wide character; imapshift writes its UTF-8 bytes",
	"dollar in class":        "Perl interpolates $] (its version) and fails; imapshift takes $ literally",
}

// TestAgainstPerl runs every table case through perl (when installed) and
// compares with the byte-semantics result (ApplyBytes, Match), which is
// what Perl computes on imapsync's byte strings.
func TestAgainstPerl(t *testing.T) {
	perl, err := exec.LookPath("perl")
	if err != nil {
		t.Skip("perl not installed")
	}
	type job struct {
		name, kind, expr, in string
		ours                 string
	}
	var jobs []job
	for _, table := range [][]substCase{presetCases, manualCases, folderNameCases, semanticsCases} {
		for _, c := range table {
			s, err := ParseSubst(c.expr)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			jobs = append(jobs, job{c.name, "s", c.expr, c.in, "R " + hex.EncodeToString(s.ApplyBytes([]byte(c.in)))})
		}
	}
	for _, c := range bytesCases {
		jobs = append(jobs, job{c.name, "s", c.expr, c.in, "R " + hex.EncodeToString([]byte(c.bytes))})
	}
	for _, c := range matchCases {
		parse, kind := ParseMatch, c.kind
		if kind == "bare" {
			parse = ParseBare
		} else if e := strings.TrimSpace(c.expr); !strings.HasPrefix(e, "/") && !strings.HasPrefix(e, "m") || e == "mail" {
			kind = "bare"
		}
		m, err := parse(c.expr)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		jobs = append(jobs, job{c.name, kind, c.expr, c.in, fmt.Sprintf("B %d", b2i(m.Match([]byte(c.in))))})
	}
	var in bytes.Buffer
	for _, j := range jobs {
		fmt.Fprintf(&in, "%s %s %s\n", j.kind, hex.EncodeToString([]byte(j.expr)), hex.EncodeToString([]byte(j.in)))
	}
	cmd := exec.Command(perl, "-e", perlHarness)
	cmd.Stdin = &in
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("perl: %v", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for _, j := range jobs {
		if !sc.Scan() {
			t.Fatal("perl output ended early")
		}
		got := sc.Text()
		if _, skip := perlDiffers[j.name]; skip {
			continue
		}
		if got != j.ours {
			t.Errorf("%s: %s on %q: perl %s, imapshift %s", j.name, j.expr, j.in, decode(got), decode(j.ours))
		}
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func decode(s string) string {
	if strings.HasPrefix(s, "R ") {
		b, _ := hex.DecodeString(s[2:])
		return fmt.Sprintf("%q", b)
	}
	return s
}
