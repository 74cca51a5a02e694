// Package udiff writes a unified diff of two messages, line by line, for
// "imapshift script test". Unlike a general diff library it shows what
// matters in mail: a line that differs only by its CR is marked, bytes
// that are not UTF-8 are escaped, and long runs of added or removed lines
// (an attachment) are summarised.
package udiff

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// diffContext is the number of unchanged lines around each change.
const diffContext = 3

// maxDiffCells bounds the line-matching table; a larger changed region is
// shown as all its old lines removed and all its new lines added.
const maxDiffCells = 4 << 20

// Write writes a unified diff of two messages, line by line, with three
// lines of context. Line ends are not shown: a line that differs only by
// its CR is marked "(LF)" in a CRLF message, and a last line without end
// "(no line end)".
func Write(w io.Writer, oldName, newName string, a, b []byte) {
	x, y := diffLines(a), diffLines(b)
	ops := diffOps(x, y)
	fmt.Fprintf(w, "--- %s\n+++ %s\n", oldName, newName)
	// Group the edits into hunks with their context.
	for i := 0; i < len(ops); {
		if ops[i].kind == ' ' {
			i++
			continue
		}
		start := max(i-diffContext, 0)
		end := i
		for end < len(ops) {
			if ops[end].kind != ' ' {
				end++
				continue
			}
			run := end
			for run < len(ops) && ops[run].kind == ' ' {
				run++
			}
			if run == len(ops) || run-end > 2*diffContext {
				end = min(end+diffContext, len(ops))
				break
			}
			end = run
		}
		var aStart, bStart, aLen, bLen int
		aStart, bStart = ops[start].ai, ops[start].bi
		for _, op := range ops[start:end] {
			if op.kind != '+' {
				aLen++
			}
			if op.kind != '-' {
				bLen++
			}
		}
		fmt.Fprintf(w, "@@ -%s +%s @@\n", hunkRange(aStart, aLen), hunkRange(bStart, bLen))
		writeOps(w, ops[start:end])
		i = end
	}
}

// diffRunShown is how many lines of a long run of removed or added lines
// are shown at each end; the middle is summarised on a "~" line (a 10 MB
// attachment is 130 000 lines).
const diffRunShown = 4

func writeOps(w io.Writer, ops []diffOp) {
	for i := 0; i < len(ops); {
		j := i
		for j < len(ops) && ops[j].kind == ops[i].kind {
			j++
		}
		run := ops[i:j]
		if ops[i].kind != ' ' && len(run) > 3*diffRunShown {
			for _, op := range run[:diffRunShown] {
				fmt.Fprintf(w, "%c%s\n", op.kind, op.text)
			}
			what := "removed"
			if ops[i].kind == '+' {
				what = "added"
			}
			fmt.Fprintf(w, "~ %d more lines %s\n", len(run)-2*diffRunShown, what)
			run = run[len(run)-diffRunShown:]
		}
		for _, op := range run {
			fmt.Fprintf(w, "%c%s\n", op.kind, op.text)
		}
		i = j
	}
}

func hunkRange(start, n int) string {
	if n == 0 {
		return fmt.Sprintf("%d,0", start)
	}
	if n == 1 {
		return fmt.Sprint(start + 1)
	}
	return fmt.Sprintf("%d,%d", start+1, n)
}

// diffLine is one line as compared (with its ending) and as shown.
type diffLine struct{ cmp, show string }

func diffLines(b []byte) []diffLine {
	s := string(b)
	var out []diffLine
	for s != "" {
		i := strings.IndexByte(s, '\n')
		line := s
		if i >= 0 {
			line = s[:i+1]
		}
		s = s[len(line):]
		show := escapeInvalid(strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r"))
		switch {
		case !strings.HasSuffix(line, "\n"):
			show += "  (no line end)"
		case !strings.HasSuffix(line, "\r\n"):
			show += "  (LF)"
		}
		out = append(out, diffLine{cmp: line, show: show})
	}
	// Bare LF is marked only in a CRLF message, where it stands out.
	crlf := 0
	for _, l := range out {
		if strings.HasSuffix(l.cmp, "\r\n") {
			crlf++
		}
	}
	if crlf == 0 {
		for i := range out {
			out[i].show = strings.TrimSuffix(out[i].show, "  (LF)")
		}
	}
	return out
}

// escapeInvalid shows the bytes of s that are not UTF-8 as \xNN.
func escapeInvalid(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			fmt.Fprintf(&b, "\\x%02X", s[i])
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

type diffOp struct {
	kind   byte // ' ', '-' or '+'
	text   string
	ai, bi int // line index in a and b where the op stands
}

// diffOps returns the edit script from x to y: a longest common
// subsequence inside the changed middle (after the common prefix and
// suffix), or a full replacement when that middle is too large.
func diffOps(x, y []diffLine) []diffOp {
	pre := 0
	for pre < len(x) && pre < len(y) && x[pre].cmp == y[pre].cmp {
		pre++
	}
	suf := 0
	for suf < len(x)-pre && suf < len(y)-pre && x[len(x)-1-suf].cmp == y[len(y)-1-suf].cmp {
		suf++
	}
	var ops []diffOp
	for i := 0; i < pre; i++ {
		ops = append(ops, diffOp{' ', x[i].show, i, i})
	}
	mx, my := x[pre:len(x)-suf], y[pre:len(y)-suf]
	n, m := len(mx), len(my)
	if n*m > maxDiffCells {
		for i := range mx {
			ops = append(ops, diffOp{'-', mx[i].show, pre + i, pre})
		}
		for j := range my {
			ops = append(ops, diffOp{'+', my[j].show, pre + n, pre + j})
		}
	} else {
		// lcs[i][j] is the LCS length of mx[i:] and my[j:].
		lcs := make([][]int32, n+1)
		for i := range lcs {
			lcs[i] = make([]int32, m+1)
		}
		for i := n - 1; i >= 0; i-- {
			for j := m - 1; j >= 0; j-- {
				if mx[i].cmp == my[j].cmp {
					lcs[i][j] = lcs[i+1][j+1] + 1
				} else {
					lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
				}
			}
		}
		i, j := 0, 0
		for i < n || j < m {
			switch {
			case i < n && j < m && mx[i].cmp == my[j].cmp:
				ops = append(ops, diffOp{' ', mx[i].show, pre + i, pre + j})
				i++
				j++
			case i < n && (j == m || lcs[i+1][j] >= lcs[i][j+1]):
				ops = append(ops, diffOp{'-', mx[i].show, pre + i, pre + j})
				i++
			default:
				ops = append(ops, diffOp{'+', my[j].show, pre + i, pre + j})
				j++
			}
		}
	}
	for k := 0; k < suf; k++ {
		ops = append(ops, diffOp{' ', x[len(x)-suf+k].show, len(x) - suf + k, len(y) - suf + k})
	}
	return ops
}
