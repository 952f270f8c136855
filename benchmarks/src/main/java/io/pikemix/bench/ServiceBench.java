package io.pikemix.bench;

import io.pikemix.format.DatasetInfo;
import io.pikemix.mixer.ConceptualParams;
import io.pikemix.mixer.DomainRows;
import io.pikemix.mixer.MixConfig;
import io.pikemix.mixer.PikeParams;
import io.pikemix.mixer.Rounding;
import io.pikemix.mixer.Strategies;
import io.pikemix.mixer.Strategy;
import io.pikemix.service.MixerServer;
import io.pikemix.service.ServiceConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code bench/service DATASET [SECONDS] [MAX_REQUESTS]}: latency of {@code /v1/manifest}, {@code /v1/batch} and
 * {@code /v1/stats} with 8 concurrent clients (workers 0..7 of 8, batch 256) on loopback, each phase bounded by
 * SECONDS and by MAX_REQUESTS per client. Manifests and batches: PiKE with T = 10⁹, so only step 0 waits for
 * statistics and the clients walk the steps together (the service freezes steps ahead of them and forces those
 * freeze events in the background, so reads wait for no fsync). {@code /v1/weights}: the same server afterwards.
 * Statistics: PiKE with T = 1, every client posts its report for step t and then long-polls step t + 1 (the
 * poll is not timed); each report is fsynced before its answer, concurrent reports sharing one fsync (group commit).
 * Then the floor: the same clients against {@code GET /healthz}, the service's cheapest endpoint, on the first server
 * (printed, not in RESULT). Ends with {@code RESULT manifest_p99_ms=X batch_p99_ms=Y weights_p99_ms=W stats_p99_ms=Z}.
 *
 * <p>{@code --rate R1,R2,.. DATASET SECONDS}: the same phases, floor included, open loop at fixed rates
 * ({@link #rateMode}, {@link OpenLoop}), and two lockstep floors beside the lockstep statistics; ends with one
 * {@code RESULT rate=R manifest_p99_ms=.. batch_p99_ms=.. weights_p99_ms=.. stats_p99_ms=.. floor_p99_ms=..
 * floor_lockstep_p99_ms=.. refused_lockstep_p99_ms=..} line per rate.
 *
 * <p>The clients: {@code -Dpike.bench.client=socket} (the default) gives each client thread one plain keep-alive
 * socket ({@link SocketClient}: reused buffers, no allocation per request), {@code -Dpike.bench.client=jdk} the JDK
 * {@link HttpClient} (one per server, as before 2026-11-28). The server runs in this JVM either way; a trainer's client
 * runs in another process, usually on another machine, so the JDK client's own CPU (its selector and worker threads)
 * and garbage (G1 pauses) measure the load generator more than the service.
 */
public final class ServiceBench {
    /**
     * Concurrent clients, and the workers the service pools statistics from (default 8; {@code -Dpike.bench.clients=N},
     * N ≤ 8, to see how much of the p99 is 8 client threads sharing the cores with the server). Manifests and batches
     * are always shares of 8 (32 rows of b = 256), whatever N.
     */
    static final int CLIENTS = Integer.getInteger("pike.bench.clients", 8);

    /** {@code socket} (lean, the default) or {@code jdk} (the JDK HttpClient). */
    static final String CLIENT = System.getProperty("pike.bench.client", "socket");

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("--soak")) {
            ServiceSoak.main(Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        if (args.length > 1 && args[0].equals("--rate")) {
            rateMode(
                    OpenLoop.rates(args[1]),
                    Path.of(args.length > 2 ? args[2] : "data/genres"),
                    args.length > 3 ? Double.parseDouble(args[3]) : 10);
            System.exit(0);
        }
        if (!CLIENT.equals("socket") && !CLIENT.equals("jdk"))
            throw new IllegalArgumentException("-Dpike.bench.client must be socket or jdk, not " + CLIENT);
        Path dataset = Path.of(args[0]);
        double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 10;
        int maxRequests = args.length > 2 ? Integer.parseInt(args[2]) : 3000;
        DatasetInfo info = DatasetInfo.read(dataset);
        List<DomainRows> domains = DomainRows.training(info);
        int K = domains.size();
        System.out.printf(
                Locale.ROOT,
                "service bench: %s (%d domains, row length %d), batch 256, %d clients (%s), <= %.0f s and <= %d requests per client per phase%n",
                dataset,
                K,
                info.rowLength(),
                CLIENTS,
                CLIENT.equals("jdk") ? "JDK HttpClient" : "one keep-alive socket each",
                seconds,
                maxRequests);
        Path tmp = Files.createTempDirectory("pike-service-bench");
        double manifestP99, batchP99, weightsP99;
        try (var server = MixerServer.start(config(domains, 1_000_000_000, tmp.resolve("a"), dataset));
                var clients = new Clients(server)) {
            Conn[] conns = clients.conns;
            for (int w = 0; w < CLIENTS; w++) { // step 0 closes; all later steps are ready
                Conn k = conns[w];
                k.target.clear().add("/v1/stats");
                statsBody(k.body.clear(), 0, w, K);
                k.post();
            }
            run("warm-up", 2, 200, (t, c, i) -> share(t, "/v1/batch?format=binary&step=", 1 + i, c), conns, false);
            long[] beforeManifest = serverHistogram(server.port(), "GET", "/v1/manifest");
            manifestP99 = run(
                    "/v1/manifest",
                    seconds,
                    maxRequests,
                    (t, c, i) -> share(t, "/v1/manifest?step=", 1000 + i, c),
                    conns,
                    true);
            printServerSide(beforeManifest, serverHistogram(server.port(), "GET", "/v1/manifest"));
            long[] beforeBatch = serverHistogram(server.port(), "GET", "/v1/batch");
            batchP99 = run(
                    "/v1/batch",
                    seconds,
                    maxRequests,
                    (t, c, i) -> share(t, "/v1/batch?format=binary&step=", 1000 + i, c),
                    conns,
                    true);
            printServerSide(beforeBatch, serverHistogram(server.port(), "GET", "/v1/batch"));
            long[] beforeWeights = serverHistogram(server.port(), "GET", "/v1/weights");
            weightsP99 = run("/v1/weights", seconds, maxRequests, (t, c, i) -> t.add("/v1/weights"), conns, true);
            printServerSide(beforeWeights, serverHistogram(server.port(), "GET", "/v1/weights"));
            // the floor: the same clients against the endpoint that does least (after the phases above, so their
            // conditions are those of the runs before 2026-11-28)
            long[] beforeFloor = serverHistogram(server.port(), "GET", "/healthz");
            run(FLOOR, seconds, maxRequests, (t, c, i) -> t.add("/healthz"), conns, true);
            printServerSide(beforeFloor, serverHistogram(server.port(), "GET", "/healthz"));
        }
        double statsP99;
        try (var server = MixerServer.start(config(domains, 1, tmp.resolve("b"), null));
                var clients = new Clients(server)) {
            long[] beforeStats = serverHistogram(server.port(), "POST", "/v1/stats");
            statsP99 = runStats(clients.conns, K, seconds, maxRequests);
            printServerSide(beforeStats, serverHistogram(server.port(), "POST", "/v1/stats"));
        }
        System.out.printf(
                Locale.ROOT,
                "RESULT manifest_p99_ms=%.2f batch_p99_ms=%.2f weights_p99_ms=%.2f stats_p99_ms=%.2f%n",
                manifestP99,
                batchP99,
                weightsP99,
                statsP99);
        System.exit(0);
    }

    /** The floor row's name: {@code GET /healthz}, the service's cheapest endpoint (one locked read, 40 bytes). */
    static final String FLOOR = "/healthz floor";

    /**
     * {@code --rate R1,R2,.. DATASET SECONDS}: every phase of the closed-loop mode, plus the floor, at each fixed
     * rate in turn ({@link OpenLoop}), with the lean socket client; the same two servers, endpoints and request mix.
     * Server A (T = 10⁹) serves, per rate, the floor, then the manifests of steps the clients have not read yet
     * (continuing after the last rate's, so no phase begins with a jump that freezes hundreds of steps at once),
     * the batches of the same steps, and the weights; server B (T = 1), per rate, the two lockstep floors
     * ({@code GET /healthz}, then a statistics report the service refuses with 422: worker 8 of 8) and the statistics
     * reports in lockstep, each client walking on from the step the previous rate left it at.
     */
    static void rateMode(double[] rates, Path dataset, double seconds) throws Exception {
        if (!CLIENT.equals("socket"))
            throw new IllegalArgumentException("--rate runs the lean socket client only (-Dpike.bench.client=socket)");
        DatasetInfo info = DatasetInfo.read(dataset);
        List<DomainRows> domains = DomainRows.training(info);
        int K = domains.size();
        System.out.printf(
                Locale.ROOT,
                "service bench, open loop: %s (%d domains, row length %d), batch 256, %d clients (one keep-alive socket each), rates %s requests/s in all, %.0f s of schedule per phase; latency from each request's intended send time%n",
                dataset,
                K,
                info.rowLength(),
                CLIENTS,
                Arrays.toString(rates),
                seconds);
        Path tmp = Files.createTempDirectory("pike-service-bench");
        // floor, manifest, batch, weights (server A); lockstep floor, lockstep refused POST, stats (server B)
        var results = new OpenLoop.Result[rates.length][7];
        try (var server = MixerServer.start(config(domains, 1_000_000_000, tmp.resolve("a"), dataset));
                var clients = new Clients(server)) {
            Conn[] conns = clients.conns;
            for (int w = 0; w < CLIENTS; w++) { // step 0 closes; all later steps are ready
                Conn k = conns[w];
                k.target.clear().add("/v1/stats");
                statsBody(k.body.clear(), 0, w, K);
                k.post();
            }
            int warm = 200;
            run("warm-up", 2, warm, (t, c, i) -> share(t, "/v1/batch?format=binary&step=", 1 + i, c), conns, false);
            run("warm-up", 1, warm, (t, c, i) -> t.add("/healthz"), conns, false);
            long next = 1L + warm; // the first step no client has read
            for (int r = 0; r < rates.length; r++) {
                double rate = rates[r];
                long base = next;
                System.out.printf(Locale.ROOT, "-- %.0f requests/s (server A: T = 10^9, steps from %d)%n", rate, base);
                results[r][0] = phase(FLOOR, rate, seconds, conns, (t, c, i) -> t.add("/healthz"), server, "GET");
                results[r][1] = phase(
                        "/v1/manifest",
                        rate,
                        seconds,
                        conns,
                        (t, c, i) -> share(t, "/v1/manifest?step=", base + i, c),
                        server,
                        "GET");
                results[r][2] = phase(
                        "/v1/batch",
                        rate,
                        seconds,
                        conns,
                        (t, c, i) -> share(t, "/v1/batch?format=binary&step=", base + i, c),
                        server,
                        "GET");
                results[r][3] =
                        phase("/v1/weights", rate, seconds, conns, (t, c, i) -> t.add("/v1/weights"), server, "GET");
                next = base + results[r][1].requests() / CLIENTS;
            }
        }
        try (var server = MixerServer.start(config(domains, 1, tmp.resolve("b"), null));
                var clients = new Clients(server)) {
            Conn[] conns = clients.conns;
            for (int c = 0; c < CLIENTS; c++) {
                share(conns[c].target.clear(), "/v1/manifest?step=", 0, c);
                conns[c].get();
            }
            long step = 0; // the step every client reports next (each has its manifest)
            for (int r = 0; r < rates.length; r++) {
                double rate = rates[r];
                long base = step;
                System.out.printf(
                        Locale.ROOT, "-- %.0f requests/s (server B: T = 1, reports from step %d)%n", rate, base);
                // the lockstep floors: the stats phase's burst (8 requests intended at once, one burst every 8/R s)
                // without its work. GET /healthz; then a report the service refuses (worker 8 of 8: 422, no state
                // change) - the same body size, read, parsed and validated, the event serialised and the core lock
                // taken, but nothing logged, forced, pooled or frozen
                results[r][4] = lockstep(FLOOR_LOCKSTEP, rate, seconds, conns, server, "GET", "/healthz", (k, c, i) -> {
                    k.target.clear().add("/healthz");
                    k.get();
                });
                results[r][5] =
                        lockstep(REFUSED_LOCKSTEP, rate, seconds, conns, server, "POST", "/v1/stats", (k, c, i) -> {
                            k.target.clear().add("/v1/stats");
                            statsBody(k.body.clear(), base, CLIENTS, K);
                            ((SocketConn) k).post(422);
                        });
                long[] before = serverHistogram(server.port(), "POST", "/v1/stats");
                results[r][6] = OpenLoop.run(
                        "/v1/stats",
                        rate,
                        seconds,
                        new OpenLoop.Action() {
                            @Override
                            public void timed(Conn k, int client, int i) throws Exception {
                                k.target.clear().add("/v1/stats");
                                statsBody(k.body.clear(), base + i, client, K);
                                k.post();
                            }

                            @Override
                            public void untimed(Conn k, int client, int i) throws Exception {
                                share(k.target.clear(), "/v1/manifest?wait_ms=10000&step=", base + i + 1, client);
                                k.get();
                            }
                        },
                        conns,
                        true); // lockstep: a step's 8 reports together, one step every 8/R s
                results[r][6].print();
                printServerSide(before, serverHistogram(server.port(), "POST", "/v1/stats"));
                step = base + results[r][6].requests() / CLIENTS;
            }
        }
        System.out.println();
        System.out.println(
                "summary (ms from the intended send; late = started > 1 ms after its intended time; target p99 <= 5 reads, <= 10 stats)");
        System.out.println("rate/s  endpoint           achieved/s     p50     p99   p99.9      max   late");
        for (int r = 0; r < rates.length; r++)
            for (OpenLoop.Result x : results[r])
                System.out.printf(
                        Locale.ROOT,
                        "%6.0f  %-17s %10.0f %7.2f %7.2f %7.2f %8.2f %6d%n",
                        rates[r],
                        x.name(),
                        x.achievedRate(),
                        x.p50(),
                        x.p99(),
                        x.p999(),
                        x.max(),
                        x.late());
        for (int r = 0; r < rates.length; r++)
            System.out.printf(
                    Locale.ROOT,
                    "RESULT rate=%.0f manifest_p99_ms=%.2f batch_p99_ms=%.2f weights_p99_ms=%.2f stats_p99_ms=%.2f floor_p99_ms=%.2f floor_lockstep_p99_ms=%.2f refused_lockstep_p99_ms=%.2f%n",
                    rates[r],
                    results[r][1].p99(),
                    results[r][2].p99(),
                    results[r][3].p99(),
                    results[r][6].p99(),
                    results[r][0].p99(),
                    results[r][4].p99(),
                    results[r][5].p99());
    }

    /** The lockstep floor rows' names (server B, before each rate's statistics phase). */
    static final String FLOOR_LOCKSTEP = "/healthz lockstep", REFUSED_LOCKSTEP = "refused lockstep";

    /** One open-loop phase in lockstep on {@code server}, printed with the service's own histogram of the route. */
    private static OpenLoop.Result lockstep(
            String name,
            double rate,
            double seconds,
            Conn[] conns,
            MixerServer server,
            String method,
            String route,
            OpenLoop.Action action)
            throws Exception {
        long[] before = serverHistogram(server.port(), method, route);
        OpenLoop.Result x = OpenLoop.run(name, rate, seconds, action, conns, true);
        x.print();
        printServerSide(before, serverHistogram(server.port(), method, route));
        return x;
    }

    /** One open-loop GET phase on {@code server}, printed with the service's own histogram of the route. */
    private static OpenLoop.Result phase(
            String name, double rate, double seconds, Conn[] conns, Target target, MixerServer server, String method)
            throws Exception {
        String route = name.equals(FLOOR) ? "/healthz" : name;
        long[] before = serverHistogram(server.port(), method, route);
        OpenLoop.Result x = OpenLoop.run(
                name,
                rate,
                seconds,
                (k, client, i) -> {
                    target.write(k.target.clear(), client, i);
                    k.get();
                },
                conns);
        x.print();
        printServerSide(before, serverHistogram(server.port(), method, route));
        return x;
    }

    static ServiceConfig config(List<DomainRows> domains, int updateInterval, Path state, Path dataset) {
        var mix = new MixConfig(domains, 256, 1337, Rounding.CARRY, updateInterval);
        Strategy pike = Strategies.byName(
                "pike",
                domains.size(),
                null,
                null,
                Strategies.DEFAULT_ALPHA,
                PikeParams.defaults(256),
                ConceptualParams.defaults(256),
                1337);
        return new ServiceConfig(
                mix,
                pike,
                "bench",
                CLIENTS,
                state,
                dataset == null ? null : dataset.toString(),
                "127.0.0.1",
                0,
                null,
                65536,
                1L << 30);
    }

    /** Appends {@code path} (ending in {@code step=}), the step and worker {@code worker} of 8 to {@code t}. */
    static SocketClient.Ascii share(SocketClient.Ascii t, String path, long step, int worker) {
        return t.add(path).add(step).add("&worker=").add(worker).add("&workers=8");
    }

    /** Writes the request target (path and query) of client c's i-th request into t. */
    interface Target {
        void write(SocketClient.Ascii t, int client, int i);
    }

    /**
     * One client's connection: the request target and JSON body are built in reused buffers, then sent; {@link #get}
     * and {@link #post} throw unless the answer is 200.
     */
    abstract static class Conn implements AutoCloseable {
        final SocketClient.Ascii target = new SocketClient.Ascii(256);
        final SocketClient.Ascii body = new SocketClient.Ascii(1024);

        abstract void get() throws Exception;

        abstract void post() throws Exception;

        @Override
        public void close() {}
    }

    /** The JDK HttpClient (shared by the clients of one server): a String and an HttpRequest per request. */
    static final class JdkConn extends Conn {
        private final HttpClient http;
        private final String url;

        JdkConn(HttpClient http, String url) {
            this.http = http;
            this.url = url;
        }

        @Override
        void get() throws Exception {
            check(http, ServiceBench.get(url + target));
        }

        @Override
        void post() throws Exception {
            check(
                    http,
                    HttpRequest.newBuilder(URI.create(url + target))
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
                            .build());
        }
    }

    /** One keep-alive socket per client. */
    static final class SocketConn extends Conn {
        private final SocketClient socket;

        SocketConn(int port) {
            socket = new SocketClient(port);
        }

        @Override
        void get() throws Exception {
            socket.get(target);
        }

        @Override
        void post() throws Exception {
            socket.post(target, body);
        }

        /** POST, throwing unless the answer is {@code status} (a refusal's body is read, the connection kept). */
        void post(int status) throws Exception {
            socket.post(target, body, status);
        }

        @Override
        public void close() {
            socket.close();
        }
    }

    /** The CLIENTS connections to one server, of the kind -Dpike.bench.client selects. */
    static final class Clients implements AutoCloseable {
        final Conn[] conns = new Conn[CLIENTS];

        Clients(MixerServer server) {
            HttpClient http = CLIENT.equals("jdk")
                    ? HttpClient.newBuilder()
                            .version(HttpClient.Version.HTTP_1_1)
                            .build()
                    : null;
            for (int c = 0; c < CLIENTS; c++)
                conns[c] = http != null ? new JdkConn(http, server.url()) : new SocketConn(server.port());
        }

        @Override
        public void close() {
            for (Conn k : conns) k.close();
        }
    }

    /** Runs CLIENTS threads, client c issuing GET target(c, i) for i = 0, 1, ...; prints and returns p99 in ms. */
    static double run(String name, double seconds, int max, Target target, Conn[] conns, boolean print)
            throws Exception {
        var lat = new long[CLIENTS][max];
        var counts = new int[CLIENTS];
        var stop = new AtomicBoolean();
        var failure = new AtomicReference<Throwable>();
        var start = new CyclicBarrier(CLIENTS + 1);
        var threads = new ArrayList<Thread>();
        for (int c = 0; c < CLIENTS; c++) {
            int client = c;
            Conn k = conns[c];
            var t = new Thread(() -> {
                try {
                    start.await();
                    for (int i = 0; i < max && !stop.get(); i++) {
                        long t0 = System.nanoTime();
                        target.write(k.target.clear(), client, i);
                        k.get();
                        lat[client][i] = System.nanoTime() - t0;
                        counts[client] = i + 1;
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                    stop.set(true);
                }
            });
            t.start();
            threads.add(t);
        }
        start.await();
        long t0 = System.nanoTime();
        for (Thread t : threads) t.join(Math.max(1, (long) (seconds * 1000) - (System.nanoTime() - t0) / 1_000_000));
        stop.set(true);
        for (Thread t : threads) t.join();
        double elapsed = (System.nanoTime() - t0) / 1e9;
        if (failure.get() != null) throw new IllegalStateException(name + ": a client failed", failure.get());
        return report(name, lat, counts, elapsed, print);
    }

    /** Each client: POST stats for step t (timed), then GET the manifest of step t + 1 with wait_ms (not timed). */
    static double runStats(Conn[] conns, int K, double seconds, int max) throws Exception {
        var lat = new long[CLIENTS][max];
        var counts = new int[CLIENTS];
        var stop = new AtomicBoolean();
        var failure = new AtomicReference<Throwable>();
        var threads = new ArrayList<Thread>();
        long t0 = System.nanoTime();
        for (int c = 0; c < CLIENTS; c++) {
            int client = c;
            Conn k = conns[c];
            var t = new Thread(() -> {
                try {
                    share(k.target.clear(), "/v1/manifest?step=", 0, client);
                    k.get();
                    for (int i = 0; i < max && !stop.get(); i++) {
                        long s = System.nanoTime();
                        k.target.clear().add("/v1/stats");
                        statsBody(k.body.clear(), i, client, K);
                        k.post();
                        lat[client][i] = System.nanoTime() - s;
                        counts[client] = i + 1;
                        share(k.target.clear(), "/v1/manifest?wait_ms=10000&step=", i + 1, client);
                        k.get();
                    }
                } catch (Throwable e) {
                    // at the time bound the clients stop independently, so the last step may stay open: the
                    // clients still waiting for it end here; any failure before the bound is a real one
                    if (!stop.get()) failure.compareAndSet(null, e);
                }
            });
            t.start();
            threads.add(t);
        }
        for (Thread t : threads) t.join(Math.max(1, (long) (seconds * 1000) - (System.nanoTime() - t0) / 1_000_000));
        stop.set(true);
        double elapsed = (System.nanoTime() - t0) / 1e9;
        for (Thread t : threads) t.join();
        if (failure.get() != null) throw new IllegalStateException("/v1/stats: a client failed", failure.get());
        return report("/v1/stats", lat, counts, elapsed, true);
    }

    /**
     * The service's own latency histogram of one route (its {@code /metrics}, read through a fresh socket, untimed):
     * requests handled in ≤ 5 ms, in ≤ 10 ms, and all of them.
     */
    static long[] serverHistogram(int port, String method, String route) throws Exception {
        var metrics = new SocketClient(port);
        try {
            metrics.get(new SocketClient.Ascii(16).add("/metrics"));
            String text = new String(metrics.body(), 0, metrics.bodyLength(), StandardCharsets.UTF_8);
            String labels = "{method=\"" + method + "\",route=\"" + route + "\"";
            long[] h = new long[3];
            for (String line : text.split("\n")) {
                int sp = line.lastIndexOf(' ');
                if (sp < 0) continue;
                String key = line.substring(0, sp);
                if (key.equals("pike_request_duration_seconds_bucket" + labels + ",le=\"0.005\"}"))
                    h[0] = Long.parseLong(line.substring(sp + 1));
                else if (key.equals("pike_request_duration_seconds_bucket" + labels + ",le=\"0.01\"}"))
                    h[1] = Long.parseLong(line.substring(sp + 1));
                else if (key.equals("pike_request_duration_seconds_count" + labels + "}"))
                    h[2] = Long.parseLong(line.substring(sp + 1));
            }
            return h;
        } finally {
            metrics.close();
        }
    }

    /** Prints the share of a phase's requests that the service handled in ≤ 5 and ≤ 10 ms (after - before). */
    static void printServerSide(long[] before, long[] after) {
        long n = after[2] - before[2];
        if (n <= 0) return;
        System.out.printf(
                Locale.ROOT,
                "              handled by the service (its /metrics): %d requests, %.2f %% in <= 5 ms, %.2f %% in <= 10 ms%n",
                n,
                100.0 * (after[0] - before[0]) / n,
                100.0 * (after[1] - before[1]) / n);
    }

    static double report(String name, long[][] lat, int[] counts, double elapsed, boolean print) {
        int n = Arrays.stream(counts).sum();
        var all = new long[n];
        int j = 0;
        for (int c = 0; c < CLIENTS; c++) for (int i = 0; i < counts[c]; i++) all[j++] = lat[c][i];
        Arrays.sort(all);
        double p50 = all[(int) (0.50 * (n - 1))] / 1e6, p99 = all[(int) (0.99 * (n - 1))] / 1e6, max = all[n - 1] / 1e6;
        if (print)
            System.out.printf(
                    Locale.ROOT,
                    "%-13s %7d requests in %5.2f s = %8.0f req/s   p50 %6.2f ms   p99 %6.2f ms   max %7.2f ms%n",
                    name,
                    n,
                    elapsed,
                    n / elapsed,
                    p50,
                    p99,
                    max);
        return p99;
    }

    static HttpRequest get(String url) {
        return HttpRequest.newBuilder(URI.create(url)).GET().build();
    }

    static HttpRequest post(String url, String body) {
        return HttpRequest.newBuilder(URI.create(url + "/v1/stats"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
    }

    /** A statistics report of {@code worker} for {@code step} (the same for every step; K domains). */
    static String stats(long step, int worker, int K) {
        return statsBody(new SocketClient.Ascii(256), step, worker, K).toString();
    }

    /** Appends {@link #stats}'s JSON to {@code b} without allocating (once b has grown). */
    static SocketClient.Ascii statsBody(SocketClient.Ascii b, long step, int worker, int K) {
        b.add("{\"step\":")
                .add(step)
                .add(",\"worker\":")
                .add(worker)
                .add(",\"workers\":")
                .add(CLIENTS);
        values(b.add(",\"micro_batches\":["), K, "2");
        values(b.add("],\"sequences\":["), K, "8");
        values(b.add("],\"grad_norm_sq\":["), K, "0.5");
        values(b.add("],\"mean_grad_norm_sq\":["), K, "1.0");
        values(b.add("],\"grad_var\":["), K, "1.0");
        return b.add("]}");
    }

    private static void values(SocketClient.Ascii b, int K, String v) {
        for (int k = 0; k < K; k++) {
            if (k > 0) b.add(",");
            b.add(v);
        }
    }

    static void check(HttpClient http, HttpRequest r) throws Exception {
        HttpResponse<byte[]> resp = http.send(r, HttpResponse.BodyHandlers.ofByteArray());
        if (resp.statusCode() != 200)
            throw new IllegalStateException(r.method() + " " + r.uri() + " -> " + resp.statusCode() + " "
                    + new String(resp.body(), StandardCharsets.UTF_8));
    }
}
