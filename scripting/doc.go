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
// seconds, nil when unknown), structure (the parts from BODYSTRUCTURE).
// msg methods: header(name), headers(name), header_names(), subject(),
// body(), parts(), attachments(), text(), html(), and in rewrite only
// set_header(name, value), add_header(name, value), remove_header(name),
// set_body(bytes), add_attachment(filename, type, content),
// set_text(text), set_html(html). The header is the one the engine
// fetched; body() and the MIME methods fetch the rest on first use, so
// header-only hooks never pull the body, and a script that mentions
// structure gets BODYSTRUCTURE with the metadata. A rewrite's changes are
// applied when it returns without error, through packages message and
// mime, and only when they change the bytes; parts not changed keep their
// exact bytes.
//
// part fields (parts.go): content_type, params, filename, disposition,
// size, depth, index, charset, encoding; methods header(name),
// body([charset]), raw(), sha256(), and in rewrite only remove([note]),
// replace(type, content), set_header(name, value).
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
// 256 KiB (re.* is linear-time and has no such limit). Memory is bounded
// by Options.MaxMemory (memory.go): the heap is sampled while calls run,
// and the calls running when it grows past the budget are stopped.
//
// # Concurrency and cost
//
// A script is parsed and compiled once (Compile); each concurrent caller
// borrows a Lua state created from that code, so a run holds about one
// state per worker. States keep their globals between calls: a script
// must not rely on them to pass data from one message to the next.
package scripting
