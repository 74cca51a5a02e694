package engine

import (
	"context"
	"fmt"
	"slices"

	"github.com/emersion/go-imap/v2"

	"github.com/imapshift/imapshift/core/conn"
	"github.com/imapshift/imapshift/core/report"
)

// overQuota returns the host1 folders whose copies host2 refused for lack
// of space in this run, sorted; nil when none was.
func (e *engine) overQuota() []string {
	var folders []string
	for _, r := range e.errs.Records() {
		if r.Class == report.ClassOverQuota && !slices.Contains(folders, r.Folder) {
			folders = append(folders, r.Folder)
		}
	}
	slices.Sort(folders)
	return folders
}

// sayQuota prints, once host2 refused copies for lack of space, which
// folders were refused and how full host2's quota is (GETQUOTAROOT, where
// host2 offers QUOTA), and that nothing is deleted on host1 in this run.
func (e *engine) sayQuota(ctx context.Context, w *worker) {
	folders := e.overQuota()
	if len(folders) == 0 {
		return
	}
	for _, f := range folders {
		h2 := f
		for _, fr := range e.exec.folders {
			if fr.h1 == f {
				h2 = fr.h2
			}
		}
		usage := "host2 does not say how much (no QUOTA extension)"
		w.do(ctx, host2, func(c *conn.Conn) error {
			if !c.Caps().Has(imap.CapQuota) {
				return nil
			}
			roots, err := c.GetQuotaRoot(h2).Wait()
			if err != nil {
				return err
			}
			for _, q := range roots {
				if st, ok := q.Resources[imap.QuotaResourceStorage]; ok {
					usage = fmt.Sprintf("%d KiB used of %d KiB (quota root %q)", st.Usage, st.Limit, q.Root)
				}
			}
			return nil
		})
		e.say("Host2: over quota: messages of folder %s were refused for lack of space on host2: %s", f, usage)
	}
	if e.opts.Delete1 {
		e.say("Host2 is over quota: nothing is deleted on host1 (--delete1) in this run; raise the quota and run again")
	}
}
