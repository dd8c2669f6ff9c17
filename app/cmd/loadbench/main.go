// Command loadbench measures GET /api/v1/users/{id} (JWT auth, in-memory repository, full middleware) against
// a bare net/http handler returning the same JSON, side by side on loopback in one run, and prints requests per
// second and p50/p99 latency for each.
//
// With wrk installed (Debian package wrk) the load comes from wrk, a C load generator that perturbs the
// measurement less than Go clients sharing the server's cores; otherwise from built-in Go clients.
//
//	go run ./app/cmd/loadbench -c 64 -d 10s [-tool wrk|go]
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wechat-deploy/wechat-deploy/app/internal/handler"
	"github.com/wechat-deploy/wechat-deploy/app/internal/metrics"
	"github.com/wechat-deploy/wechat-deploy/app/internal/model"
	"github.com/wechat-deploy/wechat-deploy/app/internal/repository"
	"github.com/wechat-deploy/wechat-deploy/app/internal/service"
	"github.com/wechat-deploy/wechat-deploy/app/internal/token"
)

func main() {
	conns := flag.Int("c", 64, "concurrent connections")
	dur := flag.Duration("d", 10*time.Second, "duration of each run")
	warm := flag.Duration("warmup", time.Second, "warm-up before each run")
	tool := flag.String("tool", "auto", "load generator: wrk, go, or auto (wrk when on PATH)")
	serve := flag.String("serve", "", "only serve: bare on <addr>:port, app on <addr>:port+1 (for a load generator in another process)")
	flag.Parse()
	if *serve != "" {
		if err := serveOnly(*serve); err != nil {
			fmt.Fprintln(os.Stderr, "loadbench:", err)
			os.Exit(1)
		}
		return
	}
	if *tool == "auto" {
		*tool = "go"
		if _, err := exec.LookPath("wrk"); err == nil {
			*tool = "wrk"
		}
	}
	if err := run(*conns, *dur, *warm, *tool); err != nil {
		fmt.Fprintln(os.Stderr, "loadbench:", err)
		os.Exit(1)
	}
}

type stats struct {
	name     string
	requests int
	errors   int
	rps      float64
	p50, p99 time.Duration
}

// targets builds the app (with one user and a token for it) and the bare handler returning the same JSON.
func targets() (app, bare http.Handler, path, tok string, err error) {
	ctx := context.Background()
	repo := repository.NewMemory()
	u, _, _ := repo.UpsertByOpenID(ctx, "bench-user", "")
	nick, avatar := "小明", "https://thirdwx.qlogo.cn/mmopen/bench/132"
	u, _ = repo.Update(ctx, u.ID, model.UserUpdate{Nickname: &nick, AvatarURL: &avatar})
	tokens, err := token.NewManager([]byte(strings.Repeat("k", 48)), time.Hour)
	if err != nil {
		return nil, nil, "", "", err
	}
	tok, _, _ = tokens.Issue(u.ID)
	srv := handler.New(handler.Deps{
		Auth: &service.Auth{Users: repo, Tokens: tokens}, Users: &service.Users{Repo: repo}, Tokens: tokens,
		Repo: repo, Metrics: metrics.NewHTTP(),
		// Request logs go nowhere here: the measure is the request path, not the terminal. The handler is a real
		// one on io.Discard, not slog.DiscardHandler, because Log's level enables the access log being measured.
		Log: slog.New(slog.NewJSONHandler(io.Discard, nil)), AccessLog: io.Discard, //nolint:sloglint // DiscardHandler would turn the measured access log off
	})
	srv.SetReady(true)
	body, _ := json.Marshal(u)
	bare = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_, _ = w.Write(append(body, '\n'))
	})
	return srv.Handler(), bare, fmt.Sprintf("/api/v1/users/%d", u.ID), tok, nil
}

// serveOnly serves both targets until killed and prints how to reach them.
func serveOnly(addr string) error {
	app, bare, path, tok, err := targets()
	if err != nil {
		return err
	}
	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	port, _ := strconv.Atoi(portText)
	errc := make(chan error, 2)
	for i, h := range []http.Handler{bare, app} {
		a := net.JoinHostPort(host, strconv.Itoa(port+i))
		go func() {
			errc <- (&http.Server{Addr: a, Handler: h, ReadHeaderTimeout: 5 * time.Second}).ListenAndServe()
		}()
	}
	fmt.Printf("bare http://%s:%d%s\napp  http://%s:%d%s\ntoken %s\n", host, port, path, host, port+1, path, tok)
	return <-errc
}

func run(conns int, dur, warm time.Duration, tool string) error {
	app, bare, path, tok, err := targets()
	if err != nil {
		return err
	}

	var results []stats
	for _, target := range []struct {
		name string
		h    http.Handler
	}{{"bare net/http handler", bare}, {"app (JWT, middleware, repo)", app}} {
		s, err := measure(target.name, target.h, path, tok, conns, dur, warm, tool)
		if err != nil {
			return err
		}
		results = append(results, s)
	}
	fmt.Printf("GET %s, %d connections, %s per run, loopback, load from %s, GOMAXPROCS=%d\n", path, conns, dur, tool, goMaxProcs())
	fmt.Printf("%-30s %12s %10s %10s %8s\n", "target", "requests/s", "p50", "p99", "errors")
	for _, s := range results {
		fmt.Printf("%-30s %12.0f %10s %10s %8d\n", s.name, s.rps, s.p50.Round(time.Microsecond), s.p99.Round(time.Microsecond), s.errors)
	}
	ratio := results[1].rps / results[0].rps
	fmt.Printf("app/bare throughput ratio: %.2f (target >= 0.87); app p99 %s (target < 5ms)\n", ratio, results[1].p99.Round(time.Microsecond))
	if results[1].errors > 0 || results[0].errors > 0 {
		return fmt.Errorf("requests failed during the run")
	}
	return nil
}

func measure(name string, h http.Handler, path, tok string, conns int, dur, warm time.Duration, tool string) (stats, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return stats{}, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	// The run is measured by then; a loopback server that fails to close dies with the process.
	defer func() { _ = srv.Close() }()
	url := "http://" + ln.Addr().String() + path
	if tool == "wrk" {
		if _, err := runWrk(url, tok, conns, warm); err != nil {
			return stats{}, err
		}
		s, err := runWrk(url, tok, conns, dur)
		s.name = name
		return s, err
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, DisableCompression: true}}
	defer client.CloseIdleConnections()

	worker := func(until time.Time, lat *[]time.Duration, errs *int) {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		for time.Now().Before(until) {
			start := time.Now()
			resp, err := client.Do(req)
			if err != nil {
				*errs++
				continue
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close() // drained above: a read-only body's close error cannot change the measurement
			if resp.StatusCode != http.StatusOK {
				*errs++
				continue
			}
			*lat = append(*lat, time.Since(start))
		}
	}
	runAll := func(d time.Duration) ([]time.Duration, int, time.Duration) {
		var wg sync.WaitGroup
		lats := make([][]time.Duration, conns)
		errs := make([]int, conns)
		start := time.Now()
		until := start.Add(d)
		for i := range conns {
			wg.Add(1)
			go func() { defer wg.Done(); worker(until, &lats[i], &errs[i]) }()
		}
		wg.Wait()
		var all []time.Duration
		total := 0
		for i := range conns {
			all = append(all, lats[i]...)
			total += errs[i]
		}
		return all, total, time.Since(start)
	}
	runAll(warm)
	all, errs, elapsed := runAll(dur)
	if len(all) == 0 {
		return stats{}, fmt.Errorf("%s: no successful requests", name)
	}
	slices.Sort(all)
	q := func(p float64) time.Duration { return all[int(p*float64(len(all)-1))] }
	return stats{name: name, requests: len(all), errors: errs, rps: float64(len(all)) / elapsed.Seconds(), p50: q(0.50), p99: q(0.99)}, nil
}

var (
	wrkRPS     = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	wrkLatency = regexp.MustCompile(`(?m)^\s+(50|99)%\s+([0-9.]+)(us|ms|s)`)
	wrkErrors  = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)|Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
	wrkTotal   = regexp.MustCompile(`(\d+) requests in`)
)

// runWrk drives url with wrk (2 threads, conns connections) and parses its latency report.
func runWrk(url, tok string, conns int, d time.Duration) (stats, error) {
	secs := max(1, int(d.Seconds()))
	out, err := exec.Command("wrk", "-t2", fmt.Sprintf("-c%d", conns), fmt.Sprintf("-d%ds", secs), "--latency",
		"-H", "Authorization: Bearer "+tok, url).CombinedOutput()
	if err != nil {
		return stats{}, fmt.Errorf("wrk: %w: %s", err, out)
	}
	text := string(out)
	var s stats
	m := wrkRPS.FindStringSubmatch(text)
	if m == nil {
		return stats{}, fmt.Errorf("wrk output without Requests/sec:\n%s", text)
	}
	s.rps, _ = strconv.ParseFloat(m[1], 64)
	if m := wrkTotal.FindStringSubmatch(text); m != nil {
		s.requests, _ = strconv.Atoi(m[1])
	}
	for _, m := range wrkLatency.FindAllStringSubmatch(text, -1) {
		v, _ := strconv.ParseFloat(m[2], 64)
		unit := map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second}[m[3]]
		d := time.Duration(v * float64(unit))
		if m[1] == "50" {
			s.p50 = d
		} else {
			s.p99 = d
		}
	}
	for _, m := range wrkErrors.FindAllStringSubmatch(text, -1) {
		for _, g := range m[1:] {
			n, _ := strconv.Atoi(g)
			s.errors += n
		}
	}
	return s, nil
}
