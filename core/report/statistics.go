package report

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"math"
	"strconv"
)

// The two lines that end the statistics block by default. imapsync prints
// "Check if a new imapsync release is available by adding --releasecheck"
// and "Homepage: https://imapsync.lamiral.info/"; those name imapsync, so
// imapshift prints its own. Scripts grep the label lines and "Detected N
// errors", which stay identical.
const (
	DefaultReleaseLine = "Check if a new imapshift release is available at https://github.com/imapshift/imapshift/releases"
	DefaultHomepage    = "Homepage: https://github.com/imapshift/imapshift"
)

// StatsOptions tunes WriteStatistics.
type StatsOptions struct {
	Dry         bool // --dry: "(could be K without dry mode)"
	JustFolders bool // --justfolders: no verdict lines
	// UseUID (--useuid) computes no keys, so the verdict lines would be
	// meaningless: they are left out. imapsync prints a misleading "The
	// sync is strict, all 0 identified messages..." there.
	UseUID bool

	System SystemInfo // end-of-run figures; see SampleSystem

	ReleaseLine string // "" means DefaultReleaseLine
	Homepage    string // "" means DefaultHomepage
}

// WriteStatistics writes the "++++ Statistics" block of imapsync 2.229:
// labels padded so that the colon is in column 41, the
// verdict lines, "Detected N errors" and a blank line, then the release
// and homepage lines. The start and final differences are printed when
// the snapshot has them.
func WriteStatistics(w io.Writer, s Snapshot, opts StatsOptions) error {
	p := &printer{w: w}
	secs := s.Seconds()
	div := secs
	if div == 0 {
		div = 1 // no division by zero, as imapsync
	}
	sys := opts.System

	p.printf("++++ Statistics\n")
	p.printf("Transfer started on                     : %s\n", FormatTime(s.Start))
	p.printf("Transfer ended on                       : %s\n", FormatTime(s.End))
	p.printf("Transfer time                           : %.1f sec\n", secs)
	p.printf("Folders synced                          : %d/%d synced\n", s.FoldersSynced, s.FoldersWanted)
	p.printf("Messages transferred                    : %d ", s.Transferred)
	if opts.Dry {
		p.printf("(could be %d without dry mode)", s.WouldTransfer)
	}
	p.printf("\n")
	p.printf("Messages skipped                        : %d\n", s.Skipped)
	p.printf("Messages found duplicate on host1       : %d\n", s.DupHost1)
	p.printf("Messages found duplicate on host2       : %d\n", s.DupHost2)
	if s.DupHost2End > 0 {
		p.printf("Messages duplicate on host2 at the end  : %d (%d created by this run)\n", s.DupHost2End, s.DupHost2New)
	}
	p.printf("Messages found crossduplicate on host2  : %d\n", s.CrossDupHost2)
	if s.LabelsSynced {
		p.printf("Labels set on host2                     : %d messages (%d UID STORE)\n", s.LabelsSet, s.LabelsStores)
	}
	p.printf("Messages void (noheader) on host1       : %d  ", s.VoidHost1)
	if s.VoidHost1 > 0 {
		p.printf("in order to sync those %d unidentified messages, add option --addheader", s.VoidHost1)
	}
	p.printf("\n")
	p.printf("Messages void (noheader) on host2       : %d\n", s.VoidHost2)
	p.printf("Messages found in host1 not in host2    : %d messages\n", s.In1Not2)
	p.printf("Messages found in host2 not in host1    : %d messages\n", s.In2Not1)
	p.printf("Messages deleted on host1               : %d\n", s.DeletedHost1)
	p.printf("Messages deleted on host2               : %d\n", s.DeletedHost2)
	p.printf("Total bytes transferred                 : %d (%s)\n", s.BytesTransferred, BytesBin(s.BytesTransferred))
	p.printf("Total bytes skipped                     : %d (%s)\n", s.BytesSkipped, BytesBin(s.BytesSkipped))
	p.printf("Message rate                            : %.1f messages/s\n", float64(s.Transferred)/div)
	p.printf("Average bandwidth rate                  : %.1f KiB/s\n", float64(s.BytesTransferred)/kibi/div)
	p.printf("Reconnections to host1                  : %d\n", s.ReconnectHost1)
	p.printf("Reconnections to host2                  : %d\n", s.ReconnectHost2)
	p.printf("Memory consumption at the end           : %.1f MiB (*time %.1f MiB*h) (started with %.1f MiB)\n",
		sys.MemoryMiB, sys.MemoryMiB*secs/3600, s.MemStartMiB)
	load := sys.Load
	if load == "" {
		load = "unknown"
	}
	p.printf("Load end is                             : %s on %d cores\n", load, sys.Cores)
	// %allcpus divides the rounded %cpu, as imapsync does (87.7 → 43.9).
	cpuPct := strconv.FormatFloat(100*sys.CPUSeconds/div, 'f', 1, 64)
	pct, _ := strconv.ParseFloat(cpuPct, 64)
	p.printf("CPU time and %%cpu                       : %s sec %s %%cpu %.1f %%allcpus\n",
		perlNumber(sys.CPUSeconds), cpuPct, pct/float64(max(sys.Cores, 1)))
	p.printf("Biggest message transferred             : %d bytes (%s)\n", s.Biggest, BytesBin(s.Biggest))
	ratio := "NA"
	if s.Biggest > 0 {
		ratio = fmt.Sprintf("%.1f", sys.MemoryMiB*kibi*kibi/float64(s.Biggest))
	}
	p.printf("Memory/biggest message ratio            : %s\n", ratio)
	if d := s.StartDiff; d != nil {
		p.printf("Start difference host2 - host1          : %d messages, %d bytes (%s)\n", d.Messages, d.Bytes, BytesBin(d.Bytes))
	}
	if d := s.FinalDiff; d != nil {
		p.printf("Final difference host2 - host1          : %d messages, %d bytes (%s)\n", d.Messages, d.Bytes, BytesBin(d.Bytes))
	}
	if !opts.JustFolders && !opts.UseUID {
		writeVerdicts(p, s)
	}
	p.printf("Detected %d errors\n\n", s.Errors)
	p.printf("%s\n", cmp.Or(opts.ReleaseLine, DefaultReleaseLine))
	p.printf("%s\n", cmp.Or(opts.Homepage, DefaultHomepage))
	return p.flush()
}

// writeVerdicts writes the lines judging the sync from the global key
// sets. The host1 lines need at least one identified host1 message.
func writeVerdicts(p *printer, s Snapshot) {
	if s.IdentifiedHost1 > 0 {
		if s.In1Not2 == 0 {
			p.printf("The sync looks good, all %d identified messages in host1 are on host2.\n", s.IdentifiedHost1)
		} else {
			p.printf("The sync is not finished, there are %d among %d identified messages in host1 that are not on host2.\n",
				s.In1Not2, s.IdentifiedHost1)
		}
		if s.VoidHost1 == 0 {
			p.printf("There is no unidentified message on host1.\n")
		} else {
			p.printf("There are %d unidentified messages (usually Sent or Draft messages). To sync them add option --addheader\n", s.VoidHost1)
		}
	}
	if s.DupHost2End > 0 {
		p.printf("The sync left %d duplicate messages on host2 (%d created by this run). Use --delete2duplicates and sync again to remove them.\n", s.DupHost2End, s.DupHost2New)
	}
	if s.In2Not1 == 0 {
		p.printf("The sync is strict, all %d identified messages in host2 are on host1.\n", s.IdentifiedHost2)
	} else {
		p.printf("The sync is not strict, there are %d among %d identified messages in host2 that are not on host1. Use --delete2 and sync again to delete them and have a strict sync.\n",
			s.In2Not1, s.IdentifiedHost2)
	}
}

// perlNumber renders a CPU time the way Perl stringifies the sum of
// times(): hundredths, without trailing zeros ("1.02", "1219.3", "2").
func perlNumber(x float64) string {
	return strconv.FormatFloat(math.Round(x*100)/100, 'f', -1, 64)
}

// printer collects a listing, for flush to write it to w in one Write:
// one system call for the whole table, not one for each piece of a line.
type printer struct {
	w   io.Writer
	buf bytes.Buffer
}

func (p *printer) printf(format string, args ...any) {
	fmt.Fprintf(&p.buf, format, args...)
}

// flush writes what was printed and returns the error of the Write.
func (p *printer) flush() error {
	_, err := p.w.Write(p.buf.Bytes())
	p.buf.Reset()
	return err
}
