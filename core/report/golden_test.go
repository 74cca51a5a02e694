package report

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/imapshift/imapshift/core/exitcode"
)

var update = flag.Bool("update", false, "rewrite the testdata/*.golden files")

// golden compares got with testdata/name.golden, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from %s:\n%s", name, path, lineDiff(string(want), string(got)))
	}
}

// lineDiff shows the first differing line of want and got.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("line %d:\nwant %q\n got %q", i+1, wl, gl)
		}
	}
	return "(same lines)"
}

var (
	utc       = time.UTC
	rigStart  = time.Date(2026, 11, 26, 0, 7, 3, 900_000_000, utc)
	rigEnd    = rigStart.Add(1163400 * time.Microsecond)
	rigSystem = SystemInfo{MemoryMiB: 181.39, Load: "1.36 1.04 0.48 1/101", Cores: 2, CPUSeconds: 1.02}
)

// rigSnapshot is an incremental imapsync 2.229 run between two local
// Dovecot servers: 100 new messages copied, 2000 already there.
func rigSnapshot() Snapshot {
	return Snapshot{
		Counters: Counters{
			FoldersSynced: 15, FoldersWanted: 15,
			Transferred: 100, Skipped: 2000,
			BytesTransferred: 973337, BytesSkipped: 126684344, Biggest: 69870,
			IdentifiedHost1: 2100, IdentifiedHost2: 2100,
		},
		Start: rigStart, End: rigEnd,
		StartDiff:   &Diff{Messages: -100, Bytes: -973337},
		FinalDiff:   &Diff{},
		MemStartMiB: 162.7,
	}
}

// rigReport is the statistics block imapsync 2.229 printed for that run,
// with the blank line it prints after "Detected N errors".
const rigReport = `++++ Statistics
Transfer started on                     : Thursday 26 November 2026-11-26 00:07:03 +0000 UTC
Transfer ended on                       : Thursday 26 November 2026-11-26 00:07:05 +0000 UTC
Transfer time                           : 1.2 sec
Folders synced                          : 15/15 synced
Messages transferred                    : 100 
Messages skipped                        : 2000
Messages found duplicate on host1       : 0
Messages found duplicate on host2       : 0
Messages found crossduplicate on host2  : 0
Messages void (noheader) on host1       : 0  
Messages void (noheader) on host2       : 0
Messages found in host1 not in host2    : 0 messages
Messages found in host2 not in host1    : 0 messages
Messages deleted on host1               : 0
Messages deleted on host2               : 0
Total bytes transferred                 : 973337 (950.524 KiB)
Total bytes skipped                     : 126684344 (120.816 MiB)
Message rate                            : 86.0 messages/s
Average bandwidth rate                  : 817.0 KiB/s
Reconnections to host1                  : 0
Reconnections to host2                  : 0
Memory consumption at the end           : 181.4 MiB (*time 0.1 MiB*h) (started with 162.7 MiB)
Load end is                             : 1.36 1.04 0.48 1/101 on 2 cores
CPU time and %cpu                       : 1.02 sec 87.7 %cpu 43.9 %allcpus
Biggest message transferred             : 69870 bytes (68.232 KiB)
Memory/biggest message ratio            : 2722.2
Start difference host2 - host1          : -100 messages, -973337 bytes (-950.524 KiB)
Final difference host2 - host1          : 0 messages, 0 bytes (0.000 KiB)
The sync looks good, all 2100 identified messages in host1 are on host2.
There is no unidentified message on host1.
The sync is strict, all 2100 identified messages in host2 are on host1.
Detected 0 errors

Check if a new imapsync release is available by adding --releasecheck
Homepage: https://imapsync.lamiral.info/
`

func TestWriteStatisticsMatchesImapsync(t *testing.T) {
	var b bytes.Buffer
	err := WriteStatistics(&b, rigSnapshot(), StatsOptions{
		System:      rigSystem,
		ReleaseLine: "Check if a new imapsync release is available by adding --releasecheck",
		Homepage:    "Homepage: https://imapsync.lamiral.info/",
	})
	if err != nil {
		t.Fatal(err)
	}
	if b.String() != rigReport {
		t.Errorf("WriteStatistics differs from imapsync:\n%s", lineDiff(rigReport, b.String()))
	}
	for _, line := range strings.Split(b.String(), "\n") {
		if i := strings.Index(line, " : "); i >= 0 && i != 39 {
			t.Errorf("colon not in column 41: %q", line)
		}
	}
}

// endOfRun renders what a run prints from the statistics on: the block,
// the error listing and the exit line.
func endOfRun(t *testing.T, s *Stats, opts StatsOptions) []byte {
	t.Helper()
	var b bytes.Buffer
	snap := s.Snapshot()
	if err := WriteStatistics(&b, snap, opts); err != nil {
		t.Fatal(err)
	}
	if err := s.Errors.WriteListing(&b); err != nil {
		t.Fatal(err)
	}
	b.WriteString(ExitLine(s.Errors.ExitCode(), snap.Errors, 50, 4242) + "\n")
	return b.Bytes()
}

// newRun returns Stats filled like the rig run, through the methods.
func newRun() *Stats {
	s := NewStats(rigStart)
	s.snap.MemStartMiB = 162.7
	s.SetFoldersWanted(15)
	s.Add(FoldersSynced, 15)
	for i := range 100 {
		size := int64(9733)
		if i == 0 {
			size = 69870
		} else if i == 1 {
			size = 973337 - 69870 - 98*9733
		}
		s.Transferred(size)
	}
	for range 2000 {
		s.Skipped(63342)
	}
	s.Update(func(c *Counters) { c.BytesSkipped = 126684344 })
	s.SetVerdict(2100, 2100, 0, 0)
	s.SetDiffs(Diff{Messages: -100, Bytes: -973337}, Diff{})
	s.Finish(rigEnd)
	return s
}

func TestStatisticsGolden(t *testing.T) {
	opts := StatsOptions{System: rigSystem}

	t.Run("clean", func(t *testing.T) {
		golden(t, "stats_clean", endOfRun(t, newRun(), opts))
	})

	t.Run("errors", func(t *testing.T) {
		s := newRun()
		s.Add(ReconnectHost2, 1)
		s.SetVerdict(2100, 2103, 2, 5)
		s.Errors.AddFolder("INBOX", ClassOverQuota, "- msg INBOX/4863 {8259} could not append ( Subject:[x], Date:[\"26-Nov-2026 00:07:03 +0000\"], Size:[8259], Flags:[\\Seen] ) to folder INBOX: 12 NO [OVERQUOTA] Quota exceeded (mailbox for user is full)\n")
		s.Errors.AddFolder("Sent", ClassSelect, "Host2 folder Sent: Could not select: 21 NO Mailbox doesn't exist: Sent")
		s.Errors.AddFolder("INBOX", ClassOverQuota, "- msg INBOX/4870 {512} could not append ( Subject:[y] ) to folder INBOX: 13 NO [OVERQUOTA] Quota exceeded (mailbox for user is full)")
		golden(t, "stats_errors", endOfRun(t, s, opts))
	})

	t.Run("dry", func(t *testing.T) {
		s := NewStats(rigStart)
		s.snap.MemStartMiB = 40.5
		s.SetFoldersWanted(4)
		s.Add(FoldersSynced, 4)
		for range 8 {
			s.WouldTransfer()
		}
		s.Skipped(1200)
		s.SetVerdict(9, 1, 8, 0)
		s.Finish(rigStart.Add(3400 * time.Millisecond))
		o := opts
		o.Dry = true
		golden(t, "stats_dry", endOfRun(t, s, o))
	})

	t.Run("justfolders", func(t *testing.T) {
		s := NewStats(rigStart)
		s.snap.MemStartMiB = 30
		s.SetFoldersWanted(15)
		s.Add(FoldersSynced, 15)
		s.Finish(rigStart.Add(800 * time.Millisecond))
		o := opts
		o.JustFolders = true
		o.System.CPUSeconds = 0.3
		golden(t, "stats_justfolders", endOfRun(t, s, o))
	})

	t.Run("unidentified", func(t *testing.T) {
		s := newRun()
		s.Add(VoidHost1, 3)
		s.Add(VoidHost2, 1)
		s.Add(DupHost1, 2)
		s.Add(DeletedHost2, 4)
		s.Update(func(c *Counters) { c.Skipped += 5 })
		golden(t, "stats_unidentified", endOfRun(t, s, opts))
	})
}

func TestStatisticsVariants(t *testing.T) {
	render := func(s Snapshot, o StatsOptions) string {
		var b bytes.Buffer
		if err := WriteStatistics(&b, s, o); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	s := rigSnapshot()

	// No identified host1 message: only the "strict" verdict stays.
	s0 := s
	s0.IdentifiedHost1, s0.IdentifiedHost2 = 0, 0
	out := render(s0, StatsOptions{})
	if strings.Contains(out, "The sync looks good") || strings.Contains(out, "unidentified message") ||
		!strings.Contains(out, "The sync is strict, all 0 identified messages in host2 are on host1.\n") {
		t.Errorf("verdicts without host1 keys:\n%s", out)
	}
	// --useuid: no verdict at all.
	if out := render(s, StatsOptions{UseUID: true}); strings.Contains(out, "The sync") {
		t.Errorf("verdicts with UseUID:\n%s", out)
	}
	// No differences without folder sizes.
	s1 := s
	s1.StartDiff, s1.FinalDiff = nil, nil
	if out := render(s1, StatsOptions{}); strings.Contains(out, "difference") {
		t.Errorf("differences printed without folder sizes:\n%s", out)
	}
	// Defaults name imapshift; NA ratio; unknown load; zero time.
	s2 := Snapshot{Start: rigStart, End: rigStart}
	out = render(s2, StatsOptions{})
	for _, want := range []string{
		"Message rate                            : 0.0 messages/s\n",
		"Load end is                             : unknown on 0 cores\n",
		"CPU time and %cpu                       : 0 sec 0.0 %cpu 0.0 %allcpus\n",
		"Memory/biggest message ratio            : NA\n",
		"Detected 0 errors\n\n" + DefaultReleaseLine + "\n" + DefaultHomepage + "\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
}

func TestPerlNumber(t *testing.T) {
	user, sys := 0.57, 0.45 // a sum that is not exactly 1.02
	tests := []struct {
		x    float64
		want string
	}{{1.02, "1.02"}, {1219.3, "1219.3"}, {2, "2"}, {0, "0"}, {user + sys, "1.02"}, {3.14159, "3.14"}}
	for _, tt := range tests {
		if got := perlNumber(tt.x); got != tt.want {
			t.Errorf("perlNumber(%v) = %q, want %q", tt.x, got, tt.want)
		}
	}
}

func TestFolderSizesGolden(t *testing.T) {
	sizes := []FolderSize{
		{Name1: "[&ZeVnLIqe-] = [日本語]", Name2: "[&ZeVnLIqe-] = [日本語]",
			Host1: SideSize{true, 125, 14145215, 3529080}, Host2: SideSize{true, 119, 14114633, 3529080}},
		{Name1: "[INBOX]", Name2: "[INBOX]",
			Host1: SideSize{true, 25, 393251, 59437}, Host2: SideSize{true, 32, 461389, 59437}},
		{Name1: "[Sent]", Name2: "[[Gmail]/Sent Mail]",
			Host1: SideSize{true, 3, 7000, 4000}, Host2: SideSize{}},
		{Name1: "[Archive/2019]", Name2: "[INBOX.Archive.2019]",
			Host1: SideSize{}, Host2: SideSize{true, 1, 100, 100}},
	}
	totals := SumFolderSizes(sizes)
	totals.Elapsed = 400 * time.Millisecond
	if h1, h2 := totals.Host1, totals.Host2; h1.Folders != 3 || h1.Messages != 153 || h1.Bytes != 14545466 ||
		h2.Folders != 3 || h2.Messages != 152 || h2.Bytes != 14576122 {
		t.Errorf("totals = %+v", totals)
	}
	for _, before := range []bool{true, false} {
		var b bytes.Buffer
		if err := WriteFolderSizes(&b, sizes, totals, before); err != nil {
			t.Fatal(err)
		}
		name := "foldersizes_after"
		if before {
			name = "foldersizes_before"
		}
		golden(t, name, b.Bytes())
		// Lines imapsync 2.229 and 1.983 printed for these folders.
		for _, want := range []string{
			"Host1 folder     1/4 [&ZeVnLIqe-] = [日本語]                Size:  14145215 Messages:   125 Biggest:   3529080\n",
			"Host2 folder     1/4 [&ZeVnLIqe-] = [日本語]                Size:  14114633 Messages:   119 Biggest:   3529080\n",
			"Host2-Host1                                                       -30582              -6                  0\n",
			"Host1 folder     2/4 [INBOX]                             Size:    393251 Messages:    25 Biggest:     59437\n",
			"Host2-Host1                                                        68138               7                  0\n",
			"Host2 folder     3/4 [[Gmail]/Sent Mail]                 does not exist yet\n",
			"Host1 folder     4/4 [Archive/2019]                      does not exist\n",
			"Host1 Nb folders:                     3 folders\n",
			"Time spent on sizing:         0.4 seconds\n",
		} {
			if !strings.Contains(b.String(), want) {
				t.Errorf("missing line %q", want)
			}
		}
	}
}

func TestJSONGolden(t *testing.T) {
	s := newRun()
	s.AddFolder(FolderReport{Host1: "INBOX", Host2: "INBOX", Transferred: 98, Skipped: 1900, BytesTransferred: 900000})
	s.AddFolder(FolderReport{Host1: "Sent", Host2: "Sent", Transferred: 2, Skipped: 100, BytesTransferred: 73337})
	s.Errors.AddFolder("Sent", ClassSelect, "Host2 folder Sent: Could not select: 21 NO Mailbox doesn't exist: Sent")
	s.Errors.Add(ClassUnclassified, "Host2: some other trouble")
	r := NewJSONReport(s.Snapshot(), s.Errors.Records(), s.Errors.ExitCode(), StatsOptions{})
	if r.ExitCode != int(exitcode.ErrSelect) || r.MostFrequentError != ClassSelect {
		t.Errorf("exit %d, most frequent %q", r.ExitCode, r.MostFrequentError)
	}
	var b bytes.Buffer
	if err := EncodeJSON(&b, r); err != nil {
		t.Fatal(err)
	}
	golden(t, "report_json", b.Bytes())

	path := filepath.Join(t.TempDir(), "report.json")
	if err := WriteJSON(path, r); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(got, b.Bytes()) {
		t.Errorf("WriteJSON wrote %d bytes (%v), want %d", len(got), err, b.Len())
	}
	if err := WriteJSON(filepath.Join(t.TempDir(), "no", "such", "dir.json"), r); err == nil {
		t.Error("WriteJSON into a missing directory succeeded")
	}
}
