package io.pikemix.etl;

import java.io.Serializable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;
import org.apache.spark.util.LongAccumulator;

/**
 * A task's live progress counts (documents, bytes read, input bytes of the plan done, tokens), added up in the task
 * and published every {@link #FLUSH_BYTES} read:
 * <ul>
 *   <li>into the job's accumulators, which executors send to the driver with every heartbeat while the task runs
 *       ({@code spark.executor.heartbeatInterval}, 10 s by default) — {@link Progress} reads them there on a cluster;</li>
 *   <li>into the job's shared counters when the task runs in the driver's JVM ({@code local[*]}), read directly.</li>
 * </ul>
 * The counts are for progress only: {@code dataset.json}'s statistics come from the tasks' results, exact under retries.
 */
final class Meter {
    static final long FLUSH_BYTES = 1 << 20;
    /** Counters per domain: documents, bytes read (uncompressed), plan bytes done, tokens. */
    static final int DOCS = 0, BYTES = 1, PLAN = 2, TOKENS = 3, WIDTH = 4;

    /** What travels to the tasks: the job's key (for the shared counters) and its accumulators. */
    record Channels(String key, LongAccumulator[] accumulators) implements Serializable {
        LongAccumulator of(int domain, int what) {
            return accumulators[domain * WIDTH + what];
        }
    }

    /** The shared counters of the jobs that run in this JVM, by job key; registered by the driver. */
    static final ConcurrentHashMap<String, AtomicLongArray> LOCAL = new ConcurrentHashMap<>();

    private final Channels channels;
    private final AtomicLongArray local;
    private final int domain;
    private long docs, bytes, plan, tokens;

    Meter(Channels channels, int domain) {
        this.channels = channels;
        this.local = channels == null ? null : LOCAL.get(channels.key());
        this.domain = domain;
    }

    /** Input consumed: {@code uncompressed} bytes read and {@code plan} bytes of the planned input done. */
    void bytes(long uncompressed, long plan) {
        this.bytes += uncompressed;
        this.plan += plan;
        if (this.bytes >= FLUSH_BYTES || this.plan >= FLUSH_BYTES) flush();
    }

    void document(long tokens) {
        docs++;
        this.tokens += tokens;
    }

    void flush() {
        if (channels != null) {
            add(DOCS, docs);
            add(BYTES, bytes);
            add(PLAN, plan);
            add(TOKENS, tokens);
        }
        docs = bytes = plan = tokens = 0;
    }

    private void add(int what, long n) {
        if (n == 0) return;
        channels.of(domain, what).add(n);
        if (local != null) local.addAndGet(domain * WIDTH + what, n);
    }
}
