// Package stallproxy is a TCP proxy for tests that can freeze: a database that hangs without closing anything,
// the failure a client with no deadlines waits on forever.
package stallproxy

import (
	"net"
	"sync"
	"testing"
)

// Proxy forwards connections to a target. Frozen, it forwards nothing and holds every connection open, the
// established ones and the ones it keeps accepting; thawed again, it drops the connections it held and forwards
// new ones.
type Proxy struct {
	ln     net.Listener
	target string

	mu     sync.Mutex
	frozen chan struct{} // non-nil while frozen; closed on thaw
	conns  map[net.Conn]bool
	closed bool
}

// Start listens on a loopback port and forwards to target (host:port); the proxy closes with the test.
func Start(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	go p.accept()
	t.Cleanup(p.Close)
	return p
}

// Addr is the proxy's host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Freeze stops forwarding: bytes in flight stay where they are, nothing is closed, new connections are accepted
// and never answered.
func (p *Proxy) Freeze() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.frozen == nil {
		p.frozen = make(chan struct{})
	}
}

// Thaw ends a freeze: the connections held during it are closed (their sessions are gone, as after a database
// restart), and new connections are forwarded again.
func (p *Proxy) Thaw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.frozen == nil {
		return
	}
	close(p.frozen)
	p.frozen = nil
	for c := range p.conns {
		_ = c.Close() // a proxy's side of a dead session: nothing to report
		delete(p.conns, c)
	}
}

// Close stops the proxy and closes every connection.
func (p *Proxy) Close() {
	p.mu.Lock()
	p.closed = true
	if p.frozen != nil {
		close(p.frozen)
		p.frozen = nil
	}
	for c := range p.conns {
		_ = c.Close() // shutting down: nothing to report
	}
	p.mu.Unlock()
	_ = p.ln.Close() // the accept loop ends on the error
}

// track registers c, reporting false if the proxy is closed (c is then closed).
func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		_ = c.Close()
		return false
	}
	p.conns[c] = true
	return true
}

// gate returns the channel to wait on while frozen, nil when forwarding.
func (p *Proxy) gate() chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.frozen
}

func (p *Proxy) accept() {
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		if !p.track(client) {
			return
		}
		go p.serve(client)
	}
}

func (p *Proxy) serve(client net.Conn) {
	if g := p.gate(); g != nil {
		<-g // accepted during a freeze: held, then closed by Thaw or Close
		return
	}
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		_ = client.Close()
		return
	}
	if !p.track(server) {
		_ = client.Close()
		return
	}
	go p.pipe(server, client)
	p.pipe(client, server)
}

// pipe copies src to dst, holding each chunk while frozen; when either side ends, both are closed.
func (p *Proxy) pipe(dst, src net.Conn) {
	defer func() {
		_ = dst.Close() // either side ending ends the session; there is no one to report to
		_ = src.Close()
		p.untrack(dst, src)
	}()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if g := p.gate(); g != nil {
			<-g
			return // thawed or closed: this connection belongs to the freeze and is dropped
		}
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return // EOF or a closed side: the other direction ends with it
		}
	}
}

// untrack forgets connections that ended.
func (p *Proxy) untrack(conns ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range conns {
		delete(p.conns, c)
	}
}
