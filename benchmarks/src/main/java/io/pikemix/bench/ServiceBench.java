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

/**
 * {@code bench/service DATASET [SECONDS] [MAX_REQUESTS]}: latency of {@code /v1/manifest}, {@code /v1/batch} and
 * {@code /v1/stats} with 8 concurrent clients (workers 0..7 of 8, batch 256) on loopback, each phase bounded by
 * SECONDS and by MAX_REQUESTS per client. Manifests and batches: PiKE with T = 10⁹, so only step 0 waits for
 * statistics and the clients walk the steps together (the service freezes steps ahead of them and forces those
 * freeze events in the background, so reads wait for no fsync). {@code /v1/weights}: the same server afterwards.
 * Statistics: PiKE with T = 1, every client posts its report for step t and then long-polls step t + 1 (the
 * poll is not timed); each report is fsynced before its answer, concurrent reports sharing one fsync (group commit).
 * Ends with {@code RESULT manifest_p99_ms=X batch_p99_ms=Y weights_p99_ms=W stats_p99_ms=Z}.
 */
public final class ServiceBench {
    /**
     * Concurrent clients, and the workers the service pools statistics from (default 8; {@code -Dpike.bench.clients=N},
     * N ≤ 8, to see how much of the p99 is 8 client threads sharing the cores with the server). Manifests and batches
     * are always shares of 8 (32 rows of b = 256), whatever N.
     */
    static final int CLIENTS = Integer.getInteger("pike.bench.clients", 8);

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("--soak")) {
            ServiceSoak.main(Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        Path dataset = Path.of(args[0]);
        double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 10;
        int maxRequests = args.length > 2 ? Integer.parseInt(args[2]) : 3000;
        DatasetInfo info = DatasetInfo.read(dataset);
        List<DomainRows> domains = DomainRows.training(info);
        int K = domains.size();
        System.out.printf(
                Locale.ROOT,
                "service bench: %s (%d domains, row length %d), batch 256, %d clients, <= %.0f s and <= %d requests per client per phase%n",
                dataset,
                K,
                info.rowLength(),
                CLIENTS,
                seconds,
                maxRequests);
        Path tmp = Files.createTempDirectory("pike-service-bench");
        double[] manifestP99 = new double[1], batchP99 = new double[1], weightsP99 = new double[1];
        try (var server = MixerServer.start(config(domains, 1_000_000_000, tmp.resolve("a"), dataset))) {
            String url = server.url();
            HttpClient http =
                    HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            for (int w = 0; w < CLIENTS; w++)
                check(http, post(url, stats(0, w, K))); // step 0 closes; all later steps are ready
            run(
                    "warm-up",
                    2,
                    200,
                    (c, i) -> get(url + "/v1/batch?format=binary&step=" + (1 + i) + "&worker=" + c + "&workers=8"),
                    http,
                    false);
            manifestP99[0] = run(
                    "/v1/manifest",
                    seconds,
                    maxRequests,
                    (c, i) -> get(url + "/v1/manifest?step=" + (1000 + i) + "&worker=" + c + "&workers=8"),
                    http,
                    true);
            batchP99[0] = run(
                    "/v1/batch",
                    seconds,
                    maxRequests,
                    (c, i) -> get(url + "/v1/batch?format=binary&step=" + (1000 + i) + "&worker=" + c + "&workers=8"),
                    http,
                    true);
            weightsP99[0] = run("/v1/weights", seconds, maxRequests, (c, i) -> get(url + "/v1/weights"), http, true);
        }
        double statsP99;
        try (var server = MixerServer.start(config(domains, 1, tmp.resolve("b"), null))) {
            String url = server.url();
            HttpClient http =
                    HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            statsP99 = runStats(url, http, K, seconds, maxRequests);
        }
        System.out.printf(
                Locale.ROOT,
                "RESULT manifest_p99_ms=%.2f batch_p99_ms=%.2f weights_p99_ms=%.2f stats_p99_ms=%.2f%n",
                manifestP99[0],
                batchP99[0],
                weightsP99[0],
                statsP99);
        System.exit(0);
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

    interface Call {
        HttpRequest request(int client, int i);
    }

    /** Runs CLIENTS threads issuing call(c, i) for i = 0, 1, ...; prints and returns p99 in ms. */
    static double run(String name, double seconds, int max, Call call, HttpClient http, boolean print)
            throws Exception {
        var lat = new long[CLIENTS][max];
        var counts = new int[CLIENTS];
        var stop = new AtomicBoolean();
        var start = new CyclicBarrier(CLIENTS + 1);
        var threads = new ArrayList<Thread>();
        for (int c = 0; c < CLIENTS; c++) {
            int client = c;
            var t = new Thread(() -> {
                try {
                    start.await();
                    for (int i = 0; i < max && !stop.get(); i++) {
                        long t0 = System.nanoTime();
                        check(http, call.request(client, i));
                        lat[client][i] = System.nanoTime() - t0;
                        counts[client] = i + 1;
                    }
                } catch (Exception e) {
                    throw new RuntimeException(e);
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
        return report(name, lat, counts, elapsed, print);
    }

    /** Each client: POST stats for step t (timed), then GET the manifest of step t + 1 with wait_ms (not timed). */
    static double runStats(String url, HttpClient http, int K, double seconds, int max) throws Exception {
        var lat = new long[CLIENTS][max];
        var counts = new int[CLIENTS];
        var stop = new AtomicBoolean();
        var threads = new ArrayList<Thread>();
        long t0 = System.nanoTime();
        for (int c = 0; c < CLIENTS; c++) {
            int client = c;
            var t = new Thread(() -> {
                try {
                    check(http, get(url + "/v1/manifest?step=0&worker=" + client + "&workers=8"));
                    for (int i = 0; i < max && !stop.get(); i++) {
                        long s = System.nanoTime();
                        check(http, post(url, stats(i, client, K)));
                        lat[client][i] = System.nanoTime() - s;
                        counts[client] = i + 1;
                        check(
                                http,
                                get(url + "/v1/manifest?wait_ms=10000&step=" + (i + 1) + "&worker=" + client
                                        + "&workers=8"));
                    }
                } catch (Exception e) {
                    // at the time bound the clients stop independently, so the last step may stay open: the
                    // clients still waiting for it end here; any failure before the bound is a real one
                    if (!stop.get()) throw new RuntimeException(e);
                }
            });
            t.start();
            threads.add(t);
        }
        for (Thread t : threads) t.join(Math.max(1, (long) (seconds * 1000) - (System.nanoTime() - t0) / 1_000_000));
        stop.set(true);
        double elapsed = (System.nanoTime() - t0) / 1e9;
        for (Thread t : threads) t.join();
        return report("/v1/stats", lat, counts, elapsed, true);
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

    static String stats(long step, int worker, int K) {
        String ones = String.join(",", java.util.Collections.nCopies(K, "1.0"));
        String halves = String.join(",", java.util.Collections.nCopies(K, "0.5"));
        String two = String.join(",", java.util.Collections.nCopies(K, "2"));
        String eight = String.join(",", java.util.Collections.nCopies(K, "8"));
        return "{\"step\":" + step + ",\"worker\":" + worker + ",\"workers\":" + CLIENTS + ",\"micro_batches\":[" + two
                + "],\"sequences\":[" + eight + "],\"grad_norm_sq\":[" + halves + "],\"mean_grad_norm_sq\":[" + ones
                + "],\"grad_var\":[" + ones + "]}";
    }

    static void check(HttpClient http, HttpRequest r) throws Exception {
        HttpResponse<byte[]> resp = http.send(r, HttpResponse.BodyHandlers.ofByteArray());
        if (resp.statusCode() != 200)
            throw new IllegalStateException(r.method() + " " + r.uri() + " -> " + resp.statusCode() + " "
                    + new String(resp.body(), StandardCharsets.UTF_8));
    }
}
