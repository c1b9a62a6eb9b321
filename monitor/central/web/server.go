package web

import (
	"context"
	"crypto/tls"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/pumpside/pumpside/monitor/central"
)

//go:embed static
var staticFS embed.FS

// Source is what the page shows: a *central.Store.
type Source interface {
	Page(ctx context.Context, now time.Time) (*central.Page, error)
	Trends(ctx context.Context, key string, now time.Time) (*central.Trends, bool, error)
}

// Config configures a Server.
type Config struct {
	Source Source
	Auth   *Auth
	// Log receives every page view, login, login failure and refusal.
	Log *slog.Logger
	// Refresh is how often the page is read from the database and pushed
	// to the browsers; default 2 s.
	Refresh time.Duration
	// Secure marks the session cookie Secure: set when serving TLS.
	Secure bool
	// QueryTimeout bounds one database query; default 10 s.
	QueryTimeout time.Duration
}

// Server is the department view's web server: one page, its data as
// server-sent events, a theatre's trends, and the login. It is read-only:
// nothing it serves changes anything.
type Server struct {
	cfg   Config
	mux   *http.ServeMux
	login *template.Template
	limit *limiter

	mu      sync.Mutex
	page    []byte        // the latest page, JSON
	updated chan struct{} // closed when page changes
	lastOK  time.Time
}

const cookieName = "pumpside_central"

// New returns a server; Run refreshes its page.
func New(cfg Config) (*Server, error) {
	if cfg.Source == nil || cfg.Auth == nil || cfg.Log == nil {
		return nil, errors.New("central/web: Source, Auth and Log are required")
	}
	if cfg.Refresh <= 0 {
		cfg.Refresh = 2 * time.Second
	}
	if cfg.QueryTimeout <= 0 {
		cfg.QueryTimeout = 10 * time.Second
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux(), updated: make(chan struct{}),
		limit: &limiter{max: 10, window: time.Minute, fails: map[string][]time.Time{}}}
	var err error
	s.login, err = template.ParseFS(staticFS, "static/login.html")
	if err != nil {
		return nil, err
	}
	sub, _ := fs.Sub(staticFS, "static")
	s.mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(sub)))
	s.mux.HandleFunc("GET /login", s.loginPage)
	s.mux.HandleFunc("POST /login", s.loginPost)
	s.mux.HandleFunc("POST /logout", s.logout)
	s.mux.HandleFunc("GET /{$}", s.authed(s.index))
	s.mux.HandleFunc("GET /api/page", s.authed(s.apiPage))
	s.mux.HandleFunc("GET /api/stream", s.authed(s.stream))
	s.mux.HandleFunc("GET /api/trends", s.authed(s.trends))
	return s, nil
}

// ServeHTTP adds the security headers and serves.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	if s.cfg.Secure {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
	s.mux.ServeHTTP(w, r)
}

// Run reads the page every Refresh until ctx is done.
func (s *Server) Run(ctx context.Context) error {
	tick := time.NewTicker(s.cfg.Refresh)
	defer tick.Stop()
	for {
		s.refresh(ctx)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// refresh reads the page once and wakes the streams.
func (s *Server) refresh(ctx context.Context) {
	qctx, cancel := context.WithTimeout(ctx, s.cfg.QueryTimeout)
	defer cancel()
	now := time.Now()
	p, err := s.cfg.Source.Page(qctx, now)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		// Keep the last theatres: the browser blanks their values as they
		// go stale, and says the database is not answering.
		var old central.Page
		if s.page != nil {
			_ = json.Unmarshal(s.page, &old)
		}
		old.Now, old.Error = now.UnixMilli(), "the database does not answer"
		if !s.lastOK.IsZero() {
			old.Error += " (last answer " + s.lastOK.Format("15:04:05") + ")"
		}
		s.cfg.Log.Warn("refresh failed", "err", err.Error())
		p = &old
	} else {
		s.lastOK = now
	}
	b, jerr := json.Marshal(p)
	if jerr != nil {
		s.cfg.Log.Error("page", "err", jerr.Error())
		return
	}
	s.page = b
	close(s.updated)
	s.updated = make(chan struct{})
}

// current returns the latest page and the channel closed at the next.
func (s *Server) current() ([]byte, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.page, s.updated
}

// authed lets a request through with a live session cookie or the token as
// a bearer; otherwise the page goes to the login and the API answers 401.
// Refusals are logged.
func (s *Server) authed(next func(http.ResponseWriter, *http.Request, string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie(cookieName); err == nil {
			if user, ok := s.cfg.Auth.Session(c.Value); ok {
				next(w, r, user)
				return
			}
		}
		if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			if s.cfg.Auth.CheckToken(tok) {
				next(w, r, "token")
				return
			}
			s.loginFailed(r, "token", "wrong bearer token")
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		s.cfg.Log.Info("refused", "path", r.URL.Path, "from", r.RemoteAddr, "why", "no session")
		if strings.HasPrefix(r.URL.Path, "/api/") {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		http.Redirect(w, r, "/login", http.StatusSeeOther)
	}
}

func (s *Server) loginFailed(r *http.Request, user, why string) {
	s.cfg.Log.Warn("login failed", "user", user, "from", r.RemoteAddr, "why", why)
	s.limit.fail(host(r), time.Now())
}

func host(r *http.Request) string {
	h, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return h
}

type loginView struct {
	Users, Token bool
	Message      string
}

func (s *Server) renderLogin(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	_ = s.login.Execute(w, loginView{Users: s.cfg.Auth.HasUsers(), Token: s.cfg.Auth.HasToken(), Message: msg})
}

// loginPage shows the form; with ?token= (a wall display's bookmark) it
// logs in and redirects, so the token leaves the address bar at once.
func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	if tok := r.URL.Query().Get("token"); tok != "" {
		s.tokenLogin(w, r, tok)
		return
	}
	s.renderLogin(w, http.StatusOK, "")
}

func (s *Server) loginPost(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	if err := r.ParseForm(); err != nil {
		s.renderLogin(w, http.StatusBadRequest, "The form could not be read.")
		return
	}
	if tok := r.PostForm.Get("token"); tok != "" {
		s.tokenLogin(w, r, tok)
		return
	}
	user, pw := r.PostForm.Get("user"), r.PostForm.Get("password")
	if len(user) > 64 {
		user = user[:64]
	}
	if s.limit.blocked(host(r), time.Now()) {
		s.loginFailed(r, user, "too many failures")
		s.renderLogin(w, http.StatusTooManyRequests, "Too many failed logins: wait a minute.")
		return
	}
	if !s.cfg.Auth.HasUsers() || !s.cfg.Auth.CheckPassword(user, pw) {
		s.loginFailed(r, user, "wrong user or password")
		s.renderLogin(w, http.StatusUnauthorized, "Wrong user name or password.")
		return
	}
	s.startSession(w, r, user)
}

func (s *Server) tokenLogin(w http.ResponseWriter, r *http.Request, tok string) {
	if s.limit.blocked(host(r), time.Now()) {
		s.loginFailed(r, "token", "too many failures")
		s.renderLogin(w, http.StatusTooManyRequests, "Too many failed logins: wait a minute.")
		return
	}
	if !s.cfg.Auth.CheckToken(tok) {
		s.loginFailed(r, "token", "wrong token")
		s.renderLogin(w, http.StatusUnauthorized, "Wrong access token.")
		return
	}
	s.startSession(w, r, "token")
}

func (s *Server) startSession(w http.ResponseWriter, r *http.Request, user string) {
	id := s.cfg.Auth.NewSession(user)
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: id, Path: "/", HttpOnly: true, Secure: s.cfg.Secure,
		SameSite: http.SameSiteStrictMode, MaxAge: int(s.cfg.Auth.ttl.Seconds())})
	s.cfg.Log.Info("login", "user", user, "from", r.RemoteAddr)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(cookieName); err == nil {
		if user, ok := s.cfg.Auth.Session(c.Value); ok {
			s.cfg.Log.Info("logout", "user", user, "from", r.RemoteAddr)
		}
		s.cfg.Auth.EndSession(c.Value)
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.cfg.Secure, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

func (s *Server) index(w http.ResponseWriter, r *http.Request, user string) {
	s.cfg.Log.Info("view", "page", "/", "user", user, "from", r.RemoteAddr)
	b, err := staticFS.ReadFile("static/index.html")
	if err != nil {
		http.Error(w, "page missing", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(b)
}

func (s *Server) apiPage(w http.ResponseWriter, r *http.Request, user string) {
	b, _ := s.current()
	if b == nil {
		http.Error(w, "not read yet", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}

// stream sends the page as server-sent events: now, and at every
// refresh, until the browser goes.
func (s *Server) stream(w http.ResponseWriter, r *http.Request, user string) {
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no")
	s.cfg.Log.Info("view", "page", "stream", "user", user, "from", r.RemoteAddr)
	send := func(b []byte) bool {
		_ = rc.SetWriteDeadline(time.Now().Add(10 * time.Second))
		if _, err := fmt.Fprintf(w, "data: %s\n\n", b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if _, err := fmt.Fprint(w, "retry: 3000\n\n"); err != nil {
		return
	}
	for {
		b, next := s.current()
		if b != nil && !send(b) {
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-next:
		}
	}
}

func (s *Server) trends(w http.ResponseWriter, r *http.Request, user string) {
	key := r.URL.Query().Get("key")
	if key == "" || len(key) > 200 {
		http.Error(w, "which theatre? (key)", http.StatusBadRequest)
		return
	}
	s.cfg.Log.Info("view", "page", "trends", "theatre", key, "user", user, "from", r.RemoteAddr)
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.QueryTimeout)
	defer cancel()
	tr, ok, err := s.cfg.Source.Trends(ctx, key, time.Now())
	switch {
	case err != nil:
		s.cfg.Log.Warn("trends failed", "theatre", key, "err", err.Error())
		http.Error(w, "the database does not answer", http.StatusBadGateway)
		return
	case !ok:
		http.Error(w, "no such theatre on the page", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(tr)
}

// Serve serves h on ln until ctx is done, with TLS when certFile is set
// (TLS 1.2 or newer), then shuts down, giving open requests 5 s.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, certFile, keyFile string, errLog *slog.Logger) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute,
		BaseContext: func(net.Listener) context.Context { return ctx }, ErrorLog: slog.NewLogLogger(errLog.Handler(), slog.LevelWarn)}
	if certFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return fmt.Errorf("central: TLS certificate: %w", err)
		}
		srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
		ln = tls.NewListener(ln, srv.TLSConfig)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx)
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
