// Package scripting runs imapshift's Lua hooks (gopher-lua) in-process and
// sandboxed. A script implements the same hook interfaces as the built-in
// plugins (package hooks) and sits in the same chain.
//
// # Script API (public and stable; scripts/README.md is the user guide)
//
// A script defines any of these global functions; a hook defined with
// another number of parameters is refused at load time:
//
//	map_folder(folder)  -> new host2 name | nothing (keep) | false, "reason" (skip)
//	skip(msg)           -> true | "reason" (skip) | nothing, false (keep)
//	rewrite(msg)        -> changes msg in place
//	flags(msg, flags)   -> the new list of flags | nothing (keep)
//
// Setting the global run_before_plugins = true runs the script's hooks
// before the built-in plugins instead of after them.
//
// folder fields: name (host1 name, UTF-8, host1's separator), target (the
// host2 name the built-in rules produced), sep1, sep2, prefix1, prefix2,
// special_use (a list such as {"\\Sent"}).
//
// msg fields: folder, uid, size, flags (a list), internal_date (Unix
// seconds, nil when unknown). msg methods: header(name), headers(name),
// header_names(), subject(), body(), and in rewrite only set_header(name, value),
// add_header(name, value), remove_header(name), set_body(bytes). The
// header is the one the engine fetched; body() fetches the rest on first
// use, so header-only hooks never pull the body. A rewrite's changes are
// applied when it returns without error, through package message, and
// only when they change the bytes.
//
// Helpers: re.match, re.find, re.gsub, re.split, re.quote (Go regexp,
// RE2 syntax); date.parse, date.format, date.now; log.info, log.warn
// (print is log.info).
//
// # Sandbox and limits
//
// Only the base, table, string and math libraries are opened; dofile,
// loadfile, load, loadstring, require, module, collectgarbage and
// string.dump are removed, and io, os, debug, package and coroutine are
// absent. Each call runs under a time limit (Options.Timeout) checked
// between Lua instructions; a call over it fails and its state is
// dropped. The Go built-ins that could build a huge string in one step
// (string.rep, string.format widths, table.concat, string.gsub, re.gsub)
// are capped (Options.MaxString), and Lua patterns refuse subjects over
// 256 KiB (re.* is linear-time and has no such limit). Memory is not
// otherwise bounded: a script that grows strings with .. in a loop is
// only stopped by the time limit.
//
// # Concurrency and cost
//
// A script is parsed and compiled once (Compile); each concurrent caller
// borrows a Lua state created from that code, so a run holds about one
// state per worker. States keep their globals between calls: a script
// must not rely on them to pass data from one message to the next.
package scripting
