package plugins

// Order returns the names of kind's built-in message plugins in the order
// the engine must put them in the hooks.Chain, following the order in
// which imapsync transforms a message it copies and the flags it sets.
// Names not registered here (such as
// "addheader", which the engine applies itself) mark where the engine's
// own step goes.
//
//   - SkipHook: the size rules first, as they need no body, then skipmess.
//     maxlinelength (an AfterRewriter) comes last and belongs in a second
//     skip pass run on the rewritten message.
//   - RewriteHook: regexmess (the user's rules, then preset rules),
//     disarmreadreceipts, pipemess, the engine's addheader prepend, then
//     truncmess.
//   - FlagHook: filterbuggyflags before regexflag (imapsync prepends its
//     rule to the user's). The engine removes \Recent before the chain and
//     applies flagscase and PERMANENTFLAGS filtering after it.
func Order(kind Kind) []string {
	switch kind {
	case SkipHook:
		return []string{"maxsize", "minsize", "skipmess", "maxlinelength", "minmaxlinelength"}
	case RewriteHook:
		return []string{"regexmess", "disarmreadreceipts", "pipemess", "addheader", "truncmess", "maxlinelengthcmd"}
	case FlagHook:
		return []string{"filterbuggyflags", "regexflag"}
	}
	return nil
}

// Rank returns the position of the plugin name in Order(kind), or -1 when
// the order does not name it (Lua scripts, folder plugins).
func Rank(kind Kind, name string) int {
	for i, n := range Order(kind) {
		if n == name {
			return i
		}
	}
	return -1
}
