package report

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/imapshift/imapshift/core/exitcode"
)

// BytesBin against imapsync's binary byte display and figures of real logs.
func TestBytes(t *testing.T) {
	bin := []struct {
		n    int64
		want string
	}{
		{0, "0.000 KiB"},
		{352, "0.344 KiB"},
		{973337, "950.524 KiB"},
		{-973337, "-950.524 KiB"},
		{1000*1024 - 1, "999.999 KiB"},
		{1000 * 1024, "0.977 MiB"},
		{126684344, "120.816 MiB"},
		{31462465, "30.005 MiB"},
		{4195475015, "3.907 GiB"},
		{-12169973659, "-11.334 GiB"},
		{2411724800, "2.246 GiB"},
		{1000 * 1024 * 1024 * 1024 * 1024, "0.977 PiB"},
		{5 << 40, "5.000 TiB"},
	}
	for _, tt := range bin {
		if got := BytesBin(tt.n); got != tt.want {
			t.Errorf("BytesBin(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

func TestFormatTime(t *testing.T) {
	tests := []struct {
		t    time.Time
		want string
	}{
		{time.Date(2026, 11, 26, 0, 7, 3, 0, time.UTC), "Thursday 26 November 2026-11-26 00:07:03 +0000 UTC"},
		{time.Date(2026, 9, 2, 13, 1, 55, 0, time.UTC), "Wednesday 02 September 2026-09-02 13:01:55 +0000 UTC"},
		{time.Date(2025, 2, 28, 9, 28, 57, 0, time.FixedZone("CET", 3600)), "Friday 28 February 2025-02-28 09:28:57 +0100 CET"},
	}
	for _, tt := range tests {
		if got := FormatTime(tt.t); got != tt.want {
			t.Errorf("FormatTime = %q, want %q", got, tt.want)
		}
	}
}

// Spec 5.6 error classification.
func TestClassify(t *testing.T) {
	tests := []struct {
		msg  string
		want Class
	}{
		{"", ClassNothingReported},
		{" \n", ClassNothingReported},
		{"Host1 failure: Error login on [imap.example.org] with user [u1] auth [LOGIN]: 2 NO LOGIN Failed", ClassAuthUser1},
		{"Host2 failure: Error login on [h2] with user [u2] auth [PLAIN]: 2 NO [AUTHENTICATIONFAILED] Authentication failed.", ClassAuthUser2},
		{"Host1: Can not go to tls encryption on host1: 1 BAD STARTTLS", ClassTLS},
		{"Host1: Starttls failed: handshake error", ClassTLS},
		{"- msg INBOX/12 {44} could not be fetched: 5 NO Message unavailable", ClassFetch},
		{"- msg INBOX/12 {90000000} could not append ( Subject:[x] ) to folder INBOX: 7 BAD maximum message size exceeded", ClassAppendSize},
		{"- msg INBOX/12 could not append to folder INBOX: NO Maximum size of appendable message has been exceeded", ClassAppendSize},
		{"- msg INBOX/12 could not append ( Subject:[x] ) to folder INBOX: 12 NO [OVERQUOTA] Quota exceeded (mailbox for user is full)", ClassOverQuota},
		{"Host2: Quota limit will be exceeded! Over 90 percent", ClassOverQuota},
		{"Host2: the account is full: it is time to find a bigger place", ClassOverQuota},
		{"- msg INBOX/12 could not append to folder INBOX: NO Message rejected: Virus found", ClassAppendVirus},
		{"- msg INBOX/12 {200} could not append ( Subject:[x] ) to folder INBOX: 9 NO Internal error", ClassAppend},
		{"Host2: msg INBOX/7 could not add flags [\\Seen $Label1]: 9 NO Too many keywords", ClassFlags},
		{"Could not create folder [INBOX.a*b] from [a*b]: 5 NO Invalid mailbox name", ClassCreate},
		{"Host2 folder INBOX.spam: Could not select: 21 NO Mailbox doesn't exist: INBOX.spam (0.001 + 0.000 secs).", ClassSelect},
		{"Maximum bytes transferred reached, 2500000000 >= 2500000000, ending sync", ClassTransferExceeded},
		{"Host1 failure: can not open imap connection on [imap.example.org] with user [u1]: connection refused", ClassConnHost1},
		{"Host2: cannot open imap connection on [h2]: i/o timeout", ClassConnHost2},
		{"Host2: something odd happened", ClassUnclassified},
		// first match wins
		{"- msg INBOX/1 could not be fetched: could not append", ClassFetch},
		{"Host2: Could not select: INBOX. Quota limit will be exceeded", ClassOverQuota},
	}
	for _, tt := range tests {
		if got := Classify(tt.msg); got != tt.want {
			t.Errorf("Classify(%q) = %s, want %s", tt.msg, got, tt.want)
		}
	}
}

func TestClassCode(t *testing.T) {
	tests := map[Class]exitcode.Code{
		ClassAuthUser1: 161, ClassAuthUser2: 162, ClassTLS: 12, ClassFetch: 115,
		ClassAppendSize: 114, ClassOverQuota: 113, ClassAppendVirus: 119, ClassAppend: 114,
		ClassFlags: 120, ClassCreate: 116, ClassSelect: 117, ClassTransferExceeded: 118,
		ClassConnHost1: 101, ClassConnHost2: 102, ClassUnclassified: 111, ClassNothingReported: 111,
		Class("ERR_WHATEVER"): 1,
	}
	for c, want := range tests {
		if got := c.Code(); got != want {
			t.Errorf("%s.Code() = %d, want %d", c, got, want)
		}
		if c != "ERR_WHATEVER" && c.Advice() == "" {
			t.Errorf("%s has no advice", c)
		}
	}
}

// Spec 7.6 most_common_error: ties go to the alphabetically first.
func TestMostFrequent(t *testing.T) {
	tests := []struct {
		counts map[Class]int
		want   Class
	}{
		{nil, ""},
		{map[Class]int{"A": 5, "B": 5, "C": 5}, "A"},
		{map[Class]int{"C": 5, "B": 5, "A": 5}, "A"},
		{map[Class]int{"A": 4, "B": 5, "C": 5}, "B"},
		{map[Class]int{"A": 1, "B": 0}, "A"},
		{map[Class]int{ClassSelect: 2, ClassAppend: 2, ClassUnclassified: 1}, ClassAppend},
	}
	for _, tt := range tests {
		for range 20 { // map order varies
			if got := MostFrequent(tt.counts); got != tt.want {
				t.Fatalf("MostFrequent(%v) = %q, want %q", tt.counts, got, tt.want)
			}
		}
	}
}

// Spec 7.6 errorsdump.
func TestErrorsDump(t *testing.T) {
	if got, want := ErrorsDump(2, []string{"Aie ", "Ouille"}), "Err 1/2: Aie Err 2/2: Ouille"; got != want {
		t.Errorf("ErrorsDump = %q, want %q", got, want)
	}
	if got := ErrorsDump(0, nil); got != "" {
		t.Errorf("ErrorsDump(nil) = %q", got)
	}
}

func TestErrors(t *testing.T) {
	var e Errors
	if e.ExitCode() != exitcode.OK || e.MostFrequent() != "" || e.Count() != 0 {
		t.Fatal("empty Errors is not a clean run")
	}
	var b bytes.Buffer
	if err := e.WriteListing(&b); err != nil || b.Len() != 0 {
		t.Errorf("listing without errors: %q, %v", b.String(), err)
	}

	// Errors without messages: counted, exit 111.
	e.Inc()
	if e.Count() != 1 || e.MostFrequent() != ClassNothingReported || e.ExitCode() != exitcode.WithErrors {
		t.Errorf("count-only: %d %s %d", e.Count(), e.MostFrequent(), e.ExitCode())
	}
	if err := e.WriteListing(&b); err != nil || b.Len() != 0 {
		t.Errorf("listing without messages: %q, %v", b.String(), err)
	}

	if n := e.Add("Host2 folder X: Could not select: NO nope\r\n"); n != 2 {
		t.Errorf("Add returned %d, want 2", n)
	}
	e.AddFolder("INBOX", "- msg INBOX/1 could not append: NO [OVERQUOTA] full")
	e.AddFolder("INBOX", "- msg INBOX/2 could not append: NO [OVERQUOTA] full")
	if got := e.ExitCode(); got != exitcode.OverQuota {
		t.Errorf("ExitCode = %d, want 113", got)
	}
	e.Add("Host2 folder Y: Could not select: NO nope")
	// OVERQUOTA 2, SELECT 2: alphabetical tie-break.
	if got := e.MostFrequent(); got != ClassOverQuota {
		t.Errorf("MostFrequent = %s, want %s", got, ClassOverQuota)
	}
	if got := e.Messages()[0]; got != "Host2 folder X: Could not select: NO nope" {
		t.Errorf("line end kept: %q", got)
	}
	if r := e.Records()[1]; r.Folder != "INBOX" || r.Class != ClassOverQuota {
		t.Errorf("record = %+v", r)
	}
	if err := e.WriteListing(&b); err != nil {
		t.Fatal(err)
	}
	want := "++++ Listing 5 errors encountered during the sync ( avoid this listing with --noerrorsdump ).\n" +
		"Err 1/5: Host2 folder X: Could not select: NO nope\n" +
		"Err 2/5: - msg INBOX/1 could not append: NO [OVERQUOTA] full\n" +
		"Err 3/5: - msg INBOX/2 could not append: NO [OVERQUOTA] full\n" +
		"Err 4/5: Host2 folder Y: Could not select: NO nope\n" +
		"The most frequent error is ERR_OVERQUOTA. " + ClassOverQuota.Advice() + "\n"
	if b.String() != want {
		t.Errorf("listing:\n%s", lineDiff(want, b.String()))
	}
}

func TestErrorsConcurrent(t *testing.T) {
	var e Errors
	done := make(chan bool)
	for range 4 {
		go func() {
			for range 250 {
				e.Add("Host2 folder X: Could not select: NO")
				_ = e.ExitCode()
			}
			done <- true
		}()
	}
	for range 4 {
		<-done
	}
	if e.Count() != 1000 || len(e.Records()) != 1000 || e.ExitCode() != exitcode.ErrSelect {
		t.Errorf("count %d, records %d, exit %d", e.Count(), len(e.Records()), e.ExitCode())
	}
}

func TestExitLine(t *testing.T) {
	tests := []struct {
		code           exitcode.Code
		nerr, max, pid int
		want           string
	}{
		{exitcode.OK, 0, 50, 19165, "Exiting with return value 0 (EX_OK: successful termination) 0/50 nb_errors/max_errors PID 19165"},
		{exitcode.ErrSelect, 3, 50, 1, "Exiting with return value 117 (EXIT_ERR_SELECT) 3/50 nb_errors/max_errors PID 1"},
		{exitcode.WithErrors, 12, 10, 7, "Exiting with return value 111 (EXIT_WITH_ERRORS) 12/10 nb_errors/max_errors PID 7"},
	}
	for _, tt := range tests {
		if got := ExitLine(tt.code, tt.nerr, tt.max, tt.pid); got != tt.want {
			t.Errorf("ExitLine = %q, want %q", got, tt.want)
		}
	}
}

// TestMaskArgs: every secret option is masked in both forms, which imapsync
// 2.229 does not do for "--opt=value" or OAuth tokens.
func TestMaskArgs(t *testing.T) {
	secret := DefaultSecretOptions
	tests := []struct {
		name string
		args string
		show bool
		want string
	}{
		{"two-token form", "--blabla --password1 secret1 --blibli", false, "--blabla --password1 MASKED --blibli"},
		{"showpasswords", "--blabla --password1 secret1 --blibli", true, "--blabla --password1 secret1 --blibli"},
		{"equals form", "--password1=secret1 --host1 h", false, "--password1=MASKED --host1 h"},
		{"equals form keeps next arg", "--password2=s --user2 bob", false, "--password2=MASKED --user2 bob"},
		{"both hosts", "--password1 a --password2 b", false, "--password1 MASKED --password2 MASKED"},
		{"oauth tokens", "--oauthaccesstoken1 tok --oauthdirect2=dir --oauthaccesstoken2=t2 --oauthdirect1 d1", false,
			"--oauthaccesstoken1 MASKED --oauthdirect2=MASKED --oauthaccesstoken2=MASKED --oauthdirect1 MASKED"},
		{"single dash", "-password1 secret", false, "-password1 MASKED"},
		{"case-insensitive", "--Password1 secret", false, "--Password1 MASKED"},
		{"value looking like an option", "--password1 --secret-- --host1 h", false, "--password1 MASKED --host1 h"},
		{"empty value", "--password1= --host1 h", false, "--password1=MASKED --host1 h"},
		{"trailing option without value", "--host1 h --password1", false, "--host1 h --password1"},
		{"not a secret", "--passfile1 /etc/secret1 --user1 password1", false, "--passfile1 /etc/secret1 --user1 password1"},
		{"after --", "--password1 a -- --password2 b", false, "--password1 MASKED -- --password2 b"},
		{"secret value named like an option", "--password1 --password2 --host1 h", false, "--password1 MASKED --host1 h"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := strings.Fields(tt.args)
			orig := strings.Join(args, " ")
			got := strings.Join(MaskArgs(args, secret, tt.show), " ")
			if got != tt.want {
				t.Errorf("MaskArgs(%q) = %q, want %q", tt.args, got, tt.want)
			}
			if strings.Join(args, " ") != orig {
				t.Errorf("MaskArgs changed its input")
			}
		})
	}
	if got := MaskArgs([]string{"--token", "x"}, []string{"--token"}, false); got[1] != Masked {
		t.Errorf("secret names with dashes: %q", got)
	}
}

func TestSampleSystem(t *testing.T) {
	s := SampleSystem()
	if s.Cores < 1 {
		t.Errorf("Cores = %d", s.Cores)
	}
	if s.CPUSeconds < 0 || s.MemoryMiB < 0 {
		t.Errorf("SampleSystem = %+v", s)
	}
	if _, err := os.Stat("/proc/self/status"); err == nil {
		if s.MemoryMiB <= 0 || len(strings.Fields(s.Load)) != 4 {
			t.Errorf("on Linux, SampleSystem = %+v", s)
		}
	}
}
