package batch

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/imapshift/imapshift/cmd/internal/fleet"
)

// TestIndexSelection: with --index, every account is run by exactly one
// index, and an index past the last account is a usage error.
func TestIndexSelection(t *testing.T) {
	var accts []Account
	for i := 0; i < 7; i++ {
		accts = append(accts, Account{Account: fleet.Account{Index: i, Line: 2*i + 3, User1: fmt.Sprintf("u%d", i)}})
	}
	runs := map[int]int{}
	for i := range accts {
		r := &Runner{Accounts: accts, Index: i}
		sel, err := r.Selected()
		if err != nil || len(sel) != 1 {
			t.Fatalf("index %d: %v, %d accounts", i, err, len(sel))
		}
		runs[sel[0].Index]++
		if sel[0].User1 != accts[i].User1 {
			t.Errorf("index %d runs %s", i, sel[0].User1)
		}
	}
	for i := range accts {
		if runs[i] != 1 {
			t.Errorf("account %d run by %d indexes", i, runs[i])
		}
	}
	if _, err := (&Runner{Accounts: accts, Index: len(accts)}).Selected(); err == nil {
		t.Error("an index past the end is accepted")
	}
	all, err := (&Runner{Accounts: accts, Index: -1}).Selected()
	if err != nil || !reflect.DeepEqual(all, accts) {
		t.Errorf("no index: %v %v", all, err)
	}
}

func TestExitCode(t *testing.T) {
	for _, tc := range []struct {
		codes []int
		want  int
	}{
		{[]int{0, 0}, 0},
		{[]int{0, 161, 111, 161}, 161},
		{[]int{162, 101, 0}, 101},
		{nil, 0},
	} {
		var rows []Row
		for _, c := range tc.codes {
			rows = append(rows, Row{ExitCode: c})
		}
		if got := exitCode(rows); got != tc.want {
			t.Errorf("%v: %d, want %d", tc.codes, got, tc.want)
		}
	}
}

// TestBudget: takes are all or nothing, and wait for a give.
func TestBudget(t *testing.T) {
	b := newBudget(4)
	ctx := t.Context()
	if err := b.take(ctx, map[string]int{"a": 3, "b": 2}); err != nil {
		t.Fatal(err)
	}
	got := make(chan struct{})
	go func() {
		b.take(ctx, map[string]int{"a": 2, "b": 1})
		close(got)
	}()
	time.Sleep(50 * time.Millisecond)
	select {
	case <-got:
		t.Fatal("a take over the budget did not wait")
	default:
	}
	b.give(map[string]int{"a": 3, "b": 2})
	<-got
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.used["a"] != 2 || b.used["b"] != 1 {
		t.Errorf("used %v", b.used)
	}
}

// TestFinished: an account is skipped when its last run ended 0 and its
// signature is unchanged, not with Redo, a new signature or a failure.
func TestFinished(t *testing.T) {
	dir := t.TempDir()
	a := Account{Account: fleet.Account{Index: 3, Line: 9, User1: "joe"}, Signature: "sig1", Dir: "joe"}
	os.MkdirAll(filepath.Join(dir, a.Dir), 0o700)
	write := func(code int, status, sig string) {
		if err := writeRow(filepath.Join(dir, a.Dir, ResultFile), Row{Index: 0, Line: 2, ExitCode: code, Status: status, Signature: sig, Copied: 7}); err != nil {
			t.Fatal(err)
		}
	}
	r := &Runner{OutDir: dir}
	write(0, fleet.OK, "sig1")
	row, ok := r.finished(&a)
	if !ok || row.Status != fleet.Done || row.Index != 3 || row.Line != 9 || row.Copied != 7 {
		t.Errorf("finished account: %v %+v", ok, row)
	}
	if _, ok := (&Runner{OutDir: dir, Redo: true}).finished(&a); ok {
		t.Error("skipped with Redo")
	}
	write(0, fleet.OK, "sig0")
	if _, ok := r.finished(&a); ok {
		t.Error("skipped although its line or options changed")
	}
	write(111, fleet.Errors, "sig1")
	if _, ok := r.finished(&a); ok {
		t.Error("skipped although its last run had errors")
	}
}
