package journal

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
)

func TestLoad(t *testing.T) {
	type send struct {
		folder            string
		validity, uidnext uint32
		keys              []string
	}
	tests := []struct {
		name    string
		sends   []send
		settled []int // indexes into sends
		want    []Folder
	}{
		{"nothing", nil, nil, nil},
		{"all settled",
			[]send{{"INBOX", 7, 10, []string{"a", "b"}}, {"Sent", 3, 1, []string{"c"}}},
			[]int{0, 1}, nil},
		{"one batch in doubt",
			[]send{{"INBOX", 7, 10, []string{"a", "b"}}, {"INBOX", 7, 12, []string{"c"}}},
			[]int{0},
			[]Folder{{Name: "INBOX", Validity: 7, UIDNext: 10, Keys: []string{"c"}}}},
		{"lowest UIDNEXT of the folder is kept, folders sorted",
			[]send{{"Sent", 3, 5, []string{"x"}}, {"INBOX", 7, 12, []string{"b"}}, {"INBOX", 7, 10, []string{"a"}}},
			nil,
			[]Folder{{Name: "INBOX", Validity: 7, UIDNext: 10, Keys: []string{"a", "b"}}, {Name: "Sent", Validity: 3, UIDNext: 5, Keys: []string{"x"}}}},
		{"same key in two batches, one settled: still in doubt",
			[]send{{"INBOX", 7, 10, []string{"a"}}, {"INBOX", 7, 10, []string{"a"}}},
			[]int{1},
			[]Folder{{Name: "INBOX", Validity: 7, UIDNext: 10, Keys: []string{"a"}}}},
		{"a new UIDVALIDITY starts the folder again",
			[]send{{"INBOX", 7, 10, []string{"a"}}, {"INBOX", 8, 1, []string{"b"}}},
			nil,
			[]Folder{{Name: "INBOX", Validity: 8, UIDNext: 1, Keys: []string{"b"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "j", "pair.journal")
			j, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			var ids []Batch
			for _, s := range tt.sends {
				b, err := j.Sending(s.folder, s.validity, s.uidnext, s.keys)
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, b)
			}
			for _, i := range tt.settled {
				if err := j.Settled(ids[i]); err != nil {
					t.Fatal(err)
				}
			}
			p, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(p.Folders, tt.want) {
				t.Errorf("pending = %+v, want %+v", p.Folders, tt.want)
			}
			if p.Empty() != (len(tt.want) == 0) {
				t.Errorf("Empty() = %v", p.Empty())
			}
			if len(tt.sends) > 0 && p.PID != os.Getpid() {
				t.Errorf("PID = %d, want %d", p.PID, os.Getpid())
			}
			if err := j.Close(true); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(path); !os.IsNotExist(err) {
				t.Errorf("Close(true) left the file: %v", err)
			}
		})
	}
}

// TestSendingMany: batches recorded together (one sync) are pending and
// settled each on its own, as batches recorded one by one (a folder
// keeps the lowest UIDNEXT recorded).
func TestSendingMany(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pair.journal")
	j, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	first, err := j.Sending("Sent", 3, 5, []string{"x"})
	if err != nil {
		t.Fatal(err)
	}
	ids, err := j.SendingMany([]Sends{{"INBOX", 7, 12, []string{"b", "c"}}, {"Archive", 2, 9, []string{"d"}}, {"Sent", 3, 6, []string{"y"}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 3 || ids[0] <= first || ids[1] <= ids[0] || ids[2] <= ids[1] {
		t.Fatalf("batches %v after %v", ids, first)
	}
	for _, b := range []Batch{first, ids[1]} {
		if err := j.Settled(b); err != nil {
			t.Fatal(err)
		}
	}
	p, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []Folder{{Name: "INBOX", Validity: 7, UIDNext: 12, Keys: []string{"b", "c"}}, {Name: "Sent", Validity: 3, UIDNext: 5, Keys: []string{"y"}}}
	if !reflect.DeepEqual(p.Folders, want) {
		t.Errorf("pending = %+v, want %+v", p.Folders, want)
	}
	j.Close(false)
}

func TestLoadMissingAndTorn(t *testing.T) {
	dir := t.TempDir()
	p, err := Load(filepath.Join(dir, "none"))
	if err != nil || !p.Empty() {
		t.Fatalf("missing file: %+v, %v", p, err)
	}
	path := filepath.Join(dir, "torn")
	data := `{"op":"send","pid":42,"folder":"INBOX","validity":1,"uidnext":5,"batch":1,"keys":["a"]}` + "\n" +
		`{"op":"send","pid":42,"folder":"INBOX","validity":1,"uidnext":5,"batch":2,"ke`
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err = Load(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []Folder{{Name: "INBOX", Validity: 1, UIDNext: 5, Keys: []string{"a"}}}
	if !reflect.DeepEqual(p.Folders, want) || p.PID != 42 || p.Keys() != 1 {
		t.Errorf("torn file: %+v", p)
	}
}

func TestCloseKeepsUnfinished(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pair.journal")
	j, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.Sending("INBOX", 1, 1, []string{"k"}); err != nil {
		t.Fatal(err)
	}
	j.Close(false)
	j, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := Load(path); p.Keys() != 1 {
		t.Fatalf("reopened journal lost its record: %+v", p)
	}
	if err := j.Clear(); err != nil {
		t.Fatal(err)
	}
	if p, _ := Load(path); !p.Empty() {
		t.Errorf("Clear left %+v", p)
	}
	j.Close(true)
}

// TestSurvivesKill writes batches from a child process that is killed with
// SIGKILL: every Sending that returned is in the file.
func TestSurvivesKill(t *testing.T) {
	if path := os.Getenv("JOURNAL_CHILD"); path != "" {
		j, err := Open(path)
		if err != nil {
			os.Exit(2)
		}
		for i := 0; ; i++ {
			if _, err := j.Sending("INBOX", 1, 1, []string{strconv.Itoa(i)}); err != nil {
				os.Exit(3)
			}
			os.Stdout.WriteString(strconv.Itoa(i) + "\n")
		}
	}
	path := filepath.Join(t.TempDir(), "pair.journal")
	cmd := exec.Command(os.Args[0], "-test.run=^TestSurvivesKill$")
	cmd.Env = append(os.Environ(), "JOURNAL_CHILD="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64<<10)
	var got []byte
	for len(got) < 200 {
		n, err := out.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, buf[:n]...)
	}
	cmd.Process.Kill()
	cmd.Wait()
	// The last complete line printed was recorded before it was printed.
	lines := 0
	for _, c := range got {
		if c == '\n' {
			lines++
		}
	}
	p, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if p.Keys() < lines {
		t.Errorf("journal holds %d keys, the child had confirmed %d", p.Keys(), lines)
	}
	if p.PID != cmd.Process.Pid || Alive(p.PID) {
		t.Errorf("PID %d (child %d), alive %v", p.PID, cmd.Process.Pid, Alive(p.PID))
	}
	if !Alive(os.Getpid()) {
		t.Error("Alive(own pid) = false")
	}
}
