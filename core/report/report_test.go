package report

import (
	"bytes"
	"errors"
	"fmt"
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

// TestClassOf checks that connection and login failures are classed by
// the exit code they carry, whatever their text.
func TestClassOf(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want Class
	}{
		{exitcode.New(exitcode.AuthFailureUser1, "Host1 failure: Error login"), ClassAuthUser1},
		{fmt.Errorf("wrapped: %w", exitcode.New(exitcode.AuthFailureUser2, "anything")), ClassAuthUser2},
		{exitcode.New(exitcode.TLSFailure, "no tls"), ClassTLS},
		{exitcode.New(exitcode.ConnFailureHost1, "refused"), ClassConnHost1},
		{exitcode.New(exitcode.ConnFailureHost2, "timeout"), ClassConnHost2},
		{errors.Join(errors.New("plain"), exitcode.New(exitcode.ConnFailureHost2, "x")), ClassConnHost2},
		// The text of an error without a code does not class it.
		{errors.New("Host1 failure: Error login on [h] with user [u]"), ClassUnclassified},
		{exitcode.New(exitcode.Usage, "bad option"), ClassUnclassified},
	} {
		if got := ClassOf(tt.err); got != tt.want {
			t.Errorf("ClassOf(%q) = %s, want %s", tt.err, got, tt.want)
		}
	}
}

// TestExitCodeIgnoresWording records the same errors with their class and
// two different texts: the exit code and the most frequent class stay.
func TestExitCodeIgnoresWording(t *testing.T) {
	for _, tt := range []struct {
		classes []Class
		want    exitcode.Code
	}{
		{[]Class{ClassAppend}, exitcode.ErrAppend},
		{[]Class{ClassOverQuota, ClassAppend, ClassOverQuota}, exitcode.OverQuota},
		{[]Class{ClassSelect, ClassFetch, ClassFetch}, exitcode.ErrFetch},
		{[]Class{ClassCreate, ClassSelect}, exitcode.ErrCreate},
		{[]Class{ClassTransferExceeded}, exitcode.TransferExceeded},
		{[]Class{""}, exitcode.WithErrors},
	} {
		var a, b Errors
		for i, c := range tt.classes {
			a.Add(c, fmt.Sprintf("- msg INBOX/%d could not append: NO [OVERQUOTA] Could not select: could not be fetched", i))
			b.Add(c, "something else entirely")
		}
		if a.ExitCode() != tt.want || b.ExitCode() != tt.want || a.MostFrequent() != b.MostFrequent() {
			t.Errorf("%v: exit codes %d and %d (%s, %s), want %d", tt.classes, a.ExitCode(), b.ExitCode(), a.MostFrequent(), b.MostFrequent(), tt.want)
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

// MostFrequent: ties go to the alphabetically first class, as in imapsync.
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

// ErrorsDump concatenates the messages as they are, adding no line end.
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

	if n := e.Add(ClassSelect, "Host2 folder X: Could not select: NO nope\r\n"); n != 1 {
		t.Errorf("Add returned %d, want 1", n)
	}
	e.AddFolder("INBOX", ClassOverQuota, "- msg INBOX/1 could not append: NO [OVERQUOTA] full")
	e.AddFolder("INBOX", ClassOverQuota, "- msg INBOX/2 could not append: NO [OVERQUOTA] full")
	if got := e.ExitCode(); got != exitcode.OverQuota {
		t.Errorf("ExitCode = %d, want 113", got)
	}
	e.Add(ClassSelect, "Host2 folder Y: Could not select: NO nope")
	// OVERQUOTA 2, SELECT 2: alphabetical tie-break.
	if got := e.MostFrequent(); got != ClassOverQuota {
		t.Errorf("MostFrequent = %s, want %s", got, ClassOverQuota)
	}
	if got := e.Records()[0].Message; got != "Host2 folder X: Could not select: NO nope" {
		t.Errorf("line end kept: %q", got)
	}
	if r := e.Records()[1]; r.Folder != "INBOX" || r.Class != ClassOverQuota {
		t.Errorf("record = %+v", r)
	}
	if err := e.WriteListing(&b); err != nil {
		t.Fatal(err)
	}
	want := "++++ Listing 4 errors encountered during the sync ( avoid this listing with --noerrorsdump ).\n" +
		"Err 1/4: Host2 folder X: Could not select: NO nope\n" +
		"Err 2/4: - msg INBOX/1 could not append: NO [OVERQUOTA] full\n" +
		"Err 3/4: - msg INBOX/2 could not append: NO [OVERQUOTA] full\n" +
		"Err 4/4: Host2 folder Y: Could not select: NO nope\n" +
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
				e.Add(ClassSelect, "Host2 folder X: Could not select: NO")
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
