package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/pumpside/pumpside/monitor/exchange"
	"github.com/pumpside/pumpside/monitor/hl7out"
	"github.com/pumpside/pumpside/monitor/report"
	"github.com/pumpside/pumpside/monitor/site"
)

func init() {
	register(command{
		name:    "send",
		summary: "send case files' perfusion records to the hospital record: HL7 v2.5.1 ORU^R01 over MLLP, through a durable outbox",
		run:     runSend,
	})
}

func runSend(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fl := newFlagSet("send", "CASEFILE... [--site-file FILE] [--wait 2m] [--identify] [--status]",
		"Sends each case's perfusion record to the site's interface engine as an HL7 v2.5.1\n"+
			"ORU^R01 message over MLLP (docs/integration.md): the summary as discrete values, the\n"+
			"observation grid, the quality indicators and the report PDF. The message is first\n"+
			"queued in the case's outbox (CASEFILE.hl7out, beside it) and stays there until the\n"+
			"engine acknowledges it with AA; a version already acknowledged is never sent again,\n"+
			"and a case edited after sending goes again as a correction. An AE or AR is shown with\n"+
			"the engine's text and sent again after a back-off (held after max_naks refusals); no\n"+
			"answer is retried with back-off until --wait ends, and what is left stays queued for\n"+
			"the next pumpside send (or the console).\n"+
			"The engine and the message fields come from the site file's [hl7] section\n"+
			"(docs/site.md: --site-file, else $"+site.EnvFile+", else pumpside/site.toml in the\n"+
			"user's config directory), with its zone, units, grid interval, cardioplegia solutions\n"+
			"and quality indicators. The patient is the case's pseudonym unless the site file\n"+
			"enables identified sending; --identify where it does not is refused. A record not yet\n"+
			"signed off goes as preliminary (P); the signed record as final, or as a correction.\n"+
			"Exit status: 0 when every message was acknowledged (or, with --status, listed), 1 when\n"+
			"some wait in the outbox or were held, 2 on bad usage, a bad site configuration, or a\n"+
			"case that cannot be read.", stdout, stderr)
	sf := addSiteFlags(fl)
	identify := fl.Bool("identify", false, "send the patient's identifiers: refused unless the site enables identified sending (it is then the default)")
	secretFile := fl.String("secret-file", "", "`FILE` holding the site secret for pseudonyms (default: $"+siteSecretEnv+")")
	wait := fl.Duration("wait", 2*time.Minute, "how long to keep trying; 0 queues only")
	status := fl.Bool("status", false, "list each case's outbox: control IDs, versions, acknowledged or waiting")
	pos, code, ok := parseInterspersed(fl, args)
	if !ok {
		return code
	}
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(stderr, "pumpside send: "+format+"\n", a...)
		return code
	}
	if len(pos) == 0 {
		return fail(2, "at least one CASEFILE is required")
	}
	cfg, ok := sf.load("send", stderr)
	if !ok {
		return 2
	}
	if *status {
		return sendStatus(pos, cfg.Location(), stdout, stderr)
	}
	if cfg.HL7.Address == "" {
		return fail(2, "no interface engine: set [hl7] address in the site file (%s)", orDefault(cfg.Path, "none found"))
	}
	tlsCfg, err := cfg.HL7.TLSConfig()
	if err != nil {
		return fail(2, "site file %s: %v", cfg.Path, err)
	}
	identified, err := siteIdentified(cfg, *identify)
	if err != nil {
		return fail(2, "%v", err)
	}
	priv, ok := sendPrivacy("send", cfg, identified, *secretFile, stderr)
	if !ok {
		return 2
	}
	msgCfg := hl7Message(cfg.HL7)
	client := &hl7out.Client{Address: cfg.HL7.Address, TLS: tlsCfg, AckTimeout: cfg.HL7.AckTimeout}
	defer client.Close()
	left := 0
	for _, path := range pos {
		rec, err := buildRecord("send", path, cfg, priv, identified, stderr)
		if err != nil {
			fmt.Fprintf(stderr, "pumpside send: %s: %v\n", path, err)
			return 2
		}
		o, err := hl7out.OpenOutbox(path)
		if errors.Is(err, hl7out.ErrBusy) {
			fmt.Fprintf(stderr, "pumpside send: %s: another Pumpside process (the console?) is sending this case; try again when it is done\n", path)
			left++
			continue
		}
		if err != nil {
			return fail(1, "%s: %v", path, err)
		}
		for _, r := range o.Repaired {
			fmt.Fprintf(stderr, "pumpside send: %s: outbox: %s\n", path, r)
		}
		e, added, err := hl7out.QueueRecord(o, rec, msgCfg, time.Now())
		if err != nil {
			o.Close()
			return fail(1, "%s: %v", path, err)
		}
		switch {
		case added:
			fmt.Fprintf(stdout, "%s: queued %s (%s)\n", path, e.ControlID, statusName(e.Status))
		case e.State == hl7out.Acknowledged:
			fmt.Fprintf(stdout, "%s: this version was acknowledged as %s on %s: not sent again\n", path, e.ControlID, e.AckedAt.In(cfg.Location()).Format(time.RFC3339))
		default:
			fmt.Fprintf(stdout, "%s: this version is queued as %s\n", path, e.ControlID)
		}
		if *wait > 0 {
			wctx, cancel := context.WithTimeout(ctx, *wait)
			snd := &hl7out.Sender{Outbox: o, Client: client, RetryMin: cfg.HL7.RetryMin, RetryMax: cfg.HL7.RetryMax, MaxNAKs: cfg.HL7.MaxNAKs,
				Log: func(l string) {
					fmt.Fprintf(stderr, "%s %s\n", time.Now().In(cfg.Location()).Format("15:04:05 MST"), l)
				}}
			err := snd.Run(wctx)
			cancel()
			var held *hl7out.HeldError
			switch {
			case errors.As(err, &held):
				fmt.Fprintf(stderr, "pumpside send: %s: %v\n", path, err)
			case err != nil && ctx.Err() == nil && !errors.Is(err, context.DeadlineExceeded):
				fmt.Fprintf(stderr, "pumpside send: %s: %v\n", path, err)
			}
		}
		if n := len(o.Pending()); n > 0 {
			fmt.Fprintf(stdout, "%s: %d message(s) wait in %s: pumpside send sends them again\n", path, n, o.Dir())
			left++
		} else {
			fmt.Fprintf(stdout, "%s: acknowledged\n", path)
		}
		o.Close()
		if ctx.Err() != nil {
			return fail(1, "%v: what is unsent stays in the outbox", ctx.Err())
		}
	}
	if left > 0 {
		return 1
	}
	return 0
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func statusName(s hl7out.Status) string { return s.String() }

func sendStatus(paths []string, loc *time.Location, stdout, stderr io.Writer) int {
	tw := tabwriter.NewWriter(stdout, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "case\tseq\tcontrol ID\tstatus\tqueued\tstate\trefusals\tlast refusal")
	for _, p := range paths {
		es, err := hl7out.OutboxStatus(p)
		if err != nil {
			fmt.Fprintf(stderr, "pumpside send: %s: %v\n", p, err)
			return 2
		}
		if len(es) == 0 {
			fmt.Fprintf(tw, "%s\t-\t-\t-\t-\tnever queued\t\t\n", p)
		}
		for _, e := range es {
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%d\t%s\n", p, e.Seq, e.ControlID, statusName(e.Status), e.Queued.In(loc).Format(time.RFC3339), e.State, e.NAKs, e.LastNAK)
		}
	}
	tw.Flush()
	return 0
}

// sendPrivacy resolves the site secret for a record that leaves the
// machine: the pseudonym needs it; an identified record does not.
func sendPrivacy(cmd string, cfg *site.Config, identified bool, secretFile string, stderr io.Writer) (report.Privacy, bool) {
	zero, mapLow, svo2, outlet := 0.0, 0.0, 0.0, 0.0
	pf := &privacyFlags{identify: &identified, secretFile: &secretFile, do2i: &zero, mapLow: &mapLow, svo2Low: &svo2, outletHigh: &outlet, cfg: cfg}
	return pf.privacy(cmd, stderr)
}

// hl7Message is the message's own fields from the site file's [hl7].
func hl7Message(h site.HL7) hl7out.MessageConfig {
	return hl7out.MessageConfig{SendingApplication: h.SendingApplication, SendingFacility: h.SendingFacility,
		ReceivingApplication: h.ReceivingApplication, ReceivingFacility: h.ReceivingFacility, ProcessingID: h.ProcessingID,
		AssigningAuthority: h.AssigningAuthority, IdentifierType: h.IdentifierType, PatientClass: h.PatientClass, LocalSystem: h.LocalSystem}
}

// buildRecord reads a case file and gathers the record that leaves the
// machine: the summary with the site file's settings (zone, units, grid,
// cardioplegia solutions, quality indicators) and the DO2i threshold's
// scaling of the built-in profile of the run's mode, the PDF. Bad lines go
// to stderr.
func buildRecord(cmd, path string, cfg *site.Config, priv report.Privacy, identified bool, stderr io.Writer) (*exchange.Record, error) {
	c, ok := loadCaseFile(cmd, path, stderr)
	if !ok {
		return nil, errors.New("not read")
	}
	s, err := report.Summarize(c, withDO2iScaling(siteSettings(cfg), nil, c), priv)
	if err != nil {
		return nil, err
	}
	return exchange.Build(c, s, priv, exchange.Options{Identified: identified, PatientIDField: cfg.Privacy.PatientIDField})
}

// startSignOffSender starts the background sender a console hands each
// signed-off case to (its SignedOff never blocks), when the site file
// sends at sign-off ([hl7] send_on_signoff); nil otherwise. It first
// resends what the record directory's outboxes still hold. The console's
// signoff entry (record_entries.go, session.signedOff) calls the returned
// Service's SignedOff.
func startSignOffSender(ctx context.Context, cfg *site.Config, recordDir string, stderr io.Writer) (*hl7out.Service, error) {
	if !cfg.HL7.SendOnSignOff {
		return nil, nil
	}
	tlsCfg, err := cfg.HL7.TLSConfig()
	if err != nil {
		return nil, fmt.Errorf("site file %s: %w", cfg.Path, err)
	}
	identified, err := siteIdentified(cfg, false)
	if err != nil {
		return nil, err
	}
	priv, ok := sendPrivacy("run", cfg, identified, "", stderr)
	if !ok {
		return nil, errors.New("no site secret for the pseudonyms")
	}
	logf := func(l string) {
		fmt.Fprintf(stderr, "%s %s\n", time.Now().In(cfg.Location()).Format("15:04:05 MST"), l)
	}
	build := func(path string) (*exchange.Record, error) {
		return buildRecord("run", path, cfg, priv, identified, stderr)
	}
	svc := hl7out.NewService(&hl7out.Client{Address: cfg.HL7.Address, TLS: tlsCfg, AckTimeout: cfg.HL7.AckTimeout}, hl7Message(cfg.HL7), build, logf)
	svc.RetryMin, svc.RetryMax, svc.MaxNAKs = cfg.HL7.RetryMin, cfg.HL7.RetryMax, cfg.HL7.MaxNAKs
	var resume []string
	if recordDir != "" {
		if resume, err = hl7out.PendingCases(recordDir); err != nil {
			logf("HL7: " + err.Error())
		}
	}
	go svc.Run(ctx, resume...)
	return svc, nil
}
