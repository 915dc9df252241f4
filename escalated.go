// Package escalated is an embeddable helpdesk. Create a Desk with New, mount Desk.Handler()
// under the route prefix (default /support), and run Desk.Run for background work.
//
//	desk, err := escalated.New(escalated.Config{Database: "escalated.db"},
//		escalated.WithIdentityResolver(func(r *http.Request) (*escalated.HostUser, error) { ... }))
//	mux.Handle("/support/", desk.Handler())
package escalated

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/uptrace/bun"

	"github.com/escalated-dev/escalated-go/internal/audit"
	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/autoclose"
	"github.com/escalated-dev/escalated-go/internal/canned"
	"github.com/escalated-dev/escalated-go/internal/clock"
	"github.com/escalated-dev/escalated-go/internal/db"
	"github.com/escalated-dev/escalated-go/internal/department"
	"github.com/escalated-dev/escalated-go/internal/event"
	"github.com/escalated-dev/escalated-go/internal/guest"
	"github.com/escalated-dev/escalated-go/internal/jobs"
	"github.com/escalated-dev/escalated-go/internal/notification"
	"github.com/escalated-dev/escalated-go/internal/report"
	"github.com/escalated-dev/escalated-go/internal/rules"
	"github.com/escalated-dev/escalated-go/internal/secretbox"
	"github.com/escalated-dev/escalated-go/internal/settings"
	"github.com/escalated-dev/escalated-go/internal/sla"
	"github.com/escalated-dev/escalated-go/internal/storage"
	"github.com/escalated-dev/escalated-go/internal/tag"
	"github.com/escalated-dev/escalated-go/internal/ticket"
	"github.com/escalated-dev/escalated-go/internal/twofactor"
	"github.com/escalated-dev/escalated-go/internal/web"
	"github.com/escalated-dev/escalated-go/internal/webhook"
	"github.com/escalated-dev/escalated-go/internal/workflow"
)

// HostUser is the embedding application's signed-in user, as its identity resolver reports
// them. Role is "customer", "agent", "light_agent", "admin" or a custom role's slug.
type HostUser = auth.HostUser

// IdentityResolver maps a request of the host application to its signed-in user. It returns
// nil and no error when nobody is signed in.
type IdentityResolver func(*http.Request) (*HostUser, error)

// Event is a domain event, delivered to listeners after its change commits.
type Event = event.Event

// Clock tells the desk the time; tests pass a fake one.
type Clock = clock.Clock

// Option changes how New builds the desk.
type Option func(*options)

type options struct {
	resolver  IdentityResolver
	listeners []event.Listener
	clock     clock.Clock
	logger    *slog.Logger
	argon     *argon2id.Params
	ui        UI
}

// WithIdentityResolver makes the host application's sign-in the desk's: the desk's own login
// routes are then not used, and the resolver decides who is asking.
func WithIdentityResolver(r IdentityResolver) Option { return func(o *options) { o.resolver = r } }

// WithEventListener adds a function that receives every domain event after commit.
func WithEventListener(l func(context.Context, Event)) Option {
	return func(o *options) { o.listeners = append(o.listeners, l) }
}

// WithClock replaces the wall clock, for tests.
func WithClock(c Clock) Option { return func(o *options) { o.clock = c } }

// WithLogger sets the logger; the default discards nothing and writes to slog.Default().
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithPasswordCost sets the argon2id cost of password hashes. Tests use a low cost to stay
// fast; production keeps the default.
func WithPasswordCost(memoryKiB uint32, iterations uint32) Option {
	return func(o *options) {
		o.argon = &argon2id.Params{Memory: memoryKiB, Iterations: iterations, Parallelism: 1, SaltLength: 16, KeyLength: 32}
	}
}

// UI is a build of the web frontend for the desk to serve instead of its own: say, the
// shared @escalated-dev/escalated pages built by the host with its own Vite configuration.
// See docs/embedding.md.
type UI struct {
	// Assets is the Vite build output directory (build.outDir, with build.manifest on); the
	// desk serves its files under <prefix>/build/, so the build's base must be that path.
	// Nil keeps the desk's own build.
	Assets fs.FS
	// Manifest is the path of the Vite manifest in Assets; default ".vite/manifest.json".
	Manifest string
	// Entry is the manifest key of the entry module; default "src/main.js".
	Entry string
	// Template is the HTML page of a first visit; nil keeps the desk's. It is executed with
	// .Page (the page object as JSON, for the root element's data-page attribute),
	// .CSRFToken (for <meta name="csrf-token">), .Script (the entry module's URL), .Styles
	// and .Preloads (URLs of its stylesheets and imported chunks).
	Template *template.Template
}

// WithUI serves another build of the web frontend, or another page shell, or both.
func WithUI(ui UI) Option { return func(o *options) { o.ui = ui } }

// Desk is one helpdesk: its database, services and HTTP handler.
type Desk struct {
	cfg      Config
	db       *db.DB
	log      *slog.Logger
	clock    clock.Clock
	handler  http.Handler
	auth     *auth.Service
	tickets  *ticket.Service
	settings *settings.Store
	sessions *auth.SessionStore
	files    *storage.Disk
	jobs     *jobs.Jobs
	rules    *rules.Service
	// workflows runs the workflows on ticket events.
	workflows *workflow.Service

	// Tickets creates and replies to tickets from Go code.
	Tickets *Tickets
	// Users creates accounts from Go code.
	Users *Users
	// Roles creates custom roles from Go code.
	Roles *Roles
	// Tokens creates API tokens from Go code.
	Tokens *Tokens
}

// New opens the database, applies migrations and builds the desk.
func New(cfg Config, opts ...Option) (*Desk, error) {
	cfg = cfg.withDefaults()
	o := options{clock: clock.Real{}, logger: slog.Default()}
	for _, opt := range opts {
		opt(&o)
	}
	proxies, err := cfg.trustedProxies()
	if err != nil {
		return nil, err
	}
	var slaEngine *sla.Engine
	if *cfg.Sla.Enabled {
		hours, err := cfg.Sla.BusinessHours.schedule()
		if err != nil {
			return nil, err
		}
		slaEngine = sla.NewEngine(hours)
	}
	var totpBox, webhookBox *secretbox.Box
	if cfg.SecretKey != "" {
		if totpBox, err = secretbox.New(cfg.SecretKey, "totp secret"); err != nil {
			return nil, fmt.Errorf("config: secret_key: %w", err)
		}
		if webhookBox, err = secretbox.New(cfg.SecretKey, "webhook secret"); err != nil {
			return nil, fmt.Errorf("config: secret_key: %w", err)
		}
	}
	ctx := context.Background()
	d, err := db.Open(ctx, cfg.Database)
	if err != nil {
		return nil, err
	}
	now := o.clock.Now()
	err = d.Migrate(ctx, map[int]db.Seeder{1: func(ctx context.Context, tx bun.Tx, _ db.Dialect) error {
		if err := auth.Seed(ctx, tx, now); err != nil {
			return err
		}
		return ticket.Seed(ctx, tx, now)
	}})
	if err != nil {
		d.Close()
		return nil, err
	}
	files, err := storage.OpenDisk(cfg.StoragePath)
	if err != nil {
		d.Close()
		return nil, err
	}
	bg, err := jobs.New(ctx, d, jobs.Options{Clock: o.clock, Logger: o.logger})
	if err != nil {
		files.Close()
		d.Close()
		return nil, err
	}
	bus := event.NewBus(o.logger)
	for _, l := range o.listeners {
		bus.Subscribe(l)
	}
	defaults := settings.Defaults()
	defaults["ticket_reference_prefix"] = cfg.TicketReferencePrefix
	defaults["default_priority"] = cfg.DefaultPriority
	defaults["allow_customer_close"] = *cfg.AllowCustomerClose
	defaults["auto_close_resolved_after_days"] = *cfg.AutoCloseResolvedAfterDays

	desk := &Desk{cfg: cfg, db: d, log: o.logger, clock: o.clock, files: files, jobs: bg}
	desk.auth = auth.NewService(d, o.clock, o.argon)
	desk.settings = settings.NewStore(d, o.clock, defaults)
	var ticketOpts []ticket.Option
	if slaEngine != nil {
		ticketOpts = append(ticketOpts, ticket.WithSLA(slaEngine))
	}
	desk.tickets = ticket.NewService(d, o.clock, bus, desk.settings, ticketOpts...)
	desk.tickets.RegisterJobs(bg)
	if slaEngine != nil {
		sla.NewSweeper(d, o.clock, desk.tickets, o.logger).RegisterJobs(bg)
	}
	desk.sessions = auth.NewSessionStore(desk.auth)
	desk.sessions.RegisterJobs(bg)
	registerMaintenance(bg, d)
	desk.rules = rules.NewService(d, o.clock, desk.tickets, o.logger)
	desk.rules.RegisterJobs(bg)
	webhooks := webhook.NewService(d, o.clock, webhookBox, desk.settings, bg, o.logger)
	webhooks.RegisterJobs()
	desk.tickets.OnEventsTx(webhooks.EnqueueTx)
	desk.workflows = workflow.NewService(d, o.clock, desk.tickets, desk.rules, bg, o.logger)
	desk.workflows.Snoozer = ticket.OpSnooze
	// send_webhook actions are delivered by the webhook service, and the outcome of each
	// attempt is written to the workflow's run log.
	desk.workflows.Webhooks = webhooks
	webhooks.ActionLog = desk.workflows.RecordWebhook
	autoclose.New(d, o.clock, desk.tickets, desk.settings, bg, o.logger)
	desk.Tickets = &Tickets{desk: desk}
	desk.Users = &Users{desk: desk}
	desk.Roles = &Roles{desk: desk}
	desk.Tokens = &Tokens{desk: desk}

	schedules := sla.NewSchedules(d, o.clock)
	policies := sla.NewPolicies(d, o.clock, cfg.Sla.BusinessHoursOnly)
	if slaEngine != nil {
		// The engine caches the active policies; their changes reach it at once.
		schedules.Changed, policies.Changed = slaEngine.Invalidate, slaEngine.Invalidate
	}

	var resolver web.Resolver
	if o.resolver != nil {
		resolver = func(r *http.Request) (*auth.HostUser, error) { return o.resolver(r) }
	}
	desk.handler, err = web.New(web.Deps{
		Prefix:        "/" + cfg.RoutePrefix,
		DB:            d,
		Clock:         o.clock,
		Log:           o.logger,
		Auth:          desk.auth,
		Tickets:       desk.tickets,
		Guests:        guest.NewService(d, o.clock, desk.tickets, desk.settings),
		Settings:      desk.settings,
		Departments:   department.NewService(d, o.clock),
		Tags:          tag.NewService(d, o.clock),
		Canned:        canned.NewService(d, o.clock),
		BusinessHours: schedules,
		SLAPolicies:   policies,
		Audit:         audit.NewLog(d),
		Notifications: notification.NewService(d, o.clock),
		TwoFactor:     twofactor.NewService(d, o.clock, totpBox, desk.auth),
		Rules:         desk.rules,
		Reports:       report.NewService(d, o.clock),
		Workflows:     desk.workflows,
		Webhooks:      webhooks,
		Sessions:      desk.sessions,
		Storage:       files,
		Resolver:      resolver,
		SecureCookies: cfg.SecureCookies,
		MaxBodyBytes:  cfg.MaxBodyBytes,
		// Negative limits (turned off) pass as they are; the web layer ignores those <= 0.
		RateLimits:     web.RateLimits(cfg.RateLimits),
		TrustedProxies: proxies,
		Frontend:       web.Frontend{Assets: o.ui.Assets, Manifest: o.ui.Manifest, Entry: o.ui.Entry, Shell: o.ui.Template},
	})
	if err != nil {
		desk.Close()
		return nil, err
	}
	return desk, nil
}

// Handler serves the desk under its route prefix, e.g. mux.Handle("/support/", desk.Handler()).
func (d *Desk) Handler() http.Handler { return d.handler }

// Config returns the configuration the desk runs with, defaults filled in.
func (d *Desk) Config() Config { return d.cfg }

// stopJobsWithin bounds how long Run and Close wait for background jobs when the desk stops:
// running jobs get jobs.DefaultStopTimeout to finish, then their contexts are cancelled.
const stopJobsWithin = jobs.DefaultStopTimeout + 5*time.Second

// Run does the desk's background work until ctx ends, then lets running jobs finish: the
// jobs its changes enqueue and its periodic work, such as removing expired sessions. A host may run it in another process than the one
// serving HTTP, or in several: jobs are stored in the database, and periodic work runs once
// per period across processes. Work is enqueued whether or not Run is running.
func (d *Desk) Run(ctx context.Context) error {
	if err := d.jobs.Start(ctx); err != nil {
		return err
	}
	indexing := make(chan struct{})
	go func() {
		defer close(indexing)
		d.keepSearchIndexed(ctx)
	}()
	<-ctx.Done()
	<-indexing
	stop, cancel := context.WithTimeout(context.WithoutCancel(ctx), stopJobsWithin)
	defer cancel()
	return d.jobs.Stop(stop)
}

// Close stops background work, waiting for running jobs as Run does, and releases the
// database and the attachment directory.
func (d *Desk) Close() error {
	stop, cancel := context.WithTimeout(context.Background(), stopJobsWithin)
	defer cancel()
	return errors.Join(d.jobs.Stop(stop), d.db.Close(), d.files.Close())
}

// Ping checks that the database answers.
func (d *Desk) Ping(ctx context.Context) error { return d.db.Ping(ctx) }

func (d *Desk) actor(ctx context.Context, userID int64) (*auth.Actor, error) {
	if userID == 0 {
		return auth.System(), nil
	}
	a, err := d.auth.Actor(ctx, userID, "")
	if err != nil {
		return nil, fmt.Errorf("escalated: acting user %d: %w", userID, err)
	}
	return a, nil
}
