package io.pikemix.etl;

import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.util.LongAccumulator;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Prints ETL progress every few seconds on stderr: documents and MB read per domain (from named
 * accumulators, which executors report with their heartbeats and at task end), tasks done, MB/s and ETA.
 */
final class Progress implements AutoCloseable {
    private final Map<String, LongAccumulator[]> perDomain = new LinkedHashMap<>();
    private final AtomicInteger tasksDone = new AtomicInteger();
    private final int tasks;
    private final PrintStream out;
    private final long start = System.nanoTime();
    private final Thread thread;
    private final SparkContext sc;
    private final SparkListener listener;

    Progress(SparkContext sc, List<String> domains, int tasks, long intervalMs, PrintStream out) {
        this.sc = sc;
        this.tasks = tasks;
        this.out = out;
        for (String d : domains)
            perDomain.put(d, new LongAccumulator[]{sc.longAccumulator("docs:" + d), sc.longAccumulator("bytes:" + d)});
        listener = new SparkListener() {
            @Override public void onTaskEnd(SparkListenerTaskEnd end) {
                if ("Success".equals(String.valueOf(end.reason()))) tasksDone.incrementAndGet();
            }
        };
        sc.addSparkListener(listener);
        thread = new Thread(() -> {
            try {
                while (!Thread.currentThread().isInterrupted()) {
                    Thread.sleep(intervalMs);
                    print();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "etl-progress");
        thread.setDaemon(true);
        if (intervalMs > 0) thread.start();
    }

    LongAccumulator docs(String domain) { return perDomain.get(domain)[0]; }
    LongAccumulator bytes(String domain) { return perDomain.get(domain)[1]; }

    void print() {
        double secs = (System.nanoTime() - start) / 1e9;
        var line = new StringBuilder("etl");
        long totalBytes = 0;
        for (var e : perDomain.entrySet()) {
            long docs = e.getValue()[0].value(), bytes = e.getValue()[1].value();
            totalBytes += bytes;
            line.append(String.format(Locale.ROOT, " | %s %,d docs %.1f MB", e.getKey(), docs, bytes / 1e6));
        }
        int done = tasksDone.get();
        String eta = done == 0 ? "?" : fmt(secs / done * (tasks - done));
        line.append(String.format(Locale.ROOT, " | tasks %d/%d | %.2f MB/s | %s elapsed, ETA %s",
                done, tasks, totalBytes / 1e6 / Math.max(secs, 1e-9), fmt(secs), eta));
        out.println(line);
    }

    private static String fmt(double secs) {
        long s = Math.round(secs);
        return String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }

    @Override public void close() {
        thread.interrupt();
        sc.removeSparkListener(listener);
    }
}
