package dovecot

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// freePorts returns n distinct loopback ports that were free a moment ago.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for len(ports) < n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("dovecot: free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func (s *Server) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	pool := x509.NewCertPool()
	ca, err := os.ReadFile(s.CAFile)
	if err != nil {
		return err
	}
	pool.AppendCertsFromPEM(ca)
	checks := []struct {
		port int
		tls  bool
	}{{s.Port, false}, {s.NoTLSPort, false}, {s.TLSPort, true}}
	for _, c := range checks {
		var lastErr error
		for {
			select {
			case <-s.exited:
				return fmt.Errorf("dovecot exited: %v", s.waitErr)
			default:
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("port %d not ready after %v: %v", c.port, timeout, lastErr)
			}
			lastErr = greet(net.JoinHostPort(s.Host, strconv.Itoa(c.port)), c.tls, pool, deadline)
			if lastErr == nil {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	return nil
}

// greet connects and reads the "* OK" greeting.
func greet(addr string, useTLS bool, pool *x509.CertPool, deadline time.Time) error {
	d := net.Dialer{Deadline: deadline}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetDeadline(deadline)
	if useTLS {
		tc := tls.Client(conn, &tls.Config{RootCAs: pool, ServerName: "localhost"})
		if err := tc.Handshake(); err != nil {
			return err
		}
		conn = tc
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "* OK") {
		return fmt.Errorf("unexpected greeting %q", line)
	}
	return nil
}
