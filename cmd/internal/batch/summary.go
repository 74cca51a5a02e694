package batch

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// summaryColumns are summary.csv's columns.
var summaryColumns = []string{"line", "user1", "user2", "status", "exit_code", "copied", "skipped", "errors", "bytes", "seconds", "first_error", "host1", "host2", "log"}

// WriteSummary writes summary.csv and summary.json into dir.
func WriteSummary(dir string, sum *Summary) error {
	var b strings.Builder
	w := csv.NewWriter(&b)
	w.Write(summaryColumns)
	for _, r := range sum.Rows {
		w.Write([]string{strconv.Itoa(r.Line), r.User1, r.User2, r.Status, strconv.Itoa(r.ExitCode),
			strconv.FormatInt(r.Copied, 10), strconv.FormatInt(r.Skipped, 10), strconv.FormatInt(r.Errors, 10),
			strconv.FormatInt(r.Bytes, 10), strconv.FormatFloat(r.Seconds, 'f', 1, 64), r.FirstError, r.Host1, r.Host2, r.Log})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, SummaryCSV), []byte(b.String()), 0o600); err != nil {
		return err
	}
	j, err := json.MarshalIndent(struct {
		ExitCode int   `json:"exit_code"`
		Accounts []Row `json:"accounts"`
	}{sum.ExitCode, sum.Rows}, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, SummaryJSON), append(j, '\n'), 0o600)
}

// WriteTable prints the summary as a table, then the totals.
func WriteTable(out io.Writer, sum *Summary) {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	check := false
	for _, r := range sum.Rows {
		check = check || r.Check != ""
	}
	if check {
		fmt.Fprintln(tw, "LINE\tUSER1\tUSER2\tSTATUS\tEXIT\tCHECK")
		for _, r := range sum.Rows {
			what := r.Check
			if r.FirstError != "" {
				what = r.FirstError
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\n", r.Line, r.User1, r.User2, r.Status, r.ExitCode, what)
		}
		tw.Flush()
	} else {
		fmt.Fprintln(tw, "LINE\tUSER1\tUSER2\tSTATUS\tEXIT\tCOPIED\tSKIPPED\tERRORS\tBYTES\tTIME\tFIRST ERROR")
		for _, r := range sum.Rows {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%s\t%s\t%s\n", r.Line, r.User1, r.User2, r.Status, r.ExitCode,
				r.Copied, r.Skipped, r.Errors, size(r.Bytes), (time.Duration(r.Seconds*10) * time.Second / 10).String(), clip(r.FirstError, 80))
		}
		tw.Flush()
	}
	byStatus := map[string]int{}
	var copied, bytes int64
	for _, r := range sum.Rows {
		byStatus[r.Status]++
		copied += r.Copied
		bytes += r.Bytes
	}
	var parts []string
	for s, n := range byStatus {
		parts = append(parts, fmt.Sprintf("%d %s", n, s))
	}
	sort.Strings(parts)
	fmt.Fprintf(out, "%d accounts: %s; %d messages, %s copied; exit code %d\n", len(sum.Rows), strings.Join(parts, ", "), copied, size(bytes), sum.ExitCode)
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// size prints bytes in KiB, MiB or GiB.
func size(b int64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
	case b >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(b)/(1<<10))
	}
	return fmt.Sprintf("%d B", b)
}

// Report merges the result records under dir (one per account
// directory, as `imapshift batch --index` pods write them) into a
// summary, in line order.
func Report(dir string) (*Summary, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*", ResultFile))
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("no account result (*/%s) in %s", ResultFile, dir)
	}
	var rows []Row
	for _, p := range paths {
		r, err := readRow(p)
		if err != nil {
			return nil, err
		}
		rows = append(rows, r)
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Index < rows[j].Index })
	return &Summary{Rows: rows, ExitCode: exitCode(rows)}, nil
}
