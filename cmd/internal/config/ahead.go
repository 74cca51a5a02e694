package config

import (
	"context"
	"runtime"
	"strconv"

	"github.com/imapshift/imapshift/core/conn"
)

// DialAhead starts the login of both sides (conn.Start) and keeps them in
// Dialed, for EngineOptions to hand to the engine, so that the servers'
// greetings and authentications overlap the rest of the start-up (banner,
// pidfile, sync state). It starts nothing unless that start-up cannot
// change how the sides log in nor what is printed before the logins: no
// SSL probe is due (ProbeSSL), no IMAP trace is asked for, each side logs
// in with a password that is on the command line or in the environment
// (ResolvePasswords then has nothing to prompt for, and no file to read),
// and both sides' configurations are valid (Side). Otherwise the engine
// dials as before.
//
// The returned function abandons the logins the engine did not take
// (conn.Pending.Abandon); the caller runs it once the run is over.
func (s *Settings) DialAhead(ctx context.Context, getenv func(string) string) (abandon func()) {
	abandon = func() {}
	for n := 1; n <= 2; n++ {
		h, d := s.HostN(n), strconv.Itoa(n)
		if s.Dialed[n-1] != nil || h.Host == "" || h.User == "" || s.probeDue(n) || h.DebugIMAP || !h.needsPassword() {
			return abandon
		}
		if !s.IsSet("password"+d) && (h.PassFile != "" || !hasEnv(getenv, "IMAPSYNC_PASSWORD"+d, "IMAPSHIFT_PASSWORD"+d)) {
			return abandon
		}
	}
	// Only the command line and the environment are read: no prompt.
	if err := s.ResolvePasswords(PasswordSource{Getenv: getenv}); err != nil {
		return abandon
	}
	var cfgs [2]*conn.Config
	for n := 1; n <= 2; n++ {
		cfg, err := s.Side(n)
		if err != nil {
			return abandon // EngineOptions reports it
		}
		cfgs[n-1] = cfg
	}
	for i, cfg := range cfgs {
		s.Dialed[i] = conn.Start(ctx, cfg)
	}
	// Let the dials send their SYNs before the start-up goes on, even
	// when the machine is busy.
	runtime.Gosched()
	dialed := s.Dialed
	return func() {
		for _, p := range dialed {
			p.Abandon()
		}
	}
}

// hasEnv tells whether one of the environment variables names is set and
// not empty (as lookupEnv reads them).
func hasEnv(getenv func(string) string, names ...string) bool {
	_, ok := lookupEnv(getenv, names...)
	return ok
}
