package mmgp.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.Javalin;
import io.javalin.config.SizeUnit;
import io.javalin.json.JavalinJackson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import mmgp.engine.Engine;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code mmgp serve}: the HTTP API over one {@link Engine}. Starting it opens the job database,
 * settles the jobs a previous run left unfinished, builds the engine (with the metrics as its
 * listener), starts the retention sweep and listens. Closing it drains (see {@link #close}).
 */
public final class ApiServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ApiServer.class);

    private final ServerConfig config;
    private final Metrics metrics;
    private final JobStore store;
    private final Engine engine;
    private final JobService jobs;
    private final Javalin app;
    private final ScheduledExecutorService sweeper;
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

    private ApiServer(ServerConfig config, Engine.Builder engineBuilder, Clock clock, java.util.function.Consumer<Engine> beforeListening,
                      HttpGuards guards) throws IOException, SQLException {
        this.config = config;
        Files.createDirectories(config.dataDir());
        // Converted-model folders of a killed server (their lock is free); the provider also checks when it converts.
        mmgp.io.ScratchFolders.removeStale("mmgp-smolvlm-");
        ObjectMapper json = new ObjectMapper();
        metrics = new Metrics();
        store = new H2JobStore(config.dataDir());
        Engine built = null;
        try {
            built = engineBuilder.listener(metrics).build();
            engine = built;
            beforeListening.accept(engine);
            ResultFiles files = new ResultFiles(config.dataDir(), json);
            RequestParser parser = new RequestParser(json, config.limits());
            jobs = new JobService(engine, store, files, metrics, parser, json, clock);
            jobs.recover(config.requeueOnRestart());
            app = createApp(config, json, metrics, jobs, files, parser, new OpsRoutes(engine, store, metrics, json), guards);
            app.before("/readyz", ctx -> { // a load balancer stops sending work while the server drains
                if (jobs.shuttingDown()) throw new ApiException(503, "shutting_down", "the server is shutting down", null, 5);
            });
            app.start(config.host(), config.port());
        } catch (RuntimeException | IOException e) {
            if (built != null) built.close();
            store.close();
            throw e;
        }
        sweeper = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("mmgp-retention").daemon().factory());
        long every = config.sweepInterval().toMillis();
        sweeper.scheduleWithFixedDelay(this::sweepQuietly, 0, every, TimeUnit.MILLISECONDS); // first at start: a restart may find expired jobs
        log.info("listening on {}", url());
    }

    /** Starts a server whose engine is {@code engineBuilder} plus the server's metrics listener. */
    public static ApiServer start(ServerConfig config, Engine.Builder engineBuilder) throws IOException, SQLException {
        return new ApiServer(config, engineBuilder, Clock.systemUTC(), e -> { }, HttpGuards.defaults());
    }

    /** As {@link #start(ServerConfig, Engine.Builder)} with other HTTP guards (tests: short timeouts, fake uploads). */
    static ApiServer start(ServerConfig config, Engine.Builder engineBuilder, HttpGuards guards) throws IOException, SQLException {
        return new ApiServer(config, engineBuilder, Clock.systemUTC(), e -> { }, guards);
    }

    /** Like {@link #start(ServerConfig, Engine.Builder)}, running {@code beforeListening} (e.g. model preloading) before the port opens. */
    public static ApiServer start(ServerConfig config, Engine.Builder engineBuilder, java.util.function.Consumer<Engine> beforeListening)
            throws IOException, SQLException {
        return new ApiServer(config, engineBuilder, Clock.systemUTC(), beforeListening, HttpGuards.defaults());
    }

    /** As {@link #start(ServerConfig, Engine.Builder)} with the clock that stamps jobs (tests of retention). */
    static ApiServer start(ServerConfig config, Engine.Builder engineBuilder, Clock clock) throws IOException, SQLException {
        return new ApiServer(config, engineBuilder, clock, e -> { }, HttpGuards.defaults());
    }

    /** The HTTP app of a front end: access log, keys and limits, JSON errors, the /api and OpenAI-compatible /v1 routes over {@code jobs}, and {@code ops}. */
    static Javalin createApp(ServerConfig config, ObjectMapper json, Metrics metrics, Jobs jobs, ResultFiles files, RequestParser parser,
                             OpsRoutes ops) throws IOException {
        return createApp(config, json, metrics, jobs, files, parser, ops, HttpGuards.defaults());
    }

    static Javalin createApp(ServerConfig config, ObjectMapper json, Metrics metrics, Jobs jobs, ResultFiles files, RequestParser parser,
                             OpsRoutes ops, HttpGuards guards) throws IOException {
        return createApp(config, json, metrics, jobs, files, parser, ops, guards, new RateLimiter(config.rateLimitPerMinute()));
    }

    /** @param limiter the per-key rate limit of job submissions (a cluster's front ends share its buckets) */
    static Javalin createApp(ServerConfig config, ObjectMapper json, Metrics metrics, Jobs jobs, ResultFiles files, RequestParser parser,
                             OpsRoutes ops, HttpGuards guards, RateLimiter limiter) throws IOException {
        Path tmpDir = config.dataDir().resolve("tmp");
        // Jetty deletes an upload's spill files when its request ends; a killed server leaves them,
        // and nothing is receiving yet, so whatever is here now is such a leftover.
        ResultFiles.deleteTree(tmpDir, false);
        String tmp = Files.createDirectories(tmpDir).toString();
        Javalin javalin = Javalin.create(c -> {
            c.showJavalinBanner = false;
            c.startupWatcherEnabled = false;
            c.jsonMapper(new JavalinJackson(json, false));
            c.http.prefer405over404 = true;
            // A request thread blocked on a slow body is a parked virtual thread, so stalled
            // uploads cannot use up a pool that /healthz and status polls also need.
            c.useVirtualThreads = true;
            c.jetty.modifyHttpConfiguration(h -> {
                h.setIdleTimeout(guards.idleTimeout().toMillis()); // a blocking body read that waits this long fails (408)
                h.setMinRequestDataRate(guards.minBodyBytesPerSecond()); // a trickling body fails too (408)
            });
            c.jetty.modifyServer(server -> {
                server.setErrorHandler(new JettyJsonErrors());
                server.addEventListener(new org.eclipse.jetty.util.component.LifeCycle.Listener() {
                    @Override
                    public void lifeCycleStarting(org.eclipse.jetty.util.component.LifeCycle event) {
                        for (org.eclipse.jetty.server.Connector connector : server.getConnectors()) {
                            if (connector instanceof org.eclipse.jetty.server.AbstractConnector a) a.setIdleTimeout(guards.idleTimeout().toMillis());
                        }
                    }
                });
            });
            c.jetty.modifyServletContextHandler(h -> h.setErrorHandler(new JettyJsonErrors()));
            c.http.maxRequestSize = JobRoutes.MAX_JSON_BYTES; // JSON bodies (also checked as read); uploads are bounded by the multipart limits below
            c.jetty.multipartConfig.cacheDirectory(tmp);
            c.jetty.multipartConfig.maxFileSize(config.maxUploadBytes(), SizeUnit.BYTES);
            c.jetty.multipartConfig.maxTotalRequestSize(config.maxUploadBytes() + UploadLimits.FORM_OVERHEAD_BYTES, SizeUnit.BYTES);
            // Parts above this go to disk. Jetty keeps up to 1000 parts per form, so this bounds a
            // form's heap to ~16 MiB however it is cut up (form fields are far smaller).
            c.jetty.multipartConfig.maxInMemoryFileSize(16, SizeUnit.KB);
            if (!config.corsOrigins().isEmpty()) {
                c.bundledPlugins.enableCors(cors -> cors.addRule(rule -> {
                    List<String> o = config.corsOrigins();
                    rule.allowHost(o.getFirst(), o.subList(1, o.size()).toArray(String[]::new));
                    rule.exposeHeader("Location");
                    rule.exposeHeader("Retry-After");
                }));
            }
        });
        AccessLog access = new AccessLog(metrics);
        AccessControl control = new AccessControl(new ApiKeys(config.apiKeys()), config.noAuth(), config.metricsNeedAuth(), limiter);
        javalin.before(access::before);
        javalin.before(control::check);
        javalin.after(access::after);
        JsonErrors.install(javalin, jobs);
        new JobRoutes(jobs, parser, files, json, config.maxUploadBytes(), guards).register(javalin);
        new OpenAiRoutes(jobs, parser, files, json, config.maxUploadBytes()).register(javalin);
        new HistoryRoutes(jobs, json).register(javalin);
        new ProgressSocket(jobs, control).register(javalin);
        ops.register(javalin);
        return javalin;
    }

    private void sweepQuietly() {
        try {
            jobs.sweep(config.retention());
        } catch (RuntimeException e) {
            log.warn("retention sweep failed: {}", e.toString());
        }
    }

    /** Runs the retention sweep now; returns how many finished jobs it removed. */
    public int sweepNow() {
        return jobs.sweep(config.retention());
    }

    public int port() {
        return app.port();
    }

    /** http://host:port (IPv6 hosts in brackets). */
    public String url() {
        String h = config.host().contains(":") ? "[" + config.host() + "]" : config.host();
        return "http://" + h + ":" + port();
    }

    public Engine engine() {
        return engine;
    }

    public Metrics metrics() {
        return metrics;
    }

    /** The job service (tests look at its event streams). */
    JobService jobs() {
        return jobs;
    }

    /** The Javalin app (the OpenAPI check reads its routes). */
    Javalin app() {
        return app;
    }

    /**
     * Stops gracefully: new jobs are refused (503) while the port stays open for status and
     * downloads; running batches get the engine's close timeout ({@code --drain-seconds}) to
     * finish and are cancelled after it; queued jobs, and running ones cancelled, stay unfinished
     * in the database for the next start (which runs queued ones again). Then the port closes.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) return;
        sweeper.shutdownNow();
        jobs.beginShutdown();
        engine.close();
        jobs.close();
        app.stop();
        store.close();
        metrics.close();
        log.info("stopped");
    }
}
