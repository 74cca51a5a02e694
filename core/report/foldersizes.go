package report

import (
	"io"
	"strconv"
	"time"
)

// SideSize is the size of a folder on one host, as measured by SELECT and
// FETCH RFC822.SIZE with the same message selection as the sync.
type SideSize struct {
	Exists   bool
	Messages int64
	Bytes    int64
	Biggest  int64 // biggest message, in bytes
}

// FolderSize is one line pair of the folder sizes table.
type FolderSize struct {
	// Name1 and Name2 are the folder names as imapsync shows them, in
	// brackets, with the decoded form after a modified UTF-7 name:
	// "[INBOX]", "[&ZeVnLIqe-] = [日本語]".
	Name1, Name2 string
	Host1, Host2 SideSize
}

// SideTotals sums the existing folders of one host.
type SideTotals struct {
	Folders  int64
	Messages int64
	Bytes    int64
	Biggest  int64
}

// SizeTotals is the totals block of the folder sizes table.
type SizeTotals struct {
	Host1, Host2 SideTotals
	Elapsed      time.Duration // "Time spent on sizing"
}

// SumFolderSizes adds up the folders that exist on each host. Elapsed is
// left for the caller to set.
func SumFolderSizes(sizes []FolderSize) SizeTotals {
	var t SizeTotals
	add := func(st *SideTotals, s SideSize) {
		if !s.Exists {
			return
		}
		st.Folders++
		st.Messages += s.Messages
		st.Bytes += s.Bytes
		st.Biggest = max(st.Biggest, s.Biggest)
	}
	for _, f := range sizes {
		add(&t.Host1, f.Host1)
		add(&t.Host2, f.Host2)
	}
	return t
}

// WriteFolderSizes writes imapsync's folder sizes listing: the
// header for the listing before (before=true) or after the sync, three
// lines and a blank line per folder, then the totals and the time spent.
// A folder missing on host2 reads " does not exist yet" and counts as
// empty in the Host2-Host1 line.
func WriteFolderSizes(w io.Writer, sizes []FolderSize, totals SizeTotals, before bool) error {
	p := &printer{w: w}
	if before {
		p.printf("Folders sizes before the synchronization. It can take some time. Be patient.\n" +
			"You can remove foldersizes listings by using \"--nofoldersizes\" and \"--nofoldersizesatend\"\n" +
			"but then you will also lose the ETA (Estimation Time of Arrival) given after each message copy.\n")
	} else {
		p.printf("Folders sizes after the synchronization.\n" +
			"You can remove this foldersizes listing by using  \"--nofoldersizesatend\"\n")
	}
	n := len(sizes)
	for i, f := range sizes {
		pos := strconv.Itoa(i+1) + "/" + strconv.Itoa(n)
		p.printf("Host1 folder %7s %-35s", pos, f.Name1)
		if f.Host1.Exists {
			p.printf(" Size: %9d Messages: %5d Biggest: %9d\n", f.Host1.Bytes, f.Host1.Messages, f.Host1.Biggest)
		} else {
			p.printf(" does not exist\n")
		}
		p.printf("Host2 folder %7s %-35s", pos, f.Name2)
		if f.Host2.Exists {
			p.printf(" Size: %9d Messages: %5d Biggest: %9d\n", f.Host2.Bytes, f.Host2.Messages, f.Host2.Biggest)
		} else {
			p.printf(" does not exist yet\n")
		}
		p.printf("Host2-Host1  %7s %-35s       %9d           %5d          %9d\n\n", "", "",
			f.Host2.Bytes-f.Host1.Bytes, f.Host2.Messages-f.Host1.Messages, f.Host2.Biggest-f.Host1.Biggest)
	}
	h1, h2 := totals.Host1, totals.Host2
	p.printf("Host1 Nb folders:           %11d folders\n", h1.Folders)
	p.printf("Host2 Nb folders:           %11d folders\n", h2.Folders)
	p.printf("\n")
	p.printf("Host1 Nb messages:          %11d messages\n", h1.Messages)
	p.printf("Host2 Nb messages:          %11d messages\n", h2.Messages)
	p.printf("\n")
	p.printf("Host1 Total size:           %11d bytes (%s)\n", h1.Bytes, BytesBin(h1.Bytes))
	p.printf("Host2 Total size:           %11d bytes (%s)\n", h2.Bytes, BytesBin(h2.Bytes))
	p.printf("\n")
	p.printf("Host1 Biggest message:      %11d bytes (%s)\n", h1.Biggest, BytesBin(h1.Biggest))
	p.printf("Host2 Biggest message:      %11d bytes (%s)\n", h2.Biggest, BytesBin(h2.Biggest))
	p.printf("\n")
	p.printf("Time spent on sizing: %11.1f seconds\n", totals.Elapsed.Seconds())
	return p.flush()
}
