package io.pikemix.bench;

import io.pikemix.format.DatasetInfo;
import io.pikemix.mixer.DomainRows;
import io.pikemix.service.MixerServer;
import java.lang.management.ManagementFactory;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code bench/service --soak [MINUTES] [RATE] [DATASET]} (default 10 minutes, 400 requests/s, data/genres): the
 * service under a fixed request rate for a long time, to see whether memory stays flat and nothing fails. 8 clients
 * (workers 0..7 of 8, batch 256, PiKE with T = 1) each walk the steps at RATE/8 requests per second: GET its share
 * of step t's manifest (long poll), POST its statistics of step t, and every fourth step GET /v1/weights. Requests
 * are sent on a fixed schedule (a late one is sent at once, not skipped). Every 30 s it prints the requests, errors
 * (any status but 200, or an exception), p99 of the interval (10 µs buckets, the upper edge), this JVM's RSS and heap
 * in use (server and clients share the JVM; the latencies are kept in fixed-size histograms, not per request); it ends with {@code RESULT soak_minutes=.. rate=.. requests=.. errors=.. p99_ms=.. rss_start_mb=..
 * rss_end_mb=.. heap_after_gc_start_mb=.. heap_after_gc_end_mb=..}. The dataset's dataset.json gives the domains;
 * /v1/batch is not used (no shards read).
 */
final class ServiceSoak {
    private ServiceSoak() {}

    public static void main(String[] args) throws Exception {
        double minutes = args.length > 0 ? Double.parseDouble(args[0]) : 10;
        double rate = args.length > 1 ? Double.parseDouble(args[1]) : 400;
        Path dataset = Path.of(args.length > 2 ? args[2] : "data/genres");
        List<DomainRows> domains = DomainRows.training(DatasetInfo.read(dataset));
        int K = domains.size(), clients = ServiceBench.CLIENTS;
        System.out.printf(
                Locale.ROOT,
                "service soak: %s (%d domains), %d clients, %.0f requests/s in all, %.1f minutes%n",
                dataset,
                K,
                clients,
                rate,
                minutes);
        Path state = Files.createTempDirectory("pike-service-soak");
        var requests = new AtomicLong();
        var errors = new AtomicLong();
        var interval = new Histogram(); // fixed size: the bench's own memory does not grow with the requests
        var overall = new Histogram();
        var firstError = new String[1];
        long end = System.nanoTime() + (long) (minutes * 60e9);
        long intervalNanos = (long) (1e9 * clients / rate);
        try (var server = MixerServer.start(ServiceBench.config(domains, 1, state.resolve("s"), null))) {
            String url = server.url();
            HttpClient http =
                    HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            double rssStart = rssMb(), heapStart = heapAfterGcMb();
            var threads = new ArrayList<Thread>();
            for (int c = 0; c < clients; c++) {
                int worker = c;
                var t = new Thread(() -> {
                    long next = System.nanoTime();
                    for (long step = 0; System.nanoTime() < end; step++) {
                        List<HttpRequest> calls = new ArrayList<>(List.of(
                                ServiceBench.get(url + "/v1/manifest?wait_ms=10000&step=" + step + "&worker=" + worker
                                        + "&workers=8"),
                                ServiceBench.post(url, ServiceBench.stats(step, worker, K))));
                        if (step % 4 == 0) calls.add(ServiceBench.get(url + "/v1/weights"));
                        for (HttpRequest r : calls) {
                            long wait = next - System.nanoTime();
                            if (wait > 0) sleepNanos(wait);
                            next += intervalNanos;
                            long t0 = System.nanoTime();
                            try {
                                HttpResponse<byte[]> resp = http.send(r, HttpResponse.BodyHandlers.ofByteArray());
                                if (resp.statusCode() != 200 && System.nanoTime() >= end)
                                    return; // the others stopped: this client's long poll timed out
                                if (resp.statusCode() != 200) {
                                    errors.incrementAndGet();
                                    synchronized (firstError) {
                                        if (firstError[0] == null)
                                            firstError[0] = r.method() + " " + r.uri() + " -> " + resp.statusCode()
                                                    + " "
                                                    + new String(resp.body(), java.nio.charset.StandardCharsets.UTF_8);
                                    }
                                }
                            } catch (Exception e) {
                                if (System.nanoTime() >= end) return; // the others stopped: a long poll may time out
                                errors.incrementAndGet();
                                synchronized (firstError) {
                                    if (firstError[0] == null) firstError[0] = r.uri() + ": " + e;
                                }
                            }
                            long took = System.nanoTime() - t0;
                            interval.add(took);
                            overall.add(took);
                            requests.incrementAndGet();
                        }
                    }
                });
                t.setDaemon(true);
                t.start();
                threads.add(t);
            }
            long start = System.nanoTime(), lastReport = start;
            long lastCount = 0;
            while (System.nanoTime() < end) {
                Thread.sleep(Math.max(1, Math.min(30_000, (end - System.nanoTime()) / 1_000_000)));
                if (System.nanoTime() - lastReport < 29_000_000_000L && System.nanoTime() < end) continue;
                double intervalP99 = interval.p99AndReset();
                long n = requests.get();
                double secs = (System.nanoTime() - lastReport) / 1e9;
                System.out.printf(
                        Locale.ROOT,
                        "%6.0f s  %9d requests (%6.0f/s)  errors %d  p99 %6.2f ms  RSS %5.0f MB  heap %5.0f MB%n",
                        (System.nanoTime() - start) / 1e9,
                        n,
                        (n - lastCount) / secs,
                        errors.get(),
                        intervalP99,
                        rssMb(),
                        heapMb());
                lastCount = n;
                lastReport = System.nanoTime();
            }
            for (Thread t : threads) t.join(15_000);
            double rssEnd = rssMb(), heapEnd = heapAfterGcMb();
            if (firstError[0] != null) System.out.println("first error: " + firstError[0]);
            System.out.printf(
                    Locale.ROOT,
                    "RESULT soak_minutes=%.1f rate=%.0f requests=%d errors=%d p99_ms=%.2f rss_start_mb=%.0f rss_end_mb=%.0f"
                            + " heap_after_gc_start_mb=%.0f heap_after_gc_end_mb=%.0f%n",
                    minutes,
                    rate,
                    requests.get(),
                    errors.get(),
                    overall.p99AndReset(),
                    rssStart,
                    rssEnd,
                    heapStart,
                    heapEnd);
        }
        System.exit(0);
    }

    /** Latencies in 10 µs buckets up to 1 s (the last bucket holds everything slower); thread-safe. */
    static final class Histogram {
        private final java.util.concurrent.atomic.AtomicLongArray counts =
                new java.util.concurrent.atomic.AtomicLongArray(100_001);

        void add(long nanos) {
            counts.incrementAndGet((int) Math.min(counts.length() - 1, Math.max(0, nanos / 10_000)));
        }

        /** The 99th percentile in ms (NaN when empty), and empties the histogram. */
        double p99AndReset() {
            long n = 0;
            var c = new long[counts.length()];
            for (int i = 0; i < c.length; i++) n += c[i] = counts.getAndSet(i, 0);
            if (n == 0) return Double.NaN;
            long rank = (long) (0.99 * (n - 1)), seen = 0;
            for (int i = 0; i < c.length; i++) if ((seen += c[i]) > rank) return (i + 1) * 0.01;
            return Double.NaN;
        }
    }

    private static void sleepNanos(long nanos) {
        try {
            Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Resident set size of this process (Linux /proc/self/status VmRSS), MB; NaN elsewhere. */
    static double rssMb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status")))
                if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
        } catch (Exception e) {
            // not Linux
        }
        return Double.NaN;
    }

    static double heapMb() {
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / 1048576.0;
    }

    /** Heap in use after a full collection (what is really kept), MB. */
    static double heapAfterGcMb() {
        System.gc();
        return heapMb();
    }
}
