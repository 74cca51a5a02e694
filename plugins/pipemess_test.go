package plugins

import (
	"strings"
	"testing"
	"time"
)

func TestPipemess(t *testing.T) {
	for _, tt := range []struct {
		name    string
		cmds    []string
		in      string
		want    string
		changed bool
		err     string
	}{
		{"two commands", []string{"sed s/a/b/", "tr a-z A-Z"}, "Subject: a\r\n\r\naaa\r\n", "SUBJECT: B\r\n\r\nBAA\r\n", true, ""},
		{"order matters", []string{"tr a-z A-Z", "sed s/a/b/"}, "a\n", "A\n", true, ""},
		{"identity", []string{"cat"}, "Subject: x\r\n\r\n\x00body\r\n", "Subject: x\r\n\r\n\x00body\r\n", false, ""},
		{"nul bytes kept", []string{"cat", "cat"}, "a\x00b\n", "a\x00b\n", false, ""},
		{"lf only", []string{"sed 's/$/!/'"}, "a\nb\n", "a!\nb!\n", true, ""},
		{"failing command", []string{"cat", "echo oops >&2; exit 3"}, "x\n", "", false, "command 2"},
		{"failing first", []string{"false", "cat"}, "x\n", "", false, "command 1 \"false\": exit status 1"},
		{"prints nothing", []string{"cat >/dev/null"}, "x\n", "", false, "printed nothing"},
		{"missing program", []string{"no-such-program-imapshift"}, "x\n", "", false, "command 1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := rawMsg(tt.in)
			err := build(t, "pipemess", tt.cmds...).(*Pipemess).Rewrite(m)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want one containing %q", err, tt.err)
				}
				if m.Changed() {
					t.Error("a failed pipemess changed the message")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, _ := m.Raw()
			if string(got) != tt.want || m.Changed() != tt.changed {
				t.Errorf("got %q (changed %v), want %q (changed %v)", got, m.Changed(), tt.want, tt.changed)
			}
		})
	}
}

func TestPipemessStderrInError(t *testing.T) {
	err := NewPipemess([]string{"echo 'bad  input' >&2; exit 2"}, 0).Rewrite(rawMsg("x"))
	if err == nil || !strings.Contains(err.Error(), "exit status 2: bad input") {
		t.Fatalf("err = %v", err)
	}
}

func TestPipemessTimeout(t *testing.T) {
	start := time.Now()
	// The child of sh keeps stdout open: the whole group must be killed.
	err := NewPipemess([]string{"sleep 30; echo late"}, 200*time.Millisecond).Rewrite(rawMsg("x"))
	if err == nil || !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("err = %v, want a timeout", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the timeout took %s", d)
	}
}

func TestCheckPipemess(t *testing.T) {
	for _, tt := range []struct {
		cmds []string
		ok   bool
	}{
		{[]string{"cat"}, true},
		{[]string{"sed s/a/b/", "tr a-z A-Z"}, true},
		{[]string{"cat", "false"}, false},
		{[]string{"true"}, false}, // prints nothing
		{[]string{"grep -q x; echo $?"}, true},
		{nil, false},
		{[]string{""}, false},
	} {
		if err := CheckPipemess(tt.cmds); (err == nil) != tt.ok {
			t.Errorf("CheckPipemess(%q) = %v, want ok %v", tt.cmds, err, tt.ok)
		}
	}
}
