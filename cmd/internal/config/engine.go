package config

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/imapshift/imapshift/core/conn"
	"github.com/imapshift/imapshift/core/engine"
	"github.com/imapshift/imapshift/core/exitcode"
	"github.com/imapshift/imapshift/core/identity"
	"github.com/imapshift/imapshift/core/mailbox"
	"github.com/imapshift/imapshift/core/perlre"
	"github.com/imapshift/imapshift/core/search"
	"github.com/imapshift/imapshift/core/state"
	"github.com/imapshift/imapshift/scripting"
)

// EngineOptions turns the command line into the engine's options, with
// its hook chain (Options.Hooks, Options.FolderRules) built from the
// message and folder options, the presets' hooks and the --script files.
// It dials nothing except the SSL probe (ProbeSSL); the logins DialAhead
// began are handed over (Options.Dialed, with their configurations as
// Host1 and Host2). cleanup closes what the
// options hold (the scripts' Lua states, the state file); on an error,
// EngineOptions has closed them already. out receives the engine's report
// lines (Options.Out) and the probe's.
func (s *Settings) EngineOptions(ctx context.Context, out io.Writer) (o engine.Options, cleanup func(), err error) {
	var scripts []*scripting.Script
	closeAll := func() {
		for _, sc := range scripts {
			sc.Close()
		}
		if o.State != nil {
			o.State.Close()
		}
	}
	defer func() {
		if err != nil {
			closeAll()
		}
	}()
	s.ProbeSSL(ctx, out)
	for n, cfg := range []**conn.Config{&o.Host1, &o.Host2} {
		if p := s.Dialed[n]; p != nil {
			*cfg = p.Config() // the login DialAhead began, with its Config
			continue
		}
		if *cfg, err = s.Side(n + 1); err != nil {
			return o, nil, err
		}
	}
	o.Dialed = s.Dialed
	optional := func(name, v string) *string {
		if s.IsSet(name) {
			return &v
		}
		return nil
	}
	o.Sep1, o.Sep2 = optional("sep1", s.Host1.Sep), optional("sep2", s.Host2.Sep)
	o.Prefix1, o.Prefix2 = optional("prefix1", s.Host1.Prefix), optional("prefix2", s.Host2.Prefix)
	sel := mailbox.Selection{
		Folders: s.Folder, FolderRec: s.FolderRec, Subscribed: s.Subscribed,
		FolderFirst: s.FolderFirst, FolderLast: s.FolderLast, CheckFoldersExist: s.CheckFoldersExist,
	}
	if sel.Include, err = compilePerl("include", s.Include); err != nil {
		return o, nil, err
	}
	if !s.NoExclude {
		if sel.Exclude, err = compilePerl("exclude", s.Exclude); err != nil {
			return o, nil, err
		}
	}
	o.Selection = sel
	if len(s.F1F2) > 0 && !s.NoF1F2 {
		o.F1F2 = map[string]string{}
		for _, kv := range s.F1F2 {
			o.F1F2[kv.Key] = kv.Value
		}
	}
	o.FixSlash2, o.FixInboxINBOX, o.Automap = s.FixSlash2, s.FixInboxINBOX, s.Automap
	o.Subfolder1, o.Subfolder2 = s.Host1.Subfolder, s.Host2.Subfolder
	o.Subscribe, o.SubscribeAll, o.SkipEmptyFolders = s.Subscribe, s.SubscribeAll, s.SkipEmptyFolders
	o.MixFolders, o.CheckSelectable, o.SyncACLs = s.MixFolders, s.CheckSelectable, s.SyncACLs
	o.Delete1EmptyFolders = s.Delete1EmptyFolders
	if err := deletionOptions(&o, s); err != nil {
		return o, nil, err
	}
	if o.Delete2FoldersOnly, err = folderMatcher("delete2foldersonly", s.Delete2FoldersOnly); err != nil {
		return o, nil, err
	}
	if o.Delete2FoldersButNot, err = folderMatcher("delete2foldersbutnot", s.Delete2FoldersButNot); err != nil {
		return o, nil, err
	}
	o.Delete2Folders = s.Delete2Folders || s.Delete2FoldersOnly != "" || s.Delete2FoldersButNot != ""
	if scripts, err = buildHooks(s, &o); err != nil {
		return o, nil, err
	}
	o.AppendLimit = s.AppendLimit
	o.Limits = engine.Limits{
		MessagesPerSecond: s.MaxMessagesPerSecond, BytesPerSecond: float64(s.MaxBytesPerSecond),
		BytesAfter: s.MaxBytesAfter, MaxSleep: time.Duration(s.MaxSleep * float64(time.Second)),
		ExitWhenOver: s.ExitWhenOver,
	}
	o.SkipCrossDuplicates, o.DebugCrossDuplicates = s.SkipCrossDuplicates, s.DebugCrossDuplicates
	if s.SkipCrossDuplicates && s.UseCache && s.IsSet("usecache") {
		return o, nil, exitcode.New(exitcode.Usage, "--skipcrossduplicates and --usecache together are refused (imapsync refuses them too)")
	}
	age, err := ageWindow(s)
	if err != nil {
		return o, nil, err
	}
	o.MessageSelection = engine.Selection{Age: age, Now: time.Now(),
		NoSearch1: !s.Host1.AbleToSearch, NoSearch2: !s.Host2.AbleToSearch}
	o.SyncLabels, o.ResyncLabels, o.Gmail1 = s.SyncLabels, s.ResyncLabels, s.Host1.Gmail
	o.GmailLabels, o.DebugLabels = s.GmailLabels, s.DebugLabels
	for _, p := range strings.Split(s.LabelsPriority, ",") {
		if p = strings.TrimSpace(p); p != "" {
			o.LabelsPriority = append(o.LabelsPriority, p)
		}
	}
	for n, h := range []*HostOptions{&s.Host1, &s.Host2} {
		if h.Search == "" {
			continue
		}
		if q, ok := search.GmailRaw(h.Search); ok {
			if n == 0 {
				o.MessageSelection.GmailRaw1 = q
			} else {
				o.MessageSelection.GmailRaw2 = q
			}
			o.MessageSelection.GmailRawAny = !s.IsSet(fmt.Sprintf("search%d", n+1))
			continue
		}
		crit, err := search.Parse(h.Search)
		if err != nil {
			return o, nil, exitcode.Wrap(exitcode.Usage, fmt.Errorf("--search%d: %w", n+1, err))
		}
		if n == 0 {
			o.MessageSelection.Search1 = crit
		} else {
			o.MessageSelection.Search2 = crit
		}
	}
	o.Identity = identity.Options{UseHeaders: s.UseHeader, MessageIDNoDomain: s.MessageIDNoDomain, NoSkipSize: !s.SkipSize}
	if s.SkipHeader != "" {
		if o.Identity.SkipHeader, err = identity.CompileSkipHeader(s.SkipHeader); err != nil {
			return o, nil, exitcode.New(exitcode.Usage, "--skipheader: %v", err)
		}
	}
	o.SyncDuplicates, o.AddHeader = s.SyncDuplicates, s.AddHeader
	o.SyncInternalDates, o.IDateFromHeader = s.SyncInternalDates && !s.IDateFromHeader, s.IDateFromHeader
	o.ResyncFlags = s.ResyncFlags
	o.DebugFlags = s.DebugFlags
	o.DebugContent = s.DebugContent
	o.Dry, o.JustFolders, o.JustFolderSizes = s.Dry, s.JustFolders, s.JustFolderSizes
	o.JustFolderLists, o.JustAutomap = s.JustFolderLists, s.JustAutomap
	if s.JustAutomap {
		o.Automap = true
	}
	o.FolderSizes, o.FolderSizesAtEnd = s.FolderSizes, s.FolderSizesAtEnd
	if !s.IsSet("foldersizesatend") {
		o.FolderSizesAtEnd = s.FolderSizes // imapsync: follows --foldersizes
	}
	o.Parallel, o.BodyBudget, o.MultiAppend = s.Parallel, s.BodyBudget, s.MultiAppend
	o.MaxInFlight, o.SettleMax = s.MaxInFlight, time.Duration(s.SettleMax)*time.Second
	if o.MaxInFlight == 0 {
		o.MaxInFlight = -1 // --maxinflight 0: no bound
	}
	o.TmpDir = s.TmpDir // newSettings defaults it
	o.ErrorsMax = s.ErrorsMax
	o.ReconnectRetry1, o.ReconnectRetry2 = s.Host1.ReconnectRetry, s.Host2.ReconnectRetry
	o.MaxConns1, o.MaxConns2 = s.Host1.MaxConns, s.Host2.MaxConns
	o.ThrottleMax = time.Duration(s.ThrottleMax) * time.Second
	o.Out = out
	journalOptions(&o, s)
	// Last, as the only step that holds a resource: on any earlier error
	// no state file is left open.
	if err := stateOptions(&o, s); err != nil {
		return o, nil, err
	}
	return o, closeAll, nil
}

// journalOptions places the journal of the APPENDs in flight to host2
// (engine.Options.Journal), one per account pair: beside the sync state
// when the state is kept (it survives a container restart there), else
// beside the pidfile (--pidfile's directory, or --tmpdir).
func journalOptions(o *engine.Options, s *Settings) {
	dir := s.TmpDir
	switch {
	case stateKept(s):
		if s.StateDir != "" {
			dir = s.StateDir
		} else if d, err := state.DefaultDir(); err == nil {
			dir = d
		}
	case s.IsSet("pidfile") && s.PidFile != "":
		dir = filepath.Dir(s.PidFile)
	}
	name := strings.TrimSuffix(state.FileName(o.Host1.Host, o.Host1.User, o.Host2.Host, o.Host2.User), ".db") + ".journal"
	o.Journal = filepath.Join(dir, name)
}

// compilePerl compiles --include/--exclude patterns, which imapsync
// matches as /PATTERN/ (Perl regexes).
func compilePerl(opt string, pats []string) ([]*regexp.Regexp, error) {
	var out []*regexp.Regexp
	for _, p := range pats {
		m, err := perlre.ParseBare(p)
		if err != nil {
			return nil, exitcode.Wrap(exitcode.Usage, perlre.WithOption(err, "--"+opt))
		}
		out = append(out, m.Regexp())
	}
	return out, nil
}

// deletionOptions applies imapsync's rules between the deletion options:
// --delete1 implies --expunge1 and --delete2
// implies --uidexpunge2 unless they were turned off explicitly;
// --delete2duplicates follows --delete2 unless --syncduplicates or given
// explicitly; --delete1 with --delete2 is refused.
func deletionOptions(o *engine.Options, s *Settings) error {
	if s.Delete1 && s.Delete2 {
		return exitcode.New(exitcode.Usage, "--delete1 and --delete2 together are refused: use one of them")
	}
	o.Delete1, o.Delete2, o.Force = s.Delete1, s.Delete2, s.Force
	o.Expunge1 = s.Expunge1 || (s.Delete1 && !s.IsSet("expunge1"))
	o.Delete2Duplicates = s.Delete2Duplicates
	if !s.IsSet("delete2duplicates") {
		o.Delete2Duplicates = s.Delete2 && !s.SyncDuplicates
	}
	o.UIDExpunge2 = s.UIDExpunge2 || ((s.Delete2 || o.Delete2Duplicates) && !s.IsSet("uidexpunge2"))
	o.Expunge2 = s.Expunge2
	o.Delete2Threshold = s.Delete2Threshold / 100
	o.Delete2Min = s.Delete2Min
	return nil
}

// stateKept reports whether the run keeps a sync state, which it does by
// default: not with --nousecache or --nostate, and not with
// --skipcrossduplicates unless --usecache is given (that pair is refused).
// A --dry run is planned as if it kept one but never opens it.
func stateKept(s *Settings) bool {
	if s.NoState || !s.UseCache {
		return false
	}
	return !s.SkipCrossDuplicates || s.IsSet("usecache")
}

// stateAsked reports whether the options ask for the state explicitly
// (--usecache, --useuid or --statedir): a state that cannot be opened is
// then an error; the default state is only warned about.
func stateAsked(s *Settings) bool {
	return s.IsSet("usecache") || s.UseUID || s.IsSet("statedir")
}

// stateOptions opens the sync state (on by default, see stateKept). It
// lives in --statedir, by default under the user's cache directory, one
// file per account pair (hosts with their ports, and users). A damaged
// file is set aside as <name>.damaged with a one-line warning, and the
// run starts from an empty state, comparing headers. --dry never opens
// the state, so a dry run neither reads nor writes it.
func stateOptions(o *engine.Options, s *Settings) error {
	o.UseUID = s.UseUID
	if !stateKept(s) || s.Dry {
		return nil
	}
	asked := stateAsked(s)
	out := o.Out
	if out == nil {
		out = io.Discard
	}
	dir := s.StateDir
	if dir == "" {
		var err error
		if dir, err = state.DefaultDir(); err != nil {
			if asked {
				return exitcode.New(exitcode.Usage, "--usecache: %v (give --statedir)", err)
			}
			fmt.Fprintf(out, "Warning: no sync state kept: %v (give --statedir, or --nostate)\n", err)
			return nil
		}
	}
	name := state.FileName(o.Host1.Address(), o.Host1.User, o.Host2.Address(), o.Host2.User)
	st, damaged, err := state.OpenOrReset(filepath.Join(dir, name))
	if damaged != nil {
		fmt.Fprintf(out, "Warning: %v\n", damaged)
	}
	if err != nil {
		if asked {
			return exitcode.New(exitcode.CatchAll, "--usecache: %v", err)
		}
		fmt.Fprintf(out, "Warning: no sync state kept this run: %v\n", err)
		return nil
	}
	o.State = st
	return nil
}
