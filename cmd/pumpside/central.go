package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/pumpside/pumpside/monitor/central"
	"github.com/pumpside/pumpside/monitor/central/web"
	"github.com/pumpside/pumpside/monitor/record"
)

func init() {
	register(command{name: "central", summary: "the department view: every running theatre on one web page, read from InfluxDB", run: runCentral})
}

func runCentral(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("central", "[--listen ADDR] [--tls-cert FILE --tls-key FILE] (--token-file FILE | --users FILE) [--access-log FILE]\n       pumpside central --hash-password NAME   (reads the password from stdin)",
		"Serves the department view: a read-only web page with a tile per theatre (case time, phase,\n"+
			"flow, flow index, MAP, DO2i and its target, SvO2, Hct, temperatures, the highest alarm, the\n"+
			"data's age, \"no data\" when a theatre stopped sending) and each theatre's last hour, read\n"+
			"from the InfluxDB the consoles ship to (docs/central.md).\n\n"+
			"InfluxDB comes from the environment as for the consoles: PUMPSIDE_INFLUX_URL,\n"+
			"PUMPSIDE_INFLUX_BUCKET, PUMPSIDE_INFLUX_ORG (2.x), PUMPSIDE_INFLUX_TOKEN or\n"+
			"PUMPSIDE_INFLUX_TOKEN_FILE, PUMPSIDE_INFLUX_CA_FILE. A read-only token is enough.\n\n"+
			"Access needs a token (--token-file) or users with bcrypt-hashed passwords (--users); there\n"+
			"is no default. Every page view, login and login failure is logged (stderr or --access-log).", stdout, stderr)
	listen := fs.String("listen", "127.0.0.1:8090", "address to listen on; another host than loopback needs --tls-cert (or --insecure-http)")
	certFile := fs.String("tls-cert", "", "TLS certificate file (PEM); serves https")
	keyFile := fs.String("tls-key", "", "TLS private key file (PEM)")
	insecure := fs.Bool("insecure-http", false, "allow plain http on a non-loopback address (passwords and data in clear: not for a hospital network)")
	tokenFile := fs.String("token-file", "", "file holding the access token (at least 32 characters)")
	usersFile := fs.String("users", "", "users file: name:bcrypt-hash per line (pumpside central --hash-password NAME)")
	accessLog := fs.String("access-log", "", "append the access log to this file instead of stderr")
	refresh := fs.Duration("refresh", 2*time.Second, "how often the page is read from InfluxDB and pushed to the browsers")
	noData := fs.Duration("no-data-after", 15*time.Second, "a theatre with nothing newer is shown as \"no data\"")
	lookback := fs.Duration("lookback", 12*time.Hour, "how long a theatre that stopped sending stays on the page")
	allowance := fs.Duration("allowance", 5*time.Second, "transport delay allowed on top of a value's freshness")
	hashName := fs.String("hash-password", "", "print a users file line for user `NAME`, the password read from stdin, and exit")
	if code, ok := fs.parse(args); !ok {
		return code
	}
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(stderr, "pumpside central: "+format+"\n", a...)
		return code
	}
	if fs.NArg() > 0 {
		return fail(2, "unexpected argument %q", fs.Arg(0))
	}
	if *hashName != "" {
		return hashPassword(*hashName, os.Stdin, stdout, stderr)
	}
	if (*certFile == "") != (*keyFile == "") {
		return fail(2, "--tls-cert and --tls-key go together")
	}
	if *refresh < 500*time.Millisecond || *refresh > time.Minute {
		return fail(2, "--refresh %v is outside 500ms–1m", *refresh)
	}
	host, _, err := net.SplitHostPort(*listen)
	if err != nil {
		return fail(2, "--listen %q: %v", *listen, err)
	}
	if ip := net.ParseIP(host); (ip == nil || !ip.IsLoopback()) && host != "localhost" && *certFile == "" && !*insecure {
		return fail(2, "--listen %s is reachable from the network: give --tls-cert and --tls-key (or --insecure-http, not for a hospital network)", *listen)
	}

	var token string
	var users map[string][]byte
	if *tokenFile != "" {
		if token, err = web.ReadToken(*tokenFile); err != nil {
			return fail(2, "%v", err)
		}
	}
	if *usersFile != "" {
		f, err := os.Open(*usersFile)
		if err != nil {
			return fail(2, "users file: %v", err)
		}
		users, err = web.ParseUsers(f)
		f.Close()
		if err != nil {
			return fail(2, "%v", err)
		}
	}
	auth, err := web.NewAuth(token, users, 0)
	if err != nil {
		return fail(2, "%v (give --token-file or --users)", err)
	}

	cfg, ok, err := record.ConfigFromEnv(os.Getenv, os.ReadFile)
	if err != nil {
		return fail(2, "InfluxDB: %v", err)
	}
	if !ok {
		return fail(2, "InfluxDB: %s is not set: the department view reads the consoles' InfluxDB", record.EnvURL)
	}
	client, err := cfg.NewClient(10 * time.Second)
	if err != nil {
		return fail(2, "InfluxDB: %v", err)
	}
	defer client.Close()
	store, err := central.NewStore(client.QueryAPI(cfg.Org), central.Options{Bucket: cfg.Bucket, NoDataAfter: *noData,
		Lookback: *lookback, Allowance: *allowance})
	if err != nil {
		return fail(2, "%v", err)
	}

	logOut := stderr
	if *accessLog != "" {
		f, err := os.OpenFile(*accessLog, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			return fail(2, "access log: %v", err)
		}
		defer f.Close()
		logOut = f
	}
	logger := slog.New(slog.NewTextHandler(&lockedWriter{w: logOut}, nil))
	srv, err := web.New(web.Config{Source: store, Auth: auth, Log: logger, Refresh: *refresh, Secure: *certFile != ""})
	if err != nil {
		return fail(1, "%v", err)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fail(1, "%v", err)
	}
	scheme := "http"
	if *certFile != "" {
		scheme = "https"
	}
	fmt.Fprintf(stdout, "pumpside central: serving %s://%s/ (InfluxDB %s)\n", scheme, ln.Addr(), cfg)
	logger.Info("start", "listen", ln.Addr().String(), "tls", *certFile != "", "influx", cfg.String())

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() { _ = srv.Run(ctx) })
	err = web.Serve(ctx, ln, srv, *certFile, *keyFile, logger)
	cancel()
	wg.Wait()
	if err != nil {
		return fail(1, "%v", err)
	}
	return 0
}

// hashPassword prints a users file line for name with the password of the
// first line of in.
func hashPassword(name string, in io.Reader, stdout, stderr io.Writer) int {
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		fmt.Fprintf(stderr, "pumpside central: reading the password: %v\n", err)
		return 1
	}
	out, err := web.HashPassword(name, strings.TrimRight(line, "\r\n"))
	if err != nil {
		fmt.Fprintf(stderr, "pumpside central: %v\n", err)
		return 2
	}
	fmt.Fprintln(stdout, out)
	return 0
}

// lockedWriter serialises the log's writes (the HTTP server's goroutines
// all log).
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
