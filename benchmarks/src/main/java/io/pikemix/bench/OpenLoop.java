package io.pikemix.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * The open-loop (fixed-rate) driver of {@code bench/service --rate R}: the clients send on a fixed schedule, whatever
 * the answers' latency, and each latency is counted from the request's <em>intended</em> send time (coordinated
 * omission corrected, as wrk2 and HdrHistogram do), so a stall of the service counts for every request it delays,
 * not only for the one in flight.
 *
 * <p>Schedule: with N clients at R requests/s in all, client c's k-th request is intended at {@code t0 + (k + c/N) ·
 * N/R}; every client sends the same number of requests, {@code floor(SECONDS · R / N)}. A client waits for its
 * intended time with {@link LockSupport#parkNanos} (no busy spin: the machine's two cores belong to the service); a
 * request whose predecessor answered too late is sent at once, and all scheduled requests are sent (a phase the
 * service cannot keep up with runs past SECONDS; the achieved rate says by how much). In lockstep (the statistics
 * phase: a synchronous data-parallel step, whose N workers finish their step together and each report it) every
 * client's k-th request is intended at {@code t0 + k · N/R}: the N reports of a step arrive together, one step every
 * N/R seconds. Staggered instead, a client's report of step k + 1 would be due 1/R after the last report of step k,
 * before that step can close (all N reports in and committed), and the wait would count as the service's latency.
 */
final class OpenLoop {
    private OpenLoop() {}

    /** One client's request: {@link #timed} is measured; {@link #untimed} (a long poll, say) runs after it. */
    interface Action {
        void timed(ServiceBench.Conn k, int client, int i) throws Exception;

        default void untimed(ServiceBench.Conn k, int client, int i) throws Exception {}
    }

    /** A phase's outcome at one rate; latencies in ms, counted from the intended send times. */
    record Result(
            String name,
            double intendedRate,
            double achievedRate,
            int requests,
            double p50,
            double p99,
            double p999,
            double max,
            int late,
            double sendP99) {
        void print() {
            System.out.printf(
                    Locale.ROOT,
                    "%-17s %6.0f -> %6.0f req/s %6d req   p50 %6.2f   p99 %7.2f   p99.9 %7.2f   max %7.2f ms   late>1ms %5d   (p99 from the actual send %6.2f)%n",
                    name,
                    intendedRate,
                    achievedRate,
                    requests,
                    p50,
                    p99,
                    p999,
                    max,
                    late,
                    sendP99);
        }
    }

    static final long LATE_NANOS = 1_000_000;

    /**
     * Runs one phase: {@code conns.length} clients, {@code rate} requests/s in all, for SECONDS' worth of schedule.
     */
    static Result run(String name, double rate, double seconds, Action action, ServiceBench.Conn[] conns)
            throws Exception {
        return run(name, rate, seconds, action, conns, false);
    }

    /** {@link #run}, in lockstep when {@code lockstep}: all clients' k-th requests intended at the same time. */
    static Result run(
            String name, double rate, double seconds, Action action, ServiceBench.Conn[] conns, boolean lockstep)
            throws Exception {
        int clients = conns.length;
        int n = (int) Math.floor(seconds * rate / clients);
        if (n < 1) throw new IllegalArgumentException(name + ": " + rate + " requests/s for " + seconds + " s is none");
        var fromIntended = new long[clients][n];
        var fromSend = new long[clients][n];
        var late = new int[clients];
        var failure = new AtomicReference<Throwable>();
        long[] t0 = new long[1];
        var start = new CyclicBarrier(clients + 1, () -> t0[0] = System.nanoTime() + 20_000_000L);
        var threads = new ArrayList<Thread>();
        for (int c = 0; c < clients; c++) {
            int client = c;
            ServiceBench.Conn k = conns[c];
            var t = new Thread(() -> {
                try {
                    start.await();
                    long base = t0[0];
                    for (int i = 0; i < n; i++) {
                        // (i + c/N) · N/R seconds = (i·N + c) / R; in lockstep i · N/R
                        long intended = base + (long) ((i * (double) clients + (lockstep ? 0 : client)) * 1e9 / rate);
                        long now;
                        while ((now = System.nanoTime()) < intended) LockSupport.parkNanos(intended - now);
                        if (now - intended > LATE_NANOS) late[client]++;
                        action.timed(k, client, i);
                        long end = System.nanoTime();
                        fromIntended[client][i] = end - intended;
                        fromSend[client][i] = end - now;
                        action.untimed(k, client, i);
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            });
            t.setName("open-loop client " + c);
            t.start();
            threads.add(t);
        }
        start.await();
        for (Thread t : threads) t.join();
        long end = System.nanoTime();
        if (failure.get() != null) throw new IllegalStateException(name + ": a client failed", failure.get());
        long[] all = flatten(fromIntended), sent = flatten(fromSend);
        // achieved: requests over the time from the first intended send to the last answer
        double elapsed = (end - t0[0]) / 1e9;
        return new Result(
                name,
                rate,
                all.length / elapsed,
                all.length,
                quantile(all, 0.50),
                quantile(all, 0.99),
                quantile(all, 0.999),
                all[all.length - 1] / 1e6,
                Arrays.stream(late).sum(),
                quantile(sent, 0.99));
    }

    private static long[] flatten(long[][] a) {
        long[] all = Arrays.stream(a).flatMapToLong(Arrays::stream).toArray();
        Arrays.sort(all);
        return all;
    }

    /** The q-quantile (nearest rank, as {@link ServiceBench#report}) of sorted nanoseconds, in ms. */
    static double quantile(long[] sorted, double q) {
        return sorted[(int) (q * (sorted.length - 1))] / 1e6;
    }

    /** Parses {@code 250,1000,2000} into rates (each > 0). */
    static double[] rates(String list) {
        double[] r =
                Arrays.stream(list.split(",")).mapToDouble(Double::parseDouble).toArray();
        for (double x : r)
            if (!(x > 0) || Double.isInfinite(x))
                throw new IllegalArgumentException("--rate takes requests/s > 0, comma separated; got " + list);
        return r;
    }
}
