package io.pikemix.etl;

import io.pikemix.etl.InputPlan.Task;
import java.io.PrintStream;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorMetricsUpdate;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.util.LongAccumulator;
import scala.Tuple4;
import scala.collection.JavaConverters;

/**
 * Prints ETL progress every few seconds, one line at a time (no carriage returns: the same in a terminal and in a
 * log file): documents and MB read per domain, tokens, tasks done, MB/s and ETA. The counts move while tasks run
 * ({@link Meter}): on {@code local[*]} the tasks share counters with the driver; on a cluster the driver adds the
 * running tasks' accumulator values that arrive with every executor heartbeat
 * ({@code spark.executor.heartbeatInterval}, 10 s by default) to those of the finished tasks. The ETA is the
 * planned input bytes not yet done at the mean rate so far (compressed files count when they end).
 */
final class Progress implements AutoCloseable {
    private final List<String> domains;
    private final int tasks;
    private final long planBytes;
    private final PrintStream out;
    private final long start = System.nanoTime();
    private final Thread thread;
    private final SparkContext sc;
    private final SparkListener listener;
    private final String key = UUID.randomUUID().toString();
    private final LongAccumulator[] accumulators;
    private final AtomicLongArray local;
    private final AtomicInteger tasksDone = new AtomicInteger();
    /** Running tasks' latest accumulator values from heartbeats: task id → (accumulator index → value). */
    private final Map<Long, Map<Integer, Long>> running = new ConcurrentHashMap<>();

    private final Map<Long, Integer> indexById = new HashMap<>();

    Progress(SparkContext sc, List<String> domains, List<Task> plan, long intervalMs, PrintStream out) {
        this.sc = sc;
        this.domains = List.copyOf(domains);
        this.tasks = plan.size();
        this.planBytes = plan.stream().mapToLong(Task::bytes).sum();
        this.out = out;
        this.accumulators = new LongAccumulator[domains.size() * Meter.WIDTH];
        String[] what = {"docs", "bytes", "plan", "tokens"};
        for (int d = 0; d < domains.size(); d++)
            for (int k = 0; k < Meter.WIDTH; k++) {
                int i = d * Meter.WIDTH + k;
                accumulators[i] = sc.longAccumulator("etl:" + domains.get(d) + ":" + what[k]);
                indexById.put(accumulators[i].id(), i);
            }
        this.local = sc.isLocal() ? new AtomicLongArray(accumulators.length) : null;
        if (local != null) Meter.LOCAL.put(key, local);
        listener = new SparkListener() {
            @Override
            public void onTaskEnd(SparkListenerTaskEnd end) {
                if ("Success".equals(String.valueOf(end.reason()))) tasksDone.incrementAndGet();
                running.remove(end.taskInfo().taskId());
            }

            @Override
            public void onExecutorMetricsUpdate(SparkListenerExecutorMetricsUpdate update) {
                if (local != null) return;
                for (Tuple4<Object, Object, Object, scala.collection.Seq<AccumulableInfo>> t :
                        JavaConverters.seqAsJavaListConverter(update.accumUpdates())
                                .asJava()) {
                    long taskId = (Long) t._1();
                    for (AccumulableInfo info :
                            JavaConverters.seqAsJavaListConverter(t._4()).asJava()) {
                        Integer i = indexById.get(info.id());
                        if (i != null
                                && info.update().isDefined()
                                && info.update().get() instanceof Long v)
                            running.computeIfAbsent(taskId, k -> new ConcurrentHashMap<>())
                                    .put(i, v);
                    }
                }
            }
        };
        sc.addSparkListener(listener);
        thread = new Thread(
                () -> {
                    try {
                        while (!Thread.currentThread().isInterrupted()) {
                            Thread.sleep(intervalMs);
                            print();
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                },
                "etl-progress");
        thread.setDaemon(true);
        if (intervalMs > 0) thread.start();
    }

    /** What the tasks publish their counts to. */
    Meter.Channels channels() {
        return new Meter.Channels(key, accumulators);
    }

    /** The counts so far: per domain, {@link Meter#DOCS}, {@link Meter#BYTES}, {@link Meter#PLAN}, {@link Meter#TOKENS}. */
    long[] counts() {
        long[] c = new long[accumulators.length];
        if (local != null) {
            for (int i = 0; i < c.length; i++) c[i] = local.get(i);
            return c;
        }
        for (int i = 0; i < c.length; i++) c[i] = accumulators[i].value(); // finished tasks
        for (Map<Integer, Long> task : running.values()) task.forEach((i, v) -> c[i] += v);
        return c;
    }

    void print() {
        double secs = (System.nanoTime() - start) / 1e9;
        long[] c = counts();
        var line = new StringBuilder("etl");
        long docs = 0, bytes = 0, plan = 0, tokens = 0;
        for (int d = 0; d < domains.size(); d++) {
            int b = d * Meter.WIDTH;
            line.append(String.format(
                    Locale.ROOT,
                    " | %s %,d docs %.1f MB",
                    domains.get(d),
                    c[b + Meter.DOCS],
                    c[b + Meter.BYTES] / 1e6));
            docs += c[b + Meter.DOCS];
            bytes += c[b + Meter.BYTES];
            plan += c[b + Meter.PLAN];
            tokens += c[b + Meter.TOKENS];
        }
        plan = Math.min(plan, planBytes);
        String eta = plan == 0 ? "?" : fmt(secs * (planBytes - plan) / plan);
        line.append(String.format(
                Locale.ROOT,
                " | total %,d docs %.1f MB %.1f M tokens | tasks %d/%d | %.2f MB/s | %s elapsed, ETA %s",
                docs,
                bytes / 1e6,
                tokens / 1e6,
                tasksDone.get(),
                tasks,
                bytes / 1e6 / Math.max(secs, 1e-9),
                fmt(secs),
                eta));
        out.println(line);
    }

    private static String fmt(double secs) {
        long s = Math.round(secs);
        return String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }

    @Override
    public void close() {
        thread.interrupt();
        sc.removeSparkListener(listener);
        Meter.LOCAL.remove(key);
    }
}
