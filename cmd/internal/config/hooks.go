package config

import (
	"strconv"

	"github.com/imapshift/imapshift/core/dates"
	"github.com/imapshift/imapshift/core/engine"
	"github.com/imapshift/imapshift/core/exitcode"
	"github.com/imapshift/imapshift/core/hooks"
	"github.com/imapshift/imapshift/core/perlre"
	"github.com/imapshift/imapshift/plugins"
	"github.com/imapshift/imapshift/scripting"
)

// pluginValues returns, for each built-in message plugin the command line
// turns on, its values. Plugins not listed stay out of the chain.
func pluginValues(s *Settings) map[string][]string {
	v := map[string][]string{}
	num := func(n int64) []string { return []string{strconv.FormatInt(n, 10)} }
	if s.MaxSize > 0 {
		v["maxsize"] = num(s.MaxSize)
	}
	if s.IsSet("minsize") {
		v["minsize"] = num(s.MinSize)
	}
	if len(s.SkipMess) > 0 {
		v["skipmess"] = s.SkipMess
	}
	switch {
	case s.MaxLineLength > 0 && s.MaxLineLengthCmd != "":
		// Over-long messages are piped through the command, not skipped.
		v["maxlinelengthcmd"] = []string{strconv.Itoa(s.MaxLineLength), s.MaxLineLengthCmd}
	case s.MaxLineLength > 0:
		v["maxlinelength"] = num(int64(s.MaxLineLength))
	}
	if s.MinMaxLineLength > 0 {
		v["minmaxlinelength"] = num(int64(s.MinMaxLineLength))
	}
	if len(s.RegexMess) > 0 && !s.NoRegexMess {
		v["regexmess"] = s.RegexMess
	}
	if s.DisarmReadReceipts {
		v["disarmreadreceipts"] = []string{}
	}
	if len(s.PipeMess) > 0 {
		v["pipemess"] = s.PipeMess
	}
	if s.TruncMess > 0 {
		v["truncmess"] = num(s.TruncMess)
	}
	if s.FilterBuggyFlags {
		v["filterbuggyflags"] = []string{}
	}
	if len(s.RegexFlag) > 0 && !s.NoRegexFlag {
		v["regexflag"] = s.RegexFlag
	}
	return v
}

// buildHooks turns the command line's folder and message options, the
// presets' hooks and the --script files into the engine's hooks, in
// imapsync's order (plugins.Order) with --addheader at its place among the
// rewrites. Scripts run after the built-in plugins unless they ask to run
// before them. It returns the loaded scripts, also with an error, for the
// caller to close.
func buildHooks(s *Settings, o *engine.Options) ([]*scripting.Script, error) {
	scripts, err := loadScripts(s)
	if err != nil {
		return nil, err
	}
	before, after := scripts.Before, scripts.After
	o.FolderRules = append(o.FolderRules, before.Folders...)
	if len(s.RegexTrans2) > 0 {
		h, err := plugins.Build("regextrans2", s.RegexTrans2)
		if err != nil {
			return scripts.Scripts, exitcode.Wrap(exitcode.Usage, err)
		}
		o.FolderRules = append(o.FolderRules, hooks.Named[hooks.FolderMapper]{Name: "regextrans2", Hook: h.(hooks.FolderMapper)})
	}
	values := pluginValues(s)
	if len(s.PipeMess) > 0 && s.PipeMessCheck {
		if err := plugins.CheckPipemess(s.PipeMess); err != nil {
			return scripts.Scripts, exitcode.New(exitcode.Usage, "--pipemess check failed (use --nopipemesscheck to skip it): %v", err)
		}
	}
	c := &hooks.Chain{
		Folders:  after.Folders,
		Skips:    before.Skips,
		Rewrites: before.Rewrites,
		Flags:    before.Flags,
	}
	for _, kind := range []plugins.Kind{plugins.SkipHook, plugins.RewriteHook, plugins.FlagHook} {
		for _, name := range plugins.Order(kind) {
			if name == "addheader" {
				if s.AddHeader {
					c.Rewrites = append(c.Rewrites, hooks.Named[hooks.MessageRewriter]{Name: name, Hook: engine.AddHeader{}})
				}
				continue
			}
			vals, on := values[name]
			if !on {
				continue
			}
			h, err := plugins.Build(name, vals)
			if err != nil {
				return scripts.Scripts, exitcode.Wrap(exitcode.Usage, err)
			}
			switch kind {
			case plugins.SkipHook:
				c.Skips = append(c.Skips, hooks.Named[hooks.MessageSkipper]{Name: name, Hook: h.(hooks.MessageSkipper)})
			case plugins.RewriteHook:
				c.Rewrites = append(c.Rewrites, hooks.Named[hooks.MessageRewriter]{Name: name, Hook: h.(hooks.MessageRewriter)})
			case plugins.FlagHook:
				c.Flags = append(c.Flags, hooks.Named[hooks.FlagFilter]{Name: name, Hook: h.(hooks.FlagFilter)})
			}
		}
	}
	c.Skips = append(c.Skips, after.Skips...)
	c.Rewrites = append(c.Rewrites, after.Rewrites...)
	c.Flags = append(c.Flags, after.Flags...)
	c.Labels = append(append(c.Labels, before.Labels...), after.Labels...)
	o.Hooks = c
	return scripts.Scripts, nil
}

// folderMatcher compiles a --delete2foldersonly/--delete2foldersbutnot
// expression (m//, /../ or a bare pattern).
func folderMatcher(opt, expr string) (func(string) bool, error) {
	if expr == "" {
		return nil, nil
	}
	m, err := perlre.ParseMatch(expr)
	if err != nil {
		return nil, exitcode.Wrap(exitcode.Usage, perlre.WithOption(err, "--"+opt))
	}
	return m.MatchString, nil
}

// ageWindow reads --maxage/--minage (days, given or not).
func ageWindow(s *Settings) (dates.AgeWindow, error) {
	w := dates.AgeWindow{MaxAge: s.MaxAge, MinAge: s.MinAge, HasMax: s.IsSet("maxage"), HasMin: s.IsSet("minage")}
	if w.MaxAge < 0 || w.MinAge < 0 {
		return w, exitcode.New(exitcode.Usage, "--maxage/--minage must not be negative")
	}
	return w, nil
}
