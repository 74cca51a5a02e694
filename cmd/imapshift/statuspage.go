package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/imapshift/imapshift/cmd/internal/batch"
	"github.com/imapshift/imapshift/cmd/internal/config"
	"github.com/imapshift/imapshift/cmd/internal/fleet"
	"github.com/imapshift/imapshift/cmd/internal/runctl"
	"github.com/imapshift/imapshift/cmd/internal/statuspage"
	"github.com/imapshift/imapshift/core/conn"
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
	url, stop, err := serve(ctx, s.HTTP, b)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "Live status page on %s (--http): also %sapi/status and %smetrics\n", url, url, url)
	p := &statusPage{feed: b.Feed(0), stop: stop, start: time.Now(), logPath: runctl.Of(out).LogPath()}
	b.Started(0, p.logPath)
	o.Progress = statuspage.Tee(o.Progress, p.feed)
	o.Observer = statuspage.TeeObserver(o.Observer, p.feed)
	return p, nil
}

// serveBatchStatus serves the --http status page of a batch: a board
// of its accounts, none of their passwords shown. stop ends it.
func serveBatchStatus(ctx context.Context, addr string, accts []batch.Account, out io.Writer) (*statuspage.Board, func(), error) {
	b := statuspage.NewBoard()
	for _, a := range accts {
		for _, side := range []*conn.Config{a.Side1, a.Side2} {
			if side != nil {
				b.AddSecrets(side.Secrets...)
				b.AddSecrets(side.Password, side.OAuthAccessToken, side.OAuthDirect)
			}
		}
	}
	url, stop, err := serve(ctx, addr, b)
	if err != nil {
		return nil, nil, err
	}
	fmt.Fprintf(out, "Live status page on %s (--http): also %sapi/status and %smetrics\n", url, url, url)
	return b, stop, nil
}

// serve serves b on addr: an address that cannot be listened on (a port
// in use) is exit 69, EX_UNAVAILABLE, a malformed one 64.
func serve(ctx context.Context, addr string, b *statuspage.Board) (string, func(), error) {
	url, stop, err := statuspage.Serve(ctx, addr, b)
	switch {
	case errors.Is(err, statuspage.ErrListen):
		return "", nil, exitcode.Wrap(exitcode.Unavailable, fmt.Errorf("--http: %w", err))
	case err != nil:
		return "", nil, exitcode.Wrap(exitcode.Usage, fmt.Errorf("--http: %w", err))
	}
	return url, stop, nil
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
