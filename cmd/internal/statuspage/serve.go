package statuspage

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// ResolveAddr checks a --http address and fills in the host: a bare
// ":PORT" (or "PORT") listens on the loopback interface only, 127.0.0.1;
// another interface must be named ("0.0.0.0:8080", "[::]:8080",
// "192.0.2.7:8080"). The port may be 0 (any free port).
func ResolveAddr(addr string) (string, error) {
	a := strings.TrimSpace(addr)
	if a == "" {
		return "", errors.New("an empty address (expected HOST:PORT, for example 127.0.0.1:8080)")
	}
	if !strings.Contains(a, ":") {
		a = ":" + a
	}
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		return "", fmt.Errorf("%q is not HOST:PORT (for example 127.0.0.1:8080)", addr)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return "", fmt.Errorf("%q: the port must be a number from 0 to 65535", addr)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	if strings.ContainsAny(host, " /") {
		return "", fmt.Errorf("%q: %q is not a host name or address", addr, host)
	}
	return net.JoinHostPort(host, port), nil
}

// ErrListen wraps the failure to listen on the address (in use, not an
// address of this machine, not allowed): the caller's exit code differs
// from that of a malformed address.
var ErrListen = errors.New("cannot listen")

// Serve serves board on addr (see ResolveAddr) until ctx ends or stop is
// called: stop shuts the server down, waiting briefly for requests in
// progress. url is the status page's address, with the port the system
// chose when addr's is 0. A malformed address gives an error that is not
// ErrListen; one that cannot be listened on, one that is.
func Serve(ctx context.Context, addr string, board *Board) (url string, stop func(), err error) {
	resolved, err := ResolveAddr(addr)
	if err != nil {
		return "", nil, err
	}
	ln, err := net.Listen("tcp", resolved)
	if err != nil {
		return "", nil, fmt.Errorf("%w on %s: %v", ErrListen, resolved, unwrapOp(err))
	}
	srv := &http.Server{Handler: Handler(board), ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(ln)
	}()
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		<-ctx.Done()
		sctx, scancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer scancel()
		if srv.Shutdown(sctx) != nil {
			srv.Close()
		}
	}()
	stop = func() {
		cancel()
		<-done
	}
	return "http://" + pageHost(ln.Addr()) + "/", stop, nil
}

// pageHost is the address to reach a listener at: an unspecified
// address (0.0.0.0, ::) is reached through the loopback.
func pageHost(a net.Addr) string {
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return a.String()
	}
	ip := ta.IP
	if ip.IsUnspecified() {
		if ip.To4() != nil {
			ip = net.IPv4(127, 0, 0, 1)
		} else {
			ip = net.IPv6loopback
		}
	}
	return net.JoinHostPort(ip.String(), strconv.Itoa(ta.Port))
}

// unwrapOp drops net.OpError's "listen tcp ADDR:" prefix, which the
// message already says.
func unwrapOp(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		var sc *os.SyscallError
		if errors.As(op.Err, &sc) {
			return sc.Err
		}
		return op.Err
	}
	return err
}

// Handler serves board: / (the page), /api/status (JSON), /metrics
// (Prometheus) and /log/INDEX (an account's log file, its last
// maxLogBytes).
func Handler(board *Board) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		var buf bytes.Buffer
		if err := renderPage(&buf, board.Status()); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Cache-Control", "no-store")
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
		w.Write(buf.Bytes())
	})
	mux.HandleFunc("GET /api/status", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(board.Status())
	})
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		var buf bytes.Buffer
		board.WriteMetrics(&buf)
		w.Header().Set("Content-Type", metricsContentType)
		w.Header().Set("Cache-Control", "no-store")
		w.Write(buf.Bytes())
	})
	mux.HandleFunc("GET /log/{index}", func(w http.ResponseWriter, r *http.Request) {
		i, err := strconv.Atoi(r.PathValue("index"))
		path := ""
		if err == nil {
			path = board.logPath(i)
		}
		if path == "" {
			http.NotFound(w, r)
			return
		}
		text, err := readTail(path, maxLogBytes)
		if err != nil {
			http.Error(w, "cannot read the log file", http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		board.mu.Lock()
		text = board.mask(text)
		board.mu.Unlock()
		io.WriteString(w, text)
	})
	return mux
}

// maxLogBytes bounds the part of a log file /log/INDEX shows: its end.
const maxLogBytes = 2 << 20

// readTail returns the last max bytes of the file at path, from the
// start of a line, with a first line saying what was left out.
func readTail(path string, max int64) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", err
	}
	size := fi.Size()
	if size <= max {
		b, err := io.ReadAll(f)
		return string(b), err
	}
	b := make([]byte, max)
	if _, err := f.ReadAt(b, size-max); err != nil && err != io.EOF {
		return "", err
	}
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[i+1:]
	}
	return fmt.Sprintf("[... the first %d bytes of %d are left out]\n", size-int64(len(b)), size) + string(b), nil
}
