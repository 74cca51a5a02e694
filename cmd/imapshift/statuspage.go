package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/imapshift/imapshift/cmd/internal/config"
	"github.com/imapshift/imapshift/cmd/internal/fleet"
	"github.com/imapshift/imapshift/cmd/internal/runctl"
	"github.com/imapshift/imapshift/cmd/internal/statuspage"
	"github.com/imapshift/imapshift/core/engine"
	"github.com/imapshift/imapshift/core/exitcode"
)

// statusPage is the --http status page of a single sync: a board of one
// account fed by the engine.
type statusPage struct {
	feed    *statuspage.Feed
	stop    func()
	start   time.Time
	logPath string
}

// startStatusPage serves the status page when --http is given (nil
// otherwise), and makes o feed it. An address that cannot be listened on
// (a port in use) is exit 69, EX_UNAVAILABLE.
func startStatusPage(ctx context.Context, s *config.Settings, o *engine.Options, out io.Writer) (*statusPage, error) {
	if s.HTTP == "" {
		return nil, nil
	}
	b := statuspage.NewBoard()
	b.AddSecrets(o.Host1.Secrets...)
	b.AddSecrets(o.Host2.Secrets...)
	b.AddSecrets(o.Host1.Password, o.Host2.Password, o.Host1.OAuthAccessToken, o.Host2.OAuthAccessToken, o.Host1.OAuthDirect, o.Host2.OAuthDirect)
	b.Planned([]fleet.Account{{Index: 0, User1: o.Host1.User, Host1: o.Host1.Address(), User2: o.Host2.User, Host2: o.Host2.Address()}})
	url, stop, err := statuspage.Serve(ctx, s.HTTP, b)
	switch {
	case errors.Is(err, statuspage.ErrListen):
		return nil, exitcode.Wrap(exitcode.Unavailable, fmt.Errorf("--http: %w", err))
	case err != nil:
		return nil, exitcode.Wrap(exitcode.Usage, fmt.Errorf("--http: %w", err))
	}
	fmt.Fprintf(out, "Live status page on %s (--http): also %sapi/status and %smetrics\n", url, url, url)
	p := &statusPage{feed: b.Feed(0), stop: stop, start: time.Now(), logPath: runctl.Of(out).LogPath()}
	b.Started(0, p.logPath)
	o.Progress = statuspage.Tee(o.Progress, p.feed)
	o.Observer = p.feed
	return p, nil
}

// finish tells the page how the run ended (res nil when it could not
// proceed; err is what the run returns) and stops serving it.
func (p *statusPage) finish(res *engine.Result, err error) {
	if p == nil {
		return
	}
	code := 0
	if err != nil {
		code = int(exitcode.Of(err))
	}
	runErr := err
	if res != nil {
		runErr = nil // the errors are in res
	}
	p.feed.Finish(res, runErr, code, time.Since(p.start), p.logPath)
	p.stop()
}
